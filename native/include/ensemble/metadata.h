/// \file metadata.h
/// \brief The model directory's metadata (docs/metadata.md), read into a typed struct: every rule
///        written once, here. Problems are thrown at the first (load) or all collected (validate).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/drift.h"
#include "ensemble/ensemble.h"
#include "ensemble/error.h"
#include "ensemble/json.h"

namespace ensemble::core {

/// The three members, in the order their weights are applied.
inline constexpr const char* kModelRoles[3] = {"lightgbm", "xgboost", "random_forest"};
/// The file of each member when the metadata names none (the legacy metadata).
inline constexpr const char* kDefaultModelFiles[3] = {"lightgbm.txt", "xgboost.json",
                                                      "random_forest.forest"};
/// The metadata file, and the legacy one read when it is absent.
inline constexpr const char* kMetadataFile = "production_model_metadata.json";
inline constexpr const char* kLegacyMetadataFile = "model_metadata.json";

/// One problem of a model directory.
struct Problem {
  ErrorCode code;       ///< the code load throws for it
  std::string file;     ///< the file at fault (metadata or model file), or the directory
  std::string field;    ///< the metadata field at fault (e.g. "model_files.xgboost.file"), or ""
  std::string message;  ///< the whole message, exactly as load throws it
};

/// Where problems go. kThrow (load): the first one is thrown as Error(code, message). kCollect
/// (validate): every one is kept in order, with what was checked and found right.
class Problems {
 public:
  enum class Mode { kThrow, kCollect };
  explicit Problems(Mode mode) : mode_(mode) {}

  /// Records a problem, or throws it in kThrow mode.
  void Add(ErrorCode code, std::string file, std::string field, std::string message);
  /// Records a check that passed (kept in kCollect mode only).
  void Checked(std::string what);
  /// Runs `step`. In kThrow mode its errors propagate; in kCollect mode a core::Error (or any
  /// other exception) becomes a problem of `file` / `field` and false is returned.
  template <typename Step>
  bool Try(const std::string& file, const std::string& field, Step&& step) {
    if (mode_ == Mode::kThrow) {
      step();
      return true;
    }
    try {
      step();
      return true;
    } catch (const Error& e) {
      Add(e.code(), file, field, e.what());
    } catch (const std::exception& e) {
      Add(ErrorCode::kInternal, file, field, file + ": " + e.what());
    }
    return false;
  }

  /// True when kCollect mode has kept problems (kThrow never keeps any).
  bool any() const { return !list_.empty(); }
  /// The problems, in the order found.
  const std::vector<Problem>& list() const { return list_; }
  /// The checks that passed, in order.
  const std::vector<std::string>& checked() const { return checked_; }

 private:
  Mode mode_;
  std::vector<Problem> list_;
  std::vector<std::string> checked_;
};

/// One member's entry of model_files, or its default when the metadata names no files.
struct ModelFileEntry {
  std::string file;    ///< a plain file name inside the directory ("" when the entry is unusable)
  std::string format;  ///< the declared format, "" when not given
  std::string sha256;  ///< the declared lowercase hex digest, "" when not given
};

/// The metadata, typed. A field that is missing or broken keeps its default (and is a problem).
struct Metadata {
  std::string path;     ///< the file read
  bool legacy = false;  ///< the legacy model_metadata.json (no file names, no checksums)
  bool usable = false;  ///< read, valid JSON and an object: the fields below come from it
  std::string text;     ///< the file's bytes, for C++ callers that want other fields
  std::vector<std::string> feature_names;  ///< in column order; empty when unusable
  EnsembleWeights weights;                 ///< model_weights, else 0.4 / 0.4 / 0.2
  double decision_threshold = 0.5;         ///< decision_threshold, else 0.5
  ModelFileEntry files[3];                 ///< lightgbm, xgboost, random_forest
  // Informational, never checked (kept when of the documented type):
  std::string created_at;  ///< "" when absent
  std::string status;      ///< "" when absent
  std::vector<std::pair<std::string, std::string>> training_library_versions;  ///< string members
  JsonValue performance_metrics;  ///< an object, or null when absent
  /// drift_reference, when present and valid (optional: a directory without one still loads).
  DriftReference drift_reference;
};

/// Checks metadata text against every rule of docs/metadata.md: schema_version, model_type,
/// feature_names and n_features, individual_models, model_weights (finite, >= 0, sum to 1 within
/// kWeightSumTolerance), decision_threshold, model_files (each an object; `file` a plain name
/// without '/', '\\', NUL or "..", a known `format` for the member, `sha256` 64 lowercase hex
/// digits). Each problem is kMetadata, names `path` and the field.
Metadata ParseMetadata(std::string text, const std::string& path, bool legacy,
                       Problems& problems);

/// Finds (production, else legacy) and reads the metadata of `dir` (at most `max_bytes`, a
/// regular file) and parses it. A missing file is kModelNotFound; the result is not `usable`
/// when the file cannot be read or is not a JSON object.
Metadata ReadMetadata(const std::string& dir, uint64_t max_bytes, Problems& problems);

}  // namespace ensemble::core
