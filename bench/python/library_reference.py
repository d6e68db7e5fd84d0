#!/usr/bin/env python3
"""The libraries' own P(up) for a model directory on given rows, for the benchmarks' exactness checks
when the directory is not the bundled one (whose test/fixtures/production/reference.json exists).

    .venv/bin/python bench/python/library_reference.py MODEL_DIR INPUTS.f64 OUT.json [--cache DIR]

Same predictions as tools/reference_fixtures.py (its predict_all: lightgbm.Booster.predict,
xgboost.Booster.inplace_predict, RandomForestClassifier.predict_proba, on the float64 rows and on
their float32 cast), with the forest refitted and verified by tools/ensemble_peer.py. Writes
{model_sha256, inputs_sha256, rows, lightgbm|xgboost|random_forest|ensemble: {f64, f32}}; kept
when OUT.json already holds the predictions for the same model files and rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
N_FEATURES = 12
SOURCES = {"lightgbm": "lightgbm.txt", "xgboost": "xgboost.json", "random_forest": "random_forest.forest"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("inputs", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "production-ensemble-bench")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tools"))
    from ensemble_peer import forest_joblib, sha256

    shas = {k: sha256(args.model_dir / f) for k, f in SOURCES.items()}
    inputs_sha = sha256(args.inputs)
    try:
        old = json.loads(args.out.read_text(encoding="utf-8"))
        if old.get("model_sha256") == shas and old.get("inputs_sha256") == inputs_sha:
            print(f"{args.out}: up to date", file=sys.stderr)
            return 0
    except (OSError, ValueError):
        pass

    import joblib
    import lightgbm as lgb
    import xgboost as xgb
    from reference_fixtures import predict_all

    x = np.fromfile(args.inputs, dtype="<f8").reshape(-1, N_FEATURES)
    path, _ = forest_joblib(args.model_dir, args.cache)
    preds, checks = predict_all(x, lgb.Booster(model_file=str(args.model_dir / "lightgbm.txt")),
                                xgb.Booster(model_file=str(args.model_dir / "xgboost.json")),
                                joblib.load(path))
    out = {"model_dir": str(args.model_dir.resolve()), "model_sha256": shas, "inputs": str(args.inputs),
           "inputs_sha256": inputs_sha, "rows": len(x), "checks": checks, **preds}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(out) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"{args.out}: written ({len(x)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
