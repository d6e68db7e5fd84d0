// The 12 technical features from OHLCV candles, incrementally: the operations of
// tools/features.py / docs/features.md in their order, O(1) state per candle.
#include "ensemble/technical_features.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ensemble/error.h"

// The reference (numpy, CPython) rounds every product and sum separately; a fused multiply-add
// would change the last bits of the recursive indicators, so none may be formed here.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace ensemble::core {

namespace {

constexpr size_t kF = TechnicalFeatures::kNumFeatures;
constexpr size_t kW = TechnicalFeatures::kWindow;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kNames[kF] = {"close",  "volume",      "returns_1", "rsi_14",
                                "macd",   "macd_signal", "atr_14",    "bb_position",
                                "ema_20", "ema_50",      "zscore",    "volume_ratio"};

// EMA constants exactly as features.ema computes them: alpha = 2.0 / (n + 1.0), keep = 1 - alpha.
struct EmaConst {
  double alpha, keep;
};
constexpr EmaConst Ema(int n) { return {2.0 / (n + 1.0), 1.0 - 2.0 / (n + 1.0)}; }
constexpr EmaConst kEma12 = Ema(12), kEma26 = Ema(26), kEma20 = Ema(20), kEma50 = Ema(50),
                   kEma9 = Ema(9);

// Wilder's smoothing of RSI / ATR: n = 14 values from bar 1, seeded at bar 14.
constexpr uint64_t kWilderN = 14;
constexpr uint64_t kWilderSeedBar = 14;

inline double EmaStep(const EmaConst& k, double x, double e) { return k.alpha * x + k.keep * e; }
inline double WilderStep(double s, double x) { return (s * 13.0 + x) / 14.0; }

// numpy's pairwise_sum for n = 20 (below its 128-value block): eight accumulators over the first
// 16 values, combined as a tree, then the last four added one by one.
inline double PairwiseSum20(const double* a) {
  double r[8];
  for (int j = 0; j < 8; ++j) r[j] = a[j] + a[8 + j];
  double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (int i = 16; i < 20; ++i) res += a[i];
  return res;
}
static_assert(kW == 20, "PairwiseSum20 is written for a 20-bar window");

bool OkPrice(double v) { return v > 0 && v <= DBL_MAX; }
bool OkVolume(double v) { return v >= 0 && v <= DBL_MAX; }

std::string Where(uint64_t index, size_t batch_item, bool in_batch) {
  std::string s = "candle " + std::to_string(index);
  if (in_batch && index != batch_item)
    s += " (item " + std::to_string(batch_item) + " of this batch)";
  return s;
}

std::string Describe(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Throws for a candle the features are not defined on; returns quietly for a good one.
void CheckCandle(const Candle& c, uint64_t index, size_t batch_item, bool in_batch) {
  if (OkPrice(c.open) && OkPrice(c.high) && OkPrice(c.low) && OkPrice(c.close) &&
      OkVolume(c.volume)) {
    return;
  }
  const struct {
    const char* name;
    double value;
  } fields[] = {
      {"open", c.open}, {"high", c.high}, {"low", c.low}, {"close", c.close}, {"volume", c.volume}};
  for (const auto& f : fields) {
    const bool is_volume = f.name[0] == 'v';
    if (is_volume ? OkVolume(f.value) : OkPrice(f.value)) continue;
    const std::string where = Where(index, batch_item, in_batch);
    if (!std::isfinite(f.value)) {
      throw Error(ErrorCode::kNonFiniteInput, where + ": " + f.name + " is " + Describe(f.value) +
                                                  " (every price and the volume must be finite)");
    }
    throw Error(ErrorCode::kInvalidArgument,
                where + ": " + f.name + " is " + Describe(f.value) +
                    (is_volume ? " (the volume must be >= 0)" : " (prices must be > 0)"));
  }
}

[[noreturn]] void ThrowNonFiniteFeature(uint64_t bar, int feature, double value) {
  throw Error(ErrorCode::kNonFiniteInput, "candle " + std::to_string(bar) + ": feature " +
                                              kNames[feature] + " is " + Describe(value) +
                                              " (the prices are too extreme for float64)");
}

}  // namespace

const char* const* TechnicalFeatures::FeatureNames() noexcept { return kNames; }

size_t FeatureRows(size_t size, WarmupPolicy policy) noexcept {
  return TechnicalFeatures().RowsFor(size, policy);
}

void TechnicalFeatures::Reset() noexcept {
  s_ = Scalars();
  std::fill(std::begin(closes_), std::end(closes_), 0.0);
  std::fill(std::begin(volumes_), std::end(volumes_), 0.0);
}

size_t TechnicalFeatures::RowsFor(size_t size, WarmupPolicy policy) const noexcept {
  if (policy == WarmupPolicy::kNaN) return size;
  const uint64_t left = s_.bars >= kWarmupBars ? 0 : kWarmupBars - s_.bars;
  return size > left ? size - static_cast<size_t>(left) : 0;
}

// Returns -1, or the index of a non-finite feature in a scored row.
inline int TechnicalFeatures::Step(const Candle& c, double* out) {
  const uint64_t t = s_.bars;
  const size_t slot = static_cast<size_t>(t % kW);
  closes_[slot] = closes_[slot + kW] = c.close;
  volumes_[slot] = volumes_[slot + kW] = c.volume;
  const double prev = s_.prev_close;
  if (t == 0) {
    s_.ema12 = s_.ema26 = s_.ema20 = s_.ema50 = c.close;
    s_.signal = s_.ema12 - s_.ema26;  // macd[0] = 0
    s_.equal_run = 1;
  } else {
    s_.ema12 = EmaStep(kEma12, c.close, s_.ema12);
    s_.ema26 = EmaStep(kEma26, c.close, s_.ema26);
    s_.ema20 = EmaStep(kEma20, c.close, s_.ema20);
    s_.ema50 = EmaStep(kEma50, c.close, s_.ema50);
    s_.signal = EmaStep(kEma9, s_.ema12 - s_.ema26, s_.signal);
    const double delta = c.close - prev;
    const double gain = delta > 0.0 ? delta : 0.0;
    const double loss = delta < 0.0 ? -delta : 0.0;
    const double hl = c.high - c.low;
    const double hp = std::fabs(c.high - prev), lp = std::fabs(c.low - prev);
    const double hplp = hp >= lp ? hp : lp;
    const double tr = hl >= hplp ? hl : hplp;
    if (t < kWilderSeedBar) {
      s_.gain += gain;
      s_.loss += loss;
      s_.tr += tr;
    } else if (t == kWilderSeedBar) {
      s_.gain = (s_.gain + gain) / static_cast<double>(kWilderN);
      s_.loss = (s_.loss + loss) / static_cast<double>(kWilderN);
      s_.tr = (s_.tr + tr) / static_cast<double>(kWilderN);
    } else {
      s_.gain = WilderStep(s_.gain, gain);
      s_.loss = WilderStep(s_.loss, loss);
      s_.tr = WilderStep(s_.tr, tr);
    }
    s_.equal_run = c.close == prev ? s_.equal_run + 1 : 1;
  }
  s_.prev_close = c.close;
  s_.bars = t + 1;
  if (t < kWarmupBars) {
    if (out != nullptr) std::fill(out, out + kF, kNaN);
    return -1;
  }

  // Rolling 20-bar mean / population std of close (two-pass) and mean of volume.
  const double* w = closes_ + (t + 1) % kW;
  const double mean = PairwiseSum20(w) / 20.0;
  double sq[kW];
  for (size_t i = 0; i < kW; ++i) {
    const double d = w[i] - mean;
    sq[i] = d * d;
  }
  const double std_dev = std::sqrt(PairwiseSum20(sq) / 20.0);
  const double upper = mean + 2.0 * std_dev;
  const double lower = mean - 2.0 * std_dev;
  const bool degenerate = s_.equal_run >= kW || upper == lower;
  const double vmean = PairwiseSum20(volumes_ + (t + 1) % kW) / 20.0;
  const double both = s_.gain + s_.loss;

  out[0] = c.close;
  out[1] = c.volume;
  out[2] = c.close / prev - 1.0;
  out[3] = both > 0.0 ? 100.0 * s_.gain / both : 50.0;
  out[4] = s_.ema12 - s_.ema26;
  out[5] = s_.signal;
  out[6] = s_.tr;
  out[7] = degenerate ? 0.5 : (c.close - lower) / (upper - lower);
  out[8] = s_.ema20;
  out[9] = s_.ema50;
  out[10] = degenerate ? 0.0 : (c.close - mean) / std_dev;
  out[11] = vmean == 0.0 ? 1.0 : c.volume / vmean;
  for (size_t f = 0; f < kF; ++f) {
    if (!std::isfinite(out[f])) return static_cast<int>(f);
  }
  return -1;
}

bool TechnicalFeatures::Push(const Candle& candle, double* out) {
  if (out == nullptr) throw Error(ErrorCode::kInvalidArgument, "the output row is null");
  const uint64_t index = s_.bars;
  CheckCandle(candle, index, 0, false);
  const Scalars saved = s_;
  const size_t slot = static_cast<size_t>(index % kW);
  const double old_close = closes_[slot], old_volume = volumes_[slot];
  double row[kF];
  const int bad = Step(candle, row);
  if (bad >= 0) {
    s_ = saved;
    closes_[slot] = closes_[slot + kW] = old_close;
    volumes_[slot] = volumes_[slot + kW] = old_volume;
    ThrowNonFiniteFeature(index, bad, row[bad]);
  }
  std::memcpy(out, row, sizeof row);
  return index >= kWarmupBars;
}

FeatureBatch TechnicalFeatures::PushColumns(const CandleColumns& cols, WarmupPolicy policy,
                                            double* out, size_t out_size) {
  const size_t n = cols.size;
  if (policy != WarmupPolicy::kSkip && policy != WarmupPolicy::kNaN) {
    throw Error(ErrorCode::kInvalidArgument, "unknown warm-up policy");
  }
  FeatureBatch result;
  if (n == 0) return result;
  if (cols.open == nullptr || cols.high == nullptr || cols.low == nullptr ||
      cols.close == nullptr || cols.volume == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "a candle column is null");
  }
  const size_t rows = RowsFor(n, policy);
  if (rows > 0 && (out == nullptr || out_size / kF < rows)) {
    throw Error(ErrorCode::kInvalidArgument,
                "the output holds " + std::to_string(out == nullptr ? 0 : out_size) +
                    " values, needs " + std::to_string(rows) + " rows x 12 features");
  }
  const uint64_t remaining = s_.bars >= kWarmupBars ? 0 : kWarmupBars - s_.bars;
  result.warmup = n < remaining ? n : static_cast<size_t>(remaining);
  result.rows = rows;

  const Scalars saved = s_;
  double saved_closes[2 * kW], saved_volumes[2 * kW];
  std::memcpy(saved_closes, closes_, sizeof closes_);
  std::memcpy(saved_volumes, volumes_, sizeof volumes_);
  const uint64_t first = s_.bars;
  try {
    size_t r = 0;
    for (size_t i = 0; i < n; ++i) {
      const Candle c{cols.open[i], cols.high[i], cols.low[i], cols.close[i], cols.volume[i]};
      CheckCandle(c, first + i, i, true);
      double* row = nullptr;
      if (policy == WarmupPolicy::kNaN || s_.bars >= kWarmupBars) row = out + kF * r++;
      const int bad = Step(c, row);
      if (bad >= 0) ThrowNonFiniteFeature(first + i, bad, row[bad]);
    }
  } catch (...) {
    s_ = saved;
    std::memcpy(closes_, saved_closes, sizeof closes_);
    std::memcpy(volumes_, saved_volumes, sizeof volumes_);
    throw;
  }
  return result;
}

FeatureBatch KeyedTechnicalFeatures::PushColumns(const uint32_t* keys, const CandleColumns& cols,
                                                 WarmupPolicy policy, double* out,
                                                 size_t out_size, uint8_t* scored,
                                                 size_t* failed) {
  const size_t n = cols.size;
  if (policy != WarmupPolicy::kSkip && policy != WarmupPolicy::kNaN) {
    throw Error(ErrorCode::kInvalidArgument, "unknown warm-up policy");
  }
  FeatureBatch result;
  if (n == 0) return result;
  if (keys == nullptr || cols.open == nullptr || cols.high == nullptr || cols.low == nullptr ||
      cols.close == nullptr || cols.volume == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "a key or candle column is null");
  }
  if (out == nullptr || out_size / kF < n) {
    throw Error(ErrorCode::kInvalidArgument,
                "the output holds " + std::to_string(out == nullptr ? 0 : out_size) +
                    " values, needs " + std::to_string(n) + " rows x 12 features");
  }
  uint32_t top = 0;
  for (size_t i = 0; i < n; ++i) top = keys[i] > top ? keys[i] : top;
  if (top >= kMaxSeries) {
    throw Error(ErrorCode::kInvalidArgument, "series key " + std::to_string(top) +
                                                 " is over the limit of " +
                                                 std::to_string(kMaxSeries - 1));
  }
  const size_t old_size = series_.size();
  if (top >= old_size) series_.resize(static_cast<size_t>(top) + 1);

  // Each series this call touches is saved once, before its first candle, so that an error
  // anywhere can put every series back (a series' state is ~0.7 KiB: cheap next to the rows).
  std::vector<uint8_t> touched(series_.size(), 0);
  std::vector<std::pair<uint32_t, TechnicalFeatures>> saved;
  size_t r = 0;
  size_t i = 0;
  try {
    for (; i < n; ++i) {
      const uint32_t key = keys[i];
      TechnicalFeatures& f = series_[key];
      if (!touched[key]) {
        touched[key] = 1;
        saved.emplace_back(key, f);
      }
      // Push writes a row (NaN for a warm-up candle) at r <= i < n, so it stays inside `out`;
      // under kSkip a warm-up row is overwritten by the next one.
      const bool full = f.Push(Candle{cols.open[i], cols.high[i], cols.low[i], cols.close[i],
                                      cols.volume[i]},
                               out + kF * r);
      if (scored != nullptr) scored[i] = full ? 1 : 0;
      if (full || policy == WarmupPolicy::kNaN) ++r;
      if (!full) ++result.warmup;
    }
  } catch (const Error& e) {
    for (auto& [key, state] : saved) series_[key] = state;
    series_.resize(old_size);
    if (failed != nullptr) *failed = i;
    throw Error(e.code(), "item " + std::to_string(i) + ", series " + std::to_string(keys[i]) +
                              ": " + e.what());
  }
  result.rows = r;
  return result;
}

uint64_t KeyedTechnicalFeatures::bars(uint32_t key) const noexcept {
  return key < series_.size() ? series_[key].bars() : 0;
}

FeatureBatch ComputeFeatures(const CandleColumns& columns, WarmupPolicy policy, double* out,
                             size_t out_size) {
  TechnicalFeatures features;
  return features.PushColumns(columns, policy, out, out_size);
}

}  // namespace ensemble::core
