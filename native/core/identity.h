/* Who a container process is: ids, groups, capabilities, no_new_privs.
 * Everything here is async-signal-safe (raw system calls only), because the addon applies
 * it in a child cloned from the multi-threaded Node process. glibc's setresuid() and
 * setgroups() must not be used there: they broadcast to the parent's threads (setxid). */
#ifndef PODRUN_IDENTITY_H
#define PODRUN_IDENTITY_H

#include "util.h"
#include "seccomp.h"

#define PR_MAX_GROUPS 64

struct pr_identity
{
  uid_t uid;
  gid_t gid;
  bool set_groups;      /* false when setgroups is denied in the user namespace */
  size_t ngroups;
  gid_t groups[PR_MAX_GROUPS];
  uint64_t cap_bounding;
  uint64_t cap_effective; /* also the permitted set; inheritable and ambient stay empty */
  int cap_last;          /* /proc/sys/kernel/cap_last_cap, read beforehand */
  bool no_new_privs;
  /* The container's seccomp filter, or NULL (unconfined). With no_new_privs it is loaded last,
   * by pr_identity_seccomp_late right before execve; without, loading needs CAP_SYS_ADMIN, so
   * pr_identity_apply loads it before the uid change drops the capabilities (as runc does). */
  const struct pr_seccomp *seccomp;
};

/* Kubernetes' (containerd's) default capability set, 0xa80425fb. */
#define PR_DEFAULT_CAPS 0xa80425fbULL

int pr_identity_apply (const struct pr_identity *id, struct pr_error *err);
int pr_cap_last (void);
/* With no_new_privs: loads the seccomp filter (call it right before execve); otherwise nothing. */
int pr_identity_seccomp_late (const struct pr_identity *id, struct pr_error *err);

#endif
