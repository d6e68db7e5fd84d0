// Internal: the two TreeSHAP algorithms over one imported tree (tree_shap.cc), for the explainer
// (tree_explainer.cc). A row is routed as the scorer routes it; contributions are added into
// `phi`, laid out per output column: phi[c * stride + feature].
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine_fold.h"
#include "ensemble/engine.h"

namespace ensemble::core::shap {

/// Where row value x goes at split n: the scorer's rule (engine.h), stated plainly.
inline bool GoesLeft(const EngineNode& n, Compare compare, double x) {
  const bool nan = std::isnan(x);
  switch (n.missing) {
    case MissingRule::kLeft:
      if (nan) return true;
      break;
    case MissingRule::kRight:
      if (nan) return false;
      break;
    case MissingRule::kAsZero:
      if (nan) x = 0.0;
      break;
    case MissingRule::kZeroLeft:
      if (nan || std::fabs(x) <= fold::kLightGBMZero) return true;
      break;
    case MissingRule::kZeroRight:
      if (nan || std::fabs(x) <= fold::kLightGBMZero) return false;
      break;
  }
  if (compare == Compare::kFloat) return fold::ToFloat(x) <= static_cast<float>(n.threshold);
  return x <= n.threshold;
}

/// One element of the recursion's path of unique features.
template <typename T>
struct PathElement {
  int32_t feature;
  T zero;    // fraction of the cover that reaches here with the feature unknown
  T one;     // 1 when the row itself comes this way, else 0
  T weight;  // permutation weight of subsets of the path's size
};

/// What one tree needs besides its nodes: the leaf values it attributes, scaled.
struct TreeInput {
  const EngineTree* tree = nullptr;
  const double* leaf_values = nullptr;  // rows x leaf_width, row = EngineNode::leaf
  size_t leaf_width = 1;
  const int* columns = nullptr;  // the leaf columns explained, `outputs` of them
  size_t outputs = 1;
  double scale = 1;  // applied to each leaf value (a forest's 1 / number of trees)
  int32_t max_depth = 0;
};

/// Scratch memory of one thread, sized for the deepest tree and widest model once.
template <typename T>
struct RecursionScratch {
  std::vector<PathElement<T>> paths;  // (max_depth + 1) levels of `level_size` elements
  size_t level_size = 0;
  struct Frame {
    int32_t node, level, depth, feature;
    T zero, one;
  };
  std::vector<Frame> stack;
  void Reserve(int32_t max_depth, int num_features);
};

/// The published recursion (both branches of every split, the path of unique features extended
/// and unwound) in precision T, operation for operation as XGBoost (T = float) and LightGBM
/// (T = double) compute it; adds into phi[c * stride + feature] for each output c.
template <typename T>
void RecursionTree(const TreeInput& in, Compare compare, const double* x, T* phi, size_t stride,
                   RecursionScratch<T>& scratch);

/// Shapley weights w(m, u) = m! (u - 1 - m)! / u! for paths of up to kTableDepth unique features.
class ShapleyWeights {
 public:
  static constexpr int kTableDepth = 64;
  ShapleyWeights();
  /// w(0..u-1, u): from the table, or computed into `spare` (u entries) beyond it.
  const double* Row(int u, std::vector<double>* spare) const;

 private:
  std::vector<double> table_;  // row u at u * (u - 1) / 2
};

/// Scratch memory of the closed form for one thread.
struct ClosedFormScratch {
  std::vector<int32_t> slot_of;  // per feature: its slot on the current path, or -1
  std::vector<int32_t> feature;  // per slot
  std::vector<double> zero;      // per slot: product of the cover fractions of its splits
  std::vector<uint8_t> one;      // per slot: the row agrees with every split on it
  int slots = 0;
  std::vector<int32_t> agree;    // the slots the row agrees with
  std::vector<double> poly;      // coefficients of prod (zero + t) over `agree`
  std::vector<double> spare;     // Shapley weights beyond the table
  struct Frame {
    int32_t node;
    int32_t slot;  // the slot the edge into this node changed, -1 for the root
    double old_zero;
    uint8_t old_one, appended, phase, left_hot;
  };
  std::vector<Frame> stack;
  void Reserve(int32_t max_depth, int num_features);
};

/// The same contributions in float64 from each leaf's closed form (docs/explain.md).
void ClosedFormTree(const TreeInput& in, Compare compare, const double* x, double* phi,
                    size_t stride, const ShapleyWeights& weights, ClosedFormScratch& scratch);

}  // namespace ensemble::core::shap
