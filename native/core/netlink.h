#ifndef PODRUN_NETLINK_H
#define PODRUN_NETLINK_H
#include "util.h"
/* Brings an interface up with one RTM_NEWLINK request (a new network namespace has `lo` down). */
int pr_link_up (int ifindex, struct pr_error *err);
#endif
