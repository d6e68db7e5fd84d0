/// \file xgboost_model.h
/// \brief The package's own reader and validator of XGBoost models (JSON text as written by
/// XGBoost 1.0 to 3.x, UBJSON from 1.6).
///
/// XGBoost 3.2 segfaults on an out-of-range or cyclic child index, an out-of-range parent, output
/// group or category segment, and silently scores a split on a feature the input does not have.
/// ParseXGBoostModel accepts every tree model XGBoost writes (gbtree, dart, categorical splits,
/// pruned trees with deleted nodes, random-forest layers, vector-leaf multi-target trees) and
/// rejects, naming the source, the tree and the field, what would crash or mislead it. The
/// validated bytes are then what XGBoosterLoadModelFromBuffer is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/expected_features.h"

namespace ensemble::core {

/// One XGBoost tree exactly as the model stores it (RegTree::SaveModel), validated.
///
/// Node i is a leaf iff left_children[i] == -1. From the root (node 0) every live node is reached
/// exactly once; the other nodes are "deleted" (pruned: split_indices == 2^31-1 and default_left)
/// and are never reached. Children of internal nodes are in [1, num_nodes).
struct XGBoostTree {
  /// Number of node slots (the length of every per-node array), >= 1.
  std::int32_t num_nodes = 1;
  /// Number of deleted (unreachable, pruned) node slots.
  std::int32_t num_deleted = 0;
  /// Outputs per leaf: 1 for scalar trees (files from 1.x store 0, reported here as 1);
  /// > 1 for vector-leaf (multi_strategy="multi_output_tree") trees.
  std::int32_t size_leaf_vector = 1;
  /// Per node: left child, -1 for a leaf.
  std::vector<std::int32_t> left_children;
  /// Per node: right child; -1 for a scalar leaf; for a vector leaf, its row in leaf_weights.
  std::vector<std::int32_t> right_children;
  /// Per node: parent (the root's is stored as -1 or 2147483647).
  std::vector<std::int32_t> parents;
  /// Per node: the feature an internal node splits on (< XGBoostModel::num_feature).
  std::vector<std::int32_t> split_indices;
  /// Per node: internal: `x < split_condition` goes left; scalar leaf: the leaf value (finite).
  std::vector<float> split_conditions;
  /// Per node: 1 if a missing value goes left.
  std::vector<std::uint8_t> default_left;
  /// Per node: 0 numerical split, 1 categorical split. All 0 when the file has no split_type
  /// (XGBoost 1.0-1.2), as XGBoost reads it.
  std::vector<std::uint8_t> split_type;
  /// Per node (times the number of split targets for vector-leaf trees): the node's weight.
  std::vector<float> base_weights;
  /// Vector-leaf trees only: leaves x size_leaf_vector leaf outputs.
  std::vector<float> leaf_weights;
  /// Per node: the loss reduction of the split.
  std::vector<float> loss_changes;
  /// Per node: the sum of hessians (cover).
  std::vector<float> sum_hessian;
  /// Categorical splits: each categorical node's category set, concatenated. An input whose
  /// category is in the node's set goes right; any other (or an invalid one) goes left.
  std::vector<std::int32_t> categories;
  /// Categorical splits: the nodes with split_type 1, increasing.
  std::vector<std::int32_t> categories_nodes;
  /// Categorical splits: where each node's categories start in `categories`.
  std::vector<std::int64_t> categories_segments;
  /// Categorical splits: how many categories each node has (>= 1).
  std::vector<std::int64_t> categories_sizes;

  /// True if node `i` is a leaf.
  bool IsLeaf(std::int32_t i) const { return left_children[static_cast<std::size_t>(i)] == -1; }
};

/// A validated XGBoost model: the learner's facts and every tree.
struct XGBoostModel {
  /// Where the model came from, used in error messages.
  std::string source;
  /// True if the bytes were UBJSON, false for JSON text.
  bool is_ubjson = false;
  /// The writer's version [major, minor, patch].
  std::array<int, 3> version{};
  /// Number of input columns (learner_model_param.num_feature).
  std::int64_t num_feature = 0;
  /// Number of classes (0 for anything but multi-class classification).
  std::int32_t num_class = 0;
  /// Number of targets (1 unless multi-target).
  std::int32_t num_target = 1;
  /// base_score exactly as stored: "5E-1" (1.x-3.0) or "[4.6333334E-1]" / "[a,b,c]" (3.1+).
  std::string base_score;
  /// base_score parsed as XGBoost does (float32 values, one per output or one for all).
  std::vector<float> base_score_values;
  /// Objective name, e.g. "binary:logistic", "multi:softprob", "reg:squarederror".
  std::string objective;
  /// Booster name: "gbtree" or "dart" (gblinear is rejected: not a tree model).
  std::string booster;
  /// gbtree_model_param.num_parallel_tree (trees per output per iteration), >= 1; 1 when the
  /// file does not store it (XGBoost 1.0-1.5).
  std::int32_t num_parallel_tree = 1;
  /// learner.feature_names (may be empty).
  std::vector<std::string> feature_names;
  /// learner.feature_types (may be empty): "q"/"float"/"int"/"i" numerical, "c" categorical.
  std::vector<std::string> feature_types;
  /// learner.attributes, e.g. {"best_iteration", "12"}, in file order.
  std::vector<std::pair<std::string, std::string>> attributes;
  /// The `best_iteration` attribute (set by early stopping), or -1.
  std::int64_t best_iteration = -1;
  /// Per tree: the output (class / target) it adds to, < num_outputs(); all 0 for vector leaves.
  std::vector<std::int32_t> tree_info;
  /// Tree ranges of the boosting iterations: iteration k has trees [indptr[k], indptr[k+1]).
  /// From the file (2.0+), or rebuilt as XGBoost does for older files.
  std::vector<std::int32_t> iteration_indptr;
  /// dart: one weight per tree; empty for gbtree.
  std::vector<float> weight_drop;
  /// Every tree, in file order.
  std::vector<XGBoostTree> trees;

  /// Outputs per row: max(num_target, num_class, 1).
  std::int32_t num_outputs() const {
    std::int32_t n = num_target > num_class ? num_target : num_class;
    return n > 1 ? n : 1;
  }
  /// Number of boosting iterations.
  std::size_t num_iterations() const {
    return iteration_indptr.empty() ? 0 : iteration_indptr.size() - 1;
  }
};

/// Parses and validates an XGBoost model from JSON text or UBJSON bytes, telling them apart as
/// XGBoosterLoadModelFromBuffer does: the first byte must be '{'; then a '"' (after whitespace)
/// means JSON text, a letter means UBJSON. `source` names it in error messages. Throws
/// Error(ErrorCode::kModelFormat, "<source>: tree 3: left_children[1] = 40 is out of range
/// (tree has 7 nodes)") and the like. `expected`: the width the caller will score (the
/// metadata's); a file declaring another num_feature is refused (kMetadata) as soon as the
/// learner's parameters are read, before any tree.
XGBoostModel ParseXGBoostModel(const std::uint8_t* data, std::size_t size,
                               const std::string& source, const ExpectedFeatures& expected = {});

}  // namespace ensemble::core
