// Forest for JS: load the package's forest format (file or buffer), class-probability scoring.
#include "load_worker.h"
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

using ForestWrap = ModelWrap<ForestTraits>;

Napi::Object ForestInfoObject(Napi::Env env, const core::Forest& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("nFeatures", f.num_features());
  o.Set("nClasses", f.num_classes());
  o.Set("numTrees", f.num_trees());
  o.Set("numNodes", static_cast<double>(f.num_nodes()));
  o.Set("allowsNaN", f.allows_nan());
  o.Set("estimator", f.estimator() == core::ForestEstimator::kExtraTrees
                         ? "ExtraTreesClassifier"
                         : "RandomForestClassifier");
  Napi::Array classes = Napi::Array::New(env, f.classes().size());
  for (size_t i = 0; i < f.classes().size(); ++i) classes.Set(i, f.classes()[i]);
  o.Set("classes", classes);
  o.Set("featureNames", StringArray(env, f.feature_names()));
  Napi::Object meta = Napi::Object::New(env);
  for (const auto& [k, v] : f.metadata()) meta.Set(k, v);
  o.Set("metadata", meta);
  o.Set("format", "production-ensemble-forest");
  return o;
}

Napi::Object ForestTraits::Info(Napi::Env env, const Core& c) { return ForestInfoObject(env, c); }

// loadForest(source: {path} | {bytes, name}, options, async) -> Forest | Promise
static Napi::Value LoadForest(const Napi::CallbackInfo& info) {
  const ModelSource source = ToModelSource(info);
  const int threads = ToThreads(ToOptions(info));
  using Result = std::shared_ptr<const core::Forest>;
  return RunLoad<Result>(
      info.Env(), info[2].ToBoolean(),
      [=]() -> Result {
        // The header against the file's size first: a hostile size is refused unread.
        if (!source.path.empty()) {
          core::FileReadLimits limits;
          limits.max_bytes = source.max_bytes;
          core::Forest::CheckFile(source.path, limits);
        }
        const std::vector<uint8_t> bytes = source.Read();
        return core::Forest::FromBytes(bytes.data(), bytes.size(), source.name, threads);
      },
      [](Napi::Env e, Result& r) -> Napi::Value { return ForestWrap::NewInstance(e, r); });
}

void InitForest(Napi::Env env, Napi::Object exports) {
  ForestWrap::Define(env, exports);
  exports.Set("loadForest", Napi::Function::New(env, LoadForest, "loadForest"));
}

}  // namespace ensemble::addon
