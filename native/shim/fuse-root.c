/* A container root through fuse-overlayfs, where the kernel's overlayfs cannot mount (older
 * kernels in a user namespace): the shim mounts it in the pod's mount namespace before it
 * clones the container, whose new mount namespace gets a copy. fuse-overlayfs puts itself in
 * the background once the mount is up (so its exit status is the verdict), is reparented to the
 * shim (PID 1 of the pod) and ends when the root is unmounted at the container's exit, or with
 * the pod's PID namespace. */
#include "shim.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What fuse-overlayfs said on stderr, less the line it prints for every mount ("unknown
 * argument ignored: lazytime"), on one line. */
static void read_complaint (int fd, char *msg, size_t len)
{
  char buf[2048];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  size_t used = 0;
  msg[0] = '\0';
  for (char *line = strtok (buf, "\n"); line; line = strtok (NULL, "\n"))
    {
      if (strstr (line, "unknown argument ignored"))
        continue;
      used += (size_t) snprintf (msg + used, used < len ? len - used : 0, "%s%s", used ? "; " : "", line);
    }
}

int fuse_overlay_mount (const struct json *op, const char *target, struct pr_error *err, char *msg, size_t msglen)
{
  const char *program = json_str (op, "program", "");
  char data[8192];
  if (overlay_data (op, data, sizeof data, false) < 0)
    {
      snprintf (msg, msglen, "fuse-overlayfs: the layer list is too long");
      return pr_fail (err, ENAMETOOLONG, "fuse-overlayfs", target);
    }
  /* Everything the child needs is made before fork; it only redirects and execs. */
  char *const argv[] = { (char *) program, (char *) "-o", data, (char *) target, NULL };
  char *const envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
    return pr_fail (err, errno, "pipe2", NULL);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* Our signal mask (SIGCHLD and the rest, read through a signalfd) is not the program's. */
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (null >= 0)
        {
          dup2 (null, 0);
          dup2 (null, 1);
        }
      dup2 (pipefd[1], 2);
      /* Nothing else of the shim's (published ports, client sockets) goes with it. */
      syscall (SYS_close_range, 3, ~0U, 0);
      execve (program, argv, envp);
      _exit (127);
    }
  int fork_errno = errno;
  close (pipefd[1]);
  if (null >= 0)
    close (null);
  if (pid < 0)
    {
      close (pipefd[0]);
      return pr_fail (err, fork_errno, "fork", "fuse-overlayfs");
    }
  siginfo_t si = { 0 };
  while (waitid (P_PID, (id_t) pid, &si, WEXITED) < 0 && errno == EINTR)
    ;
  char said[1024];
  read_complaint (pipefd[0], said, sizeof said);
  close (pipefd[0]);
  if (si.si_code == CLD_EXITED && si.si_status == 0)
    return 0;
  if (si.si_code == CLD_EXITED && si.si_status == 127)
    snprintf (msg, msglen, "fuse-overlayfs: cannot run %s", program);
  else
    snprintf (msg, msglen, "fuse-overlayfs: %s", said[0] ? said : "the mount failed");
  return pr_fail (err, EIO, "fuse-overlayfs", target);
}

int probe_fuse_overlay (const struct json *op, char *msg, size_t msglen)
{
  struct pr_error err = { 0 };
  const char *target = json_str (op, "target", "");
  if (fuse_overlay_mount (op, target, &err, msg, msglen) < 0)
    return -1;
  umount2 (target, MNT_DETACH);
  return 0;
}
