// The JSON text reader: a bounded recursive-descent parser into JsonValue (json.h).
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ensemble/json.h"
#include "json_internal.h"

namespace ensemble::core {
namespace detail {

const std::string* FindDuplicateKey(const JsonValue::Object& members) {
  const std::size_t n = members.size();
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) return &members[i].first;
      }
    }
    return nullptr;
  }
  std::vector<const std::string*> keys;
  keys.reserve(n);
  for (const auto& member : members) keys.push_back(&member.first);
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
  for (std::size_t i = 1; i < n; ++i) {
    if (*keys[i] == *keys[i - 1]) return keys[i];
  }
  return nullptr;
}

}  // namespace detail

namespace {

// Hard cap on nesting whatever the options say: recursion must never exhaust the stack.
constexpr std::size_t kHardMaxDepth = 4096;

class JsonTextReader {
 public:
  JsonTextReader(std::string_view text, const JsonParseOptions& options)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        options_(options),
        max_depth_(std::min(options.max_depth, kHardMaxDepth)) {}

  JsonValue ParseDocument() {
    SkipSpace();
    JsonValue value = ParseValue(0);
    SkipSpace();
    if (p_ != end_) Fail("unexpected data after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const { FailAt(p_, message); }
  [[noreturn]] void FailAt(const char* at, const std::string& message) const {
    throw Error(options_.error_code,
                "invalid JSON at byte " + std::to_string(at - begin_) + ": " + message);
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  static std::string Describe(char c) {
    if (c >= 0x21 && c < 0x7f) return std::string("'") + c + "'";
    return "byte " + std::to_string(static_cast<unsigned char>(c));
  }

  JsonValue ParseValue(std::size_t depth) {
    if (p_ >= end_) Fail("unexpected end of input, expected a value");
    switch (*p_) {
      case '{':
        return ParseObject(depth + 1);
      case '[':
        return ParseArray(depth + 1);
      case '"':
        return JsonValue(ParseString());
      case 't':
        return ParseLiteral("true", JsonValue(true));
      case 'f':
        return ParseLiteral("false", JsonValue(false));
      case 'n':
        return ParseLiteral("null", JsonValue());
      default:
        break;
    }
    JsonValue number;
    const char* after = detail::ScanJsonNumber(p_, end_, options_.allow_nan_infinity, &number);
    if (after == nullptr) Fail("expected a value, found " + Describe(*p_));
    p_ = after;
    return number;
  }

  JsonValue ParseLiteral(std::string_view word, JsonValue value) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      Fail("invalid literal, expected '" + std::string(word) + "'");
    }
    p_ += word.size();
    return value;
  }

  void CheckDepth(std::size_t depth) const {
    if (depth > max_depth_) {
      Fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
    }
  }

  JsonValue ParseArray(std::size_t depth) {
    CheckDepth(depth);
    ++p_;  // '['
    JsonValue::Array elements;
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return JsonValue(std::move(elements));
    }
    while (true) {
      SkipSpace();
      elements.push_back(ParseValue(depth));
      SkipSpace();
      if (p_ >= end_) Fail("unexpected end of input inside an array");
      if (*p_ == ',') {
        ++p_;
      } else if (*p_ == ']') {
        ++p_;
        return JsonValue(std::move(elements));
      } else {
        Fail("expected ',' or ']' in an array, found " + Describe(*p_));
      }
    }
  }

  JsonValue ParseObject(std::size_t depth) {
    CheckDepth(depth);
    const char* start = p_;
    ++p_;  // '{'
    JsonValue::Object members;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return JsonValue(std::move(members));
    }
    while (true) {
      SkipSpace();
      if (p_ >= end_) Fail("unexpected end of input inside an object");
      if (*p_ != '"') Fail("expected a '\"' to start an object key, found " + Describe(*p_));
      std::string key = ParseString();
      SkipSpace();
      if (p_ >= end_ || *p_ != ':') Fail("expected ':' after an object key");
      ++p_;
      SkipSpace();
      JsonValue value = ParseValue(depth);
      members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (p_ >= end_) Fail("unexpected end of input inside an object");
      if (*p_ == ',') {
        ++p_;
      } else if (*p_ == '}') {
        ++p_;
        break;
      } else {
        Fail("expected ',' or '}' in an object, found " + Describe(*p_));
      }
    }
    if (const std::string* dup = detail::FindDuplicateKey(members)) {
      FailAt(start, "duplicate object key \"" + *dup + "\"");
    }
    return JsonValue(std::move(members));
  }

  unsigned ParseHex4() {
    if (end_ - p_ < 4) Fail("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        FailAt(p_ - 1, "invalid hex digit in a \\u escape");
      }
    }
    return code;
  }

  static void AppendUtf8(unsigned code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  void ParseEscape(std::string* out) {
    if (p_ >= end_) Fail("unterminated string");
    const char c = *p_++;
    switch (c) {
      case '"':
        out->push_back('"');
        return;
      case '\\':
        out->push_back('\\');
        return;
      case '/':
        out->push_back('/');
        return;
      case 'b':
        out->push_back('\b');
        return;
      case 'f':
        out->push_back('\f');
        return;
      case 'n':
        out->push_back('\n');
        return;
      case 'r':
        out->push_back('\r');
        return;
      case 't':
        out->push_back('\t');
        return;
      case 'u':
        break;
      default:
        FailAt(p_ - 1, "invalid escape '\\" + std::string(1, c) + "'");
    }
    unsigned code = ParseHex4();
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') Fail("unpaired UTF-16 surrogate");
      p_ += 2;
      const unsigned low = ParseHex4();
      if (low < 0xDC00 || low > 0xDFFF) Fail("unpaired UTF-16 surrogate");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      Fail("unpaired UTF-16 surrogate");
    }
    AppendUtf8(code, out);
  }

  std::string ParseString() {
    const char* start = p_;
    ++p_;  // opening quote
    std::string out;
    while (true) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) {
        ++p_;
      }
      out.append(run, p_);
      if (p_ >= end_) FailAt(start, "unterminated string");
      if (*p_ == '"') {
        ++p_;
        return out;
      }
      if (*p_ == '\\') {
        ++p_;
        ParseEscape(&out);
      } else {
        Fail("control character in a string");
      }
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const JsonParseOptions& options_;
  std::size_t max_depth_;
};

}  // namespace

JsonValue ParseJson(std::string_view text, const JsonParseOptions& options) {
  return JsonTextReader(text, options).ParseDocument();
}

}  // namespace ensemble::core
