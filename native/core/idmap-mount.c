#include "idmap-mount.h"

#include <linux/mount.h>
#include <pthread.h>
#include <sched.h>
#include <linux/sched.h>
#include <linux/stat.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* mount_setattr with MOUNT_ATTR_IDMAP carries the user namespace in struct mount_attr. */
static int set_idmap (int tree, int userns_fd)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
  return (int) syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
}

/* mkdir -p as root, in the pod's mount namespace: async-signal-safe (a stack buffer, syscalls). */
static int mkdir_p (const char *path, struct pr_error *err)
{
  char buf[4096];
  size_t len = 0;
  while (path[len] && len < sizeof buf - 1)
    len++;
  if (path[len])
    return pr_fail (err, ENAMETOOLONG, "mkdir", path);
  for (size_t i = 1; i <= len; i++)
    {
      if (i < len && path[i] != '/')
        continue;
      for (size_t k = 0; k < i; k++)
        buf[k] = path[k];
      buf[i] = '\0';
      if (mkdir (buf, 0755) < 0 && errno != EEXIST)
        return pr_fail (err, errno, "mkdir", buf);
    }
  return 0;
}

/* An empty file at path, its folders made first. */
static int make_file (const char *path, struct pr_error *err)
{
  char parent[4096];
  size_t len = 0, slash = 0;
  for (; path[len] && len < sizeof parent - 1; len++)
    if ((parent[len] = path[len]) == '/')
      slash = len;
  if (path[len])
    return pr_fail (err, ENAMETOOLONG, "open", path);
  parent[slash] = '\0';
  if (slash > 0 && mkdir_p (parent, err) < 0)
    return -1;
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return pr_fail (err, errno, "create", path);
  close (fd);
  return 0;
}

static bool is_mount_root (const char *path)
{
  struct statx st;
  if (syscall (SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) < 0)
    return false;
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* The child: trees made on the host first (open_tree resolves in our own mount namespace, and
 * idmapping needs a detached tree), then the pod's namespace entered and each attached. */
static int attach_in_pod (int pod_pidfd, int userns_fd, const struct pr_pod_mount *m, int n, int trees[],
                          struct pr_error *err)
{
  for (int i = 0; i < n; i++)
    trees[i] = -1;
  for (int i = 0; i < n; i++)
    {
      if (m[i].kind == PR_POD_TMPFS || m[i].kind == PR_POD_READONLY)
        continue;
      if ((trees[i] = pr_open_tree (AT_FDCWD, m[i].source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
        return pr_fail (err, errno, "open_tree", m[i].source);
      if (m[i].kind == PR_POD_BIND_IDMAP && set_idmap (trees[i], userns_fd) < 0)
        return pr_fail (err, errno, "mount_setattr MOUNT_ATTR_IDMAP", m[i].source);
    }
  /* Joining a mount namespace resets root and cwd to its own. */
  if (syscall (SYS_setns, pod_pidfd, CLONE_NEWNS) < 0)
    return pr_fail (err, errno, "setns CLONE_NEWNS", "pod");
  for (int i = 0; i < n; i++)
    {
      if (m[i].once && is_mount_root (m[i].target))
        continue;
      if (m[i].kind == PR_POD_READONLY)
        {
          if (pr_mount_setattr (AT_FDCWD, m[i].target, 0, MOUNT_ATTR_RDONLY, 0) < 0)
            return pr_fail (err, errno, "mount_setattr MOUNT_ATTR_RDONLY", m[i].target);
          continue;
        }
      struct stat st;
      if (trees[i] >= 0 && fstat (trees[i], &st) == 0 && !S_ISDIR (st.st_mode))
        {
          /* A file (a hostPath of type File): its mount point is a file. */
          if (make_file (m[i].target, err) < 0)
            return -1;
        }
      else if (mkdir_p (m[i].target, err) < 0)
        return -1;
      if (m[i].kind == PR_POD_TMPFS)
        {
          if (mount ("tmpfs", m[i].target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
            return pr_fail (err, errno, "mount tmpfs", m[i].target);
        }
      else if (pr_move_mount (trees[i], "", AT_FDCWD, m[i].target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return pr_fail (err, errno, "move_mount", m[i].target);
    }
  return 0;
}

struct pod_mounts_args
{
  int pod_pidfd, userns_fd;
  const struct pr_pod_mount *m;
  int n;
  struct pr_error err;
};

/* The child, on its own stack in Node's memory (CLONE_VM): syscalls only, no allocation, and
 * nothing that changes the shared memory but its own args (prctl PR_SET_DUMPABLE would set
 * Node's). Its descriptors are its own (no CLONE_FILES) and go with it. */
static int pod_mounts_child (void *p)
{
  struct pod_mounts_args *a = p;
  int trees[PR_POD_MAX_MOUNTS];
  return attach_in_pod (a->pod_pidfd, a->userns_fd, a->m, a->n, trees, &a->err) < 0 ? 1 : 0;
}

/* A vfork-style child (CLONE_VM | CLONE_VFORK, as posix_spawn makes): no copy of Node's page
 * tables, which a fork-style clone took 7 to 15 ms to make, a pod start paying it three times. */
int pr_pod_mounts (int pod_pidfd, int userns_fd, const struct pr_pod_mount *m, int n, struct pr_error *err)
{
  if (n < 0 || n > PR_POD_MAX_MOUNTS)
    return pr_fail (err, E2BIG, "pod mounts", "too many");
  const size_t stack_size = 256 * 1024;
  char *stack = malloc (stack_size);
  if (!stack)
    return pr_fail (err, ENOMEM, "pod mounts", "stack");
  struct pod_mounts_args a = { .pod_pidfd = pod_pidfd, .userns_fd = userns_fd, .m = m, .n = n };
  /* Every signal blocked across it: none of Node's handlers may run in the child. */
  sigset_t all, saved;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &saved);
  pid_t pid = clone (pod_mounts_child, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int e = errno;
  pthread_sigmask (SIG_SETMASK, &saved, NULL);
  if (pid < 0)
    {
      free (stack);
      return pr_fail (err, e, "clone", "pod mounts");
    }
  /* Back here once it has exited (CLONE_VFORK); collect it. */
  int status = 0;
  while (waitpid (pid, &status, __WALL) < 0 && errno == EINTR)
    ;
  free (stack);
  if (a.err.errnum)
    {
      *err = a.err;
      return -1;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return pr_fail (err, EIO, "pod mounts", "the setup process died");
  return 0;
}
