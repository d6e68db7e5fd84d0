// Runs one scoring job on the libuv thread pool and settles a promise. The job's closure holds
// shared_ptrs to the models, and the worker holds references to the input and output arrays,
// so neither close() nor the garbage collector can free them while it runs.
#pragma once

#include <napi.h>

#include <functional>
#include <string>
#include <vector>

namespace ensemble::addon {

class PredictWorker : public Napi::AsyncWorker {
 public:
  /// `job` runs off the event loop; `keep_alive` values stay referenced until it settles.
  PredictWorker(Napi::Env env, std::function<void()> job, const std::vector<Napi::Value>& keep_alive);
  /// The promise the worker resolves (undefined) or rejects (the matching JS error class).
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> job_;
  std::vector<Napi::ObjectReference> keep_alive_;
  std::string code_ = "ERR_INTERNAL";
  std::string message_;
};

}  // namespace ensemble::addon
