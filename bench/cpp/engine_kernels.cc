// The tree engine's kernels side by side (docs/engine.md): each model of a set and the three in
// one pass, on every kernel this CPU runs, one and two threads, and single rows; every kernel's
// sums checked bit for bit against the portable kernel's before it is timed.
// Usage: engine_kernels [--models DIR] [--rows FILE.f64] [--n ROWS] [--reps N] [--json FILE]
//        [--gather]   (also the AVX-512 kernel walking with gathers, a design not chosen)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/file_io.h"
#include "ensemble/forest_model.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"

using namespace ensemble::core;

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Timing {
  double wall;  // median seconds
  double cpu;   // CPU seconds / wall seconds over all repetitions
};

Timing Time(const std::function<void()>& fn, int reps) {
  fn();  // warm-up: caches, the pool's threads, first-touch of the output
  std::vector<double> t;
  double wall = 0;
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    wall += t.back();
  }
  const double cpu = CpuSeconds() - cpu0;
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], cpu / wall};
}

std::shared_ptr<const EngineModel> Load(const std::string& dir, const std::string& which) {
  std::string why;
  auto m = std::make_shared<EngineModel>();
  if (which == "lightgbm") {
    const auto b = ReadFileBytes(dir + "/lightgbm.txt");
    const auto model = ParseLightGBMText(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), "lightgbm");
    if (!ImportLightGBM(model, m.get(), &why)) throw std::runtime_error("lightgbm: " + why);
  } else if (which == "xgboost") {
    const auto b = ReadFileBytes(dir + "/xgboost.json");
    if (!ImportXGBoost(ParseXGBoostModel(b.data(), b.size(), "xgboost"), m.get(), &why)) {
      throw std::runtime_error("xgboost: " + why);
    }
  } else {
    const auto b = ReadFileBytes(dir + "/random_forest.forest");
    *m = ImportForest(ParseForest(b.data(), b.size(), "random_forest"));
  }
  return m;
}

struct Row {
  std::string part, kernel;
  double rows_1t, rows_2t, cpu_2t, one_row_ns;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "models/production", rows_file = "test/fixtures/production/inputs.f64", json;
  size_t n = 200000;
  int reps = 5;
  bool gather = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--models") dir = next();
    else if (a == "--rows") rows_file = next();
    else if (a == "--n") n = std::stoul(next());
    else if (a == "--reps") reps = std::stoi(next());
    else if (a == "--json") json = next();
    else if (a == "--gather") gather = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  const auto lgb = Load(dir, "lightgbm"), xgb = Load(dir, "xgboost"), rf = Load(dir, "forest");
  const size_t nf = static_cast<size_t>(lgb->num_features);
  const auto raw = ReadFileBytes(rows_file);
  const size_t base = raw.size() / (8 * nf);
  std::vector<double> x(n * nf);
  for (size_t r = 0; r < n; ++r) std::memcpy(&x[r * nf], raw.data() + (r % base) * nf * 8, nf * 8);
  const DenseMatrix X{x.data(), DType::kFloat64, n, nf};

  struct Part {
    std::string name;
    std::shared_ptr<const TreeEngine> engine;
  };
  // The forest's sums: P(class 1) numerators only (column 1), as the ensemble uses it.
  std::vector<Part> parts{
      {"lightgbm", TreeEngine::Compile({{lgb, {}}})},
      {"xgboost", TreeEngine::Compile({{xgb, {}}})},
      {"random_forest", TreeEngine::Compile({{rf, {1}}})},
      {"all three", TreeEngine::Compile({{lgb, {}}, {xgb, {}}, {rf, {1}}})},
  };
  std::vector<std::string> kernels{"portable", "avx2", "avx512"};
  if (gather) kernels.push_back("avx512-gather");

  std::printf("models %s, %zu rows (of %s), median of %d; rows/s, 2-thread CPU/wall, one row ns\n",
              dir.c_str(), n, rows_file.c_str(), reps);
  std::vector<Row> results;
  for (const Part& part : parts) {
    const size_t np = part.engine->num_parts();
    std::vector<double> want(n * np), got(n * np);
    auto score = [&](std::vector<double>& out, int threads) {
      part.engine->Sums(X, threads, [&](size_t b, size_t e, const double* const* s) {
        for (size_t p = 0; p < np; ++p) std::memcpy(&out[p * n + b], s[p], (e - b) * sizeof(double));
      });
    };
    ForceEngineKernel("portable");
    score(want, 1);
    for (const std::string& k : kernels) {
      if (!ForceEngineKernel(k)) continue;
      score(got, 2);
      if (std::memcmp(got.data(), want.data(), got.size() * sizeof(double)) != 0) {
        std::fprintf(stderr, "%s [%s]: sums differ from the portable kernel's\n", part.name.c_str(), k.c_str());
        return 1;
      }
      Row row{part.name, k, 0, 0, 0, 0};
      row.rows_1t = static_cast<double>(n) / Time([&] { score(got, 1); }, reps).wall;
      const Timing two = Time([&] { score(got, 2); }, reps);
      row.rows_2t = static_cast<double>(n) / two.wall;
      row.cpu_2t = two.cpu;
      // Single rows: 2,000 distinct rows a batch, the median batch's time per row.
      std::vector<double> sums(np * 4);
      std::vector<double*> outs(np);
      for (size_t p = 0; p < np; ++p) outs[p] = &sums[p * 4];
      const size_t m = std::min<size_t>(2000, n);
      row.one_row_ns = 1e9 / static_cast<double>(m) * Time([&] {
        for (size_t r = 0; r < m; ++r) part.engine->SumsRow(&x[r * nf], DType::kFloat64, outs.data());
      }, 3 * reps).wall;
      std::printf("  %-14s %-14s %10.0f  %10.0f (%.2f)  %7.0f\n", part.name.c_str(), k.c_str(),
                  row.rows_1t, row.rows_2t, row.cpu_2t, row.one_row_ns);
      results.push_back(row);
    }
  }
  ForceEngineKernel("");
  if (!json.empty()) {
    FILE* f = std::fopen(json.c_str(), "w");
    if (f == nullptr) return 1;
    std::fprintf(f, "{\"models\": \"%s\", \"rows\": %zu, \"reps\": %d, \"results\": [\n", dir.c_str(), n, reps);
    for (size_t i = 0; i < results.size(); ++i) {
      const Row& r = results[i];
      std::fprintf(f, "  {\"part\": \"%s\", \"kernel\": \"%s\", \"rowsPerSecond1Thread\": %.0f, "
                      "\"rowsPerSecond2Threads\": %.0f, \"cpuPerWall2Threads\": %.3f, \"oneRowNs\": %.1f}%s\n",
                   r.part.c_str(), r.kernel.c_str(), r.rows_1t, r.rows_2t, r.cpu_2t, r.one_row_ns,
                   i + 1 < results.size() ? "," : "");
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  return 0;
}
