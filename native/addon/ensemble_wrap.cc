// Ensemble for JS: build one from loaded models, score batches with per-model parts, the
// single-row path (a model directory is loaded in directory_wrap.cc).
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using EnsembleWrap = ModelWrap<EnsembleTraits>;

void EnsembleTraits::Score(const Core& c, const core::DenseMatrix& x, int, double* out,
                           double* parts) {
  core::EnsembleParts p;
  if (parts != nullptr) {  // three blocks of rows values: lightgbm, xgboost, random forest
    p.lightgbm = parts;
    p.xgboost = parts + x.rows;
    p.random_forest = parts + 2 * x.rows;
  }
  c.PredictProba(x, out, p);
}

void EnsembleTraits::ScoreRow(const Core& c, const core::DenseMatrix& x, int, double* out,
                              double* parts) {
  c.PredictRow(x.data, x.dtype, out, parts);
}

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

size_t EnsembleTraits::Bytes(const Core&) { return 0; }  // the models report their own memory

// The three model objects of an ensemble, sharing its native models.
static Napi::Value Models(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto core = Unwrap<EnsembleTraits>(info.This());
  Napi::Object o = Napi::Object::New(env);
  // shared_ptr aliasing: the model objects keep the whole ensemble's models alive.
  o.Set("lightgbm", ModelWrap<LightGBMTraits>::NewInstance(
                        env, std::shared_ptr<const core::LightGBMBooster>(core, &core->lightgbm())));
  o.Set("xgboost", ModelWrap<XGBoostTraits>::NewInstance(
                       env, std::shared_ptr<const core::XGBoostBooster>(core, &core->xgboost())));
  auto forest = std::make_shared<ForestModel>();
  forest->forest = std::shared_ptr<const core::Forest>(core, &core->forest());
  forest->threads = core->threads();
  o.Set("forest", ModelWrap<ForestTraits>::NewInstance(env, forest));
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
    auto ensemble = std::make_shared<const core::Ensemble>(lgb, xgb, forest->forest, weights,
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
