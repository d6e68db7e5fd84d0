// The async scoring worker: Execute only calls the core; OnOK / OnError settle the promise.
#include "predict_worker.h"

#include "ensemble/error.h"
#include "errors.h"

namespace ensemble::addon {

PredictWorker::PredictWorker(Napi::Env env, std::function<void()> job,
                             const std::vector<Napi::Value>& keep_alive)
    : Napi::AsyncWorker(env, "production-ensemble:predict"),
      deferred_(Napi::Promise::Deferred::New(env)),
      job_(std::move(job)) {
  for (const auto& v : keep_alive) {
    if (v.IsObject()) keep_alive_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
}

void PredictWorker::Execute() {
  try {
    job_();
  } catch (const core::Error& e) {
    code_ = core::CodeName(e.code());
    message_ = e.what();
    SetError(message_);
  } catch (const std::exception& e) {
    message_ = e.what();
    SetError(message_);
  }
}

void PredictWorker::OnOK() { deferred_.Resolve(Env().Undefined()); }

void PredictWorker::OnError(const Napi::Error&) {
  deferred_.Reject(MakeError(Env(), code_.c_str(), message_).Value());
}

}  // namespace ensemble::addon
