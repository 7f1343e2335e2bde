// A layer blob decoded on libuv's threadpool: the SHA-256 of the bytes as they arrive (the
// blob's digest), a copy of them to the partial file a later pull resumes from, gunzip, and the
// SHA-256 of the tar that comes out (the layer's DiffID). On Node's main thread these cost about
// as much as everything else a pull does together; here they overlap with the socket and with
// unpacking the previous chunk. zlib and OpenSSL are Node's own: it exports both for addons.
//
// JS drives one job at a time per decoder (push → callback → push), so the zlib and hash state
// is only ever touched by one thread.
#include "layer-decoder.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <string>
#include <utility>
#include <vector>

namespace {

constexpr size_t kOutChunk = 1 << 20;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* p, size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string Hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md, &n);
    static const char digits[] = "0123456789abcdef";
    std::string s = "sha256:";
    for (unsigned int i = 0; i < n; i++) {
      s += digits[md[i] >> 4];
      s += digits[md[i] & 15];
    }
    return s;
  }

 private:
  EVP_MD_CTX* ctx_;
};

struct Chunk {
  unsigned char* data;
  size_t len;
};

class LayerDecoder : public Napi::ObjectWrap<LayerDecoder> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "LayerDecoder", {InstanceMethod<&LayerDecoder::Push>("push")});
  }

  // new LayerDecoder(partialFd): -1 for no copy. gzip or plain tar is told by the first byte.
  explicit LayerDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LayerDecoder>(info) {
    fd_ = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  }

  ~LayerDecoder() override {
    if (zinit_) inflateEnd(&z_);
  }

  // Runs on the threadpool: takes in `in`, appends what it decodes to `out`. Returns an error
  // only for what must stop the pull at once (the partial file cannot be written); a gzip
  // error is kept for the end, where a wrong digest is the better thing to say.
  std::string Consume(const std::vector<Chunk>& in, std::vector<Chunk>* out) {
    for (const Chunk& c : in) {
      if (c.len == 0) continue;
      if (mode_ == Mode::kUnknown) {
        mode_ = c.data[0] == 0x1f ? Mode::kGzip : Mode::kPlain;
        if (mode_ == Mode::kGzip) {
          memset(&z_, 0, sizeof z_);
          if (inflateInit2(&z_, 15 + 16) != Z_OK) return "inflateInit2 failed";
          zinit_ = true;
        }
      }
      in_hash_.Update(c.data, c.len);
      in_bytes_ += c.len;
      if (fd_ >= 0) {
        std::string err = WriteAll(c.data, c.len);
        if (!err.empty()) return err;
      }
      if (mode_ == Mode::kGzip) Inflate(c, out);
      else out_bytes_ += c.len;
    }
    return "";
  }

  // After the last job: {digest, diffId, size, bytes, error?}.
  Napi::Object Result(Napi::Env env) {
    std::string digest = in_hash_.Hex();
    Napi::Object r = Napi::Object::New(env);
    r.Set("digest", digest);
    r.Set("diffId", mode_ == Mode::kGzip ? out_hash_.Hex() : digest);
    r.Set("size", Napi::Number::New(env, static_cast<double>(in_bytes_)));
    r.Set("bytes", Napi::Number::New(env, static_cast<double>(out_bytes_)));
    if (mode_ == Mode::kGzip && zerror_.empty() && !member_done_) zerror_ = "unexpected end of file";
    if (!zerror_.empty()) r.Set("error", "gzip: " + zerror_);
    return r;
  }

  bool busy = false;
  bool plain() const { return mode_ != Mode::kGzip; }

 private:
  enum class Mode { kUnknown, kGzip, kPlain };

  Napi::Value Push(const Napi::CallbackInfo& info);

  std::string WriteAll(const unsigned char* p, size_t n) {
    while (n > 0) {
      ssize_t w = write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return std::string("writing the partial download: ") + strerror(errno);
      p += w;
      n -= static_cast<size_t>(w);
    }
    return "";
  }

  void Inflate(const Chunk& c, std::vector<Chunk>* out) {
    if (!zerror_.empty() || trailing_) return;
    z_.next_in = c.data;
    z_.avail_in = static_cast<uInt>(c.len);
    for (;;) {
      if (member_done_) {
        // Concatenated members are one stream (as gunzip reads them); anything else after
        // the end is ignored, as Node's gunzip does.
        if (z_.avail_in == 0) return;
        if (z_.next_in[0] != 0x1f) {
          trailing_ = true;
          return;
        }
        inflateReset(&z_);
        member_done_ = false;
      }
      if (out->empty() || out->back().len == kOutChunk) {
        unsigned char* b = static_cast<unsigned char*>(malloc(kOutChunk));
        if (!b) {
          zerror_ = "out of memory";
          return;
        }
        out->push_back({b, 0});
      }
      Chunk& o = out->back();
      z_.next_out = o.data + o.len;
      z_.avail_out = static_cast<uInt>(kOutChunk - o.len);
      int ret = inflate(&z_, Z_NO_FLUSH);
      size_t produced = kOutChunk - o.len - z_.avail_out;
      out_hash_.Update(o.data + o.len, produced);
      o.len += produced;
      out_bytes_ += produced;
      if (ret == Z_STREAM_END) {
        member_done_ = true;
        continue;
      }
      if (ret != Z_OK && ret != Z_BUF_ERROR) {
        zerror_ = z_.msg ? z_.msg : "invalid data";
        return;
      }
      // Everything consumed and room left over: inflate has nothing pending.
      if (z_.avail_in == 0 && z_.avail_out > 0) return;
      if (ret == Z_BUF_ERROR && z_.avail_out > 0) return;
    }
  }

  int fd_;
  Mode mode_ = Mode::kUnknown;
  z_stream z_;
  bool zinit_ = false;
  bool member_done_ = false;
  bool trailing_ = false;
  std::string zerror_;
  Sha256 in_hash_;
  Sha256 out_hash_;
  uint64_t in_bytes_ = 0;
  uint64_t out_bytes_ = 0;
};

class PushWork : public Napi::AsyncWorker {
 public:
  PushWork(Napi::Function cb, LayerDecoder* d, Napi::Object self, Napi::Array buffers, bool end)
      : Napi::AsyncWorker(cb), d_(d), self_(Napi::Persistent(self)), end_(end) {
    for (uint32_t i = 0; i < buffers.Length(); i++) {
      Napi::Buffer<unsigned char> b = buffers.Get(i).As<Napi::Buffer<unsigned char>>();
      in_.push_back({b.Data(), b.Length()});
    }
    // The input buffers stay alive (and unmoved) while the threadpool reads them.
    keep_ = Napi::Persistent(buffers);
  }

  ~PushWork() override {
    for (Chunk& c : out_) free(c.data);
  }

  void Execute() override {
    std::string err = d_->Consume(in_, &out_);
    if (!err.empty()) SetError(err);
    // A last chunk far from full is copied down, so it does not pin 1 MiB.
    if (!out_.empty() && out_.back().len < kOutChunk / 2) {
      Chunk& c = out_.back();
      if (c.len == 0) {
        free(c.data);
        out_.pop_back();
      } else if (void* smaller = realloc(c.data, c.len)) {
        c.data = static_cast<unsigned char*>(smaller);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    d_->busy = false;
    // Plain tar: the output is the input, so JS pushes its own buffers on (undefined here).
    Napi::Value outs = env.Undefined();
    if (!d_->plain()) {
      Napi::Array a = Napi::Array::New(env, out_.size());
      for (size_t i = 0; i < out_.size(); i++) {
        a.Set(static_cast<uint32_t>(i), Napi::Buffer<unsigned char>::New(env, out_[i].data, out_[i].len, [](Napi::Env, unsigned char* p) { free(p); }));
        out_[i].data = nullptr;
      }
      out_.clear();
      outs = a;
    }
    Callback().Call({env.Null(), outs, end_ ? d_->Result(env) : env.Undefined()});
  }

  void OnError(const Napi::Error& e) override {
    d_->busy = false;
    Callback().Call({e.Value()});
  }

 private:
  LayerDecoder* d_;
  Napi::ObjectReference self_;
  Napi::Reference<Napi::Array> keep_;
  std::vector<Chunk> in_;
  std::vector<Chunk> out_;
  bool end_;
};

// push(buffers, end, callback(err, outputs?, result?)): one job at a time.
Napi::Value LayerDecoder::Push(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy) throw Napi::Error::New(env, "LayerDecoder: push while a push is running");
  busy = true;
  auto* w = new PushWork(info[2].As<Napi::Function>(), this, info.This().As<Napi::Object>(), info[0].As<Napi::Array>(), info[1].ToBoolean());
  w->Queue();
  return env.Undefined();
}

}  // namespace

Napi::Function LayerDecoderClass(Napi::Env env) { return LayerDecoder::Init(env); }
