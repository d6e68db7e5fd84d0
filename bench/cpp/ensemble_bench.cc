// Google Benchmark suite: the package through production_ensemble.h against the floor, i.e.
// LightGBM's and XGBoost's own C APIs called directly on the same model files (the random forest
// has no library C API: its floor is the package's own forest engine, called without the facade).
// Usage: ensemble_bench [--quick] [Google Benchmark flags]; see docs/cpp-api.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/native_libraries.h"
#include "library_floors.h"
#include "summary_reporter.h"
#include "production_ensemble.h"

namespace {

namespace core = ensemble::core;
namespace pe = production_ensemble;
using Clock = std::chrono::steady_clock;

using bench::Die;
using bench::kFeatures;
using bench::LightGBMFloor;
using bench::XGBoostFloor;

// Each floor output must equal the package's to this (the project's parity bound).
constexpr double kMaxDiff = 1e-6;

// ---------------------------------------------------------------------------------------------
// Shared state, set up once in main().

struct Suite {
  bool quick = false;
  int all_threads = 1;
  std::vector<double> rows;  // the fixture rows, kFeatures per row
  size_t num_rows = 0;
  std::vector<double> big;   // the rows tiled to the largest batch
  std::optional<pe::Ensemble> pkg1;    // loaded with threads = 1
  std::optional<pe::Ensemble> pkg_all;  // loaded with threads = all cores
  pe::Weights weights;
  std::unique_ptr<LightGBMFloor> lgb;
  std::unique_ptr<XGBoostFloor> xgb;
  std::shared_ptr<const core::Forest> forest;
  std::vector<double> out, lgb_out, xgb_out, rf_out, rf_proba;  // sized for the largest batch
};
Suite* g = nullptr;

const pe::Ensemble& Package(int threads) { return threads > 1 ? *g->pkg_all : *g->pkg1; }

double ForestOne(const double* row) {
  double p[2];
  g->forest->PredictRow(row, core::DType::kFloat64, core::OutputKind::kValue, p);
  return p[1];
}

void ForestBatch(const double* x, size_t rows, double* out, int threads) {
  g->forest->Predict(core::DenseMatrix{x, core::DType::kFloat64, rows, g->forest->num_features()},
                     core::OutputKind::kValue, g->rf_proba.data(), nullptr, threads);
  for (size_t i = 0; i < rows; ++i) out[i] = g->rf_proba[2 * i + 1];
}

// The ensemble at its floor: the three floors one after the other, combined as the package does
// (for a row, XGBoost with its reused proxy, the faster of its two single-row calls).
double FloorEnsembleOne(const double* row) {
  const pe::Weights& w = g->weights;
  return w.lightgbm * g->lgb->One(row) + w.xgboost * g->xgb->OneProxy(row) +
         w.random_forest * ForestOne(row);
}

// The same, with exactly the library calls the package makes (XGBoost without a proxy).
double FloorEnsembleOneSameCalls(const double* row) {
  const pe::Weights& w = g->weights;
  return w.lightgbm * g->lgb->One(row) + w.xgboost * g->xgb->One(row) +
         w.random_forest * ForestOne(row);
}

void FloorEnsembleBatch(const double* x, size_t rows, double* out, int threads) {
  g->lgb->Batch(x, rows, g->lgb_out.data(), threads);
  g->xgb->Batch(x, rows, g->xgb_out.data(), threads);
  ForestBatch(x, rows, g->rf_out.data(), threads);
  const pe::Weights& w = g->weights;
  for (size_t i = 0; i < rows; ++i) {
    out[i] = w.lightgbm * g->lgb_out[i] + w.xgboost * g->xgb_out[i] +
             w.random_forest * g->rf_out[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Benchmark bodies.

void SetRowCounters(benchmark::State& state, size_t rows_per_iteration, Clock::duration spent) {
  const double rows = static_cast<double>(rows_per_iteration) * state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["ns/row"] =
      rows > 0 ? std::chrono::duration<double, std::nano>(spent).count() / rows : 0;
}

// One row per iteration, cycling through the fixture rows.
template <typename F>
void RowLoop(benchmark::State& state, F score) {
  size_t i = 0;
  double sink = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    sink += score(&g->rows[i * kFeatures]);
    if (++i == g->num_rows) i = 0;
  }
  const auto spent = Clock::now() - start;
  benchmark::DoNotOptimize(sink);
  SetRowCounters(state, 1, spent);
}

// One batch of `rows` tiled rows per iteration into g->out.
template <typename F>
void BatchLoop(benchmark::State& state, size_t rows, F score) {
  const auto start = Clock::now();
  for (auto _ : state) {
    score(g->big.data(), rows, g->out.data());
    benchmark::ClobberMemory();
  }
  SetRowCounters(state, rows, Clock::now() - start);
}

// ---------------------------------------------------------------------------------------------
// Registration, and the pairs the summary compares.

using bench::Pair;
std::vector<Pair> g_pairs;

const char* const kModelNames[3] = {"lightgbm", "xgboost", "random_forest"};
const pe::Model kModels[3] = {pe::Model::kLightGBM, pe::Model::kXGBoost, pe::Model::kRandomForest};

std::string BatchName(const std::string& base, size_t rows, int threads) {
  return base + "/rows:" + std::to_string(rows) + "/threads:" + std::to_string(threads);
}

template <typename F>
benchmark::internal::Benchmark* Add(const std::string& name, F fn, bool batch) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), fn);
  b->UseRealTime()->Unit(batch ? benchmark::kMillisecond : benchmark::kMicrosecond);
  if (g->quick) b->MinTime(0.05);
  return b;
}

void RegisterSingleRow() {
  Add("package/ensemble/PredictOne",
      [](benchmark::State& s) { RowLoop(s, [](const double* r) { return g->pkg_all->PredictOne(r); }); },
      false);
  for (int m = 0; m < 3; ++m) {
    Add(std::string("package/") + kModelNames[m] + "/PredictModelOne",
        [m](benchmark::State& s) {
          RowLoop(s, [m](const double* r) { return g->pkg_all->PredictModelOne(kModels[m], r); });
        },
        false);
  }
  Add("floor/lightgbm/SingleRowFast",
      [](benchmark::State& s) { RowLoop(s, [](const double* r) { return g->lgb->One(r); }); }, false);
  Add("floor/xgboost/PredictFromDense",
      [](benchmark::State& s) { RowLoop(s, [](const double* r) { return g->xgb->One(r); }); }, false);
  Add("floor/xgboost/PredictFromDense_proxy",
      [](benchmark::State& s) { RowLoop(s, [](const double* r) { return g->xgb->OneProxy(r); }); },
      false);
  Add("floor/random_forest/engine",
      [](benchmark::State& s) { RowLoop(s, ForestOne); }, false);
  Add("floor/ensemble/three_floors",
      [](benchmark::State& s) { RowLoop(s, FloorEnsembleOne); }, false);
  Add("floor/ensemble/three_floors_package_calls",
      [](benchmark::State& s) { RowLoop(s, FloorEnsembleOneSameCalls); }, false);

  g_pairs.push_back({"ensemble, 1 row", "package/ensemble/PredictOne", "floor/ensemble/three_floors", 1});
  g_pairs.push_back({"ensemble, 1 row (floor: package's calls)", "package/ensemble/PredictOne", "floor/ensemble/three_floors_package_calls", 1});
  g_pairs.push_back({"lightgbm, 1 row", "package/lightgbm/PredictModelOne", "floor/lightgbm/SingleRowFast", 1});
  g_pairs.push_back({"xgboost, 1 row", "package/xgboost/PredictModelOne", "floor/xgboost/PredictFromDense", 1});
  g_pairs.push_back({"xgboost, 1 row (floor: reused proxy)", "package/xgboost/PredictModelOne", "floor/xgboost/PredictFromDense_proxy", 1});
  g_pairs.push_back({"random_forest, 1 row", "package/random_forest/PredictModelOne", "floor/random_forest/engine", 1});
}

void RegisterBatches() {
  std::vector<size_t> sizes = {100, 10000};
  if (!g->quick) sizes.push_back(1000000);
  std::vector<int> thread_counts = {1};
  if (g->all_threads > 1) thread_counts.push_back(g->all_threads);
  for (size_t rows : sizes) {
    for (int t : thread_counts) {
      const std::string pkg = BatchName("package/ensemble/PredictProba", rows, t);
      Add(pkg, [rows, t](benchmark::State& s) {
            BatchLoop(s, rows, [t](const double* x, size_t n, double* out) {
              Package(t).PredictProba(x, n, out);
            });
          }, true);
      const std::string floor = BatchName("floor/ensemble/three_floors", rows, t);
      Add(floor, [rows, t](benchmark::State& s) {
            BatchLoop(s, rows, [t](const double* x, size_t n, double* out) {
              FloorEnsembleBatch(x, n, out, t);
            });
          }, true);
      g_pairs.push_back({"ensemble, " + std::to_string(rows) + " rows, " + std::to_string(t) + " thr", pkg, floor, rows});

      for (int m = 0; m < 3; ++m) {
        const std::string pm = BatchName(std::string("package/") + kModelNames[m] + "/PredictModel", rows, t);
        Add(pm, [rows, t, m](benchmark::State& s) {
              BatchLoop(s, rows, [t, m](const double* x, size_t n, double* out) {
                Package(t).PredictModel(kModels[m], x, n, out);
              });
            }, true);
        static const char* const kFloorNames[3] = {"floor/lightgbm/PredictForMat",
                                                   "floor/xgboost/PredictFromDense",
                                                   "floor/random_forest/engine"};
        const std::string fm = BatchName(kFloorNames[m], rows, t);
        Add(fm, [rows, t, m](benchmark::State& s) {
              BatchLoop(s, rows, [t, m](const double* x, size_t n, double* out) {
                if (m == 0) g->lgb->Batch(x, n, out, t);
                if (m == 1) g->xgb->Batch(x, n, out, t);
                if (m == 2) ForestBatch(x, n, out, t);
              });
            }, true);
        g_pairs.push_back({std::string(kModelNames[m]) + ", " + std::to_string(rows) + " rows, " +
                               std::to_string(t) + " thr",
                           pm, fm, rows});
      }
    }
    // LightGBM's single-row fast path in a loop, against its own batch call on one thread.
    if (rows <= 10000) {
      Add(BatchName("floor/lightgbm/SingleRowFast_loop", rows, 1), [rows](benchmark::State& s) {
            BatchLoop(s, rows, [](const double* x, size_t n, double* out) {
              for (size_t i = 0; i < n; ++i) out[i] = g->lgb->One(x + i * kFeatures);
            });
          }, true);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Setup and the parity check.

std::vector<double> ReadRows(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot open " + path);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty() || bytes.size() % (kFeatures * sizeof(double)) != 0) {
    Die(path + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of rows of " +
        std::to_string(kFeatures) + " float64");
  }
  std::vector<double> v(bytes.size() / sizeof(double));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

// %g, so that a difference of 1e-12 does not print as 0.000000.
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double MaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// Every floor against the package on every fixture row, batch and single row; exits above 1e-6.
void CheckParity() {
  const size_t n = g->num_rows;
  const double* x = g->rows.data();
  std::vector<double> a(n), b(n);
  std::vector<std::pair<std::string, double>> diffs;
  auto both = [&](const std::string& what) {
    diffs.emplace_back(what, MaxDiff(a, b));
  };
  for (int t : {1, g->all_threads}) {
    const pe::Ensemble& pkg = Package(t);
    const std::string sfx = "_threads" + std::to_string(t);
    g->lgb->Batch(x, n, a.data(), t);
    pkg.PredictModel(pe::Model::kLightGBM, x, n, b.data());
    both("lightgbm_batch" + sfx);
    g->xgb->Batch(x, n, a.data(), t);
    pkg.PredictModel(pe::Model::kXGBoost, x, n, b.data());
    both("xgboost_batch" + sfx);
    ForestBatch(x, n, a.data(), t);
    pkg.PredictModel(pe::Model::kRandomForest, x, n, b.data());
    both("random_forest_batch" + sfx);
    FloorEnsembleBatch(x, n, a.data(), t);
    pkg.PredictProba(x, n, b.data());
    both("ensemble_batch" + sfx);
  }
  const pe::Ensemble& pkg = *g->pkg_all;
  for (size_t i = 0; i < n; ++i) {
    a[i] = g->xgb->OneProxy(x + i * kFeatures);
    b[i] = pkg.PredictModelOne(pe::Model::kXGBoost, x + i * kFeatures);
  }
  both("xgboost_row_proxy");
  for (int m = 0; m < 3; ++m) {
    for (size_t i = 0; i < n; ++i) {
      const double* row = x + i * kFeatures;
      a[i] = m == 0 ? g->lgb->One(row) : m == 1 ? g->xgb->One(row) : ForestOne(row);
      b[i] = pkg.PredictModelOne(kModels[m], row);
    }
    both(std::string(kModelNames[m]) + "_row");
  }
  for (size_t i = 0; i < n; ++i) {
    a[i] = FloorEnsembleOne(x + i * kFeatures);
    b[i] = pkg.PredictOne(x + i * kFeatures);
  }
  both("ensemble_row");
  for (size_t i = 0; i < n; ++i) a[i] = FloorEnsembleOneSameCalls(x + i * kFeatures);
  both("ensemble_row_package_calls");

  double worst = 0;
  std::string summary;
  for (const auto& [what, d] : diffs) {
    benchmark::AddCustomContext("max_abs_diff_floor_vs_package." + what, Num(d));
    summary += " " + what + "=" + Num(d);
    worst = std::max(worst, d);
  }
  std::fprintf(stderr, "parity (max |floor - package| over %zu rows):%s\n", n, summary.c_str());
  if (!(worst <= kMaxDiff)) {
    Die("the floor and the package disagree by " + Num(worst) + " (> 1e-6): the "
        "comparison would be meaningless");
  }
}

void Setup(bool quick) {
  g->quick = quick;
  g->all_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const char* env = std::getenv("ENSEMBLE_BENCH_MODELS");
  const std::string dir =
      env != nullptr && *env != '\0' ? env : std::string(ENSEMBLE_SOURCE_DIR) + "/models/production";

  pe::LoadOptions options;
  options.library_dirs.push_back(ENSEMBLE_LIBRARY_DIR);
  options.threads = 1;
  g->pkg1.emplace(pe::Ensemble::Load(dir, options));
  options.threads = g->all_threads;
  g->pkg_all.emplace(pe::Ensemble::Load(dir, options));
  if (g->pkg1->num_features() != kFeatures) {
    Die(dir + " has " + std::to_string(g->pkg1->num_features()) + " features; the fixture rows have " +
        std::to_string(kFeatures));
  }
  g->weights = g->pkg1->weights();
  const pe::Info info = g->pkg1->info();

  // The floor loads the very files and libraries the package loaded.
  core::LibrarySearch search;
  search.dirs.push_back(ENSEMBLE_LIBRARY_DIR);
  const core::LightGBMApi& lgb_api = core::LoadLightGBM(search);
  const core::XGBoostApi& xgb_api = core::LoadXGBoost(search);
  if (lgb_api.library.path != info.models[0].library || xgb_api.library.path != info.models[1].library) {
    Die("the floor would load other libraries than the package (" + lgb_api.library.path + ", " +
        xgb_api.library.path + ")");
  }
  g->lgb = std::make_unique<LightGBMFloor>(lgb_api, info.models[0].path);
  g->xgb = std::make_unique<XGBoostFloor>(xgb_api, info.models[1].path, g->all_threads);
  g->forest = core::Forest::FromFile(info.models[2].path);

  g->rows = ReadRows(std::string(ENSEMBLE_SOURCE_DIR) + "/test/fixtures/production/inputs.f64");
  g->num_rows = g->rows.size() / kFeatures;
  const size_t max_rows = quick ? 10000 : 1000000;
  g->big.resize(max_rows * kFeatures);
  for (size_t i = 0; i < g->big.size(); ++i) g->big[i] = g->rows[i % g->rows.size()];
  for (auto* v : {&g->out, &g->lgb_out, &g->xgb_out, &g->rf_out}) v->resize(max_rows);
  g->rf_proba.resize(2 * max_rows);

  benchmark::AddCustomContext("models", dir);
  benchmark::AddCustomContext("rows", "test/fixtures/production/inputs.f64 (" +
                                          std::to_string(g->num_rows) + " rows, tiled)");
  benchmark::AddCustomContext("threads_all", std::to_string(g->all_threads));
  benchmark::AddCustomContext("quick", quick ? "true" : "false");
  for (const auto& m : info.models) {
    benchmark::AddCustomContext(m.role + ".trees", std::to_string(m.num_trees));
    if (!m.library.empty()) {
      benchmark::AddCustomContext(m.role + ".library", m.library + " " + m.library_version);
    }
  }
  std::fprintf(stderr, "models %s; LightGBM %s, XGBoost %s; %d threads%s\n", dir.c_str(),
               lgb_api.library.version.c_str(), xgb_api.library.version.c_str(), g->all_threads,
               quick ? "; quick" : "");
  CheckParity();
}

}  // namespace

int main(int argc, char** argv) {
  // Our one flag; the rest are Google Benchmark's.
  bool quick = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  Suite suite;
  g = &suite;
  try {
    Setup(quick);
  } catch (const pe::Error& e) {
    Die(std::string("[") + e.code() + "] " + e.what());
  } catch (const core::Error& e) {
    Die(std::string("[") + core::CodeName(e.code()) + "] " + e.what());
  }
  RegisterSingleRow();
  RegisterBatches();

  bench::SummaryReporter display(&g_pairs, isatty(STDOUT_FILENO)
                                               ? benchmark::ConsoleReporter::OO_ColorTabular
                                               : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&display);
  benchmark::Shutdown();
  g = nullptr;
  return 0;
}
