// Finds and dlopens lib_lightgbm / libxgboost, fills the API tables, reads their versions.
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "ensemble/error.h"
#include "ensemble/native_libraries.h"

namespace ensemble::core {
namespace {

#if defined(__APPLE__)
constexpr const char* kLightGBMFile = "lib_lightgbm.dylib";
constexpr const char* kXGBoostFile = "libxgboost.dylib";
#else
constexpr const char* kLightGBMFile = "lib_lightgbm.so";
constexpr const char* kXGBoostFile = "libxgboost.so";
#endif

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string DirName(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!in || !std::getline(in, s)) return "";
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// XGBoost's wheel ships its own OpenMP runtime (libgomp-<hash>.so.1.0.0) that libxgboost.so finds
// through RPATH $ORIGIN/../../xgboost_cpu.libs. We keep the two files side by side instead, so
// we open the runtime by full path first: the dynamic linker then satisfies libxgboost's
// DT_NEEDED entry by soname from the already loaded copy.
void PreloadBundledOpenMP(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("libgomp-", 0) == 0 && name.find(".so") != std::string::npos) {
      ::dlopen((dir + "/" + name).c_str(), RTLD_NOW | RTLD_LOCAL);
    }
  }
  ::closedir(d);
}

struct Candidate {
  std::string path;    // what to dlopen
  std::string origin;  // how it was found, for the error message
  bool required;       // an explicit choice: failing it is final, no fallback
};

std::vector<Candidate> Candidates(const LibrarySearch& search, const char* env_var,
                                  const char* file) {
  std::vector<Candidate> out;
  if (!search.explicit_path.empty()) {
    out.push_back({search.explicit_path, "the path given in the options (" + search.explicit_path + ")", true});
    return out;
  }
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') {
    out.push_back({env, std::string(env_var) + "=" + env, true});
    return out;
  }
  for (const auto& dir : search.dirs) {
    if (!dir.empty()) out.push_back({dir + "/" + file, dir + "/" + file, false});
  }
  out.push_back({file, std::string(file) + " on the system's library path", false});
  return out;
}

// LightGBM's and XGBoost's OpenMP workers spin after every parallel region when OMP_WAIT_POLICY
// is unset (libgomp's default), competing with the engine's threads and the caller's for the
// cores: on 2 busy cores a load took ~2x as long (docs/threads.md). libgomp reads the policy once,
// when it is loaded, so it is set before the first dlopen, once, under g_mutex; a value the user
// set is kept (setenv's overwrite 0).
void PreferPassiveOpenMP() {
  static std::once_flag once;
  std::call_once(once, [] { ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0); });
}

// Opens the first candidate that loads; throws kLibraryLoad listing every attempt.
std::pair<void*, std::string> OpenFirst(const std::vector<Candidate>& candidates,
                                        const char* display_name, const std::string& how_to_get,
                                        bool preload_openmp) {
  PreferPassiveOpenMP();
  std::ostringstream tried;
  for (const auto& c : candidates) {
    const bool bare = c.path.find('/') == std::string::npos;
    if (!bare && !FileExists(c.path)) {
      tried << "\n  - " << c.origin << ": file not found";
      if (c.required) break;
      continue;
    }
    if (!bare && preload_openmp) PreloadBundledOpenMP(DirName(c.path));
    ::dlerror();
    void* handle = ::dlopen(c.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) return {handle, c.path};
    const char* err = ::dlerror();
    tried << "\n  - " << c.origin << ": " << (err ? err : "dlopen failed");
    if (c.required) break;
  }
  throw Error(ErrorCode::kLibraryLoad, std::string("could not load the ") + display_name +
                                           " library. Searched:" + tried.str() + "\n" +
                                           how_to_get);
}

template <typename Fn>
void Bind(void* handle, const std::string& path, const char* symbol, Fn& slot) {
  void* sym = ::dlsym(handle, symbol);
  if (sym == nullptr) {
    throw Error(ErrorCode::kLibraryLoad,
                path + " does not export " + symbol + ": is it a supported version?");
  }
  slot = reinterpret_cast<Fn>(sym);
}

std::mutex g_mutex;
std::map<std::string, std::unique_ptr<LightGBMApi>> g_lightgbm;
std::map<std::string, std::unique_ptr<XGBoostApi>> g_xgboost;

const char* kLightGBMHowTo =
    "To get it: run `npm run libs` in the production-ensemble package (it downloads the official "
    "lightgbm wheel from PyPI with pip and extracts lib_lightgbm.so into native/lib/), or set "
    "LIGHTGBM_LIB to an existing lib_lightgbm.so (e.g. <site-packages>/lightgbm/lib/"
    "lib_lightgbm.so after `pip install lightgbm`). lib_lightgbm.so needs the system's OpenMP "
    "runtime libgomp.so.1 (Debian/Ubuntu: apt-get install libgomp1).";
const char* kXGBoostHowTo =
    "To get it: run `npm run libs` in the production-ensemble package (it downloads the official "
    "xgboost-cpu wheel from PyPI with pip and extracts libxgboost.so and its OpenMP runtime into "
    "native/lib/), or set XGBOOST_LIB to an existing libxgboost.so (e.g. <site-packages>/xgboost/"
    "lib/libxgboost.so after `pip install xgboost-cpu`).";

}  // namespace

const LightGBMApi& LoadLightGBM(const LibrarySearch& search) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto [handle, path] =
      OpenFirst(Candidates(search, "LIGHTGBM_LIB", kLightGBMFile), "LightGBM", kLightGBMHowTo,
                false);
  auto& slot = g_lightgbm[path];
  if (slot) return *slot;
  auto api = std::make_unique<LightGBMApi>();
  api->library.path = path;
  Bind(handle, path, "LGBM_GetLastError", api->GetLastError);
  Bind(handle, path, "LGBM_BoosterLoadModelFromString", api->BoosterLoadModelFromString);
  Bind(handle, path, "LGBM_BoosterFree", api->BoosterFree);
  Bind(handle, path, "LGBM_BoosterGetNumClasses", api->BoosterGetNumClasses);
  Bind(handle, path, "LGBM_BoosterGetNumFeature", api->BoosterGetNumFeature);
  Bind(handle, path, "LGBM_BoosterPredictForMat", api->BoosterPredictForMat);
  Bind(handle, path, "LGBM_BoosterPredictForMatSingleRowFastInit",
       api->BoosterPredictForMatSingleRowFastInit);
  Bind(handle, path, "LGBM_BoosterPredictForMatSingleRowFast",
       api->BoosterPredictForMatSingleRowFast);
  Bind(handle, path, "LGBM_FastConfigFree", api->FastConfigFree);
  // LightGBM's C API has no version call: `npm run libs` writes <lib>.version beside the file,
  // and a pip install keeps lightgbm/VERSION.txt one level up from lib/.
  std::string version = ReadTrimmed(path + ".version");
  if (version.empty() && path.find('/') != std::string::npos) {
    version = ReadTrimmed(DirName(DirName(path)) + "/VERSION.txt");
  }
  api->library.version = version.empty() ? "unknown" : version;
  slot = std::move(api);
  return *slot;
}

const XGBoostApi& LoadXGBoost(const LibrarySearch& search) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto [handle, path] = OpenFirst(Candidates(search, "XGBOOST_LIB", kXGBoostFile), "XGBoost",
                                  kXGBoostHowTo, true);
  auto& slot = g_xgboost[path];
  if (slot) return *slot;
  auto api = std::make_unique<XGBoostApi>();
  api->library.path = path;
  Bind(handle, path, "XGBGetLastError", api->GetLastError);
  Bind(handle, path, "XGBoostVersion", api->Version);
  Bind(handle, path, "XGBoosterCreate", api->BoosterCreate);
  Bind(handle, path, "XGBoosterFree", api->BoosterFree);
  Bind(handle, path, "XGBoosterLoadModelFromBuffer", api->BoosterLoadModelFromBuffer);
  Bind(handle, path, "XGBoosterSetParam", api->BoosterSetParam);
  Bind(handle, path, "XGBoosterGetNumFeature", api->BoosterGetNumFeature);
  Bind(handle, path, "XGBoosterPredictFromDense", api->BoosterPredictFromDense);
  int major = 0, minor = 0, patch = 0;
  api->Version(&major, &minor, &patch);
  api->library.version =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  slot = std::move(api);
  return *slot;
}

}  // namespace ensemble::core
