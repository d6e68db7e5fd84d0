// JS <-> core conversions. Typed arrays are read in place: ArrayBuffer data + byte offset.
#include "convert.h"

#include <cmath>

#include "ensemble/file_io.h"
#include "ensemble/threads.h"

namespace ensemble::addon {

core::DType DTypeOf(const Napi::TypedArray& a) {
  return a.TypedArrayType() == napi_float32_array ? core::DType::kFloat32 : core::DType::kFloat64;
}

core::DenseMatrix ToMatrix(const Napi::Value& data, const Napi::Value& rows, size_t cols) {
  Napi::Env env = data.Env();
  if (!data.IsTypedArray()) throw Napi::TypeError::New(env, "input must be a Float32Array or Float64Array");
  Napi::TypedArray a = data.As<Napi::TypedArray>();
  if (a.TypedArrayType() != napi_float32_array && a.TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "input must be a Float32Array or Float64Array");
  }
  if (!rows.IsNumber()) throw Napi::TypeError::New(env, "rows must be a number");
  const double r = rows.As<Napi::Number>().DoubleValue();
  if (!(r >= 0) || r != static_cast<double>(static_cast<size_t>(r))) {
    throw Napi::RangeError::New(env, "rows must be a non-negative integer");
  }
  core::DenseMatrix m;
  m.dtype = DTypeOf(a);
  m.rows = static_cast<size_t>(r);
  m.cols = cols;
  if (a.ElementLength() != m.rows * cols) {
    throw Napi::RangeError::New(env, "input has " + std::to_string(a.ElementLength()) +
                                         " values, expected " + std::to_string(m.rows) +
                                         " rows x " + std::to_string(cols) + " features");
  }
  m.data = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  return m;
}

double* ToOutput(const Napi::Value& out, size_t length, const char* what) {
  Napi::Env env = out.Env();
  if (!out.IsTypedArray() || out.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, std::string(what) + " must be a Float64Array");
  }
  Napi::Float64Array a = out.As<Napi::Float64Array>();
  if (a.ElementLength() < length) {
    throw Napi::RangeError::New(env, std::string(what) + " holds " +
                                         std::to_string(a.ElementLength()) + " values, needs " +
                                         std::to_string(length));
  }
  return reinterpret_cast<double*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

double* ToOptionalOutput(const Napi::Value& out, size_t length, const char* what) {
  if (out.IsUndefined() || out.IsNull()) return nullptr;
  return ToOutput(out, length, what);
}

std::pair<const uint8_t*, size_t> ToBytes(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "model bytes must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array a = value.As<Napi::Uint8Array>();
  return {static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), a.ElementLength()};
}

std::string ToOptionalString(const Napi::Object& obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return "";
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

core::LibrarySearch ToSearch(const Napi::Object& options, const char* explicit_key) {
  core::LibrarySearch search;
  search.explicit_path = ToOptionalString(options, explicit_key);
  Napi::Value dirs = options.Get("libraryDirs");
  if (dirs.IsArray()) {
    Napi::Array a = dirs.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value d = a.Get(i);
      if (d.IsString()) search.dirs.push_back(d.As<Napi::String>().Utf8Value());
    }
  }
  return search;
}

std::vector<uint8_t> ModelSource::Read() const {
  return path.empty() ? bytes : core::ReadFileBytes(path);
}

ModelSource ToModelSource(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "source must be an object");
  Napi::Object source = info[0].As<Napi::Object>();
  ModelSource out;
  out.path = ToOptionalString(source, "path");
  out.name = out.path.empty() ? ToOptionalString(source, "name") : out.path;
  if (out.name.empty()) out.name = "<buffer>";
  if (out.path.empty()) {
    auto [data, size] = ToBytes(source.Get("bytes"));
    out.bytes.assign(data, data + size);
  }
  return out;
}

Napi::Object ToOptions(const Napi::CallbackInfo& info) {
  return info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env());
}

core::ScorerChoice ToScorer(const Napi::Object& options) {
  Napi::Value v = options.Get("scorer");
  if (v.IsUndefined()) return core::ScorerChoice::kAuto;
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (s == "auto") return core::ScorerChoice::kAuto;
  if (s == "library") return core::ScorerChoice::kLibrary;
  throw Napi::TypeError::New(options.Env(), "scorer must be 'auto' or 'library'");
}

int ToThreads(const Napi::Object& options) {
  Napi::Value v = options.Get("threads");
  if (v.IsUndefined()) return core::HardwareThreads();
  if (!v.IsNumber()) throw Napi::TypeError::New(options.Env(), "threads must be a number");
  // Checked as a double: Int32Value would wrap 2^32 + 4 to 4.
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= core::kMaxThreads) || std::trunc(d) != d) {
    throw Napi::RangeError::New(options.Env(), "threads must be an integer in [0, " +
                                                   std::to_string(core::kMaxThreads) +
                                                   "], got " + v.ToString().Utf8Value());
  }
  return core::ResolveThreads(static_cast<int>(d));
}

}  // namespace ensemble::addon
