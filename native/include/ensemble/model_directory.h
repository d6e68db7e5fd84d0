/// \file model_directory.h
/// \brief Loading a model directory (models/production/ layout, docs/metadata.md): the metadata
///        (metadata.h), checked against the three model files, and the ensemble built from them;
///        or, for `validate`, every problem of the directory instead of the first.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ensemble/ensemble.h"
#include "ensemble/file_io.h"
#include "ensemble/metadata.h"
#include "ensemble/native_libraries.h"

namespace ensemble::core {

/// Options for LoadModelDirectory and ValidateModelDirectory.
struct ModelDirectoryOptions {
  int threads = 0;                         ///< batch threads for every model (0 = every core)
  LibrarySearch lightgbm;                  ///< where to find lib_lightgbm
  LibrarySearch xgboost;                   ///< where to find libxgboost
  std::optional<EnsembleWeights> weights;  ///< overrides the metadata's model_weights
  std::optional<double> threshold;         ///< overrides the metadata's decision_threshold
  bool verify_checksums = true;            ///< compare each file with the metadata's sha256
  ScorerChoice scorer = ScorerChoice::kAuto;  ///< who scores the two boosters
  /// Largest model file read (a larger one is refused unread); the metadata's own cap,
  /// kMaxMetadataBytes, is lowered to this when it is smaller.
  uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

/// One model file of the directory.
struct ModelFileInfo {
  std::string role;    ///< "lightgbm", "xgboost" or "random_forest"
  std::string path;    ///< full path
  std::string sha256;  ///< of the bytes loaded
  std::string format;  ///< e.g. "lightgbm-text", "xgboost-json", "production-ensemble-forest"
};

/// A loaded, cross-checked model directory.
struct ModelDirectory {
  std::string dir;                      ///< as given
  Metadata metadata;                    ///< the metadata read (typed; its path and text too)
  double threshold = 0.5;               ///< the decision threshold in force
  std::vector<ModelFileInfo> files;     ///< lightgbm, xgboost, random_forest
  std::shared_ptr<const Ensemble> ensemble;
};

/// Reads `dir`/production_model_metadata.json (or the legacy model_metadata.json), checks it
/// (metadata.h) against the three model files (checksums, feature counts and names) and builds
/// the ensemble. Throws at the first problem, naming the file and what is wrong (kMetadata,
/// kModelFormat, kModelNotFound, kLibraryLoad; kInvalidArgument for options.weights).
ModelDirectory LoadModelDirectory(const std::string& dir, const ModelDirectoryOptions& options);

/// What ValidateModelDirectory found.
struct DirectoryReport {
  std::string dir;                   ///< as given
  std::string metadata_path;         ///< the metadata file, "" when there is none
  std::vector<Problem> problems;     ///< every problem, in the order load would meet them
  std::vector<std::string> checked;  ///< what was checked and found right
  /// True when the directory loads.
  bool ok() const { return problems.empty(); }
};

/// Every problem LoadModelDirectory would throw, collected instead: the same steps and messages,
/// going on past each problem wherever the next step does not depend on it. Never reads a file
/// outside `dir` nor a file that is not regular; throws only for a bug.
DirectoryReport ValidateModelDirectory(const std::string& dir,
                                       const ModelDirectoryOptions& options);

}  // namespace ensemble::core
