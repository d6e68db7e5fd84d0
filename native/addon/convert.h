// Converters between JS values and core types: typed arrays in place (no copies), options.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ensemble/boosters.h"
#include "ensemble/matrix.h"
#include "ensemble/native_libraries.h"

namespace ensemble::addon {

/// A Float32Array/Float64Array of rows * cols values, read in place. Throws TypeError/RangeError.
core::DenseMatrix ToMatrix(const Napi::Value& data, const Napi::Value& rows, size_t cols);

/// A Float64Array of at least `length` values the core writes into.
double* ToOutput(const Napi::Value& out, size_t length, const char* what = "out");

/// An optional Float64Array (undefined/null = nullptr) of at least `length` values.
double* ToOptionalOutput(const Napi::Value& out, size_t length, const char* what);

/// Model bytes: a Uint8Array/Buffer, read in place for the duration of the call.
std::pair<const uint8_t*, size_t> ToBytes(const Napi::Value& value);

/// A string option, "" when undefined.
std::string ToOptionalString(const Napi::Object& obj, const char* key);

/// Library search options: { lightgbmLib?, xgboostLib?, libraryDirs?: string[] }.
core::LibrarySearch ToSearch(const Napi::Object& options, const char* explicit_key);

/// A thread count option (ensemble/threads.h): 0 / undefined = all cores; an integer in
/// [0, 1024] (else TypeError / RangeError), capped at the hardware threads.
int ToThreads(const Napi::Object& options);

/// options.scorer: "auto" (default) or "library"; anything else is a TypeError.
core::ScorerChoice ToScorer(const Napi::Object& options);

/// The model source of the load functions' (source: {path} | {bytes, name}, options, async).
struct ModelSource {
  std::string path;            ///< empty when loading from bytes
  std::string name;            ///< names the model in error messages
  std::vector<uint8_t> bytes;  ///< a copy: an async load runs after the call returns
  /// The model's bytes: the file's (read once, here) or the copy.
  std::vector<uint8_t> Read() const;
};

/// Reads info[0] as a ModelSource.
ModelSource ToModelSource(const Napi::CallbackInfo& info);

/// info[1] as the options object ({} when absent).
Napi::Object ToOptions(const Napi::CallbackInfo& info);

/// The element type of a Float32Array / Float64Array.
core::DType DTypeOf(const Napi::TypedArray& a);

}  // namespace ensemble::addon
