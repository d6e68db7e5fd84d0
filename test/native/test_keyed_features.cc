// KeyedTechnicalFeatures: many series interleaved in any order give each series exactly the rows
// it gives alone; a refused candle puts every series back and names its item and series.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/technical_features.h"

namespace {

using ensemble::core::CandleColumns;
using ensemble::core::Error;
using ensemble::core::ErrorCode;
using ensemble::core::FeatureBatch;
using ensemble::core::KeyedTechnicalFeatures;
using ensemble::core::TechnicalFeatures;
using ensemble::core::WarmupPolicy;

constexpr size_t kF = TechnicalFeatures::kNumFeatures;

struct Candles {
  std::vector<double> open, high, low, close, volume;
  std::vector<uint32_t> key;
  CandleColumns Columns(size_t begin, size_t count) const {
    CandleColumns c;
    c.size = count;
    c.open = open.data() + begin;
    c.high = high.data() + begin;
    c.low = low.data() + begin;
    c.close = close.data() + begin;
    c.volume = volume.data() + begin;
    return c;
  }
  void Add(uint32_t k, double o, double h, double l, double c, double v) {
    key.push_back(k);
    open.push_back(o);
    high.push_back(h);
    low.push_back(l);
    close.push_back(c);
    volume.push_back(v);
  }
};

// `lengths[k]` candles of a random walk for series k, interleaved at random (each series in
// order); also each series alone.
void Make(const std::vector<size_t>& lengths, uint32_t seed, Candles* mixed,
          std::vector<Candles>* alone) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  alone->assign(lengths.size(), Candles());
  std::vector<double> price(lengths.size());
  for (size_t k = 0; k < lengths.size(); ++k) price[k] = 50.0 + 40.0 * static_cast<double>(k);
  std::vector<size_t> left = lengths;
  size_t total = 0;
  for (size_t n : lengths) total += n;
  for (size_t i = 0; i < total; ++i) {
    size_t k;
    do k = static_cast<size_t>(u(rng) * static_cast<double>(lengths.size())) % lengths.size();
    while (left[k] == 0);
    --left[k];
    const double o = price[k];
    price[k] = std::max(10.0, o + z(rng));
    const double c = price[k];
    const double h = std::max(o, c) + u(rng), l = std::min(o, c) - 0.5 * u(rng), v = 100 * u(rng);
    mixed->Add(static_cast<uint32_t>(k), o, h, l, c, v);
    (*alone)[k].Add(0, o, h, l, c, v);
  }
}

std::vector<double> Alone(const Candles& s, WarmupPolicy policy) {
  TechnicalFeatures f;
  std::vector<double> out(s.close.size() * kF);
  const FeatureBatch b = f.PushColumns(s.Columns(0, s.close.size()), policy, out.data(), out.size());
  out.resize(b.rows * kF);
  return out;
}

TEST(KeyedTechnicalFeatures, InterleavedSeriesGetTheirOwnRows) {
  for (WarmupPolicy policy : {WarmupPolicy::kSkip, WarmupPolicy::kNaN}) {
    Candles mixed;
    std::vector<Candles> alone;
    Make({700, 30, 1200, 49, 50}, 11, &mixed, &alone);  // two series shorter than the warm-up
    KeyedTechnicalFeatures keyed;
    const size_t n = mixed.close.size();
    std::vector<double> out(n * kF);
    std::vector<uint8_t> scored(n);
    std::vector<std::vector<double>> got(alone.size());
    // In chunks of odd sizes, so that series cross chunk boundaries.
    for (size_t begin = 0, step = 1; begin < n; begin += step, step = step * 3 % 997 + 1) {
      const size_t count = std::min(step, n - begin);
      const FeatureBatch b = keyed.PushColumns(mixed.key.data() + begin, mixed.Columns(begin, count),
                                               policy, out.data(), out.size(), scored.data(), nullptr);
      size_t r = 0;
      for (size_t i = 0; i < count; ++i) {
        if (policy == WarmupPolicy::kSkip && !scored[i]) continue;
        const uint32_t k = mixed.key[begin + i];
        got[k].insert(got[k].end(), out.begin() + r * kF, out.begin() + (r + 1) * kF);
        ++r;
      }
      EXPECT_EQ(r, b.rows);
    }
    for (size_t k = 0; k < alone.size(); ++k) {
      const std::vector<double> want = Alone(alone[k], policy);
      ASSERT_EQ(got[k].size(), want.size()) << "series " << k;
      // Bit for bit (NaN included); an empty series has no data pointer to give memcmp.
      if (!want.empty()) {
        EXPECT_EQ(std::memcmp(got[k].data(), want.data(), want.size() * 8), 0) << "series " << k;
      }
      EXPECT_EQ(keyed.bars(static_cast<uint32_t>(k)), alone[k].close.size());
    }
    EXPECT_EQ(keyed.size(), alone.size());
    EXPECT_EQ(keyed.bars(99), 0u);
  }
}

TEST(KeyedTechnicalFeatures, ARefusedCandlePutsEverySeriesBack) {
  Candles mixed;
  std::vector<Candles> alone;
  Make({300, 300, 300}, 12, &mixed, &alone);
  const size_t n = mixed.close.size();
  std::vector<double> out(n * kF);
  std::vector<uint8_t> scored(n);
  KeyedTechnicalFeatures keyed;
  keyed.PushColumns(mixed.key.data(), mixed.Columns(0, 100), WarmupPolicy::kSkip, out.data(),
                    out.size(), scored.data(), nullptr);
  const uint64_t before[3] = {keyed.bars(0), keyed.bars(1), keyed.bars(2)};
  Candles bad = mixed;
  const size_t item = 250;  // well after every series was touched in this call
  bad.close[100 + item] = -2;
  size_t failed = 0;
  try {
    keyed.PushColumns(bad.key.data() + 100, bad.Columns(100, 500), WarmupPolicy::kSkip,
                      out.data(), out.size(), scored.data(), &failed);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    const std::string want = "item 250, series " + std::to_string(bad.key[100 + item]) +
                             ": candle ";
    EXPECT_EQ(std::string(e.what()).rfind(want, 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("close is -2 (prices must be > 0)"), std::string::npos);
  }
  EXPECT_EQ(failed, item);
  for (uint32_t k = 0; k < 3; ++k) EXPECT_EQ(keyed.bars(k), before[k]);
  // Going on with the good candles gives what an uninterrupted run gives.
  std::vector<std::vector<double>> got(3);
  const size_t rest = n - 100;
  std::vector<double> all(n * kF);
  keyed.PushColumns(mixed.key.data() + 100, mixed.Columns(100, rest), WarmupPolicy::kNaN,
                    all.data(), all.size(), scored.data(), nullptr);
  KeyedTechnicalFeatures fresh;
  std::vector<double> ref(n * kF);
  fresh.PushColumns(mixed.key.data(), mixed.Columns(0, 100), WarmupPolicy::kNaN, ref.data(),
                    ref.size(), scored.data(), nullptr);
  fresh.PushColumns(mixed.key.data() + 100, mixed.Columns(100, rest), WarmupPolicy::kNaN,
                    ref.data(), ref.size(), scored.data(), nullptr);
  EXPECT_EQ(std::memcmp(all.data(), ref.data(), rest * kF * 8), 0);
}

TEST(KeyedTechnicalFeatures, RefusesBadArguments) {
  Candles c;
  c.Add(KeyedTechnicalFeatures::kMaxSeries, 1, 1, 1, 1, 1);
  std::vector<double> out(kF);
  KeyedTechnicalFeatures keyed;
  EXPECT_THROW(keyed.PushColumns(c.key.data(), c.Columns(0, 1), WarmupPolicy::kSkip, out.data(),
                                 out.size(), nullptr, nullptr),
               Error);
  EXPECT_EQ(keyed.size(), 0u);
  c.key[0] = 3;
  EXPECT_THROW(keyed.PushColumns(c.key.data(), c.Columns(0, 1), WarmupPolicy::kSkip, out.data(),
                                 kF - 1, nullptr, nullptr),
               Error);
  const FeatureBatch b = keyed.PushColumns(c.key.data(), c.Columns(0, 1), WarmupPolicy::kSkip,
                                           out.data(), out.size(), nullptr, nullptr);
  EXPECT_EQ(b.rows, 0u);
  EXPECT_EQ(b.warmup, 1u);
  EXPECT_EQ(keyed.size(), 4u);
  EXPECT_EQ(keyed.bars(3), 1u);
}

}  // namespace
