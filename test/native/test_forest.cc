// The forest format and engine against scikit-learn: real exported forests scored bit for bit
// like predict_proba (fixtures: tools/make_forest_fixtures.py), and hostile files refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ensemble/crc32.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"

namespace {

using ensemble::core::Crc32;
using ensemble::core::Error;
using ensemble::core::ErrorCode;
using ensemble::core::DenseMatrix;
using ensemble::core::DType;
using ensemble::core::Forest;
using ensemble::core::OutputKind;
using ensemble::core::ForestEstimator;
using Bytes = std::vector<uint8_t>;

const std::string kDir = std::string(ENSEMBLE_SOURCE_DIR) + "/test/fixtures/forest/";

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (run tools/make_forest_fixtures.py)";
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <typename T>
std::vector<T> ReadArray(const std::string& path, size_t expected) {
  const Bytes b = ReadFile(path);
  EXPECT_EQ(b.size(), expected * sizeof(T)) << path;
  std::vector<T> v(b.size() / sizeof(T));
  std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
  return v;
}

struct Case {
  std::string name;
  size_t rows, features, classes, trees;
  bool allows_nan;
  int estimator;
};

std::vector<Case> ReadCases() {
  std::ifstream in(kDir + "cases.txt");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    Case c;
    int nan;
    s >> c.name >> c.rows >> c.features >> c.classes >> c.trees >> nan >> c.estimator;
    c.allows_nan = nan != 0;
    cases.push_back(c);
  }
  EXPECT_GE(cases.size(), 5u);
  return cases;
}

uint32_t GetU32(const Bytes& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void PutU32(Bytes& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void PutI32(Bytes& b, size_t at, int32_t v) { std::memcpy(b.data() + at, &v, 4); }

// Recomputes the CRC so that a deliberate edit reaches the structural checks.
void Reseal(Bytes& b) { PutU32(b, b.size() - 8, Crc32(b.data(), b.size() - 8)); }

size_t NodesAt(const Bytes& b) {
  const size_t n_trees = GetU32(b, 24);
  return 48 + ((4 * (n_trees + 1) + 7) & ~size_t{7});
}

std::shared_ptr<const Forest> Load(const Bytes& b, const std::string& source = "test.forest") {
  return Forest::FromBytes(b.data(), b.size(), source);
}

// Class probabilities of `rows` rows, the forest's own checks first (Scorer::Predict).
template <typename T>
void Proba(const Forest& f, const T* x, size_t rows, double* out, int threads = 0) {
  const DenseMatrix m{x, sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64, rows,
                      f.num_features()};
  f.Predict(m, OutputKind::kValue, out, nullptr, threads);
}

// The message of the kModelFormat error loading `b` throws ("" when it loads).
std::string FormatError(const Bytes& b) {
  try {
    Load(b);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelFormat) << e.what();
    return e.what();
  }
  return "";
}

// Largest |a - b| and whether every element is bit-identical.
void ExpectSameProba(const std::vector<double>& got, const std::vector<double>& want,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  size_t worst_at = 0, differ = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(got[i] - want[i]);
    if (!(d <= worst)) worst = d, worst_at = i;
    differ += std::memcmp(&got[i], &want[i], sizeof(double)) != 0;
  }
  EXPECT_LE(worst, 1e-12) << what << ": max |diff| " << worst << " at element " << worst_at;
  EXPECT_EQ(differ, 0u) << what << ": " << differ << " elements not bit-identical to scikit-learn";
}

TEST(Crc32, MatchesZlib) {
  const std::string s = "123456789";
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  EXPECT_EQ(Crc32(p, s.size()), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(Crc32(p + 4, 5, Crc32(p, 4)), 0xCBF43926u);
  EXPECT_EQ(Crc32(p, 0), 0u);
  const Bytes file = ReadFile(kDir + "rf_binary_nan.forest");  // written with zlib.crc32
  EXPECT_EQ(Crc32(file.data(), file.size() - 8), GetU32(file, file.size() - 8));
}

TEST(ForestFixtures, MatchScikitLearnBitForBit) {
  for (const Case& c : ReadCases()) {
    SCOPED_TRACE(c.name);
    const auto f_ptr = Forest::FromFile(kDir + c.name + ".forest");
  const Forest& f = *f_ptr;
    EXPECT_EQ(f.num_features(), static_cast<int>(c.features));
    EXPECT_EQ(f.num_classes(), static_cast<int>(c.classes));
    EXPECT_EQ(f.num_trees(), static_cast<int>(c.trees));
    EXPECT_EQ(f.allows_nan(), c.allows_nan);
    EXPECT_EQ(f.estimator(), static_cast<ForestEstimator>(c.estimator));
    EXPECT_EQ(f.classes(), ReadArray<double>(kDir + c.name + ".classes.bin", c.classes));
    const auto x32 = ReadArray<float>(kDir + c.name + ".x32.bin", c.rows * c.features);
    const auto x64 = ReadArray<double>(kDir + c.name + ".x64.bin", c.rows * c.features);
    const auto p32 = ReadArray<double>(kDir + c.name + ".p32.bin", c.rows * c.classes);
    const auto p64 = ReadArray<double>(kDir + c.name + ".p64.bin", c.rows * c.classes);
    std::vector<double> out(c.rows * c.classes, -1.0);
    Proba(f, x32.data(), c.rows, out.data());
    ExpectSameProba(out, p32, "float32 input");
    std::fill(out.begin(), out.end(), -1.0);
    Proba(f, x64.data(), c.rows, out.data());
    ExpectSameProba(out, p64, "float64 input");
    // One row at a time (the latency path) gives the same numbers.
    for (size_t r = 0; r < c.rows; ++r) {
      std::vector<double> one(c.classes);
      Proba(f, x64.data() + r * c.features, 1, one.data());
      for (size_t k = 0; k < c.classes; ++k) ASSERT_EQ(one[k], p64[r * c.classes + k]) << r;
    }
  }
}

// The fixtures hold the cases the semantics hinge on; make sure they really do.
TEST(ForestFixtures, InputsCoverNanAndThresholdValues) {
  const Case c = ReadCases()[0];
  const auto x64 = ReadArray<double>(kDir + c.name + ".x64.bin", c.rows * c.features);
  size_t nan_rows = 0, all_nan_rows = 0;
  for (size_t r = 0; r < c.rows; ++r) {
    size_t n = 0;
    for (size_t j = 0; j < c.features; ++j) n += std::isnan(x64[r * c.features + j]);
    nan_rows += n > 0;
    all_nan_rows += n == c.features;
  }
  EXPECT_GT(nan_rows, 20u);
  EXPECT_GE(all_nan_rows, 1u);
  // Values equal to a split threshold: the float64 ones are not float32 values (so the float32
  // rounding decides), and they must still match scikit-learn (checked above).
  size_t not_float = 0;
  for (double v : x64)
    not_float += !std::isnan(v) && static_cast<double>(static_cast<float>(v)) != v;
  EXPECT_GT(not_float, 0u);
}

TEST(ForestFixtures, ThreadsGiveTheSameBits) {
  const Case c = ReadCases()[1];
  const auto f_ptr = Forest::FromFile(kDir + c.name + ".forest");
  const Forest& f = *f_ptr;
  const auto x = ReadArray<float>(kDir + c.name + ".x32.bin", c.rows * c.features);
  const auto p = ReadArray<double>(kDir + c.name + ".p32.bin", c.rows * c.classes);
  const size_t copies = 9;  // enough rows for several threads
  std::vector<float> big;
  std::vector<double> want;
  for (size_t i = 0; i < copies; ++i) {
    big.insert(big.end(), x.begin(), x.end());
    want.insert(want.end(), p.begin(), p.end());
  }
  const size_t rows = c.rows * copies;
  for (int threads : {0, 2, 3, 64}) {
    std::vector<double> out(rows * c.classes);
    Proba(f, big.data(), rows, out.data(), threads);
    ExpectSameProba(out, want, "threads=" + std::to_string(threads));
  }
}

TEST(ForestFixtures, MetadataRecords) {
  const auto f_ptr = Forest::FromFile(kDir + "rf_multiclass.forest");
  const Forest& f = *f_ptr;
  const auto names = f.feature_names();
  ASSERT_EQ(names.size(), 12u);
  EXPECT_EQ(names[0], "f0_name");
  EXPECT_EQ(names[11], "f11_name");
  bool has_version = false;
  for (const auto& kv : f.metadata()) has_version |= kv.first == "sklearn_version";
  EXPECT_TRUE(has_version);
  EXPECT_TRUE(Forest::FromFile(kDir + "rf_binary_nan.forest")->feature_names().empty());
}

std::string InputError(const Forest& f, const std::vector<double>& x, size_t rows) {
  std::vector<double> out(rows * f.num_classes(), 42.0);
  try {
    Proba(f, x.data(), rows, out.data());
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNonFiniteInput);
    for (double v : out) EXPECT_EQ(v, 42.0) << "output written before the input was refused";
    return e.what();
  }
  return "";
}

TEST(ForestInput, RefusesInfinityLikeScikitLearn) {
  const auto f_ptr = Forest::FromFile(kDir + "rf_binary_nan.forest");
  const Forest& f = *f_ptr;
  std::vector<double> x(4 * 7, 0.5);
  x[3 * 7 + 6] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(InputError(f, x, 4),
            "row 3, feature 6: +Inf is not allowed (the random forest cannot score infinite values; use NaN for a missing value)");
  x[3 * 7 + 6] = 0.5;
  x[1 * 7 + 2] = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(InputError(f, x, 4),
            "row 1, feature 2: -Inf is not allowed (the random forest cannot score infinite values; use NaN for a missing value)");
  x[1 * 7 + 2] = 1e300;  // finite, but +Inf once cast to float32, which scikit-learn refuses
  EXPECT_NE(InputError(f, x, 4).find("row 1, feature 2: 1.0000000000000001e+300 overflows float32"),
            std::string::npos);
  x[1 * 7 + 2] = 3.4028235e38;  // rounds to FLT_MAX: accepted
  EXPECT_EQ(InputError(f, x, 4), "");
  std::vector<float> xf(7, 1.0f);
  xf[4] = -std::numeric_limits<float>::infinity();
  std::vector<double> out(2);
  try {
    Proba(f, xf.data(), 1, out.data());
    ADD_FAILURE() << "float -Inf accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "row 0, feature 4: -Inf is not allowed (the random forest cannot score infinite values; use NaN for a missing value)");
  }
}

TEST(ForestInput, NanNeedsTheFlag) {
  Bytes b = ReadFile(kDir + "rf_binary_nan.forest");
  const auto with_nan_ptr = Load(b);
  const Forest& with_nan = *with_nan_ptr;
  std::vector<double> x(2 * 7, 0.25);
  x[7 + 5] = std::nan("");
  EXPECT_EQ(InputError(with_nan, x, 2), "");
  PutU32(b, 12, 0);  // clear the NaN flag
  Reseal(b);
  const auto no_nan_ptr = Load(b);
  const Forest& no_nan = *no_nan_ptr;
  EXPECT_FALSE(no_nan.allows_nan());
  EXPECT_EQ(InputError(no_nan, x, 2),
            "row 1, feature 5: NaN is not allowed (the random forest was not trained to accept missing values)");
  std::vector<double> a(2), c(2);  // finite rows score the same either way
  Proba(with_nan, x.data(), 1, a.data());
  Proba(no_nan, x.data(), 1, c.data());
  EXPECT_EQ(a, c);
}

TEST(ForestInput, BadArguments) {
  const auto f_ptr = Forest::FromFile(kDir + "rf_binary_nan.forest");
  const Forest& f = *f_ptr;
  std::vector<float> x(7, 0.0f);
  std::vector<double> out(2);
  for (auto call : {+[](const Forest&f, const float*x, double*o) { Proba(f, x, 1, o, -1); },
                    +[](const Forest&f, const float*x, double*) { Proba(f, x, 1, static_cast<double*>(nullptr)); },
                    +[](const Forest&f, const float*, double*o) {
                      Proba(f, static_cast<const float*>(nullptr), 1, o);
                    }}) {
    try {
      call(f, x.data(), out.data());
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    }
  }
  Proba(f, static_cast<const float*>(nullptr), 0, static_cast<double*>(nullptr));  // nothing to do
}

TEST(ForestFile, MissingFileIsModelNotFound) {
  try {
    Forest::FromFile(kDir + "no_such.forest");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelNotFound);
    EXPECT_NE(std::string(e.what()).find("no_such.forest"), std::string::npos);
  }
  try {
    Forest::FromFile(kDir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelNotFound);
  }
}

class ForestRejects : public ::testing::Test {
 protected:
  void SetUp() override { good_ = ReadFile(kDir + "rf_binary_nan.forest"); }
  Bytes good_;
};

TEST_F(ForestRejects, BadChecksum) {
  Bytes b = good_;
  b[NodesAt(b) + 16] ^= 0x01;  // one bit of a threshold
  try {
    Load(b, "some/dir/rf.forest");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelFormat);
    EXPECT_STREQ(e.what(), "some/dir/rf.forest: checksum mismatch (file corrupt or truncated)");
  }
}

TEST_F(ForestRejects, TruncatedFile) {
  for (size_t keep :
       {size_t{0}, size_t{5}, size_t{47}, size_t{60}, good_.size() / 2, good_.size() - 1}) {
    Bytes b(good_.begin(), good_.begin() + keep);
    const std::string msg = FormatError(b);
    EXPECT_TRUE(msg.find("truncated") != std::string::npos ||
                msg.find("bad magic") != std::string::npos)
        << keep << ": " << msg;
  }
  EXPECT_EQ(FormatError(Bytes(good_.begin(), good_.end() - 1)),
            "test.forest: truncated: the header says " + std::to_string(good_.size()) +
                " bytes, got " + std::to_string(good_.size() - 1));
  // Cut off, but with a consistent header, trailer and checksum: the counts no longer fit.
  Bytes b(good_.begin(), good_.begin() + 4000);
  const uint64_t size = b.size();
  std::memcpy(b.data() + 40, &size, 8);
  std::memcpy(b.data() + b.size() - 4, "TSRF", 4);
  Reseal(b);
  EXPECT_NE(FormatError(b).find("truncated or inconsistent"), std::string::npos) << FormatError(b);
  Bytes longer = good_;
  longer.push_back(0);
  EXPECT_NE(FormatError(longer).find("trailing data"), std::string::npos);
}

TEST_F(ForestRejects, ChildIndexOutOfRange) {
  Bytes b = good_;
  const size_t root = NodesAt(b);  // node 0 of tree 0 is a split
  ASSERT_NE(static_cast<int32_t>(GetU32(b, root)), -1);
  const uint32_t tree0_nodes = GetU32(b, 48 + 4);
  PutI32(b, root + 4, static_cast<int32_t>(tree0_nodes));  // one past the tree's last node
  Reseal(b);
  EXPECT_EQ(FormatError(b), "test.forest: tree 0, node 0: child index " +
                                std::to_string(tree0_nodes) + " out of range (0, " +
                                std::to_string(tree0_nodes) + ")");
  b = good_;
  PutI32(b, root + 8, 0);  // a cycle back to the root
  Reseal(b);
  EXPECT_NE(FormatError(b).find("child index 0 out of range"), std::string::npos);
  b = good_;
  PutI32(b, root + 8, static_cast<int32_t>(GetU32(b, root + 4)));  // both children the same
  Reseal(b);
  EXPECT_NE(FormatError(b).find("tree 0, node 0: "), std::string::npos) << FormatError(b);
}

TEST_F(ForestRejects, FeatureIndexOutOfRange) {
  Bytes b = good_;
  PutI32(b, NodesAt(b), 7);  // the forest has 7 features
  Reseal(b);
  EXPECT_EQ(FormatError(b), "test.forest: tree 0, node 0: feature index 7 out of range [0, 7)");
  PutI32(b, NodesAt(b), -5);
  Reseal(b);
  EXPECT_NE(FormatError(b).find("feature index -5 out of range"), std::string::npos);
}

TEST_F(ForestRejects, LeafRowOutOfRange) {
  Bytes b = good_;
  const size_t nodes = NodesAt(b);
  size_t leaf = nodes;
  while (static_cast<int32_t>(GetU32(b, leaf)) != -1) leaf += 24;
  const std::string rows = std::to_string(GetU32(b, 32));
  PutI32(b, leaf + 4, static_cast<int32_t>(GetU32(b, 32)));  // one past the last leaf row
  Reseal(b);
  EXPECT_NE(FormatError(b).find("leaf value row " + rows + " out of range [0, " + rows + ")"),
            std::string::npos)
      << FormatError(b);
}

TEST_F(ForestRejects, BadMagicAndVersions) {
  Bytes b = good_;
  b[0] = 'X';
  EXPECT_EQ(FormatError(b), "test.forest: not a forest file (bad magic; expected \"PEFOREST\")");
  b = good_;
  b[8] = 2;  // major 2
  Reseal(b);
  EXPECT_EQ(FormatError(b),
            "test.forest: unsupported forest format version 2.0 (this reader knows version 1.x)");
  b = good_;
  b[10] = 7;  // minor 7: accepted
  Reseal(b);
  EXPECT_EQ(FormatError(b), "");
  b = good_;
  b[12] |= 2;  // unknown flag
  Reseal(b);
  EXPECT_NE(FormatError(b).find("unknown flags 0x3"), std::string::npos);
  b = good_;
  b[36] = 2;  // unknown estimator kind
  Reseal(b);
  EXPECT_NE(FormatError(b).find("unknown estimator kind 2"), std::string::npos);
  EXPECT_NE(FormatError(Bytes{}).find("bad magic"), std::string::npos);
}

// Any corruption, with or without a valid checksum, is an Error or a forest that scores finite
// numbers: never a crash or an out-of-bounds read (run under ASan: -DENSEMBLE_SANITIZE=ON).
bool LoadAndScoreAnything(const Bytes& b, const std::vector<float>& x, size_t rows) {
  try {
    const auto f_ptr = Load(b);
  const Forest& f = *f_ptr;
    if (static_cast<size_t>(f.num_features()) * rows > x.size()) return true;
    std::vector<double> out(rows * f.num_classes());
    try {
      Proba(f, x.data(), rows, out.data());
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNonFiniteInput) << e.what();
      return true;
    }
    for (double v : out) EXPECT_TRUE(std::isfinite(v));
    return true;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelFormat) << e.what();
    return false;
  }
}

TEST(ForestRobustness, FlippedBytesAndTruncationNeverCrash) {
  const Bytes good = ReadFile(kDir + "rf_multiclass.forest");
  const auto x = ReadArray<float>(kDir + "rf_multiclass.x32.bin", 240 * 12);
  const size_t rows = 16;
  size_t loaded = 0;
  for (size_t at = 0; at + 8 < good.size(); ++at) {
    Bytes b = good;
    b[at] ^= 0xFF;
    EXPECT_NE(FormatError(b), "") << "unnoticed flip at " << at;  // the checksum catches it
    Reseal(b);
    loaded += LoadAndScoreAnything(b, x, rows);
  }
  // Flips in thresholds, leaf values and metadata values keep a loadable file; the rest not.
  EXPECT_GT(loaded, 0u);
  EXPECT_LT(loaded, good.size());
  for (size_t keep = 0; keep < good.size(); ++keep) {
    Bytes b(good.begin(), good.begin() + keep);
    EXPECT_NE(FormatError(b), "") << keep;
    if (b.size() >= 56) {  // make the cut file self-consistent so the section checks are hit
      const uint64_t size = b.size();
      std::memcpy(b.data() + 40, &size, 8);
      std::memcpy(b.data() + b.size() - 4, "TSRF", 4);
      Reseal(b);
      LoadAndScoreAnything(b, x, rows);
    }
  }
}

TEST(ForestRobustness, RandomWordsWithValidChecksum) {
  const Bytes good = ReadFile(kDir + "et_binary_nan.forest");
  const auto x = ReadArray<float>(kDir + "et_binary_nan.x32.bin", 240 * 5);
  std::mt19937_64 rng(12345);
  const uint32_t specials[] = {0u, 1u, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 5u, 200u, 65536u};
  for (int trial = 0; trial < 3000; ++trial) {
    Bytes b = good;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = (rng() % ((b.size() - 8) / 4)) * 4;
      const uint32_t v = rng() % 2 ? specials[rng() % 8] : static_cast<uint32_t>(rng());
      PutU32(b, at, v);
    }
    Reseal(b);
    LoadAndScoreAnything(b, x, 32);
  }
}

}  // namespace
