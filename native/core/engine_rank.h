// The quantiser's loop and last step, shared by the portable, AVX2 and AVX-512 rankers: each row's
// rank among a feature's thresholds, then the feature's columns' values under each missing-value
// rule and threshold window.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "engine_fold.h"
#include "engine_program.h"

namespace ensemble::core::engine {

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

/// Ranks rows [0, n) of a block (row r at x[r * stride]) for every feature of `p` into `ranks`:
/// NaN ranked 0 with its flag set (the rules decide where it goes), |v| <= LightGBM's zero
/// flagged, float models ranked on the value rounded to float. RankF / RankD are the kernel's
/// searches (#{t < x} in the feature's thresholds). always_inline: expanded inside each kernel's
/// target function, the searches inline under that function's instruction set.
template <typename T, uint32_t (*RankF)(const PartProgram::Feature&, float),
          uint32_t (*RankD)(const PartProgram::Feature&, double)>
[[gnu::always_inline]] inline void RankRows(const PartProgram& p, const T* x, size_t stride,
                                            size_t n, uint8_t* ranks) {
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
      rank[r] = as_float ? RankF(f, is_nan ? 0.0f : fold::ToFloat(static_cast<double>(v)))
                         : RankD(f, is_nan ? 0.0 : static_cast<double>(v));
    }
    if (p.wide_ranks) {
      Fill(p, f, rank, nan, zero, n, reinterpret_cast<uint16_t*>(ranks));
    } else {
      Fill(p, f, rank, nan, zero, n, ranks);
    }
  }
}

}  // namespace ensemble::core::engine
