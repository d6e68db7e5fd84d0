// JS <-> core conversions. Typed arrays are read in place, through napi_get_typedarray_info.
#include "convert.h"

#include <cmath>

#include "ensemble/file_io.h"
#include "ensemble/threads.h"

namespace ensemble::addon {

TypedView ViewOf(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsTypedArray()) throw Napi::TypeError::New(env, "expected a typed array");
  TypedView v;
  napi_value buffer = nullptr;
  size_t offset = 0;
  const napi_status status =
      napi_get_typedarray_info(env, value, &v.type, &v.length, &v.data, &buffer, &offset);
  if (status != napi_ok) throw Napi::Error::New(env);
  if (v.length == 0) v.data = nullptr;
  return v;
}

core::DenseMatrix ToMatrix(const Napi::Value& data, const Napi::Value& rows, size_t cols) {
  Napi::Env env = data.Env();
  if (!data.IsTypedArray()) throw Napi::TypeError::New(env, "input must be a Float32Array or Float64Array");
  const TypedView a = ViewOf(data);
  if (a.type != napi_float32_array && a.type != napi_float64_array) {
    throw Napi::TypeError::New(env, "input must be a Float32Array or Float64Array");
  }
  if (!rows.IsNumber()) throw Napi::TypeError::New(env, "rows must be a number");
  const double r = rows.As<Napi::Number>().DoubleValue();
  if (!(r >= 0) || r != static_cast<double>(static_cast<size_t>(r))) {
    throw Napi::RangeError::New(env, "rows must be a non-negative integer");
  }
  core::DenseMatrix m;
  m.dtype = a.type == napi_float32_array ? core::DType::kFloat32 : core::DType::kFloat64;
  m.rows = static_cast<size_t>(r);
  m.cols = cols;
  if (a.length != m.rows * cols) {
    throw Napi::RangeError::New(env, "input has " + std::to_string(a.length) +
                                         " values, expected " + std::to_string(m.rows) +
                                         " rows x " + std::to_string(cols) + " features");
  }
  m.data = a.data;
  return m;
}

double* ToOutput(const Napi::Value& out, size_t length, const char* what) {
  Napi::Env env = out.Env();
  if (!out.IsTypedArray() || out.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, std::string(what) + " must be a Float64Array");
  }
  const TypedView a = ViewOf(out);
  if (a.length < length) {
    throw Napi::RangeError::New(env, std::string(what) + " holds " + std::to_string(a.length) +
                                         " values, needs " + std::to_string(length));
  }
  return static_cast<double*>(a.data);
}

double* ToOptionalOutput(const Napi::Value& out, size_t length, const char* what) {
  if (out.IsUndefined() || out.IsNull()) return nullptr;
  return ToOutput(out, length, what);
}

std::pair<const uint8_t*, size_t> ToBytes(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "model bytes must be a Buffer or Uint8Array");
  }
  const TypedView a = ViewOf(value);
  return {static_cast<const uint8_t*>(a.data), a.length};
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
  if (path.empty()) return bytes;
  core::FileReadLimits limits;
  limits.max_bytes = max_bytes;
  return core::ReadFileBytes(path, limits);
}

ModelSource ToModelSource(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "source must be an object");
  Napi::Object source = info[0].As<Napi::Object>();
  ModelSource out;
  out.max_bytes = ToMaxFileBytes(ToOptions(info));
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

uint64_t ToMaxFileBytes(const Napi::Object& options) {
  Napi::Value v = options.Get("maxFileBytes");
  if (v.IsUndefined()) return core::kDefaultMaxFileBytes;
  const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  // 2^53: every integer up to it is exact in a JS number.
  if (!(n >= 1 && n <= 9007199254740992.0) || std::floor(n) != n) {
    throw Napi::RangeError::New(options.Env(), "maxFileBytes must be a positive integer");
  }
  return static_cast<uint64_t>(n);
}

core::EnsembleWeights ToWeights(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "weights must be an object");
  Napi::Object w = value.As<Napi::Object>();
  auto get = [&](const char* key) {
    Napi::Value v = w.Get(key);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("weights.") + key + " must be a number");
    return v.As<Napi::Number>().DoubleValue();
  };
  core::EnsembleWeights out;
  out.lightgbm = get("lightgbm");
  out.xgboost = get("xgboost");
  out.random_forest = get("random_forest");
  return out;
}

Napi::Value JsonToValue(Napi::Env env, const core::JsonValue& v) {
  switch (v.type()) {
    case core::JsonType::kNull: return env.Null();
    case core::JsonType::kBool: return Napi::Boolean::New(env, v.AsBool());
    case core::JsonType::kNumber: return Napi::Number::New(env, v.AsDouble());
    case core::JsonType::kString: return Napi::String::New(env, v.AsString());
    case core::JsonType::kArray: {
      Napi::Array a = Napi::Array::New(env, v.size());
      uint32_t i = 0;
      for (const core::JsonValue& e : v.AsArray()) a.Set(i++, JsonToValue(env, e));
      return a;
    }
    case core::JsonType::kObject: {
      // Defined, not assigned, as JSON.parse does: a "__proto__" key stays a plain member.
      Napi::Object o = Napi::Object::New(env);
      for (const auto& [k, e] : v.AsObject()) {
        o.DefineProperty(Napi::PropertyDescriptor::Value(Napi::String::New(env, k),
                                                         JsonToValue(env, e),
                                                         napi_default_jsproperty));
      }
      return o;
    }
  }
  return env.Undefined();
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
