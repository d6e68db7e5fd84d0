// Builds JS errors through the factory that src/errors.ts hands over at start-up, so native code
// throws the same classes (with a stable `code`) as the TypeScript layer.
#include "errors.h"

#include "addon_data.h"

namespace ensemble::addon {

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr || data->error_factory.IsEmpty()) {
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, code));
    return err;
  }
  // Constructing the error can itself throw (e.g. out of memory): fall back to a plain Error.
  try {
    Napi::Value value = data->error_factory.Call(
        {Napi::String::New(env, code), Napi::String::New(env, message)});
    if (value.IsObject()) return Napi::Error(env, value);
  } catch (const Napi::Error&) {
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

}  // namespace ensemble::addon
