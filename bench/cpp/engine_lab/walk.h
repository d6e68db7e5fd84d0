// Engine lab: the rank walk. Nodes of 8 bytes {k, column, base}: a lane goes to
// base + (rank[column] <= k); a leaf is {0xFFFF, 0, self - 1} and stays put.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

#include "ir.h"
#include "quant.h"

namespace lab {

struct WNode {
  uint16_t k;
  uint16_t col;
  int32_t base;
};

struct WalkModel {
  Acc acc = Acc::kDouble;
  int outputs = 1;
  double base = 0;
  std::vector<WNode> nodes;
  std::vector<int32_t> leaf;    // per node: leaf row (leaves), -1
  std::vector<double> values;   // per node: leaf value (outputs == 1)
  std::vector<float> values_f;
  std::vector<int32_t> roots, depth, min_depth;
  std::vector<double> leaf_values;  // rows x outputs (multi-output)

  // Appends tree `t` starting at node `start`; returns the slot of its root.
  int32_t AddSubtree(const Model& m, const Tree& t, int32_t start, const Quant& q, int32_t* dmax,
                     int32_t* dmin) {
    struct P { int32_t id, slot, d; };
    auto alloc = [&](int n) {
      const auto s = static_cast<int32_t>(nodes.size());
      for (int i = 0; i < n; ++i) {
        nodes.push_back({});
        leaf.push_back(-1);
        values.push_back(0);
        values_f.push_back(0);
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
        nodes[p.slot] = {kMax, 0, p.slot - 1};
        leaf[p.slot] = n.leaf;
        values[p.slot] = m.leaf_values[static_cast<size_t>(n.leaf) * m.outputs];
        values_f[p.slot] = static_cast<float>(values[p.slot]);
        *dmax = std::max(*dmax, p.d);
        *dmin = std::min(*dmin, p.d);
        continue;
      }
      const int32_t gt = alloc(2);
      nodes[p.slot] = {q.K(n), static_cast<uint16_t>(q.Column(n)), gt};
      st.push_back({n.right, gt, p.d + 1});
      st.push_back({n.left, gt + 1, p.d + 1});
    }
    return root;
  }

  void Build(const Model& m, const Quant& q) {
    acc = m.acc;
    outputs = m.outputs;
    base = m.base;
    leaf_values = m.leaf_values;
    for (const Tree& t : m.trees) {
      int32_t a, b;
      roots.push_back(AddSubtree(m, t, 0, q, &a, &b));
      depth.push_back(a);
      min_depth.push_back(b);
    }
  }
};

constexpr int kLanes = 16;

// Lanes: rows r0..r0+15 of a row-major rank block (stride W), walking one tree.
inline void WalkLanes(const WNode* nodes, int32_t min_steps, int32_t max_steps,
                      const uint16_t* const* rows, int32_t* idx) {
  int32_t at[kLanes];
  for (int k = 0; k < kLanes; ++k) at[k] = idx[k];
  for (int32_t s = 0; s < min_steps; ++s) {
#pragma GCC unroll 16
    for (int k = 0; k < kLanes; ++k) {
      const WNode& n = nodes[at[k]];
      at[k] = n.base + (rows[k][n.col] <= n.k);
    }
  }
  for (int32_t s = min_steps; s < max_steps; ++s) {
    int32_t moved = 0;
#pragma GCC unroll 16
    for (int k = 0; k < kLanes; ++k) {
      const WNode& n = nodes[at[k]];
      const int32_t next = n.base + (rows[k][n.col] <= n.k);
      moved |= next ^ at[k];
      at[k] = next;
    }
    if (moved == 0) break;
  }
  for (int k = 0; k < kLanes; ++k) idx[k] = at[k];
}

// Scores a block of n rows (row-major ranks, stride W) tree by tree; acc per row (outputs wide).
inline void WalkBlock(const WalkModel& w, const uint16_t* ranks, size_t W, size_t n, double* accd,
                      float* accf) {
  const uint16_t* rows[kLanes];
  int32_t idx[kLanes];
  const size_t nt = w.roots.size();
  for (size_t t = 0; t < nt; ++t) {
    for (size_t r = 0; r < n; r += kLanes) {
      const size_t m = std::min<size_t>(kLanes, n - r);
      for (int k = 0; k < kLanes; ++k) {
        rows[k] = ranks + (r + std::min<size_t>(k, m - 1)) * W;
        idx[k] = w.roots[t];
      }
      WalkLanes(w.nodes.data(), w.min_depth[t], w.depth[t], rows, idx);
      if (w.acc == Acc::kFloat) {
        for (size_t k = 0; k < m; ++k) accf[r + k] += w.values_f[idx[k]];
      } else if (w.outputs == 1) {
        for (size_t k = 0; k < m; ++k) accd[r + k] += w.values[idx[k]];
      } else {
        const int o = w.outputs;
        for (size_t k = 0; k < m; ++k) {
          const double* lv = &w.leaf_values[static_cast<size_t>(w.leaf[idx[k]]) * o];
          for (int c = 0; c < o; ++c) accd[(r + k) * o + c] += lv[c];
        }
      }
    }
  }
}

}  // namespace lab
