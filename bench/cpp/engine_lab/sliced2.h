// Engine lab, second round: the bit-sliced top with rank type R (uint8_t: one vpcmpub per split for
// 64 rows; uint16_t: two vpcmpuw), k broadcast from memory as a dword (a load, not a shuffle),
// children's mask slots adjacent, exits' values gathered with permutes.
#pragma once

#include <immintrin.h>

#include <climits>
#include <cstdint>
#include <vector>

#include "ir.h"
#include "quant2.h"

namespace lab {

struct WNode2 {
  uint16_t k;
  uint16_t col;  // column * 64
  int32_t base;
};

struct SNode2 {
  uint32_t k4;      // k replicated into every byte / word of the dword
  uint16_t col;     // column * 64
  uint8_t slot;     // this node's mask slot
  uint8_t child;    // right child's slot; left = child + 1
};

struct STree2 {
  uint32_t first, n_internal, exit_first, n_exits;
  int32_t walk_steps, walk_min;
  bool all_leaves;
  uint32_t vtab;  // all_leaves: exit values padded to 32 doubles / 64 floats
};

template <typename R>
struct Sliced2 {
  Acc acc = Acc::kDouble;
  int outputs = 1;
  double base = 0;
  std::vector<SNode2> prog;
  std::vector<STree2> trees;
  std::vector<uint8_t> exit_slot;
  std::vector<double> exit_value;  // outputs == 1
  std::vector<float> exit_value_f;
  std::vector<int32_t> exit_node;  // walk start
  std::vector<WNode2> wn;
  std::vector<int32_t> wleaf;
  std::vector<double> wvalue;
  std::vector<float> wvalue_f;
  std::vector<double> leaf_values;
  std::vector<double> vtab;
  std::vector<float> vtab_f;
  int out_col = -1;  // >= 0: accumulate only this output column (outputs then 1)

  int32_t AddWalk(const Model& m, const Tree& t, int32_t start, const Quant2<R>& q, int32_t* dmax,
                  int32_t* dmin) {
    struct P { int32_t id, slot, d; };
    auto alloc = [&](int n) {
      const auto s = static_cast<int32_t>(wn.size());
      for (int i = 0; i < n; ++i) {
        wn.push_back({});
        wleaf.push_back(-1);
        wvalue.push_back(0);
        wvalue_f.push_back(0);
      }
      return s;
    };
    std::vector<P> st{{start, alloc(1), 0}};
    const int32_t root = st.back().slot;
    *dmax = 0;
    *dmin = INT32_MAX;
    while (!st.empty()) {
      P p = st.back();
      st.pop_back();
      const Node& n = t.nodes[p.id];
      if (n.feature < 0) {
        wn[p.slot] = {Quant2<R>::kTop, 0, p.slot - 1};
        wleaf[p.slot] = n.leaf;
        wvalue[p.slot] = LeafValue(m, n.leaf);
        wvalue_f[p.slot] = static_cast<float>(wvalue[p.slot]);
        *dmax = std::max(*dmax, p.d);
        *dmin = std::min(*dmin, p.d);
        continue;
      }
      const int32_t gt = alloc(2);
      wn[p.slot] = {q.K(n), static_cast<uint16_t>(q.Column(n) * 64), gt};
      st.push_back({n.right, gt, p.d + 1});
      st.push_back({n.left, gt + 1, p.d + 1});
    }
    return root;
  }

  double LeafValue(const Model& m, int32_t leaf) const {
    return m.leaf_values[static_cast<size_t>(leaf) * m.outputs + (out_col >= 0 ? out_col : 0)];
  }

  void Build(const Model& m, const Quant2<R>& q, int max_internal, int only_col = -1) {
    out_col = only_col;
    acc = only_col >= 0 ? Acc::kDouble : m.acc;
    outputs = only_col >= 0 ? 1 : m.outputs;
    base = m.base;
    leaf_values = m.leaf_values;
    for (const Tree& t : m.trees) {
      std::vector<int> depth(t.nodes.size(), 0);
      std::vector<int> count_at(256, 0);
      {
        std::vector<int> st{0};
        while (!st.empty()) {
          const int i = st.back();
          st.pop_back();
          const Node& n = t.nodes[i];
          if (n.feature < 0) continue;
          if (depth[i] < 256) count_at[depth[i]]++;
          depth[n.left] = depth[n.right] = depth[i] + 1;
          st.push_back(n.right);
          st.push_back(n.left);
        }
      }
      int D = 0, used = 0;
      while (D < 255 && count_at[D] > 0 && used + count_at[D] <= max_internal) used += count_at[D++];
      STree2 s{};
      s.first = static_cast<uint32_t>(prog.size());
      s.exit_first = static_cast<uint32_t>(exit_slot.size());
      // BFS: parents before children; children's slots allocated in pairs when the parent is.
      std::vector<int> queue{0};
      std::vector<int> slot_of(t.nodes.size(), -1);
      slot_of[0] = 0;
      int next_slot = 1;
      std::vector<int> exits;
      for (size_t qi = 0; qi < queue.size(); ++qi) {
        const int i = queue[qi];
        const Node& n = t.nodes[i];
        if (n.feature < 0 || depth[i] >= D) {
          exits.push_back(i);
          continue;
        }
        const int c = next_slot;
        next_slot += 2;
        slot_of[n.right] = c;
        slot_of[n.left] = c + 1;
        const uint32_t k = q.K(n);
        const uint32_t k4 = sizeof(R) == 1 ? k * 0x01010101u : (k | (k << 16));
        prog.push_back({k4, static_cast<uint16_t>(q.Column(n) * 64),
                        static_cast<uint8_t>(slot_of[i]), static_cast<uint8_t>(c)});
        queue.push_back(n.right);
        queue.push_back(n.left);
        s.n_internal++;
      }
      s.n_exits = static_cast<uint32_t>(exits.size());
      s.walk_steps = 0;
      s.walk_min = INT32_MAX;
      s.all_leaves = true;
      for (const int i : exits) {
        exit_slot.push_back(static_cast<uint8_t>(slot_of[i]));
        int32_t a, b;
        exit_node.push_back(AddWalk(m, t, i, q, &a, &b));
        s.walk_steps = std::max(s.walk_steps, a);
        s.walk_min = std::min(s.walk_min, b);
        const Node& n = t.nodes[i];
        s.all_leaves &= n.feature < 0;
        const double v = n.feature < 0 ? LeafValue(m, n.leaf) : 0;
        exit_value.push_back(v);
        exit_value_f.push_back(static_cast<float>(v));
      }
      if (outputs != 1) s.all_leaves = false;
      if (s.all_leaves && acc == Acc::kFloat && s.n_exits <= 64) {
        s.vtab = static_cast<uint32_t>(vtab_f.size());
        vtab_f.resize(vtab_f.size() + 64, 0.0f);
        for (uint32_t j = 0; j < s.n_exits; ++j) vtab_f[s.vtab + j] = exit_value_f[s.exit_first + j];
      } else if (s.all_leaves && acc != Acc::kFloat && s.n_exits <= 32) {
        s.vtab = static_cast<uint32_t>(vtab.size());
        vtab.resize(vtab.size() + 32, 0.0);
        for (uint32_t j = 0; j < s.n_exits; ++j) vtab[s.vtab + j] = exit_value[s.exit_first + j];
      } else {
        s.all_leaves = false;
      }
      trees.push_back(s);
    }
  }
};

#define LAB_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi2")))

template <typename R>
LAB_AVX512 inline __m512i SliceTop2(const SNode2* prog, uint32_t ni, const uint8_t* exit_slot,
                                   uint32_t ne, const R* X) {
  uint64_t M[256];
  M[0] = ~uint64_t{0};
  for (uint32_t i = 0; i < ni; ++i) {
    const SNode2& b = prog[i];
    const __m512i kv = _mm512_set1_epi32(static_cast<int>(b.k4));
    const R* c = X + b.col;
    uint64_t P;
    if constexpr (sizeof(R) == 1) {
      P = _mm512_cmple_epu8_mask(_mm512_loadu_si512(c), kv);
    } else {
      const uint64_t lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c), kv);
      const uint64_t hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c + 32), kv);
      P = lo | (hi << 32);
    }
    const uint64_t m = M[b.slot];
    M[b.child] = m & ~P;
    M[b.child + 1] = m & P;
  }
  __m512i idx = _mm512_setzero_si512();
  __m512i e = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi8(1);
  for (uint32_t j = 0; j < ne; ++j) {
    idx = _mm512_mask_mov_epi8(idx, M[exit_slot[j]], e);
    e = _mm512_add_epi8(e, one);
  }
  return idx;
}

// acc[r] += table[idx[r]] for 64 rows, table of n <= 32 doubles.
LAB_AVX512 inline void AddDoubles(const double* table, __m512i idx, double* acc) {
  __m512d t[4];
  for (int i = 0; i < 4; ++i) t[i] = _mm512_loadu_pd(table + 8 * i);
  alignas(64) uint8_t ids[64];
  _mm512_store_si512(ids, idx);
  for (int g = 0; g < 8; ++g) {
    const __m512i q = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ids + 8 * g)));
    const __m512d lo = _mm512_permutex2var_pd(t[0], q, t[1]);
    const __m512d hi = _mm512_permutex2var_pd(t[2], q, t[3]);
    const __mmask8 sel = _mm512_test_epi64_mask(q, _mm512_set1_epi64(16));
    const __m512d v = _mm512_mask_blend_pd(sel, lo, hi);
    _mm512_store_pd(acc + 8 * g, _mm512_add_pd(_mm512_load_pd(acc + 8 * g), v));
  }
}

// acc[r] += table[idx[r]] for 64 rows, table of n <= 64 floats.
LAB_AVX512 inline void AddFloats(const float* table, __m512i idx, float* acc) {
  __m512 t[4];
  for (int i = 0; i < 4; ++i) t[i] = _mm512_loadu_ps(table + 16 * i);
  alignas(64) uint8_t ids[64];
  _mm512_store_si512(ids, idx);
  for (int g = 0; g < 4; ++g) {
    const __m512i q = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(ids + 16 * g)));
    const __m512 lo = _mm512_permutex2var_ps(t[0], q, t[1]);
    const __m512 hi = _mm512_permutex2var_ps(t[2], q, t[3]);
    const __mmask16 sel = _mm512_test_epi32_mask(q, _mm512_set1_epi32(32));
    const __m512 v = _mm512_mask_blend_ps(sel, lo, hi);
    _mm512_store_ps(acc + 16 * g, _mm512_add_ps(_mm512_load_ps(acc + 16 * g), v));
  }
}

template <typename R>
LAB_AVX512 void SlicedBlock2(const Sliced2<R>& s, const R* X, double* accd, float* accf) {
  alignas(64) uint8_t ids[64];
  const WNode2* wn = s.wn.data();
  for (const STree2& t : s.trees) {
    const __m512i idx = SliceTop2<R>(s.prog.data() + t.first, t.n_internal,
                                     s.exit_slot.data() + t.exit_first, t.n_exits, X);
    if (t.all_leaves) {
      if (s.acc == Acc::kFloat) {
        AddFloats(s.vtab_f.data() + t.vtab, idx, accf);
      } else {
        AddDoubles(s.vtab.data() + t.vtab, idx, accd);
      }
      continue;
    }
    _mm512_store_si512(ids, idx);
    const int32_t* en = s.exit_node.data() + t.exit_first;
    for (int r = 0; r < 64; r += 16) {
      int32_t at[16];
      for (int k = 0; k < 16; ++k) at[k] = en[ids[r + k]];
      const R* base = X + r;
      for (int32_t st = 0; st < t.walk_steps; ++st) {
        int32_t moved = 0;
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k) {
          const WNode2& n = wn[at[k]];
          const int32_t next = n.base + (base[n.col + k] <= n.k);
          moved |= next ^ at[k];
          at[k] = next;
        }
        if (moved == 0) break;
      }
      if (s.outputs == 1) {
        if (s.acc == Acc::kFloat) {
          for (int k = 0; k < 16; ++k) accf[r + k] += s.wvalue_f[at[k]];
        } else {
          for (int k = 0; k < 16; ++k) accd[r + k] += s.wvalue[at[k]];
        }
      } else {
        const int o = s.outputs;
        for (int k = 0; k < 16; ++k) {
          const double* lv = &s.leaf_values[static_cast<size_t>(s.wleaf[at[k]]) * o];
          for (int c = 0; c < o; ++c) accd[(r + k) * o + c] += lv[c];
        }
      }
    }
  }
}

}  // namespace lab
