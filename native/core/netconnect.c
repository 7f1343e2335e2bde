#include "netconnect.h"
#include "spawn.h"

#include <linux/sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* What the child sends back, with the socket itself as SCM_RIGHTS when it made one. */
struct netconnect_report
{
  int has_fd;
  struct pr_error err;
};

/* Runs in a fresh child of Node: async-signal-safe system calls on the parent's buffers only. */
static void child_connect (const struct pr_netconnect_req *req, int chan)
{
  struct netconnect_report r = { 0, { 0 } };
  int s = -1;
  /* Once in the pod's user namespace its root could ptrace us, and we are a copy of Node's
   * memory: not dumpable first (the exec path's middle child does the same). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* setns of a user namespace requires a single-threaded caller (mm_users == 1): true here,
   * never on a Node thread. Through a pidfd, both namespaces are joined in one atomic step. */
  if (req->target_pidfd >= 0
      && syscall (SYS_setns, req->target_pidfd, CLONE_NEWNET | (req->join_user ? CLONE_NEWUSER : 0)) < 0)
    pr_fail (&r.err, errno, "setns", "network namespace");
  else if (pr_netsocket (req, &s, &r.err) == 0)
    r.has_fd = 1;

  if (!(r.has_fd && r.err.errnum == 0))
    r.has_fd = 0;
  pr_send_with_fd (chan, &r, sizeof r, r.has_fd ? s : -1);
  _exit (0);
}

int pr_netsocket (const struct pr_netconnect_req *req, int *fd, struct pr_error *err)
{
  int s = socket (req->addr.ss_family, req->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0)
    return pr_fail (err, errno, "socket", req->label);
  if (req->listen)
    {
      int one = 1;
      /* A port left in TIME_WAIT by a deleted pod must be publishable again at once. */
      if (req->type == SOCK_STREAM)
        setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (s, (const struct sockaddr *) &req->addr, req->addrlen) < 0
          || (req->type == SOCK_STREAM && listen (s, 512) < 0))
        {
          int e = errno;
          close (s);
          return pr_fail (err, e, "bind", req->label);
        }
    }
  else if (connect (s, (const struct sockaddr *) &req->addr, req->addrlen) < 0 && errno != EINPROGRESS)
    {
      int e = errno;
      close (s);
      return pr_fail (err, e, "connect", req->label);
    }
  *fd = s;
  return 0;
}

int pr_connect_in_netns (const struct pr_netconnect_req *req, int *fd, struct pr_error *err)
{
  *fd = -1;
  int sp[2];
  /* SEQPACKET: the report and its descriptor arrive as one message, or not at all. */
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return pr_fail (err, errno, "socketpair", NULL);
  cleanup_close int ours = sp[0];
  cleanup_close int theirs = sp[1];

  /* exit_signal 0: no SIGCHLD, so libuv's child watcher is not woken for a process it does not
   * know; waitid then needs __WALL to see this "clone" child. No CLONE_VM: a process sharing
   * Node's memory would count as multi-threaded for setns(CLONE_NEWUSER). */
  int pidfd = -1;
  pid_t pid = pr_clone_from_node (0, &pidfd, 0);
  if (pid == 0)
    {
      close (ours);
      child_connect (req, theirs);
    }
  int clone_errno = errno;
  if (pid < 0)
    return pr_fail (err, clone_errno, "clone3", NULL);
  close (theirs);
  theirs = -1;

  /* The child makes a handful of system calls and exits; the connect itself does not block. */
  siginfo_t si;
  while (waitid (P_PIDFD, (id_t) pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
    ;
  close (pidfd);

  struct netconnect_report r = { 0, { 0 } };
  int got = -1;
  ssize_t n = pr_recv_with_fd (ours, &r, sizeof r, MSG_DONTWAIT, &got);
  if (n != (ssize_t) sizeof r)
    {
      if (got >= 0)
        close (got);
      return pr_fail (err, EIO, "connect", "the namespace helper died");
    }
  if (r.err.errnum != 0 || got < 0)
    {
      if (got >= 0)
        close (got);
      *err = r.err;
      if (err->errnum == 0)
        pr_fail (err, EIO, "connect", "no socket came back from the namespace helper");
      errno = err->errnum;
      return -1;
    }
  *fd = got;
  return 0;
}
