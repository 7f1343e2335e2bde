/* podrun-payload: a small static program the tests run as container workload, so that
 * what they assert does not depend on the tools of any image (crun's tests/init.c idea).
 *
 *   payload CMD [ARGS...]   several commands may be chained with `--then`:
 *     echo TEXT...            print to stdout          err TEXT...    print to stderr
 *     exit N                  exit with N              sleep SECS     sleep (fractions allowed)
 *     hostname                print the hostname       pid            print getpid()
 *     ns                      print net,ipc,uts,mnt,pid,user namespace inodes, one "name inode" a line
 *     cat FILE                print a file             write FILE TEXT   write TEXT to FILE
 *     ls DIR                  list names, one a line   pids           list the visible pids
 *     fds                     list open fds            id             print uid, gid, groups
 *     status KEY              print that line of /proc/self/status
 *     env NAME                print $NAME              cwd            print the working directory
 *     stat FILE               print "uid gid mode"     serve-http PORT [TEXT]  answer GET with TEXT
 *     serve-http-status PORT CODE     answer with that status   serve-http-echo PORT   answer with the request head
 *     serve-http-redirect PORT URL    answer 302 to URL         serve-tcp PORT         accept, never answer
 *     trap-term               exit 0 on SIGTERM, waiting forever meanwhile
 *     serve-udp PORT TEXT     answer each datagram with "TEXT:" and the datagram
 *     serve-bench PORT        the network benchmark's server   bench-tcp HOST PORT MIB RTTS CONNS  its client
 *     tree DIR                every entry below DIR: "path type mode size links [-> target]"
 *                             (size and links for files only), to compare trees
 *     try CASE [ARGS...]      one attempt the escape suite makes: prints ok or the errno's name
 *                             (attempts.c lists the cases)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attempts.h"

static int fail (const char *what)
{
  fprintf (stderr, "payload: %s: %s\n", what, strerror (errno));
  return 1;
}

static int cmd_ls (const char *dir, bool numeric_only)
{
  DIR *d = opendir (dir);
  if (!d)
    return fail (dir);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
        continue;
      if (numeric_only && (e->d_name[0] < '0' || e->d_name[0] > '9'))
        continue;
      printf ("%s\n", e->d_name);
    }
  closedir (d);
  return 0;
}

static int cmd_cat (const char *path)
{
  FILE *f = fopen (path, "r");
  if (!f)
    return fail (path);
  char buf[4096];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    fwrite (buf, 1, n, stdout);
  fclose (f);
  return 0;
}

enum serve_mode { SERVE_TEXT, SERVE_STATUS, SERVE_ECHO, SERVE_REDIRECT, SERVE_SILENT };

static const char *reason (int code)
{
  switch (code)
    {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* One request a connection, answered and closed: TEXT with 200, CODE with its own number as
 * body, ECHO with the request head as body, REDIRECT with 302 to a Location; SILENT accepts
 * and never answers (timeouts). */
static int cmd_serve (int port, enum serve_mode mode, const char *arg)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (bind (s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (s, 64) < 0)
    return fail ("bind");
  printf ("listening on %d\n", port);
  fflush (stdout);
  int held[64], nheld = 0;
  for (;;)
    {
      int c = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0)
        continue;
      if (mode == SERVE_SILENT)
        {
          /* Keep the connection open, unanswered; the oldest goes once 64 are held. */
          if (nheld == 64)
            {
              close (held[0]);
              memmove (held, held + 1, sizeof held[0] * 63);
              nheld--;
            }
          held[nheld++] = c;
          continue;
        }
      char req[4096];
      ssize_t n = read (c, req, sizeof req - 1);
      req[n > 0 ? n : 0] = '\0';
      char *end = strstr (req, "\r\n\r\n");
      if (end)
        end[2] = '\0';
      int code = 200;
      char body[4200];
      char extra[512] = "";
      switch (mode)
        {
        case SERVE_STATUS:
          code = atoi (arg);
          snprintf (body, sizeof body, "status %d\n", code);
          break;
        case SERVE_ECHO:
          snprintf (body, sizeof body, "%s", req);
          break;
        case SERVE_REDIRECT:
          code = 302;
          snprintf (body, sizeof body, "moved\n");
          snprintf (extra, sizeof extra, "Location: %s\r\n", arg);
          break;
        default:
          snprintf (body, sizeof body, "%s", arg);
        }
      char resp[8192];
      int len = snprintf (resp, sizeof resp,
                          "HTTP/1.1 %d %s\r\n%sContent-Length: %zu\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n%s",
                          code, reason (code), extra, strlen (body), body);
      if (write (c, resp, (size_t) len) < 0)
        (void) 0;
      close (c);
    }
}

static void on_term (int sig)
{
  (void) sig;
  printf ("got SIGTERM\n");
  fflush (stdout);
  _exit (0);
}

static size_t tree_base;

static int tree_entry (const char *p, const struct stat *st, int flag, struct FTW *f)
{
  (void) flag;
  if (f->level == 0)
    return 0;
  char type = S_ISDIR (st->st_mode) ? 'd' : S_ISLNK (st->st_mode) ? 'l' : S_ISCHR (st->st_mode) ? 'c'
              : S_ISBLK (st->st_mode) ? 'b' : S_ISFIFO (st->st_mode) ? 'p' : S_ISSOCK (st->st_mode) ? 's' : 'f';
  printf ("%s %c %o", p + tree_base, type, (unsigned) (st->st_mode & 07777));
  if (type == 'f')
    printf (" %lld %lu", (long long) st->st_size, (unsigned long) st->st_nlink);
  if (type == 'l')
    {
      char t[4096];
      ssize_t n = readlink (p, t, sizeof t - 1);
      t[n > 0 ? n : 0] = '\0';
      printf (" -> %s", t);
    }
  putchar ('\n');
  return 0;
}

static int cmd_tree (const char *dir)
{
  tree_base = strlen (dir) + 1;
  return nftw (dir, tree_entry, 32, FTW_PHYS) < 0 ? fail ("nftw") : 0;
}

static int cmd_serve_udp (int port, const char *text)
{
  int s = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (s < 0 || bind (s, (struct sockaddr *) &a, sizeof a) < 0)
    {
      perror ("bind");
      return 1;
    }
  for (;;)
    {
      char in[2048], out[4096];
      struct sockaddr_storage from;
      socklen_t len = sizeof from;
      ssize_t n = recvfrom (s, in, sizeof in, 0, (struct sockaddr *) &from, &len);
      if (n < 0)
        continue;
      int m = snprintf (out, sizeof out, "%s:%.*s", text, (int) n, in);
      sendto (s, out, (size_t) m, 0, (struct sockaddr *) &from, len);
    }
}

/* The network benchmark's two ends (bench/network.js), the same binary on the host and in
 * pods so every path is measured with the same code. The server takes one connection at a
 * time; its first byte picks the mode: 'S' sink (read to EOF, answer the byte count), 'E' echo
 * (every byte comes back). */
static int cmd_serve_bench (int port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (bind (s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (s, 128) < 0)
    return fail ("bind");
  static char buf[1 << 18];
  for (;;)
    {
      int c = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0)
        continue;
      setsockopt (c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      char mode;
      if (read (c, &mode, 1) != 1)
        {
          close (c);
          continue;
        }
      unsigned long long total = 0;
      ssize_t n;
      if (mode == 'S')
        {
          while ((n = read (c, buf, sizeof buf)) > 0)
            total += (unsigned long long) n;
          write (c, &total, sizeof total);
        }
      else
        while ((n = read (c, buf, sizeof buf)) > 0)
          if (write (c, buf, (size_t) n) != n)
            break;
      close (c);
    }
}

static double mono_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int dial (const char *host, int port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  inet_pton (AF_INET, host, &sa.sin_addr);
  if (connect (s, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      close (s);
      return -1;
    }
  setsockopt (s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

static int cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* bench-tcp HOST PORT MIB RTTS CONNS: bulk throughput (MiB/s), median round trip of one byte on
 * a kept connection (us), median new connection with one round trip (us), as one JSON line. */
static int cmd_bench_tcp (const char *host, int port, int mib, int rtts, int conns)
{
  static char buf[1 << 18];
  memset (buf, 'x', sizeof buf);
  int s = dial (host, port);
  if (s < 0)
    return fail ("connect");
  double t0 = mono_us ();
  write (s, "S", 1);
  unsigned long long want = (unsigned long long) mib << 20, sent = 0, got = 0;
  while (sent < want)
    {
      ssize_t n = write (s, buf, sizeof buf);
      if (n <= 0)
        return fail ("write");
      sent += (unsigned long long) n;
    }
  shutdown (s, SHUT_WR);
  if (read (s, &got, sizeof got) != sizeof got || got != sent)
    return fail ("sink count");
  double mibps = (double) sent / (1 << 20) / ((mono_us () - t0) / 1e6);
  close (s);

  double *rtt = calloc ((size_t) rtts, sizeof *rtt), *conn = calloc ((size_t) conns, sizeof *conn);
  s = dial (host, port);
  char c = 'E';
  if (s < 0 || write (s, &c, 1) != 1)
    return fail ("connect");
  for (int i = 0; i < rtts; i++)
    {
      double a = mono_us ();
      if (write (s, "x", 1) != 1 || read (s, &c, 1) != 1)
        return fail ("echo");
      rtt[i] = mono_us () - a;
    }
  close (s);
  for (int i = 0; i < conns; i++)
    {
      double a = mono_us ();
      s = dial (host, port);
      if (s < 0 || write (s, "Ex", 2) != 2 || read (s, &c, 1) != 1)
        return fail ("connect");
      close (s);
      conn[i] = mono_us () - a;
    }
  qsort (rtt, (size_t) rtts, sizeof *rtt, cmp_double);
  qsort (conn, (size_t) conns, sizeof *conn, cmp_double);
  printf ("{\"mibps\":%.1f,\"rtt_us\":%.1f,\"conn_us\":%.1f}\n", mibps, rtt[rtts / 2], conn[conns / 2]);
  return 0;
}

static int run (int argc, char **argv)
{
  const char *cmd = argv[0];
  if (!strcmp (cmd, "echo") || !strcmp (cmd, "err"))
    {
      FILE *out = cmd[0] == 'e' && cmd[1] == 'c' ? stdout : stderr;
      for (int i = 1; i < argc; i++)
        fprintf (out, "%s%s", argv[i], i + 1 < argc ? " " : "");
      fprintf (out, "\n");
      fflush (out);
      return 0;
    }
  if (!strcmp (cmd, "exit"))
    exit (argc > 1 ? atoi (argv[1]) : 0);
  if (!strcmp (cmd, "sleep"))
    {
      double secs = argc > 1 ? atof (argv[1]) : 3600 * 24;
      struct timespec ts = { (time_t) secs, (long) ((secs - (double) (time_t) secs) * 1e9) };
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
      return 0;
    }
  if (!strcmp (cmd, "hostname"))
    {
      char h[256];
      gethostname (h, sizeof h);
      printf ("%s\n", h);
      return 0;
    }
  if (!strcmp (cmd, "pid"))
    return printf ("%d\n", (int) getpid ()) < 0;
  if (!strcmp (cmd, "ns"))
    {
      static const char *const names[] = { "net", "ipc", "uts", "mnt", "pid", "user", "cgroup", NULL };
      for (int i = 0; names[i]; i++)
        {
          char path[64];
          struct stat st;
          snprintf (path, sizeof path, "/proc/self/ns/%s", names[i]);
          if (stat (path, &st) == 0)
            printf ("%s %lu\n", names[i], (unsigned long) st.st_ino);
        }
      return 0;
    }
  if (!strcmp (cmd, "cat") && argc > 1)
    return cmd_cat (argv[1]);
  if (!strcmp (cmd, "write") && argc > 2)
    {
      FILE *f = fopen (argv[1], "w");
      if (!f)
        return fail (argv[1]);
      fprintf (f, "%s", argv[2]);
      return fclose (f) != 0 ? fail (argv[1]) : 0;
    }
  if (!strcmp (cmd, "ls") && argc > 1)
    return cmd_ls (argv[1], false);
  if (!strcmp (cmd, "pids"))
    return cmd_ls ("/proc", true);
  if (!strcmp (cmd, "fds"))
    {
      /* List before opendir adds its own descriptor to the count. */
      int fd = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      DIR *d = fdopendir (fd);
      struct dirent *e;
      while (d && (e = readdir (d)))
        if (e->d_name[0] != '.' && atoi (e->d_name) != fd)
          printf ("%s\n", e->d_name);
      return 0;
    }
  if (!strcmp (cmd, "id"))
    {
      gid_t groups[64];
      int n = getgroups (64, groups);
      printf ("uid=%d gid=%d groups=", (int) getuid (), (int) getgid ());
      for (int i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) groups[i]);
      printf ("\n");
      return 0;
    }
  if (!strcmp (cmd, "status") && argc > 1)
    {
      FILE *f = fopen ("/proc/self/status", "r");
      char line[512];
      size_t klen = strlen (argv[1]);
      while (f && fgets (line, sizeof line, f))
        if (!strncmp (line, argv[1], klen) && line[klen] == ':')
          fputs (line, stdout);
      if (f)
        fclose (f);
      return 0;
    }
  if (!strcmp (cmd, "env") && argc > 1)
    {
      const char *v = getenv (argv[1]);
      printf ("%s\n", v ? v : "");
      return 0;
    }
  if (!strcmp (cmd, "cwd"))
    {
      char buf[4096];
      printf ("%s\n", getcwd (buf, sizeof buf) ? buf : "?");
      return 0;
    }
  if (!strcmp (cmd, "stat") && argc > 1)
    {
      struct stat st;
      if (stat (argv[1], &st) < 0)
        return fail (argv[1]);
      printf ("%d %d %o\n", (int) st.st_uid, (int) st.st_gid, (unsigned) (st.st_mode & 07777));
      return 0;
    }
  if (!strcmp (cmd, "serve-http") && argc > 1)
    return cmd_serve (atoi (argv[1]), SERVE_TEXT, argc > 2 ? argv[2] : "ok");
  if (!strcmp (cmd, "serve-http-status") && argc > 2)
    return cmd_serve (atoi (argv[1]), SERVE_STATUS, argv[2]);
  if (!strcmp (cmd, "serve-http-echo") && argc > 1)
    return cmd_serve (atoi (argv[1]), SERVE_ECHO, "");
  if (!strcmp (cmd, "serve-http-redirect") && argc > 2)
    return cmd_serve (atoi (argv[1]), SERVE_REDIRECT, argv[2]);
  if (!strcmp (cmd, "tree") && argc > 1)
    return cmd_tree (argv[1]);
  if (!strcmp (cmd, "serve-bench") && argc > 1)
    return cmd_serve_bench (atoi (argv[1]));
  if (!strcmp (cmd, "bench-tcp") && argc > 5)
    return cmd_bench_tcp (argv[1], atoi (argv[2]), atoi (argv[3]), atoi (argv[4]), atoi (argv[5]));
  if (!strcmp (cmd, "serve-udp") && argc > 2)
    return cmd_serve_udp (atoi (argv[1]), argv[2]);
  if (!strcmp (cmd, "serve-tcp") && argc > 1)
    return cmd_serve (atoi (argv[1]), SERVE_SILENT, "");
  if (!strcmp (cmd, "try"))
    return payload_try (argc, argv);
  if (!strcmp (cmd, "trap-term"))
    {
      signal (SIGTERM, on_term);
      for (;;)
        pause ();
    }
  fprintf (stderr, "payload: unknown command %s\n", cmd);
  return 2;
}

int main (int argc, char **argv)
{
  /* Busybox style: invoked through a link named after a command, run that command. */
  const char *base = strrchr (argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strcmp (base, "payload") != 0 && strcmp (base, "podrun-payload") != 0)
    {
      argv[0] = (char *) base;
      return run (argc, argv);
    }
  argv++;
  argc--;
  if (argc < 1)
    {
      fprintf (stderr, "usage: payload CMD [ARGS...] [--then CMD ...]\n");
      return 2;
    }
  int start = 0, rc = 0;
  for (int i = 0; i <= argc; i++)
    if (i == argc || !strcmp (argv[i], "--then"))
      {
        argv[i < argc ? i : argc] = NULL;
        rc = run (i - start, argv + start);
        /* Each command's output reaches the log before the next one runs (a chain may end
           in `sleep`, and stdout is a file there, so fully buffered). */
        fflush (stdout);
        if (rc != 0)
          return rc;
        start = i + 1;
      }
  return rc;
}
