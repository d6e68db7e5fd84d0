/// \file forest.h
/// \brief A scikit-learn forest loaded from the package's data-only forest format
///        (docs/forest-format.md) and scored by the package's tree engine with exact scikit-learn
///        semantics (float32 comparisons, NaN routing, leaf fractions summed in tree order then
///        divided by the tree count).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/explain.h"
#include "ensemble/file_io.h"
#include "ensemble/forest_model.h"
#include "ensemble/scorer.h"

namespace ensemble::core {

/// An immutable, validated forest. Every const method may be called from any number of threads
/// at once.
class Forest : public Scorer {
 public:
  /// Parses and validates a forest file image; `data` is not referenced afterwards. `threads`:
  /// batch threads (0 = every core). Throws kModelFormat naming `source` on any malformed,
  /// inconsistent or corrupt input, e.g. "<source>: checksum mismatch (file corrupt or truncated)".
  static std::shared_ptr<const Forest> FromBytes(const uint8_t* data, size_t size,
                                                 const std::string& source, int threads = 0);
  /// Reads and validates a forest file (a regular file of at most limits.max_bytes, checked with
  /// CheckFile before it is read); kModelNotFound if it cannot be opened or read.
  static std::shared_ptr<const Forest> FromFile(const std::string& path, int threads = 0,
                                                const FileReadLimits& limits = {});
  /// Checks what the first 48 bytes of a forest file (`head`, `head_size` of them: all of them
  /// for a shorter file) say against the file's size: magic, version, `file_size`, the header's
  /// counts and the sections they need, and at most 64 MiB of metadata records, so the counts
  /// fix the size. Throws kModelFormat as FromBytes does. Cheap: for a caller that has not read
  /// the file yet.
  static void CheckHead(const uint8_t* head, size_t head_size, uint64_t file_size,
                        const std::string& source);
  /// CheckHead on the file at `path` (a regular file under limits.max_bytes, else
  /// kModelNotFound / kModelFormat), and its end magic: 52 bytes read, whatever the file's size.
  /// A caller that reads or hashes the whole file calls this first.
  static void CheckFile(const std::string& path, const FileReadLimits& limits = {});

  /// Number of classes, i.e. of probabilities per row.
  int num_classes() const { return model_.num_classes; }
  /// Number of trees.
  int num_trees() const { return static_cast<int>(model_.num_trees()); }
  /// Number of nodes in the file (internal nodes and leaves, all trees).
  size_t num_nodes() const { return model_.num_file_nodes; }
  /// True when NaN inputs are accepted and routed by each split's missing-value direction.
  bool allows_nan() const { return model_.allows_nan; }
  /// The class labels (scikit-learn `classes_`), in probability-column order.
  const std::vector<double>& classes() const { return model_.classes; }
  /// The estimator the file was exported from.
  ForestEstimator estimator() const { return model_.estimator; }
  /// The file's key/value metadata records in file order (producer, sklearn_version, ...).
  const std::vector<std::pair<std::string, std::string>>& metadata() const {
    return model_.metadata;
  }
  /// The trees in the engine's terms (an ensemble compiles them together with its boosters).
  const std::shared_ptr<const EngineModel>& engine_model() const { return engine_model_; }

  size_t num_features() const override { return static_cast<size_t>(model_.num_features); }
  /// kValue: the class probabilities (num_classes per row); a forest has no raw margin.
  size_t width(OutputKind kind) const override;
  /// Feature names from the file's `feature_names` record; empty when it has none.
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  int64_t NodesVisited(const double* row) const override;
  size_t memory_bytes() const override;
  /// Every class probability when the file records node weights (format 1.1), else 0.
  size_t explain_outputs() const override {
    return explainer_.get() ? explainer_.get()->outputs() : 0;
  }
  std::string explain_note() const override { return explainer_.note(); }

 protected:
  void ExplainChecked(const DenseMatrix& x, double* out, double* parts,
                      int threads) const override;
  void Score(const DenseMatrix& x, OutputKind kind, double* out, double* parts,
             int threads) const override;
  void ScoreRow(const void* row, DType dtype, OutputKind kind, double* out,
                double* parts) const override;

 private:
  Forest(ForestModel model, int threads);

  // The engine for this forest alone, compiled on first use: an ensemble compiles the trees
  // with its own column choice, so a forest loaded as part of one is never compiled twice.
  const TreeEngine& engine() const;

  ForestModel model_;  // the file's facts; its trees are dropped once imported
  std::vector<std::string> feature_names_;
  std::shared_ptr<const EngineModel> engine_model_;
  LazyExplainer explainer_;
  mutable std::once_flag engine_once_;
  mutable std::shared_ptr<const TreeEngine> engine_;
  mutable std::atomic<bool> engine_ready_{false};
};

}  // namespace ensemble::core
