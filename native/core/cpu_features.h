// What this x86-64 CPU and its OS support, read once from CPUID and XCR0: the engine's kernels and
// SHA-256 choose their code by it. Not __builtin_cpu_supports: that needs libgcc's __cpu_model,
// which zig's runtime (the prebuilds, docs/prebuilds.md) does not provide.
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>

#include <cstdint>

namespace ensemble::core {

/// The CPU's features this package uses; a SIMD extension counts only when the OS also saves its
/// registers on a context switch.
struct CpuFeatures {
  bool ssse3 = false, sse41 = false, popcnt = false, sha = false;
  bool avx2 = false, bmi = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512cd = false, avx512vbmi = false;
};

namespace cpu_detail {
inline CpuFeatures Detect() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return f;
  f.ssse3 = (c & bit_SSSE3) != 0;
  f.sse41 = (c & bit_SSE4_1) != 0;
  f.popcnt = (c & bit_POPCNT) != 0;
  bool os_ymm = false, os_zmm = false;
  if ((c & bit_OSXSAVE) != 0) {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    os_ymm = (lo & 0x6) == 0x6;    // SSE and AVX state
    os_zmm = (lo & 0xE6) == 0xE6;  // and the opmask, ZMM0-15 upper halves, ZMM16-31
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return f;
  f.sha = (b & bit_SHA) != 0;
  f.bmi = (b & bit_BMI) != 0;
  f.bmi2 = (b & bit_BMI2) != 0;
  f.avx2 = os_ymm && (b & bit_AVX2) != 0;
  f.avx512f = os_zmm && (b & bit_AVX512F) != 0;
  f.avx512dq = os_zmm && (b & bit_AVX512DQ) != 0;
  f.avx512cd = os_zmm && (b & bit_AVX512CD) != 0;
  f.avx512bw = os_zmm && (b & bit_AVX512BW) != 0;
  f.avx512vl = os_zmm && (b & bit_AVX512VL) != 0;
  f.avx512vbmi = os_zmm && (c & bit_AVX512VBMI) != 0;
  return f;
}
}  // namespace cpu_detail

/// This CPU's features, detected on first use.
inline const CpuFeatures& Cpu() {
  static const CpuFeatures features = cpu_detail::Detect();
  return features;
}

}  // namespace ensemble::core

#endif  // defined(__x86_64__)
