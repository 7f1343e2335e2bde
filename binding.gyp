{
  # Three products from one C core: the N-API addon Node loads, the pod shim it execs,
  # and a static payload the tests run inside containers.
  "variables": {
    "core_sources": [
      "native/core/util.c",
      "native/core/json.c",
      "native/core/json-check.c",
      "native/core/identity.c",
      "native/core/seccomp.c",
      "native/core/mounts.c",
      "native/core/netlink.c",
      "native/core/cgroup.c"
    ],
    "warnings": ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Wno-cast-function-type"]
  },
  "targets": [
    {
      "target_name": "podrun",
      "sources": ["native/addon/addon.cc", "native/addon/layer-decoder.cc", "native/addon/sandbox-workers.cc", "native/addon/pod-mounts.cc", "native/core/spawn.c", "native/core/idmap-mount.c", "native/core/cgroup.c", "native/core/netconnect.c", "native/core/podnet.c", "native/core/util.c", "native/core/identity.c", "native/core/seccomp.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags": ["<@(warnings)", "-fvisibility=hidden"],
      "cflags_cc": ["<@(warnings)", "-fvisibility=hidden", "-std=c++17", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    },
    {
      "target_name": "podrun-shim",
      "type": "executable",
      "sources": [
        "<@(core_sources)",
        "native/shim/main.c",
        "native/shim/protocol.c",
        "native/shim/container.c",
        "native/shim/pod-init.c",
        "native/shim/devices.c",
        "native/shim/logs.c",
        "native/shim/records.c",
        "native/shim/ports.c",
        "native/shim/fuse-root.c",
        "native/shim/copy.c"
      ],
      "cflags": ["<@(warnings)", "-std=gnu11", "-O2"],
      # Static: no shared libraries to map, so an idle pod costs less resident memory.
      "ldflags": ["-static"]
    },
    {
      "target_name": "podrun-payload",
      "type": "executable",
      "sources": ["native/payload/payload.c", "native/payload/attempts.c"],
      "cflags": ["<@(warnings)", "-std=gnu11", "-O2"],
      "ldflags": ["-static"]
    }
  ]
}
