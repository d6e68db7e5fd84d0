// LightGBM through its C API: load validated text from memory, batch and single-row predict.
#include <algorithm>
#include <climits>
#include <cstdio>

#include "ensemble/boosters.h"
#include "ensemble/error.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/thread_pool.h"

namespace ensemble::core {
namespace {

constexpr int kDtypeFloat32 = 0;  // C_API_DTYPE_FLOAT32
constexpr int kDtypeFloat64 = 1;  // C_API_DTYPE_FLOAT64

int LightGBMDtype(DType d) { return d == DType::kFloat32 ? kDtypeFloat32 : kDtypeFloat64; }

}  // namespace

std::shared_ptr<LightGBMBooster> LightGBMBooster::Load(const LightGBMApi& api,
                                                       const std::string& text,
                                                       const std::string& source, int threads,
                                                       ScorerChoice scorer,
                                                       const ExpectedFeatures& expected) {
  threads = ResolveThreads(threads);  // before LightGBM's OpenMP team sees it: it aborts on some
  // Our parser first: LightGBM aborts or crashes the process on some inconsistent files.
  const LightGBMModel model = ParseLightGBMText(text, source, expected);
  BoosterInfo info;
  info.num_features = model.num_features;
  info.num_classes = model.num_class;
  info.output_width = model.num_class;
  info.margin_width = model.num_class;
  info.num_trees = static_cast<int>(model.trees.size());
  info.objective = model.objective;
  info.feature_names = model.feature_names;
  info.format = "lightgbm-text";

  void* handle = nullptr;
  int iterations = 0;
  if (api.BoosterLoadModelFromString(text.c_str(), &iterations, &handle) != 0) {
    throw Error(ErrorCode::kModelFormat,
                source + ": LightGBM could not load the model: " + api.GetLastError());
  }
  int lib_features = 0, lib_classes = 0;
  if (api.BoosterGetNumFeature(handle, &lib_features) != 0 ||
      api.BoosterGetNumClasses(handle, &lib_classes) != 0) {
    const std::string err = api.GetLastError();
    api.BoosterFree(handle);
    throw Error(ErrorCode::kModelFormat, source + ": LightGBM could not use the model: " + err);
  }
  if (lib_features != info.num_features || lib_classes != info.num_classes) {
    api.BoosterFree(handle);
    throw Error(ErrorCode::kInternal,
                source + ": parser and LightGBM disagree on the model's shape (features " +
                    std::to_string(info.num_features) + " vs " + std::to_string(lib_features) +
                    ", classes " + std::to_string(info.num_classes) + " vs " +
                    std::to_string(lib_classes) + ")");
  }
  std::shared_ptr<LightGBMBooster> booster;
  try {
    booster.reset(new LightGBMBooster(api, handle, std::move(info), threads));
  } catch (...) {
    api.BoosterFree(handle);
    throw;
  }
  // The package's engine, if it supports the model and scores the probe rows exactly as
  // LightGBM does.
  booster->ChooseScorer(
      scorer, [&](EngineModel* m, std::string* why_not) { return ImportLightGBM(model, m, why_not); },
      "LightGBM", true,
      [&](const DenseMatrix& x, OutputKind kind, double* out) {
        booster->LibraryScore(x, kind, out, 1);
      });
  return booster;
}

LightGBMBooster::LightGBMBooster(const LightGBMApi& api, void* handle, BoosterInfo info,
                                 int threads)
    : Booster(InputPolicy{true, true, false, "LightGBM"}, threads, std::move(info)),
      api_(api),
      handle_(handle) {}

LightGBMBooster::~LightGBMBooster() {
  for (auto& by_dtype : fast_free_) {
    for (auto& pool : by_dtype) {
      for (void* h : pool) api_.FastConfigFree(h);
    }
  }
  api_.BoosterFree(handle_);
}

void LightGBMBooster::Check(int rc, const char* what) const {
  if (rc != 0) {
    throw Error(ErrorCode::kLibraryCall, std::string("LightGBM ") + what + ": " + api_.GetLastError());
  }
}

void LightGBMBooster::LibraryScore(const DenseMatrix& x, OutputKind kind, double* out,
                                   int threads) const {
  char params[64];
  std::snprintf(params, sizeof params, "num_threads=%d", ThreadsForRows(x.rows, threads));
  // LightGBM counts rows in int32: score larger inputs in slices.
  const size_t max_rows = static_cast<size_t>(INT32_MAX) / 2;
  const size_t elem = x.dtype == DType::kFloat32 ? 4 : 8;
  for (size_t start = 0; start < x.rows; start += max_rows) {
    const size_t n = std::min(max_rows, x.rows - start);
    int64_t out_len = 0;
    Check(api_.BoosterPredictForMat(handle_,
                                    static_cast<const char*>(x.data) + start * x.cols * elem,
                                    LightGBMDtype(x.dtype), static_cast<int32_t>(n),
                                    static_cast<int32_t>(x.cols), 1, static_cast<int>(kind), 0,
                                    -1, params, &out_len,
                                    out + start * static_cast<size_t>(info_.output_width)),
          "predict");
    if (static_cast<size_t>(out_len) != n * static_cast<size_t>(info_.output_width)) {
      throw Error(ErrorCode::kInternal, "LightGBM returned " + std::to_string(out_len) +
                                            " values for " + std::to_string(n) + " rows");
    }
  }
}

void LightGBMBooster::LibraryScoreRow(const void* row, DType dtype, OutputKind kind,
                                        double* out) const {
  const int d = static_cast<int>(dtype), k = static_cast<int>(kind);
  void* fast = nullptr;
  {
    std::lock_guard<std::mutex> lock(fast_mutex_);
    auto& pool = fast_free_[d][k];
    if (!pool.empty()) {
      fast = pool.back();
      pool.pop_back();
    } else {
      Check(api_.BoosterPredictForMatSingleRowFastInit(handle_, k, 0, -1, LightGBMDtype(dtype),
                                                       info_.num_features, "num_threads=1",
                                                       &fast),
            "single-row init");
    }
  }
  int64_t out_len = 0;
  const int rc = api_.BoosterPredictForMatSingleRowFast(fast, row, &out_len, out);
  {
    std::lock_guard<std::mutex> lock(fast_mutex_);
    fast_free_[d][k].push_back(fast);
  }
  Check(rc, "single-row predict");
}

}  // namespace ensemble::core
