/// \file lightgbm_model.h
/// \brief The package's own reader and validator of LightGBM text models (v2-v4 `tree` format).
///
/// LightGBM 4.7 aborts, segfaults or hangs on a truncated or inconsistent text model, and silently
/// mis-scores others (out-of-range feature index, a wrong `tree_sizes`, a trailing partial
/// iteration). ParseLightGBMText accepts every model LightGBM writes and rejects, with a message
/// naming the source, the tree and the field, every model that would crash or mislead it. The
/// validated bytes are then what LGBM_BoosterLoadModelFromString is given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ensemble/expected_features.h"

namespace ensemble::core {

/// One LightGBM tree exactly as the text model stores it (Tree::ToString), validated: children
/// form one binary tree rooted at node 0 that reaches every node and leaf exactly once; every
/// feature index is below LightGBMModel::num_features.
///
/// Node numbering: internal nodes are 0..num_leaves-2; a child c >= 0 is an internal node, a child
/// c < 0 is the leaf ~c (= -c-1).
struct LightGBMTree {
  /// Number of leaves (>= 1); there are num_leaves-1 internal nodes.
  int num_leaves = 1;
  /// Number of categorical splits (size of cat_boundaries minus one).
  int num_cat = 0;
  /// Per internal node: the feature it splits on (model column index).
  std::vector<std::int32_t> split_feature;
  /// Per internal node: numerical split: `x <= threshold` goes left; categorical split: the
  /// index (an integer value) of its bitset in cat_boundaries.
  std::vector<double> threshold;
  /// Per internal node: bit 0 categorical, bit 1 default-left, bits 2-3 missing type
  /// (0 none: NaN is treated as 0, 1 zero: 0 and NaN take the default side, 2 NaN: NaN does).
  std::vector<std::int8_t> decision_type;
  /// Per internal node: the left child (see node numbering above).
  std::vector<std::int32_t> left_child;
  /// Per internal node: the right child.
  std::vector<std::int32_t> right_child;
  /// Per leaf: its output (finite), shrinkage already applied.
  std::vector<double> leaf_value;
  /// num_cat+1 offsets into cat_threshold (first 0, non-decreasing, last = cat_threshold.size());
  /// empty when num_cat is 0.
  std::vector<std::int32_t> cat_boundaries;
  /// Bitset words: category v goes left iff bit v%32 of word v/32 of the node's range is set.
  std::vector<std::uint32_t> cat_threshold;
  /// True for a linear tree (`linear_tree=true`): a leaf outputs leaf_const + sum coeff * x,
  /// or leaf_value if any of its features is NaN.
  bool is_linear = false;
  /// Linear trees, per leaf: the constant term.
  std::vector<double> leaf_const;
  /// Linear trees: num_leaves+1 offsets into leaf_features / leaf_coeff (CSR layout).
  std::vector<std::int32_t> leaf_features_begin;
  /// Linear trees: the features of each leaf's linear model, concatenated.
  std::vector<std::int32_t> leaf_features;
  /// Linear trees: the coefficients matching leaf_features.
  std::vector<double> leaf_coeff;
  /// The learning rate this tree was built with (informational; leaf values already include it).
  double shrinkage = 1.0;
  /// Per internal node: `internal_count`, the training rows that reached it (TreeSHAP's node
  /// cover, as LightGBM's pred_contrib uses it); empty when the file has no such field.
  std::vector<std::int64_t> internal_count;
  /// Per leaf: `leaf_count`; empty when the file has no such field.
  std::vector<std::int64_t> leaf_count;

  /// Number of internal nodes.
  int num_internal() const { return num_leaves - 1; }
};

/// A validated LightGBM text model: the header facts and every tree.
struct LightGBMModel {
  /// Where the model came from (file path or a caller's label), used in error messages.
  std::string source;
  /// The `version=` header ("v4", "v3", ...), empty if absent.
  std::string version;
  /// `num_class=`: 1 for regression/binary/ranking, K for multiclass.
  int num_class = 1;
  /// `num_tree_per_iteration=` (equals num_class; checked).
  int num_tree_per_iteration = 1;
  /// `label_index=`.
  int label_index = 0;
  /// `max_feature_idx=`.
  int max_feature_idx = 0;
  /// Number of input columns the model expects: max_feature_idx + 1.
  int num_features = 1;
  /// The whole `objective=` value, e.g. "binary sigmoid:1"; empty for a custom objective.
  std::string objective;
  /// The objective's name (first word of `objective`), e.g. "binary"; empty if none.
  std::string objective_name;
  /// True if the header says `average_output` (random-forest mode: outputs are averaged).
  bool average_output = false;
  /// `feature_names=`, num_features entries.
  std::vector<std::string> feature_names;
  /// Every tree, in file order; tree t belongs to iteration t / num_tree_per_iteration and
  /// output t % num_tree_per_iteration.
  std::vector<LightGBMTree> trees;

  /// Number of boosting iterations (trees / num_tree_per_iteration).
  int num_iterations() const {
    return num_tree_per_iteration > 0 ? static_cast<int>(trees.size()) / num_tree_per_iteration : 0;
  }
};

/// Parses and validates a LightGBM text model. `source` names it in error messages.
/// Throws Error(ErrorCode::kModelFormat, "<source>: tree 12: left_child[3] = 40 is out of range
/// (tree has 30 internal nodes)") and the like for anything LightGBM would crash on or misread:
/// truncation (no "end of trees"), NUL bytes, missing or inconsistent header keys, array lengths,
/// child indices, cycles, feature indices, categorical bitsets, linear-leaf features, bad numbers
/// (also in fields that do not affect predictions but that LightGBM parses: a fatal error in its
/// parallel tree loop aborts the process), `tree_sizes` that do not match the tree blocks, a tree
/// count that is not a multiple of num_tree_per_iteration, malformed `parameters:` lines.
/// `expected`: the width the caller will score (the metadata's); a file declaring another
/// max_feature_idx + 1 is refused (kMetadata) as soon as the header is read.
LightGBMModel ParseLightGBMText(std::string_view text, const std::string& source,
                                const ExpectedFeatures& expected = {});

}  // namespace ensemble::core
