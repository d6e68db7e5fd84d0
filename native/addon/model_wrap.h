// One ObjectWrap template for every scoring class (LightGBM, XGBoost, forest, ensemble): each is a
// core::Scorer, so the argument checks, close(), sync/async/single-row dispatch live here once;
// each *_wrap.cc supplies a small Traits struct (class name, constructor slot, description).
#pragma once

#include <napi.h>

#include <memory>
#include <utility>

#include "addon_data.h"
#include "convert.h"
#include "ensemble/error.h"
#include "ensemble/memory.h"
#include "errors.h"
#include "predict_worker.h"

namespace ensemble::addon {

// Traits requirements:
//   using Core = ...;                                 a core::Scorer (held as shared_ptr<const>)
//   static constexpr const char* kName;               the JS class name
//   static Napi::FunctionReference& Ctor(AddonData&); where the constructor is kept
//   static Napi::Object Info(Napi::Env, const Core&); a description for getModelInfo()
template <typename Traits>
class ModelWrap : public Napi::ObjectWrap<ModelWrap<Traits>> {
 public:
  using Core = typename Traits::Core;
  using Self = ModelWrap<Traits>;

  /// Defines the JS class and remembers its constructor in the env's AddonData.
  static void Define(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = Self::DefineClass(
        env, Traits::kName,
        {Self::InstanceMethod("predict", &Self::JS_predict),
         Self::InstanceMethod("predictAsync", &Self::JS_predictAsync),
         Self::InstanceMethod("predictRow", &Self::JS_predictRow),
         Self::InstanceMethod("info", &Self::JS_info),
         Self::InstanceMethod("nodesVisited", &Self::JS_nodesVisited),
         Self::InstanceMethod("explainShape", &Self::JS_explainShape),
         Self::InstanceMethod("explain", &Self::JS_explain),
         Self::InstanceMethod("explainAsync", &Self::JS_explainAsync),
         Self::InstanceMethod("close", &Self::JS_close),
         Self::InstanceMethod("isClosed", &Self::JS_isClosed)});
    Traits::Ctor(Data(env)) = Napi::Persistent(fn);
    exports.Set(Traits::kName, fn);
  }

  /// A new JS object wrapping `core` (shared: the same model can back several objects).
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<const Core> core) {
    // Owned here until the External takes it: creating it fails while the environment shuts down.
    auto holder = std::make_unique<std::shared_ptr<const Core>>(std::move(core));
    Napi::External<std::shared_ptr<const Core>> ext =
        Napi::External<std::shared_ptr<const Core>>::New(
            env, holder.get(), [](Napi::Env, std::shared_ptr<const Core>* p) { delete p; });
    holder.release();
    return Traits::Ctor(Data(env)).New({ext});
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), std::string(Traits::kName) +
                                                 " is created by the load functions, not new");
    }
    // Moved out, not copied: the External lives until V8 collects it, and a copy left in it
    // kept every closed model's native memory alive until then (issue 9, item 19).
    core_ = std::move(*info[0].As<Napi::External<std::shared_ptr<const Core>>>().Data());
    bytes_ = static_cast<int64_t>(core_->memory_bytes());
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes_);
  }

  void Finalize(Napi::Env env) override { Release(env); }

  /// The core object, or ClosedError.
  const std::shared_ptr<const Core>& Get(Napi::Env env) const {
    if (!core_) throw MakeError(env, core::ErrorCode::kClosed, std::string(Traits::kName) + " is closed");
    return core_;
  }

 private:
  void Release(Napi::Env env) {
    if (!core_) return;
    // In-flight workers hold their own reference; the model lives until they end.
    const bool last = core_.use_count() == 1;
    core_.reset();
    if (last) core::ReleaseFreedMemory();
    Napi::MemoryManagement::AdjustExternalMemory(env, -bytes_);
  }

  static core::OutputKind Kind(int kind) { return static_cast<core::OutputKind>(kind); }

  struct Call {
    core::DenseMatrix x;
    int kind = 0;
    double* out = nullptr;
    double* parts = nullptr;
  };

  // (data, rows, kind, out, parts?)
  Call ReadCall(const Napi::CallbackInfo& info, const Core& core) {
    Call c;
    c.x = ToMatrix(info[0], info[1], core.num_features());
    c.kind = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
    if (c.kind != 0 && c.kind != 1) throw Napi::RangeError::New(info.Env(), "unknown output kind");
    c.out = ToOutput(info[3], c.x.rows * core.width(Kind(c.kind)));
    const size_t pw = core.parts_width();
    c.parts = pw == 0 ? nullptr : ToOptionalOutput(info[4], c.x.rows * pw, "parts");
    return c;
  }

  Napi::Value JS_predict(const Napi::CallbackInfo& info) {
    const auto& core = Get(info.Env());
    Call c = ReadCall(info, *core);
    Guard(info.Env(), [&] { core->Predict(c.x, Kind(c.kind), c.out, c.parts); });
    return info.Env().Undefined();
  }

  // The worker copies the input now and writes its own output buffers (predict_worker.h): the
  // caller may reuse its buffer as soon as this returns.
  Napi::Value JS_predictAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::shared_ptr<const Core> core = Get(env);
    const Call c = ReadCall(info, *core);
    const int kind = c.kind;
    PredictWorker* worker = Guard(env, [&] {
      return new PredictWorker(
          env,
          [core, kind](const core::DenseMatrix& x, double* out, double* parts) {
            core->Predict(x, Kind(kind), out, parts);
          },
          c.x, info[3], c.x.rows * core->width(Kind(kind)),
          c.parts != nullptr ? info[4] : env.Undefined(), c.x.rows * core->parts_width());
    });
    worker->Queue();
    return worker->Promise();
  }

  // (row, kind, out, parts?): row holds exactly Features() values.
  Napi::Value JS_predictRow(const Napi::CallbackInfo& info) {
    const auto& core = Get(info.Env());
    Call c;
    c.x = ToMatrix(info[0], Napi::Number::New(info.Env(), 1), core->num_features());
    c.kind = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    if (c.kind != 0 && c.kind != 1) throw Napi::RangeError::New(info.Env(), "unknown output kind");
    c.out = ToOutput(info[2], core->width(Kind(c.kind)));
    const size_t pw = core->parts_width();
    c.parts = pw == 0 ? nullptr : ToOptionalOutput(info[3], pw, "parts");
    Guard(info.Env(), [&] { core->PredictRow(c.x.data, c.x.dtype, Kind(c.kind), c.out, c.parts); });
    return info.Env().Undefined();
  }

  // (data: Float64Array, rows) -> total split nodes the rows pass, or null when not known.
  Napi::Value JS_nodesVisited(const Napi::CallbackInfo& info) {
    const auto& core = Get(info.Env());
    const core::DenseMatrix x = ToMatrix(info[0], info[1], core->num_features());
    if (x.dtype != core::DType::kFloat64) {
      throw Napi::TypeError::New(info.Env(), "nodesVisited takes a Float64Array");
    }
    double total = 0;
    bool known = true;
    Guard(info.Env(), [&] {
      for (size_t r = 0; r < x.rows && known; ++r) {
        const int64_t v = core->NodesVisited(static_cast<const double*>(x.Row(r)));
        if (v < 0) known = false;
        total += static_cast<double>(v);
      }
    });
    return known ? Napi::Value(Napi::Number::New(info.Env(), total)) : info.Env().Null();
  }

  // () -> {outputs, parts, note}: what explain writes per row (times nFeatures + 1), or why not.
  Napi::Value JS_explainShape(const Napi::CallbackInfo& info) {
    const auto& core = Get(info.Env());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("outputs", static_cast<double>(core->explain_outputs()));
    o.Set("parts", static_cast<double>(core->explain_parts()));
    o.Set("note", core->explain_note());
    return o;
  }

  // (data, rows, out, parts?): out holds rows * outputs * (nFeatures + 1) values, parts (when
  // the model has any) parts * rows * (nFeatures + 1); the core says why a model cannot be
  // explained before any buffer is looked at.
  Call ReadExplain(const Napi::CallbackInfo& info, const Core& core) {
    if (core.explain_outputs() == 0) {
      throw MakeError(info.Env(), core::ErrorCode::kNotExplainable, core.explain_note());
    }
    Call c;
    c.x = ToMatrix(info[0], info[1], core.num_features());
    const size_t w = core.num_features() + 1;
    c.out = ToOutput(info[2], c.x.rows * core.explain_outputs() * w);
    const size_t pw = core.explain_parts();
    c.parts = pw == 0 ? nullptr : ToOptionalOutput(info[3], c.x.rows * pw * w, "parts");
    return c;
  }

  Napi::Value JS_explain(const Napi::CallbackInfo& info) {
    const auto& core = Get(info.Env());
    Call c = ReadExplain(info, *core);
    Guard(info.Env(), [&] { core->Explain(c.x, c.out, c.parts); });
    return info.Env().Undefined();
  }

  // As predictAsync: the input copied now, the outputs written to native buffers first.
  Napi::Value JS_explainAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::shared_ptr<const Core> core = Get(env);
    const Call c = ReadExplain(info, *core);
    const size_t w = core->num_features() + 1;
    PredictWorker* worker = Guard(env, [&] {
      return new PredictWorker(
          env,
          [core](const core::DenseMatrix& x, double* out, double* parts) {
            core->Explain(x, out, parts);
          },
          c.x, info[2], c.x.rows * core->explain_outputs() * w,
          c.parts != nullptr ? info[3] : env.Undefined(), c.x.rows * core->explain_parts() * w);
    });
    worker->Queue();
    return worker->Promise();
  }

  Napi::Value JS_info(const Napi::CallbackInfo& info) {
    return Traits::Info(info.Env(), *Get(info.Env()));
  }

  Napi::Value JS_close(const Napi::CallbackInfo& info) {
    Release(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value JS_isClosed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !core_);
  }

  std::shared_ptr<const Core> core_;
  int64_t bytes_ = 0;
};

/// The shared_ptr behind a wrapped JS object of class Traits (ClosedError if closed, TypeError if
/// the value is not such an object).
template <typename Traits>
std::shared_ptr<const typename Traits::Core> Unwrap(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() ||
      !value.As<Napi::Object>().InstanceOf(Traits::Ctor(Data(env)).Value())) {
    throw Napi::TypeError::New(env, std::string("expected a ") + Traits::kName);
  }
  return ModelWrap<Traits>::Unwrap(value.As<Napi::Object>())->Get(env);
}

}  // namespace ensemble::addon
