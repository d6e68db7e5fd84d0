// TreeSHAP over one imported tree, two ways: the published recursion (in float for XGBoost, to
// reproduce its pred_contribs to the bit) and a per-leaf closed form in float64 (docs/explain.md).
#include "tree_shap.h"

#include <algorithm>
#include <cmath>

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

Quadrature::Quadrature(int max_points, int max_power) {
  offset_.push_back(0);
  power_offset_.push_back(0);
  auto legendre = [](int k, double x, double* p0, double* p1) {
    *p0 = 1;
    *p1 = x;
    for (int n = 2; n <= k; ++n) {
      const double p2 = ((2.0 * n - 1) * x * *p1 - (n - 1.0) * *p0) / n;
      *p0 = *p1;
      *p1 = p2;
    }
  };
  for (int k = 1; k <= max_points; ++k) {
    // Newton's method on the Legendre polynomial P_k from the usual first guesses, on [-1, 1],
    // then moved to [0, 1].
    std::vector<double> w;
    for (int i = 0; i < k; ++i) {
      double x = std::cos(M_PI * (i + 0.75) / (k + 0.5)), p0, p1;
      for (int iter = 0; iter < 100; ++iter) {
        legendre(k, x, &p0, &p1);
        const double dx = p1 / (k * (x * p1 - p0) / (x * x - 1));
        x -= dx;
        if (std::fabs(dx) < 1e-16) break;
      }
      legendre(k, x, &p0, &p1);
      const double dp = k * (x * p1 - p0) / (x * x - 1);
      nodes_.push_back((1 - x) / 2);
      inverse_.push_back(1 / (1 - nodes_.back()));
      w.push_back(1 / ((1 - x * x) * dp * dp));
    }
    offset_.push_back(nodes_.size());
    for (int m = 0; m <= max_power; ++m) {
      for (int i = 0; i < k; ++i) {
        const double t = nodes_[offset_[static_cast<size_t>(k) - 1] + static_cast<size_t>(i)];
        powers_.push_back(w[static_cast<size_t>(i)] * std::pow(1 - t, m));
      }
    }
    power_offset_.push_back(powers_.size());
  }
}

void RowView::Set(const double* x, size_t features, Compare compare) {
  value.resize(features);
  state.resize(features);
  for (size_t j = 0; j < features; ++j) {
    const double v = x[j];
    if (std::isnan(v)) {
      state[j] = kMissing;
      value[j] = v;
      continue;
    }
    state[j] = std::fabs(v) <= fold::kLightGBMZero ? kZeroBand : kNormal;
    value[j] = compare == Compare::kFloat ? static_cast<double>(fold::ToFloat(v)) : v;
  }
}

namespace {

// A slot while the table is built: a feature of the current path and what its splits say.
struct Slot {
  int32_t feature = -1;
  double zero = 1;
  double lo = std::nan(""), hi = INFINITY;    // every split of the feature
  double zlo = std::nan(""), zhi = INFINITY;  // its splits without a zero rule
  bool missing_follows = true, zero_rule = false, zero_default_follows = true;
};

// Narrows a box by one split taken `left` at threshold t.
void Narrow(double* lo, double* hi, double t, bool left) {
  if (left) {
    *hi = std::min(*hi, t);
  } else {
    *lo = std::isnan(*lo) ? t : std::max(*lo, t);
  }
}

bool InBox(double v, double lo, double hi) { return v <= hi && !(v <= lo); }

}  // namespace

namespace {

// The table in the order the walk met the leaves.
LeafTable WalkLeaves(const TreeInput& in, Compare compare) {
  LeafTable t;
  const std::vector<EngineNode>& nodes = in.tree->nodes;
  std::vector<Slot> slots;
  struct Frame {
    int32_t node;
    uint8_t phase;
    int32_t slot;  // the slot the edge into this node changed (-1: the root)
    bool appended;
    Slot old;
  };
  std::vector<Frame> stack{Frame{0, 0, -1, false, Slot{}}};
  bool any_zero_rule = false;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const EngineNode& n = nodes[static_cast<size_t>(f.node)];
    if (n.feature < 0 || f.phase == 2) {
      if (n.feature < 0) {
        t.begin.push_back(static_cast<uint32_t>(t.feature.size()));
        t.leaf.push_back(n.leaf);
        const double* leaf = in.leaf_values + static_cast<size_t>(n.leaf) * in.leaf_width;
        for (size_t o = 0; o < in.outputs; ++o) t.value.push_back(leaf[in.columns[o]] * in.scale);
        for (const Slot& sl : slots) {
          t.feature.push_back(sl.feature);
          t.zero.push_back(sl.zero);
          t.lo.push_back(sl.lo);
          t.hi.push_back(sl.hi);
          t.zlo.push_back(sl.zlo);
          t.zhi.push_back(sl.zhi);
          t.flags.push_back(static_cast<uint8_t>(
              (sl.missing_follows ? LeafTable::kMissingFollows : 0) |
              (sl.zero_rule ? LeafTable::kZeroRule : 0) |
              (sl.zero_default_follows ? LeafTable::kZeroDefaultFollows : 0)));
          any_zero_rule |= sl.zero_rule;
        }
      }
      if (f.slot >= 0) {
        if (f.appended) {
          slots.pop_back();
        } else {
          slots[static_cast<size_t>(f.slot)] = f.old;
        }
      }
      stack.pop_back();
      continue;
    }
    const bool left = f.phase == 0;
    ++f.phase;
    const int32_t child = left ? n.left : n.right;
    Frame next{child, 0, -1, false, Slot{}};
    size_t j = 0;
    while (j < slots.size() && slots[j].feature != n.feature) ++j;
    if (j == slots.size()) {
      slots.push_back(Slot{});
      slots.back().feature = n.feature;
      next.appended = true;
    } else {
      next.old = slots[j];
    }
    next.slot = static_cast<int32_t>(j);
    Slot& sl = slots[j];
    sl.zero *= nodes[static_cast<size_t>(child)].cover / n.cover;
    const double threshold =
        compare == Compare::kFloat ? static_cast<double>(static_cast<float>(n.threshold)) : n.threshold;
    Narrow(&sl.lo, &sl.hi, threshold, left);
    sl.missing_follows = sl.missing_follows && GoesLeft(n, compare, std::nan("")) == left;
    if (n.missing == MissingRule::kZeroLeft || n.missing == MissingRule::kZeroRight) {
      sl.zero_rule = true;
      sl.zero_default_follows = sl.zero_default_follows && (n.missing == MissingRule::kZeroLeft) == left;
    } else {
      Narrow(&sl.zlo, &sl.zhi, threshold, left);
    }
    stack.push_back(next);  // invalidates f
  }
  t.begin.push_back(static_cast<uint32_t>(t.feature.size()));
  if (!any_zero_rule) {
    t.zlo = std::vector<double>();
    t.zhi = std::vector<double>();
  }
  return t;
}

}  // namespace

LeafTable BuildLeafTable(const TreeInput& in, Compare compare) {
  const LeafTable walk = WalkLeaves(in, compare);
  // Leaves that need the same rule go together, so the kernel for that rule runs over them.
  std::vector<size_t> order(walk.leaves());
  for (size_t l = 0; l < order.size(); ++l) order[l] = l;
  auto points = [&walk](size_t l) { return static_cast<int>(walk.begin[l + 1] - walk.begin[l] + 1) / 2; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return points(a) < points(b); });
  LeafTable t;
  const bool zero_rules = !walk.zlo.empty();
  for (const size_t l : order) {
    const int k = points(l);
    if (t.run_points.empty() || t.run_points.back() != k) {
      if (!t.run_points.empty()) t.run_end.push_back(static_cast<uint32_t>(t.leaf.size()));
      t.run_points.push_back(k);
    }
    t.begin.push_back(static_cast<uint32_t>(t.feature.size()));
    t.leaf.push_back(walk.leaf[l]);
    for (size_t o = 0; o < in.outputs; ++o) t.value.push_back(walk.value[l * in.outputs + o]);
    for (uint32_t i = walk.begin[l]; i < walk.begin[l + 1]; ++i) {
      t.feature.push_back(walk.feature[i]);
      t.zero.push_back(walk.zero[i]);
      t.lo.push_back(walk.lo[i]);
      t.hi.push_back(walk.hi[i]);
      t.flags.push_back(walk.flags[i]);
      if (zero_rules) {
        t.zlo.push_back(walk.zlo[i]);
        t.zhi.push_back(walk.zhi[i]);
      }
    }
  }
  t.begin.push_back(static_cast<uint32_t>(t.feature.size()));
  if (!t.run_points.empty()) t.run_end.push_back(static_cast<uint32_t>(t.leaf.size()));
  return t;
}

void ClosedFormScratch::Reserve(size_t max_slots, int max_points) {
  agree.resize(max_slots);
  g.resize(max_slots);
  acc.resize(static_cast<size_t>(max_points));
  h.resize(max_slots * static_cast<size_t>(max_points));
  pre.resize(max_slots * static_cast<size_t>(max_points));
}

namespace {

// Which slots of leaf l the row follows (into `agree`, in order), their count, and the product
// of the cover fractions of the others.
inline int Follow(const LeafTable& t, const RowView& row, size_t l, int32_t* agree, double* pb) {
  const uint32_t b0 = t.begin[l];
  const int u = static_cast<int>(t.begin[l + 1] - b0);
  int a = 0;
  double p = 1;
  for (int j = 0; j < u; ++j) {
    const size_t i = b0 + static_cast<size_t>(j);
    const size_t f = static_cast<size_t>(t.feature[i]);
    const uint8_t st = row.state[f];
    const double v = row.value[f];
    bool o = (v <= t.hi[i]) & !(v <= t.lo[i]);
    if (st != RowView::kNormal) {
      if (st == RowView::kMissing) {
        o = t.flags[i] & LeafTable::kMissingFollows;
      } else if (!t.zlo.empty() && (t.flags[i] & LeafTable::kZeroRule)) {
        o = (t.flags[i] & LeafTable::kZeroDefaultFollows) && InBox(v, t.zlo[i], t.zhi[i]);
      }
    }
    agree[a] = j;
    a += o;
    p *= o ? 1.0 : t.zero[i];
  }
  *pb = p;
  return a;
}

// Adds g[j] times the leaf's values to the features of its slots.
inline void AddLeaf(const LeafTable& t, size_t l, const double* g, size_t outputs, double* phi,
                    size_t stride) {
  const uint32_t b0 = t.begin[l];
  const int u = static_cast<int>(t.begin[l + 1] - b0);
  const double* v = t.value.data() + l * outputs;
  if (outputs == 1) {
    for (int j = 0; j < u; ++j) phi[t.feature[b0 + static_cast<size_t>(j)]] += g[j] * v[0];
    return;
  }
  if (outputs == 2) {  // a binary forest's two classes
    for (int j = 0; j < u; ++j) {
      double* p = phi + t.feature[b0 + static_cast<size_t>(j)];
      p[0] += g[j] * v[0];
      p[stride] += g[j] * v[1];
    }
    return;
  }
  for (int j = 0; j < u; ++j) {
    double* p = phi + t.feature[b0 + static_cast<size_t>(j)];
    for (size_t o = 0; o < outputs; ++o) p[o * stride] += g[j] * v[o];
  }
}

// The leaves [l0, l1), all with (u + 1) / 2 == K: with K known to the compiler, every loop
// over the nodes is unrolled (a loop of four iterations is mostly overhead otherwise).
// kK = 0: K from the argument, for paths of more than 16 features.
template <int kK>
void Leaves(const LeafTable& t, const RowView& row, size_t l0, size_t l1, int k_arg,
            const Quadrature& quad, size_t outputs, double* phi, size_t stride,
            ClosedFormScratch& s) {
  const int k = kK > 0 ? kK : k_arg;
  const double* tk = quad.nodes(k);
  const double* inv = quad.inverse_complement(k);
  int32_t* agree = s.agree.data();
  double* g = s.g.data();
  double* h = s.h.data();
  double* pre = s.pre.data();
  double* acc = s.acc.data();
  for (size_t l = l0; l < l1; ++l) {
    const uint32_t b0 = t.begin[l];
    const int u = static_cast<int>(t.begin[l + 1] - b0);
    double pb;
    const int a = Follow(t, row, l, agree, &pb);
    const int b = u - a;
    // The product over A, weighted by w_q (1 - t_q)^b, keeping the partial products.
    const double* start = quad.weighted_power(k, b);
    for (int q = 0; q < k; ++q) acc[q] = start[q];
    for (int m = 0; m < a; ++m) {
      const double z = t.zero[b0 + static_cast<size_t>(agree[m])], d = 1 - z;
      double* hm = h + static_cast<size_t>(m) * static_cast<size_t>(k);
      double* pm = pre + static_cast<size_t>(m) * static_cast<size_t>(k);
      for (int q = 0; q < k; ++q) {
        hm[q] = z + d * tk[q];
        pm[q] = acc[q];
        acc[q] *= hm[q];
      }
    }
    if (b > 0) {
      double integral = 0;
      for (int q = 0; q < k; ++q) integral += acc[q] * inv[q];
      const double gb = -pb * integral;
      for (int j = 0; j < u; ++j) g[j] = gb;
    }
    for (int q = 0; q < k; ++q) acc[q] = 1;
    for (int m = a - 1; m >= 0; --m) {
      const double* hm = h + static_cast<size_t>(m) * static_cast<size_t>(k);
      const double* pm = pre + static_cast<size_t>(m) * static_cast<size_t>(k);
      double integral = 0;
      for (int q = 0; q < k; ++q) {
        integral += pm[q] * acc[q];
        acc[q] *= hm[q];
      }
      g[agree[m]] = (1 - t.zero[b0 + static_cast<size_t>(agree[m])]) * pb * integral;
    }
    AddLeaf(t, l, g, outputs, phi, stride);
  }
}

}  // namespace

// One leaf at a time. Its path's features U (u of them), each with z_j, the product of its
// cover fractions, and o_j, 1 when the row follows every split on it (else 0): the leaf adds
// v (o_i - z_i) I_i to feature i, where
//   I_i = integral over [0, 1] of prod_{j != i} (z_j + (o_j - z_j) t) dt
// (docs/explain.md derives it from the Shapley weights through the Beta integral). The product
// has degree u - 1, so (u + 1) / 2 Gauss-Legendre nodes give it exactly, and every factor is
// > 0 on [0, 1]: nothing cancels. The features the row does not follow (B, b of them) all have
// the factor z_j (1 - t): they add P_B (1 - t)^b with P_B the product of their z, the same
// -v P_B integral((1 - t)^(b-1) prod_A) to each of them; only the followed ones (A) need a
// product without themselves, from products before and after them.
void ClosedFormTree(const TreeInput& in, const LeafTable& t, const RowView& row, double* phi,
                    size_t stride, const Quadrature& quadrature, ClosedFormScratch& s) {
  uint32_t l0 = 0;
  for (size_t r = 0; r < t.run_points.size(); ++r) {
    const uint32_t l1 = t.run_end[r];
    const int k = t.run_points[r];
    switch (k) {
#define ENSEMBLE_SHAP_LEAVES(K) \
  case K:                       \
    Leaves<K>(t, row, l0, l1, K, quadrature, in.outputs, phi, stride, s); \
    break;
      ENSEMBLE_SHAP_LEAVES(1)
      ENSEMBLE_SHAP_LEAVES(2)
      ENSEMBLE_SHAP_LEAVES(3)
      ENSEMBLE_SHAP_LEAVES(4)
      ENSEMBLE_SHAP_LEAVES(5)
      ENSEMBLE_SHAP_LEAVES(6)
      ENSEMBLE_SHAP_LEAVES(7)
      ENSEMBLE_SHAP_LEAVES(8)
#undef ENSEMBLE_SHAP_LEAVES
      default:
        Leaves<0>(t, row, l0, l1, k, quadrature, in.outputs, phi, stride, s);
    }
    l0 = l1;
  }
}

}  // namespace ensemble::core::shap
