// The ensemble: checks that the three models fit together, compiles the ones the engine scores
// into one engine, and combines the three probabilities span by span as the engine delivers them.
#include "ensemble/ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ensemble/error.h"
#include "ensemble/threads.h"

namespace ensemble::core {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The shortest text that reads back as `v`, as JavaScript prints it (0.4 + 0.5 + 0.2 is "1.1").
std::string Shortest(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string WeightsProblem(const EnsembleWeights& w, const std::string& name) {
  const std::pair<const char*, double> parts[3] = {
      {"lightgbm", w.lightgbm}, {"xgboost", w.xgboost}, {"random_forest", w.random_forest}};
  for (const auto& [role, v] : parts) {
    if (!std::isfinite(v) || v < 0) {
      return name + "." + role + " must be a finite number >= 0, got " + Shortest(v);
    }
  }
  // The order P(up) is computed in (docs/metadata.md).
  const double sum = (w.lightgbm + w.xgboost) + w.random_forest;
  if (!(std::fabs(sum - 1) <= kWeightSumTolerance)) {
    return name + " sum to " + Shortest(sum) +
           ", not 1 (P(up) would not be a probability; the sum may be off by at most 1e-6)";
  }
  return "";
}

namespace {

// The forest's "up" probability: scikit-learn orders classes_ ascending, so it is the second
// column.
constexpr int kForestUpColumn = 1;

InputPolicy EnsemblePolicy(bool forest_allows_nan) {
  return InputPolicy{forest_allows_nan, false, true,
                     forest_allows_nan ? "XGBoost and scikit-learn" : "the random forest"};
}

}  // namespace

Ensemble::Ensemble(std::shared_ptr<const LightGBMBooster> lightgbm,
                   std::shared_ptr<const XGBoostBooster> xgboost,
                   std::shared_ptr<const Forest> forest, EnsembleWeights weights,
                   std::vector<std::string> feature_names, int threads,
                   std::shared_ptr<const TreeEngine> forest_part)
    : Scorer(EnsemblePolicy(forest && forest->allows_nan()), threads),
      lightgbm_(std::move(lightgbm)),
      xgboost_(std::move(xgboost)),
      forest_(std::move(forest)),
      weights_(weights),
      feature_names_(std::move(feature_names)) {
  if (!lightgbm_ || !xgboost_ || !forest_) {
    throw Error(ErrorCode::kInvalidArgument, "the ensemble needs all three models");
  }
  const size_t n = feature_names_.size();
  auto check_features = [n](const char* name, size_t have) {
    if (have != n) {
      throw Error(ErrorCode::kMetadata, std::string("the ") + name + " model has " +
                                            std::to_string(have) + " features, the ensemble " +
                                            std::to_string(n));
    }
  };
  check_features("LightGBM", lightgbm_->num_features());
  check_features("XGBoost", xgboost_->num_features());
  check_features("random forest", forest_->num_features());

  const auto& lgb = lightgbm_->info();
  if (lgb.num_classes != 1 ||
      !(StartsWith(lgb.objective, "binary") || StartsWith(lgb.objective, "cross_entropy"))) {
    throw Error(ErrorCode::kMetadata,
                "the LightGBM model must be a binary classifier (objective binary), got "
                "objective '" + lgb.objective + "' with " + std::to_string(lgb.num_classes) +
                    " class output(s)");
  }
  const auto& xgb = xgboost_->info();
  if (xgb.output_width != 1 ||
      !(xgb.objective == "binary:logistic" || xgb.objective == "reg:logistic")) {
    throw Error(ErrorCode::kMetadata,
                "the XGBoost model must be a binary classifier (objective binary:logistic), got "
                "objective '" + xgb.objective + "'");
  }
  if (forest_->num_classes() != 2) {
    throw Error(ErrorCode::kMetadata, "the random forest must have 2 classes, it has " +
                                          std::to_string(forest_->num_classes()));
  }
  if (const std::string problem = WeightsProblem(weights_, "weights"); !problem.empty()) {
    throw Error(ErrorCode::kInvalidArgument, problem);
  }
  // One engine for every model it scores: a batch then goes through all their trees in one pass.
  std::vector<TreeEngine::Part> parts;
  if (lightgbm_->EngineScores(OutputKind::kValue)) {
    part_[0] = static_cast<int>(parts.size());
    parts.push_back({lightgbm_->engine_model(), {}, lightgbm_->engine()});
  }
  if (xgboost_->EngineScores(OutputKind::kValue)) {
    part_[1] = static_cast<int>(parts.size());
    parts.push_back({xgboost_->engine_model(), {}, xgboost_->engine()});
  }
  part_[2] = static_cast<int>(parts.size());
  if (!forest_part) forest_part = ForestPart(*forest_);
  parts.push_back({forest_->engine_model(), {kForestUpColumn}, std::move(forest_part)});
  engine_ = TreeEngine::Compile(std::move(parts));
  // The forest's "up" column alone; prepared on the first explanation (the forest's own note
  // says why when it cannot be).
  forest_explainer_.Set(forest_->engine_model(), "", {kForestUpColumn});
}

std::shared_ptr<const TreeEngine> Ensemble::ForestPart(const Forest& forest) {
  return TreeEngine::Compile({{forest.engine_model(), {kForestUpColumn}}});
}

void Ensemble::Score(const DenseMatrix& x, OutputKind, double* out, double* parts,
                     int threads) const {
  const size_t rows = x.rows;
  // Models their library scores go first, over the whole batch (already checked: this policy
  // is at least as strict as theirs).
  std::vector<double> library_values[2];
  const Booster* boosters[2] = {lightgbm_.get(), xgboost_.get()};
  for (int m = 0; m < 2; ++m) {
    if (part_[m] >= 0) continue;
    double* dst = parts != nullptr ? parts + static_cast<size_t>(m) * rows
                                   : (library_values[m].resize(rows), library_values[m].data());
    boosters[m]->LibraryScore(x, OutputKind::kValue, dst, threads);
    if (library_values[m].empty()) library_values[m].assign(dst, dst + rows);
  }
  const EngineModel* models[2] = {lightgbm_->engine_model().get(),
                                  xgboost_->engine_model().get()};
  const double trees = static_cast<double>(forest_->num_trees());
  const double wl = weights_.lightgbm, wx = weights_.xgboost, wr = weights_.random_forest;
  engine_->Sums(x, threads, [&](size_t begin, size_t end, const double* const* sums) {
    for (size_t r = begin; r < end; ++r) {
      const size_t i = r - begin;
      double p[3];
      for (int m = 0; m < 2; ++m) {
        p[m] = part_[m] >= 0 ? models[m]->Link(sums[part_[m]][i]) : library_values[m][r];
      }
      p[2] = sums[part_[2]][i] / trees;
      out[r] = wl * p[0] + wx * p[1] + wr * p[2];
      if (parts != nullptr) {
        parts[r] = p[0];
        parts[rows + r] = p[1];
        parts[2 * rows + r] = p[2];
      }
    }
  });
}

void Ensemble::ScoreRow(const void* row, DType dtype, OutputKind, double* out,
                        double* parts) const {
  double sums[3] = {0, 0, 0};
  double* sum_ptrs[3];
  size_t k = 0;
  for (int m = 0; m < 3; ++m) {
    if (part_[m] >= 0) sum_ptrs[part_[m]] = &sums[k++];
  }
  engine_->SumsRow(row, dtype, sum_ptrs);
  double p[3];
  const Booster* boosters[2] = {lightgbm_.get(), xgboost_.get()};
  for (int m = 0; m < 2; ++m) {
    if (part_[m] >= 0) {
      p[m] = boosters[m]->engine_model()->Link(*sum_ptrs[part_[m]]);
    } else {
      boosters[m]->LibraryScore(DenseMatrix{row, dtype, 1, num_features()}, OutputKind::kValue,
                                &p[m], 1);
    }
  }
  p[2] = *sum_ptrs[part_[2]] / static_cast<double>(forest_->num_trees());
  *out = weights_.lightgbm * p[0] + weights_.xgboost * p[1] + weights_.random_forest * p[2];
  if (parts != nullptr) {
    parts[0] = p[0];
    parts[1] = p[1];
    parts[2] = p[2];
  }
}

int64_t Ensemble::NodesVisited(const double* row) const {
  const int64_t l = lightgbm_->NodesVisited(row), x = xgboost_->NodesVisited(row);
  if (l < 0 || x < 0) return -1;
  return l + x + forest_->NodesVisited(row);
}

size_t Ensemble::memory_bytes() const { return engine_->memory_bytes(); }

}  // namespace ensemble::core
