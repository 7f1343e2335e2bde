/* Start and exit records: small JSON files replaced atomically, the source of truth
 * that any later podrun process replays into pod status. */
#include "shim.h"

static void common (struct jbuf *b, const struct container *c)
{
  jb_key_str (b, "name", c->name);
  jb_key_int (b, "attempt", c->attempt);
  jb_key_int (b, "pid", c->host_pid);
  jb_key_int (b, "startTime", (long long) c->start_time);
  jb_key_str (b, "startedAt", c->started_at);
}

int write_start_record (const char *path, const struct container *c)
{
  struct jbuf b;
  struct pr_error err;
  jb_init (&b);
  jb_obj_begin (&b);
  common (&b, c);
  jb_obj_end (&b);
  jb_raw (&b, "\n");
  int r = pr_write_file_atomic (path, b.data, b.len, 0600, &err);
  jb_free (&b);
  return r;
}

int write_exit_record (const char *path, const struct container *c, int code, int sig, const char *reason,
                       const char *message, const char *finished_at)
{
  struct jbuf b;
  struct pr_error err;
  jb_init (&b);
  jb_obj_begin (&b);
  common (&b, c);
  jb_key_int (&b, "exitCode", code);
  jb_key_int (&b, "signal", sig);
  jb_key_str (&b, "finishedAt", finished_at);
  if (reason)
    jb_key_str (&b, "reason", reason);
  if (message)
    jb_key_str (&b, "message", message);
  jb_obj_end (&b);
  jb_raw (&b, "\n");
  int r = pr_write_file_atomic (path, b.data, b.len, 0600, &err);
  jb_free (&b);
  return r;
}
