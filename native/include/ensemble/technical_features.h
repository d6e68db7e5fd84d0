/// \file technical_features.h
/// \brief The ensemble's 12 input features computed from OHLCV candles, incrementally (one candle
///        at a time, O(1) each) or over column arrays; the arithmetic of tools/features.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ensemble::core {

/// One OHLCV candle. `open` is not used by any feature but is checked like the other prices.
struct Candle {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

/// `size` candles as five caller-owned column arrays, read in place (oldest candle first).
struct CandleColumns {
  const double* open = nullptr;
  const double* high = nullptr;
  const double* low = nullptr;
  const double* close = nullptr;
  const double* volume = nullptr;
  size_t size = 0;
};

/// What a batch writes for a warm-up candle (one whose features are not all defined yet).
enum class WarmupPolicy : int {
  kSkip = 0,  ///< no row: the output holds only the scored rows
  kNaN = 1,   ///< a row of 12 NaN, so that output row i belongs to input candle i
};

/// What a batch produced.
struct FeatureBatch {
  size_t rows = 0;    ///< rows written to the output (12 values each)
  size_t warmup = 0;  ///< candles of this batch that were warm-up candles
};

/// Computes the 12 features of docs/features.md, in the metadata's order (close, volume,
/// returns_1, rsi_14, macd, macd_signal, atr_14, bb_position, ema_20, ema_50, zscore,
/// volume_ratio), one candle at a time.
///
/// Every operation is the one tools/features.py does, in the same order (the 20-bar sums in
/// numpy's pairwise order, recomputed from a ring buffer at each bar, so nothing drifts over
/// millions of bars), and contraction into fused multiply-adds is disabled, so the results are
/// the reference's bits. Candle 49 (the 50th) is the first with every feature defined; the 49
/// before it are the warm-up.
///
/// Input rules (checked before a candle changes any state): open, high, low and close must be
/// finite and > 0, volume finite and >= 0; anything else throws naming the candle's index
/// (kNonFiniteInput for NaN/+-Inf, kInvalidArgument for a value out of range). Like the
/// reference, the OHLC relations (low <= open, close <= high) are not checked. A scored row
/// with a non-finite feature (only possible with prices near the double range's ends) throws
/// kNonFiniteInput naming the bar and feature, as compute_features does.
///
/// On any error the state is what it was before the call, so a caller may skip the candle and
/// go on. Concurrency: one object per thread (or external locking); objects are independent.
class TechnicalFeatures {
 public:
  /// Features per row.
  static constexpr size_t kNumFeatures = 12;
  /// Warm-up candles: the first row is produced by the 50th candle.
  static constexpr size_t kWarmupBars = 49;
  /// The Bollinger / z-score / volume-ratio window.
  static constexpr size_t kWindow = 20;

  /// The feature names, in row order ("close", ..., "volume_ratio").
  static const char* const* FeatureNames() noexcept;

  TechnicalFeatures() noexcept { Reset(); }

  /// Forgets every candle: the next one is candle 0 again.
  void Reset() noexcept;

  /// Candles accepted since construction / Reset().
  uint64_t bars() const noexcept { return s_.bars; }
  /// True when the next candle pushed produces a scored row.
  bool warmed_up() const noexcept { return s_.bars >= kWarmupBars; }

  /// Adds one candle and writes its 12 features to `out` (12 doubles, caller-owned). Returns
  /// false, and writes 12 NaN, for a warm-up candle. Throws as described above; then neither the
  /// state nor `out` has changed.
  bool Push(const Candle& candle, double* out);

  /// Rows that PushColumns will write for `size` more candles under `policy`.
  size_t RowsFor(size_t size, WarmupPolicy policy) const noexcept;

  /// Adds `columns.size` candles in order, writing their rows to `out` (`out_size` doubles,
  /// at least RowsFor(columns.size, policy) * 12). All or nothing: on error (kInvalidArgument
  /// for null columns or a short output, or a bad candle, named by its index since
  /// construction / Reset()) the state is restored to what it was before the call; `out` may
  /// have been partly written.
  FeatureBatch PushColumns(const CandleColumns& columns, WarmupPolicy policy, double* out,
                           size_t out_size);

 private:
  // Everything but the ring buffers: small, so Push can save and restore it around a candle.
  struct Scalars {
    uint64_t bars = 0;
    double prev_close = 0;
    double ema12 = 0, ema26 = 0, ema20 = 0, ema50 = 0, signal = 0;
    double gain = 0, loss = 0, tr = 0;  // seed sums during bars 1..14, then Wilder averages
    uint64_t equal_run = 0;             // closes equal to the previous one, this one included
  };

  // Adds the (already checked) candle `c`, writing its row to `out` (a warm-up row of NaN, or
  // nothing for a warm-up candle when `out` is null). Returns -1, or the index of a non-finite
  // feature of a scored row; the state has then advanced and the caller restores it.
  int Step(const Candle& c, double* out);

  Scalars s_;
  // The last kWindow closes / volumes, each stored twice (slot b % 20 and b % 20 + 20 for bar
  // b), so that the window of bar t is the contiguous run starting at slot (t + 1) % 20.
  double closes_[2 * kWindow];
  double volumes_[2 * kWindow];
};

/// The 12 features of many series at once (one per symbol of a multi-symbol file), each with its
/// own TechnicalFeatures state: a candle advances only the state of its series, so candles of
/// different series may come in any interleaving and each series gets exactly the rows it would
/// get alone. Series are small integer keys, dense from 0 (a caller's symbol dictionary); a
/// state is created the first time its key is seen.
class KeyedTechnicalFeatures {
 public:
  /// The largest number of series (keys 0 .. kMaxSeries - 1): about 0.7 KiB of state each.
  static constexpr uint32_t kMaxSeries = 1u << 24;

  /// Adds `columns.size` candles in order; candle i belongs to series `keys[i]`. Writes the rows
  /// to `out` (`out_size` doubles, at least `columns.size` * 12): under kSkip only scored rows,
  /// under kNaN one per candle. `scored`, when not null, gets one byte per candle: 1 if it gave
  /// a scored row, 0 for a warm-up candle. All or nothing: on error every series is restored to
  /// what it was before the call, `*failed` (when not null) is set to the index of the refused
  /// candle in this call, and the message starts with "item <i>, series <key>: ".
  FeatureBatch PushColumns(const uint32_t* keys, const CandleColumns& columns, WarmupPolicy policy,
                           double* out, size_t out_size, uint8_t* scored, size_t* failed);

  /// Candles accepted for series `key` (0 for a key never seen).
  uint64_t bars(uint32_t key) const noexcept;

  /// Series with a state (one more than the largest key seen).
  size_t size() const noexcept { return series_.size(); }

 private:
  std::vector<TechnicalFeatures> series_;
};

/// Features of `columns.size` candles from a fresh state: TechnicalFeatures().PushColumns(...).
FeatureBatch ComputeFeatures(const CandleColumns& columns, WarmupPolicy policy, double* out,
                             size_t out_size);

/// Rows ComputeFeatures writes for `size` candles under `policy`.
size_t FeatureRows(size_t size, WarmupPolicy policy) noexcept;

}  // namespace ensemble::core
