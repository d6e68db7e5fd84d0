// The checks every model shares: feature count and values once per call, then the model's own
// scoring; the thread count resolved in one place (thread_pool.h).
#include "ensemble/scorer.h"

#include "ensemble/error.h"
#include "ensemble/thread_pool.h"

namespace ensemble::core {

Scorer::Scorer(InputPolicy policy, int threads)
    : policy_(policy), threads_(ResolveThreads(threads)) {}

void Scorer::CheckKind(OutputKind kind) const {
  if (kind != OutputKind::kValue && kind != OutputKind::kRawMargin) {
    throw Error(ErrorCode::kInvalidArgument, "unknown output kind");
  }
  if (width(kind) == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                kind == OutputKind::kRawMargin ? "this model has no raw margin"
                                               : "this model has no value output");
  }
}

void Scorer::Predict(const DenseMatrix& x, OutputKind kind, double* out, double* parts,
                     int threads) const {
  CheckKind(kind);
  CheckFeatureCount(x, num_features());
  if (x.rows == 0) return;
  if (out == nullptr) throw Error(ErrorCode::kInvalidArgument, "the output buffer is null");
  CheckValues(x, policy_, &feature_names());
  Score(x, kind, out, parts_width() > 0 ? parts : nullptr,
        threads == 0 ? threads_ : ResolveThreads(threads));
}

void Scorer::PredictRow(const void* row, DType dtype, OutputKind kind, double* out,
                        double* parts) const {
  CheckKind(kind);
  if (row == nullptr || out == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "the row or output pointer is null");
  }
  const DenseMatrix x{row, dtype, 1, num_features()};
  CheckValues(x, policy_, &feature_names());
  ScoreRow(row, dtype, kind, out, parts_width() > 0 ? parts : nullptr);
}

void Scorer::Explain(const DenseMatrix& x, double* out, double* parts, int threads) const {
  if (explain_outputs() == 0) throw Error(ErrorCode::kNotExplainable, explain_note());
  CheckFeatureCount(x, num_features());
  if (x.rows == 0) return;
  if (out == nullptr) throw Error(ErrorCode::kInvalidArgument, "the output buffer is null");
  CheckValues(x, policy_, &feature_names());
  ExplainChecked(x, out, explain_parts() > 0 ? parts : nullptr,
                 threads == 0 ? threads_ : ResolveThreads(threads));
}

void Scorer::ExplainChecked(const DenseMatrix&, double*, double*, int) const {
  throw Error(ErrorCode::kNotExplainable, explain_note());
}

}  // namespace ensemble::core
