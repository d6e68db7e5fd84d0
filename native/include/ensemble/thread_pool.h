/// \file thread_pool.h
/// \brief The package's persistent pool: the threads that run a batch's shares, created once and
///        reused by every model and call (no call pays for thread creation), sized by the policy
///        of threads.h.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>

#include "ensemble/threads.h"

namespace ensemble::core {

/// Runs fn(begin, end) over [0, rows) split into contiguous shares whose bounds are multiples of
/// `grain` (except the end): on the calling thread alone when ThreadsForRows gives 1, else on that
/// many threads, the caller taking a share and the package's pool the others (a share no pool
/// thread has picked up yet is run by the caller, so a busy pool never blocks a call). The first
/// exception thrown by a share is rethrown after every share has finished.
void ParallelFor(size_t rows, int threads, size_t grain,
                 const std::function<void(size_t, size_t)>& fn);

/// Runs fn(0) .. fn(tasks - 1), independent tasks of any size (no rows-per-thread minimum), on at
/// most `threads` threads: the caller runs tasks too, the pool the others. The first exception
/// thrown by a task is rethrown after every task has finished.
void ParallelTasks(size_t tasks, int threads, const std::function<void(size_t)>& fn);

/// Worker threads the pool holds now (for tests and the docs).
size_t PoolThreads();

}  // namespace ensemble::core
