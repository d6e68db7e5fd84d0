"""Reproducible synthetic hourly OHLCV history: the price series the bundled models are trained on.

    from synthetic_history import generate_history, write_history_csv, read_history_csv
    hist = generate_history(60_000, seed=12)

What a trading bot would see on an hourly chart of a liquid 24/7 market:

- regimes (trend up / trend down / range) switching as a Markov chain with long stays;
- GARCH(1,1) volatility clustering with Student-t shocks, louder in down trends, quieter in ranges;
- a weak predictable component (momentum in trends, mean reversion to a slow anchor in ranges),
  so next-bar direction is learnable a little, not a coin flip and not easy;
- OHLC bars: open = previous close (a 24/7 market has no gaps), high >= max(open, close),
  low <= min(open, close), prices on a 0.01 tick;
- volume (on a 0.0001 lot) rising with |return| / volatility and in trends, with an hour-of-day
  cycle, a weekend dip and persistent noise.

Timestamps are UTC ISO-8601 strings, "YYYY-MM-DDTHH:00:00Z", one hour apart, strictly increasing.
Every number written to CSV is Python's shortest round-trip repr, so reading the CSV back gives
the exact float64 values the features were computed from. Same seed -> same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

START = datetime(2018, 1, 1, tzinfo=timezone.utc)
START_PRICE = 14_000.0
BASE_VOLUME = 180.0
TICK_DECIMALS = 2
LOT_DECIMALS = 4

UP, DOWN, RANGE = 0, 1, 2
REGIME_NAMES = ("up", "down", "range")
# Row = from-state. Mean stay ~ 1/(1 - p) hours: ~8 days of trend, ~10 days of range.
TRANSITIONS = np.array([
    [0.9950, 0.0010, 0.0040],
    [0.0012, 0.9948, 0.0040],
    [0.0022, 0.0018, 0.9960],
])
DRIFT = (0.00035, -0.00040, 0.0)         # per-hour log drift of each regime
VOL_SCALE = (1.00, 1.30, 0.80)           # regime multiplier on the GARCH volatility
MOMENTUM = (0.30, 0.30, -0.18)           # weight of the previous hour's return
REVERSION = 0.060                        # range regime: pull toward the slow anchor
ANCHOR_ALPHA = 2.0 / (200 + 1)           # anchor = EMA200 of log close
GARCH_ALPHA, GARCH_BETA = 0.07, 0.90
LONG_RUN_VOL = 0.0055                    # unconditional hourly volatility
STUDENT_DF = 5.0


@dataclass(frozen=True)
class History:
    """One OHLCV series; arrays are float64 except `timestamps` (ISO strings) and `regime`."""

    timestamps: list[str]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    regime: np.ndarray

    def __len__(self) -> int:
        return len(self.timestamps)

    def tail(self, n: int) -> "History":
        s = slice(max(len(self) - n, 0), None)
        return History(self.timestamps[s], self.open[s], self.high[s], self.low[s],
                       self.close[s], self.volume[s], self.regime[s])


def _on_grid(x: float, decimals: int) -> float:
    """The float64 nearest to x written with `decimals` decimals (what an exchange would print)."""
    return float(f"{x:.{decimals}f}")


def _timestamps(n: int) -> list[str]:
    return [(START + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]


def generate_history(n: int, seed: int) -> History:
    """Generate `n` hourly candles; the same (n, seed) gives the same values on a given machine."""
    if n < 2:
        raise ValueError(f"need at least 2 candles, got {n}")
    rng = np.random.default_rng(seed)
    # Every random number is drawn up front, in a fixed order, so the recursion below is pure.
    regime_u = rng.random(n)
    shocks = rng.standard_t(STUDENT_DF, n) / math.sqrt(STUDENT_DF / (STUDENT_DF - 2.0))
    wick_up = np.abs(rng.standard_normal(n))
    wick_down = np.abs(rng.standard_normal(n))
    volume_noise = rng.standard_normal(n)

    cumulative = np.cumsum(TRANSITIONS, axis=1)
    omega = LONG_RUN_VOL**2 * (1.0 - GARCH_ALPHA - GARCH_BETA)
    hours = np.arange(n)
    hour_of_day = hours % 24
    weekday = (hours // 24 + START.weekday()) % 7
    season = 0.25 * np.sin(2.0 * np.pi * (hour_of_day - 9) / 24.0) - 0.30 * (weekday >= 5)

    regime = np.empty(n, dtype=np.int8)
    opens, highs, lows, closes, volumes = (np.empty(n) for _ in range(5))
    state = RANGE
    log_price = math.log(START_PRICE)
    anchor = log_price
    var = LONG_RUN_VOL**2
    prev_eps = 0.0
    prev_ret = 0.0
    vol_ar = 0.0
    prev_close = _on_grid(START_PRICE, TICK_DECIMALS)
    for t in range(n):
        state = int(np.searchsorted(cumulative[state], regime_u[t], side="right"))
        state = min(state, 2)
        regime[t] = state
        var = omega + GARCH_ALPHA * prev_eps * prev_eps + GARCH_BETA * var
        garch_eps = math.sqrt(var) * shocks[t]
        # The regime scales the shock after the GARCH update so that it cannot make the
        # variance recursion explosive (alpha * scale^2 + beta would exceed 1 in down trends).
        sigma = math.sqrt(var) * VOL_SCALE[state]
        eps = VOL_SCALE[state] * garch_eps
        mean = DRIFT[state] + MOMENTUM[state] * prev_ret
        if state == RANGE:
            mean -= REVERSION * (log_price - anchor)
        ret = mean + eps
        log_price += ret
        anchor += ANCHOR_ALPHA * (log_price - anchor)
        prev_eps, prev_ret = garch_eps, ret

        o = prev_close
        c = _on_grid(math.exp(log_price), TICK_DECIMALS)
        if c <= 0.0:
            raise ValueError("price fell to zero; choose another seed")
        hi = max(o, c) * math.exp(0.45 * sigma * wick_up[t])
        lo = min(o, c) * math.exp(-0.45 * sigma * wick_down[t])
        h = max(_on_grid(hi, TICK_DECIMALS), o, c)
        lo_tick = _on_grid(lo, TICK_DECIMALS)
        low = min(lo_tick if lo_tick > 0.0 else min(o, c), o, c)

        vol_ar = 0.75 * vol_ar + 0.35 * volume_noise[t]
        surprise = abs(ret) / (LONG_RUN_VOL * VOL_SCALE[state])
        log_v = (math.log(BASE_VOLUME) + 0.35 * min(surprise, 8.0)
                 + 0.9 * math.log(VOL_SCALE[state])
                 + (0.20 if state != RANGE else -0.15) + season[t] + vol_ar)
        v = max(_on_grid(math.exp(log_v), LOT_DECIMALS), 10.0 ** -LOT_DECIMALS)

        opens[t], highs[t], lows[t], closes[t], volumes[t] = o, h, low, c, v
        prev_close = c
    return History(_timestamps(n), opens, highs, lows, closes, volumes, regime)


HEADER = ("timestamp", "open", "high", "low", "close", "volume")


def write_history_csv(history: History, path: Path) -> None:
    """timestamp,open,high,low,close,volume; floats in shortest round-trip form; LF line ends."""
    lines = [",".join(HEADER)]
    for i in range(len(history)):
        lines.append(",".join((history.timestamps[i], repr(float(history.open[i])),
                               repr(float(history.high[i])), repr(float(history.low[i])),
                               repr(float(history.close[i])), repr(float(history.volume[i])))))
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")


def read_history_csv(path: Path) -> History:
    """Read a file written by write_history_csv (regimes are not stored: filled with -1)."""
    rows = Path(path).read_text(encoding="ascii").splitlines()
    if tuple(rows[0].split(",")) != HEADER:
        raise ValueError(f"{path}: header is not {','.join(HEADER)}")
    fields = [r.split(",") for r in rows[1:]]
    cols = [np.array([float(f[k]) for f in fields]) for k in range(1, 6)]
    return History([f[0] for f in fields], *cols, regime=np.full(len(fields), -1, dtype=np.int8))
