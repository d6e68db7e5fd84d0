/// \file boosters.h
/// \brief LightGBM and XGBoost boosters behind their C APIs: load validated bytes from memory,
///        batch predict on dense float32/float64 input in place, a single-row fast path.
///
/// Concurrency: `Predict` and `PredictRow` may be called from several threads at once on one
/// booster. LightGBM's batch predict takes a shared lock on the booster internally; its
/// single-row `FastConfig` handle may not be shared between threads, so each booster keeps a
/// small pool of them and a call borrows one for its duration. XGBoost's in-place predict is
/// thread-safe and returns a thread-local buffer, copied out before the call returns.
/// Thread counts are fixed at load time (XGBoost's `nthread` parameter is not safe to change
/// while predictions run).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ensemble/expected_features.h"
#include "ensemble/matrix.h"
#include "ensemble/native_libraries.h"
#include "ensemble/tree_engine.h"

namespace ensemble::core {

/// Facts about a loaded booster, from the validated model file.
struct BoosterInfo {
  int num_features = 0;     ///< columns the model expects
  int output_width = 1;     ///< values per row of kValue: classes for multiclass, else 1
  int margin_width = 1;     ///< values per row of kRawMargin (multi:softmax: classes, not 1)
  int num_classes = 1;      ///< 1 for binary/regression (as the libraries count), K for multiclass
  int num_trees = 0;        ///< trees in the file
  std::string objective;    ///< e.g. "binary sigmoid:1", "binary:logistic"
  std::vector<std::string> feature_names;  ///< as stored in the model (may be empty)
  std::string format;       ///< "lightgbm-text", "xgboost-json", "xgboost-ubj"
  /// Who scores the model: "engine" (the package's tree engine, checked against the library at
  /// load) or "library" (the C API).
  std::string scorer = "library";
  /// Why the library scores it when the engine does not ("categorical splits", "disabled", a
  /// self-check difference); empty when the engine does.
  std::string scorer_note;
};

/// How a booster is scored.
enum class ScorerChoice {
  kAuto = 0,     ///< the engine when it supports the model and passes its self-check
  kLibrary = 1,  ///< always the library's C API
};

/// Who scores a booster, as each Load decides it: null when `scorer` is kLibrary, when `import`
/// declines the model (returning null and saying why) or when CheckEngineAgainstLibrary finds a
/// difference from `library`; else the imported engine. Records the choice and the reason in
/// info->scorer / info->scorer_note. `library_name` ("LightGBM") prefixes a self-check difference.
using EngineImport = std::function<std::unique_ptr<const BoosterEngine>(std::string* why_not)>;
std::unique_ptr<const BoosterEngine> ChooseScorer(ScorerChoice scorer, const EngineImport& import,
                                                  const char* library_name, bool allow_inf,
                                                  const LibraryPredict& library, BoosterInfo* info);

/// A LightGBM booster. Create with Load(); share through shared_ptr.
class LightGBMBooster {
 public:
  /// Validates `text` with the package's parser, then hands the same bytes to
  /// LGBM_BoosterLoadModelFromString. Throws kModelFormat naming `source` on a bad model.
  /// `threads`: see threads.h (kInvalidArgument above kMaxThreads). `scorer`: see ScorerChoice;
  /// info().scorer says which one is in use. `expected`: the width the caller will score (e.g.
  /// the metadata's feature count), compared with the file's before anything else (kMetadata).
  static std::shared_ptr<LightGBMBooster> Load(const LightGBMApi& api, const std::string& text,
                                               const std::string& source, int threads,
                                               ScorerChoice scorer = ScorerChoice::kAuto,
                                               const ExpectedFeatures& expected = {});
  ~LightGBMBooster();
  LightGBMBooster(const LightGBMBooster&) = delete;
  LightGBMBooster& operator=(const LightGBMBooster&) = delete;

  /// Model facts.
  const BoosterInfo& info() const { return info_; }
  /// Library path and version.
  const LoadedLibrary& library() const { return api_.library; }

  /// Scores x (x.cols must equal info().num_features) into out[x.rows * info().output_width]
  /// (margin_width for kRawMargin).
  /// `threads` <= 0 uses the load-time count. NaN = missing; +-Inf scored as LightGBM does.
  void Predict(const DenseMatrix& x, OutputKind kind, double* out, int threads = 0) const;
  /// One row through LGBM_BoosterPredictForMatSingleRowFast; out[info().output_width].
  /// The row must hold info().num_features values of `dtype`.
  void PredictRow(const void* row, DType dtype, OutputKind kind, double* out) const;
  /// The imported trees when the engine scores this model, else null.
  const BoosterEngine* engine() const { return engine_.get(); }

 private:
  LightGBMBooster(const LightGBMApi& api, void* handle, BoosterInfo info, int threads);
  void Check(int rc, const char* what) const;
  void LibraryPredict(const DenseMatrix& x, OutputKind kind, double* out, int threads) const;
  void LibraryPredictRow(const void* row, DType dtype, OutputKind kind, double* out) const;
  bool UseEngine(OutputKind kind) const {
    return engine_ && (kind == OutputKind::kRawMargin || engine_->has_value_output());
  }

  const LightGBMApi& api_;
  void* handle_;
  BoosterInfo info_;
  int threads_;
  std::string batch_params_;
  // Free single-row handles by [dtype][kind]; a call pops one (or makes one) and pushes it back.
  mutable std::mutex fast_mutex_;
  mutable std::vector<void*> fast_free_[2][2];
  std::unique_ptr<const BoosterEngine> engine_;
};

/// An XGBoost booster. Create with Load(); share through shared_ptr.
class XGBoostBooster {
 public:
  /// Validates `bytes` (JSON or UBJ) with the package's parser, then hands the same bytes to
  /// XGBoosterLoadModelFromBuffer. Throws kModelFormat naming `source` on a bad model.
  /// `threads`, `scorer`, `expected`: as LightGBMBooster::Load.
  static std::shared_ptr<XGBoostBooster> Load(const XGBoostApi& api,
                                              const std::vector<uint8_t>& bytes,
                                              const std::string& source, int threads,
                                              ScorerChoice scorer = ScorerChoice::kAuto,
                                              const ExpectedFeatures& expected = {});
  ~XGBoostBooster();
  XGBoostBooster(const XGBoostBooster&) = delete;
  XGBoostBooster& operator=(const XGBoostBooster&) = delete;

  /// Model facts.
  const BoosterInfo& info() const { return info_; }
  /// Library path and version.
  const LoadedLibrary& library() const { return api_.library; }

  /// Scores x into out[x.rows * width] (width: info().output_width or margin_width) with XGBoosterPredictFromDense (in place,
  /// no DMatrix). NaN = missing.
  /// +-Inf is refused (kNonFiniteInput naming row and feature), as XGBoost itself refuses it.
  void Predict(const DenseMatrix& x, OutputKind kind, double* out) const;
  /// Predict without the +-Inf check, for callers that ran CheckValues on x already.
  void PredictPrechecked(const DenseMatrix& x, OutputKind kind, double* out) const;
  /// The imported trees when the engine scores this model, else null.
  const BoosterEngine* engine() const { return engine_.get(); }

 private:
  XGBoostBooster(const XGBoostApi& api, void* batch, void* small, BoosterInfo info, int threads);
  void Check(int rc, const char* what) const;
  void LibraryPredict(const DenseMatrix& x, OutputKind kind, double* out) const;
  bool UseEngine(OutputKind kind) const {
    return engine_ && (kind == OutputKind::kRawMargin || engine_->has_value_output());
  }

  const XGBoostApi& api_;
  void* handle_;        // nthread = the load-time count; null once the engine scores
  void* small_handle_;  // nthread = 1, for small batches; == handle_ when that count is 1 or
                        // when the engine scores
  BoosterInfo info_;
  int threads_;
  std::unique_ptr<const BoosterEngine> engine_;
};

}  // namespace ensemble::core
