// The ensemble's explanation (docs/explain.md): each model's exact TreeSHAP contributions in its
// own space, the boosters' margin contributions mapped to probability by the rescale rule, then
// weighted as P(up) is, so contributions and base add up to the ensemble's output.
#include <cmath>
#include <vector>

#include "ensemble/ensemble.h"
#include "ensemble/error.h"

namespace ensemble::core {
namespace {

// The link's slope at margin m (its derivative: the sigmoids' s (1 - s) times their scale).
double Slope(const EngineModel& model, double m) {
  if (model.link == EngineLink::kSigmoid || model.link == EngineLink::kSigmoidFloat) {
    const double s = model.Link(m);
    return (model.link == EngineLink::kSigmoid ? model.sigmoid_scale : 1.0) * s * (1.0 - s);
  }
  return 1.0;
}

// The steepest the link gets (a sigmoid's slope at 0), or 0 when it has no bound (identity).
double MaxSlope(const EngineModel& model) {
  if (model.link == EngineLink::kSigmoid) return model.sigmoid_scale / 4;
  if (model.link == EngineLink::kSigmoidFloat) return 0.25;
  return 0;
}

// The rescale rule: with S the margin contributions' sum, b the expected margin and p the
// booster's probability for the row, every contribution is multiplied by k = (p - link(b)) / S
// (the link's secant between b and b + S), so they add up to p - link(b) exactly and keep their
// signs and proportions. When S is 0, or so small that rounding puts the secant outside the
// link's slopes, k is the link's slope at b + S and the row's base value absorbs the rest.
void Rescale(const EngineModel& model, const double* phi, size_t nf, double p, double* out) {
  double s = 0;
  for (size_t j = 0; j < nf; ++j) s += phi[j];
  const double base = model.Link(phi[nf]);
  double k = s != 0 ? (p - base) / s : -1;
  const double max_slope = MaxSlope(model);
  const bool secant = s != 0 && k >= 0 && (max_slope == 0 || k <= max_slope * (1 + 1e-9));
  if (!secant) k = Slope(model, phi[nf] + s);
  for (size_t j = 0; j < nf; ++j) out[j] = k * phi[j];
  out[nf] = secant ? base : p - k * s;
}

}  // namespace

size_t Ensemble::explain_outputs() const {
  return lightgbm_->explainer() && xgboost_->explainer() && forest_explainer_.get() ? 1 : 0;
}

std::string Ensemble::explain_note() const {
  if (!lightgbm_->explainer()) return lightgbm_->explain_note();
  if (!xgboost_->explainer()) return xgboost_->explain_note();
  if (!forest_explainer_.get()) return forest_->explain_note();
  return "";
}

void Ensemble::ExplainChecked(const DenseMatrix& x, double* out, double* parts,
                              int threads) const {
  const size_t rows = x.rows, nf = num_features(), w = nf + 1;
  // The models' probabilities as P(up) is made of them: the boosters' are what the rescale rule
  // maps their margin contributions onto.
  std::vector<double> p(rows), model_p(3 * rows);
  Score(x, OutputKind::kValue, p.data(), model_p.data(), threads);
  const TreeExplainer* explainers[3] = {lightgbm_->explainer().get(), xgboost_->explainer().get(),
                                        forest_explainer_.get().get()};
  std::vector<double> phi[3];
  for (int m = 0; m < 3; ++m) {
    phi[m].resize(rows * w);
    explainers[m]->Explain(x, phi[m].data(), threads);
  }
  const double weight[3] = {weights_.lightgbm, weights_.xgboost, weights_.random_forest};
  std::vector<double> scratch(3 * w);
  for (size_t r = 0; r < rows; ++r) {
    double* part[3];
    for (size_t m = 0; m < 3; ++m) {
      part[m] = parts != nullptr ? parts + (m * rows + r) * w : scratch.data() + m * w;
      const double* f = phi[m].data() + r * w;
      if (m < 2) {
        Rescale(explainers[m]->model(), f, nf, model_p[m * rows + r], part[m]);
      } else {
        for (size_t j = 0; j <= nf; ++j) part[m][j] = f[j];
      }
    }
    double* o = out + r * w;
    for (size_t j = 0; j <= nf; ++j) {
      o[j] = (weight[0] * part[0][j] + weight[1] * part[1][j]) + weight[2] * part[2][j];
    }
  }
}

}  // namespace ensemble::core
