#!/usr/bin/env python3
"""The libraries' own TreeSHAP contributions: the expected values of the package's explanation
tests (docs/explain.md). LightGBM Booster.predict(pred_contrib=True), XGBoost
Booster.predict(pred_contribs=True), and shap's TreeExplainer on the scikit-learn forests.

    /path/to/venv/bin/python tools/make_explain_references.py   # pip install -r tools/requirements-explain.txt

Writes contrib.json beside every zoo case the package explains (test/fixtures/models/<case>/) and
test/fixtures/production/contrib.json for the bundled ensemble. shap needs the fitted forest, not
its file: the forests are refit exactly as their fixtures were (tools/make_fixture_models.py,
tools/train_models.py) and the tool stops unless the refit exports to the committed file byte for
byte, so each reference belongs to that file. Every number comes from a library, none by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))

ZOO = ROOT / "test" / "fixtures" / "models"
PRODUCTION = ROOT / "test" / "fixtures" / "production"
LAYOUT = ("per row, per output: the contribution of each feature, then the expected value "
          "(the libraries' own layout); flattened row-major")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flat(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def write(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, allow_nan=False) + "\n", encoding="ascii")


def lightgbm_contrib(model: Path, x: np.ndarray) -> np.ndarray:
    import lightgbm as lgb

    return np.asarray(lgb.Booster(model_file=str(model)).predict(x, pred_contrib=True))


def xgboost_contrib(model: Path, x: np.ndarray) -> np.ndarray:
    import xgboost as xgb

    b = xgb.Booster(model_file=str(model))
    return np.asarray(b.predict(xgb.DMatrix(x, missing=np.nan, feature_names=b.feature_names),
                                pred_contribs=True))


def shap_contrib(forest, x: np.ndarray, columns: list[int] | None = None) -> np.ndarray:
    """shap's TreeExplainer (path-dependent) on the fitted forest: rows x outputs x (F + 1)."""
    import shap

    explainer = shap.TreeExplainer(forest)
    values = np.asarray(explainer.shap_values(x))  # rows x F x classes (shap >= 0.45)
    expected = np.asarray(explainer.expected_value, dtype=np.float64)
    rows, nf, classes = values.shape
    out = np.empty((rows, classes, nf + 1))
    out[:, :, :nf] = values.transpose(0, 2, 1)
    out[:, :, nf] = expected
    return out if columns is None else out[:, columns, :]


def explained_boosters(index: dict) -> list[dict]:
    """The zoo's booster cases the engine imports: one output per row, numeric splits, constant
    leaves (docs/explain.md lists what cannot be explained)."""
    out = []
    for case in index["cases"]:
        if case["kind"] not in ("lightgbm", "xgboost"):
            continue
        ref = json.loads((ZOO / case["name"] / "reference.json").read_text())
        name = case["name"]
        if ref["margin_width"] != 1 or "categorical" in name or "linear" in name:
            continue
        out.append(case)
    return out


def booster_case(case: dict) -> dict:
    d = ZOO / case["name"]
    nf = case["n_features"]
    x = np.fromfile(d / "inputs.f64", "<f8").reshape(case["rows"], nf)
    ref = {"generator": "tools/make_explain_references.py", "case": case["name"], "rows": case["rows"],
           "n_features": nf, "outputs": 1, "layout": LAYOUT}
    if case["kind"] == "lightgbm":
        import lightgbm as lgb

        ref.update(library=f"lightgbm {lgb.__version__}", call="Booster.predict(x, pred_contrib=True)")
        model = d / "model.txt"
        ref["contrib_f64"] = flat(lightgbm_contrib(model, x))
        ref["contrib_f32"] = flat(lightgbm_contrib(model, x.astype(np.float32)))
        if case["rows_inf"]:
            xi = np.fromfile(d / "inputs_inf.f64", "<f8").reshape(case["rows_inf"], nf)
            ref["rows_inf"] = case["rows_inf"]
            ref["contrib_inf"] = flat(lightgbm_contrib(model, xi))
    else:
        import xgboost as xgb

        ref.update(library=f"xgboost {xgb.__version__}",
                   call="Booster.predict(DMatrix(x, missing=nan), pred_contribs=True)")
        files = case["files"]
        first = xgboost_contrib(d / files[0], x)
        for other in files[1:]:
            if not np.array_equal(first, xgboost_contrib(d / other, x)):
                sys.exit(f"error: {case['name']}: {other} and {files[0]} give different contributions")
        ref["file"] = files[0]
        ref["contrib_f64"] = flat(first)
    return ref


def forest_case(case: dict) -> dict:
    import shap
    import sklearn

    from export_sklearn_forest import forest_bytes
    from make_fixture_models import fit_forest, forest_specs

    spec = {s[0]: s for s in forest_specs()}[case["name"]]
    _, fspec, model, _, _, train_seed, n, labels = spec
    forest = fit_forest(fspec, model, train_seed, n, labels)
    data, _ = forest_bytes(forest)
    if hashlib.sha256(data).hexdigest() != case["sha256"]["model.forest"]:
        sys.exit(f"error: {case['name']}: the refit forest does not export to the committed "
                 "model.forest (rerun tools/make_fixture_models.py --only forest first)")
    nf = case["n_features"]
    x = np.fromfile(ZOO / case["name"] / "inputs.f64", "<f8").reshape(case["rows"], nf)
    contrib = shap_contrib(forest, x)
    return {"generator": "tools/make_explain_references.py", "case": case["name"], "rows": case["rows"],
            "n_features": nf, "outputs": int(contrib.shape[1]), "layout": LAYOUT,
            "library": f"shap {shap.__version__}, scikit-learn {sklearn.__version__}",
            "call": "shap.TreeExplainer(forest).shap_values(x) and expected_value (path-dependent)",
            "contrib_f64": flat(contrib)}


def production_rows(reference: dict) -> list[int]:
    """A spread of the bundled fixture rows: real rows, every NaN row, rows on split thresholds
    of each model, the extremes."""
    groups = {g["name"]: g for g in reference["groups"]}
    rows: list[int] = []
    for name, step in (("holdout", 20), ("nan_single", 1), ("nan_multi", 1), ("nan_all_but_one", 1),
                       ("nan_all", 1), ("thresholds_lightgbm", 7), ("thresholds_xgboost", 5),
                       ("thresholds_random_forest", 7), ("extremes", 1)):
        g = groups[name]
        rows += list(range(g["start"], g["start"] + g["count"], step))
    return rows


def production() -> dict:
    import lightgbm as lgb
    import shap
    import xgboost as xgb

    from train_models import SIZES, build_dataset, train_forest

    models = ROOT / "models" / "production"
    meta = json.loads((models / "production_model_metadata.json").read_text())
    training = meta["training"]
    ds = build_dataset(training["data"]["candles"], training["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random_forest.forest"
        forest, _, _ = train_forest(ds, SIZES[training["size"]], training["seed"] + 3, 1, path)
        if sha256(path) != sha256(models / "random_forest.forest"):
            sys.exit("error: the refit forest does not export to models/production/random_forest.forest "
                     "(rerun tools/train_models.py first)")
    reference = json.loads((PRODUCTION / "reference.json").read_text())
    nf = reference["n_features"]
    x_all = np.fromfile(PRODUCTION / "inputs.f64", "<f8").reshape(reference["rows"], nf)
    rows = production_rows(reference)
    x = x_all[rows]
    return {"generator": "tools/make_explain_references.py", "rows": len(rows), "row_indices": rows,
            "n_features": nf, "inputs": "inputs.f64 (the rows listed in row_indices)", "layout": LAYOUT,
            "libraries": {"lightgbm": lgb.__version__, "xgboost": xgb.__version__,
                          "shap": shap.__version__},
            "model_sha256": {role: sha256(models / f["file"]) for role, f in meta["model_files"].items()},
            "lightgbm": flat(lightgbm_contrib(models / "lightgbm.txt", x)),
            "xgboost": flat(xgboost_contrib(models / "xgboost.json", x)),
            "random_forest": flat(shap_contrib(forest, x, columns=[1]))}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["zoo", "production"], action="append")
    args = ap.parse_args(argv[1:])
    only = set(args.only or ["zoo", "production"])
    if "zoo" in only:
        index = json.loads((ZOO / "index.json").read_text())
        for case in explained_boosters(index):
            write(ZOO / case["name"] / "contrib.json", booster_case(case))
            print(f"{case['name']:34s} {case['kind']}")
        for case in index["cases"]:
            if case["kind"] == "forest":
                write(ZOO / case["name"] / "contrib.json", forest_case(case))
                print(f"{case['name']:34s} forest (shap)")
    if "production" in only:
        write(PRODUCTION / "contrib.json", production())
        print("production: lightgbm, xgboost, random_forest (shap)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
