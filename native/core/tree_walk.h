// The engine's inner loop, shared by the forest and the imported boosters: sixteen tree walks
// advanced side by side over a flat node array where leaves loop onto themselves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

#include "ensemble/threads.h"

namespace ensemble::core::walk {

/// Walks scored side by side. A walk is a chain of dependent loads; sixteen independent chains
/// keep the core busy instead of waiting on each load in turn (measured on the forest with
/// 256-row blocks: 4 lanes 300k rows/s, 8 lanes 480k, 12 lanes 600k, 16 lanes 650k, 32 lanes
/// 640k; one row: 8 lanes 3.0 us, 16 lanes 2.3 us).
constexpr size_t kLanes = 16;

/// Advances every lane `steps` times. A node sends a lane to child[1] when the lane's prepared
/// row has `row[column] <= threshold`, else to child[0] (a NaN in the row goes to child[0]); a
/// leaf has threshold +Inf, a column that never holds NaN and child[1] = itself, so there is no
/// data-dependent branch to mispredict, only loads and compares. `steps` must be at least the
/// depth of every tree a lane is in.
template <typename Node, typename Value>
inline void Lanes(const Node* nodes, int32_t steps, const Value* const* rows, int32_t* idx) {
  int32_t at[kLanes];
  for (size_t k = 0; k < kLanes; ++k) at[k] = idx[k];
  for (int32_t s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (size_t k = 0; k < kLanes; ++k) {
      const Node& n = nodes[at[k]];
      at[k] = n.child[rows[k][n.column] <= n.threshold];
    }
  }
  for (size_t k = 0; k < kLanes; ++k) idx[k] = at[k];
}

/// As Lanes, for nodes whose children are adjacent (BoosterEngine::Node): a lane goes to
/// `base + (row[column] <= threshold)`, so the next index does not wait for a second load. For
/// trees whose leaves lie at uneven depths: after the first `min_steps` steps it stops as soon as
/// a step moves no lane (every lane is then at a leaf: a split always moves a lane), at most
/// `max_steps` steps in all.
template <typename Node, typename Value>
inline int32_t AdjacentNext(const Node* nodes, const Value* row, int32_t at) {
  const Node& n = nodes[at];
  return n.base + (row[n.column] <= n.threshold);
}

template <typename Node, typename Value>
inline void AdjacentLanesUntilLeaves(const Node* nodes, int32_t min_steps, int32_t max_steps,
                                     const Value* const* rows, int32_t* idx) {
  int32_t at[kLanes];
  for (size_t k = 0; k < kLanes; ++k) at[k] = idx[k];
  for (int32_t s = 0; s < min_steps; ++s) {
#pragma GCC unroll 16
    for (size_t k = 0; k < kLanes; ++k) at[k] = AdjacentNext(nodes, rows[k], at[k]);
  }
  for (int32_t s = min_steps; s < max_steps; ++s) {
    int32_t moved = 0;
#pragma GCC unroll 16
    for (size_t k = 0; k < kLanes; ++k) {
      const int32_t next = AdjacentNext(nodes, rows[k], at[k]);
      moved |= next ^ at[k];
      at[k] = next;
    }
    if (moved == 0) break;
  }
  for (size_t k = 0; k < kLanes; ++k) idx[k] = at[k];
}


/// Runs fn(begin, end) over [0, rows) split into contiguous shares: on the calling thread alone
/// when `threads` is 1 or the rows are fewer than 2 * min_rows_per_thread, else on up to
/// `threads` threads (0 = all hardware threads), the caller taking the first share. The first
/// exception thrown by any share is rethrown after all have finished.
template <typename Fn>
void ParallelRows(size_t rows, int threads, size_t min_rows_per_thread, Fn&& fn) {
  // Never more workers than the hardware has (threads.h): callers cap their counts, and this
  // is the one place std::threads are made.
  const int hardware = HardwareThreads();
  size_t workers = static_cast<size_t>(threads <= 0 ? hardware : std::min(threads, hardware));
  workers = std::min(workers, std::max<size_t>(1, rows / min_rows_per_thread));
  if (workers <= 1) {
    fn(size_t{0}, rows);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(workers);
  const size_t chunk = (rows + workers - 1) / workers;
  auto run = [&](size_t w) {
    try {
      fn(w * chunk, std::min(rows, (w + 1) * chunk));
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  for (size_t w = 1; w < workers && w * chunk < rows; ++w) {
    try {
      pool.emplace_back(run, w);
    } catch (const std::system_error&) {
      run(w);  // no thread available: do that share here
    }
  }
  run(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace ensemble::core::walk
