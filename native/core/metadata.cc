// The metadata reader: every rule of docs/metadata.md, once, for load (first problem thrown) and
// validate (every problem collected). Messages name the metadata file and the field.
#include "ensemble/metadata.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "ensemble/file_io.h"

namespace ensemble::core {

void Problems::Add(ErrorCode code, std::string file, std::string field, std::string message) {
  if (mode_ == Mode::kThrow) throw Error(code, message);
  list_.push_back(Problem{code, std::move(file), std::move(field), std::move(message)});
}

void Problems::Checked(std::string what) {
  if (mode_ == Mode::kCollect) checked_.push_back(std::move(what));
}

namespace {

// The formats each member may declare (docs/metadata.md), the first being the one written.
const std::vector<std::string> kFormats[3] = {
    {"lightgbm-text"},
    {"xgboost-json", "xgboost-ubj"},
    {"production-ensemble-forest-v1", "production-ensemble-forest"}};

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// The checks of one metadata document; `bad` records a kMetadata problem of a field.
class Checker {
 public:
  Checker(const JsonValue& doc, Metadata& out, Problems& problems)
      : doc_(doc), out_(out), problems_(problems) {}

  void Bad(const std::string& field, const std::string& what) {
    problems_.Add(ErrorCode::kMetadata, out_.path, field, out_.path + ": " + what);
    ++count_;
  }
  int count() const { return count_; }

  // A string field; absent or null gives "". `required` makes absence a problem.
  std::string String(const JsonValue& obj, const char* key, const std::string& field,
                     bool required) {
    const JsonValue* v = obj.Find(key);
    if (v == nullptr || v->IsNull()) {
      if (required) Bad(field, "missing field " + Quoted(field));
      return "";
    }
    if (!v->IsString()) {
      Bad(field, Quoted(field) + " must be a string");
      return "";
    }
    return v->AsString();
  }

  void SchemaAndType() {
    if (const JsonValue* sv = doc_.Find("schema_version"); sv != nullptr) {
      if (!sv->IsInteger() || sv->AsInt64() != 1) {
        Bad("schema_version",
            "schema_version " +
                (sv->IsInteger() ? std::to_string(sv->AsInt64()) : std::string(sv->TypeName())) +
                " is not supported (this package reads schema_version 1)");
      }
    }
    const std::string type = String(doc_, "model_type", "model_type", false);
    if (!type.empty() && type != "ProductionEnsemble") {
      Bad("model_type", "model_type is \"" + type + "\", expected \"ProductionEnsemble\"");
    }
  }

  void Features() {
    const JsonValue* fn = doc_.Find("feature_names");
    if (fn == nullptr || !fn->IsArray()) {
      Bad("feature_names", "\"feature_names\" must be an array of strings");
      return;
    }
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const JsonValue& v : fn->AsArray()) {
      if (!v.IsString() || v.AsString().empty()) {
        Bad("feature_names", "\"feature_names\" must hold non-empty strings");
        return;
      }
      if (!seen.insert(v.AsString()).second) {
        Bad("feature_names", "feature name '" + v.AsString() + "' appears twice");
        return;
      }
      names.push_back(v.AsString());
    }
    if (names.empty()) {
      Bad("feature_names", "\"feature_names\" is empty");
      return;
    }
    if (const JsonValue* nf = doc_.Find("n_features"); nf != nullptr) {
      if (!nf->IsInteger()) {
        Bad("n_features", "\"n_features\" must be an integer, got " + std::string(nf->TypeName()));
      } else if (nf->AsInt64() != static_cast<int64_t>(names.size())) {
        Bad("n_features", "n_features says " + std::to_string(nf->AsInt64()) +
                              " but feature_names lists " + std::to_string(names.size()));
      }
    }
    out_.feature_names = std::move(names);
  }

  void Members() {
    const JsonValue* im = doc_.Find("individual_models");
    if (im == nullptr) return;
    std::set<std::string> got;
    if (im->IsArray()) {
      for (const JsonValue& v : im->AsArray()) {
        if (v.IsString()) got.insert(v.AsString());
      }
    }
    if (!im->IsArray() || im->size() != 3 ||
        got != std::set<std::string>{kModelRoles[0], kModelRoles[1], kModelRoles[2]}) {
      Bad("individual_models",
          "\"individual_models\" must be [\"lightgbm\", \"xgboost\", \"random_forest\"]");
    }
  }

  void Weights() {
    const JsonValue* mw = doc_.Find("model_weights");
    if (mw == nullptr) return;
    if (!mw->IsObject()) {
      Bad("model_weights", "\"model_weights\" must be an object");
      return;
    }
    EnsembleWeights w;
    double* slots[3] = {&w.lightgbm, &w.xgboost, &w.random_forest};
    bool typed = true;
    for (int i = 0; i < 3; ++i) {
      const std::string field = std::string("model_weights.") + kModelRoles[i];
      const JsonValue* v = mw->Find(kModelRoles[i]);
      if (v == nullptr) {
        Bad(field, "\"model_weights\" has no \"" + std::string(kModelRoles[i]) + "\"");
        typed = false;
      } else if (!v->IsNumber()) {
        Bad(field, field + " must be a finite number >= 0, got " + v->TypeName());
        typed = false;
      } else {
        *slots[i] = v->AsDouble();
      }
    }
    if (!typed) return;
    if (const std::string problem = WeightsProblem(w, "model_weights"); !problem.empty()) {
      Bad("model_weights", problem);
      return;
    }
    out_.weights = w;
  }

  void Threshold() {
    const JsonValue* t = doc_.Find("decision_threshold");
    if (t == nullptr || t->IsNull()) return;
    if (!t->IsNumber() || !(t->AsDouble() >= 0 && t->AsDouble() <= 1)) {
      Bad("decision_threshold", "\"decision_threshold\" must be a number in [0, 1]");
      return;
    }
    out_.decision_threshold = t->AsDouble();
  }

  void Files() {
    const JsonValue* files = doc_.Find("model_files");
    if (files == nullptr) return;  // the default names, no checksums
    if (!files->IsObject()) {
      Bad("model_files", "\"model_files\" must be an object");
      for (ModelFileEntry& f : out_.files) f.file.clear();
      return;
    }
    for (int i = 0; i < 3; ++i) File(*files, i);
  }

  // Optional: the reference distributions of drift detection (drift_reference.cc).
  void Drift() {
    const JsonValue* v = doc_.Find("drift_reference");
    if (v == nullptr || v->IsNull() || out_.feature_names.empty()) return;
    const size_t before = problems_.list().size();
    out_.drift_reference = ParseDriftReference(*v, out_.feature_names, out_.path, problems_);
    count_ += static_cast<int>(problems_.list().size() - before);
  }

  // Informational fields: kept when of the documented type, never a problem.
  void Informational() {
    if (const JsonValue* v = doc_.Find("created_at"); v != nullptr && v->IsString()) {
      out_.created_at = v->AsString();
    }
    if (const JsonValue* v = doc_.Find("status"); v != nullptr && v->IsString()) {
      out_.status = v->AsString();
    }
    if (const JsonValue* v = doc_.Find("training_library_versions"); v != nullptr && v->IsObject()) {
      for (const auto& [k, val] : v->AsObject()) {
        if (val.IsString()) out_.training_library_versions.emplace_back(k, val.AsString());
      }
    }
    if (const JsonValue* v = doc_.Find("performance_metrics"); v != nullptr && v->IsObject()) {
      out_.performance_metrics = *v;
    }
  }

 private:
  void File(const JsonValue& files, int i) {
    const std::string role = kModelRoles[i];
    const std::string field = "model_files." + role;
    ModelFileEntry& f = out_.files[i];
    f.file.clear();  // unusable until proven otherwise
    const JsonValue* entry = files.Find(role);
    if (entry == nullptr) {
      Bad(field, "\"model_files\" has no \"" + role + "\" entry");
      return;
    }
    if (!entry->IsObject()) {
      Bad(field, field + " must be an object");
      return;
    }
    const std::string name = String(*entry, "file", field + ".file", true);
    f.format = String(*entry, "format", field + ".format", false);
    f.sha256 = String(*entry, "sha256", field + ".sha256", false);
    if (!f.format.empty() && std::find(kFormats[i].begin(), kFormats[i].end(), f.format) ==
                                 kFormats[i].end()) {
      Bad(field + ".format", field + ".format '" + f.format +
                                 "' is not a format this package reads for " + role +
                                 " (expected '" + kFormats[i][0] + "')");
    }
    if (!f.sha256.empty() &&
        (f.sha256.size() != 64 ||
         f.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)) {
      Bad(field + ".sha256", field + ".sha256 must be 64 lowercase hexadecimal digits, got '" +
                                 f.sha256 + "'");
      f.sha256.clear();
    }
    if (name.empty()) return;  // missing or not a string: reported above
    // A plain name inside the directory: no separator, no NUL (the OS would cut the name
    // there), no way up.
    if (name.find_first_of(std::string("/\\\0", 3)) != std::string::npos || name == "." ||
        name == "..") {
      std::string shown;
      for (char c : name) shown += c == '\0' ? std::string("\\u0000") : std::string(1, c);
      Bad(field + ".file", field + ".file must be a file name in the directory (no '/', '\\', "
                               "NUL or '..'), got '" + shown + "'");
      return;
    }
    f.file = name;
  }

  const JsonValue& doc_;
  Metadata& out_;
  Problems& problems_;
  int count_ = 0;
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;  // a dangling link exists: reading it says why not
}

}  // namespace

Metadata ParseMetadata(std::string text, const std::string& path, bool legacy,
                       Problems& problems) {
  Metadata out;
  out.path = path;
  out.legacy = legacy;
  out.text = std::move(text);
  for (int i = 0; i < 3; ++i) out.files[i].file = kDefaultModelFiles[i];
  JsonValue doc;
  JsonParseOptions json;
  json.error_code = ErrorCode::kMetadata;
  try {
    doc = ParseJson(out.text, json);
  } catch (const Error& e) {
    problems.Add(ErrorCode::kMetadata, path, "", path + ": not valid JSON: " + e.what());
    return out;
  }
  if (!doc.IsObject()) {
    problems.Add(ErrorCode::kMetadata, path, "",
                 path + ": the top level must be a JSON object, got " + doc.TypeName());
    return out;
  }
  out.usable = true;
  problems.Checked(path + ": valid JSON");
  Checker check(doc, out, problems);
  check.SchemaAndType();
  check.Features();
  check.Members();
  check.Weights();
  check.Threshold();
  check.Files();
  check.Drift();
  check.Informational();
  if (check.count() == 0) problems.Checked(path + ": every field follows schema_version 1");
  return out;
}

Metadata ReadMetadata(const std::string& dir, uint64_t max_bytes, Problems& problems) {
  std::string path = JoinPath(dir, kMetadataFile);
  bool legacy = false;
  if (!Exists(path)) {
    const std::string old = JoinPath(dir, kLegacyMetadataFile);
    if (!Exists(old)) {
      problems.Add(ErrorCode::kModelNotFound, dir, "",
                   "model directory " + dir + " has no " + kMetadataFile + " (nor the legacy " +
                       kLegacyMetadataFile + ")");
      return Metadata{};
    }
    path = old;
    legacy = true;
  }
  FileReadLimits limits;
  limits.what = "metadata file";
  limits.too_large = ErrorCode::kMetadata;
  limits.max_bytes = std::min(max_bytes, kMaxMetadataBytes);
  limits.limit_name = max_bytes < kMaxMetadataBytes ? "the maxFileBytes option"
                                                    : "the metadata size limit";
  std::vector<uint8_t> bytes;
  if (!problems.Try(path, "", [&] { bytes = ReadFileBytes(path, limits); })) {
    Metadata out;
    out.path = path;
    out.legacy = legacy;
    for (int i = 0; i < 3; ++i) out.files[i].file = kDefaultModelFiles[i];
    return out;
  }
  return ParseMetadata(std::string(bytes.begin(), bytes.end()), path, legacy, problems);
}

}  // namespace ensemble::core
