#include "protocol.h"
#include "../core/json-check.h"

#include <stdio.h>
#include <string.h>

#define END { NULL, 0, false, NULL }

/* ---- start: the container plan (src/plan/container.ts ContainerPlan) ---- */

static const struct jc_field device_node_fields[] = {
  { "source", JC_STRING, false, NULL }, { "target", JC_STRING, false, NULL }, { "readonly", JC_BOOL, false, NULL }, END,
};
static const struct jc_shape device_node = { device_node_fields, NULL, NULL };

static const struct jc_field op_common[] = { { "target", JC_STRING, false, NULL }, END };
static const struct jc_field op_overlay[] = {
  { "lower", JC_STRINGS, false, NULL }, { "upper", JC_STRING, false, NULL }, { "work", JC_STRING, false, NULL },
  { "userxattr", JC_BOOL, false, NULL }, END,
};
static const struct jc_field op_fuse[] = {
  { "program", JC_STRING, false, NULL }, { "lower", JC_STRINGS, false, NULL }, { "upper", JC_STRING, false, NULL },
  { "work", JC_STRING, false, NULL }, END,
};
static const struct jc_field op_tmpfs[] = { { "options", JC_STRING, false, NULL }, { "readonly", JC_BOOL, true, NULL }, END };
static const struct jc_field op_bind[] = {
  { "source", JC_STRING, false, NULL }, { "readonly", JC_BOOL, false, NULL }, { "sub", JC_STRING, true, NULL },
  { "recursive", JC_BOOL, true, NULL }, { "file", JC_BOOL, true, NULL }, { "propagation", JC_STRING, true, NULL }, END,
};
static const struct jc_field op_symlink[] = { { "link", JC_STRING, false, NULL }, END };
static const struct jc_field op_mkdir[] = { { "mode", JC_UINT, false, NULL }, END };
static const struct jc_field op_none[] = { END };
static const struct jc_field op_sysfs[] = { { "readonly", JC_BOOL, false, NULL }, END };
static const struct jc_field op_dev[] = { { "nodes", JC_OBJECTS, false, &device_node }, { "hostDevices", JC_BOOL, false, NULL }, END };
static const struct jc_variant op_variants[] = {
  { "overlay", op_overlay }, { "fuse-overlayfs", op_fuse }, { "tmpfs", op_tmpfs }, { "bind", op_bind },
  { "symlink", op_symlink }, { "mkdir", op_mkdir }, { "proc", op_none }, { "sysfs", op_sysfs }, { "dev", op_dev },
  { NULL, NULL },
};
static const struct jc_shape mount_op = { op_common, "type", op_variants };

static const struct jc_field seccomp_fields[] = { { "filter", JC_STRING, false, NULL }, END };
static const struct jc_shape seccomp = { seccomp_fields, NULL, NULL };

static const struct jc_field cgroup_fields[] = { { "procs", JC_STRINGS, false, NULL }, { "oomCounter", JC_STRING, false, NULL }, END };
static const struct jc_shape cgroup = { cgroup_fields, NULL, NULL };

static const struct jc_field plan_fields[] = {
  { "name", JC_STRING, false, NULL },
  { "attempt", JC_UINT, false, NULL },
  { "root", JC_STRING, false, NULL },
  { "newPidns", JC_BOOL, false, NULL },
  { "ops", JC_OBJECTS, false, &mount_op },
  { "readonlyRoot", JC_BOOL, false, NULL },
  { "nodev", JC_BOOL, false, NULL },
  { "maskedPaths", JC_STRINGS, false, NULL },
  { "readonlyPaths", JC_STRINGS, false, NULL },
  { "uid", JC_UINT, false, NULL },
  { "gid", JC_UINT, false, NULL },
  { "groups", JC_UINTS, false, NULL },
  { "setGroups", JC_BOOL, false, NULL },
  { "capBounding", JC_UINT, false, NULL },
  { "capEffective", JC_UINT, false, NULL },
  { "noNewPrivs", JC_BOOL, false, NULL },
  { "seccomp", JC_NULLABLE, false, &seccomp },
  { "cwd", JC_STRING, false, NULL },
  { "argv", JC_STRINGS, false, NULL },
  { "env", JC_STRINGS, false, NULL },
  { "logPath", JC_STRING, false, NULL },
  { "logMaxSize", JC_UINT, false, NULL },
  { "logMaxFiles", JC_UINT, false, NULL },
  { "startPath", JC_STRING, false, NULL },
  { "exitPath", JC_STRING, false, NULL },
  { "targetContainer", JC_STRING, true, NULL },
  { "oomScoreAdj", JC_INT, true, NULL },
  { "tty", JC_BOOL, false, NULL },
  { "stdin", JC_BOOL, false, NULL },
  { "cgroup", JC_OBJECT, false, &cgroup },
  END,
};
static const struct jc_shape plan = { plan_fields, NULL, NULL };

/* ---- the requests (src/runtime/shim-protocol.ts ShimRequest) ---- */

static const struct jc_field req_common[] = { { "id", JC_INT, false, NULL }, END };
static const struct jc_field req_start[] = { { "container", JC_OBJECT, false, &plan }, END };
static const struct jc_field req_probe_overlay[] = {
  { "target", JC_STRING, false, NULL }, { "lower", JC_STRINGS, false, NULL }, { "upper", JC_STRING, false, NULL },
  { "work", JC_STRING, false, NULL }, { "userxattr", JC_BOOL, false, NULL }, END,
};
static const struct jc_field req_probe_fuse[] = {
  { "target", JC_STRING, false, NULL }, { "program", JC_STRING, false, NULL }, { "lower", JC_STRINGS, false, NULL },
  { "upper", JC_STRING, false, NULL }, { "work", JC_STRING, false, NULL }, END,
};
static const struct jc_field req_signal[] = { { "name", JC_STRING, false, NULL }, { "signal", JC_UINT, false, NULL }, END };
static const struct jc_field req_name[] = { { "name", JC_STRING, false, NULL }, END };
static const struct jc_field req_resize[] = {
  { "name", JC_STRING, false, NULL }, { "rows", JC_UINT, false, NULL }, { "cols", JC_UINT, false, NULL }, END,
};
static const struct jc_field req_shutdown[] = { { "remove", JC_STRINGS, false, NULL }, END };
static const struct jc_variant req_variants[] = {
  { "hello", op_none }, { "subscribe", op_none }, { "start", req_start }, { "probe-overlay", req_probe_overlay },
  { "probe-fuse-overlayfs", req_probe_fuse }, { "signal", req_signal }, { "attach", req_name }, { "resize", req_resize },
  { "reopen-log", req_name }, { "list", op_none }, { "shutdown", req_shutdown }, { NULL, NULL },
};
static const struct jc_shape request = { req_common, "op", req_variants };

int protocol_check_request (const struct json *req, char *msg, size_t len)
{
  const struct json *op = json_get (req, "op");
  char body[900];
  if (jc_check (req, &request, "", body, sizeof body) == 0)
    return 0;
  /* Named by the op when there is one, as the engine's error names the request. */
  if (op && op->type == JSON_STRING && strncmp (body, "op:", 3) != 0)
    snprintf (msg, len, "%.60s: %s", op->string, body);
  else
    snprintf (msg, len, "%s", body);
  return -1;
}

/* ---- shim-config.json (src/runtime/sandbox.ts createSandbox) ---- */

static const struct jc_field tmpfs_fields[] = { { "target", JC_STRING, false, NULL }, { "options", JC_STRING, false, NULL }, END };
static const struct jc_shape tmpfs = { tmpfs_fields, NULL, NULL };
static const struct jc_field port_fields[] = {
  { "fd", JC_UINT, false, NULL }, { "protocol", JC_STRING, false, NULL }, { "ip", JC_STRING, false, NULL },
  { "port", JC_UINT, false, NULL }, END,
};
static const struct jc_shape port = { port_fields, NULL, NULL };
static const struct jc_field sysctl_fields[] = { { "path", JC_STRING, false, NULL }, { "value", JC_STRING, false, NULL }, END };
static const struct jc_shape sysctl = { sysctl_fields, NULL, NULL };
static const struct jc_field volume_fields[] = { { "path", JC_STRING, false, NULL }, { "readOnly", JC_BOOL, false, NULL }, END };
static const struct jc_shape volume = { volume_fields, NULL, NULL };
static const struct jc_field fs_group_fields[] = { { "gid", JC_UINT, false, NULL }, { "volumes", JC_OBJECTS, false, &volume }, END };
static const struct jc_shape fs_group = { fs_group_fields, NULL, NULL };
static const struct jc_field config_fields[] = {
  { "protocol", JC_UINT, false, NULL },
  { "loopback", JC_BOOL, false, NULL },
  { "mounts", JC_OBJECTS, false, &tmpfs },
  { "ports", JC_OBJECTS, false, &port },
  { "sysctls", JC_OBJECTS, false, &sysctl },
  { "fsGroup", JC_NULLABLE, false, &fs_group },
  { "hostMountNamespace", JC_INT, false, NULL },
  END,
};
static const struct jc_shape config_shape = { config_fields, NULL, NULL };

int protocol_check_config (const struct json *config, char *msg, size_t len)
{
  return jc_check (config, &config_shape, "", msg, len);
}
