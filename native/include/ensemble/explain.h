/// \file explain.h
/// \brief Exact TreeSHAP explanations (path-dependent; Lundberg, Erion and Lee, "Consistent
///        Individualized Feature Attribution for Tree Ensembles", 2018) of the trees the engine
///        imports: per row, one contribution per feature plus the expected value, in the model's
///        own output space (raw margins for the boosters, class probabilities for a forest),
///        adding up to that output. Rows are routed exactly as the scorer routes them (the
///        folded `v <= threshold` of engine.h; NaN by each split's missing-value rule).
///
/// Two ways to the same values (docs/explain.md):
/// - kRecursion: the published recursion over each tree, both branches of every split. For
///   XGBoost models (float sums) it runs in float32, operation for operation as XGBoost's
///   `pred_contribs` does (each tree's share in its own buffer, scaled by the dart weight, the
///   base margin added last), so its contributions are XGBoost's own to the bit.
/// - kClosedForm (float64): each leaf's Shapley weights written as an integral of a product of
///   its path's factors (exact with a few Gauss-Legendre nodes), summed edge by edge in one pass
///   down and one up the tree: O(nodes x depth) work per row where the recursion does
///   O(leaves x depth^2). It gives LightGBM's `pred_contrib` and shap's TreeExplainer values up
///   to float64 rounding.
/// kAuto picks kRecursion for float models and kClosedForm for the others.
///
/// Concurrency: immutable once built; every const method may be called from any number of
/// threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/matrix.h"

namespace ensemble::core {

/// How a TreeExplainer computes.
enum class ShapMethod {
  kAuto = 0,        ///< kRecursion for float-sum models (XGBoost), else kClosedForm
  kRecursion = 1,   ///< the published recursion, in the model's precision
  kClosedForm = 2,  ///< per-leaf closed form, float64
};

/// A model's trees prepared for TreeSHAP.
class TreeExplainer {
 public:
  /// Prepares `model` (imported with its node covers). `columns`: the output columns to explain
  /// (empty: all of model->outputs). Returns null and says why in `why_not` when the trees
  /// cannot be explained: the model's explain_note (no covers in the file), or a node whose
  /// cover is not a finite number > 0.
  static std::shared_ptr<const TreeExplainer> Build(std::shared_ptr<const EngineModel> model,
                                                    std::string* why_not,
                                                    std::vector<int> columns = {},
                                                    ShapMethod method = ShapMethod::kAuto);
  ~TreeExplainer();
  TreeExplainer(const TreeExplainer&) = delete;
  TreeExplainer& operator=(const TreeExplainer&) = delete;

  /// Input columns.
  size_t num_features() const;
  /// Outputs explained per row (the columns asked for).
  size_t outputs() const;
  /// Values per row: outputs() x (num_features() + 1).
  size_t width() const { return outputs() * (num_features() + 1); }
  /// The expected value of each output (the last value of each output's block).
  const std::vector<double>& expected_values() const;
  /// The method in use (kRecursion or kClosedForm).
  ShapMethod method() const;
  /// The imported model.
  const EngineModel& model() const;

  /// One row of num_features() values of `dtype` (already checked): out[width()], per output
  /// the contributions of features 0..F-1, then the expected value.
  void ExplainRow(const void* row, DType dtype, double* out) const;
  /// Rows [0, x.rows) (already checked) into out[x.rows * width()], on up to `threads` threads
  /// (resolved; every row is worth a thread: explaining one costs a whole pass over every node).
  void Explain(const DenseMatrix& x, double* out, int threads) const;

  struct Impl;

 private:
  explicit TreeExplainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Tests: `on` makes the closed form use its portable kernels even where the CPU has AVX2.
/// Returns whether this CPU has AVX2 (so whether the two paths can be compared here).
bool ForceExplainPortable(bool on);

/// A TreeExplainer built on first use: every load and reload would otherwise prepare explainers
/// that few callers ask for. Set (or Refuse) once while the model is built, before it is shared;
/// get() and note() may then be called from any thread.
class LazyExplainer {
 public:
  /// Explain `model`'s `columns` (empty: all) when first asked; if the trees cannot be
  /// explained, note() is `prefix` followed by the reason.
  void Set(std::shared_ptr<const EngineModel> model, std::string prefix,
           std::vector<int> columns = {}) {
    model_ = std::move(model);
    prefix_ = std::move(prefix);
    columns_ = std::move(columns);
  }
  /// The model cannot be explained, for the reason `note`.
  void Refuse(std::string note) {
    model_.reset();
    note_ = std::move(note);
  }
  /// The explainer, or null (note() says why).
  const std::shared_ptr<const TreeExplainer>& get() const {
    std::call_once(once_, [this] {
      if (!model_) return;
      std::string why_not;
      explainer_ = TreeExplainer::Build(model_, &why_not, columns_);
      if (!explainer_) note_ = prefix_ + why_not;
    });
    return explainer_;
  }
  /// Why get() is null ("" when it is not).
  const std::string& note() const {
    get();
    return note_;
  }

 private:
  std::shared_ptr<const EngineModel> model_;
  std::string prefix_;
  std::vector<int> columns_;
  mutable std::once_flag once_;
  mutable std::shared_ptr<const TreeExplainer> explainer_;
  mutable std::string note_;
};

}  // namespace ensemble::core
