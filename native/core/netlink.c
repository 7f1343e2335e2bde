#include "netlink.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

int pr_link_up (int ifindex, struct pr_error *err)
{
  struct
  {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
  } req;
  char reply[256];
  cleanup_close int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return pr_fail (err, errno, "socket", "AF_NETLINK");

  memset (&req, 0, sizeof req);
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_NEWLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex;
  req.ifi.ifi_flags = IFF_UP;
  req.ifi.ifi_change = IFF_UP;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (sendto (fd, &req, sizeof req, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    return pr_fail (err, errno, "sendto", "RTM_NEWLINK");
  ssize_t n = recv (fd, reply, sizeof reply, 0);
  if (n < 0)
    return pr_fail (err, errno, "recv", "RTM_NEWLINK");
  struct nlmsghdr *nh = (struct nlmsghdr *) reply;
  if ((size_t) n >= sizeof *nh + sizeof (struct nlmsgerr) && nh->nlmsg_type == NLMSG_ERROR)
    {
      struct nlmsgerr *e = NLMSG_DATA (nh);
      if (e->error)
        return pr_fail (err, -e->error, "RTM_NEWLINK", "lo");
    }
  return 0;
}
