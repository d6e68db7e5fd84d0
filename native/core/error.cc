// Names of the core's error codes (the `code` property of JS errors, see docs/errors.md).
#include "ensemble/error.h"

namespace ensemble::core {

const char* CodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "ERR_INVALID_ARGUMENT";
    case ErrorCode::kFeatureMismatch: return "ERR_FEATURE_MISMATCH";
    case ErrorCode::kNonFiniteInput: return "ERR_NON_FINITE_INPUT";
    case ErrorCode::kModelFormat: return "ERR_MODEL_FORMAT";
    case ErrorCode::kModelNotFound: return "ERR_MODEL_NOT_FOUND";
    case ErrorCode::kMetadata: return "ERR_METADATA";
    case ErrorCode::kLibraryLoad: return "ERR_LIBRARY_LOAD";
    case ErrorCode::kLibraryCall: return "ERR_LIBRARY_CALL";
    case ErrorCode::kClosed: return "ERR_CLOSED";
    case ErrorCode::kInternal: return "ERR_INTERNAL";
  }
  return "ERR_INTERNAL";
}

}  // namespace ensemble::core
