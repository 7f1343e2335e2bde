/* Starting one container: clone3 into a new mount (and usually PID) namespace, assemble
 * the root from the plan's mount operations, pivot_root, become the container's identity,
 * and execve. The child reports a failure as a struct pr_error on a CLOEXEC pipe; EOF on
 * that pipe means execve succeeded (libuv's trick). */
#include "shim.h"
#include "pod-init.h"

#include "../core/cgroup.h"
#include "../core/identity.h"
#include "../core/mounts.h"

#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

static const char *const default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int overlay_data (const struct json *op, char *data, size_t size, bool userxattr)
{
  const struct json *lower = json_get (op, "lower");
  size_t n = 0;
  n += (size_t) snprintf (data + n, size - n, "lowerdir=");
  for (const struct json *l = lower ? lower->child : NULL; l && n < size; l = l->next)
    n += (size_t) snprintf (data + n, size - n, "%s%s", l == lower->child ? "" : ":", l->string);
  if (n < size)
    n += (size_t) snprintf (data + n, size - n, ",upperdir=%s,workdir=%s%s", json_str (op, "upper", ""),
                            json_str (op, "work", ""), userxattr ? ",userxattr" : "");
  return n < size ? 0 : -1;
}

/* overlayfs through the new mount API, a layer per "lowerdir+" (Linux 6.8): no limit on the
 * number of layers. mount(2) takes its options in one page, which with the data root's paths
 * runs out at about 44 layers; images may have up to 127. Returns 1 when this kernel lacks
 * fsopen or "lowerdir+", for mount(2) to be used instead. */
static int mount_overlay_fsconfig (const struct json *op, const char *root, struct pr_error *err)
{
  cleanup_close int fs = pr_fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return errno == ENOSYS || errno == EPERM ? 1 : pr_fail (err, errno, "fsopen overlay", root);
  /* The source mount(2) would show ("overlay overlay" in mountinfo, not "overlay none"). */
  if (pr_fsconfig (fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
    return pr_fail (err, errno, "fsconfig source", root);
  const struct json *lower = json_get (op, "lower");
  for (const struct json *l = lower ? lower->child : NULL; l; l = l->next)
    if (pr_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir+", l->string, 0) < 0)
      return l == lower->child && errno == EINVAL ? 1 : pr_fail (err, errno, "fsconfig lowerdir+", l->string);
  if (pr_fsconfig (fs, FSCONFIG_SET_STRING, "upperdir", json_str (op, "upper", ""), 0) < 0)
    return pr_fail (err, errno, "fsconfig upperdir", json_str (op, "upper", ""));
  if (pr_fsconfig (fs, FSCONFIG_SET_STRING, "workdir", json_str (op, "work", ""), 0) < 0)
    return pr_fail (err, errno, "fsconfig workdir", json_str (op, "work", ""));
  if (json_bool (op, "userxattr", false) && pr_fsconfig (fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
    return pr_fail (err, errno, "fsconfig userxattr", root);
  /* volatile (Linux 5.10): no sync of the upper layer, at the end of the container above all,
   * when the mount goes with its namespace and would write the layer's metadata out before the
   * exit is seen. A writable layer serves one attempt and is never mounted again (a restart gets
   * a new one, as on the kubelet), so a machine crash loses nothing that would be used; podman
   * mounts its --rm containers' layers the same way. */
  if (pr_fsconfig (fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
    return pr_fail (err, errno, "fsconfig volatile", root);
  if (pr_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return pr_fail (err, errno, "mount overlay", root);
  cleanup_close int mnt = pr_fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return pr_fail (err, errno, "fsmount overlay", root);
  if (pr_move_mount (mnt, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return pr_fail (err, errno, "move_mount overlay", root);
  return 0;
}

static int mount_overlay (const struct json *op, const char *root, struct pr_error *err)
{
  int r = mount_overlay_fsconfig (op, root, err);
  if (r <= 0)
    return r;
  char data[8192];
  if (overlay_data (op, data, sizeof data, json_bool (op, "userxattr", false)) < 0)
    return pr_fail (err, ENAMETOOLONG, "mount overlay", root);
  if (mount ("overlay", root, "overlay", 0, data) < 0)
    return pr_fail (err, errno, "mount overlay", root);
  return 0;
}

int probe_overlay (const struct json *op, struct pr_error *err)
{
  const char *target = json_str (op, "target", "");
  if (mount_overlay (op, target, err) < 0)
    return -1;
  umount2 (target, MNT_DETACH);
  return 0;
}

/* Binds whose propagation follows the host's (a bind op's "propagation": rslave for CRI's
 * HOST_TO_CONTAINER, rshared for BIDIRECTIONAL): their sources cloned in the host's mount
 * namespace when the container starts, not in the pod's copy of it made with the sandbox, so a
 * mount the host made since is in them and the clone stays in its source's peer group. Opened
 * by the shim before the clone, one per op in plan order (-1 for the others); read by the child. */
static int *host_trees;
static size_t n_host_trees;
/* In the child: the targets of rshared binds, opened in the new root and bound only after
 * pivot_root, whose MS_SLAVE sweep of the container's mounts would cut them off from the host's
 * peer group (a slave made shared again gets a peer group of its own). */
static int *host_targets;

/* The source's tree, cloned in the host's mount namespace by a forked child (setns there would
 * change the shim's own), handed back over a socketpair. */
static int open_host_tree (const char *source, const char *sub, struct pr_error *err)
{
  if (host_mount_ns < 0)
    return pr_fail (err, EPERM, "mount propagation from the host needs root (no host mount namespace)", source);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    return pr_fail (err, errno, "socketpair", source);
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (sv[0]);
      close (sv[1]);
      return pr_fail (err, e, "fork", source);
    }
  if (pid == 0)
    {
      struct pr_error cerr = { 0 };
      int tree = -1;
      if (syscall (SYS_setns, host_mount_ns, CLONE_NEWNS) < 0)
        pr_fail (&cerr, errno, "setns", "the host's mount namespace");
      else
        {
          int src = pr_open_source (source, sub, &cerr);
          if (src >= 0 && (tree = pr_open_tree (src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE)) < 0)
            pr_fail (&cerr, errno, "open_tree", source);
        }
      _exit (pr_send_with_fd (sv[1], &cerr, sizeof cerr, tree) < 0 ? 1 : 0);
    }
  close (sv[1]);
  struct pr_error cerr = { 0 };
  int tree = -1;
  ssize_t n = pr_recv_with_fd (sv[0], &cerr, sizeof cerr, 0, &tree);
  int e = errno;
  close (sv[0]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (tree >= 0 && n == (ssize_t) sizeof cerr)
    return tree;
  if (tree >= 0)
    close (tree);
  if (n == (ssize_t) sizeof cerr && cerr.errnum)
    {
      *err = cerr;
      return -1;
    }
  return pr_fail (err, n < 0 ? e : EIO, "cloning from the host's mount namespace", source);
}

static void close_host_trees (void)
{
  for (size_t i = 0; i < n_host_trees; i++)
    if (host_trees[i] >= 0)
      close (host_trees[i]);
  free (host_trees);
  free (host_targets);
  host_trees = host_targets = NULL;
  n_host_trees = 0;
}

/* The host trees of a plan's binds with a propagation: 0, or -1 with ERR set (none left open). */
static int open_host_trees (const struct json *plan, struct pr_error *err)
{
  const struct json *ops = json_get (plan, "ops");
  size_t n = 0;
  for (const struct json *op = ops ? ops->child : NULL; op; op = op->next)
    n++;
  host_trees = malloc ((n ? n : 1) * sizeof *host_trees);
  host_targets = malloc ((n ? n : 1) * sizeof *host_targets);
  if (!host_trees || !host_targets)
    {
      free (host_trees);
      free (host_targets);
      host_trees = host_targets = NULL;
      return pr_fail (err, ENOMEM, "malloc", NULL);
    }
  n_host_trees = n;
  size_t i = 0;
  for (const struct json *op = ops ? ops->child : NULL; op; op = op->next, i++)
    {
      host_trees[i] = host_targets[i] = -1;
      if (strcmp (json_str (op, "type", ""), "bind") || !json_str (op, "propagation", NULL))
        continue;
      if ((host_trees[i] = open_host_tree (json_str (op, "source", ""), json_str (op, "sub", NULL), err)) < 0)
        {
          close_host_trees ();
          return -1;
        }
    }
  return 0;
}

/* In the child: a host tree's bind, its propagation set (a slave of the host's peer group, or a
 * peer of it), then moved onto the target. */
static int bind_host_tree (int tree, const struct json *op, int targetfd, uint64_t attrs, struct pr_error *err)
{
  const char *source = json_str (op, "source", "");
  if (json_bool (op, "readonly", false))
    attrs |= MOUNT_ATTR_RDONLY;
  if (attrs && pr_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, attrs, 0) < 0)
    return pr_fail (err, errno, "mount_setattr", source);
  if (pr_move_mount (tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return pr_fail (err, errno, "move_mount", source);
  /* Set once attached: the fd still names the mount. */
  bool shared = strcmp (json_str (op, "propagation", ""), "rshared") == 0;
  if (pr_mount_propagation (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, shared ? MS_SHARED : MS_SLAVE) < 0)
    return pr_fail (err, errno, shared ? "mount_setattr MS_SHARED" : "mount_setattr MS_SLAVE", source);
  return 0;
}

/* After pivot_root: the rshared binds, onto the targets op_apply opened; nodev as the sweep
 * (devices_nodev) would have made them, when the plan sweeps. */
static int bind_shared_trees (const struct json *ops, bool nodev, struct pr_error *err)
{
  size_t i = 0;
  for (const struct json *op = ops ? ops->child : NULL; op; op = op->next, i++)
    if (i < n_host_trees && host_targets[i] >= 0
        && bind_host_tree (host_trees[i], op, host_targets[i], nodev ? MOUNT_ATTR_NODEV : 0, err) < 0)
      return -1;
  return 0;
}

static int op_root (const struct json *op, const char *root, struct pr_error *err)
{
  const char *type = json_str (op, "type", "");
  if (strcmp (type, "overlay") == 0)
    return mount_overlay (op, root, err);
  if (strcmp (type, "fuse-overlayfs") == 0)
    {
      /* Mounted by the shim before the clone (fuse-root.c): this mount namespace has a copy. */
      struct statfs st;
      if (statfs (root, &st) < 0)
        return pr_fail (err, errno, "statfs", root);
      if (st.f_type != FUSE_SUPER_MAGIC)
        return pr_fail (err, ENOENT, "fuse-overlayfs root is not mounted", root);
      return 0;
    }
  if (strcmp (type, "tmpfs") == 0)
    {
      if (mount ("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, json_str (op, "options", "mode=755")) < 0)
        return pr_fail (err, errno, "mount tmpfs", root);
      return 0;
    }
  if (strcmp (type, "bind") == 0)
    {
      cleanup_close int fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return pr_fail (err, errno, "open", root);
      return pr_bind (json_str (op, "source", ""), NULL, fd, false, true, err);
    }
  return pr_fail (err, EINVAL, "unknown root operation", type);
}

static int op_apply (const struct json *op, size_t index, int rootfd, struct pr_error *err)
{
  const char *type = json_str (op, "type", ""), *target = json_str (op, "target", "");
  bool ro = json_bool (op, "readonly", false);
  if (strcmp (type, "dev") == 0)
    return devices_mount_dev (rootfd, op, !json_bool (op, "hostDevices", false), err);
  if (strcmp (type, "mkdir") == 0)
    return pr_mkdir_in_root (rootfd, target, (mode_t) json_int (op, "mode", 0755), err);
  if (strcmp (type, "symlink") == 0)
    {
      char parent[4096];
      snprintf (parent, sizeof parent, "%s", target);
      char *slash = strrchr (parent, '/');
      if (!slash)
        return pr_fail (err, EINVAL, "symlink", target);
      *slash = '\0';
      cleanup_close int pfd = pr_open_in_root (rootfd, parent[0] ? parent : "/", PR_TARGET_DIR, 0755, err);
      if (pfd < 0)
        return -1;
      if (symlinkat (json_str (op, "link", ""), pfd, slash + 1) < 0 && errno != EEXIST)
        return pr_fail (err, errno, "symlink", target);
      return 0;
    }
  if (strcmp (type, "bind") == 0)
    {
      const char *source = json_str (op, "source", "");
      struct stat st;
      if (stat (source, &st) < 0)
        return pr_fail (err, errno, "stat", source);
      bool file = json_bool (op, "file", !S_ISDIR (st.st_mode));
      cleanup_close int fd = pr_open_in_root (rootfd, target, file ? PR_TARGET_FILE : PR_TARGET_DIR, 0755, err);
      if (fd < 0)
        return -1;
      if (index < n_host_trees && host_trees[index] >= 0)
        {
          if (strcmp (json_str (op, "propagation", ""), "rshared") == 0)
            {
              host_targets[index] = fd; /* bound after pivot_root (bind_shared_trees) */
              fd = -1;
              return 0;
            }
          return bind_host_tree (host_trees[index], op, fd, 0, err);
        }
      return pr_bind (source, json_str (op, "sub", NULL), fd, ro, json_bool (op, "recursive", true), err);
    }
  cleanup_close int fd = pr_open_in_root (rootfd, target, PR_TARGET_DIR, 0755, err);
  if (fd < 0)
    return -1;
  if (strcmp (type, "tmpfs") == 0)
    return pr_mount_fs ("tmpfs", "tmpfs", fd, MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0),
                        json_str (op, "options", "mode=1777"), err);
  if (strcmp (type, "proc") == 0)
    return pr_mount_fs ("proc", "proc", fd, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
  if (strcmp (type, "sysfs") == 0)
    {
      /* A fresh sysfs needs the network namespace to belong to our user namespace
       * (hostNetwork pods): otherwise bind the host's, read-only, as crun does. */
      bool sys_ro = json_bool (op, "readonly", true);
      if (pr_mount_fs ("sysfs", "sysfs", fd, (sys_ro ? MS_RDONLY : 0) | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) == 0)
        return 0;
      return pr_bind ("/sys", NULL, fd, sys_ro, true, err);
    }
  return pr_fail (err, EINVAL, "unknown mount operation", type);
}

static const char *env_path (char **env)
{
  for (; env && *env; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return default_path;
}

/* execvpe without the shell fallback: the PATH is the container's, not ours. */
static int exec_in_path (char **argv, char **env, struct pr_error *err)
{
  if (!argv || !argv[0])
    return pr_fail (err, EINVAL, "exec", "no command specified");
  if (strchr (argv[0], '/'))
    {
      execve (argv[0], argv, env);
      return pr_fail (err, errno, "exec", argv[0]);
    }
  const char *path = env_path (env);
  int saved = ENOENT;
  while (*path)
    {
      const char *colon = strchrnul (path, ':');
      char full[4096];
      int n = snprintf (full, sizeof full, "%.*s/%s", (int) (colon - path), path, argv[0]);
      if (n > 0 && (size_t) n < sizeof full)
        {
          execve (full, argv, env);
          if (errno != ENOENT && errno != ENOTDIR)
            saved = errno;
        }
      path = *colon ? colon + 1 : colon;
    }
  return pr_fail (err, saved, saved == ENOENT ? "executable file not found in $PATH" : "exec", argv[0]);
}

/* A terminal for the container (tty: true), opened from its own devpts after pivot_root; the
 * master goes to the shim over PTYSOCK, the slave becomes the controlling terminal and 0-2. */
static int open_tty (int ptysock, int *slave, struct pr_error *err)
{
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return pr_fail (err, errno, "open", "/dev/ptmx");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return pr_fail (err, errno, "ioctl TIOCSPTLCK", "/dev/ptmx");
  *slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0)
    return pr_fail (err, errno, "ioctl TIOCGPTPEER", "/dev/ptmx");
  char byte = 0;
  if (pr_send_with_fd (ptysock, &byte, 1, master) < 0)
    return pr_fail (err, errno, "sendmsg", "tty");
  close (master);
  return 0;
}

/* The plan's seccomp filter: null (unconfined) or {"filter": "<hex of sock_filter[]>"}, its shape
 * checked with the request (protocol.c). Decoded here, in the shim, before the clone: the child
 * only loads it. */
static int plan_seccomp (const struct json *plan, struct pr_seccomp *out, struct pr_error *err)
{
  const struct json *s = json_get (plan, "seccomp");
  if (s->type == JSON_NULL)
    return 0;
  return pr_seccomp_decode (json_str (s, "filter", ""), out, err);
}

/* The container's OOM score (the kubelet's by QoS class). Raising it is allowed to anyone;
 * lowering it below the inherited score takes CAP_SYS_RESOURCE, which a pod may not have (none
 * has it on hosts whose bounding set lacks it): then the inherited score stays, as containerd's
 * restrict_oom_score_adj keeps it. */
static int set_oom_score_adj (int want, struct pr_error *err)
{
  char buf[16];
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return pr_fail (err, errno, "open", "/proc/self/oom_score_adj");
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return pr_fail (err, n < 0 ? errno : EIO, "read", "/proc/self/oom_score_adj");
  buf[n] = '\0';
  int current = atoi (buf);
  int len = snprintf (buf, sizeof buf, "%d", want);
  if (pwrite (fd, buf, (size_t) len, 0) == len)
    return 0;
  if ((errno == EACCES || errno == EPERM) && want < current)
    return 0;
  return pr_fail (err, errno, "write", "/proc/self/oom_score_adj");
}

static int child_setup (const struct json *plan, const struct pr_seccomp *seccomp, int out, int errfd, int infd,
                        int ptysock, struct pr_error *err)
{
  const char *root = json_str (plan, "root", "");
  const struct json *ops = json_get (plan, "ops");
  cleanup_close int rootfd = -1;

  prctl (PR_SET_NAME, "podrun:[init]", 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Into the container's cgroups first (paths of the shim's mount namespace, before any mount):
   * everything it does from here, the user's program above all, is charged and limited there. */
  cleanup_free char **cgroup_procs = json_strv (json_get (plan, "cgroup"), "procs");
  if (pr_cgroup_join ((const char *const *) cgroup_procs, err) < 0)
    return -1;
  const struct json *oom = json_get (plan, "oomScoreAdj");
  if (oom && oom->type == JSON_NUMBER && set_oom_score_adj ((int) oom->number, err) < 0)
    return -1;
  /* Nothing the container mounts may propagate back to the pod, or further to the host. */
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return pr_fail (err, errno, "mount MS_SLAVE", "/");
  size_t index = 0;
  for (const struct json *op = ops ? ops->child : NULL; op; op = op->next, index++)
    {
      if (strcmp (json_str (op, "target", ""), "/") == 0)
        {
          if (op_root (op, root, err) < 0)
            return -1;
          if (rootfd >= 0)
            close (rootfd);
          rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (rootfd < 0)
            return pr_fail (err, errno, "open", root);
          continue;
        }
      if (rootfd < 0)
        return pr_fail (err, EINVAL, "plan", "the first operation must mount the root");
      if (op_apply (op, index, rootfd, err) < 0)
        return -1;
    }
  if (rootfd < 0)
    return pr_fail (err, EINVAL, "plan", "no root filesystem");
  /* Device nodes: none usable but those bound in after the sweep (devices.c). */
  if (json_bool (plan, "nodev", true) && devices_nodev (rootfd, err) < 0)
    return -1;
  for (const struct json *op = ops ? ops->child : NULL; op; op = op->next)
    if (strcmp (json_str (op, "type", ""), "dev") == 0 && devices_populate (rootfd, op, err) < 0)
      return -1;
  if (devices_mask_paths (rootfd, plan, err) < 0)
    return -1;
  const char *cwd = json_str (plan, "cwd", "/");
  if (pr_mkdir_in_root (rootfd, cwd, 0755, err) < 0)
    return -1;
  if (json_bool (plan, "readonlyRoot", false) && pr_make_readonly (rootfd, false, err) < 0)
    return -1;

  cleanup_close int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0)
    return pr_fail (err, errno, "open", "/dev/null");
  if (pr_pivot (rootfd, err) < 0)
    return -1;
  if (bind_shared_trees (ops, json_bool (plan, "nodev", true), err) < 0)
    return -1;
  if (ptysock >= 0)
    {
      int slave = -1;
      if (open_tty (ptysock, &slave, err) < 0)
        return -1;
      setsid ();
      if (ioctl (slave, TIOCSCTTY, 0) < 0)
        return pr_fail (err, errno, "ioctl TIOCSCTTY", "tty");
      if (dup2 (slave, 0) < 0 || dup2 (slave, 1) < 0 || dup2 (slave, 2) < 0)
        return pr_fail (err, errno, "dup2", NULL);
    }
  else if (dup2 (infd >= 0 ? infd : null, 0) < 0 || dup2 (out, 1) < 0 || dup2 (errfd, 2) < 0)
    return pr_fail (err, errno, "dup2", NULL);

  struct pr_identity id = {
    .uid = (uid_t) json_int (plan, "uid", 0),
    .gid = (gid_t) json_int (plan, "gid", 0),
    .set_groups = json_bool (plan, "setGroups", true),
    .cap_bounding = (uint64_t) json_int (plan, "capBounding", (long long) PR_DEFAULT_CAPS),
    .cap_effective = (uint64_t) json_int (plan, "capEffective", (long long) PR_DEFAULT_CAPS),
    .cap_last = pr_cap_last (),
    .no_new_privs = json_bool (plan, "noNewPrivs", true),
    .seccomp = seccomp->len ? seccomp : NULL,
  };
  const struct json *groups = json_get (plan, "groups");
  for (const struct json *g = groups ? groups->child : NULL; g && id.ngroups < PR_MAX_GROUPS; g = g->next)
    id.groups[id.ngroups++] = (gid_t) g->number;
  if (pr_identity_apply (&id, err) < 0)
    return -1;
  if (chdir (cwd) < 0)
    return pr_fail (err, errno, "chdir", cwd);

  /* Only 0-2 reach the container; the error pipe closes on exec. */
  if (pr_close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return pr_fail (err, errno, "close_range", NULL);
  sigset_t none;
  sigemptyset (&none);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);

  cleanup_free char **argv = json_strv (plan, "argv");
  cleanup_free char **env = json_strv (plan, "env");
  /* With no_new_privs the filter comes last, so that it judges the container's calls and as few
   * of ours as possible: from here only execve. */
  if (pr_identity_seccomp_late (&id, err) < 0)
    return -1;
  return exec_in_path (argv, env, err);
}

/* Children are created in the PID namespace the shim's pid_for_children points at: point it at
 * the target's for one clone, then back at our own. The shim is single-threaded, so nothing else
 * can clone in between. */
static int enter_pidns_for_children (int target_pidfd, struct pr_error *err)
{
  if (syscall (SYS_setns, target_pidfd, CLONE_NEWPID) < 0)
    return pr_fail (err, errno, "setns CLONE_NEWPID", "target container");
  return 0;
}

static void restore_pidns_for_children (void)
{
  cleanup_close int own = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (own >= 0)
    syscall (SYS_setns, own, CLONE_NEWPID);
}

int container_spawn (const struct json *plan, struct container *c, int target_pidfd, struct pr_error *err, char *msg,
                     size_t msglen)
{
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, status[2] = { -1, -1 }, in[2] = { -1, -1 }, pty[2] = { -1, -1 };
  bool tty = json_bool (plan, "tty", false), want_stdin = json_bool (plan, "stdin", false);
  msg[0] = '\0';
  __attribute__ ((cleanup (pr_seccomp_free))) struct pr_seccomp seccomp = { 0 };
  if (plan_seccomp (plan, &seccomp, err) < 0)
    goto fail;
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0 || pipe2 (status, O_CLOEXEC) < 0
      || (want_stdin && !tty && pipe2 (in, O_CLOEXEC) < 0)
      || (tty && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pty) < 0))
    {
      pr_fail (err, errno, "pipe2", NULL);
      goto fail;
    }
  if (open_host_trees (plan, err) < 0)
    goto fail;
  int pidfd = -1;
  /* A shared PID namespace is the pod init's, never the shim's own (pod-init.c). A shim that is
   * not PID 1 was made in the host's PID namespace (hostPID): that one is shared as it is. */
  if (target_pidfd < 0 && !json_bool (plan, "newPidns", true) && getpid () == 1 && (target_pidfd = pod_init_pidfd (err)) < 0)
    goto fail;
  if (target_pidfd >= 0 && enter_pidns_for_children (target_pidfd, err) < 0)
    goto fail;
  struct clone_args args = {
    .flags = CLONE_NEWNS | CLONE_PIDFD | (target_pidfd < 0 && json_bool (plan, "newPidns", true) ? CLONE_NEWPID : 0),
    .pidfd = (uint64_t) (uintptr_t) &pidfd,
    .exit_signal = SIGCHLD,
  };
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  int clone_errno = errno;
  if (pid != 0 && target_pidfd >= 0)
    restore_pidns_for_children ();
  if (pid != 0)
    close_host_trees (); /* the child has its copies */
  if (pid < 0)
    {
      pr_fail (err, clone_errno, "clone3", NULL);
      goto fail;
    }
  if (pid == 0)
    {
      struct pr_error cerr = { 0 };
      close (status[0]);
      child_setup (plan, &seccomp, out[1], errp[1], in[0], pty[1], &cerr);
      pr_write_all (status[1], &cerr, sizeof cerr);
      _exit (127);
    }
  close (out[1]);
  close (errp[1]);
  close (status[1]);
  out[1] = errp[1] = status[1] = -1;
  if (in[0] >= 0)
    close (in[0]);
  if (pty[1] >= 0)
    close (pty[1]);

  struct pr_error cerr;
  ssize_t n;
  do
    n = read (status[0], &cerr, sizeof cerr);
  while (n < 0 && errno == EINTR);
  close (status[0]);
  status[0] = -1;

  c->pid = pid;
  c->pidfd = pidfd;
  c->out.fd = out[0];
  c->err.fd = errp[0];
  c->stdin_fd = in[1];
  c->tty = tty;
  if (tty)
    {
      /* The child has sent its terminal's master by now (or failed): output comes from there. */
      char byte;
      struct iovec iov = { &byte, 1 };
      union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } control;
      struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
      int master = -1;
      if (recvmsg (pty[0], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) == 1 && CMSG_FIRSTHDR (&m))
        memcpy (&master, CMSG_DATA (CMSG_FIRSTHDR (&m)), sizeof (int));
      close (pty[0]);
      close (out[0]);
      close (errp[0]);
      c->out.fd = master;
      c->err.fd = -1;
      c->stdin_fd = master >= 0 ? fcntl (master, F_DUPFD_CLOEXEC, 3) : -1;
    }
  if (n == (ssize_t) sizeof cerr)
    {
      *err = cerr;
      if (strcmp (cerr.op, "executable file not found in $PATH") == 0)
        snprintf (msg, msglen, "exec: \"%s\": executable file not found in $PATH", cerr.path);
      else
        pr_error_format (&cerr, msg, msglen);
      return -1; /* the caller reaps the child and records the failure */
    }
  return 0;

fail:
  close_host_trees ();
  for (int i = 0; i < 2; i++)
    {
      if (out[i] >= 0) close (out[i]);
      if (errp[i] >= 0) close (errp[i]);
      if (status[i] >= 0) close (status[i]);
      if (in[i] >= 0) close (in[i]);
      if (pty[i] >= 0) close (pty[i]);
    }
  pr_error_format (err, msg, msglen);
  c->pid = -1;
  return -1;
}
