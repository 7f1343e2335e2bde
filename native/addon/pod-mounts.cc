// podMounts({pidfd, usernsFd, mounts: [{kind, source, target, once}]}): every key required, as
// src/native.ts types them. Synchronous: a clone, a few mount calls, a wait (well under a
// millisecond a mount).
#include "pod-mounts.h"

#include "napi-errors.h"

extern "C" {
#include "../core/idmap-mount.h"
}

#include <string.h>

#include <string>
#include <vector>

Napi::Value PodMounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "podMounts: a request object is required");
  Napi::Object req = info[0].As<Napi::Object>();
  int pidfd = RequiredInt(req, "pidfd");
  int userns = RequiredInt(req, "usernsFd");
  Napi::Value list = req.Get("mounts");
  if (!list.IsArray()) throw Napi::TypeError::New(env, "request.mounts: required array");
  Napi::Array a = list.As<Napi::Array>();
  if (a.Length() > PR_POD_MAX_MOUNTS) throw Napi::RangeError::New(env, "request.mounts: too many");
  // Strings kept alive until the child is done; the child only reads them.
  std::vector<std::string> strings;
  strings.reserve(a.Length() * 2);
  std::vector<pr_pod_mount> mounts(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "request.mounts[]: required object");
    Napi::Object m = v.As<Napi::Object>();
    std::string kind = RequiredString(m, "kind");
    if (kind == "tmpfs") mounts[i].kind = PR_POD_TMPFS;
    else if (kind == "bind") mounts[i].kind = PR_POD_BIND;
    else if (kind == "idmap") mounts[i].kind = PR_POD_BIND_IDMAP;
    else if (kind == "readonly") mounts[i].kind = PR_POD_READONLY;
    else throw Napi::TypeError::New(env, "request.mounts[].kind: one of tmpfs, bind, idmap, readonly");
    strings.push_back(RequiredString(m, "source"));
    mounts[i].source = strings.back().c_str();
    strings.push_back(RequiredString(m, "target"));
    mounts[i].target = strings.back().c_str();
    mounts[i].once = RequiredBool(m, "once");
  }
  pr_error err = {};
  if (pr_pod_mounts(pidfd, userns, mounts.data(), static_cast<int>(mounts.size()), &err) < 0) throw SystemError(env, err);
  return env.Undefined();
}
