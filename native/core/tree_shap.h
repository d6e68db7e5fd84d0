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

/// Gauss-Legendre rules on [0, 1]: K nodes integrate polynomials of degree <= 2K - 1 exactly.
class Quadrature {
 public:
  /// Rules for K = 1 .. max_points, with the weighted powers w_q (1 - t_q)^m for m <= max_power.
  Quadrature(int max_points = 0, int max_power = 0);
  const double* nodes(int k) const { return nodes_.data() + offset_[static_cast<size_t>(k) - 1]; }
  /// w_q (1 - t_q)^m, q = 0 .. k-1.
  const double* weighted_power(int k, int m) const {
    return powers_.data() + power_offset_[static_cast<size_t>(k) - 1] +
           static_cast<size_t>(m) * static_cast<size_t>(k);
  }
  /// 1 / (1 - t_q).
  const double* inverse_complement(int k) const {
    return inverse_.data() + offset_[static_cast<size_t>(k) - 1];
  }

 private:
  std::vector<size_t> offset_, power_offset_;
  std::vector<double> nodes_, inverse_, powers_;
};

/// A row as the splits see it: per feature the value compared (float32-rounded for float
/// models), and whether it is missing or in LightGBM's zero band (|x| <= 1e-35).
struct RowView {
  std::vector<double> value;
  std::vector<uint8_t> state;  // kNormal, kMissing, kZeroBand
  static constexpr uint8_t kNormal = 0, kMissing = 1, kZeroBand = 2;
  void Set(const double* x, size_t features, Compare compare);
};

/// A tree's leaves flattened for the closed form, built once: per leaf, the distinct features
/// on its path (its slots), each with the product of its splits' cover fractions and the box of
/// values that follow all of them, so a row's agreement with a leaf is a few compares.
struct LeafTable {
  std::vector<uint32_t> begin;  // per leaf, then the end: where its slots are
  std::vector<int32_t> leaf;    // per leaf: its row of leaf values
  std::vector<int32_t> feature;  // per slot
  std::vector<double> zero;      // per slot: product of the cover fractions of its splits
  // Per slot: a value v (not missing) follows every split of the slot iff !(v <= lo) && v <= hi
  // (lo NaN: no lower bound).
  std::vector<double> lo, hi;
  std::vector<uint8_t> flags;  // per slot: kMissingFollows, kZeroRule, kZeroDefaultFollows
  // Slots with LightGBM "zero" splits, for a value in the zero band: the box of the other
  // splits (the zero splits send it their default way). Sized like `lo` when any slot needs it.
  std::vector<double> zlo, zhi;
  std::vector<double> value;  // per leaf x outputs: the explained columns, scaled
  // Leaves are grouped by the quadrature rule they need, (slots + 1) / 2 nodes: run r holds the
  // leaves [run_end[r - 1], run_end[r]) and uses run_points[r] nodes.
  std::vector<int> run_points;
  std::vector<uint32_t> run_end;
  static constexpr uint8_t kMissingFollows = 1, kZeroRule = 2, kZeroDefaultFollows = 4;

  size_t leaves() const { return leaf.size(); }
};

/// Flattens the tree of `in` (splits compared as `compare` says).
LeafTable BuildLeafTable(const TreeInput& in, Compare compare);

/// Scratch memory of the closed form for one thread.
struct ClosedFormScratch {
  std::vector<int32_t> agree;   // the slots of a leaf the row follows
  std::vector<double> g;        // per slot: what the leaf adds to its feature, per unit of value
  std::vector<double> h, pre;   // per followed slot x node: its factor, the product before it
  std::vector<double> acc;      // per node: a running product
  void Reserve(size_t max_slots, int max_points);
};

/// The same contributions in float64 from each leaf's closed form (docs/explain.md), exact up to
/// rounding with `quadrature` holding (longest path + 1) / 2 points.
void ClosedFormTree(const TreeInput& in, const LeafTable& table, const RowView& row, double* phi,
                    size_t stride, const Quadrature& quadrature, ClosedFormScratch& scratch);

}  // namespace ensemble::core::shap
