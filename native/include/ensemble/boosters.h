/// \file boosters.h
/// \brief LightGBM and XGBoost boosters: the validated model handed to the library's C API
///        (from memory), and scored by the package's tree engine when the engine takes the model
///        and a self-check at load agrees with the library bit for bit, else by the C API.
///
/// Concurrency: every const method may be called from several threads at once. LightGBM's batch
/// predict takes a shared lock on the booster internally; its single-row `FastConfig` handle may
/// not be shared between threads, so each booster keeps a small pool of them and a call borrows
/// one for its duration. XGBoost's in-place predict is thread-safe and returns a thread-local
/// buffer, copied out before the call returns. XGBoost's thread count is fixed at load
/// (`nthread` is not safe to change while predictions run).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/expected_features.h"
#include "ensemble/explain.h"
#include "ensemble/matrix.h"
#include "ensemble/native_libraries.h"
#include "ensemble/scorer.h"

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

/// The library's own scorer of a model: fills out[x.rows] for `kind` (input already checked).
using LibraryPredict = std::function<void(const DenseMatrix& x, OutputKind kind, double* out)>;

/// The engine's self-check: scores probe rows built from the model's own split thresholds (each
/// threshold, its float32 and float64 neighbours, NaN, +-0, values LightGBM treats as zero, and
/// +-Inf when `allow_inf`) with the engine and with `library`, as float32 and float64 input and
/// for both output kinds. Returns "" when every value is bit-identical, else the first
/// difference ("float64 row 17, value: library 0.61234 engine 0.61235").
std::string CheckEngineAgainstLibrary(const EngineModel& model, const TreeEngine& engine,
                                      bool allow_inf, const LibraryPredict& library);

/// What LightGBM and XGBoost boosters share: who scores them, their facts, the engine path.
class Booster : public Scorer {
 public:
  /// Model facts.
  const BoosterInfo& info() const { return info_; }
  /// Library path and version.
  virtual const LoadedLibrary& library() const = 0;
  /// The model in the engine's terms when the engine scores it, else null (an ensemble compiles
  /// it together with its other models).
  const std::shared_ptr<const EngineModel>& engine_model() const { return engine_model_; }
  /// The compiled engine of engine_model() (null when the library scores the model): an ensemble
  /// shares its compiled form instead of compiling the trees again.
  const std::shared_ptr<const TreeEngine>& engine() const { return engine_; }
  /// True when `kind` is scored by the engine.
  bool EngineScores(OutputKind kind) const {
    return engine_ != nullptr && (kind == OutputKind::kRawMargin || engine_model_->has_value_output);
  }
  /// Scores x with the library's C API, the input already checked against policy() (or a
  /// stricter policy): for the ensemble, which checks its input once for all its models.
  virtual void LibraryScore(const DenseMatrix& x, OutputKind kind, double* out,
                            int threads) const = 0;

  size_t num_features() const override { return static_cast<size_t>(info_.num_features); }
  size_t width(OutputKind kind) const override;
  const std::vector<std::string>& feature_names() const override { return info_.feature_names; }
  int64_t NodesVisited(const double* row) const override;
  size_t memory_bytes() const override;
  /// 1 (the raw margin) when the trees can be explained, else 0.
  size_t explain_outputs() const override { return explainer_.get() ? 1 : 0; }
  std::string explain_note() const override { return explainer_.note(); }
  /// TreeSHAP over the imported trees (null when explain_note() says why not): present whenever
  /// the engine imports the model and, when the engine scores it, its self-check passed.
  /// Prepared on first use.
  const std::shared_ptr<const TreeExplainer>& explainer() const { return explainer_.get(); }

 protected:
  Booster(InputPolicy policy, int threads, BoosterInfo info);

  /// Picks who scores (the engine when `import` accepts the model and the self-check against
  /// `library` passes) and records it in info().scorer / scorer_note.
  void ChooseScorer(ScorerChoice choice,
                    const std::function<bool(EngineModel*, std::string*)>& import,
                    const char* library_name, bool allow_inf, const LibraryPredict& library);
  void Score(const DenseMatrix& x, OutputKind kind, double* out, double* parts,
             int threads) const override;
  void ScoreRow(const void* row, DType dtype, OutputKind kind, double* out,
                double* parts) const override;
  /// One row through the C API.
  virtual void LibraryScoreRow(const void* row, DType dtype, OutputKind kind,
                               double* out) const = 0;
  void ExplainChecked(const DenseMatrix& x, double* out, double* parts,
                      int threads) const override;

  BoosterInfo info_;

 private:
  std::shared_ptr<const EngineModel> engine_model_;
  std::shared_ptr<const TreeEngine> engine_;
  LazyExplainer explainer_;
};

/// A LightGBM booster. Create with Load(); share through shared_ptr.
class LightGBMBooster : public Booster {
 public:
  /// Validates `text` with the package's parser, then hands the same bytes to
  /// LGBM_BoosterLoadModelFromString. Throws kModelFormat naming `source` on a bad model.
  /// `threads`: batch threads (0 = every core; threads.h, kInvalidArgument above kMaxThreads).
  /// `scorer`: see ScorerChoice; info().scorer says which one is in use. `expected`: the width the
  /// caller will score (e.g. the metadata's feature count), compared with the file's before
  /// anything else (kMetadata).
  static std::shared_ptr<LightGBMBooster> Load(const LightGBMApi& api, const std::string& text,
                                               const std::string& source, int threads,
                                               ScorerChoice scorer = ScorerChoice::kAuto,
                                               const ExpectedFeatures& expected = {});
  ~LightGBMBooster() override;
  LightGBMBooster(const LightGBMBooster&) = delete;
  LightGBMBooster& operator=(const LightGBMBooster&) = delete;

  const LoadedLibrary& library() const override { return api_.library; }
  void LibraryScore(const DenseMatrix& x, OutputKind kind, double* out,
                    int threads) const override;

 private:
  LightGBMBooster(const LightGBMApi& api, void* handle, BoosterInfo info, int threads);
  void Check(int rc, const char* what) const;
  void LibraryScoreRow(const void* row, DType dtype, OutputKind kind,
                       double* out) const override;

  const LightGBMApi& api_;
  void* handle_;
  // Free single-row handles by [dtype][kind]; a call pops one (or makes one) and pushes it back.
  mutable std::mutex fast_mutex_;
  mutable std::vector<void*> fast_free_[2][2];
};

/// An XGBoost booster. Create with Load(); share through shared_ptr.
class XGBoostBooster : public Booster {
 public:
  /// Validates `bytes` (JSON or UBJ) with the package's parser, then hands the same bytes to
  /// XGBoosterLoadModelFromBuffer. Throws kModelFormat naming `source` on a bad model.
  /// `threads`: batch threads (0 = every core; threads.h), fixed at load. `scorer`, `expected`:
  /// as LightGBMBooster::Load.
  static std::shared_ptr<XGBoostBooster> Load(const XGBoostApi& api,
                                              const std::vector<uint8_t>& bytes,
                                              const std::string& source, int threads,
                                              ScorerChoice scorer = ScorerChoice::kAuto,
                                              const ExpectedFeatures& expected = {});
  ~XGBoostBooster() override;
  XGBoostBooster(const XGBoostBooster&) = delete;
  XGBoostBooster& operator=(const XGBoostBooster&) = delete;

  const LoadedLibrary& library() const override { return api_.library; }
  /// XGBoosterPredictFromDense (in place, no DMatrix); `threads` is fixed at load.
  void LibraryScore(const DenseMatrix& x, OutputKind kind, double* out,
                    int threads) const override;

 private:
  XGBoostBooster(const XGBoostApi& api, void* batch, BoosterInfo info, int threads);
  void Check(int rc, const char* what) const;
  void LibraryScoreRow(const void* row, DType dtype, OutputKind kind,
                       double* out) const override;

  const XGBoostApi& api_;
  void* handle_;        // nthread = the load-time count; null once the engine scores
  void* small_handle_;  // nthread = 1, for small batches; == handle_ when that count is 1 or
                        // when the engine scores
};

}  // namespace ensemble::core
