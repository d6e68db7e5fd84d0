/// \file error.h
/// \brief The one error type the core throws; the N-API glue maps each code to a JS error class.
#pragma once

#include <stdexcept>
#include <string>

namespace ensemble::core {

/// Stable error codes. The string form (CodeName) is the `code` property JS users see,
/// documented in docs/errors.md. The list is generated from the package's one table of codes
/// (src/error-codes.ts; error_codes.inc says what each means): never renumber or rename one.
enum class ErrorCode {
#define ENSEMBLE_ERROR_CODE(enumerator, code) enumerator,
#include "ensemble/error_codes.inc"
#undef ENSEMBLE_ERROR_CODE
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
