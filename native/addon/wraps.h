// The Traits of each exposed class (see model_wrap.h) and the functions that register them.
#pragma once

#include <napi.h>

#include "addon_data.h"
#include "ensemble/boosters.h"
#include "ensemble/ensemble.h"
#include "ensemble/forest.h"
#include "ensemble/matrix.h"

namespace ensemble::addon {

/// Describes a booster for JS (shared by LightGBM and XGBoost).
Napi::Object BoosterInfoObject(Napi::Env env, const core::BoosterInfo& info,
                               const core::LoadedLibrary& lib);

/// What the LightGBM and XGBoost traits share: shape, outputs and memory of a booster.
template <typename Booster>
struct BoosterTraits {
  using Core = Booster;
  static size_t Features(const Core& c) { return static_cast<size_t>(c.info().num_features); }
  static size_t Width(const Core& c, int kind) {
    return static_cast<size_t>(kind == 0 ? c.info().output_width : c.info().margin_width);
  }
  static size_t PartsWidth(const Core&) { return 0; }
  static void Score(const Core& c, const core::DenseMatrix& x, int kind, double* out, double*) {
    c.Predict(x, static_cast<core::OutputKind>(kind), out);
  }
  static Napi::Object Info(Napi::Env env, const Core& c) {
    return BoosterInfoObject(env, c.info(), c.library());
  }
  /// A rough figure for V8's heuristics: the libraries keep ~100 bytes per tree node.
  static size_t Bytes(const Core& c) { return static_cast<size_t>(c.info().num_trees) * 64 * 100; }
  static double NodesVisited(const Core& c, const double* row) {
    const core::BoosterEngine* e = c.engine();
    return e == nullptr ? -1.0
                        : static_cast<double>(e->NodesVisited(row, core::DType::kFloat64));
  }
};

struct LightGBMTraits : BoosterTraits<core::LightGBMBooster> {
  static constexpr const char* kName = "LightGBMBooster";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.lightgbm_ctor; }
  /// The single-row path: LightGBM's SingleRowFast handle.
  static void ScoreRow(const Core& c, const core::DenseMatrix& x, int kind, double* out, double*) {
    c.PredictRow(x.data, x.dtype, static_cast<core::OutputKind>(kind), out);
  }
};

struct XGBoostTraits : BoosterTraits<core::XGBoostBooster> {
  static constexpr const char* kName = "XGBoostBooster";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.xgboost_ctor; }
  static void ScoreRow(const Core& c, const core::DenseMatrix& x, int kind, double* out,
                       double* parts) {
    Score(c, x, kind, out, parts);
  }
};

/// A forest loaded alone, with the thread count its batches use.
struct ForestModel {
  std::shared_ptr<const core::Forest> forest;
  int threads = 1;
};

struct ForestTraits {
  using Core = ForestModel;
  static constexpr const char* kName = "Forest";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.forest_ctor; }
  static size_t Features(const Core& c) { return static_cast<size_t>(c.forest->num_features()); }
  static size_t Width(const Core& c, int) { return static_cast<size_t>(c.forest->num_classes()); }
  static size_t PartsWidth(const Core&) { return 0; }
  static void Score(const Core& c, const core::DenseMatrix& x, int kind, double* out, double*);
  static void ScoreRow(const Core& c, const core::DenseMatrix& x, int kind, double* out,
                       double* parts) {
    Score(c, x, kind, out, parts);
  }
  static Napi::Object Info(Napi::Env env, const Core& c);
  static size_t Bytes(const Core& c);
  static double NodesVisited(const Core& c, const double* row) {
    return static_cast<double>(c.forest->NodesVisited(row));
  }
};

struct EnsembleTraits {
  using Core = core::Ensemble;
  static constexpr const char* kName = "Ensemble";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.ensemble_ctor; }
  static size_t Features(const Core& c) { return c.num_features(); }
  static size_t Width(const Core&, int) { return 1; }
  static size_t PartsWidth(const Core&) { return 3; }
  static void Score(const Core& c, const core::DenseMatrix& x, int kind, double* out,
                    double* parts);
  static void ScoreRow(const Core& c, const core::DenseMatrix& x, int kind, double* out,
                       double* parts);
  static Napi::Object Info(Napi::Env env, const Core& c);
  static size_t Bytes(const Core& c);
  static double NodesVisited(const Core& c, const double* row) {
    const double l = LightGBMTraits::NodesVisited(c.lightgbm(), row);
    const double x = XGBoostTraits::NodesVisited(c.xgboost(), row);
    if (l < 0 || x < 0) return -1.0;
    return l + x + static_cast<double>(c.forest().NodesVisited(row));
  }
};

/// Registers each class and its load functions on `exports`.
void InitLightGBM(Napi::Env env, Napi::Object exports);
void InitXGBoost(Napi::Env env, Napi::Object exports);
void InitForest(Napi::Env env, Napi::Object exports);
void InitEnsemble(Napi::Env env, Napi::Object exports);
/// Registers loadModelDirectory and validateModelDirectory (directory_wrap.cc).
void InitDirectory(Napi::Env env, Napi::Object exports);
/// Registers FeatureStream, the technical features of OHLCV candles (features_wrap.cc).
void InitFeatures(Napi::Env env, Napi::Object exports);

/// Describes a loaded library for JS: { path, version }.
Napi::Object LibraryInfo(Napi::Env env, const core::LoadedLibrary& lib);
/// A JS string array.
Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& v);

}  // namespace ensemble::addon
