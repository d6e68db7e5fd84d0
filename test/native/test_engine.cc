// The tree engine: imports equal the libraries' raw scores (the parser fixtures' outputs, written
// by the real libraries), refusals named; random models of every shape scored by both kernels
// equal a plain reference walk bit for bit (every missing-value rule, both comparisons, rank
// windows, deep and single-leaf trees, float32 and float64, batches, threads and single rows);
// the self-check catches a difference; nodes visited.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../native/core/engine_fold.h"
#include "ensemble/boosters.h"
#include "ensemble/engine.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"
#include "parser_test_util.h"

namespace {

using ensemble::core::Compare;
using ensemble::core::DenseMatrix;
using ensemble::core::DType;
using ensemble::core::EngineModel;
using ensemble::core::EngineNode;
using ensemble::core::EngineTree;
using ensemble::core::ForceEngineKernel;
using ensemble::core::MissingRule;
using ensemble::core::OutputKind;
using ensemble::core::TreeEngine;
using ensemble::test::ReadExpected;
using ensemble::test::ReadParserFixture;
namespace fold = ensemble::core::fold;

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The kernels this machine can run ("portable" always).
std::vector<std::string> Kernels() {
  std::vector<std::string> k{"portable"};
  if (ForceEngineKernel("avx2")) k.push_back("avx2");
  if (ForceEngineKernel("avx512")) k.push_back("avx512");
  ForceEngineKernel("");
  return k;
}

// Sums of every row of x for part 0 (width values per row).
std::vector<double> Sums(const TreeEngine& e, const DenseMatrix& x, int threads = 1) {
  std::vector<double> out(x.rows * e.width(0));
  e.Sums(x, threads, [&](size_t begin, size_t end, const double* const* sums) {
    std::memcpy(&out[begin * e.width(0)], sums[0], (end - begin) * e.width(0) * sizeof(double));
  });
  return out;
}

std::shared_ptr<EngineModel> Import(const std::string& file, std::string* why_not) {
  const std::string bytes = ReadParserFixture(file);
  auto m = std::make_shared<EngineModel>();
  bool ok;
  if (file.rfind("lgb", 0) == 0) {
    ok = ImportLightGBM(ensemble::core::ParseLightGBMText(bytes, file), m.get(), why_not);
  } else {
    ok = ImportXGBoost(ensemble::core::ParseXGBoostModel(
                           reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), file),
                       m.get(), why_not);
  }
  return ok ? m : nullptr;
}

struct Case {
  const char* file;
  const char* refusal;  // nullptr: the engine imports it
};

class EngineFixture : public ::testing::TestWithParam<Case> {};

TEST_P(EngineFixture, RawScoresEqualTheLibrarysOrTheRefusalIsNamed) {
  const Case c = GetParam();
  std::string why_not;
  const auto model = Import(c.file, &why_not);
  if (c.refusal != nullptr) {
    ASSERT_EQ(model, nullptr) << c.file;
    EXPECT_NE(why_not.find(c.refusal), std::string::npos) << c.file << ": " << why_not;
    return;
  }
  ASSERT_NE(model, nullptr) << c.file << ": " << why_not;
  const auto expected = ReadExpected(c.file);
  ASSERT_FALSE(expected.rows.empty());
  const size_t nf = static_cast<size_t>(model->num_features);
  std::vector<double> x;
  for (const auto& row : expected.rows) {
    ASSERT_EQ(row.size(), nf);
    x.insert(x.end(), row.begin(), row.end());
  }
  const size_t rows = expected.rows.size();
  const bool lightgbm = model->library == "LightGBM";
  for (const std::string& kernel : Kernels()) {
    ASSERT_TRUE(ForceEngineKernel(kernel));
    const auto engine = TreeEngine::Compile({{model, {}}});
    const std::vector<double> got = Sums(*engine, DenseMatrix{x.data(), DType::kFloat64, rows, nf});
    for (size_t r = 0; r < rows; ++r) {
      if (lightgbm) {
        // LightGBM's raw score, bit for bit.
        EXPECT_TRUE(SameBits(got[r], expected.raw[r][0]))
            << c.file << " [" << kernel << "] row " << r << ": engine " << got[r] << ", library "
            << expected.raw[r][0];
      } else {
        // The fixtures' XGBoost margins were taken with a zero base_margin; the engine's start
        // from the model's base margin, in float32, so the difference is within float rounding.
        // (Engine vs library bit for bit: the load-time self-check and test/10.models.parity.)
        const double want = expected.raw[r][0];
        const double have = got[r] - model->base;
        EXPECT_LE(std::fabs(have - want), 1e-5 * std::max(1.0, std::fabs(want)))
            << c.file << " [" << kernel << "] row " << r << ": engine " << have << ", library "
            << want;
      }
      double one = 0;
      double* out[1] = {&one};
      engine->SumsRow(x.data() + r * nf, DType::kFloat64, out);
      EXPECT_TRUE(SameBits(one, got[r])) << c.file << " [" << kernel << "] row " << r
                                         << " single-row path";
    }
  }
  ForceEngineKernel("");
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
                      Case{"xgb_early_stopped.json", nullptr}, Case{"xgb_dart.json", nullptr},
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
  auto without = std::make_shared<EngineModel>();
  ASSERT_TRUE(ImportXGBoost(model, without.get(), &why_not)) << why_not;
  const auto expected = ReadExpected("xgb_binary.json");
  const auto a = TreeEngine::Compile({{with, {}}}), b = TreeEngine::Compile({{without, {}}});
  for (const auto& row : expected.rows) {
    double va = 0, vb = 0;
    double* oa[1] = {&va};
    double* ob[1] = {&vb};
    a->SumsRow(row.data(), DType::kFloat64, oa);
    b->SumsRow(row.data(), DType::kFloat64, ob);
    EXPECT_TRUE(SameBits(va, vb));
  }
  // A hand-built model whose arrays disagree is declined, not read out of bounds.
  auto broken = model;
  broken.trees[0].split_type.clear();
  EngineModel m;
  EXPECT_FALSE(ImportXGBoost(broken, &m, &why_not));
  EXPECT_NE(why_not.find("tree 0 has per-node arrays of unequal length"), std::string::npos)
      << why_not;
}

// A width is only a number in the file; the self-check's probe rows are that wide, so the engine
// declines a booster wider than kMaxEngineFeatures before allocating anything for it.
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
  EngineModel m;
  EXPECT_TRUE(ImportXGBoost(width(ensemble::core::kMaxEngineFeatures), &m, &why_not)) << why_not;
  EXPECT_FALSE(ImportXGBoost(width(1000000), &m, &why_not));
  EXPECT_EQ(why_not, "1000000 features (the engine takes at most 4096)");
  auto lgb = ensemble::core::ParseLightGBMText(ReadParserFixture("lgb_binary.txt"), "lgb");
  lgb.num_features = static_cast<int>(ensemble::core::kMaxEngineFeatures) + 1;
  EXPECT_FALSE(ImportLightGBM(lgb, &m, &why_not));
  EXPECT_EQ(why_not, "4097 features (the engine takes at most 4096)");
}

// ---- Random models against a plain reference walk -------------------------------------------

// The libraries' rule, stated as plainly as possible: where row x goes at node n.
bool GoesLeft(const EngineModel& m, const EngineNode& n, double x) {
  const bool nan = std::isnan(x);
  switch (n.missing) {
    case MissingRule::kLeft:
      if (nan) return true;
      break;
    case MissingRule::kRight:
      if (nan) return false;
      break;
    case MissingRule::kAsZero:
      if (nan) x = 0.0;
      break;
    case MissingRule::kZeroLeft:
      if (nan || std::fabs(x) <= fold::kLightGBMZero) return true;
      break;
    case MissingRule::kZeroRight:
      if (nan || std::fabs(x) <= fold::kLightGBMZero) return false;
      break;
  }
  if (m.compare == Compare::kFloat) {
    return fold::ToFloat(x) <= static_cast<float>(n.threshold);
  }
  return x <= n.threshold;
}

std::vector<double> Reference(const EngineModel& m, const std::vector<double>& x, size_t rows) {
  const size_t nf = static_cast<size_t>(m.num_features), o = static_cast<size_t>(m.outputs);
  std::vector<double> out(rows * o);
  for (size_t r = 0; r < rows; ++r) {
    float fsum = static_cast<float>(m.base);
    std::vector<double> dsum(o, 0.0);
    for (const EngineTree& t : m.trees) {
      size_t i = 0;
      while (t.nodes[i].feature >= 0) {
        const EngineNode& n = t.nodes[i];
        i = static_cast<size_t>(GoesLeft(m, n, x[r * nf + static_cast<size_t>(n.feature)]) ? n.left
                                                                                           : n.right);
      }
      const size_t leaf = static_cast<size_t>(t.nodes[i].leaf);
      if (m.float_sum) {
        fsum += static_cast<float>(m.leaf_values[leaf]);
      } else {
        for (size_t c = 0; c < o; ++c) dsum[c] += m.leaf_values[leaf * o + c];
      }
    }
    for (size_t c = 0; c < o; ++c) out[r * o + c] = m.float_sum ? fsum : dsum[c];
  }
  return out;
}

struct Shape {
  const char* name;
  int features;
  int trees;
  int max_depth;
  int thresholds;  // distinct thresholds to draw from per feature
  bool lightgbm;   // double compare and LightGBM's rules; else float compare (XGBoost / forest)
  int outputs;
  bool float_sum;
};

// A random tree: splits until max_depth (or a coin flip stops it), thresholds from a grid.
void Grow(EngineTree& t, int at, int depth, const Shape& s, std::mt19937_64& rng,
          const std::vector<std::vector<double>>& grid, int* leaves) {
  std::uniform_real_distribution<double> u(0, 1);
  if (depth >= s.max_depth || (depth > 0 && u(rng) < 0.15)) {
    t.nodes[static_cast<size_t>(at)].leaf = (*leaves)++;
    return;
  }
  EngineNode& n = t.nodes[static_cast<size_t>(at)];
  n.feature = static_cast<int32_t>(rng() % static_cast<uint64_t>(s.features));
  const auto& g = grid[static_cast<size_t>(n.feature)];
  n.threshold = g[rng() % g.size()];
  static const MissingRule kLightGBMRules[] = {MissingRule::kAsZero, MissingRule::kLeft,
                                               MissingRule::kRight, MissingRule::kZeroLeft,
                                               MissingRule::kZeroRight};
  n.missing = s.lightgbm ? kLightGBMRules[rng() % 5]
                         : (rng() % 2 ? MissingRule::kLeft : MissingRule::kRight);
  const int left = static_cast<int>(t.nodes.size());
  t.nodes.resize(t.nodes.size() + 2);
  t.nodes[static_cast<size_t>(at)].left = left;
  t.nodes[static_cast<size_t>(at)].right = left + 1;
  Grow(t, left, depth + 1, s, rng, grid, leaves);
  Grow(t, left + 1, depth + 1, s, rng, grid, leaves);
}

std::shared_ptr<EngineModel> RandomModel(const Shape& s, uint64_t seed,
                                         std::vector<std::vector<double>>* grid) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  auto m = std::make_shared<EngineModel>();
  m->library = s.lightgbm ? "LightGBM" : "XGBoost";
  m->num_features = s.features;
  m->outputs = s.outputs;
  m->compare = s.lightgbm ? Compare::kDouble : Compare::kFloat;
  m->float_sum = s.float_sum;
  m->base = s.float_sum ? static_cast<double>(static_cast<float>(0.25)) : 0.0;
  grid->assign(static_cast<size_t>(s.features), {});
  for (auto& g : *grid) {
    for (int i = 0; i < s.thresholds; ++i) {
      double t = normal(rng) * 10;
      if (i % 7 == 0) t = 0.0;                             // LightGBM's zero band
      if (i % 11 == 0) t = (i % 2 ? 1 : -1) * 1e-36;       // inside it
      if (s.lightgbm) {
        t = fold::LightGBMThreshold(t);
      } else {
        t = fold::FloatAtOrBelow(t);  // the float thresholds the importers produce
      }
      g.push_back(t);
    }
  }
  for (int k = 0; k < s.trees; ++k) {
    EngineTree t;
    t.nodes.resize(1);
    int leaves = static_cast<int>(m->leaf_values.size()) / s.outputs;
    Grow(t, 0, 0, s, rng, *grid, &leaves);
    while (static_cast<int>(m->leaf_values.size()) < leaves * s.outputs) {
      const double v = normal(rng);
      m->leaf_values.push_back(s.float_sum ? static_cast<double>(static_cast<float>(v)) : v);
    }
    m->trees.push_back(std::move(t));
  }
  m->library_thresholds = *grid;
  return m;
}

// Rows that probe every rule: thresholds and their neighbours, NaN, +-0, tiny values.
std::vector<double> ProbeRows(const std::vector<std::vector<double>>& grid, size_t rows,
                              uint64_t seed, bool allow_inf) {
  std::mt19937_64 rng(seed);
  const size_t nf = grid.size();
  std::vector<double> x(rows * nf);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < nf; ++f) {
      const double t = grid[f][rng() % grid[f].size()];
      double v = t;
      switch (rng() % 10) {
        case 0: v = std::nextafter(t, 1e300); break;
        case 1: v = std::nextafter(t, -1e300); break;
        case 2: v = std::numeric_limits<double>::quiet_NaN(); break;
        case 3: v = rng() % 2 ? 0.0 : -0.0; break;
        case 4: v = (rng() % 2 ? 1 : -1) * 1e-36; break;
        case 5: v = std::nextafter(static_cast<float>(t), 1e30f); break;
        case 6: v = allow_inf ? (rng() % 2 ? 1 : -1) * std::numeric_limits<double>::infinity() : t * 1.5; break;
        default: break;
      }
      x[r * nf + f] = v;
    }
  }
  return x;
}

class EngineRandom : public ::testing::TestWithParam<Shape> {};

TEST_P(EngineRandom, EveryKernelEqualsTheReferenceWalk) {
  const Shape s = GetParam();
  std::vector<std::vector<double>> grid;
  const auto model = RandomModel(s, 42 + static_cast<uint64_t>(s.features), &grid);
  const size_t rows = 1000, nf = static_cast<size_t>(s.features);
  const std::vector<double> x = ProbeRows(grid, rows, 7, s.lightgbm);
  const std::vector<float> x32(x.begin(), x.end());
  std::vector<double> x32d(x32.begin(), x32.end());
  const std::vector<double> want = Reference(*model, x, rows);
  const std::vector<double> want32 = Reference(*model, x32d, rows);
  for (const std::string& kernel : Kernels()) {
    ASSERT_TRUE(ForceEngineKernel(kernel));
    const auto engine = TreeEngine::Compile({{model, {}}});
    for (const int threads : {1, 2}) {
      const auto got = Sums(*engine, DenseMatrix{x.data(), DType::kFloat64, rows, nf}, threads);
      const auto got32 = Sums(*engine, DenseMatrix{x32.data(), DType::kFloat32, rows, nf}, threads);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_TRUE(SameBits(got[i], want[i]))
            << s.name << " [" << kernel << ", " << threads << " threads] value " << i << ": engine "
            << got[i] << ", reference " << want[i];
        ASSERT_TRUE(SameBits(got32[i], want32[i]))
            << s.name << " [" << kernel << "] float32 value " << i << ": engine " << got32[i]
            << ", reference " << want32[i];
      }
    }
    std::vector<double> one(static_cast<size_t>(s.outputs));
    double* out[1] = {one.data()};
    for (size_t r = 0; r < 100; ++r) {
      engine->SumsRow(&x[r * nf], DType::kFloat64, out);
      for (size_t c = 0; c < one.size(); ++c) {
        ASSERT_TRUE(SameBits(one[c], want[r * one.size() + c]))
            << s.name << " [" << kernel << "] single row " << r;
      }
    }
    // Batches whose last rows are scored one by one (a short tail after the full blocks) or in
    // a partly filled block: the same values.
    for (const size_t n : {size_t{1}, size_t{5}, size_t{16}, size_t{17}, size_t{64}, size_t{65},
                           size_t{80}, size_t{81}, size_t{200}, size_t{530}}) {
      for (const int threads : {1, 2}) {
        const auto got = Sums(*engine, DenseMatrix{x.data(), DType::kFloat64, n, nf}, threads);
        const auto got32 = Sums(*engine, DenseMatrix{x32.data(), DType::kFloat32, n, nf}, threads);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_TRUE(SameBits(got[i], want[i])) << s.name << " [" << kernel << "] " << n << " rows, value " << i;
          ASSERT_TRUE(SameBits(got32[i], want32[i])) << s.name << " [" << kernel << "] float32, " << n << " rows, value " << i;
        }
      }
    }
  }
  ForceEngineKernel("");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, EngineRandom,
    ::testing::Values(
        // name, features, trees, max depth, thresholds, lightgbm, outputs, float sum
        Shape{"lightgbm_small", 5, 40, 6, 60, true, 1, false},
        Shape{"lightgbm_deep", 8, 20, 12, 200, true, 1, false},
        Shape{"xgboost_depth6", 6, 50, 6, 250, false, 1, true},
        Shape{"xgboost_wide_ranks", 4, 30, 8, 3000, false, 1, true},
        Shape{"forest_deep", 7, 12, 16, 5000, false, 2, false},
        Shape{"forest_three_classes", 3, 10, 9, 40, false, 3, false},
        Shape{"single_leaves", 2, 30, 0, 10, true, 1, false},
        Shape{"one_feature", 1, 25, 10, 100, true, 1, false}),
    [](const ::testing::TestParamInfo<Shape>& info) { return std::string(info.param.name); });

// More thresholds in one feature than a 16-bit rank holds: the feature is cut into windows.
TEST(EngineRanks, AFeatureWithMoreThresholdsThanARankHolds) {
  auto m = std::make_shared<EngineModel>();
  m->library = "scikit-learn";
  m->num_features = 1;
  m->compare = Compare::kFloat;
  // One tree: a left-leaning chain of 70,000 splits on feature 0 with distinct thresholds.
  const int kSplits = 70000;
  EngineTree t;
  t.nodes.resize(static_cast<size_t>(2 * kSplits + 1));
  for (int i = 0; i < kSplits; ++i) {
    EngineNode& n = t.nodes[static_cast<size_t>(2 * i)];
    n.feature = 0;
    n.threshold = static_cast<float>(kSplits - i) * 0.5f;  // decreasing down the chain
    n.left = 2 * i + 2;
    n.right = 2 * i + 1;
    t.nodes[static_cast<size_t>(2 * i + 1)].leaf = i;
    m->leaf_values.push_back(static_cast<double>(i));
  }
  t.nodes[static_cast<size_t>(2 * kSplits)].leaf = kSplits;
  m->leaf_values.push_back(static_cast<double>(kSplits));
  m->trees.push_back(std::move(t));
  std::vector<double> x;
  for (double v : {0.0, 0.25, 0.5, 0.75, 1.0, 100.0, 17499.75, 17500.0, 17500.25, 34999.5, 35000.0,
                   35000.5, 1e9, -5.0}) {
    x.push_back(v);
  }
  const auto want = Reference(*m, x, x.size());
  for (const std::string& kernel : Kernels()) {
    ASSERT_TRUE(ForceEngineKernel(kernel));
    const auto engine = TreeEngine::Compile({{m, {}}});
    const auto got = Sums(*engine, DenseMatrix{x.data(), DType::kFloat64, x.size(), 1});
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_TRUE(SameBits(got[i], want[i])) << kernel << " x=" << x[i] << ": " << got[i] << " vs "
                                             << want[i];
    }
  }
  ForceEngineKernel("");
}

// An engine made from parts compiled before (an ensemble reusing its boosters' engines) scores as
// one compiled from scratch; a compiled engine of another model or other columns is not used.
TEST(EngineParts, SharedCompiledPartsScoreAsFreshOnes) {
  std::vector<std::vector<double>> grid_a, grid_b;
  const Shape sa{"a", 6, 50, 6, 250, false, 1, true}, sb{"b", 6, 12, 10, 600, false, 2, false};
  const auto a = RandomModel(sa, 5, &grid_a);
  const auto b = RandomModel(sb, 6, &grid_b);
  const size_t rows = 300, nf = 6;
  const std::vector<double> x = ProbeRows(grid_a, rows, 3, false);
  const auto fresh = TreeEngine::Compile({{a, {}}, {b, {1}}});
  const auto alone_a = TreeEngine::Compile({{a, {}}});
  const auto alone_b = TreeEngine::Compile({{b, {}}});  // all columns: not b's {1}
  const auto shared = TreeEngine::Compile({{a, {}, alone_a}, {b, {1}, alone_b}});
  const auto wrong = TreeEngine::Compile({{a, {}, alone_b}, {b, {1}, alone_a}});
  auto all = [&](const TreeEngine& e) {
    std::vector<double> out(rows * 2);
    e.Sums(DenseMatrix{x.data(), DType::kFloat64, rows, nf}, 1,
           [&](size_t begin, size_t end, const double* const* sums) {
             for (size_t r = begin; r < end; ++r) {
               out[r * 2] = sums[0][r - begin];
               out[r * 2 + 1] = sums[1][r - begin];
             }
           });
    return out;
  };
  const auto want = all(*fresh);
  for (const auto* e : {shared.get(), wrong.get()}) {
    ASSERT_EQ(e->width(1), 1u);
    const auto got = all(*e);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_TRUE(SameBits(got[i], want[i])) << "value " << i;
  }
  EXPECT_EQ(shared->memory_bytes(), fresh->memory_bytes());
}

// ---- The self-check and the work count ------------------------------------------------------

TEST(EngineSelfCheck, ReportsTheFirstDifferenceFromTheLibrary) {
  std::string why_not;
  const auto model = Import("lgb_binary.txt", &why_not);
  ASSERT_NE(model, nullptr) << why_not;
  const auto engine = TreeEngine::Compile({{model, {}}});
  auto score = [&](const DenseMatrix& x, OutputKind kind, double* out) {
    const auto s = Sums(*engine, x);
    for (size_t r = 0; r < x.rows; ++r) out[r] = kind == OutputKind::kRawMargin ? s[r] : model->Link(s[r]);
  };
  // A "library" that is the engine itself: no difference.
  EXPECT_EQ(ensemble::core::CheckEngineAgainstLibrary(*model, *engine, true, score), "");
  // One ulp off on one row of float32 values: named.
  auto off = [&](const DenseMatrix& x, OutputKind kind, double* out) {
    score(x, kind, out);
    if (x.dtype == DType::kFloat32 && kind == OutputKind::kValue) {
      out[7] = std::nextafter(out[7], 2.0);
    }
  };
  const std::string diff = ensemble::core::CheckEngineAgainstLibrary(*model, *engine, true, off);
  EXPECT_NE(diff.find("float32 row 7, value"), std::string::npos) << diff;
}

TEST(EngineNodesVisited, CountsTheSplitsOnEachTreesPath) {
  std::string why_not;
  const auto stump = Import("lgb_single_leaf.txt", &why_not);
  ASSERT_NE(stump, nullptr) << why_not;
  const auto e1 = TreeEngine::Compile({{stump, {}}});
  std::vector<double> row(static_cast<size_t>(stump->num_features), 0.5);
  EXPECT_EQ(e1->NodesVisited(row.data(), 0), 0u);

  const auto xgb = Import("xgb_binary.json", &why_not);
  ASSERT_NE(xgb, nullptr) << why_not;
  const auto e2 = TreeEngine::Compile({{xgb, {}}});
  std::vector<double> r2(static_cast<size_t>(xgb->num_features), 0.25);
  size_t nodes = 0;
  for (const auto& t : xgb->trees) nodes += t.nodes.size();
  const uint64_t visited = e2->NodesVisited(r2.data(), 0);
  EXPECT_GE(visited, xgb->trees.size() / 2);
  EXPECT_LT(visited, nodes);
}

}  // namespace
