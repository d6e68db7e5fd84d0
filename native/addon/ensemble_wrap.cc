// Ensemble for JS: build one from loaded models, score batches with per-model parts, the
// single-row path (a model directory is loaded in directory_wrap.cc).
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using EnsembleWrap = ModelWrap<EnsembleTraits>;

static Napi::Object Weights(Napi::Env env, const core::EnsembleWeights& w) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("lightgbm", w.lightgbm);
  o.Set("xgboost", w.xgboost);
  o.Set("random_forest", w.random_forest);
  return o;
}

Napi::Object EnsembleTraits::Info(Napi::Env env, const Core& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("nFeatures", static_cast<double>(c.num_features()));
  o.Set("featureNames", StringArray(env, c.feature_names()));
  o.Set("weights", Weights(env, c.weights()));
  return o;
}


// The three model objects of an ensemble, sharing its native models.
static Napi::Value Models(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto core = Unwrap<EnsembleTraits>(info.This());
  Napi::Object o = Napi::Object::New(env);
  // The very models the ensemble holds (shared, not copies).
  o.Set("lightgbm", ModelWrap<LightGBMTraits>::NewInstance(env, core->lightgbm()));
  o.Set("xgboost", ModelWrap<XGBoostTraits>::NewInstance(env, core->xgboost()));
  o.Set("forest", ModelWrap<ForestTraits>::NewInstance(env, core->forest()));
  return o;
}

// makeEnsemble(lightgbm, xgboost, forest, {featureNames, weights, threads}) -> Ensemble
static Napi::Value MakeEnsemble(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto lgb = Unwrap<LightGBMTraits>(info[0]);
  auto xgb = Unwrap<XGBoostTraits>(info[1]);
  auto forest = Unwrap<ForestTraits>(info[2]);
  if (!info[3].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object options = info[3].As<Napi::Object>();
  std::vector<std::string> names;
  Napi::Value nv = options.Get("featureNames");
  if (!nv.IsArray()) throw Napi::TypeError::New(env, "featureNames must be an array of strings");
  Napi::Array na = nv.As<Napi::Array>();
  for (uint32_t i = 0; i < na.Length(); ++i) names.push_back(na.Get(i).ToString().Utf8Value());
  const core::EnsembleWeights weights = ToWeights(options.Get("weights"));
  const int threads = ToThreads(options);
  return Guard(env, [&] {
    auto ensemble = std::make_shared<const core::Ensemble>(lgb, xgb, forest, weights,
                                                           std::move(names), threads);
    return EnsembleWrap::NewInstance(env, ensemble);
  });
}

void InitEnsemble(Napi::Env env, Napi::Object exports) {
  EnsembleWrap::Define(env, exports);
  Napi::Function ctor = Data(env).ensemble_ctor.Value();
  ctor.Get("prototype").As<Napi::Object>().Set("models", Napi::Function::New(env, Models, "models"));
  exports.Set("makeEnsemble", Napi::Function::New(env, MakeEnsemble, "makeEnsemble"));
}

}  // namespace ensemble::addon
