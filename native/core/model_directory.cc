// Loads a model directory: metadata (production_model_metadata.json, or the legacy
// model_metadata.json), cross-checked against the three model files, then the ensemble.
#include "ensemble/model_directory.h"

#include <sys/stat.h>

#include <cmath>
#include <set>

#include "ensemble/error.h"
#include "ensemble/file_io.h"
#include "ensemble/json.h"
#include "ensemble/sha256.h"

namespace ensemble::core {
namespace {

constexpr const char* kMetadataFile = "production_model_metadata.json";
constexpr const char* kLegacyMetadataFile = "model_metadata.json";
const char* const kRoles[3] = {"lightgbm", "xgboost", "random_forest"};
const char* const kDefaultFiles[3] = {"lightgbm.txt", "xgboost.json", "random_forest.forest"};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Problems with the metadata name the file and the field.
[[noreturn]] void Bad(const std::string& file, const std::string& what) {
  throw Error(ErrorCode::kMetadata, file + ": " + what);
}

const JsonValue* Field(const JsonValue& obj, const char* key) { return obj.Find(key); }

std::string FieldString(const JsonValue& obj, const char* key, const std::string& file,
                        bool required) {
  const JsonValue* v = Field(obj, key);
  if (v == nullptr || v->IsNull()) {
    if (required) Bad(file, std::string("missing field \"") + key + "\"");
    return "";
  }
  if (!v->IsString()) Bad(file, std::string("\"") + key + "\" must be a string");
  return v->AsString();
}

// LightGBM names unnamed columns Column_0, Column_1, ...: such names carry no information.
bool AutoNames(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "Column_" + std::to_string(i) && names[i] != "f" + std::to_string(i)) {
      return false;
    }
  }
  return true;
}

void CheckNames(const std::vector<std::string>& model_names, const std::vector<std::string>& names,
                const std::string& model_file, const std::string& metadata_file) {
  if (model_names.empty() || AutoNames(model_names)) return;
  if (model_names.size() != names.size()) return;  // the feature count check reports this
  for (size_t i = 0; i < names.size(); ++i) {
    if (model_names[i] != names[i]) {
      throw Error(ErrorCode::kMetadata,
                  model_file + ": feature " + std::to_string(i) + " is named '" +
                      model_names[i] + "' in the model but '" + names[i] + "' in " +
                      metadata_file);
    }
  }
}

}  // namespace

ModelDirectory LoadModelDirectory(const std::string& dir, const ModelDirectoryOptions& options) {
  if (!IsDir(dir)) {
    throw Error(ErrorCode::kModelNotFound,
                "model directory " + dir + (Exists(dir) ? " is not a directory" : " does not exist"));
  }
  ModelDirectory out;
  out.dir = dir;
  out.metadata_path = JoinPath(dir, kMetadataFile);
  if (!Exists(out.metadata_path)) {
    const std::string legacy = JoinPath(dir, kLegacyMetadataFile);
    if (!Exists(legacy)) {
      throw Error(ErrorCode::kModelNotFound, "model directory " + dir + " has no " +
                                                 kMetadataFile + " (nor the legacy " +
                                                 kLegacyMetadataFile + ")");
    }
    out.metadata_path = legacy;
    out.legacy_metadata = true;
  }
  const std::string& mfile = out.metadata_path;
  const std::vector<uint8_t> mbytes = ReadFileBytes(mfile);
  out.metadata_json.assign(mbytes.begin(), mbytes.end());
  JsonValue meta;
  try {
    meta = ParseJson(out.metadata_json);
  } catch (const Error& e) {
    Bad(mfile, std::string("not valid JSON: ") + e.what());
  }
  if (!meta.IsObject()) Bad(mfile, "the top level must be a JSON object");

  // schema_version, when given, must be one this reader knows.
  if (const JsonValue* sv = Field(meta, "schema_version"); sv != nullptr) {
    if (!sv->IsInteger() || sv->AsInt64() != 1) {
      Bad(mfile, "schema_version " +
                     (sv->IsInteger() ? std::to_string(sv->AsInt64()) : std::string(sv->TypeName())) +
                     " is not supported (this package reads schema_version 1)");
    }
  }

  // model_type, when given, must say what this is.
  const std::string model_type = FieldString(meta, "model_type", mfile, false);
  if (!model_type.empty() && model_type != "ProductionEnsemble") {
    Bad(mfile, "model_type is \"" + model_type + "\", expected \"ProductionEnsemble\"");
  }

  // Feature names and count.
  const JsonValue* fn = Field(meta, "feature_names");
  if (fn == nullptr || !fn->IsArray()) Bad(mfile, "\"feature_names\" must be an array of strings");
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const JsonValue& v : fn->AsArray()) {
    if (!v.IsString() || v.AsString().empty()) Bad(mfile, "\"feature_names\" must hold non-empty strings");
    if (!seen.insert(v.AsString()).second) Bad(mfile, "feature name '" + v.AsString() + "' appears twice");
    names.push_back(v.AsString());
  }
  if (names.empty()) Bad(mfile, "\"feature_names\" is empty");
  if (const JsonValue* nf = Field(meta, "n_features"); nf != nullptr) {
    if (!nf->IsNumber() || nf->AsDouble() != static_cast<double>(names.size())) {
      Bad(mfile, "n_features says " + (nf->IsNumber() ? std::to_string(static_cast<long long>(nf->AsDouble())) : std::string("something else")) +
                     " but feature_names lists " + std::to_string(names.size()));
    }
  }

  // The three models, in this order.
  if (const JsonValue* im = Field(meta, "individual_models"); im != nullptr) {
    std::set<std::string> got;
    if (!im->IsArray()) Bad(mfile, "\"individual_models\" must be an array");
    for (const JsonValue& v : im->AsArray()) {
      if (v.IsString()) got.insert(v.AsString());
    }
    if (got != std::set<std::string>{"lightgbm", "xgboost", "random_forest"} || im->AsArray().size() != 3) {
      Bad(mfile, "\"individual_models\" must be [\"lightgbm\", \"xgboost\", \"random_forest\"]");
    }
  }

  // Weights: the option, else the metadata, else the seed's 0.4 / 0.4 / 0.2.
  EnsembleWeights weights;
  if (const JsonValue* mw = Field(meta, "model_weights"); mw != nullptr) {
    if (!mw->IsObject()) Bad(mfile, "\"model_weights\" must be an object");
    double* slots[3] = {&weights.lightgbm, &weights.xgboost, &weights.random_forest};
    for (int i = 0; i < 3; ++i) {
      const JsonValue* w = mw->Find(kRoles[i]);
      if (w == nullptr) Bad(mfile, std::string("\"model_weights\" has no \"") + kRoles[i] + "\"");
      if (!w->IsNumber() || !std::isfinite(w->AsDouble()) || w->AsDouble() < 0) {
        Bad(mfile, std::string("model_weights.") + kRoles[i] + " must be a number >= 0");
      }
      *slots[i] = w->AsDouble();
    }
  }
  if (options.weights) weights = *options.weights;

  out.threshold = 0.5;
  if (const JsonValue* t = Field(meta, "decision_threshold"); t != nullptr && !t->IsNull()) {
    if (!t->IsNumber() || !(t->AsDouble() >= 0 && t->AsDouble() <= 1)) {
      Bad(mfile, "\"decision_threshold\" must be a number in [0, 1]");
    }
    out.threshold = t->AsDouble();
  }
  if (options.threshold) out.threshold = *options.threshold;

  // Model files: names and checksums from "model_files", else the default names.
  const JsonValue* files = Field(meta, "model_files");
  if (files != nullptr && !files->IsObject()) Bad(mfile, "\"model_files\" must be an object");
  std::vector<uint8_t> bytes[3];
  for (int i = 0; i < 3; ++i) {
    ModelFileInfo f;
    f.role = kRoles[i];
    std::string name = kDefaultFiles[i];
    std::string expected_sha;
    const JsonValue* entry = files != nullptr ? files->Find(kRoles[i]) : nullptr;
    if (files != nullptr && entry == nullptr) {
      Bad(mfile, std::string("\"model_files\" has no \"") + kRoles[i] + "\" entry");
    }
    if (entry != nullptr) {
      if (!entry->IsObject()) Bad(mfile, std::string("model_files.") + kRoles[i] + " must be an object");
      name = FieldString(*entry, "file", mfile, true);
      if (name.find('/') != std::string::npos || name == "." || name == "..") {
        Bad(mfile, std::string("model_files.") + kRoles[i] + ".file must be a file name in the directory, got '" + name + "'");
      }
      expected_sha = FieldString(*entry, "sha256", mfile, false);
      f.format = FieldString(*entry, "format", mfile, false);
      static const char* const kFormats[3][2] = {{"lightgbm-text", "lightgbm-text"},
                                                 {"xgboost-json", "xgboost-ubj"},
                                                 {"production-ensemble-forest-v1",
                                                  "production-ensemble-forest"}};
      if (!f.format.empty() && f.format != kFormats[i][0] && f.format != kFormats[i][1]) {
        Bad(mfile, std::string("model_files.") + kRoles[i] + ".format '" + f.format +
                       "' is not a format this package reads for " + kRoles[i] + " (expected '" +
                       kFormats[i][0] + "')");
      }
    }
    f.path = JoinPath(dir, name);
    bytes[i] = ReadFileBytes(f.path);
    f.sha256 = Sha256Hex(bytes[i].data(), bytes[i].size());
    if (options.verify_checksums && !expected_sha.empty() && expected_sha != f.sha256) {
      throw Error(ErrorCode::kMetadata,
                  f.path + ": sha256 is " + f.sha256 + " but " + mfile + " says " + expected_sha +
                      " (the file changed after the metadata was written)");
    }
    out.files.push_back(std::move(f));
  }

  const int threads = std::max(1, options.threads);
  auto lgb = LightGBMBooster::Load(LoadLightGBM(options.lightgbm),
                                   std::string(bytes[0].begin(), bytes[0].end()),
                                   out.files[0].path, threads, options.scorer);
  auto xgb = XGBoostBooster::Load(LoadXGBoost(options.xgboost), bytes[1], out.files[1].path, threads,
                                  options.scorer);
  auto forest = std::make_shared<const Forest>(
      Forest::FromBytes(bytes[2].data(), bytes[2].size(), out.files[2].path));
  if (out.files[0].format.empty()) out.files[0].format = lgb->info().format;
  if (out.files[1].format.empty()) out.files[1].format = xgb->info().format;
  if (out.files[2].format.empty()) out.files[2].format = "production-ensemble-forest";

  // Each model's feature count and names against the metadata, naming the file.
  auto count = [&](const std::string& file, int have) {
    if (static_cast<size_t>(have) != names.size()) {
      throw Error(ErrorCode::kMetadata, file + " has " + std::to_string(have) + " features but " +
                                            mfile + " lists " + std::to_string(names.size()));
    }
  };
  count(out.files[0].path, lgb->info().num_features);
  count(out.files[1].path, xgb->info().num_features);
  count(out.files[2].path, forest->num_features());
  CheckNames(lgb->info().feature_names, names, out.files[0].path, mfile);
  CheckNames(xgb->info().feature_names, names, out.files[1].path, mfile);
  CheckNames(forest->feature_names(), names, out.files[2].path, mfile);

  out.ensemble = std::make_shared<const Ensemble>(lgb, xgb, forest, weights, names, threads);
  return out;
}

}  // namespace ensemble::core
