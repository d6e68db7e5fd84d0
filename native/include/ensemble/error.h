/// \file error.h
/// \brief The one error type the core throws; the N-API glue maps each code to a JS error class.
#pragma once

#include <stdexcept>
#include <string>

namespace ensemble::core {

/// Stable error codes. The string form (CodeName) is the `code` property JS users see,
/// documented in docs/errors.md; never renumber or rename one.
enum class ErrorCode {
  kInvalidArgument,  ///< a caller passed something unusable (bad thread count, null buffer...)
  kFeatureMismatch,  ///< input width differs from the model's feature count
  kNonFiniteInput,   ///< +-Inf where the model refuses it (XGBoost, forest, ensemble)
  kModelFormat,      ///< a model file is malformed, inconsistent or hostile
  kModelNotFound,    ///< a model file or directory does not exist / cannot be read
  kMetadata,         ///< metadata disagrees with itself or with the models
  kLibraryLoad,      ///< lib_lightgbm / libxgboost could not be found or loaded
  kLibraryCall,      ///< a LightGBM / XGBoost C API call returned an error
  kClosed,           ///< the model was used after close()
  kInternal,         ///< a bug in this package
};

/// Stable name of a code, e.g. "ERR_MODEL_FORMAT".
const char* CodeName(ErrorCode code) noexcept;

/// The exception every core function throws for an expected failure.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The stable category of this error.
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace ensemble::core
