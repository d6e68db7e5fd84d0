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

struct LightGBMTraits {
  using Core = core::LightGBMBooster;
  static constexpr const char* kName = "LightGBMBooster";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.lightgbm_ctor; }
  static Napi::Object Info(Napi::Env env, const Core& c) {
    return BoosterInfoObject(env, c.info(), c.library());
  }
};

struct XGBoostTraits {
  using Core = core::XGBoostBooster;
  static constexpr const char* kName = "XGBoostBooster";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.xgboost_ctor; }
  static Napi::Object Info(Napi::Env env, const Core& c) {
    return BoosterInfoObject(env, c.info(), c.library());
  }
};

struct ForestTraits {
  using Core = core::Forest;
  static constexpr const char* kName = "Forest";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.forest_ctor; }
  static Napi::Object Info(Napi::Env env, const Core& c);
};

struct EnsembleTraits {
  using Core = core::Ensemble;
  static constexpr const char* kName = "Ensemble";
  static Napi::FunctionReference& Ctor(AddonData& d) { return d.ensemble_ctor; }
  static Napi::Object Info(Napi::Env env, const Core& c);
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
/// The DriftWindow class (drift_wrap.cc).
void InitDrift(Napi::Env env, Napi::Object exports);

/// Describes a loaded library for JS: { path, version }.
Napi::Object LibraryInfo(Napi::Env env, const core::LoadedLibrary& lib);
/// A JS string array.
Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& v);

}  // namespace ensemble::addon
