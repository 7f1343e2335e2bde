// Pod start's forking calls, run on libuv's threadpool and answered with a Promise (sandbox-workers.cc).
#pragma once

#include <napi.h>

Napi::Value CreateSandbox(const Napi::CallbackInfo& info);
Napi::Value ConfigurePodNetwork(const Napi::CallbackInfo& info);
