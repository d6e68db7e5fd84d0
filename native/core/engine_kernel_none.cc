// The engine's SIMD entry points on architectures without the AVX-512 kernels (linux-arm64):
// CpuHasAvx512() is false, so engine.cc runs the portable kernels and never calls the others,
// which still give the portable results. Empty on x86-64 (engine_kernel_avx512.cc is built).
#if !defined(__x86_64__)
#include <cstddef>
#include <cstdint>

#include "engine_program.h"

namespace ensemble::core::engine {

bool CpuHasAvx512() { return false; }
bool CpuHasAvx512Vbmi() { return false; }
void SetGatherWalk(bool) {}

template <typename T>
void RankBlockAvx512(const PartProgram& p, const T* x, size_t stride, size_t n, uint8_t* ranks) {
  RankBlock(p, x, stride, n, ranks);
}
template void RankBlockAvx512<float>(const PartProgram&, const float*, size_t, size_t, uint8_t*);
template void RankBlockAvx512<double>(const PartProgram&, const double*, size_t, size_t, uint8_t*);

void SumBlocksAvx512(const PartProgram& p, const Blocks& blocks) { SumBlocksPortable(p, blocks); }

void SumRowsAvx512(const PartProgram* const* parts, const uint8_t* const* ranks,
                   const BlockSums* sums, size_t n) {
  for (size_t i = 0; i < n; ++i) SumRow(*parts[i], ranks[i], sums[i]);
}

}  // namespace ensemble::core::engine
#endif  // !defined(__x86_64__)
