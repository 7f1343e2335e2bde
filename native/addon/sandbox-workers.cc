// The two calls a pod start makes that fork: making the sandbox (clone3 of the shim into new
// namespaces) and wiring its network (a helper child that enters the namespaces and speaks
// netlink). Both run on libuv's threadpool and answer with a Promise: forking copies Node's
// page tables, a new network namespace and a veth wait on the kernel, and none of that needs to
// hold the event loop, which meanwhile starts other pods. The fork happens on a pool thread;
// the child runs only async-signal-safe code on its own copy (native/core), exactly as it does
// when forked from the main thread. Requests are copied into the worker before it is queued.
#include "sandbox-workers.h"

#include "napi-errors.h"

extern "C" {
#include "../core/podnet.h"
#include "../core/spawn.h"
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <vector>

// <linux/pidfd.h> of older headers lacks it: PIDFD_GET_NET_NAMESPACE is _IO(PIDFS_IOCTL_MAGIC 0xFF, 4) (Linux 6.11).
#define PIDFD_GET_NET_NAMESPACE_ _IO(0xFF, 4)

namespace {

// Owns argv/envp strings for as long as the worker lives; the child only reads them.
struct OwnedStrings {
  std::vector<std::string> strings;
  std::vector<char*> ptrs;
  OwnedStrings(const Napi::Object& o, const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string("request.") + key + ": required array of strings");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value s = a.Get(i);
      if (!s.IsString()) throw Napi::TypeError::New(o.Env(), std::string("request.") + key + ": required array of strings");
      strings.push_back(s.As<Napi::String>().Utf8Value());
    }
    // Pointers taken once every string is in place (push_back may move short strings).
    for (auto& s : strings) ptrs.push_back(const_cast<char*>(s.c_str()));
    ptrs.push_back(nullptr);
  }
};

// A threadpool job answered with a Promise: rejected with the thrown error if one escapes.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name) : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise::Deferred deferred_;
};

class SandboxWorker : public PromiseWorker {
 public:
  SandboxWorker(Napi::Env env, const Napi::Object& o)
      : PromiseWorker(env, "podrun:createSandbox"),
        shim_(RequiredString(o, "shim")),
        hostname_(RequiredString(o, "hostname")),
        argv_(o, "argv"),
        env_(o, "env") {
    Napi::Value keep = o.Get("keepFds");
    if (!keep.IsArray()) throw Napi::TypeError::New(env, "request.keepFds: required array of numbers");
    Napi::Array a = keep.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!a.Get(i).IsNumber()) throw Napi::TypeError::New(env, "request.keepFds: required array of numbers");
      keep_.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    }
    Napi::Value flags = Required(o, "cloneFlags", napi_number, "number");
    req_.clone_flags = static_cast<unsigned long long>(flags.As<Napi::Number>().Int64Value());
    req_.path = shim_.c_str();
    // Opened here, as the caller: the child execs through it (see pr_sandbox_req.exec_fd).
    exec_fd_ = open(shim_.c_str(), O_RDONLY | O_CLOEXEC);
    if (exec_fd_ < 0) throw Errno(env, errno, "open", shim_.c_str());
    req_.exec_fd = exec_fd_;
    req_.argv = argv_.ptrs.data();
    req_.envp = env_.ptrs.data();
    req_.hostname = hostname_.empty() ? nullptr : hostname_.c_str();
    req_.log_fd = RequiredInt(o, "logFd");
    req_.join_userns_pidfd = RequiredInt(o, "joinUserPidfd");
    req_.keep_fds = keep_.data();
    req_.n_keep = static_cast<int>(keep_.size());
  }
  ~SandboxWorker() override {
    if (exec_fd_ >= 0) close(exec_fd_);
  }


 protected:
  void Execute() override { rc_ = pr_sandbox_clone(&req_, &out_, &err_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (rc_ < 0) {
      deferred_.Reject(SystemError(env, err_).Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("pid", out_.pid);
    r.Set("pidfd", out_.pidfd);
    r.Set("syncFd", out_.sync_fd);
    r.Set("readyFd", out_.ready_fd);
    deferred_.Resolve(r);
  }


 private:
  std::string shim_, hostname_;
  OwnedStrings argv_, env_;
  std::vector<int> keep_;
  pr_sandbox_req req_ = {};
  int exec_fd_ = -1;
  pr_sandbox out_ = {};
  pr_error err_ = {};
  int rc_ = 0;
};

class PodNetworkWorker : public PromiseWorker {
 public:
  PodNetworkWorker(Napi::Env env, const Napi::Object& o)
      : PromiseWorker(env, "podrun:configurePodNetwork"),
        bridge_(RequiredString(o, "bridge")),
        veth_(RequiredString(o, "hostVeth")) {
    std::string ip = RequiredString(o, "ip"), gw = RequiredString(o, "gateway");
    in_addr a, g;
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1) throw Errno(env, EINVAL, "inet_pton", ip.c_str());
    if (inet_pton(AF_INET, gw.c_str(), &g) != 1) throw Errno(env, EINVAL, "inet_pton", gw.c_str());
    req_.ip = a.s_addr;
    req_.gateway = g.s_addr;
    req_.prefix = RequiredInt(o, "prefix");
    req_.mtu = RequiredInt(o, "mtu");
    req_.bridge = bridge_.c_str();
    req_.host_veth = veth_.c_str();
    req_.host_pidfd = RequiredInt(o, "hostPidfd");
    req_.host_join_user = RequiredBool(o, "hostJoinUser");
    req_.forwarding = RequiredBool(o, "forwarding");
    req_.remove_bridge = RequiredBool(o, "removeBridge");
    pod_pidfd_ = RequiredInt(o, "podPidfd");
  }


 protected:
  void Execute() override {
    if (req_.remove_bridge) {
      rc_ = pr_podnet_setup(&req_, &err_);
      return;
    }
    // The pod's network namespace, from its pidfd (PIDFD_GET_NET_NAMESPACE, Linux 6.11).
    int netns = ioctl(pod_pidfd_, PIDFD_GET_NET_NAMESPACE_, 0);
    if (netns < 0) {
      rc_ = pr_fail(&err_, errno, "ioctl PIDFD_GET_NET_NAMESPACE", "pod");
      return;
    }
    req_.pod_netns_fd = netns;
    rc_ = pr_podnet_setup(&req_, &err_);
    close(netns);
  }

  void OnOK() override {
    if (rc_ < 0)
      deferred_.Reject(SystemError(Env(), err_).Value());
    else
      deferred_.Resolve(Env().Undefined());
  }


 private:
  std::string bridge_, veth_;
  pr_podnet_req req_ = {};
  pr_error err_ = {};
  int pod_pidfd_ = -1;
  int rc_ = 0;
};

}  // namespace

// createSandbox({ shim, argv, env, hostname, logFd, cloneFlags, joinUserPidfd, keepFds })
//   -> Promise<{ pid, pidfd, syncFd, readyFd }>
Napi::Value CreateSandbox(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "createSandbox: a request object is required");
  auto* w = new SandboxWorker(info.Env(), info[0].As<Napi::Object>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// configurePodNetwork({ hostPidfd, hostJoinUser, forwarding, podPidfd, bridge, hostVeth, ip,
//   gateway, prefix, mtu, removeBridge }) -> Promise<void>: bridge (made once), veth into the pod
// as eth0, the pod's address and default route; or, with removeBridge, the bridge deleted.
Napi::Value ConfigurePodNetwork(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "configurePodNetwork: a request object is required");
  auto* w = new PodNetworkWorker(info.Env(), info[0].As<Napi::Object>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}
