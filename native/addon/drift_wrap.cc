// DriftWindow for JS: the core's sliding-window histograms (drift.h), fed with typed arrays in
// place (the calls are synchronous) and read back as counts per column.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "convert.h"
#include "ensemble/drift.h"
#include "errors.h"
#include "wraps.h"

namespace ensemble::addon {

class DriftWindowWrap : public Napi::ObjectWrap<DriftWindowWrap> {
 public:
  static void Define(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "DriftWindow",
                                    {InstanceMethod("add", &DriftWindowWrap::JS_add),
                                     InstanceMethod("addColumns", &DriftWindowWrap::JS_addColumns),
                                     InstanceMethod("counts", &DriftWindowWrap::JS_counts),
                                     InstanceMethod("rows", &DriftWindowWrap::JS_rows),
                                     InstanceMethod("seen", &DriftWindowWrap::JS_seen),
                                     InstanceMethod("reset", &DriftWindowWrap::JS_reset)});
    exports.Set("DriftWindow", fn);
  }

  // new DriftWindow(edges: Float64Array[], window: number)
  explicit DriftWindowWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DriftWindowWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "DriftWindow(edges: Float64Array[], window: number)");
    }
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<std::vector<double>> edges(a.Length());
    for (uint32_t c = 0; c < a.Length(); ++c) {
      const TypedView v = ViewOf(a.Get(c));
      if (v.type != napi_float64_array) throw Napi::TypeError::New(env, "edges must be Float64Arrays");
      const double* d = static_cast<const double*>(v.data);
      edges[c].assign(d, d + v.length);
    }
    const double window = info[1].As<Napi::Number>().DoubleValue();
    if (!(window >= 0 && window <= 1e8) || window != static_cast<double>(static_cast<size_t>(window))) {
      throw Napi::RangeError::New(env, "window must be an integer in [0, 1e8]");
    }
    Guard(env, [&] {
      core_ = std::make_unique<core::DriftWindow>(std::move(edges), static_cast<size_t>(window));
    });
  }

 private:
  // (data: Float32Array | Float64Array, rows): row-major, columns() values a row.
  Napi::Value JS_add(const Napi::CallbackInfo& info) {
    const core::DenseMatrix x = ToMatrix(info[0], info[1], core_->columns());
    Guard(info.Env(), [&] { core_->Add(x); });
    return info.Env().Undefined();
  }

  // (columns: Float64Array[]): columns() arrays of the same length.
  Napi::Value JS_addColumns(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() != core_->columns()) {
      throw Napi::TypeError::New(env, "addColumns needs one Float64Array per column");
    }
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<const double*> columns(a.Length());
    size_t rows = 0;
    for (uint32_t c = 0; c < a.Length(); ++c) {
      const TypedView v = ViewOf(a.Get(c));
      if (v.type != napi_float64_array || (c > 0 && v.length != rows)) {
        throw Napi::TypeError::New(env, "addColumns needs Float64Arrays of one length");
      }
      rows = v.length;
      columns[c] = static_cast<const double*>(v.data);
    }
    Guard(env, [&] { core_->AddColumns(columns.data(), rows); });
    return env.Undefined();
  }

  // (column) -> Float64Array of its bins then the missing count.
  Napi::Value JS_counts(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint32_t c = info[0].As<Napi::Number>().Uint32Value();
    std::vector<uint64_t> counts;
    Guard(env, [&] { counts = core_->Counts(c); });
    Napi::Float64Array out = Napi::Float64Array::New(env, counts.size());
    for (size_t i = 0; i < counts.size(); ++i) out[i] = static_cast<double>(counts[i]);
    return out;
  }

  Napi::Value JS_rows(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(core_->rows()));
  }
  Napi::Value JS_seen(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(core_->seen()));
  }
  Napi::Value JS_reset(const Napi::CallbackInfo& info) {
    core_->Reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<core::DriftWindow> core_;
};

void InitDrift(Napi::Env env, Napi::Object exports) { DriftWindowWrap::Define(env, exports); }

}  // namespace ensemble::addon
