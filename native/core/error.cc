// Names of the core's error codes (the `code` property of JS errors, see docs/errors.md), from
// the generated list every layer shares (ensemble/error_codes.inc).
#include "ensemble/error.h"

namespace ensemble::core {

const char* CodeName(ErrorCode code) noexcept {
  switch (code) {
#define ENSEMBLE_ERROR_CODE(enumerator, name) \
  case ErrorCode::enumerator:                 \
    return name;
#include "ensemble/error_codes.inc"
#undef ENSEMBLE_ERROR_CODE
  }
  return "ERR_INTERNAL";
}

}  // namespace ensemble::core
