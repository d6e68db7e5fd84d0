// Replays every input fuzzing found a problem with (test/fuzz/regressions/<target>/, one file
// each, named after what went wrong) through the same fuzz targets: each must now be handled,
// accepted or refused with a coded error. scripts/sanitize.mjs runs them under ASan + UBSan.
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.h"

namespace {

const std::string kRegressions = std::string(ENSEMBLE_SOURCE_DIR) + "/test/fuzz/regressions/";

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Replay(const std::string& target, void (*run)(const uint8_t*, size_t)) {
  for (const std::string& file : Files(kRegressions + target)) {
    SCOPED_TRACE(file);
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

TEST(FuzzRegressions, LightGBMText) { Replay("lightgbm_text", ensemble::fuzz::LightGBMText); }
TEST(FuzzRegressions, XGBoostModel) { Replay("xgboost_model", ensemble::fuzz::XGBoostModel); }
TEST(FuzzRegressions, ForestFile) { Replay("forest", ensemble::fuzz::ForestFile); }
TEST(FuzzRegressions, Metadata) { Replay("metadata", ensemble::fuzz::Metadata); }

}  // namespace
