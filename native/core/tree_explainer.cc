// The TreeExplainer: an imported model's trees checked and prepared once (depths, expected
// values, XGBoost's float node means), then rows explained tree by tree on the package's pool.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <utility>

#include "ensemble/error.h"
#include "ensemble/explain.h"
#include "ensemble/thread_pool.h"
#include "tree_shap.h"

namespace ensemble::core {

struct TreeExplainer::Impl {
  std::shared_ptr<const EngineModel> model;
  std::vector<int> columns;
  ShapMethod method = ShapMethod::kClosedForm;
  bool float_path = false;  // the recursion in float32, XGBoost's own arithmetic
  size_t features = 0;
  std::vector<shap::TreeInput> trees;
  int32_t max_depth = 0;
  std::vector<double> expected;
  // Float path: each tree's distinct split features, XGBoost's node mean at its root, its weight.
  std::vector<std::vector<int32_t>> tree_features;
  std::vector<float> root_mean;
  std::vector<float> weight;
  mutable shap::Quadrature quadrature;
  // The closed form's edge tables, built on first use (~40 bytes a node: a model that is never
  // explained does not pay for them).
  mutable std::once_flag prepared;
  mutable std::vector<shap::EdgeTable> tables;
  mutable size_t max_nodes = 0;
  mutable int max_points = 1;
  void Prepare() const;

  static constexpr size_t kBlockRows = 32;
  struct Workspace {
    std::vector<double> rows;  // a block of rows, widened
    std::vector<float> sum, tree_phi;
    shap::RecursionScratch<float> rf;
    shap::RecursionScratch<double> rd;
    shap::ClosedFormScratch cf;
  };
  Workspace NewWorkspace() const;
  void Rows(const DenseMatrix& x, size_t begin, size_t end, double* out, Workspace& ws) const;
};

namespace {

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// XGBoost's FillNodeMeanValues: each node's mean leaf value weighted by cover, in float, children
// first (they come after their parent in the imported order).
float RootMean(const EngineTree& tree, const double* leaf_values) {
  std::vector<float> mean(tree.nodes.size());
  for (size_t i = tree.nodes.size(); i-- > 0;) {
    const EngineNode& n = tree.nodes[i];
    if (n.feature < 0) {
      mean[i] = static_cast<float>(leaf_values[static_cast<size_t>(n.leaf)]);
      continue;
    }
    const size_t l = static_cast<size_t>(n.left), r = static_cast<size_t>(n.right);
    float result = mean[l] * static_cast<float>(tree.nodes[l].cover);
    result += mean[r] * static_cast<float>(tree.nodes[r].cover);
    result /= static_cast<float>(n.cover);
    mean[i] = result;
  }
  return mean[0];
}

}  // namespace

TreeExplainer::TreeExplainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TreeExplainer::~TreeExplainer() = default;

std::shared_ptr<const TreeExplainer> TreeExplainer::Build(std::shared_ptr<const EngineModel> model,
                                                          std::string* why_not,
                                                          std::vector<int> columns,
                                                          ShapMethod method) {
  auto refuse = [why_not](std::string why) -> std::shared_ptr<const TreeExplainer> {
    if (why_not != nullptr) *why_not = std::move(why);
    return nullptr;
  };
  if (!model) return refuse("no model");
  const EngineModel& m = *model;
  if (!m.explain_note.empty()) return refuse(m.explain_note);
  auto impl = std::make_unique<Impl>();
  if (columns.empty()) {
    for (int c = 0; c < m.outputs; ++c) columns.push_back(c);
  }
  for (const int c : columns) {
    if (c < 0 || c >= m.outputs) {
      throw Error(ErrorCode::kInvalidArgument, "output column " + std::to_string(c) +
                                                   " out of range (the model has " +
                                                   std::to_string(m.outputs) + ")");
    }
  }
  impl->float_path = m.float_sum && method != ShapMethod::kClosedForm;
  if (impl->float_path && columns.size() != 1) return refuse("more than one output per row");
  impl->method = method == ShapMethod::kAuto
                     ? (m.float_sum ? ShapMethod::kRecursion : ShapMethod::kClosedForm)
                     : method;
  impl->features = static_cast<size_t>(m.num_features);
  const double* leaves =
      m.explain_leaf_values.empty() ? m.leaf_values.data() : m.explain_leaf_values.data();
  // A forest's output is the mean of its trees: every leaf counts 1 / trees, as shap scales them.
  const double scale = m.link == EngineLink::kMean ? 1.0 / static_cast<double>(m.trees.size()) : 1.0;
  impl->expected.assign(columns.size(), m.base);
  float expected_f = 0;
  for (size_t t = 0; t < m.trees.size(); ++t) {
    const EngineTree& tree = m.trees[t];
    const double w = m.tree_weights.empty() ? 1.0 : m.tree_weights[t];
    std::vector<int32_t> depth(tree.nodes.size(), 0);
    std::vector<int32_t> features;
    int32_t deepest = 0;
    for (size_t i = 0; i < tree.nodes.size(); ++i) {
      const EngineNode& n = tree.nodes[i];
      deepest = std::max(deepest, depth[i]);
      if (n.feature < 0) continue;
      depth[static_cast<size_t>(n.left)] = depth[static_cast<size_t>(n.right)] = depth[i] + 1;
      if (std::find(features.begin(), features.end(), n.feature) == features.end()) {
        features.push_back(n.feature);
      }
    }
    if (tree.nodes.size() > 1) {
      for (size_t i = 0; i < tree.nodes.size(); ++i) {
        const double cover = tree.nodes[i].cover;
        if (!(cover > 0 && std::isfinite(cover))) {
          return refuse("tree " + std::to_string(t) + " has a node whose cover is " +
                        Number(cover) + " (TreeSHAP needs every node's cover > 0)");
        }
      }
    }
    impl->max_depth = std::max(impl->max_depth, deepest);
    shap::TreeInput in;
    in.tree = &tree;
    in.leaf_values = leaves;
    in.leaf_width = static_cast<size_t>(m.outputs);
    in.outputs = columns.size();
    in.scale = impl->float_path ? 1.0 : scale * w;
    in.max_depth = deepest;
    impl->trees.push_back(in);
    if (impl->float_path) {
      impl->tree_features.push_back(std::move(features));
      impl->root_mean.push_back(RootMean(tree, leaves));
      impl->weight.push_back(static_cast<float>(w));
      expected_f += impl->root_mean.back() * impl->weight.back();
      continue;
    }
    // The tree's expected value: its leaves weighted by the share of the cover that reaches them.
    for (size_t c = 0; c < columns.size(); ++c) {
      double e = 0;
      for (const EngineNode& n : tree.nodes) {
        if (n.feature >= 0) continue;
        const double share = tree.nodes.size() > 1 ? n.cover / tree.nodes[0].cover : 1.0;
        e += share * (leaves[static_cast<size_t>(n.leaf) * in.leaf_width +
                             static_cast<size_t>(columns[c])] * in.scale);
      }
      impl->expected[c] += e;
    }
  }
  if (impl->float_path) {
    expected_f += static_cast<float>(m.base);
    impl->expected[0] = expected_f;
  }
  impl->columns = std::move(columns);
  for (shap::TreeInput& in : impl->trees) in.columns = impl->columns.data();
  impl->model = std::move(model);
  return std::shared_ptr<const TreeExplainer>(new TreeExplainer(std::move(impl)));
}

size_t TreeExplainer::num_features() const { return impl_->features; }
size_t TreeExplainer::outputs() const { return impl_->columns.size(); }
const std::vector<double>& TreeExplainer::expected_values() const { return impl_->expected; }
ShapMethod TreeExplainer::method() const { return impl_->method; }
const EngineModel& TreeExplainer::model() const { return *impl_->model; }

TreeExplainer::Impl::Workspace TreeExplainer::Impl::NewWorkspace() const {
  Workspace ws;
  const int nf = static_cast<int>(features);
  ws.rows.resize(kBlockRows * features);
  if (float_path) {
    ws.sum.resize(kBlockRows * (features + 1));
    ws.tree_phi.resize(features + 1);
    ws.rf.Reserve(max_depth, nf);
  } else if (method == ShapMethod::kRecursion) {
    ws.rd.Reserve(max_depth, nf);
  } else {
    ws.cf.Reserve(max_nodes, max_points, columns.size());
  }
  return ws;
}

void TreeExplainer::Impl::Prepare() const {
  std::call_once(prepared, [this] {
    if (float_path || method != ShapMethod::kClosedForm) return;
    tables.reserve(trees.size());
    for (const shap::TreeInput& in : trees) {
      tables.push_back(shap::BuildEdgeTable(in));
      max_nodes = std::max(max_nodes, in.tree->nodes.size());
      max_points = std::max(max_points, tables.back().points);
    }
    quadrature = shap::Quadrature(max_points);
  });
}

void TreeExplainer::Impl::Rows(const DenseMatrix& x, size_t begin, size_t end, double* out,
                               Workspace& ws) const {
  const size_t nf = features, stride = nf + 1, w = columns.size() * stride;
  const Compare compare = model->compare;
  // Blocks of rows go through one tree after the other, so each tree's nodes (or leaf table)
  // come into cache once per block rather than once per row.
  for (size_t r0 = begin; r0 < end; r0 += kBlockRows) {
    const size_t n = std::min(kBlockRows, end - r0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < nf; ++j) ws.rows[i * nf + j] = x.At(r0 + i, j);
    }
    if (float_path) {
      // XGBoost's PredictContribution: each tree into its own buffer (its mean as the bias),
      // then added to the row's sums scaled by the tree's weight; the base margin last.
      std::fill(ws.sum.begin(), ws.sum.begin() + static_cast<long>(n * stride), 0.0f);
      for (size_t t = 0; t < trees.size(); ++t) {
        const float tw = weight[t];
        for (size_t i = 0; i < n; ++i) {
          float* sum = ws.sum.data() + i * stride;
          for (const int32_t f : tree_features[t]) ws.tree_phi[static_cast<size_t>(f)] = 0;
          ws.tree_phi[nf] = root_mean[t];
          shap::RecursionTree<float>(trees[t], compare, &ws.rows[i * nf], ws.tree_phi.data(), stride,
                                     ws.rf);
          for (const int32_t f : tree_features[t]) {
            sum[static_cast<size_t>(f)] += ws.tree_phi[static_cast<size_t>(f)] * tw;
          }
          sum[nf] += ws.tree_phi[nf] * tw;
        }
      }
      for (size_t i = 0; i < n; ++i) {
        float* sum = ws.sum.data() + i * stride;
        sum[nf] += static_cast<float>(model->base);
        for (size_t j = 0; j <= nf; ++j) out[(r0 + i) * w + j] = sum[j];
      }
      continue;
    }
    double* o = out + r0 * w;
    std::fill(o, o + n * w, 0.0);
    if (method == ShapMethod::kRecursion) {
      for (const shap::TreeInput& in : trees) {
        for (size_t i = 0; i < n; ++i) {
          shap::RecursionTree<double>(in, compare, &ws.rows[i * nf], o + i * w, stride, ws.rd);
        }
      }
    } else {
      const double* xs[kBlockRows];
      double* phis[kBlockRows];
      for (size_t i = 0; i < n; ++i) {
        xs[i] = &ws.rows[i * nf];
        phis[i] = o + i * w;
      }
      for (size_t t = 0; t < trees.size(); ++t) {
        for (size_t i = 0; i < n; i += shap::kClosedFormRows) {
          shap::ClosedFormTree(trees[t], tables[t], compare, xs + i, phis + i,
                               std::min(shap::kClosedFormRows, n - i), stride, quadrature, ws.cf);
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < columns.size(); ++c) o[i * w + c * stride + nf] = expected[c];
    }
  }
}

void TreeExplainer::ExplainRow(const void* row, DType dtype, double* out) const {
  impl_->Prepare();
  Impl::Workspace ws = impl_->NewWorkspace();
  impl_->Rows(DenseMatrix{row, dtype, 1, impl_->features}, 0, 1, out, ws);
}

void TreeExplainer::Explain(const DenseMatrix& x, double* out, int threads) const {
  // ParallelFor gives a thread per kMinRowsPerThread units; a row here is worth that many.
  const size_t unit = kMinRowsPerThread;
  impl_->Prepare();
  ParallelFor(x.rows * unit, threads, unit, [&](size_t begin, size_t end) {
    Impl::Workspace ws = impl_->NewWorkspace();
    impl_->Rows(x, begin / unit, end / unit, out, ws);
  });
}

}  // namespace ensemble::core
