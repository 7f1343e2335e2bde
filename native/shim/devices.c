/* A container's /dev and what it may open (the plan from src/plan/devices.ts). Every filesystem
 * of the container is made nodev in one recursive sweep once its mounts are in place; the
 * allowed nodes are bound in after it, each bind its own mount that keeps the host's dev
 * permission for that node alone, so a node made with mknod anywhere else cannot be opened
 * (EACCES), as root or in a user namespace, with or without a devices cgroup. A privileged
 * container's /dev is a tmpfs without nodev holding a copy of every node of the host's (runc
 * and crun mknod the host's devices for privileged the same way). Also the masked and read-only
 * /proc paths, whose lists the plan carries (none for privileged). */
#include "shim.h"

#include "../core/mounts.h"

#include <dirent.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Bound from the host's /dev: mknod is not allowed in a user namespace. */
static const char *const default_nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

int devices_mount_dev (int rootfd, const struct json *op, bool nodev, struct pr_error *err)
{
  static const char *const links[][2] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
  };
  const char *target = json_str (op, "target", "/dev");
  char path[4096];
  cleanup_close int devfd = pr_open_in_root (rootfd, target, PR_TARGET_DIR, 0755, err);
  if (devfd < 0)
    return -1;
  if (pr_mount_fs ("tmpfs", "tmpfs", devfd, MS_NOSUID | MS_STRICTATIME | (nodev ? MS_NODEV : 0), "mode=755,size=65536k", err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      cleanup_close int fd = pr_open_in_root (rootfd, target, PR_TARGET_DIR, 0755, err);
      if (fd < 0)
        return -1;
      if (symlinkat (links[i][1], fd, links[i][0]) < 0 && errno != EEXIST)
        return pr_fail (err, errno, "symlink", links[i][0]);
    }
  snprintf (path, sizeof path, "%s/pts", target);
  cleanup_close int pts = pr_open_in_root (rootfd, path, PR_TARGET_DIR, 0755, err);
  if (pts < 0)
    return -1;
  snprintf (path, sizeof path, "%s/mqueue", target);
  cleanup_close int mq = pr_open_in_root (rootfd, path, PR_TARGET_DIR, 0755, err);
  if (mq < 0 || pr_mount_fs ("mqueue", "mqueue", mq, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
    return -1;
  snprintf (path, sizeof path, "%s/shm", target);
  cleanup_close int shm = pr_open_in_root (rootfd, path, PR_TARGET_DIR, 01777, err);
  return shm < 0 ? -1 : 0;
}

static int bind_node (int rootfd, const char *source, const char *target, bool readonly, struct pr_error *err)
{
  cleanup_close int fd = pr_open_in_root (rootfd, target, PR_TARGET_FILE, 0666, err);
  if (fd < 0)
    return -1;
  return pr_bind (source, NULL, fd, readonly, false, err);
}

/* Every character and block device below the host's directory HOST (/dev), made again with its
 * mode, numbers and owner in the container's DIR. The container's own pts, shm and mqueue stay
 * its own; symlinks (/dev/block, /dev/disk/by-*) are not copied, as runc skips them. */
static int copy_host_nodes (int host, int dir, const char *where, int depth, struct pr_error *err)
{
  DIR *d = fdopendir (host);
  if (!d)
    {
      close (host);
      return pr_fail (err, errno, "opendir", where);
    }
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir (d)))
    {
      const char *name = e->d_name;
      struct stat st;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || fstatat (dirfd (d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (depth == 0 && (strcmp (name, "pts") == 0 || strcmp (name, "shm") == 0 || strcmp (name, "mqueue") == 0))
            continue;
          if (depth > 8)
            continue;
          if (mkdirat (dir, name, st.st_mode & 07777) < 0 && errno != EEXIST)
            {
              r = pr_fail (err, errno, "mkdir", name);
              break;
            }
          int sub = openat (dirfd (d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          cleanup_close int subdir = openat (dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub < 0 || subdir < 0)
            {
              if (sub >= 0)
                close (sub);
              continue;
            }
          r = copy_host_nodes (sub, subdir, name, depth + 1, err);
          continue;
        }
      if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
        continue;
      if (mknodat (dir, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) == 0 || errno == EEXIST)
        {
          if (fchownat (dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EEXIST)
            r = pr_fail (err, errno, "chown", name);
          continue;
        }
      if (errno != EPERM)
        {
          r = pr_fail (err, errno, "mknod", name);
          continue;
        }
      /* In a user namespace (a pod of root's with hostUsers: false) mknod is refused: bind the
       * host's node instead, as runc does there. */
      int file = openat (dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (file < 0)
        {
          r = pr_fail (err, errno, "create", name);
          continue;
        }
      close (file);
      char src[512];
      snprintf (src, sizeof src, "/proc/self/fd/%d/%s", dirfd (d), name);
      cleanup_close int target = openat (dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (target < 0 || pr_bind (src, NULL, target, false, false, err) < 0)
        r = target < 0 ? pr_fail (err, errno, "open", name) : -1;
    }
  closedir (d);
  return r;
}

int devices_populate (int rootfd, const struct json *op, struct pr_error *err)
{
  const char *target = json_str (op, "target", "/dev");
  char path[4096];
  if (json_bool (op, "hostDevices", false))
    {
      int host = open ("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (host < 0)
        return pr_fail (err, errno, "open", "/dev");
      cleanup_close int devfd = pr_open_in_root (rootfd, target, PR_TARGET_DIR, 0755, err);
      if (devfd < 0)
        {
          close (host);
          return -1;
        }
      if (copy_host_nodes (host, devfd, "/dev", 0, err) < 0)
        return -1;
    }
  else
    for (int i = 0; default_nodes[i]; i++)
      {
        char src[64];
        snprintf (src, sizeof src, "/dev/%s", default_nodes[i]);
        snprintf (path, sizeof path, "%s/%s", target, default_nodes[i]);
        if (bind_node (rootfd, src, path, false, err) < 0)
          return -1;
      }
  const struct json *nodes = json_get (op, "nodes");
  for (const struct json *n = nodes ? nodes->child : NULL; n; n = n->next)
    if (bind_node (rootfd, json_str (n, "source", ""), json_str (n, "target", ""), json_bool (n, "readonly", false), err) < 0)
      return -1;
  /* devpts keeps dev: its nodes are the container's terminals. gid=5 (tty) only exists when the
   * user namespace maps it. */
  snprintf (path, sizeof path, "%s/pts", target);
  cleanup_close int pts = pr_open_in_root (rootfd, path, PR_TARGET_DIR, 0755, err);
  if (pts < 0)
    return -1;
  if (pr_mount_fs ("devpts", "devpts", pts, MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", err) < 0
      && pr_mount_fs ("devpts", "devpts", pts, MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", err) < 0)
    return -1;
  return 0;
}

int devices_nodev (int rootfd, struct pr_error *err)
{
  /* Adding a flag is allowed on locked mounts too (a user namespace's copies of the host's):
   * only clearing one is refused. */
  if (pr_mount_setattr (rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_NODEV, 0) < 0)
    return pr_fail (err, errno, "mount_setattr MOUNT_ATTR_NODEV", "/");
  return 0;
}

int devices_mask_paths (int rootfd, const struct json *plan, struct pr_error *err)
{
  const struct json *masked = json_get (plan, "maskedPaths"), *readonly = json_get (plan, "readonlyPaths");
  for (const struct json *p = masked ? masked->child : NULL; p; p = p->next)
    {
      /* A symlink is followed, as runc's securejoin does, but never out of the root: what it
       * names inside the container is what gets hidden, not nothing. */
      cleanup_close int fd = pr_openat2 (rootfd, p->string, O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0)
        continue; /* absent on this kernel: nothing to hide */
      if (S_ISDIR (st.st_mode))
        {
          if (pr_mount_fs ("tmpfs", "tmpfs", fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0", err) < 0)
            return -1;
        }
      else if (pr_bind ("/dev/null", NULL, fd, false, false, err) < 0)
        return -1;
    }
  for (const struct json *p = readonly ? readonly->child : NULL; p; p = p->next)
    {
      cleanup_close int fd = pr_openat2 (rootfd, p->string, O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd < 0)
        continue;
      char src[64];
      snprintf (src, sizeof src, "/proc/self/fd/%d", fd);
      if (pr_bind (src, NULL, fd, true, true, err) < 0)
        return -1;
    }
  return 0;
}
