// The compiled form of a TreeEngine (engine.h): per part, the quantiser that turns a block of 64
// rows into column-major ranks, and every tree twice: its top levels as a bit-sliced program and
// the whole tree as a branch-free walk. Read by the kernels (engine_kernel_*.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "ensemble/engine.h"

namespace ensemble::core {

namespace engine {

/// Rows scored together: one bit of a 64-bit mask per row in the bit-sliced kernels.
constexpr size_t kBlock = 64;
/// Blocks scored tree by tree: each tree's nodes are brought into cache once for this many rows
/// (the forest's 1.7 MB of walk nodes do not stay in cache across 64-row blocks).
constexpr size_t kBlocksPerSpan = 16;
/// Walks advanced side by side (independent chains of loads keep the core busy).
constexpr size_t kLanes = 16;
/// Most internal nodes a bit-sliced top may have (mask slots fit a byte; 64 exits at most).
constexpr uint32_t kMaxTopNodes = 63;
/// Single-row tops (PartProgram::row_mode).
constexpr uint8_t kRowComplete = 0, kRowNarrow = 1, kRowWide = 2;
/// The complete tree a single-row top is laid out as: 63 splits, 64 leaves.
constexpr int32_t kRowDepth = 6;

/// A walk node: a lane at this node goes to base + (rank[col] <= k). A leaf is {kTop, 0, self-1}
/// (every rank is <= kTop), so a walk that reached it stays there.
struct WalkNode {
  uint16_t k;
  /// The column: its index c (the rank of block row r is ranks[c * kBlock + r]), or c * kBlock
  /// when the part's columns are few enough (PartProgram::scaled_cols).
  uint16_t col;
  int32_t base;
};

/// A split of a bit-sliced top: the 64 rows' ranks of `col` are compared with k (replicated into
/// every byte/word of k4, so a dword broadcast from memory builds the comparand); the row mask of
/// slot `slot` splits into slots child (v > threshold) and child + 1 (v <= threshold).
struct TopNode {
  uint32_t k4;
  uint16_t col;  ///< as WalkNode::col
  uint8_t slot;
  uint8_t child;
};

/// Trees 16g..16g+15 of a part as one row walks them side by side: the longest and shortest
/// paths below their tops' exits.
struct RowGroup {
  int32_t below;
  int32_t below_min;
  uint8_t masks;      ///< kRowComplete: every tree is complete; else kRowNarrow / kRowWide masks
  uint16_t complete;  ///< lane k's tree is complete (walked), else QuickScorer's masks
  uint32_t mask_at;   ///< the group's masks in row_gmask32 / row_gmask: [split][16 trees]
};

/// One tree of a part.
struct TreeCode {
  int32_t root;          ///< walk node of the root
  int32_t depth;         ///< splits on the longest root-to-leaf path
  int32_t min_depth;     ///< ... on the shortest
  uint32_t top_first;    ///< first TopNode
  uint32_t top_count;    ///< internal nodes of the top (0: the root is a leaf)
  uint32_t exit_first;   ///< first exit (exit_slot / exit_node)
  uint32_t exit_count;   ///< exits of the top: its leaves and the deeper nodes below it
  int32_t below;         ///< longest path below an exit (0: every exit is a leaf)
  int32_t below_min;     ///< shortest such path
  int32_t table;         ///< >= 0: every exit is a leaf; their values padded at this index of
                         ///< table / table_f (32 doubles or 64 floats); -1 otherwise
};

/// One model compiled for the engine.
struct PartProgram {
  std::shared_ptr<const EngineModel> model;
  std::vector<int> columns;    ///< output columns summed (indices into model->outputs)
  size_t width = 1;            ///< columns.size()
  bool float_sum = false;
  float base_f = 0;            ///< the float sum's start
  bool wide_ranks = false;     ///< uint16_t ranks (else uint8_t)
  bool scaled_cols = false;    ///< nodes hold column * kBlock (at most 1023 columns)
  uint32_t window = 0;         ///< thresholds per rank column (254 or 65534)
  uint16_t top_rank = 0;       ///< the rank every value is <= (255 or 65535)

  // The quantiser. Column c holds, per row, the rank of feature col_feature[c] under rule
  // col_rule[c] within threshold window col_window[c].
  struct Feature {
    int feature;
    std::vector<double> padded;  ///< sorted unique thresholds, +Inf up to 2^steps - 1 entries
    std::vector<float> padded_f; ///< the same as float (Compare::kFloat)
    uint32_t steps;
    uint32_t zero_rank;          ///< rank of 0.0 (MissingRule::kAsZero)
    /// The thresholds as a search tree for SIMD compares (RankBlockAvx512): levels of groups of
    /// 16 floats / 8 doubles, each level the groups' maxima of the one below, padded with +Inf
    /// (every level ends with +Inf, so a group index never runs past its level), top first.
    std::vector<double> tree;
    std::vector<float> tree_f;
    std::vector<uint32_t> tree_level;  ///< offset of each level, top first
    std::vector<int> columns;    ///< columns fed by this feature
  };
  std::vector<Feature> features;
  std::vector<uint8_t> col_rule;
  std::vector<uint32_t> col_window;
  size_t num_columns = 0;

  // The trees.
  std::vector<TreeCode> trees;
  std::vector<TopNode> top;
  std::vector<uint8_t> exit_slot;
  std::vector<int32_t> exit_node;  ///< walk node where an exit's rows continue
  std::vector<WalkNode> walk;
  std::vector<double> value;       ///< per walk node: the leaf's value (width 1, double sum)
  std::vector<float> value_f;      ///< ... (float sum)
  std::vector<int32_t> leaf_row;   ///< per walk node: leaf row (width > 1)
  std::vector<double> leaf_table;  ///< leaf rows x width (width > 1)
  std::vector<double> table;       ///< TreeCode::table, double sums
  std::vector<float> table_f;      ///< TreeCode::table, float sums

  // The single-row form of each tree's top (AVX-512 VBMI): per tree, 64 entries each of the top
  // splits' columns and k (rank type), so that one permute of the row's ranks and one compare give
  // every top split's answer as a bit (1: v <= threshold). Then, row_mode per tree:
  // - kRowComplete: the top laid out as a complete tree of depth 6 (node j's children 2j+1 and
  //   2j+2; nodes the top lacks always answer 1), walked in 6 steps of shifts and adds;
  // - kRowNarrow / kRowWide: QuickScorer's rule: per split a mask over the top's exits numbered
  //   left to right clearing its left subtree's; the exit is the lowest bit left after AND-ing
  //   the masks of the splits answered 0 (32-bit masks for at most 32 splits and exits).
  // row_exit[t * 64 + x]: the walk node where exit x (leaf x of the complete tree, or exit x left
  // to right) continues.
  bool row_tables = false;           ///< built (the columns fit one permute of two registers)
  std::vector<uint8_t> row_cols;     ///< trees x 64 column indices (uint8_t, or uint16_t x 64)
  std::vector<uint8_t> row_k;        ///< trees x 64 k (uint8_t, or uint16_t x 64)
  std::vector<uint8_t> row_mode;     ///< per tree: kRowComplete, kRowNarrow or kRowWide
  std::vector<uint32_t> row_mask_at; ///< per tree: its masks' first index in row_mask32 / row_mask
  std::vector<uint32_t> row_mask32;  ///< narrow trees: 32 masks each
  std::vector<uint64_t> row_mask;    ///< wide trees: 64 masks each
  std::vector<int32_t> row_exit;     ///< trees x 64
  std::vector<RowGroup> row_groups;  ///< per 16 trees
  std::vector<std::pair<int32_t, int32_t>> row_below;  ///< per tree: longest, shortest path below
  /// The masks of a group's non-complete trees, transposed for 16 trees at once: split j of tree k
  /// at [mask_at + j * 16 + k] (32 splits of 32-bit masks, or 64 of 64-bit); all ones elsewhere.
  std::vector<uint32_t> row_gmask32;
  std::vector<uint64_t> row_gmask;

  size_t rank_bytes() const { return num_columns * kBlock * (wide_ranks ? 2 : 1); }
};

/// A part's sums for one block: 64 rows x width doubles, or 64 floats.
struct BlockSums {
  double* d;
  float* f;
};

/// Up to kBlocksPerSpan blocks of one part: block b's ranks at ranks + b * stride, its sums at
/// d + b * kBlock * width / f + b * kBlock.
struct Blocks {
  const uint8_t* ranks;
  size_t stride;
  size_t count;
  double* d;
  float* f;
};

/// Ranks rows [0, n) (n <= kBlock) of x into the part's ranks (column-major, kBlock per column).
template <typename T>
void RankBlock(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks);

/// Adds every tree's leaf values to the blocks' sums, tree by tree and, for each tree, block by
/// block (portable: walks from the root).
void SumBlocksPortable(const PartProgram& p, const Blocks& blocks);
/// One row (block row 0 of `ranks`): 16 trees walked side by side.
void SumRow(const PartProgram& p, const uint8_t* ranks, BlockSums sums);

/// One set of kernels. Every set gives results identical to the portable one, bit for bit.
struct Kernels {
  const char* name;
  void (*rank_f)(const PartProgram& p, const float* x, size_t stride, size_t n, uint8_t* ranks);
  void (*rank_d)(const PartProgram& p, const double* x, size_t stride, size_t n, uint8_t* ranks);
  /// Adds every tree's leaf values to the blocks' sums, tree by tree and, for each tree, block
  /// by block.
  void (*sum_blocks)(const PartProgram& p, const Blocks& blocks);
  /// One row through n <= 4 parts that all have row tables (p.row_tables), their groups of 16
  /// trees taken in turn (ranks[i], sums[i] as for SumRow); null: each part goes through SumRow.
  void (*sum_rows)(const PartProgram* const* parts, const uint8_t* const* ranks,
                   const BlockSums* sums, size_t n);
};

/// The kernel sets, best last; a set this CPU (or build) cannot run is null. Portable: any CPU.
/// AVX2 (x86-64 with AVX2 and BMI2): the bit-sliced tops with 32-byte compares. AVX-512 (BW, DQ,
/// VL, BMI2): 64-byte compares and permutes; its single-row kernel also needs VBMI.
const Kernels* PortableKernels();
const Kernels* Avx2Kernels();
const Kernels* Avx512Kernels();
/// Lab switch: the AVX-512 block kernel walks below the tops with gathers.
void SetGatherWalk(bool on);

}  // namespace engine

struct TreeEngine::Program {
  /// Shared with other engines compiled from the same model and columns (TreeEngine::Part).
  std::vector<std::shared_ptr<const engine::PartProgram>> parts;
  std::vector<size_t> rank_offset;  ///< where each part's ranks start in a block's rank buffer
  size_t num_features = 0;
  size_t rank_bytes = 0;  ///< all parts' ranks of one block
};

}  // namespace ensemble::core
