/* `podrun-payload try CASE [ARGS...]`: one real attempt at something a container should (or,
 * under its twin's settings, should not) be refused, for the escape suite and the engineers who
 * build the defences. Prints `ok` when the kernel allowed it, or the errno's name (EPERM, ENOSYS,
 * EACCES, ...) when it refused, and exits 0 either way; 2 only for bad usage.
 *
 *   unshare-user | unshare-mount | unshare-net     unshare(2) with that one namespace flag, in a child
 *   clone3-newuser                                 clone3(2) with CLONE_NEWUSER (the child exits)
 *   mount-tmpfs DIR | mount-proc DIR               mount(2) there (unmounted again on success)
 *   mknod-char PATH MAJ MIN | mknod-block PATH MAJ MIN    mknod(2); the node is left for `open`
 *   open PATH [r|w|rw]                             open(2) (O_NONBLOCK, O_NOCTTY); r by default
 *   read PATH                                      open and read the first bytes (a directory: list it);
 *                                                  `empty` when there was nothing (a masked path)
 *   scan-exe                                       each visible pid: "PID EXE-TARGET VERDICT" of
 *                                                  opening /proc/PID/exe for reading
 *   write PATH TEXT                                open (O_CREAT, O_TRUNC) and write TEXT
 *   keyctl                                         add_key(2) of a "user" key to the process keyring
 *   io-uring                                       io_uring_setup(2) of a one-entry ring
 *   bpf [map|bad-cmd]                              bpf(2): an array map; bad-cmd asks an unknown
 *                                                  command, EINVAL whenever the syscall reaches bpf
 *   perf-event-open                                perf_event_open(2): this task's clock, user only
 *   userfaultfd                                    userfaultfd(2) with UFFD_USER_MODE_ONLY
 *   open-by-handle-at [PATH]                       name_to_handle_at then open_by_handle_at of PATH (/)
 *   ptrace PID                                     PTRACE_SEIZE (detached again on success)
 *   kill PID SIG                                   kill(2); SIG a number or a name (TERM, KILL, 0...)
 *   setuid-exec DIR [UID]                          as root: a setuid-root copy of this program in DIR,
 *                                                  run as UID (1000); ok if it ran with euid 0
 *   alloc MIB                                      allocate and touch MIB MiB, kept until exit
 *   forkbomb [N]                                   fork sleeping children until fork fails or N (4096)
 *                                                  exist; prints "COUNT ERRNO" (or "COUNT ok"), then
 *                                                  kills and reaps them
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attempts.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define KEY_SPEC_PROCESS_KEYRING (-2)

/* The verdict on one attempt: rc is the syscall's result, errno its reason. */
static int verdict (long rc)
{
  if (rc >= 0)
    printf ("ok\n");
  else
    {
      const char *name = strerrorname_np (errno);
      if (name)
        printf ("%s\n", name);
      else
        printf ("E%d\n", errno);
    }
  return 0;
}

static int usage (const char *what)
{
  fprintf (stderr, "payload: usage: try %s\n", what);
  return 2;
}

/* In a child, so that the attempts chained after this one run in the namespaces they began in. */
static int try_unshare (int flag)
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    _exit (unshare (flag) < 0 ? errno : 0);
  int status = 0;
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return verdict (-1);
  errno = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
  return verdict (errno ? -1 : 0);
}

static int try_clone3_newuser (void)
{
  struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
  long pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid == 0)
    _exit (0);
  if (pid > 0)
    waitpid ((pid_t) pid, NULL, 0);
  return verdict (pid);
}

static int try_mount (const char *type, const char *dir)
{
  int rc = mount (type, dir, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  int saved = errno;
  if (rc == 0)
    umount2 (dir, MNT_DETACH);
  errno = saved;
  return verdict (rc);
}

static int try_mknod (const char *path, mode_t type, const char *maj, const char *min)
{
  return verdict (mknod (path, type | 0666, makedev (atoi (maj), atoi (min))));
}

static int try_open (const char *path, const char *how)
{
  int flags = !strcmp (how, "w") ? O_WRONLY : !strcmp (how, "rw") ? O_RDWR : O_RDONLY;
  int fd = open (path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  int saved = errno;
  if (fd >= 0)
    close (fd);
  errno = saved;
  return verdict (fd);
}

static int try_read (const char *path)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return verdict (-1);
  struct stat st;
  long rc;
  char buf[4096];
  long entries = 0;
  if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      rc = syscall (SYS_getdents64, fd, buf, sizeof buf);
      for (long at = 0; at < rc;)
        {
          struct dirent64 *e = (struct dirent64 *) (buf + at);
          if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
            entries++;
          at += e->d_reclen;
        }
    }
  else
    entries = rc = read (fd, buf, sizeof buf);
  int saved = errno;
  close (fd);
  errno = saved;
  if (rc >= 0 && entries == 0)
    {
      /* A masked path reads as nothing at all: /dev/null or an empty read-only tmpfs. */
      printf ("empty\n");
      return 0;
    }
  return verdict (rc);
}

/* Every pid this process can see, but itself: "PID EXE-TARGET OPEN-VERDICT", where the verdict
   is that of opening /proc/PID/exe for reading (the CVE-2019-5736 step). */
static int try_scan_exe (void)
{
  DIR *d = opendir ("/proc");
  if (!d)
    return verdict (-1);
  struct dirent *e;
  pid_t self = getpid ();
  while ((e = readdir (d)))
    {
      if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi (e->d_name) == self)
        continue;
      char link[300], target[4096];
      snprintf (link, sizeof link, "/proc/%s/exe", e->d_name);
      ssize_t n = readlink (link, target, sizeof target - 1);
      const char *shown = target;
      if (n < 0)
        shown = strerrorname_np (errno);
      else
        target[n] = 0;
      int fd = open (link, O_RDONLY | O_CLOEXEC);
      const char *how = fd >= 0 ? "ok" : strerrorname_np (errno);
      if (fd >= 0)
        close (fd);
      printf ("%s %s %s\n", e->d_name, shown ? shown : "?", how ? how : "?");
    }
  closedir (d);
  return 0;
}

static int try_write (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
  if (fd < 0)
    return verdict (-1);
  size_t len = strlen (text);
  ssize_t n = write (fd, text, len);
  int saved = errno;
  if (close (fd) < 0 && n >= 0)
    return verdict (-1);
  errno = saved;
  return verdict (n);
}

static int try_keyctl (void)
{
  return verdict (syscall (SYS_add_key, "user", "podrun-try", "x", 1, KEY_SPEC_PROCESS_KEYRING));
}

static int try_io_uring (void)
{
  struct io_uring_params p;
  memset (&p, 0, sizeof p);
  long fd = syscall (SYS_io_uring_setup, 1, &p);
  int saved = errno;
  if (fd >= 0)
    close ((int) fd);
  errno = saved;
  return verdict (fd);
}

static int try_bpf (const char *how)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  long rc;
  if (!strcmp (how, "bad-cmd"))
    rc = syscall (SYS_bpf, 0x7fff, &attr, sizeof attr);
  else if (!strcmp (how, "map"))
    {
      attr.map_type = BPF_MAP_TYPE_ARRAY;
      attr.key_size = 4;
      attr.value_size = 4;
      attr.max_entries = 1;
      rc = syscall (SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    }
  else
    return usage ("bpf [map|bad-cmd]");
  int saved = errno;
  if (rc >= 0)
    close ((int) rc);
  errno = saved;
  return verdict (rc);
}

static int try_perf_event_open (void)
{
  struct perf_event_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall (SYS_perf_event_open, &attr, 0, -1, -1, 0);
  int saved = errno;
  if (fd >= 0)
    close ((int) fd);
  errno = saved;
  return verdict (fd);
}

static int try_userfaultfd (void)
{
  long fd = syscall (SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  int saved = errno;
  if (fd >= 0)
    close ((int) fd);
  errno = saved;
  return verdict (fd);
}

static int try_open_by_handle_at (const char *path)
{
  struct { struct file_handle fh; unsigned char bytes[MAX_HANDLE_SZ]; } h;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  if (name_to_handle_at (AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
    {
      fprintf (stderr, "payload: name_to_handle_at %s: %s\n", path, strerror (errno));
      return verdict (-1);
    }
  int mfd = open (path, O_RDONLY | O_CLOEXEC);
  if (mfd < 0)
    return verdict (-1);
  int fd = open_by_handle_at (mfd, &h.fh, O_RDONLY | O_CLOEXEC);
  int saved = errno;
  if (fd >= 0)
    close (fd);
  close (mfd);
  errno = saved;
  return verdict (fd);
}

static int try_ptrace (const char *pid_text)
{
  pid_t pid = (pid_t) atoi (pid_text);
  long rc = ptrace (PTRACE_SEIZE, pid, NULL, NULL);
  int saved = errno;
  if (rc == 0)
    {
      /* A seized tracee keeps running; interrupting it is the only way to detach cleanly. */
      ptrace (PTRACE_INTERRUPT, pid, NULL, NULL);
      waitpid (pid, NULL, __WALL);
      ptrace (PTRACE_DETACH, pid, NULL, NULL);
    }
  errno = saved;
  return verdict (rc);
}

static int signal_number (const char *text)
{
  if (text[0] >= '0' && text[0] <= '9')
    return atoi (text);
  if (!strncmp (text, "SIG", 3))
    text += 3;
  for (int s = 1; s < NSIG; s++)
    {
      const char *abbrev = sigabbrev_np (s);
      if (abbrev && !strcmp (abbrev, text))
        return s;
    }
  return -1;
}

static int try_kill (const char *pid_text, const char *sig_text)
{
  int sig = signal_number (sig_text);
  if (sig < 0)
    return usage ("kill PID SIG");
  return verdict (kill ((pid_t) atoi (pid_text), sig));
}

/* Copies this very program into DIR as a setuid-root file, then runs it as UID with
   `try setuid-check`, which reports whether its euid became 0. Inherits no_new_privs. */
static int try_setuid_exec (const char *dir, const char *uid_text)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/podrun-try-setuid", dir);
  unlink (path);
  int in = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (in < 0)
    {
      fprintf (stderr, "payload: /proc/self/exe: %s\n", strerror (errno));
      return 2;
    }
  int out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (out < 0)
    {
      fprintf (stderr, "payload: %s: %s\n", path, strerror (errno));
      return 2;
    }
  char buf[65536];
  ssize_t n;
  while ((n = read (in, buf, sizeof buf)) > 0)
    if (write (out, buf, (size_t) n) != n)
      break;
  close (in);
  if (n != 0 || close (out) < 0 || chown (path, 0, 0) < 0 || chmod (path, 04755) < 0)
    {
      fprintf (stderr, "payload: setting up %s: %s\n", path, strerror (errno));
      return 2;
    }
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      uid_t uid = (uid_t) atoi (uid_text);
      if (setgroups (0, NULL) < 0 || setresgid (uid, uid, uid) < 0 || setresuid (uid, uid, uid) < 0)
        {
          fprintf (stderr, "payload: becoming %u: %s\n", uid, strerror (errno));
          _exit (2);
        }
      execl (path, "podrun-payload", "try", "setuid-check", (char *) NULL);
      fprintf (stderr, "payload: exec %s: %s\n", path, strerror (errno));
      _exit (2);
    }
  int status = 0;
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return verdict (-1);
  unlink (path);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 2;
}

static int try_alloc (const char *mib_text)
{
  size_t bytes = (size_t) atol (mib_text) << 20;
  char *p = malloc (bytes);
  if (!p)
    return verdict (-1);
  for (size_t i = 0; i < bytes; i += 4096)
    p[i] = 1;
  /* Kept (not freed) so a chained `--then sleep` holds the memory. */
  return verdict (0);
}

static int try_forkbomb (const char *n_text)
{
  long max = n_text ? atol (n_text) : 4096;
  if (max <= 0)
    return usage ("forkbomb [N]");
  pid_t *kids = calloc ((size_t) max, sizeof *kids);
  if (!kids)
    return verdict (-1);
  fflush (stdout);
  long count = 0;
  int err = 0;
  pid_t parent = getpid ();
  while (count < max)
    {
      pid_t pid = fork ();
      if (pid == 0)
        {
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          if (getppid () != parent)
            _exit (0);
          for (;;)
            pause ();
        }
      if (pid < 0)
        {
          err = errno;
          break;
        }
      kids[count++] = pid;
    }
  for (long i = 0; i < count; i++)
    kill (kids[i], SIGKILL);
  for (long i = 0; i < count; i++)
    waitpid (kids[i], NULL, 0);
  free (kids);
  const char *name = err ? strerrorname_np (err) : NULL;
  printf ("%ld %s\n", count, err ? (name ? name : "E?") : "ok");
  return 0;
}

int payload_try (int argc, char **argv)
{
  if (argc < 2)
    return usage ("CASE [ARGS...]");
  const char *c = argv[1];
  const char *a = argc > 2 ? argv[2] : NULL;
  const char *b = argc > 3 ? argv[3] : NULL;
  const char *d = argc > 4 ? argv[4] : NULL;
  if (!strcmp (c, "unshare-user"))
    return try_unshare (CLONE_NEWUSER);
  if (!strcmp (c, "unshare-mount"))
    return try_unshare (CLONE_NEWNS);
  if (!strcmp (c, "unshare-net"))
    return try_unshare (CLONE_NEWNET);
  if (!strcmp (c, "clone3-newuser"))
    return try_clone3_newuser ();
  if (!strcmp (c, "mount-tmpfs") || !strcmp (c, "mount-proc"))
    return a ? try_mount (c + 6, a) : usage ("mount-tmpfs|mount-proc DIR");
  if (!strcmp (c, "mknod-char") || !strcmp (c, "mknod-block"))
    return d ? try_mknod (a, c[6] == 'c' ? S_IFCHR : S_IFBLK, b, d) : usage ("mknod-char|mknod-block PATH MAJ MIN");
  if (!strcmp (c, "open"))
    return a ? try_open (a, b ? b : "r") : usage ("open PATH [r|w|rw]");
  if (!strcmp (c, "read"))
    return a ? try_read (a) : usage ("read PATH");
  if (!strcmp (c, "scan-exe"))
    return try_scan_exe ();
  if (!strcmp (c, "write"))
    return b ? try_write (a, b) : usage ("write PATH TEXT");
  if (!strcmp (c, "keyctl"))
    return try_keyctl ();
  if (!strcmp (c, "io-uring"))
    return try_io_uring ();
  if (!strcmp (c, "bpf"))
    return try_bpf (a ? a : "map");
  if (!strcmp (c, "perf-event-open"))
    return try_perf_event_open ();
  if (!strcmp (c, "userfaultfd"))
    return try_userfaultfd ();
  if (!strcmp (c, "open-by-handle-at"))
    return try_open_by_handle_at (a ? a : "/");
  if (!strcmp (c, "ptrace"))
    return a ? try_ptrace (a) : usage ("ptrace PID");
  if (!strcmp (c, "kill"))
    return b ? try_kill (a, b) : usage ("kill PID SIG");
  if (!strcmp (c, "setuid-exec"))
    return a ? try_setuid_exec (a, b ? b : "1000") : usage ("setuid-exec DIR [UID]");
  if (!strcmp (c, "setuid-check"))
    {
      if (geteuid () == 0)
        return verdict (0);
      errno = EPERM;
      return verdict (-1);
    }
  if (!strcmp (c, "alloc"))
    return a ? try_alloc (a) : usage ("alloc MIB");
  if (!strcmp (c, "forkbomb"))
    return try_forkbomb (a);
  fprintf (stderr, "payload: unknown attempt %s\n", c);
  return 2;
}
