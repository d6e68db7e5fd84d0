// Builds JS errors through the factory that src/errors.ts hands over at start-up, so native code
// throws the same classes (with a stable `code`) as the TypeScript layer.
#include "errors.h"

#include <exception>
#include <new>

#include "addon_data.h"

namespace ensemble::addon {

core::Error CurrentError() {
  try {
    throw;
  } catch (const core::Error& e) {
    return e;
  } catch (const std::bad_alloc&) {
    return core::Error(core::ErrorCode::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    return core::Error(core::ErrorCode::kInternal, e.what());
  } catch (...) {
    return core::Error(core::ErrorCode::kInternal, "an exception that is not a std::exception");
  }
}

Napi::Error MakeError(Napi::Env env, core::ErrorCode code, const std::string& message) {
  const char* name = core::CodeName(code);
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_factory.IsEmpty()) {
    // Constructing the error can itself throw (e.g. out of memory): fall back to a plain Error.
    try {
      Napi::Value value = data->error_factory.Call(
          {Napi::String::New(env, name), Napi::String::New(env, message)});
      if (value.IsObject()) return Napi::Error(env, value);
    } catch (const Napi::Error&) {
    }
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, name));
  return err;
}

}  // namespace ensemble::addon
