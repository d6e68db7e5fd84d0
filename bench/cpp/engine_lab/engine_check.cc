// Lab: the production TreeEngine against the current engines, bit for bit, and timed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/file_io.h"
#include "ensemble/forest.h"
#include "ensemble/forest_model.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/tree_engine.h"
#include "ensemble/xgboost_model.h"

using namespace ensemble::core;

static double Time(const std::function<void()>& fn, int reps = 5) {
  std::vector<double> t;
  fn();
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static uint32_t U32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
static int32_t I32(const uint8_t* p) { int32_t v; std::memcpy(&v, p, 4); return v; }
static double F64(const uint8_t* p) { double v; std::memcpy(&v, p, 8); return v; }

static ForestModel RawForest(const std::vector<uint8_t>& b) {
  ForestModel m;
  const uint8_t* d = b.data();
  const uint32_t flags = U32(d + 12), nf = U32(d + 16), nc = U32(d + 20), nt = U32(d + 24),
                 nn = U32(d + 28), nl = U32(d + 32);
  m.num_features = nf;
  m.num_classes = nc;
  m.allows_nan = flags & 1;
  const size_t offsets_at = 48;
  const size_t nodes_at = (offsets_at + 4 * (nt + 1) + 7) & ~size_t{7};
  const size_t leaves_at = nodes_at + 24 * size_t{nn};
  for (size_t i = 0; i < size_t{nl} * nc; ++i) m.leaf_values.push_back(F64(d + leaves_at + 8 * i));
  for (uint32_t t = 0; t <= nt; ++t) m.tree_begin.push_back(U32(d + offsets_at + 4 * t));
  for (uint32_t i = 0; i < nn; ++i) {
    const uint8_t* p = d + nodes_at + 24 * size_t{i};
    ForestNode n;
    n.feature = I32(p);
    n.left = I32(p + 4);
    n.right = I32(p + 8);
    n.missing_left = p[12];
    n.threshold = F64(p + 16);
    m.nodes.push_back(n);
  }
  return m;
}

static double MaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], 8) == 0) continue;
    const double d = std::fabs(a[i] - b[i]);
    m = std::max(m, std::isnan(d) ? INFINITY : d);
  }
  return m;
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models/production";
  const std::string in = argc > 2 ? argv[2] : "test/fixtures/production/inputs.f64";
  const size_t N = argc > 3 ? std::stoul(argv[3]) : 200000;
  const int threads = argc > 4 ? std::stoi(argv[4]) : 1;
  const auto lb = ReadFileBytes(dir + "/lightgbm.txt");
  const auto xb = ReadFileBytes(dir + "/xgboost.json");
  const auto fb = ReadFileBytes(dir + "/random_forest.forest");
  const LightGBMModel lgbm = ParseLightGBMText(std::string_view(reinterpret_cast<const char*>(lb.data()), lb.size()), "lgb");
  const XGBoostModel xgbm = ParseXGBoostModel(xb.data(), xb.size(), "xgb");
  const Forest forest = Forest::FromBytes(fb.data(), fb.size(), "rf");
  std::string why;
  auto lgb_old = BoosterEngine::FromLightGBM(lgbm, &why);
  auto xgb_old = BoosterEngine::FromXGBoost(xgbm, &why);
  auto lm = std::make_shared<EngineModel>(), xm = std::make_shared<EngineModel>();
  if (!ImportLightGBM(lgbm, lm.get(), &why) || !ImportXGBoost(xgbm, xm.get(), &why)) {
    std::printf("import: %s\n", why.c_str());
    return 1;
  }
  auto fm = std::make_shared<EngineModel>(ImportForest(RawForest(fb)));

  const auto raw = ReadFileBytes(in);
  const size_t nf = 12, base_rows = raw.size() / 8 / nf;
  std::vector<double> x(N * nf);
  for (size_t r = 0; r < N; ++r) std::memcpy(&x[r * nf], raw.data() + (r % base_rows) * nf * 8, nf * 8);
  std::vector<float> x32(x.begin(), x.end());
  const DenseMatrix X{x.data(), DType::kFloat64, N, nf};
  const DenseMatrix X32{x32.data(), DType::kFloat32, N, nf};

  std::vector<double> ref_l(N), ref_x(N), ref_f(N * 2), ref_l32(N), ref_x32(N), ref_f32(N * 2);
  const double tl = Time([&] { lgb_old->Predict(X, OutputKind::kRawMargin, ref_l.data(), threads); });
  const double tx = Time([&] { xgb_old->Predict(X, OutputKind::kRawMargin, ref_x.data(), threads); });
  const double tf = Time([&] { forest.PredictProba(x.data(), N, ref_f.data(), threads); });
  lgb_old->Predict(X32, OutputKind::kRawMargin, ref_l32.data(), 1);
  xgb_old->Predict(X32, OutputKind::kRawMargin, ref_x32.data(), 1);
  forest.PredictProba(x32.data(), N, ref_f32.data(), 1);

  for (const char* kernel : {"portable", "avx512", "avx512-gather"}) {
    if (!ForceEngineKernel(kernel)) continue;
    auto el = TreeEngine::Compile({{lm, {}}});
    auto ex = TreeEngine::Compile({{xm, {}}});
    auto ef = TreeEngine::Compile({{fm, {}}});
    auto all = TreeEngine::Compile({{lm, {}}, {xm, {}}, {fm, {1}}});
    std::vector<double> a(N), b(N), c(N * 2), c1(N);
    double* oa[] = {a.data()};
    double* ob[] = {b.data()};
    double* oc[] = {c.data()};
    double* o3[] = {a.data(), b.data(), c1.data()};
    const double t1 = Time([&] { el->Sums(X, oa, threads); });
    const double t2 = Time([&] { ex->Sums(X, ob, threads); });
    const double t3 = Time([&] { ef->Sums(X, oc, threads); });
    for (auto& v : c) v /= 100;  // forest: mean over trees (100)
    std::printf("[%s] rows %zu threads %d   rows/s new vs old\n", kernel, N, threads);
    std::printf("  lightgbm  %9.0f vs %9.0f (%.2fx)  max|diff| %g\n", N / t1, N / tl, tl / t1, MaxDiff(a, ref_l));
    std::printf("  xgboost   %9.0f vs %9.0f (%.2fx)  max|diff| %g\n", N / t2, N / tx, tx / t2, MaxDiff(b, ref_x));
    std::printf("  forest    %9.0f vs %9.0f (%.2fx)  max|diff| %g\n", N / t3, N / tf, tf / t3, MaxDiff(c, ref_f));
    const double t4 = Time([&] { all->Sums(X, o3, threads); });
    std::printf("  all three %9.0f vs %9.0f (%.2fx)\n", N / t4, N / (tl + tx + tf), (tl + tx + tf) / t4);
    // float32 input
    el->Sums(X32, oa, 1);
    ex->Sums(X32, ob, 1);
    ef->Sums(X32, oc, 1);
    for (auto& v : c) v /= 100;
    std::printf("  float32 max|diff| lgb %g xgb %g rf %g\n", MaxDiff(a, ref_l32), MaxDiff(b, ref_x32), MaxDiff(c, ref_f32));
    // single rows
    double s1, s2, s3;
    double* r1[] = {&s1};
    double* r2[] = {&s2};
    double* r3[] = {&s3, &s3};
    std::vector<double> rows(2064), rowsx(2064);
    double worst = 0;
    for (size_t r = 0; r < 2064; ++r) {
      el->SumsRow(&x[r * nf], DType::kFloat64, r1);
      ex->SumsRow(&x[r * nf], DType::kFloat64, r2);
      worst = std::max({worst, std::fabs(s1 - ref_l[r]), std::fabs(s2 - ref_x[r])});
    }
    const size_t R = 20000;
    double l3[3];
    double* o1[] = {&l3[0], &l3[1], &l3[2]};
    const double ts = Time([&] { for (size_t r = 0; r < R; ++r) all->SumsRow(&x[(r % 2064) * nf], DType::kFloat64, o1); });
    std::printf("  single row: max|diff| %g; all three %.2f us/row\n", worst, 1e6 * ts / R);
    double q[2];
    double* oq[] = {q, q + 1};
    const double tl1 = Time([&] { for (size_t r = 0; r < R; ++r) el->SumsRow(&x[(r % 2064) * nf], DType::kFloat64, oq); });
    const double tx1 = Time([&] { for (size_t r = 0; r < R; ++r) ex->SumsRow(&x[(r % 2064) * nf], DType::kFloat64, oq); });
    const double tf1 = Time([&] { for (size_t r = 0; r < R; ++r) ef->SumsRow(&x[(r % 2064) * nf], DType::kFloat64, oq); });
    std::printf("  single row us: lgb %.2f xgb %.2f rf %.2f\n", 1e6 * tl1 / R, 1e6 * tx1 / R, 1e6 * tf1 / R);
    (void)r3;
  }
  return 0;
}
