#include "util.h"

#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

static void copy_bounded (char *dst, size_t len, const char *src)
{
  size_t i = 0;
  for (; src && src[i] && i + 1 < len; i++)
    dst[i] = src[i];
  dst[i] = '\0';
}

/* Async-signal-safe: used between clone and execve in children of Node. */
int pr_fail (struct pr_error *err, int errnum, const char *op, const char *path)
{
  if (err)
    {
      err->errnum = errnum;
      copy_bounded (err->op, sizeof err->op, op);
      copy_bounded (err->path, sizeof err->path, path);
    }
  errno = errnum;
  return -1;
}

void pr_error_format (const struct pr_error *err, char *out, size_t len)
{
  if (err->path[0])
    snprintf (out, len, "%s `%s`: %s", err->op, err->path, strerror (err->errnum));
  else
    snprintf (out, len, "%s: %s", err->op, strerror (err->errnum));
}

int pr_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int pr_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, struct pr_error *err)
{
  char tmp[4096];
  if ((size_t) snprintf (tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid ()) >= sizeof tmp)
    return pr_fail (err, ENAMETOOLONG, "write", path);
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return pr_fail (err, errno, "open", tmp);
  /* No fsync: records live in the runtime state root, which must survive the death of a
   * process, not of the machine (after a reboot no container of it is running anyway). */
  if (pr_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlink (tmp);
      return pr_fail (err, e, "write", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return pr_fail (err, e, "rename", path);
    }
  return 0;
}

char *pr_read_file (const char *path, size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc (cap);
  for (;;)
    {
      if (!buf)
        return NULL;
      if (n + 1 >= cap)
        {
          char *b = realloc (buf, cap *= 2);
          if (!b) { free (buf); return NULL; }
          buf = b;
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0) { free (buf); return NULL; }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

void pr_rfc3339_now (char out[40])
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
            tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (unsigned) ts.tv_nsec % 1000000000u);
}

unsigned long long pr_proc_start_time (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  cleanup_free char *stat = pr_read_file (path, NULL);
  if (!stat)
    return 0;
  /* The command name may contain spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr (stat, ')');
  if (!p)
    return 0;
  p++;
  for (int field = 3; field < 22 && p; field++)
    p = strchr (p + 1, ' ');
  return p ? strtoull (p + 1, NULL, 10) : 0;
}

int pr_pidfd_open (pid_t pid, unsigned flags) { return (int) syscall (SYS_pidfd_open, pid, flags); }
int pr_pidfd_send_signal (int pidfd, int sig) { return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int pr_close_range (unsigned first, unsigned last, unsigned flags) { return (int) syscall (SYS_close_range, first, last, flags); }
int pr_close_all_but (const int *keep, int n)
{
  int sorted[64];
  if (n < 0 || n > 64)
    {
      errno = E2BIG;
      return -1;
    }
  /* Insertion sort on the stack: no allocation between clone and execve. */
  for (int i = 0; i < n; i++)
    {
      int v = keep[i], j = i;
      for (; j > 0 && sorted[j - 1] > v; j--)
        sorted[j] = sorted[j - 1];
      sorted[j] = v;
    }
  unsigned from = 3;
  for (int i = 0; i < n; i++)
    {
      if (sorted[i] < (int) from)
        continue;
      if ((unsigned) sorted[i] > from && pr_close_range (from, (unsigned) sorted[i] - 1, 0) < 0)
        return -1;
      from = (unsigned) sorted[i] + 1;
    }
  return pr_close_range (from, ~0U, 0);
}

int pr_pivot_root (const char *new_root, const char *put_old) { return (int) syscall (SYS_pivot_root, new_root, put_old); }
int pr_open_tree (int dirfd, const char *path, unsigned flags) { return (int) syscall (SYS_open_tree, dirfd, path, flags); }

int pr_move_mount (int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned flags)
{
  return (int) syscall (SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

int pr_fsopen (const char *fstype, unsigned flags) { return (int) syscall (SYS_fsopen, fstype, flags); }
int pr_fsconfig (int fd, unsigned cmd, const char *key, const void *value, int aux)
{
  return (int) syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}
int pr_fsmount (int fd, unsigned flags, unsigned attr_flags) { return (int) syscall (SYS_fsmount, fd, flags, attr_flags); }

int pr_mount_setattr (int dirfd, const char *path, unsigned flags, uint64_t attr_set, uint64_t attr_clr)
{
  struct mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr };
  return (int) syscall (SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr);
}

ssize_t pr_send_with_fd (int sock, const void *data, size_t len, int fd)
{
  struct iovec iov = { (void *) data, len };
  union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } control;
  __builtin_memset (&control, 0, sizeof control);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0)
    {
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      __builtin_memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  ssize_t n;
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t pr_recv_with_fd (int sock, void *data, size_t len, int flags, int *fd)
{
  struct iovec iov = { data, len };
  union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  ssize_t n;
  do
    n = recvmsg (sock, &msg, flags | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  *fd = -1;
  struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR (&msg) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    __builtin_memcpy (fd, CMSG_DATA (c), sizeof (int));
  return n;
}

int pr_mount_propagation (int dirfd, const char *path, unsigned flags, uint64_t propagation)
{
  struct mount_attr attr = { .propagation = propagation };
  return (int) syscall (SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr);
}

int pr_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
  struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}
