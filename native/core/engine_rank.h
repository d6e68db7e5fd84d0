// The quantiser's last step, shared by the portable and the AVX-512 rankers: a feature's ranks
// become its columns' values under each missing-value rule and threshold window.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace ensemble::core::engine
