// The AVX-512 kernel (chosen at run time, engine.cc): each tree's top levels decide 64 rows at
// once — one compare of the 64 rows' ranks per split gives the mask of rows that go left, a node's
// row mask splits into its children's, each exit stamps its number into a byte per row — then
// rows below a deeper exit continue with the walk, and leaf values are gathered with permutes.
// Only functions marked kTarget use AVX-512, so this file is safe to link on any x86-64.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_* helpers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "engine_program.h"
#include "engine_walk.h"

#define ENGINE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi,bmi2")))

namespace ensemble::core::engine {
namespace {

// The exit number (a byte) of each of the 64 rows: mask slots M hold the rows at each node.
template <typename R>
ENGINE_AVX512 inline __m512i Top(const TopNode* nodes, uint32_t count, const uint8_t* exit_slot,
                                 uint32_t exits, const R* ranks) {
  uint64_t M[2 * kMaxTopNodes + 2];
  M[0] = ~uint64_t{0};
  for (uint32_t i = 0; i < count; ++i) {
    const TopNode& n = nodes[i];
    const __m512i k = _mm512_set1_epi32(static_cast<int>(n.k4));
    const R* c = ranks + static_cast<size_t>(n.col) * kBlock;
    uint64_t left;
    if constexpr (sizeof(R) == 1) {
      left = _mm512_cmple_epu8_mask(_mm512_loadu_si512(c), k);
    } else {
      const uint64_t lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c), k);
      const uint64_t hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512(c + 32), k);
      left = lo | (hi << 32);
    }
    const uint64_t m = M[n.slot];
    M[n.child] = m & ~left;
    M[n.child + 1] = m & left;
  }
  __m512i idx = _mm512_setzero_si512();
  __m512i e = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi8(1);
  for (uint32_t j = 0; j < exits; ++j) {
    idx = _mm512_mask_mov_epi8(idx, M[exit_slot[j]], e);
    e = _mm512_add_epi8(e, one);
  }
  return idx;
}

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

template <typename R>
ENGINE_AVX512 void SumBlockSliced(const PartProgram& p, const R* ranks, BlockSums sums) {
  alignas(64) uint8_t ids[kBlock];
  int32_t at[kLanes];
  for (const TreeCode& t : p.trees) {
    const __m512i idx = Top(p.top.data() + t.top_first, t.top_count,
                            p.exit_slot.data() + t.exit_first, t.exit_count, ranks);
    if (t.table >= 0) {
      if (p.float_sum) {
        AddFloats(p.table_f.data() + t.table, idx, sums.f);
      } else {
        AddDoubles(p.table.data() + t.table, idx, sums.d);
      }
      continue;
    }
    _mm512_store_si512(ids, idx);
    const int32_t* exit_node = p.exit_node.data() + t.exit_first;
    for (size_t r = 0; r < kBlock; r += kLanes) {
      for (size_t k = 0; k < kLanes; ++k) at[k] = exit_node[ids[r + k]];
      Walk<R, 1>(p.walk.data(), ranks + r, t.below_min, t.below, at);
      AddLanes(p, at, kLanes, r, sums);
    }
  }
}

}  // namespace

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

void SumBlockAvx512(const PartProgram& p, const uint8_t* ranks, BlockSums sums) {
  if (p.wide_ranks) {
    SumBlockSliced(p, reinterpret_cast<const uint16_t*>(ranks), sums);
  } else {
    SumBlockSliced(p, ranks, sums);
  }
}

}  // namespace ensemble::core::engine
