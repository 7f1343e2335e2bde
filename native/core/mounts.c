#include "mounts.h"

#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define RESOLVE_ROOTED (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static void fd_path (int fd, char out[64]) { snprintf (out, 64, "/proc/self/fd/%d", fd); }

int pr_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct pr_error *err)
{
  char prefix[4096];
  size_t len = strlen (path);
  if (len >= sizeof prefix)
    return pr_fail (err, ENAMETOOLONG, "mkdir", path);
  for (size_t i = 1; i <= len; i++)
    {
      if (i < len && path[i] != '/')
        continue;
      memcpy (prefix, path, i);
      prefix[i] = '\0';
      int fd = pr_openat2 (rootfd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_ROOTED);
      if (fd >= 0)
        {
          close (fd);
          continue;
        }
      if (errno != ENOENT)
        return pr_fail (err, errno, "open", prefix);
      /* Create the last component in its (already resolved) parent. */
      char *slash = strrchr (prefix, '/');
      const char *name = slash ? slash + 1 : prefix;
      int parent = rootfd;
      cleanup_close int pfd = -1;
      if (slash && slash != prefix)
        {
          *slash = '\0';
          pfd = pr_openat2 (rootfd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_ROOTED);
          *slash = '/';
          if (pfd < 0)
            return pr_fail (err, errno, "open", prefix);
          parent = pfd;
        }
      if (*name && mkdirat (parent, name, mode) < 0 && errno != EEXIST)
        return pr_fail (err, errno, "mkdir", prefix);
    }
  return 0;
}

int pr_open_in_root (int rootfd, const char *path, enum pr_target_kind kind, mode_t mode, struct pr_error *err)
{
  int fd = pr_openat2 (rootfd, path, O_PATH | O_CLOEXEC, 0, RESOLVE_ROOTED);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : pr_fail (err, errno, "open", path);
  if (kind == PR_TARGET_DIR)
    {
      if (pr_mkdir_in_root (rootfd, path, mode, err) < 0)
        return -1;
    }
  else
    {
      char parent[4096];
      snprintf (parent, sizeof parent, "%s", path);
      char *slash = strrchr (parent, '/');
      if (slash && slash != parent)
        {
          *slash = '\0';
          if (pr_mkdir_in_root (rootfd, parent, 0755, err) < 0)
            return -1;
        }
      int f = pr_openat2 (rootfd, path, O_CREAT | O_RDONLY | O_CLOEXEC, mode, RESOLVE_ROOTED);
      if (f < 0)
        return pr_fail (err, errno, "create", path);
      close (f);
    }
  fd = pr_openat2 (rootfd, path, O_PATH | O_CLOEXEC, 0, RESOLVE_ROOTED);
  return fd >= 0 ? fd : pr_fail (err, errno, "open", path);
}

int pr_make_readonly (int fd, bool recursive, struct pr_error *err)
{
  /* mount_setattr keeps the flags that are locked in a user namespace (nodev, nosuid, ...),
   * which a classic MS_REMOUNT would have to repeat exactly. */
  if (pr_mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), MOUNT_ATTR_RDONLY, 0) < 0)
    return pr_fail (err, errno, "mount_setattr MOUNT_ATTR_RDONLY", NULL);
  return 0;
}

int pr_open_source (const char *source, const char *sub, struct pr_error *err)
{
  int srcfd = open (source, O_PATH | O_CLOEXEC);
  if (srcfd < 0)
    return pr_fail (err, errno, "open", source);
  if (sub && *sub)
    {
      /* subPath may follow symlinks, but only while they stay inside the volume. */
      int s = pr_openat2 (srcfd, sub, O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
      /* As the kubelet does, a missing subPath is created, as a directory, confined to the volume. */
      if (s < 0 && errno == ENOENT && pr_mkdir_in_root (srcfd, sub, 0755, err) == 0)
        s = pr_openat2 (srcfd, sub, O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
      int e = errno;
      close (srcfd);
      if (s < 0)
        return pr_fail (err, e == EXDEV ? EPERM : e, "open subPath", sub);
      srcfd = s;
    }
  return srcfd;
}

int pr_bind (const char *source, const char *sub, int targetfd, bool readonly, bool recursive, struct pr_error *err)
{
  cleanup_close int srcfd = pr_open_source (source, sub, err);
  if (srcfd < 0)
    return -1;
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  cleanup_close int tree = pr_open_tree (srcfd, "", flags);
  /* A non-recursive clone of a mount with locked submounts is refused (EINVAL): take them all. */
  if (tree < 0 && errno == EINVAL && !recursive)
    tree = pr_open_tree (srcfd, "", flags | AT_RECURSIVE);
  if (tree < 0)
    return pr_fail (err, errno, "open_tree", source);
  if (readonly && pr_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0)
    return pr_fail (err, errno, "mount_setattr MOUNT_ATTR_RDONLY", source);
  if (pr_move_mount (tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return pr_fail (err, errno, "move_mount", source);
  return 0;
}

int pr_mount_fs (const char *fstype, const char *source, int targetfd, unsigned long flags, const char *data,
                 struct pr_error *err)
{
  char target[64];
  fd_path (targetfd, target);
  if (mount (source, target, fstype, flags, data) < 0)
    return pr_fail (err, errno, "mount", fstype);
  return 0;
}

int pr_pivot (int rootfd, struct pr_error *err)
{
  if (fchdir (rootfd) < 0)
    return pr_fail (err, errno, "fchdir", "rootfs");
  if (pr_pivot_root (".", ".") < 0)
    return pr_fail (err, errno, "pivot_root", ".");
  /* The old root is now stacked under the new one: make it private so the detach does not
   * propagate anywhere, then drop it. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return pr_fail (err, errno, "mount MS_SLAVE", "/");
  if (umount2 (".", MNT_DETACH) < 0)
    return pr_fail (err, errno, "umount2", "old root");
  if (chdir ("/") < 0)
    return pr_fail (err, errno, "chdir", "/");
  return 0;
}
