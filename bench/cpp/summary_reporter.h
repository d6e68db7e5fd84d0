// The summary the C++ benchmark suite prints after Google Benchmark's table: each package
// benchmark against its floor, per row, and the sum of the three models' fastest single rows.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace bench {

/// A package benchmark and the floor it is compared with, by registered name.
struct Pair {
  std::string what;     ///< the row label
  std::string package;  ///< the package's benchmark
  std::string floor;    ///< the floor's benchmark
  size_t rows;          ///< rows per iteration of both
};

/// The console reporter, plus the package-against-floor summary in Finalize().
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  /// `pairs` must outlive the reporter; it is read in Finalize, after every run.
  SummaryReporter(const std::vector<Pair>* pairs, OutputOptions options)
      : benchmark::ConsoleReporter(options), pairs_(pairs) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    benchmark::ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred || r.iterations <= 0) continue;
      const double s = r.real_accumulated_time / static_cast<double>(r.iterations);
      const std::string& name = r.run_name.function_name;
      auto it = seconds_.find(name);
      if (it == seconds_.end() || s < it->second) seconds_[name] = s;
    }
  }

  void Finalize() override {
    benchmark::ConsoleReporter::Finalize();
    std::FILE* f = stdout;
    std::fflush(f);
    std::fprintf(f, "\nPackage (production_ensemble.h) against the floor (the libraries' C APIs; "
                    "the forest: the package's own engine), per row:\n");
    std::fprintf(f, "%-42s %14s %14s %10s\n", "what", "package ns/row", "floor ns/row", "pkg/floor");
    for (const Pair& p : *pairs_) {
      const double a = Get(p.package), b = Get(p.floor);
      if (a < 0 || b < 0) continue;
      const double n = static_cast<double>(p.rows);
      std::fprintf(f, "%-42s %14.1f %14.1f %10.3f\n", p.what.c_str(), a / n * 1e9, b / n * 1e9,
                   a / b);
    }
    const double l = Get("floor/lightgbm/SingleRowFast"),
                 x = Best(Get("floor/xgboost/PredictFromDense"),
                          Get("floor/xgboost/PredictFromDense_proxy")),
                 r = Get("floor/random_forest/engine");
    if (l >= 0 && x >= 0 && r >= 0) {
      std::fprintf(f, "LightGBM + XGBoost + forest best single row (sum of the three floors): "
                      "%.2f us (%.2f + %.2f + %.2f)\n",
                   (l + x + r) * 1e6, l * 1e6, x * 1e6, r * 1e6);
    }
    std::fflush(f);
  }

 private:
  double Get(const std::string& name) const {
    auto it = seconds_.find(name);
    return it == seconds_.end() ? -1 : it->second;
  }
  static double Best(double a, double b) { return a < 0 ? b : b < 0 ? a : std::min(a, b); }
  const std::vector<Pair>* pairs_;
  std::map<std::string, double> seconds_;  // fastest wall time per iteration, by benchmark name
};

}  // namespace bench
