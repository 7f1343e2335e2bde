/* Mounts that root's engine makes in a pod's mount namespace when the pod has a user namespace
 * of its own (hostUsers: false): idmapped views of host-owned trees (image layers, the pod's
 * folder), plain views of trees the pod owns (emptyDir), and the tmpfs that hides the rest of
 * the state root from the pod. An idmapped mount can only be made by a caller privileged over
 * the filesystem (init user namespace) and only on a detached tree; the pod's shim cannot, so a
 * child of Node makes the trees on the host, then enters the pod's mount namespace and attaches
 * them (crun and runc prepare idmapped mounts before the container's namespaces the same way). */
#ifndef PODRUN_IDMAP_MOUNT_H
#define PODRUN_IDMAP_MOUNT_H

#include "util.h"

enum pr_pod_mount_kind
{
  PR_POD_TMPFS,      /* a fresh tmpfs (mode 0755) at target */
  PR_POD_BIND,       /* source, as it is, at target */
  PR_POD_BIND_IDMAP, /* source, seen through the pod's id map, at target */
  PR_POD_READONLY,   /* the mount at target made read-only (no source) */
};

struct pr_pod_mount
{
  enum pr_pod_mount_kind kind;
  const char *source; /* a host path (binds), resolved before entering the pod */
  const char *target; /* a path in the pod's mount namespace, made when missing */
  bool once;          /* leave target alone when it is a mount point already (layers shared by containers) */
};

#define PR_POD_MAX_MOUNTS 256

/* In the mount namespace of the process POD_PIDFD refers to, makes each mount in order, idmapped
 * ones through the user namespace USERNS_FD. Runs in a short-lived child (mount namespaces refuse
 * a multi-threaded caller); returns when it is done. */
int pr_pod_mounts (int pod_pidfd, int userns_fd, const struct pr_pod_mount *m, int n, struct pr_error *err);

#endif
