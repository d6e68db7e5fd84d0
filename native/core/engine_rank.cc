// The quantiser: a block of rows becomes, per rank column, each row's rank among the model's
// thresholds of that feature (`v <= threshold_k` iff `rank <= k`), with the missing-value rules
// and threshold windows applied. One branchless binary search per (row, feature).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "engine_fold.h"
#include "engine_program.h"
#include "engine_rank.h"

namespace ensemble::core::engine {
namespace {

// #{t < v} in a list padded with +Inf to 2^steps - 1 entries: `steps` probes, no branch on data
// (NaN never gets here).
template <typename V>
inline uint32_t Rank(const V* t, uint32_t steps, V v) {
  uint32_t pos = 0;
  for (uint32_t step = (1u << steps) >> 1; step != 0; step >>= 1) {
    pos += step & (0u - static_cast<uint32_t>(t[pos + step - 1] < v));
  }
  return pos;
}

}  // namespace

template <typename T>
void RankBlock(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks) {
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
      // NaN is ranked 0 here; the rules decide where it goes.
      if (as_float) {
        const float fv = is_nan ? 0.0f : fold::ToFloat(static_cast<double>(v));
        rank[r] = Rank(f.padded_f.data(), f.steps, fv);
      } else {
        rank[r] = Rank(f.padded.data(), f.steps, is_nan ? 0.0 : static_cast<double>(v));
      }
    }
    if (p.wide_ranks) {
      Fill(p, f, rank, nan, zero, n, reinterpret_cast<uint16_t*>(ranks));
    } else {
      Fill(p, f, rank, nan, zero, n, ranks);
    }
  }
}

template void RankBlock<float>(const PartProgram&, const float*, size_t, size_t, uint8_t*);
template void RankBlock<double>(const PartProgram&, const double*, size_t, size_t, uint8_t*);

}  // namespace ensemble::core::engine
