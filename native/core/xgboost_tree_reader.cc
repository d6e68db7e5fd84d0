// Reads one XGBoost tree (RegTree / MultiTargetTree JSON) and checks what XGBoost trusts blindly:
// array lengths, child and parent indices, reachability, feature indices, categorical segments.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/error.h"
#include "xgboost_internal.h"

namespace ensemble::core::detail {
namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
// RegTree::kDeletedNodeMarker as saved: split index 2^31-1 with default_left set.
constexpr std::int32_t kDeletedSplitIndex = std::numeric_limits<std::int32_t>::max();
// XGBoost treats categories >= 2^24 as invalid inputs, so such a model category can never match.
constexpr std::int64_t kMaxCategory = (1 << 24) - 1;
// XGBoost expands each categorical node into a bitset of max_category/32 words when loading.
constexpr std::int64_t kMaxCategoryBitsetBytes = std::int64_t{1} << 28;

std::vector<std::int32_t> ToInt32(const std::vector<std::int64_t>& values) {
  return std::vector<std::int32_t>(values.begin(), values.end());
}

class TreeReader {
 public:
  TreeReader(const JsonValue& json, std::size_t index, std::int64_t num_feature,
             std::int32_t num_outputs, const std::string& source)
      : fields_(json, source + ": tree " + std::to_string(index), ""),
        index_(index),
        num_feature_(num_feature),
        num_outputs_(num_outputs) {}

  XGBoostTree Read() {
    ReadParams();
    ReadArrays();
    CheckStructure();
    // Without split_type (XGBoost 1.0-1.2 wrote none) every split is numerical and XGBoost
    // ignores any categories arrays, as does this reader.
    if (fields_.Find("split_type") != nullptr) ReadCategories();
    return std::move(tree_);
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const { fields_.Fail(message); }

  void ReadParams() {
    const JsonValue& id = fields_.Require("id");
    if (!id.IsInteger() || id.AsInt64() != static_cast<std::int64_t>(index_)) {
      Fail("id is not " + std::to_string(index_));
    }
    const XgbFields param = fields_.Object("tree_param");
    tree_.num_nodes = static_cast<std::int32_t>(param.IntString("num_nodes", 1, kInt32Max));
    // XGBoost 1.0 did not write num_deleted; XGBoost then takes 0 (and checks it against the
    // deleted nodes it counts, as CheckUnreachable does).
    if (param.Find("num_deleted") != nullptr) {
      tree_.num_deleted =
          static_cast<std::int32_t>(param.IntString("num_deleted", 0, tree_.num_nodes - 1));
    }
    // Unused for prediction, but XGBoost refuses a tree_param without it.
    param.IntString("num_feature", 0, kInt32Max);
    const std::int64_t leaf_size = param.IntString("size_leaf_vector", 0, kInt32Max);
    tree_.size_leaf_vector = static_cast<std::int32_t>(std::max<std::int64_t>(leaf_size, 1));
    // A vector leaf adds size_leaf_vector values to the row's outputs: more than the model has
    // writes past XGBoost's prediction buffer.
    if (tree_.size_leaf_vector > 1 && tree_.size_leaf_vector != num_outputs_) {
      param.FailField("size_leaf_vector", std::to_string(tree_.size_leaf_vector) +
                                              " differs from the model's " +
                                              std::to_string(num_outputs_) + " outputs");
    }
  }

  void ReadArrays() {
    const std::int64_t n = tree_.num_nodes;
    tree_.left_children = ToInt32(fields_.Ints("left_children", n, -1, kInt32Max));
    tree_.right_children = ToInt32(fields_.Ints("right_children", n, -1, kInt32Max));
    tree_.parents = ToInt32(fields_.Ints("parents", n, -1, kInt32Max));
    tree_.split_indices = ToInt32(fields_.Ints("split_indices", n, 0, kInt32Max));
    tree_.split_conditions = fields_.Floats("split_conditions", n);
    tree_.default_left = fields_.Flags("default_left", n);
    tree_.loss_changes = fields_.Floats("loss_changes", n);
    tree_.sum_hessian = fields_.Floats("sum_hessian", n);
    tree_.base_weights = fields_.Floats("base_weights", -1);
    if (!vector_leaf()) {
      if (tree_.base_weights.size() != static_cast<std::size_t>(n)) {
        fields_.FailField("base_weights", "has " + std::to_string(tree_.base_weights.size()) +
                                              " entries, expected " + std::to_string(n));
      }
      return;
    }
    // Vector leaf (XGBoost 3.x layout): node weights for 1..size_leaf_vector split targets,
    // and the leaf outputs in leaf_weights, indexed by the leaf's right_children entry. XGBoost
    // dereferences a missing leaf_weights member, so it is required here.
    const std::size_t per_node = tree_.base_weights.size() / static_cast<std::size_t>(n);
    if (tree_.base_weights.size() % static_cast<std::size_t>(n) != 0 || per_node == 0 ||
        per_node > static_cast<std::size_t>(tree_.size_leaf_vector)) {
      fields_.FailField("base_weights", "has " + std::to_string(tree_.base_weights.size()) +
                                            " entries, not a multiple of " + std::to_string(n) +
                                            " nodes");
    }
    if (fields_.Find("leaf_weights") == nullptr) {
      Fail(
          "missing leaf_weights (a vector-leaf tree as XGBoost 2.x wrote it; XGBoost 3.x "
          "cannot load it)");
    }
    tree_.leaf_weights = fields_.Floats("leaf_weights", -1);
    if (tree_.leaf_weights.size() % static_cast<std::size_t>(tree_.size_leaf_vector) != 0) {
      fields_.FailField("leaf_weights", "has " + std::to_string(tree_.leaf_weights.size()) +
                                            " entries, not a multiple of size_leaf_vector");
    }
    for (std::size_t i = 0; i < tree_.leaf_weights.size(); ++i) {
      if (!std::isfinite(tree_.leaf_weights[i])) {
        Fail("leaf_weights[" + std::to_string(i) + "] is not finite");
      }
    }
  }

  bool vector_leaf() const { return tree_.size_leaf_vector > 1; }

  bool IsDeletedMarker(std::int32_t node) const {
    return tree_.split_indices[node] == kDeletedSplitIndex && tree_.default_left[node] == 1;
  }

  std::string Slot(const char* array, std::int32_t node, std::int64_t value) const {
    return std::string(array) + "[" + std::to_string(node) + "] = " + std::to_string(value);
  }

  void CheckChild(const char* array, std::int32_t node, std::int32_t child) {
    if (child < 1 || child >= tree_.num_nodes) {
      Fail(Slot(array, node, child) + " is out of range (tree has " +
           std::to_string(tree_.num_nodes) + " nodes)");
    }
    if (seen_[child]) {
      Fail(Slot(array, node, child) + " makes a cycle or a shared subtree (node " +
           std::to_string(child) + " is reached twice)");
    }
    // XGBoost rebuilds each node's is-left-child bit from parents[]; it must agree.
    if (tree_.parents[child] != node) {
      Fail(Slot("parents", child, tree_.parents[child]) + " but node " + std::to_string(node) +
           " is its parent");
    }
    seen_[child] = 1;
  }

  void CheckLeaf(std::int32_t node, std::vector<char>* leaf_rows) {
    const std::int32_t right = tree_.right_children[node];
    if (!vector_leaf()) {
      if (right != -1) Fail(Slot("right_children", node, right) + " but the node is a leaf");
      if (!std::isfinite(tree_.split_conditions[node])) {
        Fail("leaf " + std::to_string(node) + " has a non-finite value");
      }
      return;
    }
    const std::size_t rows =
        tree_.leaf_weights.size() / static_cast<std::size_t>(tree_.size_leaf_vector);
    if (right < 0 || static_cast<std::size_t>(right) >= rows || (*leaf_rows)[right]) {
      Fail(Slot("right_children", node, right) + " is not an unused leaf_weights row (there are " +
           std::to_string(rows) + ")");
    }
    (*leaf_rows)[right] = 1;
  }

  void CheckSplit(std::int32_t node) {
    const std::int32_t feature = tree_.split_indices[node];
    if (feature >= num_feature_) {
      Fail(Slot("split_indices", node, feature) +
           " is not below num_feature = " + std::to_string(num_feature_));
    }
    const bool categorical = tree_.split_type[node] == 1;
    if (!categorical && std::isnan(tree_.split_conditions[node])) {
      Fail("split_conditions[" + std::to_string(node) + "] of a numerical split is NaN");
    }
  }

  void CheckStructure() {
    const std::int32_t n = tree_.num_nodes;
    if (fields_.Find("split_type") != nullptr) {
      tree_.split_type = fields_.Flags("split_type", n);
    } else {
      tree_.split_type.assign(static_cast<std::size_t>(n), 0);  // every split numerical
    }
    if (tree_.parents[0] != -1 && tree_.parents[0] != kInt32Max) {
      Fail(Slot("parents", 0, tree_.parents[0]) + " but node 0 is the root");
    }
    seen_.assign(static_cast<std::size_t>(n), 0);
    std::vector<char> leaf_rows(
        tree_.leaf_weights.size() / static_cast<std::size_t>(tree_.size_leaf_vector), 0);
    std::size_t leaves = 0;
    std::vector<std::int32_t> stack = {0};
    seen_[0] = 1;
    while (!stack.empty()) {
      const std::int32_t node = stack.back();
      stack.pop_back();
      if (IsDeletedMarker(node) && node != 0) {
        Fail("node " + std::to_string(node) + " is marked deleted but is reachable");
      }
      if (tree_.left_children[node] == -1) {
        CheckLeaf(node, &leaf_rows);
        ++leaves;
        continue;
      }
      CheckChild("left_children", node, tree_.left_children[node]);
      CheckChild("right_children", node, tree_.right_children[node]);
      CheckSplit(node);
      stack.push_back(tree_.right_children[node]);
      stack.push_back(tree_.left_children[node]);
    }
    if (vector_leaf() && leaves != leaf_rows.size()) {
      Fail(std::to_string(leaves) + " leaves but leaf_weights has " +
           std::to_string(leaf_rows.size()) + " rows");
    }
    CheckUnreachable();
  }

  // Unreached slots are pruned nodes: XGBoost counts them by their marker and, while loading,
  // follows their parents[] entry, which must therefore stay in range.
  void CheckUnreachable() const {
    std::int32_t deleted = 0;
    for (std::int32_t i = 1; i < tree_.num_nodes; ++i) {
      if (seen_[i]) continue;
      if (!IsDeletedMarker(i)) {
        Fail("node " + std::to_string(i) + " is unreachable from the root");
      }
      if (tree_.parents[i] < 0 || tree_.parents[i] >= tree_.num_nodes) {
        Fail(Slot("parents", i, tree_.parents[i]) + " is out of range (tree has " +
             std::to_string(tree_.num_nodes) + " nodes)");
      }
      ++deleted;
    }
    if (deleted != tree_.num_deleted) {
      Fail("tree_param.num_deleted = " + std::to_string(tree_.num_deleted) + " but " +
           std::to_string(deleted) + " nodes are deleted");
    }
  }

  // XGBoost matches categories_nodes against the nodes in increasing order and builds a bitset
  // per categorical node from its [segment, segment + size) slice of `categories`.
  void ReadCategories() {
    const std::int32_t n = tree_.num_nodes;
    tree_.categories_nodes = ToInt32(fields_.Ints("categories_nodes", -1, 0, n - 1));
    const auto count = static_cast<std::int64_t>(tree_.categories_nodes.size());
    tree_.categories = ToInt32(fields_.Ints("categories", -1, 0, kMaxCategory));
    const auto total = static_cast<std::int64_t>(tree_.categories.size());
    tree_.categories_segments = fields_.Ints("categories_segments", count, 0, total);
    tree_.categories_sizes = fields_.Ints("categories_sizes", count, 1, total);
    std::int64_t bitset_bytes = 0;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int32_t node = tree_.categories_nodes[k];
      if (k > 0 && node <= tree_.categories_nodes[k - 1]) {
        Fail("categories_nodes is not increasing at index " + std::to_string(k));
      }
      if (tree_.split_type[node] != 1) {
        Fail("categories_nodes[" + std::to_string(k) + "] = " + std::to_string(node) +
             " is not a categorical split");
      }
      const std::int64_t begin = tree_.categories_segments[k];
      const std::int64_t size = tree_.categories_sizes[k];
      if (begin + size > total) {
        Fail("categories of node " + std::to_string(node) + " ([" + std::to_string(begin) + ", " +
             std::to_string(begin + size) + ")) run past the " + std::to_string(total) +
             " categories");
      }
      const std::int32_t max_cat = *std::max_element(tree_.categories.begin() + begin,
                                                     tree_.categories.begin() + begin + size);
      bitset_bytes += (max_cat / 32 + 1) * 4;
    }
    if (bitset_bytes > kMaxCategoryBitsetBytes) {
      Fail("categorical splits would need " + std::to_string(bitset_bytes >> 20) +
           " MiB of bitsets");
    }
    for (std::int32_t node = 0; node < n; ++node) {
      if (tree_.split_type[node] == 1 && seen_[node] && tree_.left_children[node] != -1 &&
          !std::binary_search(tree_.categories_nodes.begin(), tree_.categories_nodes.end(), node)) {
        Fail("categorical split at node " + std::to_string(node) + " has no categories");
      }
    }
  }

  XgbFields fields_;
  std::size_t index_;
  std::int64_t num_feature_;
  std::int32_t num_outputs_;
  XGBoostTree tree_;
  std::vector<char> seen_;
};

}  // namespace

XGBoostTree ReadXGBoostTree(const JsonValue& tree, std::size_t index, std::int64_t num_feature,
                            std::int32_t num_outputs, const std::string& source) {
  return TreeReader(tree, index, num_feature, num_outputs, source).Read();
}

}  // namespace ensemble::core::detail
