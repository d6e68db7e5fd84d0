// The engine's walk, shared by every kernel: sixteen lanes advanced side by side over a flat node
// array where leaves loop onto themselves, each step one load of the node, one of the rank and a
// compare, with no data-dependent branch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine_program.h"

namespace ensemble::core::engine {

/// Where a node's column starts in a block's ranks (in ranks, not bytes).
template <bool kScaled>
inline size_t ColumnOffset(const WalkNode& n) {
  return kScaled ? static_cast<size_t>(n.col) : static_cast<size_t>(n.col) * kBlock;
}

/// Advances lanes at[0..kLanes) over `nodes`. Lane k reads its rank of column c at
/// ranks[c * kBlock + stride * k] (stride 1: lanes are consecutive rows of a block; stride 0:
/// all lanes read block row 0, i.e. trees of one row). kScaled: the nodes hold c * kBlock (one
/// multiply less a step; PartProgram::scaled_cols). After `min_steps` steps it stops at the
/// first step that moves no lane (every lane is then at a leaf), at most `max_steps` in all.
template <typename R, size_t kStride, bool kScaled>
inline void Walk(const WalkNode* nodes, const R* ranks, int32_t min_steps, int32_t max_steps,
                 int32_t* at) {
  int32_t a[kLanes];
  for (size_t k = 0; k < kLanes; ++k) a[k] = at[k];
  for (int32_t s = 0; s < min_steps; ++s) {
#pragma GCC unroll 16
    for (size_t k = 0; k < kLanes; ++k) {
      const WalkNode n = nodes[a[k]];
      a[k] = n.base + (ranks[ColumnOffset<kScaled>(n) + kStride * k] <= n.k);
    }
  }
  for (int32_t s = min_steps; s < max_steps; ++s) {
    int32_t moved = 0;
#pragma GCC unroll 16
    for (size_t k = 0; k < kLanes; ++k) {
      const WalkNode n = nodes[a[k]];
      const int32_t next =
          n.base + (ranks[ColumnOffset<kScaled>(n) + kStride * k] <= n.k);
      moved |= next ^ a[k];
      a[k] = next;
    }
    if (moved == 0) break;
  }
  for (size_t k = 0; k < kLanes; ++k) at[k] = a[k];
}

/// Adds the leaf values of lanes at[0..m) to rows first..first+m of the block's sums.
inline void AddLanes(const PartProgram& p, const int32_t* at, size_t m, size_t first,
                     BlockSums sums) {
  if (p.width == 1) {
    if (p.float_sum) {
      for (size_t k = 0; k < m; ++k) sums.f[first + k] += p.value_f[static_cast<size_t>(at[k])];
    } else {
      for (size_t k = 0; k < m; ++k) sums.d[first + k] += p.value[static_cast<size_t>(at[k])];
    }
    return;
  }
  const size_t w = p.width;
  for (size_t k = 0; k < m; ++k) {
    const double* leaf = &p.leaf_table[static_cast<size_t>(p.leaf_row[static_cast<size_t>(at[k])]) * w];
    double* sum = sums.d + (first + k) * w;
    for (size_t c = 0; c < w; ++c) sum[c] += leaf[c];
  }
}

}  // namespace ensemble::core::engine
