// Runs one scoring job on the libuv thread pool and settles a promise. The input is copied when
// the call is made and the outputs are written to native buffers, copied into the caller's
// arrays on the JS thread: JS may detach, shrink or refill any of its buffers while the job runs
// (N-API has no way to pin an ArrayBuffer), and the job never sees it.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

#include "ensemble/matrix.h"
#include "promise_worker.h"

namespace ensemble::addon {

class PredictWorker : public PromiseWorker {
 public:
  /// Scores `x` into `out` (and `parts`, null when not asked for), on a pool thread.
  using Job = std::function<void(const core::DenseMatrix& x, double* out, double* parts)>;

  /// Copies `x` now. `out` / `parts` (a Float64Array, or undefined for no parts) receive
  /// `out_length` / `parts_length` values when the job has succeeded; the worker keeps them
  /// referenced until then.
  PredictWorker(Napi::Env env, Job job, const core::DenseMatrix& x, const Napi::Value& out,
                size_t out_length, const Napi::Value& parts, size_t parts_length);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  Job job_;
  std::unique_ptr<double[]> input_;  // doubles for alignment; holds float32 rows as well
  core::DenseMatrix x_;              // x's shape over input_
  std::unique_ptr<double[]> out_;
  std::unique_ptr<double[]> parts_;
  size_t out_length_;
  size_t parts_length_;
  Napi::ObjectReference out_ref_;
  Napi::ObjectReference parts_ref_;
};

}  // namespace ensemble::addon
