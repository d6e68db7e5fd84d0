// The closed form's kernels (docs/explain.md): a tree's edges, for one row or four side by side
// (vectorised; AVX2 where the CPU has it), with the same results to the bit either way.
#include <atomic>
#include <cstring>

#include "cpu_features.h"
#include "ensemble/explain.h"
#include "tree_shap.h"

namespace ensemble::core::shap {
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

const bool kHasAvx2 = Cpu().avx2;
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
