// The AVX2 kernel (chosen at run time on x86-64 without AVX-512, engine.cc): the AVX-512 block
// kernel's design in 32-byte registers. A tree's top splits decide 64 rows at once (two compares
// of 32 ranks per split give the mask of rows that go left), each exit's rows get its number in a
// byte per row, rows below a deeper exit continue with the walk, and leaf values are gathered.
// Single rows use the portable walk. Only functions marked ENGINE_AVX2 use AVX2, so this file is
// safe to link on any x86-64; elsewhere it only says it has no kernels.
#include "engine_program.h"

#if defined(__x86_64__)
// GCC 12's gather intrinsics trip -Wmaybe-uninitialized on their own _mm256_undefined_* helpers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "cpu_features.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine_fold.h"
#include "engine_rank.h"
#include "engine_walk.h"

#define ENGINE_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))

namespace ensemble::core::engine {
namespace {

// sums[r] += table[ids[r]] for the 64 rows; table: 32 doubles.
ENGINE_AVX2 inline void AddDoubles(const double* table, const uint8_t* ids, double* sums) {
  for (size_t g = 0; g < kBlock; g += 4) {
    int32_t four;
    std::memcpy(&four, ids + g, 4);
    const __m128i q = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(four));
    const __m256d v = _mm256_i32gather_pd(table, q, 8);
    _mm256_storeu_pd(sums + g, _mm256_add_pd(_mm256_loadu_pd(sums + g), v));
  }
}

// sums[r] += table[ids[r]] for the 64 rows, in float; table: 64 floats.
ENGINE_AVX2 inline void AddFloats(const float* table, const uint8_t* ids, float* sums) {
  for (size_t g = 0; g < kBlock; g += 8) {
    const __m256i q = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ids + g)));
    const __m256 v = _mm256_i32gather_ps(table, q, 4);
    _mm256_storeu_ps(sums + g, _mm256_add_ps(_mm256_loadu_ps(sums + g), v));
  }
}

// #{t < x} with the feature's search tree (groups of 16 floats or 8 doubles a level, as
// RankBlockAvx512 reads it): two 8-float (4-double) compares per level.
ENGINE_AVX2 inline uint32_t RankFloat(const PartProgram::Feature& f, float x) {
  const __m256 v = _mm256_set1_ps(x);
  const float* t = f.tree_f.data();
  uint32_t c = 0;
  for (const uint32_t level : f.tree_level) {
    const float* g = t + level + 16 * c;
    const uint32_t lo = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(g), v, _CMP_LT_OQ)));
    const uint32_t hi = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(g + 8), v, _CMP_LT_OQ)));
    c = 16 * c + static_cast<uint32_t>(__builtin_popcount(lo | (hi << 8)));
  }
  return c;
}

ENGINE_AVX2 inline uint32_t RankDouble(const PartProgram::Feature& f, double x) {
  const __m256d v = _mm256_set1_pd(x);
  const double* t = f.tree.data();
  uint32_t c = 0;
  for (const uint32_t level : f.tree_level) {
    const double* g = t + level + 8 * c;
    const uint32_t lo = static_cast<uint32_t>(_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(g), v, _CMP_LT_OQ)));
    const uint32_t hi = static_cast<uint32_t>(_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(g + 4), v, _CMP_LT_OQ)));
    c = 8 * c + static_cast<uint32_t>(__builtin_popcount(lo | (hi << 4)));
  }
  return c;
}

template <typename T>
ENGINE_AVX2 void RankBlockAvx2(const PartProgram& p, const T* x, size_t stride, size_t n,
                               uint8_t* ranks) {
  RankRows<T, RankFloat, RankDouble>(p, x, stride, n, ranks);
}

// The mask of the 64 rows whose rank in column c is <= k (k replicated into every byte / word).
template <typename R>
ENGINE_AVX2 inline uint64_t LeftRows(const uint8_t* c, __m256i k) {
  if constexpr (sizeof(R) == 1) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32));
    const auto lo = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(a, k), a)));
    const auto hi = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(b, k), b)));
    return lo | (uint64_t{hi} << 32);
  } else {
    __m256i m[4];
    for (int i = 0; i < 4; ++i) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32 * i));
      m[i] = _mm256_cmpeq_epi16(_mm256_min_epu16(a, k), a);
    }
    // packs interleaves the two 128-bit halves; the permute puts the rows back in order.
    const __m256i p01 = _mm256_permute4x64_epi64(_mm256_packs_epi16(m[0], m[1]), 0xD8);
    const __m256i p23 = _mm256_permute4x64_epi64(_mm256_packs_epi16(m[2], m[3]), 0xD8);
    const auto lo = static_cast<uint32_t>(_mm256_movemask_epi8(p01));
    const auto hi = static_cast<uint32_t>(_mm256_movemask_epi8(p23));
    return lo | (uint64_t{hi} << 32);
  }
}

// 0xFF in byte r where bit r of m is set (32 rows).
ENGINE_AVX2 inline __m256i ExpandMask(uint32_t m) {
  const __m256i which = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                         2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bits = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  const __m256i v = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(m)), which), bits);
  return _mm256_cmpeq_epi8(v, bits);
}

// The exit number (a byte per row) of every row of every block: splits outer, blocks inner, so a
// split's fields are read once for all blocks. M[b][slot] holds the rows of block b at a slot;
// the exits partition the rows, so OR-ing each exit's number into its rows' bytes stamps them.
template <typename R, bool kScaled>
ENGINE_AVX2 inline void SpanTop(const TopNode* nodes, uint32_t count, const uint8_t* exit_slot,
                                uint32_t exits, const Blocks& blocks, uint64_t (*M)[128],
                                uint8_t (*ids)[kBlock]) {
  const size_t nb = blocks.count;
  for (size_t b = 0; b < nb; ++b) M[b][0] = ~uint64_t{0};
  for (uint32_t i = 0; i < count; ++i) {
    const TopNode& n = nodes[i];
    const __m256i k = _mm256_set1_epi32(static_cast<int>(n.k4));
    const size_t col = static_cast<size_t>(n.col) * (kScaled ? 1 : kBlock) * sizeof(R);
    const uint8_t* c = blocks.ranks + col;
    for (size_t b = 0; b < nb; ++b, c += blocks.stride) {
      const uint64_t left = LeftRows<R>(c, k);
      const uint64_t m = M[b][n.slot];
      M[b][n.child] = m & ~left;
      M[b][n.child + 1] = m & left;
    }
  }
  for (size_t b = 0; b < nb; ++b) {
    __m256i lo = _mm256_setzero_si256(), hi = lo;
    for (uint32_t j = 0; j < exits; ++j) {
      const __m256i e = _mm256_set1_epi8(static_cast<char>(j));
      const uint64_t m = M[b][exit_slot[j]];
      lo = _mm256_or_si256(lo, _mm256_and_si256(ExpandMask(static_cast<uint32_t>(m)), e));
      hi = _mm256_or_si256(hi, _mm256_and_si256(ExpandMask(static_cast<uint32_t>(m >> 32)), e));
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(ids[b]), lo);
    _mm256_store_si256(reinterpret_cast<__m256i*>(ids[b] + 32), hi);
  }
}

template <typename R, bool kScaled>
ENGINE_AVX2 void SumBlocksSliced(const PartProgram& p, const Blocks& blocks) {
  alignas(64) uint64_t M[kBlocksPerSpan][128];
  alignas(64) uint8_t ids[kBlocksPerSpan][kBlock];
  int32_t at[kLanes];
  for (const TreeCode& t : p.trees) {
    SpanTop<R, kScaled>(p.top.data() + t.top_first, t.top_count, p.exit_slot.data() + t.exit_first,
                        t.exit_count, blocks, M, ids);
    for (size_t b = 0; b < blocks.count; ++b) {
      const BlockSums sums{blocks.d + b * kBlock * p.width, blocks.f + b * kBlock};
      if (t.table >= 0) {
        if (p.float_sum) {
          AddFloats(p.table_f.data() + t.table, ids[b], sums.f);
        } else {
          AddDoubles(p.table.data() + t.table, ids[b], sums.d);
        }
        continue;
      }
      const R* ranks = reinterpret_cast<const R*>(blocks.ranks + b * blocks.stride);
      const int32_t* exit_node = p.exit_node.data() + t.exit_first;
      for (size_t r = 0; r < kBlock; r += kLanes) {
        for (size_t k = 0; k < kLanes; ++k) at[k] = exit_node[ids[b][r + k]];
        Walk<R, 1, kScaled>(p.walk.data(), ranks + r, t.below_min, t.below, at);
        AddLanes(p, at, kLanes, r, sums);
      }
    }
  }
}

void SumBlocksAvx2(const PartProgram& p, const Blocks& blocks) {
  if (p.wide_ranks) {
    p.scaled_cols ? SumBlocksSliced<uint16_t, true>(p, blocks) : SumBlocksSliced<uint16_t, false>(p, blocks);
  } else {
    p.scaled_cols ? SumBlocksSliced<uint8_t, true>(p, blocks) : SumBlocksSliced<uint8_t, false>(p, blocks);
  }
}

}  // namespace

const Kernels* Avx2Kernels() {
  const CpuFeatures& cpu = Cpu();
  static const bool has = cpu.avx2 && cpu.bmi2 && cpu.popcnt;
  static const Kernels kernels{"avx2", RankBlockAvx2<float>, RankBlockAvx2<double>, SumBlocksAvx2,
                               nullptr};
  return has ? &kernels : nullptr;
}

}  // namespace ensemble::core::engine

#else  // not x86-64: no AVX2 kernels

namespace ensemble::core::engine {
const Kernels* Avx2Kernels() { return nullptr; }
}  // namespace ensemble::core::engine

#endif
