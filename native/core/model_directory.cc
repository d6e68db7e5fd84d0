// Loads a model directory: the metadata (metadata.cc), each model file read, checksummed, loaded
// and compared with it, then the ensemble. One set of steps for load (first problem thrown) and
// validate (every problem collected).
#include "ensemble/model_directory.h"

#include <sys/stat.h>

#include <algorithm>
#include <exception>
#include <type_traits>

#include "ensemble/error.h"
#include "ensemble/sha256.h"
#include "ensemble/thread_pool.h"
#include "ensemble/threads.h"

namespace ensemble::core {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// LightGBM names unnamed columns Column_0, Column_1, ...; XGBoost f0, f1, ...: such names carry
// no information.
bool AutoNames(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "Column_" + std::to_string(i) && names[i] != "f" + std::to_string(i)) {
      return false;
    }
  }
  return true;
}

class DirectoryLoader {
 public:
  DirectoryLoader(const std::string& dir, const ModelDirectoryOptions& options,
                  Problems& problems)
      : options_(options), problems_(problems) {
    out_.dir = dir;
  }

  ModelDirectory Run() {
    const std::string& dir = out_.dir;
    // Weights given as an option break the same rules as the metadata's: refused before any read.
    if (options_.weights) {
      if (const std::string p = WeightsProblem(*options_.weights, "weights"); !p.empty()) {
        problems_.Add(ErrorCode::kInvalidArgument, dir, "weights", p);
      }
    }
    if (dir.find('\0') != std::string::npos) {
      problems_.Add(ErrorCode::kInvalidArgument, dir, "",
                    "the model directory path contains a NUL byte");
      return std::move(out_);
    }
    if (!IsDir(dir)) {
      problems_.Add(ErrorCode::kModelNotFound, dir, "",
                    "model directory " + dir +
                        (Exists(dir) ? " is not a directory" : " does not exist"));
      return std::move(out_);
    }
    out_.metadata = ReadMetadata(dir, options_.max_file_bytes, problems_);
    const Metadata& meta = out_.metadata;
    if (meta.path.empty()) return std::move(out_);  // no metadata: nothing to check against
    out_.threshold = options_.threshold.value_or(meta.decision_threshold);

    // The three members load side by side (each library's parse, the import, compile and
    // self-check of one do not wait for the others'), then each member's steps are replayed in
    // order: problems are found and reported exactly as a one-by-one load would.
    Staged<LightGBMBooster> lightgbm;
    Staged<XGBoostBooster> xgboost;
    Staged<Forest> forest;
    ParallelTasks(3, ResolveThreads(Threads()), [&](size_t i) {
      if (i == 0) Stage(0, lightgbm);
      if (i == 1) Stage(1, xgboost);
      if (i == 2) Stage(2, forest);
    });
    Commit(0, lightgbm, lightgbm_);
    Commit(1, xgboost, xgboost_);
    Commit(2, forest, forest_);
    forest_part_ = std::move(forest.ensemble_part);
    if (problems_.any() || !lightgbm_ || !xgboost_ || !forest_) return std::move(out_);

    const EnsembleWeights weights = options_.weights.value_or(meta.weights);
    if (problems_.Try(dir, "", [&] {
          out_.ensemble = std::make_shared<const Ensemble>(lightgbm_, xgboost_, forest_, weights,
                                                           meta.feature_names, Threads(),
                                                           forest_part_);
        })) {
      problems_.Checked("the ensemble loads and its models fit together");
    }
    return std::move(out_);
  }

 private:
  int Threads() const { return options_.threads; }

  // The metadata's feature count, -1 when it has none. Each model is compared with it right
  // after its own load, before the next file is read.
  int ExpectedFeatures() const {
    const auto& names = out_.metadata.feature_names;
    return names.empty() ? -1 : static_cast<int>(names.size());
  }

  // The boosters compare the file's declared width with the metadata's right after its header,
  // before anything sized by it is allocated or a library sees the file.
  template <typename Model>
  std::shared_ptr<const Model> LoadModel(const std::vector<uint8_t>& bytes,
                                         const std::string& path) const {
    const core::ExpectedFeatures expected{ExpectedFeatures(), out_.metadata.path};
    if constexpr (std::is_same_v<Model, LightGBMBooster>) {
      return LightGBMBooster::Load(LoadLightGBM(options_.lightgbm),
                                   std::string(bytes.begin(), bytes.end()), path, Threads(),
                                   options_.scorer, expected);
    } else if constexpr (std::is_same_v<Model, XGBoostBooster>) {
      return XGBoostBooster::Load(LoadXGBoost(options_.xgboost), bytes, path, Threads(),
                                  options_.scorer, expected);
    } else {
      return Forest::FromBytes(bytes.data(), bytes.size(), path, Threads());
    }
  }

  static int NumFeatures(const LightGBMBooster& m) { return m.info().num_features; }
  static int NumFeatures(const XGBoostBooster& m) { return m.info().num_features; }
  static int NumFeatures(const Forest& m) { return m.num_features(); }
  static std::vector<std::string> Names(const LightGBMBooster& m) {
    return m.info().feature_names;
  }
  static std::vector<std::string> Names(const XGBoostBooster& m) {
    return m.info().feature_names;
  }
  static std::vector<std::string> Names(const Forest& m) { return m.feature_names(); }
  static std::string Format(const LightGBMBooster& m) { return m.info().format; }
  static std::string Format(const XGBoostBooster& m) { return m.info().format; }
  static std::string Format(const Forest&) { return "production-ensemble-forest"; }

  // What one member's steps gave: the file, each step's error, the model.
  template <typename Model>
  struct Staged {
    ModelFileInfo f;
    bool skipped = false;                // the metadata's entry is unusable, already a problem
    std::exception_ptr check_error;      // the forest's header check
    std::exception_ptr read_error;
    std::exception_ptr load_error;
    std::shared_ptr<const Model> model;
    std::shared_ptr<const TreeEngine> ensemble_part;  // the forest's, for the ensemble
  };

  // Member i's work, on any thread: check (forest), read (a regular file under the cap),
  // checksum, load. Touches nothing shared; a step that throws ends it.
  template <typename Model>
  void Stage(int i, Staged<Model>& s) const {
    const ModelFileEntry& entry = out_.metadata.files[i];
    if (entry.file.empty()) {
      s.skipped = true;
      return;
    }
    s.f = ModelFileInfo{kModelRoles[i], JoinPath(out_.dir, entry.file), "", entry.format};
    FileReadLimits limits;
    limits.max_bytes = options_.max_file_bytes;
    std::vector<uint8_t> bytes;
    // A forest's header fixes its size: checked before the file is read and hashed whole.
    if (i == 2) {
      try {
        Forest::CheckFile(s.f.path, limits);
      } catch (...) {
        s.check_error = std::current_exception();
        return;
      }
    }
    try {
      bytes = ReadFileBytes(s.f.path, limits);
    } catch (...) {
      s.read_error = std::current_exception();
      return;
    }
    s.f.sha256 = Sha256Hex(bytes.data(), bytes.size());
    try {
      s.model = LoadModel<Model>(bytes, s.f.path);
      // The forest's share of the ensemble's engine, compiled here while the boosters load.
      if constexpr (std::is_same_v<Model, Forest>) s.ensemble_part = Ensemble::ForestPart(*s.model);
    } catch (...) {
      s.load_error = std::current_exception();
    }
  }

  // Member i's steps replayed in order on the calling thread: each error becomes the problem it
  // would have been, the checksum is compared, the model compared with the metadata.
  template <typename Model>
  void Commit(int i, Staged<Model>& s, std::shared_ptr<const Model>& model) {
    if (s.skipped) return;
    const Metadata& meta = out_.metadata;
    const ModelFileEntry& entry = meta.files[i];
    ModelFileInfo& f = s.f;
    const auto rethrow = [](std::exception_ptr e) {
      return [e] {
        if (e) std::rethrow_exception(e);
      };
    };
    if (!problems_.Try(f.path, "", rethrow(s.check_error))) return;
    if (!problems_.Try(f.path, "", rethrow(s.read_error))) return;
    if (options_.verify_checksums && !entry.sha256.empty()) {
      if (entry.sha256 != f.sha256) {
        problems_.Add(ErrorCode::kMetadata, f.path, "model_files." + f.role + ".sha256",
                      f.path + ": sha256 is " + f.sha256 + " but " + meta.path + " says " +
                          entry.sha256 + " (the file changed after the metadata was written)");
      } else {
        problems_.Checked(f.path + ": sha256 matches");
      }
    }
    if (!problems_.Try(f.path, "", rethrow(s.load_error))) return;
    const int have = NumFeatures(*s.model);
    problems_.Checked(f.path + ": a valid " + f.role + " model with " + std::to_string(have) +
                      " features");
    if (f.format.empty()) f.format = Format(*s.model);
    out_.files.push_back(f);
    model = s.model;
    CompareFeatures(f.path, have, Names(*s.model));
  }

  void CompareFeatures(const std::string& path, int have, const std::vector<std::string>& own) {
    const Metadata& meta = out_.metadata;
    const std::vector<std::string>& names = meta.feature_names;
    if (ExpectedFeatures() < 0) return;  // the metadata has none (already a problem)
    if (have != ExpectedFeatures()) {
      problems_.Add(ErrorCode::kMetadata, path, "feature_names",
                    path + " has " + std::to_string(have) + " features but " + meta.path +
                        " lists " + std::to_string(names.size()));
      return;
    }
    if (own.empty() || AutoNames(own) || own.size() != names.size()) return;
    for (size_t k = 0; k < names.size(); ++k) {
      if (own[k] != names[k]) {
        problems_.Add(ErrorCode::kMetadata, path, "feature_names",
                      path + ": feature " + std::to_string(k) + " is named '" + own[k] +
                          "' in the model but '" + names[k] + "' in " + meta.path);
        return;
      }
    }
  }

  const ModelDirectoryOptions& options_;
  Problems& problems_;
  ModelDirectory out_;
  std::shared_ptr<const LightGBMBooster> lightgbm_;
  std::shared_ptr<const XGBoostBooster> xgboost_;
  std::shared_ptr<const Forest> forest_;
  std::shared_ptr<const TreeEngine> forest_part_;
};

}  // namespace

ModelDirectory LoadModelDirectory(const std::string& dir, const ModelDirectoryOptions& options) {
  Problems problems(Problems::Mode::kThrow);
  return DirectoryLoader(dir, options, problems).Run();
}

DirectoryReport ValidateModelDirectory(const std::string& dir,
                                       const ModelDirectoryOptions& options) {
  Problems problems(Problems::Mode::kCollect);
  ModelDirectory d = DirectoryLoader(dir, options, problems).Run();
  DirectoryReport report;
  report.dir = dir;
  report.metadata_path = d.metadata.path;
  report.problems = problems.list();
  report.checked = problems.checked();
  return report;
}

}  // namespace ensemble::core
