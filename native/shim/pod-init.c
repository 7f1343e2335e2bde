/* The pod's init for a shared PID namespace (shareProcessNamespace), as the pause container is
 * in Kubernetes: PID 1 of the namespace the containers share, so that the shim itself stays
 * outside it. Were the shim PID 1 there, a container with CAP_SYS_PTRACE would reach the host's
 * files through /proc/1/root, the shim's descriptors through /proc/1/fd and its binary through
 * /proc/1/exe (the CVE-2019-5736 class). This init holds nothing: its root is an empty read-only
 * tmpfs in a mount namespace of its own, it has no descriptor, no capability and no_new_privs,
 * it runs from a sealed copy of the shim in memory, and it only reaps the orphans the namespace
 * hands it. It dies with the shim (PDEATHSIG), and
 * when it dies the kernel ends every process of the namespace. */
#define _GNU_SOURCE
#include "pod-init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/identity.h"

static int init_pidfd = -1;

/* In the child: everything it needs set up before the parent lets containers near it. */
static int become_empty (void)
{
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return -1;
  prctl (PR_SET_NAME, "podrun:[pod]", 0, 0, 0);
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  if (mount ("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555") < 0)
    return -1;
  if (chdir ("/tmp") < 0 || syscall (SYS_pivot_root, ".", ".") < 0 || umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    return -1;
  for (int cap = 0; cap <= pr_cap_last () && cap < 64; cap++)
    if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return -1;
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct none[2] = { { 0 } };
  if (syscall (SYS_capset, &hdr, none) < 0)
    return -1;
  return 0;
}

/* A sealed copy of this very program in memory, so that /proc/1/exe of the namespace names no
   file of the host (runc's answer to CVE-2019-5736 for its own binary). */
static int sealed_self (void)
{
  int in = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int mfd = (int) syscall (SYS_memfd_create, "podrun-pod-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  if (in < 0 || mfd < 0 || fstat (in, &st) < 0)
    return -1;
  for (off_t done = 0; done < st.st_size;)
    {
      ssize_t n = sendfile (mfd, in, NULL, (size_t) (st.st_size - done));
      if (n <= 0)
        return -1;
      done += n;
    }
  close (in);
  if (fcntl (mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return -1;
  return mfd;
}

static __attribute__ ((noreturn)) void init_child (int ready)
{
  int self = sealed_self ();
  int e = self < 0 || become_empty () < 0 ? errno : 0;
  if (!e)
    {
      char fd[16];
      snprintf (fd, sizeof fd, "%d", ready);
      char *argv[] = { (char *) "podrun:[pod]", (char *) "pod-init", fd, NULL };
      char *envp[] = { NULL };
      if (fcntl (ready, F_SETFD, 0) == 0)
        syscall (SYS_execveat, self, "", argv, envp, AT_EMPTY_PATH);
      e = errno;
    }
  ssize_t n = write (ready, &e, sizeof e);
  (void) n;
  _exit (1);
}

int pod_init_main (int argc, char **argv)
{
  /* execve made us dumpable again: not so, before anything else. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int ready = argc > 2 ? atoi (argv[2]) : -1;
  if (ready < 3)
    return 2;
  syscall (SYS_close_range, 0U, (unsigned) ready - 1, 0U);
  syscall (SYS_close_range, (unsigned) ready + 1, ~0U, 0U);
  int ok = 0;
  ssize_t n = write (ready, &ok, sizeof ok);
  (void) n;
  close (ready);
  /* The shim's mask, kept through execve, blocks every signal; SIGCHLD stays pending for sigtimedwait. */
  sigset_t chld;
  sigemptyset (&chld);
  sigaddset (&chld, SIGCHLD);
  for (;;)
    {
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      struct timespec tick = { 60, 0 };
      sigtimedwait (&chld, NULL, &tick);
    }
}

int pod_init_pidfd (struct pr_error *err)
{
  if (init_pidfd >= 0)
    {
      if (syscall (SYS_pidfd_send_signal, init_pidfd, 0, NULL, 0) == 0)
        return init_pidfd;
      close (init_pidfd); /* gone: the namespace went with it, a new one begins */
      init_pidfd = -1;
    }
  int ready[2];
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return pr_fail (err, errno, "pipe2", "pod init");
  int pidfd = -1;
  struct clone_args args = {
    .flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_PIDFD,
    .pidfd = (uint64_t) (uintptr_t) &pidfd,
    .exit_signal = SIGCHLD,
  };
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  if (pid == 0)
    {
      close (ready[0]);
      init_child (ready[1]);
    }
  int e = errno;
  close (ready[1]);
  if (pid < 0)
    {
      close (ready[0]);
      return pr_fail (err, e, "clone3", "pod init");
    }
  int child_err = EIO;
  ssize_t n;
  do
    n = read (ready[0], &child_err, sizeof child_err);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  if (n != sizeof child_err || child_err)
    {
      syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      close (pidfd);
      return pr_fail (err, n == sizeof child_err ? child_err : EIO, "setting up", "the pod's init (shared PID namespace)");
    }
  init_pidfd = pidfd;
  return init_pidfd;
}
