/// \file thread_pool.h
/// \brief The package's one thread policy and its persistent pool: how many threads a batch uses,
///        when a batch is too small to split, and the threads that run the shares (created once,
///        reused by every model and call, so no call pays for thread creation).
#pragma once

#include <cstddef>
#include <exception>
#include <functional>

namespace ensemble::core {

/// Below this many rows per thread a second thread costs more than it saves (measured on the
/// bundled ensemble, docs/engine.md); one row and small batches stay on the caller's thread.
constexpr size_t kMinRowsPerThread = 256;

/// The most threads any call may ask for. More is refused (kInvalidArgument) rather than
/// clamped: a value this large is a mistake, and the libraries abort on some of them.
constexpr int kMaxThreads = 1024;

/// The thread count a model uses when asked for `requested`: 0 means every core
/// (std::thread::hardware_concurrency, at least 1). Throws kInvalidArgument, naming `what`,
/// for a negative count or one above kMaxThreads.
int ResolveThreads(int requested, const char* what = "threads");

/// Threads a batch of `rows` actually uses when the model allows `threads` (already resolved):
/// at most one per kMinRowsPerThread rows, at least 1.
int ThreadsForRows(size_t rows, int threads);

/// Runs fn(begin, end) over [0, rows) split into contiguous shares whose bounds are multiples of
/// `grain` (except the end): on the calling thread alone when ThreadsForRows gives 1, else on that
/// many threads, the caller taking a share and the package's pool the others (a share no pool
/// thread has picked up yet is run by the caller, so a busy pool never blocks a call). The first
/// exception thrown by a share is rethrown after every share has finished.
void ParallelFor(size_t rows, int threads, size_t grain,
                 const std::function<void(size_t, size_t)>& fn);

/// Worker threads the pool holds now (for tests and the docs).
size_t PoolThreads();

}  // namespace ensemble::core
