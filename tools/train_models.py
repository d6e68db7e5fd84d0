#!/usr/bin/env python3
"""Train the bundled production ensemble (LightGBM + XGBoost + RandomForest) on a reproducible
synthetic hourly price history, and write the models, their metadata, the sample data and the
reference predictions of each library that the package's tests compare against.

    .venv/bin/python tools/train_models.py                  # the bundled set (~1 minute, 2 cores)
    .venv/bin/python tools/train_models.py --size large --out /tmp/models-large   # benchmarks

Default run writes models/production/, data/sample_history.csv, data/sample_features.csv and
test/fixtures/production/. Everything is seeded and the thread count fixed, so a rerun on the same
machine rewrites byte-identical files.
See tools/README.md, docs/features.md and docs/metadata.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))

from drift_reference import drift_reference  # noqa: E402
from features import FEATURE_NAMES, WARMUP_BARS, compute_features  # noqa: E402
from synthetic_history import generate_history, write_history_csv  # noqa: E402

WEIGHTS = {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
MODEL_FILES = {
    "lightgbm": ("lightgbm.txt", "lightgbm-text"),
    "xgboost": ("xgboost.json", "xgboost-json"),
    "random_forest": ("random_forest.forest", "production-ensemble-forest-v1"),
}
DECISION_THRESHOLD = 0.5
TRAIN_FRACTION = 0.8
# Bots see gaps: this share of the training cells of these columns is set to NaN, so that every
# model learns where a missing value goes (features never NaN in training keep their library's
# own default, which the reference fixtures also exercise).
NAN_COLUMNS = ("volume", "rsi_14", "atr_14", "volume_ratio")
NAN_FRACTION = 0.005
SAMPLE_CANDLES = 10_000


@dataclass(frozen=True)
class Size:
    name: str
    lightgbm: dict
    lightgbm_rounds: int
    xgboost: dict
    xgboost_rounds: int
    forest: dict


SIZES = {
    "default": Size(
        "default",
        lightgbm={"num_leaves": 31, "learning_rate": 0.05, "min_data_in_leaf": 40,
                  "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
                  "lambda_l2": 1.0},
        lightgbm_rounds=300,
        xgboost={"max_depth": 6, "eta": 0.05, "subsample": 0.8, "colsample_bytree": 0.9,
                 "min_child_weight": 5.0, "lambda": 1.0},
        xgboost_rounds=300,
        forest={"n_estimators": 100, "max_depth": 14, "min_samples_leaf": 4,
                "max_features": "sqrt"},
    ),
    "large": Size(
        "large",
        lightgbm={"num_leaves": 63, "learning_rate": 0.03, "min_data_in_leaf": 20,
                  "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
                  "lambda_l2": 1.0},
        lightgbm_rounds=1000,
        xgboost={"max_depth": 8, "eta": 0.03, "subsample": 0.8, "colsample_bytree": 0.9,
                 "min_child_weight": 2.0, "lambda": 1.0},
        xgboost_rounds=1000,
        forest={"n_estimators": 300, "max_depth": 20, "min_samples_leaf": 3,
                "max_features": "sqrt"},
    ),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json(path: Path, obj) -> None:
    # Python's json writes floats as repr(), which round-trips float64 exactly.
    Path(path).write_text(json.dumps(obj, indent=2, allow_nan=False) + "\n", encoding="ascii")


# ----------------------------------------------------------------------------------------------
# Data.


@dataclass
class Dataset:
    history: object
    x: np.ndarray          # (rows, 12) clean features, rows = bars WARMUP_BARS .. n-2
    y: np.ndarray          # next-bar direction
    timestamps: list
    n_train: int
    x_train: np.ndarray    # with injected NaN
    nan_cells: dict


def build_dataset(candles: int, seed: int) -> Dataset:
    history = generate_history(candles, seed)
    feats = compute_features(history.high, history.low, history.close, history.volume)
    close = history.close[WARMUP_BARS:]
    # Label of bar t: close[t+1] > close[t]; the last bar has no next bar and is dropped.
    y = (close[1:] > close[:-1]).astype(np.int32)
    x = feats[:-1]
    n_train = int(len(x) * TRAIN_FRACTION)
    x_train = x[:n_train].copy()
    rng = np.random.default_rng(seed + 1)
    nan_cells = {}
    for name in NAN_COLUMNS:
        j = FEATURE_NAMES.index(name)
        rows = rng.choice(n_train, size=int(round(n_train * NAN_FRACTION)), replace=False)
        x_train[np.sort(rows), j] = np.nan
        nan_cells[name] = len(rows)
    return Dataset(history, x, y, history.timestamps[WARMUP_BARS:-1], n_train, x_train, nan_cells)


def write_sample_data(history, data_dir: Path) -> dict:
    """The last SAMPLE_CANDLES candles, and their features computed from that file alone (its
    EMAs start at its own first row), warm-up rows dropped: what the quick start scores."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sample = history.tail(SAMPLE_CANDLES)
    write_history_csv(sample, data_dir / "sample_history.csv")
    feats = compute_features(sample.high, sample.low, sample.close, sample.volume)
    lines = [",".join(("timestamp",) + FEATURE_NAMES)]
    for ts, row in zip(sample.timestamps[WARMUP_BARS:], feats):
        lines.append(",".join([ts] + [repr(float(v)) for v in row]))
    (data_dir / "sample_features.csv").write_text("\n".join(lines) + "\n", encoding="ascii")
    return {"sample_candles": len(sample), "sample_feature_rows": len(feats)}


# ----------------------------------------------------------------------------------------------
# Training.


def train_lightgbm(ds: Dataset, size: Size, seed: int, threads: int, path: Path):
    import lightgbm as lgb

    params = {"objective": "binary", "verbose": -1, "num_threads": threads, "seed": seed,
              "deterministic": True, "force_row_wise": True, **size.lightgbm}
    train = lgb.Dataset(ds.x_train, label=ds.y[:ds.n_train], feature_name=list(FEATURE_NAMES),
                        free_raw_data=False)
    booster = lgb.train(params, train, num_boost_round=size.lightgbm_rounds)
    booster.save_model(str(path), num_iteration=-1)
    return lgb.Booster(model_file=str(path)), params


def train_xgboost(ds: Dataset, size: Size, seed: int, threads: int, path: Path):
    import xgboost as xgb

    params = {"objective": "binary:logistic", "tree_method": "hist", "seed": seed,
              "nthread": threads, "eval_metric": "logloss", **size.xgboost}
    train = xgb.DMatrix(ds.x_train, label=ds.y[:ds.n_train], missing=np.nan,
                        feature_names=list(FEATURE_NAMES))
    booster = xgb.train(params, train, num_boost_round=size.xgboost_rounds)
    booster.save_model(str(path))
    loaded = xgb.Booster(model_file=str(path))
    loaded.set_param({"nthread": threads})
    return loaded, params


def train_forest(ds: Dataset, size: Size, seed: int, threads: int, path: Path):
    from export_sklearn_forest import export_forest
    from sklearn.ensemble import RandomForestClassifier

    params = {"random_state": seed, "n_jobs": threads, **size.forest}
    forest = RandomForestClassifier(**params)
    forest.fit(ds.x_train, ds.y[:ds.n_train])
    # predict_proba with n_jobs > 1 adds the trees' probabilities in thread-arrival order, so
    # the last bit of the result varies run to run; one job adds them in tree order.
    forest.set_params(n_jobs=1)
    # Trained on a numpy array, so scikit-learn keeps no names; lend them for the export only
    # (the forest file then records them) and take them back so predict on arrays stays silent.
    forest.feature_names_in_ = np.array(FEATURE_NAMES, dtype=object)
    try:
        summary = export_forest(forest, path)
    finally:
        del forest.feature_names_in_
    params.pop("n_jobs")
    return forest, params, summary


# ----------------------------------------------------------------------------------------------
# Prediction helpers shared with the fixtures: each is the library's own documented call.


def lightgbm_proba(booster, x: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(x), dtype=np.float64)


def xgboost_proba(booster, x: np.ndarray) -> np.ndarray:
    return np.asarray(booster.inplace_predict(x, missing=np.nan), dtype=np.float64)


def forest_proba(forest, x: np.ndarray) -> np.ndarray:
    return np.asarray(forest.predict_proba(x)[:, 1], dtype=np.float64)


def ensemble_proba(p_lgb, p_xgb, p_rf) -> np.ndarray:
    # In float64, in this order: 0.4*lgb + 0.4*xgb, then + 0.2*rf.
    w = WEIGHTS
    return (w["lightgbm"] * p_lgb + w["xgboost"] * p_xgb) + w["random_forest"] * p_rf


def f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(y, (p >= DECISION_THRESHOLD).astype(np.int32))), 6)


def accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return round(float(np.mean((p >= DECISION_THRESHOLD) == (y == 1))), 6)


def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, p)), 6)


# ----------------------------------------------------------------------------------------------
# Metadata.


def library_versions() -> dict:
    import lightgbm
    import sklearn
    import xgboost

    return {"lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__,
            "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def default_created_at(history) -> str:
    # Derived from the data (one hour after the last candle closes), so reruns are identical.
    last = datetime.strptime(history.timestamps[-1], "%Y-%m-%dT%H:%M:%SZ")
    return (last + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_metadata(out: Path, created_at: str, metrics: dict, training: dict, drift: dict) -> dict:
    meta = {
        "schema_version": 1,
        "created_at": created_at,
        "model_type": "ProductionEnsemble",
        "phase": "Phase 12",
        "status": "production_ready",
        "n_features": len(FEATURE_NAMES),
        "feature_names": list(FEATURE_NAMES),
        "individual_models": list(WEIGHTS),
        "model_weights": dict(WEIGHTS),
        "decision_threshold": DECISION_THRESHOLD,
        "performance_metrics": metrics,
        "model_files": {
            name: {"file": file, "format": fmt, "sha256": sha256(out / file)}
            for name, (file, fmt) in MODEL_FILES.items()
        },
        "training_library_versions": library_versions(),
        "training": training,
        "drift_reference": drift,
    }
    write_json(out / "production_model_metadata.json", meta)
    legacy = {k: meta[k] for k in ("model_type", "n_features", "feature_names",
                                   "individual_models", "model_weights", "created_at")}
    write_json(out / "model_metadata.json", legacy)
    return meta


# ----------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(SIZES), default="default",
                   help="default: the bundled ensemble; large: 1000-tree boosters and a "
                        "300-tree forest for benchmarks (never bundled)")
    p.add_argument("--out", type=Path, help="model directory (default models/production for "
                   "--size default; required for --size large)")
    p.add_argument("--candles", type=int, default=60_000, help="hourly candles to generate")
    p.add_argument("--seed", type=int, default=12, help="seed of the history; the NaN "
                   "injection, the models and the fixture rows use seed+1 .. seed+4")
    p.add_argument("--threads", type=int, default=1, help="training/prediction threads "
                   "(default 1: the data is small, and OpenMP barriers crawl when another "
                   "process holds a core; the trees do not depend on it)")
    p.add_argument("--created-at", help="metadata created_at (default: derived from the data)")
    p.add_argument("--data-dir", type=Path, help="where to write sample_history.csv and "
                   "sample_features.csv (default data/ for the bundled set, else not written)")
    p.add_argument("--fixtures", type=Path, help="where to write the reference predictions "
                   "(default test/fixtures/production for the bundled set, else not written)")
    args = p.parse_args(argv)
    bundled = ROOT / "models" / "production"
    if args.out is None:
        if args.size != "default":
            p.error("--size large needs --out DIR (the large ensemble is not bundled)")
        args.out = bundled
    if args.size != "default" and args.out.resolve() == bundled.resolve():
        p.error("refusing to write the large ensemble over the bundled models/production")
    if args.out.resolve() == bundled.resolve():
        args.data_dir = args.data_dir or ROOT / "data"
        args.fixtures = args.fixtures or ROOT / "test" / "fixtures" / "production"
    if args.candles < 5_000:
        p.error("--candles must be at least 5000")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    size = SIZES[args.size]
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)

    ds = build_dataset(args.candles, args.seed)
    log(f"history: {len(ds.history)} candles {ds.history.timestamps[0]} .. "
        f"{ds.history.timestamps[-1]}; {len(ds.x)} labelled rows, train {ds.n_train}, "
        f"holdout {len(ds.x) - ds.n_train}; NaN cells injected {ds.nan_cells}")
    data_info = write_sample_data(ds.history, args.data_dir) if args.data_dir else {}

    t = time.monotonic()
    lgb_booster, lgb_params = train_lightgbm(ds, size, args.seed + 2, args.threads,
                                             args.out / "lightgbm.txt")
    log(f"lightgbm: {size.lightgbm_rounds} trees in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    xgb_booster, xgb_params = train_xgboost(ds, size, args.seed + 2, args.threads,
                                            args.out / "xgboost.json")
    log(f"xgboost: {size.xgboost_rounds} trees in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    forest, rf_params, rf_summary = train_forest(ds, size, args.seed + 3, args.threads,
                                                 args.out / "random_forest.forest")
    log(f"random forest: {rf_summary['n_trees']} trees, {rf_summary['n_nodes']} nodes in "
        f"{time.monotonic() - t:.1f} s")

    holdout, y_holdout = ds.x[ds.n_train:], ds.y[ds.n_train:]
    p_lgb = lightgbm_proba(lgb_booster, holdout)
    p_xgb = xgboost_proba(xgb_booster, holdout)
    p_rf = forest_proba(forest, holdout)
    p_ens = ensemble_proba(p_lgb, p_xgb, p_rf)
    ens_f1 = f1(y_holdout, p_ens)
    probs = {"lightgbm": p_lgb, "xgboost": p_xgb, "random_forest": p_rf, "ensemble": p_ens}
    metrics = {
        "lightgbm_f1": f1(y_holdout, p_lgb),
        "xgboost_f1": f1(y_holdout, p_xgb),
        "random_forest_f1": f1(y_holdout, p_rf),
        "ensemble_f1": ens_f1,
        "ensemble_expected_f1": f"about {ens_f1:.2f} on the synthetic history (next-bar "
                                "direction is close to a coin flip; not a market forecast)",
        "accuracy": {name: accuracy(y_holdout, p) for name, p in probs.items()},
        "roc_auc": {name: auc(y_holdout, p) for name, p in probs.items()},
        "holdout_up_fraction": round(float(y_holdout.mean()), 6),
        "evaluation": "time-ordered holdout, last 20%",
    }
    log(f"holdout F1: {metrics}")

    training = {
        "rows": int(len(ds.x)),
        "train_rows": ds.n_train,
        "holdout_rows": int(len(ds.x) - ds.n_train),
        "label": "next-bar direction (close[t+1] > close[t])",
        "seed": args.seed,
        "size": size.name,
        "threads": args.threads,
        "data": {"generator": "tools/synthetic_history.py", "candles": len(ds.history),
                 "interval": "1h", "first_timestamp": ds.history.timestamps[0],
                 "last_timestamp": ds.history.timestamps[-1], "warmup_bars": WARMUP_BARS,
                 **data_info},
        "nan_injection": {"fraction": NAN_FRACTION, "cells": ds.nan_cells},
        "params": {
            "lightgbm": {**lgb_params, "num_boost_round": size.lightgbm_rounds},
            "xgboost": {**xgb_params, "num_boost_round": size.xgboost_rounds},
            "random_forest": rf_params,
        },
    }
    # What the DriftMonitor compares production rows with: the features of the training rows (as
    # the models saw them, NaN included) and each model's scores on the holdout, out of sample
    # (a forest scores its own training rows far more confidently than new ones).
    drift = drift_reference(FEATURE_NAMES, ds.x_train, probs,
                            features_from=f"training rows ({ds.n_train}, the first 80% in time)",
                            scores_from=f"holdout rows ({len(holdout)}, the last 20%, out of sample)")
    created_at = args.created_at or default_created_at(ds.history)
    write_metadata(args.out, created_at, metrics, training, drift)

    if args.fixtures:
        from reference_fixtures import write_fixtures

        write_fixtures(args.fixtures, ds, args.seed + 4, args.out, lgb_booster, xgb_booster, forest)

    log(f"done in {time.monotonic() - started:.1f} s; files:")
    dirs = [args.out] + [d for d in (args.data_dir, args.fixtures) if d]
    for d in dirs:
        for f in sorted(Path(d).iterdir()):
            if f.is_file():
                log(f"  {f.stat().st_size:>10}  {sha256(f)}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
