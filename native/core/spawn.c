#include "spawn.h"
#include "cgroup.h"

#include <linux/sched.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

/* Restores what a fresh process expects: default dispositions and an empty mask
 * (Node ignores SIGPIPE and SIGXFSZ, and ignored dispositions survive execve). */
static void reset_signals (void)
{
  struct sigaction sa = { 0 };
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

pid_t pr_clone_from_node (unsigned long long flags, int *pidfd, int exit_signal)
{
  sigset_t all, saved;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &saved);
  struct clone_args args = {
    .flags = flags | CLONE_PIDFD,
    .pidfd = (uint64_t) (uintptr_t) pidfd,
    .exit_signal = (uint64_t) exit_signal,
  };
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  if (pid != 0)
    {
      int e = errno;
      pthread_sigmask (SIG_SETMASK, &saved, NULL);
      errno = e;
    }
  return pid;
}

static pid_t clone3_pidfd (unsigned long long flags, int *pidfd)
{
  return pr_clone_from_node (flags, pidfd, SIGCHLD);
}

static void report_and_exit (int fd, struct pr_error *err)
{
  pr_write_all (fd, err, sizeof *err);
  _exit (127);
}

static size_t put_json_string (char *out, size_t at, size_t cap, const char *s)
{
  if (at < cap) out[at++] = '"';
  for (; *s && at + 2 < cap; s++)
    {
      if (*s == '"' || *s == '\\')
        out[at++] = '\\';
      out[at++] = (*s >= 0 && *s < 0x20) ? ' ' : *s;
    }
  if (at < cap) out[at++] = '"';
  return at;
}

static size_t put_text (char *out, size_t at, size_t cap, const char *s)
{
  while (*s && at < cap)
    out[at++] = *s++;
  return at;
}

/* The sandbox's fd 3 speaks JSON lines (the shim's readiness line); a failure before the shim
 * runs is written there in the same shape, formatted by hand because snprintf is not safe here. */
__attribute__ ((noreturn)) static void report_json_and_exit (int fd, const struct pr_error *err)
{
  char line[1024], num[16];
  size_t at = 0, cap = sizeof line - 2;
  int e = err->errnum, i = sizeof num;
  do
    num[--i] = (char) ('0' + e % 10);
  while ((e /= 10) && i > 0);
  at = put_text (line, at, cap, "{\"ok\":false,\"errno\":");
  while (i < (int) sizeof num && at < cap)
    line[at++] = num[i++];
  at = put_text (line, at, cap, ",\"op\":");
  at = put_json_string (line, at, cap, err->op);
  at = put_text (line, at, cap, ",\"path\":");
  at = put_json_string (line, at, cap, err->path);
  at = put_text (line, at, cap, "}\n");
  pr_write_all (fd, line, at);
  _exit (127);
}

/* The sandbox child, from its clone to the shim's execve: async-signal-safe only. */
__attribute__ ((noreturn)) static void sandbox_child (const struct pr_sandbox_req *req, int sync_fd, int ready_fd, bool in_userns)
{
  struct pr_error cerr = { 0 };
  /* First, before waiting on Node: every descriptor inherited and not needed goes. This child
   * holds a copy of each descriptor Node had open when it was cloned (CLOEXEC ones go only at
   * execve), among them the write ends of pipes Node is reading to EOF on its main thread: a
   * spawnSync's stdout, another sandbox's ready pipe. Holding them while Node's main thread
   * waits for that EOF, and it for Node's release, deadlocked 50 pods started at once. */
  int needed[PR_SANDBOX_MAX_KEEP + 4];
  int n_needed = 0;
  needed[n_needed++] = sync_fd;
  needed[n_needed++] = ready_fd;
  needed[n_needed++] = req->log_fd;
  if (req->exec_fd >= 0)
    needed[n_needed++] = req->exec_fd;
  for (int i = 0; i < req->n_keep; i++)
    needed[n_needed++] = req->keep_fds[i];
  if (pr_close_all_but (needed, n_needed) < 0)
    report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "close_range", NULL), &cerr));
  char byte;
  if (read (sync_fd, &byte, 1) != 1)
    _exit (1); /* the parent gave up before releasing us */
  if (in_userns && (syscall (SYS_setresgid, 0, 0, 0) < 0 || syscall (SYS_setresuid, 0, 0, 0) < 0))
    report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "setresuid", "0"), &cerr));
  if (req->hostname && sethostname (req->hostname, __builtin_strlen (req->hostname)) < 0)
    report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "sethostname", req->hostname), &cerr));
  /* Out of Node's session and process group: a Ctrl-C at the CLI must not reach the pod. */
  setsid ();
  /* Kept sockets go to 4, 5, ...: first out of the way (above any target), then into place. */
  int moved[PR_SANDBOX_MAX_KEEP];
  for (int i = 0; i < req->n_keep; i++)
    if ((moved[i] = fcntl (req->keep_fds[i], F_DUPFD_CLOEXEC, 64)) < 0)
      report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "fcntl F_DUPFD", "published port"), &cerr));
  int exe = req->exec_fd >= 0 ? fcntl (req->exec_fd, F_DUPFD_CLOEXEC, 64) : -1;
  if (req->exec_fd >= 0 && exe < 0)
    report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "fcntl F_DUPFD", req->path), &cerr));
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (req->log_fd, 1) < 0 || dup2 (req->log_fd, 2) < 0
      || dup2 (ready_fd, 3) < 0)
    report_json_and_exit (ready_fd, (pr_fail (&cerr, errno, "dup2", NULL), &cerr));
  for (int i = 0; i < req->n_keep; i++)
    if (dup2 (moved[i], 4 + i) < 0)
      report_json_and_exit (3, (pr_fail (&cerr, errno, "dup2", "published port"), &cerr));
  pr_close_range (4 + (unsigned) req->n_keep, ~0U, CLOSE_RANGE_CLOEXEC);
  reset_signals ();
  if (exe >= 0)
    syscall (SYS_execveat, exe, "", req->argv, req->envp, AT_EMPTY_PATH);
  else
    execve (req->path, req->argv, req->envp);
  report_json_and_exit (3, (pr_fail (&cerr, errno, "execve", req->path), &cerr));
}

/* Joining a user namespace needs a single-threaded caller, and a PID namespace applies to
 * children only: a middle child joins, then clones the sandbox as a child of Node
 * (CLONE_PARENT, exit signal SIGCHLD from the middle child's own), and reports its pid. */
static int sandbox_clone_joined (const struct pr_sandbox_req *req, int sync[2], int ready[2], pid_t *out_pid,
                                 struct pr_error *err)
{
  struct mid_report { pid_t pid; struct pr_error err; };
  int midp[2];
  if (pipe2 (midp, O_CLOEXEC) < 0)
    return pr_fail (err, errno, "pipe2", NULL);
  int mid_fd = -1;
  pid_t mid = clone3_pidfd (0, &mid_fd);
  if (mid < 0)
    {
      int e = errno;
      close (midp[0]); close (midp[1]);
      return pr_fail (err, e, "clone3", NULL);
    }
  if (mid == 0)
    {
      /* --- child of Node: async-signal-safe only --- */
      struct mid_report r = { -1, { 0 } };
      close (midp[0]);
      prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
      if (syscall (SYS_setns, req->join_userns_pidfd, CLONE_NEWUSER) < 0)
        pr_fail (&r.err, errno, "setns", "user namespace of the network host");
      else
        {
          struct clone_args args = { .flags = (req->clone_flags & ~(unsigned long long) CLONE_NEWUSER) | CLONE_PARENT };
          r.pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
          if (r.pid == 0)
            {
              close (midp[1]);
              close (sync[1]);
              close (ready[0]);
              sandbox_child (req, sync[0], ready[1], true);
            }
          if (r.pid < 0)
            pr_fail (&r.err, errno, "clone3", "sandbox");
        }
      pr_write_all (midp[1], &r, sizeof r);
      _exit (r.pid > 0 ? 0 : 1);
    }
  close (midp[1]);
  siginfo_t si;
  while (waitid (P_PIDFD, (id_t) mid_fd, &si, WEXITED) < 0 && errno == EINTR)
    ;
  close (mid_fd);
  struct mid_report r = { -1, { 0 } };
  ssize_t n = read (midp[0], &r, sizeof r);
  close (midp[0]);
  if (n != (ssize_t) sizeof r)
    return pr_fail (err, EIO, "clone3", "the setup process died");
  if (r.pid <= 0)
    {
      *err = r.err;
      return -1;
    }
  *out_pid = r.pid;
  return 0;
}

int pr_sandbox_clone (const struct pr_sandbox_req *req, struct pr_sandbox *out, struct pr_error *err)
{
  if (req->n_keep < 0 || req->n_keep > PR_SANDBOX_MAX_KEEP)
    return pr_fail (err, E2BIG, "sandbox", "too many published ports");
  int sync[2], ready[2];
  if (pipe2 (sync, O_CLOEXEC) < 0)
    return pr_fail (err, errno, "pipe2", NULL);
  if (pipe2 (ready, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (sync[0]);
      close (sync[1]);
      return pr_fail (err, e, "pipe2", NULL);
    }
  int pidfd = -1;
  pid_t pid;
  if (req->join_userns_pidfd >= 0)
    {
      /* The sandbox is our own child and nobody else reaps it (libuv waits only for the pids
       * it spawned), so pidfd_open by pid is race-free. */
      if (sandbox_clone_joined (req, sync, ready, &pid, err) < 0)
        {
          close (sync[0]); close (sync[1]); close (ready[0]); close (ready[1]);
          return -1;
        }
      if ((pidfd = pr_pidfd_open (pid, 0)) < 0)
        {
          int e = errno;
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          close (sync[0]); close (sync[1]); close (ready[0]); close (ready[1]);
          return pr_fail (err, e, "pidfd_open", "sandbox");
        }
    }
  else
    {
      pid = clone3_pidfd (req->clone_flags, &pidfd);
      if (pid < 0)
        {
          int e = errno;
          close (sync[0]); close (sync[1]); close (ready[0]); close (ready[1]);
          return pr_fail (err, e, "clone3", NULL);
        }
      if (pid == 0)
        {
          /* --- child of Node: async-signal-safe only from here to execve --- */
          close (sync[1]);
          close (ready[0]);
          sandbox_child (req, sync[0], ready[1], (req->clone_flags & CLONE_NEWUSER) != 0);
        }
    }
  close (sync[0]);
  close (ready[1]);
  out->pid = pid;
  out->pidfd = pidfd;
  out->sync_fd = sync[1];
  out->ready_fd = ready[0];
  return 0;
}

static void exec_child (const struct pr_exec_req *req, const int stdio[3], int report)
{
  struct pr_error cerr = { 0 };
  if (req->tty)
    {
      setsid ();
      ioctl (stdio[0], TIOCSCTTY, 0);
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (stdio[i], i) < 0)
      report_and_exit (report, (pr_fail (&cerr, errno, "dup2", NULL), &cerr));
  if (pr_identity_apply (&req->id, &cerr) < 0)
    report_and_exit (report, &cerr);
  if (chdir (req->cwd) < 0)
    report_and_exit (report, (pr_fail (&cerr, errno, "chdir", req->cwd), &cerr));
  pr_close_range (3, ~0U, CLOSE_RANGE_CLOEXEC);
  reset_signals ();
  /* The container's seccomp filter (with no_new_privs; without, pr_identity_apply loaded it),
   * decoded by the addon before the clone: from here only execve. */
  if (pr_identity_seccomp_late (&req->id, &cerr) < 0)
    report_and_exit (report, &cerr);
  if (req->program_fd >= 0)
    {
      /* The file was opened on the host before setns; it runs whatever the container's root
       * holds (podrun-shim is static, so no loader is looked up in the container). */
      syscall (SYS_execveat, req->program_fd, "", req->argv, req->envp, AT_EMPTY_PATH);
      report_and_exit (report, (pr_fail (&cerr, errno, "execveat", req->argv[0]), &cerr));
    }
  int saved = ENOENT;
  for (const char *const *p = req->path_candidates; *p; p++)
    {
      execve (*p, req->argv, req->envp);
      if (errno != ENOENT && errno != ENOTDIR)
        saved = errno;
    }
  report_and_exit (report, (pr_fail (&cerr, saved, saved == ENOENT ? "executable file not found in $PATH" : "exec",
                                     req->argv[0]),
                            &cerr));
}

/* The terminal of `exec -t` belongs to the container: opened from its own devpts (so `tty` names
 * it and it is owned by the container's user); the master goes back to the caller over
 * SCM_RIGHTS. Runs in the middle child, after setns: async-signal-safe calls only. */
static int open_container_pty (const struct pr_exec_req *req, int stdio[3], struct pr_error *err)
{
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return pr_fail (err, errno, "open", "/dev/ptmx");
  int unlock = 0;
  struct winsize ws = { .ws_row = req->rows ? req->rows : 24, .ws_col = req->cols ? req->cols : 80 };
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return pr_fail (err, errno, "ioctl TIOCSPTLCK", "/dev/ptmx");
  ioctl (master, TIOCSWINSZ, &ws);
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return pr_fail (err, errno, "ioctl TIOCGPTPEER", "/dev/ptmx");
  if (fchown (slave, req->id.uid, (gid_t) -1) < 0 && errno != EINVAL)
    return pr_fail (err, errno, "fchown", "pty");
  char byte = 0;
  if (pr_send_with_fd (req->pty_sock, &byte, 1, master) < 0)
    return pr_fail (err, errno, "sendmsg", "pty");
  close (master);
  stdio[0] = stdio[1] = stdio[2] = slave;
  return 0;
}

int pr_exec_spawn (const struct pr_exec_req *req, struct pr_exec *out, struct pr_error *err)
{
  /* Two channels: the middle child reports {pid, error}; the grandchild reports an error,
   * or nothing (EOF) once execve succeeds. */
  struct mid_report { pid_t pid; struct pr_error err; };
  int midp[2], errp[2];
  if (pipe2 (midp, O_CLOEXEC) < 0)
    return pr_fail (err, errno, "pipe2", NULL);
  if (pipe2 (errp, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (midp[0]); close (midp[1]);
      return pr_fail (err, e, "pipe2", NULL);
    }
  int mid_fd = -1;
  pid_t mid = clone3_pidfd (0, &mid_fd);
  if (mid < 0)
    {
      int e = errno;
      close (midp[0]); close (midp[1]); close (errp[0]); close (errp[1]);
      return pr_fail (err, e, "clone3", NULL);
    }
  if (mid == 0)
    {
      /* --- child of Node: async-signal-safe only --- */
      struct mid_report r = { -1, { 0 } };
      close (midp[0]);
      close (errp[0]);
      prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
      int stdio[3] = { req->stdio[0], req->stdio[1], req->stdio[2] };
      /* The container's cgroups first, by their host paths (gone from view after setns into its
       * mount namespace); the process that runs inherits them. */
      if (pr_cgroup_join (req->cgroup_procs, &r.err) < 0)
        ;
      else if (syscall (SYS_setns, req->target_pidfd, req->ns_flags) < 0)
        pr_fail (&r.err, errno, "setns", "container");
      else if (req->tty && open_container_pty (req, stdio, &r.err) < 0)
        ;
      else
        {
          /* A PID namespace applies to children only: the process that runs is a second child,
           * made a child of Node itself (CLONE_PARENT) so that Node's pidfd collects its status. */
          r.pid = (pid_t) syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
          if (r.pid == 0)
            {
              close (midp[1]);
              exec_child (req, stdio, errp[1]);
            }
          if (r.pid < 0)
            pr_fail (&r.err, errno, "clone", NULL);
        }
      pr_write_all (midp[1], &r, sizeof r);
      _exit (r.pid > 0 ? 0 : 1);
    }
  close (midp[1]);
  close (errp[1]);
  siginfo_t si;
  waitid (P_PIDFD, (id_t) mid_fd, &si, WEXITED);
  close (mid_fd);

  struct mid_report r = { -1, { 0 } };
  ssize_t n = read (midp[0], &r, sizeof r);
  close (midp[0]);
  if (n != (ssize_t) sizeof r || r.pid <= 0)
    {
      close (errp[0]);
      if (n == (ssize_t) sizeof r)
        *err = r.err;
      else
        pr_fail (err, EIO, "exec", "the setup process died");
      return -1;
    }
  /* The grandchild is our own child and nobody else reaps it (libuv waits only for the pids it
   * spawned), so pidfd_open by pid is race-free here. */
  int pidfd = pr_pidfd_open (r.pid, 0);
  struct pr_error cerr;
  do
    n = read (errp[0], &cerr, sizeof cerr);
  while (n < 0 && errno == EINTR);
  close (errp[0]);
  if (n == (ssize_t) sizeof cerr)
    {
      if (pidfd >= 0)
        {
          waitid (P_PIDFD, (id_t) pidfd, &si, WEXITED);
          close (pidfd);
        }
      *err = cerr;
      return -1;
    }
  if (pidfd < 0)
    return pr_fail (err, errno, "pidfd_open", NULL);
  out->pid = r.pid;
  out->pidfd = pidfd;
  return 0;
}
