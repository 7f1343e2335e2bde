/* The pod shim: one per pod, single-threaded, PID 1 of the pod's PID namespace.
 * It holds the pod's namespaces, starts containers on request, reaps them, and writes
 * their logs and exit records to the pod's state folder, with or without a client attached. */
#ifndef PODRUN_SHIM_H
#define PODRUN_SHIM_H

#include "../core/json.h"
#include "../core/util.h"

#define SHIM_PROTOCOL 1
#define LOG_LINE_MAX 16384

/* main.c: the host's mount namespace, kept from the sandbox's making (shim-config.json's
 * hostMountNamespace, as root); -1 when there is none (rootless). */
extern int host_mount_ns;

struct log_stream
{
  int fd;                 /* read end of the container's stdout or stderr pipe; -1 at EOF */
  const char *tag;        /* "stdout" or "stderr" */
  char buf[LOG_LINE_MAX]; /* an unfinished line */
  size_t len;
};

struct container
{
  struct container *next;
  char *name;
  long attempt;
  int pidfd;
  pid_t pid;              /* in the shim's (the pod's) PID namespace, for reaping */
  pid_t host_pid;         /* in the host's PID namespace, what clients validate */
  unsigned long long start_time;
  char started_at[40];
  bool running;
  int log_fd;
  char *log_path;               /* the current log file; rotated ones are log_path.1, .2, ... */
  long long log_size;           /* bytes in the current file */
  long long log_max_size;       /* rotate before a record would take the file past this (0: never) */
  long log_max_files;           /* files kept, the current one included */
  long log_seq;                 /* the number the next rotated file takes */
  struct log_stream out, err;   /* with a tty, `out` reads the terminal's master and `err` is unused */
  int stdin_fd;                 /* where attached clients' input goes: a pipe, or the tty master; -1 */
  bool tty;
  char *exit_path;
  char *fuse_root;              /* a fuse-overlayfs root mounted for this container; unmounted at its exit */
  char *oom_path;               /* its memory cgroup's OOM counter file; "" without cgroups */
  long long oom_base;           /* that counter when the container started: a higher one at the exit is OOMKilled */
  char *procs_path;             /* its cgroup.procs when it shares a PID namespace (the pod's, the host's, a target's):
                                   what is left in its cgroup when its init dies is killed, as containerd's kill --all; "" otherwise */
};

/* devices.c: a container's /dev, nodev everywhere else, masked /proc paths (the plan's keys,
 * checked with the request's shape, protocol.c). */
int devices_mount_dev (int rootfd, const struct json *op, bool nodev, struct pr_error *err);
int devices_nodev (int rootfd, struct pr_error *err);
int devices_populate (int rootfd, const struct json *op, struct pr_error *err);
int devices_mask_paths (int rootfd, const struct json *plan, struct pr_error *err);

/* container.c: clone the container into its namespaces and exec it. With target_pidfd >= 0
 * (an ephemeral container's targetContainerName) it joins that process's PID namespace. */
int container_spawn (const struct json *plan, struct container *c, int target_pidfd, struct pr_error *err, char *msg,
                     size_t msglen);
/* container.c: mounts an overlay as a container root would be ({lower, upper, work, userxattr}
 * at `target`) and unmounts it: whether overlayfs works in this pod's namespaces. */
int probe_overlay (const struct json *op, struct pr_error *err);
/* container.c: overlayfs's mount data for {lower, upper, work}: -1 when it does not fit. */
int overlay_data (const struct json *op, char *data, size_t size, bool userxattr);
/* fuse-root.c: fuse-overlayfs of {program, lower, upper, work} at `target`, in our mount
 * namespace; on failure `msg` has what fuse-overlayfs said. */
int fuse_overlay_mount (const struct json *op, const char *target, struct pr_error *err, char *msg, size_t msglen);
/* fuse-root.c: the same at {target}, then unmounted: whether fuse-overlayfs works in this pod. */
int probe_fuse_overlay (const struct json *op, char *msg, size_t msglen);
/* main.c: output of a container also goes to the clients attached to it. */
void attach_forward (struct container *c, const char *data, size_t len);
/* logs.c */
void log_stream_read (struct container *c, struct log_stream *s, bool drain);
void log_stream_flush (struct container *c, struct log_stream *s);
/* records.c */
/* copy.c: `podrun-shim cp-out PATH | cp-in DEST NAME`, run by `podrun cp` inside a container. */
int pr_copy_main (int argc, char **argv);

int write_start_record (const char *path, const struct container *c);
int write_exit_record (const char *path, const struct container *c, int code, int sig, const char *reason,
                       const char *message, const char *finished_at);

#endif
