// Turns core errors into the JS error classes of src/errors.ts: CurrentError is the one place an
// exception becomes a code; MakeError the one place a code becomes a JS error.
#pragma once

#include <napi.h>

#include <string>

#include "ensemble/error.h"

namespace ensemble::addon {

/// A JS error of the class that owns `code`, built by the factory src/errors.ts registered.
Napi::Error MakeError(Napi::Env env, core::ErrorCode code, const std::string& message);

/// Same, from a core error.
inline Napi::Error MakeError(Napi::Env env, const core::Error& e) {
  return MakeError(env, e.code(), e.what());
}

/// The exception being handled, as a core error: a core::Error as it is, std::bad_alloc as
/// kOutOfMemory, anything else as kInternal with its message. Call only inside a catch block.
core::Error CurrentError();

/// Runs `fn`, converting any exception but a JS one (Napi::Error) into the matching JS error.
template <typename Fn>
auto Guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw MakeError(env, CurrentError());
  }
}

}  // namespace ensemble::addon
