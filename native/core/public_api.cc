// The public C++ API (include/production_ensemble.h): a thin facade over LoadModelDirectory and
// core::Ensemble that turns core::Error into production_ensemble::Error.
#include "production_ensemble.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "ensemble/error.h"
#include "ensemble/memory.h"
#include "ensemble/model_directory.h"
#include "ensemble/threads.h"

namespace production_ensemble {

namespace core = ensemble::core;

struct Ensemble::Impl {
  std::shared_ptr<const core::Ensemble> ensemble;
  double threshold = 0.5;
  Info info;
  // The last copy gone: the models' memory goes back to the system (see ensemble/memory.h).
  ~Impl() {
    const bool last = ensemble.use_count() == 1;
    ensemble.reset();
    if (last) core::ReleaseFreedMemory();
  }
};

namespace {

// Every public entry point runs its body through Guard, so callers see one exception type.
template <typename F>
auto Guard(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const core::Error& e) {
    throw Error(core::CodeName(e.code()), e.what());
  }
}

[[noreturn]] void Invalid(const std::string& message) {
  throw Error(core::CodeName(core::ErrorCode::kInvalidArgument), message);
}

// The policy of ensemble/threads.h: [0, kMaxThreads], capped at the hardware threads.
void CheckThreads(int threads) {
  if (threads < 0 || threads > core::kMaxThreads) {
    Invalid("threads must be an integer in [0, " + std::to_string(core::kMaxThreads) +
            "] (0 = the default), got " + std::to_string(threads));
  }
}

void CheckPointers(const void* x, size_t rows, const void* out) {
  if (rows > 0 && x == nullptr) Invalid("the input pointer is null");
  if (rows > 0 && out == nullptr) Invalid("the output pointer is null");
}

void CheckRow(const void* row) {
  if (row == nullptr) Invalid("the row pointer is null");
}

template <typename T>
core::DType DTypeOf() {
  return sizeof(T) == 4 ? core::DType::kFloat32 : core::DType::kFloat64;
}

// scikit-learn orders classes_ ascending: P(up) is the second probability column.
constexpr int kForestUpColumn = 1;

Info MakeInfo(const core::ModelDirectory& d, int threads) {
  const core::Ensemble& e = *d.ensemble;
  Info info;
  info.model_dir = d.dir;
  info.metadata_path = d.metadata.path;
  info.legacy_metadata = d.metadata.legacy;
  info.metadata_json = d.metadata.text;
  info.feature_names = e.feature_names();
  info.weights = Weights{e.weights().lightgbm, e.weights().xgboost, e.weights().random_forest};
  info.threshold = d.threshold;
  info.threads = threads;
  for (const core::ModelFileInfo& f : d.files) {
    Info::ModelFile m;
    m.role = f.role;
    m.path = f.path;
    m.sha256 = f.sha256;
    m.format = f.format;
    const core::Booster* booster = f.role == "lightgbm"  ? static_cast<const core::Booster*>(e.lightgbm().get())
                                   : f.role == "xgboost" ? e.xgboost().get()
                                                         : nullptr;
    if (booster != nullptr) {
      m.num_trees = booster->info().num_trees;
      m.library = booster->library().path;
      m.library_version = booster->library().version;
      m.scorer = booster->info().scorer;
      m.scorer_note = booster->info().scorer_note;
    } else {
      m.num_trees = e.forest()->num_trees();
      m.scorer = "engine";
    }
    info.models.push_back(std::move(m));
  }
  return info;
}

}  // namespace

Ensemble::Ensemble(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Ensemble Ensemble::Load(const std::string& dir, const LoadOptions& options) {
  CheckThreads(options.threads);
  if (options.threshold && !(*options.threshold >= 0 && *options.threshold <= 1)) {
    Invalid("threshold must be a number in [0, 1], got " + std::to_string(*options.threshold));
  }
  core::ModelDirectoryOptions o;
  o.threads = options.threads;
  o.lightgbm.explicit_path = options.lightgbm_library;
  o.lightgbm.dirs = options.library_dirs;
  o.xgboost.explicit_path = options.xgboost_library;
  o.xgboost.dirs = options.library_dirs;
  if (options.weights) {
    o.weights = core::EnsembleWeights{options.weights->lightgbm, options.weights->xgboost,
                                      options.weights->random_forest};
  }
  o.threshold = options.threshold;
  o.verify_checksums = options.verify_checksums;
  o.scorer = options.library_scorer ? core::ScorerChoice::kLibrary : core::ScorerChoice::kAuto;
  if (options.max_file_bytes == 0) Invalid("max_file_bytes must be > 0");
  o.max_file_bytes = options.max_file_bytes;
  return Guard([&] {
    core::ModelDirectory d = core::LoadModelDirectory(dir, o);
    core::ReleaseFreedMemory();  // the files' bytes and parsed documents are freed by now
    auto impl = std::make_shared<Impl>();
    impl->info = MakeInfo(d, d.ensemble->threads());
    impl->threshold = d.threshold;
    impl->ensemble = std::move(d.ensemble);
    return Ensemble(std::move(impl));
  });
}

size_t Ensemble::num_features() const { return impl_->ensemble->num_features(); }

const std::vector<std::string>& Ensemble::feature_names() const {
  return impl_->ensemble->feature_names();
}

double Ensemble::threshold() const { return impl_->threshold; }

Weights Ensemble::weights() const { return impl_->info.weights; }

Info Ensemble::info() const { return impl_->info; }

namespace {

template <typename T>
void Proba(const core::Ensemble& e, const T* x, size_t rows, double* out, const Parts& parts,
           int threads) {
  CheckThreads(threads);
  CheckPointers(x, rows, out);
  const core::DenseMatrix m{x, DTypeOf<T>(), rows, e.num_features()};
  double* const wanted[3] = {parts.lightgbm, parts.xgboost, parts.random_forest};
  const bool any = wanted[0] != nullptr || wanted[1] != nullptr || wanted[2] != nullptr;
  std::vector<double> all(any ? 3 * rows : 0);
  Guard([&] { e.Predict(m, core::OutputKind::kValue, out, any ? all.data() : nullptr, threads); });
  for (size_t k = 0; k < 3; ++k) {
    if (wanted[k] != nullptr) std::copy(all.begin() + k * rows, all.begin() + (k + 1) * rows, wanted[k]);
  }
}

template <typename T>
void Labels(const core::Ensemble& e, double threshold, const T* x, size_t rows, uint8_t* labels,
            int threads) {
  CheckPointers(x, rows, labels);
  std::vector<double> p(rows);
  Proba(e, x, rows, p.data(), Parts{}, threads);
  for (size_t i = 0; i < rows; ++i) labels[i] = p[i] >= threshold ? 1 : 0;
}

template <typename T>
double One(const core::Ensemble& e, const T* row, RowParts* parts) {
  CheckRow(row);
  double out = 0;
  double p[3];
  Guard([&] {
    e.PredictRow(row, DTypeOf<T>(), core::OutputKind::kValue, &out, parts != nullptr ? p : nullptr);
  });
  if (parts != nullptr) *parts = RowParts{p[0], p[1], p[2]};
  return out;
}

// A member of the ensemble and the column of its output that is P(up).
struct Member {
  const core::Scorer* scorer;
  size_t column;
};

Member MemberOf(const core::Ensemble& e, Model model) {
  switch (model) {
    case Model::kLightGBM: return {e.lightgbm().get(), 0};
    case Model::kXGBoost: return {e.xgboost().get(), 0};
    case Model::kRandomForest: return {e.forest().get(), kForestUpColumn};
  }
  Invalid("unknown model " + std::to_string(static_cast<int>(model)));
}

template <typename T>
void ModelBatch(const core::Ensemble& e, Model model, const T* x, size_t rows, double* out,
                int threads) {
  CheckThreads(threads);
  CheckPointers(x, rows, out);
  const Member member = MemberOf(e, model);
  const size_t width = member.scorer->width(core::OutputKind::kValue);
  std::vector<double> all(width > 1 ? rows * width : 0);
  Guard([&] {
    member.scorer->Predict(core::DenseMatrix{x, DTypeOf<T>(), rows, e.num_features()},
                           core::OutputKind::kValue, width > 1 ? all.data() : out, nullptr,
                           threads);
  });
  if (width > 1) {
    for (size_t i = 0; i < rows; ++i) out[i] = all[i * width + member.column];
  }
}

template <typename T>
double ModelOne(const core::Ensemble& e, Model model, const T* row) {
  CheckRow(row);
  const Member member = MemberOf(e, model);
  double values[8] = {};
  std::vector<double> many(member.scorer->width(core::OutputKind::kValue) > 8
                               ? member.scorer->width(core::OutputKind::kValue)
                               : 0);
  double* o = many.empty() ? values : many.data();
  Guard([&] { member.scorer->PredictRow(row, DTypeOf<T>(), core::OutputKind::kValue, o); });
  return o[member.column];
}

}  // namespace

void Ensemble::PredictProba(const double* x, size_t rows, double* out, int threads) const {
  Proba(*impl_->ensemble, x, rows, out, Parts{}, threads);
}
void Ensemble::PredictProba(const float* x, size_t rows, double* out, int threads) const {
  Proba(*impl_->ensemble, x, rows, out, Parts{}, threads);
}
void Ensemble::PredictProba(const double* x, size_t rows, double* out, const Parts& parts,
                            int threads) const {
  Proba(*impl_->ensemble, x, rows, out, parts, threads);
}
void Ensemble::PredictProba(const float* x, size_t rows, double* out, const Parts& parts,
                            int threads) const {
  Proba(*impl_->ensemble, x, rows, out, parts, threads);
}

void Ensemble::Predict(const double* x, size_t rows, uint8_t* labels, int threads) const {
  Labels(*impl_->ensemble, impl_->threshold, x, rows, labels, threads);
}
void Ensemble::Predict(const float* x, size_t rows, uint8_t* labels, int threads) const {
  Labels(*impl_->ensemble, impl_->threshold, x, rows, labels, threads);
}

double Ensemble::PredictOne(const double* row, RowParts* parts) const {
  return One(*impl_->ensemble, row, parts);
}
double Ensemble::PredictOne(const float* row, RowParts* parts) const {
  return One(*impl_->ensemble, row, parts);
}

void Ensemble::PredictModel(Model model, const double* x, size_t rows, double* out,
                            int threads) const {
  ModelBatch(*impl_->ensemble, model, x, rows, out, threads);
}
void Ensemble::PredictModel(Model model, const float* x, size_t rows, double* out,
                            int threads) const {
  ModelBatch(*impl_->ensemble, model, x, rows, out, threads);
}

double Ensemble::PredictModelOne(Model model, const double* row) const {
  return ModelOne(*impl_->ensemble, model, row);
}
double Ensemble::PredictModelOne(Model model, const float* row) const {
  return ModelOne(*impl_->ensemble, model, row);
}

}  // namespace production_ensemble
