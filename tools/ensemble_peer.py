#!/usr/bin/env python3
"""The original Python ensemble as a benchmark peer: the real lightgbm, xgboost and scikit-learn
objects, P(up) = (0.4*LightGBM + 0.4*XGBoost) + 0.2*RandomForest, on the bundled model files and
the rows of test/fixtures/production/inputs.f64. Prints one JSON object on stdout.

    .venv/bin/python tools/ensemble_peer.py [--quick] [--models DIR] [--inputs FILE]

Measured: load time and RSS after load; single-row predict_proba latency (median, p99) of the
ensemble and of each model, after warm-up, 1 thread; batch rows/s at 100, 10,000 and 1,000,000
rows (the inputs tiled) with 1 thread and with all cores, with each model's share of the call.

LightGBM and XGBoost load the bundled files (lightgbm.Booster, xgboost.Booster). The bundled forest
is in the package's own format, which scikit-learn cannot read, so the forest is rebuilt: the
RandomForestClassifier is refitted with tools/train_models.py's own data and the hyper-parameters
and seed recorded in the metadata, exported with tools/export_sklearn_forest.py, and used only if
that export is byte-identical to the bundled random_forest.forest (same trees, same thresholds).
It is cached as joblib (the seed's pickle path) in $TMPDIR/production-ensemble-bench/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import warnings

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
WEIGHTS = {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
N_FEATURES = 12


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ----------------------------------------------------------------------------------------------
# The forest: refitted, checked byte-for-byte against the bundled file, cached as joblib.


def forest_joblib(models: Path, cache_dir: Path) -> tuple[Path, dict]:
    bundled = models / "random_forest.forest"
    bundled_sha = sha256(bundled)
    path = cache_dir / f"random_forest-{bundled_sha[:16]}.joblib"
    info = {"bundledSha256": bundled_sha, "joblib": str(path),
            "source": "RandomForestClassifier refitted by tools/train_models.py's build_dataset "
                      "with the metadata's params and seed; its export is byte-identical to the "
                      "bundled random_forest.forest"}
    if path.exists():
        info["cached"] = True
        return path, info

    import joblib
    from sklearn.ensemble import RandomForestClassifier

    sys.path.insert(0, str(TOOLS))
    import train_models  # noqa: E402  (the training code itself, so the data are the same)
    from export_sklearn_forest import export_forest  # noqa: E402

    meta = json.loads((models / "production_model_metadata.json").read_text(encoding="utf-8"))
    training = meta["training"]
    params = dict(training["params"]["random_forest"])
    started = time.perf_counter()
    ds = train_models.build_dataset(training["data"]["candles"], training["seed"])
    forest = RandomForestClassifier(**params, n_jobs=os.cpu_count())
    forest.fit(ds.x_train, ds.y[:ds.n_train])
    forest.set_params(n_jobs=1)
    forest.feature_names_in_ = np.array(train_models.FEATURE_NAMES, dtype=object)
    with tempfile.TemporaryDirectory() as tmp:
        exported = Path(tmp) / "random_forest.forest"
        try:
            export_forest(forest, exported)
        finally:
            del forest.feature_names_in_
        if sha256(exported) != bundled_sha:
            raise SystemExit("the refitted forest differs from the bundled random_forest.forest "
                             f"({exported} sha256 {sha256(exported)} != {bundled_sha}); "
                             "was it trained with other data or library versions?")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(f".{os.getpid()}.tmp")
    joblib.dump(forest, tmp_path)
    os.replace(tmp_path, path)
    info["cached"] = False
    info["refitSeconds"] = round(time.perf_counter() - started, 2)
    log(f"forest refitted in {info['refitSeconds']} s, export identical to the bundled file; "
        f"cached at {path}")
    return path, info


# ----------------------------------------------------------------------------------------------
# The ensemble, shaped as the seed's ProductionEnsemble (predict_proba -> (rows, 2)).


class PythonEnsemble:
    def __init__(self, models: Path, forest_path: Path):
        import joblib
        import lightgbm as lgb
        import xgboost as xgb

        self.load_seconds = {}
        t = time.perf_counter()
        self.lgb = lgb.Booster(model_file=str(models / "lightgbm.txt"))
        self.load_seconds["lightgbm"] = time.perf_counter() - t
        t = time.perf_counter()
        self.xgb = xgb.Booster(model_file=str(models / "xgboost.json"))
        self.load_seconds["xgboost"] = time.perf_counter() - t
        t = time.perf_counter()
        self.rf = joblib.load(forest_path)
        self.load_seconds["random_forest"] = time.perf_counter() - t
        self.threads = 1
        self.set_threads(1)
        self.last = {}

    def set_threads(self, n: int) -> None:
        self.threads = n
        self.xgb.set_param({"nthread": n})
        self.rf.set_params(n_jobs=n)

    # Each model's documented call, as in tools/train_models.py's reference predictions.
    def p_lightgbm(self, x):
        return self.lgb.predict(x, num_threads=self.threads)

    def p_xgboost(self, x):
        # XGBoost returns float32; the ensemble is combined in float64 (as the reference is).
        return np.asarray(self.xgb.inplace_predict(x, missing=np.nan), dtype=np.float64)

    def p_random_forest(self, x):
        return self.rf.predict_proba(x)[:, 1]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] != N_FEATURES:
            raise ValueError(f"feature count mismatch: {x.shape[1]} != {N_FEATURES}")
        t0 = time.perf_counter()
        p_lgb = self.p_lightgbm(x)
        t1 = time.perf_counter()
        p_xgb = self.p_xgboost(x)
        t2 = time.perf_counter()
        p_rf = self.p_random_forest(x)
        t3 = time.perf_counter()
        self.last = {"lightgbm": t1 - t0, "xgboost": t2 - t1, "random_forest": t3 - t2}
        p = (WEIGHTS["lightgbm"] * p_lgb + WEIGHTS["xgboost"] * p_xgb) + WEIGHTS["random_forest"] * p_rf
        return np.column_stack([1.0 - p, p])


# ----------------------------------------------------------------------------------------------
# Measurements.


def percentile(sorted_values, q: float) -> float:
    i = min(len(sorted_values) - 1, max(0, int(np.ceil(q * len(sorted_values))) - 1))
    return sorted_values[i]


def latency(fn, x: np.ndarray, calls: int, warmup: int) -> dict:
    rows = len(x)
    for i in range(warmup):
        fn(x[i % rows:i % rows + 1])
    times = []
    clock = time.perf_counter_ns
    for i in range(calls):
        r = x[i % rows:i % rows + 1]
        t = clock()
        fn(r)
        times.append(clock() - t)
    times.sort()
    return {"calls": calls, "medianUs": round(statistics.median(times) / 1e3, 3),
            "p99Us": round(percentile(times, 0.99) / 1e3, 3),
            "meanUs": round(sum(times) / len(times) / 1e3, 3),
            "minUs": round(times[0] / 1e3, 3)}


def batch(model: PythonEnsemble, x: np.ndarray, budget: float, max_reps: int) -> dict:
    model.predict_proba(x[: min(len(x), 1000)])  # warm (thread pools, lazy init)
    secs, shares = [], []
    spent = 0.0
    while len(secs) < max_reps and (len(secs) < 3 or spent < budget):
        t = time.perf_counter()
        model.predict_proba(x)
        s = time.perf_counter() - t
        secs.append(s)
        shares.append(model.last)
        spent += s
        if s > budget:  # one long call is its own measurement
            break
    med = statistics.median(secs)
    per_model = {k: round(statistics.median(sh[k] for sh in shares), 6) for k in shares[0]}
    return {"rows": len(x), "threads": model.threads, "reps": len(secs),
            "medianSeconds": round(med, 6), "minSeconds": round(min(secs), 6),
            "rowsPerSecond": round(len(x) / med, 1), "perModelSeconds": per_model,
            "perModelRowsPerSecond": {k: round(len(x) / v, 1) for k, v in per_model.items()}}


def tile(x: np.ndarray, rows: int) -> np.ndarray:
    reps = -(-rows // len(x))
    return np.ascontiguousarray(np.tile(x, (reps, 1))[:rows])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 single-row calls, no 1,000,000-row batch")
    ap.add_argument("--models", type=Path, default=ROOT / "models" / "production")
    ap.add_argument("--inputs", type=Path, default=ROOT / "test" / "fixtures" / "production" / "inputs.f64")
    ap.add_argument("--reference", type=Path, default=ROOT / "test" / "fixtures" / "production" / "reference.json")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "production-ensemble-bench")
    ap.add_argument("--calls", type=int, help="single-row calls per measurement (>= 300)")
    ap.add_argument("--sizes", help="comma-separated batch sizes (default 100,10000,1000000)")
    args = ap.parse_args(argv)
    calls = max(300, args.calls or (300 if args.quick else 1000))
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [100, 10_000] if args.quick else [100, 10_000, 1_000_000])
    cores = os.cpu_count() or 1
    # scikit-learn's NaN check reduces over rows holding NaN and numpy warns; the rows are meant.
    warnings.filterwarnings("ignore", message="invalid value encountered in reduce")
    budget = 0.3 if args.quick else 1.0

    rss_start = rss_mib()
    import joblib
    import lightgbm
    import sklearn
    import xgboost
    rss_imported = rss_mib()
    forest_path, forest_info = forest_joblib(args.models, args.cache)

    t = time.perf_counter()
    model = PythonEnsemble(args.models, forest_path)
    load_seconds = time.perf_counter() - t
    rss_loaded = rss_mib()

    x = np.fromfile(args.inputs, dtype="<f8").reshape(-1, N_FEATURES)
    ref = json.loads(args.reference.read_text(encoding="utf-8"))
    got = {"lightgbm": model.p_lightgbm(x), "xgboost": model.p_xgboost(x),
           "random_forest": model.p_random_forest(x), "ensemble": model.predict_proba(x)[:, 1]}
    max_diff = {k: float(np.max(np.abs(v - np.asarray(ref[k]["f64"], dtype=np.float64))))
                for k, v in got.items()}

    out = {
        "peer": "python-ensemble",
        "description": "the seed's ProductionEnsemble shape: lightgbm.Booster.predict, "
                       "xgboost.Booster.inplace_predict, RandomForestClassifier.predict_proba; "
                       "(0.4*lgb + 0.4*xgb) + 0.2*rf in float64",
        "quick": args.quick,
        "machine": {"cpu": cpu_model(), "cores": cores, "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__,
                     "scikit-learn": sklearn.__version__, "joblib": joblib.__version__},
        "models": str(args.models),
        "inputs": {"file": str(args.inputs), "rows": len(x),
                   "rowsWithNaN": int(np.isnan(x).any(axis=1).sum())},
        "forest": forest_info,
        "load": {"seconds": round(load_seconds, 6),
                 "perModelSeconds": {k: round(v, 6) for k, v in model.load_seconds.items()},
                 "rssMiB": {"start": rss_start, "afterImports": rss_imported,
                            "afterLoad": rss_loaded}},
        "maxAbsDiffFromReference": max_diff,
        "singleRow": {"threads": 1, "warmup": 50},
        "batch": [],
    }

    model.set_threads(1)
    single = out["singleRow"]
    single["ensemble"] = latency(model.predict_proba, x, calls, 50)
    single["lightgbm"] = latency(model.p_lightgbm, x, calls, 50)
    single["xgboost"] = latency(model.p_xgboost, x, calls, 50)
    single["random_forest"] = latency(model.p_random_forest, x, calls, 50)
    log(f"single row (1 thread): ensemble median {single['ensemble']['medianUs']} us, "
        f"p99 {single['ensemble']['p99Us']} us")

    for rows in sizes:
        xs = tile(x, rows)
        for threads in sorted({1, cores}):
            model.set_threads(threads)
            r = batch(model, xs, budget, 200 if rows <= 10_000 else 3)
            out["batch"].append(r)
            log(f"batch {rows} rows, {threads} thread(s): {r['rowsPerSecond']:.0f} rows/s "
                f"({r['reps']} reps)")
        del xs
    out["rssMiBAtEnd"] = rss_mib()
    print(json.dumps(out, indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
