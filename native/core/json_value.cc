// JsonValue: the 16-byte tagged value of the JSON/UBJSON document model (json.h).
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "ensemble/json.h"

namespace ensemble::core {

static_assert(sizeof(JsonValue) == 16, "JsonValue is meant to stay 16 bytes");

JsonValue::JsonValue(bool value) noexcept : type_(JsonType::kBool) { bits_.boolean = value; }

JsonValue::JsonValue(std::int64_t value) noexcept
    : type_(JsonType::kNumber), flags_(kIntegerFlag), float_(static_cast<float>(value)) {
  bits_.integer = value;
}

JsonValue::JsonValue(double value) noexcept : type_(JsonType::kNumber) {
  bits_.number = value;
  // A double beyond the float range rounds to infinity; the cast itself would be undefined.
  constexpr double kMax = static_cast<double>(std::numeric_limits<float>::max());
  if (std::isnan(value) || std::fabs(value) <= kMax) {
    float_ = static_cast<float>(value);
  } else {
    // Values between FLT_MAX and FLT_MAX + half an ulp (2^103) still round down to FLT_MAX.
    const double limit = kMax + std::ldexp(1.0, 103);
    const float magnitude = std::fabs(value) < limit ? std::numeric_limits<float>::max()
                                                     : std::numeric_limits<float>::infinity();
    float_ = value < 0 ? -magnitude : magnitude;
  }
}

JsonValue::JsonValue(double value, float float_value) noexcept
    : type_(JsonType::kNumber), float_(float_value) {
  bits_.number = value;
}

JsonValue::JsonValue(std::string value) : type_(JsonType::kString) {
  bits_.string = new std::string(std::move(value));
}

JsonValue::JsonValue(Array values) : type_(JsonType::kArray) {
  bits_.array = new Array(std::move(values));
}

JsonValue::JsonValue(Object members) : type_(JsonType::kObject) {
  bits_.object = new Object(std::move(members));
}

JsonValue::JsonValue(const JsonValue& other) : bits_{} { CopyFrom(other); }

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) {
    JsonValue copy(other);
    *this = std::move(copy);
  }
  return *this;
}

JsonValue& JsonValue::operator=(JsonValue&& other) noexcept {
  if (this != &other) {
    Destroy();
    type_ = other.type_;
    flags_ = other.flags_;
    ubj_type_ = other.ubj_type_;
    float_ = other.float_;
    bits_ = other.bits_;
    other.type_ = JsonType::kNull;
  }
  return *this;
}

void JsonValue::Destroy() noexcept {
  switch (type_) {
    case JsonType::kString:
      delete bits_.string;
      break;
    case JsonType::kArray:
      delete bits_.array;
      break;
    case JsonType::kObject:
      delete bits_.object;
      break;
    default:
      break;
  }
  type_ = JsonType::kNull;
}

void JsonValue::CopyFrom(const JsonValue& other) {
  flags_ = other.flags_;
  ubj_type_ = other.ubj_type_;
  float_ = other.float_;
  switch (other.type_) {
    case JsonType::kString:
      bits_.string = new std::string(*other.bits_.string);
      break;
    case JsonType::kArray:
      bits_.array = new Array(*other.bits_.array);
      break;
    case JsonType::kObject:
      bits_.object = new Object(*other.bits_.object);
      break;
    default:
      bits_ = other.bits_;
      break;
  }
  type_ = other.type_;  // set last: if a copy above threw, this value is still a valid null
}

const char* JsonValue::TypeName() const noexcept {
  switch (type_) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "bool";
    case JsonType::kNumber:
      return IsInteger() ? "integer" : "number";
    case JsonType::kString:
      return "string";
    case JsonType::kArray:
      return "array";
    case JsonType::kObject:
      return "object";
  }
  return "unknown";
}

void JsonValue::ThrowType(const char* wanted) const {
  throw Error(ErrorCode::kInvalidArgument,
              std::string("JSON value is ") + TypeName() + ", not " + wanted);
}

bool JsonValue::AsBool() const {
  if (type_ != JsonType::kBool) ThrowType("bool");
  return bits_.boolean;
}

double JsonValue::AsDouble() const {
  if (type_ != JsonType::kNumber) ThrowType("a number");
  return IsInteger() ? static_cast<double>(bits_.integer) : bits_.number;
}

float JsonValue::AsFloat() const {
  if (type_ != JsonType::kNumber) ThrowType("a number");
  return float_;
}

std::int64_t JsonValue::AsInt64() const {
  if (type_ != JsonType::kNumber) ThrowType("an integer");
  if (IsInteger()) return bits_.integer;
  const double d = bits_.number;
  // 2^63 is exactly representable; anything in [-2^63, 2^63) with no fraction converts exactly.
  if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
    return static_cast<std::int64_t>(d);
  }
  ThrowType("an integer");
}

const std::string& JsonValue::AsString() const {
  if (type_ != JsonType::kString) ThrowType("a string");
  return *bits_.string;
}

const JsonValue::Array& JsonValue::AsArray() const {
  if (type_ != JsonType::kArray) ThrowType("an array");
  return *bits_.array;
}

const JsonValue::Object& JsonValue::AsObject() const {
  if (type_ != JsonType::kObject) ThrowType("an object");
  return *bits_.object;
}

const JsonValue* JsonValue::Find(std::string_view key) const noexcept {
  if (type_ != JsonType::kObject) return nullptr;
  for (const Member& member : *bits_.object) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

std::size_t JsonValue::size() const noexcept {
  if (type_ == JsonType::kArray) return bits_.array->size();
  if (type_ == JsonType::kObject) return bits_.object->size();
  return 0;
}

}  // namespace ensemble::core
