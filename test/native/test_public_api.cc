// The public C++ API (production_ensemble.h) on the bundled models against the libraries' own
// predictions (test/fixtures/production/reference*.json, tools/train_models.py), and its errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ensemble/json.h"
#include "production_ensemble.h"

namespace {

namespace pe = production_ensemble;
using ensemble::core::JsonValue;

const std::string kRoot = ENSEMBLE_SOURCE_DIR;
const std::string kModels = kRoot + "/models/production";
const std::string kFixtures = kRoot + "/test/fixtures/production/";
constexpr double kTolerance = 1e-6;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<double> ReadF64(const std::string& path) {
  const std::string bytes = ReadText(path);
  std::vector<double> v(bytes.size() / sizeof(double));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(double));
  return v;
}

std::vector<double> Numbers(const JsonValue& doc, const char* model, const char* dtype) {
  std::vector<double> v;
  for (const JsonValue& x : doc.Find(model)->Find(dtype)->AsArray()) v.push_back(x.AsDouble());
  return v;
}

// The libraries as `npm run libs` installs them (or LIGHTGBM_LIB / XGBOOST_LIB).
pe::LoadOptions Options(int threads = 0) {
  pe::LoadOptions o;
  o.threads = threads;
  o.library_dirs.push_back(ENSEMBLE_LIBRARY_DIR);
  return o;
}

bool LibrariesPresent() {
  struct stat st;
  const bool env = std::getenv("LIGHTGBM_LIB") != nullptr && std::getenv("XGBOOST_LIB") != nullptr;
  return env || (::stat((std::string(ENSEMBLE_LIBRARY_DIR) + "/lib_lightgbm.so").c_str(), &st) == 0 &&
                 ::stat((std::string(ENSEMBLE_LIBRARY_DIR) + "/libxgboost.so").c_str(), &st) == 0);
}

#define REQUIRE_LIBRARIES()                                                                   \
  if (!LibrariesPresent())                                                                    \
  GTEST_SKIP() << "lib_lightgbm / libxgboost not in " << ENSEMBLE_LIBRARY_DIR                 \
               << " (run `npm run libs`, or set LIGHTGBM_LIB and XGBOOST_LIB)"

// Largest |got - want| and where, for the failure message.
struct Diff {
  double max = 0;
  size_t at = 0;
};
Diff Compare(const std::vector<double>& got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  Diff d;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]);
    if (!(e <= d.max)) d = {e, i};
  }
  return d;
}
#define EXPECT_MATCHES(got, want, what)                                                        \
  do {                                                                                         \
    const Diff d_ = Compare(got, want);                                                        \
    EXPECT_LE(d_.max, kTolerance) << what << ": row " << d_.at << " differs by " << d_.max;    \
  } while (0)

class PublicApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference_ = new JsonValue(ensemble::core::ParseJson(ReadText(kFixtures + "reference.json")));
    x_ = new std::vector<double>(ReadF64(kFixtures + "inputs.f64"));
  }
  static void TearDownTestSuite() {
    delete reference_;
    delete x_;
  }
  void SetUp() override { REQUIRE_LIBRARIES(); }
  static size_t Rows() { return x_->size() / 12; }
  static std::vector<double> Want(const char* model, const char* dtype = "f64") {
    return Numbers(*reference_, model, dtype);
  }
  static JsonValue* reference_;
  static std::vector<double>* x_;
};
JsonValue* PublicApi::reference_ = nullptr;
std::vector<double>* PublicApi::x_ = nullptr;

TEST_F(PublicApi, LoadsTheBundledDirectoryAndDescribesIt) {
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options());
  const JsonValue meta = ensemble::core::ParseJson(ReadText(kModels + "/production_model_metadata.json"));
  ASSERT_EQ(model.num_features(), 12u);
  const auto& names = meta.Find("feature_names")->AsArray();
  ASSERT_EQ(model.feature_names().size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(model.feature_names()[i], names[i].AsString());
  EXPECT_EQ(model.threshold(), meta.Find("decision_threshold")->AsDouble());
  EXPECT_EQ(model.weights().lightgbm, meta.Find("model_weights")->Find("lightgbm")->AsDouble());
  EXPECT_EQ(model.weights().random_forest,
            meta.Find("model_weights")->Find("random_forest")->AsDouble());

  const pe::Info info = model.info();
  EXPECT_FALSE(info.legacy_metadata);
  EXPECT_EQ(info.metadata_path, kModels + "/production_model_metadata.json");
  EXPECT_GE(info.threads, 1);
  ASSERT_EQ(info.models.size(), 3u);
  const char* const roles[3] = {"lightgbm", "xgboost", "random_forest"};
  for (int i = 0; i < 3; ++i) {
    const auto& m = info.models[i];
    EXPECT_EQ(m.role, roles[i]);
    EXPECT_EQ(m.sha256, meta.Find("model_files")->Find(roles[i])->Find("sha256")->AsString());
    EXPECT_EQ(m.sha256, reference_->Find("model_sha256")->Find(roles[i])->AsString());
    EXPECT_GT(m.num_trees, 0);
    EXPECT_EQ(m.library.empty(), i == 2) << m.role;
  }
  // The libraries loaded are the ones the models were trained with (metadata), as bundled.
  const JsonValue* trained = meta.Find("training_library_versions");
  EXPECT_EQ(info.models[0].library_version, trained->Find("lightgbm")->AsString());
  EXPECT_EQ(info.models[1].library_version, trained->Find("xgboost")->AsString());
}

TEST_F(PublicApi, BatchesMatchTheLibrariesReferencePredictions) {
  const size_t n = Rows();
  ASSERT_EQ(n, static_cast<size_t>(reference_->Find("rows")->AsInt64()));
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const pe::Ensemble model = pe::Ensemble::Load(kModels, Options(threads));
    std::vector<double> p(n), l(n), x(n), r(n);
    model.PredictProba(x_->data(), n, p.data(), pe::Parts{l.data(), x.data(), r.data()});
    EXPECT_MATCHES(p, Want("ensemble"), "ensemble");
    EXPECT_MATCHES(l, Want("lightgbm"), "lightgbm part");
    EXPECT_MATCHES(x, Want("xgboost"), "xgboost part");
    EXPECT_MATCHES(r, Want("random_forest"), "random_forest part");

    std::vector<double> q(n);
    model.PredictProba(x_->data(), n, q.data());
    EXPECT_EQ(q, p);

    // float32 input: the libraries' predictions on the float32 cast.
    const std::vector<float> x32(x_->begin(), x_->end());
    model.PredictProba(x32.data(), n, q.data(), threads);
    EXPECT_MATCHES(q, Want("ensemble", "f32"), "ensemble f32");

    const pe::Model models[3] = {pe::Model::kLightGBM, pe::Model::kXGBoost, pe::Model::kRandomForest};
    const char* const names[3] = {"lightgbm", "xgboost", "random_forest"};
    for (int m = 0; m < 3; ++m) {
      model.PredictModel(models[m], x_->data(), n, q.data());
      EXPECT_MATCHES(q, Want(names[m]), std::string(names[m]) + " alone");
      model.PredictModel(models[m], x32.data(), n, q.data());
      EXPECT_MATCHES(q, Want(names[m], "f32"), std::string(names[m]) + " alone f32");
    }
  }
}

TEST_F(PublicApi, TheEngineAndTheLibraryScorerGiveTheSameBits) {
  const size_t n = Rows();
  const pe::Ensemble engine = pe::Ensemble::Load(kModels, Options());
  pe::LoadOptions o = Options();
  o.library_scorer = true;
  const pe::Ensemble library = pe::Ensemble::Load(kModels, o);
  for (const auto& m : engine.info().models) EXPECT_EQ(m.scorer, "engine") << m.role << ": " << m.scorer_note;
  for (const auto& m : library.info().models) {
    if (m.role != "random_forest") EXPECT_EQ(m.scorer, "library") << m.role;
  }
  std::vector<double> a(n), b(n);
  engine.PredictProba(x_->data(), n, a.data());
  library.PredictProba(x_->data(), n, b.data());
  EXPECT_EQ(a, b);
}

TEST_F(PublicApi, SingleRowsMatchTheLibrariesReferencePredictions) {
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options());
  const size_t n = Rows();
  std::vector<double> p(n), l(n), x(n), r(n), pl(n), px(n), pr(n), p32(n);
  for (size_t i = 0; i < n; ++i) {
    const double* row = x_->data() + i * 12;
    pe::RowParts parts;
    p[i] = model.PredictOne(row, &parts);
    l[i] = parts.lightgbm;
    x[i] = parts.xgboost;
    r[i] = parts.random_forest;
    pl[i] = model.PredictModelOne(pe::Model::kLightGBM, row);
    px[i] = model.PredictModelOne(pe::Model::kXGBoost, row);
    pr[i] = model.PredictModelOne(pe::Model::kRandomForest, row);
    float row32[12];
    for (int j = 0; j < 12; ++j) row32[j] = static_cast<float>(row[j]);
    p32[i] = model.PredictOne(row32);
  }
  EXPECT_MATCHES(p, Want("ensemble"), "PredictOne");
  EXPECT_MATCHES(l, Want("lightgbm"), "PredictOne lightgbm part");
  EXPECT_MATCHES(x, Want("xgboost"), "PredictOne xgboost part");
  EXPECT_MATCHES(r, Want("random_forest"), "PredictOne random_forest part");
  EXPECT_MATCHES(pl, Want("lightgbm"), "PredictModelOne lightgbm");
  EXPECT_MATCHES(px, Want("xgboost"), "PredictModelOne xgboost");
  EXPECT_MATCHES(pr, Want("random_forest"), "PredictModelOne random_forest");
  EXPECT_MATCHES(p32, Want("ensemble", "f32"), "PredictOne f32");
}

TEST_F(PublicApi, LabelsAreTheProbabilityAtTheThreshold) {
  const size_t n = Rows();
  const std::vector<double> want = Want("ensemble");
  for (double threshold : {0.5, 0.45}) {
    pe::LoadOptions o = Options();
    o.threshold = threshold;
    const pe::Ensemble model = pe::Ensemble::Load(kModels, o);
    EXPECT_EQ(model.threshold(), threshold);
    std::vector<uint8_t> labels(n);
    model.Predict(x_->data(), n, labels.data());
    size_t ones = 0;
    for (size_t i = 0; i < n; ++i) {
      if (std::fabs(want[i] - threshold) > kTolerance) {
        EXPECT_EQ(labels[i], want[i] >= threshold ? 1 : 0) << "row " << i;
      }
      ones += labels[i];
    }
    EXPECT_GT(ones, 0u);
    EXPECT_LT(ones, n);
  }
}

TEST_F(PublicApi, WeightsOverrideTheMetadata) {
  pe::LoadOptions o = Options();
  o.weights = pe::Weights{1, 0, 0};
  const pe::Ensemble model = pe::Ensemble::Load(kModels, o);
  std::vector<double> p(Rows());
  model.PredictProba(x_->data(), Rows(), p.data());
  EXPECT_MATCHES(p, Want("lightgbm"), "weights {1, 0, 0}");
}

TEST_F(PublicApi, CopiesShareTheModelsAndScoreFromManyThreads) {
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options(2));
  const std::vector<double> want = Want("ensemble");
  const size_t n = Rows();
  std::vector<double> got(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = model, t, n, &got] {
      // Each thread writes its own rows: i = t, t + 4, ...; odd rows go through the batch path.
      for (size_t i = static_cast<size_t>(t); i < n; i += 4) {
        const double* row = x_->data() + i * 12;
        if (i % 2 == 0) {
          got[i] = copy.PredictOne(row);
        } else {
          copy.PredictProba(row, 1, &got[i]);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_MATCHES(got, want, "4 threads on copies");
}

TEST_F(PublicApi, InfinityIsRefusedExceptByLightGBMAlone) {
  const JsonValue ref = ensemble::core::ParseJson(ReadText(kFixtures + "reference_inf.json"));
  const std::vector<double> x = ReadF64(kFixtures + "inputs_inf.f64");
  const size_t n = x.size() / 12;
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options());
  std::vector<double> out(n);
  model.PredictModel(pe::Model::kLightGBM, x.data(), n, out.data());
  EXPECT_MATCHES(out, Numbers(ref, "lightgbm", "f64"), "lightgbm on +-Inf");
  for (auto call : {+[](const pe::Ensemble& m, const double* r, double* o) { m.PredictProba(r, 1, o); },
                    +[](const pe::Ensemble& m, const double* r, double* o) { *o = m.PredictOne(r); },
                    +[](const pe::Ensemble& m, const double* r, double* o) {
                      m.PredictModel(pe::Model::kXGBoost, r, 1, o);
                    },
                    +[](const pe::Ensemble& m, const double* r, double* o) {
                      *o = m.PredictModelOne(pe::Model::kRandomForest, r);
                    }}) {
    try {
      call(model, x.data(), out.data());
      ADD_FAILURE() << "+Inf in feature 0 was accepted";
    } catch (const pe::Error& e) {
      EXPECT_EQ(e.code(), "ERR_NON_FINITE_INPUT");
      EXPECT_NE(std::string(e.what()).find("feature 0"), std::string::npos) << e.what();
    }
  }
}

// --- errors -----------------------------------------------------------------------------------

// Runs `f`, expecting a production_ensemble::Error with `code` whose message contains `part`.
template <typename F>
void ExpectError(F f, const std::string& code, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << code;
  } catch (const pe::Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
        << "'" << e.what() << "' does not mention '" << part << "'";
    const std::runtime_error& base = e;  // one exception type, catchable as std::runtime_error
    EXPECT_STREQ(base.what(), e.what());
  }
}

// A fresh copy of models/production in a temporary directory, removed at the end.
class TempModelDir {
 public:
  TempModelDir() {
    char tmpl[] = "/tmp/pe_public_api_XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    dir_ = d != nullptr ? d : "/nonexistent";
    for (const char* f : {"production_model_metadata.json", "model_metadata.json", "lightgbm.txt",
                          "xgboost.json", "random_forest.forest"}) {
      Write(f, ReadText(kModels + "/" + f));
    }
  }
  ~TempModelDir() {
    for (const char* f : {"production_model_metadata.json", "model_metadata.json", "lightgbm.txt",
                          "xgboost.json", "random_forest.forest"}) {
      ::unlink((dir_ + "/" + f).c_str());
    }
    ::rmdir(dir_.c_str());
  }
  void Write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(dir_ + "/" + name, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(PublicApiErrors, MissingDirectoryIsModelNotFound) {
  ExpectError([] { pe::Ensemble::Load(kRoot + "/models/no_such_dir", Options()); },
              "ERR_MODEL_NOT_FOUND", "no_such_dir");
}

TEST(PublicApiErrors, InvalidOptionsAreRefusedBeforeLoading) {
  pe::LoadOptions o = Options();
  o.threads = -1;
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT", "threads");
  o = Options();
  o.threshold = 1.5;
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT", "threshold");
  o = Options();
  o.threshold = std::nan("");
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT", "threshold");
}

// Thread counts reach two OpenMP runtimes, which abort (20,000) or crash (100,000) the process
// when the system refuses a thread: beyond 1024 is refused, the rest capped at the hardware.
TEST(PublicApiErrors, ThreadCountsAreBoundedEverywhere) {
  REQUIRE_LIBRARIES();
  for (int threads : {1025, 20000, 100000}) {
    pe::LoadOptions o = Options();
    o.threads = threads;
    ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT",
                "threads must be an integer in [0, 1024]");
  }
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options(1024));
  EXPECT_EQ(model.info().threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  std::vector<double> x(12 * 3000, 0.5), out(3000), one(3000);
  model.PredictProba(x.data(), 3000, one.data(), 1);
  model.PredictProba(x.data(), 3000, out.data(), 1024);
  EXPECT_EQ(out, one);
  for (const pe::Model m : {pe::Model::kLightGBM, pe::Model::kRandomForest}) {
    ExpectError([&] { model.PredictModel(m, x.data(), 3000, out.data(), 20000); },
                "ERR_INVALID_ARGUMENT", "threads");
  }
  ExpectError([&] { model.PredictProba(x.data(), 3000, out.data(), 100000); },
              "ERR_INVALID_ARGUMENT", "threads");
}

TEST(PublicApiErrors, AMissingLibraryIsLibraryLoad) {
  pe::LoadOptions o = Options();
  o.lightgbm_library = "/nonexistent/lib_lightgbm.so";
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_LIBRARY_LOAD",
              "the path given in the options (/nonexistent/lib_lightgbm.so): file not found");
}

TEST(PublicApiErrors, ACorruptModelFileIsRefusedNamingIt) {
  REQUIRE_LIBRARIES();
  const TempModelDir tmp;
  std::string text = ReadText(kModels + "/lightgbm.txt");
  text.resize(text.size() / 2);  // truncated mid-tree
  tmp.Write("lightgbm.txt", text);
  // The metadata's checksum catches it first...
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), Options()); }, "ERR_METADATA",
              tmp.dir() + "/lightgbm.txt: sha256");
  // ...and without the checksum, the package's own parser does, before LightGBM sees the bytes.
  pe::LoadOptions o = Options();
  o.verify_checksums = false;
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), o); }, "ERR_MODEL_FORMAT",
              tmp.dir() + "/lightgbm.txt");
}

TEST(PublicApiErrors, ACorruptForestIsModelFormat) {
  REQUIRE_LIBRARIES();
  const TempModelDir tmp;
  std::string bytes = ReadText(kModels + "/random_forest.forest");
  bytes[bytes.size() / 2] ^= 0x5a;
  tmp.Write("random_forest.forest", bytes);
  pe::LoadOptions o = Options();
  o.verify_checksums = false;
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), o); }, "ERR_MODEL_FORMAT", "random_forest.forest");
}

TEST(PublicApiErrors, BadMetadataIsMetadata) {
  REQUIRE_LIBRARIES();
  const TempModelDir tmp;
  tmp.Write("production_model_metadata.json", "{\"feature_names\": \"close\"}");
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), Options()); }, "ERR_METADATA",
              "production_model_metadata.json");
}

// Weights that would not give a probability (issue 9: sum 0 gave P(up) = 0 on every row, sum 7
// gave 4.03), whether from the options or the metadata.
TEST(PublicApiErrors, WeightsThatDoNotSumToOneAreRefused) {
  REQUIRE_LIBRARIES();
  pe::LoadOptions o = Options();
  o.weights = pe::Weights{3, 3, 1};
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT",
              "weights sum to 7, not 1");
  o.weights = pe::Weights{0, 0, 0};
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT",
              "weights sum to 0, not 1");
  o.weights = pe::Weights{0.5, -0.25, 0.75};
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT",
              "weights.xgboost must be a finite number >= 0, got -0.25");
  o.weights = pe::Weights{0.1, 0.2, 0.7};  // not exactly 1 in binary: within the tolerance
  EXPECT_EQ(pe::Ensemble::Load(kModels, o).weights().random_forest, 0.7);

  const TempModelDir tmp;
  std::string meta = ReadText(kModels + "/production_model_metadata.json");
  const std::string from = "\"random_forest\": 0.2\n";
  ASSERT_NE(meta.find(from), std::string::npos);
  meta.replace(meta.find(from), from.size(), "\"random_forest\": 6.2\n");
  tmp.Write("production_model_metadata.json", meta);
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), Options()); }, "ERR_METADATA",
              tmp.dir() + "/production_model_metadata.json: model_weights sum to 7, not 1");
}

// Only regular files under the size cap are read (issue 9: a FIFO blocked load forever).
TEST(PublicApiErrors, FilesThatAreNotRegularOrTooLargeAreRefusedUnread) {
  REQUIRE_LIBRARIES();
  pe::LoadOptions o = Options();
  o.max_file_bytes = 100000;  // above the metadata (3 KB), below lightgbm.txt
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_MODEL_FORMAT",
              "lightgbm.txt: it is ");
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_MODEL_FORMAT",
              "bytes, more than the limit of 100000 (the maxFileBytes option)");
  o.max_file_bytes = 1000;  // the metadata's cap too
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_METADATA",
              "production_model_metadata.json: it is ");
  o.max_file_bytes = 0;
  ExpectError([&] { pe::Ensemble::Load(kModels, o); }, "ERR_INVALID_ARGUMENT", "max_file_bytes");
  const TempModelDir tmp;
  ::unlink((tmp.dir() + "/xgboost.json").c_str());
  ASSERT_EQ(::mkfifo((tmp.dir() + "/xgboost.json").c_str(), 0600), 0);
  ExpectError([&] { pe::Ensemble::Load(tmp.dir(), Options()); }, "ERR_MODEL_NOT_FOUND",
              tmp.dir() + "/xgboost.json: it is a FIFO, not a regular file");
}

TEST(PublicApiErrors, NullBuffersAndNegativeThreadsAreInvalidArguments) {
  REQUIRE_LIBRARIES();
  const pe::Ensemble model = pe::Ensemble::Load(kModels, Options());
  double row[12] = {0};
  double out = 0;
  ExpectError([&] { model.PredictProba(static_cast<const double*>(nullptr), 1, &out); },
              "ERR_INVALID_ARGUMENT", "input");
  ExpectError([&] { model.PredictProba(row, 1, nullptr); }, "ERR_INVALID_ARGUMENT", "output");
  ExpectError([&] { model.PredictProba(row, 1, &out, -2); }, "ERR_INVALID_ARGUMENT", "threads");
  ExpectError([&] { model.PredictOne(static_cast<const float*>(nullptr)); }, "ERR_INVALID_ARGUMENT",
              "row");
  ExpectError([&] { model.PredictModel(static_cast<pe::Model>(7), row, 1, &out); },
              "ERR_INVALID_ARGUMENT", "model");
  // Zero rows is a no-op, even with null pointers.
  model.PredictProba(static_cast<const double*>(nullptr), 0, nullptr);
}

}  // namespace
