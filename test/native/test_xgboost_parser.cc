// The XGBoost JSON/UBJSON reader: it accepts every model variant XGBoost 1.7 and 3.2 write
// (checked against the library's own leaf ids and margins) and rejects what crashes or misleads it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ensemble/xgboost_model.h"
#include "parser_test_util.h"

using ensemble::core::ParseXGBoostModel;
using ensemble::core::XGBoostModel;
using ensemble::core::XGBoostTree;
using ensemble::test::ReadExpected;
using ensemble::test::ReadParserFixture;
using ensemble::test::RejectsWith;

namespace {

XGBoostModel Parse(const std::string& bytes, const std::string& source = "model.json") {
  return ParseXGBoostModel(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                           source);
}

// XGBoost's prediction rules (predict_fn.h GetNextNode, categorical.h Decision): float32
// inputs, `x < split_condition` goes left, NaN takes the default side, a category in the node's
// set goes right.
int LeafOf(const XGBoostTree& tree, const std::vector<double>& row) {
  int node = 0;
  while (!tree.IsLeaf(node)) {
    const float x = static_cast<float>(row[tree.split_indices[node]]);
    const int left = tree.left_children[node];
    const int right = tree.right_children[node];
    if (std::isnan(x)) {
      node = tree.default_left[node] ? left : right;
    } else if (!tree.split_type.empty() && tree.split_type[node] == 1) {
      bool in_set = false;
      for (std::size_t k = 0; k < tree.categories_nodes.size(); ++k) {
        if (tree.categories_nodes[k] != node || x < 0 || x >= 16777216.0f) continue;
        const auto begin = tree.categories_segments[k];
        for (auto j = begin; j < begin + tree.categories_sizes[k]; ++j) {
          in_set |= tree.categories[j] == static_cast<int>(x);
        }
      }
      node = in_set ? right : left;
    } else {
      node = x < tree.split_conditions[node] ? left : right;
    }
  }
  return node;
}

// Edits element `index` of the `occurrence`-th `"key":[...]` array of compact JSON text.
std::string SetElement(const std::string& json, const std::string& key, int index,
                       const std::string& value, int occurrence = 0) {
  std::size_t at = 0;
  for (int seen = -1; seen < occurrence; ++seen) {
    at = json.find("\"" + key + "\":[", at + 1);
    if (at == std::string::npos) throw std::runtime_error("no array " + key);
  }
  std::size_t begin = at + key.size() + 4;
  for (int i = 0; i < index; ++i) begin = json.find(',', begin) + 1;
  std::size_t end = begin;
  while (json[end] != ',' && json[end] != ']') ++end;
  return json.substr(0, begin) + value + json.substr(end);
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no \"" + from + "\" in the fixture");
  return text.replace(at, from.size(), to);
}

// Removes member `key` (and its value: an array, object, string or number) from every object of
// compact JSON text that has it (`occurrence` >= 0: only that one).
std::string RemoveMember(std::string json, const std::string& key, int occurrence = -1) {
  const std::string needle = "\"" + key + "\":";
  std::size_t at = 0;
  int seen = -1;
  bool removed = false;
  while ((at = json.find(needle, at)) != std::string::npos) {
    if (occurrence >= 0 && ++seen != occurrence) {
      at += needle.size();
      continue;
    }
    std::size_t end = at + needle.size();
    int depth = 0;
    bool in_string = false;
    for (;; ++end) {
      const char c = json[end];
      if (in_string) {
        in_string = c != '"' || json[end - 1] == '\\';
        continue;
      }
      if (c == '"') in_string = true;
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (depth == 0) break;  // the end of the enclosing object
        --depth;
      }
      if (c == ',' && depth == 0) break;
    }
    // Drop the member with one adjacent comma.
    std::size_t begin = at;
    if (json[end] == ',') {
      ++end;
    } else if (json[begin - 1] == ',') {
      --begin;
    }
    json.erase(begin, end - begin);
    removed = true;
    if (occurrence >= 0) break;
    at = begin;
  }
  if (!removed) throw std::runtime_error("no member " + key);
  return json;
}

const char* const kFixtures[] = {
    "xgb_binary.json",
    "xgb_binary.ubj",
    "xgb_categorical.json",
    "xgb_categorical.ubj",
    "xgb_dart.json",
    "xgb_early_stopped.json",
    "xgb_multi_softmax.ubj",
    "xgb_multi_softprob.json",
    "xgb_multi_target.json",
    "xgb_multi_target.ubj",
    "xgb_pruned.json",
    "xgb_regression.json",
    "xgb_rf.json",
    "xgb_stump.json",
    "xgb17_binary.json",
    "xgb17_binary.ubj",
    "xgb17_categorical.json",
    "xgb17_categorical.ubj",
    "xgb17_dart.json",
    "xgb17_multi_softprob.json",
    "xgb17_pruned.json",
};

class XGBoostFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(XGBoostFixture, MatchesTheLibrary) {
  const std::string file = GetParam();
  const XGBoostModel model = Parse(ReadParserFixture(file), file);
  const auto expected = ReadExpected(file);
  ASSERT_EQ(static_cast<int>(model.trees.size()), expected.num_trees);
  EXPECT_EQ(model.num_feature, expected.num_features);
  EXPECT_EQ(model.num_outputs(), expected.num_outputs);
  EXPECT_EQ(model.objective, expected.objective);
  EXPECT_EQ(model.booster, expected.booster);
  EXPECT_EQ(model.best_iteration, expected.best_iteration);
  EXPECT_EQ(model.is_ubjson, file.substr(file.size() - 4) == ".ubj");
  EXPECT_EQ(std::to_string(model.version[0]) + "." + std::to_string(model.version[1]) + "." +
                std::to_string(model.version[2]),
            expected.version);
  EXPECT_EQ(model.iteration_indptr.back(), expected.num_trees);
  for (std::size_t r = 0; r < expected.rows.size(); ++r) {
    std::vector<double> raw(static_cast<std::size_t>(model.num_outputs()), 0.0);
    for (std::size_t t = 0; t < model.trees.size(); ++t) {
      const XGBoostTree& tree = model.trees[t];
      const int leaf = LeafOf(tree, expected.rows[r]);
      if (!expected.pred_leaf.empty()) {
        ASSERT_EQ(leaf, expected.pred_leaf[r][t]) << file << " row " << r << " tree " << t;
      }
      if (tree.size_leaf_vector > 1) {
        for (int j = 0; j < tree.size_leaf_vector; ++j) {
          raw[j] += tree.leaf_weights[tree.right_children[leaf] * tree.size_leaf_vector + j];
        }
      } else {
        const double weight = model.weight_drop.empty() ? 1.0 : model.weight_drop[t];
        raw[model.tree_info[t]] += weight * tree.split_conditions[leaf];
      }
    }
    for (std::size_t c = 0; c < raw.size(); ++c) {
      // XGBoost sums in float32.
      EXPECT_NEAR(raw[c], expected.raw[r][c], 1e-5 * std::max(1.0, std::fabs(raw[c])))
          << file << " row " << r << " output " << c;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, XGBoostFixture, ::testing::ValuesIn(kFixtures),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

TEST(XGBoostParser, JsonAndUbjsonGiveTheSameModel) {
  for (const char* name : {"xgb_binary", "xgb_categorical", "xgb_multi_target", "xgb17_binary"}) {
    const XGBoostModel a = Parse(ReadParserFixture(std::string(name) + ".json"));
    const XGBoostModel b = Parse(ReadParserFixture(std::string(name) + ".ubj"));
    ASSERT_EQ(a.trees.size(), b.trees.size()) << name;
    EXPECT_EQ(a.base_score_values, b.base_score_values);
    EXPECT_EQ(a.tree_info, b.tree_info);
    for (std::size_t t = 0; t < a.trees.size(); ++t) {
      const XGBoostTree& x = a.trees[t];
      const XGBoostTree& y = b.trees[t];
      EXPECT_EQ(x.left_children, y.left_children);
      EXPECT_EQ(x.right_children, y.right_children);
      EXPECT_EQ(x.split_indices, y.split_indices);
      EXPECT_EQ(x.split_conditions, y.split_conditions) << name << " tree " << t;
      EXPECT_EQ(x.default_left, y.default_left);
      EXPECT_EQ(x.base_weights, y.base_weights);
      EXPECT_EQ(x.leaf_weights, y.leaf_weights);
      EXPECT_EQ(x.categories, y.categories);
      EXPECT_EQ(x.categories_nodes, y.categories_nodes);
    }
  }
}

TEST(XGBoostParser, ReadsEachVariant) {
  const XGBoostModel pruned = Parse(ReadParserFixture("xgb_pruned.json"));
  EXPECT_GT(pruned.trees[0].num_deleted, 0);
  const XGBoostModel cat = Parse(ReadParserFixture("xgb_categorical.json"));
  EXPECT_FALSE(cat.trees[0].categories_nodes.empty());
  EXPECT_EQ(cat.feature_types[2], "c");
  const XGBoostModel mt = Parse(ReadParserFixture("xgb_multi_target.json"));
  EXPECT_EQ(mt.num_target, 2);
  EXPECT_EQ(mt.trees[0].size_leaf_vector, 2);
  const XGBoostModel rf = Parse(ReadParserFixture("xgb_rf.json"));
  EXPECT_EQ(rf.num_parallel_tree, 3);
  EXPECT_EQ(rf.iteration_indptr, (std::vector<std::int32_t>{0, 3, 6}));
  const XGBoostModel dart = Parse(ReadParserFixture("xgb_dart.json"));
  EXPECT_EQ(dart.weight_drop.size(), dart.trees.size());
  const XGBoostModel old = Parse(ReadParserFixture("xgb17_multi_softprob.json"));
  EXPECT_EQ(old.base_score, "5E-1");
  EXPECT_EQ(old.iteration_indptr, (std::vector<std::int32_t>{0, 3, 6, 9}));  // rebuilt
  EXPECT_EQ(old.trees[0].size_leaf_vector, 1);                               // stored as "0" by 1.7
  const XGBoostModel probs = Parse(ReadParserFixture("xgb_multi_softprob.json"));
  EXPECT_EQ(probs.base_score_values.size(), 3u);
  EXPECT_EQ(probs.base_score.front(), '[');
  EXPECT_EQ(Parse(ReadParserFixture("xgb_stump.json")).trees[0].num_nodes, 1);
  EXPECT_EQ(Parse(ReadParserFixture("xgb_early_stopped.json")).best_iteration, 0);
}

// Fields older writers leave out (1.0-1.2: split_type and the categories arrays; 1.0:
// num_deleted; 1.0-1.5: num_parallel_tree; before 2.0: iteration_indptr and num_target; before
// 3.1: cats): XGBoost 3.2 loads such a file, so the parser reads it as the same model.
TEST(XGBoostParser, ReadsFilesWithoutTheOptionalFields) {
  const std::string json = ReadParserFixture("xgb_binary.json");
  const XGBoostModel full = Parse(json);
  const auto same_trees = [&](const XGBoostModel& m, const std::string& what) {
    ASSERT_EQ(m.trees.size(), full.trees.size()) << what;
    EXPECT_EQ(m.iteration_indptr, full.iteration_indptr) << what;
    EXPECT_EQ(m.num_parallel_tree, full.num_parallel_tree) << what;
    for (std::size_t t = 0; t < m.trees.size(); ++t) {
      const XGBoostTree& a = m.trees[t];
      EXPECT_EQ(a.split_type, std::vector<std::uint8_t>(a.num_nodes, 0)) << what << " tree " << t;
      EXPECT_EQ(a.left_children, full.trees[t].left_children) << what;
      EXPECT_EQ(a.split_conditions, full.trees[t].split_conditions) << what;
      EXPECT_EQ(a.num_deleted, full.trees[t].num_deleted) << what;
    }
  };
  same_trees(Parse(RemoveMember(json, "split_type", 0)), "tree 0 without split_type");
  std::string old = json;
  for (const char* key : {"split_type", "num_deleted", "num_parallel_tree", "iteration_indptr",
                          "num_target", "cats", "feature_names", "feature_types"}) {
    same_trees(Parse(RemoveMember(json, key)), std::string("without ") + key);
    old = RemoveMember(old, key);
  }
  // With split_type, XGBoost needs the categories arrays; without it, they go too.
  EXPECT_TRUE(RejectsWith([&] { Parse(RemoveMember(json, "categories_sizes")); },
                          {"model.json: tree 0: missing categories_sizes"}));
  for (const char* key :
       {"categories", "categories_nodes", "categories_segments", "categories_sizes"}) {
    old = RemoveMember(old, key);
  }
  same_trees(Parse(old), "without all of them (a 1.0-style file)");
  // Categories without a split_type are ignored, as XGBoost ignores them.
  const std::string cat = ReadParserFixture("xgb_categorical.json");
  const XGBoostModel numeric = Parse(RemoveMember(cat, "split_type"));
  EXPECT_TRUE(numeric.trees[0].categories_nodes.empty());
  EXPECT_EQ(numeric.trees[0].split_type,
            std::vector<std::uint8_t>(numeric.trees[0].num_nodes, 0));
  // What XGBoost itself requires stays required.
  EXPECT_TRUE(RejectsWith([&] { Parse(RemoveMember(json, "attributes")); },
                          {"model.json: missing learner.attributes"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(RemoveMember(json, "num_feature", 0)); },
                          {"model.json: tree 0: missing tree_param.num_feature"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(RemoveMember(json, "base_weights", 0)); },
                          {"model.json: tree 0: missing base_weights"}));
}

// The caller's width (the metadata's) is compared with num_feature before any tree is read, so
// a file declaring 1,000,000 features costs nothing more than its parse.
TEST(XGBoostParser, ComparesTheDeclaredWidthWithTheExpectedOneFirst) {
  const std::string json = ReadParserFixture("xgb_binary.json");
  const auto parse = [](const std::string& b, std::int64_t count) {
    return ParseXGBoostModel(reinterpret_cast<const std::uint8_t*>(b.data()), b.size(),
                             "model.json", {count, "meta.json"});
  };
  EXPECT_EQ(parse(json, 7).num_feature, 7);
  EXPECT_EQ(parse(json, -1).num_feature, 7);
  using ensemble::core::ErrorCode;
  EXPECT_TRUE(RejectsWith(ErrorCode::kMetadata, [&] { parse(json, 12); },
                          {"model.json has 7 features but meta.json lists 12"}));
  const std::string wide = Replace(json, "\"num_class\":\"0\",\"num_feature\":\"7\"",
                                   "\"num_class\":\"0\",\"num_feature\":\"1000000\"");
  EXPECT_EQ(Parse(wide).num_feature, 1000000);
  EXPECT_TRUE(RejectsWith(ErrorCode::kMetadata,
                          [&] { parse(SetElement(wide, "left_children", 0, "99"), 12); },
                          {"model.json has 1000000 features but meta.json lists 12"}));
}

// base_score becomes the starting margin through the objective's link: XGBoost refuses a
// logistic base_score outside [0, 1] only after loading succeeded (the package then reported a
// misleading internal error), and the log-link objectives start every row at -Inf or NaN.
TEST(XGBoostParser, RejectsABaseScoreTheObjectiveCannotTake) {
  const std::string json = ReadParserFixture("xgb_binary.json");  // binary:logistic
  const auto with = [](const std::string& text, const std::string& from, const std::string& v) {
    return Replace(text, "\"base_score\":\"" + from + "\"", "\"base_score\":\"" + v + "\"");
  };
  for (const char* v : {"[1.5E0]", "[-2E-1]", "1.0000001E0", "[1E30]"}) {
    EXPECT_TRUE(RejectsWith([&] { Parse(with(json, "[4.9E-1]", v)); },
                            {"model.json: learner.learner_model_param.base_score: \"" +
                                 std::string(v) + "\" is outside [0, 1]: objective " +
                                 "binary:logistic needs a probability (XGBoost refuses it)"}))
        << v;
  }
  // XGBoost clamps 0 and 1 (a degenerate model fit on one label): accepted, as it does.
  for (const char* v : {"[0E0]", "[1E0]", "[5E-1]"}) {
    EXPECT_EQ(Parse(with(json, "[4.9E-1]", v)).base_score, v);
  }
  const std::string reg = ReadParserFixture("xgb_regression.json");
  EXPECT_EQ(Parse(with(reg, "[8.327762E-1]", "[-5E0]")).base_score_values[0], -5.0f);
  const std::string poisson = Replace(reg, "\"reg:squarederror\"", "\"count:poisson\"");
  EXPECT_TRUE(RejectsWith([&] { Parse(with(poisson, "[8.327762E-1]", "[0E0]")); },
                          {"base_score: \"[0E0]\" is not above 0: objective count:poisson takes "
                           "its log"}));
  EXPECT_EQ(Parse(poisson).objective, "count:poisson");
}

TEST(XGBoostParser, RejectsBadTrees) {
  const std::string json = ReadParserFixture("xgb_binary.json");
  const int n = Parse(json).trees[0].num_nodes;
  const std::string nodes = "(tree has " + std::to_string(n) + " nodes)";
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "left_children", 1, "100")); },
                          {"model.json: tree 0: left_children[1] = 100 is out of range " + nodes}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(SetElement(json, "right_children", 0, std::to_string(n))); },
                  {"tree 0: right_children[0] = " + std::to_string(n) + " is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "left_children", 1, "1", 2)); },
                          {"tree 2: left_children[1] = 1 makes a cycle or a shared subtree"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "left_children", 0, "0")); },
                          {"left_children[0] = 0 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "right_children", 1, "-1")); },
                          {"tree 0: right_children[1] = -1 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "left_children", 1, "-5")); },
                          {"tree 0: left_children[1] = -5 is out of range [-1, 2147483647]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_indices", 0, "7", 1)); },
                          {"tree 1: split_indices[0] = 7 is not below num_feature = 7"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_indices", 0, "-1")); },
                          {"split_indices[0] = -1 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "parents", 1, "2")); },
                          {"tree 0: parents[1] = 2 but node 0 is its parent"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "parents", 0, "3")); },
                          {"tree 0: parents[0] = 3 but node 0 is the root"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_conditions", n - 1, "NaN")); },
                          {"tree 0: leaf " + std::to_string(n - 1) + " has a non-finite value"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_conditions", 0, "NaN")); },
                          {"tree 0: split_conditions[0] of a numerical split is NaN"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_conditions", 0, "\"x\"")); },
                          {"tree 0: split_conditions[0] is string, expected a number"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "default_left", 0, "2")); },
                          {"tree 0: default_left[0] is not 0 or 1"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "left_children", 0, "1.5")); },
                          {"tree 0: left_children[0] is number, expected an integer"}));
  const std::string nn = "\"num_nodes\":\"" + std::to_string(n) + "\"";
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(json, nn, "\"num_nodes\":\"99\"")); },
                          {"tree 0: left_children: has", "entries, expected 99"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(json, "\"id\":0", "\"id\":1")); }, {"tree 0: id is not 0"}));
}

TEST(XGBoostParser, RejectsBadLearners) {
  const std::string json = ReadParserFixture("xgb_binary.json");
  EXPECT_TRUE(
      RejectsWith([&] { Parse(SetElement(json, "tree_info", 1, "1")); },
                  {"learner.gradient_booster.model.tree_info[1] = 1 is out of range [0, 0]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "tree_info", 1, "-1")); },
                          {"tree_info[1] = -1 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "iteration_indptr", 2, "0")); },
                          {"iteration_indptr: decreases"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "iteration_indptr", 6, "5")); },
                          {"iteration_indptr: must run from 0 to num_trees = 6"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(json, "\"num_trees\":\"6\"", "\"num_trees\":\"7\"")); },
                  {"trees is not an array of num_trees = 7 trees"}));
  EXPECT_TRUE(RejectsWith(
      [&] {
        Parse(Replace(json, "\"num_class\":\"0\",\"num_feature\":\"7\"",
                      "\"num_class\":\"0\",\"num_feature\":\"x\""));
      },
      {"learner.learner_model_param.num_feature: \"x\" is not an integer"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(json, "\"base_score\":\"[", "\"base_score\":\"[NaN,")); },
                  {"base_score: \"[NaN,", "is not a list of finite numbers"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(json, "\"base_score\":\"[", "\"base_score\":\"[1,")); },
                  {"base_score: has 2 values for 1 outputs"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(json, "\"version\":[3,2,0]", "\"version\":[3,2]")); },
                          {"version: has 2 entries, expected 3"}));
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(json, "{\"learner\":", "{\"version\":[1,0,0],\"learner\":")); },
      {"invalid JSON at byte 0: duplicate object key \"version\""}));
  EXPECT_TRUE(RejectsWith([&] { Parse(" " + json); }, {"the first byte is not '{'"}));
  EXPECT_TRUE(RejectsWith([&] { Parse("{}"); }, {"neither JSON text nor UBJSON"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(""); }, {"empty model"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(ReadParserFixture("xgb_gblinear.json")); },
                          {"the gblinear booster is a linear model, not trees"}));
  const std::string dart = ReadParserFixture("xgb_dart.json");
  EXPECT_TRUE(
      RejectsWith([&] { Parse(Replace(dart, "\"weight_drop\":[", "\"weight_drop\":[1E0,")); },
                  {"learner.gradient_booster.weight_drop: has 5 weights for 4 trees"}));
}

TEST(XGBoostParser, RejectsTruncatedAndOversizedDocuments) {
  const std::string json = ReadParserFixture("xgb_binary.json");
  const std::string ubj = ReadParserFixture("xgb_binary.ubj");
  EXPECT_TRUE(RejectsWith([&] { Parse(json.substr(0, json.size() / 2)); },
                          {"model.json: invalid JSON at byte "}));
  EXPECT_TRUE(RejectsWith([&] { Parse(json.substr(0, json.size() - 1)); },
                          {"unexpected end of input inside an object"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(ubj.substr(0, ubj.size() / 2)); },
                          {"model.json: invalid UBJSON at byte "}));
  std::string big = ubj;
  const std::size_t typed = big.find("[$d#L");
  ASSERT_NE(typed, std::string::npos);
  big[typed + 5 + 3] = '\x7f';  // the int64 count now reads ~10^12
  EXPECT_TRUE(RejectsWith([&] { Parse(big); }, {"invalid UBJSON at byte " +
                                                    std::to_string(typed + 4) + ": container count",
                                                "runs past the end"}));
  const std::string key = std::string("L\0\0\0\0\0\0\0\x07learner", 16);
  ASSERT_NE(ubj.find(key), std::string::npos);
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(ubj, key, std::string("L\0\0\0\x7f\0\0\0\x07learner", 16))); },
      {"invalid UBJSON at byte 1: object key length of", "runs past the end"}));
  const std::string deep =
      "{\"learner\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_TRUE(RejectsWith([&] { Parse(deep); }, {"nesting deeper than 512 levels"}));
  std::string deep_ubj = "{L" + std::string(7, '\0') + "\x01" + "a";
  for (int i = 0; i < 100000; ++i) deep_ubj += '[';
  EXPECT_TRUE(RejectsWith([&] { Parse(deep_ubj); }, {"invalid UBJSON", "nesting deeper than 512"}));
}

TEST(XGBoostParser, RejectsBadCategoricalSplits) {
  const std::string json = ReadParserFixture("xgb_categorical.json");
  const XGBoostTree tree = Parse(json).trees[0];
  ASSERT_FALSE(tree.categories_nodes.empty());
  const auto total = std::to_string(tree.categories.size());
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "categories_segments", 0, "50")); },
                          {"tree 0: categories_segments[0] = 50 is out of range [0, " + total}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "categories_sizes", 0, "0")); },
                          {"tree 0: categories_sizes[0] = 0 is out of range [1, "}));
  EXPECT_TRUE(RejectsWith(
      [&] {
        Parse(SetElement(SetElement(json, "categories_sizes", 0, total), "categories_segments", 0,
                         "1"));
      },
      {"run past the " + total + " categories"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "categories", 0, "16777216")); },
                          {"tree 0: categories[0] = 16777216 is out of range [0, 16777215]"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "categories", 0, "-3")); },
                          {"categories[0] = -3 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "categories_nodes", 0, "99")); },
                          {"categories_nodes[0] = 99 is out of range"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(json, "split_type", 1, "2")); },
                          {"tree 0: split_type[1] is not 0 or 1"}));
  // A numerical internal node marked categorical has no category set.
  int numerical = 1;
  while (tree.IsLeaf(numerical) || tree.split_type[numerical] == 1) ++numerical;
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(SetElement(json, "split_type", numerical, "1")); },
      {"tree 0: categorical split at node " + std::to_string(numerical) + " has no categories"}));
}

TEST(XGBoostParser, RejectsBadVectorLeavesAndPrunedTrees) {
  const std::string mt = ReadParserFixture("xgb_multi_target.json");
  const XGBoostTree tree = Parse(mt).trees[0];
  int leaf = 0;
  while (!tree.IsLeaf(leaf)) ++leaf;
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(mt, "\"leaf_weights\"", "\"leaf_weightz\"")); },
                          {"tree 0: missing leaf_weights"}));
  EXPECT_TRUE(RejectsWith([&] { Parse(SetElement(mt, "right_children", leaf, "50")); },
                          {"tree 0: right_children[" + std::to_string(leaf) +
                           "] = 50 is not an unused leaf_weights row"}));
  EXPECT_TRUE(RejectsWith(
      [&] { Parse(Replace(mt, "\"size_leaf_vector\":\"2\"", "\"size_leaf_vector\":\"5\"")); },
      {"tree 0: tree_param.size_leaf_vector: 5 differs from the model's 2 outputs"}));

  const std::string pruned = ReadParserFixture("xgb_pruned.json");
  const XGBoostTree p = Parse(pruned).trees[0];
  int deleted = 1;
  while (p.split_indices[deleted] != 2147483647) ++deleted;
  const std::string dn = "\"num_deleted\":\"" + std::to_string(p.num_deleted) + "\"";
  EXPECT_TRUE(RejectsWith([&] { Parse(Replace(pruned, dn, "\"num_deleted\":\"0\"")); },
                          {"tree 0: tree_param.num_deleted = 0 but " +
                           std::to_string(p.num_deleted) + " nodes are deleted"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(SetElement(pruned, "parents", deleted, "500")); },
                  {"tree 0: parents[" + std::to_string(deleted) + "] = 500 is out of range"}));
  EXPECT_TRUE(
      RejectsWith([&] { Parse(SetElement(pruned, "split_indices", deleted, "0")); },
                  {"tree 0: node " + std::to_string(deleted) + " is unreachable from the root"}));
}

// Cut and corrupted models must be rejected or accepted, never crash (run under ASan too).
TEST(XGBoostParser, SurvivesCorruptedInput) {
  for (const char* file : {"xgb_categorical.json", "xgb_categorical.ubj", "xgb_pruned.json",
                           "xgb_multi_target.ubj", "xgb17_binary.ubj"}) {
    const std::string bytes = ReadParserFixture(file);
    const int rejected = ensemble::test::FuzzBytes(
        bytes, [](const std::string& b) { Parse(b); }, 3000, 11);
    EXPECT_GT(rejected, 400) << file;
  }
}

}  // namespace
