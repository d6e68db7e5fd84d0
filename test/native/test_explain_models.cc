// Explain through the scorers: forest files of format 1.0 (no node weights: named, not a wrong
// answer) and 1.1 (the node_weights record checked), boosters whoever scores them, and the
// bundled ensemble: contributions and base add up to P(up), each model's part to its own
// probability, the parts equal the libraries' contributions (test/fixtures/production).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "ensemble/crc32.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/json.h"
#include "ensemble/model_directory.h"
#include "parser_test_util.h"

namespace {

namespace core = ensemble::core;
using core::DenseMatrix;
using core::DType;
using core::ErrorCode;
using ensemble::test::ReadFileBytes;

const std::string kSource = ENSEMBLE_SOURCE_DIR;

ErrorCode CodeOf(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const core::Error& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::kInternal;
}

std::vector<uint8_t> Bytes(const std::string& path) {
  const std::string s = ReadFileBytes(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void PutU32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// A forest file with one more metadata record before its trailer, header and CRC fixed.
std::vector<uint8_t> WithRecord(std::vector<uint8_t> b, const std::string& key,
                                const std::vector<uint8_t>& value) {
  const std::vector<uint8_t> trailer(b.end() - 8, b.end());
  b.resize(b.size() - 8);
  std::vector<uint8_t> rec(8);
  PutU32(rec, 0, static_cast<uint32_t>(key.size()));
  PutU32(rec, 4, static_cast<uint32_t>(value.size()));
  rec.insert(rec.end(), key.begin(), key.end());
  rec.insert(rec.end(), value.begin(), value.end());
  b.insert(b.end(), rec.begin(), rec.end());
  b.resize((b.size() + 7) / 8 * 8, 0);
  b.insert(b.end(), trailer.begin(), trailer.end());
  const uint64_t size = b.size();
  for (int i = 0; i < 8; ++i) b[40 + static_cast<size_t>(i)] = static_cast<uint8_t>(size >> (8 * i));
  PutU32(b, b.size() - 8, core::Crc32(b.data(), b.size() - 8));
  return b;
}

TEST(ExplainForest, AFormat10FileLoadsScoresAndSaysWhyItCannotBeExplained) {
  const auto forest = core::Forest::FromFile(kSource + "/test/fixtures/forest/rf_binary_nan.forest");
  EXPECT_EQ(forest->explain_outputs(), 0u);
  const std::string want =
      "the random forest cannot be explained: the forest file has no node_weights record (format "
      "1.0; re-export it with tools/export_sklearn_forest.py to record the node weights TreeSHAP "
      "needs)";
  EXPECT_EQ(forest->explain_note(), want);
  std::vector<double> x(forest->num_features(), 0.5), out(64), p(2);
  forest->Predict(DenseMatrix{x.data(), DType::kFloat64, 1, x.size()}, core::OutputKind::kValue,
                  p.data());
  std::string message;
  EXPECT_EQ(CodeOf([&] { forest->Explain(DenseMatrix{x.data(), DType::kFloat64, 1, x.size()}, out.data()); },
                   &message),
            ErrorCode::kNotExplainable);
  EXPECT_EQ(message, want);
}

TEST(ExplainForest, TheNodeWeightsRecordIsChecked) {
  const std::vector<uint8_t> v10 = Bytes(kSource + "/test/fixtures/forest/rf_binary_nan.forest");
  const auto parsed = core::ParseForest(v10.data(), v10.size(), "f");
  const size_t n = parsed.nodes.size();
  std::string message;
  // Neither 4 nor 8 bytes a node.
  auto bad = WithRecord(v10, "node_weights", std::vector<uint8_t>(4 * n + 1, 0));
  EXPECT_EQ(CodeOf([&] { core::ParseForest(bad.data(), bad.size(), "f"); }, &message),
            ErrorCode::kModelFormat);
  EXPECT_EQ(message, "f: node_weights has " + std::to_string(4 * n + 1) +
                         " bytes, not 4 or 8 per node (" + std::to_string(n) + " nodes)");
  // A NaN weight (float32 quiet NaN at node 2).
  std::vector<uint8_t> w(4 * n, 0);
  for (size_t i = 0; i < n; ++i) w[4 * i + 3] = 0x3f, w[4 * i + 2] = 0x80;  // 1.0f
  w[8] = 0, w[9] = 0, w[10] = 0xc0, w[11] = 0x7f;
  bad = WithRecord(v10, "node_weights", w);
  EXPECT_EQ(CodeOf([&] { core::ParseForest(bad.data(), bad.size(), "f"); }, &message),
            ErrorCode::kModelFormat);
  EXPECT_EQ(message, "f: node_weights[2] is nan, not a finite weight >= 0");
  // Good float32 weights: decoded, not kept among the text records; explanations available.
  w[8] = 0, w[9] = 0, w[10] = 0x80, w[11] = 0x3f;
  const auto good = WithRecord(v10, "node_weights", w);
  const auto m = core::ParseForest(good.data(), good.size(), "f");
  ASSERT_EQ(m.node_weights.size(), n);
  EXPECT_EQ(m.node_weights[2], 1.0);
  for (const auto& kv : m.metadata) EXPECT_NE(kv.first, "node_weights");
  EXPECT_GT(core::Forest::FromBytes(good.data(), good.size(), "f")->explain_outputs(), 0u);
}

bool LibrariesPresent() {
  struct stat st;
  const std::string d = ENSEMBLE_LIBRARY_DIR;
  return ::stat((d + "/lib_lightgbm.so").c_str(), &st) == 0 &&
         ::stat((d + "/libxgboost.so").c_str(), &st) == 0;
}

core::ModelDirectory Bundled(core::ScorerChoice scorer = core::ScorerChoice::kAuto) {
  core::ModelDirectoryOptions o;
  o.lightgbm.dirs = {ENSEMBLE_LIBRARY_DIR};
  o.xgboost.dirs = {ENSEMBLE_LIBRARY_DIR};
  o.scorer = scorer;
  return core::LoadModelDirectory(kSource + "/models/production", o);
}

std::vector<double> Numbers(const core::JsonValue& doc, const char* key) {
  std::vector<double> out;
  for (const core::JsonValue& x : doc.Find(key)->AsArray()) out.push_back(x.AsDouble());
  return out;
}

// The bundled fixture rows contrib.json lists, and the libraries' contributions on them.
struct ProductionRows {
  std::vector<double> x;
  size_t rows = 0;
  core::JsonValue ref;
};

ProductionRows ReadProductionRows() {
  ProductionRows p;
  const std::string dir = kSource + "/test/fixtures/production/";
  p.ref = core::ParseJson(ReadFileBytes(dir + "contrib.json"));
  const std::string all = ReadFileBytes(dir + "inputs.f64");
  for (const core::JsonValue& r : p.ref.Find("row_indices")->AsArray()) {
    double row[12];
    std::memcpy(row, all.data() + static_cast<size_t>(r.AsInt64()) * 96, 96);
    p.x.insert(p.x.end(), row, row + 12);
  }
  p.rows = p.x.size() / 12;
  return p;
}

TEST(ExplainBundled, EachModelMatchesItsLibraryAndTheEnsembleAddsUp) {
  if (!LibrariesPresent()) GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  const core::ModelDirectory dir = Bundled();
  const core::Ensemble& e = *dir.ensemble;
  ASSERT_EQ(e.explain_outputs(), 1u) << e.explain_note();
  const ProductionRows p = ReadProductionRows();
  const size_t rows = p.rows, w = 13;
  const DenseMatrix x{p.x.data(), DType::kFloat64, rows, 12};
  // Each model on its own, in its own space, against its library (shap for the forest's "up").
  std::vector<double> lgb(rows * w), xgb(rows * w), rf(rows * 2 * w);
  e.lightgbm()->Explain(x, lgb.data());
  e.xgboost()->Explain(x, xgb.data());
  e.forest()->Explain(x, rf.data());
  const std::vector<double> want_lgb = Numbers(p.ref, "lightgbm"), want_xgb = Numbers(p.ref, "xgboost"),
                            want_rf = Numbers(p.ref, "random_forest");
  for (size_t i = 0; i < rows * w; ++i) {
    ASSERT_NEAR(lgb[i], want_lgb[i], 1e-6) << "LightGBM value " << i;
    ASSERT_EQ(xgb[i], want_xgb[i]) << "XGBoost value " << i;  // its float arithmetic, to the bit
    ASSERT_NEAR(rf[(i / w) * 2 * w + w + i % w], want_rf[i], 1e-6) << "forest value " << i;
  }
  // The ensemble: contributions + base = P(up); each part + its base = that model's probability.
  std::vector<double> out(rows * w), parts(3 * rows * w), prob(rows), model_prob(3 * rows);
  e.Explain(x, out.data(), parts.data(), 2);
  e.Predict(x, core::OutputKind::kValue, prob.data(), model_prob.data());
  const double weight[3] = {0.4, 0.4, 0.2};
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (size_t j = 0; j < w; ++j) sum += out[r * w + j];
    ASSERT_NEAR(sum, prob[r], 1e-9) << "row " << r;
    for (size_t m = 0; m < 3; ++m) {
      const double* part = &parts[(m * rows + r) * w];
      double s = 0;
      for (size_t j = 0; j < w; ++j) s += part[j];
      ASSERT_NEAR(s, model_prob[m * rows + r], 1e-12) << "model " << m << " row " << r;
      for (size_t j = 0; j < 12; ++j) {
        // The rescale rule keeps each contribution's sign (margin to probability, one factor).
        const double margin = m == 0 ? lgb[r * w + j] : m == 1 ? xgb[r * w + j] : part[j];
        ASSERT_GE(part[j] * margin, 0) << "model " << m << " row " << r << " feature " << j;
      }
    }
    for (size_t j = 0; j < w; ++j) {
      const double combined = (weight[0] * parts[r * w + j] + weight[1] * parts[(rows + r) * w + j]) +
                              weight[2] * parts[(2 * rows + r) * w + j];
      ASSERT_EQ(out[r * w + j], combined);
    }
  }
}

TEST(ExplainBundled, BoostersExplainWhoeverScoresThem) {
  if (!LibrariesPresent()) GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  const core::ModelDirectory engine = Bundled(), library = Bundled(core::ScorerChoice::kLibrary);
  ASSERT_EQ(library.ensemble->lightgbm()->info().scorer, "library");
  const ProductionRows p = ReadProductionRows();
  const DenseMatrix x{p.x.data(), DType::kFloat64, p.rows, 12};
  std::vector<double> a(p.rows * 13), b(p.rows * 13);
  for (int m = 0; m < 2; ++m) {
    const core::Booster& one = m == 0 ? static_cast<const core::Booster&>(*engine.ensemble->lightgbm())
                                      : *engine.ensemble->xgboost();
    const core::Booster& two = m == 0 ? static_cast<const core::Booster&>(*library.ensemble->lightgbm())
                                      : *library.ensemble->xgboost();
    one.Explain(x, a.data());
    two.Explain(x, b.data());
    EXPECT_EQ(a, b) << "model " << m;
  }
  // Inputs are checked as Predict checks them.
  std::vector<double> row(12, 0.5);
  row[3] = INFINITY;
  std::string message;
  EXPECT_EQ(CodeOf([&] { engine.ensemble->Explain(DenseMatrix{row.data(), DType::kFloat64, 1, 12}, a.data()); },
                   &message),
            ErrorCode::kNonFiniteInput);
  EXPECT_EQ(CodeOf([&] { engine.ensemble->Explain(DenseMatrix{row.data(), DType::kFloat64, 1, 11}, a.data()); }),
            ErrorCode::kFeatureMismatch);
}

}  // namespace
