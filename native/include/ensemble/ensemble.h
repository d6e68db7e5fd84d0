/// \file ensemble.h
/// \brief The production ensemble: P(up) = w_l * LightGBM + w_x * XGBoost + w_r * forest,
///        every batch scored by all three models and combined in one native call.
///
/// Concurrency: all methods are const and may be called from several threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ensemble/boosters.h"
#include "ensemble/forest.h"
#include "ensemble/matrix.h"

namespace ensemble::core {

/// The weight of each model in the combined probability.
struct EnsembleWeights {
  double lightgbm = 0.4;       ///< LightGBM's share
  double xgboost = 0.4;        ///< XGBoost's share
  double random_forest = 0.2;  ///< the random forest's share
};

/// How far from 1 the weights may sum (decimal weights are not exact in binary: 0.1 + 0.2 + 0.7
/// is 1 - 1.1e-16); P(up) then stays within 1e-6 of a probability.
inline constexpr double kWeightSumTolerance = 1e-6;

/// The first rule `weights` break (each finite and >= 0; the sum 1 within kWeightSumTolerance),
/// as a message naming them `name` ("model_weights", "weights"), or "" when they keep every rule.
std::string WeightsProblem(const EnsembleWeights& weights, const std::string& name);

/// Optional per-model outputs (P(up) per row); a null pointer skips that copy.
struct EnsembleParts {
  double* lightgbm = nullptr;       ///< rows values
  double* xgboost = nullptr;        ///< rows values
  double* random_forest = nullptr;  ///< rows values
};

/// Three binary models over the same features, combined with fixed weights.
class Ensemble {
 public:
  /// Checks that every model is a binary probability model over `feature_names.size()`
  /// features (kMetadata otherwise, naming the model) and that `weights` keep WeightsProblem's
  /// rules (kInvalidArgument otherwise). `threads` is the default batch count.
  Ensemble(std::shared_ptr<const LightGBMBooster> lightgbm,
           std::shared_ptr<const XGBoostBooster> xgboost, std::shared_ptr<const Forest> forest,
           EnsembleWeights weights, std::vector<std::string> feature_names, int threads);

  /// Features per row.
  size_t num_features() const { return feature_names_.size(); }
  /// Feature names in column order.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// The weights in force.
  const EnsembleWeights& weights() const { return weights_; }
  /// Default batch thread count.
  int threads() const { return threads_; }
  /// The models.
  const LightGBMBooster& lightgbm() const { return *lightgbm_; }
  const XGBoostBooster& xgboost() const { return *xgboost_; }
  const Forest& forest() const { return *forest_; }

  /// P(up) for every row of x into out[x.rows]; per-model values into `parts` when given.
  /// NaN is a missing value (refused when the forest was not trained to accept it); +-Inf is
  /// refused (XGBoost and scikit-learn refuse it), naming the row and feature.
  void PredictProba(const DenseMatrix& x, double* out, const EnsembleParts& parts = {},
                    int threads = 0) const;

  /// One row of num_features() values of `dtype`: the latency path (no allocation, one thread).
  /// parts, when not null, receives {lightgbm, xgboost, random_forest}.
  void PredictRow(const void* row, DType dtype, double* out, double* parts = nullptr) const;

 private:
  std::shared_ptr<const LightGBMBooster> lightgbm_;
  std::shared_ptr<const XGBoostBooster> xgboost_;
  std::shared_ptr<const Forest> forest_;
  EnsembleWeights weights_;
  std::vector<std::string> feature_names_;
  int threads_;
  int forest_up_column_;
  InputPolicy policy_;
};

}  // namespace ensemble::core
