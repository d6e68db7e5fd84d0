// Engine lab: the common tree representation every design is measured on, built from the
// package's parsers, and the threshold folding that turns each library's comparison into
// `double(x) <= T`.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"

namespace lab {

// How a split treats a missing (NaN) value, and LightGBM's "zero" type.
enum Rule : uint8_t {
  kPlain = 0,         // NaN goes right
  kNanLeft = 1,       // NaN goes left
  kNanAsZero = 2,     // NaN is scored as 0.0 (LightGBM missing type None)
  kZeroNanLeft = 3,   // LightGBM missing type Zero: NaN and |x| <= 1e-35f go left
  kZeroNanRight = 4,  // ... go right
  kRules = 5,
};

struct Node {
  int32_t feature = -1;  // -1: leaf
  uint8_t rule = kPlain;
  double t = 0;          // left iff double(x) <= t (after the rule)
  int32_t left = -1, right = -1;  // node indices within the tree
  int32_t leaf = -1;     // leaf: index into the model's leaf table
};

struct Tree {
  std::vector<Node> nodes;  // node 0 is the root
};

enum class Acc { kDouble, kFloat, kClassMean };

struct Model {
  std::string name;
  int num_features = 0;
  int outputs = 1;                 // values per leaf
  Acc acc = Acc::kDouble;
  double base = 0;                 // XGBoost base margin (float)
  std::vector<Tree> trees;
  std::vector<double> leaf_values; // leaves x outputs
};

constexpr double kZero = static_cast<double>(1e-35f);

// Largest double d with: for every double x, float(x) <= f  <=>  x <= d.
inline double DoubleForFloatLE(float f) {
  constexpr double kOverflow = 0x1.ffffffp+127;  // halfway FLT_MAX .. 2^128: rounds to inf
  if (std::isinf(f)) return f > 0 ? std::numeric_limits<double>::infinity() : -kOverflow;
  if (f == std::numeric_limits<float>::max()) return std::nextafter(kOverflow, 0.0);
  const float g = std::nextafter(f, std::numeric_limits<float>::infinity());
  const double m = (static_cast<double>(f) + static_cast<double>(g)) / 2;
  return static_cast<float>(m) == f ? m : std::nextafter(m, -std::numeric_limits<double>::infinity());
}

inline float FloatAtOrBelow(double t) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (t >= kMax) return std::numeric_limits<float>::max();
  if (t < -kMax) return -std::numeric_limits<float>::infinity();
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// LightGBM scores |x| <= kZero as 0: the threshold that gives the same answer on raw x.
inline double LightGBMFold(double t) {
  if (t >= kZero || t < -kZero) return t;
  if (t < 0) return std::nextafter(-kZero, -std::numeric_limits<double>::infinity());
  return kZero;
}

Model FromLightGBM(const ensemble::core::LightGBMModel& m);
Model FromXGBoost(const ensemble::core::XGBoostModel& m);
Model FromForestFile(const std::vector<uint8_t>& bytes);

}  // namespace lab
