// podMounts: mounts root's engine makes in a pod's own mount namespace (native/core/idmap-mount.c).
#pragma once

#include <napi.h>

Napi::Value PodMounts(const Napi::CallbackInfo& info);
