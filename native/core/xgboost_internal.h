// Internal: typed access to an XGBoost model's JSON document with errors that name the field,
// shared by xgboost_model_parser.cc (learner, booster) and xgboost_tree_reader.cc (trees).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ensemble/json.h"
#include "ensemble/xgboost_model.h"

namespace ensemble::core::detail {

/// Reads fields of one JSON object; every error is "<where>: <field>: <what is wrong>".
class XgbFields {
 public:
  XgbFields(const JsonValue& object, std::string where, std::string path);

  [[noreturn]] void Fail(const std::string& message) const;
  [[noreturn]] void FailField(std::string_view key, const std::string& message) const;

  /// The object itself.
  const JsonValue& object() const { return object_; }
  /// The member `key`, or nullptr.
  const JsonValue* Find(std::string_view key) const { return object_.Find(key); }
  /// The member `key`; an error if absent.
  const JsonValue& Require(std::string_view key) const;
  /// A member that must be an object, as a reader of its own fields.
  XgbFields Object(std::string_view key) const;
  /// A string member.
  const std::string& String(std::string_view key) const;
  /// A decimal integer stored as a string ("7"), as XGBoost stores its parameters.
  std::int64_t IntString(std::string_view key, std::int64_t lo, std::int64_t hi) const;
  /// An array member of integers, each in [lo, hi]; `count` >= 0 requires that length.
  std::vector<std::int64_t> Ints(std::string_view key, std::int64_t count, std::int64_t lo,
                                 std::int64_t hi) const;
  /// An array member of 0/1 values (integers or booleans); `count` >= 0 requires that length.
  std::vector<std::uint8_t> Flags(std::string_view key, std::int64_t count) const;
  /// An array member of numbers read as float32 like XGBoost; `count` >= 0 requires that length.
  std::vector<float> Floats(std::string_view key, std::int64_t count) const;
  /// An optional array member of strings (empty if absent).
  std::vector<std::string> Strings(std::string_view key) const;

  /// "path.key" for messages.
  std::string FieldName(std::string_view key) const;

 private:
  const JsonValue::Array& Array(std::string_view key, std::int64_t count) const;

  const JsonValue& object_;
  std::string where_;
  std::string path_;
};

/// Reads and validates tree `index` of a model with `num_feature` columns and `num_outputs`
/// outputs. Throws Error(kModelFormat, "<source>: tree <index>: ...").
XGBoostTree ReadXGBoostTree(const JsonValue& tree, std::size_t index, std::int64_t num_feature,
                            std::int32_t num_outputs, const std::string& source);

}  // namespace ensemble::core::detail
