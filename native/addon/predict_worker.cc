// The async scoring worker: the input copied at call time, the job on the pool, the outputs
// copied back on the JS thread.
#include "predict_worker.h"

#include <cstring>
#include <string>

#include "convert.h"
#include "errors.h"

namespace ensemble::addon {

namespace {

size_t ElementBytes(core::DType t) { return t == core::DType::kFloat32 ? 4 : 8; }

// Copies `count` values from the native buffer into the JS array, which must still hold them.
void CopyOut(const Napi::ObjectReference& ref, const double* from, size_t count, const char* what) {
  if (count == 0) return;
  Napi::Env env = ref.Env();
  const TypedView to = ViewOf(ref.Value());
  if (to.type != napi_float64_array || to.length < count) {
    throw MakeError(env, core::ErrorCode::kInternal,
                    std::string("the ") + what + " array was detached or shrunk while scoring");
  }
  std::memcpy(to.data, from, count * sizeof(double));
}

}  // namespace

PredictWorker::PredictWorker(Napi::Env env, Job job, const core::DenseMatrix& x,
                             const Napi::Value& out, size_t out_length, const Napi::Value& parts,
                             size_t parts_length)
    : PromiseWorker(env, "production-ensemble:predict"),
      job_(std::move(job)),
      x_(x),
      out_length_(out_length),
      parts_length_(parts.IsObject() ? parts_length : 0) {
  const size_t bytes = x.rows * x.cols * ElementBytes(x.dtype);
  input_.reset(new double[(bytes + sizeof(double) - 1) / sizeof(double)]);
  if (bytes != 0) std::memcpy(input_.get(), x.data, bytes);
  x_.data = input_.get();
  out_.reset(new double[out_length_]);
  out_ref_ = Napi::Persistent(out.As<Napi::Object>());
  if (parts_length_ != 0) {
    parts_.reset(new double[parts_length_]);
    parts_ref_ = Napi::Persistent(parts.As<Napi::Object>());
  }
}

void PredictWorker::Run() { job_(x_, out_.get(), parts_.get()); }

Napi::Value PredictWorker::Result(Napi::Env env) {
  CopyOut(out_ref_, out_.get(), out_length_, "output");
  if (parts_length_ != 0) CopyOut(parts_ref_, parts_.get(), parts_length_, "parts");
  return env.Undefined();
}

}  // namespace ensemble::addon
