/* A socket that lives in a pod's network namespace, made for Node: probes connect to the pod's
 * own addresses (127.0.0.1 is the pod's loopback, not the host's), and port-forwarding will
 * reuse the same primitive. Node must never setns itself (its other threads would stay
 * behind), so a short-lived child joins the namespace, creates the socket there, starts the
 * connect and hands the socket back over SCM_RIGHTS. A socket keeps the namespace it was
 * created in for life, so the connect goes on, and is used, from Node's own event loop. */
#ifndef PODRUN_NETCONNECT_H
#define PODRUN_NETCONNECT_H

#include "util.h"

#include <sys/socket.h>

struct pr_netconnect_req
{
  int target_pidfd;              /* a process of the pod (a container's init) */
  bool join_user;                /* rootless pod: its network namespace belongs to its user namespace */
  int type;                      /* SOCK_STREAM (SOCK_DGRAM works too) */
  struct sockaddr_storage addr;  /* already parsed by the caller (no inet_pton in the child) */
  socklen_t addrlen;
  const char *label;             /* "10.0.0.1:80", for error messages */
  bool listen;                   /* bind to addr (and listen, for streams) instead of connecting */
};

/* On success *fd is a non-blocking, close-on-exec socket whose connect has been started
 * (it may still be in progress: wait for writability, then read SO_ERROR). A connect that
 * fails at once (ECONNREFUSED on loopback, ENETUNREACH) is returned as an error with op
 * "connect". */
int pr_connect_in_netns (const struct pr_netconnect_req *req, int *fd, struct pr_error *err);

/* The socket itself, in the calling process's namespaces: the child's work, and what a caller
 * with no namespace to join (target_pidfd < 0) uses directly. Async-signal-safe. */
int pr_netsocket (const struct pr_netconnect_req *req, int *fd, struct pr_error *err);

#endif
