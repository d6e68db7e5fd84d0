// Engine lab driver: every design on the same models and rows, one thread, checked bit for bit
// against the current engine. Usage: engine_lab MODEL_DIR INPUTS.f64 [rows]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ensemble/file_io.h"
#include "ensemble/forest.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/tree_engine.h"
#include "ensemble/xgboost_model.h"
#include "ir.h"
#include "quant.h"
#include "sliced.h"
#include "quant2.h"
#include "sliced2.h"
#include "walk.h"

using namespace ensemble::core;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Time(const std::function<void()>& fn, int reps = 5) {
  std::vector<double> t;
  fn();
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  return Median(t);
}

double MaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], 8) == 0) continue;
    m = std::max(m, std::fabs(a[i] - b[i]));
    if (std::isnan(m)) m = INFINITY;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models/production";
  const std::string in = argc > 2 ? argv[2] : "test/fixtures/production/inputs.f64";
  const size_t N = argc > 3 ? std::stoul(argv[3]) : 200000;
  const auto lgb_bytes = ReadFileBytes(dir + "/lightgbm.txt");
  const auto xgb_bytes = ReadFileBytes(dir + "/xgboost.json");
  const auto rf_bytes = ReadFileBytes(dir + "/random_forest.forest");
  const LightGBMModel lgbm =
      ParseLightGBMText(std::string_view(reinterpret_cast<const char*>(lgb_bytes.data()), lgb_bytes.size()), "lgb");
  const XGBoostModel xgbm = ParseXGBoostModel(xgb_bytes.data(), xgb_bytes.size(), "xgb");
  const Forest forest = Forest::FromBytes(rf_bytes.data(), rf_bytes.size(), "rf");
  std::string why;
  auto lgb_e = BoosterEngine::FromLightGBM(lgbm, &why);
  auto xgb_e = BoosterEngine::FromXGBoost(xgbm, &why);

  const auto raw = ReadFileBytes(in);
  const size_t nf = 12, base_rows = raw.size() / 8 / nf;
  std::vector<double> x(N * nf);
  for (size_t r = 0; r < N; ++r)
    std::memcpy(&x[r * nf], raw.data() + (r % base_rows) * nf * 8, nf * 8);
  const DenseMatrix X{x.data(), DType::kFloat64, N, nf};

  lab::Model models[3] = {lab::FromLightGBM(lgbm), lab::FromXGBoost(xgbm), lab::FromForestFile(rf_bytes)};
  std::vector<double> ref[3];
  ref[0].resize(N);
  ref[1].resize(N);
  ref[2].resize(N * 2);
  double tb[3];
  tb[0] = Time([&] { lgb_e->Predict(X, OutputKind::kRawMargin, ref[0].data(), 1); });
  tb[1] = Time([&] { xgb_e->Predict(X, OutputKind::kRawMargin, ref[1].data(), 1); });
  tb[2] = Time([&] { forest.PredictProba(x.data(), N, ref[2].data(), 1); });

  std::printf("rows %zu, one thread; rows/s (ns/row)\n", N);
  for (int m = 0; m < 3; ++m) {
    size_t nodes = 0, leaves = 0;
    for (auto& t : models[m].trees) {
      nodes += t.nodes.size();
      for (auto& n : t.nodes) leaves += n.feature < 0;
    }
    lab::Quant q;
    q.Add(models[m]);
    q.Finish();
    size_t maxu = 0;
    for (auto& u : q.U) maxu = std::max(maxu, u.size());
    std::printf("\n%s: %zu trees, %zu nodes, %zu leaves, %d columns, max thresholds/feature %zu\n",
                models[m].name.c_str(), models[m].trees.size(), nodes, leaves, q.columns(), maxu);
    std::printf("  %-28s %10.0f (%6.0f)\n", "current engine", N / tb[m], 1e9 * tb[m] / N);

    const int W = q.columns();
    const int o = models[m].outputs;
    // Quantisation alone: 64-row blocks, column-major.
    std::vector<uint16_t> Rall((N + 63) / 64 * 64 * W);
    std::vector<uint16_t> row(W);
    const double tq = Time([&] {
      for (size_t r = 0; r < N; ++r) {
        q.RankRow(&x[r * nf], row.data());
        uint16_t* blk = &Rall[(r / 64) * 64 * W];
        for (int c = 0; c < W; ++c) blk[c * 64 + r % 64] = row[c];
      }
    });
    std::printf("  %-28s %10.0f (%6.0f)\n", "quantise (binary search)", N / tq, 1e9 * tq / N);

    std::vector<double> out(N * o);
    std::vector<float> outf(N);
    auto finish = [&] {
      std::vector<double> got(N * o);
      for (size_t i = 0; i < N * o; ++i) {
        if (models[m].acc == lab::Acc::kFloat) got[i] = outf[i];
        else if (models[m].acc == lab::Acc::kClassMean) got[i] = out[i] / models[m].trees.size();
        else got[i] = out[i];
      }
      return MaxDiff(got, ref[m]);
    };
    // Rank walk, 16 lanes of rows per tree, blocks of 1024 rows (row-major ranks).
    {
      lab::WalkModel w;
      w.Build(models[m], q);
      std::vector<uint16_t> rr(1024 * W);
      const double t = Time([&] {
        for (size_t b = 0; b < N; b += 1024) {
          const size_t n = std::min<size_t>(1024, N - b);
          for (size_t r = 0; r < n; ++r) q.RankRow(&x[(b + r) * nf], &rr[r * W]);
          std::fill(out.begin() + b * o, out.begin() + (b + n) * o, 0.0);
          std::fill(outf.begin() + b, outf.begin() + b + n, static_cast<float>(w.base));
          lab::WalkBlock(w, rr.data(), W, n, out.data() + b * o, outf.data() + b);
        }
      });
      std::printf("  %-28s %10.0f (%6.0f)  max|diff| %g\n", "rank walk (incl. quantise)", N / t, 1e9 * t / N, finish());
    }
    // Bit-sliced top + walk, 64-row blocks.
    for (int mi : {15, 31, 63, 127}) {
      lab::SlicedModel s;
      s.Build(models[m], q, mi);
      const double t = Time([&] {
        for (size_t b = 0; b < N; b += 64) {
          const size_t n = std::min<size_t>(64, N - b);
          alignas(64) double accd[64 * 8];
          alignas(64) float accf[64];
          std::fill(accd, accd + 64 * o, 0.0);
          std::fill(accf, accf + 64, static_cast<float>(s.base));
          lab::SlicedBlock(s, &Rall[b * W], accd, accf);
          std::copy(accd, accd + n * o, out.begin() + b * o);
          std::copy(accf, accf + n, outf.begin() + b);
        }
      });
      char name[64];
      std::snprintf(name, sizeof name, "sliced top %d (excl. quantise)", mi);
      std::printf("  %-28s %10.0f (%6.0f)  max|diff| %g\n", name, N / t, 1e9 * t / N, finish());
    }
    auto round2 = [&](auto tag) {
      using R = decltype(tag);
      lab::Quant2<R> q2;
      q2.Build(models[m]);
      const int W2 = q2.columns();
      std::vector<R> X2((N + 63) / 64 * 64 * W2);
      const double tq2 = Time([&] {
        for (size_t b = 0; b < N; b += 64)
          q2.Block(&x[b * nf], nf, std::min<size_t>(64, N - b), &X2[b * W2]);
      });
      std::printf("  %-28s %10.0f (%6.0f)  rank bytes %zu\n", "quantise2 (block)", N / tq2, 1e9 * tq2 / N, sizeof(R));
      for (int mi : {31, 63, 127}) {
        lab::Sliced2<R> s;
        s.Build(models[m], q2, mi);
        const double t = Time([&] {
          for (size_t b = 0; b < N; b += 64) {
            const size_t n = std::min<size_t>(64, N - b);
            alignas(64) double accd[64 * 8];
            alignas(64) float accf[64];
            std::fill(accd, accd + 64 * o, 0.0);
            std::fill(accf, accf + 64, static_cast<float>(s.base));
            lab::SlicedBlock2<R>(s, &X2[b * W2], accd, accf);
            std::copy(accd, accd + n * o, out.begin() + b * o);
            std::copy(accf, accf + n, outf.begin() + b);
          }
        });
        char name[64];
        std::snprintf(name, sizeof name, "sliced2 top %d (excl. q)", mi);
        std::printf("  %-28s %10.0f (%6.0f)  max|diff| %g\n", name, N / t, 1e9 * t / N, finish());
      }
    };
    if (lab::Quant2<uint8_t>::Fits(models[m])) round2(uint8_t{});
    round2(uint16_t{});
  }
  return 0;
}
