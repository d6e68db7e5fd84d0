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

// The portable kernels' searches, over the padded thresholds.
inline uint32_t RankFloatPortable(const PartProgram::Feature& f, float x) {
  return Rank(f.padded_f.data(), f.steps, x);
}
inline uint32_t RankDoublePortable(const PartProgram::Feature& f, double x) {
  return Rank(f.padded.data(), f.steps, x);
}

}  // namespace

template <typename T>
void RankBlock(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks) {
  RankRows<T, RankFloatPortable, RankDoublePortable>(p, x, stride, n, ranks);
}

template void RankBlock<float>(const PartProgram&, const float*, size_t, size_t, uint8_t*);
template void RankBlock<double>(const PartProgram&, const double*, size_t, size_t, uint8_t*);

}  // namespace ensemble::core::engine
