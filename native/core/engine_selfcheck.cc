// The engine's self-check for boosters: probe rows at the model's own split thresholds scored by
// the engine and by the library, compared bit for bit before the engine is trusted with a model.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ensemble/boosters.h"

namespace ensemble::core {
namespace {

constexpr size_t kProbeRows = 192;
// The probe matrix stays below this many cells, whatever a model declares as its width: a file
// declaring a million features must not cost gigabytes at load (issue 9, item 8).
constexpr size_t kMaxProbeCells = size_t{1} << 21;

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
  const auto f = static_cast<float>(std::max(-3e38, std::min(3e38, t)));
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

std::string CheckEngineAgainstLibrary(const EngineModel& model, const TreeEngine& engine,
                                      bool allow_inf, const LibraryPredict& library) {
  const size_t nf = static_cast<size_t>(model.num_features);
  const size_t rows = std::max<size_t>(4, std::min(kProbeRows, kMaxProbeCells / std::max<size_t>(1, nf)));
  Mix mix{0x5eed0f7eULL};
  std::vector<double> x64(rows * nf, std::numeric_limits<double>::quiet_NaN());
  for (size_t f = 0; f < nf; ++f) {
    // Features no split reads need no probes (they stay missing), which keeps a wide model cheap.
    const std::vector<double>& t = model.library_thresholds[f];
    if (t.empty()) continue;
    for (size_t r = 0; r < rows; ++r) {
      double v = ProbeValue(t, allow_inf, mix);
      if (r == 0) v = std::numeric_limits<double>::quiet_NaN();  // every feature missing
      if (r == 1) v = 0.0;
      x64[r * nf + f] = v;
    }
  }
  std::vector<float> x32(x64.begin(), x64.end());
  std::vector<double> want(rows), got(rows);
  for (const DType dtype : {DType::kFloat64, DType::kFloat32}) {
    const DenseMatrix x{dtype == DType::kFloat64 ? static_cast<const void*>(x64.data())
                                                 : static_cast<const void*>(x32.data()),
                        dtype, rows, nf};
    for (const OutputKind kind : {OutputKind::kRawMargin, OutputKind::kValue}) {
      if (kind == OutputKind::kValue && !model.has_value_output) continue;
      library(x, kind, want.data());
      engine.Sums(x, 1, [&](size_t begin, size_t end, const double* const* sums) {
        for (size_t r = begin; r < end; ++r) {
          const double s = sums[0][r - begin];
          got[r] = kind == OutputKind::kRawMargin ? s : model.Link(s);
        }
      });
      for (size_t r = 0; r < rows; ++r) {
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

}  // namespace ensemble::core
