#!/usr/bin/env python3
"""Train / score one fixture model with an OLD library version (LightGBM 3.3.5, XGBoost 1.7.6).

Run by tools/make_fixture_models.py with the Python of a scratch venv that has the old library;
imports only numpy and that library, so it runs on whatever numpy the old wheel needs.

    python fixture_worker.py {lightgbm|xgboost} {train|predict} JOB_DIR

train:   JOB_DIR/job.json ({"params", "num_round"}), X.npy, y.npy -> the model file(s)
predict: the model file(s), inputs.npy (+ inputs_inf.npy) -> JOB_DIR/predictions.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def _flat(values) -> list:
    return np.asarray(values, dtype=np.float64).reshape(-1).tolist()


def _lightgbm(task: str, job: Path) -> dict:
    import lightgbm as lgb

    if task == "train":
        spec = json.loads((job / "job.json").read_text())
        data = lgb.Dataset(np.load(job / "X.npy"), np.load(job / "y.npy"))
        booster = lgb.train(spec["params"], data, num_boost_round=spec["num_round"])
        booster.save_model(str(job / "model.txt"))
        return {}
    booster = lgb.Booster(model_file=str(job / "model.txt"))
    x = np.load(job / "inputs.npy")
    out = {
        "predict_f64": _flat(booster.predict(x)),
        "predict_f32": _flat(booster.predict(x.astype(np.float32))),
        "margin_f64": _flat(booster.predict(x, raw_score=True)),
    }
    if (job / "inputs_inf.npy").exists():
        out["predict_inf"] = _flat(booster.predict(np.load(job / "inputs_inf.npy")))
    return out


def _xgboost(task: str, job: Path) -> dict:
    import xgboost as xgb

    if task == "train":
        spec = json.loads((job / "job.json").read_text())
        data = xgb.DMatrix(np.load(job / "X.npy"), label=np.load(job / "y.npy"), missing=np.nan)
        booster = xgb.train(spec["params"], data, num_boost_round=spec["num_round"])
        booster.save_model(str(job / "model.json"))
        booster.save_model(str(job / "model.ubj"))
        return {}
    x = np.load(job / "inputs.npy")
    out = {}
    for name in ("model.json", "model.ubj"):
        booster = xgb.Booster(model_file=str(job / name))
        out[name] = {
            "predict_f64": _flat(booster.inplace_predict(x)),
            "predict_f32": _flat(booster.inplace_predict(x.astype(np.float32))),
            "margin_f64": _flat(booster.inplace_predict(x, predict_type="margin")),
            "dmatrix_f64": _flat(booster.predict(xgb.DMatrix(x, missing=np.nan))),
        }
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in ("lightgbm", "xgboost") or argv[2] not in ("train", "predict"):
        print(__doc__, file=sys.stderr)
        return 2
    library, task, job = argv[1], argv[2], Path(argv[3])
    module = __import__(library)
    out = _lightgbm(task, job) if library == "lightgbm" else _xgboost(task, job)
    if task == "predict":
        out["library"] = f"{library} {module.__version__}"
        (job / "predictions.json").write_text(json.dumps(out, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
