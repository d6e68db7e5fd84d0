#!/usr/bin/env python3
"""Write the technical-feature fixtures (test/fixtures/features/) with the reference
implementation, tools/features.py.

    python tools/make_feature_fixtures.py [OUT_DIR]

reference.f64   feature_matrix of data/sample_history.csv (10,000 candles), raw little-endian
                float64, rows x 12, with the package's "nan" warm-up policy: rows 0..48 are all
                NaN, row i >= 49 is compute_features' row for candle i.
edge.candles.f64  a small hand-made series (rows x 5: open, high, low, close, volume) that
                reaches the degenerate branches: a flat close window (bb_position 0.5,
                zscore 0, rsi 50), zero volume windows (volume_ratio 1), OHLC relations the
                reference does not check (high below close), gaps.
edge.f64        its features, same layout as reference.f64.
reference.json  rows, warm-up, feature names, the CSV's sha256, per file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from features import FEATURE_NAMES, WARMUP_BARS, compute_features, feature_matrix  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "data" / "sample_history.csv"


def read_history(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close", "volume")}


def with_nan_warmup(h: dict[str, np.ndarray]) -> np.ndarray:
    """feature_matrix with every warm-up row set to NaN; checked against compute_features."""
    full = feature_matrix(h["high"], h["low"], h["close"], h["volume"])
    scored = compute_features(h["high"], h["low"], h["close"], h["volume"])
    assert np.array_equal(full[WARMUP_BARS:], scored)
    full[:WARMUP_BARS] = np.nan
    return full


def edge_series() -> dict[str, np.ndarray]:
    """240 candles: 55 then 30 equal closes, a trend, zero-volume stretches, jumps, a high below close."""
    n = 240
    t = np.arange(n, dtype=np.float64)
    close = np.round(100.0 + 3.0 * np.sin(t / 7.0) + 0.05 * t, 2)
    # Flat: a degenerate Bollinger window, rsi -> 50. 20 x 100.04 sums to a mean that is not
    # 100.04, so only the max == min test catches it (std would be 1.4e-14).
    close[90:120] = 100.04
    close[:55] = 100.04                         # flat from the start: no gain, no loss, rsi = 50
    close[150] = close[149] * 1.5               # a jump and back
    close[151] = close[149]
    close[200:] = np.round(close[200:] * 1e-3, 5)  # prices three orders of magnitude smaller
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * 1.002
    low = np.minimum(open_, close) * 0.998
    high[160] = close[160] * 0.999              # inconsistent candle: the reference accepts it
    volume = np.round(50.0 + 20.0 * np.cos(t / 3.0), 4)
    volume[60:85] = 0.0                         # a full 20-bar window of zero volume
    volume[130] = 0.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test" / "fixtures" / "features"
    out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {
        "generator": "tools/make_feature_fixtures.py (tools/features.py)",
        "feature_names": list(FEATURE_NAMES),
        "n_features": len(FEATURE_NAMES),
        "warmup": WARMUP_BARS,
        "warmup_policy": "nan",
    }

    history = read_history(CSV)
    ref = with_nan_warmup(history)
    ref.astype("<f8").tofile(out / "reference.f64")
    meta["reference"] = {
        "source": "data/sample_history.csv",
        "source_sha256": hashlib.sha256(CSV.read_bytes()).hexdigest(),
        "file": "reference.f64",
        "rows": int(ref.shape[0]),
        "scored_rows": int(ref.shape[0] - WARMUP_BARS),
    }

    edge = edge_series()
    candles = np.column_stack([edge[k] for k in ("open", "high", "low", "close", "volume")])
    candles.astype("<f8").tofile(out / "edge.candles.f64")
    edge_ref = with_nan_warmup(edge)
    edge_ref.astype("<f8").tofile(out / "edge.f64")
    flat_rows = int(np.sum(edge_ref[WARMUP_BARS:, 7] == 0.5))
    rsi_50_rows = int(np.sum(edge_ref[WARMUP_BARS:, 3] == 50.0))
    unit_volume_rows = int(np.sum(edge_ref[WARMUP_BARS:, 11] == 1.0))
    assert flat_rows > 0 and unit_volume_rows > 0 and rsi_50_rows > 0, "the edge series misses its degenerate branches"
    meta["edge"] = {
        "candles": "edge.candles.f64",
        "file": "edge.f64",
        "rows": int(edge_ref.shape[0]),
        "degenerate_bollinger_rows": flat_rows,
        "zero_volume_mean_rows": unit_volume_rows,
        "rsi_50_rows": rsi_50_rows,
    }
    (out / "reference.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {out}: {ref.shape[0]} + {edge_ref.shape[0]} rows")


if __name__ == "__main__":
    main()
