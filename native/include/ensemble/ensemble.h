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

/// Three binary models over the same features, combined with fixed weights. The models the
/// tree engine scores are compiled into one engine, so a batch goes through all their trees in one
/// pass; a model its library scores (e.g. categorical splits) is scored by the library alongside.
class Ensemble : public Scorer {
 public:
  /// Checks that every model is a binary probability model over `feature_names.size()`
  /// features (kMetadata otherwise, naming the model) and that `weights` keep WeightsProblem's
  /// rules (kInvalidArgument otherwise). `threads`: batch threads (0 = every core).
  /// `forest_part`: optional, ForestPart(*forest) compiled beforehand (a loader compiles it while
  /// the boosters load); compiled here otherwise.
  Ensemble(std::shared_ptr<const LightGBMBooster> lightgbm,
           std::shared_ptr<const XGBoostBooster> xgboost, std::shared_ptr<const Forest> forest,
           EnsembleWeights weights, std::vector<std::string> feature_names, int threads,
           std::shared_ptr<const TreeEngine> forest_part = nullptr);

  /// The forest's share of an ensemble's engine: its trees compiled for the "up" column alone.
  static std::shared_ptr<const TreeEngine> ForestPart(const Forest& forest);

  /// Feature names in column order.
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  /// The weights in force.
  const EnsembleWeights& weights() const { return weights_; }
  /// The models.
  const std::shared_ptr<const LightGBMBooster>& lightgbm() const { return lightgbm_; }
  const std::shared_ptr<const XGBoostBooster>& xgboost() const { return xgboost_; }
  const std::shared_ptr<const Forest>& forest() const { return forest_; }

  size_t num_features() const override { return feature_names_.size(); }
  /// kValue: P(up), one per row; the ensemble has no raw margin.
  size_t width(OutputKind kind) const override { return kind == OutputKind::kValue ? 1 : 0; }
  /// {lightgbm, xgboost, random_forest} P(up) per row.
  size_t parts_width() const override { return 3; }
  int64_t NodesVisited(const double* row) const override;
  size_t memory_bytes() const override;
  /// 1 (P(up)) when all three models can be explained, else 0 (explain_note() says which not).
  size_t explain_outputs() const override;
  /// {lightgbm, xgboost, random_forest}: each model's explanation mapped to probability.
  size_t explain_parts() const override { return 3; }
  std::string explain_note() const override;

 protected:
  /// P(up) = wl * lightgbm + wx * xgboost + wr * forest for every row; parts (when not null):
  /// rows values of each model, one model after the other. NaN is a missing value (refused when
  /// the forest was not trained to accept it); +-Inf is refused (XGBoost and scikit-learn refuse
  /// it), naming the row and feature.
  void Score(const DenseMatrix& x, OutputKind kind, double* out, double* parts,
             int threads) const override;
  void ScoreRow(const void* row, DType dtype, OutputKind kind, double* out,
                double* parts) const override;
  /// Each model's TreeSHAP contributions, the boosters' margins mapped to probability by the
  /// rescale rule, then weighted as P(up) is (docs/explain.md; ensemble_explain.cc).
  void ExplainChecked(const DenseMatrix& x, double* out, double* parts,
                      int threads) const override;

 private:
  std::shared_ptr<const LightGBMBooster> lightgbm_;
  std::shared_ptr<const XGBoostBooster> xgboost_;
  std::shared_ptr<const Forest> forest_;
  EnsembleWeights weights_;
  std::vector<std::string> feature_names_;
  /// The engine-scored models compiled together; part_[m] is model m's part (lightgbm,
  /// xgboost, forest), or -1 when its library scores it.
  std::shared_ptr<const TreeEngine> engine_;
  int part_[3] = {-1, -1, -1};
  /// The forest's "up" column alone, for explanations (null when its file has no node weights).
  LazyExplainer forest_explainer_;
};

}  // namespace ensemble::core
