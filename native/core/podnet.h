/* A pod's network: a bridge in the "host side" namespace (the host's, or a network host
 * namespace), a veth pair with `eth0` in the pod, the pod's address and default route. All of
 * it by rtnetlink, in one short-lived child of Node that joins the namespaces (Node must never
 * setns itself), async-signal-safe: messages are built in stack buffers. */
#ifndef PODRUN_PODNET_H
#define PODRUN_PODNET_H

#include "util.h"

struct pr_podnet_req
{
  int host_pidfd;        /* a process in the namespace that holds the bridge; -1: our own */
  bool host_join_user;   /* that namespace belongs to a user namespace we must join first */
  int pod_netns_fd;      /* the pod's network namespace */
  const char *bridge;    /* e.g. podrun0 */
  const char *host_veth; /* the host-side end, e.g. veth1a2b3c4d */
  uint32_t ip;           /* network byte order */
  uint32_t gateway;      /* network byte order; also the bridge's address */
  int prefix;
  int mtu;
  bool remove_bridge;    /* instead of all the above: delete the bridge (system reset) */
  bool forwarding;       /* making the bridge: turn on IPv4 forwarding in its namespace (outbound NAT) */
};

int pr_podnet_setup (const struct pr_podnet_req *req, struct pr_error *err);

#endif
