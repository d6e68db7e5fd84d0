// TreeSHAP over one imported tree, two ways: the published recursion (in float for XGBoost, to
// reproduce its pred_contribs to the bit) and a closed form in float64, edge by edge
// (docs/explain.md).
#include "tree_shap.h"

#include "ensemble/explain.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

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

namespace {

// The vector helpers below are inlined into their kernels; GCC still warns that a 32-byte vector
// returned by value would change the ABI without AVX, which no call across a boundary does.
#pragma GCC diagnostic ignored "-Wpsabi"

// kR rows side by side: V holds one double per row, M one mask per row (all ones: true).
// GCC / Clang vector extensions, so every operation on V is one per row, lane by lane, exactly
// as the scalar operation (no reassociation, no contraction without an FMA target).
template <size_t kR>
struct Lanes;

template <>
struct Lanes<1> {
  using V = double;
  using M = int64_t;
  static V Load(const double* p) { return *p; }
  static void Store(double* p, V v) { *p = v; }
  static M LoadMask(const int64_t* p) { return *p; }
  static void StoreMask(int64_t* p, M m) { *p = m; }
  static V Splat(double s) { return s; }
  static V Select(M m, V a, V b) { return m != 0 ? a : b; }
  static double Lane(V v, size_t) { return v; }
};

template <>
struct Lanes<kClosedFormRows> {
  typedef double V __attribute__((vector_size(8 * kClosedFormRows), aligned(8)));
  typedef int64_t M __attribute__((vector_size(8 * kClosedFormRows), aligned(8)));
  static V Load(const double* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void Store(double* p, V v) { std::memcpy(p, &v, sizeof v); }
  static M LoadMask(const int64_t* p) {
    M m;
    std::memcpy(&m, p, sizeof m);
    return m;
  }
  static void StoreMask(int64_t* p, M m) { std::memcpy(p, &m, sizeof m); }
  static V Splat(double s) {
    V v;
    for (size_t r = 0; r < kClosedFormRows; ++r) v[r] = s;
    return v;
  }
  static V Select(M m, V a, V b) {
    typedef int64_t I __attribute__((vector_size(8 * kClosedFormRows), aligned(8)));
    I ia, ib;
    std::memcpy(&ia, &a, sizeof a);
    std::memcpy(&ib, &b, sizeof b);
    const I r = (ia & m) | (ib & ~m);
    V v;
    std::memcpy(&v, &r, sizeof v);
    return v;
  }
  static double Lane(V v, size_t r) { return v[r]; }
};

// The tree for kR rows at once, with K nodes known to the compiler (kK = 0: from the table).
// Down the tree, each edge's factor h(t) = z + (o - z) t for its feature (z: the product of the
// cover fractions of the splits on that feature so far, o: the row follows all of them) and the
// product Q(t) of the factors of the path's features. Up the tree, A_n(t) = the sum of v Q(t)
// over the leaves below n. An edge e on feature i adds to i: (o_e - z_e) times the integral of
// P_e(t) / h_e(t), with P_e = A below e minus A below the next splits on i (whose leaves count
// at those splits instead): the per-leaf closed form summed over the leaves that share the edge.
//
// z, and so both candidate factors (o = 1 and o = 0) and their inverses, depend on the tree
// alone; only o and what is built from it depend on the row. The per-row arrays hold the kR rows
// side by side (node, [output,] point, row) and every step works on all of them at once, each
// row through exactly the operations of the one-row kernel in the same order: a row's result
// does not depend on the rows beside it.
template <int kK, size_t kR>
void EdgeKernel(const TreeInput& in, const EdgeTable& t, Compare compare, const double* const* x,
                double* const* phi, size_t stride, const Quadrature& quad, ClosedFormScratch& s) {
  using L = Lanes<kR>;
  using V = typename L::V;
  using M = typename L::M;
  const int k = kK > 0 ? kK : t.points;
  const size_t n = t.parent.size(), outputs = in.outputs;
  const size_t uk = static_cast<size_t>(k), kr = uk * kR, kor = kr * outputs;
  const double* tk = quad.nodes(k);
  const double* wk = quad.weights(k);
  const double* ck = quad.inverse_complements(k);
  const std::vector<EngineNode>& nodes = in.tree->nodes;
  int64_t* __restrict dir = s.dir.data();
  int64_t* __restrict follow = s.follow.data();
  double* __restrict zero = s.zero.data();
  double* __restrict inv_on = s.inv_on.data();    // per node and point: 1 / h on the row's way
  double* __restrict inv_off = s.inv_off.data();  // ... and off it
  double* __restrict q = s.q.data();
  double* __restrict a = s.a.data();
  double* __restrict sub = s.sub.data();
  for (size_t i = 0; i < n; ++i) {
    const EngineNode& node = nodes[i];
    if (node.feature < 0) continue;
    for (size_t r = 0; r < kR; ++r) {
      dir[i * kR + r] = GoesLeft(node, compare, x[r][node.feature]) ? -1 : 0;
    }
  }
  for (size_t j = 0; j < kr; ++j) q[j] = 1;
  // Per point: the edge's two candidate factors (on the stack when K is known, else in the
  // scratch).
  double h_local[kK > 0 ? 2 * kK : 1];
  double* __restrict h_on = kK > 0 ? h_local : s.h.data();
  double* __restrict h_off = h_on + uk;
  for (size_t c = 1; c < n; ++c) {
    const size_t parent = static_cast<size_t>(t.parent[c]);
    const int32_t pr = t.prev[c];
    double z = t.ratio[c];
    if (pr >= 0) z *= zero[pr];
    zero[c] = z;
    // h = z + (o - z) t: z + (1 - z) t on the row's way, z (1 - t) off it (one division).
    const double d = 1 - z, iz = 1 / z;
    double* ion = inv_on + c * uk;
    double* ioff = inv_off + c * uk;
    for (int p = 0; p < k; ++p) {
      h_on[p] = z + d * tk[p];
      ion[p] = 1 / h_on[p];
      h_off[p] = z - z * tk[p];
      ioff[p] = iz * ck[p];
    }
    const M went = L::LoadMask(dir + parent * kR);
    M o = t.left[c] ? went : ~went;
    if (pr >= 0) o &= L::LoadMask(follow + static_cast<size_t>(pr) * kR);
    L::StoreMask(follow + c * kR, o);
    double* qc = q + c * kr;
    const double* qp = q + parent * kr;
    if (pr >= 0) {
      const size_t prev = static_cast<size_t>(pr);
      const M fp = L::LoadMask(follow + prev * kR);
      const double* pon = inv_on + prev * uk;
      const double* poff = inv_off + prev * uk;
      for (int p = 0; p < k; ++p) {
        const size_t at = static_cast<size_t>(p) * kR;
        const V h = L::Select(o, L::Splat(h_on[p]), L::Splat(h_off[p]));
        const V ip = L::Select(fp, L::Splat(pon[p]), L::Splat(poff[p]));
        L::Store(qc + at, (L::Load(qp + at) * h) * ip);
      }
    } else {
      for (int p = 0; p < k; ++p) {
        const size_t at = static_cast<size_t>(p) * kR;
        const V h = L::Select(o, L::Splat(h_on[p]), L::Splat(h_off[p]));
        L::Store(qc + at, L::Load(qp + at) * h);
      }
    }
  }
  for (size_t i = n; i-- > 0;) {
    const EngineNode& node = nodes[i];
    double* ai = a + i * kor;
    if (node.feature < 0) {
      const double* v = t.value.data() + i * outputs;
      const double* qi = q + i * kr;
      for (size_t o = 0; o < outputs; ++o) {
        const V vo = L::Splat(v[o]);
        for (size_t j = 0; j < kr; j += kR) L::Store(ai + o * kr + j, vo * L::Load(qi + j));
      }
    } else {
      const double* al = a + static_cast<size_t>(node.left) * kor;
      const double* ar = a + static_cast<size_t>(node.right) * kor;
      for (size_t j = 0; j < kor; j += kR) L::Store(ai + j, L::Load(al + j) + L::Load(ar + j));
      const int32_t ps = t.prev_split[i];
      if (ps >= 0) {
        double* target = sub + static_cast<size_t>(ps) * kor;
        for (size_t j = 0; j < kor; j += kR) L::Store(target + j, L::Load(target + j) + L::Load(ai + j));
      }
    }
    if (i == 0) break;
    // The edge into i.
    const M fi = L::LoadMask(follow + i * kR);
    const V dr = L::Select(fi, L::Splat(1.0), L::Splat(0.0)) - L::Splat(zero[i]);
    const double* ion = inv_on + i * uk;
    const double* ioff = inv_off + i * uk;
    double* si = sub + i * kor;
    const size_t feature = static_cast<size_t>(t.feature[i]);
    const bool below = t.target[i];  // else nothing was subtracted: a - 0 is a, to the bit
    for (size_t o = 0; o < outputs; ++o) {
      V integral = L::Splat(0.0);
      const double* ao = ai + o * kr;
      double* so = si + o * kr;
      for (int p = 0; p < k; ++p) {
        const size_t at = static_cast<size_t>(p) * kR;
        const V wi = L::Splat(wk[p]) * L::Select(fi, L::Splat(ion[p]), L::Splat(ioff[p]));
        if (below) {
          integral += wi * (L::Load(ao + at) - L::Load(so + at));
          L::Store(so + at, L::Splat(0.0));
        } else {
          integral += wi * L::Load(ao + at);
        }
      }
      const V add = dr * integral;
      for (size_t r = 0; r < kR; ++r) phi[r][o * stride + feature] += L::Lane(add, r);
    }
  }
}

template <size_t kR>
void EdgeKernelFor(const TreeInput& in, const EdgeTable& t, Compare compare, const double* const* x,
                   double* const* phi, size_t stride, const Quadrature& quadrature,
                   ClosedFormScratch& s) {
  switch (t.points) {
#define ENSEMBLE_SHAP_EDGES(K)                                              \
  case K:                                                                   \
    EdgeKernel<K, kR>(in, t, compare, x, phi, stride, quadrature, s);       \
    break;
    ENSEMBLE_SHAP_EDGES(1)
    ENSEMBLE_SHAP_EDGES(2)
    ENSEMBLE_SHAP_EDGES(3)
    ENSEMBLE_SHAP_EDGES(4)
    ENSEMBLE_SHAP_EDGES(5)
    ENSEMBLE_SHAP_EDGES(6)
    ENSEMBLE_SHAP_EDGES(7)
    ENSEMBLE_SHAP_EDGES(8)
#undef ENSEMBLE_SHAP_EDGES
    default:
      EdgeKernel<0, kR>(in, t, compare, x, phi, stride, quadrature, s);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same kernels compiled for AVX2 (4 rows in one register; AVX2 alone, without FMA, so no
// multiply-add is contracted and the results stay those of the portable build, to the bit).
// flatten inlines the kernels into this one function, under its target.
__attribute__((target("avx2"), flatten)) void EdgeKernelAvx2(
    const TreeInput& in, const EdgeTable& t, Compare compare, const double* const* x,
    double* const* phi, size_t stride, const Quadrature& quadrature, ClosedFormScratch& s) {
  EdgeKernelFor<kClosedFormRows>(in, t, compare, x, phi, stride, quadrature, s);
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");
#else
const bool kHasAvx2 = false;
#endif
std::atomic<bool> g_portable{false};

}  // namespace

void ClosedFormTree(const TreeInput& in, const EdgeTable& t, Compare compare,
                    const double* const* x, double* const* phi, size_t rows, size_t stride,
                    const Quadrature& quadrature, ClosedFormScratch& s) {
  if (t.parent.size() < 2) return;  // a single leaf: only its expected value
  if (rows == kClosedFormRows) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (kHasAvx2 && !g_portable.load(std::memory_order_relaxed)) {
      EdgeKernelAvx2(in, t, compare, x, phi, stride, quadrature, s);
      return;
    }
#endif
    EdgeKernelFor<kClosedFormRows>(in, t, compare, x, phi, stride, quadrature, s);
    return;
  }
  for (size_t r = 0; r < rows; ++r) {
    EdgeKernelFor<1>(in, t, compare, x + r, phi + r, stride, quadrature, s);
  }
}

}  // namespace ensemble::core::shap

namespace ensemble::core {

bool ForceExplainPortable(bool on) {
  shap::g_portable.store(on, std::memory_order_relaxed);
  return shap::kHasAvx2;
}

}  // namespace ensemble::core
