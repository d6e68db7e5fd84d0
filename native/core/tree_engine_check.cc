// The imported trees' self-check: probe rows at the model's own split thresholds scored by the
// engine and by the library, compared bit for bit before the engine is trusted with a model.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ensemble/boosters.h"
#include "ensemble/tree_engine.h"

namespace ensemble::core {
namespace {

constexpr size_t kProbeRows = 192;

// A small deterministic generator (splitmix64): the probes are the same on every load.
struct Mix {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
};

double ProbeValue(const std::vector<double>& thresholds, bool allow_inf, Mix& mix) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double t = thresholds.empty() ? 0.5 : thresholds[mix.Below(thresholds.size())];
  const auto f = static_cast<float>(t);
  switch (mix.Below(16)) {
    case 0: return std::nextafter(t, kInf);
    case 1: return std::nextafter(t, -kInf);
    case 2: return f;
    case 3: return std::nextafter(f, std::numeric_limits<float>::infinity());
    case 4: return std::nextafter(f, -std::numeric_limits<float>::infinity());
    case 5: return std::numeric_limits<double>::quiet_NaN();
    case 6: return mix.Below(2) ? 0.0 : -0.0;
    case 7: {
      static const double kTiny[] = {1e-36, -1e-36, 1e-40, -1e-40, static_cast<double>(1e-35f),
                                     -static_cast<double>(1e-35f), 2e-35, -2e-35};
      return kTiny[mix.Below(sizeof kTiny / sizeof kTiny[0])];
    }
    case 8:
      if (allow_inf) return mix.Below(2) ? kInf : -kInf;
      return mix.Below(2) ? 1e30 : -1e30;
    case 9: return t * (1.0 + 1e-3 * (static_cast<double>(mix.Below(2001)) - 1000.0) / 1000.0);
    default: return t;
  }
}

bool Same(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

}  // namespace

std::string CheckEngineAgainstLibrary(const BoosterEngine& engine, bool allow_inf,
                                      const LibraryPredict& library) {
  const size_t nf = static_cast<size_t>(engine.num_features());
  Mix mix{0x5eed0f7eULL};
  std::vector<double> x64(kProbeRows * nf);
  for (size_t r = 0; r < kProbeRows; ++r) {
    for (size_t f = 0; f < nf; ++f) {
      double v = ProbeValue(engine.Thresholds(static_cast<int>(f)), allow_inf, mix);
      if (r == 0) v = std::numeric_limits<double>::quiet_NaN();  // every feature missing
      if (r == 1) v = 0.0;
      x64[r * nf + f] = v;
    }
  }
  std::vector<float> x32(x64.begin(), x64.end());
  std::vector<double> want(kProbeRows), got(kProbeRows);
  for (const DType dtype : {DType::kFloat64, DType::kFloat32}) {
    const DenseMatrix x{dtype == DType::kFloat64 ? static_cast<const void*>(x64.data())
                                                 : static_cast<const void*>(x32.data()),
                        dtype, kProbeRows, nf};
    for (const OutputKind kind : {OutputKind::kRawMargin, OutputKind::kValue}) {
      if (kind == OutputKind::kValue && !engine.has_value_output()) continue;
      library(x, kind, want.data());
      engine.Predict(x, kind, got.data(), 1);
      for (size_t r = 0; r < kProbeRows; ++r) {
        if (Same(want[r], got[r])) continue;
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s row %zu, %s: library %.17g, engine %.17g",
                      dtype == DType::kFloat64 ? "float64" : "float32", r,
                      kind == OutputKind::kValue ? "value" : "margin", want[r], got[r]);
        return buf;
      }
    }
  }
  return "";
}

std::unique_ptr<const BoosterEngine> ChooseScorer(ScorerChoice scorer, const EngineImport& import,
                                                  const char* library_name, bool allow_inf,
                                                  const LibraryPredict& library,
                                                  BoosterInfo* info) {
  info->scorer = "library";
  if (scorer == ScorerChoice::kLibrary) {
    info->scorer_note = "the library was asked for";
    return nullptr;
  }
  std::string why_not;
  auto engine = import(&why_not);
  if (engine) {
    const std::string diff = CheckEngineAgainstLibrary(*engine, allow_inf, library);
    if (!diff.empty()) {
      why_not = std::string("self-check differs from ") + library_name + ": " + diff;
      engine.reset();
    }
  }
  if (engine) info->scorer = "engine";
  info->scorer_note = engine ? "" : why_not;
  return engine;
}

}  // namespace ensemble::core
