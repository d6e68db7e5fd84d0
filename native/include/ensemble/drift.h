/// \file drift.h
/// \brief Drift detection's native parts (docs/drift.md): the reference distributions a model
///        directory's metadata records (drift_reference, checked here), and sliding-window
///        histograms of the rows being scored, binned by the reference's edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/json.h"
#include "ensemble/matrix.h"

namespace ensemble::core {

class Problems;

/// One reference distribution: quantile bin edges, the count of values in each bin and the
/// count of missing values. A value v goes to bin #{edges e : e < v}; NaN is missing.
struct DriftHistogram {
  std::vector<double> edges;     ///< strictly increasing, finite; at most kMaxDriftEdges
  std::vector<uint64_t> counts;  ///< edges.size() + 1 values
  uint64_t missing = 0;
};

/// The most edges a histogram may have (bins are counted in bytes).
inline constexpr size_t kMaxDriftEdges = 253;

/// The metadata's drift_reference (docs/metadata.md): features in the metadata's order, scores
/// in the order lightgbm, xgboost, random_forest, ensemble.
struct DriftReference {
  bool present = false;
  std::vector<std::pair<std::string, DriftHistogram>> features;
  std::vector<std::pair<std::string, DriftHistogram>> scores;
  std::string features_from;  ///< what the features were drawn from (informational)
  std::string scores_from;    ///< what the scores were drawn from (informational)
};

/// The scores a reference records, in order.
inline constexpr const char* kDriftScores[4] = {"lightgbm", "xgboost", "random_forest",
                                                "ensemble"};

/// Checks `value` (the metadata's drift_reference) against the rules of docs/metadata.md and the
/// metadata's feature names; each problem is kMetadata naming `path` and the field. Returns the
/// reference (present only when every rule holds).
DriftReference ParseDriftReference(const JsonValue& value,
                                   const std::vector<std::string>& feature_names,
                                   const std::string& path, Problems& problems);

/// Histograms of several columns over the last `window` rows added (or every row, window 0),
/// each column binned by its own edges; NaN counts as missing. Thread-safe: calls are serialised.
class DriftWindow {
 public:
  /// `edges[c]`: column c's edges (strictly increasing, at most kMaxDriftEdges; checked,
  /// kInvalidArgument otherwise). `window`: rows kept (0: no sliding, counts only grow).
  DriftWindow(std::vector<std::vector<double>> edges, size_t window);

  size_t columns() const { return edges_.size(); }
  size_t window() const { return window_; }
  /// Rows in the histograms now (at most window() when it is not 0).
  size_t rows() const;
  /// Rows ever added (since construction or Reset).
  uint64_t seen() const;

  /// Adds the rows of `x` (x.cols == columns(); kFeatureMismatch otherwise), oldest first.
  void Add(const DenseMatrix& x);
  /// Adds `rows` rows given column by column: columns[c][r] (columns() pointers).
  void AddColumns(const double* const* columns, size_t rows);
  /// Column c's counts: its bins, then the missing count (edges + 2 values).
  std::vector<uint64_t> Counts(size_t c) const;
  /// Empties every histogram.
  void Reset();

 private:
  template <typename Get>
  void AddRows(size_t rows, const Get& get);

  std::vector<std::vector<double>> edges_;
  size_t window_;
  mutable std::mutex mutex_;
  std::vector<std::vector<uint64_t>> counts_;
  std::vector<uint8_t> ring_;  // window_ x columns bins of the rows in the window
  size_t next_ = 0;            // ring slot of the next row
  size_t rows_ = 0;
  uint64_t seen_ = 0;
};

}  // namespace ensemble::core
