// Lab: where one part's time goes (ranking vs summing), AVX-512, one thread.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../../../native/core/engine_program.h"
#include "ensemble/engine.h"
#include "ensemble/file_io.h"
#include "ensemble/forest_model.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"

using namespace ensemble::core;
namespace ensemble::core::engine {
void CompilePart(std::shared_ptr<const EngineModel> model, std::vector<int> columns, PartProgram* out);
}
ForestModel RawForest(const std::vector<uint8_t>& b);

static double Time(const std::function<void()>& fn, int reps = 7) {
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

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models/production";
  const size_t N = 65536;
  const auto lb = ReadFileBytes(dir + "/lightgbm.txt");
  const auto xb = ReadFileBytes(dir + "/xgboost.json");
  const auto fb = ReadFileBytes(dir + "/random_forest.forest");
  auto lm = std::make_shared<EngineModel>(), xm = std::make_shared<EngineModel>();
  std::string why;
  ImportLightGBM(ParseLightGBMText(std::string_view(reinterpret_cast<const char*>(lb.data()), lb.size()), "l"), lm.get(), &why);
  ImportXGBoost(ParseXGBoostModel(xb.data(), xb.size(), "x"), xm.get(), &why);
  auto fm = std::make_shared<EngineModel>(ImportForest(RawForest(fb)));
  const auto raw = ReadFileBytes("test/fixtures/production/inputs.f64");
  const size_t nf = 12, base_rows = raw.size() / 96;
  std::vector<double> x(N * nf);
  for (size_t r = 0; r < N; ++r) std::memcpy(&x[r * nf], raw.data() + (r % base_rows) * 96, 96);
  const char* names[] = {"lightgbm", "xgboost", "forest(up)"};
  std::shared_ptr<const EngineModel> ms[] = {lm, xm, fm};
  for (int i = 0; i < 3; ++i) {
    engine::PartProgram p;
    engine::CompilePart(ms[i], i == 2 ? std::vector<int>{1} : std::vector<int>{}, &p);
    const size_t blocks = N / 64;
    std::vector<uint8_t> ranks(blocks * p.rank_bytes() + 64);
    const double tr = Time([&] {
      for (size_t b = 0; b < blocks; ++b) engine::RankBlockAvx512(p, &x[b * 64 * nf], nf, 64, &ranks[b * p.rank_bytes()]);
    });
    std::vector<double> d(N);
    std::vector<float> f(N);
    const double ts = Time([&] {
      for (size_t b = 0; b < blocks; b += 16) {
        engine::Blocks span{&ranks[b * p.rank_bytes()], p.rank_bytes(), 16, &d[b * 64], &f[b * 64]};
        engine::SumBlocksAvx512(p, span);
      }
    });
    size_t walk_exits = 0, tops = 0;
    for (auto& t : p.trees) { tops += t.top_count; walk_exits += t.table < 0; }
    std::printf("%-11s rank %6.0f ns/row, sums %6.0f ns/row (%zu trees, %zu top nodes, %zu trees walk below, %zu columns, %s ranks)\n",
                names[i], 1e9 * tr / N, 1e9 * ts / N, p.trees.size(), tops, walk_exits, p.num_columns, p.wide_ranks ? "u16" : "u8");
  }
}
