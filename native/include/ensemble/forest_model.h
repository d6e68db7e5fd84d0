/// \file forest_model.h
/// \brief A scikit-learn forest as the package's forest file stores it (docs/forest-format.md),
///        validated: what the engine imports, as it imports LightGBMModel and XGBoostModel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ensemble::core {

/// Which scikit-learn estimator a forest file was exported from (header field `estimator kind`).
enum class ForestEstimator : int { kRandomForest = 0, kExtraTrees = 1 };

/// A node of a forest tree, as stored (indices local to the tree).
struct ForestNode {
  int32_t feature = -1;      ///< -1 for a leaf
  int32_t left = -1;         ///< split: child taken when float32(x) <= threshold; leaf: its row
  int32_t right = -1;        ///< split: the other child
  bool missing_left = false; ///< split: NaN goes left (only when the forest allows NaN)
  double threshold = 0;      ///< split: not NaN, may be +Inf
};

/// A validated forest: every child index is in range and after its parent, every node but the
/// root has exactly one parent, every leaf row and feature index is in range.
struct ForestModel {
  std::string source;
  /// The file's format version, "major.minor" ("1.0", "1.1").
  std::string version;
  int num_features = 0;
  int num_classes = 0;
  bool allows_nan = false;
  ForestEstimator estimator = ForestEstimator::kRandomForest;
  size_t num_file_nodes = 0;
  /// Every tree's nodes, tree after tree; tree t is [tree_begin[t], tree_begin[t + 1]).
  std::vector<ForestNode> nodes;
  std::vector<uint32_t> tree_begin;
  /// Leaf rows x num_classes: the class fractions of scikit-learn's predict_proba.
  std::vector<double> leaf_values;
  std::vector<double> classes;
  /// Per node (as `nodes`): scikit-learn's weighted_n_node_samples, from the `node_weights`
  /// record (format 1.1); empty when the file has none. TreeSHAP's node covers.
  std::vector<double> node_weights;
  /// The other metadata records, in file order (node_weights is decoded above, not kept here).
  std::vector<std::pair<std::string, std::string>> metadata;

  size_t num_trees() const { return tree_begin.empty() ? 0 : tree_begin.size() - 1; }
};

/// Parses and validates a forest file image (docs/forest-format.md). Throws kModelFormat naming
/// `source` on anything malformed, inconsistent or corrupt.
ForestModel ParseForest(const uint8_t* data, size_t size, const std::string& source);

/// The `feature_names` metadata record split into names; empty when the file has none.
std::vector<std::string> ForestFeatureNames(const ForestModel& model);

}  // namespace ensemble::core
