// Registers the addon's classes and functions; context-aware, so it loads in worker_threads too.
#include <napi.h>

#include "addon_data.h"
#include "wraps.h"

namespace ensemble::addon {

Napi::Object LibraryInfo(Napi::Env env, const core::LoadedLibrary& lib) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", lib.path);
  o.Set("version", lib.version);
  return o;
}

Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(i, v[i]);
  return a;
}

// setErrorFactory((code, message) => Error): the JS error classes of src/errors.ts.
static Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "expected a function");
  Data(info.Env()).error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// emptyCall(a, b): does nothing; the benchmarks time it as the cost of crossing into native code
// with a typed array and a number, as every scoring call does.
static Napi::Value EmptyCall(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Freed by N-API when this environment (main thread or worker) shuts down.
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("emptyCall", Napi::Function::New(env, EmptyCall, "emptyCall"));
  InitLightGBM(env, exports);
  InitXGBoost(env, exports);
  InitForest(env, exports);
  InitEnsemble(env, exports);
  InitDirectory(env, exports);
  InitFeatures(env, exports);
  InitDrift(env, exports);
  return exports;
}

}  // namespace ensemble::addon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return ensemble::addon::Init(env, exports);
}

NODE_API_MODULE(production_ensemble, InitAddon)
