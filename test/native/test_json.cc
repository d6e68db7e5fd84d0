// The JSON / UBJSON document model: values, exact numbers, limits, errors with byte offsets.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "ensemble/json.h"
#include "parser_test_util.h"

using ensemble::core::Error;
using ensemble::core::ErrorCode;
using ensemble::core::JsonParseOptions;
using ensemble::core::JsonType;
using ensemble::core::JsonValue;
using ensemble::core::ParseJson;
using ensemble::core::ParseUbjson;
using ensemble::test::RejectsWith;

namespace {

JsonValue Ubj(const std::string& bytes, const JsonParseOptions& options = {}) {
  return ParseUbjson(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), options);
}

std::string BigEndian(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// A UBJSON key or string body with XGBoost's int64 length.
std::string Key(const std::string& s) { return "L" + BigEndian(s.size(), 8) + s; }

}  // namespace

TEST(Json, ParsesEveryType) {
  const JsonValue v = ParseJson(
      R"( {"n": null, "t": true, "f": false, "i": -42, "d": 2.5e-3, "s": "x\u00e9\ud83d\ude00\n",
          "a": [1, [2, {}], []], "o": {"k": "v"}} )");
  ASSERT_TRUE(v.IsObject());
  EXPECT_EQ(v.size(), 8u);
  EXPECT_TRUE(v.Find("n")->IsNull());
  EXPECT_TRUE(v.Find("t")->AsBool());
  EXPECT_FALSE(v.Find("f")->AsBool());
  EXPECT_TRUE(v.Find("i")->IsInteger());
  EXPECT_EQ(v.Find("i")->AsInt64(), -42);
  EXPECT_EQ(v.Find("d")->AsDouble(), 2.5e-3);
  EXPECT_EQ(v.Find("s")->AsString(), "x\xC3\xA9\xF0\x9F\x98\x80\n");
  const JsonValue::Array& a = v.Find("a")->AsArray();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].AsArray()[0].AsInt64(), 2);
  EXPECT_TRUE(a[1].AsArray()[1].IsObject());
  EXPECT_EQ(v.Find("o")->Find("k")->AsString(), "v");
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(v.Find("o")->Find("k")->Find("x"), nullptr);  // Find on a non-object
  EXPECT_EQ(v.AsObject()[6].first, "a");                  // document order
}

TEST(Json, NumbersAreExact) {
  const JsonValue v = ParseJson(
      "[9223372036854775807, -9223372036854775808, 9223372036854775808, 0.1, 1E0, -0, 1e400,"
      " 1e-400, 0.30000000000000004, 3.0]");
  const JsonValue::Array& a = v.AsArray();
  EXPECT_EQ(a[0].AsInt64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(a[1].AsInt64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(a[2].IsInteger());  // beyond int64: the nearest double
  EXPECT_EQ(a[2].AsDouble(), 9223372036854775808.0);
  EXPECT_THROW(a[2].AsInt64(), Error);
  EXPECT_EQ(a[3].AsDouble(), 0.1);
  EXPECT_EQ(a[3].AsFloat(), 0.1f);
  EXPECT_FALSE(a[4].IsInteger());
  EXPECT_EQ(a[4].AsInt64(), 1);  // integral value of a non-integer literal
  EXPECT_EQ(a[6].AsDouble(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(a[7].AsDouble(), 0.0);
  EXPECT_EQ(a[8].AsDouble(), 0.1 + 0.2);
  EXPECT_EQ(a[9].AsInt64(), 3);
}

// Decimal -> double -> float rounds differently from decimal -> float when the double is a tie
// between two floats. 1 + 2^-24 is exactly halfway between 1 and the next float; the decimal
// below is just above it, yet its nearest double is the tie itself.
TEST(Json, FloatsAreRoundedFromTheText) {
  const double tie = 1.0 + std::ldexp(1.0, -24);
  const JsonValue above = ParseJson("1.0000000596046447753906250000000001");
  EXPECT_EQ(above.AsDouble(), tie);
  EXPECT_EQ(above.AsFloat(), std::nextafter(1.0f, 2.0f));
  EXPECT_EQ(static_cast<float>(above.AsDouble()), 1.0f);  // what double rounding would give
  const JsonValue exact = ParseJson("1.000000059604644775390625");
  EXPECT_EQ(exact.AsFloat(), 1.0f);  // a true tie rounds to even
  // Just below and exactly at the boundary where float rounding overflows (FLT_MAX + 2^103):
  // both decimals have that boundary as their nearest double.
  EXPECT_EQ(ParseJson("3.4028235677973366e38").AsFloat(), std::numeric_limits<float>::max());
  EXPECT_TRUE(std::isinf(ParseJson("3.40282356779733661637539395458142568448e38").AsFloat()));
  EXPECT_TRUE(std::isinf(ParseJson("-3.5e38").AsFloat()));
  EXPECT_LT(ParseJson("-3.5e38").AsFloat(), 0.0f);
}

// The float of every number equals what std::from_chars<float> makes of the same text, also for
// decimals crafted to sit next to the midpoint between two floats.
TEST(Json, FloatsMatchFromChars) {
  ensemble::test::Xorshift rng(42);
  char text[64];
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    float a;
    const auto bits = static_cast<std::uint32_t>(rng.Next());
    std::memcpy(&a, &bits, sizeof(a));
    if (!std::isfinite(a) || a == std::numeric_limits<float>::max()) continue;
    const float b = std::nextafter(a, std::numeric_limits<float>::infinity());
    const double mid = (static_cast<double>(a) + static_cast<double>(b)) / 2;
    for (const char* format : {"%.9g", "%.17g", "%.25g", "%.40g"}) {
      for (double v : {static_cast<double>(a), mid}) {
        const int n = std::snprintf(text, sizeof(text), format, v);
        float want = 0.0f;
        const auto result = std::from_chars(text, text + n, want);
        if (result.ec != std::errc()) continue;
        ASSERT_EQ(ParseJson(std::string_view(text, n)).AsFloat(), want) << text;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100000);
}

TEST(Json, NanAndInfinityAreAnOption) {
  const JsonValue v = ParseJson("[NaN, Infinity, -Infinity]");
  EXPECT_TRUE(std::isnan(v.AsArray()[0].AsDouble()));
  EXPECT_EQ(v.AsArray()[2].AsDouble(), -std::numeric_limits<double>::infinity());
  JsonParseOptions strict;
  strict.allow_nan_infinity = false;
  EXPECT_TRUE(RejectsWith([&] { ParseJson("[1, NaN]", strict); }, {"byte 4", "expected a value"}));
}

TEST(Json, AccessorsCheckTypes) {
  const JsonValue v = ParseJson(R"({"s": "x", "n": 1.5})");
  try {
    v.Find("s")->AsDouble();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "JSON value is string, not a number");
  }
  EXPECT_THROW(v.Find("n")->AsInt64(), Error);
  EXPECT_THROW(v.AsArray(), Error);
  EXPECT_EQ(v.Find("n")->size(), 0u);
}

TEST(Json, ValuesCopyAndMove) {
  JsonValue original = ParseJson(R"({"a": [1, "two", {"b": null}]})");
  JsonValue copy = original;
  JsonValue moved = std::move(original);
  EXPECT_TRUE(original.IsNull());  // NOLINT(bugprone-use-after-move): moved-from is null
  EXPECT_EQ(copy.Find("a")->AsArray()[1].AsString(), "two");
  EXPECT_EQ(moved.Find("a")->AsArray()[1].AsString(), "two");
  copy = moved;
  copy = JsonValue(std::int64_t{7});
  EXPECT_EQ(copy.AsInt64(), 7);
  EXPECT_EQ(sizeof(JsonValue), 16u);
}

TEST(Json, RejectsMalformedTextWithOffsets) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"", "byte 0: unexpected end of input"},
      {"[1, 2", "byte 5: unexpected end of input inside an array"},
      {"[1 2]", "byte 3: expected ',' or ']'"},
      {"{\"a\" 1}", "byte 5: expected ':'"},
      {"{\"a\": 1,}", "byte 8: expected a '\"'"},
      {"{a: 1}", "byte 1: expected a '\"'"},
      {"\"abc", "byte 0: unterminated string"},
      {"\"a\tb\"", "byte 2: control character"},
      {"\"\\x\"", "byte 2: invalid escape"},
      {"\"\\ud800\"", "unpaired UTF-16 surrogate"},
      {"\"\\u12g4\"", "invalid hex digit"},
      {"01", "byte 1: unexpected data after the JSON value"},
      {"1.", "byte 0: expected a value"},
      {".5", "byte 0: expected a value"},
      {"+1", "byte 0: expected a value"},
      {"-", "byte 0: expected a value"},
      {"1e", "byte 0: expected a value"},
      {"tru", "byte 0: invalid literal"},
      {"nul", "invalid literal, expected 'null'"},
      {"[1] x", "byte 4: unexpected data"},
      {"{\"k\": 1, \"k\": 2}", "byte 0: duplicate object key \"k\""},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(RejectsWith([&] { ParseJson(c.text); }, {"invalid JSON at ", c.message}))
        << "input: " << c.text;
  }
}

TEST(Json, DuplicateKeysInLargeObjectsAreFound) {
  std::string text = "{";
  for (int i = 0; i < 200; ++i)
    text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  text += "\"k150\": 0}";
  EXPECT_TRUE(RejectsWith([&] { ParseJson(text); }, {"duplicate object key \"k150\""}));
}

TEST(Json, NestingIsBounded) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_NO_THROW(ParseJson(nested(512)));
  EXPECT_TRUE(
      RejectsWith([&] { ParseJson(nested(513)); }, {"byte 512: nesting deeper than 512 levels"}));
  EXPECT_TRUE(RejectsWith([&] { ParseJson(nested(1000000)); }, {"nesting deeper"}));
  JsonParseOptions shallow;
  shallow.max_depth = 2;
  shallow.error_code = ErrorCode::kMetadata;
  try {
    ParseJson(R"({"a": {"b": [1]}})", shallow);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kMetadata);
  }
}

TEST(Ubjson, ParsesScalarsBigEndian) {
  const std::string bytes = "[" + std::string("i\xFE") + "U\xFE" + "I" + BigEndian(0x1234, 2) +
                            "l" + BigEndian(0xFFFFFFFE, 4) + "L" + BigEndian(1ULL << 40, 8) + "d" +
                            BigEndian(0x3FC00000, 4) + "D" + BigEndian(0x3FB999999999999AULL, 8) +
                            "TFZ" + "S" + Key("hi") + "Ca" + "H" + Key("12345678901234567890") +
                            "]";
  const JsonValue v = Ubj(bytes);
  const JsonValue::Array& a = v.AsArray();
  ASSERT_EQ(a.size(), 13u);
  EXPECT_EQ(a[0].AsInt64(), -2);
  EXPECT_EQ(a[1].AsInt64(), 254);
  EXPECT_EQ(a[2].AsInt64(), 0x1234);
  EXPECT_EQ(a[3].AsInt64(), -2);
  EXPECT_EQ(a[4].AsInt64(), std::int64_t{1} << 40);
  EXPECT_EQ(a[5].AsFloat(), 1.5f);
  EXPECT_EQ(a[6].AsDouble(), 0.1);
  EXPECT_TRUE(a[7].AsBool());
  EXPECT_FALSE(a[8].AsBool());
  EXPECT_TRUE(a[9].IsNull());
  EXPECT_EQ(a[10].AsString(), "hi");
  EXPECT_EQ(a[11].AsString(), "a");
  EXPECT_EQ(a[12].AsDouble(), 12345678901234567890.0);
  EXPECT_EQ(v.ubjson_element_type(), 0);
}

TEST(Ubjson, ParsesOptimizedContainers) {
  const std::string bytes = "{" + Key("f") + "[$d#L" + BigEndian(2, 8) + BigEndian(0x3F800000, 4) +
                            BigEndian(0xC0000000, 4) + Key("i") + "[$l#i\x02" + BigEndian(7, 4) +
                            BigEndian(0xFFFFFFFF, 4) + Key("g") + "[#U\x02" + "i\x05" + "S" +
                            Key("x") + Key("o") + "{#U\x01" + Key("k") + "Z" + Key("e") + "[$U#L" +
                            BigEndian(0, 8) + "}";
  const JsonValue v = Ubj(bytes);
  const JsonValue& f = *v.Find("f");
  EXPECT_EQ(f.ubjson_element_type(), 'd');
  EXPECT_EQ(f.AsArray()[0].AsFloat(), 1.0f);
  EXPECT_EQ(f.AsArray()[1].AsDouble(), -2.0);
  EXPECT_EQ(v.Find("i")->ubjson_element_type(), 'l');
  EXPECT_EQ(v.Find("i")->AsArray()[1].AsInt64(), -1);
  EXPECT_EQ(v.Find("g")->AsArray()[1].AsString(), "x");
  EXPECT_TRUE(v.Find("o")->Find("k")->IsNull());
  EXPECT_EQ(v.Find("e")->size(), 0u);
}

TEST(Ubjson, RejectsLengthsPastTheEnd) {
  const struct {
    std::string bytes;
    const char* message;
  } cases[] = {
      {"[$d#L" + BigEndian(1000000000, 8) + "abcd", "byte 4: container count 1000000000 runs past"},
      {"[$d#L" + BigEndian(1ULL << 62, 8), "container count 4611686018427387904 runs past"},
      {"[$L#i\x02" + BigEndian(1, 8), "byte 4: container count 2 runs past the end (8 bytes"},
      {"[#L" + BigEndian(2, 8) + "L" + BigEndian(1, 4), "byte 12: an int64 needs 8 bytes, only 4"},
      {"[#L" + BigEndian(~0ULL - 4, 8), "byte 2: container count is negative (-5)"},
      {"[#l" + BigEndian(5, 4) + "ZZ", "byte 2: container count 5 runs past the end (2 bytes"},
      {"[#l" + BigEndian(2, 4) + "lX", "byte 8: an int32 needs 4 bytes, only 1 left"},
      {"{" + std::string("L") + BigEndian(1000000, 8) + "ab",
       "byte 1: object key length of 1000000"},
      {"SL" + BigEndian(3, 8) + "ab", "string length of 3 bytes runs past the end (2 bytes left)"},
      {"S" + std::string("d") + BigEndian(0, 4), "string length must be an integer"},
      {"l\x01\x02", "an int32 needs 4 bytes, only 2 left"},
      {"[ZZ", "a type marker needs 1 bytes, only 0 left"},
      {"{" + Key("a") + "Z", "an object key or '}' needs 1 bytes"},
      {"[$d" + BigEndian(1, 4), "needs a '#' count"},
      {"[$[#U\x01]", "unsupported element type '['"},
      {"X", "byte 0: unknown type marker 'X'"},
      {"N", "unknown type marker 'N'"},
      {"ZZ", "byte 1: 1 unexpected bytes after the UBJSON value"},
      {"HL" + BigEndian(3, 8) + "1x2", "high-precision number \"1x2\" is not a JSON number"},
      {"{" + Key("a") + "T" + Key("a") + "F}", "byte 0: duplicate object key \"a\""},
      {"", "byte 0: a type marker needs 1 bytes, only 0 left"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(RejectsWith([&] { Ubj(c.bytes); }, {"invalid UBJSON at ", c.message}));
  }
}

TEST(Ubjson, NestingIsBounded) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_NO_THROW(Ubj(nested(512)));
  EXPECT_TRUE(RejectsWith([&] { Ubj(nested(513)); }, {"byte 513: nesting deeper than 512"}));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{" + Key("a");
  EXPECT_TRUE(RejectsWith([&] { Ubj(objects); }, {"nesting deeper than 512 levels"}));
}

// The same XGBoost model saved as .json and .ubj reads to the same numbers.
TEST(Ubjson, MatchesTheJsonOfTheSameModel) {
  const JsonValue text = ParseJson(ensemble::test::ReadParserFixture("xgb_binary.json"));
  const std::string ubj = ensemble::test::ReadParserFixture("xgb_binary.ubj");
  const JsonValue binary = Ubj(ubj);
  const auto trees = [](const JsonValue& doc) {
    return doc.Find("learner")->Find("gradient_booster")->Find("model")->Find("trees");
  };
  ASSERT_EQ(trees(text)->size(), trees(binary)->size());
  for (std::size_t t = 0; t < trees(text)->size(); ++t) {
    const JsonValue& a = trees(text)->AsArray()[t];
    const JsonValue& b = trees(binary)->AsArray()[t];
    for (const char* key : {"split_conditions", "base_weights", "left_children", "split_indices"}) {
      const JsonValue::Array& x = a.Find(key)->AsArray();
      const JsonValue::Array& y = b.Find(key)->AsArray();
      ASSERT_EQ(x.size(), y.size()) << key;
      for (std::size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(x[i].AsFloat(), y[i].AsFloat()) << "tree " << t << " " << key << "[" << i << "]";
      }
    }
    EXPECT_EQ(b.Find("split_conditions")->ubjson_element_type(), 'd');
    EXPECT_EQ(b.Find("left_children")->ubjson_element_type(), 'l');
  }
}

TEST(Json, SurvivesCorruptedInput) {
  const std::string json = ensemble::test::ReadParserFixture("xgb_categorical.json");
  const std::string ubj = ensemble::test::ReadParserFixture("xgb_categorical.ubj");
  ensemble::test::FuzzBytes(
      json, [](const std::string& b) { ParseJson(b); }, 3000, 1);
  ensemble::test::FuzzBytes(
      ubj, [](const std::string& b) { Ubj(b); }, 3000, 2);
}
