/// \file forest.h
/// \brief The package's own tree-ensemble engine, loaded from the data-only forest format
///        (docs/forest-format.md): validation on load, exact scikit-learn scoring semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/file_io.h"

namespace ensemble::core {

/// Which scikit-learn estimator a forest file was exported from (header field `estimator kind`).
enum class ForestEstimator : int { kRandomForest = 0, kExtraTrees = 1 };

/// An immutable, validated tree ensemble scored by the package itself.
///
/// The engine is general: nodes are 16-byte records in one flat array for all trees, each tree
/// starts at a root index, a leaf names a row of the leaf-value table, and a tree's output is
/// that row of `num_classes()` doubles, accumulated over the trees in tree order and then
/// averaged. The scikit-learn forest file is one front end; other tree models can be brought
/// into the same layout.
///
/// Concurrency: every const method may be called from any number of threads at once.
class Forest {
 public:
  /// Parses and validates a forest file image; `data` is not referenced afterwards.
  /// Throws kModelFormat naming `source` on any malformed, inconsistent or corrupt input,
  /// e.g. "<source>: checksum mismatch (file corrupt or truncated)".
  static Forest FromBytes(const uint8_t* data, size_t size, const std::string& source);
  /// Reads and validates a forest file; kModelNotFound if it cannot be opened or read. The file
  /// is checked with CheckFile before it is read.
  static Forest FromFile(const std::string& path);
  /// Checks what the first 48 bytes of a forest file (`head`, `head_size` of them: all of them
  /// for a shorter file) say against the file's size: magic, version, `file_size`, the header's
  /// counts and the sections they need, and at most 64 MiB of metadata records, so the counts
  /// fix the size. Throws kModelFormat as FromBytes does. Cheap: for a caller that has not read
  /// the file yet.
  static void CheckHead(const uint8_t* head, size_t head_size, uint64_t file_size,
                        const std::string& source);
  /// CheckHead on the file at `path` (which must be a regular file, else kModelNotFound), and
  /// its end magic: 52 bytes read, whatever the file's size. A caller that reads or hashes the
  /// whole file calls this first.
  static void CheckFile(const std::string& path, const FileReadLimits& limits = {});

  /// Number of input columns the forest expects.
  int num_features() const { return num_features_; }
  /// Number of classes, i.e. of probabilities per row.
  int num_classes() const { return num_classes_; }
  /// Number of trees.
  int num_trees() const { return static_cast<int>(roots_.size()); }
  /// Number of nodes in the file (internal nodes and leaves, all trees).
  size_t num_nodes() const { return num_file_nodes_; }
  /// True when NaN inputs are accepted and routed by each split's missing-value direction.
  bool allows_nan() const { return allows_nan_; }
  /// The class labels (scikit-learn `classes_`), in probability-column order.
  const std::vector<double>& classes() const { return classes_; }
  /// The estimator the file was exported from.
  ForestEstimator estimator() const { return estimator_; }
  /// The file's key/value metadata records in file order (producer, sklearn_version, ...).
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  /// Feature names from the `feature_names` metadata record; empty when the file has none.
  std::vector<std::string> feature_names() const;

  /// Class probabilities, exactly as scikit-learn's predict_proba computes them.
  /// `x`: rows x num_features() row-major; `out`: rows x num_classes() doubles, caller-owned.
  /// The whole input is checked first (CheckInput), so on error `out` is untouched.
  /// `threads`: 1 = the calling thread only; 0 = all hardware threads; > 1 splits large
  /// batches (at least kMinRowsPerThread rows per thread) across std::threads.
  void PredictProba(const float* x, size_t rows, double* out, int threads = 1) const;
  /// As above for float64 input, which is rounded to float32 first as scikit-learn does.
  void PredictProba(const double* x, size_t rows, double* out, int threads = 1) const;

  /// Throws kNonFiniteInput at the first refused cell, naming row and feature: +-Inf always
  /// (and float64 values that overflow float32), NaN unless allows_nan().
  template <typename T>
  void CheckInput(const T* x, size_t rows) const;

  /// Split nodes one row (num_features() float64 values, already checked) passes on its way
  /// to a leaf, summed over all trees: the work no exact scorer can avoid.
  uint64_t NodesVisited(const double* row) const;

  /// Below this many rows per thread, extra threads cost more than they save (measured on 2
  /// cores, 100 trees of depth 14: 2 threads are 1.1x faster at 256 rows, 1.3x at 512, 1.7x
  /// at 1024).
  static constexpr size_t kMinRowsPerThread = 256;

  /// A node of the engine's layout. A split sends a row to child[1] when `v <= threshold`,
  /// else to child[0], where v = the prepared row's column `column`. A leaf has threshold +Inf
  /// and child[1] = itself, so a walk that reached it stays there, and child[0] = its row of the
  /// leaf-value table.
  /// The engine prepares each input row as float32 values with NaN replaced by +Inf in columns
  /// [0, F) and by -Inf in columns [F, 2F): a split whose missing values go left reads its
  /// feature from the second copy, so the comparison alone routes NaN (inputs can't be +-Inf).
  /// `threshold` is the largest float32 <= the file's float64 threshold t (+Inf becomes
  /// FLT_MAX), so `v <= threshold` equals scikit-learn's `double(v) <= t` for every finite float v.
  struct Node {
    float threshold;
    uint32_t column;
    int32_t child[2];  ///< {taken when v > threshold, taken when v <= threshold}; see above
  };

 private:
  Forest() = default;
  template <typename T>
  void Predict(const T* x, size_t rows, double* out, int threads) const;
  template <typename T>
  void PredictRange(const T* x, size_t begin, size_t end, double* out) const;

  int num_features_ = 0;
  int num_classes_ = 0;
  size_t num_file_nodes_ = 0;
  bool allows_nan_ = false;
  ForestEstimator estimator_ = ForestEstimator::kRandomForest;
  size_t row_width_ = 0;             // columns of a prepared row: F, or 2F when NaN is allowed
  std::vector<Node> nodes_;          // all trees' nodes, each tree's in file (depth-first) order
  std::vector<int32_t> roots_;       // per tree: index of its root in nodes_
  std::vector<int32_t> depths_;      // per tree: splits on its longest root-to-leaf path
  std::vector<double> leaf_values_;  // leaf rows x num_classes_
  std::vector<double> classes_;
  std::vector<std::pair<std::string, std::string>> metadata_;

  friend class ForestBuilder;
};

extern template void Forest::CheckInput<float>(const float*, size_t) const;
extern template void Forest::CheckInput<double>(const double*, size_t) const;

}  // namespace ensemble::core
