// XGBoostBooster for JS: load JSON/UBJ (file or buffer, sync or async), batch / margin scoring.
#include "ensemble/file_io.h"
#include "load_worker.h"
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using XGBoostWrap = ModelWrap<XGBoostTraits>;

Napi::Object BoosterInfoObject(Napi::Env env, const core::BoosterInfo& i,
                               const core::LoadedLibrary& lib);

void XGBoostTraits::Score(const Core& c, const core::DenseMatrix& x, int kind, double* out,
                          double*) {
  c.Predict(x, static_cast<core::OutputKind>(kind), out);
}

Napi::Object XGBoostTraits::Info(Napi::Env env, const Core& c) {
  return BoosterInfoObject(env, c.info(), c.library());
}

size_t XGBoostTraits::Bytes(const Core& c) {
  return static_cast<size_t>(c.info().num_trees) * 64 * 100;
}

// loadXGBoost(source: {path} | {bytes, name}, options, async) -> XGBoostBooster | Promise
static Napi::Value LoadXGBoost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "source must be an object");
  Napi::Object source = info[0].As<Napi::Object>();
  Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  const bool async = info[2].ToBoolean();
  const std::string path = ToOptionalString(source, "path");
  std::string name = path.empty() ? ToOptionalString(source, "name") : path;
  if (name.empty()) name = "<buffer>";
  std::vector<uint8_t> given;
  if (path.empty()) {
    auto [data, size] = ToBytes(source.Get("bytes"));
    given.assign(data, data + size);  // copied: the load may be async
  }
  core::LibrarySearch search = ToSearch(options, "xgboostLib");
  const int threads = ToThreads(options);
  using Result = std::shared_ptr<const core::XGBoostBooster>;
  return RunLoad<Result>(
      env, async,
      [=]() -> Result {
        const core::XGBoostApi& api = core::LoadXGBoost(search);
        if (!path.empty()) {
          return core::XGBoostBooster::Load(api, core::ReadFileBytes(path), name, threads);
        }
        return core::XGBoostBooster::Load(api, given, name, threads);
      },
      [](Napi::Env e, Result& r) -> Napi::Value { return XGBoostWrap::NewInstance(e, r); });
}

void InitXGBoost(Napi::Env env, Napi::Object exports) {
  XGBoostWrap::Define(env, exports);
  exports.Set("loadXGBoost", Napi::Function::New(env, LoadXGBoost, "loadXGBoost"));
}

}  // namespace ensemble::addon
