#include "identity.h"

#include <linux/capability.h>
#include <sys/prctl.h>

int pr_cap_last (void)
{
  char buf[16];
  int last = 40;
  int fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = read (fd, buf, sizeof buf - 1);
      if (n > 0)
        {
          last = 0;
          for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
            last = last * 10 + (buf[i] - '0');
        }
      close (fd);
    }
  return last;
}

int pr_identity_apply (const struct pr_identity *id, struct pr_error *err)
{
  /* Keep the permitted set across the uid change; the final sets are written below. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return pr_fail (err, errno, "prctl PR_SET_KEEPCAPS", NULL);
  for (int cap = 0; cap <= id->cap_last && cap < 64; cap++)
    if (!(id->cap_bounding & (1ULL << cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return pr_fail (err, errno, "prctl PR_CAPBSET_DROP", NULL);
  if (id->set_groups && syscall (SYS_setgroups, id->ngroups, id->groups) < 0)
    return pr_fail (err, errno, "setgroups", NULL);
  if (syscall (SYS_setresgid, id->gid, id->gid, id->gid) < 0)
    return pr_fail (err, errno, "setresgid", NULL);
  /* Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: load while the process still has it
   * (a change from uid 0 clears the effective set). The calls after this one pass through the
   * filter: setresuid, capset, prctl, chdir, execve (RuntimeDefault allows them all). */
  if (!id->no_new_privs && id->seccomp && pr_seccomp_load (id->seccomp, err) < 0)
    return -1;
  if (syscall (SYS_setresuid, id->uid, id->uid, id->uid) < 0)
    return pr_fail (err, errno, "setresuid", NULL);

  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  data[0].effective = data[0].permitted = (uint32_t) id->cap_effective;
  data[1].effective = data[1].permitted = (uint32_t) (id->cap_effective >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return pr_fail (err, errno, "capset", NULL);
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return pr_fail (err, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL", NULL);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return pr_fail (err, errno, "prctl PR_SET_KEEPCAPS", NULL);
  if (id->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return pr_fail (err, errno, "prctl PR_SET_NO_NEW_PRIVS", NULL);
  return 0;
}

int pr_identity_seccomp_late (const struct pr_identity *id, struct pr_error *err)
{
  if (id->no_new_privs && id->seccomp)
    return pr_seccomp_load (id->seccomp, err);
  return 0;
}
