// XGBoost through its C API: load validated JSON/UBJ from memory, in-place dense predict.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "ensemble/boosters.h"
#include "ensemble/error.h"
#include "ensemble/thread_pool.h"
#include "ensemble/xgboost_model.h"

namespace ensemble::core {
namespace {

// Values per row XGBoost returns: multi:softmax predicts one class index but K margins;
// multi:softprob and multi-target models give one value per class / target.
// Up to this many rows, one thread beats a team (see XGBoostBooster::Load).
constexpr size_t kSmallBatchRows = 64;

int XGBoostOutputWidth(const XGBoostModel& model, bool margin) {
  if (!margin && model.objective == "multi:softmax") return 1;
  return model.num_outputs();
}

// A booster handle loaded from the validated bytes, scoring with `threads` OpenMP threads.
void* OpenHandle(const XGBoostApi& api, const std::vector<uint8_t>& bytes,
                 const std::string& source, int threads) {
  void* handle = nullptr;
  if (api.BoosterCreate(nullptr, 0, &handle) != 0) {
    throw Error(ErrorCode::kLibraryCall, std::string("XGBoost create: ") + api.GetLastError());
  }
  if (api.BoosterLoadModelFromBuffer(handle, bytes.data(), bytes.size()) != 0) {
    const std::string err = api.GetLastError();
    api.BoosterFree(handle);
    throw Error(ErrorCode::kModelFormat, source + ": XGBoost could not load the model: " + err);
  }
  const std::string nthread = std::to_string(threads);
  if (api.BoosterSetParam(handle, "nthread", nthread.c_str()) != 0) {
    const std::string err = api.GetLastError();
    api.BoosterFree(handle);
    throw Error(ErrorCode::kLibraryCall, "XGBoost set nthread: " + err);
  }
  return handle;
}

}  // namespace

std::shared_ptr<XGBoostBooster> XGBoostBooster::Load(const XGBoostApi& api,
                                                     const std::vector<uint8_t>& bytes,
                                                     const std::string& source, int threads,
                                                     ScorerChoice scorer,
                                                     const ExpectedFeatures& expected) {
  const int n_threads = ResolveThreads(threads);  // XGBoost's nthread for good
  // Our parser first: XGBoost crashes on out-of-range or cyclic child indices and silently
  // scores splits on features the input does not have.
  const XGBoostModel model = ParseXGBoostModel(bytes.data(), bytes.size(), source, expected);
  BoosterInfo info;
  info.num_features = static_cast<int>(model.num_feature);
  info.num_classes = std::max(1, static_cast<int>(model.num_class));
  info.num_trees = static_cast<int>(model.trees.size());
  info.objective = model.objective;
  info.feature_names = model.feature_names;
  info.format = model.is_ubjson ? "xgboost-ubj" : "xgboost-json";
  info.output_width = XGBoostOutputWidth(model, false);
  info.margin_width = XGBoostOutputWidth(model, true);

  void* batch = OpenHandle(api, bytes, source, n_threads);
  uint64_t lib_features = 0;
  // XGBoost configures the model on first use: a refusal shows here, not at load.
  if (api.BoosterGetNumFeature(batch, &lib_features) != 0) {
    const std::string err = api.GetLastError();
    api.BoosterFree(batch);
    throw Error(ErrorCode::kModelFormat, source + ": XGBoost could not use the model: " + err);
  }
  if (static_cast<int>(lib_features) != info.num_features) {
    api.BoosterFree(batch);
    throw Error(ErrorCode::kInternal,
                source + ": parser and XGBoost disagree on the feature count (" +
                    std::to_string(info.num_features) + " vs " + std::to_string(lib_features) +
                    ")");
  }
  std::shared_ptr<XGBoostBooster> booster;
  try {
    booster.reset(new XGBoostBooster(api, batch, std::move(info), n_threads));
  } catch (...) {
    api.BoosterFree(batch);
    throw;
  }
  // The package's engine, if it supports the model and scores the probe rows exactly as
  // XGBoost does.
  booster->ChooseScorer(
      scorer, [&](EngineModel* m, std::string* why_not) { return ImportXGBoost(model, m, why_not); },
      "XGBoost", false,
      [&](const DenseMatrix& x, OutputKind kind, double* out) {
        booster->LibraryScore(x, kind, out, 1);
      });
  const bool engine_scores_all = booster->EngineScores(OutputKind::kRawMargin) &&
                                 booster->EngineScores(OutputKind::kValue);
  // When the library scores: a second handle fixed at one thread for small batches and single
  // rows. XGBoost's nthread cannot change per call, and waking an OpenMP team costs more than
  // scoring a row (measured: ~96 us per row at nthread=1 against ~225 us at nthread=2 on 2
  // cores).
  if (!engine_scores_all && n_threads > 1) {
    booster->small_handle_ = OpenHandle(api, bytes, source, 1);  // the destructor frees handle_
  }
  // When the engine scores both output kinds, the library's copy of the model is freed now, on
  // the thread that ran the self-check: XGBoost keeps a per-thread prediction buffer for each
  // booster and erases only the freeing thread's, so freed later on another thread, this
  // thread's would stay for good (one per load).
  if (engine_scores_all) {
    api.BoosterFree(booster->handle_);
    booster->handle_ = booster->small_handle_ = nullptr;
  }
  return booster;
}

XGBoostBooster::XGBoostBooster(const XGBoostApi& api, void* batch, BoosterInfo info, int threads)
    : Booster(InputPolicy{true, false, false, "XGBoost"}, threads, std::move(info)),
      api_(api),
      handle_(batch),
      small_handle_(batch) {}

XGBoostBooster::~XGBoostBooster() {
  if (small_handle_ != handle_) api_.BoosterFree(small_handle_);
  if (handle_ != nullptr) api_.BoosterFree(handle_);
}

void XGBoostBooster::Check(int rc, const char* what) const {
  if (rc != 0) {
    throw Error(ErrorCode::kLibraryCall, std::string("XGBoost ") + what + ": " + api_.GetLastError());
  }
}

void XGBoostBooster::LibraryScore(const DenseMatrix& x, OutputKind kind, double* out,
                                  int) const {
  if (handle_ == nullptr) throw Error(ErrorCode::kInternal, "XGBoost's handle was freed");
  // The numpy-style array interface XGBoost reads the matrix through; formatted on the stack so
  // the single-row path allocates nothing.
  char array_interface[200];
  std::snprintf(array_interface, sizeof array_interface,
                "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"%s\",\"version\":3}",
                reinterpret_cast<uintptr_t>(x.data), x.rows, x.cols,
                x.dtype == DType::kFloat32 ? "<f4" : "<f8");
  static const char* kConfigValue =
      "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
  static const char* kConfigMargin =
      "{\"type\":1,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
  const uint64_t* shape = nullptr;
  uint64_t dims = 0;
  const float* result = nullptr;
  Check(api_.BoosterPredictFromDense(x.rows <= kSmallBatchRows ? small_handle_ : handle_,
                                     array_interface,
                                     kind == OutputKind::kValue ? kConfigValue : kConfigMargin,
                                     nullptr, &shape, &dims, &result),
        "predict");
  uint64_t total = 1;
  for (uint64_t i = 0; i < dims; ++i) total *= shape[i];
  const uint64_t expected = x.rows * static_cast<uint64_t>(kind == OutputKind::kValue
                                                                ? info_.output_width
                                                                : info_.margin_width);
  if (total != expected) {
    throw Error(ErrorCode::kInternal, "XGBoost returned " + std::to_string(total) +
                                          " values, expected " + std::to_string(expected));
  }
  // The result lives in a thread-local buffer of the booster: copy it out now.
  for (uint64_t i = 0; i < total; ++i) out[i] = result[i];
}

void XGBoostBooster::LibraryScoreRow(const void* row, DType dtype, OutputKind kind,
                                     double* out) const {
  LibraryScore(DenseMatrix{row, dtype, 1, num_features()}, kind, out, 1);
}

}  // namespace ensemble::core
