// The persistent pool behind ParallelFor: worker threads started on first need and kept, a queue
// of shares, and callers that run their own unclaimed shares instead of waiting for a busy pool.
#include "ensemble/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "ensemble/error.h"

namespace ensemble::core {
namespace {

// One ParallelFor call: its shares, which of them are taken, and how many are still running.
struct Job {
  const std::function<void(size_t, size_t)>* fn;
  size_t rows = 0, shares = 0, per_share = 0;
  std::atomic<size_t> next{0};     // next share to claim
  std::atomic<size_t> pending{0};  // shares not finished
  std::mutex mutex;
  std::condition_variable done;
  std::exception_ptr error;

  // Claims and runs one share; false when none is left.
  bool RunOne() {
    const size_t s = next.fetch_add(1);
    if (s >= shares) return false;
    const size_t begin = s * per_share, end = std::min(rows, begin + per_share);
    try {
      (*fn)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
    if (pending.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mutex);
      done.notify_all();
    }
    return true;
  }
};

class Pool {
 public:
  static Pool& Get() {
    // Never destroyed: worker threads may still be waiting when static destructors run at exit.
    static Pool* pool = new Pool();
    return *pool;
  }

  // Makes sure `n` workers exist (fewer if the system refuses threads).
  void Reserve(size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (workers_ < n) {
      try {
        std::thread([this] { Work(); }).detach();
        ++workers_;
      } catch (const std::system_error&) {
        break;  // no more threads: callers run the remaining shares themselves
      }
    }
  }

  void Post(const std::shared_ptr<Job>& job, size_t copies) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < copies; ++i) queue_.push_back(job);
    }
    if (copies == 1) {
      ready_.notify_one();
    } else {
      ready_.notify_all();
    }
  }

  size_t workers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return workers_;
  }

 private:
  void Work() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      // A worker keeps claiming the job's shares while any is left (tasks of uneven size).
      while (job->RunOne()) {
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Job>> queue_;
  size_t workers_ = 0;
};

// Runs `job` (shares already set) on `n` threads: n - 1 copies posted to the pool, the caller
// claiming shares until none is left, then waiting for the pool's.
void Run(const std::shared_ptr<Job>& job, size_t n) {
  job->pending = job->shares;
  Pool& pool = Pool::Get();
  pool.Reserve(n - 1);
  pool.Post(job, std::min(n, job->shares) - 1);
  while (job->RunOne()) {
  }
  {
    std::unique_lock<std::mutex> lock(job->mutex);
    job->done.wait(lock, [&] { return job->pending.load() == 0; });
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace

void ParallelFor(size_t rows, int threads, size_t grain,
                 const std::function<void(size_t, size_t)>& fn) {
  if (rows == 0) return;
  const int n = ThreadsForRows(rows, threads);
  if (n <= 1) {
    fn(0, rows);
    return;
  }
  grain = std::max<size_t>(1, grain);
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->rows = rows;
  // Shares of whole grains; the last share takes the rest.
  const size_t grains = (rows + grain - 1) / grain;
  job->per_share = ((grains + static_cast<size_t>(n) - 1) / static_cast<size_t>(n)) * grain;
  job->shares = (rows + job->per_share - 1) / job->per_share;
  Run(job, job->shares);
}

void ParallelTasks(size_t tasks, int threads, const std::function<void(size_t)>& fn) {
  const size_t n = std::min(tasks, static_cast<size_t>(std::max(1, threads)));
  if (n <= 1) {
    for (size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  const std::function<void(size_t, size_t)> one = [&fn](size_t begin, size_t) { fn(begin); };
  auto job = std::make_shared<Job>();
  job->fn = &one;
  job->rows = tasks;
  job->per_share = 1;
  job->shares = tasks;
  Run(job, n);
}

size_t PoolThreads() { return Pool::Get().workers(); }

}  // namespace ensemble::core
