// The base of the addon's async work (scoring, loading): a job on the libuv pool that settles a
// promise, written so that no exception can escape its completion while the environment is torn
// down (worker.terminate(), process.exit() in a worker), which would abort the whole process.
#pragma once

#include <napi.h>

#include <optional>

#include "ensemble/error.h"

namespace ensemble::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  /// The promise this worker settles.
  Napi::Promise Promise() const { return deferred_.Promise(); }

  /// Settles the promise, then deletes the worker. node-addon-api's own version rethrows when
  /// N-API refuses a call (as it does once the environment can no longer run JS), and an
  /// exception leaving a completion callback calls std::terminate.
  void OnWorkComplete(Napi::Env env, napi_status status) final;

 protected:
  PromiseWorker(Napi::Env env, const char* resource_name);

  /// The job, on a pool thread. An exception rejects the promise with the error CurrentError
  /// makes of it (errors.h).
  virtual void Run() = 0;

  /// On the JS thread once Run succeeded: the value to resolve with. A thrown Napi::Error
  /// rejects with that error.
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() final;
  void Settle(Napi::Env env);

  Napi::Promise::Deferred deferred_;
  std::optional<core::Error> failure_;  ///< what Run threw, if it threw
};

}  // namespace ensemble::addon
