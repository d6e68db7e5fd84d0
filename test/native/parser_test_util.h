// Helpers for the parser tests: fixture files, the libraries' expected outputs, message checks.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/json.h"

namespace ensemble::test {

inline std::string ParserFixturePath(const std::string& name) {
  return std::string(ENSEMBLE_SOURCE_DIR) + "/test/fixtures/parsers/" + name;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string ReadParserFixture(const std::string& name) {
  return ReadFileBytes(ParserFixturePath(name));
}

/// What the library that wrote a fixture said about it (tools/make_parser_fixtures.py).
struct Expected {
  int num_trees = 0;
  int num_features = 0;
  int num_outputs = 0;
  std::string objective;
  std::string booster;
  std::int64_t best_iteration = -1;
  std::string version;
  std::vector<std::vector<double>> rows;    // NaN = missing
  std::vector<std::vector<int>> pred_leaf;  // empty if the library could not say
  std::vector<std::vector<double>> raw;     // per row, per output
};

inline Expected ReadExpected(const std::string& model_file) {
  using core::JsonValue;
  const JsonValue doc = core::ParseJson(ReadParserFixture(model_file + ".expected.json"));
  Expected e;
  e.num_trees = static_cast<int>(doc.Find("num_trees")->AsInt64());
  e.num_features = static_cast<int>(doc.Find("num_features")->AsInt64());
  e.num_outputs = static_cast<int>(doc.Find("num_outputs")->AsInt64());
  e.objective = doc.Find("objective")->AsString();
  e.version = doc.Find("version")->AsString();
  if (const JsonValue* b = doc.Find("booster")) e.booster = b->AsString();
  if (const JsonValue* b = doc.Find("best_iteration")) e.best_iteration = b->AsInt64();
  for (const JsonValue& row : doc.Find("rows")->AsArray()) {
    std::vector<double> values;
    for (const JsonValue& v : row.AsArray()) {
      values.push_back(v.IsNull() ? std::numeric_limits<double>::quiet_NaN() : v.AsDouble());
    }
    e.rows.push_back(values);
  }
  if (!doc.Find("pred_leaf")->IsNull()) {
    for (const JsonValue& row : doc.Find("pred_leaf")->AsArray()) {
      std::vector<int> leaves;
      for (const JsonValue& v : row.AsArray()) leaves.push_back(static_cast<int>(v.AsInt64()));
      e.pred_leaf.push_back(leaves);
    }
  }
  for (const JsonValue& row : doc.Find("raw")->AsArray()) {
    std::vector<double> values;
    for (const JsonValue& v : row.AsArray()) values.push_back(v.AsDouble());
    e.raw.push_back(values);
  }
  return e;
}

/// Runs `parse`, expecting Error(`code`) whose message contains every `parts` entry.
template <typename Fn>
::testing::AssertionResult RejectsWith(core::ErrorCode code, Fn&& parse,
                                       std::initializer_list<std::string> parts) {
  try {
    parse();
  } catch (const core::Error& e) {
    const std::string message = e.what();
    if (e.code() != code) {
      return ::testing::AssertionFailure() << "wrong error code for: " << message;
    }
    for (const std::string& part : parts) {
      if (message.find(part) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message \"" << message << "\" lacks \"" << part << "\"";
      }
    }
    return ::testing::AssertionSuccess() << message;
  }
  return ::testing::AssertionFailure() << "accepted, expected an error";
}

/// Runs `parse`, expecting Error(kModelFormat) whose message contains every `parts` entry.
template <typename Fn>
::testing::AssertionResult RejectsWith(Fn&& parse, std::initializer_list<std::string> parts) {
  return RejectsWith(core::ErrorCode::kModelFormat, std::forward<Fn>(parse), parts);
}

/// Deterministic pseudo-random numbers for the fuzz tests (xorshift64*).
class Xorshift {
 public:
  explicit Xorshift(std::uint64_t seed) : state_(seed | 1) {}
  std::uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }

 private:
  std::uint64_t state_;
};

/// Feeds `parse` the text cut at many offsets and with many single-byte corruptions; every run
/// must either succeed or throw core::Error (anything else, or a crash under ASan, fails).
/// Returns how many variants were rejected.
template <typename Fn>
int FuzzBytes(const std::string& original, Fn&& parse, int flips, std::uint64_t seed) {
  int rejected = 0;
  auto run = [&](const std::string& bytes) {
    try {
      parse(bytes);
    } catch (const core::Error&) {
      ++rejected;
    }
  };
  const std::size_t step = original.size() / 400 + 1;
  for (std::size_t cut = 0; cut < original.size(); cut += step) run(original.substr(0, cut));
  Xorshift rng(seed);
  static const char kInteresting[] = {'\0', '\n', '\r', ' ', '=', '-', '9', '[', ']',    '{',
                                      '}',  '"',  ',',  ':', 'L', 'l', '$', '#', '\x7f', '\xff'};
  for (int i = 0; i < flips; ++i) {
    std::string bytes = original;
    const int edits = 1 + static_cast<int>(rng.Below(3));
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng.Below(bytes.size());
      bytes[at] = rng.Below(2) ? static_cast<char>(rng.Next())
                               : kInteresting[rng.Below(sizeof(kInteresting))];
    }
    run(bytes);
  }
  return rejected;
}

}  // namespace ensemble::test
