// TreeSHAP: every zoo model the engine explains against the libraries' own contributions
// (LightGBM pred_contrib, XGBoost pred_contribs, shap on the forests: contrib.json, written by
// tools/make_explain_references.py), both methods; random trees against the Shapley values
// computed by brute force over every subset of features (every missing-value rule, values on
// thresholds, NaN, +-Inf, repeated features, deep trees); what cannot be explained is named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ensemble/engine.h"
#include "ensemble/error.h"
#include "ensemble/explain.h"
#include "ensemble/forest_model.h"
#include "ensemble/json.h"
#include "ensemble/lightgbm_model.h"
#include "ensemble/xgboost_model.h"
#include "parser_test_util.h"

namespace {

namespace core = ensemble::core;
using core::Compare;
using core::DenseMatrix;
using core::DType;
using core::EngineModel;
using core::EngineNode;
using core::EngineTree;
using core::MissingRule;
using core::ShapMethod;
using core::TreeExplainer;
using ensemble::test::ReadFileBytes;

const std::string kZoo = std::string(ENSEMBLE_SOURCE_DIR) + "/test/fixtures/models/";

std::vector<double> Numbers(const core::JsonValue& doc, const char* key) {
  std::vector<double> out;
  const core::JsonValue* v = doc.Find(key);
  if (v == nullptr) return out;
  for (const core::JsonValue& x : v->AsArray()) out.push_back(x.AsDouble());
  return out;
}

std::vector<double> ReadF64(const std::string& path) {
  const std::string b = ReadFileBytes(path);
  std::vector<double> out(b.size() / 8);
  std::memcpy(out.data(), b.data(), out.size() * 8);
  return out;
}

std::shared_ptr<const EngineModel> ImportZoo(const std::string& name, const std::string& kind,
                                             const std::string& file) {
  const std::string bytes = ReadFileBytes(kZoo + name + "/" + file);
  auto m = std::make_shared<EngineModel>();
  std::string why_not;
  bool ok = true;
  if (kind == "lightgbm") {
    ok = ImportLightGBM(core::ParseLightGBMText(bytes, file), m.get(), &why_not);
  } else if (kind == "xgboost") {
    ok = ImportXGBoost(core::ParseXGBoostModel(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               bytes.size(), file),
                       m.get(), &why_not);
  } else {
    *m = ImportForest(
        core::ParseForest(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), file));
  }
  EXPECT_TRUE(ok) << name << ": " << why_not;
  return m;
}

std::vector<double> Explain(const TreeExplainer& e, const void* x, DType dtype, size_t rows,
                            int threads = 1) {
  std::vector<double> out(rows * e.width());
  e.Explain(DenseMatrix{x, dtype, rows, e.num_features()}, out.data(), threads);
  return out;
}

// Largest |a - b| (and the index), NaN counting as a difference.
std::pair<double, size_t> MaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(a[i] - b[i]);
    if (!(d <= worst)) {
      worst = std::isnan(d) ? INFINITY : d;
      at = i;
    }
  }
  return {worst, at};
}

struct ZooCase {
  std::string name, kind, file;
};

std::vector<ZooCase> ExplainedZooCases() {
  const core::JsonValue index = core::ParseJson(ReadFileBytes(kZoo + "index.json"));
  std::vector<ZooCase> out;
  for (const core::JsonValue& c : index.Find("cases")->AsArray()) {
    const std::string name = c.Find("name")->AsString();
    if (!std::filesystem::exists(kZoo + name + "/contrib.json")) continue;
    out.push_back({name, c.Find("kind")->AsString(), c.Find("files")->AsArray()[0].AsString()});
  }
  return out;
}

TEST(ExplainZoo, EveryExplainedCaseMatchesItsLibrary) {
  const std::vector<ZooCase> cases = ExplainedZooCases();
  ASSERT_GE(cases.size(), 24u);  // 9 LightGBM, 8 XGBoost, 7 forests
  for (const ZooCase& c : cases) {
    SCOPED_TRACE(c.name);
    const core::JsonValue ref = core::ParseJson(ReadFileBytes(kZoo + c.name + "/contrib.json"));
    const auto model = ImportZoo(c.name, c.kind, c.file);
    const size_t rows = static_cast<size_t>(ref.Find("rows")->AsInt64());
    const std::vector<double> x = ReadF64(kZoo + c.name + "/inputs.f64");
    const std::vector<double> want = Numbers(ref, "contrib_f64");
    for (ShapMethod method : {ShapMethod::kAuto, ShapMethod::kRecursion, ShapMethod::kClosedForm}) {
      std::string why_not;
      const auto e = TreeExplainer::Build(model, &why_not, {}, method);
      ASSERT_NE(e, nullptr) << why_not;
      const std::vector<double> got = Explain(*e, x.data(), DType::kFloat64, rows);
      ASSERT_EQ(got.size(), want.size());
      const auto [diff, at] = MaxDiff(got, want);
      EXPECT_LE(diff, 1e-6) << "method " << static_cast<int>(method) << " at " << at << ": "
                            << got[at] << " vs " << want[at];
      if (c.kind == "xgboost" && method != ShapMethod::kClosedForm) {
        // XGBoost's own float arithmetic, operation for operation: its values to the bit.
        EXPECT_EQ(diff, 0) << "at " << at;
      }
      if (c.kind == "lightgbm" && method == ShapMethod::kAuto) {
        std::vector<float> x32(x.begin(), x.end());
        const auto [d32, at32] =
            MaxDiff(Explain(*e, x32.data(), DType::kFloat32, rows), Numbers(ref, "contrib_f32"));
        EXPECT_LE(d32, 1e-6) << "float32 input, at " << at32;
        if (ref.Find("contrib_inf") != nullptr) {
          const size_t rows_inf = static_cast<size_t>(ref.Find("rows_inf")->AsInt64());
          const std::vector<double> xi = ReadF64(kZoo + c.name + "/inputs_inf.f64");
          const auto [di, at_inf] = MaxDiff(Explain(*e, xi.data(), DType::kFloat64, rows_inf),
                                            Numbers(ref, "contrib_inf"));
          EXPECT_LE(di, 1e-6) << "+-Inf input, at " << at_inf;
        }
      }
    }
  }
}

TEST(ExplainZoo, ContributionsAddUpToTheLibrarysOutput) {
  for (const ZooCase& c : ExplainedZooCases()) {
    if (c.kind == "xgboost") continue;  // float32 sums: covered bit for bit above
    SCOPED_TRACE(c.name);
    const core::JsonValue ref = core::ParseJson(ReadFileBytes(kZoo + c.name + "/reference.json"));
    const auto model = ImportZoo(c.name, c.kind, c.file);
    const auto e = TreeExplainer::Build(model, nullptr);
    ASSERT_NE(e, nullptr);
    const size_t rows = static_cast<size_t>(ref.Find("rows")->AsInt64());
    const std::vector<double> x = ReadF64(kZoo + c.name + "/inputs.f64");
    const std::vector<double> got = Explain(*e, x.data(), DType::kFloat64, rows, 2);
    const std::vector<double> out = Numbers(ref, c.kind == "forest" ? "predict_f64" : "margin_f64");
    const size_t nf = e->num_features(), k = e->outputs();
    for (size_t r = 0; r < rows; ++r) {
      for (size_t o = 0; o < k; ++o) {
        const double* phi = &got[(r * k + o) * (nf + 1)];
        double sum = 0;
        for (size_t j = 0; j <= nf; ++j) sum += phi[j];
        EXPECT_NEAR(sum, out[r * k + o], 1e-9) << "row " << r << " output " << o;
      }
    }
  }
}

TEST(ExplainZoo, WhatCannotBeExplainedIsNamed) {
  struct Refusal {
    const char* name;
    const char* file;
    const char* why;
  };
  for (const Refusal& r : {Refusal{"lgb_linear_tree_6f", "model.txt", "linear trees"},
                           Refusal{"lgb_regression_categorical_6f", "model.txt", "categorical"},
                           Refusal{"lgb_multiclass_softmax_5f", "model.txt", "more than one output"},
                           Refusal{"xgb_categorical_binary_6f", "model.json", "categorical"},
                           Refusal{"xgb_multi_softprob_5f", "model.json", "more than one output"}}) {
    const std::string bytes = ReadFileBytes(kZoo + r.name + "/" + r.file);
    EngineModel m;
    std::string why_not;
    const bool ok = r.file[6] == 't'
                        ? ImportLightGBM(core::ParseLightGBMText(bytes, r.file), &m, &why_not)
                        : ImportXGBoost(core::ParseXGBoostModel(
                                            reinterpret_cast<const uint8_t*>(bytes.data()),
                                            bytes.size(), r.file),
                                        &m, &why_not);
    EXPECT_FALSE(ok) << r.name;
    EXPECT_NE(why_not.find(r.why), std::string::npos) << r.name << ": " << why_not;
  }
}

TEST(ExplainZoo, ALightGBMFileWithoutCountsCannotBeExplained) {
  std::string text = ReadFileBytes(kZoo + "lgb_binary_nan_7f/model.txt");
  // Without tree_sizes (optional), a tree block may change length.
  for (const char* key : {"\ntree_sizes=", "\ninternal_count="}) {
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    text.erase(at + 1, text.find('\n', at + 1) - at);
  }
  EngineModel m;
  std::string why_not;
  ASSERT_TRUE(ImportLightGBM(core::ParseLightGBMText(text, "lgb"), &m, &why_not)) << why_not;
  EXPECT_EQ(m.explain_note, "tree 0 has no internal_count / leaf_count (the node covers TreeSHAP needs)");
  EXPECT_EQ(TreeExplainer::Build(std::make_shared<EngineModel>(m), &why_not), nullptr);
  EXPECT_EQ(why_not, m.explain_note);
}

TEST(ExplainZoo, AZeroCoverIsRefused) {
  auto m = std::make_shared<EngineModel>(*ImportZoo("rf_binary_1f", "forest", "model.forest"));
  m->trees[3].nodes[1].cover = 0;
  std::string why_not;
  EXPECT_EQ(TreeExplainer::Build(m, &why_not), nullptr);
  EXPECT_EQ(why_not, "tree 3 has a node whose cover is 0 (TreeSHAP needs every node's cover > 0)");
}

// ---- Random trees against brute-force Shapley values -----------------------------------------

struct Shape {
  int features, trees, max_depth;
  bool lightgbm;  // double compare and LightGBM's five rules; else float compare, NaN left/right
  int outputs;
  bool float_sum;
};

// Covers are leaf counts summed upward, as the libraries record them.
double Grow(EngineModel& m, EngineTree& t, size_t at, int depth, const Shape& s,
            std::mt19937_64& rng, const std::vector<double>& grid) {
  std::uniform_real_distribution<double> u(0, 1);
  if (depth >= s.max_depth || (depth > 0 && u(rng) < 0.2)) {
    t.nodes[at].leaf = static_cast<int32_t>(m.leaf_values.size() / static_cast<size_t>(s.outputs));
    for (int o = 0; o < s.outputs; ++o) {
      const double v = s.float_sum ? static_cast<float>(u(rng) - 0.5) : u(rng) - 0.5;
      m.leaf_values.push_back(v);
    }
    t.nodes[at].cover = s.float_sum ? static_cast<float>(1 + 40 * u(rng)) : 1 + (rng() % 40);
    return t.nodes[at].cover;
  }
  static const MissingRule kLightGBM[] = {MissingRule::kAsZero, MissingRule::kLeft,
                                          MissingRule::kRight, MissingRule::kZeroLeft,
                                          MissingRule::kZeroRight};
  EngineNode n;
  n.feature = static_cast<int32_t>(rng() % static_cast<uint64_t>(s.features));
  n.threshold = grid[rng() % grid.size()];
  if (!s.lightgbm) n.threshold = static_cast<float>(n.threshold);
  n.missing = s.lightgbm ? kLightGBM[rng() % 5] : (rng() % 2 ? MissingRule::kLeft : MissingRule::kRight);
  n.left = static_cast<int32_t>(t.nodes.size());
  n.right = n.left + 1;
  t.nodes.resize(t.nodes.size() + 2);
  t.nodes[at] = n;
  const double c = Grow(m, t, static_cast<size_t>(n.left), depth + 1, s, rng, grid) +
                   Grow(m, t, static_cast<size_t>(n.right), depth + 1, s, rng, grid);
  t.nodes[at].cover = s.float_sum ? static_cast<float>(c) : c;
  return t.nodes[at].cover;
}

const std::vector<double> kGrid = {-2.5, -1, -0.25, 0, 1e-36, 0.5, 1, 3};

std::shared_ptr<EngineModel> RandomModel(const Shape& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto m = std::make_shared<EngineModel>();
  m->library = "random";
  m->num_features = s.features;
  m->outputs = s.outputs;
  m->compare = s.lightgbm ? Compare::kDouble : Compare::kFloat;
  m->float_sum = s.float_sum;
  m->base = s.float_sum ? 0.25 : 0;
  m->link = s.outputs > 1 ? core::EngineLink::kMean : core::EngineLink::kIdentity;
  for (int t = 0; t < s.trees; ++t) {
    EngineTree tree;
    tree.nodes.resize(1);
    Grow(*m, tree, 0, 0, s, rng, kGrid);
    m->trees.push_back(std::move(tree));
  }
  return m;
}

// The libraries' routing, stated plainly (as test_engine.cc states it).
bool GoesLeft(const EngineNode& n, Compare compare, double x) {
  const bool nan = std::isnan(x);
  const bool zero = nan || std::fabs(x) <= static_cast<double>(1e-35f);
  switch (n.missing) {
    case MissingRule::kLeft:
      if (nan) return true;
      break;
    case MissingRule::kRight:
      if (nan) return false;
      break;
    case MissingRule::kAsZero:
      if (nan) x = 0;
      break;
    case MissingRule::kZeroLeft:
      if (zero) return true;
      break;
    case MissingRule::kZeroRight:
      if (zero) return false;
      break;
  }
  if (compare == Compare::kFloat) return static_cast<float>(x) <= static_cast<float>(n.threshold);
  return x <= n.threshold;
}

// The path-dependent value of a feature subset: known features follow the row, unknown ones
// split by cover fractions. Its Shapley values are what TreeSHAP computes.
double Value(const EngineModel& m, const EngineTree& t, size_t i, const double* x, unsigned known,
             int output) {
  const EngineNode& n = t.nodes[i];
  if (n.feature < 0) {
    return m.leaf_values[static_cast<size_t>(n.leaf) * static_cast<size_t>(m.outputs) +
                         static_cast<size_t>(output)];
  }
  if (known & (1u << n.feature)) {
    const bool left = GoesLeft(n, m.compare, x[n.feature]);
    return Value(m, t, static_cast<size_t>(left ? n.left : n.right), x, known, output);
  }
  const EngineNode& l = t.nodes[static_cast<size_t>(n.left)];
  const EngineNode& r = t.nodes[static_cast<size_t>(n.right)];
  return (l.cover * Value(m, t, static_cast<size_t>(n.left), x, known, output) +
          r.cover * Value(m, t, static_cast<size_t>(n.right), x, known, output)) /
         n.cover;
}

std::vector<double> BruteForce(const EngineModel& m, const double* x) {
  const int nf = m.num_features, k = m.outputs;
  const double scale = m.link == core::EngineLink::kMean ? 1.0 / static_cast<double>(m.trees.size()) : 1;
  std::vector<double> fact(static_cast<size_t>(nf) + 1, 1);
  for (int i = 1; i <= nf; ++i) fact[static_cast<size_t>(i)] = fact[static_cast<size_t>(i) - 1] * i;
  std::vector<double> out(static_cast<size_t>(k * (nf + 1)), 0);
  for (int o = 0; o < k; ++o) {
    std::vector<double> f(size_t{1} << nf, 0);
    for (unsigned s = 0; s < (1u << nf); ++s) {
      for (const EngineTree& t : m.trees) f[s] += scale * Value(m, t, 0, x, s, o);
    }
    double* phi = &out[static_cast<size_t>(o * (nf + 1))];
    for (int i = 0; i < nf; ++i) {
      for (unsigned s = 0; s < (1u << nf); ++s) {
        if (s & (1u << i)) continue;
        const int size = __builtin_popcount(s);
        phi[i] += fact[static_cast<size_t>(size)] * fact[static_cast<size_t>(nf - size - 1)] /
                  fact[static_cast<size_t>(nf)] * (f[s | (1u << i)] - f[s]);
      }
    }
    phi[nf] = f[0] + (m.float_sum ? m.base : 0);
  }
  return out;
}

// Rows that hit every rule: thresholds exactly, NaN, zeros and the zero band, +-Inf.
std::vector<double> RandomRows(const Shape& s, size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> pool = kGrid;
  for (double g : kGrid) {
    pool.push_back(std::nextafter(g, INFINITY));
    pool.push_back(std::nextafter(g, -INFINITY));
  }
  pool.insert(pool.end(), {NAN, NAN, -0.0, 1e-40, 2.0, -7.5});
  if (s.lightgbm) pool.insert(pool.end(), {INFINITY, -INFINITY});
  std::vector<double> x(rows * static_cast<size_t>(s.features));
  for (double& v : x) v = pool[rng() % pool.size()];
  return x;
}

TEST(ExplainRandom, BothMethodsEqualTheShapleyValuesByBruteForce) {
  const Shape shapes[] = {
      {5, 4, 6, true, 1, false},   // LightGBM-like: double compare, every missing rule
      {6, 3, 7, false, 3, false},  // forest-like: float compare, 3 classes
      {4, 5, 8, false, 1, true},   // XGBoost-like: float sums, float covers
      {3, 2, 9, true, 1, false},   // few features, deep: many repeated splits on one feature
  };
  uint64_t seed = 1;
  for (const Shape& s : shapes) {
    for (int rep = 0; rep < 6; ++rep) {
      const auto m = RandomModel(s, seed++);
      const size_t rows = 40;
      const std::vector<double> x = RandomRows(s, rows, seed++);
      for (ShapMethod method : {ShapMethod::kRecursion, ShapMethod::kClosedForm}) {
        const auto e = TreeExplainer::Build(m, nullptr, {}, method);
        ASSERT_NE(e, nullptr);
        const std::vector<double> got = Explain(*e, x.data(), DType::kFloat64, rows, 2);
        // Float32 arithmetic (XGBoost's recursion) rounds at every step; float64 barely.
        const bool float_path = s.float_sum && method == ShapMethod::kRecursion;
        for (size_t r = 0; r < rows; ++r) {
          const std::vector<double> want = BruteForce(*m, &x[r * static_cast<size_t>(s.features)]);
          for (size_t j = 0; j < want.size(); ++j) {
            EXPECT_NEAR(got[r * e->width() + j], want[j], float_path ? 2e-5 : 1e-12)
                << "shape " << s.features << "f seed " << seed << " method "
                << static_cast<int>(method) << " row " << r << " value " << j;
          }
        }
      }
    }
  }
}

TEST(ExplainRandom, ChosenColumnsFloat32InputThreadsAndSingleRowsAgree) {
  const Shape s{6, 5, 7, false, 3, false};
  const auto m = RandomModel(s, 99);
  const size_t rows = 700;
  std::vector<double> x = RandomRows(s, rows, 100);
  for (double& v : x) v = static_cast<float>(v);  // exact in float32
  std::vector<float> x32(x.begin(), x.end());
  const auto all = TreeExplainer::Build(m, nullptr);
  const auto up = TreeExplainer::Build(m, nullptr, {2});
  ASSERT_EQ(up->outputs(), 1u);
  EXPECT_EQ(up->expected_values()[0], all->expected_values()[2]);
  const std::vector<double> one = Explain(*all, x.data(), DType::kFloat64, rows, 1);
  EXPECT_EQ(Explain(*all, x.data(), DType::kFloat64, rows, 2), one);
  EXPECT_EQ(Explain(*all, x32.data(), DType::kFloat32, rows, 2), one);
  const std::vector<double> col = Explain(*up, x.data(), DType::kFloat64, rows, 2);
  const size_t w = s.features + 1;
  for (size_t r = 0; r < rows; ++r) {
    std::vector<double> row(all->width());
    all->ExplainRow(&x[r * 6], DType::kFloat64, row.data());
    ASSERT_TRUE(std::equal(row.begin(), row.end(), one.begin() + static_cast<long>(r * all->width())));
    ASSERT_TRUE(std::equal(col.begin() + static_cast<long>(r * w), col.begin() + static_cast<long>((r + 1) * w),
                           row.begin() + static_cast<long>(2 * w)));
  }
}

TEST(ExplainRandom, RowGroupsAndKernelsGiveTheSameBits) {
  // The closed form explains rows four at a time (AVX2 where the CPU has it, else the portable
  // vector code) and the rest one at a time: a row's values must not depend on either. 20
  // features 22 deep need more than 8 quadrature points (the kernel without a fixed K).
  const Shape shapes[] = {{20, 3, 22, true, 1, false}, {6, 5, 7, false, 3, false}};
  uint64_t seed = 500;
  for (const Shape& s : shapes) {
    const auto m = RandomModel(s, seed++);
    const size_t rows = 37;  // 32-row blocks, groups of 4, and single rows at the end
    const std::vector<double> x = RandomRows(s, rows, seed++);
    const auto closed = TreeExplainer::Build(m, nullptr, {}, ShapMethod::kClosedForm);
    const auto recursion = TreeExplainer::Build(m, nullptr, {}, ShapMethod::kRecursion);
    ASSERT_NE(closed, nullptr);
    const std::vector<double> best = Explain(*closed, x.data(), DType::kFloat64, rows, 1);
    const bool has_avx2 = core::ForceExplainPortable(true);
    const std::vector<double> portable = Explain(*closed, x.data(), DType::kFloat64, rows, 1);
    core::ForceExplainPortable(false);
    if (has_avx2) EXPECT_EQ(portable, best);
    const std::vector<double> want = Explain(*recursion, x.data(), DType::kFloat64, rows, 1);
    const size_t w = closed->width();
    for (size_t r = 0; r < rows; ++r) {
      std::vector<double> row(w);
      closed->ExplainRow(&x[r * static_cast<size_t>(s.features)], DType::kFloat64, row.data());
      ASSERT_TRUE(std::equal(row.begin(), row.end(), best.begin() + static_cast<long>(r * w)))
          << s.features << "f row " << r;
      for (size_t j = 0; j < w; ++j) {
        EXPECT_NEAR(best[r * w + j], want[r * w + j], 1e-12) << s.features << "f row " << r;
      }
    }
  }
}

TEST(ExplainRandom, DeepTreesNeedNoDeepCallStack) {
  // A chain 20,000 splits deep on 3 features, and a wide tree: both methods agree, and with the
  // brute force (3 features: 8 subsets).
  auto m = std::make_shared<EngineModel>();
  m->num_features = 3;
  m->compare = Compare::kDouble;
  EngineTree t;
  const int depth = 20000;
  // Node 2k is split k, 2k+1 its right leaf, 2k+2 the next split.
  for (int d = 0; d < depth; ++d) {
    EngineNode n;
    n.feature = d % 3;
    n.threshold = (d % 7) - 3;
    n.missing = d % 2 ? MissingRule::kLeft : MissingRule::kAsZero;
    n.left = 2 * d + 2;
    n.right = 2 * d + 1;
    n.cover = depth + 1 - d;
    t.nodes.push_back(n);
    EngineNode leaf;
    leaf.leaf = static_cast<int32_t>(m->leaf_values.size());
    leaf.cover = 1;
    m->leaf_values.push_back(std::sin(d));
    t.nodes.push_back(leaf);
  }
  EngineNode last;
  last.leaf = static_cast<int32_t>(m->leaf_values.size());
  last.cover = 1;
  m->leaf_values.push_back(0.5);
  t.nodes.push_back(last);
  m->trees.push_back(std::move(t));
  const double x[3] = {-10, 10, NAN};
  const std::vector<double> want = BruteForce(*m, x);
  for (ShapMethod method : {ShapMethod::kRecursion, ShapMethod::kClosedForm}) {
    const auto e = TreeExplainer::Build(m, nullptr, {}, method);
    ASSERT_NE(e, nullptr);
    const std::vector<double> got = Explain(*e, x, DType::kFloat64, 1);
    for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], 1e-9) << j;
  }
}

}  // namespace
