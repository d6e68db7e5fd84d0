// The ensemble: checks that the three models fit together, scores a batch with each and
// combines the probabilities in C++.
#include "ensemble/ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ensemble/error.h"
#include "ensemble/threads.h"

namespace ensemble::core {
namespace {

// Below this many rows per thread, extra threads cost more than they save.
constexpr size_t kRowsPerThread = 512;

int ThreadsFor(size_t rows, int wanted) {
  const size_t by_rows = std::max<size_t>(1, rows / kRowsPerThread);
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(1, wanted)), by_rows));
}

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

Ensemble::Ensemble(std::shared_ptr<const LightGBMBooster> lightgbm,
                   std::shared_ptr<const XGBoostBooster> xgboost,
                   std::shared_ptr<const Forest> forest, EnsembleWeights weights,
                   std::vector<std::string> feature_names, int threads)
    : lightgbm_(std::move(lightgbm)),
      xgboost_(std::move(xgboost)),
      forest_(std::move(forest)),
      weights_(weights),
      feature_names_(std::move(feature_names)),
      threads_(std::max(1, CapThreads(threads))) {
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
  check_features("LightGBM", static_cast<size_t>(lightgbm_->info().num_features));
  check_features("XGBoost", static_cast<size_t>(xgboost_->info().num_features));
  check_features("random forest", static_cast<size_t>(forest_->num_features()));

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
  // scikit-learn orders classes_ ascending; the "up" probability is the second column.
  forest_up_column_ = 1;
  policy_.allow_nan = forest_->allows_nan();
  policy_.allow_inf = false;
  policy_.refuser = forest_->allows_nan() ? "XGBoost and scikit-learn"
                                          : "the random forest";
}

void Ensemble::PredictProba(const DenseMatrix& x, double* out, const EnsembleParts& parts,
                            int threads) const {
  CheckFeatureCount(x, num_features());
  if (x.rows == 0) return;
  CheckValues(x, policy_, &feature_names_);
  const int n_threads = ThreadsFor(x.rows, threads > 0 ? CapThreads(threads) : threads_);

  std::vector<double> lgb_own, xgb_own;
  double* lgb = parts.lightgbm;
  double* xgb = parts.xgboost;
  if (lgb == nullptr) lgb = (lgb_own.resize(x.rows), lgb_own.data());
  if (xgb == nullptr) xgb = (xgb_own.resize(x.rows), xgb_own.data());
  std::vector<double> rf(x.rows * 2);

  lightgbm_->Predict(x, OutputKind::kValue, lgb, n_threads);
  xgboost_->PredictPrechecked(x, OutputKind::kValue, xgb);
  if (x.dtype == DType::kFloat32) {
    forest_->PredictProba(static_cast<const float*>(x.data), x.rows, rf.data(), n_threads);
  } else {
    forest_->PredictProba(static_cast<const double*>(x.data), x.rows, rf.data(), n_threads);
  }
  const double wl = weights_.lightgbm, wx = weights_.xgboost, wr = weights_.random_forest;
  for (size_t i = 0; i < x.rows; ++i) {
    const double r = rf[2 * i + forest_up_column_];
    if (parts.random_forest != nullptr) parts.random_forest[i] = r;
    out[i] = wl * lgb[i] + wx * xgb[i] + wr * r;
  }
}

void Ensemble::PredictRow(const void* row, DType dtype, double* out, double* parts) const {
  DenseMatrix x{row, dtype, 1, num_features()};
  CheckValues(x, policy_, &feature_names_);
  double lgb = 0, xgb = 0, rf[2] = {0, 0};
  lightgbm_->PredictRow(row, dtype, OutputKind::kValue, &lgb);
  xgboost_->PredictPrechecked(x, OutputKind::kValue, &xgb);
  if (dtype == DType::kFloat32) {
    forest_->PredictProba(static_cast<const float*>(row), 1, rf, 1);
  } else {
    forest_->PredictProba(static_cast<const double*>(row), 1, rf, 1);
  }
  const double r = rf[forest_up_column_];
  *out = weights_.lightgbm * lgb + weights_.xgboost * xgb + weights_.random_forest * r;
  if (parts != nullptr) {
    parts[0] = lgb;
    parts[1] = xgb;
    parts[2] = r;
  }
}

}  // namespace ensemble::core
