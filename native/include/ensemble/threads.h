/// \file threads.h
/// \brief The one policy for thread counts: every `threads` option and argument (the loaders,
///        the ensemble, batch calls, the C++ API) is checked and capped here, and how many of
///        them a batch of a given size uses (thread_pool.h runs them).
///
/// A count reaches two OpenMP runtimes (LightGBM's `num_threads`, XGBoost's `nthread`), which
/// create their team on first use and abort or crash the process when the system refuses a
/// thread (20,000 aborted libgomp, 100,000 crashed it). Scoring is CPU-bound, so a team larger
/// than the hardware only adds threads that wait. Hence: a count above kMaxThreads is refused as
/// a mistake (it names no machine this package runs on), and an accepted count is capped at the
/// hardware threads, which is what the default (0 = all cores) uses: an explicit count never
/// costs more threads than the default.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>

#include "ensemble/error.h"

namespace ensemble::core {

/// The largest thread count accepted; larger ones are refused with kInvalidArgument.
inline constexpr int kMaxThreads = 1024;

/// The machine's hardware threads (at least 1): the default and the cap of every count.
inline int HardwareThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

/// Checks a requested count (0 = the caller's default) and caps it: returns 0 for 0, else
/// min(requested, HardwareThreads()). Throws kInvalidArgument naming `what` outside
/// [0, kMaxThreads].
inline int CapThreads(int requested, const char* what = "threads") {
  if (requested < 0 || requested > kMaxThreads) {
    throw Error(ErrorCode::kInvalidArgument, std::string(what) + " must be an integer in [0, " +
                                                 std::to_string(kMaxThreads) + "], got " +
                                                 std::to_string(requested));
  }
  return requested == 0 ? 0 : std::min(requested, HardwareThreads());
}

/// CapThreads with 0 meaning all hardware threads: always in [1, HardwareThreads()].
inline int ResolveThreads(int requested, const char* what = "threads") {
  const int n = CapThreads(requested, what);
  return n == 0 ? HardwareThreads() : n;
}

/// Below this many rows per thread a second thread costs more than it saves (docs/engine.md); one
/// row and small batches stay on the caller's thread.
inline constexpr size_t kMinRowsPerThread = 256;

/// Threads a batch of `rows` uses when the model allows `threads` (already resolved): at most one
/// per kMinRowsPerThread rows, at least 1.
inline int ThreadsForRows(size_t rows, int threads) {
  const size_t by_rows = std::max<size_t>(1, rows / kMinRowsPerThread);
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(1, threads)), by_rows));
}

}  // namespace ensemble::core
