// Model directories for JS: load one (the ensemble and its typed metadata), validate one (every
// problem the core's reader finds), or check its files against their checksums; each sync or async.
#include "ensemble/model_directory.h"
#include "load_worker.h"
#include "model_wrap.h"
#include "wraps.h"

namespace ensemble::addon {

// The options both calls take: {threads, scorer, lightgbmLib, xgboostLib, libraryDirs, weights,
// threshold, verifyChecksums, maxFileBytes}.
static core::ModelDirectoryOptions ToDirectoryOptions(const Napi::Object& options) {
  core::ModelDirectoryOptions o;
  o.threads = ToThreads(options);
  o.scorer = ToScorer(options);
  o.lightgbm = ToSearch(options, "lightgbmLib");
  o.xgboost = ToSearch(options, "xgboostLib");
  o.max_file_bytes = ToMaxFileBytes(options);
  if (!options.Get("weights").IsUndefined()) o.weights = ToWeights(options.Get("weights"));
  if (options.Get("threshold").IsNumber()) {
    o.threshold = options.Get("threshold").As<Napi::Number>().DoubleValue();
  }
  if (options.Get("verifyChecksums").IsBoolean()) {
    o.verify_checksums = options.Get("verifyChecksums").As<Napi::Boolean>().Value();
  }
  return o;
}

static std::string ToDir(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "the model directory must be a string");
  return info[0].As<Napi::String>().Utf8Value();
}

// The checked drift reference: {featuresFrom, scoresFrom, features: [[name, {edges, counts,
// missing}]...], scores: [...]}, in the metadata's order.
static Napi::Object DriftReferenceObject(Napi::Env env, const core::DriftReference& r) {
  auto section = [env](const std::vector<std::pair<std::string, core::DriftHistogram>>& list) {
    Napi::Array a = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const core::DriftHistogram& h = list[i].second;
      Napi::Object o = Napi::Object::New(env);
      // Plain arrays: the metadata object is frozen, and a typed array cannot be.
      Napi::Array edges = Napi::Array::New(env, h.edges.size());
      for (size_t k = 0; k < h.edges.size(); ++k) edges.Set(static_cast<uint32_t>(k), h.edges[k]);
      Napi::Array counts = Napi::Array::New(env, h.counts.size());
      for (size_t k = 0; k < h.counts.size(); ++k) {
        counts.Set(static_cast<uint32_t>(k), static_cast<double>(h.counts[k]));
      }
      o.Set("name", list[i].first);
      o.Set("edges", edges);
      o.Set("counts", counts);
      o.Set("missing", static_cast<double>(h.missing));
      a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("featuresFrom", r.features_from);
  o.Set("scoresFrom", r.scores_from);
  o.Set("features", section(r.features));
  o.Set("scores", section(r.scores));
  return o;
}

// The metadata fields getModelInfo reports: {createdAt?, status?, trainingVersions, performanceMetrics?}.
static Napi::Object MetadataObject(Napi::Env env, const core::Metadata& m) {
  Napi::Object o = Napi::Object::New(env);
  if (!m.created_at.empty()) o.Set("createdAt", m.created_at);
  if (!m.status.empty()) o.Set("status", m.status);
  Napi::Object versions = Napi::Object::New(env);
  for (const auto& [k, v] : m.training_library_versions) {
    versions.DefineProperty(Napi::PropertyDescriptor::Value(
        Napi::String::New(env, k), Napi::String::New(env, v), napi_default_jsproperty));
  }
  o.Set("trainingVersions", versions);
  if (m.performance_metrics.IsObject()) {
    o.Set("performanceMetrics", JsonToValue(env, m.performance_metrics));
  }
  if (m.drift_reference.present) o.Set("driftReference", DriftReferenceObject(env, m.drift_reference));
  return o;
}

// loadModelDirectory(dir, options, async) -> {ensemble, metadataPath, metadata, ...} | Promise
static Napi::Value LoadModelDirectory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string dir = ToDir(info);
  const core::ModelDirectoryOptions o = ToDirectoryOptions(ToOptions(info));
  using Result = std::shared_ptr<core::ModelDirectory>;
  return RunLoad<Result>(
      env, info[2].ToBoolean(),
      [dir, o]() -> Result {
        return std::make_shared<core::ModelDirectory>(core::LoadModelDirectory(dir, o));
      },
      [](Napi::Env e, Result& r) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("ensemble", ModelWrap<EnsembleTraits>::NewInstance(e, r->ensemble));
        out.Set("metadataPath", r->metadata.path);
        out.Set("legacyMetadata", r->metadata.legacy);
        out.Set("metadata", MetadataObject(e, r->metadata));
        out.Set("threshold", r->threshold);
        Napi::Array files = Napi::Array::New(e, r->files.size());
        for (size_t i = 0; i < r->files.size(); ++i) {
          Napi::Object f = Napi::Object::New(e);
          f.Set("role", r->files[i].role);
          f.Set("path", r->files[i].path);
          f.Set("sha256", r->files[i].sha256);
          f.Set("format", r->files[i].format);
          files.Set(i, f);
        }
        out.Set("files", files);
        return out;
      });
}

static Napi::Array ProblemsArray(Napi::Env e, const std::vector<core::Problem>& list) {
  Napi::Array problems = Napi::Array::New(e, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const core::Problem& p = list[i];
    Napi::Object o = Napi::Object::New(e);
    o.Set("code", core::CodeName(p.code));
    o.Set("file", p.file);
    o.Set("field", p.field);
    o.Set("message", p.message);
    problems.Set(i, o);
  }
  return problems;
}

// validateModelDirectory(dir, options, async) -> {directory, metadataFile?, ok, problems, checked}
static Napi::Value ValidateModelDirectory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string dir = ToDir(info);
  const core::ModelDirectoryOptions o = ToDirectoryOptions(ToOptions(info));
  using Result = std::shared_ptr<core::DirectoryReport>;
  return RunLoad<Result>(
      env, info[2].ToBoolean(),
      [dir, o]() -> Result {
        return std::make_shared<core::DirectoryReport>(core::ValidateModelDirectory(dir, o));
      },
      [](Napi::Env e, Result& r) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("directory", r->dir);
        if (!r->metadata_path.empty()) out.Set("metadataFile", r->metadata_path);
        out.Set("ok", r->ok());
        out.Set("problems", ProblemsArray(e, r->problems));
        out.Set("checked", StringArray(e, r->checked));
        return out;
      });
}

// checkModelFiles(dir, options, async) -> {directory, metadataFile?, createdAt?, featureNames,
// ok, problems, files, unverified}: the metadata and checksums only, no model parsed.
static Napi::Value CheckModelFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string dir = ToDir(info);
  const core::ModelDirectoryOptions o = ToDirectoryOptions(ToOptions(info));
  using Result = std::shared_ptr<core::FilesReport>;
  return RunLoad<Result>(
      env, info[2].ToBoolean(),
      [dir, o]() -> Result {
        return std::make_shared<core::FilesReport>(core::CheckModelFiles(dir, o));
      },
      [](Napi::Env e, Result& r) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("directory", r->dir);
        if (!r->metadata_path.empty()) out.Set("metadataFile", r->metadata_path);
        if (!r->created_at.empty()) out.Set("createdAt", r->created_at);
        out.Set("featureNames", StringArray(e, r->feature_names));
        out.Set("ok", r->ok());
        out.Set("problems", ProblemsArray(e, r->problems));
        Napi::Array files = Napi::Array::New(e, r->files.size());
        for (size_t i = 0; i < r->files.size(); ++i) {
          Napi::Object f = Napi::Object::New(e);
          f.Set("role", r->files[i].role);
          f.Set("path", r->files[i].path);
          f.Set("sha256", r->files[i].sha256);
          files.Set(i, f);
        }
        out.Set("files", files);
        out.Set("unverified", StringArray(e, r->unverified));
        return out;
      });
}

void InitDirectory(Napi::Env env, Napi::Object exports) {
  exports.Set("checkModelFiles", Napi::Function::New(env, CheckModelFiles, "checkModelFiles"));
  exports.Set("loadModelDirectory",
              Napi::Function::New(env, LoadModelDirectory, "loadModelDirectory"));
  exports.Set("validateModelDirectory",
              Napi::Function::New(env, ValidateModelDirectory, "validateModelDirectory"));
}

}  // namespace ensemble::addon
