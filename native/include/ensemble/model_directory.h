/// \file model_directory.h
/// \brief Loading a model directory (models/production/ layout, docs/metadata.md): the metadata,
///        checked against the three model files, and the ensemble built from them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ensemble/ensemble.h"
#include "ensemble/native_libraries.h"

namespace ensemble::core {

/// Options for LoadModelDirectory.
struct ModelDirectoryOptions {
  int threads = 1;                         ///< batch threads for every model
  LibrarySearch lightgbm;                  ///< where to find lib_lightgbm
  LibrarySearch xgboost;                   ///< where to find libxgboost
  std::optional<EnsembleWeights> weights;  ///< overrides the metadata's model_weights
  std::optional<double> threshold;         ///< overrides the metadata's decision_threshold
  bool verify_checksums = true;            ///< compare each file with the metadata's sha256
  ScorerChoice scorer = ScorerChoice::kAuto;  ///< who scores the two boosters
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
  std::string dir;            ///< as given
  std::string metadata_path;  ///< the metadata file used
  std::string metadata_json;  ///< its text, for callers that want the remaining fields
  bool legacy_metadata = false;  ///< true when only model_metadata.json was found
  double threshold = 0.5;     ///< the decision threshold in force
  std::vector<ModelFileInfo> files;     ///< lightgbm, xgboost, random_forest
  std::shared_ptr<const Ensemble> ensemble;
};

/// Reads `dir`/production_model_metadata.json (or the legacy model_metadata.json), checks it
/// (schema, feature names, weights, checksums) against the three model files and builds the
/// ensemble. Every error names the file and what is wrong (kMetadata, kModelFormat,
/// kModelNotFound, kLibraryLoad).
ModelDirectory LoadModelDirectory(const std::string& dir, const ModelDirectoryOptions& options);

}  // namespace ensemble::core
