// The LightGBM text reader: it accepts every model variant LightGBM writes (checked against the
// library's own leaf indices and raw scores) and rejects what crashes or misleads LightGBM.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ensemble/lightgbm_model.h"
#include "parser_test_util.h"

using ensemble::core::LightGBMModel;
using ensemble::core::LightGBMTree;
using ensemble::core::ParseLightGBMText;
using ensemble::test::ReadExpected;
using ensemble::test::ReadParserFixture;
using ensemble::test::RejectsWith;

namespace {

// LightGBM's prediction rules (Tree::GetLeaf / Decision), to check that the parsed trees are the
// ones LightGBM scores: same leaves, same outputs, bit for bit.
int LeafOf(const LightGBMTree& tree, const std::vector<double>& row) {
  if (tree.num_leaves == 1) return 0;
  constexpr double kZeroThreshold = 1e-35f;
  int node = 0;
  while (node >= 0) {
    double x = row[tree.split_feature[node]];
    const int type = tree.decision_type[node];
    const int left = tree.left_child[node];
    const int right = tree.right_child[node];
    if ((type & 1) && tree.num_cat > 0) {
      if (std::isnan(x) || x < 0) {
        node = right;
        continue;
      }
      const int v = static_cast<int>(x);
      const int bitset = static_cast<int>(tree.threshold[node]);
      const int begin = tree.cat_boundaries[bitset];
      const int words = tree.cat_boundaries[bitset + 1] - begin;
      const bool in = v / 32 < words && ((tree.cat_threshold[begin + v / 32] >> (v % 32)) & 1);
      node = in ? left : right;
      continue;
    }
    const int missing = (type >> 2) & 3;
    if (std::isnan(x) && missing != 2) x = 0.0;
    if ((missing == 1 && x >= -kZeroThreshold && x <= kZeroThreshold) ||
        (missing == 2 && std::isnan(x))) {
      node = (type & 2) ? left : right;
    } else {
      node = x <= tree.threshold[node] ? left : right;
    }
  }
  return ~node;
}

double OutputOf(const LightGBMTree& tree, int leaf, const std::vector<double>& row) {
  if (!tree.is_linear) return tree.leaf_value[leaf];
  double out = tree.leaf_const[leaf];
  for (int i = tree.leaf_features_begin[leaf]; i < tree.leaf_features_begin[leaf + 1]; ++i) {
    const double x = row[tree.leaf_features[i]];
    if (std::isnan(x)) return tree.leaf_value[leaf];
    out += tree.leaf_coeff[i] * x;
  }
  return out;
}

// Recomputes tree_sizes= the way LightGBM's writer does, after a test edited a tree.
std::string FixTreeSizes(const std::string& text) {
  const std::size_t sizes_at = text.find("tree_sizes=");
  if (sizes_at == std::string::npos) return text;
  const std::size_t end = text.find("end of trees");
  std::vector<std::size_t> starts;
  for (std::size_t p = text.find("\nTree="); p < end; p = text.find("\nTree=", p + 1)) {
    starts.push_back(p + 1);
  }
  starts.push_back(end);
  std::string sizes;
  for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
    sizes += (i ? " " : "") + std::to_string(starts[i + 1] - starts[i]);
  }
  const std::size_t eol = text.find('\n', sizes_at);
  return text.substr(0, sizes_at) + "tree_sizes=" + sizes + text.substr(eol);
}

// Replaces token `index` of the `occurrence`-th line that starts with `key` (e.g. "left_child=").
std::string SetToken(const std::string& text, const std::string& key, int index,
                     const std::string& value, int occurrence = 0) {
  std::size_t at = 0;
  for (int seen = -1; seen < occurrence; ++seen) {
    at = text.find("\n" + key, at + 1);
    if (at == std::string::npos) throw std::runtime_error("no line " + key);
  }
  std::size_t begin = at + 1 + key.size();
  for (int i = 0; i < index; ++i) begin = text.find(' ', begin) + 1;
  std::size_t stop = begin;
  while (text[stop] != ' ' && text[stop] != '\n') ++stop;
  return FixTreeSizes(text.substr(0, begin) + value + text.substr(stop));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no \"" + from + "\" in the fixture");
  return text.replace(at, from.size(), to);
}

LightGBMModel Parse(const std::string& text) { return ParseLightGBMText(text, "model.txt"); }

const char* const kFixtures[] = {
    "lgb_binary.txt",
    "lgb_categorical.txt",
    "lgb_cross_entropy.txt",
    "lgb_custom.txt",
    "lgb_dart.txt",
    "lgb_early_stopped_best.txt",
    "lgb_early_stopped_full.txt",
    "lgb_huber.txt",
    "lgb_lambdarank.txt",
    "lgb_linear.txt",
    "lgb_multiclass.txt",
    "lgb_multiclassova.txt",
    "lgb_poisson.txt",
    "lgb_quantile.txt",
    "lgb_regression.txt",
    "lgb_regression_l1.txt",
    "lgb_rf.txt",
    "lgb_single_leaf.txt",
    "lgb_v3_binary.txt",
    "lgb_v3_categorical.txt",
    "lgb_v3_linear.txt",
    "lgb_v3_multiclass.txt",
};

class LightGBMFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(LightGBMFixture, MatchesTheLibrary) {
  const std::string file = GetParam();
  const LightGBMModel model = ParseLightGBMText(ReadParserFixture(file), file);
  const auto expected = ReadExpected(file);
  ASSERT_EQ(static_cast<int>(model.trees.size()), expected.num_trees);
  EXPECT_EQ(model.num_features, expected.num_features);
  EXPECT_EQ(model.num_class, expected.num_outputs);
  EXPECT_EQ(model.objective, expected.objective);
  EXPECT_EQ(model.version, file.find("_v3_") != std::string::npos ? "v3" : "v4");
  EXPECT_EQ(static_cast<int>(model.feature_names.size()), model.num_features);
  const int k = model.num_tree_per_iteration;
  for (std::size_t r = 0; r < expected.rows.size(); ++r) {
    const std::vector<double>& row = expected.rows[r];
    std::vector<double> raw(static_cast<std::size_t>(k), 0.0);
    for (std::size_t t = 0; t < model.trees.size(); ++t) {
      const int leaf = LeafOf(model.trees[t], row);
      ASSERT_EQ(leaf, expected.pred_leaf[r][t]) << file << " row " << r << " tree " << t;
      raw[t % k] += OutputOf(model.trees[t], leaf, row);
    }
    // Raw scores are plain sums, also for average_output (LightGBM averages only after them),
    // added in the same order as LightGBM: bit for bit equal.
    for (int c = 0; c < k; ++c) {
      EXPECT_EQ(raw[c], expected.raw[r][c]) << file << " row " << r << " output " << c;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LightGBMFixture, ::testing::ValuesIn(kFixtures),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(LightGBMParser, ReadsEachVariant) {
  const LightGBMModel cat = Parse(ReadParserFixture("lgb_categorical.txt"));
  int categorical_nodes = 0;
  for (const LightGBMTree& t : cat.trees) {
    for (std::int8_t d : t.decision_type) categorical_nodes += d & 1;
    if (t.num_cat > 0) EXPECT_EQ(t.cat_boundaries.back(), static_cast<int>(t.cat_threshold.size()));
  }
  EXPECT_GT(categorical_nodes, 0);

  const LightGBMModel linear = Parse(ReadParserFixture("lgb_linear.txt"));
  EXPECT_TRUE(linear.trees.back().is_linear);
  EXPECT_FALSE(linear.trees.back().leaf_coeff.empty());

  const LightGBMModel single = Parse(ReadParserFixture("lgb_single_leaf.txt"));
  EXPECT_EQ(single.trees[0].num_leaves, 1);
  EXPECT_TRUE(single.trees[0].left_child.empty());

  const LightGBMModel multi = Parse(ReadParserFixture("lgb_multiclass.txt"));
  EXPECT_EQ(multi.num_tree_per_iteration, 3);
  EXPECT_EQ(multi.objective_name, "multiclass");
  EXPECT_EQ(multi.num_iterations(), 3);

  EXPECT_TRUE(Parse(ReadParserFixture("lgb_rf.txt")).average_output);
  EXPECT_EQ(Parse(ReadParserFixture("lgb_custom.txt")).objective, "");
  EXPECT_GT(Parse(ReadParserFixture("lgb_early_stopped_full.txt")).trees.size(),
            Parse(ReadParserFixture("lgb_early_stopped_best.txt")).trees.size());
  EXPECT_EQ(Parse(ReadParserFixture("lgb_binary.txt")).feature_names[0], "Column_0");
}

TEST(LightGBMParser, AcceptsCrlfAndNoTreeSizes) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  std::string crlf;
  for (char c :
       Replace(text,
               text.substr(text.find("tree_sizes="), text.find('\n', text.find("tree_sizes=")) -
                                                         text.find("tree_sizes=") + 1),
               "")) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const LightGBMModel a = Parse(text);
  const LightGBMModel b = Parse(crlf);
  ASSERT_EQ(a.trees.size(), b.trees.size());
  for (std::size_t t = 0; t < a.trees.size(); ++t) {
    EXPECT_EQ(a.trees[t].leaf_value, b.trees[t].leaf_value);
    EXPECT_EQ(a.trees[t].threshold, b.trees[t].threshold);
  }
}

TEST(LightGBMParser, RejectsTruncation) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  const std::size_t tree3 = text.find("Tree=3");
  EXPECT_TRUE(RejectsWith([&] { Parse(text.substr(0, tree3 + 200)); },
                          {"model.txt: tree 3: truncated inside the tree"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(text.substr(0, text.find("end of trees"))); },
                          {"model.txt: truncated: no \"end of trees\" line after 8 trees"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(text.substr(0, text.find("end of trees") + 6)); },
                          {"truncated: the text ends inside the line \"end of\""}));
  EXPECT_TRUE(RejectsWith([&] { Parse(text.substr(0, text.find("Tree=0"))); },
                          {"truncated: no \"Tree=\" block"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(text.substr(0, 40)); }, {"truncated"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(""); }, {"not a LightGBM text model"}));
}

TEST(LightGBMParser, RejectsBadChildren) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "left_child=", 0, "40")); },
                          {"model.txt: tree 0: left_child[0] = 40 is out of range (tree has 5 "
                           "internal nodes)"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "right_child=", 0, "-40", 2)); },
                          {"tree 2: right_child[0] = -40 is out of range (leaf 39, tree has 6"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "left_child=", 0, "0")); },
                          {"tree 0: left_child[0] = 0 makes a cycle"}));
  // The root's two children made the same subtree (or leaf).
  const LightGBMModel model = Parse(text);
  const std::string shared =
      SetToken(text, "right_child=", 0, std::to_string(model.trees[0].left_child[0]));
  EXPECT_TRUE(RejectsWith([&] { Parse(shared); }, {"tree 0: ", "is reached twice"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "left_child=", 1, "x")); },
                          {"tree 0: left_child[1] = \"x\" is not an integer"}));
}

TEST(LightGBMParser, RejectsBadFeaturesAndNumbers) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "split_feature=", 0, "7")); },
                          {"tree 0: split_feature[0] = \"7\" is out of range [0, 6]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "split_feature=", 2, "-1", 4)); },
                          {"tree 4: split_feature[2] = \"-1\" is out of range [0, 6]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "leaf_value=", 1, "0.1.2")); },
                          {"tree 0: leaf_value[1] = \"0.1.2\" is not a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "leaf_value=", 0, "nan", 1)); },
                          {"tree 1: leaf_value[0] = \"nan\" is not a finite number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "threshold=", 0, "abc")); },
                          {"threshold[0] = \"abc\" is not a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "threshold=", 0, "nan")); },
                          {"tree 0: node 0: threshold is NaN"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "decision_type=", 0, "14")); },
                          {"tree 0: node 0: decision_type 14 has the undefined missing type 3"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "decision_type=", 0, "300")); },
                          {"decision_type[0] = \"300\" is out of range [0, 15]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "num_leaves=", 0, "9")); },
                          {"tree 0: leaf_value has 6 values, expected 9"}));
  // A huge declared count is checked against the tokens before any memory is reserved for it.
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "num_leaves=", 0, "2000000000")); },
                          {"tree 0: leaf_value has 6 values, expected 2000000000"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "num_leaves=", 0, "-3")); },
                          {"num_leaves = -3 is out of range"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(FixTreeSizes(Replace(text, "\nleaf_value=", "\nleaf_valu="))); },
                  {"tree 0: missing field leaf_value"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(FixTreeSizes(Replace(text, "\nleaf_count=", "\nleaf_count"))); },
                  {"tree 0: line without '='"}));
  EXPECT_TRUE(RejectsWith(
      [&] {
        Parse(FixTreeSizes(Replace(text, "\nshrinkage=1\n", "\nshrinkage=1\nshrinkage=1\n")));
      },
      {"tree 0: duplicate field shrinkage"}));
}

// Fields that do not affect predictions are still parsed by LightGBM, and a fatal error in its
// parallel tree loop aborts the process.
TEST(LightGBMParser, RejectsBadStatisticsAndParameters) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "split_gain=", 0, "abc")); },
                          {"tree 0: split_gain[0] = \"abc\" is not a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "internal_weight=", 1, "1e5x", 3)); },
                          {"tree 3: internal_weight[1] = \"1e5x\" is not a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "leaf_weight=", 0, "1 2")); },
                          {"tree 0: leaf_weight has 7 values, expected 6"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "leaf_count=", 0, "1.5")); },
                          {"tree 0: leaf_count[0] = \"1.5\" is not an integer"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(text, "leaf_value=", 0, "nan(1)")); },
                          {"leaf_value[0] = \"nan(1)\" is not a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "[boosting: gbdt]", "[boosting gbdt]")); },
                          {"model.txt: parameters: malformed line \"[boosting gbdt]\""}));
  // After "end of parameters" LightGBM reads no parameter lines.
  EXPECT_NO_THROW(Parse(text + "\nnot a parameter\n"));
}

TEST(LightGBMParser, RejectsWrongTreeSizes) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  // A longer (still valid) number shifts every later tree: LightGBM would seek into tree 0.
  const std::string longer = Replace(text, "\nshrinkage=1\n", "\nshrinkage=1.0\n");
  EXPECT_TRUE(
      RejectsWith([&] { Parse(longer); }, {"model.txt: tree_sizes[0] = ", "but tree 0 takes"}));
  EXPECT_NO_THROW(Parse(FixTreeSizes(longer)));
  const std::size_t at = text.find("tree_sizes=");
  const std::string line = text.substr(at, text.find('\n', at) - at);
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, line, line.substr(0, line.rfind(' ')))); },
                          {"tree_sizes lists 7 trees but the model has 8"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, line, line + " 560")); },
                          {"tree_sizes lists 9 trees but the model has 8"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "tree_sizes=", "tree_sizes=x")); },
                          {"tree_sizes[0] = x", "but tree 0 takes"}));
}

// The caller's width (the metadata's) is compared with the header's before any tree is read.
TEST(LightGBMParser, ComparesTheDeclaredWidthWithTheExpectedOneFirst) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  const auto parse = [](const std::string& t, std::int64_t count) {
    return ensemble::core::ParseLightGBMText(t, "model.txt", {count, "meta.json"});
  };
  EXPECT_EQ(parse(text, 7).num_features, 7);
  EXPECT_EQ(parse(text, -1).num_features, 7);
  EXPECT_TRUE(RejectsWith(ensemble::core::ErrorCode::kMetadata, [&] { parse(text, 12); },
                          {"model.txt has 7 features but meta.json lists 12"}));
  // Before the trees: a broken tree is not reached.
  EXPECT_TRUE(RejectsWith(ensemble::core::ErrorCode::kMetadata,
                          [&] { parse(Replace(text, "Tree=0\n", "Tree=0\nleft_child=x\n"), 12); },
                          {"has 7 features but meta.json lists 12"}));
}

// The sigmoid scales every margin: LightGBM refuses <= 0 but scores NaN (every probability NaN)
// and Inf (every probability 0, 0.5 or 1).
TEST(LightGBMParser, RejectsASigmoidThatIsNotFiniteAndPositive) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  const std::string ova = ReadParserFixture("lgb_multiclassova.txt");
  for (const char* v : {"nan", "inf", "-inf", "1e400", "0", "-1", "abc", ""}) {
    const std::string bad = std::string("sigmoid:") + v;
    EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "sigmoid:1", bad)); },
                            {"model.txt: header: objective \"binary " + bad + "\": " + bad +
                             " is not a finite number > 0"}))
        << v;
    EXPECT_TRUE(RejectsWith([&] { Parse(Replace(ova, "sigmoid:1", bad)); }, {bad})) << v;
  }
  EXPECT_EQ(Parse(Replace(text, "sigmoid:1", "sigmoid:0.25")).objective, "binary sigmoid:0.25");
  EXPECT_EQ(Parse(Replace(text, "sigmoid:1", "sigmoid:1e-320")).objective, "binary sigmoid:1e-320");
}

TEST(LightGBMParser, RejectsInconsistentHeaders) {
  const std::string text = ReadParserFixture("lgb_binary.txt");
  const std::string multi = ReadParserFixture("lgb_multiclass.txt");
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "tree\n", "forest\n")); },
                          {"not a LightGBM text model"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "\nnum_class=1", "\nnum_klass=1")); },
                          {"model.txt: header: missing num_class="}));
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(text, "num_tree_per_iteration=1", "num_tree_per_iteration=0")); },
      {"header: num_tree_per_iteration = 0 is out of range"}));
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(text, "num_tree_per_iteration=1", "num_tree_per_iteration=2")); },
      {"header: num_tree_per_iteration = 2 differs from num_class = 1"}));
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(multi, "multiclass num_class:3", "multiclass num_class:5")); },
      {"header: objective \"multiclass num_class:5\" does not match num_class = 3"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(text, "max_feature_idx=6", "max_feature_idx=5")); },
                  {"header: feature_names has 7 entries, expected max_feature_idx + 1 = 6"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(text, "label_index=0\n", "label_index=0\nversion=v9\n")); },
                  {"header: duplicate key version"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(text, "num_class=1", "num_class=1=2")); },
                          {"header: malformed line \"num_class=1=2\""}));
  std::string nul = text;
  nul[text.find("feature_names=") + 3] = '\0';
  EXPECT_TRUE(RejectsWith([&] { Parse(nul); }, {"NUL byte at offset"}));
  // A multiclass model missing its last tree: LightGBM silently drops the partial iteration.
  const std::size_t last = multi.find("Tree=8");
  const std::string short_multi = multi.substr(0, last) + multi.substr(multi.find("end of trees"));
  const std::size_t sizes = short_multi.find("tree_sizes=");
  const std::string no_sizes =
      short_multi.substr(0, sizes) + short_multi.substr(short_multi.find('\n', sizes) + 1);
  EXPECT_TRUE(RejectsWith([&] { Parse(no_sizes); },
                          {"8 trees is not a multiple of num_tree_per_iteration = 3"}));
}

TEST(LightGBMParser, RejectsBadCategoricalAndLinearTrees) {
  const std::string cat = ReadParserFixture("lgb_categorical.txt");
  const LightGBMModel cat_model = Parse(cat);
  const LightGBMTree& tree = cat_model.trees[0];
  ASSERT_GT(tree.num_cat, 0);
  int node = 0;
  while (!(tree.decision_type[node] & 1)) ++node;
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(SetToken(cat, "threshold=", node, std::to_string(tree.num_cat))); },
      {"tree 0: node " + std::to_string(node) + ": categorical threshold", "below num_cat"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(cat, "cat_boundaries=", tree.num_cat, "50")); },
                          {"tree 0: cat_boundaries ends at 50 but cat_threshold has"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(cat, "num_cat=", 0, "0")); },
                          {"tree 0: node " + std::to_string(node) + ": categorical threshold"}));

  const std::string linear = ReadParserFixture("lgb_linear.txt");
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(linear, "leaf_features=", 0, "4", 1)); },
                          {"tree 1: leaf_features[0] = \"4\" is out of range [0, 3]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(linear, "num_features=", 0, "3", 1)); },
                          {"tree 1: leaf_features has"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetToken(linear, "leaf_coeff=", 0, "inf", 1)); },
                          {"tree 1: leaf_coeff[0] = \"inf\" is not a finite number"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(FixTreeSizes(Replace(linear, "\nleaf_const=", "\nleaf_konst="))); },
                  {"tree 0: missing field leaf_const"}));
}

// Cut and corrupted models must be rejected or accepted, never crash (run under ASan too).
TEST(LightGBMParser, SurvivesCorruptedInput) {
  for (const char* file : {"lgb_categorical.txt", "lgb_linear.txt", "lgb_multiclass.txt"}) {
    const std::string text = ReadParserFixture(file);
    const int rejected = ensemble::test::FuzzBytes(
        text, [](const std::string& b) { ParseLightGBMText(b, "fuzz"); }, 3000, 7);
    EXPECT_GT(rejected, 400) << file;  // every truncation at least
  }
}

}  // namespace
