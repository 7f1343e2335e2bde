#include "cgroup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pr_cgroup_join (const char *const *procs, struct pr_error *err)
{
  for (; procs && *procs; procs++)
    {
      int fd = open (*procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return pr_fail (err, errno, "join cgroup: open", *procs);
      int r = pr_write_all (fd, "0", 1);
      int e = errno;
      close (fd);
      if (r < 0)
        return pr_fail (err, e, "join cgroup: write", *procs);
    }
  return 0;
}

long long pr_cgroup_oom_kills (const char *path)
{
  char buf[1024];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* Both files are `key value` lines; v1 puts oom_kill after oom_kill_disable, so match the
   * whole key at a line start. */
  for (char *line = buf; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (strncmp (line, "oom_kill ", 9) == 0)
      return strtoll (line + 9, NULL, 10);
  return -1;
}
