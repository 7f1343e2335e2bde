/* The cost of podrun's seccomp filter by itself, for bench/seccomp.js (built there with cc):
 *   seccomp-load RUNS < HEX
 * HEX is a filter as src/seccomp/compile.ts writes it. Prints one JSON line:
 *   load_us: fork + no_new_privs + seccomp(SET_MODE_FILTER) + exit, less the same without the
 *            seccomp call (medians of RUNS each, interleaved);
 *   call_ns: one getppid() under the filter, less without (a million each). */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static struct sock_fprog prog;

static void load (void)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    {
      perror ("seccomp");
      _exit (1);
    }
}

static double one (int filtered)
{
  double t0 = now_us ();
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (filtered)
        load ();
      else
        prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      _exit (0);
    }
  int st;
  waitpid (pid, &st, 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    exit (1);
  return now_us () - t0;
}

static double calls_ns (int filtered)
{
  int p[2];
  if (pipe (p) < 0)
    exit (1);
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (filtered)
        load ();
      const int n = 1000000;
      double t0 = now_us ();
      for (int i = 0; i < n; i++)
        syscall (SYS_getppid);
      double ns = (now_us () - t0) * 1000 / n;
      if (write (p[1], &ns, sizeof ns) != sizeof ns)
        _exit (1);
      _exit (0);
    }
  double ns = 0;
  if (read (p[0], &ns, sizeof ns) != sizeof ns)
    exit (1);
  waitpid (pid, NULL, 0);
  close (p[0]);
  close (p[1]);
  return ns;
}

int main (int argc, char **argv)
{
  int runs = argc > 1 ? atoi (argv[1]) : 200;
  static char hex[1 << 17];
  size_t n = fread (hex, 1, sizeof hex - 1, stdin);
  while (n && (hex[n - 1] == '\n' || hex[n - 1] == ' '))
    n--;
  hex[n] = 0;
  prog.len = (unsigned short) (n / 16);
  prog.filter = calloc (prog.len, sizeof (struct sock_filter));
  unsigned char *b = (unsigned char *) prog.filter;
  for (size_t i = 0; i < n / 2; i++)
    sscanf (hex + 2 * i, "%2hhx", &b[i]);
  double *with = calloc (runs, sizeof (double)), *without = calloc (runs, sizeof (double));
  for (int i = 0; i < runs; i++)
    {
      without[i] = one (0);
      with[i] = one (1);
    }
  qsort (with, runs, sizeof (double), cmp);
  qsort (without, runs, sizeof (double), cmp);
  double c1 = calls_ns (1), c0 = calls_ns (0);
  printf ("{\"insns\": %u, \"fork_us\": %.1f, \"fork_load_us\": %.1f, \"load_us\": %.1f, \"getppid_ns\": %.1f, \"getppid_filtered_ns\": %.1f}\n",
          prog.len, without[runs / 2], with[runs / 2], with[runs / 2] - without[runs / 2], c0, c1);
  return 0;
}
