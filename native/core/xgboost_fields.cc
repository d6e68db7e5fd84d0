// XgbFields: typed, bounds-checked reading of the JSON objects of an XGBoost model, with errors
// that name the model, the tree and the field.
#include <charconv>
#include <string>
#include <system_error>
#include <utility>

#include "ensemble/error.h"
#include "xgboost_internal.h"

namespace ensemble::core::detail {

XgbFields::XgbFields(const JsonValue& object, std::string where, std::string path)
    : object_(object), where_(std::move(where)), path_(std::move(path)) {
  if (!object_.IsObject()) {
    Fail((path_.empty() ? std::string("value") : path_) + " is " + object_.TypeName() +
         ", expected an object");
  }
}

void XgbFields::Fail(const std::string& message) const {
  throw Error(ErrorCode::kModelFormat, where_ + ": " + message);
}

void XgbFields::FailField(std::string_view key, const std::string& message) const {
  Fail(FieldName(key) + ": " + message);
}

std::string XgbFields::FieldName(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const JsonValue& XgbFields::Require(std::string_view key) const {
  const JsonValue* value = object_.Find(key);
  if (value == nullptr) Fail("missing " + FieldName(key));
  return *value;
}

XgbFields XgbFields::Object(std::string_view key) const {
  return XgbFields(Require(key), where_, FieldName(key));
}

const std::string& XgbFields::String(std::string_view key) const {
  const JsonValue& value = Require(key);
  if (!value.IsString()) FailField(key, std::string("is ") + value.TypeName() + ", not a string");
  return value.AsString();
}

std::int64_t XgbFields::IntString(std::string_view key, std::int64_t lo, std::int64_t hi) const {
  const std::string& text = String(key);
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, v);
  if (text.empty() || result.ec != std::errc() || result.ptr != end) {
    FailField(key, "\"" + text.substr(0, 40) + "\" is not an integer");
  }
  if (v < lo || v > hi) {
    FailField(key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
  }
  return v;
}

const JsonValue::Array& XgbFields::Array(std::string_view key, std::int64_t count) const {
  const JsonValue& value = Require(key);
  if (!value.IsArray()) FailField(key, std::string("is ") + value.TypeName() + ", not an array");
  const JsonValue::Array& array = value.AsArray();
  if (count >= 0 && array.size() != static_cast<std::size_t>(count)) {
    FailField(
        key, "has " + std::to_string(array.size()) + " entries, expected " + std::to_string(count));
  }
  return array;
}

std::vector<std::int64_t> XgbFields::Ints(std::string_view key, std::int64_t count, std::int64_t lo,
                                          std::int64_t hi) const {
  const JsonValue::Array& array = Array(key, count);
  std::vector<std::int64_t> out(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const JsonValue& v = array[i];
    const auto at = [&] { return FieldName(key) + "[" + std::to_string(i) + "]"; };
    if (!v.IsInteger()) Fail(at() + " is " + v.TypeName() + ", expected an integer");
    out[i] = v.AsInt64();
    if (out[i] < lo || out[i] > hi) {
      Fail(at() + " = " + std::to_string(out[i]) + " is out of range [" + std::to_string(lo) +
           ", " + std::to_string(hi) + "]");
    }
  }
  return out;
}

std::vector<std::uint8_t> XgbFields::Flags(std::string_view key, std::int64_t count) const {
  const JsonValue::Array& array = Array(key, count);
  std::vector<std::uint8_t> out(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const JsonValue& v = array[i];
    if (v.IsBool()) {
      out[i] = v.AsBool() ? 1 : 0;
    } else if (v.IsInteger() && (v.AsInt64() == 0 || v.AsInt64() == 1)) {
      out[i] = static_cast<std::uint8_t>(v.AsInt64());
    } else {
      Fail(FieldName(key) + "[" + std::to_string(i) + "] is not 0 or 1");
    }
  }
  return out;
}

std::vector<float> XgbFields::Floats(std::string_view key, std::int64_t count) const {
  const JsonValue::Array& array = Array(key, count);
  std::vector<float> out(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const JsonValue& v = array[i];
    if (!v.IsNumber()) {
      Fail(FieldName(key) + "[" + std::to_string(i) + "] is " + v.TypeName() +
           ", expected a number");
    }
    out[i] = v.AsFloat();
  }
  return out;
}

std::vector<std::string> XgbFields::Strings(std::string_view key) const {
  std::vector<std::string> out;
  if (Find(key) == nullptr) return out;
  const JsonValue::Array& array = Array(key, -1);
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].IsString()) {
      Fail(FieldName(key) + "[" + std::to_string(i) + "] is " + array[i].TypeName() +
           ", expected a string");
    }
    out.push_back(array[i].AsString());
  }
  return out;
}

}  // namespace ensemble::core::detail
