// Scores a Forest: the input check, the tree walk, tree-major row blocks and the thread split.
// Results equal scikit-learn's predict_proba bit for bit (same float32 comparison, same order of
// additions, same final division).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/threads.h"
#include "tree_walk.h"

namespace ensemble::core {
namespace {

// Doubles of at least this magnitude round to +-Inf when cast to float32 (the halfway point
// between FLT_MAX and 2^128 rounds to even, i.e. up).
constexpr double kFloatOverflow = 0x1.ffffffp+127;

// Rows scored together, tree by tree: each tree's nodes are fetched into cache once per block.
// Up to 1024 rows, within a 256 KiB prepared-row buffer (measured, 100 trees of depth 14, one
// thread: blocks of 128 rows 560k rows/s, 256 650k, 512 740k, 1024 800k, 4096 880k).
constexpr size_t kMaxBlockRows = 1024;
constexpr size_t kBlockBytes = 256 * 1024;

constexpr size_t kLanes = walk::kLanes;

using Node = Forest::Node;

inline void WalkLanes(const Node* nodes, int32_t steps, const float* const* rows, int32_t* idx) {
  walk::Lanes(nodes, steps, rows, idx);
}

// Rounds `n` rows to float32 (as scikit-learn does) into the engine's row form: NaN becomes
// +Inf in columns [0, F) and, when the forest routes NaN, -Inf in the copy at [F, 2F), so a
// split reading column f sends NaN right and one reading F + f sends it left.
template <typename T>
void PrepareRows(const T* x, size_t n, size_t nf, size_t width, float* dst) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (size_t r = 0; r < n; ++r, x += nf, dst += width) {
    for (size_t f = 0; f < nf; ++f) {
      const float v = static_cast<float>(x[f]);
      dst[f] = std::isnan(v) ? kInf : v;
    }
    if (width > nf) {
      for (size_t f = 0; f < nf; ++f) dst[nf + f] = dst[f] == kInf ? -kInf : dst[f];
    }
  }
}

inline void AddRow(const double* leaf, size_t nc, double* acc) {
  for (size_t c = 0; c < nc; ++c) acc[c] += leaf[c];
}

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

[[noreturn]] void ThrowCell(size_t row, size_t feature, const std::string& what) {
  throw Error(ErrorCode::kNonFiniteInput,
              "row " + std::to_string(row) + ", feature " + std::to_string(feature) + ": " + what);
}

}  // namespace

std::vector<std::string> Forest::feature_names() const {
  std::vector<std::string> names;
  for (const auto& kv : metadata_) {
    if (kv.first != "feature_names") continue;
    size_t start = 0;
    for (;;) {
      const size_t nl = kv.second.find('\n', start);
      names.push_back(kv.second.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return names;
}

template <typename T>
void Forest::CheckInput(const T* x, size_t rows) const {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  if (rows == 0) return;
  if (x == nullptr) throw Error(ErrorCode::kInvalidArgument, "input data is null");
  const size_t nf = static_cast<size_t>(num_features_);
  if (rows > SIZE_MAX / sizeof(T) / nf) {
    throw Error(ErrorCode::kInvalidArgument, std::to_string(rows) + " rows is too many");
  }
  const size_t n = rows * nf;
  for (size_t i = 0; i < n; ++i) {
    const T v = x[i];
    if constexpr (std::is_same_v<T, float>) {
      if (std::isfinite(v)) continue;
    } else {
      if (std::fabs(v) < kFloatOverflow) continue;  // false for NaN too
    }
    if (std::isnan(v)) {
      if (allows_nan_) continue;
      ThrowCell(i / nf, i % nf, "NaN, but this forest was not trained to accept missing values");
    }
    if (std::isinf(v)) {
      ThrowCell(i / nf, i % nf,
                std::string(v > 0 ? "+Inf" : "-Inf") +
                    " is not allowed (scikit-learn refuses infinite inputs)");
    }
    ThrowCell(i / nf, i % nf,
              FormatDouble(static_cast<double>(v)) + " overflows float32 to " +
                  (v > 0 ? "+Inf" : "-Inf") +
                  " (scikit-learn casts inputs to float32 and refuses infinite "
                  "values)");
  }
}

uint64_t Forest::NodesVisited(const double* row) const {
  std::vector<float> prepared(row_width_);
  PrepareRows(row, 1, static_cast<size_t>(num_features_), row_width_, prepared.data());
  uint64_t visited = 0;
  for (const int32_t root : roots_) {
    for (int32_t at = root;;) {
      const Node& n = nodes_[static_cast<size_t>(at)];
      if (n.child[1] == at) break;
      at = n.child[prepared[n.column] <= n.threshold];
      ++visited;
    }
  }
  return visited;
}

template void Forest::CheckInput<float>(const float*, size_t) const;
template void Forest::CheckInput<double>(const double*, size_t) const;

template <typename T>
void Forest::PredictRange(const T* x, size_t begin, size_t end, double* out) const {
  const size_t nf = static_cast<size_t>(num_features_);
  const size_t nc = static_cast<size_t>(num_classes_);
  const size_t nt = roots_.size();
  const size_t width = row_width_;
  const Node* nodes = nodes_.data();
  const double* leaves = leaf_values_.data();
  const size_t block_rows =
      std::max(kLanes, std::min(kMaxBlockRows, kBlockBytes / (width * sizeof(float))));
  thread_local std::vector<float> scratch;
  scratch.resize(std::min(block_rows, end - begin) * width);
  const float* lane_rows[kLanes];
  int32_t idx[kLanes];
  auto leaf = [&](int32_t node) { return leaves + static_cast<size_t>(nodes[node].child[0]) * nc; };
  for (size_t b = begin; b < end; b += block_rows) {
    const size_t n = std::min(block_rows, end - b);
    const float* rows = scratch.data();
    PrepareRows(x + b * nf, n, nf, width, scratch.data());
    double* o = out + b * nc;
    std::fill(o, o + n * nc, 0.0);
    // Per row, leaf rows are added in tree order, as scikit-learn's forest accumulates them.
    if (n < kLanes) {
      // Few rows (the latency path): the lanes are consecutive trees of one row.
      for (size_t r = 0; r < n; ++r) {
        std::fill(lane_rows, lane_rows + kLanes, rows + r * width);
        for (size_t t = 0; t < nt; t += kLanes) {
          const size_t m = std::min(kLanes, nt - t);
          int32_t steps = 0;
          for (size_t k = 0; k < kLanes; ++k) {
            const size_t tree = t + std::min(k, m - 1);  // spare lanes repeat the last tree
            idx[k] = roots_[tree];
            steps = std::max(steps, depths_[tree]);
          }
          WalkLanes(nodes, steps, lane_rows, idx);
          for (size_t k = 0; k < m; ++k) AddRow(leaf(idx[k]), nc, o + r * nc);
        }
      }
    } else {
      // A block: the lanes are rows walking the same tree, whose nodes stay in cache.
      for (size_t t = 0; t < nt; ++t) {
        for (size_t r = 0; r < n; r += kLanes) {
          const size_t m = std::min(kLanes, n - r);
          for (size_t k = 0; k < kLanes; ++k) {
            lane_rows[k] = rows + (r + std::min(k, m - 1)) * width;  // spare lanes repeat a row
            idx[k] = roots_[t];
          }
          WalkLanes(nodes, depths_[t], lane_rows, idx);
          for (size_t k = 0; k < m; ++k) AddRow(leaf(idx[k]), nc, o + (r + k) * nc);
        }
      }
    }
    const double trees = static_cast<double>(nt);
    for (size_t i = 0; i < n * nc; ++i) o[i] /= trees;
  }
}

template <typename T>
void Forest::Predict(const T* x, size_t rows, double* out, int threads) const {
  threads = CapThreads(threads);
  if (rows == 0) return;
  if (out == nullptr) throw Error(ErrorCode::kInvalidArgument, "output buffer is null");
  CheckInput(x, rows);
  walk::ParallelRows(rows, threads, kMinRowsPerThread,
                     [&](size_t begin, size_t end) { PredictRange(x, begin, end, out); });
}

void Forest::PredictProba(const float* x, size_t rows, double* out, int threads) const {
  Predict(x, rows, out, threads);
}

void Forest::PredictProba(const double* x, size_t rows, double* out, int threads) const {
  Predict(x, rows, out, threads);
}

}  // namespace ensemble::core
