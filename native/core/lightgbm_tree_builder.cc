// Builds one LightGBMTree from its text fields and checks everything LightGBM would trust blindly:
// lengths, child indices, reachability, feature indices, categorical bitsets, linear leaves.
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "ensemble/error.h"
#include "lightgbm_text_internal.h"

namespace ensemble::core::detail {
namespace {

constexpr std::int8_t kCategoricalMask = 1;
constexpr int kMaxDecisionType = 15;  // bits 0-3 are all LightGBM defines

// Shortest text that reads back as `v` (for messages).
std::string Number(double v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, result.ptr);
}

// Reads the tokens of one field into typed values, with errors that name the field and index.
class FieldReader {
 public:
  FieldReader(const LgbTreeFields& fields, const std::string& where)
      : fields_(fields), where_(where) {}

  [[noreturn]] void Fail(const std::string& message) const {
    throw Error(ErrorCode::kModelFormat, where_ + ": " + message);
  }

  bool Has(LgbTreeKey key) const { return fields_.Has(key); }

  std::string_view Require(LgbTreeKey key) const {
    if (!fields_.Has(key)) Fail(std::string("missing field ") + LgbTreeKeyName(key));
    return fields_.Get(key);
  }

  std::int64_t Int(LgbTreeKey key, std::int64_t lo, std::int64_t hi) const {
    const std::string_view text = Require(key);
    std::int64_t v = 0;
    if (!ParseLgbInt(text, &v)) Fail(Quote(key, text) + " is not an integer");
    if (v < lo || v > hi) {
      Fail(std::string(LgbTreeKeyName(key)) + " = " + std::to_string(v) + " is out of range [" +
           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return v;
  }

  // Exactly `count` integers in [lo, hi] (count < 0: any number of them).
  template <typename T>
  std::vector<T> Ints(LgbTreeKey key, std::int64_t count, std::int64_t lo, std::int64_t hi) const {
    std::vector<T> out;
    Reserve(&out, key, count);
    ForEachToken(key, [&](std::string_view token) {
      std::int64_t v = 0;
      if (!ParseLgbInt(token, &v)) Fail(Element(key, out.size(), token) + " is not an integer");
      if (v < lo || v > hi) {
        Fail(Element(key, out.size(), token) + " is out of range [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "]");
      }
      out.push_back(static_cast<T>(v));
    });
    CheckCount(key, out.size(), count);
    return out;
  }

  // Exactly `count` numbers; `finite` rejects NaN and infinities.
  std::vector<double> Doubles(LgbTreeKey key, std::int64_t count, bool finite) const {
    std::vector<double> out;
    Reserve(&out, key, count);
    ForEachToken(key, [&](std::string_view token) {
      double v = 0;
      if (!ParseLgbDouble(token, &v)) Fail(Element(key, out.size(), token) + " is not a number");
      if (finite && !std::isfinite(v)) {
        Fail(Element(key, out.size(), token) + " is not a finite number");
      }
      out.push_back(v);
    });
    CheckCount(key, out.size(), count);
    return out;
  }

 private:
  // Never trusts a declared count for memory: a field cannot hold more tokens than it has bytes.
  template <typename T>
  void Reserve(std::vector<T>* out, LgbTreeKey key, std::int64_t count) const {
    if (count <= 0 || !fields_.Has(key)) return;
    const auto bound = static_cast<std::int64_t>(fields_.Get(key).size() / 2 + 1);
    out->reserve(static_cast<std::size_t>(count < bound ? count : bound));
  }

  template <typename Fn>
  void ForEachToken(LgbTreeKey key, Fn&& fn) const {
    const std::string_view text = Require(key);
    std::size_t i = 0;
    while (i < text.size()) {
      if (text[i] == ' ') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < text.size() && text[j] != ' ') ++j;
      fn(text.substr(i, j - i));
      i = j;
    }
  }

  void CheckCount(LgbTreeKey key, std::size_t got, std::int64_t want) const {
    if (want >= 0 && got != static_cast<std::size_t>(want)) {
      Fail(std::string(LgbTreeKeyName(key)) + " has " + std::to_string(got) + " values, expected " +
           std::to_string(want));
    }
  }

  static std::string Clip(std::string_view text) {
    return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 40)) + "...";
  }
  static std::string Quote(LgbTreeKey key, std::string_view text) {
    return std::string(LgbTreeKeyName(key)) + " \"" + Clip(text) + "\"";
  }
  static std::string Element(LgbTreeKey key, std::size_t index, std::string_view token) {
    return std::string(LgbTreeKeyName(key)) + "[" + std::to_string(index) + "] = \"" + Clip(token) +
           "\"";
  }

  const LgbTreeFields& fields_;
  const std::string& where_;
};

// Walks the tree from the root: every child index in range, every internal node and leaf reached
// exactly once (so no cycle, no shared subtree, nothing unreachable).
void CheckStructure(const LightGBMTree& tree, const FieldReader& reader) {
  const int n_internal = tree.num_internal();
  const std::int32_t* children[2] = {tree.left_child.data(), tree.right_child.data()};
  const char* names[2] = {"left_child", "right_child"};
  std::vector<char> seen_node(static_cast<std::size_t>(n_internal), 0);
  std::vector<char> seen_leaf(static_cast<std::size_t>(tree.num_leaves), 0);
  std::vector<int> stack = {0};
  seen_node[0] = 1;
  while (!stack.empty()) {
    const int node = stack.back();
    stack.pop_back();
    for (int side = 0; side < 2; ++side) {
      const std::int32_t child = children[side][node];
      const auto at = [&] {
        return std::string(names[side]) + "[" + std::to_string(node) +
               "] = " + std::to_string(child);
      };
      if (child >= 0) {
        if (child >= n_internal) {
          reader.Fail(at() + " is out of range (tree has " + std::to_string(n_internal) +
                      " internal nodes)");
        }
        if (seen_node[child]) {
          reader.Fail(at() + " makes a cycle or a shared subtree (node " + std::to_string(child) +
                      " is reached twice)");
        }
        seen_node[child] = 1;
        stack.push_back(child);
      } else {
        const std::int64_t leaf = ~static_cast<std::int64_t>(child);
        if (leaf >= tree.num_leaves) {
          reader.Fail(at() + " is out of range (leaf " + std::to_string(leaf) + ", tree has " +
                      std::to_string(tree.num_leaves) + " leaves)");
        }
        if (seen_leaf[leaf]) {
          reader.Fail(at() + ": leaf " + std::to_string(leaf) + " is reached twice");
        }
        seen_leaf[leaf] = 1;
      }
    }
  }
  for (int i = 0; i < n_internal; ++i) {
    if (!seen_node[i]) reader.Fail("internal node " + std::to_string(i) + " is unreachable");
  }
  for (int i = 0; i < tree.num_leaves; ++i) {
    if (!seen_leaf[i]) reader.Fail("leaf " + std::to_string(i) + " is unreachable");
  }
}

void CheckSplits(const LightGBMTree& tree, const FieldReader& reader) {
  for (int i = 0; i < tree.num_internal(); ++i) {
    const int type = tree.decision_type[i];
    const auto at = [&] { return "node " + std::to_string(i) + ": "; };
    if (((type >> 2) & 3) == 3) {
      reader.Fail(at() + "decision_type " + std::to_string(type) +
                  " has the undefined missing type 3");
    }
    const double t = tree.threshold[i];
    if (type & kCategoricalMask) {
      // LightGBM only takes the categorical path when num_cat > 0, and then indexes
      // cat_boundaries[threshold] and [threshold + 1] unchecked.
      if (!(t >= 0 && t < tree.num_cat && std::trunc(t) == t)) {
        reader.Fail(at() + "categorical threshold " + Number(t) +
                    " is not a bitset index below num_cat = " + std::to_string(tree.num_cat));
      }
    } else if (std::isnan(t)) {
      reader.Fail(at() + "threshold is NaN");
    }
  }
}

void ReadCategories(LightGBMTree* tree, const FieldReader& reader) {
  tree->cat_boundaries = reader.Ints<std::int32_t>(LgbTreeKey::kCatBoundaries, tree->num_cat + 1, 0,
                                                   std::numeric_limits<std::int32_t>::max());
  tree->cat_threshold = reader.Ints<std::uint32_t>(LgbTreeKey::kCatThreshold, -1, 0,
                                                   std::numeric_limits<std::uint32_t>::max());
  if (tree->cat_boundaries[0] != 0) reader.Fail("cat_boundaries[0] must be 0");
  for (int i = 1; i <= tree->num_cat; ++i) {
    if (tree->cat_boundaries[i] < tree->cat_boundaries[i - 1]) {
      reader.Fail("cat_boundaries decreases at index " + std::to_string(i));
    }
  }
  const auto words = static_cast<std::int64_t>(tree->cat_threshold.size());
  if (tree->cat_boundaries.back() != words) {
    reader.Fail("cat_boundaries ends at " + std::to_string(tree->cat_boundaries.back()) +
                " but cat_threshold has " + std::to_string(words) + " words");
  }
}

void ReadLinear(LightGBMTree* tree, int num_features, const FieldReader& reader) {
  const int n = tree->num_leaves;
  tree->leaf_const = reader.Doubles(LgbTreeKey::kLeafConst, n, true);
  tree->leaf_features_begin.assign(static_cast<std::size_t>(n) + 1, 0);
  // Without `num_features` every leaf is constant, and LightGBM ignores the other two fields.
  if (!reader.Has(LgbTreeKey::kNumFeatures)) return;
  const std::vector<std::int32_t> counts =
      reader.Ints<std::int32_t>(LgbTreeKey::kNumFeatures, n, 0, num_features);
  std::int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    total += counts[i];
    tree->leaf_features_begin[i + 1] = static_cast<std::int32_t>(total);
  }
  if (total == 0) return;
  tree->leaf_features =
      reader.Ints<std::int32_t>(LgbTreeKey::kLeafFeatures, total, 0, num_features - 1);
  tree->leaf_coeff = reader.Doubles(LgbTreeKey::kLeafCoeff, total, true);
}

// Fields that do not change predictions but that LightGBM parses all the same: a bad token or
// count there is a Log::Fatal, and inside the parallel tree loop (with tree_sizes) that aborts
// the process. They are checked; the counts are kept (TreeSHAP's node covers), the rest dropped.
void ReadStatistics(LightGBMTree* out, const FieldReader& reader) {
  const LightGBMTree& tree = *out;
  const int n = tree.num_leaves;
  const int m = tree.num_internal();
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (reader.Has(LgbTreeKey::kSplitGain)) reader.Doubles(LgbTreeKey::kSplitGain, m, false);
  if (reader.Has(LgbTreeKey::kLeafWeight)) reader.Doubles(LgbTreeKey::kLeafWeight, n, false);
  if (reader.Has(LgbTreeKey::kInternalValue)) {
    reader.Doubles(LgbTreeKey::kInternalValue, m, false);
  }
  if (reader.Has(LgbTreeKey::kInternalWeight)) {
    reader.Doubles(LgbTreeKey::kInternalWeight, m, false);
  }
  if (reader.Has(LgbTreeKey::kLeafCount)) {
    out->leaf_count = reader.Ints<std::int64_t>(LgbTreeKey::kLeafCount, n, kMin, kMax);
  }
  if (reader.Has(LgbTreeKey::kInternalCount)) {
    out->internal_count = reader.Ints<std::int64_t>(LgbTreeKey::kInternalCount, m, kMin, kMax);
  }
}

}  // namespace

LightGBMTree BuildLightGBMTree(const LgbTreeFields& fields, int num_features,
                               const std::string& where) {
  const FieldReader reader(fields, where);
  LightGBMTree tree;
  tree.num_leaves =
      static_cast<int>(reader.Int(LgbTreeKey::kNumLeaves, 1, std::numeric_limits<int>::max()));
  tree.num_cat =
      static_cast<int>(reader.Int(LgbTreeKey::kNumCat, 0, std::numeric_limits<int>::max() - 1));
  tree.leaf_value = reader.Doubles(LgbTreeKey::kLeafValue, tree.num_leaves, true);
  if (fields.Has(LgbTreeKey::kIsLinear)) tree.is_linear = reader.Int(LgbTreeKey::kIsLinear, 0, 1);
  if (fields.Has(LgbTreeKey::kShrinkage)) {
    tree.shrinkage = reader.Doubles(LgbTreeKey::kShrinkage, 1, true)[0];
  }
  const int n_internal = tree.num_internal();
  if (n_internal == 0 && tree.num_cat != 0) {
    reader.Fail("num_cat = " + std::to_string(tree.num_cat) + " in a tree without splits");
  }
  if (n_internal > 0 || tree.is_linear) {
    // A single leaf has empty split arrays; LightGBM skips them unless the tree is linear.
    tree.left_child = reader.Ints<std::int32_t>(LgbTreeKey::kLeftChild, n_internal,
                                                std::numeric_limits<std::int32_t>::min(),
                                                std::numeric_limits<std::int32_t>::max());
    tree.right_child = reader.Ints<std::int32_t>(LgbTreeKey::kRightChild, n_internal,
                                                 std::numeric_limits<std::int32_t>::min(),
                                                 std::numeric_limits<std::int32_t>::max());
    tree.split_feature =
        reader.Ints<std::int32_t>(LgbTreeKey::kSplitFeature, n_internal, 0, num_features - 1);
    tree.threshold = reader.Doubles(LgbTreeKey::kThreshold, n_internal, false);
    if (fields.Has(LgbTreeKey::kDecisionType)) {
      tree.decision_type =
          reader.Ints<std::int8_t>(LgbTreeKey::kDecisionType, n_internal, 0, kMaxDecisionType);
    } else {
      tree.decision_type.assign(static_cast<std::size_t>(n_internal), 0);
    }
  }
  if (n_internal > 0 || tree.is_linear) ReadStatistics(&tree, reader);
  if (n_internal > 0) {
    CheckStructure(tree, reader);
    if (tree.num_cat > 0) ReadCategories(&tree, reader);
    CheckSplits(tree, reader);
  }
  if (tree.is_linear) ReadLinear(&tree, num_features, reader);
  return tree;
}

}  // namespace ensemble::core::detail
