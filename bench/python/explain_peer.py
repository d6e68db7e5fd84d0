#!/usr/bin/env python3
"""The Python contenders of bench/js/explain.bench.mjs, each on the same rows: LightGBM's
Booster.predict(pred_contrib=True), XGBoost's Booster.predict(DMatrix, pred_contribs=True) and
shap's TreeExplainer on the bundled forest (refitted by tools/ensemble_peer.py, byte-identical to
the bundled file when exported).

    python bench/python/explain_peer.py MODEL_DIR INPUTS.f64 ROWS [--threads N]

Needs tools/requirements-explain.txt (shap). Prints JSON: rows, seconds per library (wall clock,
after a one-row warm-up; the explainers are built before the clock starts), versions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))


def timed(fn, x) -> float:
    fn(x[:1])
    start = time.perf_counter()
    fn(x)
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("inputs", type=Path)
    ap.add_argument("rows", type=int)
    ap.add_argument("--threads", type=int, default=0, help="0: the libraries' defaults (all cores)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "production-ensemble-bench")
    args = ap.parse_args(argv)
    import joblib
    import lightgbm as lgb
    import shap
    import xgboost as xgb

    from ensemble_peer import forest_joblib

    x = np.fromfile(args.inputs, "<f8").reshape(-1, 12)[: args.rows]
    threads = args.threads or os.cpu_count()
    booster = lgb.Booster(model_file=str(args.model_dir / "lightgbm.txt"))
    xb = xgb.Booster(model_file=str(args.model_dir / "xgboost.json"))
    xb.set_param({"nthread": threads})
    args.cache.mkdir(parents=True, exist_ok=True)
    path, _ = forest_joblib(args.model_dir, args.cache)
    explainer = shap.TreeExplainer(joblib.load(path))
    out = {
        "rows": int(len(x)),
        "threads": threads,
        "lightgbm": timed(lambda v: booster.predict(v, pred_contrib=True, num_threads=threads), x),
        "xgboost": timed(lambda v: xb.predict(xgb.DMatrix(v, missing=np.nan, feature_names=xb.feature_names,
                                                           nthread=threads), pred_contribs=True), x),
        "random_forest": timed(lambda v: explainer.shap_values(v), x),
        "versions": {"lightgbm": lgb.__version__, "xgboost": xgb.__version__, "shap": shap.__version__},
    }
    out["total"] = out["lightgbm"] + out["xgboost"] + out["random_forest"]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
