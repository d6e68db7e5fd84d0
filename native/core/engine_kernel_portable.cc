// The portable kernels (any CPU): a block's rows walk each tree from its root, sixteen at a time;
// a single row walks sixteen trees at a time.
#include <algorithm>
#include <climits>

#include "engine_program.h"
#include "engine_walk.h"

namespace ensemble::core::engine {
namespace {

template <typename R, bool kScaled>
void SumBlocksWalk(const PartProgram& p, const Blocks& blocks) {
  int32_t at[kLanes];
  for (const TreeCode& t : p.trees) {
    for (size_t b = 0; b < blocks.count; ++b) {
      const R* ranks = reinterpret_cast<const R*>(blocks.ranks + b * blocks.stride);
      const BlockSums sums{blocks.d + b * kBlock * p.width, blocks.f + b * kBlock};
      for (size_t r = 0; r < kBlock; r += kLanes) {
        std::fill(at, at + kLanes, t.root);
        Walk<R, 1, kScaled>(p.walk.data(), ranks + r, t.min_depth, t.depth, at);
        AddLanes(p, at, kLanes, r, sums);
      }
    }
  }
}

template <typename R, bool kScaled>
void SumRowWalk(const PartProgram& p, const R* ranks, BlockSums sums) {
  int32_t at[kLanes];
  const size_t nt = p.trees.size();
  for (size_t t = 0; t < nt; t += kLanes) {
    const size_t m = std::min(kLanes, nt - t);
    int32_t steps = 0, min_steps = INT32_MAX;
    for (size_t k = 0; k < kLanes; ++k) {
      const TreeCode& tree = p.trees[t + std::min(k, m - 1)];  // spare lanes repeat the last tree
      at[k] = tree.root;
      steps = std::max(steps, tree.depth);
      min_steps = std::min(min_steps, tree.min_depth);
    }
    Walk<R, 0, kScaled>(p.walk.data(), ranks, min_steps, steps, at);
    // One row: lane k's value goes to row 0, in tree order.
    for (size_t k = 0; k < m; ++k) AddLanes(p, at + k, 1, 0, sums);
  }
}

}  // namespace

void SumBlocksPortable(const PartProgram& p, const Blocks& blocks) {
  if (p.wide_ranks) {
    p.scaled_cols ? SumBlocksWalk<uint16_t, true>(p, blocks) : SumBlocksWalk<uint16_t, false>(p, blocks);
  } else {
    p.scaled_cols ? SumBlocksWalk<uint8_t, true>(p, blocks) : SumBlocksWalk<uint8_t, false>(p, blocks);
  }
}

const Kernels* PortableKernels() {
  static const Kernels kernels{"portable", RankBlock<float>, RankBlock<double>, SumBlocksPortable,
                               nullptr};
  return &kernels;
}

void SumRow(const PartProgram& p, const uint8_t* ranks, BlockSums sums) {
  if (p.wide_ranks) {
    const auto* r = reinterpret_cast<const uint16_t*>(ranks);
    p.scaled_cols ? SumRowWalk<uint16_t, true>(p, r, sums) : SumRowWalk<uint16_t, false>(p, r, sums);
  } else {
    p.scaled_cols ? SumRowWalk<uint8_t, true>(p, ranks, sums) : SumRowWalk<uint8_t, false>(p, ranks, sums);
  }
}

}  // namespace ensemble::core::engine
