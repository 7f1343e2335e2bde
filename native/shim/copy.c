/* `podrun cp`'s worker inside a container: `podrun-shim cp-out PATH` writes the tree at PATH to
 * stdout as a stream of records; `podrun-shim cp-in DEST NAME` makes the records read from stdin
 * at DEST (or DEST/NAME when DEST is a directory, as kubectl cp puts a copy into a directory).
 *
 * Why this way: the container's files are reached by running inside its mount namespace (and,
 * rootless, its user namespace), as its user, through exec's path (setns in a clone, execveat of
 * this static binary opened on the host), so every path is resolved by the kernel in the
 * container's root, volumes included, and what is written is owned by the container's user, as
 * kubectl cp's tar would leave it. Nothing here touches the host's files: Node writes those, and
 * treats this stream as hostile (names checked, links never followed), since the container
 * could have replaced anything it can reach. No tar is needed in the image.
 *
 * A record: struct cp_header, then the name (relative to the copied root, "" for the root
 * itself, components joined by '/'), then `size` bytes (a file's content, a symlink's target). */
#include "shim.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

struct cp_header
{
  uint8_t type; /* 'D' directory, 'F' regular file, 'L' symlink */
  uint8_t pad[3];
  uint32_t mode;
  uint64_t size;
  uint32_t name_len;
  uint32_t pad2;
};

#define CP_MAX_NAME 4096
#define CP_MAX_DEPTH 256

static int status;

static void warn_errno (const char *what, const char *path, int e)
{
  fprintf (stderr, "%s%s%s: %s\n", what, *what ? " " : "", path, strerror (e));
  status = 1;
}

static int read_full (int fd, void *buf, size_t len)
{
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = read (fd, (char *) buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return done == 0 && n == 0 ? 0 : -1;
      done += (size_t) n;
    }
  return 1;
}

static int emit (uint8_t type, mode_t mode, uint64_t size, const char *name)
{
  struct cp_header h = { .type = type, .mode = mode & 07777, .size = size, .name_len = (uint32_t) strlen (name) };
  if (pr_write_all (1, &h, sizeof h) < 0 || pr_write_all (1, name, h.name_len) < 0)
    return -1;
  return 0;
}

/* ---- cp-out ---- */

static int out_file (int fd, const struct stat *st, const char *name)
{
  if (emit ('F', st->st_mode, (uint64_t) st->st_size, name) < 0)
    return -1;
  static char buf[65536];
  uint64_t left = (uint64_t) st->st_size;
  while (left > 0)
    {
      size_t want = left < sizeof buf ? (size_t) left : sizeof buf;
      ssize_t n = read (fd, buf, want);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          /* The file shrank (or failed) as it was read: the header promised `size` bytes. */
          memset (buf, 0, want);
          n = (ssize_t) want;
        }
      if (pr_write_all (1, buf, (size_t) n) < 0)
        return -1;
      left -= (uint64_t) n;
    }
  return 0;
}

static int out_link (int dirfd, const char *leaf, const char *name)
{
  char target[CP_MAX_NAME];
  ssize_t n = readlinkat (dirfd, leaf, target, sizeof target - 1);
  if (n < 0)
    {
      warn_errno ("readlink", name, errno);
      return 0;
    }
  target[n] = 0;
  if (emit ('L', 0777, (uint64_t) n, name) < 0 || pr_write_all (1, target, (size_t) n) < 0)
    return -1;
  return 0;
}

static int out_tree (int dirfd, char *name, size_t name_len, int depth);

/* One entry `leaf` of dirfd, shown as `name`; returns -1 only when stdout is gone. */
static int out_entry (int dirfd, const char *leaf, char *name, size_t name_len, int depth)
{
  struct stat st;
  if (fstatat (dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      warn_errno ("stat", name, errno);
      return 0;
    }
  if (S_ISLNK (st.st_mode))
    return out_link (dirfd, leaf, name);
  if (S_ISDIR (st.st_mode))
    {
      if (depth >= CP_MAX_DEPTH)
        {
          warn_errno ("", name, ELOOP);
          return 0;
        }
      int fd = openat (dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          warn_errno ("open", name, errno);
          return 0;
        }
      if (emit ('D', st.st_mode, 0, name) < 0)
        {
          close (fd);
          return -1;
        }
      return out_tree (fd, name, name_len, depth + 1);
    }
  if (S_ISREG (st.st_mode))
    {
      cleanup_close int fd = openat (dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (fd < 0)
        {
          warn_errno ("open", name, errno);
          return 0;
        }
      /* What was opened is what is sent: a swap after the stat above is seen here. */
      if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
        {
          warn_errno ("open", name, EINVAL);
          return 0;
        }
      return out_file (fd, &st, name);
    }
  fprintf (stderr, "skipping %s: not a regular file, directory or symlink\n", *name ? name : leaf);
  return 0;
}

/* Takes ownership of dirfd. `name` is a buffer of CP_MAX_NAME bytes holding the directory's name. */
static int out_tree (int dirfd, char *name, size_t name_len, int depth)
{
  DIR *d = fdopendir (dirfd);
  if (!d)
    {
      warn_errno ("opendir", name, errno);
      close (dirfd);
      return 0;
    }
  int r = 0;
  struct dirent *e;
  while (r == 0 && (errno = 0, e = readdir (d)))
    {
      if (!strcmp (e->d_name, ".") || !strcmp (e->d_name, ".."))
        continue;
      size_t len = strlen (e->d_name);
      size_t sep = name_len ? 1 : 0;
      if (name_len + sep + len >= CP_MAX_NAME)
        {
          warn_errno ("", e->d_name, ENAMETOOLONG);
          continue;
        }
      if (sep)
        name[name_len] = '/';
      memcpy (name + name_len + sep, e->d_name, len + 1);
      r = out_entry (dirfd, e->d_name, name, name_len + sep + len, depth);
      name[name_len] = 0;
    }
  closedir (d);
  return r;
}

static int copy_out (const char *path)
{
  struct stat st;
  /* The path itself is resolved as the container resolves it (its links, inside its root);
   * only a link at the very end is sent as a link, as tar sends it. */
  if (fstatat (AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      fprintf (stderr, "%s: %s\n", path, strerror (errno));
      return 2;
    }
  char name[CP_MAX_NAME] = "";
  if (S_ISLNK (st.st_mode))
    return out_link (AT_FDCWD, path, name) < 0 ? 1 : status;
  if (out_entry (AT_FDCWD, path, name, 0, 0) < 0)
    return 1;
  return status;
}

/* ---- cp-in ---- */

struct dir_mode
{
  char *name;
  mode_t mode;
};
static struct dir_mode *dir_modes;
static size_t n_dir_modes;

static int valid_name (const char *name)
{
  if (!*name)
    return 1;
  for (const char *p = name; *p;)
    {
      const char *slash = strchr (p, '/');
      size_t len = slash ? (size_t) (slash - p) : strlen (p);
      if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
      p += len;
      if (*p == '/')
        p++;
      if (slash && !*p)
        return 0;
    }
  return 1;
}

/* The directory that holds `name` (under the target `root`), opened without following any
 * link on the way: an entry sent earlier as a link is never gone through. */
static int open_parent (int root_parent, const char *root_leaf, const char *name, const char **leaf)
{
  if (!*name)
    {
      *leaf = root_leaf;
      return fcntl (root_parent, F_DUPFD_CLOEXEC, 3);
    }
  char path[CP_MAX_NAME + 256];
  const char *slash = strrchr (name, '/');
  *leaf = slash ? slash + 1 : name;
  snprintf (path, sizeof path, "%s%s%.*s", root_leaf, slash ? "/" : "", slash ? (int) (slash - name) : 0, name);
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH };
  return (int) syscall (SYS_openat2, root_parent, path, &how, sizeof how);
}

static int skip (uint64_t size)
{
  static char buf[65536];
  while (size > 0)
    {
      size_t want = size < sizeof buf ? (size_t) size : sizeof buf;
      if (read_full (0, buf, want) != 1)
        return -1;
      size -= want;
    }
  return 0;
}

static int in_file (int pfd, const char *leaf, const char *shown, mode_t mode, uint64_t size)
{
  int fd = openat (pfd, leaf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && (errno == ELOOP || errno == ETXTBSY))
    {
      /* A link (or a running binary) is replaced, never written through: tar's unlink first. */
      unlinkat (pfd, leaf, 0);
      fd = openat (pfd, leaf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    }
  if (fd < 0)
    {
      warn_errno ("open", shown, errno);
      return skip (size);
    }
  static char buf[65536];
  int failed = 0;
  while (size > 0)
    {
      size_t want = size < sizeof buf ? (size_t) size : sizeof buf;
      if (read_full (0, buf, want) != 1)
        {
          close (fd);
          return -1;
        }
      if (!failed && pr_write_all (fd, buf, want) < 0)
        {
          warn_errno ("write", shown, errno);
          failed = 1;
        }
      size -= want;
    }
  if (fchmod (fd, mode) < 0)
    warn_errno ("chmod", shown, errno);
  close (fd);
  return 0;
}

static void in_dir (int pfd, const char *leaf, const char *shown, const char *name, mode_t mode)
{
  struct stat st;
  if (fstatat (pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
    unlinkat (pfd, leaf, 0);
  /* Writable by us until the end, whatever its mode: what goes inside comes later. */
  if (mkdirat (pfd, leaf, 0700) < 0 && errno != EEXIST)
    {
      warn_errno ("mkdir", shown, errno);
      return;
    }
  struct dir_mode *grown = realloc (dir_modes, (n_dir_modes + 1) * sizeof *dir_modes);
  if (!grown)
    return;
  dir_modes = grown;
  dir_modes[n_dir_modes].name = strdup (name);
  dir_modes[n_dir_modes++].mode = mode;
}

static void in_link (int pfd, const char *leaf, const char *shown, const char *target)
{
  struct stat st;
  if (fstatat (pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
    unlinkat (pfd, leaf, 0);
  if (symlinkat (target, pfd, leaf) < 0)
    warn_errno ("symlink", shown, errno);
}

static int copy_in (const char *dest, const char *name)
{
  umask (0);
  char target[CP_MAX_NAME];
  struct stat st;
  /* kubectl cp: into DEST when it is a directory, else as DEST. */
  if (stat (dest, &st) == 0 && S_ISDIR (st.st_mode))
    snprintf (target, sizeof target, "%s/%s", dest, name);
  else
    snprintf (target, sizeof target, "%s", dest);
  char parent[CP_MAX_NAME];
  snprintf (parent, sizeof parent, "%s", target);
  char *slash = strrchr (parent, '/');
  const char *root_leaf;
  if (!slash)
    {
      root_leaf = target;
      strcpy (parent, ".");
    }
  else
    {
      root_leaf = target + (slash - parent) + 1;
      if (slash == parent)
        slash[1] = 0;
      else
        *slash = 0;
    }
  if (!*root_leaf || !strcmp (root_leaf, ".") || !strcmp (root_leaf, ".."))
    {
      fprintf (stderr, "%s: %s\n", dest, strerror (EINVAL));
      return 2;
    }
  cleanup_close int root_parent = open (parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_parent < 0)
    {
      fprintf (stderr, "%s: %s\n", parent, strerror (errno));
      return 2;
    }
  for (;;)
    {
      struct cp_header h;
      int r = read_full (0, &h, sizeof h);
      if (r == 0)
        break;
      char name_buf[CP_MAX_NAME];
      if (r < 0 || h.name_len >= sizeof name_buf || read_full (0, name_buf, h.name_len) < 0)
        {
          fprintf (stderr, "cp: the stream was cut short\n");
          return 1;
        }
      name_buf[h.name_len] = 0;
      char shown[CP_MAX_NAME * 2];
      snprintf (shown, sizeof shown, "%s%s%s", target, *name_buf ? "/" : "", name_buf);
      if (!valid_name (name_buf) || memchr (name_buf, 0, h.name_len))
        {
          fprintf (stderr, "cp: refusing the entry %s\n", shown);
          return 1;
        }
      const char *leaf;
      cleanup_close int pfd = open_parent (root_parent, root_leaf, name_buf, &leaf);
      if (pfd < 0)
        {
          warn_errno ("open", shown, errno);
          if (skip (h.size) < 0)
            return 1;
          continue;
        }
      mode_t mode = h.mode & 07777;
      switch (h.type)
        {
        case 'F':
          if (in_file (pfd, leaf, shown, mode, h.size) < 0)
            return 1;
          break;
        case 'D':
          in_dir (pfd, leaf, shown, name_buf, mode);
          if (skip (h.size) < 0)
            return 1;
          break;
        case 'L':
          {
            char link[CP_MAX_NAME];
            if (h.size >= sizeof link || read_full (0, link, (size_t) h.size) < 0)
              return 1;
            link[h.size] = 0;
            in_link (pfd, leaf, shown, link);
            break;
          }
        default:
          fprintf (stderr, "cp: unknown record type %d\n", h.type);
          return 1;
        }
    }
  /* Folder modes last (deepest first), so a read-only folder could still be filled. */
  for (size_t i = n_dir_modes; i-- > 0;)
    {
      const char *leaf;
      cleanup_close int pfd = open_parent (root_parent, root_leaf, dir_modes[i].name, &leaf);
      if (pfd < 0 || fchmodat (pfd, leaf, dir_modes[i].mode, 0) < 0)
        warn_errno ("chmod", dir_modes[i].name, errno);
    }
  return status;
}

int pr_copy_main (int argc, char **argv)
{
  prctl (PR_SET_NAME, "podrun:[cp]", 0, 0, 0);
  if (argc == 3 && !strcmp (argv[1], "cp-out"))
    return copy_out (argv[2]);
  if (argc == 4 && !strcmp (argv[1], "cp-in"))
    return copy_in (argv[2], argv[3]);
  fprintf (stderr, "usage: podrun-shim cp-out PATH | cp-in DEST NAME\n");
  return 2;
}
