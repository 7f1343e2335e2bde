// The N-API surface: a handful of functions, each a thin wrapper over native/core.
// Arguments arrive already validated by TypeScript (src/native.ts types them); this file only
// copies them into plain C buffers before any clone, and turns failures into JS errors that
// carry errno, syscall and path.
#include <napi.h>
#include <uv.h>

#include "layer-decoder.h"
#include "napi-errors.h"
#include "pod-mounts.h"
#include "sandbox-workers.h"

extern "C" {
#include "../core/netconnect.h"
#include "../core/spawn.h"
}

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/file.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include <memory>
#include <string>
#include <vector>


namespace {

// Kills and collects an exec'd process we cannot hand to JavaScript.
void pr_exec_cleanup(pr_exec* out) {
  pr_pidfd_send_signal(out->pidfd, SIGKILL);
  siginfo_t si;
  waitid(static_cast<idtype_t>(P_PIDFD), out->pidfd, &si, WEXITED);
  close(out->pidfd);
}

// Owns the strings of an argv/envp array until the call returns; the child only reads them.
struct StringArray {
  std::vector<std::string> strings;
  std::vector<char*> ptrs;
  explicit StringArray(const Napi::Value& v) {
    if (v.IsArray()) {
      Napi::Array a = v.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) strings.push_back(a.Get(i).ToString().Utf8Value());
    }
    for (auto& s : strings) ptrs.push_back(const_cast<char*>(s.c_str()));
    ptrs.push_back(nullptr);
  }
  char* const* data() { return ptrs.data(); }
};

int Int(const Napi::Object& o, const char* key, int dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}

bool Bool(const Napi::Object& o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int fd = pr_pidfd_open(info[0].As<Napi::Number>().Int32Value(), 0);
  if (fd < 0) throw Errno(info.Env(), errno, "pidfd_open");
  return Napi::Number::New(info.Env(), fd);
}

// pidfdSendSignal(fd, sig) -> false when the process has already exited.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  int r = pr_pidfd_send_signal(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
  if (r < 0 && errno != ESRCH) throw Errno(info.Env(), errno, "pidfd_send_signal");
  return Napi::Boolean::New(info.Env(), r == 0);
}

Napi::Value ExitInfo(Napi::Env env, const siginfo_t& si) {
  Napi::Object r = Napi::Object::New(env);
  if (si.si_code == CLD_EXITED) {
    r.Set("exitCode", si.si_status);
    r.Set("signal", 0);
  } else {
    r.Set("exitCode", 128 + si.si_status);
    r.Set("signal", si.si_status);
  }
  return r;
}

// reapPidfd(fd) -> null while running, { exitCode, signal } once collected, or
// { exitCode: -1 } when the process is not our child (someone else collects it).
Napi::Value ReapPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  siginfo_t si = {};
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (waitid(static_cast<idtype_t>(P_PIDFD), fd, &si, WEXITED | WNOHANG) < 0) {
    if (errno != ECHILD) throw Errno(env, errno, "waitid");
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 1) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("exitCode", -1);
      r.Set("signal", 0);
      return r;
    }
    return env.Null();
  }
  if (si.si_pid == 0) return env.Null();
  return ExitInfo(env, si);
}

// One event on an fd, watched on the event loop (no threads, no SIGCHLD): a pidfd becomes
// readable when its process exits; a connecting socket becomes writable when the connect has
// finished, either way. The handle is stopped before the callback runs, so the fd may then be
// closed or handed to net.Socket.
template <int EVENTS, bool SOCKET>
class FdWatch : public Napi::ObjectWrap<FdWatch<EVENTS, SOCKET>> {
  using Base = Napi::ObjectWrap<FdWatch<EVENTS, SOCKET>>;

 public:
  static Napi::Function Init(Napi::Env env, const char* name) {
    return Base::DefineClass(env, name, {Base::InstanceMethod("close", &FdWatch::Close)});
  }

  // (fd, callback, keepAlive = true). keepAlive false: the watch does not hold the process open
  // (the reaper of a shim that outlives us).
  FdWatch(const Napi::CallbackInfo& info) : Base(info) {
    Napi::Env env = info.Env();
    int fd = info[0].As<Napi::Number>().Int32Value();
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop;
    napi_get_uv_event_loop(env, &loop);
    handle_ = new uv_poll_t;
    handle_->data = this;
    int r = SOCKET ? uv_poll_init_socket(loop, handle_, fd) : uv_poll_init(loop, handle_, fd);
    if (r != 0) {
      delete handle_;
      handle_ = nullptr;
      throw Errno(env, EBADF, "uv_poll_init");
    }
    uv_poll_start(handle_, EVENTS, OnEvent);
    if (info.Length() > 2 && info[2].IsBoolean() && !info[2].As<Napi::Boolean>().Value())
      uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    this->Ref();  // alive while polling, even if JS drops its reference
  }

  // At environment teardown a watch may still be polling: stop the handle, but leave the
  // reference alone (the object is being finalized; unref'ing it now would throw).
  ~FdWatch() { Stop(false); }

 private:
  static void OnEvent(uv_poll_t* h, int, int) {
    FdWatch* self = static_cast<FdWatch*>(h->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    Napi::FunctionReference callback = std::move(self->callback_);
    self->Stop(true);
    // From the event loop there is no JavaScript caller to throw to: an exception of the
    // callback becomes an uncaught exception (with its stack), not a C++ terminate.
    try {
      callback.MakeCallback(env.Global(), {});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  void Stop(bool unref) {
    if (!handle_) return;
    uv_poll_stop(handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
    if (unref) this->Unref();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(true);
    return info.Env().Undefined();
  }

  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference callback_;
};

using PidfdWatch = FdWatch<UV_READABLE, false>;
using WritableWatch = FdWatch<UV_WRITABLE, true>;

// exec({ pidfd, nsFlags, uid, gid, groups, setGroups, capBounding, capEffective, noNewPrivs, cwd,
//        argv, env, path, tty, rows, cols, programFd }) -> { pid, pidfd, stdin, stdout, stderr }
// `path` is the container's PATH; candidates are built here, tried by the child in order.
Napi::Value Exec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  // Every key ExecRequest (src/native.ts) requires is required here too: a renamed uid must not
  // run the process as 0, nor a missing capBounding give it the default set.
  StringArray argv(RequiredArray(o, "argv", IsStringValue, "strings")), envp(RequiredArray(o, "env", IsStringValue, "strings"));
  if (argv.strings.empty()) throw Errno(env, EINVAL, "exec", "no command specified");
  // Required, as every key of the protocol: [] where the container has no cgroups.
  Napi::Value cgroupProcs = o.Get("cgroupProcs");
  bool procsOk = cgroupProcs.IsArray();
  for (uint32_t i = 0; procsOk && i < cgroupProcs.As<Napi::Array>().Length(); i++) procsOk = cgroupProcs.As<Napi::Array>().Get(i).IsString();
  if (!procsOk) throw Errno(env, EINVAL, "exec", "cgroupProcs (the container's cgroup.procs paths, [] for none) is required");
  StringArray procs(cgroupProcs);
  std::string cwd = RequiredString(o, "cwd");
  std::string path = RequiredString(o, "path");

  std::vector<std::string> candidates;
  const std::string& cmd = argv.strings[0];
  if (cmd.find('/') != std::string::npos) {
    candidates.push_back(cmd);
  } else {
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      std::string dir = path.substr(start, end - start);
      candidates.push_back((dir.empty() ? "." : dir) + "/" + cmd);
      start = end + 1;
    }
  }
  std::vector<const char*> cand;
  for (auto& c : candidates) cand.push_back(c.c_str());
  cand.push_back(nullptr);

  pr_exec_req req = {};
  req.target_pidfd = RequiredInt(o, "pidfd");
  req.ns_flags = RequiredInt(o, "nsFlags");
  if (!IsIdValue(o.Get("uid")) || !IsIdValue(o.Get("gid"))) throw Napi::TypeError::New(env, "request.uid and request.gid: required ids (non-negative integers)");
  req.id.uid = static_cast<uid_t>(o.Get("uid").As<Napi::Number>().Uint32Value());
  req.id.gid = static_cast<gid_t>(o.Get("gid").As<Napi::Number>().Uint32Value());
  req.id.set_groups = RequiredBool(o, "setGroups");
  Napi::Array g = RequiredArray(o, "groups", IsIdValue, "ids");
  for (uint32_t i = 0; i < g.Length() && req.id.ngroups < PR_MAX_GROUPS; i++)
    req.id.groups[req.id.ngroups++] = g.Get(i).As<Napi::Number>().Uint32Value();
  req.id.cap_bounding = RequiredU64(o, "capBounding");
  req.id.cap_effective = RequiredU64(o, "capEffective");
  req.id.cap_last = pr_cap_last();
  req.id.no_new_privs = RequiredBool(o, "noNewPrivs");
  // Required: the container's seccomp filter in hex (src/seccomp/compile.ts), or null when it is
  // unconfined; decoded here, before the clone, so the child only loads it.
  struct SeccompGuard {
    pr_seccomp s = {};
    ~SeccompGuard() { pr_seccomp_free(&s); }
  } seccomp;
  Napi::Value sc = o.Get("seccomp");
  if (sc.IsString()) {
    pr_error e = {};
    if (pr_seccomp_decode(sc.As<Napi::String>().Utf8Value().c_str(), &seccomp.s, &e) < 0) throw Errno(env, e.errnum, "exec seccomp filter", e.path);
  } else if (!sc.IsNull()) {
    throw Errno(env, EINVAL, "exec", "seccomp is required: null or the filter in hex");
  }
  req.id.seccomp = seccomp.s.len ? &seccomp.s : nullptr;
  req.cwd = cwd.c_str();
  req.argv = argv.data();
  req.envp = envp.data();
  req.path_candidates = cand.data();
  // Optional in ExecRequest: absent, argv[0] is looked up in the container; a terminal's size
  // is 24x80 until the first resize.
  req.program_fd = Int(o, "programFd", -1);
  req.tty = RequiredBool(o, "tty");
  req.cgroup_procs = procs.data();

  // Our ends are CLOEXEC; the child's ends become its 0-2 through dup2.
  int ours[3] = {-1, -1, -1}, theirs[3] = {-1, -1, -1};
  auto closeAll = [&]() {
    for (int i = 0; i < 3; i++) {
      if (ours[i] >= 0) close(ours[i]);
      if (theirs[i] >= 0 && (i == 0 || theirs[i] != theirs[0])) close(theirs[i]);
    }
  };
  int sock[2] = {-1, -1};
  if (req.tty) {
    // The terminal is opened inside the container (its devpts); its master comes back here.
    req.rows = static_cast<unsigned short>(Int(o, "rows", 24));
    req.cols = static_cast<unsigned short>(Int(o, "cols", 80));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0) throw Errno(env, errno, "socketpair");
    req.pty_sock = sock[1];
  } else {
    for (int i = 0; i < 3; i++) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) {
        int e = errno;
        closeAll();
        throw Errno(env, e, "pipe2");
      }
      ours[i] = i == 0 ? p[1] : p[0];
      theirs[i] = i == 0 ? p[0] : p[1];
    }
  }
  for (int i = 0; i < 3; i++) req.stdio[i] = theirs[i];

  pr_exec out;
  pr_error err;
  int r = pr_exec_spawn(&req, &out, &err);
  if (req.tty) {
    close(sock[1]);
    if (r == 0) {
      // The middle child has exited by now, so the master is waiting in the socket (or never came).
      char byte;
      iovec iov = {&byte, 1};
      union {
        cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
      } control;
      msghdr msg = {};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      if (recvmsg(sock[0], &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) == 1) {
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&ours[0], CMSG_DATA(c), sizeof(int));
      }
      if (ours[0] < 0) {
        close(sock[0]);
        pr_exec_cleanup(&out);
        throw Errno(env, EIO, "exec", "no terminal came back from the container");
      }
    }
    close(sock[0]);
  }
  for (int i = 0; i < 3; i++)
    if (theirs[i] >= 0 && (i == 0 || theirs[i] != theirs[0])) close(theirs[i]);
  if (r < 0) {
    for (int i = 0; i < 3; i++)
      if (ours[i] >= 0) close(ours[i]);
    throw SystemError(env, err);
  }
  Napi::Object res = Napi::Object::New(env);
  res.Set("pid", out.pid);
  res.Set("pidfd", out.pidfd);
  // With a tty, reading and writing the master go through two handles, which libuv wants on
  // two descriptors: stdin gets a duplicate.
  if (req.tty) ours[1] = fcntl(ours[0], F_DUPFD_CLOEXEC, 3);
  res.Set("stdin", req.tty ? ours[1] : ours[0]);
  res.Set("stdout", req.tty ? ours[0] : ours[1]);
  res.Set("stderr", req.tty ? -1 : ours[2]);
  return res;
}

// setXattr(path, name, value): lsetxattr, never following a final symlink. Image layers mark
// opaque directories for overlayfs this way (trusted.overlay.opaque as root,
// user.overlay.opaque rootless); Node has no xattr API.
Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  std::string path = info[0].ToString().Utf8Value(), name = info[1].ToString().Utf8Value(), value = info[2].ToString().Utf8Value();
  if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) < 0) throw Errno(info.Env(), errno, "lsetxattr", path.c_str());
  return info.Env().Undefined();
}

// mknod(path, kind, mode, major, minor): a device node or FIFO at `path` with exactly `mode`'s
// permission bits (the umask is undone by a chmod of the new node, as `mknod -m` does). Image
// layers carry one whiteout (a 0/0 character device) per deleted file; a process per node cost
// more than the rest of the unpacking.
Napi::Value Mknod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber())
    throw Napi::TypeError::New(env, "mknod(path: string, kind: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number)");
  std::string path = info[0].As<Napi::String>().Utf8Value(), kind = info[1].As<Napi::String>().Utf8Value();
  mode_t type = kind == "char" ? S_IFCHR : kind == "block" ? S_IFBLK : kind == "fifo" ? S_IFIFO : 0;
  if (!type) throw Napi::TypeError::New(env, "mknod: kind must be 'char', 'block' or 'fifo'");
  mode_t perm = info[2].As<Napi::Number>().Uint32Value() & 07777;
  dev_t dev = type == S_IFIFO ? 0 : makedev(info[3].As<Napi::Number>().Uint32Value(), info[4].As<Napi::Number>().Uint32Value());
  if (mknod(path.c_str(), type | perm, dev) < 0) throw Errno(env, errno, "mknod", path.c_str());
  // The node was just made, so `path` is not a symlink: chmod cannot be sent elsewhere.
  if (chmod(path.c_str(), perm) < 0) throw Errno(env, errno, "chmod", path.c_str());
  return env.Undefined();
}

// markTopDir(path) -> whether the filesystem took the hint: sets FS_TOPDIR_FL (chattr +T), so
// that ext2/3/4's Orlov allocator spreads the folders made inside across block groups, as it
// does at the filesystem's top. Pod folders are made and removed by the thousand; in one group
// every new inode is searched for past all the recently freed ones (which ext4 without a
// journal will not reuse for a while), so that one pod's start grew with the pods before it.
// Elsewhere (tmpfs, xfs) the ioctl fails and nothing changes.
Napi::Value MarkTopDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "markTopDir: a path is required");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Errno(env, errno, "open", path.c_str());
  int flags = 0;
  bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  close(fd);
  return Napi::Boolean::New(env, ok);
}

// lockFile(path) -> fd holding an exclusive flock, or -1 when another process holds it.
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].ToString().Utf8Value();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw Errno(env, errno, "open", path.c_str());
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throw Errno(env, e, "flock", path.c_str());
  }
  return Napi::Number::New(env, fd);
}

Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].As<Napi::Number>().Uint32Value());
  ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws);
  return info.Env().Undefined();
}

// Parses { pidfd, rootless, host, port, udp } into a request; `host` must be an IPv4 or IPv6
// literal, parsed here because inet_pton is not for the cloned child.
// Connecting, the pod is required (pidfd, rootless); listening, absent means our own namespace
// (ListenRequest in src/native.ts), and absent udp means TCP.
void NetRequest(Napi::Env env, Napi::Object o, pr_netconnect_req* req, std::string* label, bool connecting) {
  std::string host = RequiredString(o, "host");
  int port = RequiredInt(o, "port");
  *label = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (port < 0 || port > 65535) throw Errno(env, EINVAL, "port", label->c_str());
  req->target_pidfd = connecting ? RequiredInt(o, "pidfd") : Int(o, "pidfd", -1);
  req->join_user = connecting ? RequiredBool(o, "rootless") : Bool(o, "rootless", false);
  req->type = Bool(o, "udp", false) ? SOCK_DGRAM : SOCK_STREAM;
  req->label = label->c_str();
  sockaddr_in* v4 = reinterpret_cast<sockaddr_in*>(&req->addr);
  sockaddr_in6* v6 = reinterpret_cast<sockaddr_in6*>(&req->addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    req->addrlen = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    req->addrlen = sizeof *v6;
  } else {
    throw Errno(env, EINVAL, "inet_pton", host.c_str());
  }
}

// connectInNetns({ pidfd, rootless, host, port }) -> fd: a non-blocking TCP socket created in the
// network namespace of the pod that pidfd's process belongs to, its connect started (see
// native/core/netconnect.h). The caller waits for writability (WritableWatch), then reads
// socketError(fd).
Napi::Value ConnectInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pr_netconnect_req req = {};
  std::string label;
  Napi::Object o = info[0].As<Napi::Object>();
  NetRequest(env, o, &req, &label, true);
  if (Int(o, "port", -1) == 0) throw Errno(env, EINVAL, "connect", label.c_str());
  int fd;
  pr_error err;
  if (pr_connect_in_netns(&req, &fd, &err) < 0) throw SystemError(env, err);
  return Napi::Number::New(env, fd);
}

// listenSocket({ pidfd?, rootless?, host, port, udp? }) -> fd: a bound (and, for TCP,
// listening) non-blocking socket, made in a pod's or the network host's namespace when pidfd is
// given, else in ours. Published ports are these sockets, handed to the pod's shim.
Napi::Value ListenSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pr_netconnect_req req = {};
  std::string label;
  NetRequest(env, info[0].As<Napi::Object>(), &req, &label, false);
  req.listen = true;
  int fd;
  pr_error err;
  int r = req.target_pidfd >= 0 ? pr_connect_in_netns(&req, &fd, &err) : pr_netsocket(&req, &fd, &err);
  if (r < 0) throw SystemError(env, err);
  return Napi::Number::New(env, fd);
}

// socketError(fd) -> the pending error of a socket (SO_ERROR, cleared by reading): 0 once a
// non-blocking connect has succeeded, its errno when it failed.
Napi::Value SocketError(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) throw Errno(info.Env(), errno, "getsockopt");
  return Napi::Number::New(info.Env(), soerr);
}


Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createSandbox", Napi::Function::New(env, CreateSandbox));
  exports.Set("configurePodNetwork", Napi::Function::New(env, ConfigurePodNetwork));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("reapPidfd", Napi::Function::New(env, ReapPidfd));
  exports.Set("PidfdWatch", PidfdWatch::Init(env, "PidfdWatch"));
  exports.Set("exec", Napi::Function::New(env, Exec));
  exports.Set("podMounts", Napi::Function::New(env, PodMounts));
  exports.Set("lockFile", Napi::Function::New(env, LockFile));
  exports.Set("setXattr", Napi::Function::New(env, SetXattr));
  exports.Set("mknod", Napi::Function::New(env, Mknod));
  exports.Set("markTopDir", Napi::Function::New(env, MarkTopDir));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("connectInNetns", Napi::Function::New(env, ConnectInNetns));
  exports.Set("listenSocket", Napi::Function::New(env, ListenSocket));
  exports.Set("socketError", Napi::Function::New(env, SocketError));
  exports.Set("WritableWatch", WritableWatch::Init(env, "WritableWatch"));
  exports.Set("LayerDecoder", LayerDecoderClass(env));
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("user", Napi::Number::New(env, CLONE_NEWUSER));
  flags.Set("net", Napi::Number::New(env, CLONE_NEWNET));
  flags.Set("ipc", Napi::Number::New(env, CLONE_NEWIPC));
  flags.Set("uts", Napi::Number::New(env, CLONE_NEWUTS));
  flags.Set("pid", Napi::Number::New(env, CLONE_NEWPID));
  flags.Set("mount", Napi::Number::New(env, CLONE_NEWNS));
  flags.Set("cgroup", Napi::Number::New(env, CLONE_NEWCGROUP));
  exports.Set("cloneFlags", flags);
  return exports;
}

}  // namespace

NODE_API_MODULE(podrun, Init)
