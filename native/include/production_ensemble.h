/// \file production_ensemble.h
/// \brief The package's public C++ API: load a model directory (models/production layout) and
///        score 12-feature rows with P(up) = 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest.
///
/// A small, stable facade over the C++ core (native/include/ensemble/*.h, which may change
/// between versions). It includes no other header of the package and no library's header;
/// LightGBM and XGBoost are loaded at run time (dlopen), see LoadOptions. Build and link:
/// docs/cpp-api.md.
///
/// \code
///   auto model = production_ensemble::Ensemble::Load("models/production");
///   std::vector<double> p(rows);
///   model.PredictProba(x.data(), rows, p.data());   // x: rows * model.num_features() doubles
///   double one = model.PredictOne(x.data());         // the single-row latency path
/// \endcode
///
/// Concurrency: every const method may be called from any number of threads at once, on one
/// object or on copies of it (copies share the loaded models).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// Bumped when a declaration of this header changes incompatibly.
#define PRODUCTION_ENSEMBLE_API_VERSION 1

namespace production_ensemble {

/// The one exception type of this API. `code()` is a stable string, the same the JS API
/// exposes (docs/errors.md): "ERR_MODEL_NOT_FOUND", "ERR_MODEL_FORMAT", "ERR_METADATA",
/// "ERR_LIBRARY_LOAD", "ERR_LIBRARY_CALL", "ERR_FEATURE_MISMATCH", "ERR_NON_FINITE_INPUT",
/// "ERR_INVALID_ARGUMENT", "ERR_INTERNAL". The message names the file, row or feature at fault.
class Error : public std::runtime_error {
 public:
  /// An error with a stable `code` and a human-readable `message`.
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  /// The stable error code, e.g. "ERR_MODEL_FORMAT".
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

/// The share of each model in the combined probability.
struct Weights {
  double lightgbm = 0.4;       ///< LightGBM's weight
  double xgboost = 0.4;        ///< XGBoost's weight
  double random_forest = 0.2;  ///< the random forest's weight
};

/// How to load a model directory. Every field has a working default.
struct LoadOptions {
  /// Default batch thread count of every model; 0 = all hardware threads. XGBoost's count is
  /// fixed here (its `nthread` cannot change per call); single rows always use one thread.
  /// Every count (here and per call) must be in [0, 1024] (else ERR_INVALID_ARGUMENT) and is
  /// capped at the hardware threads.
  int threads = 0;
  /// Full path of lib_lightgbm to load; empty = search (below).
  std::string lightgbm_library;
  /// Full path of libxgboost to load; empty = search (below).
  std::string xgboost_library;
  /// Where to search for the libraries when no path is given: first LIGHTGBM_LIB /
  /// XGBOOST_LIB, then these directories in order, then the system's library path.
  std::vector<std::string> library_dirs;
  /// Overrides the metadata's model_weights; the same rules apply (each finite and >= 0, the
  /// sum 1 within 1e-6), else ERR_INVALID_ARGUMENT.
  std::optional<Weights> weights;
  /// Overrides the metadata's decision_threshold; must be in [0, 1].
  std::optional<double> threshold;
  /// Compare each model file with the sha256 the metadata records.
  bool verify_checksums = true;
  /// Score LightGBM and XGBoost always through their C APIs. By default (false) the package's
  /// tree engine scores each booster it supports after a load-time self-check that it matches
  /// the library bit for bit (docs/architecture.md); Info::ModelFile::scorer says which is used.
  bool library_scorer = false;
  /// Largest model file read, in bytes (default 1 GiB); a larger one is refused unread with
  /// ERR_MODEL_FORMAT. Only regular files are read (a FIFO or a device is ERR_MODEL_NOT_FOUND).
  /// The metadata file's own cap is 16 MiB, or this when smaller.
  uint64_t max_file_bytes = uint64_t{1} << 30;
};

/// One of the three models of the ensemble.
enum class Model : int {
  kLightGBM = 0,      ///< the LightGBM booster (through lib_lightgbm)
  kXGBoost = 1,       ///< the XGBoost booster (through libxgboost)
  kRandomForest = 2,  ///< the random forest (the package's own forest engine)
};

/// Optional per-model outputs of a batch: each non-null pointer receives `rows` values of
/// P(up) from that model alone.
struct Parts {
  double* lightgbm = nullptr;       ///< rows values, or null to skip
  double* xgboost = nullptr;        ///< rows values, or null to skip
  double* random_forest = nullptr;  ///< rows values, or null to skip
};

/// Per-model P(up) of one row.
struct RowParts {
  double lightgbm = 0;       ///< LightGBM's P(up)
  double xgboost = 0;        ///< XGBoost's P(up)
  double random_forest = 0;  ///< the random forest's P(up)
};

/// What was loaded, for logs and health checks.
struct Info {
  /// One model file.
  struct ModelFile {
    std::string role;     ///< "lightgbm", "xgboost" or "random_forest"
    std::string path;     ///< the file loaded
    std::string sha256;   ///< of its bytes
    std::string format;   ///< e.g. "lightgbm-text", "xgboost-json", "production-ensemble-forest"
    int num_trees = 0;    ///< trees in the model
    std::string library;          ///< path of the library that scores it; empty for the forest,
                                  ///< which the package's own engine scores
    std::string library_version;  ///< e.g. "4.7.0"; empty for the forest
    /// "engine" (the package's tree engine, checked against the library at load) or "library"
    /// (the C API); scorer_note says why not the engine.
    std::string scorer;
    std::string scorer_note;
  };
  std::string model_dir;              ///< the directory as given
  std::string metadata_path;          ///< the metadata file read
  bool legacy_metadata = false;       ///< only the legacy model_metadata.json was found
  std::string metadata_json;          ///< its text, for the fields this API does not expose
  std::vector<std::string> feature_names;  ///< in column order
  Weights weights;                    ///< in force
  double threshold = 0.5;             ///< in force
  int threads = 1;                    ///< default batch thread count
  std::vector<ModelFile> models;      ///< lightgbm, xgboost, random_forest
};

/// A loaded ensemble. Cheap to copy (copies share the models); all methods are const and
/// thread-safe. Inputs are dense row-major matrices of num_features() columns, read in place;
/// outputs are caller-owned buffers. NaN is a missing value; ±Inf is refused with
/// ERR_NON_FINITE_INPUT naming the row and feature (XGBoost and scikit-learn refuse it), except
/// by LightGBM alone (PredictModel with Model::kLightGBM), which scores it as LightGBM does.
class Ensemble {
 public:
  /// Loads `dir` (production_model_metadata.json or the legacy model_metadata.json, and the
  /// three model files it names), checking the metadata against the models. Throws Error:
  /// ERR_MODEL_NOT_FOUND, ERR_METADATA, ERR_MODEL_FORMAT, ERR_LIBRARY_LOAD, ERR_INVALID_ARGUMENT.
  static Ensemble Load(const std::string& dir, const LoadOptions& options = {});

  /// Columns per row.
  size_t num_features() const;
  /// Feature names in column order.
  const std::vector<std::string>& feature_names() const;
  /// The decision threshold Predict uses.
  double threshold() const;
  /// The weights in force.
  Weights weights() const;
  /// Versions, files, trees, weights: see Info.
  Info info() const;

  /// P(up) of each of `rows` rows of `x` (rows * num_features() values) into out[rows];
  /// per-model values into `parts` when given. `threads`: 0 = the load-time count; it bounds
  /// LightGBM and the forest (XGBoost uses the load-time count, see LoadOptions::threads).
  void PredictProba(const double* x, size_t rows, double* out, int threads = 0) const;
  /// As above for float32 input.
  void PredictProba(const float* x, size_t rows, double* out, int threads = 0) const;
  /// As above, with per-model outputs.
  void PredictProba(const double* x, size_t rows, double* out, const Parts& parts,
                    int threads = 0) const;
  /// As above for float32 input, with per-model outputs.
  void PredictProba(const float* x, size_t rows, double* out, const Parts& parts,
                    int threads = 0) const;

  /// Class labels (1 = up) into labels[rows]: PredictProba(x) >= threshold().
  void Predict(const double* x, size_t rows, uint8_t* labels, int threads = 0) const;
  /// As above for float32 input.
  void Predict(const float* x, size_t rows, uint8_t* labels, int threads = 0) const;

  /// P(up) of one row of num_features() values: the latency path, on the calling thread only.
  /// `parts`, when not null, receives each model's P(up).
  double PredictOne(const double* row, RowParts* parts = nullptr) const;
  /// As above for float32 input.
  double PredictOne(const float* row, RowParts* parts = nullptr) const;

  /// P(up) of each row from one model alone into out[rows] (for diagnosis and A/B checks).
  void PredictModel(Model model, const double* x, size_t rows, double* out,
                    int threads = 0) const;
  /// As above for float32 input.
  void PredictModel(Model model, const float* x, size_t rows, double* out,
                    int threads = 0) const;
  /// P(up) of one row from one model alone, on its single-row path.
  double PredictModelOne(Model model, const double* row) const;
  /// As above for float32 input.
  double PredictModelOne(Model model, const float* row) const;

 private:
  struct Impl;
  explicit Ensemble(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace production_ensemble
