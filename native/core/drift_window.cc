// Sliding-window histograms for drift detection: each row's bin per column kept in a ring, so
// the row falling out of the window is taken off the counts it was added to. Binning is a count
// of the edges below the value, branch-free, cheap beside scoring the row (docs/drift.md).
#include <algorithm>
#include <cmath>
#include <string>

#include "ensemble/drift.h"
#include "ensemble/error.h"

namespace ensemble::core {
namespace {

// #{edges below v}; the missing bin (edges + 1) for NaN.
inline uint8_t Bin(const std::vector<double>& edges, double v) {
  if (std::isnan(v)) return static_cast<uint8_t>(edges.size() + 1);
  unsigned bin = 0;
  for (const double e : edges) bin += e < v;
  return static_cast<uint8_t>(bin);
}

}  // namespace

DriftWindow::DriftWindow(std::vector<std::vector<double>> edges, size_t window)
    : edges_(std::move(edges)), window_(window) {
  for (size_t c = 0; c < edges_.size(); ++c) {
    const std::vector<double>& e = edges_[c];
    if (e.size() > kMaxDriftEdges) {
      throw Error(ErrorCode::kInvalidArgument, "column " + std::to_string(c) + " has " +
                                                   std::to_string(e.size()) + " edges, at most " +
                                                   std::to_string(kMaxDriftEdges));
    }
    for (size_t i = 0; i < e.size(); ++i) {
      if (!std::isfinite(e[i]) || (i > 0 && !(e[i] > e[i - 1]))) {
        throw Error(ErrorCode::kInvalidArgument,
                    "column " + std::to_string(c) + ": edges must be finite and increasing");
      }
    }
  }
  counts_.resize(edges_.size());
  for (size_t c = 0; c < edges_.size(); ++c) counts_[c].assign(edges_[c].size() + 2, 0);
  ring_.assign(window_ * edges_.size(), 0);
}

size_t DriftWindow::rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_;
}

uint64_t DriftWindow::seen() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_;
}

template <typename Get>
void DriftWindow::AddRows(size_t rows, const Get& get) {
  const size_t nc = edges_.size();
  std::lock_guard<std::mutex> lock(mutex_);
  seen_ += rows;
  if (window_ == 0) {
    for (size_t c = 0; c < nc; ++c) {
      uint64_t* counts = counts_[c].data();
      const std::vector<double>& e = edges_[c];
      for (size_t r = 0; r < rows; ++r) ++counts[Bin(e, get(r, c))];
    }
    rows_ += rows;
    return;
  }
  // Rows older than the last `window_` of this batch would leave the window at once.
  const size_t skip = rows > window_ ? rows - window_ : 0;
  for (size_t r = skip; r < rows; ++r) {
    uint8_t* slot = &ring_[next_ * nc];
    const bool full = rows_ == window_;
    for (size_t c = 0; c < nc; ++c) {
      if (full) --counts_[c][slot[c]];
      slot[c] = Bin(edges_[c], get(r, c));
      ++counts_[c][slot[c]];
    }
    if (!full) ++rows_;
    next_ = next_ + 1 == window_ ? 0 : next_ + 1;
  }
}

void DriftWindow::Add(const DenseMatrix& x) {
  if (x.cols != edges_.size()) {
    throw Error(ErrorCode::kFeatureMismatch, "expected " + std::to_string(edges_.size()) +
                                                 " columns, got " + std::to_string(x.cols));
  }
  if (x.rows > 0 && x.data == nullptr) throw Error(ErrorCode::kInvalidArgument, "no data");
  if (x.dtype == DType::kFloat32) {
    const float* d = static_cast<const float*>(x.data);
    AddRows(x.rows, [&](size_t r, size_t c) { return static_cast<double>(d[r * x.cols + c]); });
  } else {
    const double* d = static_cast<const double*>(x.data);
    AddRows(x.rows, [&](size_t r, size_t c) { return d[r * x.cols + c]; });
  }
}

void DriftWindow::AddColumns(const double* const* columns, size_t rows) {
  AddRows(rows, [&](size_t r, size_t c) { return columns[c][r]; });
}

std::vector<uint64_t> DriftWindow::Counts(size_t c) const {
  if (c >= edges_.size()) {
    throw Error(ErrorCode::kInvalidArgument, "column " + std::to_string(c) + " out of range");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_[c];
}

void DriftWindow::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : counts_) std::fill(c.begin(), c.end(), 0);
  std::fill(ring_.begin(), ring_.end(), 0);
  next_ = rows_ = 0;
  seen_ = 0;
}

}  // namespace ensemble::core
