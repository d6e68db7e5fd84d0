/// \file matrix.h
/// \brief A borrowed view of a dense row-major float32/float64 matrix, and the input checks every
///        scorer applies to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ensemble::core {

/// Element type of an input matrix.
enum class DType : int { kFloat32 = 0, kFloat64 = 1 };

/// A dense, row-major matrix the caller owns; scorers read it in place, never copy it.
struct DenseMatrix {
  const void* data = nullptr;  ///< rows * cols elements of `dtype`
  DType dtype = DType::kFloat64;
  size_t rows = 0;
  size_t cols = 0;

  /// Element (r, c) widened to double.
  double At(size_t r, size_t c) const {
    return dtype == DType::kFloat32 ? static_cast<const float*>(data)[r * cols + c]
                                    : static_cast<const double*>(data)[r * cols + c];
  }
  /// Pointer to the first element of row r.
  const void* Row(size_t r) const {
    return static_cast<const char*>(data) + r * cols * (dtype == DType::kFloat32 ? 4 : 8);
  }
};

/// What a scorer accepts besides finite numbers.
struct InputPolicy {
  bool allow_nan = true;   ///< NaN = missing value, routed by the model's own rule
  bool allow_inf = false;  ///< only LightGBM scores +-Inf
  /// Refuse float64 values beyond float32's range: scikit-learn casts its input to float32, where
  /// they become +-Inf, which it refuses.
  bool float_range = false;
  const char* refuser = "";  ///< who refuses, for the message ("XGBoost", "the random forest")
};

/// Throws kFeatureMismatch unless m.cols == expected: "expected 12 features, got 11".
void CheckFeatureCount(const DenseMatrix& m, size_t expected);

/// Throws kNonFiniteInput at the first cell the policy refuses, naming row and feature
/// (by name when `feature_names` has one for that column).
void CheckValues(const DenseMatrix& m, const InputPolicy& policy,
                 const std::vector<std::string>* feature_names = nullptr);

}  // namespace ensemble::core
