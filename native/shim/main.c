/* podrun-shim: the pod's long-lived process.
 *
 *   podrun-shim POD_DIR        (exec'd by the addon as PID 1 of the pod's new namespaces)
 *
 * Reads POD_DIR/shim-config.json, makes the pod-level mounts in its private mount namespace,
 * brings `lo` up, listens on POD_DIR/shim.sock (JSON lines, one request per line, one reply
 * per request, events to subscribers), reports readiness on fd 3, and then serves until told
 * to shut down. It reaps every process of the pod; exits of containers become exit records. */
#include "shim.h"
#include "pod-init.h"
#include "ports.h"
#include "protocol.h"

#include "../core/cgroup.h"
#include "../core/netlink.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

struct client
{
  struct client *next;
  int fd;
  bool subscribed;
  struct container *attached; /* after `attach`, the connection carries raw bytes both ways */
  char *buf;
  size_t len, cap;
};

static struct container *containers;
static struct client *clients;
static int epfd = -1, listen_fd = -1, sig_fd = -1;
static bool shutting_down;
static const char *pod_dir;
static struct json *shim_config;
int host_mount_ns = -1;
static char **remove_on_exit; /* folders to delete once every container is gone */

enum tag { TAG_LISTEN = 1, TAG_SIGNAL, TAG_CLIENT, TAG_STDOUT, TAG_STDERR, TAG_PORT };
/* epoll data: the low 3 bits carry the tag, the rest a pointer (structs are 8-byte aligned). */
static uint64_t pack (enum tag t, void *p) { return (uint64_t) (uintptr_t) p | t; }

static void ep_add (int fd, enum tag t, void *p)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = pack (t, p) };
  epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void send_line (int fd, const char *line)
{
  /* Clients are local and read promptly; a client that does not is dropped on EAGAIN. */
  pr_write_all (fd, line, strlen (line));
}

static void broadcast (const char *line)
{
  for (struct client *cl = clients; cl; cl = cl->next)
    if (cl->subscribed)
      send_line (cl->fd, line);
}

static void reply_error (int fd, long long id, const struct pr_error *err, const char *message)
{
  struct jbuf b;
  jb_init (&b);
  jb_obj_begin (&b);
  jb_key_int (&b, "id", id);
  jb_key_bool (&b, "ok", false);
  jb_key_str (&b, "error", message);
  jb_key_int (&b, "errno", err ? err->errnum : 0);
  if (err && err->op[0])
    jb_key_str (&b, "op", err->op);
  if (err && err->path[0])
    jb_key_str (&b, "path", err->path);
  jb_obj_end (&b);
  jb_raw (&b, "\n");
  send_line (fd, b.data);
  jb_free (&b);
}

static pid_t host_pid_of_pidfd (int pidfd)
{
  /* /proc here is the host's procfs, so fdinfo reports the pid in the host's namespace. */
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
  cleanup_free char *info = pr_read_file (path, NULL);
  char *p = info ? strstr (info, "\nPid:") : NULL;
  return p ? (pid_t) strtol (p + 5, NULL, 10) : -1;
}

static void client_close (struct client *cl);

/* The container's fuse-overlayfs root goes at its exit (fuse-overlayfs then ends); the next
 * attempt mounts its own. */
static void release_fuse_root (struct container *c)
{
  if (!c->fuse_root)
    return;
  umount2 (c->fuse_root, MNT_DETACH);
  free (c->fuse_root);
  c->fuse_root = NULL;
}

static void container_free (struct container *c)
{
  release_fuse_root (c);
  /* Attached clients end with the container's output. */
  for (struct client *cl = clients, *next; cl; cl = next)
    {
      next = cl->next;
      if (cl->attached == c)
        client_close (cl);
    }
  if (c->stdin_fd >= 0) close (c->stdin_fd);
  if (c->pidfd >= 0) close (c->pidfd);
  if (c->out.fd >= 0) close (c->out.fd);
  if (c->err.fd >= 0) close (c->err.fd);
  if (c->log_fd >= 0) close (c->log_fd);
  free (c->name);
  free (c->exit_path);
  free (c->log_path);
  free (c->oom_path);
  free (c->procs_path);
  free (c);
}

/* A container is forgotten once it has exited and both of its pipes are at EOF. */
static void container_gc (void)
{
  for (struct container **pp = &containers; *pp;)
    {
      struct container *c = *pp;
      if (!c->running && c->out.fd < 0 && c->err.fd < 0)
        {
          *pp = c->next;
          container_free (c);
        }
      else
        pp = &c->next;
    }
}

static void emit_exit_event (const struct container *c, int code, int sig, const char *finished)
{
  struct jbuf b;
  jb_init (&b);
  jb_obj_begin (&b);
  jb_key_str (&b, "event", "exit");
  jb_key_str (&b, "name", c->name);
  jb_key_int (&b, "attempt", c->attempt);
  jb_key_int (&b, "exitCode", code);
  jb_key_int (&b, "signal", sig);
  jb_key_str (&b, "finishedAt", finished);
  jb_obj_end (&b);
  jb_raw (&b, "\n");
  broadcast (b.data);
  jb_free (&b);
}

/* Every process still in a cgroup (its cgroup.procs), killed: a container's leftovers once its
 * init is gone, where no PID namespace ends with it. */
static void kill_cgroup (const char *procs)
{
  size_t len;
  cleanup_free char *text = pr_read_file (procs, &len);
  for (char *p = text, *end; p && *p; p = end)
    {
      long pid = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pid > 0)
        kill ((pid_t) pid, SIGKILL);
    }
}

static void container_exited (struct container *c, const siginfo_t *si)
{
  int code = 0, sig = 0;
  char finished[40];
  if (si->si_code == CLD_EXITED)
    code = si->si_status;
  else
    {
      sig = si->si_status;
      code = 128 + sig;
    }
  /* Output written before the exit is already in the pipes: log it before the record. */
  log_stream_read (c, &c->out, true);
  log_stream_read (c, &c->err, true);
  pr_rfc3339_now (finished);
  c->running = false;
  if (c->procs_path && c->procs_path[0])
    kill_cgroup (c->procs_path);
  release_fuse_root (c);
  /* The kernel's OOM killer ended a process of this container's cgroup since it started: the
   * kubelet's OOMKilled (containerd reports it from the same memory cgroup event). */
  bool oom = c->oom_path && c->oom_path[0] && pr_cgroup_oom_kills (c->oom_path) > c->oom_base;
  write_exit_record (c->exit_path, c, code, sig, oom ? "OOMKilled" : NULL, NULL, finished);
  emit_exit_event (c, code, sig, finished);
}

static void reap (void)
{
  for (;;)
    {
      siginfo_t si = { 0 };
      /* Peek first: a container's exit must be collected with its status, an orphan's just reaped. */
      if (waitid (P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
        return;
      struct container *c = containers;
      while (c && !(c->running && c->pid == si.si_pid))
        c = c->next;
      siginfo_t done = { 0 };
      waitid (P_PID, (id_t) si.si_pid, &done, WEXITED);
      if (c)
        container_exited (c, &done);
    }
}

static struct container *find_running (const char *name)
{
  for (struct container *c = containers; c; c = c->next)
    if (c->running && strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

/* A start that failed before the container ran: recorded as the kubelet shows it (reason
 * StartError, exit code 128), answered, and the container forgotten. */
static void start_failed (int fd, long long id, struct container *c, const struct pr_error *err, const char *msg)
{
  char finished[40];
  pr_rfc3339_now (finished);
  write_exit_record (c->exit_path, c, 128, 0, "StartError", msg, finished);
  reply_error (fd, id, err, msg);
  container_free (c);
}

static void handle_start (int fd, long long id, const struct json *plan)
{
  /* The plan's shape was checked with the request (protocol.c): every member is here. */
  const char *name = json_str (plan, "name", ""), *log_path = json_str (plan, "logPath", ""),
             *start_path = json_str (plan, "startPath", ""), *exit_path = json_str (plan, "exitPath", "");
  struct pr_error err = { 0 };
  char msg[1024];
  if (json_int (plan, "logMaxFiles", 0) < 1)
    {
      reply_error (fd, id, NULL, "start: container.logMaxFiles: Invalid value: must be at least 1");
      return;
    }
  if (find_running (name))
    {
      pr_fail (&err, EEXIST, "start", name);
      reply_error (fd, id, &err, "container is already running");
      return;
    }
  struct container *c = calloc (1, sizeof *c);
  c->name = strdup (name);
  c->exit_path = strdup (exit_path);
  c->attempt = json_int (plan, "attempt", 0);
  c->pidfd = c->out.fd = c->err.fd = c->stdin_fd = -1;
  c->out.tag = "stdout";
  c->err.tag = "stderr";
  c->log_path = strdup (log_path);
  c->oom_path = strdup (json_str (json_get (plan, "cgroup"), "oomCounter", ""));
  c->oom_base = c->oom_path[0] ? pr_cgroup_oom_kills (c->oom_path) : 0;
  /* Its own PID namespace ends with its init; a shared one does not: its cgroup says what is its. */
  const struct json *procs = json_get (json_get (plan, "cgroup"), "procs");
  bool shares_pidns = !json_bool (plan, "newPidns", true) || json_str (plan, "targetContainer", NULL);
  c->procs_path = strdup (shares_pidns && procs && procs->child && procs->child->type == JSON_STRING ? procs->child->string : "");
  c->log_max_size = json_int (plan, "logMaxSize", 0);
  c->log_max_files = (long) json_int (plan, "logMaxFiles", 1);
  c->log_seq = 1;
  c->log_fd = open (log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat log_st;
  if (c->log_fd >= 0 && fstat (c->log_fd, &log_st) == 0)
    c->log_size = log_st.st_size;
  if (c->log_fd < 0)
    {
      pr_fail (&err, errno, "open", log_path);
      pr_error_format (&err, msg, sizeof msg);
      reply_error (fd, id, &err, msg);
      container_free (c);
      return;
    }
  /* An ephemeral container with a target joins that container's PID namespace. */
  const char *target = json_str (plan, "targetContainer", NULL);
  struct container *tc = target ? find_running (target) : NULL;
  if (target && !tc)
    {
      pr_fail (&err, ESRCH, "targetContainerName", target);
      snprintf (msg, sizeof msg, "target container \"%s\" is not running", target);
      pr_rfc3339_now (c->started_at);
      start_failed (fd, id, c, &err, msg);
      return;
    }
  pr_rfc3339_now (c->started_at);
  const struct json *ops = json_get (plan, "ops");
  const struct json *root_op = ops ? ops->child : NULL;
  if (root_op && strcmp (json_str (root_op, "type", ""), "fuse-overlayfs") == 0)
    {
      const char *root = json_str (plan, "root", "");
      if (fuse_overlay_mount (root_op, root, &err, msg, sizeof msg) < 0)
        {
          start_failed (fd, id, c, &err, msg);
          return;
        }
      c->fuse_root = strdup (root);
    }
  int r = container_spawn (plan, c, tc ? tc->pidfd : -1, &err, msg, sizeof msg);
  if (c->pid > 0)
    {
      c->host_pid = host_pid_of_pidfd (c->pidfd);
      c->start_time = pr_proc_start_time (c->host_pid);
    }
  if (r < 0)
    {
      /* The child failed before execve: collect it here. */
      if (c->pid > 0)
        {
          siginfo_t si;
          waitid (P_PID, (id_t) c->pid, &si, WEXITED);
        }
      start_failed (fd, id, c, &err, msg);
      return;
    }
  fcntl (c->out.fd, F_SETFL, O_NONBLOCK);
  fcntl (c->err.fd, F_SETFL, O_NONBLOCK);
  ep_add (c->out.fd, TAG_STDOUT, c);
  ep_add (c->err.fd, TAG_STDERR, c);
  c->running = true;
  c->next = containers;
  containers = c;
  write_start_record (start_path, c);

  struct jbuf b;
  jb_init (&b);
  jb_obj_begin (&b);
  jb_key_int (&b, "id", id);
  jb_key_bool (&b, "ok", true);
  jb_key_int (&b, "pid", c->host_pid);
  jb_key_int (&b, "startTime", (long long) c->start_time);
  jb_key_str (&b, "startedAt", c->started_at);
  jb_obj_end (&b);
  jb_raw (&b, "\n");
  send_line (fd, b.data);
  jb_free (&b);
}

void attach_forward (struct container *c, const char *data, size_t len)
{
  for (struct client *cl = clients; cl; cl = cl->next)
    if (cl->attached == c)
      pr_write_all (cl->fd, data, len);
}

/* In the host's PID namespace (a hostPID pod) kill(-1) would reach the whole machine. There, what
 * the containers left behind are the shim's own descendants: each comes back to it (a child
 * subreaper) when its parent dies. Kills the live children (not zombies); the number killed. */
static int kill_children (void)
{
  DIR *d = opendir ("/proc");
  if (!d)
    return 0;
  pid_t self = getpid ();
  int killed = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      char *end;
      long pid = strtol (e->d_name, &end, 10);
      if (*end || pid <= 0)
        continue;
      char path[64], buf[1024];
      snprintf (path, sizeof path, "/proc/%ld/stat", pid);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      ssize_t n = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (n <= 0)
        continue;
      buf[n] = '\0';
      /* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so from its last ')'. */
      const char *p = strrchr (buf, ')');
      char state;
      long ppid;
      if (!p || sscanf (p + 1, " %c %ld", &state, &ppid) != 2 || ppid != self || state == 'Z')
        continue;
      if (kill ((pid_t) pid, SIGKILL) == 0)
        killed++;
    }
  closedir (d);
  return killed;
}

static void kill_all (int sig)
{
  for (struct container *c = containers; c; c = c->next)
    if (c->running)
      pr_pidfd_send_signal (c->pidfd, sig);
  if (sig != SIGKILL)
    return;
  /* As PID 1 of the pod, -1 reaches every other process in it, including daemons that a container
   * with a shared PID namespace left behind holding its log pipes. */
  if (getpid () == 1)
    kill (-1, SIGKILL);
  else
    kill_children ();
}

/* The host's PID namespace at the end: descendants killed round by round (a dead one's children
 * come back to us only once it is gone) and reaped, for at most about two seconds. */
static void end_descendants (void)
{
  if (getpid () == 1)
    return;
  for (int round = 0; round < 200; round++)
    {
      int killed = kill_children ();
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      if (killed == 0)
        return;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

static void handle_request (struct client *cl, const char *line, size_t len)
{
  const char *perr = NULL;
  struct json *req = json_parse (line, len, &perr);
  if (!req)
    {
      reply_error (cl->fd, 0, NULL, perr);
      return;
    }
  long long id = json_int (req, "id", 0);
  const char *op = json_str (req, "op", "");
  char bad[1024];
  if (protocol_check_request (req, bad, sizeof bad) < 0)
    {
      /* Refused whole: nothing below reads a member the request lacks or mistypes. */
      struct pr_error err = { 0 };
      pr_fail (&err, EINVAL, "request", NULL);
      reply_error (cl->fd, id, &err, bad);
      json_free (req);
      return;
    }
  char ok[128];
  snprintf (ok, sizeof ok, "{\"id\":%lld,\"ok\":true}\n", id);
  if (strcmp (op, "hello") == 0)
    {
      snprintf (ok, sizeof ok, "{\"id\":%lld,\"ok\":true,\"protocol\":%d}\n", id, SHIM_PROTOCOL);
      send_line (cl->fd, ok);
    }
  else if (strcmp (op, "subscribe") == 0)
    {
      cl->subscribed = true;
      send_line (cl->fd, ok);
    }
  else if (strcmp (op, "start") == 0)
    handle_start (cl->fd, id, json_get (req, "container"));
  else if (strcmp (op, "probe-fuse-overlayfs") == 0)
    {
      char msg[1024];
      struct pr_error err = { 0 };
      if (probe_fuse_overlay (req, msg, sizeof msg) < 0)
        {
          pr_fail (&err, EIO, "fuse-overlayfs", json_str (req, "target", ""));
          reply_error (cl->fd, id, &err, msg);
        }
      else
        send_line (cl->fd, ok);
    }
  else if (strcmp (op, "probe-overlay") == 0)
    {
      struct pr_error err = { 0 };
      if (probe_overlay (req, &err) < 0)
        reply_error (cl->fd, id, &err, "overlay cannot be mounted here");
      else
        send_line (cl->fd, ok);
    }
  else if (strcmp (op, "signal") == 0)
    {
      struct container *c = find_running (json_str (req, "name", ""));
      struct pr_error err = { 0 };
      if (!c)
        reply_error (cl->fd, id, pr_fail (&err, ESRCH, "signal", json_str (req, "name", "")) ? &err : &err,
                     "container is not running");
      else if (pr_pidfd_send_signal (c->pidfd, (int) json_int (req, "signal", SIGTERM)) < 0)
        {
          pr_fail (&err, errno, "pidfd_send_signal", c->name);
          reply_error (cl->fd, id, &err, "signal failed");
        }
      else
        send_line (cl->fd, ok);
    }
  else if (strcmp (op, "attach") == 0)
    {
      /* kubectl attach: from the reply on, this connection is the container's stdin and output. */
      struct container *c = find_running (json_str (req, "name", ""));
      struct pr_error err = { 0 };
      if (!c)
        {
          pr_fail (&err, ESRCH, "attach", json_str (req, "name", ""));
          reply_error (cl->fd, id, &err, "container is not running");
        }
      else
        {
          snprintf (ok, sizeof ok, "{\"id\":%lld,\"ok\":true,\"tty\":%s,\"stdin\":%s}\n", id, c->tty ? "true" : "false",
                    c->stdin_fd >= 0 ? "true" : "false");
          send_line (cl->fd, ok);
          cl->attached = c;
        }
    }
  else if (strcmp (op, "resize") == 0)
    {
      struct container *c = find_running (json_str (req, "name", ""));
      if (c && c->tty && c->out.fd >= 0)
        {
          struct winsize ws = { .ws_row = (unsigned short) json_int (req, "rows", 24), .ws_col = (unsigned short) json_int (req, "cols", 80) };
          ioctl (c->out.fd, TIOCSWINSZ, &ws);
        }
      send_line (cl->fd, ok);
    }
  else if (strcmp (op, "reopen-log") == 0)
    {
      /* CRI's ReopenContainerLog: the kubelet renamed the file to rotate it; output goes on in a
       * new file at the same path. Partial lines still buffered land in the new one. */
      const char *name = json_str (req, "name", "");
      struct container *c = find_running (name);
      struct pr_error err = { 0 };
      int fd = c && c->log_path ? open (c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
      if (!c)
        {
          pr_fail (&err, ESRCH, "reopen-log", name);
          reply_error (cl->fd, id, &err, "container is not running");
        }
      else if (fd < 0)
        {
          pr_fail (&err, errno, "open", c->log_path ? c->log_path : "");
          reply_error (cl->fd, id, &err, "reopening the log failed");
        }
      else
        {
          if (c->log_fd >= 0)
            close (c->log_fd);
          c->log_fd = fd;
          c->log_size = 0;
          send_line (cl->fd, ok);
        }
    }
  else if (strcmp (op, "list") == 0)
    {
      struct jbuf b;
      jb_init (&b);
      jb_raw (&b, "{\"id\":");
      char n[32];
      snprintf (n, sizeof n, "%lld", id);
      jb_raw (&b, n);
      jb_raw (&b, ",\"ok\":true,\"containers\":[");
      bool first = true;
      for (struct container *c = containers; c; c = c->next)
        if (c->running)
          {
            if (!first)
              jb_raw (&b, ",");
            first = false;
            jb_obj_begin (&b);
            jb_key_str (&b, "name", c->name);
            jb_key_int (&b, "attempt", c->attempt);
            jb_key_int (&b, "pid", c->host_pid);
            jb_key_int (&b, "startTime", (long long) c->start_time);
            jb_obj_end (&b);
          }
      jb_raw (&b, "]}\n");
      send_line (cl->fd, b.data);
      jb_free (&b);
    }
  else if (strcmp (op, "shutdown") == 0)
    {
      /* Graceful stops are the engine's job (preStop, SIGTERM, grace period); here the pod ends now. */
      kill_all (SIGKILL);
      shutting_down = true;
      /* We run as root of the pod's user namespace, so we can delete files that containers made
       * under other mapped ids, which the unprivileged user outside could not. */
      free (remove_on_exit);
      remove_on_exit = json_strv (req, "remove");
      for (char **p = remove_on_exit; p && *p; p++)
        *p = strdup (*p);
      send_line (cl->fd, ok);
    }
  else
    reply_error (cl->fd, id, NULL, "unknown op");
  json_free (req);
}

static void client_close (struct client *cl)
{
  for (struct client **pp = &clients; *pp; pp = &(*pp)->next)
    if (*pp == cl)
      {
        *pp = cl->next;
        break;
      }
  close (cl->fd);
  free (cl->buf);
  free (cl);
}

static void client_read (struct client *cl)
{
  char chunk[65536];
  ssize_t n = read (cl->fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      /* An attached client that ends its input closes a piped stdin (stdinOnce), not a terminal. */
      if (cl->attached)
        {
          if (!cl->attached->tty && cl->attached->stdin_fd >= 0)
            {
              close (cl->attached->stdin_fd);
              cl->attached->stdin_fd = -1;
            }
          /* Still attached for the output, until the container ends. */
          epoll_ctl (epfd, EPOLL_CTL_DEL, cl->fd, NULL);
          return;
        }
      client_close (cl);
      return;
    }
  if (cl->attached)
    {
      if (cl->attached->stdin_fd >= 0)
        pr_write_all (cl->attached->stdin_fd, chunk, (size_t) n);
      return;
    }
  if (cl->len + (size_t) n > cl->cap)
    {
      size_t cap = cl->cap ? cl->cap : 65536;
      while (cap < cl->len + (size_t) n)
        cap *= 2;
      if (cap > (64u << 20))
        {
          client_close (cl); /* a request larger than 64 MiB is not a plan */
          return;
        }
      cl->buf = realloc (cl->buf, cap);
      cl->cap = cap;
    }
  memcpy (cl->buf + cl->len, chunk, (size_t) n);
  cl->len += (size_t) n;
  size_t start = 0;
  for (size_t i = 0; i < cl->len; i++)
    if (cl->buf[i] == '\n')
      {
        if (i > start)
          handle_request (cl, cl->buf + start, i - start);
        start = i + 1;
      }
  memmove (cl->buf, cl->buf + start, cl->len - start);
  cl->len -= start;
}

static int pod_mounts (const struct json *config, struct pr_error *err)
{
  const struct json *mounts = json_get (config, "mounts");
  for (const struct json *m = mounts ? mounts->child : NULL; m; m = m->next)
    {
      const char *target = json_str (m, "target", "");
      if (mkdir (target, 0700) < 0 && errno != EEXIST)
        return pr_fail (err, errno, "mkdir", target);
      if (mount ("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, json_str (m, "options", "mode=1777")) < 0)
        return pr_fail (err, errno, "mount tmpfs", target);
    }
  return 0;
}

/* The pod's sysctls (admitted by the engine: the kubelet's safe set), written under /proc/sys,
 * which shows the namespaces of the writer: ours are the pod's network and IPC namespaces. */
static int pod_sysctls (const struct json *config, struct pr_error *err)
{
  /* The shape (path and value strings) was checked with the config (protocol.c). */
  for (const struct json *s = json_get (config, "sysctls")->child; s; s = s->next)
    {
      const char *rel = json_str (s, "path", ""), *value = json_str (s, "value", "");
      if (strstr (rel, ".."))
        return pr_fail (err, EINVAL, "shim-config.json", "sysctls: a path may not contain ..");
      char path[256];
      if (snprintf (path, sizeof path, "/proc/sys/%s", rel) >= (int) sizeof path)
        return pr_fail (err, ENAMETOOLONG, "open", rel);
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return pr_fail (err, errno, "open", path);
      size_t n = strlen (value);
      int e = write (fd, value, n) == (ssize_t) n ? 0 : errno ? errno : EIO;
      close (fd);
      if (e)
        return pr_fail (err, e, "write", path);
    }
  return 0;
}

/* fsGroup on the pod's volumes (volume/ownership.ts: the kubelet's SetVolumeOwnership): the
 * group on everything, group read (and write unless read-only) and, on folders, search and
 * setgid. nftw's callback takes no argument: the walk's settings are these two. */
static gid_t own_gid;
static bool own_readonly;
static int own_error;

static int own_entry (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) ftw;
  if (lchown (path, (uid_t) -1, own_gid) < 0)
    {
      own_error = errno;
      return 1;
    }
  if (type == FTW_SL || S_ISLNK (st->st_mode))
    return 0;
  mode_t mask = own_readonly ? 0440 : 0660;
  if (type == FTW_D || type == FTW_DP)
    mask |= 0110 | S_ISGID;
  /* chown cleared a setgid bit of a file; folders keep theirs by the mask. */
  if (chmod (path, (st->st_mode & 07777) | mask) < 0)
    {
      own_error = errno;
      return 1;
    }
  return 0;
}

static int pod_fs_group (const struct json *config, struct pr_error *err)
{
  /* null for none; else gid and volumes [{path, readOnly}], as checked with the config (protocol.c). */
  const struct json *fs_group = json_get (config, "fsGroup");
  if (fs_group->type == JSON_NULL)
    return 0;
  own_gid = (gid_t) json_int (fs_group, "gid", 0);
  for (const struct json *v = json_get (fs_group, "volumes")->child; v; v = v->next)
    {
      const char *path = json_str (v, "path", "");
      own_readonly = json_bool (v, "readOnly", false);
      own_error = 0;
      if (nftw (path, own_entry, 32, FTW_PHYS | FTW_MOUNT) != 0)
        return pr_fail (err, own_error ? own_error : errno, "fsGroup", path);
    }
  return 0;
}

static int remove_entry (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  if (type == FTW_DP)
    rmdir (path);
  else
    unlink (path);
  return 0;
}

static void cleanup_on_exit (void)
{
  const struct json *mounts = json_get (shim_config, "mounts");
  for (const struct json *m = mounts ? mounts->child : NULL; m; m = m->next)
    umount2 (json_str (m, "target", ""), MNT_DETACH);
  for (char **p = remove_on_exit; p && *p; p++)
    nftw (*p, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int setup (struct pr_error *err)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/shim-config.json", pod_dir);
  size_t len;
  cleanup_free char *text = pr_read_file (path, &len);
  if (!text)
    return pr_fail (err, errno, "open", path);
  const char *perr;
  struct json *config = json_parse (text, len, &perr);
  if (!config)
    return pr_fail (err, EINVAL, "parse", path);
  char bad[512];
  if (protocol_check_config (config, bad, sizeof bad) < 0)
    {
      json_free (config);
      return pr_fail (err, EINVAL, "shim-config.json", bad);
    }

  /* The pod's mount namespace starts as a copy of the host's: keep host mounts flowing in,
   * and ours from flowing out. */
  int r = mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ? pr_fail (err, errno, "mount MS_SLAVE", "/") : 0;
  if (r == 0)
    r = pod_mounts (config, err);
  if (r == 0)
    r = pod_sysctls (config, err);
  if (r == 0)
    r = pod_fs_group (config, err);
  if (r == 0 && json_bool (config, "loopback", true))
    r = pr_link_up (1, err); /* lo is ifindex 1 in every new network namespace */
  shim_config = config;
  host_mount_ns = (int) json_int (config, "hostMountNamespace", -1);
  /* Inherited without CLOEXEC (dup2): a container that inherited it could enter the host's mounts. */
  if (host_mount_ns >= 0 && fcntl (host_mount_ns, F_SETFD, FD_CLOEXEC) < 0 && r == 0)
    r = pr_fail (err, errno, "fcntl FD_CLOEXEC", "the host's mount namespace");
  if (r == 0)
    r = ports_setup (config, epfd, TAG_PORT, err);
  if (r < 0)
    return -1;

  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (path, sizeof path, "%s/shim.sock", pod_dir);
  if (strlen (path) >= sizeof sa.sun_path)
    return pr_fail (err, ENAMETOOLONG, "bind", path);
  strcpy (sa.sun_path, path);
  unlink (path);
  listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  mode_t old = umask (077); /* owner-only from the first moment */
  r = bind (listen_fd, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (listen_fd, 64) < 0)
    return pr_fail (err, errno, "bind", path);
  return 0;
}

int main (int argc, char **argv)
{
  struct pr_error err = { 0 };
  char msg[1024];
  if (argc >= 2 && !strncmp (argv[1], "cp-", 3))
    return pr_copy_main (argc, argv);
  if (argc >= 2 && !strcmp (argv[1], "pod-init"))
    return pod_init_main (argc, argv);
  if (argc != 2)
    {
      fprintf (stderr, "usage: podrun-shim POD_DIR\n");
      return 2;
    }
  pod_dir = argv[1];
  prctl (PR_SET_NAME, "podrun:[shim]", 0, 0, 0);
  /* Containers run as the same (namespaced) root: keep them out of our /proc entries. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  sigset_t all;
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, NULL);
  sigset_t watched;
  sigemptyset (&watched);
  sigaddset (&watched, SIGCHLD);
  sigaddset (&watched, SIGTERM);
  sigaddset (&watched, SIGINT);
  sigaddset (&watched, SIGHUP);
  sig_fd = signalfd (-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
  epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (setup (&err) < 0)
    {
      pr_error_format (&err, msg, sizeof msg);
      dprintf (3, "{\"ok\":false,\"errno\":%d,\"op\":\"%s\",\"error\":\"shim: %s\"}\n", err.errnum, err.op, msg);
      return 1;
    }
  ep_add (listen_fd, TAG_LISTEN, NULL);
  ep_add (sig_fd, TAG_SIGNAL, NULL);
  dprintf (3, "{\"ok\":true,\"protocol\":%d}\n", SHIM_PROTOCOL);
  close (3);

  while (!(shutting_down && !containers))
    {
      struct epoll_event evs[32];
      int n = epoll_wait (epfd, evs, 32, -1);
      for (int i = 0; i < n; i++)
        {
          enum tag t = (enum tag) (evs[i].data.u64 & 7);
          void *p = (void *) (uintptr_t) (evs[i].data.u64 & ~(uint64_t) 7);
          if (t == TAG_LISTEN)
            {
              int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
              if (fd < 0)
                continue;
              struct client *cl = calloc (1, sizeof *cl);
              cl->fd = fd;
              cl->next = clients;
              clients = cl;
              ep_add (fd, TAG_CLIENT, cl);
            }
          else if (t == TAG_SIGNAL)
            {
              struct signalfd_siginfo si;
              while (read (sig_fd, &si, sizeof si) == sizeof si)
                if (si.ssi_signo == SIGCHLD)
                  {
                    reap ();
                    /* In the host's PID namespace a dead process's children come back to us only
                     * as it dies: while the pod ends, each exit may have handed us more to end. */
                    if (shutting_down && getpid () != 1)
                      kill_children ();
                  }
                /* A sender we can see by pid is inside the pod (a root container sharing our PID
                   namespace): only the engine, outside, may end the pod. The kernel drops such
                   signals to a namespace's init only while they are not blocked or caught, and
                   signalfd needs them blocked, so the check is ours. */
                else if (si.ssi_pid != 0)
                  continue;
                else
                  {
                    kill_all (SIGKILL);
                    shutting_down = true;
                  }
            }
          else if (t == TAG_CLIENT)
            client_read (p);
          else if (t == TAG_PORT)
            ports_event (p, evs[i].events);
          else
            {
              struct container *c = p;
              log_stream_read (c, t == TAG_STDOUT ? &c->out : &c->err, false);
            }
        }
      container_gc ();
    }
  end_descendants ();
  cleanup_on_exit ();
  for (struct client *cl = clients; cl; cl = cl->next)
    shutdown (cl->fd, SHUT_RDWR);
  return 0;
}
