// Model loading (file I/O, parsing, validation, the libraries' own load) as a promise that
// settles off the event loop, or inline for the *Sync variants.
#pragma once

#include <napi.h>

#include <functional>

#include "ensemble/memory.h"
#include "errors.h"
#include "promise_worker.h"

namespace ensemble::addon {

template <typename T>
class LoadWorker : public PromiseWorker {
 public:
  using Job = std::function<T()>;
  using Build = std::function<Napi::Value(Napi::Env, T&)>;

  LoadWorker(Napi::Env env, Job job, Build build)
      : PromiseWorker(env, "production-ensemble:load"),
        job_(std::move(job)),
        build_(std::move(build)) {}

 protected:
  void Run() override {
    // The load's parsed documents and file bytes are freed by the time this returns: hand the
    // memory back to the system now (ensemble/memory.h).
    struct Trim {
      ~Trim() { core::ReleaseFreedMemory(); }
    } trim;
    result_ = job_();
  }
  Napi::Value Result(Napi::Env env) override { return build_(env, result_); }

 private:
  Job job_;
  Build build_;
  T result_{};
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
