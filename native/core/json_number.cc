// JSON number scanning with exact results: int64 for integers, correctly rounded double and float.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#include "json_internal.h"

namespace ensemble::core::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool Matches(const char* p, const char* end, std::string_view word) {
  return static_cast<std::size_t>(end - p) >= word.size() &&
         std::string_view(p, word.size()) == word;
}

// The nearest double of a decimal text the grammar already accepted. from_chars leaves the value
// untouched on overflow/underflow, so those rare cases go through strtod (±HUGE_VAL, or
// 0/denormal).
double TextToDouble(const char* first, const char* last) {
  double d = 0.0;
  const auto result = std::from_chars(first, last, d);
  if (result.ec == std::errc() && result.ptr == last) return d;
  const std::string copy(first, last);
  return std::strtod(copy.c_str(), nullptr);
}

// Decimal -> double -> float can differ from decimal -> float only when the double lands exactly
// on the midpoint between two floats (the tie then hides which side the decimal was on). Detect
// that case and round the text to float directly, as XGBoost does for its float32 fields.
float TextToFloat(const char* first, const char* last, double d) {
  // Fast path: d within the normal float range is a midpoint between two floats exactly when
  // its 29 mantissa bits below float precision read 1000...0.
  const double magnitude = std::fabs(d);
  if (magnitude >= static_cast<double>(std::numeric_limits<float>::min()) &&
      magnitude <= static_cast<double>(std::numeric_limits<float>::max())) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    constexpr std::uint64_t kLowMask = (std::uint64_t{1} << 29) - 1;
    if ((bits & kLowMask) != (std::uint64_t{1} << 28)) return static_cast<float>(d);
  }
  const float f = JsonValue(d).AsFloat();
  if (!std::isfinite(d) || static_cast<double>(f) == d) return f;
  // The rounding boundary next to d: halfway to the adjacent float, or FLT_MAX + 2^103 (half an
  // ulp above FLT_MAX) where rounding goes to infinity.
  const double half_top_ulp = std::copysign(std::ldexp(1.0, 103), d);
  const double top = std::copysign(static_cast<double>(std::numeric_limits<float>::max()), d);
  double midpoint;
  if (std::isinf(f)) {
    midpoint = top + half_top_ulp;
  } else {
    const float toward = d > static_cast<double>(f) ? std::numeric_limits<float>::infinity()
                                                    : -std::numeric_limits<float>::infinity();
    const float g = std::nextafter(f, toward);
    midpoint = std::isfinite(g) ? (static_cast<double>(f) + static_cast<double>(g)) * 0.5
                                : top + half_top_ulp;
  }
  if (midpoint != d) return f;
  float exact = 0.0f;
  const auto result = std::from_chars(first, last, exact);
  if (result.ec == std::errc() && result.ptr == last) return exact;
  if (result.ec == std::errc::result_out_of_range && std::fabs(d) > 1.0) {
    return std::copysign(std::numeric_limits<float>::infinity(), static_cast<float>(top));
  }
  return f;
}

}  // namespace

const char* ScanJsonNumber(const char* p, const char* end, bool allow_nan_infinity,
                           JsonValue* out) {
  if (p >= end) return nullptr;
  const char* start = p;
  if (allow_nan_infinity && *p == 'N' && Matches(p, end, "NaN")) {
    *out = JsonValue(std::numeric_limits<double>::quiet_NaN());
    return p + 3;
  }
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  if (p >= end) return nullptr;
  if (allow_nan_infinity && *p == 'I' && Matches(p, end, "Infinity")) {
    const double inf = std::numeric_limits<double>::infinity();
    *out = JsonValue(negative ? -inf : inf);
    return p + 8;
  }
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && IsDigit(*p)) ++p;
  } else {
    return nullptr;
  }
  bool integral = true;
  if (p < end && *p == '.') {
    integral = false;
    ++p;
    if (p >= end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integral = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  if (integral) {
    std::int64_t value = 0;
    const auto result = std::from_chars(start, p, value);
    if (result.ec == std::errc() && result.ptr == p) {
      *out = JsonValue(value);
      return p;
    }
    // Beyond int64: keep it as the nearest double, like any other number.
  }
  const double d = TextToDouble(start, p);
  *out = JsonValue(d, TextToFloat(start, p, d));
  return p;
}

}  // namespace ensemble::core::detail
