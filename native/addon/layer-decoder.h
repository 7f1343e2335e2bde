// A layer blob decoded on libuv's threadpool rather than Node's main thread (layer-decoder.cc).
#pragma once

#include <napi.h>

Napi::Function LayerDecoderClass(Napi::Env env);
