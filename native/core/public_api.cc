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
    if (f.role == "lightgbm") {
      m.num_trees = e.lightgbm().info().num_trees;
      m.library = e.lightgbm().library().path;
      m.library_version = e.lightgbm().library().version;
      m.scorer = e.lightgbm().info().scorer;
      m.scorer_note = e.lightgbm().info().scorer_note;
    } else if (f.role == "xgboost") {
      m.num_trees = e.xgboost().info().num_trees;
      m.library = e.xgboost().library().path;
      m.library_version = e.xgboost().library().version;
      m.scorer = e.xgboost().info().scorer;
      m.scorer_note = e.xgboost().info().scorer_note;
    } else {
      m.num_trees = e.forest().num_trees();
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
  o.threads = core::ResolveThreads(options.threads);
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
    impl->info = MakeInfo(d, o.threads);
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
  core::EnsembleParts p;
  p.lightgbm = parts.lightgbm;
  p.xgboost = parts.xgboost;
  p.random_forest = parts.random_forest;
  Guard([&] { e.PredictProba(m, out, p, threads); });
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
  Guard([&] { e.PredictRow(row, DTypeOf<T>(), &out, parts != nullptr ? p : nullptr); });
  if (parts != nullptr) *parts = RowParts{p[0], p[1], p[2]};
  return out;
}

template <typename T>
void ModelBatch(const core::Ensemble& e, Model model, const T* x, size_t rows, double* out,
                int threads) {
  CheckThreads(threads);
  CheckPointers(x, rows, out);
  const int n_threads = threads > 0 ? core::CapThreads(threads) : e.threads();
  const core::DenseMatrix m{x, DTypeOf<T>(), rows, e.num_features()};
  Guard([&] {
    switch (model) {
      case Model::kLightGBM:
        e.lightgbm().Predict(m, core::OutputKind::kValue, out, n_threads);
        return;
      case Model::kXGBoost:
        e.xgboost().Predict(m, core::OutputKind::kValue, out);
        return;
      case Model::kRandomForest: {
        std::vector<double> proba(rows * 2);
        e.forest().PredictProba(x, rows, proba.data(), n_threads);
        for (size_t i = 0; i < rows; ++i) out[i] = proba[2 * i + kForestUpColumn];
        return;
      }
    }
    Invalid("unknown model " + std::to_string(static_cast<int>(model)));
  });
}

template <typename T>
double ModelOne(const core::Ensemble& e, Model model, const T* row) {
  CheckRow(row);
  return Guard([&]() -> double {
    double out = 0;
    switch (model) {
      case Model::kLightGBM:
        e.lightgbm().PredictRow(row, DTypeOf<T>(), core::OutputKind::kValue, &out);
        return out;
      case Model::kXGBoost:
        e.xgboost().Predict(core::DenseMatrix{row, DTypeOf<T>(), 1, e.num_features()},
                            core::OutputKind::kValue, &out);
        return out;
      case Model::kRandomForest: {
        double proba[2];
        e.forest().PredictProba(row, 1, proba, 1);
        return proba[kForestUpColumn];
      }
    }
    Invalid("unknown model " + std::to_string(static_cast<int>(model)));
  });
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
