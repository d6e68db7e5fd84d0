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
  /// Rules for K = 1 .. max_points.
  explicit Quadrature(int max_points = 0);
  const double* nodes(int k) const { return nodes_.data() + offset_[static_cast<size_t>(k) - 1]; }
  const double* weights(int k) const { return weights_.data() + offset_[static_cast<size_t>(k) - 1]; }
  /// 1 / (1 - t_q).
  const double* inverse_complements(int k) const {
    return inverse_.data() + offset_[static_cast<size_t>(k) - 1];
  }

 private:
  std::vector<size_t> offset_;
  std::vector<double> nodes_, weights_, inverse_;
};

/// A tree prepared for the closed form, built once: per node, what the edge into it carries.
/// Nodes are in the imported order (a parent before its children), so a forward pass goes down
/// the tree and a backward pass up.
struct EdgeTable {
  int points = 1;                   // Gauss-Legendre nodes: (most distinct features on a path + 1) / 2
  std::vector<int32_t> parent;      // -1 for the root
  std::vector<int32_t> feature;     // the parent's split feature (the edge's), -1 for the root
  std::vector<int32_t> prev;        // the nearest edge above on the same feature (its node), or -1
  std::vector<int32_t> prev_split;  // splits: the nearest edge on their feature, their own edge
                                    // included, or -1
  std::vector<double> ratio;        // cover / the parent's cover
  std::vector<uint8_t> left;        // the parent's left child
  std::vector<uint8_t> target;      // some split's prev_split: what is below it is subtracted
  std::vector<double> value;        // leaves: the explained values x outputs, scaled
};

/// Prepares the tree of `in`.
EdgeTable BuildEdgeTable(const TreeInput& in);

/// Rows the closed form explains together: its per-row arrays hold them side by side, so each
/// step is a short loop over rows the compiler vectorises (the tree's own factors are computed
/// once for all of them).
inline constexpr size_t kClosedFormRows = 4;

/// Scratch memory of the closed form for one thread, sized for the largest tree.
struct ClosedFormScratch {
  std::vector<int64_t> dir, follow;  // per node and row, all ones for true: the row goes left; it
                                     // follows every edge on the edge's feature
  std::vector<double> zero;              // per node
  std::vector<double> inv_on, inv_off;   // per node and point: 1 / the edge's factor, o = 1 and 0
  std::vector<double> q, a, sub;         // per node, (output,) point and row
  std::vector<double> h;                 // per point: an edge's two factors
  void Reserve(size_t nodes, int points, size_t outputs);
};

/// The same contributions in float64 from the closed form (docs/explain.md), exact up to
/// rounding with `quadrature` holding at least t.points nodes: rows x[0 .. rows) into
/// phi[0 .. rows), rows <= kClosedFormRows. A row's result does not depend on the rows beside it.
void ClosedFormTree(const TreeInput& in, const EdgeTable& t, Compare compare,
                    const double* const* x, double* const* phi, size_t rows, size_t stride,
                    const Quadrature& quadrature, ClosedFormScratch& s);

}  // namespace ensemble::core::shap
