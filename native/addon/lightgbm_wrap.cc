// LightGBMBooster for JS: load (file or buffer, sync or async), batch / row / margin scoring.
#include "load_worker.h"
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using LightGBMWrap = ModelWrap<LightGBMTraits>;

Napi::Object BoosterInfoObject(Napi::Env env, const core::BoosterInfo& i,
                               const core::LoadedLibrary& lib) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("nFeatures", i.num_features);
  o.Set("nClasses", i.num_classes);
  o.Set("outputWidth", i.output_width);
  o.Set("marginWidth", i.margin_width);
  o.Set("numTrees", i.num_trees);
  o.Set("objective", i.objective);
  o.Set("featureNames", StringArray(env, i.feature_names));
  o.Set("format", i.format);
  o.Set("scorer", i.scorer);
  o.Set("scorerNote", i.scorer_note);
  o.Set("library", LibraryInfo(env, lib));
  return o;
}

// loadLightGBM(source: {path} | {bytes, name}, options, async) -> LightGBMBooster | Promise
static Napi::Value LoadLightGBM(const Napi::CallbackInfo& info) {
  const ModelSource source = ToModelSource(info);
  const Napi::Object options = ToOptions(info);
  const core::LibrarySearch search = ToSearch(options, "lightgbmLib");
  const int threads = ToThreads(options);
  const core::ScorerChoice scorer = ToScorer(options);
  using Result = std::shared_ptr<const core::LightGBMBooster>;
  return RunLoad<Result>(
      info.Env(), info[2].ToBoolean(),
      [=]() -> Result {
        const core::LightGBMApi& api = core::LoadLightGBM(search);
        const std::vector<uint8_t> bytes = source.Read();
        return core::LightGBMBooster::Load(api, std::string(bytes.begin(), bytes.end()),
                                           source.name, threads, scorer);
      },
      [](Napi::Env e, Result& r) -> Napi::Value { return LightGBMWrap::NewInstance(e, r); });
}

void InitLightGBM(Napi::Env env, Napi::Object exports) {
  LightGBMWrap::Define(env, exports);
  exports.Set("loadLightGBM", Napi::Function::New(env, LoadLightGBM, "loadLightGBM"));
}

}  // namespace ensemble::addon
