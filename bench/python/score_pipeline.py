#!/usr/bin/env python3
"""The Python path of the pipeline benchmark (bench/js/pipeline.bench.mjs): a candle CSV scored
the way a pandas user would, on the same file and models as the package's CLI. pandas reads the
CSV, computes the 12 features with pandas operations (the definitions of tools/features.py),
the three libraries score them (the bundled LightGBM and XGBoost files; the forest refitted as
tools/ensemble_peer.py does), and pandas writes timestamp, each model's P(up), the ensemble and
the label to Parquet (pyarrow). Prints one JSON object with each step's seconds.

    .venv/bin/python bench/python/score_pipeline.py CANDLES.csv OUT.parquet [--threads N]
    .venv/bin/python bench/python/score_pipeline.py --prepare     # the forest cache, untimed

Needs pandas and pyarrow (bench/python/requirements.txt) on top of tools/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from ensemble_peer import WEIGHTS, PythonEnsemble, forest_joblib  # noqa: E402

MODELS = ROOT / "models" / "production"
CACHE = Path(tempfile.gettempdir()) / "production-ensemble-bench"
WARMUP_BARS = 49
WINDOW = 20


def wilder(x: pd.Series, n: int = 14) -> pd.Series:
    """Wilder's smoothing from bar 1: seeded at bar n with the mean of x[1..n], then
    s = s_prev * (n-1)/n + x/n (an EWM with alpha 1/n over the seeded series)."""
    s = x.copy()
    s.iloc[: n] = np.nan
    s.iloc[n] = x.iloc[1 : n + 1].mean()
    return s.ewm(alpha=1.0 / n, adjust=False, ignore_na=True).mean()


def features(df: pd.DataFrame) -> pd.DataFrame:
    close, high, low, volume = df["close"], df["high"], df["low"], df["volume"]
    prev = close.shift(1)
    delta = close - prev
    gain = delta.where(delta > 0, 0.0)
    loss = (-delta).where(delta < 0, 0.0)
    avg_gain, avg_loss = wilder(gain), wilder(loss)
    both = avg_gain + avg_loss
    rsi = (100.0 * avg_gain / both).where(both > 0, 50.0)
    ema = {n: close.ewm(span=n, adjust=False).mean() for n in (12, 20, 26, 50)}
    macd = ema[12] - ema[26]
    signal = macd.ewm(span=9, adjust=False).mean()
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(axis=1)
    atr = wilder(tr)
    roll = close.rolling(WINDOW)
    mean, std = roll.mean(), roll.std(ddof=0)
    flat = roll.max() == roll.min()
    upper, lower = mean + 2.0 * std, mean - 2.0 * std
    degenerate = flat | (upper == lower)
    bb = ((close - lower) / (upper - lower)).where(~degenerate, 0.5)
    z = ((close - mean) / std).where(~degenerate, 0.0)
    vmean = volume.rolling(WINDOW).mean()
    vr = (volume / vmean).where(vmean != 0, 1.0)
    out = pd.DataFrame({
        "close": close, "volume": volume, "returns_1": close / prev - 1.0, "rsi_14": rsi,
        "macd": macd, "macd_signal": signal, "atr_14": atr, "bb_position": bb,
        "ema_20": ema[20], "ema_50": ema[50], "zscore": z, "volume_ratio": vr,
    })
    return out.iloc[WARMUP_BARS:]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("candles", nargs="?")
    ap.add_argument("output", nargs="?")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--prepare", action="store_true")
    args = ap.parse_args()
    forest, _ = forest_joblib(MODELS, CACHE)
    if args.prepare:
        print(json.dumps({"forest": str(forest)}))
        return 0
    steps = {"imports": time.perf_counter() - T_START}
    t = time.perf_counter()
    model = PythonEnsemble(MODELS, forest)
    model.set_threads(args.threads)
    meta = json.loads((MODELS / "production_model_metadata.json").read_text(encoding="utf-8"))
    threshold = float(meta.get("decision_threshold", 0.5))
    steps["load"] = time.perf_counter() - t
    t = time.perf_counter()
    df = pd.read_csv(args.candles, parse_dates=["timestamp"])
    steps["read"] = time.perf_counter() - t
    t = time.perf_counter()
    x = features(df)
    steps["features"] = time.perf_counter() - t
    t = time.perf_counter()
    xs = np.ascontiguousarray(x.to_numpy(dtype=np.float64))
    models = {}
    for name, fn in (("lightgbm", model.p_lightgbm), ("xgboost", model.p_xgboost),
                     ("random_forest", model.p_random_forest)):
        m = time.perf_counter()
        models[name] = fn(xs)
        steps[f"score_{name}"] = time.perf_counter() - m
    p = (WEIGHTS["lightgbm"] * models["lightgbm"] + WEIGHTS["xgboost"] * models["xgboost"]) \
        + WEIGHTS["random_forest"] * models["random_forest"]
    steps["score"] = time.perf_counter() - t
    t = time.perf_counter()
    out = pd.DataFrame({
        "timestamp": df["timestamp"].iloc[WARMUP_BARS:].to_numpy(),
        **models,
        "ensemble": p,
        "label": (p >= threshold).astype(np.uint8),
    })
    out.to_parquet(args.output, index=False)
    steps["write"] = time.perf_counter() - t
    cpu = os.times()
    print(json.dumps({
        "inputRows": int(len(df)), "scoredRows": int(len(out)), "steps": steps,
        "cpuSeconds": cpu.user + cpu.system,
        "seconds": time.perf_counter() - T_START,
        "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "versions": {"pandas": pd.__version__, "numpy": np.__version__},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
