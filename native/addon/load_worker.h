// Model loading (file I/O, parsing, validation, the libraries' own load) as a promise that
// settles off the event loop, or inline for the *Sync variants.
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "ensemble/error.h"
#include "ensemble/memory.h"
#include "errors.h"

namespace ensemble::addon {

template <typename T>
class LoadWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<T()>;
  using Build = std::function<Napi::Value(Napi::Env, T&)>;

  LoadWorker(Napi::Env env, Job job, Build build)
      : Napi::AsyncWorker(env, "production-ensemble:load"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)),
        build_(std::move(build)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = job_();
    } catch (const core::Error& e) {
      code_ = core::CodeName(e.code());
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
    core::ReleaseFreedMemory();  // the load's parsed documents and file bytes are freed by now
  }
  void OnOK() override {
    try {
      deferred_.Resolve(build_(Env(), result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(MakeError(Env(), code_.c_str(), e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Job job_;
  Build build_;
  T result_{};
  std::string code_ = "ERR_INTERNAL";
};

/// Runs `job` then `build`: on the thread pool returning a promise when `async`, else inline
/// returning the built value (core errors become JS errors).
template <typename T>
Napi::Value RunLoad(Napi::Env env, bool async, typename LoadWorker<T>::Job job,
                    typename LoadWorker<T>::Build build) {
  if (async) {
    auto* worker = new LoadWorker<T>(env, std::move(job), std::move(build));
    worker->Queue();
    return worker->Promise();
  }
  T result = Guard(env, [&] {
    T r = job();
    core::ReleaseFreedMemory();
    return r;
  });
  return build(env, result);
}

}  // namespace ensemble::addon
