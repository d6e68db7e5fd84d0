// Brings LightGBM, XGBoost and forest trees into the engine's representation: every split
// becomes `v <= threshold` with the library's own comparison folded into the threshold and its
// missing-value rule into the node, leaves keep the library's values and precision.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "engine_fold.h"
#include "ensemble/engine.h"
#include "ensemble/forest_model.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"

namespace ensemble::core {
namespace {

bool Refuse(std::string* why_not, std::string why) {
  if (why_not != nullptr) *why_not = std::move(why);
  return false;
}


// Checked before anything sized by the width is allocated.
bool TooWide(int64_t num_features, std::string* why_not) {
  if (num_features <= kMaxEngineFeatures) return false;
  Refuse(why_not, std::to_string(num_features) + " features (the engine takes at most " +
                      std::to_string(kMaxEngineFeatures) + ")");
  return true;
}

}  // namespace

double EngineModel::Link(double sum) const {
  switch (link) {
    case EngineLink::kSigmoid:
      return 1.0 / (1.0 + std::exp(-sigmoid_scale * sum));
    case EngineLink::kSigmoidFloat: {
      const float m = static_cast<float>(sum);
      return static_cast<double>(1.0f / (1.0f + std::exp(-m)));
    }
    case EngineLink::kMean:
      return sum / static_cast<double>(trees.size());
    case EngineLink::kIdentity:
      break;
  }
  return sum;
}

bool ImportLightGBM(const LightGBMModel& model, EngineModel* out, std::string* why_not) {
  if (model.num_tree_per_iteration != 1 || model.num_class != 1) {
    return Refuse(why_not, "more than one output per row");
  }
  if (model.average_output) return Refuse(why_not, "average_output (random-forest mode)");
  if (TooWide(model.num_features, why_not)) return false;
  EngineModel m;
  m.library = "LightGBM";
  m.num_features = model.num_features;
  m.compare = Compare::kDouble;
  m.library_thresholds.resize(static_cast<size_t>(model.num_features));

  // The link LightGBM's ConvertOutput applies, from the objective line.
  const std::string& obj = model.objective;
  const std::string& name = model.objective_name;
  if (name == "binary" || name == "cross_entropy") {
    m.link = EngineLink::kSigmoid;
    if (name == "binary") {
      const size_t at = obj.find("sigmoid:");
      if (at == std::string::npos) return Refuse(why_not, "objective '" + obj + "' has no sigmoid:");
      char* end = nullptr;
      m.sigmoid_scale = std::strtod(obj.c_str() + at + 8, &end);
      if (!std::isfinite(m.sigmoid_scale) || m.sigmoid_scale <= 0) {
        return Refuse(why_not, "objective '" + obj + "' has a bad sigmoid");
      }
    }
  } else if ((name == "regression" || name == "regression_l1" || name == "huber" ||
              name == "fair" || name == "quantile" || name == "mape") &&
             obj.find("sqrt") == std::string::npos) {
    m.link = EngineLink::kIdentity;
  } else {
    // Margins are still the engine's; the value goes through the library.
    m.has_value_output = false;
  }

  for (size_t t = 0; t < model.trees.size(); ++t) {
    const LightGBMTree& tree = model.trees[t];
    if (tree.is_linear) return Refuse(why_not, "linear trees");
    if (tree.num_cat > 0) return Refuse(why_not, "categorical splits");
    const int ni = tree.num_internal();
    // TreeSHAP's covers: LightGBM's pred_contrib weighs each branch by its training row count.
    const bool counts = tree.internal_count.size() == static_cast<size_t>(ni) &&
                        tree.leaf_count.size() == tree.leaf_value.size();
    if (ni > 0 && !counts && m.explain_note.empty()) {
      m.explain_note = "tree " + std::to_string(t) +
                       " has no internal_count / leaf_count (the node covers TreeSHAP needs)";
    }
    EngineTree et;
    if (ni == 0) {
      et.nodes.resize(1);
      et.nodes[0].leaf = static_cast<int32_t>(m.leaf_values.size());
      m.leaf_values.push_back(tree.leaf_value.empty() ? 0.0 : tree.leaf_value[0]);
      m.trees.push_back(std::move(et));
      continue;
    }
    // LightGBM numbers internal nodes 0..ni-1 (root 0) and leaves ~c; children may have smaller
    // ids than their parent, so renumber in preorder (parents first) for the engine.
    std::vector<int32_t> order;
    order.reserve(static_cast<size_t>(2 * ni + 1));
    std::vector<int32_t> stack{0};
    while (!stack.empty()) {
      const int32_t c = stack.back();
      stack.pop_back();
      order.push_back(c);
      if (c >= 0) {
        stack.push_back(tree.right_child[static_cast<size_t>(c)]);
        stack.push_back(tree.left_child[static_cast<size_t>(c)]);
      }
    }
    std::vector<int32_t> internal_at(static_cast<size_t>(ni), -1), leaf_at(tree.leaf_value.size(), -1);
    for (size_t k = 0; k < order.size(); ++k) {
      const int32_t c = order[k];
      (c >= 0 ? internal_at[static_cast<size_t>(c)] : leaf_at[static_cast<size_t>(~c)]) =
          static_cast<int32_t>(k);
    }
    auto at = [&](int32_t c) {
      return c >= 0 ? internal_at[static_cast<size_t>(c)] : leaf_at[static_cast<size_t>(~c)];
    };
    et.nodes.resize(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      const int32_t c = order[k];
      EngineNode& n = et.nodes[k];
      if (counts) {
        n.cover = static_cast<double>(c >= 0 ? tree.internal_count[static_cast<size_t>(c)]
                                             : tree.leaf_count[static_cast<size_t>(~c)]);
      }
      if (c < 0) {
        n.leaf = static_cast<int32_t>(m.leaf_values.size());
        m.leaf_values.push_back(tree.leaf_value[static_cast<size_t>(~c)]);
        continue;
      }
      const auto i = static_cast<size_t>(c);
      const int8_t dt = tree.decision_type[i];
      if (dt & 1) return Refuse(why_not, "categorical splits");
      const double threshold = tree.threshold[i];
      if (std::isnan(threshold)) return Refuse(why_not, "tree " + std::to_string(t) + " has a NaN threshold");
      const bool default_left = (dt & 2) != 0;
      switch ((dt >> 2) & 3) {
        case 0: n.missing = MissingRule::kAsZero; break;
        case 1: n.missing = default_left ? MissingRule::kZeroLeft : MissingRule::kZeroRight; break;
        case 2: n.missing = default_left ? MissingRule::kLeft : MissingRule::kRight; break;
        default: return Refuse(why_not, "tree " + std::to_string(t) + " has an unknown missing type");
      }
      n.feature = tree.split_feature[i];
      n.threshold = fold::LightGBMThreshold(threshold);
      n.left = at(tree.left_child[i]);
      n.right = at(tree.right_child[i]);
      m.library_thresholds[static_cast<size_t>(n.feature)].push_back(threshold);
    }
    m.trees.push_back(std::move(et));
  }
  *out = std::move(m);
  return true;
}

bool ImportXGBoost(const XGBoostModel& model, EngineModel* out, std::string* why_not) {
  if (model.num_outputs() != 1) return Refuse(why_not, "more than one output per row");
  if (model.booster != "gbtree" && model.booster != "dart") {
    return Refuse(why_not, "booster '" + model.booster + "'");
  }
  if (model.base_score_values.size() != 1) return Refuse(why_not, "a vector base_score");
  if (TooWide(model.num_feature, why_not)) return false;
  const bool dart = model.booster == "dart";
  if (dart && model.weight_drop.size() != model.trees.size()) {
    return Refuse(why_not, "dart without one weight per tree");
  }
  EngineModel m;
  m.library = "XGBoost";
  m.num_features = static_cast<int>(model.num_feature);
  m.compare = Compare::kFloat;
  m.float_sum = true;
  m.library_thresholds.resize(static_cast<size_t>(model.num_feature));
  const float base = model.base_score_values[0];
  float margin = 0;
  if (model.objective == "binary:logistic" || model.objective == "reg:logistic") {
    // XGBoost's ProbToMargin for logistic objectives, in float as it computes it.
    if (!(base > 0.0f && base < 1.0f)) return Refuse(why_not, "base_score outside (0, 1)");
    margin = -std::log(1.0f / base - 1.0f);
    m.link = EngineLink::kSigmoidFloat;
  } else if (model.objective == "reg:squarederror" || model.objective == "reg:absoluteerror" ||
             model.objective == "reg:pseudohubererror" || model.objective == "reg:quantileerror") {
    margin = base;
    m.link = EngineLink::kIdentity;
  } else {
    return Refuse(why_not, "objective '" + model.objective + "'");
  }
  if (!std::isfinite(margin)) return Refuse(why_not, "a non-finite base margin");
  m.base = margin;

  for (size_t t = 0; t < model.trees.size(); ++t) {
    const XGBoostTree& tree = model.trees[t];
    if (tree.size_leaf_vector > 1) return Refuse(why_not, "vector leaves");
    // ParseXGBoostModel gives every per-node array num_nodes entries; a model built by other
    // means is declined rather than read out of bounds.
    const size_t nn = static_cast<size_t>(tree.num_nodes);
    if (tree.num_nodes < 1 || tree.left_children.size() != nn || tree.right_children.size() != nn ||
        tree.split_indices.size() != nn || tree.split_conditions.size() != nn ||
        tree.default_left.size() != nn || tree.split_type.size() != nn) {
      return Refuse(why_not, "tree " + std::to_string(t) + " has per-node arrays of unequal length");
    }
    // TreeSHAP's covers: XGBoost's pred_contribs weighs each branch by its sum of hessians.
    const bool hessians = tree.sum_hessian.size() == nn;
    if (!hessians && m.explain_note.empty()) {
      m.explain_note = "tree " + std::to_string(t) + " has no sum_hessian (the node covers TreeSHAP needs)";
    }
    // dart: XGBoost predicts each tree alone into a buffer that starts at the base margin, then
    // adds (that buffer - base margin) * weight to the sum, all in float.
    const float weight = dart ? model.weight_drop[t] : 1.0f;
    const float base_f = static_cast<float>(m.base);
    // Live nodes in preorder (pruned slots are never reached).
    std::vector<int32_t> order, at(nn, -1), stack{0};
    while (!stack.empty()) {
      const int32_t i = stack.back();
      stack.pop_back();
      at[static_cast<size_t>(i)] = static_cast<int32_t>(order.size());
      order.push_back(i);
      if (!tree.IsLeaf(i)) {
        stack.push_back(tree.right_children[static_cast<size_t>(i)]);
        stack.push_back(tree.left_children[static_cast<size_t>(i)]);
      }
    }
    EngineTree et;
    et.nodes.resize(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      const auto i = static_cast<size_t>(order[k]);
      EngineNode& n = et.nodes[k];
      const float c = tree.split_conditions[i];
      if (std::isnan(c)) return Refuse(why_not, "tree " + std::to_string(t) + " has a NaN split condition");
      if (hessians) n.cover = static_cast<double>(tree.sum_hessian[i]);
      if (tree.IsLeaf(order[k])) {
        n.leaf = static_cast<int32_t>(m.leaf_values.size());
        const float dart_value = ((base_f + c) - base_f) * weight;
        m.leaf_values.push_back(static_cast<double>(dart ? dart_value : c));
        // XGBoost's pred_contribs attributes the raw leaf and scales the tree's share by weight.
        if (dart) m.explain_leaf_values.push_back(static_cast<double>(c));
        continue;
      }
      if (tree.split_type[i] != 0) {
        return Refuse(why_not, "categorical splits");
      }
      // float(x) < -Inf is never true, but float(x) <= any threshold is for x = -Inf: the
      // library keeps such a model (only a hostile or broken writer makes one).
      if (c == -std::numeric_limits<float>::infinity()) {
        return Refuse(why_not, "tree " + std::to_string(t) + " has a split condition of -Inf");
      }
      n.feature = tree.split_indices[i];
      n.missing = tree.default_left[i] ? MissingRule::kLeft : MissingRule::kRight;
      // XGBoost: float(x) < c goes left, i.e. float(x) <= the float just below c.
      n.threshold = fold::FloatBelow(c);
      n.left = at[static_cast<size_t>(tree.left_children[i])];
      n.right = at[static_cast<size_t>(tree.right_children[i])];
      m.library_thresholds[static_cast<size_t>(n.feature)].push_back(c);
    }
    m.trees.push_back(std::move(et));
    if (dart) m.tree_weights.push_back(static_cast<double>(weight));
  }
  *out = std::move(m);
  return true;
}

EngineModel ImportForest(const ForestModel& model) {
  EngineModel m;
  m.library = "scikit-learn";
  m.num_features = model.num_features;
  m.outputs = model.num_classes;
  m.compare = Compare::kFloat;
  m.link = EngineLink::kMean;
  m.leaf_values = model.leaf_values;
  m.library_thresholds.resize(static_cast<size_t>(model.num_features));
  // TreeSHAP's covers: shap's TreeExplainer weighs each branch by weighted_n_node_samples, which
  // forest files record from format 1.1 on (docs/forest-format.md).
  const bool weights = model.node_weights.size() == model.nodes.size();
  if (!weights) {
    m.explain_note = "the forest file has no node_weights record (format " + model.version +
                     "; re-export it with tools/export_sklearn_forest.py to record the node "
                     "weights TreeSHAP needs)";
  }
  const size_t nt = model.num_trees();
  m.trees.resize(nt);
  for (size_t t = 0; t < nt; ++t) {
    const size_t b = model.tree_begin[t], e = model.tree_begin[t + 1];
    EngineTree& et = m.trees[t];
    et.nodes.resize(e - b);
    for (size_t i = b; i < e; ++i) {
      const ForestNode& f = model.nodes[i];
      EngineNode& n = et.nodes[i - b];
      if (weights) n.cover = model.node_weights[i];
      if (f.feature < 0) {
        n.leaf = f.left;
        continue;
      }
      n.feature = f.feature;
      n.missing = model.allows_nan && f.missing_left ? MissingRule::kLeft : MissingRule::kRight;
      // scikit-learn: double(float(x)) <= t, i.e. float(x) <= the largest float <= t.
      n.threshold = fold::FloatAtOrBelow(f.threshold);
      n.left = f.left;
      n.right = f.right;
      m.library_thresholds[static_cast<size_t>(f.feature)].push_back(f.threshold);
    }
  }
  return m;
}

}  // namespace ensemble::core
