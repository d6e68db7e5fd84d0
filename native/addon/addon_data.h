// Per-environment state of the addon (one per main thread / worker_thread): the JS error
// factory and the class constructors, kept as references so every wrap can reach them.
#pragma once

#include <napi.h>

namespace ensemble::addon {

struct AddonData {
  Napi::FunctionReference error_factory;  ///< (code, message) => Error, from src/errors.ts
  Napi::FunctionReference lightgbm_ctor;
  Napi::FunctionReference xgboost_ctor;
  Napi::FunctionReference forest_ctor;
  Napi::FunctionReference ensemble_ctor;
};

/// The AddonData of `env`.
inline AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace ensemble::addon
