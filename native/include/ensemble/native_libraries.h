/// \file native_libraries.h
/// \brief LightGBM and XGBoost, loaded at run time with dlopen through tables of the C API
///        functions this package calls (declared here from the documented signatures, so the
///        core needs neither library's headers nor a link-time dependency).
///
/// Search order for each library: an explicit path, the environment variable (LIGHTGBM_LIB /
/// XGBOOST_LIB), each directory of `LibrarySearch::dirs` in order (the addon passes the
/// directory of the .node file, then the package's native/lib/<platform>-<arch>/), and last
/// the system's dynamic linker search. A library is loaded once per process and never unloaded
/// (both carry an OpenMP runtime, which must not be torn down under live threads).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ensemble::core {

/// Where to look for a library, in order of preference after the environment variable.
struct LibrarySearch {
  std::string explicit_path;      ///< a path the caller names; empty = none
  std::vector<std::string> dirs;  ///< directories to look in, in order
};

/// A loaded shared library.
struct LoadedLibrary {
  std::string path;     ///< the path that was opened
  std::string version;  ///< e.g. "4.7.0", or "unknown" when it cannot be told
};

/// The subset of LightGBM's C API this package uses (c_api.h of LightGBM 4.x; stable since 3.x).
struct LightGBMApi {
  LoadedLibrary library;
  const char* (*GetLastError)();
  int (*BoosterLoadModelFromString)(const char* model_str, int* out_num_iterations, void** out);
  int (*BoosterFree)(void* handle);
  int (*BoosterGetNumClasses)(void* handle, int* out_len);
  int (*BoosterGetNumFeature)(void* handle, int* out_len);
  int (*BoosterPredictForMat)(void* handle, const void* data, int data_type, int32_t nrow,
                              int32_t ncol, int is_row_major, int predict_type,
                              int start_iteration, int num_iteration, const char* parameter,
                              int64_t* out_len, double* out_result);
  int (*BoosterPredictForMatSingleRowFastInit)(void* handle, const int predict_type,
                                               const int start_iteration, const int num_iteration,
                                               const int data_type, const int32_t ncol,
                                               const char* parameter, void** out_fast_config);
  int (*BoosterPredictForMatSingleRowFast)(void* fast_config, const void* data, int64_t* out_len,
                                           double* out_result);
  int (*FastConfigFree)(void* fast_config);
};

/// The subset of XGBoost's C API this package uses (c_api.h of XGBoost 1.7 - 3.x).
struct XGBoostApi {
  LoadedLibrary library;
  const char* (*GetLastError)();
  void (*Version)(int* major, int* minor, int* patch);
  int (*BoosterCreate)(void* const* dmats, uint64_t len, void** out);
  int (*BoosterFree)(void* handle);
  int (*BoosterLoadModelFromBuffer)(void* handle, const void* buf, uint64_t len);
  int (*BoosterSetParam)(void* handle, const char* name, const char* value);
  int (*BoosterGetNumFeature)(void* handle, uint64_t* out);
  int (*BoosterPredictFromDense)(void* handle, const char* array_interface, const char* config,
                                 void* proxy, const uint64_t** out_shape, uint64_t* out_dim,
                                 const float** out_result);
};

/// Loads LightGBM (once per resolved path) or throws kLibraryLoad naming every place searched
/// and how to get the library. Thread-safe.
const LightGBMApi& LoadLightGBM(const LibrarySearch& search);

/// Loads XGBoost (once per resolved path) or throws kLibraryLoad. Thread-safe.
const XGBoostApi& LoadXGBoost(const LibrarySearch& search);

}  // namespace ensemble::core
