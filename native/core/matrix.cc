// Input checks shared by every scorer: feature count, and NaN/Inf per the model's policy.
#include "ensemble/matrix.h"

#include <cmath>
#include <cstdio>

#include "ensemble/error.h"

namespace ensemble::core {

void CheckFeatureCount(const DenseMatrix& m, size_t expected) {
  if (m.cols != expected) {
    throw Error(ErrorCode::kFeatureMismatch, "expected " + std::to_string(expected) +
                                                 " features, got " + std::to_string(m.cols));
  }
  if (m.rows > 0 && m.data == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "input data is null");
  }
}

namespace {

std::string FeatureLabel(size_t c, const std::vector<std::string>* names) {
  std::string label = "feature " + std::to_string(c);
  if (names != nullptr && c < names->size() && !(*names)[c].empty()) {
    label += " (" + (*names)[c] + ")";
  }
  return label;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Doubles of at least this magnitude round to +-Inf in float32 (halfway between FLT_MAX and 2^128
// rounds to even, i.e. up).
constexpr double kFloatOverflow = 0x1.ffffffp+127;

template <typename T>
void CheckTyped(const T* x, const DenseMatrix& m, const InputPolicy& p,
                const std::vector<std::string>* names) {
  const size_t n = m.rows * m.cols;
  const bool float_range = p.float_range && sizeof(T) == 8;
  for (size_t i = 0; i < n; ++i) {
    const T v = x[i];
    // Fast path: one comparison pair rules out NaN and both infinities.
    if (v - v == 0) {
      if (!float_range || std::fabs(static_cast<double>(v)) < kFloatOverflow) continue;
      const size_t r = i / m.cols, c = i % m.cols;
      throw Error(ErrorCode::kNonFiniteInput,
                  "row " + std::to_string(r) + ", " + FeatureLabel(c, names) + ": " +
                      Number(static_cast<double>(v)) + " overflows float32 to " +
                      (v > 0 ? "+Inf" : "-Inf") + " (" + p.refuser +
                      " casts its input to float32 and cannot score infinite values)");
    }
    const size_t r = i / m.cols, c = i % m.cols;
    if (std::isnan(v)) {
      if (p.allow_nan) continue;
      throw Error(ErrorCode::kNonFiniteInput,
                  "row " + std::to_string(r) + ", " + FeatureLabel(c, names) +
                      ": NaN is not allowed (" + p.refuser +
                      " was not trained to accept missing values)");
    }
    if (p.allow_inf) continue;
    throw Error(ErrorCode::kNonFiniteInput,
                "row " + std::to_string(r) + ", " + FeatureLabel(c, names) + ": " +
                    (v > 0 ? "+Inf" : "-Inf") + " is not allowed (" + p.refuser +
                    " cannot score infinite values; use NaN for a missing value)");
  }
}

}  // namespace

void CheckValues(const DenseMatrix& m, const InputPolicy& policy,
                 const std::vector<std::string>* feature_names) {
  if (policy.allow_nan && policy.allow_inf && !policy.float_range) return;
  if (m.dtype == DType::kFloat32) {
    CheckTyped(static_cast<const float*>(m.data), m, policy, feature_names);
  } else {
    CheckTyped(static_cast<const double*>(m.data), m, policy, feature_names);
  }
}

}  // namespace ensemble::core
