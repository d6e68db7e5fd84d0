// Internal helpers shared by the JSON text and UBJSON readers (not part of the public header).
#pragma once

#include <string>

#include "ensemble/json.h"

namespace ensemble::core::detail {

/// Scans one JSON number starting at `p` (RFC 8259 grammar; with `allow_nan_infinity` also NaN,
/// Infinity, -Infinity). On success stores it in `*out` (an exact int64 for integer literals that
/// fit, else the nearest double plus the nearest float of the text) and returns the first byte
/// after it. Returns nullptr if the bytes at `p` are not a number. Never reads at or past `end`.
const char* ScanJsonNumber(const char* p, const char* end, bool allow_nan_infinity, JsonValue* out);

/// The first key that repeats among `members`, or nullptr. Both readers reject such objects:
/// XGBoost's text reader keeps the last duplicate and its UBJSON reader the first.
const std::string* FindDuplicateKey(const JsonValue::Object& members);

}  // namespace ensemble::core::detail
