// A forest as a Scorer: the validated file imported into the engine, every class's probability
// summed in tree order and divided by the number of trees, as scikit-learn's predict_proba does.
#include "ensemble/forest.h"

#include <algorithm>

#include "ensemble/error.h"
#include "ensemble/file_io.h"

namespace ensemble::core {
namespace {

InputPolicy ForestPolicy(bool allows_nan) {
  // scikit-learn refuses +-Inf, and casts float64 input to float32 (where values beyond its range
  // become +-Inf); NaN only when the forest was trained to route it.
  return InputPolicy{allows_nan, false, true, "the random forest"};
}

}  // namespace

Forest::Forest(ForestModel model, int threads)
    : Scorer(ForestPolicy(model.allows_nan), threads),
      model_(std::move(model)),
      feature_names_(ForestFeatureNames(model_)) {
  engine_model_ = std::make_shared<const EngineModel>(ImportForest(model_));
  explainer_.Set(engine_model_, "the random forest cannot be explained: ");
  // The engine holds the trees now; keep only the file's facts.
  model_.nodes.clear();
  model_.nodes.shrink_to_fit();
  model_.leaf_values.clear();
  model_.leaf_values.shrink_to_fit();
  model_.node_weights.clear();
  model_.node_weights.shrink_to_fit();
}

std::shared_ptr<const Forest> Forest::FromBytes(const uint8_t* data, size_t size,
                                                const std::string& source, int threads) {
  return std::shared_ptr<const Forest>(new Forest(ParseForest(data, size, source), threads));
}

const TreeEngine& Forest::engine() const {
  std::call_once(engine_once_, [&] {
    engine_ = TreeEngine::Compile({{engine_model_, {}}});
    engine_ready_.store(true, std::memory_order_release);
  });
  return *engine_;
}

size_t Forest::width(OutputKind kind) const {
  return kind == OutputKind::kValue ? static_cast<size_t>(model_.num_classes) : 0;
}

void Forest::Score(const DenseMatrix& x, OutputKind, double* out, double*, int threads) const {
  const size_t nc = static_cast<size_t>(model_.num_classes);
  const double trees = static_cast<double>(model_.num_trees());
  engine().Sums(x, threads, [&](size_t begin, size_t end, const double* const* sums) {
    const double* s = sums[0];
    double* o = out + begin * nc;
    for (size_t i = 0; i < (end - begin) * nc; ++i) o[i] = s[i] / trees;
  });
}

void Forest::ScoreRow(const void* row, DType dtype, OutputKind, double* out, double*) const {
  double* sums[1] = {out};
  engine().SumsRow(row, dtype, sums);
  const double trees = static_cast<double>(model_.num_trees());
  for (size_t c = 0; c < static_cast<size_t>(model_.num_classes); ++c) out[c] /= trees;
}

int64_t Forest::NodesVisited(const double* row) const {
  return static_cast<int64_t>(engine().NodesVisited(row, 0));
}

size_t Forest::memory_bytes() const {
  size_t n = 0;
  for (const EngineTree& t : engine_model_->trees) n += t.nodes.size() * sizeof(EngineNode);
  n += engine_model_->leaf_values.size() * sizeof(double);
  if (engine_ready_.load(std::memory_order_acquire)) n += engine_->memory_bytes();
  return n;
}

void Forest::ExplainChecked(const DenseMatrix& x, double* out, double*, int threads) const {
  explainer_.get()->Explain(x, out, threads);
}

}  // namespace ensemble::core
