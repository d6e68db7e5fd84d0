// The UBJSON reader (XGBoost's .ubj models): big-endian scalars, optimized containers, every
// length and count checked against the bytes left before anything is allocated.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "ensemble/json.h"
#include "json_internal.h"

namespace ensemble::core {
namespace {

constexpr std::size_t kHardMaxDepth = 4096;

class UbjsonReader {
 public:
  UbjsonReader(const std::uint8_t* data, std::size_t size, const JsonParseOptions& options)
      : begin_(data),
        p_(data),
        end_(data + size),
        options_(options),
        max_depth_(std::min(options.max_depth, kHardMaxDepth)) {}

  JsonValue ParseDocument() {
    JsonValue value = ParseValue(ReadMarker(), 0);
    if (p_ != end_) {
      Fail(std::to_string(end_ - p_) + " unexpected bytes after the UBJSON value");
    }
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const { FailAt(p_, message); }
  [[noreturn]] void FailAt(const std::uint8_t* at, const std::string& message) const {
    throw Error(options_.error_code,
                "invalid UBJSON at byte " + std::to_string(at - begin_) + ": " + message);
  }

  std::size_t Left() const { return static_cast<std::size_t>(end_ - p_); }

  void Need(std::size_t bytes, const char* what) const {
    if (Left() < bytes) {
      Fail(std::string(what) + " needs " + std::to_string(bytes) + " bytes, only " +
           std::to_string(Left()) + " left");
    }
  }

  static std::string Describe(std::uint8_t c) {
    if (c >= 0x21 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    return "byte " + std::to_string(c);
  }

  char ReadMarker() {
    Need(1, "a type marker");
    return static_cast<char>(*p_++);
  }

  // Big-endian unsigned integer of `bytes` bytes (portable: no host byte-order assumption).
  std::uint64_t ReadBigEndian(std::size_t bytes, const char* what) {
    Need(bytes, what);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | p_[i];
    p_ += bytes;
    return v;
  }

  // Size in bytes of a fixed-size scalar payload, or 0 if `marker` is not one.
  static std::size_t ScalarSize(char marker) {
    switch (marker) {
      case 'i':
      case 'U':
      case 'C':
        return 1;
      case 'I':
        return 2;
      case 'l':
      case 'd':
        return 4;
      case 'L':
      case 'D':
        return 8;
      default:
        return 0;
    }
  }

  // An integer introduced by `marker`; false if the marker is not an integer type.
  bool ReadInteger(char marker, std::int64_t* out) {
    switch (marker) {
      case 'i':
        *out = static_cast<std::int8_t>(ReadBigEndian(1, "an int8"));
        return true;
      case 'U':
        *out = static_cast<std::uint8_t>(ReadBigEndian(1, "a uint8"));
        return true;
      case 'I':
        *out = static_cast<std::int16_t>(ReadBigEndian(2, "an int16"));
        return true;
      case 'l':
        *out = static_cast<std::int32_t>(ReadBigEndian(4, "an int32"));
        return true;
      case 'L':
        *out = static_cast<std::int64_t>(ReadBigEndian(8, "an int64"));
        return true;
      default:
        return false;
    }
  }

  // A length or count: an integer marker then a non-negative value.
  std::size_t ReadLength(const char* what) {
    const std::uint8_t* at = p_;
    const char marker = ReadMarker();
    std::int64_t n = 0;
    if (!ReadInteger(marker, &n)) {
      FailAt(at, std::string(what) + " must be an integer, found marker " +
                     Describe(static_cast<std::uint8_t>(marker)));
    }
    if (n < 0) FailAt(at, std::string(what) + " is negative (" + std::to_string(n) + ")");
    return static_cast<std::size_t>(n);
  }

  std::string ReadStringBody(const char* what) {
    const std::uint8_t* at = p_;
    const std::size_t n = ReadLength(what);
    if (n > Left()) {
      FailAt(at, std::string(what) + " of " + std::to_string(n) + " bytes runs past the end (" +
                     std::to_string(Left()) + " bytes left)");
    }
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

  JsonValue ParseValue(char marker, std::size_t depth) {
    const std::uint8_t* at = p_ - 1;
    std::int64_t integer = 0;
    if (ReadInteger(marker, &integer)) return JsonValue(integer);
    switch (marker) {
      case 'Z':
        return JsonValue();
      case 'T':
        return JsonValue(true);
      case 'F':
        return JsonValue(false);
      case 'd': {
        const auto bits = static_cast<std::uint32_t>(ReadBigEndian(4, "a float32"));
        float f;
        std::memcpy(&f, &bits, sizeof(f));
        return JsonValue(static_cast<double>(f), f);
      }
      case 'D': {
        const std::uint64_t bits = ReadBigEndian(8, "a float64");
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        return JsonValue(d);
      }
      case 'C':
        return JsonValue(std::string(1, static_cast<char>(ReadBigEndian(1, "a char"))));
      case 'S':
        return JsonValue(ReadStringBody("string length"));
      case 'H':
        return ParseHighPrecision();
      case '[':
        return ParseArray(depth + 1);
      case '{':
        return ParseObject(depth + 1);
      default:
        FailAt(at, "unknown type marker " + Describe(static_cast<std::uint8_t>(marker)));
    }
  }

  JsonValue ParseHighPrecision() {
    const std::uint8_t* at = p_;
    const std::string text = ReadStringBody("high-precision number length");
    JsonValue number;
    const char* end = text.data() + text.size();
    if (detail::ScanJsonNumber(text.data(), end, false, &number) != end) {
      FailAt(at, "high-precision number \"" + text.substr(0, 40) + "\" is not a JSON number");
    }
    return number;
  }

  void CheckDepth(std::size_t depth) const {
    if (depth > max_depth_) Fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  }

  // After '[' or '{': an optional `$type` (which requires `#count`) and an optional `#count`.
  // Returns true if a count was given; `*type` is 0 without `$`.
  bool ReadContainerHeader(char* type, std::size_t* count) {
    *type = 0;
    if (Left() > 0 && *p_ == '$') {
      ++p_;
      const std::uint8_t* at = p_;
      *type = ReadMarker();
      if (ScalarSize(*type) == 0 && *type != 'S') {
        FailAt(at, "unsupported element type " + Describe(static_cast<std::uint8_t>(*type)) +
                       " in an optimized container");
      }
      if (Left() == 0 || *p_ != '#') Fail("an optimized container with '$' needs a '#' count");
    }
    if (Left() > 0 && *p_ == '#') {
      ++p_;
      const std::uint8_t* at = p_;
      *count = ReadLength("container count");
      // Every element takes at least one byte (its marker, or its fixed-size payload), so a
      // count beyond the bytes left is a lie; check before reserving memory for it.
      const std::size_t min_size = *type != 0 && ScalarSize(*type) > 0 ? ScalarSize(*type) : 1;
      if (*count > Left() / min_size) {
        FailAt(at, "container count " + std::to_string(*count) + " runs past the end (" +
                       std::to_string(Left()) + " bytes left)");
      }
      return true;
    }
    return false;
  }

  JsonValue ParseArray(std::size_t depth) {
    CheckDepth(depth);
    char type = 0;
    std::size_t count = 0;
    const bool counted = ReadContainerHeader(&type, &count);
    JsonValue::Array elements;
    if (counted) {
      elements.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        elements.push_back(ParseValue(type != 0 ? type : ReadMarker(), depth));
      }
      JsonValue array(std::move(elements));
      array.set_ubjson_element_type(type);
      return array;
    }
    while (true) {
      const char marker = ReadMarker();
      if (marker == ']') return JsonValue(std::move(elements));
      elements.push_back(ParseValue(marker, depth));
    }
  }

  JsonValue ParseObject(std::size_t depth) {
    CheckDepth(depth);
    const std::uint8_t* start = p_ - 1;
    char type = 0;
    std::size_t count = 0;
    const bool counted = ReadContainerHeader(&type, &count);
    JsonValue::Object members;
    if (counted) members.reserve(count);
    for (std::size_t i = 0; !counted || i < count; ++i) {
      if (!counted) {
        Need(1, "an object key or '}'");
        if (*p_ == '}') {
          ++p_;
          break;
        }
      }
      std::string key = ReadStringBody("object key length");
      JsonValue value = ParseValue(type != 0 ? type : ReadMarker(), depth);
      members.emplace_back(std::move(key), std::move(value));
    }
    if (const std::string* dup = detail::FindDuplicateKey(members)) {
      FailAt(start, "duplicate object key \"" + *dup + "\"");
    }
    return JsonValue(std::move(members));
  }

  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const JsonParseOptions& options_;
  std::size_t max_depth_;
};

}  // namespace

JsonValue ParseUbjson(const std::uint8_t* data, std::size_t size, const JsonParseOptions& options) {
  if (data == nullptr && size != 0) {
    throw Error(ErrorCode::kInvalidArgument, "ParseUbjson: null data with a non-zero size");
  }
  return UbjsonReader(data, size, options).ParseDocument();
}

}  // namespace ensemble::core
