/// \file tree_engine.h
/// \brief LightGBM and XGBoost trees imported into the package's own tree engine: the same
///        flat node layout and branch-free walk as the forest, with each library's exact
///        decision rule, missing-value rule, accumulation order and precision, and output link.
///
/// A booster is scored by the engine only when the import supports everything the model uses
/// and a self-check against the library itself (LightGBMBooster / XGBoostBooster run probe rows
/// built from the model's own split thresholds through both) agrees bit for bit; otherwise the
/// library's C API scores it. docs/architecture.md describes the rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/matrix.h"

namespace ensemble::core {

struct LightGBMModel;
struct XGBoostModel;

/// What a booster returns.
enum class OutputKind {
  kValue = 0,      ///< the library's normal output: probabilities for classifiers
  kRawMargin = 1,  ///< raw scores before the objective's link function
};

/// A single-output booster's trees in the engine's layout. Immutable; every const method may
/// be called from any number of threads at once.
class BoosterEngine {
 public:
  /// Whose rules the engine follows.
  enum class Flavor { kLightGBM, kXGBoost };

  /// The widest model the engine imports. The load-time self-check scores probe rows of the
  /// full width through both scorers (192 rows x 12 bytes per feature, plus the library's own
  /// work), and a width is only a number in the file: 1,000,000 declared features cost 3 GB and
  /// 8 s there. Wider models are scored by their library, which reads them in a fraction of that.
  static constexpr int kMaxFeatures = 4096;

  /// Imports a validated LightGBM model. Returns null and sets `why_not` (e.g. "categorical
  /// splits") when the model uses something the engine does not score: categorical splits,
  /// linear trees, average_output, more than one output, a NaN threshold, more than
  /// kMaxFeatures features.
  static std::unique_ptr<const BoosterEngine> FromLightGBM(const LightGBMModel& model,
                                                           std::string* why_not);
  /// Imports a validated XGBoost model; null with `why_not` for dart, categorical splits,
  /// vector leaves, more than one output, a NaN split condition, more than kMaxFeatures
  /// features or an objective whose base margin the engine does not derive.
  static std::unique_ptr<const BoosterEngine> FromXGBoost(const XGBoostModel& model,
                                                          std::string* why_not);

  Flavor flavor() const { return flavor_; }
  int num_features() const { return num_features_; }
  int num_trees() const { return static_cast<int>(roots_.size()); }
  /// Nodes in the engine's layout (internal nodes and leaves, all trees).
  size_t num_nodes() const { return nodes_.size(); }
  /// True when kValue is scored by the engine (the objective's link is one it applies);
  /// kRawMargin always is.
  bool has_value_output() const { return link_ != Link::kNone; }
  /// XGBoost: the margin every row's sum starts from (base_score through the objective's
  /// ProbToMargin, in float); 0 for LightGBM.
  float base_margin() const { return base_margin_; }

  /// Scores rows of x (x.cols == num_features(); values already checked by the caller: NaN is
  /// missing, +-Inf only for LightGBM) into out[x.rows]. `threads` as Forest::PredictProba.
  void Predict(const DenseMatrix& x, OutputKind kind, double* out, int threads = 1) const;
  /// One row, on the calling thread, no allocation after the first call on a thread.
  void PredictRow(const void* row, DType dtype, OutputKind kind, double* out) const;

  /// Split nodes a row passes on its way to a leaf, summed over all trees: the work no exact
  /// scorer of these trees can avoid (the benchmarks' lower bound).
  uint64_t NodesVisited(const void* row, DType dtype) const;

  /// A node of the imported trees. A split's children are adjacent: a lane goes to
  /// `base + 1` when `prepared[column] <= threshold`, else to `base` (a NaN goes to `base`).
  /// A leaf has threshold +Inf, a column that never holds NaN and base = its own index - 1,
  /// so a walk that reached it stays there. `Threshold` is float for XGBoost and for LightGBM on
  /// float32 input, double for LightGBM on float64 input (LightGBM compares double(x)).
  template <typename Threshold>
  struct Node {
    Threshold threshold;
    uint32_t column;
    int32_t base;
  };

  /// The split thresholds of feature f as the library stores them (for probe rows).
  const std::vector<double>& Thresholds(int feature) const {
    return thresholds_.at(static_cast<size_t>(feature));
  }

 private:
  enum class Link { kNone, kIdentity, kSigmoid };
  BoosterEngine() = default;
  template <typename T>
  void PredictRange(const T* x, size_t begin, size_t end, OutputKind kind, double* out) const;
  template <typename T>
  void PrepareRows(const T* x, size_t n, float* narrow, double* wide) const;
  double Finish(double margin, OutputKind kind) const;

  Flavor flavor_ = Flavor::kLightGBM;
  int num_features_ = 0;
  size_t variants_ = 1;               // prepared copies of each feature (missing-value rules)
  std::vector<Node<float>> nodes_;         // XGBoost; LightGBM on float32 input
  std::vector<Node<double>> wide_nodes_;   // LightGBM on float64 input (empty for XGBoost)
  std::vector<int32_t> roots_;
  std::vector<int32_t> depths_;      // per tree: splits on its longest root-to-leaf path
  std::vector<int32_t> min_depths_;  // per tree: splits on its shortest one
  std::vector<double> leaf_values_;   // LightGBM, per node (0 for splits): summed in double
  std::vector<float> leaf_values_f_;  // XGBoost, per node (0 for splits): summed in float
  Link link_ = Link::kNone;
  double sigmoid_scale_ = 1.0;        // LightGBM binary sigmoid:<k>
  float base_margin_ = 0.0f;          // XGBoost: the sum starts here
  std::vector<std::vector<double>> thresholds_;  // per feature, as the library stores them

  friend class BoosterEngineBuilder;
};

/// The library's own scorer of the same model: fills out[x.rows] for `kind`.
using LibraryPredict = std::function<void(const DenseMatrix& x, OutputKind kind, double* out)>;

/// The engine's self-check: scores probe rows built from the model's own split thresholds (each
/// threshold, its float32 and float64 neighbours, NaN, +-0, values LightGBM treats as zero, and
/// +-Inf when `allow_inf`) with the engine and with `library`, as float32 and float64 input and
/// for both output kinds. Returns "" when every value is bit-identical, else the first
/// difference ("float64 row 17, value: library 0.61234 engine 0.61235").
std::string CheckEngineAgainstLibrary(const BoosterEngine& engine, bool allow_inf,
                                      const LibraryPredict& library);

}  // namespace ensemble::core
