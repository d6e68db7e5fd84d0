// The metadata reader (metadata.h): every rule once, the first problem thrown for load, all of
// them collected for validate, with the same messages; and the directory report built on it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/metadata.h"
#include "ensemble/model_directory.h"

namespace {

namespace core = ensemble::core;
using core::Problems;

const std::string kModels = std::string(ENSEMBLE_SOURCE_DIR) + "/models/production";
const std::string kPath = "/m/production_model_metadata.json";

// A valid production metadata document with `extra` members added (or replacing same-named ones
// when `base` is empty).
std::string Doc(const std::string& members) {
  return "{\"schema_version\": 1, \"model_type\": \"ProductionEnsemble\", "
         "\"n_features\": 2, \"feature_names\": [\"a\", \"b\"]" +
         (members.empty() ? std::string() : ", " + members) + "}";
}

const std::string kFiles =
    "\"model_files\": {"
    "\"lightgbm\": {\"file\": \"l.txt\", \"format\": \"lightgbm-text\"},"
    "\"xgboost\": {\"file\": \"x.json\", \"format\": \"xgboost-json\"},"
    "\"random_forest\": {\"file\": \"r.forest\", \"format\": \"production-ensemble-forest-v1\"}}";

std::vector<core::Problem> Collect(const std::string& text, core::Metadata* out = nullptr) {
  Problems p(Problems::Mode::kCollect);
  core::Metadata m = core::ParseMetadata(text, kPath, false, p);
  if (out != nullptr) *out = m;
  return p.list();
}

std::vector<std::string> Fields(const std::vector<core::Problem>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.field);
  return out;
}

TEST(Metadata, AValidDocumentIsTyped) {
  core::Metadata m;
  const auto problems = Collect(
      Doc(kFiles + ", \"model_weights\": {\"lightgbm\": 0.5, \"xgboost\": 0.3, "
                   "\"random_forest\": 0.2}, \"decision_threshold\": 0.6, \"status\": \"ok\", "
                   "\"created_at\": \"2024-01-01T00:00:00Z\", \"performance_metrics\": "
                   "{\"f1\": NaN}, \"training_library_versions\": {\"lightgbm\": \"4.7.0\", "
                   "\"odd\": 3}"),
      &m);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_TRUE(m.usable);
  EXPECT_EQ(m.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.weights.xgboost, 0.3);
  EXPECT_EQ(m.decision_threshold, 0.6);
  EXPECT_EQ(m.files[1].file, "x.json");
  EXPECT_EQ(m.status, "ok");
  EXPECT_EQ(m.created_at, "2024-01-01T00:00:00Z");
  ASSERT_EQ(m.training_library_versions.size(), 1u);  // only string members are kept
  EXPECT_TRUE(std::isnan(m.performance_metrics.Find("f1")->AsDouble()));
}

TEST(Metadata, EveryProblemIsCollectedInOrderAndTheFirstIsWhatLoadThrows) {
  const std::string text = Doc(
      "\"n_features\": 3, \"individual_models\": [\"lightgbm\"], "
      "\"model_weights\": {\"lightgbm\": 0.4, \"xgboost\": 0.5, \"random_forest\": 0.2}, "
      "\"decision_threshold\": 2, "
      "\"model_files\": {\"lightgbm\": {\"file\": \"../l.txt\"}, \"xgboost\": 7, "
      "\"random_forest\": {\"file\": \"r.forest\", \"format\": \"onnx\", \"sha256\": \"ABC\"}}");
  // Duplicate keys are refused by the JSON reader: build n_features without the Doc default.
  std::string fixed = text;
  fixed.replace(fixed.find("\"n_features\": 2, "), 17, "");
  const auto problems = Collect(fixed);
  EXPECT_EQ(Fields(problems),
            (std::vector<std::string>{"n_features", "individual_models", "model_weights",
                                      "decision_threshold", "model_files.lightgbm.file",
                                      "model_files.xgboost", "model_files.random_forest.format",
                                      "model_files.random_forest.sha256"}));
  for (const auto& p : problems) {
    EXPECT_EQ(p.code, core::ErrorCode::kMetadata);
    EXPECT_EQ(p.file, kPath);
    EXPECT_EQ(p.message.rfind(kPath + ": ", 0), 0u) << p.message;
  }
  EXPECT_EQ(problems[2].message, kPath + ": model_weights sum to 1.1, not 1 (P(up) would not be "
                                         "a probability; the sum may be off by at most 1e-6)");
  Problems first(Problems::Mode::kThrow);
  try {
    core::ParseMetadata(fixed, kPath, false, first);
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::kMetadata);
    EXPECT_EQ(std::string(e.what()), problems[0].message);
  }
}

TEST(Metadata, FileNamesArePlainNamesInTheDirectory) {
  for (const std::string name : {"../x.json", "sub/x.json", "sub\\\\x.json", "..", ".",
                                 "x.json\\u0000.txt", "/etc/shadow"}) {
    core::Metadata m;
    const std::string files =
        "\"model_files\": {\"lightgbm\": {\"file\": \"l.txt\"}, \"xgboost\": {\"file\": \"" +
        name + "\"}, \"random_forest\": {\"file\": \"r.forest\"}}";
    const auto problems = Collect(Doc(files), &m);
    ASSERT_EQ(problems.size(), 1u) << name;
    EXPECT_EQ(problems[0].field, "model_files.xgboost.file");
    EXPECT_EQ(m.files[1].file, "") << "an unusable entry is never read";
    EXPECT_EQ(m.files[0].file, "l.txt");
  }
  // The NUL is shown, not cut (the OS would cut the name there and open x.json).
  const auto nul = Collect(Doc(
      "\"model_files\": {\"lightgbm\": {\"file\": \"l\"}, \"xgboost\": {\"file\": "
      "\"x.json\\u0000.txt\"}, \"random_forest\": {\"file\": \"r\"}}"));
  EXPECT_NE(nul[0].message.find("got 'x.json\\u0000.txt'"), std::string::npos) << nul[0].message;
  EXPECT_TRUE(Collect(Doc("\"model_files\": {\"lightgbm\": {\"file\": \"a..b\"}, \"xgboost\": "
                          "{\"file\": \"x\"}, \"random_forest\": {\"file\": \"r\"}}"))
                  .empty());
}

TEST(Metadata, DocumentsThatAreNotAnObjectAreUnusable) {
  for (const std::string text : {"null", "[1]", "\"x\"", "{\"a\": ", ""}) {
    core::Metadata m;
    const auto problems = Collect(text, &m);
    ASSERT_EQ(problems.size(), 1u) << text;
    EXPECT_FALSE(m.usable);
    EXPECT_EQ(m.files[2].file, "random_forest.forest");  // the default names stay
  }
  EXPECT_EQ(Collect("null")[0].message,
            kPath + ": the top level must be a JSON object, got null");
}

TEST(Metadata, WeightsRules) {
  auto problem = [](double l, double x, double r) {
    return core::WeightsProblem(core::EnsembleWeights{l, x, r}, "w");
  };
  EXPECT_EQ(problem(0.4, 0.4, 0.2), "");
  EXPECT_EQ(problem(0.1, 0.2, 0.7), "");
  EXPECT_EQ(problem(1, 0, 0), "");
  EXPECT_EQ(problem(0, 0, 0).rfind("w sum to 0, not 1", 0), 0u);
  EXPECT_EQ(problem(3, 3, 1).rfind("w sum to 7, not 1", 0), 0u);
  EXPECT_EQ(problem(0.4, 0.4, 0.2 + 2e-6).rfind("w sum to 1.000002", 0), 0u);
  EXPECT_EQ(problem(-0.5, 1, 0.5), "w.lightgbm must be a finite number >= 0, got -0.5");
  EXPECT_EQ(problem(0.5, std::nan(""), 0.5), "w.xgboost must be a finite number >= 0, got NaN");
  EXPECT_EQ(problem(0.5, 0, INFINITY), "w.random_forest must be a finite number >= 0, got Infinity");
}

TEST(Metadata, AMissingMetadataFileIsModelNotFound) {
  Problems p(Problems::Mode::kCollect);
  const core::Metadata m = core::ReadMetadata("/nonexistent-dir", core::kMaxMetadataBytes, p);
  EXPECT_TRUE(m.path.empty());
  ASSERT_EQ(p.list().size(), 1u);
  EXPECT_EQ(p.list()[0].code, core::ErrorCode::kModelNotFound);
}

bool LibrariesPresent() {
  struct stat st;
  const std::string d = ENSEMBLE_LIBRARY_DIR;
  return ::stat((d + "/lib_lightgbm.so").c_str(), &st) == 0 &&
         ::stat((d + "/libxgboost.so").c_str(), &st) == 0;
}

core::ModelDirectoryOptions Options() {
  core::ModelDirectoryOptions o;
  o.lightgbm.dirs = {ENSEMBLE_LIBRARY_DIR};
  o.xgboost.dirs = {ENSEMBLE_LIBRARY_DIR};
  return o;
}

TEST(DirectoryReport, TheBundledDirectoryIsValid) {
  if (!LibrariesPresent()) GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  const core::DirectoryReport r = core::ValidateModelDirectory(kModels, Options());
  EXPECT_TRUE(r.ok()) << r.problems[0].message;
  EXPECT_EQ(r.metadata_path, kModels + "/production_model_metadata.json");
  ASSERT_FALSE(r.checked.empty());
  EXPECT_EQ(r.checked.back(), "the ensemble loads and its models fit together");
}

TEST(DirectoryReport, ProblemsOfModelFilesAreCollectedAfterTheMetadatas) {
  if (!LibrariesPresent()) GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  char tmpl[] = "/tmp/pe_metadata_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto copy = [&](const char* name, const std::string& to) {
    std::ifstream in(kModels + "/" + name, std::ios::binary);
    std::ofstream(dir + "/" + to, std::ios::binary)
        << std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  // Legacy metadata (default names, no checksums) over a FIFO, a truncated model and a good one.
  copy("model_metadata.json", "model_metadata.json");
  ASSERT_EQ(::mkfifo((dir + "/lightgbm.txt").c_str(), 0600), 0);
  std::ofstream(dir + "/xgboost.json") << "{\"learner\": ";
  copy("random_forest.forest", "random_forest.forest");
  const core::DirectoryReport r = core::ValidateModelDirectory(dir, Options());
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].code, core::ErrorCode::kModelNotFound);
  EXPECT_EQ(r.problems[0].file, dir + "/lightgbm.txt");
  EXPECT_EQ(r.problems[1].code, core::ErrorCode::kModelFormat);
  EXPECT_EQ(r.problems[1].file, dir + "/xgboost.json");
  for (const char* f : {"model_metadata.json", "lightgbm.txt", "xgboost.json",
                        "random_forest.forest"}) {
    ::unlink((dir + "/" + f).c_str());
  }
  ::rmdir(dir.c_str());
}

// The members load side by side, but a load reports the problem a one-by-one load would: the
// LightGBM file's, whichever member finishes first.
TEST(DirectoryLoad, ThrowsTheFirstMembersProblemWhateverFinishesFirst) {
  if (!LibrariesPresent()) GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR;
  char tmpl[] = "/tmp/pe_load_order_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ifstream in(kModels + "/model_metadata.json", std::ios::binary);
    std::ofstream(dir + "/model_metadata.json", std::ios::binary)
        << std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream(dir + "/lightgbm.txt") << "tree\nversion=v4\nnum_class=1\n";
  std::ofstream(dir + "/xgboost.json") << "{\"learner\": ";
  std::ofstream(dir + "/random_forest.forest") << "not a forest";
  core::ModelDirectoryOptions o = Options();
  o.threads = 2;
  for (int i = 0; i < 5; ++i) {
    try {
      core::LoadModelDirectory(dir, o);
      ADD_FAILURE() << "loaded a directory of broken files";
    } catch (const core::Error& e) {
      EXPECT_EQ(e.code(), core::ErrorCode::kModelFormat);
      EXPECT_NE(std::string(e.what()).find("lightgbm.txt"), std::string::npos) << e.what();
    }
  }
  for (const char* f : {"model_metadata.json", "lightgbm.txt", "xgboost.json",
                        "random_forest.forest"}) {
    ::unlink((dir + "/" + f).c_str());
  }
  ::rmdir(dir.c_str());
}

}  // namespace
