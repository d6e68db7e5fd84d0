// The floor of the C++ benchmark suite: LightGBM's and XGBoost's own C APIs called directly,
// through the package's dlopen tables, used at their fastest (see docs/cpp-api.md).
#pragma once

#include <dlfcn.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ensemble/file_io.h"
#include "ensemble/native_libraries.h"

namespace bench {

namespace core = ensemble::core;

constexpr size_t kFeatures = 12;      // columns of test/fixtures/production/inputs.f64
constexpr int kLgbPredictNormal = 0;  // C_API_PREDICT_NORMAL
constexpr int kLgbFloat64 = 1;        // C_API_DTYPE_FLOAT64

/// Prints the reason and exits: a benchmark that cannot run as specified must not report numbers.
[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "ensemble_bench: %s\n", message.c_str());
  std::exit(2);
}

// LightGBM as its C API is used at its fastest: SingleRowFast with one FastConfig made once
// (predict_type C_API_PREDICT_NORMAL, num_threads=1) for a row, PredictForMat for batches.
// A FastConfig is not thread-safe; the suite calls it from one thread.
class LightGBMFloor {
 public:
  LightGBMFloor(const core::LightGBMApi& api, const std::string& path) : api_(api) {
    const std::vector<uint8_t> bytes = core::ReadFileBytes(path);
    const std::string text(bytes.begin(), bytes.end());
    int iterations = 0;
    Check(api_.BoosterLoadModelFromString(text.c_str(), &iterations, &handle_), "load");
    Check(api_.BoosterPredictForMatSingleRowFastInit(handle_, kLgbPredictNormal, 0, -1,
                                                     kLgbFloat64, kFeatures, "num_threads=1",
                                                     &fast_),
          "single-row init");
  }
  ~LightGBMFloor() {
    api_.FastConfigFree(fast_);
    api_.BoosterFree(handle_);
  }
  LightGBMFloor(const LightGBMFloor&) = delete;
  LightGBMFloor& operator=(const LightGBMFloor&) = delete;

  double One(const double* row) const {
    int64_t len = 0;
    double out = 0;
    Check(api_.BoosterPredictForMatSingleRowFast(fast_, row, &len, &out), "single row");
    return out;
  }

  void Batch(const double* x, size_t rows, double* out, int threads) const {
    char params[32];
    std::snprintf(params, sizeof params, "num_threads=%d", threads);
    int64_t len = 0;
    Check(api_.BoosterPredictForMat(handle_, x, kLgbFloat64, static_cast<int32_t>(rows),
                                    kFeatures, 1, kLgbPredictNormal, 0, -1, params, &len, out),
          "batch");
  }

 private:
  void Check(int rc, const char* what) const {
    if (rc != 0) Die(std::string("LightGBM ") + what + ": " + api_.GetLastError());
  }
  const core::LightGBMApi& api_;
  void* handle_ = nullptr;
  void* fast_ = nullptr;
};

// XGBoost's in-place dense predict (no DMatrix), on a booster with nthread=1 for rows and one with
// nthread=N for batches: nthread is a booster parameter, not a call argument. The config asks for
// the plain prediction (type 0), no training mode, all trees, no strict shape, NaN = missing, no
// cache. OneProxy() also passes a proxy DMatrix made once, which the call otherwise allocates each
// time; XGProxyDMatrixCreate and XGDMatrixFree are not in the package's table, so they are looked
// up in the library the table already loaded (RTLD_NOLOAD: the very same copy).
class XGBoostFloor {
 public:
  XGBoostFloor(const core::XGBoostApi& api, const std::string& path, int threads) : api_(api) {
    const std::vector<uint8_t> bytes = core::ReadFileBytes(path);
    one_ = Open(bytes, 1);
    all_ = threads > 1 ? Open(bytes, threads) : one_;
    lib_ = ::dlopen(api_.library.path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (lib_ == nullptr) Die("cannot reopen " + api_.library.path);
    using ProxyCreate = int (*)(void**);
    auto create = reinterpret_cast<ProxyCreate>(::dlsym(lib_, "XGProxyDMatrixCreate"));
    free_dmatrix_ = reinterpret_cast<int (*)(void*)>(::dlsym(lib_, "XGDMatrixFree"));
    if (create == nullptr || free_dmatrix_ == nullptr) Die(api_.library.path + ": no XGProxyDMatrixCreate");
    Check(create(&proxy_), "proxy");
  }
  ~XGBoostFloor() {
    free_dmatrix_(proxy_);
    if (all_ != one_) api_.BoosterFree(all_);
    api_.BoosterFree(one_);
    ::dlclose(lib_);
  }
  XGBoostFloor(const XGBoostFloor&) = delete;
  XGBoostFloor& operator=(const XGBoostFloor&) = delete;

  double One(const double* row) const { return *Run(one_, row, 1, nullptr); }
  double OneProxy(const double* row) const { return *Run(one_, row, 1, proxy_); }

  void Batch(const double* x, size_t rows, double* out, int threads) const {
    const float* p = Run(threads > 1 ? all_ : one_, x, rows, nullptr);
    // The result lives in a per-thread buffer of the booster: a caller must copy it out.
    for (size_t i = 0; i < rows; ++i) out[i] = p[i];
  }

 private:
  void* Open(const std::vector<uint8_t>& bytes, int threads) {
    void* h = nullptr;
    Check(api_.BoosterCreate(nullptr, 0, &h), "create");
    Check(api_.BoosterLoadModelFromBuffer(h, bytes.data(), bytes.size()), "load");
    Check(api_.BoosterSetParam(h, "nthread", std::to_string(threads).c_str()), "nthread");
    return h;
  }
  const float* Run(void* h, const double* x, size_t rows, void* proxy) const {
    static const char kConfig[] =
        "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
        "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
    char array_interface[160];
    std::snprintf(array_interface, sizeof array_interface,
                  "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"<f8\","
                  "\"version\":3}",
                  reinterpret_cast<uintptr_t>(x), rows, kFeatures);
    const uint64_t* shape = nullptr;
    uint64_t dims = 0;
    const float* result = nullptr;
    Check(api_.BoosterPredictFromDense(h, array_interface, kConfig, proxy, &shape, &dims, &result),
          "predict");
    return result;
  }
  void Check(int rc, const char* what) const {
    if (rc != 0) Die(std::string("XGBoost ") + what + ": " + api_.GetLastError());
  }
  const core::XGBoostApi& api_;
  void* one_ = nullptr;
  void* all_ = nullptr;
  void* lib_ = nullptr;
  void* proxy_ = nullptr;
  int (*free_dmatrix_)(void*) = nullptr;
};

}  // namespace bench
