// TreeSHAP over one imported tree, two ways: the published recursion (in float for XGBoost, to
// reproduce its pred_contribs to the bit) and a closed form in float64, edge by edge
// (docs/explain.md): here its quadrature and edge tables, its kernels in tree_shap_kernel.cc.
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

Quadrature::Quadrature(int max_points) {
  offset_.push_back(0);
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
      weights_.push_back(1 / ((1 - x * x) * dp * dp));
    }
    offset_.push_back(nodes_.size());
  }
}

EdgeTable BuildEdgeTable(const TreeInput& in) {
  const std::vector<EngineNode>& nodes = in.tree->nodes;
  const size_t n = nodes.size();
  EdgeTable t;
  t.parent.assign(n, -1);
  t.feature.assign(n, -1);
  t.prev.assign(n, -1);
  t.prev_split.assign(n, -1);
  t.ratio.assign(n, 1.0);
  t.left.assign(n, 0);
  t.target.assign(n, 0);
  t.value.assign(n * in.outputs, 0.0);
  // A walk down with, per feature, the nearest edge on it above the current node (undone on the
  // way back up), and the distinct features of the path.
  std::vector<int32_t> last;   // feature -> edge (node), grown on demand
  std::vector<int32_t> count;  // feature -> splits on the path
  int distinct = 0, most = 0;
  struct Frame {
    int32_t node;
    uint8_t phase;
    int32_t feature, saved;  // the edge into `node`: its feature, and last[feature] before it
  };
  std::vector<Frame> stack{Frame{0, 0, -1, -1}};
  auto grow = [&](int32_t f) {
    if (static_cast<size_t>(f) >= last.size()) {
      last.resize(static_cast<size_t>(f) + 1, -1);
      count.resize(static_cast<size_t>(f) + 1, 0);
    }
  };
  while (!stack.empty()) {
    Frame& fr = stack.back();
    const EngineNode& node = nodes[static_cast<size_t>(fr.node)];
    if (fr.phase == 0 && node.feature < 0) {
      most = std::max(most, distinct);
      const double* leaf = in.leaf_values + static_cast<size_t>(node.leaf) * in.leaf_width;
      for (size_t o = 0; o < in.outputs; ++o) {
        t.value[static_cast<size_t>(fr.node) * in.outputs + o] = leaf[in.columns[o]] * in.scale;
      }
    }
    if (node.feature < 0 || fr.phase == 2) {
      if (fr.feature >= 0) {
        last[static_cast<size_t>(fr.feature)] = fr.saved;
        if (--count[static_cast<size_t>(fr.feature)] == 0) --distinct;
      }
      stack.pop_back();
      continue;
    }
    const int32_t f = node.feature;
    grow(f);
    if (fr.phase == 0) {
      const int32_t ps = last[static_cast<size_t>(f)];
      t.prev_split[static_cast<size_t>(fr.node)] = ps;
      if (ps >= 0) t.target[static_cast<size_t>(ps)] = 1;
    }
    const bool go_left = fr.phase == 0;
    ++fr.phase;
    const int32_t child = go_left ? node.left : node.right;
    const size_t c = static_cast<size_t>(child);
    t.parent[c] = fr.node;
    t.feature[c] = f;
    t.left[c] = go_left;
    t.ratio[c] = nodes[c].cover / node.cover;
    t.prev[c] = last[static_cast<size_t>(f)];
    const Frame next{child, 0, f, last[static_cast<size_t>(f)]};
    last[static_cast<size_t>(f)] = child;
    if (count[static_cast<size_t>(f)]++ == 0) ++distinct;
    stack.push_back(next);  // invalidates fr
  }
  t.points = std::max(1, (most + 1) / 2);
  return t;
}

void ClosedFormScratch::Reserve(size_t nodes, int points, size_t outputs) {
  const size_t k = static_cast<size_t>(points), r = kClosedFormRows;
  dir.resize(nodes * r);
  follow.resize(nodes * r);
  zero.resize(nodes);
  h.resize(2 * k);
  inv_on.resize(nodes * k);
  inv_off.resize(nodes * k);
  q.resize(nodes * k * r);
  a.resize(nodes * k * outputs * r);
  sub.assign(nodes * k * outputs * r, 0.0);
}

}  // namespace ensemble::core::shap
