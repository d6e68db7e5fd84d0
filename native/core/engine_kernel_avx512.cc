// The AVX-512 kernel (chosen at run time, engine.cc): each tree's top levels decide 64 rows at
// once — one compare of the 64 rows' ranks per split gives the mask of rows that go left, a node's
// row mask splits into its children's, each exit stamps its number into a byte per row — then
// rows below a deeper exit continue with the walk, and leaf values are gathered with permutes.
// Only functions marked kTarget use AVX-512, so this file is safe to link on any x86-64.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_* helpers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <climits>
#include <cstdint>

#include "engine_fold.h"
#include "engine_program.h"
#include "engine_rank.h"
#include "engine_walk.h"

#define ENGINE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi,bmi2")))

namespace ensemble::core::engine {
namespace {

// sums[r] += table[idx[r]] for the 64 rows; table: 32 doubles.
ENGINE_AVX512 inline void AddDoubles(const double* table, __m512i idx, double* sums) {
  const __m512d t0 = _mm512_loadu_pd(table), t1 = _mm512_loadu_pd(table + 8);
  const __m512d t2 = _mm512_loadu_pd(table + 16), t3 = _mm512_loadu_pd(table + 24);
  alignas(64) uint8_t ids[kBlock];
  _mm512_store_si512(ids, idx);
  const __m512i bit4 = _mm512_set1_epi64(16);
  for (size_t g = 0; g < kBlock; g += 8) {
    const __m512i q = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ids + g)));
    const __m512d lo = _mm512_permutex2var_pd(t0, q, t1);
    const __m512d hi = _mm512_permutex2var_pd(t2, q, t3);
    const __m512d v = _mm512_mask_blend_pd(_mm512_test_epi64_mask(q, bit4), lo, hi);
    _mm512_storeu_pd(sums + g, _mm512_add_pd(_mm512_loadu_pd(sums + g), v));
  }
}

// sums[r] += table[idx[r]] for the 64 rows, in float; table: 64 floats.
ENGINE_AVX512 inline void AddFloats(const float* table, __m512i idx, float* sums) {
  const __m512 t0 = _mm512_loadu_ps(table), t1 = _mm512_loadu_ps(table + 16);
  const __m512 t2 = _mm512_loadu_ps(table + 32), t3 = _mm512_loadu_ps(table + 48);
  alignas(64) uint8_t ids[kBlock];
  _mm512_store_si512(ids, idx);
  const __m512i bit5 = _mm512_set1_epi32(32);
  for (size_t g = 0; g < kBlock; g += 16) {
    const __m512i q = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(ids + g)));
    const __m512 lo = _mm512_permutex2var_ps(t0, q, t1);
    const __m512 hi = _mm512_permutex2var_ps(t2, q, t3);
    const __m512 v = _mm512_mask_blend_ps(_mm512_test_epi32_mask(q, bit5), lo, hi);
    _mm512_storeu_ps(sums + g, _mm512_add_ps(_mm512_loadu_ps(sums + g), v));
  }
}

// #{t < x} with the feature's search tree: one 16-float (or 8-double) compare per level.
ENGINE_AVX512 inline uint32_t RankFloat(const PartProgram::Feature& f, float x) {
  const __m512 v = _mm512_set1_ps(x);
  const float* t = f.tree_f.data();
  uint32_t c = 0;
  for (const uint32_t level : f.tree_level) {
    const __mmask16 lt = _mm512_cmp_ps_mask(_mm512_loadu_ps(t + level + 16 * c), v, _CMP_LT_OQ);
    c = 16 * c + static_cast<uint32_t>(__builtin_popcount(lt));
  }
  return c;
}

ENGINE_AVX512 inline uint32_t RankDouble(const PartProgram::Feature& f, double x) {
  const __m512d v = _mm512_set1_pd(x);
  const double* t = f.tree.data();
  uint32_t c = 0;
  for (const uint32_t level : f.tree_level) {
    const __mmask8 lt = _mm512_cmp_pd_mask(_mm512_loadu_pd(t + level + 8 * c), v, _CMP_LT_OQ);
    c = 8 * c + static_cast<uint32_t>(__builtin_popcount(lt));
  }
  return c;
}

template <typename T>
ENGINE_AVX512 void RankBlockSimd(const PartProgram& p, const T* x, size_t stride, size_t n,
                                 uint8_t* ranks) {
  alignas(64) uint32_t rank[kBlock];
  alignas(64) uint8_t nan[kBlock], zero[kBlock];
  const bool as_float = p.model->compare == Compare::kFloat;
  for (const PartProgram::Feature& f : p.features) {
    const T* col = x + f.feature;
    for (size_t r = 0; r < n; ++r) {
      const T v = col[r * stride];
      const bool is_nan = std::isnan(v);
      nan[r] = is_nan;
      zero[r] = std::fabs(static_cast<double>(v)) <= fold::kLightGBMZero;
      rank[r] = as_float ? RankFloat(f, is_nan ? 0.0f : fold::ToFloat(static_cast<double>(v)))
                         : RankDouble(f, is_nan ? 0.0 : static_cast<double>(v));
    }
    if (p.wide_ranks) {
      Fill(p, f, rank, nan, zero, n, reinterpret_cast<uint16_t*>(ranks));
    } else {
      Fill(p, f, rank, nan, zero, n, ranks);
    }
  }
}

// Walk with gathers: the 16 lanes' node indices in one register; each step gathers the 16 nodes
// and the 16 ranks they compare. Lane k reads its rank of column c at ranks[c * kBlock + k].
template <typename R>
ENGINE_AVX512 inline void WalkGather(const WalkNode* nodes, const R* ranks, int32_t min_steps,
                                     int32_t max_steps, int32_t* at) {
  static_assert(sizeof(WalkNode) == 8, "a walk node is one 64-bit word: k, col, base");
  __m512i idx = _mm512_loadu_si512(at);
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const __m512i low16 = _mm512_set1_epi32(0xFFFF);
  const __m512i rank_mask = _mm512_set1_epi32(sizeof(R) == 1 ? 0xFF : 0xFFFF);
  const long long* base_ptr = reinterpret_cast<const long long*>(nodes);
  for (int32_t s = 0; s < max_steps; ++s) {
    const __m512i n0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(idx), base_ptr, 8);
    const __m512i n1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(idx, 1), base_ptr, 8);
    const __m512i kc = _mm512_permutex2var_epi32(n0, even, n1);
    const __m512i base = _mm512_permutex2var_epi32(n0, odd, n1);
    const __m512i k = _mm512_and_si512(kc, low16);
    const __m512i off = _mm512_add_epi32(_mm512_slli_epi32(_mm512_srli_epi32(kc, 16), 6), lane);
    const __m512i rk = _mm512_and_si512(
        _mm512_i32gather_epi32(off, reinterpret_cast<const int*>(ranks), sizeof(R)), rank_mask);
    const __mmask16 left = _mm512_cmple_epu32_mask(rk, k);
    const __m512i next = _mm512_mask_add_epi32(base, left, base, _mm512_set1_epi32(1));
    if (s >= min_steps && _mm512_cmpneq_epi32_mask(next, idx) == 0) break;
    idx = next;
  }
  _mm512_storeu_si512(at, idx);
}

// Which walk the block kernel uses below the tops (set by engine.cc from the environment, for
// the engine lab's measurements).
bool g_gather_walk = false;

// The exit number (a byte per row) of every row of every block: splits outer, blocks inner, so a
// split's fields are read once for all blocks. M[b][slot] holds the rows of block b at a slot.
template <typename R>
ENGINE_AVX512 inline void SpanTop(const TopNode* nodes, uint32_t count, const uint8_t* exit_slot,
                                  uint32_t exits, const Blocks& blocks, uint64_t (*M)[128],
                                  uint8_t (*ids)[kBlock]) {
  const size_t nb = blocks.count;
  for (size_t b = 0; b < nb; ++b) M[b][0] = ~uint64_t{0};
  for (uint32_t i = 0; i < count; ++i) {
    const TopNode& n = nodes[i];
    const __m512i k = _mm512_set1_epi32(static_cast<int>(n.k4));
    const size_t col = static_cast<size_t>(n.col) * kBlock * sizeof(R);
    const uint8_t* c = blocks.ranks + col;
    for (size_t b = 0; b < nb; ++b, c += blocks.stride) {
      uint64_t left;
      if constexpr (sizeof(R) == 1) {
        left = _mm512_cmple_epu8_mask(_mm512_loadu_si512(c), k);
      } else {
        const __mmask32 lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c), k);
        const __mmask32 hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c + 64), k);
        left = _cvtmask64_u64(_mm512_kunpackd(static_cast<__mmask64>(hi), static_cast<__mmask64>(lo)));
      }
      const uint64_t m = M[b][n.slot];
      M[b][n.child] = m & ~left;
      M[b][n.child + 1] = m & left;
    }
  }
  for (uint32_t j = 0; j < exits; ++j) {
    const __m512i e = _mm512_set1_epi8(static_cast<char>(j));
    const uint8_t slot = exit_slot[j];
    for (size_t b = 0; b < nb; ++b) _mm512_mask_storeu_epi8(ids[b], M[b][slot], e);
  }
}

template <typename R>
ENGINE_AVX512 void SumBlocksSliced(const PartProgram& p, const Blocks& blocks) {
  alignas(64) uint64_t M[kBlocksPerSpan][128];
  alignas(64) uint8_t ids[kBlocksPerSpan][kBlock];
  int32_t at[kLanes];
  for (const TreeCode& t : p.trees) {
    SpanTop<R>(p.top.data() + t.top_first, t.top_count, p.exit_slot.data() + t.exit_first,
               t.exit_count, blocks, M, ids);
    for (size_t b = 0; b < blocks.count; ++b) {
      const BlockSums sums{blocks.d + b * kBlock * p.width, blocks.f + b * kBlock};
      if (t.table >= 0) {
        const __m512i idx = _mm512_load_si512(ids[b]);
        if (p.float_sum) {
          AddFloats(p.table_f.data() + t.table, idx, sums.f);
        } else {
          AddDoubles(p.table.data() + t.table, idx, sums.d);
        }
        continue;
      }
      const R* ranks = reinterpret_cast<const R*>(blocks.ranks + b * blocks.stride);
      const int32_t* exit_node = p.exit_node.data() + t.exit_first;
      for (size_t r = 0; r < kBlock; r += kLanes) {
        for (size_t k = 0; k < kLanes; ++k) at[k] = exit_node[ids[b][r + k]];
        if (g_gather_walk) {
          WalkGather(p.walk.data(), ranks + r, t.below_min, t.below, at);
        } else {
          Walk<R, 1>(p.walk.data(), ranks + r, t.below_min, t.below, at);
        }
        AddLanes(p, at, kLanes, r, sums);
      }
    }
  }
}

#define ENGINE_AVX512_VBMI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,bmi,bmi2")))

// The answers of a tree's top splits for one row: bit j = rank(cols[j]) <= k[j].
template <typename R>
ENGINE_AVX512_VBMI inline uint64_t RowAnswers(const uint8_t* cols, const uint8_t* ks, __m512i lo,
                                              __m512i hi) {
  if constexpr (sizeof(R) == 1) {
    const __m512i v = _mm512_permutex2var_epi8(lo, _mm512_loadu_si512(cols), hi);
    return _mm512_cmple_epu8_mask(v, _mm512_loadu_si512(ks));
  } else {
    const __m512i v0 = _mm512_permutex2var_epi16(lo, _mm512_loadu_si512(cols), hi);
    const __m512i v1 = _mm512_permutex2var_epi16(lo, _mm512_loadu_si512(cols + 64), hi);
    const uint64_t a = _mm512_cmple_epu16_mask(v0, _mm512_loadu_si512(ks));
    const uint64_t b = _mm512_cmple_epu16_mask(v1, _mm512_loadu_si512(ks + 64));
    return a | (b << 32);
  }
}

// The exit (numbered left to right) a row reaches in a tree's top, from its split answers:
// the lowest exit left by the masks of the splits answered 0 (QuickScorer's rule).
ENGINE_AVX512_VBMI inline uint32_t ExitOf(const uint64_t* masks, uint64_t answers, bool narrow) {
  const __m512i ones = _mm512_set1_epi64(-1);
  if (narrow) {
    // At most 32 splits and exits: the low halves of the stored masks, in two registers.
    const __m512i idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i a = _mm512_permutex2var_epi32(_mm512_loadu_si512(masks), idx,
                                                _mm512_loadu_si512(masks + 8));
    const __m512i b = _mm512_permutex2var_epi32(_mm512_loadu_si512(masks + 16), idx,
                                                _mm512_loadu_si512(masks + 24));
    const __m512i ka = _mm512_mask_mov_epi32(a, static_cast<__mmask16>(answers), ones);
    const __m512i kb = _mm512_mask_mov_epi32(b, static_cast<__mmask16>(answers >> 16), ones);
    const uint32_t left = static_cast<uint32_t>(_mm512_reduce_and_epi32(_mm512_and_si512(ka, kb)));
    return static_cast<uint32_t>(__builtin_ctz(left));
  }
  __m512i acc = ones;
  for (int g = 0; g < 8; ++g) {
    const __m512i m = _mm512_loadu_si512(masks + 8 * g);
    acc = _mm512_and_si512(acc, _mm512_mask_mov_epi64(m, static_cast<__mmask8>(answers >> (8 * g)), ones));
  }
  return static_cast<uint32_t>(__builtin_ctzll(static_cast<uint64_t>(_mm512_reduce_and_epi64(acc))));
}

template <typename R>
ENGINE_AVX512_VBMI void SumRowTop(const PartProgram& p, const R* ranks, BlockSums sums) {
  // The row's ranks, contiguous, in two registers (column c at lane c).
  alignas(64) R row[128 / sizeof(R)] = {};
  for (size_t c = 0; c < p.num_columns; ++c) row[c] = ranks[c * kBlock];
  const __m512i lo = _mm512_load_si512(row);
  const __m512i hi = _mm512_load_si512(reinterpret_cast<const uint8_t*>(row) + 64);
  const size_t nt = p.trees.size();
  const size_t bytes = 64 * sizeof(R);
  int32_t at[kLanes];
  for (size_t t0 = 0; t0 < nt; t0 += kLanes) {
    const size_t m = std::min(kLanes, nt - t0);
    int32_t below = 0, below_min = INT32_MAX;
    for (size_t k = 0; k < kLanes; ++k) {
      const size_t t = t0 + std::min(k, m - 1);  // spare lanes repeat the last tree
      const uint64_t answers = RowAnswers<R>(&p.row_cols[t * bytes], &p.row_k[t * bytes], lo, hi);
      at[k] = p.row_exit[t * 64 + ExitOf(&p.row_mask[t * 64], answers, p.row_narrow[t] != 0)];
      below = std::max(below, p.trees[t].below);
      below_min = std::min(below_min, p.trees[t].below_min);
    }
    // Below deeper exits: the walk on the ranks (lanes = trees of the row).
    if (below > 0) Walk<R, 0>(p.walk.data(), ranks, below_min, below, at);
    for (size_t k = 0; k < m; ++k) AddLanes(p, at + k, 1, 0, sums);
  }
}

}  // namespace

bool CpuHasAvx512Vbmi() {
#if defined(__x86_64__) || defined(__i386__)
  return CpuHasAvx512() && __builtin_cpu_supports("avx512vbmi");
#else
  return false;
#endif
}

void SumRowAvx512(const PartProgram& p, const uint8_t* ranks, BlockSums sums) {
  if (p.wide_ranks) {
    SumRowTop(p, reinterpret_cast<const uint16_t*>(ranks), sums);
  } else {
    SumRowTop(p, ranks, sums);
  }
}

bool CpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("bmi2");
#else
  return false;
#endif
}

void SetGatherWalk(bool on) { g_gather_walk = on; }

template <typename T>
void RankBlockAvx512(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks) {
  RankBlockSimd(p, x, stride, n, ranks);
}
template void RankBlockAvx512<float>(const PartProgram&, const float*, size_t, size_t, uint8_t*);
template void RankBlockAvx512<double>(const PartProgram&, const double*, size_t, size_t, uint8_t*);

void SumBlocksAvx512(const PartProgram& p, const Blocks& blocks) {
  if (p.wide_ranks) {
    SumBlocksSliced<uint16_t>(p, blocks);
  } else {
    SumBlocksSliced<uint8_t>(p, blocks);
  }
}

}  // namespace ensemble::core::engine
