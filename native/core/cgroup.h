/* Joining a container's cgroups, and reading what the kernel counted there. The cgroups are
 * made and configured by TypeScript (src/cgroups); native code only moves a process in before
 * its program runs, and reads the OOM kill counter when a container ends. */
#ifndef PODRUN_CGROUP_H
#define PODRUN_CGROUP_H

#include "util.h"

/* Writes "0" (the calling process) to each cgroup.procs path of a NULL-terminated list, so the
 * process and everything it starts are charged there from the first instruction of the user's
 * program. Async-signal-safe: open, write and close only. */
int pr_cgroup_join (const char *const *procs, struct pr_error *err);

/* The `oom_kill N` count of a memory.oom_control (v1) or memory.events (v2) file; -1 when it
 * cannot be read (no file, a kernel without the counter). */
long long pr_cgroup_oom_kills (const char *path);

#endif
