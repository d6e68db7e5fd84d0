// Brings LightGBM and XGBoost trees into the engine's layout: one flat node array in depth-first
// order per tree, each split rewritten as `prepared[column] <= threshold` with the library's
// missing-value rule folded into the column (a prepared copy of the feature) and its comparison
// folded into the threshold.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/lightgbm_model.h"
#include "ensemble/tree_engine.h"
#include "ensemble/xgboost_model.h"

namespace ensemble::core {
namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The largest float32 <= t: for every float v (and +-Inf), double(v) <= t iff v <= it.
float FloatAtOrBelow(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -kInfF);
  return f;
}

// The largest float32 < c: for every float v (and +-Inf), v < c iff v <= it.
float FloatBelow(float c) { return std::nextafter(c, -kInfF); }

// LightGBM prepared-column variants (see BoosterEngine::PrepareRows).
enum LightGBMVariant : uint32_t {
  kNanIsZero = 0,       // missing type None: NaN is scored as 0 (never NaN)
  kNanLeft = 1,         // missing type NaN, default left: NaN is -Inf
  kNanRight = 2,        // missing type NaN, default right: NaN stays NaN
  kZeroOrNanLeft = 3,   // missing type Zero, default left: 0 and NaN take the default side
  kZeroOrNanRight = 4,  // missing type Zero, default right
  kLightGBMVariants = 5,
};
// XGBoost prepared-column variants.
enum XGBoostVariant : uint32_t {
  kMissingRight = 0,  // missing stays NaN
  kMissingLeft = 1,   // missing is -Inf (never NaN)
  kXGBoostVariants = 2,
};

// One library node as the builder copies it.
struct ImportedNode {
  bool leaf = false;
  double value = 0;              // leaf: its output; split: its threshold for float64 rows
  float narrow = 0;              // split: its threshold for float32 rows
  double library_threshold = 0;  // split: the threshold as the library stores it (probe rows)
  uint32_t variant = 0;          // split: which prepared copy of the feature it reads
  int32_t feature = 0;
  int32_t le = 0;                // split: the library's child taken when prepared <= threshold
  int32_t gt = 0;                // split: the other child
};

std::unique_ptr<const BoosterEngine> Refused(std::string* why_not, std::string why) {
  if (why_not != nullptr) *why_not = std::move(why);
  return nullptr;
}

// Checked before anything sized by the width is allocated (see BoosterEngine::kMaxFeatures).
bool TooWide(int64_t num_features, std::string* why_not) {
  if (num_features <= BoosterEngine::kMaxFeatures) return false;
  Refused(why_not, std::to_string(num_features) + " features (the engine takes at most " +
                       std::to_string(BoosterEngine::kMaxFeatures) + ")");
  return true;
}

}  // namespace

// Builds one engine: the trees are appended one at a time through AddLeaf / AddSplit.
class BoosterEngineBuilder {
 public:
  BoosterEngineBuilder(BoosterEngine::Flavor flavor, int num_features, size_t variants) {
    e_.reset(new BoosterEngine());
    e_->flavor_ = flavor;
    e_->num_features_ = num_features;
    e_->variants_ = variants;
    e_->thresholds_.resize(static_cast<size_t>(num_features));
  }

  // Appends one tree, copied depth-first from library node `root_id`: node slots in visiting
  // order, each split's two children adjacent. `describe(id, &node)` fills in library node `id`
  // and returns "" or why the engine cannot score it (then the copy stops and says so).
  template <typename Describe>
  std::string CopyTree(int32_t root_id, Describe&& describe) {
    struct Pending {
      int32_t id;  // the library's node id
      int32_t slot;
      int32_t depth;
    };
    std::vector<Pending> stack{{root_id, NewNodes(1), 0}};
    const int32_t root = stack.back().slot;
    int32_t max_depth = 0;
    int32_t min_depth = INT32_MAX;
    while (!stack.empty()) {
      const Pending p = stack.back();
      stack.pop_back();
      ImportedNode n;
      if (std::string why = describe(p.id, &n); !why.empty()) return why;
      if (n.leaf) {
        SetLeaf(p.slot, n.value);
        max_depth = std::max(max_depth, p.depth);
        min_depth = std::min(min_depth, p.depth);
        continue;
      }
      const int32_t gt = NewNodes(2);  // taken when prepared[column] > threshold; gt + 1 when <=
      SetSplit(p.slot, n.variant, n.feature, n.narrow, n.value, gt);
      e_->thresholds_[static_cast<size_t>(n.feature)].push_back(n.library_threshold);
      stack.push_back({n.gt, gt, p.depth + 1});
      stack.push_back({n.le, gt + 1, p.depth + 1});
    }
    e_->roots_.push_back(root);
    e_->min_depths_.push_back(min_depth);
    e_->depths_.push_back(max_depth);
    return "";
  }
  BoosterEngine& engine() { return *e_; }
  std::unique_ptr<const BoosterEngine> Finish() { return std::move(e_); }

 private:
  bool wide() const { return e_->flavor_ == BoosterEngine::Flavor::kLightGBM; }
  // Reserves `n` adjacent node slots and returns the index of the first.
  int32_t NewNodes(int n) {
    const auto first = static_cast<int32_t>(e_->nodes_.size());
    for (int i = 0; i < n; ++i) {
      e_->nodes_.push_back({});
      if (wide()) {
        e_->wide_nodes_.push_back({});
        e_->leaf_values_.push_back(0.0);
      } else {
        e_->leaf_values_f_.push_back(0.0f);
      }
    }
    return first;
  }
  void SetLeaf(int32_t at, double value) {
    const auto i = static_cast<size_t>(at);
    // A leaf compares a column that never holds NaN (LightGBM's copy 0 scores NaN as 0,
    // XGBoost's copy 1 has missing values as -Inf) with +Inf: always true, so it stays.
    const uint32_t column = wide() ? 0 : static_cast<uint32_t>(e_->num_features_);
    e_->nodes_[i] = {kInfF, column, at - 1};
    if (wide()) {
      e_->wide_nodes_[i] = {kInf, column, at - 1};
      e_->leaf_values_[i] = value;
    } else {
      e_->leaf_values_f_[i] = static_cast<float>(value);
    }
  }
  void SetSplit(int32_t at, uint32_t variant, int32_t feature, float narrow, double wide_t,
                int32_t children) {
    const uint32_t column = variant * static_cast<uint32_t>(e_->num_features_) +
                            static_cast<uint32_t>(feature);
    e_->nodes_[static_cast<size_t>(at)] = {narrow, column, children};
    if (wide()) e_->wide_nodes_[static_cast<size_t>(at)] = {wide_t, column, children};
  }
  std::unique_ptr<BoosterEngine> e_;
};

std::unique_ptr<const BoosterEngine> BoosterEngine::FromLightGBM(const LightGBMModel& model,
                                                                 std::string* why_not) {
  if (model.num_tree_per_iteration != 1 || model.num_class != 1) {
    return Refused(why_not, "more than one output per row");
  }
  if (model.average_output) return Refused(why_not, "average_output (random-forest mode)");
  if (TooWide(model.num_features, why_not)) return nullptr;
  BoosterEngineBuilder b(Flavor::kLightGBM, model.num_features, kLightGBMVariants);
  BoosterEngine& e = b.engine();

  // The link LightGBM's ConvertOutput applies, from the objective line.
  e.link_ = Link::kNone;
  const std::string& obj = model.objective;
  if (model.objective_name == "binary" || model.objective_name == "cross_entropy") {
    e.link_ = Link::kSigmoid;
    const size_t at = obj.find("sigmoid:");
    if (model.objective_name == "binary") {
      if (at == std::string::npos) {
        return Refused(why_not, "objective '" + obj + "' has no sigmoid:");
      }
      char* end = nullptr;
      e.sigmoid_scale_ = std::strtod(obj.c_str() + at + 8, &end);
      if (!std::isfinite(e.sigmoid_scale_) || e.sigmoid_scale_ <= 0) {
        return Refused(why_not, "objective '" + obj + "' has a bad sigmoid");
      }
    }
  } else if ((model.objective_name == "regression" || model.objective_name == "regression_l1" ||
              model.objective_name == "huber" || model.objective_name == "fair" ||
              model.objective_name == "quantile" || model.objective_name == "mape") &&
             obj.find("sqrt") == std::string::npos) {
    e.link_ = Link::kIdentity;
  }

  for (size_t t = 0; t < model.trees.size(); ++t) {
    const LightGBMTree& tree = model.trees[t];
    if (tree.is_linear) return Refused(why_not, "linear trees");
    if (tree.num_cat > 0) return Refused(why_not, "categorical splits");
    // LightGBM child c >= 0 is internal node c, c < 0 is leaf ~c.
    const int32_t root = tree.num_leaves > 1 ? 0 : ~0;
    const std::string why = b.CopyTree(root, [&](int32_t id, ImportedNode* n) {
      if (id < 0) {
        n->leaf = true;
        n->value = tree.leaf_value[static_cast<size_t>(~id)];
        return std::string();
      }
      const auto i = static_cast<size_t>(id);
      const int8_t dt = tree.decision_type[i];
      if (dt & 1) return std::string("categorical splits");
      const double threshold = tree.threshold[i];
      if (std::isnan(threshold)) return "tree " + std::to_string(t) + " has a NaN threshold";
      const bool default_left = (dt & 2) != 0;
      switch ((dt >> 2) & 3) {
        case 0: n->variant = kNanIsZero; break;
        case 1: n->variant = default_left ? kZeroOrNanLeft : kZeroOrNanRight; break;
        case 2: n->variant = default_left ? kNanLeft : kNanRight; break;
        default: return "tree " + std::to_string(t) + " has an unknown missing type";
      }
      // LightGBM: double(x) <= threshold goes left.
      n->feature = tree.split_feature[i];
      n->value = threshold;
      n->narrow = FloatAtOrBelow(threshold);
      n->library_threshold = threshold;
      n->le = tree.left_child[i];
      n->gt = tree.right_child[i];
      return std::string();
    });
    if (!why.empty()) return Refused(why_not, why);
  }
  return b.Finish();
}

std::unique_ptr<const BoosterEngine> BoosterEngine::FromXGBoost(const XGBoostModel& model,
                                                                std::string* why_not) {
  if (model.num_outputs() != 1) return Refused(why_not, "more than one output per row");
  if (model.booster != "gbtree") return Refused(why_not, "booster '" + model.booster + "'");
  if (model.base_score_values.size() != 1) return Refused(why_not, "a vector base_score");
  if (TooWide(model.num_feature, why_not)) return nullptr;
  BoosterEngineBuilder b(Flavor::kXGBoost, static_cast<int>(model.num_feature),
                         kXGBoostVariants);
  BoosterEngine& e = b.engine();
  const float base = model.base_score_values[0];
  if (model.objective == "binary:logistic" || model.objective == "reg:logistic") {
    // XGBoost's ProbToMargin for logistic objectives, in float as it computes it.
    if (!(base > 0.0f && base < 1.0f)) return Refused(why_not, "base_score outside (0, 1)");
    e.base_margin_ = -std::log(1.0f / base - 1.0f);
    e.link_ = Link::kSigmoid;
  } else if (model.objective == "reg:squarederror" || model.objective == "reg:absoluteerror" ||
             model.objective == "reg:pseudohubererror" ||
             model.objective == "reg:quantileerror") {
    e.base_margin_ = base;
    e.link_ = Link::kIdentity;
  } else {
    return Refused(why_not, "objective '" + model.objective + "'");
  }
  if (!std::isfinite(e.base_margin_)) return Refused(why_not, "a non-finite base margin");

  for (size_t t = 0; t < model.trees.size(); ++t) {
    const XGBoostTree& tree = model.trees[t];
    if (tree.size_leaf_vector > 1) return Refused(why_not, "vector leaves");
    // ParseXGBoostModel gives every per-node array num_nodes entries; a model built by other
    // means is declined rather than read out of bounds.
    const auto n = static_cast<size_t>(tree.num_nodes);
    if (tree.num_nodes < 1 || tree.left_children.size() != n || tree.right_children.size() != n ||
        tree.split_indices.size() != n || tree.split_conditions.size() != n ||
        tree.default_left.size() != n || tree.split_type.size() != n) {
      return Refused(why_not, "tree " + std::to_string(t) + " has per-node arrays of unequal length");
    }
    const std::string why = b.CopyTree(0, [&](int32_t id, ImportedNode* n) {
      const auto i = static_cast<size_t>(id);
      const float c = tree.split_conditions[i];
      if (std::isnan(c)) return "tree " + std::to_string(t) + " has a NaN split condition";
      if (tree.IsLeaf(id)) {
        n->leaf = true;
        n->value = c;
        return std::string();
      }
      if (tree.split_type[i] != 0) return std::string("categorical splits");
      // XGBoost: float(x) < split_condition goes left, a missing value goes to the default.
      n->variant = tree.default_left[i] ? kMissingLeft : kMissingRight;
      n->feature = tree.split_indices[i];
      n->narrow = FloatBelow(c);
      n->library_threshold = c;
      n->le = tree.left_children[i];
      n->gt = tree.right_children[i];
      return std::string();
    });
    if (!why.empty()) return Refused(why_not, why);
  }
  return b.Finish();
}

}  // namespace ensemble::core
