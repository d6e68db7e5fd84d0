// XGBoostBooster for JS: load JSON/UBJ (file or buffer, sync or async), batch / margin scoring.
#include "load_worker.h"
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using XGBoostWrap = ModelWrap<XGBoostTraits>;

// loadXGBoost(source: {path} | {bytes, name}, options, async) -> XGBoostBooster | Promise
static Napi::Value LoadXGBoost(const Napi::CallbackInfo& info) {
  const ModelSource source = ToModelSource(info);
  const Napi::Object options = ToOptions(info);
  const core::LibrarySearch search = ToSearch(options, "xgboostLib");
  const int threads = ToThreads(options);
  const core::ScorerChoice scorer = ToScorer(options);
  using Result = std::shared_ptr<const core::XGBoostBooster>;
  return RunLoad<Result>(
      info.Env(), info[2].ToBoolean(),
      [=]() -> Result {
        return core::XGBoostBooster::Load(core::LoadXGBoost(search), source.Read(), source.name,
                                          threads, scorer);
      },
      [](Napi::Env e, Result& r) -> Napi::Value { return XGBoostWrap::NewInstance(e, r); });
}

void InitXGBoost(Napi::Env env, Napi::Object exports) {
  XGBoostWrap::Define(env, exports);
  exports.Set("loadXGBoost", Napi::Function::New(env, LoadXGBoost, "loadXGBoost"));
}

}  // namespace ensemble::addon
