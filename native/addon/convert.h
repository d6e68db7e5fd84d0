// Converters between JS values and core types: typed arrays in place (no copies), options.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

#include "ensemble/boosters.h"
#include "ensemble/ensemble.h"
#include "ensemble/json.h"
#include "ensemble/matrix.h"
#include "ensemble/native_libraries.h"

namespace ensemble::addon {

/// The elements of a typed array as N-API sees them now. Read with napi_get_typedarray_info,
/// which (unlike node-addon-api's TypedArray::ArrayBuffer()) also takes an array over a
/// SharedArrayBuffer. A detached array has length 0. Valid only until JS runs again: JS can
/// detach or shrink the buffer, so anything read after the call returns must be copied first.
struct TypedView {
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;  ///< the first element (byte offset applied)
  size_t length = 0;     ///< elements
};

/// `value` as a TypedView; TypeError if it is not a typed array.
TypedView ViewOf(const Napi::Value& value);

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

/// options.maxFileBytes: the largest model file read (default core::kDefaultMaxFileBytes); a
/// positive integer, else RangeError.
uint64_t ToMaxFileBytes(const Napi::Object& options);

/// {lightgbm, xgboost, random_forest} of numbers (TypeError otherwise). Their rules (finite,
/// >= 0, sum 1) are the core's: core::WeightsProblem.
core::EnsembleWeights ToWeights(const Napi::Value& value);

/// A JSON value as the JS value JSON.parse would give (integers beyond 2^53 rounded).
Napi::Value JsonToValue(Napi::Env env, const core::JsonValue& value);

/// The model source of the load functions' (source: {path} | {bytes, name}, options, async).
struct ModelSource {
  std::string path;            ///< empty when loading from bytes
  std::string name;            ///< names the model in error messages
  std::vector<uint8_t> bytes;  ///< a copy: an async load runs after the call returns
  uint64_t max_bytes = 0;      ///< the file's size cap (options.maxFileBytes)
  /// The model's bytes: the file's (read once, here: a regular file under the cap) or the copy.
  std::vector<uint8_t> Read() const;
};

/// Reads info[0] as a ModelSource, its size cap from the options info[1].
ModelSource ToModelSource(const Napi::CallbackInfo& info);

/// info[1] as the options object ({} when absent).
Napi::Object ToOptions(const Napi::CallbackInfo& info);

}  // namespace ensemble::addon
