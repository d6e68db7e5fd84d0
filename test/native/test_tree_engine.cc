// The tree engine's import of LightGBM and XGBoost models: raw scores equal to the libraries' own
// (the parser fixtures' expected outputs, written by the real libraries), refusals named, the
// self-check catching a difference, the nodes-visited count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "ensemble/lightgbm_model.h"
#include "ensemble/tree_engine.h"
#include "ensemble/xgboost_model.h"
#include "parser_test_util.h"

using ensemble::core::BoosterEngine;
using ensemble::core::DenseMatrix;
using ensemble::core::DType;
using ensemble::core::OutputKind;
using ensemble::test::ReadExpected;
using ensemble::test::ReadParserFixture;

namespace {

std::unique_ptr<const BoosterEngine> Import(const std::string& file, std::string* why_not) {
  const std::string bytes = ReadParserFixture(file);
  if (file.rfind("lgb", 0) == 0) {
    return BoosterEngine::FromLightGBM(ensemble::core::ParseLightGBMText(bytes, file), why_not);
  }
  return BoosterEngine::FromXGBoost(
      ensemble::core::ParseXGBoostModel(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size(), file),
      why_not);
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct Case {
  const char* file;
  const char* refusal;  // nullptr: the engine imports it
};

class EngineFixture : public ::testing::TestWithParam<Case> {};

TEST_P(EngineFixture, RawScoresEqualTheLibrarysOrTheRefusalIsNamed) {
  const Case c = GetParam();
  std::string why_not;
  const auto engine = Import(c.file, &why_not);
  if (c.refusal != nullptr) {
    ASSERT_EQ(engine, nullptr) << c.file;
    EXPECT_NE(why_not.find(c.refusal), std::string::npos) << c.file << ": " << why_not;
    return;
  }
  ASSERT_NE(engine, nullptr) << c.file << ": " << why_not;
  const auto expected = ReadExpected(c.file);
  ASSERT_FALSE(expected.rows.empty());
  const size_t nf = static_cast<size_t>(engine->num_features());
  std::vector<double> x;
  for (const auto& row : expected.rows) {
    ASSERT_EQ(row.size(), nf);
    x.insert(x.end(), row.begin(), row.end());
  }
  const size_t rows = expected.rows.size();
  std::vector<double> got(rows);
  engine->Predict(DenseMatrix{x.data(), DType::kFloat64, rows, nf}, OutputKind::kRawMargin,
                  got.data(), 1);
  std::vector<double> one(1);
  const bool lightgbm = engine->flavor() == BoosterEngine::Flavor::kLightGBM;
  for (size_t r = 0; r < rows; ++r) {
    if (lightgbm) {
      // LightGBM's raw score, bit for bit.
      EXPECT_TRUE(SameBits(got[r], expected.raw[r][0]))
          << c.file << " row " << r << ": engine " << got[r] << ", library " << expected.raw[r][0];
    } else {
      // The fixtures' XGBoost margins were taken with a zero base_margin; the engine's start
      // from the model's base margin, in float32, so the difference is within float rounding.
      // (Engine vs library bit for bit: the load-time self-check and test/10.models.parity.)
      const double want = expected.raw[r][0];
      const double have = got[r] - static_cast<double>(engine->base_margin());
      EXPECT_LE(std::fabs(have - want), 1e-5 * std::max(1.0, std::fabs(want)))
          << c.file << " row " << r << ": engine " << have << ", library " << want;
    }
    engine->PredictRow(x.data() + r * nf, DType::kFloat64, OutputKind::kRawMargin, one.data());
    EXPECT_TRUE(SameBits(one[0], got[r])) << c.file << " row " << r << " single-row path";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, EngineFixture,
    ::testing::Values(Case{"lgb_binary.txt", nullptr}, Case{"lgb_cross_entropy.txt", nullptr},
                      Case{"lgb_dart.txt", nullptr}, Case{"lgb_early_stopped_full.txt", nullptr},
                      Case{"lgb_huber.txt", nullptr}, Case{"lgb_lambdarank.txt", nullptr},
                      Case{"lgb_poisson.txt", nullptr}, Case{"lgb_quantile.txt", nullptr},
                      Case{"lgb_regression.txt", nullptr}, Case{"lgb_regression_l1.txt", nullptr},
                      Case{"lgb_single_leaf.txt", nullptr}, Case{"lgb_v3_binary.txt", nullptr},
                      Case{"lgb_custom.txt", nullptr},
                      Case{"lgb_categorical.txt", "categorical"},
                      Case{"lgb_linear.txt", "linear trees"},
                      Case{"lgb_multiclass.txt", "more than one output"},
                      Case{"lgb_rf.txt", "average_output"},
                      Case{"xgb_binary.json", nullptr}, Case{"xgb_binary.ubj", nullptr},
                      Case{"xgb17_binary.json", nullptr}, Case{"xgb_pruned.json", nullptr},
                      Case{"xgb17_pruned.json", nullptr}, Case{"xgb_regression.json", nullptr},
                      Case{"xgb_stump.json", nullptr}, Case{"xgb_rf.json", nullptr},
                      Case{"xgb_early_stopped.json", nullptr},
                      Case{"xgb_dart.json", "dart"},
                      Case{"xgb_categorical.json", "categorical"},
                      Case{"xgb_multi_softprob.json", "more than one output"},
                      Case{"xgb_multi_target.json", "more than one output"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.file;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// XGBoost 1.0-1.2 wrote no split_type: every split is numerical. The import read split_type[i]
// of an empty array and crashed the process (issue 9, item 3).
TEST(EngineImport, XGBoostTreesWithoutSplitType) {
  std::string json = ReadParserFixture("xgb_binary.json");
  std::string why_not;
  const auto with = Import("xgb_binary.json", &why_not);
  ASSERT_NE(with, nullptr) << why_not;
  for (std::size_t at; (at = json.find("\"split_type\":[")) != std::string::npos;) {
    json.erase(at, json.find(']', at) + 2 - at);  // the member and its comma
  }
  const auto model = ensemble::core::ParseXGBoostModel(
      reinterpret_cast<const uint8_t*>(json.data()), json.size(), "old.json");
  const auto without = BoosterEngine::FromXGBoost(model, &why_not);
  ASSERT_NE(without, nullptr) << why_not;
  const auto expected = ReadExpected("xgb_binary.json");
  for (const auto& row : expected.rows) {
    double a = 0, b = 0;
    with->PredictRow(row.data(), DType::kFloat64, OutputKind::kRawMargin, &a);
    without->PredictRow(row.data(), DType::kFloat64, OutputKind::kRawMargin, &b);
    EXPECT_TRUE(SameBits(a, b));
  }
  // A hand-built model whose arrays disagree is declined, not read out of bounds.
  auto broken = model;
  broken.trees[0].split_type.clear();
  EXPECT_EQ(BoosterEngine::FromXGBoost(broken, &why_not), nullptr);
  EXPECT_NE(why_not.find("tree 0 has per-node arrays of unequal length"), std::string::npos)
      << why_not;
}

// A width is only a number in the file; the self-check's probe rows are that wide, so the
// engine declines a model wider than kMaxFeatures before allocating anything for it.
TEST(EngineImport, DeclinesModelsWiderThanItsMaximum) {
  std::string why_not;
  std::string json = ReadParserFixture("xgb_binary.json");
  const std::string seven = "\"num_class\":\"0\",\"num_feature\":\"7\"";
  const auto width = [&](int n) {
    std::string text = json;
    text.replace(text.find(seven), seven.size(),
                 "\"num_class\":\"0\",\"num_feature\":\"" + std::to_string(n) + "\"");
    return ensemble::core::ParseXGBoostModel(reinterpret_cast<const uint8_t*>(text.data()),
                                             text.size(), "wide.json");
  };
  EXPECT_NE(BoosterEngine::FromXGBoost(width(BoosterEngine::kMaxFeatures), &why_not), nullptr);
  EXPECT_EQ(BoosterEngine::FromXGBoost(width(1000000), &why_not), nullptr);
  EXPECT_EQ(why_not, "1000000 features (the engine takes at most 4096)");
  auto lgb = ensemble::core::ParseLightGBMText(ReadParserFixture("lgb_binary.txt"), "lgb");
  lgb.num_features = BoosterEngine::kMaxFeatures + 1;
  EXPECT_EQ(BoosterEngine::FromLightGBM(lgb, &why_not), nullptr);
  EXPECT_EQ(why_not, "4097 features (the engine takes at most 4096)");
}

TEST(EngineSelfCheck, ReportsTheFirstDifferenceFromTheLibrary) {
  std::string why_not;
  const auto engine = Import("lgb_binary.txt", &why_not);
  ASSERT_NE(engine, nullptr) << why_not;
  // A "library" that is the engine itself: no difference.
  auto same = [&](const DenseMatrix& x, OutputKind kind, double* out) {
    engine->Predict(x, kind, out, 1);
  };
  EXPECT_EQ(ensemble::core::CheckEngineAgainstLibrary(*engine, true, same), "");
  // One ulp off on one row of float32 values: named.
  auto off = [&](const DenseMatrix& x, OutputKind kind, double* out) {
    engine->Predict(x, kind, out, 1);
    if (x.dtype == DType::kFloat32 && kind == OutputKind::kValue) {
      out[7] = std::nextafter(out[7], 2.0);
    }
  };
  const std::string diff = ensemble::core::CheckEngineAgainstLibrary(*engine, true, off);
  EXPECT_NE(diff.find("float32 row 7, value"), std::string::npos) << diff;
}

TEST(EngineNodesVisited, CountsTheSplitsOnEachTreesPath) {
  std::string why_not;
  const auto stump = Import("lgb_single_leaf.txt", &why_not);
  ASSERT_NE(stump, nullptr) << why_not;
  std::vector<double> row(static_cast<size_t>(stump->num_features()), 0.5);
  EXPECT_EQ(stump->NodesVisited(row.data(), DType::kFloat64), 0u);

  const auto xgb = Import("xgb_binary.json", &why_not);
  ASSERT_NE(xgb, nullptr) << why_not;
  std::vector<double> r2(static_cast<size_t>(xgb->num_features()), 0.25);
  const uint64_t visited = xgb->NodesVisited(r2.data(), DType::kFloat64);
  EXPECT_GE(visited, static_cast<uint64_t>(xgb->num_trees()) / 2);
  EXPECT_LT(visited, xgb->num_nodes());
}

}  // namespace
