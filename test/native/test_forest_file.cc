// Forest files are checked from their first 48 bytes, their size and their end magic before they
// are read: a 2 GB file whose header does not account for its size is refused at once, and a FIFO
// or device is not a model file (issue 9, item 9). Leaf values must be class fractions.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "ensemble/crc32.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"

using ensemble::core::Error;
using ensemble::core::ErrorCode;
using ensemble::core::Forest;

namespace {

using Bytes = std::vector<uint8_t>;

const std::string kForest = std::string(ENSEMBLE_SOURCE_DIR) + "/models/production/random_forest.forest";
constexpr uint64_t kTwoGiB = uint64_t{2} << 30;

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A scratch directory removed with its files.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/pe-forest-file-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~Scratch() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Write(const std::string& name, const Bytes& bytes) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The error of `fn` ("" if none) and how long it took.
std::string ErrorOf(const std::function<void()>& fn, ErrorCode* code, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  std::string what;
  try {
    fn();
  } catch (const Error& e) {
    what = e.what();
    *code = e.code();
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return what;
}

void SetU64(Bytes* b, size_t at, uint64_t v) { std::memcpy(b->data() + at, &v, 8); }

TEST(ForestFile, AGoodFilePassesTheCheapChecks) {
  const Bytes good = ReadAll(kForest);
  ASSERT_GT(good.size(), 56u);
  Forest::CheckHead(good.data(), 48, good.size(), "rf");
  Forest::CheckFile(kForest);
  EXPECT_EQ(Forest::FromFile(kForest)->num_trees(), Forest::FromBytes(good.data(), good.size(), "rf")->num_trees());
}

TEST(ForestFile, TheHeaderMustAccountForTheFileSize) {
  const Bytes good = ReadAll(kForest);
  ErrorCode code{};
  double seconds = 0;
  // A file grown to 2 GB: the header's file_size no longer matches.
  EXPECT_EQ(ErrorOf([&] { Forest::CheckHead(good.data(), 48, kTwoGiB, "rf"); }, &code, &seconds),
            "rf: " + std::to_string(kTwoGiB) + " bytes, but the header says " +
                std::to_string(good.size()) + " (trailing data)");
  EXPECT_EQ(code, ErrorCode::kModelFormat);
  // A header that claims the 2 GB: its counts leave ~2 GB of "metadata records".
  Bytes head(good.begin(), good.begin() + 48);
  SetU64(&head, 40, kTwoGiB);
  const std::string msg =
      ErrorOf([&] { Forest::CheckHead(head.data(), 48, kTwoGiB, "rf"); }, &code, &seconds);
  EXPECT_NE(msg.find("rf: inconsistent: the header's counts ("), std::string::npos) << msg;
  EXPECT_NE(msg.find("bytes of metadata records in the 2147483648 bytes of the file (at most "
                     "67108864)"),
            std::string::npos)
      << msg;
  // FromBytes applies the same rule to bytes in memory, before the checksum.
  Bytes padded = good;
  padded.resize(good.size() + (uint64_t{65} << 20));
  SetU64(&padded, 40, padded.size());
  std::memcpy(padded.data() + padded.size() - 4, "TSRF", 4);
  const uint32_t crc = ensemble::core::Crc32(padded.data(), padded.size() - 8);
  std::memcpy(padded.data() + padded.size() - 8, &crc, 4);
  EXPECT_NE(ErrorOf([&] { Forest::FromBytes(padded.data(), padded.size(), "rf"); }, &code, &seconds)
                .find("bytes of metadata records"),
            std::string::npos);
}

TEST(ForestFile, ASparseTwoGigabyteFileIsRefusedUnread) {
  const Scratch scratch;
  Bytes good = ReadAll(kForest);
  ErrorCode code{};
  double seconds = 0;
  // The real file extended with a hole, and one whose header and end magic claim the 2 GB.
  const std::string grown = scratch.Write("grown.forest", good);
  ASSERT_EQ(::truncate(grown.c_str(), static_cast<off_t>(kTwoGiB)), 0);
  SetU64(&good, 40, kTwoGiB);
  const std::string claimed = scratch.Write("claimed.forest", good);
  ASSERT_EQ(::truncate(claimed.c_str(), static_cast<off_t>(kTwoGiB)), 0);
  {
    std::fstream f(claimed, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(kTwoGiB - 4));
    f.write("TSRF", 4);
  }
  // Under a cap that admits 2 GB, the header's counts refuse both; under the default cap (1 GiB)
  // the size does. Either way nothing is read.
  ensemble::core::FileReadLimits big;
  big.max_bytes = uint64_t{4} << 30;
  for (const std::string& path : {grown, claimed}) {
    for (const auto& load : std::vector<std::function<void()>>{
             [&] { Forest::CheckFile(path, big); }, [&] { Forest::CheckFile(path); },
             [&] { Forest::FromFile(path); }}) {
      const std::string msg = ErrorOf(load, &code, &seconds);
      EXPECT_EQ(code, ErrorCode::kModelFormat) << msg;
      EXPECT_TRUE(msg.rfind(path + ": ", 0) == 0 ||
                  msg.find("more than the limit of 1073741824") != std::string::npos)
          << msg;
      EXPECT_LT(seconds, 0.1) << path;  // reading and checksumming 2 GB takes seconds
    }
    const std::string msg = ErrorOf([&] { Forest::CheckFile(path, big); }, &code, &seconds);
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << "the header check, not the cap: " << msg;
  }
}

// Leaf values are the class fractions predict_proba returns for the leaf; anything else would be
// averaged into "probabilities" outside [0, 1] (issue 9, item 18).
TEST(ForestFile, LeafValuesMustBeClassFractions) {
  const Bytes good = ReadAll(kForest);
  const auto forest = Forest::FromBytes(good.data(), good.size(), "rf");
  uint32_t n_trees = 0, n_nodes = 0, n_classes = 0;
  std::memcpy(&n_classes, good.data() + 20, 4);
  std::memcpy(&n_trees, good.data() + 24, 4);
  std::memcpy(&n_nodes, good.data() + 28, 4);
  const size_t leaves = (48 + 4 * (size_t{n_trees} + 1) + 7) / 8 * 8 + 24 * size_t{n_nodes};
  ErrorCode code{};
  double seconds = 0;
  for (const double v : {1.5, -0.25, std::nan(""), 1e300}) {
    Bytes b = good;
    std::memcpy(b.data() + leaves + 8 * 3, &v, 8);  // leaf row 1, class 1 of a binary forest
    const uint32_t crc = ensemble::core::Crc32(b.data(), b.size() - 8);
    std::memcpy(b.data() + b.size() - 8, &crc, 4);
    const std::string msg =
        ErrorOf([&] { Forest::FromBytes(b.data(), b.size(), "rf"); }, &code, &seconds);
    EXPECT_EQ(code, ErrorCode::kModelFormat);
    EXPECT_NE(msg.find("rf: leaf value row 1, class 1 is "), std::string::npos) << msg;
    EXPECT_NE(msg.find(", not a class fraction in [0, 1]"), std::string::npos) << msg;
  }
  ASSERT_EQ(n_classes, 2u);
  EXPECT_EQ(forest->num_classes(), 2);
}

TEST(ForestFile, OnlyRegularFilesAreRead) {
  const Scratch scratch;
  const std::string fifo = scratch.dir() + "/fifo.forest";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ErrorCode code{};
  double seconds = 0;
  for (const std::string& path : {fifo, std::string("/dev/zero"), scratch.dir()}) {
    const std::string msg = ErrorOf([&] { Forest::FromFile(path); }, &code, &seconds);
    EXPECT_EQ(code, ErrorCode::kModelNotFound) << msg;
    EXPECT_EQ(msg.rfind("cannot read model file " + path + ": ", 0), 0u) << msg;
  }
}

}  // namespace
