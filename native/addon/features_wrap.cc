// FeatureStream for JS: the core's TechnicalFeatures (one candle, or column Float64Arrays into a
// caller's Float64Array); the state lives in the object, so a file can be streamed in chunks.
// KeyedFeatureStream: the same for many series at once (KeyedTechnicalFeatures), one call a chunk.
#include <napi.h>

#include <string>

#include "convert.h"
#include "ensemble/technical_features.h"
#include "errors.h"
#include "wraps.h"

namespace ensemble::addon {

namespace {

using core::TechnicalFeatures;

constexpr const char* kColumns[] = {"open", "high", "low", "close", "volume"};

// A Float64Array read in place (the calls are synchronous); `name` names it in the TypeError.
struct Column {
  const double* data = nullptr;
  size_t length = 0;
};
Column ToColumn(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Float64Array");
  }
  const TypedView a = ViewOf(v);
  return {static_cast<const double*>(a.data), a.length};
}

double ToNumber(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

core::WarmupPolicy ToPolicy(const Napi::Value& nan_warmup) {
  return nan_warmup.ToBoolean() ? core::WarmupPolicy::kNaN : core::WarmupPolicy::kSkip;
}

// Five Float64Array arguments from info[first] on, of equal length.
core::CandleColumns ToCandleColumns(const Napi::CallbackInfo& info, size_t first) {
  Column cols[5];
  for (size_t k = 0; k < 5; ++k) cols[k] = ToColumn(info[first + k], kColumns[k]);
  for (size_t k = 1; k < 5; ++k) {
    if (cols[k].length != cols[0].length) {
      throw Napi::RangeError::New(
          info.Env(), std::string("the candle columns differ in length: open has ") +
                          std::to_string(cols[0].length) + " values, " + kColumns[k] + " has " +
                          std::to_string(cols[k].length));
    }
  }
  core::CandleColumns columns;
  columns.open = cols[0].data;
  columns.high = cols[1].data;
  columns.low = cols[2].data;
  columns.close = cols[3].data;
  columns.volume = cols[4].data;
  columns.size = cols[0].length;
  return columns;
}

// A typed array of `type` with at least `length` elements, read or written in place.
void* ToTypedArray(const Napi::Value& v, napi_typedarray_type type, size_t length,
                   const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a " +
                                            (type == napi_uint32_array ? "Uint32Array"
                                                                       : "Uint8Array"));
  }
  const TypedView a = ViewOf(v);
  if (a.length < length) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + " holds " +
                                             std::to_string(a.length) + " values, needs " +
                                             std::to_string(length));
  }
  return a.data;
}

}  // namespace

class FeatureStreamWrap : public Napi::ObjectWrap<FeatureStreamWrap> {
 public:
  static void Define(Napi::Env env, Napi::Object exports) {
    Napi::Array names = Napi::Array::New(env, TechnicalFeatures::kNumFeatures);
    for (uint32_t i = 0; i < TechnicalFeatures::kNumFeatures; ++i) {
      names.Set(i, TechnicalFeatures::FeatureNames()[i]);
    }
    Napi::Function fn = DefineClass(
        env, "FeatureStream",
        {InstanceMethod("push", &FeatureStreamWrap::JS_push),
         InstanceMethod("pushColumns", &FeatureStreamWrap::JS_pushColumns),
         InstanceMethod("rowsFor", &FeatureStreamWrap::JS_rowsFor),
         InstanceMethod("reset", &FeatureStreamWrap::JS_reset),
         InstanceMethod("bars", &FeatureStreamWrap::JS_bars), StaticValue("names", names),
         StaticValue("warmupBars",
                     Napi::Number::New(env, static_cast<double>(TechnicalFeatures::kWarmupBars)))});
    exports.Set("FeatureStream", fn);
  }

  explicit FeatureStreamWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<FeatureStreamWrap>(info) {}

 private:
  // push(open, high, low, close, volume, out: Float64Array(12)) -> scored; a warm-up candle gives
  // false and a NaN row
  Napi::Value JS_push(const Napi::CallbackInfo& info) {
    core::Candle c;
    c.open = ToNumber(info[0], "open");
    c.high = ToNumber(info[1], "high");
    c.low = ToNumber(info[2], "low");
    c.close = ToNumber(info[3], "close");
    c.volume = ToNumber(info[4], "volume");
    double* out = ToOutput(info[5], TechnicalFeatures::kNumFeatures);
    const bool scored = Guard(info.Env(), [&] { return features_.Push(c, out); });
    return Napi::Boolean::New(info.Env(), scored);
  }

  // pushColumns(open, high, low, close, volume: Float64Array, nanWarmup, out: Float64Array)
  //   -> { rows, warmup }; out holds at least rowsFor(n, nanWarmup) * 12 values.
  Napi::Value JS_pushColumns(const Napi::CallbackInfo& info) {
    const core::CandleColumns columns = ToCandleColumns(info, 0);
    const core::WarmupPolicy policy = ToPolicy(info[5]);
    const size_t rows = features_.RowsFor(columns.size, policy);
    double* out = ToOutput(info[6], rows * TechnicalFeatures::kNumFeatures);
    const core::FeatureBatch b = Guard(info.Env(), [&] {
      return features_.PushColumns(columns, policy, out, rows * TechnicalFeatures::kNumFeatures);
    });
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("rows", static_cast<double>(b.rows));
    result.Set("warmup", static_cast<double>(b.warmup));
    return result;
  }

  // rowsFor(n, nanWarmup) -> rows pushColumns writes for n more candles
  Napi::Value JS_rowsFor(const Napi::CallbackInfo& info) {
    const double n = ToNumber(info[0], "n");
    if (!(n >= 0) || n > 9007199254740991.0 || n != static_cast<double>(static_cast<uint64_t>(n))) {
      throw Napi::RangeError::New(info.Env(), "n must be a non-negative integer");
    }
    return Napi::Number::New(info.Env(), static_cast<double>(features_.RowsFor(
                                             static_cast<size_t>(n), ToPolicy(info[1]))));
  }

  Napi::Value JS_reset(const Napi::CallbackInfo& info) {
    features_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value JS_bars(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(features_.bars()));
  }

  TechnicalFeatures features_;
};

class KeyedFeatureStreamWrap : public Napi::ObjectWrap<KeyedFeatureStreamWrap> {
 public:
  static void Define(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(
        env, "KeyedFeatureStream",
        {InstanceMethod("pushColumns", &KeyedFeatureStreamWrap::JS_pushColumns),
         InstanceMethod("bars", &KeyedFeatureStreamWrap::JS_bars),
         InstanceMethod("size", &KeyedFeatureStreamWrap::JS_size)});
    exports.Set("KeyedFeatureStream", fn);
  }

  explicit KeyedFeatureStreamWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<KeyedFeatureStreamWrap>(info) {}

 private:
  // pushColumns(keys: Uint32Array, open, high, low, close, volume: Float64Array, nanWarmup,
  //   out: Float64Array(n * 12), scored: Uint8Array(n)) -> { rows, warmup }. A refused candle
  //   throws the core's error with `item` = its index in this call.
  Napi::Value JS_pushColumns(const Napi::CallbackInfo& info) {
    const core::CandleColumns columns = ToCandleColumns(info, 1);
    const auto* keys = static_cast<const uint32_t*>(
        ToTypedArray(info[0], napi_uint32_array, columns.size, "keys"));
    const core::WarmupPolicy policy = ToPolicy(info[6]);
    double* out = ToOutput(info[7], columns.size * TechnicalFeatures::kNumFeatures);
    auto* scored =
        static_cast<uint8_t*>(ToTypedArray(info[8], napi_uint8_array, columns.size, "scored"));
    size_t failed = columns.size;
    core::FeatureBatch b;
    try {
      b = Guard(info.Env(), [&] {
        return features_.PushColumns(keys, columns, policy, out,
                                     columns.size * TechnicalFeatures::kNumFeatures, scored,
                                     &failed);
      });
    } catch (Napi::Error& e) {
      if (failed < columns.size) e.Set("item", Napi::Number::New(info.Env(), failed));
      throw;
    }
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("rows", static_cast<double>(b.rows));
    result.Set("warmup", static_cast<double>(b.warmup));
    return result;
  }

  // bars(key) -> candles accepted for that series
  Napi::Value JS_bars(const Napi::CallbackInfo& info) {
    const double key = ToNumber(info[0], "key");
    if (!(key >= 0) || key > 4294967295.0 || key != static_cast<double>(static_cast<uint32_t>(key))) {
      throw Napi::RangeError::New(info.Env(), "key must be an integer in [0, 2^32)");
    }
    return Napi::Number::New(info.Env(),
                             static_cast<double>(features_.bars(static_cast<uint32_t>(key))));
  }

  Napi::Value JS_size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(features_.size()));
  }

  core::KeyedTechnicalFeatures features_;
};

void InitFeatures(Napi::Env env, Napi::Object exports) {
  FeatureStreamWrap::Define(env, exports);
  KeyedFeatureStreamWrap::Define(env, exports);
}

}  // namespace ensemble::addon
