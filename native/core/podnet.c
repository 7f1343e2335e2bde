#include "podnet.h"
#include "spawn.h"

#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NL_BUF 1024

/* One request, built in place: the header at the start of a flat buffer. */
struct nlreq
{
  union
  {
    struct nlmsghdr nh;
    char buf[NL_BUF];
  };
};

static size_t slen (const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

static void *tail (struct nlreq *r) { return r->buf + NLMSG_ALIGN (r->nh.nlmsg_len); }

static void put (struct nlreq *r, const void *data, size_t len)
{
  __builtin_memcpy (tail (r), data, len);
  r->nh.nlmsg_len = NLMSG_ALIGN (r->nh.nlmsg_len) + (unsigned) len;
}

static struct rtattr *attr (struct nlreq *r, unsigned short type, const void *data, size_t len)
{
  struct rtattr *a = tail (r);
  a->rta_type = type;
  a->rta_len = (unsigned short) RTA_LENGTH (len);
  if (len)
    __builtin_memcpy (RTA_DATA (a), data, len);
  r->nh.nlmsg_len = NLMSG_ALIGN (r->nh.nlmsg_len) + RTA_ALIGN (a->rta_len);
  return a;
}

static void nest_end (struct nlreq *r, struct rtattr *a) { a->rta_len = (unsigned short) ((char *) tail (r) - (char *) a); }

static void begin (struct nlreq *r, unsigned short type, unsigned short flags)
{
  __builtin_memset (r, 0, sizeof *r);
  r->nh.nlmsg_len = NLMSG_LENGTH (0);
  r->nh.nlmsg_type = type;
  r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* Sends one request and reads its acknowledgement; the kernel's error is returned as errno. */
static int talk (int fd, struct nlreq *r, const char *op, const char *what, bool exist_ok, struct pr_error *err)
{
  static unsigned seq;
  r->nh.nlmsg_seq = ++seq;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (sendto (fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    return pr_fail (err, errno, op, what);
  char buf[NL_BUF];
  ssize_t n = recv (fd, buf, sizeof buf, 0);
  if (n < 0)
    return pr_fail (err, errno, op, what);
  struct nlmsghdr *h = (struct nlmsghdr *) buf;
  if ((size_t) n >= NLMSG_LENGTH (sizeof (struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
    {
      int e = -((struct nlmsgerr *) NLMSG_DATA (h))->error;
      if (e && !(exist_ok && e == EEXIST))
        return pr_fail (err, e, op, what);
    }
  return 0;
}

static int ifindex (const char *name, struct pr_error *err)
{
  struct ifreq ifr;
  __builtin_memset (&ifr, 0, sizeof ifr);
  size_t n = slen (name);
  if (n >= IFNAMSIZ)
    return pr_fail (err, ENAMETOOLONG, "interface", name);
  __builtin_memcpy (ifr.ifr_name, name, n);
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return pr_fail (err, errno, "socket", name);
  int r = ioctl (s, SIOCGIFINDEX, &ifr);
  int e = errno;
  close (s);
  return r < 0 ? pr_fail (err, e, "SIOCGIFINDEX", name) : ifr.ifr_ifindex;
}

static int link_up (int fd, int index, const char *name, struct pr_error *err)
{
  struct nlreq r;
  begin (&r, RTM_NEWLINK, 0);
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
  put (&r, &ifi, sizeof ifi);
  return talk (fd, &r, "RTM_NEWLINK up", name, false, err);
}

static int addr_add (int fd, int index, uint32_t ip, int prefix, const char *name, struct pr_error *err)
{
  struct nlreq r;
  begin (&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char) prefix, .ifa_index = (unsigned) index };
  put (&r, &ifa, sizeof ifa);
  attr (&r, IFA_LOCAL, &ip, 4);
  attr (&r, IFA_ADDRESS, &ip, 4);
  return talk (fd, &r, "RTM_NEWADDR", name, true, err);
}

/* Published ports DNAT connections to 127.0.0.1 towards pods: such packets keep their loopback
 * source on the way out of the bridge, which the kernel drops as martian unless the bridge has
 * route_localnet (the CNI portmap plugin sets the same). Set as devconf through IFLA_AF_SPEC. */
static int route_localnet (int fd, int index, const char *name, struct pr_error *err)
{
  struct nlreq r;
  begin (&r, RTM_NEWLINK, 0);
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  put (&r, &ifi, sizeof ifi);
  struct rtattr *spec = attr (&r, IFLA_AF_SPEC, NULL, 0);
  struct rtattr *inet = attr (&r, AF_INET, NULL, 0);
  struct rtattr *conf = attr (&r, IFLA_INET_CONF, NULL, 0);
  uint32_t one = 1;
  attr (&r, IPV4_DEVCONF_ROUTE_LOCALNET, &one, 4);
  nest_end (&r, conf);
  nest_end (&r, inet);
  nest_end (&r, spec);
  return talk (fd, &r, "RTM_NEWLINK route_localnet", name, false, err);
}

static int ensure_bridge (int fd, const struct pr_podnet_req *req, struct pr_error *err)
{
  /* Made by the first pod: later pods only need its index (one ioctl, no netlink round trips). */
  struct pr_error ignored;
  int existing = ifindex (req->bridge, &ignored);
  if (existing > 0)
    return existing;
  struct nlreq r;
  begin (&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  put (&r, &ifi, sizeof ifi);
  attr (&r, IFLA_IFNAME, req->bridge, slen (req->bridge) + 1);
  attr (&r, IFLA_MTU, &req->mtu, 4);
  /* A bridge left to itself takes the lowest MAC among its ports, so deleting the pod whose veth
   * had it moves the gateway's MAC, and every other pod that cached the old one is cut off from
   * the gateway until its neighbour entry expires (tens of seconds). An address set at creation
   * is kept (NET_ADDR_SET): locally administered, unicast, made of the gateway's address. */
  const unsigned char *gw = (const unsigned char *) &req->gateway;
  unsigned char mac[6] = { 0x02, 0x70, gw[0], gw[1], gw[2], gw[3] };
  attr (&r, IFLA_ADDRESS, mac, sizeof mac);
  struct rtattr *info = attr (&r, IFLA_LINKINFO, NULL, 0);
  attr (&r, IFLA_INFO_KIND, "bridge", 6);
  nest_end (&r, info);
  if (talk (fd, &r, "RTM_NEWLINK bridge", req->bridge, true, err) < 0)
    return -1;
  int index = ifindex (req->bridge, err);
  if (index < 0 || addr_add (fd, index, req->gateway, req->prefix, req->bridge, err) < 0
      || route_localnet (fd, index, req->bridge, err) < 0 || link_up (fd, index, req->bridge, err) < 0)
    return -1;
  /* Pods' traffic beyond the bridge is routed by this namespace (then masqueraded by nftables,
   * as the CNI bridge plugin with ipMasq does). /proc/sys/net is that of the opener's namespace. */
  if (req->forwarding)
    {
      int f = open ("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
      if (f < 0 || write (f, "1", 1) != 1)
        {
          int e = errno;
          if (f >= 0)
            close (f);
          return pr_fail (err, e, "write", "/proc/sys/net/ipv4/ip_forward");
        }
      close (f);
    }
  return index;
}

/* No IPv6 on a pod's veth (either end): the pod network is IPv4, and an interface with IPv6 up
 * sends router solicitations and MLD reports, which the bridge floods to every port and every
 * pod's stack answers, so each new pod cost all the others work (a thousand pods on the bridge
 * spent most of their start in ip6_rcv). Set before the link goes up, when IPv6 would start.
 * /proc/sys/net is that of the opener's namespace. A kernel without IPv6 has nothing to turn off. */
static int ipv6_off (const char *ifname, struct pr_error *err)
{
  char path[96] = "/proc/sys/net/ipv6/conf/";
  size_t at = slen (path), n = slen (ifname);
  if (at + n + sizeof "/disable_ipv6" > sizeof path)
    return pr_fail (err, ENAMETOOLONG, "open", ifname);
  __builtin_memcpy (path + at, ifname, n);
  __builtin_memcpy (path + at + n, "/disable_ipv6", sizeof "/disable_ipv6");
  int f = open (path, O_WRONLY | O_CLOEXEC);
  if (f < 0)
    return errno == ENOENT ? 0 : pr_fail (err, errno, "open", path);
  int e = write (f, "1", 1) == 1 ? 0 : errno;
  close (f);
  return e ? pr_fail (err, e, "write", path) : 0;
}

static int delete_link (int fd, const char *name, struct pr_error *err)
{
  struct pr_error ignored;
  int index = ifindex (name, &ignored);
  if (index < 0)
    return 0; /* already gone */
  struct nlreq r;
  begin (&r, RTM_DELLINK, 0);
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  put (&r, &ifi, sizeof ifi);
  return talk (fd, &r, "RTM_DELLINK", name, false, err);
}

static int create_veth (int fd, const struct pr_podnet_req *req, int bridge, struct pr_error *err)
{
  struct nlreq r;
  begin (&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  put (&r, &ifi, sizeof ifi);
  attr (&r, IFLA_IFNAME, req->host_veth, slen (req->host_veth) + 1);
  attr (&r, IFLA_MTU, &req->mtu, 4);
  attr (&r, IFLA_MASTER, &bridge, 4);
  struct rtattr *info = attr (&r, IFLA_LINKINFO, NULL, 0);
  attr (&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = attr (&r, IFLA_INFO_DATA, NULL, 0);
  /* The peer is made directly in the pod's namespace, already named eth0. */
  struct rtattr *peer = attr (&r, VETH_INFO_PEER, NULL, 0);
  struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
  put (&r, &pifi, sizeof pifi);
  attr (&r, IFLA_IFNAME, "eth0", 5);
  attr (&r, IFLA_MTU, &req->mtu, 4);
  attr (&r, IFLA_NET_NS_FD, &req->pod_netns_fd, 4);
  nest_end (&r, peer);
  nest_end (&r, data);
  nest_end (&r, info);
  if (talk (fd, &r, "RTM_NEWLINK veth", req->host_veth, false, err) < 0)
    {
      /* The name is the pod's: one that exists is the veth of this pod's previous sandbox,
       * whose namespace the kernel is still tearing down (a sandbox made again right after
       * its shim died). It goes, and the new one is made. */
      if (err->errnum != EEXIST || delete_link (fd, req->host_veth, err) < 0
          || talk (fd, &r, "RTM_NEWLINK veth", req->host_veth, false, err) < 0)
        return -1;
    }
  int index = ifindex (req->host_veth, err);
  return index < 0 || ipv6_off (req->host_veth, err) < 0 ? -1 : link_up (fd, index, req->host_veth, err);
}

static int default_route (int fd, uint32_t gateway, struct pr_error *err)
{
  struct nlreq r;
  begin (&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg rt = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
  put (&r, &rt, sizeof rt);
  attr (&r, RTA_GATEWAY, &gateway, 4);
  return talk (fd, &r, "RTM_NEWROUTE", "default", true, err);
}

static int child (const struct pr_podnet_req *req, struct pr_error *err)
{
  if (req->host_pidfd >= 0
      && syscall (SYS_setns, req->host_pidfd, CLONE_NEWNET | (req->host_join_user ? CLONE_NEWUSER : 0)) < 0)
    return pr_fail (err, errno, "setns", "network host");
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return pr_fail (err, errno, "socket", "AF_NETLINK");
  if (req->remove_bridge)
    return delete_link (fd, req->bridge, err);
  int bridge = ensure_bridge (fd, req, err);
  if (bridge < 0 || create_veth (fd, req, bridge, err) < 0)
    return -1;
  close (fd);
  /* Now the pod's side: eth0 exists there already. */
  if (syscall (SYS_setns, req->pod_netns_fd, CLONE_NEWNET) < 0)
    return pr_fail (err, errno, "setns", "pod network namespace");
  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return pr_fail (err, errno, "socket", "AF_NETLINK");
  int eth0 = ifindex ("eth0", err);
  if (eth0 < 0 || ipv6_off ("eth0", err) < 0 || addr_add (fd, eth0, req->ip, req->prefix, "eth0", err) < 0 || link_up (fd, eth0, "eth0", err) < 0
      || default_route (fd, req->gateway, err) < 0)
    return -1;
  close (fd);
  return 0;
}

/* The helper when it needs no user namespace (rootful): a vfork-style child (CLONE_VM |
 * CLONE_VFORK) on a stack of its own, which shares Node's memory instead of copying its page
 * tables (a fork costs the copy, TLB shootdowns on every CPU running Node, and copy-on-write
 * faults after), and writes its error straight into ours. The calling thread (a threadpool
 * thread) waits until the child has exited. It cannot join a user namespace: setns refuses a
 * process whose memory is shared, so the rootless case forks (pr_podnet_setup below). */
struct vfork_args
{
  const struct pr_podnet_req *req;
  struct pr_error *err;
  int failed;
};

static int vfork_child (void *arg)
{
  /* --- child sharing Node's memory, all signals blocked: async-signal-safe only --- */
  struct vfork_args *a = arg;
  a->failed = child (a->req, a->err) < 0;
  _exit (0);
}

#define VFORK_STACK (256 * 1024)

static int podnet_setup_vfork (const struct pr_podnet_req *req, struct pr_error *err)
{
  char *stack = mmap (NULL, VFORK_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return pr_fail (err, errno, "mmap", "helper stack");
  struct vfork_args a = { .req = req, .err = err, .failed = 1 };
  struct pr_error child_err = { 0 };
  a.err = &child_err;
  int pidfd = -1;
  sigset_t all, saved;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &saved);
  /* exit signal 0: libuv never sees this child; it is collected through its pidfd. */
  pid_t pid = clone (vfork_child, stack + VFORK_STACK, CLONE_VM | CLONE_VFORK | CLONE_PIDFD, &a, &pidfd);
  int e = errno;
  pthread_sigmask (SIG_SETMASK, &saved, NULL);
  munmap (stack, VFORK_STACK);
  if (pid < 0)
    return pr_fail (err, e, "clone", "network helper");
  siginfo_t si;
  while (waitid ((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
    ;
  close (pidfd);
  if (a.failed)
    {
      *err = child_err;
      return -1;
    }
  return 0;
}

int pr_podnet_setup (const struct pr_podnet_req *req, struct pr_error *err)
{
  if (!req->host_join_user)
    return podnet_setup_vfork (req, err);
  int report[2];
  if (pipe2 (report, O_CLOEXEC) < 0)
    return pr_fail (err, errno, "pipe2", NULL);
  int pidfd = -1;
  /* exit_signal 0: libuv never sees this child; we collect it ourselves through its pidfd. */
  pid_t pid = pr_clone_from_node (0, &pidfd, 0);
  if (pid < 0)
    {
      int e = errno;
      close (report[0]);
      close (report[1]);
      return pr_fail (err, e, "clone3", NULL);
    }
  if (pid == 0)
    {
      /* --- child of Node: async-signal-safe only --- */
      struct pr_error cerr = { 0 };
      close (report[0]);
      if (child (req, &cerr) < 0)
        pr_write_all (report[1], &cerr, sizeof cerr);
      _exit (0);
    }
  close (report[1]);
  struct pr_error cerr;
  ssize_t n;
  do
    n = read (report[0], &cerr, sizeof cerr);
  while (n < 0 && errno == EINTR);
  close (report[0]);
  siginfo_t si;
  waitid ((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | __WALL);
  close (pidfd);
  if (n == (ssize_t) sizeof cerr)
    {
      *err = cerr;
      return -1;
    }
  return 0;
}
