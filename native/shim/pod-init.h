/* The pod's init for a shared PID namespace (pod-init.c). */
#ifndef PODRUN_SHIM_POD_INIT_H
#define PODRUN_SHIM_POD_INIT_H

#include "../core/util.h"

/* A pidfd of the pod's init, made on first use (again if it died): a container of a pod whose
 * containers share one PID namespace joins that init's, not the shim's. -1 and err on failure. */
int pod_init_pidfd (struct pr_error *err);

/* `podrun-shim pod-init FD`: the init itself, exec'd by the child pod_init_pidfd made. */
int pod_init_main (int argc, char **argv);

#endif
