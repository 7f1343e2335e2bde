/* Shared helpers for the native core: errors in crun's style, cleanup attributes,
 * thin wrappers for system calls that glibc 2.36 does not wrap (or wraps only recently). */
#ifndef PODRUN_UTIL_H
#define PODRUN_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* An error names the operation and the path it touched: "mount `/proc`: EPERM". */
struct pr_error
{
  int errnum;
  char op[64];
  char path[448];
};

/* Records an error and returns -1, so callers can write `return pr_fail (err, errno, "open", path);`. */
int pr_fail (struct pr_error *err, int errnum, const char *op, const char *path);
/* "mount `/proc`: Operation not permitted" */
void pr_error_format (const struct pr_error *err, char *out, size_t len);

static inline void pr_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void pr_freep (void *p) { free (*(void **) p); }
#define cleanup_close __attribute__ ((cleanup (pr_closep)))
#define cleanup_free __attribute__ ((cleanup (pr_freep)))

/* Writes the whole buffer, retrying on EINTR and short writes. */
int pr_write_all (int fd, const void *buf, size_t len);

/* One message of LEN bytes with FD passed as SCM_RIGHTS (none when FD < 0); sendmsg's result.
 * Async-signal-safe: used between clone and exec. */
ssize_t pr_send_with_fd (int sock, const void *data, size_t len, int fd);
/* One message of at most LEN bytes (recvmsg FLAGS, EINTR retried); *FD the descriptor it carried
 * (CLOEXEC), else -1. recvmsg's result. */
ssize_t pr_recv_with_fd (int sock, void *data, size_t len, int flags, int *fd);
/* Replaces path atomically: write a temporary file beside it, rename over the old one. */
int pr_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, struct pr_error *err);
/* Reads a whole small file into a malloc'd NUL-terminated buffer. */
char *pr_read_file (const char *path, size_t *len);
/* RFC 3339 UTC with nanoseconds, as containerd and the CRI log format write it. */
void pr_rfc3339_now (char out[40]);
/* Field 22 of /proc/PID/stat (start time in clock ticks since boot); 0 when unreadable. */
unsigned long long pr_proc_start_time (pid_t pid);

/* System call wrappers. */
int pr_pidfd_open (pid_t pid, unsigned flags);
int pr_pidfd_send_signal (int pidfd, int sig);
int pr_close_range (unsigned first, unsigned last, unsigned flags);
/* Closes every descriptor above 2 except the n in `keep` (any order, n <= 64); async-signal-safe.
 * For a child of Node that waits on Node before it execs: see sandbox_child in spawn.c. */
int pr_close_all_but (const int *keep, int n);
int pr_pivot_root (const char *new_root, const char *put_old);
int pr_open_tree (int dirfd, const char *path, unsigned flags);
int pr_move_mount (int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned flags);
int pr_mount_setattr (int dirfd, const char *path, unsigned flags, uint64_t attr_set, uint64_t attr_clr);
/* mount_setattr's propagation alone: MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE. */
int pr_mount_propagation (int dirfd, const char *path, unsigned flags, uint64_t propagation);
int pr_fsopen (const char *fstype, unsigned flags);
int pr_fsconfig (int fd, unsigned cmd, const char *key, const void *value, int aux);
int pr_fsmount (int fd, unsigned flags, unsigned attr_flags);
int pr_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#endif
