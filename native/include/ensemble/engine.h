/// \file engine.h
/// \brief The package's one tree engine: LightGBM, XGBoost and scikit-learn forest trees brought
///        into one representation (each library's comparison, missing-value rule, accumulation
///        order and precision kept exactly), compiled once, and scored in blocks of 64 rows with
///        every model of an ensemble under one schedule. docs/engine.md explains the design.
///
/// Three steps:
/// 1. **Import** (engine_import.cc): a parsed model becomes an EngineModel. Every split is
///    rewritten as `v <= threshold` on a value v the library's own rule derives from the input:
///    LightGBM compares double(x) (values with |x| <= 1e-35 count as 0), XGBoost float(x) `<` its
///    condition, scikit-learn float(x) `<=` a double threshold; NaN goes where each split says.
/// 2. **Compile** (engine_compile.cc): per model, each feature's thresholds are sorted once
///    (exact quantisation: a row's value becomes its rank among them, so every split compares two
///    small integers), and each tree is laid out twice: its top levels as a bit-sliced program
///    (64 rows decided at once per split) and all of it as a branch-free walk.
/// 3. **Score** (engine.cc, engine_kernel_*.cc): blocks of 64 rows are ranked, then every tree of
///    every part adds its leaf value to the rows' sums in tree order; AVX-512 kernels are chosen at
///    run time where the CPU has them, portable ones elsewhere, with identical results.
///
/// Concurrency: an engine is immutable; every const method may be called from any number of
/// threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "ensemble/matrix.h"

namespace ensemble::core {

struct LightGBMModel;
struct XGBoostModel;
struct ForestModel;

/// Where a split sends a missing value (and, for LightGBM's "zero" type, a zero).
enum class MissingRule : uint8_t {
  kRight = 0,       ///< NaN goes right (it fails every comparison)
  kLeft = 1,        ///< NaN goes left
  kAsZero = 2,      ///< NaN is scored as 0.0 (LightGBM missing type None)
  kZeroLeft = 3,    ///< NaN and |x| <= 1e-35 go left (LightGBM missing type Zero, default left)
  kZeroRight = 4,   ///< NaN and |x| <= 1e-35 go right (missing type Zero, default right)
};
constexpr int kMissingRules = 5;

/// How a split compares: `v <= threshold`, v the input as the library sees it.
enum class Compare : uint8_t {
  kDouble = 0,  ///< v = double(x) (LightGBM)
  kFloat = 1,   ///< v = float(x) (XGBoost, scikit-learn); threshold is a float32 value
};

/// A node of an imported tree. A split sends v <= threshold to `left`, else `right` (node indices
/// in the same tree, greater than the node's own: a tree is acyclic by construction).
struct EngineNode {
  int32_t feature = -1;  ///< -1 for a leaf
  MissingRule missing = MissingRule::kRight;
  double threshold = 0;  ///< split: the folded threshold (see Compare)
  int32_t left = -1;     ///< split: child when v <= threshold
  int32_t right = -1;    ///< split: the other child
  int32_t leaf = -1;     ///< leaf: its row in EngineModel::leaf_values
  /// The node's cover, for TreeSHAP only (explain.h; the scorer never reads it): LightGBM's
  /// internal_count / leaf_count, XGBoost's sum_hessian, scikit-learn's weighted_n_node_samples;
  /// 0 when the file has none (EngineModel::explain_note then says so).
  double cover = 0;
};

/// One tree; node 0 is the root.
struct EngineTree {
  std::vector<EngineNode> nodes;
};

/// How a model turns its trees' sum into its output.
enum class EngineLink : uint8_t {
  kIdentity = 0,      ///< the sum (regression; raw margins)
  kSigmoid = 1,       ///< LightGBM binary: 1 / (1 + exp(-scale * sum)) in double
  kSigmoidFloat = 2,  ///< XGBoost logistic: 1.0f / (1.0f + expf(-sum)) in float
  kMean = 3,          ///< scikit-learn forest: sum / number of trees, per class
};

/// A model in the engine's terms: trees, leaf values, and how they add up.
struct EngineModel {
  std::string library;         ///< "LightGBM", "XGBoost", "scikit-learn" (messages)
  int num_features = 0;        ///< input columns
  int outputs = 1;             ///< values per leaf (classes of a forest; 1 for a booster)
  Compare compare = Compare::kDouble;
  bool float_sum = false;      ///< XGBoost: sums in float32, starting from `base`
  double base = 0;             ///< the sum's starting value (XGBoost's base margin, as a float)
  EngineLink link = EngineLink::kIdentity;
  /// False when the model's link is one the engine does not apply (its sums are still exact:
  /// raw margins come from the engine, values from the library).
  bool has_value_output = true;
  double sigmoid_scale = 1;    ///< LightGBM's sigmoid:<k>
  std::vector<EngineTree> trees;
  std::vector<double> leaf_values;  ///< leaf rows x outputs
  /// Per feature, the thresholds as the library stores them (for the self-check's probe rows).
  std::vector<std::vector<double>> library_thresholds;

  // TreeSHAP's extras (explain.h); the scorer never reads them.
  /// Why the trees cannot be explained ("" when they can), e.g. a file without node covers.
  std::string explain_note;
  /// XGBoost dart: per tree, the weight its contributions are scaled by (weight_drop); empty
  /// when every tree weighs 1.
  std::vector<double> tree_weights;
  /// XGBoost dart: the leaf values before dart's weighting, in leaf_values' order (what TreeSHAP
  /// attributes before scaling by tree_weights); empty when leaf_values serve.
  std::vector<double> explain_leaf_values;

  /// The model's output for a tree sum (kValue); a raw margin is the sum itself.
  double Link(double sum) const;
};

/// The widest booster the engine takes: its load-time self-check scores probe rows that wide, and
/// a width is only a number in the file; a wider model is left to its library.
constexpr int64_t kMaxEngineFeatures = 4096;

/// Imports a validated LightGBM model. Returns false and says why (e.g. "categorical splits",
/// "linear trees", "more than one output per row") when the engine cannot score it exactly.
bool ImportLightGBM(const LightGBMModel& model, EngineModel* out, std::string* why_not);
/// Imports a validated XGBoost model; false with the reason for what the engine does not score.
bool ImportXGBoost(const XGBoostModel& model, EngineModel* out, std::string* why_not);
/// Imports a validated forest (always possible).
EngineModel ImportForest(const ForestModel& model);

/// One or more models compiled together and scored in one pass over each block of rows.
class TreeEngine {
 public:
  /// A model and the output columns to sum (empty: all of `outputs`; the ensemble asks only for
  /// the forest's "up" column).
  struct Part {
    Part(std::shared_ptr<const EngineModel> m, std::vector<int> c = {},
         std::shared_ptr<const TreeEngine> e = nullptr)
        : model(std::move(m)), columns(std::move(c)), compiled(std::move(e)) {}
    std::shared_ptr<const EngineModel> model;
    std::vector<int> columns;
    /// Optional: an engine already compiled from this model alone with the same columns; its
    /// compiled form is shared instead of compiled again (an ensemble reuses its boosters').
    std::shared_ptr<const TreeEngine> compiled;
  };

  /// Compiles the parts (all with the same feature count). Throws kInvalidArgument otherwise.
  static std::shared_ptr<const TreeEngine> Compile(std::vector<Part> parts);
  ~TreeEngine();
  TreeEngine(const TreeEngine&) = delete;
  TreeEngine& operator=(const TreeEngine&) = delete;

  size_t num_parts() const;
  size_t num_features() const;
  /// Values per row that part `p` writes.
  size_t width(size_t p) const;
  const EngineModel& model(size_t p) const;
  /// Bytes held by the compiled program (for V8's accounting and the docs).
  size_t memory_bytes() const;
  /// The kernels in use: "avx512" or "portable".
  const char* kernel() const;

  /// Receives the tree sums of rows [begin, end) of a batch: sums[p] holds (end - begin) *
  /// width(p) values (row-major), each the sum of the row's leaves in tree order in the model's
  /// own precision (a float sum widened exactly). Called on the thread that scored the rows, once
  /// per span of up to 1024 rows, spans of one call possibly on several threads at once.
  using SpanSink = std::function<void(size_t begin, size_t end, const double* const* sums)>;

  /// Scores rows [0, x.rows) of every part, span by span, into `sink`. Values must already be
  /// checked (NaN allowed, +-Inf only for LightGBM); `threads` as ParallelFor (thread_pool.h).
  void Sums(const DenseMatrix& x, int threads, const SpanSink& sink) const;
  /// One row on the calling thread; no allocation after the first call on a thread. out[p]
  /// receives width(p) values.
  void SumsRow(const void* row, DType dtype, double* const* out) const;
  /// Split nodes one row passes on its way to a leaf in every tree of part `p`.
  uint64_t NodesVisited(const double* row, size_t p) const;

  struct Program;  // engine_program.h

 private:
  TreeEngine();
  std::unique_ptr<Program> program_;
};

/// Overrides the run-time CPU dispatch: "portable", "avx2", "avx512" (or "avx512-gather", the
/// AVX-512 kernel walking with gathers, for the engine's design measurements); "" restores the
/// detection (the best of AVX-512, AVX2, portable this CPU runs). Used by tests and benchmarks to
/// compare the kernels on one machine. Returns false for an unknown name or kernels this CPU (or
/// build) cannot run.
bool ForceEngineKernel(const std::string& name);

}  // namespace ensemble::core
