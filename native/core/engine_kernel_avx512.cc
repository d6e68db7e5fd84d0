// The AVX-512 kernel (chosen at run time, engine.cc): each tree's top levels decide 64 rows at
// once — one compare of the 64 rows' ranks per split gives the mask of rows that go left, a node's
// row mask splits into its children's, each exit stamps its number into a byte per row — then
// rows below a deeper exit continue with the walk, and leaf values are gathered with permutes.
// Only functions marked ENGINE_AVX512* use AVX-512, so this file is safe to link on any x86-64;
// elsewhere it only says it has no kernels.
#include "engine_program.h"

#if defined(__x86_64__)
// GCC 12's AVX-512 headers trip -W(maybe-)uninitialized on their own _mm512_undefined_* helpers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "cpu_features.h"

#include <algorithm>
#include <cmath>
#include <climits>
#include <cstdint>

#include "engine_fold.h"
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
  RankRows<T, RankFloat, RankDouble>(p, x, stride, n, ranks);
}

// Walk with gathers: the 16 lanes' node indices in one register; each step gathers the 16 nodes
// and the 16 ranks they compare. Lane k reads its rank of column c at ranks[c * kBlock + k].
template <typename R, bool kScaled>
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
    const __m512i col = _mm512_srli_epi32(kc, 16);
    const __m512i off = _mm512_add_epi32(kScaled ? col : _mm512_slli_epi32(col, 6), lane);
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
template <typename R, bool kScaled>
ENGINE_AVX512 inline void SpanTop(const TopNode* nodes, uint32_t count, const uint8_t* exit_slot,
                                  uint32_t exits, const Blocks& blocks, uint64_t (*M)[128],
                                  uint8_t (*ids)[kBlock]) {
  const size_t nb = blocks.count;
  for (size_t b = 0; b < nb; ++b) M[b][0] = ~uint64_t{0};
  for (uint32_t i = 0; i < count; ++i) {
    const TopNode& n = nodes[i];
    const __m512i k = _mm512_set1_epi32(static_cast<int>(n.k4));
    const size_t col = static_cast<size_t>(n.col) * (kScaled ? 1 : kBlock) * sizeof(R);
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

template <typename R, bool kScaled>
ENGINE_AVX512 void SumBlocksSliced(const PartProgram& p, const Blocks& blocks) {
  alignas(64) uint64_t M[kBlocksPerSpan][128];
  alignas(64) uint8_t ids[kBlocksPerSpan][kBlock];
  int32_t at[kLanes];
  for (const TreeCode& t : p.trees) {
    SpanTop<R, kScaled>(p.top.data() + t.top_first, t.top_count, p.exit_slot.data() + t.exit_first,
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
          WalkGather<R, kScaled>(p.walk.data(), ranks + r, t.below_min, t.below, at);
        } else {
          Walk<R, 1, kScaled>(p.walk.data(), ranks + r, t.below_min, t.below, at);
        }
        AddLanes(p, at, kLanes, r, sums);
      }
    }
  }
}

#define ENGINE_AVX512_VBMI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512cd,avx512vbmi,bmi,bmi2")))

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

// The leaves' values of trees t0..t0+m of one row, added to the row's sum in tree order.
inline void AddRowLeaves(const PartProgram& p, const int32_t* at, size_t m, BlockSums sums) {
  if (p.width == 1 && p.float_sum) {
    float s = sums.f[0];
    for (size_t k = 0; k < m; ++k) s += p.value_f[static_cast<size_t>(at[k])];
    sums.f[0] = s;
  } else if (p.width == 1) {
    double s = sums.d[0];
    for (size_t k = 0; k < m; ++k) s += p.value[static_cast<size_t>(at[k])];
    sums.d[0] = s;
  } else {
    for (size_t k = 0; k < m; ++k) AddLanes(p, at + k, 1, 0, sums);
  }
}

// The split answers of trees t0..t0+15 (spare lanes repeat the last tree) into ans[16].
template <typename R>
ENGINE_AVX512_VBMI inline void GroupAnswers(const PartProgram& p, size_t t0, size_t nt,
                                            __m512i lo, __m512i hi, uint64_t* ans) {
  const size_t bytes = 64 * sizeof(R);
  const size_t last = nt - 1;
  for (size_t k = 0; k < kLanes; ++k) {
    const size_t t = std::min(t0 + k, last);
    ans[k] = RowAnswers<R>(&p.row_cols[t * bytes], &p.row_k[t * bytes], lo, hi);
  }
}

// Leaf numbers (63 + exit) of 16 trees from their answers, two registers of 8: complete trees
// walked 6 steps down (j = 2j + 2 - bit j), the others by QuickScorer's masks.
ENGINE_AVX512_VBMI inline void GroupExits(const PartProgram& p, const RowGroup& rg, __m512i a0,
                                          __m512i a1, __m512i* n0, __m512i* n1) {
  const __m512i one = _mm512_set1_epi64(1), two = _mm512_set1_epi64(2);
  __m512i j0 = _mm512_setzero_si512(), j1 = _mm512_setzero_si512();
  if (rg.complete != 0) {
    for (int32_t s = 0; s < kRowDepth; ++s) {
      const __m512i b0 = _mm512_and_si512(_mm512_srlv_epi64(a0, j0), one);
      const __m512i b1 = _mm512_and_si512(_mm512_srlv_epi64(a1, j1), one);
      j0 = _mm512_sub_epi64(_mm512_add_epi64(_mm512_add_epi64(j0, j0), two), b0);
      j1 = _mm512_sub_epi64(_mm512_add_epi64(_mm512_add_epi64(j1, j1), two), b1);
    }
  }
  if (rg.masks != kRowComplete) {
    __m512i e0, e1;
    const __m512i base = _mm512_set1_epi64(63);
    if (rg.masks == kRowNarrow) {
      __m512i ans = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a0)),
                                       _mm512_cvtepi64_epi32(a1), 1);
      // Two accumulators halve the chain of ANDs.
      __m512i acc_a = _mm512_set1_epi32(-1), acc_b = acc_a;
      const __m512i bit = _mm512_set1_epi32(1), bit2 = _mm512_set1_epi32(2);
      const uint32_t* mk = &p.row_gmask32[rg.mask_at];
      for (int jj = 0; jj < 32; jj += 2) {
        acc_a = _mm512_mask_and_epi32(acc_a, _mm512_testn_epi32_mask(ans, bit), acc_a,
                                      _mm512_loadu_si512(mk + jj * kLanes));
        acc_b = _mm512_mask_and_epi32(acc_b, _mm512_testn_epi32_mask(ans, bit2), acc_b,
                                      _mm512_loadu_si512(mk + (jj + 1) * kLanes));
        ans = _mm512_srli_epi32(ans, 2);
      }
      const __m512i acc = _mm512_and_si512(acc_a, acc_b);
      // The lowest set bit of each lane: 31 - lzcnt(x & -x).
      const __m512i low = _mm512_and_si512(acc, _mm512_sub_epi32(_mm512_setzero_si512(), acc));
      const __m512i e = _mm512_sub_epi32(_mm512_set1_epi32(31), _mm512_lzcnt_epi32(low));
      e0 = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(e));
      e1 = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(e, 1));
    } else {
      __m512i acc[2];
      const __m512i a[2] = {a0, a1};
      for (int h = 0; h < 2; ++h) {
        __m512i ans = a[h];
        __m512i acc_a = _mm512_set1_epi64(-1), acc_b = acc_a;
        const __m512i bit = _mm512_set1_epi64(1), bit2 = _mm512_set1_epi64(2);
        const uint64_t* mk = &p.row_gmask[rg.mask_at + 8 * static_cast<size_t>(h)];
        for (int jj = 0; jj < 64; jj += 2) {
          acc_a = _mm512_mask_and_epi64(acc_a, _mm512_testn_epi64_mask(ans, bit), acc_a,
                                        _mm512_loadu_si512(mk + jj * kLanes));
          acc_b = _mm512_mask_and_epi64(acc_b, _mm512_testn_epi64_mask(ans, bit2), acc_b,
                                        _mm512_loadu_si512(mk + (jj + 1) * kLanes));
          ans = _mm512_srli_epi64(ans, 2);
        }
        const __m512i x = _mm512_and_si512(acc_a, acc_b);
        const __m512i low = _mm512_and_si512(x, _mm512_sub_epi64(_mm512_setzero_si512(), x));
        acc[h] = _mm512_sub_epi64(_mm512_set1_epi64(63), _mm512_lzcnt_epi64(low));
      }
      e0 = acc[0];
      e1 = acc[1];
    }
    // Complete lanes keep their walk, the others take their masks' exit.
    j0 = _mm512_mask_blend_epi64(static_cast<__mmask8>(rg.complete), _mm512_add_epi64(e0, base), j0);
    j1 = _mm512_mask_blend_epi64(static_cast<__mmask8>(rg.complete >> 8), _mm512_add_epi64(e1, base), j1);
  }
  *n0 = j0;
  *n1 = j1;
}

// One part of a row being scored group by group: the row's ranks in two registers, the answers
// of the next group computed one group ahead (the masks stored one by one are read back as
// vectors long after: a store-to-load forward that fails stalls the core).
struct RowPart {
  const PartProgram* p;
  const uint8_t* ranks;
  BlockSums sums;
  __m512i lo, hi;
  alignas(64) uint64_t answers[2][kLanes];
  size_t groups;
  bool wide;
};

template <typename R>
ENGINE_AVX512_VBMI void StartRow(RowPart& rp) {
  const PartProgram& p = *rp.p;
  const R* ranks = reinterpret_cast<const R*>(rp.ranks);
  alignas(64) R row[128 / sizeof(R)] = {};
  for (size_t c = 0; c < p.num_columns; ++c) row[c] = ranks[c * kBlock];
  rp.lo = _mm512_load_si512(row);
  rp.hi = _mm512_load_si512(reinterpret_cast<const uint8_t*>(row) + 64);
  rp.groups = p.row_groups.size();
  GroupAnswers<R>(p, 0, p.trees.size(), rp.lo, rp.hi, rp.answers[0]);
}

template <typename R>
ENGINE_AVX512_VBMI void RowGroupStep(RowPart& rp, size_t g) {
  const PartProgram& p = *rp.p;
  const size_t nt = p.trees.size();
  const size_t t0 = g * kLanes;
  const size_t m = std::min(kLanes, nt - t0);
  if (t0 + kLanes < nt) GroupAnswers<R>(p, t0 + kLanes, nt, rp.lo, rp.hi, rp.answers[(g + 1) & 1]);
  const RowGroup& rg = p.row_groups[g];
  __m512i n0, n1;
  GroupExits(p, rg, _mm512_load_si512(rp.answers[g & 1]), _mm512_load_si512(rp.answers[g & 1] + 8),
             &n0, &n1);
  // Each lane's exit: row_exit[t * 64 + leaf], leaf = node - 63 (spare lanes: the last tree).
  const __m512i lane_base = _mm512_set_epi64(7 * 64, 6 * 64, 5 * 64, 4 * 64, 3 * 64, 2 * 64, 64, 0);
  __m512i t64_0 = _mm512_add_epi64(_mm512_set1_epi64(static_cast<int64_t>(t0 * 64)), lane_base);
  __m512i t64_1 = _mm512_add_epi64(t64_0, _mm512_set1_epi64(8 * 64));
  const __m512i last = _mm512_set1_epi64(static_cast<int64_t>((nt - 1) * 64));
  t64_0 = _mm512_min_epi64(t64_0, last);
  t64_1 = _mm512_min_epi64(t64_1, last);
  const __m512i minus = _mm512_set1_epi64(-63);
  alignas(64) int32_t at[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(at),
                     _mm512_i64gather_epi32(_mm512_add_epi64(_mm512_add_epi64(n0, minus), t64_0),
                                            p.row_exit.data(), 4));
  _mm256_store_si256(reinterpret_cast<__m256i*>(at + 8),
                     _mm512_i64gather_epi32(_mm512_add_epi64(_mm512_add_epi64(n1, minus), t64_1),
                                            p.row_exit.data(), 4));
  // Below deeper exits: the walk on the ranks (lanes = trees of the row).
  if (rg.below > 0) {
    const R* r = reinterpret_cast<const R*>(rp.ranks);
    p.scaled_cols ? Walk<R, 0, true>(p.walk.data(), r, rg.below_min, rg.below, at)
                  : Walk<R, 0, false>(p.walk.data(), r, rg.below_min, rg.below, at);
  }
  AddRowLeaves(p, at, m, rp.sums);
}

// One row through parts that all have row tables: the parts' groups taken in turn (group g of
// every part, then g + 1): each part's sum is a chain of dependent adds in tree order, and the
// other parts' work runs under it.
ENGINE_AVX512_VBMI void SumRowsAvx512(const PartProgram* const* parts, const uint8_t* const* ranks,
                                      const BlockSums* sums, size_t n) {
  RowPart state[4];
  size_t most = 0;
  for (size_t i = 0; i < n; ++i) {
    RowPart& rp = state[i];
    rp.p = parts[i];
    rp.ranks = ranks[i];
    rp.sums = sums[i];
    rp.wide = parts[i]->wide_ranks;
    rp.wide ? StartRow<uint16_t>(rp) : StartRow<uint8_t>(rp);
    most = std::max(most, rp.groups);
  }
  for (size_t g = 0; g < most; ++g) {
    for (size_t i = 0; i < n; ++i) {
      RowPart& rp = state[i];
      if (g >= rp.groups) continue;
      rp.wide ? RowGroupStep<uint16_t>(rp, g) : RowGroupStep<uint8_t>(rp, g);
    }
  }
}

template <typename T>
void RankBlockAvx512(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks) {
  RankBlockSimd(p, x, stride, n, ranks);
}

void SumBlocksAvx512(const PartProgram& p, const Blocks& blocks) {
  if (p.wide_ranks) {
    p.scaled_cols ? SumBlocksSliced<uint16_t, true>(p, blocks) : SumBlocksSliced<uint16_t, false>(p, blocks);
  } else {
    p.scaled_cols ? SumBlocksSliced<uint8_t, true>(p, blocks) : SumBlocksSliced<uint8_t, false>(p, blocks);
  }
}

}  // namespace

const Kernels* Avx512Kernels() {
  const CpuFeatures& cpu = Cpu();
  static const bool has = cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq &&
                          cpu.bmi && cpu.bmi2;
  static const bool vbmi = has && cpu.avx512vbmi && cpu.avx512cd;
  static const Kernels kernels{"avx512", RankBlockAvx512<float>, RankBlockAvx512<double>,
                               SumBlocksAvx512, vbmi ? SumRowsAvx512 : nullptr};
  return has ? &kernels : nullptr;
}

void SetGatherWalk(bool on) { g_gather_walk = on; }

}  // namespace ensemble::core::engine

#else  // not x86-64: no AVX-512 kernels

namespace ensemble::core::engine {
const Kernels* Avx512Kernels() { return nullptr; }
void SetGatherWalk(bool) {}
}  // namespace ensemble::core::engine

#endif
