// TreeSHAP over one imported tree, two ways: the published recursion (in float for XGBoost, to
// reproduce its pred_contribs to the bit) and a per-leaf closed form in float64 (docs/explain.md).
#include "tree_shap.h"

#include <algorithm>

namespace ensemble::core::shap {
namespace {

// The path's unique features with the permutation weights of every subset size: the feature
// just split on enters with the fractions of the cover (`zero`) and of the row (`one`) that
// take this branch. Expressions are grouped exactly as XGBoost's and LightGBM's.
template <typename T>
void Extend(PathElement<T>* path, int d, T zero, T one, int32_t feature) {
  path[d].feature = feature;
  path[d].zero = zero;
  path[d].one = one;
  path[d].weight = d == 0 ? T(1) : T(0);
  for (int i = d - 1; i >= 0; --i) {
    path[i + 1].weight += one * path[i].weight * T(i + 1) / T(d + 1);
    path[i].weight = zero * path[i].weight * T(d - i) / T(d + 1);
  }
}

// Undoes the extension by element k (a feature split on again further down).
template <typename T>
void Unwind(PathElement<T>* path, int d, int k) {
  const T one = path[k].one, zero = path[k].zero;
  T next = path[d].weight;
  for (int i = d - 1; i >= 0; --i) {
    if (one != 0) {
      const T tmp = path[i].weight;
      path[i].weight = next * T(d + 1) / (T(i + 1) * one);
      next = tmp - path[i].weight * zero * T(d - i) / T(d + 1);
    } else {
      path[i].weight = (path[i].weight * T(d + 1)) / (zero * T(d - i));
    }
  }
  for (int i = k; i < d; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero = path[i + 1].zero;
    path[i].one = path[i + 1].one;
  }
}

// The total permutation weight the path would have without element k.
template <typename T>
T UnwoundSum(const PathElement<T>* path, int d, int k) {
  const T one = path[k].one, zero = path[k].zero;
  T next = path[d].weight, total = 0;
  for (int i = d - 1; i >= 0; --i) {
    if (one != 0) {
      const T tmp = next * T(d + 1) / (T(i + 1) * one);
      total += tmp;
      next = path[i].weight - tmp * zero * (T(d - i) / T(d + 1));
    } else if (zero != 0) {
      total += (path[i].weight / zero) / (T(d - i) / T(d + 1));
    }
  }
  return total;
}

}  // namespace

template <typename T>
void RecursionScratch<T>::Reserve(int32_t max_depth, int num_features) {
  level_size = static_cast<size_t>(std::min(max_depth, num_features)) + 1;
  paths.resize(static_cast<size_t>(max_depth + 1) * level_size);
  stack.reserve(static_cast<size_t>(max_depth) + 2);
}

template <typename T>
void RecursionTree(const TreeInput& in, Compare compare, const double* x, T* phi, size_t stride,
                   RecursionScratch<T>& s) {
  using Frame = typename RecursionScratch<T>::Frame;
  const std::vector<EngineNode>& nodes = in.tree->nodes;
  s.stack.clear();
  s.stack.push_back(Frame{0, 0, 0, -1, T(1), T(1)});
  while (!s.stack.empty()) {
    const Frame f = s.stack.back();
    s.stack.pop_back();
    // The parent's path (after its own unwinding) is copied, then extended by the edge here.
    PathElement<T>* path = s.paths.data() + static_cast<size_t>(f.level) * s.level_size;
    if (f.level > 0) std::copy(path - s.level_size, path - s.level_size + f.depth, path);
    int d = f.depth;
    Extend(path, d, f.zero, f.one, f.feature);
    const EngineNode& n = nodes[static_cast<size_t>(f.node)];
    if (n.feature < 0) {
      const double* leaf = in.leaf_values + static_cast<size_t>(n.leaf) * in.leaf_width;
      for (int i = 1; i <= d; ++i) {
        const T w = UnwoundSum(path, d, i);
        const PathElement<T>& el = path[i];
        const T share = w * (el.one - el.zero);
        for (size_t c = 0; c < in.outputs; ++c) {
          const T v = static_cast<T>(leaf[in.columns[c]] * in.scale);
          phi[c * stride + static_cast<size_t>(el.feature)] += share * v;
        }
      }
      continue;
    }
    const bool left = GoesLeft(n, compare, x[n.feature]);
    const int32_t hot = left ? n.left : n.right, cold = left ? n.right : n.left;
    const T w = static_cast<T>(n.cover);
    const T hot_zero = static_cast<T>(nodes[static_cast<size_t>(hot)].cover) / w;
    const T cold_zero = static_cast<T>(nodes[static_cast<size_t>(cold)].cover) / w;
    T in_zero = 1, in_one = 1;
    int k = 0;
    while (k <= d && path[k].feature != n.feature) ++k;
    if (k <= d) {
      in_zero = path[k].zero;
      in_one = path[k].one;
      Unwind(path, d, k);
      d -= 1;
    }
    // Last in, first out: the branch the row takes is explained first, as the libraries do.
    s.stack.push_back(Frame{cold, f.level + 1, d + 1, n.feature, cold_zero * in_zero, T(0)});
    s.stack.push_back(Frame{hot, f.level + 1, d + 1, n.feature, hot_zero * in_zero, in_one});
  }
}

template struct RecursionScratch<float>;
template struct RecursionScratch<double>;
template void RecursionTree<float>(const TreeInput&, Compare, const double*, float*, size_t,
                                   RecursionScratch<float>&);
template void RecursionTree<double>(const TreeInput&, Compare, const double*, double*, size_t,
                                    RecursionScratch<double>&);

namespace {

void FillWeights(int u, double* row) {
  row[0] = 1.0 / u;
  for (int m = 0; m + 1 < u; ++m) row[m + 1] = row[m] * (m + 1) / (u - 1 - m);
}

}  // namespace

ShapleyWeights::ShapleyWeights() {
  table_.resize(static_cast<size_t>(kTableDepth) * (kTableDepth + 1) / 2);
  for (int u = 1; u <= kTableDepth; ++u) {
    FillWeights(u, table_.data() + static_cast<size_t>(u) * (u - 1) / 2);
  }
}

const double* ShapleyWeights::Row(int u, std::vector<double>* spare) const {
  if (u <= kTableDepth) return table_.data() + static_cast<size_t>(u) * (u - 1) / 2;
  spare->resize(static_cast<size_t>(u));
  FillWeights(u, spare->data());
  return spare->data();
}

void ClosedFormScratch::Reserve(int32_t max_depth, int num_features) {
  const size_t slots_max = static_cast<size_t>(std::min(max_depth, num_features)) + 1;
  slot_of.assign(static_cast<size_t>(num_features), -1);
  feature.resize(slots_max);
  zero.resize(slots_max);
  one.resize(slots_max);
  agree.resize(slots_max);
  poly.resize(slots_max + 1);
  stack.reserve(static_cast<size_t>(max_depth) + 2);
  slots = 0;
}

namespace {

// One leaf. With the path's unique features U (u of them), A the ones whose every split the row
// agrees with, B the others, z_j the product of a feature's cover fractions and P_B the product
// of z over B: each feature of B gets -v P_B R(A), each i of A gets v (1 - z_i) P_B R(A \ i),
// where R(S) = sum_m w(m, u) e_{|S|-m}(z_S) and e are the elementary symmetric polynomials,
// read off the coefficients of prod_{j in S} (z_j + t).
void Leaf(const TreeInput& in, const double* leaf, const ShapleyWeights& weights,
          ClosedFormScratch& s, double* phi, size_t stride) {
  const int u = s.slots;
  if (u == 0) return;
  int a = 0;
  double pb = 1;
  for (int j = 0; j < u; ++j) {
    if (s.one[static_cast<size_t>(j)]) {
      s.agree[static_cast<size_t>(a++)] = j;
    } else {
      pb *= s.zero[static_cast<size_t>(j)];
    }
  }
  const double* w = weights.Row(u, &s.spare);
  double* c = s.poly.data();
  c[0] = 1;
  for (int k = 1; k <= a; ++k) {
    const double z = s.zero[static_cast<size_t>(s.agree[static_cast<size_t>(k - 1)])];
    c[k] = c[k - 1];
    for (int m = k - 1; m >= 1; --m) c[m] = c[m] * z + c[m - 1];
    c[0] *= z;
  }
  auto add = [&](int slot, double g) {
    const size_t f = static_cast<size_t>(s.feature[static_cast<size_t>(slot)]);
    for (size_t o = 0; o < in.outputs; ++o) {
      phi[o * stride + f] += g * (leaf[in.columns[o]] * in.scale);
    }
  };
  if (a < u) {
    double r = 0;
    for (int m = 0; m <= a; ++m) r += w[m] * c[m];
    const double g = -pb * r;
    for (int j = 0; j < u; ++j) {
      if (!s.one[static_cast<size_t>(j)]) add(j, g);
    }
  }
  for (int k = 0; k < a; ++k) {
    const int j = s.agree[static_cast<size_t>(k)];
    const double z = s.zero[static_cast<size_t>(j)];
    // prod over A without j: the coefficients divided by (t + z), highest first.
    double q = c[a];
    double r = w[a - 1] * q;
    for (int m = a - 1; m >= 1; --m) {
      q = c[m] - z * q;
      r += w[m - 1] * q;
    }
    add(j, (1 - z) * pb * r);
  }
}

}  // namespace

void ClosedFormTree(const TreeInput& in, Compare compare, const double* x, double* phi,
                    size_t stride, const ShapleyWeights& weights, ClosedFormScratch& s) {
  using Frame = ClosedFormScratch::Frame;
  const std::vector<EngineNode>& nodes = in.tree->nodes;
  // Undoes what the edge into `f` did to the slots.
  auto restore = [&s](const Frame& f) {
    if (f.slot < 0) return;
    const size_t j = static_cast<size_t>(f.slot);
    if (f.appended) {
      s.slot_of[static_cast<size_t>(s.feature[j])] = -1;
      --s.slots;
    } else {
      s.zero[j] = f.old_zero;
      s.one[j] = f.old_one;
    }
  };
  s.stack.clear();
  s.stack.push_back(Frame{0, -1, 0, 0, 0, 0, 0});
  while (!s.stack.empty()) {
    Frame& f = s.stack.back();
    const EngineNode& n = nodes[static_cast<size_t>(f.node)];
    if (n.feature < 0 || f.phase == 2) {
      if (n.feature < 0) {
        Leaf(in, in.leaf_values + static_cast<size_t>(n.leaf) * in.leaf_width, weights, s, phi,
             stride);
      }
      restore(f);
      s.stack.pop_back();
      continue;
    }
    if (f.phase == 0) f.left_hot = GoesLeft(n, compare, x[n.feature]);
    const bool hot = f.phase == 0;
    const int32_t child = (hot == static_cast<bool>(f.left_hot)) ? n.left : n.right;
    ++f.phase;
    const double fraction = nodes[static_cast<size_t>(child)].cover / n.cover;
    Frame next{child, 0, 0, 0, 0, 0, 0};
    const size_t feature = static_cast<size_t>(n.feature);
    int32_t j = s.slot_of[feature];
    if (j < 0) {
      j = s.slots++;
      s.slot_of[feature] = j;
      s.feature[static_cast<size_t>(j)] = n.feature;
      s.zero[static_cast<size_t>(j)] = fraction;
      s.one[static_cast<size_t>(j)] = hot;
      next.appended = 1;
    } else {
      next.old_zero = s.zero[static_cast<size_t>(j)];
      next.old_one = s.one[static_cast<size_t>(j)];
      s.zero[static_cast<size_t>(j)] *= fraction;
      s.one[static_cast<size_t>(j)] = static_cast<uint8_t>(next.old_one && hot);
    }
    next.slot = j;
    s.stack.push_back(next);  // invalidates f
  }
}

}  // namespace ensemble::core::shap
