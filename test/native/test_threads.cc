// The thread-count policy of ensemble/threads.h in the core: every booster, the forest and the
// ensemble refuse a count beyond 1024 and cap the rest at the hardware, so no count reaches an
// OpenMP runtime that would abort the process when the system refuses a thread.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/boosters.h"
#include "ensemble/ensemble.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/thread_pool.h"
#include "ensemble/threads.h"

namespace core = ensemble::core;

namespace {

const std::string kModels = std::string(ENSEMBLE_SOURCE_DIR) + "/models/production";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool IsInvalidArgument(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const core::Error& e) {
    return e.code() == core::ErrorCode::kInvalidArgument &&
           std::string(e.what()).find("must be an integer in [0, 1024]") != std::string::npos;
  }
  return false;
}

TEST(ThreadPolicy, RefusesBeyondTheMaximumAndCapsAtTheHardware) {
  EXPECT_EQ(core::CapThreads(0), 0);
  EXPECT_EQ(core::CapThreads(1), 1);
  EXPECT_EQ(core::CapThreads(core::kMaxThreads), core::HardwareThreads());
  EXPECT_EQ(core::ResolveThreads(0), core::HardwareThreads());
  EXPECT_TRUE(IsInvalidArgument([] { core::CapThreads(-1); }));
  EXPECT_TRUE(IsInvalidArgument([] { core::CapThreads(core::kMaxThreads + 1); }));
}

TEST(ThreadPolicy, EveryCoreEntryPointAppliesIt) {
  struct stat st;
  if (::stat((std::string(ENSEMBLE_LIBRARY_DIR) + "/lib_lightgbm.so").c_str(), &st) != 0) {
    GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  }
  const core::LibrarySearch search{"", {ENSEMBLE_LIBRARY_DIR}};
  const core::LightGBMApi& lgb_api = core::LoadLightGBM(search);
  const core::XGBoostApi& xgb_api = core::LoadXGBoost(search);
  const std::string text = ReadText(kModels + "/lightgbm.txt");
  const std::string json = ReadText(kModels + "/xgboost.json");
  const std::vector<uint8_t> bytes(json.begin(), json.end());
  for (const int threads : {-1, 20000, 100000}) {
    for (const auto scorer : {core::ScorerChoice::kAuto, core::ScorerChoice::kLibrary}) {
      EXPECT_TRUE(IsInvalidArgument([&] {
        core::LightGBMBooster::Load(lgb_api, text, "lgb", threads, scorer);
      })) << threads;
      EXPECT_TRUE(IsInvalidArgument([&] {
        core::XGBoostBooster::Load(xgb_api, bytes, "xgb", threads, scorer);
      })) << threads;
    }
  }
  const auto lgb =
      core::LightGBMBooster::Load(lgb_api, text, "lgb", 1000, core::ScorerChoice::kLibrary);
  const auto xgb =
      core::XGBoostBooster::Load(xgb_api, bytes, "xgb", 1000, core::ScorerChoice::kLibrary);
  const auto forest = core::Forest::FromFile(kModels + "/random_forest.forest");
  const size_t rows = 3000;
  std::vector<double> x(12 * rows), want(rows), got(rows), proba(2 * rows);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 97) / 7.0;
  const core::DenseMatrix m{x.data(), core::DType::kFloat64, rows, 12};
  // Accepted, capped at the hardware: the same scores as one thread, and no abort.
  lgb->Predict(m, core::OutputKind::kValue, want.data(), nullptr, 1);
  lgb->Predict(m, core::OutputKind::kValue, got.data(), nullptr, 1000);
  EXPECT_EQ(got, want);
  EXPECT_TRUE(IsInvalidArgument(
      [&] { lgb->Predict(m, core::OutputKind::kValue, got.data(), nullptr, 20000); }));
  EXPECT_TRUE(IsInvalidArgument(
      [&] { forest->Predict(m, core::OutputKind::kValue, proba.data(), nullptr, 100000); }));
  const std::vector<std::string> names(12, "f");
  EXPECT_TRUE(IsInvalidArgument([&] {
    core::Ensemble(lgb, xgb, forest, core::EnsembleWeights{}, names, 20000);
  }));
  const core::Ensemble ensemble(lgb, xgb, forest, core::EnsembleWeights{}, names, 1000);
  EXPECT_EQ(ensemble.threads(), core::HardwareThreads());
  EXPECT_TRUE(IsInvalidArgument(
      [&] { ensemble.Predict(m, core::OutputKind::kValue, got.data(), nullptr, 100000); }));
}

// Tasks of a load run side by side: task 0 waits for task 1 to start, which only a second thread
// can do; every task runs once; the first task's exception comes back after all have run.
TEST(ThreadPool, ParallelTasksRunSideBySideAndRethrowAfterAll) {
  std::atomic<bool> second_started{false};
  std::atomic<int> runs[4] = {0, 0, 0, 0};
  bool overlapped = false;
  core::ParallelTasks(4, 2, [&](size_t i) {
    runs[i]++;
    if (i == 1) second_started = true;
    if (i == 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!second_started && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      overlapped = second_started;
    }
  });
  EXPECT_TRUE(overlapped);
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);

  std::atomic<int> ran{0};
  EXPECT_THROW(core::ParallelTasks(3, 2,
                                   [&](size_t i) {
                                     ran++;
                                     if (i == 1) throw std::runtime_error("task 1");
                                   }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 3);

  // One thread: every task on the caller's thread, in order.
  std::vector<size_t> order;
  const auto caller = std::this_thread::get_id();
  core::ParallelTasks(3, 1, [&](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2}));
}

}  // namespace
