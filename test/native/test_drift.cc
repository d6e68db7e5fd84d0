// Drift detection's native parts: the metadata's drift_reference (every rule, each problem named,
// a directory without one still fine), and the sliding-window histograms (binning, eviction,
// NaN, float32, column input, cumulative windows, bad edges).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ensemble/drift.h"
#include "ensemble/error.h"
#include "ensemble/metadata.h"

namespace {

namespace core = ensemble::core;
using core::DriftWindow;
using core::Problems;

const std::string kPath = "/m/production_model_metadata.json";

std::string Hist(const std::string& edges = "[1, 2]", const std::string& counts = "[3, 4, 5]",
                 const std::string& missing = "1") {
  return "{\"edges\": " + edges + ", \"counts\": " + counts + ", \"missing\": " + missing + "}";
}

std::string Scores(const std::string& ensemble = Hist()) {
  return "\"scores\": {\"lightgbm\": " + Hist() + ", \"xgboost\": " + Hist() +
         ", \"random_forest\": " + Hist() + ", \"ensemble\": " + ensemble + "}";
}

std::string Doc(const std::string& reference) {
  return "{\"schema_version\": 1, \"feature_names\": [\"a\", \"b\"], \"drift_reference\": " +
         reference + "}";
}

std::string Reference(const std::string& a = Hist(), const std::string& extra = "") {
  return "{\"version\": 1, \"features_from\": \"training rows\", \"features\": {\"a\": " + a +
         ", \"b\": " + Hist("[]", "[7]", "0") + extra + "}, " + Scores() + "}";
}

std::vector<core::Problem> Collect(const std::string& text, core::Metadata* out = nullptr) {
  Problems p(Problems::Mode::kCollect);
  core::Metadata m = core::ParseMetadata(text, kPath, false, p);
  if (out != nullptr) *out = m;
  return p.list();
}

TEST(DriftReference, AValidReferenceIsReadInOrder) {
  core::Metadata m;
  ASSERT_TRUE(Collect(Doc(Reference()), &m).empty());
  const core::DriftReference& r = m.drift_reference;
  ASSERT_TRUE(r.present);
  ASSERT_EQ(r.features.size(), 2u);
  EXPECT_EQ(r.features[0].first, "a");
  EXPECT_EQ(r.features[0].second.edges, (std::vector<double>{1, 2}));
  EXPECT_EQ(r.features[0].second.counts, (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(r.features[0].second.missing, 1u);
  EXPECT_TRUE(r.features[1].second.edges.empty());
  ASSERT_EQ(r.scores.size(), 4u);
  EXPECT_EQ(r.scores[3].first, "ensemble");
  EXPECT_EQ(r.features_from, "training rows");
}

TEST(DriftReference, ItIsOptional) {
  core::Metadata m;
  EXPECT_TRUE(Collect("{\"schema_version\": 1, \"feature_names\": [\"a\", \"b\"]}", &m).empty());
  EXPECT_FALSE(m.drift_reference.present);
}

TEST(DriftReference, EveryRuleNamesItsField) {
  struct Case {
    std::string reference, field, message;
  };
  const std::vector<Case> cases = {
      {"[]", "drift_reference", "drift_reference must be an object (docs/metadata.md#drift_reference)"},
      {"{\"version\": 2}", "drift_reference.version", "drift_reference.version must be 1 (the version this package reads)"},
      {Reference(Hist("[2, 1]")), "drift_reference.features.a.edges",
       "drift_reference.features.a.edges must be finite numbers in strictly increasing order (edge 1)"},
      {Reference(Hist("[1, 2]", "[1, 2]")), "drift_reference.features.a.counts",
       "drift_reference.features.a.counts must be an array of 3 counts (one more than the edges)"},
      {Reference(Hist("[1, 2]", "[1, -2, 3]")), "drift_reference.features.a.counts",
       "drift_reference.features.a.counts must hold integers >= 0"},
      {Reference(Hist("[1, 2]", "[1, 2, 3]", "0.5")), "drift_reference.features.a.missing",
       "drift_reference.features.a.missing must be an integer >= 0"},
      {Reference(Hist("[1]", "[0, 0]", "0")), "drift_reference.features.a", "drift_reference.features.a counts no value at all"},
      {Reference(Hist(), ", \"c\": " + Hist()), "drift_reference.features.c",
       "drift_reference.features.c is not a features name of this model directory"},
      {"{\"version\": 1, \"features\": {\"a\": " + Hist() + "}, " + Scores() + "}", "drift_reference.features",
       "drift_reference.features has no entry for 'b'"},
  };
  for (const Case& c : cases) {
    const auto problems = Collect(Doc(c.reference));
    ASSERT_EQ(problems.size(), 1u) << c.reference;
    EXPECT_EQ(problems[0].code, core::ErrorCode::kMetadata);
    EXPECT_EQ(problems[0].field, c.field);
    EXPECT_EQ(problems[0].message, kPath + ": " + c.message);
  }
  // Load throws the first one.
  Problems p(Problems::Mode::kThrow);
  EXPECT_THROW(core::ParseMetadata(Doc("{\"version\": 2}"), kPath, false, p), core::Error);
}

TEST(DriftReference, TheBundledDirectoryHasOne) {
  std::ifstream in(std::string(ENSEMBLE_SOURCE_DIR) + "/models/production/production_model_metadata.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  core::Metadata m;
  ASSERT_TRUE(Collect(text, &m).empty());
  ASSERT_TRUE(m.drift_reference.present);
  EXPECT_EQ(m.drift_reference.features.size(), 12u);
  EXPECT_EQ(m.drift_reference.features[3].first, "rsi_14");
}

std::vector<uint64_t> Counts(const DriftWindow& w, size_t c) { return w.Counts(c); }

TEST(DriftWindow, BinsEvictsAndCountsMissingValues) {
  DriftWindow w({{1, 2}, {0}}, 3);
  // v <= 1: bin 0; (1, 2]: bin 1; > 2: bin 2; NaN: the last slot.
  const std::vector<double> rows = {1, -5, 1.5, 0, 2, NAN, 7, 3};
  w.Add(core::DenseMatrix{rows.data(), core::DType::kFloat64, 3, 2});
  EXPECT_EQ(Counts(w, 0), (std::vector<uint64_t>{1, 2, 0, 0}));
  EXPECT_EQ(Counts(w, 1), (std::vector<uint64_t>{2, 0, 1}));  // -5 and 0 (<= 0), NaN
  EXPECT_EQ(w.rows(), 3u);
  w.Add(core::DenseMatrix{rows.data() + 6, core::DType::kFloat64, 1, 2});  // evicts row 0
  EXPECT_EQ(Counts(w, 0), (std::vector<uint64_t>{0, 2, 1, 0}));
  EXPECT_EQ(Counts(w, 1), (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_EQ(w.rows(), 3u);
  EXPECT_EQ(w.seen(), 4u);
  // A batch longer than the window keeps its last rows only.
  const std::vector<float> many = {9, 9, 9, 9, 9, 9, 0.5f, -1, 0.5f, -1, 0.5f, -1};
  w.Add(core::DenseMatrix{many.data(), core::DType::kFloat32, 6, 2});
  EXPECT_EQ(Counts(w, 0), (std::vector<uint64_t>{3, 0, 0, 0}));
  EXPECT_EQ(Counts(w, 1), (std::vector<uint64_t>{3, 0, 0}));
  EXPECT_EQ(w.seen(), 10u);
  w.Reset();
  EXPECT_EQ(Counts(w, 0), (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(w.rows(), 0u);
}

TEST(DriftWindow, ColumnsAndCumulativeWindows) {
  DriftWindow w({{0.5}, {0.5}}, 0);
  const double a[] = {0.1, 0.9, NAN}, b[] = {1, 1, 0};
  const double* cols[] = {a, b};
  w.AddColumns(cols, 3);
  w.AddColumns(cols, 3);
  EXPECT_EQ(Counts(w, 0), (std::vector<uint64_t>{2, 2, 2}));
  EXPECT_EQ(Counts(w, 1), (std::vector<uint64_t>{2, 4, 0}));
  EXPECT_EQ(w.rows(), 6u);
}

TEST(DriftWindow, BadInputIsRefused) {
  EXPECT_THROW(DriftWindow({{2, 1}}, 5), core::Error);
  EXPECT_THROW(DriftWindow({{NAN}}, 5), core::Error);
  EXPECT_THROW(DriftWindow({std::vector<double>(300, 0)}, 5), core::Error);
  DriftWindow w({{1}}, 5);
  const double row[2] = {1, 2};
  try {
    w.Add(core::DenseMatrix{row, core::DType::kFloat64, 1, 2});
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::kFeatureMismatch);
  }
  EXPECT_THROW(w.Counts(1), core::Error);
}

}  // namespace
