/// \file json.h
/// \brief A small JSON / UBJSON document model and its two readers, used for XGBoost models and the
/// package's metadata. Bounded: depth-limited, every length checked, errors name the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ensemble/error.h"

namespace ensemble::core {

/// The kind of a JSON value. Integers and non-integers are both kNumber (see IsInteger()).
enum class JsonType : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

/// One JSON value: null, bool, number, string, array or object (members in document order).
///
/// Numbers keep what the document said: an integer literal (or a UBJSON integer) is stored as an
/// exact int64; any other number as the double nearest to its text, plus the float nearest to its
/// text (not the float nearest to that double), which is what XGBoost computes for its float32
/// fields. 16 bytes per value, so arrays of a million numbers stay compact.
///
/// Values are plain data: copyable, movable, safe to read from several threads at once.
class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Member = std::pair<std::string, JsonValue>;
  using Object = std::vector<Member>;

  /// null.
  JsonValue() noexcept : bits_{} {}
  /// A boolean.
  explicit JsonValue(bool value) noexcept;
  /// An integer (IsInteger() is true).
  explicit JsonValue(std::int64_t value) noexcept;
  /// An integer given as int (IsInteger() is true).
  explicit JsonValue(int value) noexcept : JsonValue(static_cast<std::int64_t>(value)) {}
  /// A non-integer number; its float value is the float nearest to `value`.
  explicit JsonValue(double value) noexcept;
  /// A number given by both of its roundings (what a reader uses when the text is at hand).
  JsonValue(double value, float float_value) noexcept;
  /// A string.
  explicit JsonValue(std::string value);
  /// A string from a C string literal.
  explicit JsonValue(const char* value) : JsonValue(std::string(value)) {}
  /// An array.
  explicit JsonValue(Array values);
  /// An object. The caller keeps keys unique; the readers reject duplicate keys.
  explicit JsonValue(Object members);

  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept
      : type_(other.type_),
        flags_(other.flags_),
        ubj_type_(other.ubj_type_),
        float_(other.float_),
        bits_(other.bits_) {
    other.type_ = JsonType::kNull;
  }
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;
  // Inline so that arrays of numbers are freed without a call per element.
  ~JsonValue() {
    if (type_ >= JsonType::kString) Destroy();
  }

  /// The kind of this value.
  JsonType type() const noexcept { return type_; }
  /// True for null.
  bool IsNull() const noexcept { return type_ == JsonType::kNull; }
  /// True for true / false.
  bool IsBool() const noexcept { return type_ == JsonType::kBool; }
  /// True for any number, integer or not.
  bool IsNumber() const noexcept { return type_ == JsonType::kNumber; }
  /// True for a number stored as an exact int64 (an integer literal or a UBJSON integer).
  bool IsInteger() const noexcept { return type_ == JsonType::kNumber && (flags_ & kIntegerFlag); }
  /// True for a string.
  bool IsString() const noexcept { return type_ == JsonType::kString; }
  /// True for an array.
  bool IsArray() const noexcept { return type_ == JsonType::kArray; }
  /// True for an object.
  bool IsObject() const noexcept { return type_ == JsonType::kObject; }

  /// The boolean; throws Error(kInvalidArgument) for any other type.
  bool AsBool() const;
  /// The number as a double (an int64 beyond 2^53 is rounded); throws for non-numbers.
  double AsDouble() const;
  /// The float nearest to the number's text (XGBoost's float32 reading); throws for non-numbers.
  float AsFloat() const;
  /// The integer; a non-integer number with an integral value in range is accepted too.
  /// Throws Error(kInvalidArgument) for anything else.
  std::int64_t AsInt64() const;
  /// The string; throws for non-strings.
  const std::string& AsString() const;
  /// The elements; throws for non-arrays.
  const Array& AsArray() const;
  /// The members in document order; throws for non-objects.
  const Object& AsObject() const;

  /// The member named `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const noexcept;
  /// Elements of an array or members of an object; 0 for scalars.
  std::size_t size() const noexcept;

  /// For an array read from a UBJSON optimized container `[$T#n`, the element marker T
  /// ('i','U','I','l','L','d','D','C' or 'S'); 0 for every other value.
  char ubjson_element_type() const noexcept { return type_ == JsonType::kArray ? ubj_type_ : 0; }
  /// Marks an array as read from a UBJSON typed container (used by the reader).
  void set_ubjson_element_type(char marker) noexcept { ubj_type_ = marker; }

  /// A short name of the type ("null", "bool", "integer", "number", "string", "array", "object").
  const char* TypeName() const noexcept;

 private:
  static constexpr std::uint8_t kIntegerFlag = 1;

  void Destroy() noexcept;
  void CopyFrom(const JsonValue& other);
  [[noreturn]] void ThrowType(const char* wanted) const;

  JsonType type_ = JsonType::kNull;
  std::uint8_t flags_ = 0;
  char ubj_type_ = 0;
  float float_ = 0.0f;
  union Bits {
    bool boolean;
    std::int64_t integer;
    double number;
    std::string* string;
    Array* array;
    Object* object;
  } bits_;
};

/// Limits and error category for the readers.
struct JsonParseOptions {
  /// Deepest nesting of arrays/objects accepted; deeper input is an error (never a stack overflow).
  std::size_t max_depth = 512;
  /// Accept the tokens NaN, Infinity and -Infinity in JSON text (XGBoost writes them).
  bool allow_nan_infinity = true;
  /// The code of the Error thrown for malformed input.
  ErrorCode error_code = ErrorCode::kModelFormat;
};

/// Parses JSON text (RFC 8259; plus NaN/Infinity if allowed). The whole input must be one value
/// with only whitespace around it. Duplicate object keys are rejected (readers disagree on which
/// one wins). \u escapes are decoded to UTF-8; other bytes of strings are kept as they are (not
/// checked for valid UTF-8). Throws Error(options.error_code, "invalid JSON at byte N: ...").
JsonValue ParseJson(std::string_view text, const JsonParseOptions& options = {});

/// Parses UBJSON as XGBoost writes it (big-endian; markers Z T F i U I l L d D C S H [ {;
/// optimized containers with `$type` and/or `#count`). Every length and count is checked against
/// the bytes left. The whole input must be one value. Throws Error(options.error_code,
/// "invalid UBJSON at byte N: ...").
JsonValue ParseUbjson(const std::uint8_t* data, std::size_t size,
                      const JsonParseOptions& options = {});

}  // namespace ensemble::core
