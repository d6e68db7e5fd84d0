// Turns core errors into the JS error classes of src/errors.ts (one conversion, used everywhere).
#pragma once

#include <napi.h>

#include "ensemble/error.h"

namespace ensemble::addon {

/// A JS error of the class that matches `code`, built by the factory src/errors.ts registered.
Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message);

/// Same, from a core error.
inline Napi::Error MakeError(Napi::Env env, const core::Error& e) {
  return MakeError(env, core::CodeName(e.code()), e.what());
}

/// Runs `fn`, converting a core::Error or std::exception into the matching JS exception.
template <typename Fn>
auto Guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const core::Error& e) {
    throw MakeError(env, e);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw MakeError(env, "ERR_OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    throw MakeError(env, "ERR_INTERNAL", e.what());
  }
}

}  // namespace ensemble::addon
