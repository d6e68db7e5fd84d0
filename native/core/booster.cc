// What LightGBM and XGBoost boosters share: the choice of scorer at load, and scoring through the
// engine (one part) or the library's C API.
#include <algorithm>
#include <memory>

#include "ensemble/boosters.h"
#include "ensemble/error.h"

namespace ensemble::core {

Booster::Booster(InputPolicy policy, int threads, BoosterInfo info)
    : Scorer(policy, threads), info_(std::move(info)) {}

size_t Booster::width(OutputKind kind) const {
  return static_cast<size_t>(kind == OutputKind::kValue ? info_.output_width
                                                        : info_.margin_width);
}

void Booster::ChooseScorer(ScorerChoice choice,
                           const std::function<bool(EngineModel*, std::string*)>& import,
                           const char* library_name, bool allow_inf,
                           const LibraryPredict& library) {
  info_.scorer = "library";
  // Explanations follow the imported trees, whoever scores: the import runs for both choices.
  auto imported = std::make_shared<EngineModel>();
  std::string why_not;
  const bool ok = import(imported.get(), &why_not);
  std::shared_ptr<const EngineModel> model = std::move(imported);
  if (!ok) explainer_.Refuse(std::string("the ") + library_name + " model cannot be explained: " + why_not);
  if (choice == ScorerChoice::kLibrary) {
    info_.scorer_note = "the library was asked for";
    if (ok) explainer_.Set(model, std::string("the ") + model->library + " model cannot be explained: ");
    return;
  }
  if (!ok) {
    info_.scorer_note = why_not;
    return;
  }
  auto engine = TreeEngine::Compile({{model, {}}});
  const std::string diff = CheckEngineAgainstLibrary(*model, *engine, allow_inf, library);
  if (!diff.empty()) {
    info_.scorer_note = std::string("self-check differs from ") + library_name + ": " + diff;
    explainer_.Refuse(std::string("the ") + library_name +
                      " model cannot be explained: the engine's routing of its trees differs from " +
                      library_name + "'s (" + diff + ")");
    return;
  }
  engine_model_ = model;
  engine_ = std::move(engine);
  info_.scorer = "engine";
  info_.scorer_note.clear();
  explainer_.Set(model, std::string("the ") + model->library + " model cannot be explained: ");
}

void Booster::ExplainChecked(const DenseMatrix& x, double* out, double*, int threads) const {
  explainer_.get()->Explain(x, out, threads);
}

void Booster::Score(const DenseMatrix& x, OutputKind kind, double* out, double*,
                    int threads) const {
  if (!EngineScores(kind)) {
    LibraryScore(x, kind, out, threads);
    return;
  }
  const EngineModel& m = *engine_model_;
  const bool margin = kind == OutputKind::kRawMargin;
  engine_->Sums(x, threads, [&](size_t begin, size_t end, const double* const* sums) {
    const double* s = sums[0];
    double* o = out + begin;
    if (margin) {
      std::copy(s, s + (end - begin), o);
    } else {
      for (size_t r = 0; r < end - begin; ++r) o[r] = m.Link(s[r]);
    }
  });
}

void Booster::ScoreRow(const void* row, DType dtype, OutputKind kind, double* out,
                       double*) const {
  if (!EngineScores(kind)) {
    LibraryScoreRow(row, dtype, kind, out);
    return;
  }
  double sum = 0;
  double* sums[1] = {&sum};
  engine_->SumsRow(row, dtype, sums);
  *out = kind == OutputKind::kRawMargin ? sum : engine_model_->Link(sum);
}

int64_t Booster::NodesVisited(const double* row) const {
  return engine_ ? static_cast<int64_t>(engine_->NodesVisited(row, 0)) : -1;
}

size_t Booster::memory_bytes() const {
  // The libraries keep ~100 bytes per tree node (a rough figure for V8's heuristics).
  return static_cast<size_t>(info_.num_trees) * 64 * 100 + (engine_ ? engine_->memory_bytes() : 0);
}

}  // namespace ensemble::core
