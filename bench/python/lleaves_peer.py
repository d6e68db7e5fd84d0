#!/usr/bin/env python3
"""lleaves as a benchmark peer: a LightGBM text model compiled to machine code with LLVM, scored on
the same float64 rows as the package's LightGBMModel. Prints one JSON object on stdout.

    .venv/bin/python bench/python/lleaves_peer.py --model DIR/lightgbm.txt --inputs INPUTS.f64
        [--quick] [--sizes 100,10000,1000000] [--calls N]

Measured: the compile (lleaves.Model + compile() with its defaults, uncached; the same model again
from the object file that compile wrote, to show what a cached deployment pays at start-up; and the
raw-score model used for the raw exactness check, compiled without inlining), single-row latency
of predict(row, n_jobs=1), and batch rows/s at each size (the inputs tiled) with n_jobs=1 and
n_jobs=all cores, timed as bench/js/measure.mjs's timeBatch (one warm-up on up to 1,000 rows, at
least 3 repeats, more within the time budget, median). Every timed batch's output is checked against LightGBM's.

Exactness against lightgbm.Booster.predict (probability, and raw_score=True against the raw-score
compile), overall and on the rows holding NaN: the largest difference, the rows differing at all,
and the rows differing by more than 1e-9. lleaves adds the trees in blocks of 34 and then the
blocks, LightGBM one tree after another, so rows may differ by a few ulp; a difference above 1e-9
means a row reached another leaf (a threshold or missing-value disagreement).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

NOT_INSTALLED = 3  # the exit code bench/js/peers/lleaves.mjs reads as "not installed"
try:
    import lightgbm
    import lleaves
    import llvmlite
    import llvmlite.binding as llvm
    import numpy as np
except ImportError as e:
    print(f"lleaves peer: {e} (node bench/setup.mjs installs bench/python/requirements-lleaves.txt)", file=sys.stderr)
    sys.exit(NOT_INSTALLED)

N_FEATURES = 12
LEAF_DIFF = 1e-9  # above this a row took another leaf; below it, summation order
CLOCK = time.perf_counter


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


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


def differences(got: np.ndarray, want: np.ndarray, nan_rows: np.ndarray) -> dict:
    diff = np.abs(got - want)
    out = {"rows": len(want), "maxAbsDiff": float(diff.max()), "rowsDiffering": int((got != want).sum()),
           "rowsOver1e9": int((diff > LEAF_DIFF).sum())}
    if nan_rows.any():
        d = diff[nan_rows]
        out["rowsWithNaN"] = {"rows": int(nan_rows.sum()), "maxAbsDiff": float(d.max()),
                              "rowsDiffering": int((got[nan_rows] != want[nan_rows]).sum()),
                              "rowsOver1e9": int((d > LEAF_DIFF).sum())}
    return out


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
    p99 = times[min(len(times) - 1, max(0, math.ceil(0.99 * len(times)) - 1))]
    return {"calls": calls, "medianUs": round(statistics.median(times) / 1e3, 3), "p99Us": round(p99 / 1e3, 3),
            "minUs": round(times[0] / 1e3, 3), "meanUs": round(sum(times) / len(times) / 1e3, 3)}


def time_batch(fn, x: np.ndarray, budget: float) -> tuple[dict, np.ndarray]:
    """measure.mjs's timeBatch: warm on up to 1,000 rows, >= 3 repeats, more within budget."""
    fn(x[:min(len(x), 1000)])
    max_reps = 200 if len(x) <= 10_000 else 3
    secs, spent, out = [], 0.0, None
    while len(secs) < max_reps and (len(secs) < 3 or spent < budget):
        t = CLOCK()
        out = fn(x)
        s = CLOCK() - t
        secs.append(s)
        spent += s
        if s > budget:  # one long call is its own measurement
            break
    secs.sort()
    med = secs[len(secs) >> 1]
    return {"rows": len(x), "reps": len(secs), "medianSeconds": round(med, 6), "minSeconds": round(secs[0], 6),
            "rowsPerSecond": round(len(x) / med, 1)}, out


def tile(x: np.ndarray, rows: int) -> np.ndarray:
    reps = -(-rows // len(x))
    return np.ascontiguousarray(np.tile(x, (reps, 1))[:rows])


def compile_model(model_file: Path, **options) -> tuple[object, dict]:
    t = CLOCK()
    model = lleaves.Model(model_file=str(model_file))
    model.compile(**options)
    return model, {"seconds": round(CLOCK() - t, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True, help="a LightGBM text model (lightgbm.txt)")
    ap.add_argument("--inputs", type=Path, required=True, help="float64 rows, 12 features each (inputs.f64)")
    ap.add_argument("--quick", action="store_true", help="300 single-row calls, 0.3 s budgets, no 1,000,000-row batch")
    ap.add_argument("--sizes", help="comma-separated batch sizes (default 100,10000,1000000)")
    ap.add_argument("--calls", type=int, help="single-row calls (>= 300)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [100, 10_000] if args.quick else [100, 10_000, 1_000_000])
    calls = max(300, args.calls or (300 if args.quick else 1000))
    budget = 0.3 if args.quick else 1.0
    cores = os.cpu_count() or 1

    x = np.fromfile(args.inputs, dtype="<f8").reshape(-1, N_FEATURES)
    nan_rows = np.isnan(x).any(axis=1)
    booster = lightgbm.Booster(model_file=str(args.model))
    want = {"probability": booster.predict(x, num_threads=1), "rawScore": booster.predict(x, raw_score=True, num_threads=1)}

    rss_start = rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        # The first compile writes lleaves's object cache (no cache exists yet, so it is the full
        # compile); the second model loads that file instead of compiling.
        cache = Path(tmp) / "lightgbm.lleaves.o"
        log(f"lleaves peer: compiling {args.model} ...")
        model, compiled = compile_model(args.model, cache=str(cache))
        compiled["cacheFileBytes"] = cache.stat().st_size
        rss_compiled = rss_mib()
        _, cached = compile_model(args.model, cache=str(cache))
    log(f"lleaves peer: compiled in {compiled['seconds']} s (from its cache file {cached['seconds']} s)")
    # Without inlining: the same floating-point adds in the same order (LLVM reorders none without
    # fast-math flags) at about a fifth of the compile time (inlined: ~2.5 min on the large set).
    raw_model, raw_compiled = compile_model(args.model, raw_score=True, finline=False)

    exactness = {}
    for what, m in (("probability", model), ("rawScore", raw_model)):
        exactness[what] = {f"threads{n}": differences(m.predict(x, n_jobs=n), want[what], nan_rows) for n in sorted({1, cores})}
    del raw_model

    out = {
        "peer": "lleaves",
        "contender": "lleaves (LightGBM only)",
        "description": "the LightGBM model compiled by lleaves (LLVM, compile() defaults: float64, "
                       "blocks of 34 trees, inlined, large code model, host CPU), predict(rows, n_jobs)",
        "quick": args.quick,
        "machine": {"cpu": cpu_model(), "cores": cores, "platform": platform.platform(), "llvmHostCpu": llvm.get_host_cpu_name()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "lightgbm": lightgbm.__version__,
                     "lleaves": version("lleaves"), "llvmlite": llvmlite.__version__,
                     "llvm": ".".join(map(str, llvm.llvm_version_info))},
        "model": {"file": str(args.model), "trees": model.num_trees(), "features": model.num_feature()},
        "inputs": {"file": str(args.inputs), "rows": len(x), "rowsWithNaN": int(nan_rows.sum())},
        "compile": {"uncached": compiled, "fromCacheFile": cached, "rawScoreModel": {**raw_compiled, "finline": False},
                    "rssMiB": {"beforeCompile": rss_start, "afterCompile": rss_compiled}},
        "maxAbsDiffFromLightGBM": exactness,
        "singleRow": {"threads": 1, **latency(lambda r: model.predict(r, n_jobs=1), x, calls, 50)},
        "batch": [],
    }
    log(f"lleaves peer: single row median {out['singleRow']['medianUs']} us")
    for rows in sizes:
        xs = tile(x, rows)
        ref = np.resize(want["probability"], rows)  # the tiled rows' LightGBM probabilities
        for threads in sorted({1, cores}):
            r, got = time_batch(lambda v, n=threads: model.predict(v, n_jobs=n), xs, budget)
            r = {"threads": threads, **r, "maxAbsDiffFromLightGBM": float(np.abs(got - ref).max())}
            out["batch"].append(r)
            log(f"lleaves peer: batch {rows} rows, {threads} thread(s): {r['rowsPerSecond']:.0f} rows/s ({r['reps']} reps)")
        del xs, ref
    out["rssMiBAtEnd"] = rss_mib()
    print(json.dumps(out, indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
