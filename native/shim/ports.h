/* Published ports forwarded by the shim (see ports.c). */
#ifndef PODRUN_SHIM_PORTS_H
#define PODRUN_SHIM_PORTS_H

#include "../core/json.h"
#include "../core/util.h"

/* Takes the inherited host sockets listed in the config's "ports" ([{fd, protocol, ip, port}])
 * and registers them on epfd; every event this module registers carries `tag`. */
int ports_setup (const struct json *config, int epfd, uint64_t tag, struct pr_error *err);
/* An epoll event whose tag was ours: ptr is the pointer part. */
void ports_event (void *ptr, uint32_t events);

#endif
