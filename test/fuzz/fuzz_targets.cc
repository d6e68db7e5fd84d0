// The fuzz targets (fuzz_targets.h): parse, then import, compile and score what was accepted.
#include "fuzz_targets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/forest_model.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/matrix.h"
#include "ensemble/metadata.h"
#include "ensemble/xgboost_model.h"

namespace ensemble::fuzz {
namespace {

namespace core = ensemble::core;

[[noreturn]] void Finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

// Runs a parse step: a core::Error is a refusal (the expected answer to bad bytes); any other
// exception means bad input got past the checks into code that did not expect it.
template <typename Step>
bool Accepts(Step&& step) {
  try {
    step();
    return true;
  } catch (const core::Error&) {
    return false;
  } catch (const std::exception& e) {
    Finding(e.what());
  }
}

// Rows built from the model's own thresholds (each, its neighbours, NaN, 0, +-huge), the cells
// the engine's rank search and walks are most likely to get wrong.
std::vector<double> ProbeRows(const core::EngineModel& m, size_t rows, bool allow_inf) {
  const size_t nf = static_cast<size_t>(m.num_features);
  std::vector<double> x(rows * nf, 0.0);
  for (size_t f = 0; f < nf; ++f) {
    const std::vector<double>& t = m.library_thresholds[f];
    for (size_t r = 0; r < rows; ++r) {
      double v = 0;
      switch (r % 6) {
        case 0: v = std::numeric_limits<double>::quiet_NaN(); break;
        case 1: v = 0.0; break;
        case 2: v = t.empty() ? 1.0 : t[(r / 6) % t.size()]; break;
        case 3: v = t.empty() ? -1.0 : std::nextafter(t[(r * 7 + f) % t.size()], HUGE_VAL); break;
        case 4: v = t.empty() ? 2.0 : std::nextafter(t[(r * 3 + f) % t.size()], -HUGE_VAL); break;
        default: v = allow_inf ? -HUGE_VAL : -3.0e38; break;
      }
      if (!allow_inf && std::isinf(v)) v = std::copysign(3.0e38, v);
      x[r * nf + f] = v;
    }
  }
  return x;
}

// Scores probe rows, float64 and float32, with every kernel this CPU runs: each must finish,
// and the kernels must agree bit for bit (they are documented to give identical results).
void ScoreOnEveryKernel(const core::EngineModel& model, bool allow_inf) {
  if (model.num_features <= 0 || model.num_features > core::kMaxEngineFeatures) return;
  auto shared = std::make_shared<const core::EngineModel>(model);
  std::shared_ptr<const core::TreeEngine> engine;
  if (!Accepts([&] { engine = core::TreeEngine::Compile({{shared, {}}}); })) {
    Finding("TreeEngine::Compile refused a model its import accepted");
  }
  const size_t rows = 70;  // more than one block of 64
  const size_t nf = static_cast<size_t>(model.num_features);
  const std::vector<double> x64 = ProbeRows(model, rows, allow_inf);
  const std::vector<float> x32(x64.begin(), x64.end());
  const size_t width = engine->width(0);
  std::vector<double> first;
  for (const char* kernel : {"portable", "avx512"}) {
    if (!core::ForceEngineKernel(kernel)) continue;
    std::vector<double> sums;
    for (const core::DType dtype : {core::DType::kFloat64, core::DType::kFloat32}) {
      const core::DenseMatrix x{dtype == core::DType::kFloat64 ? static_cast<const void*>(x64.data())
                                                               : static_cast<const void*>(x32.data()),
                                dtype, rows, nf};
      std::vector<double> batch(rows * width);
      engine->Sums(x, 1, [&](size_t begin, size_t end, const double* const* s) {
        std::copy(s[0], s[0] + (end - begin) * width, batch.begin() + static_cast<std::ptrdiff_t>(begin * width));
      });
      sums.insert(sums.end(), batch.begin(), batch.end());
      // One row through the single-row path, which has kernels of its own.
      std::vector<double> one(width);
      double* out[1] = {one.data()};
      engine->SumsRow(x.Row(rows - 1), dtype, out);
      sums.insert(sums.end(), one.begin(), one.end());
    }
    if (first.empty()) {
      first = sums;
    } else if (std::memcmp(first.data(), sums.data(), sums.size() * sizeof(double)) != 0) {
      core::ForceEngineKernel("");
      Finding("the portable and AVX-512 kernels score a model differently");
    }
  }
  core::ForceEngineKernel("");
}

}  // namespace

void LightGBMText(const uint8_t* data, size_t size) {
  core::LightGBMModel model;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!Accepts([&] { model = core::ParseLightGBMText(text, "fuzz.txt"); })) return;
  core::EngineModel em;
  std::string why;
  bool imported = false;
  if (Accepts([&] { imported = core::ImportLightGBM(model, &em, &why); }) && imported) {
    ScoreOnEveryKernel(em, /*allow_inf=*/true);
  }
}

void XGBoostModel(const uint8_t* data, size_t size) {
  core::XGBoostModel model;
  if (!Accepts([&] { model = core::ParseXGBoostModel(data, size, "fuzz.json"); })) return;
  core::EngineModel em;
  std::string why;
  bool imported = false;
  if (Accepts([&] { imported = core::ImportXGBoost(model, &em, &why); }) && imported) {
    ScoreOnEveryKernel(em, /*allow_inf=*/false);
  }
}

void ForestFile(const uint8_t* data, size_t size) {
  // What a caller that has not read the file yet runs on its first bytes and its size.
  (void)Accepts([&] { core::Forest::CheckHead(data, std::min<size_t>(size, 48), size, "fuzz.forest"); });
  core::ForestModel model;
  if (!Accepts([&] { model = core::ParseForest(data, size, "fuzz.forest"); })) return;
  core::EngineModel em;
  if (Accepts([&] { em = core::ImportForest(model); })) ScoreOnEveryKernel(em, /*allow_inf=*/false);
}

void Metadata(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool legacy : {false, true}) {
    core::Problems collect(core::Problems::Mode::kCollect);
    (void)Accepts([&] { (void)core::ParseMetadata(text, "fuzz/model_metadata.json", legacy, collect); });
    core::Problems first(core::Problems::Mode::kThrow);
    (void)Accepts([&] { (void)core::ParseMetadata(text, "fuzz/model_metadata.json", legacy, first); });
  }
}

}  // namespace ensemble::fuzz
