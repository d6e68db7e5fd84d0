"""The 12 features the production ensemble scores, computed from an OHLCV series in float64.

    from features import FEATURE_NAMES, WARMUP_BARS, compute_features
    x = compute_features(high, low, close, volume)   # (n - WARMUP_BARS, 12), row i = bar i + 49

This is the reference implementation that docs/features.md writes down operation by operation;
the package's own implementation is tested against it. Recursive indicators (EMA, Wilder) are
plain sequential loops in the documented operation order (any IEEE-754 double implementation
that does the same operations gets the same bits, barring fused multiply-add); window statistics
are loop-free numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FEATURE_NAMES = (
    "close", "volume", "returns_1", "rsi_14", "macd", "macd_signal",
    "atr_14", "bb_position", "ema_20", "ema_50", "zscore", "volume_ratio",
)
# The first bar with every feature defined is bar 49: EMA50 has then seen 50 closes, the longest
# window of the set (RSI14/ATR14 need 15 bars, SMA20/std20 20 bars, the MACD signal 34).
WARMUP_BARS = 49
WINDOW = 20
BB_WIDTH = 2.0


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """EMA with alpha = 2/(n+1) seeded with the first value: e[0] = x[0],
    e[t] = alpha * x[t] + (1 - alpha) * e[t-1]."""
    alpha = 2.0 / (n + 1.0)
    keep = 1.0 - alpha
    out = np.empty(len(x))
    e = float(x[0])
    out[0] = e
    for t in range(1, len(x)):
        e = alpha * float(x[t]) + keep * e
        out[t] = e
    return out


def wilder(x: np.ndarray, n: int, first: int) -> np.ndarray:
    """Wilder's smoothing of x[first:], NaN before it is defined.

    s[first + n - 1] = (x[first] + ... + x[first + n - 1]) / n  (summed left to right),
    s[t] = (s[t-1] * (n - 1) + x[t]) / n  afterwards.
    """
    out = np.full(len(x), np.nan)
    seed_end = first + n - 1
    if seed_end >= len(x):
        return out
    total = 0.0
    for t in range(first, seed_end + 1):
        total += float(x[t])
    s = total / n
    out[seed_end] = s
    for t in range(seed_end + 1, len(x)):
        s = (s * (n - 1) + float(x[t])) / n
        out[t] = s
    return out


def rolling_mean_std(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bar t >= n-1: mean and population std (ddof=0, two-pass) of x[t-n+1..t], and whether
    the window is flat (max == min). NaN before the window is full."""
    mean = np.full(len(x), np.nan)
    std = np.full(len(x), np.nan)
    flat = np.zeros(len(x), dtype=bool)
    if len(x) >= n:
        w = sliding_window_view(x, n)
        m = w.sum(axis=1) / n
        d = w - m[:, None]
        mean[n - 1:] = m
        std[n - 1:] = np.sqrt((d * d).sum(axis=1) / n)
        flat[n - 1:] = w.max(axis=1) == w.min(axis=1)
    return mean, std, flat


def feature_matrix(high, low, close, volume) -> np.ndarray:
    """All 12 features for every bar, shape (n, 12); rows before WARMUP_BARS hold NaN where a
    feature is not yet defined (EMA-based columns are defined, but not warmed up, from bar 0)."""
    high, low, close, volume = (np.asarray(a, dtype=np.float64) for a in (high, low, close, volume))
    n = len(close)
    if not (len(high) == len(low) == len(volume) == n):
        raise ValueError("high, low, close and volume must have the same length")
    prev = np.concatenate(([np.nan], close[:-1]))

    returns_1 = close / prev - 1.0

    delta = close - prev
    gain = np.where(delta > 0.0, delta, 0.0)
    loss = np.where(delta < 0.0, -delta, 0.0)
    avg_gain = wilder(gain, 14, first=1)
    avg_loss = wilder(loss, 14, first=1)
    both = avg_gain + avg_loss
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = np.where(both > 0.0, 100.0 * avg_gain / both, 50.0)
    rsi[np.isnan(both)] = np.nan

    macd = ema(close, 12) - ema(close, 26)
    macd_signal = ema(macd, 9)

    true_range = np.maximum(high - low, np.maximum(np.abs(high - prev), np.abs(low - prev)))
    atr = wilder(true_range, 14, first=1)

    mean, std, flat = rolling_mean_std(close, WINDOW)
    upper = mean + BB_WIDTH * std
    lower = mean - BB_WIDTH * std
    degenerate = flat | (upper == lower)
    with np.errstate(invalid="ignore", divide="ignore"):
        bb_position = np.where(degenerate, 0.5, (close - lower) / (upper - lower))
        zscore = np.where(degenerate, 0.0, (close - mean) / std)
    bb_position[np.isnan(mean)] = np.nan
    zscore[np.isnan(mean)] = np.nan

    vol_mean, _, _ = rolling_mean_std(volume, WINDOW)
    with np.errstate(invalid="ignore", divide="ignore"):
        volume_ratio = np.where(vol_mean == 0.0, 1.0, volume / vol_mean)
    volume_ratio[np.isnan(vol_mean)] = np.nan

    columns = (close, volume, returns_1, rsi, macd, macd_signal, atr, bb_position,
               ema(close, 20), ema(close, 50), zscore, volume_ratio)
    return np.column_stack(columns)


def compute_features(high, low, close, volume) -> np.ndarray:
    """The scored rows: feature_matrix without the warm-up, shape (n - WARMUP_BARS, 12);
    row i belongs to bar i + WARMUP_BARS. Every value is finite for positive prices."""
    full = feature_matrix(high, low, close, volume)
    rows = full[WARMUP_BARS:]
    if rows.size and not np.all(np.isfinite(rows)):
        bad = np.argwhere(~np.isfinite(rows))[0]
        raise ValueError(f"feature {FEATURE_NAMES[bad[1]]} is not finite at bar "
                         f"{bad[0] + WARMUP_BARS}")
    return rows
