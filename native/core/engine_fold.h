// The one place where a library's comparison is rewritten as `v <= threshold` (engine import,
// self-check probes): the float32 roundings and LightGBM's zero band, each exact for every input.
#pragma once

#include <cmath>
#include <limits>

namespace ensemble::core::fold {

/// LightGBM's kZeroThreshold: its C API scores inputs with |x| <= this as 0.0.
constexpr double kLightGBMZero = static_cast<double>(1e-35f);

/// The largest float32 <= t: for every float v (and +-Inf), double(v) <= t iff v <= it.
/// Out-of-range t is clamped first (converting it to float would be undefined behaviour).
inline float FloatAtOrBelow(double t) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (t >= kMax) return std::numeric_limits<float>::max();
  if (t < -kMax) return -std::numeric_limits<float>::infinity();
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

/// The largest float32 < c: for every float v, v < c iff v <= it (c > -Inf).
inline float FloatBelow(float c) {
  return std::nextafter(c, -std::numeric_limits<float>::infinity());
}

/// LightGBM compares x' <= t where x' is 0 for |x| <= kLightGBMZero, else x: the threshold T
/// with x <= T iff x' <= t, for every double x.
inline double LightGBMThreshold(double t) {
  if (t >= kLightGBMZero || t < -kLightGBMZero) return t;
  if (t < 0) return std::nextafter(-kLightGBMZero, -std::numeric_limits<double>::infinity());
  return kLightGBMZero;
}

/// float(x) as the libraries compute it, without undefined behaviour for doubles beyond the
/// float range: they round to +-Inf (the IEEE result), NaN stays NaN.
inline float ToFloat(double x) {
  constexpr double kOverflow = 0x1.ffffffp+127;  // halfway between FLT_MAX and 2^128
  if (x >= kOverflow) return std::numeric_limits<float>::infinity();
  if (x <= -kOverflow) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(x);
}

}  // namespace ensemble::core::fold
