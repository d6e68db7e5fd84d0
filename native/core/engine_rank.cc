// The quantiser: a block of rows becomes, per rank column, each row's rank among the model's
// thresholds of that feature (`v <= threshold_k` iff `rank <= k`), with the missing-value rules
// and threshold windows applied. One branchless binary search per (row, feature).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "engine_fold.h"
#include "engine_program.h"

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

// Rows [0, n) of the feature's columns; rows past n are left as they are (any rank is a valid
// value there, and those rows' sums are never read).
template <typename R>
void Fill(const PartProgram& p, const PartProgram::Feature& f, const uint32_t* rank,
          const uint8_t* nan, const uint8_t* zero, size_t n, R* ranks) {
  const uint32_t window = p.window;
  const R top = static_cast<R>(p.top_rank);
  for (const int c : f.columns) {
    R* out = ranks + static_cast<size_t>(c) * kBlock;
    const uint32_t lo = p.col_window[static_cast<size_t>(c)] * window;
    // A rank below the window passes every split of it (0), one above fails them all (top).
    auto windowed = [&](uint32_t r) -> R {
      return r < lo ? R{0} : (r - lo >= window ? top : static_cast<R>(r - lo));
    };
    switch (static_cast<MissingRule>(p.col_rule[static_cast<size_t>(c)])) {
      case MissingRule::kRight:
        for (size_t r = 0; r < n; ++r) out[r] = nan[r] ? top : windowed(rank[r]);
        break;
      case MissingRule::kLeft:
        for (size_t r = 0; r < n; ++r) out[r] = nan[r] ? R{0} : windowed(rank[r]);
        break;
      case MissingRule::kAsZero: {
        const R z = windowed(f.zero_rank);
        for (size_t r = 0; r < n; ++r) out[r] = nan[r] ? z : windowed(rank[r]);
        break;
      }
      case MissingRule::kZeroLeft:
        for (size_t r = 0; r < n; ++r) out[r] = (nan[r] | zero[r]) ? R{0} : windowed(rank[r]);
        break;
      case MissingRule::kZeroRight:
        for (size_t r = 0; r < n; ++r) out[r] = (nan[r] | zero[r]) ? top : windowed(rank[r]);
        break;
    }
  }
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
