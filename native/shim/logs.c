/* Container output, written straight to the CRI log format that the kubelet reads:
 *   2024-01-02T03:04:05.123456789Z stdout F a full line
 * A line longer than LOG_LINE_MAX is split into partial ("P") records. */
#include "shim.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* The kubelet's log rotation, done where the bytes are written, so no writer outruns it: before
 * a record would take the file past log_max_size, the file becomes LOG.N (N counting up) and a
 * new LOG is opened; of the rotated files only the newest log_max_files - 1 are kept. Readers
 * (`logs`) read LOG.1, LOG.2, ... then LOG. A failure to rotate keeps writing to the same file:
 * losing the cap is better than losing output. */
static void rotate (struct container *c)
{
  char to[4096];
  if (snprintf (to, sizeof to, "%s.%ld", c->log_path, c->log_seq) >= (int) sizeof to)
    return;
  if (rename (c->log_path, to) < 0)
    return;
  int fd = open (c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      (void) rename (to, c->log_path);
      return;
    }
  close (c->log_fd);
  c->log_fd = fd;
  c->log_size = 0;
  long gone = c->log_seq - (c->log_max_files - 1);
  c->log_seq++;
  if (gone >= 1 && snprintf (to, sizeof to, "%s.%ld", c->log_path, gone) < (int) sizeof to)
    (void) unlink (to);
}

static void emit (struct container *c, struct log_stream *s, const char *data, size_t len, char tag)
{
  char ts[40], head[64];
  pr_rfc3339_now (ts);
  int n = snprintf (head, sizeof head, "%s %s %c ", ts, s->tag, tag);
  struct iovec iov[3] = { { head, (size_t) n }, { (void *) data, len }, { "\n", 1 } };
  long long record = (long long) n + (long long) len + 1;
  if (c->log_fd >= 0 && c->log_max_size > 0 && c->log_size > 0 && c->log_size + record > c->log_max_size)
    rotate (c);
  if (c->log_fd >= 0)
    {
      /* One writev per record, on an O_APPEND fd, so readers never see half a record. */
      ssize_t r;
      do
        r = writev (c->log_fd, iov, 3);
      while (r < 0 && errno == EINTR);
      if (r > 0)
        c->log_size += r;
    }
}

void log_stream_flush (struct container *c, struct log_stream *s)
{
  if (s->len > 0)
    emit (c, s, s->buf, s->len, 'F');
  s->len = 0;
}

void log_stream_read (struct container *c, struct log_stream *s, bool drain)
{
  char chunk[65536];
  while (s->fd >= 0)
    {
      ssize_t n = read (s->fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return; /* nothing more for now */
      /* A terminal's master reads EIO once the container side is closed: that is its EOF. */
      if (n <= 0)
        {
          log_stream_flush (c, s);
          close (s->fd);
          s->fd = -1;
          return;
        }
      attach_forward (c, chunk, (size_t) n);
      const char *p = chunk, *end = chunk + n;
      while (p < end)
        {
          const char *nl = memchr (p, '\n', (size_t) (end - p));
          size_t take = nl ? (size_t) (nl - p) : (size_t) (end - p);
          if (s->len + take > sizeof s->buf)
            {
              /* Too long for one record: emit what we have as a partial line. */
              size_t room = sizeof s->buf - s->len;
              memcpy (s->buf + s->len, p, room);
              emit (c, s, s->buf, sizeof s->buf, 'P');
              s->len = 0;
              p += room;
              continue;
            }
          memcpy (s->buf + s->len, p, take);
          s->len += take;
          p += take;
          if (nl)
            {
              emit (c, s, s->buf, s->len, 'F');
              s->len = 0;
              p++;
            }
        }
      if (!drain)
        return;
    }
}
