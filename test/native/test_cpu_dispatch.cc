// The engine's run-time choice of kernels against what the kernel of the OS reports: AVX-512 (and
// AVX2) is used exactly when /proc/cpuinfo lists every extension its kernels are compiled for
// (Linux lists them only when it saves the registers), never on other architectures.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "ensemble/engine.h"

namespace {

std::set<std::string> CpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

TEST(CpuDispatch, Avx512ExactlyWhenTheCpuAndOsHaveIt) {
  const std::set<std::string> flags = CpuFlags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line";
  bool expected = false;
#if defined(__x86_64__)
  expected = true;
  for (const char* f : {"avx512f", "avx512bw", "avx512vl", "avx512dq", "bmi1", "bmi2"}) {
    expected = expected && flags.count(f) > 0;
  }
#endif
  EXPECT_EQ(ensemble::core::ForceEngineKernel("avx512"), expected);
  EXPECT_TRUE(ensemble::core::ForceEngineKernel("portable"));
  ensemble::core::ForceEngineKernel("");
}

TEST(CpuDispatch, Avx2ExactlyWhenTheCpuAndOsHaveIt) {
  const std::set<std::string> flags = CpuFlags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line";
  bool expected = false;
#if defined(__x86_64__)
  expected = flags.count("avx2") > 0 && flags.count("bmi2") > 0 && flags.count("popcnt") > 0;
#endif
  EXPECT_EQ(ensemble::core::ForceEngineKernel("avx2"), expected);
  ensemble::core::ForceEngineKernel("");
}

}  // namespace
