/// \file scorer.h
/// \brief The one shape every model of the package has — LightGBM, XGBoost, the forest and the
///        ensemble: the input checked once, then batch or single-row scoring into caller-owned
///        buffers, with the thread policy of thread_pool.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ensemble/matrix.h"

namespace ensemble::core {

/// What a model returns.
enum class OutputKind {
  kValue = 0,      ///< the model's normal output: probabilities for classifiers
  kRawMargin = 1,  ///< raw scores before the objective's link function (boosters only)
};

/// A model that scores dense rows. Immutable once built; every const method may be called from
/// any number of threads at once.
class Scorer {
 public:
  virtual ~Scorer() = default;

  /// Input columns.
  virtual size_t num_features() const = 0;
  /// Values per row of `kind`; 0 when the model has no such output.
  virtual size_t width(OutputKind kind) const = 0;
  /// Per-model values per row that Predict can also write (the ensemble: 3), else 0.
  virtual size_t parts_width() const { return 0; }
  /// Feature names for messages (may be empty).
  virtual const std::vector<std::string>& feature_names() const = 0;
  /// What the input may hold besides finite numbers.
  const InputPolicy& policy() const { return policy_; }
  /// The thread count of batch calls when a call does not say (already resolved, >= 1).
  int threads() const { return threads_; }

  /// Scores x into out[x.rows * width(kind)], and when `parts` is not null the per-model values
  /// into parts[x.rows * parts_width()] (part-major: all rows of the first model, then the
  /// next). The feature count and every value are checked first; on error nothing is written.
  /// `threads`: 0 = threads(); else at most that many (thread_pool.h decides for small batches).
  void Predict(const DenseMatrix& x, OutputKind kind, double* out, double* parts = nullptr,
               int threads = 0) const;
  /// One row of num_features() values of `dtype`, on the calling thread: out[width(kind)],
  /// parts[parts_width()] when not null.
  void PredictRow(const void* row, DType dtype, OutputKind kind, double* out,
                  double* parts = nullptr) const;

  /// Split nodes one row (num_features() float64 values, checked) passes on its way to a leaf,
  /// summed over every tree: the work no exact scorer can avoid; -1 when a library scores the
  /// model (or part of it) and the count is not known.
  virtual int64_t NodesVisited(const double* row) const = 0;

  /// Bytes of native memory the model holds (an estimate for V8's accounting).
  virtual size_t memory_bytes() const = 0;

  /// Outputs Explain explains per row (1 for a booster or the ensemble, the classes of a
  /// forest); 0 when the model cannot be explained (explain_note() says why).
  virtual size_t explain_outputs() const { return 0; }
  /// Per-model explanations Explain can also write (the ensemble: 3), else 0.
  virtual size_t explain_parts() const { return 0; }
  /// Why Explain refuses this model; "" when it explains.
  virtual std::string explain_note() const { return "this model has no explanation"; }
  /// Exact TreeSHAP contributions (explain.h, docs/explain.md), the input checked as Predict
  /// checks it: out[x.rows * explain_outputs() * (num_features() + 1)], per row and output the
  /// contribution of each feature then the expected value, adding up to the model's output in
  /// its own space (boosters: raw margin; forest: class probability; ensemble: P(up)). `parts`
  /// (when not null and explain_parts() > 0): parts[explain_parts() * x.rows * (F + 1)], each
  /// model's own explanation, part-major. Throws kNotExplainable with explain_note() when the
  /// model cannot be explained.
  void Explain(const DenseMatrix& x, double* out, double* parts = nullptr, int threads = 0) const;

 protected:
  /// `threads` as given at load (0 = every core; checked by ResolveThreads).
  Scorer(InputPolicy policy, int threads);

  /// Predict after the checks; x.rows > 0.
  virtual void Score(const DenseMatrix& x, OutputKind kind, double* out, double* parts,
                     int threads) const = 0;
  /// PredictRow after the checks.
  virtual void ScoreRow(const void* row, DType dtype, OutputKind kind, double* out,
                        double* parts) const = 0;
  /// Explain after the checks (explain_outputs() > 0, x.rows > 0).
  virtual void ExplainChecked(const DenseMatrix& x, double* out, double* parts,
                              int threads) const;

 private:
  void CheckKind(OutputKind kind) const;

  InputPolicy policy_;
  int threads_;
};

}  // namespace ensemble::core
