// Reads an XGBoost model (JSON text or UBJSON): format detection as XGBoost does it, the learner's
// parameters, the booster (gbtree / dart), tree_info and iteration_indptr; trees are read and
// validated by xgboost_tree_reader.cc.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "ensemble/error.h"
#include "ensemble/json.h"
#include "ensemble/xgboost_model.h"
#include "xgboost_internal.h"

namespace ensemble::core {
namespace {

using detail::XgbFields;

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

[[noreturn]] void Fail(const std::string& source, const std::string& message) {
  throw Error(ErrorCode::kModelFormat, source + ": " + message);
}

// XGBoosterLoadModelFromBuffer's rule (DispatchModelType): skip byte 0, then the first
// non-space byte decides: '"' is JSON text, a letter is UBJSON (the 'L' of a key length).
bool DetectUbjson(const std::uint8_t* data, std::size_t size, const std::string& source) {
  if (size == 0) Fail(source, "empty model");
  if (data[0] != '{') {
    Fail(source, "not an XGBoost model (JSON or UBJSON): the first byte is not '{'");
  }
  std::size_t i = 1;
  while (i < size && std::isspace(data[i])) ++i;
  if (i < size && data[i] == '"') return false;
  if (i < size && std::isalpha(data[i])) return true;
  Fail(source, "not an XGBoost model: neither JSON text nor UBJSON follows the first '{'");
}

JsonValue ParseDocument(const std::uint8_t* data, std::size_t size, bool ubjson,
                        const std::string& source) {
  try {
    if (ubjson) return ParseUbjson(data, size);
    return ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error& e) {
    Fail(source, e.what());
  }
}

void ReadVersion(const XgbFields& root, XGBoostModel* model) {
  const std::vector<std::int64_t> version = root.Ints("version", 3, 0, kInt32Max);
  for (int i = 0; i < 3; ++i) model->version[i] = static_cast<int>(version[i]);
}

// base_score is a JSON number ("5E-1") or, since 3.1, an array of them ("[4.6E-1]"), kept in
// a string; XGBoost reads it as float32 values and refuses non-finite ones.
void ReadBaseScore(const XgbFields& param, XGBoostModel* model) {
  model->base_score = param.String("base_score");
  JsonValue parsed;
  try {
    parsed = ParseJson(model->base_score);
  } catch (const Error&) {
    param.FailField("base_score", "\"" + model->base_score.substr(0, 40) + "\" is not a number");
  }
  const JsonValue::Array single = {parsed};
  const JsonValue::Array& values = parsed.IsArray() ? parsed.AsArray() : single;
  for (const JsonValue& v : values) {
    if (!v.IsNumber() || !std::isfinite(v.AsFloat())) {
      param.FailField("base_score", "\"" + model->base_score.substr(0, 40) +
                                        "\" is not a list of finite numbers");
    }
    model->base_score_values.push_back(v.AsFloat());
  }
  const auto n = model->base_score_values.size();
  if (n != 1 && n != static_cast<std::size_t>(model->num_outputs())) {
    param.FailField("base_score", "has " + std::to_string(n) + " values for " +
                                      std::to_string(model->num_outputs()) + " outputs");
  }
}

// XGBoost turns base_score into the starting margin through the objective's link when it loads
// the model: logistic objectives require a probability in [0, 1] (0 and 1 are clamped; outside
// is an error at the first use, after loading succeeded), and the log-link ones take its log,
// so a value <= 0 starts every row at -Inf or NaN. Checked here, naming the field.
void CheckBaseScore(const XgbFields& learner, const XGBoostModel& model) {
  const std::string& objective = model.objective;
  const bool logistic = objective == "binary:logistic" || objective == "reg:logistic";
  const bool log_link = objective == "reg:gamma" || objective == "count:poisson" ||
                        objective == "reg:tweedie" || objective == "survival:cox";
  if (!logistic && !log_link) return;
  for (const float v : model.base_score_values) {
    if (logistic ? (v >= 0.0f && v <= 1.0f) : v > 0.0f) continue;
    learner.Object("learner_model_param")
        .FailField("base_score",
                   "\"" + model.base_score.substr(0, 40) + "\" is " +
                       (logistic ? "outside [0, 1]: objective " + objective +
                                       " needs a probability (XGBoost refuses it)"
                                 : "not above 0: objective " + objective +
                                       " takes its log (every row's margin would be -Inf "
                                       "or NaN)"));
  }
}

void ReadLearnerParam(const XgbFields& learner, XGBoostModel* model) {
  const XgbFields param = learner.Object("learner_model_param");
  model->num_feature = param.IntString("num_feature", 0, kInt32Max);
  model->num_class = static_cast<std::int32_t>(param.IntString("num_class", 0, kInt32Max));
  if (param.Find("num_target") != nullptr) {
    model->num_target = static_cast<std::int32_t>(param.IntString("num_target", 1, kInt32Max));
  }
  if (model->num_class > 1 && model->num_target > 1) {
    param.Fail("a model cannot have both num_class = " + std::to_string(model->num_class) +
               " and num_target = " + std::to_string(model->num_target));
  }
  ReadBaseScore(param, model);
}

void ReadLearnerExtras(const XgbFields& learner, XGBoostModel* model) {
  model->feature_names = learner.Strings("feature_names");
  model->feature_types = learner.Strings("feature_types");
  for (const auto* list : {&model->feature_names, &model->feature_types}) {
    if (!list->empty() && list->size() != static_cast<std::size_t>(model->num_feature)) {
      learner.Fail("learner has " + std::to_string(list->size()) +
                   " feature names/types for num_feature = " + std::to_string(model->num_feature));
    }
  }
  // Every writer since 1.0 stores the object, and XGBoost refuses a model without it.
  const XgbFields attrs = learner.Object("attributes");
  for (const JsonValue::Member& member : attrs.object().AsObject()) {
    model->attributes.emplace_back(member.first, attrs.String(member.first));
  }
  if (attrs.Find("best_iteration") != nullptr) {
    model->best_iteration = attrs.IntString("best_iteration", 0, kInt32Max);
  }
}

// Rebuilds iteration_indptr the way XGBoost does for files written before 2.0.
void MakeIndptr(const XgbFields& gbtree, std::size_t num_trees, XGBoostModel* model) {
  model->iteration_indptr = {0};
  if (num_trees == 0) return;
  const std::int64_t groups =
      *std::max_element(model->tree_info.begin(), model->tree_info.end()) + 1;
  const std::int64_t layer = groups * model->num_parallel_tree;
  if (static_cast<std::int64_t>(num_trees) % layer != 0) {
    gbtree.Fail(std::to_string(num_trees) + " trees is not a multiple of the " +
                std::to_string(layer) + " trees per iteration");
  }
  for (std::int64_t k = 1; k <= static_cast<std::int64_t>(num_trees) / layer; ++k) {
    model->iteration_indptr.push_back(static_cast<std::int32_t>(k * layer));
  }
}

void ReadGbtree(const XgbFields& gbtree, XGBoostModel* model) {
  const XgbFields param = gbtree.Object("gbtree_model_param");
  const std::int64_t num_trees = param.IntString("num_trees", 0, kInt32Max);
  // XGBoost 1.0-1.5 kept num_parallel_tree out of the model; XGBoost then takes 1.
  if (param.Find("num_parallel_tree") != nullptr) {
    model->num_parallel_tree =
        static_cast<std::int32_t>(param.IntString("num_parallel_tree", 1, kInt32Max));
  }
  const JsonValue& trees = gbtree.Require("trees");
  if (!trees.IsArray() || trees.size() != static_cast<std::size_t>(num_trees)) {
    gbtree.Fail(gbtree.FieldName("trees") +
                " is not an array of num_trees = " + std::to_string(num_trees) + " trees");
  }
  // tree_info picks the output each tree adds to; XGBoost writes there unchecked.
  for (std::int64_t group : gbtree.Ints("tree_info", num_trees, 0, model->num_outputs() - 1)) {
    model->tree_info.push_back(static_cast<std::int32_t>(group));
  }
  if (gbtree.Find("iteration_indptr") != nullptr) {
    for (std::int64_t v : gbtree.Ints("iteration_indptr", -1, 0, num_trees)) {
      if (!model->iteration_indptr.empty() && v < model->iteration_indptr.back()) {
        gbtree.FailField("iteration_indptr", "decreases");
      }
      model->iteration_indptr.push_back(static_cast<std::int32_t>(v));
    }
    if (model->iteration_indptr.empty() || model->iteration_indptr.front() != 0 ||
        model->iteration_indptr.back() != num_trees) {
      gbtree.FailField("iteration_indptr",
                       "must run from 0 to num_trees = " + std::to_string(num_trees));
    }
  } else {
    MakeIndptr(gbtree, static_cast<std::size_t>(num_trees), model);
  }
  model->trees.reserve(static_cast<std::size_t>(num_trees));
  for (std::size_t t = 0; t < trees.size(); ++t) {
    model->trees.push_back(detail::ReadXGBoostTree(trees.AsArray()[t], t, model->num_feature,
                                                   model->num_outputs(), model->source));
  }
}

void ReadBooster(const XgbFields& learner, XGBoostModel* model) {
  const XgbFields booster = learner.Object("gradient_booster");
  model->booster = booster.String("name");
  if (model->booster == "gbtree") {
    ReadGbtree(booster.Object("model"), model);
  } else if (model->booster == "dart") {
    ReadGbtree(booster.Object("gbtree").Object("model"), model);
    model->weight_drop = booster.Floats("weight_drop", -1);
    // Dart scales tree i by weight_drop[i]; XGBoost fails at prediction time on a short list.
    if (model->weight_drop.size() != model->trees.size()) {
      booster.FailField("weight_drop", "has " + std::to_string(model->weight_drop.size()) +
                                           " weights for " + std::to_string(model->trees.size()) +
                                           " trees");
    }
    for (float w : model->weight_drop) {
      if (!std::isfinite(w)) booster.FailField("weight_drop", "has a non-finite weight");
    }
  } else if (model->booster == "gblinear") {
    booster.Fail(
        "the gblinear booster is a linear model, not trees; only tree boosters "
        "(gbtree, dart) are supported");
  } else {
    booster.FailField("name", "unknown booster \"" + model->booster.substr(0, 40) + "\"");
  }
}

}  // namespace

XGBoostModel ParseXGBoostModel(const std::uint8_t* data, std::size_t size,
                               const std::string& source, const ExpectedFeatures& expected) {
  if (data == nullptr && size != 0) {
    throw Error(ErrorCode::kInvalidArgument, "ParseXGBoostModel: null data");
  }
  XGBoostModel model;
  model.source = source;
  model.is_ubjson = DetectUbjson(data, size, source);
  const JsonValue document = ParseDocument(data, size, model.is_ubjson, source);
  const XgbFields root(document, source, "");
  ReadVersion(root, &model);
  const XgbFields learner = root.Object("learner");
  ReadLearnerParam(learner, &model);
  CheckDeclaredFeatures(expected, model.num_feature, source);
  model.objective = learner.Object("objective").String("name");
  CheckBaseScore(learner, model);
  ReadLearnerExtras(learner, &model);
  ReadBooster(learner, &model);
  return model;
}

}  // namespace ensemble::core
