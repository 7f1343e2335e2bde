/* Processes created from inside Node: the pod sandbox (the shim, exec'd as PID 1 of new
 * namespaces) and `exec` into a running container. Node is multi-threaded, so every child
 * path here between clone and execve uses only async-signal-safe system calls on buffers
 * prepared by the parent: no malloc, no stdio, no locks, no glibc setxid wrappers. */
#ifndef PODRUN_SPAWN_H
#define PODRUN_SPAWN_H

#include "identity.h"

struct pr_sandbox_req
{
  unsigned long long clone_flags; /* CLONE_NEW* chosen by the caller */
  const char *path;               /* the shim */
  /* >= 0: the shim, opened by the caller, exec'd through this fd: in a pod's own user namespace
   * (hostUsers: false as root) the owner of the path's folders (root's 0700 home) is unmapped,
   * so the path may not resolve there. */
  int exec_fd;
  char *const *argv;
  char *const *envp;
  const char *hostname;
  int log_fd;                     /* becomes the shim's stdout and stderr */
  /* >= 0: the namespaces are made inside this process's user namespace (rootless pods live in
   * the per-user network host's), joined by a middle child; clone_flags must not hold NEWUSER. */
  int join_userns_pidfd;
  /* Sockets the shim inherits as fds 4, 5, ... (published ports). */
  const int *keep_fds;
  int n_keep;
};

#define PR_SANDBOX_MAX_KEEP 32

struct pr_sandbox
{
  pid_t pid;
  int pidfd;
  int sync_fd;   /* write one byte once the id maps are written; closing it aborts the child */
  int ready_fd;  /* the shim's fd 3: one JSON line, then EOF */
};

/* clone3 from a thread of Node, with every signal blocked across it (libuv's
 * uv__spawn_and_init_child_fork does the same): the child starts with the full mask, so none of
 * Node's handlers, which write to libuv's signal pipe (shared with the child), can run in it.
 * The parent's mask is restored before returning. The child unblocks right before execve. */
pid_t pr_clone_from_node (unsigned long long flags, int *pidfd, int exit_signal);

/* Clones the sandbox; the child waits on sync_fd, then sets the hostname and execs the shim.
 * With join_userns_pidfd the shim is a grandchild made a child of the caller (CLONE_PARENT). */
int pr_sandbox_clone (const struct pr_sandbox_req *req, struct pr_sandbox *out, struct pr_error *err);

struct pr_exec_req
{
  int target_pidfd;               /* the container's init */
  int ns_flags;                   /* namespaces to join through the pidfd */
  struct pr_identity id;
  const char *cwd;
  char *const *argv;
  char *const *envp;
  const char *const *path_candidates; /* absolute paths to try in order (PATH resolved by the caller) */
  int program_fd;                 /* >= 0: execveat this host file instead (a tool podrun brings, not the image's) */
  int stdio[3];                   /* fds for the process's 0, 1, 2 (unused with tty) */
  bool tty;                       /* allocate a terminal in the container's own devpts */
  unsigned short rows, cols;
  int pty_sock;                   /* with tty: the container's pty master is sent back here (SCM_RIGHTS) */
  const char *const *cgroup_procs; /* the container's cgroup.procs files, joined before setns (NULL-terminated) */
};

struct pr_exec
{
  pid_t pid;    /* a child of the calling process (CLONE_PARENT), in the container's PID namespace */
  int pidfd;
};

int pr_exec_spawn (const struct pr_exec_req *req, struct pr_exec *out, struct pr_error *err);

#endif
