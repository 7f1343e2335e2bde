/* Published ports (hostPort) forwarded by the shim itself, as rootlesskit's builtin port driver
 * does: podrun binds each host socket in the host's network namespace and the shim inherits it;
 * a socket keeps its namespace for life, so the shim (which lives in the pod's) accepts there
 * and connects here, to the pod's address. No process per connection, no copy through Node,
 * and the ports live exactly as long as the pod: they survive podrun exiting and close with the
 * shim.
 *
 * TCP: both directions move through a pipe with splice(), so bytes never enter user space.
 * UDP: one connected socket per client address ("flow") in the pod; replies go back through
 * the host socket with sendto; idle flows are recycled. */
#define _GNU_SOURCE
#include "ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

enum kind { K_TCP_LISTEN, K_UDP_HOST, K_TCP_END, K_UDP_FLOW };

/* Every registered fd's epoll pointer is one of these; `kind` says what it is. */
struct handle
{
  enum kind kind;
};

struct port
{
  struct handle h;
  int fd;
  struct sockaddr_storage target;
  socklen_t target_len;
  struct udp_flow *flows;
  int nflows;
};

struct tcp_conn;
struct tcp_end
{
  struct handle h;
  struct tcp_conn *conn;
  int side; /* 0: the host client, 1: the pod */
};

struct tcp_conn
{
  struct tcp_end end[2];
  int fd[2];
  int pipe[2][2];   /* pipe[d] carries bytes from fd[d] to fd[1 - d] */
  size_t pending[2];
  bool streaming[2]; /* the last read filled the buffer: splice from now on */
  bool eof[2];
  bool connected;
  bool hup[2];      /* that socket is finished both ways (out of epoll; its bytes still drain) */
  uint32_t interest[2];
};

struct udp_flow
{
  struct handle h;
  struct udp_flow *next;
  struct port *port;
  int fd;
  struct sockaddr_storage client;
  socklen_t client_len;
  time_t used;
};

#define UDP_FLOWS_MAX 256
#define UDP_IDLE_SECONDS 60
/* A bigger pipe moves a stream in fewer, larger splices (fewer wake-ups of both ends);
 * 1 MiB is the default fs.pipe-max-size, allowed to any user. */
#define PIPE_SIZE (1 << 20)
#define SPLICE_CHUNK PIPE_SIZE

static int ep_fd = -1;
static uint64_t ep_tag;
static struct port *ports;
static int nports;

static uint64_t data_of (struct handle *h) { return (uint64_t) (uintptr_t) h | ep_tag; }

static void ep_set (int fd, int op, uint32_t events, struct handle *h)
{
  struct epoll_event ev = { .events = events, .data.u64 = data_of (h) };
  epoll_ctl (ep_fd, op, fd, &ev);
}

static time_t now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

static int parse_target (const char *ip, long long port, struct sockaddr_storage *ss, socklen_t *len)
{
  memset (ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *) ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) ss;
  if (inet_pton (AF_INET, ip, &v4->sin_addr) == 1)
    {
      v4->sin_family = AF_INET;
      v4->sin_port = htons ((uint16_t) port);
      *len = sizeof *v4;
      return 0;
    }
  if (inet_pton (AF_INET6, ip, &v6->sin6_addr) == 1)
    {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons ((uint16_t) port);
      *len = sizeof *v6;
      return 0;
    }
  return -1;
}

int ports_setup (const struct json *config, int epfd, uint64_t tag, struct pr_error *err)
{
  ep_fd = epfd;
  ep_tag = tag;
  const struct json *list = json_get (config, "ports");
  for (const struct json *p = list ? list->child : NULL; p; p = p->next)
    nports++;
  if (!nports)
    return 0;
  ports = calloc ((size_t) nports, sizeof *ports);
  int i = 0;
  for (const struct json *p = list->child; p; p = p->next, i++)
    {
      struct port *pt = &ports[i];
      const char *ip = json_str (p, "ip", "127.0.0.1");
      pt->fd = (int) json_int (p, "fd", -1);
      pt->h.kind = strcmp (json_str (p, "protocol", "TCP"), "UDP") == 0 ? K_UDP_HOST : K_TCP_LISTEN;
      if (pt->fd < 3 || parse_target (ip, json_int (p, "port", 0), &pt->target, &pt->target_len) < 0)
        return pr_fail (err, EINVAL, "published port", ip);
      fcntl (pt->fd, F_SETFD, FD_CLOEXEC);
      fcntl (pt->fd, F_SETFL, fcntl (pt->fd, F_GETFL) | O_NONBLOCK);
      ep_set (pt->fd, EPOLL_CTL_ADD, EPOLLIN, &pt->h);
    }
  return 0;
}

/* --- TCP --- */

static void conn_close (struct tcp_conn *c)
{
  for (int d = 0; d < 2; d++)
    {
      if (c->fd[d] >= 0)
        close (c->fd[d]); /* closing also removes it from epoll */
      if (c->pipe[d][0] >= 0)
        {
          close (c->pipe[d][0]);
          close (c->pipe[d][1]);
        }
    }
  free (c);
}

/* What each socket waits for: input while its pipe is empty, output while the other
 * direction's pipe holds bytes for it (or the pod-side connect is in progress). */
static void conn_rearm (struct tcp_conn *c)
{
  for (int x = 0; x < 2; x++)
    {
      if (c->hup[x])
        continue;
      uint32_t want = 0;
      if (c->connected && !c->eof[x] && c->pending[x] == 0)
        want |= EPOLLIN;
      if ((x == 1 && !c->connected) || c->pending[1 - x] > 0)
        want |= EPOLLOUT;
      if (want != c->interest[x])
        {
          ep_set (c->fd[x], EPOLL_CTL_MOD, want, &c->end[x].h);
          c->interest[x] = want;
        }
    }
}

static char small_buf[16384];

/* Moves what it can in direction d; -1 on a broken connection. Small messages (requests,
 * replies) take recv + send, two system calls; once a read fills the buffer the direction is
 * streaming and switches to splice through its pipe, where bytes never enter user space.
 * Bytes the destination cannot take yet wait in the pipe either way (`pending`). A read that
 * returns less than asked drained the socket: stop there, epoll (level-triggered) says when
 * more comes, which saves the read that would only say EAGAIN. */
static int need_pipe (struct tcp_conn *c, int d)
{
  if (c->pipe[d][0] >= 0)
    return 0;
  if (pipe2 (c->pipe[d], O_CLOEXEC | O_NONBLOCK) < 0)
    return -1;
  fcntl (c->pipe[d][1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: 64 KiB still works */
  return 0;
}

static int pump (struct tcp_conn *c, int d)
{
  int src = c->fd[d], dst = c->fd[1 - d];
  for (;;)
    {
      if (c->pending[d] > 0)
        {
          ssize_t n = splice (c->pipe[d][0], NULL, dst, NULL, c->pending[d], SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
          if (n > 0)
            {
              c->pending[d] -= (size_t) n;
              continue;
            }
          return n < 0 && errno == EAGAIN ? 0 : -1;
        }
      if (c->eof[d])
        return 0;
      ssize_t n;
      size_t asked;
      if (c->streaming[d])
        {
          asked = SPLICE_CHUNK;
          if (need_pipe (c, d) < 0)
            return -1;
          n = splice (src, NULL, c->pipe[d][1], NULL, asked, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
          if (n > 0)
            {
              c->pending[d] += (size_t) n;
              continue; /* streaming: read on until EAGAIN, however short this read was */
            }
          if (n < 0 && errno == EAGAIN)
            c->streaming[d] = false; /* drained: the next message starts small again */
        }
      else
        {
          asked = sizeof small_buf;
          n = recv (src, small_buf, asked, MSG_DONTWAIT);
          if (n > 0)
            {
              ssize_t w = send (dst, small_buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL);
              if (w < 0 && errno != EAGAIN)
                return -1;
              if (w < 0)
                w = 0;
              /* The rest waits in the (empty, 64 KiB) pipe until dst can take it. */
              if (w < n && (need_pipe (c, d) < 0 || write (c->pipe[d][1], small_buf + w, (size_t) (n - w)) != n - w))
                return -1;
              c->pending[d] += (size_t) (n - w);
              c->streaming[d] = (size_t) n == asked;
            }
        }
      if (n > 0)
        {
          if ((size_t) n < asked && c->pending[d] == 0)
            return 0;
          continue;
        }
      if (n == 0)
        {
          /* Half-close travels through: the other side sees EOF, and may still answer. */
          c->eof[d] = true;
          shutdown (dst, SHUT_WR);
          return 0;
        }
      return errno == EAGAIN ? 0 : -1;
    }
}

static void tcp_accept (struct port *pt)
{
  for (;;)
    {
      int client = accept4 (pt->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0)
        return;
      /* Created here, so in the pod's network namespace. */
      int up = socket (pt->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      struct tcp_conn *c = calloc (1, sizeof *c);
      c->fd[0] = client;
      c->fd[1] = up;
      for (int d = 0; d < 2; d++)
        {
          c->end[d] = (struct tcp_end) { { K_TCP_END }, c, d };
          c->pipe[d][0] = c->pipe[d][1] = -1; /* made when first needed: most exchanges never do */
        }
      if (up < 0 || (connect (up, (struct sockaddr *) &pt->target, pt->target_len) < 0 && errno != EINPROGRESS))
        {
          conn_close (c);
          continue;
        }
      int one = 1;
      setsockopt (client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt (up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ep_set (client, EPOLL_CTL_ADD, 0, &c->end[0].h);
      ep_set (up, EPOLL_CTL_ADD, EPOLLOUT, &c->end[1].h);
      c->interest[1] = EPOLLOUT;
    }
}

static void tcp_event (struct tcp_end *e, uint32_t events)
{
  struct tcp_conn *c = e->conn;
  bool just_connected = false;
  if (!c->connected)
    {
      if (e->side != 1)
        {
          if (events & (EPOLLERR | EPOLLHUP))
            conn_close (c); /* the client gave up before the pod answered */
          return;
        }
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt (c->fd[1], SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr || (events & (EPOLLERR | EPOLLHUP)))
        {
          conn_close (c); /* nothing listens in the pod: the client sees its connection closed */
          return;
        }
      c->connected = true;
      just_connected = true;
    }
  /* Only the directions this event concerns: input on x moves x's bytes; room on x lets the
   * other direction's pending bytes out. (Right after connecting, both.) */
  int x = e->side;
  bool in = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || just_connected;
  bool out = (events & EPOLLOUT) || just_connected;
  if ((in && pump (c, x) < 0) || (out && pump (c, 1 - x) < 0))
    {
      conn_close (c);
      return;
    }
  if (events & (EPOLLHUP | EPOLLERR))
    {
      /* Finished both ways (always reported, whatever the interest): nothing more can go to
       * it, so stop there once what it sent has reached the other side. */
      if (c->pending[1 - x] > 0 || c->pending[x] == 0)
        {
          conn_close (c);
          return;
        }
      c->eof[x] = c->hup[x] = true;
      epoll_ctl (ep_fd, EPOLL_CTL_DEL, c->fd[x], NULL);
    }
  if ((c->eof[0] && c->eof[1] && !c->pending[0] && !c->pending[1]) || ((c->hup[0] || c->hup[1]) && !c->pending[0] && !c->pending[1]))
    {
      conn_close (c);
      return;
    }
  conn_rearm (c);
}

/* --- UDP --- */

static void flow_close (struct udp_flow *f)
{
  struct port *pt = f->port;
  for (struct udp_flow **p = &pt->flows; *p; p = &(*p)->next)
    if (*p == f)
      {
        *p = f->next;
        break;
      }
  pt->nflows--;
  close (f->fd);
  free (f);
}

static struct udp_flow *flow_for (struct port *pt, const struct sockaddr_storage *from, socklen_t len)
{
  time_t t = now ();
  struct udp_flow *oldest = NULL;
  for (struct udp_flow *f = pt->flows, *next; f; f = next)
    {
      next = f->next;
      if (f->client_len == len && memcmp (&f->client, from, len) == 0)
        {
          f->used = t;
          return f;
        }
      if (t - f->used > UDP_IDLE_SECONDS)
        flow_close (f);
      else if (!oldest || f->used < oldest->used)
        oldest = f;
    }
  if (pt->nflows >= UDP_FLOWS_MAX && oldest)
    flow_close (oldest);
  int fd = socket (pt->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  if (connect (fd, (struct sockaddr *) &pt->target, pt->target_len) < 0)
    {
      close (fd);
      return NULL;
    }
  struct udp_flow *f = calloc (1, sizeof *f);
  f->h.kind = K_UDP_FLOW;
  f->port = pt;
  f->fd = fd;
  memcpy (&f->client, from, len);
  f->client_len = len;
  f->used = t;
  f->next = pt->flows;
  pt->flows = f;
  pt->nflows++;
  ep_set (fd, EPOLL_CTL_ADD, EPOLLIN, &f->h);
  return f;
}

static char udp_buf[65536];

static void udp_from_host (struct port *pt)
{
  for (int budget = 64; budget > 0; budget--)
    {
      struct sockaddr_storage from;
      socklen_t len = sizeof from;
      ssize_t n = recvfrom (pt->fd, udp_buf, sizeof udp_buf, 0, (struct sockaddr *) &from, &len);
      if (n < 0)
        return;
      struct udp_flow *f = flow_for (pt, &from, len);
      if (f)
        send (f->fd, udp_buf, (size_t) n, MSG_DONTWAIT);
    }
}

static void udp_from_pod (struct udp_flow *f)
{
  for (int budget = 64; budget > 0; budget--)
    {
      ssize_t n = recv (f->fd, udp_buf, sizeof udp_buf, 0);
      if (n < 0)
        return;
      f->used = now ();
      sendto (f->port->fd, udp_buf, (size_t) n, MSG_DONTWAIT, (struct sockaddr *) &f->client, f->client_len);
    }
}

void ports_event (void *ptr, uint32_t events)
{
  struct handle *h = ptr;
  switch (h->kind)
    {
    case K_TCP_LISTEN:
      tcp_accept ((struct port *) h);
      break;
    case K_UDP_HOST:
      udp_from_host ((struct port *) h);
      break;
    case K_TCP_END:
      tcp_event ((struct tcp_end *) h, events);
      break;
    case K_UDP_FLOW:
      udp_from_pod ((struct udp_flow *) h);
      break;
    }
}
