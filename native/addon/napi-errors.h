// How the addon reports: a failed call becomes a JS Error carrying errno, syscall and path; a
// request with a missing or mistyped key is refused by name rather than defaulted.
#pragma once

#include <napi.h>

extern "C" {
#include "../core/util.h"
}

#include <string.h>

#include <string>

inline Napi::Error SystemError(Napi::Env env, const pr_error& err) {
  std::string msg = std::string(err.op) + (err.path[0] ? std::string(" `") + err.path + "`" : "") + ": " +
                    strerror(err.errnum);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err.errnum));
  e.Set("syscall", Napi::String::New(env, err.op));
  if (err.path[0]) e.Set("path", Napi::String::New(env, err.path));
  e.Set("code", Napi::String::New(env, "System"));
  return e;
}

inline Napi::Error Errno(Napi::Env env, int errnum, const char* op, const char* path = nullptr) {
  pr_error err;
  pr_fail(&err, errnum, op, path);
  return SystemError(env, err);
}

// The request's key, which must be there with the type TypeScript gives it.
inline Napi::Value Required(const Napi::Object& o, const char* key, napi_valuetype type, const char* what) {
  Napi::Value v = o.Get(key);
  if (v.Type() != type) throw Napi::TypeError::New(o.Env(), std::string("request.") + key + ": required " + what);
  return v;
}

inline int RequiredInt(const Napi::Object& o, const char* key) {
  return Required(o, key, napi_number, "number").As<Napi::Number>().Int32Value();
}

inline bool RequiredBool(const Napi::Object& o, const char* key) {
  return Required(o, key, napi_boolean, "boolean").As<Napi::Boolean>().Value();
}

inline std::string RequiredString(const Napi::Object& o, const char* key) {
  return Required(o, key, napi_string, "string").As<Napi::String>().Utf8Value();
}

// A non-negative integer below 2^64: a BigInt (capability sets), or a number.
inline uint64_t RequiredU64(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t n = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return n;
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740992.0 && d == static_cast<double>(static_cast<uint64_t>(d))) return static_cast<uint64_t>(d);
  }
  throw Napi::TypeError::New(o.Env(), std::string("request.") + key + ": required non-negative integer (bigint or number)");
}

// An array whose every element passes `ok`: argv, env, groups.
inline Napi::Array RequiredArray(const Napi::Object& o, const char* key, bool (*ok)(const Napi::Value&), const char* what) {
  Napi::Value v = o.Get(key);
  bool good = v.IsArray();
  for (uint32_t i = 0; good && i < v.As<Napi::Array>().Length(); i++) good = ok(v.As<Napi::Array>().Get(i));
  if (!good) throw Napi::TypeError::New(o.Env(), std::string("request.") + key + ": required array of " + what);
  return v.As<Napi::Array>();
}

inline bool IsStringValue(const Napi::Value& v) { return v.IsString(); }
inline bool IsIdValue(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= 0 && d <= 4294967295.0 && d == static_cast<double>(static_cast<uint32_t>(d));
}
