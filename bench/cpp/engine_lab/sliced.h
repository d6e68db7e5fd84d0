// Engine lab: bit-sliced evaluation of a tree's top levels for 64 rows at once (AVX-512 BW).
// Each split compares the 64 rows' ranks of its column with its k in two vpcmpuw (one 64-bit
// mask P of the rows that go left); a node's row mask gives its children m & P and m & ~P; each
// exit (a leaf, or a deeper node where a walk continues) stamps its id into a byte per row.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "ir.h"
#include "quant.h"
#include "walk.h"

namespace lab {

constexpr int kBlock = 64;

struct SNode {
  uint16_t col;
  uint16_t k;
  uint8_t left, right;  // slots: internal nodes 0..n-1, exits n..
  uint16_t pad;
};

struct STree {
  uint32_t first;       // into prog
  uint32_t n_internal;
  uint32_t n_exits;
  uint32_t exit_first;  // into exit arrays
  int32_t walk_steps;   // max depth below an exit (0: every exit is a leaf)
  int32_t walk_min;
};

struct SlicedModel {
  Acc acc = Acc::kDouble;
  int outputs = 1;
  double base = 0;
  std::vector<SNode> prog;
  std::vector<STree> trees;
  std::vector<double> exit_value;   // outputs == 1, leaf exits
  std::vector<float> exit_value_f;
  std::vector<int32_t> exit_node;   // walk node index where the walk continues (leaf: itself)
  WalkModel walk;                   // subtrees below the top part, and leaves (for multi-output)

  void Build(const Model& m, const Quant& q, int max_internal = 63) {
    acc = m.acc;
    outputs = m.outputs;
    base = m.base;
    walk.acc = m.acc;
    walk.outputs = m.outputs;
    walk.base = m.base;
    walk.leaf_values = m.leaf_values;
    for (const Tree& t : m.trees) {
      // Depth of each node; the top part = internal nodes of depth < D, D as large as fits.
      std::vector<int> depth(t.nodes.size(), 0);
      std::vector<int> count_at(64, 0);
      int maxd = 0;
      for (size_t i = 0; i < t.nodes.size(); ++i) {  // preorder or parent-before-child
        const Node& n = t.nodes[i];
        if (n.feature < 0) continue;
        depth[n.left] = depth[i] + 1;
        depth[n.right] = depth[i] + 1;
      }
      // Forest and XGBoost ids are parent-before-child; LightGBM's internal ids are not: recompute
      // by traversal to be safe.
      {
        std::vector<int> st{0};
        depth[0] = 0;
        while (!st.empty()) {
          const int i = st.back();
          st.pop_back();
          const Node& n = t.nodes[i];
          maxd = std::max(maxd, depth[i]);
          if (n.feature < 0) continue;
          depth[n.left] = depth[n.right] = depth[i] + 1;
          st.push_back(n.right);
          st.push_back(n.left);
        }
      }
      for (size_t i = 0; i < t.nodes.size(); ++i)
        if (t.nodes[i].feature >= 0 && depth[i] < 64) count_at[depth[i]]++;
      int D = 0, used = 0;
      while (D < 63 && used + count_at[D] <= max_internal && count_at[D] > 0) used += count_at[D++];
      STree st;
      st.first = static_cast<uint32_t>(prog.size());
      st.exit_first = static_cast<uint32_t>(exit_node.size());
      // Preorder over the top part; exits get slots after the internal nodes.
      std::vector<int> internal, exits;
      std::vector<int> slot(t.nodes.size(), -1);
      {
        std::vector<int> s{0};
        while (!s.empty()) {
          const int i = s.back();
          s.pop_back();
          const Node& n = t.nodes[i];
          if (n.feature >= 0 && depth[i] < D) {
            slot[i] = static_cast<int>(internal.size());
            internal.push_back(i);
            s.push_back(n.right);
            s.push_back(n.left);
          } else {
            exits.push_back(i);
          }
        }
      }
      const int ni = static_cast<int>(internal.size());
      for (size_t e = 0; e < exits.size(); ++e) slot[exits[e]] = ni + static_cast<int>(e);
      st.n_internal = ni;
      st.n_exits = static_cast<uint32_t>(exits.size());
      for (int i : internal) {
        const Node& n = t.nodes[i];
        prog.push_back({static_cast<uint16_t>(q.Column(n)), q.K(n),
                        static_cast<uint8_t>(slot[n.left]), static_cast<uint8_t>(slot[n.right]), 0});
      }
      st.walk_steps = 0;
      st.walk_min = INT32_MAX;
      for (int i : exits) {
        int32_t a, b;
        const int32_t root = walk.AddSubtree(m, t, i, q, &a, &b);
        exit_node.push_back(root);
        st.walk_steps = std::max(st.walk_steps, a);
        st.walk_min = std::min(st.walk_min, b);
        const Node& n = t.nodes[i];
        const double v = n.feature < 0 ? m.leaf_values[static_cast<size_t>(n.leaf) * m.outputs] : 0;
        exit_value.push_back(v);
        exit_value_f.push_back(static_cast<float>(v));
      }
      trees.push_back(st);
    }
  }
};

// Exit id (byte) of each of the 64 rows of the block (ranks column-major, 64 per column).
__attribute__((target("avx512f,avx512bw"))) inline __m512i SliceTop(const SNode* prog, uint32_t ni,
                                                                   uint32_t ne,
                                                                   const uint16_t* R) {
  uint64_t M[128 + 64];
  M[0] = ~uint64_t{0};
  for (uint32_t i = 0; i < ni; ++i) {
    const SNode b = prog[i];
    const __m512i kv = _mm512_set1_epi16(static_cast<short>(b.k));
    const uint16_t* c = R + static_cast<size_t>(b.col) * kBlock;
    const uint64_t lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c), kv);
    const uint64_t hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c + 32), kv);
    const uint64_t P = lo | (hi << 32);
    const uint64_t m = M[i];
    M[b.left] = m & P;
    M[b.right] = m & ~P;
  }
  __m512i idx = _mm512_setzero_si512();
  __m512i e = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi8(1);
  for (uint32_t j = 0; j < ne; ++j) {
    idx = _mm512_mask_mov_epi8(idx, M[ni + j], e);
    e = _mm512_add_epi8(e, one);
  }
  return idx;
}

// One 64-row block through every tree. accd/accf: 64 (x outputs) accumulators.
__attribute__((target("avx512f,avx512bw"))) inline void SlicedBlock(const SlicedModel& s,
                                                                   const uint16_t* R, double* accd,
                                                                   float* accf) {
  alignas(64) uint8_t ids[kBlock];
  const WNode* wn = s.walk.nodes.data();
  for (const STree& t : s.trees) {
    const __m512i idx = SliceTop(s.prog.data() + t.first, t.n_internal, t.n_exits, R);
    _mm512_store_si512(ids, idx);
    if (t.walk_steps == 0 && s.outputs == 1) {
      if (s.acc == Acc::kFloat) {
        const float* v = s.exit_value_f.data() + t.exit_first;
        for (int r = 0; r < kBlock; ++r) accf[r] += v[ids[r]];
      } else {
        const double* v = s.exit_value.data() + t.exit_first;
        for (int r = 0; r < kBlock; ++r) accd[r] += v[ids[r]];
      }
      continue;
    }
    // Continue each row's walk from its exit, 16 lanes at a time (lane k = row r + k).
    const int32_t* en = s.exit_node.data() + t.exit_first;
    for (int r = 0; r < kBlock; r += kLanes) {
      int32_t at[kLanes];
      for (int k = 0; k < kLanes; ++k) at[k] = en[ids[r + k]];
      const uint16_t* base = R + r;
      for (int32_t st = 0; st < t.walk_steps; ++st) {
        int32_t moved = 0;
#pragma GCC unroll 16
        for (int k = 0; k < kLanes; ++k) {
          const WNode& n = wn[at[k]];
          const int32_t next = n.base + (base[static_cast<size_t>(n.col) * kBlock + k] <= n.k);
          moved |= next ^ at[k];
          at[k] = next;
        }
        if (st >= t.walk_min && moved == 0) break;
      }
      if (s.outputs == 1) {
        if (s.acc == Acc::kFloat) {
          for (int k = 0; k < kLanes; ++k) accf[r + k] += s.walk.values_f[at[k]];
        } else {
          for (int k = 0; k < kLanes; ++k) accd[r + k] += s.walk.values[at[k]];
        }
      } else {
        const int o = s.outputs;
        for (int k = 0; k < kLanes; ++k) {
          const double* lv = &s.walk.leaf_values[static_cast<size_t>(s.walk.leaf[at[k]]) * o];
          for (int c = 0; c < o; ++c) accd[(r + k) * o + c] += lv[c];
        }
      }
    }
  }
}

}  // namespace lab
