// PromiseWorker: error capture on the pool thread, and a completion that never throws.
#include "promise_worker.h"

#include "ensemble/error.h"
#include "errors.h"

namespace ensemble::addon {

PromiseWorker::PromiseWorker(Napi::Env env, const char* resource_name)
    : Napi::AsyncWorker(env, resource_name), deferred_(Napi::Promise::Deferred::New(env)) {}

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (...) {
    failure_.emplace(CurrentError());
  }
}

void PromiseWorker::Settle(Napi::Env env) {
  if (failure_) {
    deferred_.Reject(MakeError(env, *failure_).Value());
    return;
  }
  Napi::Value value;
  try {
    value = Result(env);
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
    return;
  } catch (...) {
    deferred_.Reject(MakeError(env, CurrentError()).Value());
    return;
  }
  deferred_.Resolve(value);
}

void PromiseWorker::OnWorkComplete(Napi::Env env, napi_status status) {
  if (status != napi_cancelled) {
    try {
      Napi::HandleScope scope(env);
      Settle(env);
    } catch (...) {
      // Only reached when N-API refuses to create, resolve or reject values, which happens once
      // the environment is shutting down: no JS is left to observe the promise, and the job's
      // own memory is released below either way.
    }
  }
  Destroy();
}

}  // namespace ensemble::addon
