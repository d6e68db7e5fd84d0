// Scores imported LightGBM and XGBoost trees: rows prepared once per block (each missing-value
// rule a column copy), the shared branch-free walk, each library's summation order and precision,
// then its link function.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/tree_engine.h"
#include "tree_walk.h"

namespace ensemble::core {
namespace {

constexpr size_t kLanes = walk::kLanes;
// Rows scored together, tree by tree, within a 256 KiB prepared-row buffer (as the forest).
constexpr size_t kMaxBlockRows = 1024;
constexpr size_t kBlockBytes = 256 * 1024;
// Below this many rows per thread, extra threads cost more than they save.
constexpr size_t kMinRowsPerThread = 256;
// LightGBM's kZeroThreshold: its C API drops inputs with |v| <= this (scored as 0.0), and its
// Zero missing type sends them to the default side.
constexpr double kZeroThreshold = static_cast<double>(1e-35f);

// Where each tree starts and how deep its leaves lie.
struct TreeIndex {
  const int32_t* roots;
  const int32_t* min_depths;
  const int32_t* depths;
  size_t count;
};

// Per-row sums over all trees, in tree order, in the library's accumulator type `Acc`:
// acc[r] starts at `init`. `rows` holds n prepared rows of `width` values.
template <typename Node, typename V, typename Acc>
void SumTrees(const Node* nodes, const TreeIndex& index, const Acc* leaves, const V* rows,
              size_t n, size_t width, Acc init, Acc* acc) {
  const int32_t* roots = index.roots;
  const int32_t* min_depths = index.min_depths;
  const int32_t* depths = index.depths;
  const size_t trees = index.count;
  const V* lane_rows[kLanes];
  int32_t idx[kLanes];
  std::fill(acc, acc + n, init);
  if (n < kLanes) {
    // Few rows (the latency path): the lanes are consecutive trees of one row.
    for (size_t r = 0; r < n; ++r) {
      std::fill(lane_rows, lane_rows + kLanes, rows + r * width);
      Acc sum = init;
      for (size_t t = 0; t < trees; t += kLanes) {
        const size_t m = std::min(kLanes, trees - t);
        int32_t steps = 0, min_steps = INT32_MAX;
        for (size_t k = 0; k < kLanes; ++k) {
          const size_t tree = t + std::min(k, m - 1);  // spare lanes repeat the last tree
          idx[k] = roots[tree];
          steps = std::max(steps, depths[tree]);
          min_steps = std::min(min_steps, min_depths[tree]);
        }
        walk::AdjacentLanesUntilLeaves(nodes, min_steps, steps, lane_rows, idx);
        for (size_t k = 0; k < m; ++k) sum += leaves[idx[k]];
      }
      acc[r] = sum;
    }
    return;
  }
  // A block: the lanes are rows walking the same tree, whose nodes stay in cache.
  for (size_t t = 0; t < trees; ++t) {
    for (size_t r = 0; r < n; r += kLanes) {
      const size_t m = std::min(kLanes, n - r);
      for (size_t k = 0; k < kLanes; ++k) {
        lane_rows[k] = rows + (r + std::min(k, m - 1)) * width;  // spare lanes repeat a row
        idx[k] = roots[t];
      }
      walk::AdjacentLanesUntilLeaves(nodes, min_depths[t], depths[t], lane_rows, idx);
      for (size_t k = 0; k < m; ++k) acc[r + k] += leaves[idx[k]];
    }
  }
}

}  // namespace

template <typename T>
void BoosterEngine::PrepareRows(const T* x, size_t n, float* narrow, double* wide) const {
  const size_t nf = static_cast<size_t>(num_features_);
  const size_t width = variants_ * nf;
  if (flavor_ == Flavor::kXGBoost) {
    // XGBoost scores float32(x); NaN is missing: it stays NaN in copy 0 (`NaN <= t` is false:
    // right) and is -Inf in copy 1 (left).
    for (size_t r = 0; r < n; ++r, x += nf, narrow += width) {
      for (size_t f = 0; f < nf; ++f) {
        const float v = static_cast<float>(x[f]);
        narrow[f] = v;
        narrow[nf + f] = std::isnan(v) ? -std::numeric_limits<float>::infinity() : v;
      }
    }
    return;
  }
  // LightGBM compares double(x) with double thresholds. Its C API drops |x| <= kZeroThreshold
  // (scored as 0). Missing types: None scores NaN as 0; NaN sends NaN to the default side; Zero
  // sends NaN and 0 there. A value bound left becomes -Inf, one bound right NaN (both compare
  // so with every threshold, +-Inf included). Float32 input is prepared as float32 (the float
  // thresholds are rounded so the comparison is the same), float64 input as float64.
  auto prepare = [&](auto* dst) {
    using V = std::remove_pointer_t<decltype(dst)>;
    constexpr V inf = std::numeric_limits<V>::infinity();
    constexpr V nan_v = std::numeric_limits<V>::quiet_NaN();
    for (size_t r = 0; r < n; ++r, x += nf, dst += width) {
      for (size_t f = 0; f < nf; ++f) {
        V v = static_cast<V>(x[f]);
        const bool nan = std::isnan(v);
        if (!nan && std::fabs(static_cast<double>(v)) <= kZeroThreshold) v = 0;
        const bool zero = nan || v == 0;
        dst[f] = nan ? 0 : v;
        dst[nf + f] = nan ? -inf : v;
        dst[2 * nf + f] = nan ? nan_v : v;
        dst[3 * nf + f] = zero ? -inf : v;
        dst[4 * nf + f] = zero ? nan_v : v;
      }
    }
  };
  if constexpr (std::is_same_v<T, float>) {
    prepare(narrow);
  } else {
    prepare(wide);
  }
}

double BoosterEngine::Finish(double margin, OutputKind kind) const {
  if (kind == OutputKind::kRawMargin || link_ == Link::kIdentity) return margin;
  if (flavor_ == Flavor::kXGBoost) {
    // XGBoost's sigmoid, in float.
    const float m = static_cast<float>(margin);
    return static_cast<double>(1.0f / (1.0f + std::exp(-m)));
  }
  // LightGBM's binary ConvertOutput, in double.
  return 1.0 / (1.0 + std::exp(-sigmoid_scale_ * margin));
}

template <typename T>
void BoosterEngine::PredictRange(const T* x, size_t begin, size_t end, OutputKind kind,
                                 double* out) const {
  const size_t nf = static_cast<size_t>(num_features_);
  const size_t width = variants_ * nf;
  const bool wide = flavor_ == Flavor::kLightGBM && std::is_same_v<T, double>;
  const size_t value_bytes = wide ? sizeof(double) : sizeof(float);
  const size_t block_rows =
      std::max(kLanes, std::min(kMaxBlockRows, kBlockBytes / (width * value_bytes)));
  const size_t cap = std::min(block_rows, end - begin);
  thread_local std::vector<float> narrow;
  thread_local std::vector<double> wide_rows;
  thread_local std::vector<double> acc_d;
  thread_local std::vector<float> acc_f;
  if (wide) {
    wide_rows.resize(cap * width);
  } else {
    narrow.resize(cap * width);
  }
  const TreeIndex index{roots_.data(), min_depths_.data(), depths_.data(), roots_.size()};
  for (size_t b = begin; b < end; b += block_rows) {
    const size_t n = std::min(block_rows, end - b);
    PrepareRows(x + b * nf, n, narrow.data(), wide_rows.data());
    double* o = out + b;
    if (flavor_ == Flavor::kXGBoost) {
      acc_f.resize(n);
      SumTrees(nodes_.data(), index, leaf_values_f_.data(), narrow.data(), n, width, base_margin_,
               acc_f.data());
      for (size_t i = 0; i < n; ++i) o[i] = Finish(acc_f[i], kind);
    } else {
      acc_d.resize(n);
      if (wide) {
        SumTrees(wide_nodes_.data(), index, leaf_values_.data(), wide_rows.data(), n, width, 0.0,
                 acc_d.data());
      } else {
        SumTrees(nodes_.data(), index, leaf_values_.data(), narrow.data(), n, width, 0.0,
                 acc_d.data());
      }
      for (size_t i = 0; i < n; ++i) o[i] = Finish(acc_d[i], kind);
    }
  }
}

void BoosterEngine::Predict(const DenseMatrix& x, OutputKind kind, double* out,
                            int threads) const {
  CheckFeatureCount(x, static_cast<size_t>(num_features_));
  if (x.rows == 0) return;
  if (out == nullptr) throw Error(ErrorCode::kInvalidArgument, "output buffer is null");
  if (kind == OutputKind::kValue && link_ == Link::kNone) {
    throw Error(ErrorCode::kInternal, "the engine does not apply this model's link function");
  }
  walk::ParallelRows(x.rows, threads, kMinRowsPerThread, [&](size_t begin, size_t end) {
    if (x.dtype == DType::kFloat32) {
      PredictRange(static_cast<const float*>(x.data), begin, end, kind, out);
    } else {
      PredictRange(static_cast<const double*>(x.data), begin, end, kind, out);
    }
  });
}

void BoosterEngine::PredictRow(const void* row, DType dtype, OutputKind kind, double* out) const {
  Predict(DenseMatrix{row, dtype, 1, static_cast<size_t>(num_features_)}, kind, out, 1);
}

uint64_t BoosterEngine::NodesVisited(const void* row, DType dtype) const {
  const size_t nf = static_cast<size_t>(num_features_);
  const size_t width = variants_ * nf;
  std::vector<float> narrow(width);
  std::vector<double> wide(width);
  const bool use_wide = flavor_ == Flavor::kLightGBM && dtype == DType::kFloat64;
  if (dtype == DType::kFloat32) {
    PrepareRows(static_cast<const float*>(row), 1, narrow.data(), wide.data());
  } else {
    PrepareRows(static_cast<const double*>(row), 1, narrow.data(), wide.data());
  }
  uint64_t visited = 0;
  for (const int32_t root : roots_) {
    int32_t at = root;
    for (;;) {
      if (use_wide) {
        const Node<double>& nd = wide_nodes_[static_cast<size_t>(at)];
        if (nd.base == at - 1) break;
        at = nd.base + (wide[nd.column] <= nd.threshold);
      } else {
        const Node<float>& nd = nodes_[static_cast<size_t>(at)];
        if (nd.base == at - 1) break;
        at = nd.base + (narrow[nd.column] <= nd.threshold);
      }
      ++visited;
    }
  }
  return visited;
}

}  // namespace ensemble::core
