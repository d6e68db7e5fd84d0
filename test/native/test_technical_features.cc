// The technical features against tools/features.py (fixtures: tools/make_feature_fixtures.py):
// sample history and edge series, push == batch == chunks, input errors and rollback, accuracy
// of the 20-bar statistics over millions of bars.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/technical_features.h"

namespace {

using ensemble::core::Candle;
using ensemble::core::CandleColumns;
using ensemble::core::ComputeFeatures;
using ensemble::core::Error;
using ensemble::core::ErrorCode;
using ensemble::core::FeatureBatch;
using ensemble::core::FeatureRows;
using ensemble::core::TechnicalFeatures;
using ensemble::core::WarmupPolicy;

constexpr size_t kF = TechnicalFeatures::kNumFeatures;
constexpr size_t kWarm = TechnicalFeatures::kWarmupBars;
const std::string kDir = std::string(ENSEMBLE_SOURCE_DIR) + "/test/fixtures/features/";
const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Series {
  std::vector<double> open, high, low, close, volume;
  size_t size() const { return close.size(); }
  CandleColumns Columns(size_t begin = 0, size_t count = SIZE_MAX) const {
    CandleColumns c;
    c.size = std::min(count, size() - begin);
    c.open = open.data() + begin;
    c.high = high.data() + begin;
    c.low = low.data() + begin;
    c.close = close.data() + begin;
    c.volume = volume.data() + begin;
    return c;
  }
  Candle At(size_t i) const { return {open[i], high[i], low[i], close[i], volume[i]}; }
};

std::vector<double> ReadF64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (run tools/make_feature_fixtures.py)";
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<double> v(bytes.size() / 8);
  std::memcpy(v.data(), bytes.data(), v.size() * 8);
  return v;
}

// data/sample_history.csv: timestamp,open,high,low,close,volume.
Series ReadHistory() {
  std::ifstream in(std::string(ENSEMBLE_SOURCE_DIR) + "/data/sample_history.csv");
  EXPECT_TRUE(in.good());
  Series s;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "timestamp,open,high,low,close,volume");
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string cell;
    std::getline(fields, cell, ',');  // timestamp
    std::vector<double>* cols[] = {&s.open, &s.high, &s.low, &s.close, &s.volume};
    for (auto* col : cols) {
      std::getline(fields, cell, ',');
      col->push_back(std::strtod(cell.c_str(), nullptr));
    }
  }
  return s;
}

Series ReadEdge() {
  const std::vector<double> flat = ReadF64(kDir + "edge.candles.f64");
  Series s;
  for (size_t i = 0; i + 5 <= flat.size(); i += 5) {
    s.open.push_back(flat[i]);
    s.high.push_back(flat[i + 1]);
    s.low.push_back(flat[i + 2]);
    s.close.push_back(flat[i + 3]);
    s.volume.push_back(flat[i + 4]);
  }
  return s;
}

// A random walk with hourly-candle-like OHLCV around `level`.
Series RandomWalk(size_t n, double level, double step, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Series s;
  double p = level;
  for (size_t i = 0; i < n; ++i) {
    const double o = p;
    p = std::max(level * 0.5, p + step * z(rng));
    s.open.push_back(o);
    s.close.push_back(p);
    s.high.push_back(std::max(o, p) + step * u(rng));
    s.low.push_back(std::min(o, p) - step * u(rng));
    s.volume.push_back(100.0 * u(rng));
  }
  return s;
}

// docs/features.md's rule: |a - b| <= 1e-9 * max(|b|, scale), scale = close for macd and
// macd_signal, 1 for returns_1, bb_position and zscore, 0 otherwise; NaN exactly where the
// reference has NaN. Returns the largest |a - b| / max(|b|, scale) seen.
double ExpectMatches(const std::vector<double>& got, const std::vector<double>& ref,
                     const std::string& label) {
  EXPECT_EQ(got.size(), ref.size()) << label;
  double worst = 0;
  size_t bits_equal = 0;
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    const size_t row = i / kF, f = i % kF;
    const double a = got[i], b = ref[i];
    if (std::isnan(b)) {
      EXPECT_TRUE(std::isnan(a)) << label << " row " << row << " feature " << f;
      continue;
    }
    if (std::memcmp(&a, &b, 8) == 0) ++bits_equal;
    double scale = 0;
    if (f == 4 || f == 5) scale = std::fabs(ref[row * kF]);
    if (f == 2 || f == 7 || f == 10) scale = 1;
    const double denom = std::max(std::fabs(b), scale);
    const double rel = denom > 0 ? std::fabs(a - b) / denom : std::fabs(a - b) == 0 ? 0 : INFINITY;
    EXPECT_LE(rel, 1e-9) << label << " row " << row << " feature "
                         << TechnicalFeatures::FeatureNames()[f] << ": got " << a << ", ref " << b;
    worst = std::max(worst, rel);
  }
  std::cout << label << ": max scaled difference " << worst << ", " << bits_equal
            << " values bit-identical\n";
  return worst;
}

std::vector<double> Batch(const Series& s, WarmupPolicy policy, FeatureBatch* info = nullptr) {
  std::vector<double> out(FeatureRows(s.size(), policy) * kF);
  const FeatureBatch b = ComputeFeatures(s.Columns(), policy, out.data(), out.size());
  if (info != nullptr) *info = b;
  return out;
}

TEST(TechnicalFeatures, NamesInMetadataOrder) {
  const char* const expected[] = {"close",  "volume",      "returns_1", "rsi_14",
                                  "macd",   "macd_signal", "atr_14",    "bb_position",
                                  "ema_20", "ema_50",      "zscore",    "volume_ratio"};
  for (size_t f = 0; f < kF; ++f) EXPECT_STREQ(TechnicalFeatures::FeatureNames()[f], expected[f]);
}

TEST(TechnicalFeatures, SampleHistoryMatchesReference) {
  const Series s = ReadHistory();
  ASSERT_EQ(s.size(), 10000u);
  FeatureBatch info;
  const std::vector<double> got = Batch(s, WarmupPolicy::kNaN, &info);
  EXPECT_EQ(info.rows, 10000u);
  EXPECT_EQ(info.warmup, kWarm);
  ExpectMatches(got, ReadF64(kDir + "reference.f64"), "sample history");
}

TEST(TechnicalFeatures, EdgeSeriesMatchesReference) {
  const Series s = ReadEdge();
  ASSERT_EQ(s.size(), 240u);
  const std::vector<double> got = Batch(s, WarmupPolicy::kNaN);
  ExpectMatches(got, ReadF64(kDir + "edge.f64"), "edge series");
  // The degenerate branches are really reached: bars 109..119 close a flat 20-bar window of
  // 100.04, whose rounded mean is not 100.04.
  EXPECT_EQ(got[110 * kF + 7], 0.5);
  EXPECT_EQ(got[110 * kF + 10], 0.0);
  EXPECT_EQ(got[80 * kF + 11], 1.0);
  EXPECT_EQ(got[50 * kF + 3], 50.0);  // 55 equal closes from the start: no gain, no loss
}

TEST(TechnicalFeatures, SkipPolicyDropsTheWarmupRows) {
  const Series s = ReadHistory();
  FeatureBatch info;
  const std::vector<double> skip = Batch(s, WarmupPolicy::kSkip, &info);
  const std::vector<double> nan = Batch(s, WarmupPolicy::kNaN);
  EXPECT_EQ(info.rows, s.size() - kWarm);
  EXPECT_EQ(info.warmup, kWarm);
  ASSERT_EQ(skip.size(), (s.size() - kWarm) * kF);
  EXPECT_EQ(std::memcmp(skip.data(), nan.data() + kWarm * kF, skip.size() * 8), 0);
  for (size_t i = 0; i < kWarm * kF; ++i) ASSERT_TRUE(std::isnan(nan[i])) << i;
}

TEST(TechnicalFeatures, PushEqualsBatchEqualsOddChunks) {
  const Series s = ReadHistory();
  const std::vector<double> batch = Batch(s, WarmupPolicy::kSkip);

  TechnicalFeatures one;
  std::vector<double> pushed;
  double row[kF];
  for (size_t i = 0; i < s.size(); ++i) {
    const bool scored = one.Push(s.At(i), row);
    EXPECT_EQ(scored, i >= kWarm);
    EXPECT_EQ(one.warmed_up(), i + 1 >= kWarm);
    if (scored) {
      pushed.insert(pushed.end(), row, row + kF);
    } else {
      for (double v : row) ASSERT_TRUE(std::isnan(v));
    }
  }
  ASSERT_EQ(pushed.size(), batch.size());
  EXPECT_EQ(std::memcmp(pushed.data(), batch.data(), batch.size() * 8), 0);

  const size_t sizes[] = {1, 7, 13, 48, 49, 50, 3, 997, 31};
  for (const WarmupPolicy policy : {WarmupPolicy::kSkip, WarmupPolicy::kNaN}) {
    TechnicalFeatures chunked;
    std::vector<double> got;
    size_t begin = 0, k = 0, warmup = 0;
    while (begin < s.size()) {
      const CandleColumns cols = s.Columns(begin, sizes[k++ % std::size(sizes)]);
      std::vector<double> out(chunked.RowsFor(cols.size, policy) * kF);
      const FeatureBatch b = chunked.PushColumns(cols, policy, out.data(), out.size());
      EXPECT_EQ(b.rows * kF, out.size());
      warmup += b.warmup;
      got.insert(got.end(), out.begin(), out.end());
      begin += cols.size;
    }
    EXPECT_EQ(warmup, kWarm);
    EXPECT_EQ(chunked.bars(), s.size());
    const std::vector<double> whole = Batch(s, policy);
    ASSERT_EQ(got.size(), whole.size());
    EXPECT_EQ(std::memcmp(got.data(), whole.data(), got.size() * 8), 0)
        << (policy == WarmupPolicy::kNaN ? "nan" : "skip");
  }
}

TEST(TechnicalFeatures, ResetStartsOver) {
  const Series s = ReadEdge();
  TechnicalFeatures f;
  std::vector<double> first(f.RowsFor(s.size(), WarmupPolicy::kSkip) * kF);
  f.PushColumns(s.Columns(), WarmupPolicy::kSkip, first.data(), first.size());
  f.Reset();
  EXPECT_EQ(f.bars(), 0u);
  EXPECT_EQ(f.RowsFor(10, WarmupPolicy::kSkip), 0u);
  std::vector<double> again(first.size());
  f.PushColumns(s.Columns(), WarmupPolicy::kSkip, again.data(), again.size());
  EXPECT_EQ(std::memcmp(first.data(), again.data(), first.size() * 8), 0);
}

TEST(TechnicalFeatures, RowsForCountsTheRemainingWarmup) {
  TechnicalFeatures f;
  EXPECT_EQ(f.RowsFor(0, WarmupPolicy::kSkip), 0u);
  EXPECT_EQ(f.RowsFor(49, WarmupPolicy::kSkip), 0u);
  EXPECT_EQ(f.RowsFor(50, WarmupPolicy::kSkip), 1u);
  EXPECT_EQ(f.RowsFor(50, WarmupPolicy::kNaN), 50u);
  const Series s = RandomWalk(60, 100, 1, 1);
  std::vector<double> out(40 * kF);
  const FeatureBatch b =
      f.PushColumns(s.Columns(0, 40), WarmupPolicy::kNaN, out.data(), out.size());
  EXPECT_EQ(b.rows, 40u);
  EXPECT_EQ(b.warmup, 40u);
  EXPECT_EQ(f.RowsFor(20, WarmupPolicy::kSkip), 11u);
}

// The error names the candle by its index since construction / Reset, and says what is wrong.
void ExpectError(const std::function<void()>& fn, ErrorCode code, const std::string& part) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one mentioning \"" << part << "\"";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(TechnicalFeatures, RefusesBadCandlesNamingTheIndex) {
  TechnicalFeatures f;
  double row[kF];
  const Series s = RandomWalk(80, 100, 1, 2);
  for (size_t i = 0; i < 60; ++i) f.Push(s.At(i), row);
  Candle c = s.At(60);
  c.close = kNaN;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kNonFiniteInput, "candle 60: close is NaN");
  c = s.At(60);
  c.volume = INFINITY;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kNonFiniteInput, "candle 60: volume is Infinity");
  c = s.At(60);
  c.open = -INFINITY;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kNonFiniteInput, "candle 60: open is -Infinity");
  c = s.At(60);
  c.low = 0;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kInvalidArgument,
              "candle 60: low is 0 (prices must be > 0)");
  c = s.At(60);
  c.volume = -1;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kInvalidArgument,
              "candle 60: volume is -1 (the volume must be >= 0)");
  EXPECT_EQ(f.bars(), 60u);
  ExpectError([&] { f.Push(s.At(60), nullptr); }, ErrorCode::kInvalidArgument, "null");

  // Zero volume and an inconsistent candle (high below close) are accepted, like the reference.
  c = s.At(60);
  c.volume = 0;
  c.high = c.close * 0.5;
  EXPECT_TRUE(f.Push(c, row));
}

TEST(TechnicalFeatures, ARefusedCandleLeavesTheStateAsBefore) {
  const Series s = RandomWalk(200, 100, 1, 3);
  Series skipped = s;  // the same series without candle 70
  for (auto* col : {&skipped.open, &skipped.high, &skipped.low, &skipped.close, &skipped.volume}) {
    col->erase(col->begin() + 70);
  }
  const std::vector<double> expected = Batch(skipped, WarmupPolicy::kSkip);

  TechnicalFeatures f;
  std::vector<double> got;
  double row[kF];
  for (size_t i = 0; i < s.size(); ++i) {
    Candle c = s.At(i);
    if (i == 70) {
      c.high = kNaN;
      std::fill(row, row + kF, 7.0);
      EXPECT_THROW(f.Push(c, row), Error);
      EXPECT_EQ(row[0], 7.0) << "the output row was written";
      continue;
    }
    if (f.Push(c, row)) got.insert(got.end(), row, row + kF);
  }
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * 8), 0);
}

TEST(TechnicalFeatures, AFailedBatchChangesNothing) {
  const Series s = RandomWalk(300, 100, 1, 4);
  TechnicalFeatures f;
  std::vector<double> out(300 * kF);
  f.PushColumns(s.Columns(0, 10), WarmupPolicy::kNaN, out.data(), out.size());
  Series bad = s;
  bad.close[70] = kNaN;
  ExpectError(
      [&] { f.PushColumns(bad.Columns(10, 200), WarmupPolicy::kSkip, out.data(), out.size()); },
      ErrorCode::kNonFiniteInput, "candle 70 (item 60 of this batch): close is NaN");
  EXPECT_EQ(f.bars(), 10u);
  // Going on with the good candles gives what an uninterrupted run gives.
  std::vector<double> rest(f.RowsFor(290, WarmupPolicy::kSkip) * kF);
  f.PushColumns(s.Columns(10), WarmupPolicy::kSkip, rest.data(), rest.size());
  const std::vector<double> whole = Batch(s, WarmupPolicy::kSkip);
  ASSERT_EQ(rest.size(), whole.size());
  EXPECT_EQ(std::memcmp(rest.data(), whole.data(), rest.size() * 8), 0);

  // From a fresh state the index is the array index.
  ExpectError([&] { ComputeFeatures(bad.Columns(), WarmupPolicy::kSkip, out.data(), out.size()); },
              ErrorCode::kNonFiniteInput, "candle 70: close is NaN");
}

TEST(TechnicalFeatures, RefusesBadBatchArguments) {
  const Series s = RandomWalk(100, 100, 1, 5);
  std::vector<double> out(100 * kF);
  ExpectError([&] { ComputeFeatures(s.Columns(), WarmupPolicy::kNaN, out.data(), out.size() - 1); },
              ErrorCode::kInvalidArgument, "needs 100 rows x 12 features");
  ExpectError([&] { ComputeFeatures(s.Columns(), WarmupPolicy::kSkip, nullptr, 0); },
              ErrorCode::kInvalidArgument, "needs 51 rows");
  CandleColumns cols = s.Columns();
  cols.volume = nullptr;
  ExpectError([&] { ComputeFeatures(cols, WarmupPolicy::kNaN, out.data(), out.size()); },
              ErrorCode::kInvalidArgument, "column is null");
  // Only warm-up candles under kSkip: no output needed.
  EXPECT_EQ(ComputeFeatures(s.Columns(0, 49), WarmupPolicy::kSkip, nullptr, 0).rows, 0u);
  EXPECT_EQ(ComputeFeatures(CandleColumns{}, WarmupPolicy::kNaN, nullptr, 0).rows, 0u);
}

TEST(TechnicalFeatures, NonFiniteFeatureIsAnErrorAndRolledBack) {
  // Finite, positive, but a return of 1e300 / 1e-300 overflows: compute_features refuses it.
  Series s = RandomWalk(100, 1e-300, 1e-302, 6);
  std::vector<double> out(100 * kF);
  TechnicalFeatures f;
  double row[kF];
  for (size_t i = 0; i < 60; ++i) f.Push(s.At(i), row);
  Candle c = s.At(60);
  c.close = c.open = c.high = 1e300;
  ExpectError([&] { f.Push(c, row); }, ErrorCode::kNonFiniteInput,
              "candle 60: feature returns_1 is Infinity");
  EXPECT_EQ(f.bars(), 60u);
  EXPECT_TRUE(f.Push(s.At(60), row));
}

TEST(TechnicalFeatures, WindowStatisticsStayExactOverMillionsOfBars) {
  // A price near 1e4 with small moves: where a running-sum std would have lost digits by now.
  const size_t n = 3'000'000;
  const Series s = RandomWalk(n, 1e4, 0.05, 7);
  TechnicalFeatures f;
  double row[kF];
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!f.Push(s.At(i), row) || i % 99'991 != 0) continue;
    long double sum = 0, vsum = 0;
    for (size_t k = i - 19; k <= i; ++k) {
      sum += s.close[k];
      vsum += s.volume[k];
    }
    const long double mean = sum / 20;
    long double sq = 0;
    for (size_t k = i - 19; k <= i; ++k) sq += (s.close[k] - mean) * (s.close[k] - mean);
    const long double sd = std::sqrt(sq / 20);
    const double z = static_cast<double>((s.close[i] - mean) / sd);
    const double vr = static_cast<double>(s.volume[i] / (vsum / 20));
    // zscore's error is bounded by the rounding of the mean (1e-16 * 1e4) over std (~0.1).
    worst = std::max(worst, std::fabs(row[10] - z) / std::max(1.0, std::fabs(z)));
    EXPECT_NEAR(row[10], z, 1e-9 * std::max(1.0, std::fabs(z))) << "bar " << i;
    EXPECT_NEAR(row[11], vr, 1e-12 * vr) << "bar " << i;
  }
  std::cout << "zscore vs long double two-pass over " << n << " bars: max diff " << worst << "\n";
}

}  // namespace
