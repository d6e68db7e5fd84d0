// Internal: the pieces of the LightGBM text reader shared by its two files (block splitting in
// lightgbm_text_parser.cc, tree building and validation in lightgbm_tree_builder.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ensemble/lightgbm_model.h"

namespace ensemble::core::detail {

/// The keys Tree::ToString writes, in its order. LightGBM reads at most 22 lines per tree.
enum class LgbTreeKey : int {
  kNumLeaves,
  kNumCat,
  kSplitFeature,
  kSplitGain,
  kThreshold,
  kDecisionType,
  kLeftChild,
  kRightChild,
  kLeafValue,
  kLeafWeight,
  kLeafCount,
  kInternalValue,
  kInternalWeight,
  kInternalCount,
  kCatBoundaries,
  kCatThreshold,
  kIsLinear,
  kLeafConst,
  kNumFeatures,
  kLeafFeatures,
  kLeafCoeff,
  kShrinkage,
  kCount
};
constexpr int kLgbTreeKeyCount = static_cast<int>(LgbTreeKey::kCount);

/// The `key=value` lines of one tree block, as views into the model text.
struct LgbTreeFields {
  std::string_view value[kLgbTreeKeyCount];
  bool present[kLgbTreeKeyCount] = {};

  bool Has(LgbTreeKey key) const { return present[static_cast<int>(key)]; }
  std::string_view Get(LgbTreeKey key) const { return value[static_cast<int>(key)]; }
};

/// The name LightGBM writes for `key`.
const char* LgbTreeKeyName(LgbTreeKey key);

/// Builds and validates one tree from its fields. `where` prefixes every error
/// ("<source>: tree 12"); `num_features` bounds every feature index.
LightGBMTree BuildLightGBMTree(const LgbTreeFields& fields, int num_features,
                               const std::string& where);

/// Strict decimal integer (optional '-', digits, nothing else) that fits int64.
bool ParseLgbInt(std::string_view token, std::int64_t* out);
/// A number as LightGBM writes it ("%.17g": digits, '.', exponent, inf, nan).
bool ParseLgbDouble(std::string_view token, double* out);
/// Splits on spaces, skipping empty tokens (LightGBM's Common::Split).
std::vector<std::string_view> SplitLgbSpaces(std::string_view text);

}  // namespace ensemble::core::detail
