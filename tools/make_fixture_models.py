#!/usr/bin/env python3
"""Generate the test fixture zoo: small REAL LightGBM, XGBoost and scikit-learn forest models of
every shape the libraries write, each with the library's own predictions on a fixed input set.

    .venv/bin/python tools/make_fixture_models.py [--out test/fixtures/models]
        [--only lightgbm|xgboost|forest ...] [--setup-old-venvs] [--skip-old-versions]

Writes test/fixtures/models/<case>/{model file(s), inputs.f64, [inputs_inf.f64], reference.json}
and test/fixtures/models/index.json. Everything is seeded: a rerun rewrites identical files (the
sha256 of every model file is in index.json). The LightGBM 3.3.5 and XGBoost 1.7.6 cases run the
old libraries in scratch venvs (see --setup-old-venvs) through tools/fixture_worker.py.
Expected values are never written by hand: every number in reference.json comes from a library.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from fixture_data import (Spec, finish_case, flat, fresh_dir, forest_splits, lightgbm_splits,
                          make_data, make_inf_inputs, make_inputs, max_diff, sha256,
                          write_reference, xgboost_splits)

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
PINNED = {"lightgbm": "4.7.0", "xgboost": "3.2.0", "sklearn": "1.9.1"}
OLD_VENVS = Path(os.environ.get("FIXTURE_OLD_VENVS", "/tmp/production-ensemble-fixture-venvs"))
OLD_PACKAGES = {
    "lightgbm-3.3.5": ["lightgbm==3.3.5", "numpy==1.26.4", "scikit-learn==1.3.2", "scipy==1.13.1"],
    "xgboost-1.7.6": ["xgboost==1.7.6", "numpy==1.26.4", "scipy==1.13.1"],
}

# ----------------------------------------------------------------------------------------------
# LightGBM.


def lgb_params(**kw) -> dict:
    base = {"verbose": -1, "num_threads": 1, "deterministic": True, "force_col_wise": True,
            "seed": 11, "num_leaves": 15, "learning_rate": 0.15, "min_data_in_leaf": 10}
    base.update(kw)
    return base


def lightgbm_predictions(model_path: Path, x: np.ndarray, x_inf: np.ndarray) -> dict:
    import lightgbm as lgb

    booster = lgb.Booster(model_file=str(model_path))
    pred = booster.predict(x)
    margin = booster.predict(x, raw_score=True)
    return {
        "output_width": int(np.asarray(pred).size // x.shape[0]),
        "margin_width": int(np.asarray(margin).size // x.shape[0]),
        "predict_f64": flat(pred),
        "predict_f32": flat(booster.predict(x.astype(np.float32))),
        "margin_f64": flat(margin),
        "predict_inf": flat(booster.predict(x_inf)),
        "num_trees": int(booster.num_trees()),
    }


def lightgbm_case(out, name, spec, objective, n_classes, booster_or_path, notes, seed, extra=None):
    """Save (or take) a model.txt, build the inputs from its own thresholds, record predictions."""
    import lightgbm as lgb

    d = fresh_dir(out, name)
    model = d / "model.txt"
    if isinstance(booster_or_path, Path):
        model.write_bytes(booster_or_path.read_bytes())
    else:
        booster, num_iteration = booster_or_path
        booster.save_model(str(model), num_iteration=num_iteration)
    splits = lightgbm_splits(model.read_text())
    x, kinds = make_inputs(spec, splits, seed, cat_edges=True)
    x_inf, inf_kinds = make_inf_inputs(spec, seed)
    ref = {"name": name, "kind": "lightgbm", "file": "model.txt", "files": ["model.txt"],
           "inputs": "inputs.f64", "inputs_inf": "inputs_inf.f64",
           "n_features": spec.n_features, "n_classes": n_classes, "objective": objective,
           "library": f"lightgbm {lgb.__version__}", "notes": notes}
    ref.update(lightgbm_predictions(model, x, x_inf))
    ref.update(extra or {})
    return finish_case(d, ref, x, kinds, x_inf, inf_kinds)


def train_lgb(spec, params, rounds, seed, n=1500, **dataset_kw):
    import lightgbm as lgb

    x, y = make_data(spec, n, seed)
    return lgb.train(params, lgb.Dataset(x, y, **dataset_kw), num_boost_round=rounds)


def lightgbm_cases(out: Path, old_python: Path | None) -> list:
    refs = []
    s = Spec(7, "binary", nan_frac=0.12)
    b = train_lgb(s, lgb_params(objective="binary"), 40, 101)
    refs.append(lightgbm_case(out, "lgb_binary_nan_7f", s, "binary", 2, (b, None),
                              ["trained with NaN (missing_type NaN splits)"], 1001))

    s = Spec(5, "multiclass", n_classes=3, nan_frac=0.05)
    b = train_lgb(s, lgb_params(objective="multiclass", num_class=3), 15, 102)
    refs.append(lightgbm_case(out, "lgb_multiclass_softmax_5f", s, "multiclass", 3, (b, None),
                              ["3 classes, softmax", "trained with NaN"], 1002))
    b = train_lgb(s, lgb_params(objective="multiclassova", num_class=3), 15, 102)
    refs.append(lightgbm_case(out, "lgb_multiclassova_5f", s, "multiclassova", 3, (b, None),
                              ["3 classes, one-vs-all: per-class sigmoid, rows do not sum to 1"], 1003))

    s = Spec(9, "regression")
    b = train_lgb(s, lgb_params(objective="regression"), 40, 104)
    refs.append(lightgbm_case(out, "lgb_regression_l2_9f", s, "regression", 1, (b, None),
                              ["l2 regression", "no NaN in training (missing_type None: NaN -> 0)"], 1004))

    s = Spec(6, "regression", nan_frac=0.04, cat={0: 30, 3: 4})
    b = train_lgb(s, lgb_params(objective="regression", cat_smooth=1, min_data_per_group=10,
                                max_cat_to_onehot=4), 40, 105, categorical_feature=[0, 3])
    refs.append(lightgbm_case(out, "lgb_regression_categorical_6f", s, "regression", 1, (b, None),
                              ["categorical features 0 (30 categories, bitset splits) and 3 "
                               "(4 categories, one-hot splits) via categorical_feature=",
                               "trained with NaN (also in the categorical columns)",
                               "inputs include unseen, negative and fractional category values"], 1005))

    s = Spec(6, "regression", nan_frac=0.05)
    b = train_lgb(s, lgb_params(objective="regression", linear_tree=True, linear_lambda=0.1), 20, 106)
    refs.append(lightgbm_case(out, "lgb_linear_tree_6f", s, "regression", 1, (b, None),
                              ["linear_tree=true (leaf_const / leaf_coeff / leaf_features)",
                               "trained with NaN"], 1006))

    s = Spec(7, "binary", nan_frac=0.05)
    b = train_lgb(s, lgb_params(objective="binary", boosting="dart", drop_rate=0.2, skip_drop=0.3,
                                drop_seed=5), 30, 107)
    refs.append(lightgbm_case(out, "lgb_dart_binary_7f", s, "binary", 2, (b, None),
                              ["boosting=dart", "trained with NaN"], 1007))

    refs += lightgbm_early_stopped(out)
    refs += lightgbm_single_leaf(out)

    s = Spec(1, "binary", noise=0.5)
    b = train_lgb(s, lgb_params(objective="binary"), 20, 110)
    refs.append(lightgbm_case(out, "lgb_binary_1f", s, "binary", 2, (b, None), ["1 feature"], 1010))
    s = Spec(40, "binary", nan_frac=0.02)
    b = train_lgb(s, lgb_params(objective="binary", num_leaves=7), 25, 111, n=2000)
    refs.append(lightgbm_case(out, "lgb_binary_40f", s, "binary", 2, (b, None),
                              ["40 features", "trained with NaN"], 1011))
    if old_python:
        refs.append(lightgbm_old_version(out, old_python))
    return refs


def lightgbm_early_stopped(out: Path) -> list:
    import lightgbm as lgb

    s = Spec(7, "binary", nan_frac=0.05, noise=1.0)
    x, y = make_data(s, 1200, 108)
    xv, yv = make_data(s, 600, 208)
    train = lgb.Dataset(x, y)
    # keep_training_booster=True: otherwise lgb.train returns model_from_string(model_to_string()),
    # which already drops every tree after best_iteration.
    b = lgb.train(lgb_params(objective="binary", learning_rate=0.2), train,
                  num_boost_round=300, valid_sets=[lgb.Dataset(xv, yv, reference=train)],
                  callbacks=[lgb.early_stopping(8, verbose=False)], keep_training_booster=True)
    best, trained = b.best_iteration, b.current_iteration()
    assert 0 < best < trained, (best, trained)
    info = {"best_iteration": best, "trained_iterations": trained}
    full = lightgbm_case(out, "lgb_early_stopped_full_7f", s, "binary", 2, (b, -1),
                         [f"early stopped: best_iteration {best} (1-based: {best} trees) of "
                          f"{trained} trained; saved with num_iteration=-1 (all trees); the file "
                          "does not record best_iteration", "trained with NaN"], 1008, info)
    best_ref = lightgbm_case(out, "lgb_early_stopped_best_7f", s, "binary", 2, (b, best),
                             [f"early stopped: saved with num_iteration=best_iteration={best}",
                              "trained with NaN"], 1008, info)
    return [full, best_ref]


def lightgbm_single_leaf(out: Path) -> list:
    s = Spec(3, "regression")
    b = train_lgb(s, lgb_params(objective="regression", min_data_in_leaf=15), 5, 109, n=20)
    only = lightgbm_case(out, "lgb_single_leaf_only_3f", s, "regression", 1, (b, None),
                         ["20 training rows, min_data_in_leaf=15: training stops at once and the "
                          "model is ONE tree with num_leaves=1 (a constant), feature_infos=none"], 1009)
    s = Spec(4, "multiclass", n_classes=3, rare_class=0.01)
    b = train_lgb(s, lgb_params(objective="multiclass", num_class=3, num_leaves=7,
                                min_sum_hessian_in_leaf=10), 10, 119, n=900)
    mixed = lightgbm_case(out, "lgb_multiclass_single_leaf_4f", s, "multiclass", 3, (b, None),
                          ["class 2 is 1% of rows and min_sum_hessian_in_leaf=10: every class-2 "
                           "tree has num_leaves=1 while classes 0/1 split"], 1019)
    return [only, mixed]


def run_worker(python: Path, library: str, task: str, job: Path) -> None:
    subprocess.run([str(python), str(TOOLS / "fixture_worker.py"), library, task, str(job)],
                   check=True, env={**os.environ, "PYTHONNOUSERSITE": "1"})


def lightgbm_old_version(out: Path, python: Path) -> dict:
    s = Spec(7, "binary", nan_frac=0.1)
    x, y = make_data(s, 1500, 112)
    params = lgb_params(objective="binary")
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp)
        np.save(job / "X.npy", x)
        np.save(job / "y.npy", y)
        (job / "job.json").write_text(json.dumps({"params": params, "num_round": 30}))
        run_worker(python, "lightgbm", "train", job)
        ref = lightgbm_case(out, "lgb_v3_3_5_binary_7f", s, "binary", 2, job / "model.txt",
                            ["written by lightgbm 3.3.5 (model text version=v3)", "trained with NaN",
                             "predict_* = lightgbm 4.7.0 loading the file; writer = 3.3.5's own"], 1012)
        d = out / "lgb_v3_3_5_binary_7f"
        np.save(job / "inputs.npy", np.fromfile(d / "inputs.f64", "<f8").reshape(ref["rows"], -1))
        np.save(job / "inputs_inf.npy", np.fromfile(d / "inputs_inf.f64", "<f8").reshape(ref["rows_inf"], -1))
        run_worker(python, "lightgbm", "predict", job)
        writer = json.loads((job / "predictions.json").read_text())
    ref["writer"] = writer
    ref["max_abs_diff_vs_writer"] = {k: max_diff(ref[k], writer[k])
                                     for k in ("predict_f64", "predict_f32", "margin_f64", "predict_inf")}
    write_reference(d, ref)
    return ref


# ----------------------------------------------------------------------------------------------
# XGBoost.


def xgb_params(**kw) -> dict:
    base = {"nthread": 1, "seed": 13, "tree_method": "hist", "max_depth": 4, "eta": 0.2}
    base.update(kw)
    return base


def xgboost_predictions(paths: list[Path], x: np.ndarray) -> dict:
    """inplace_predict of every file (they must agree) plus the DMatrix cross-check."""
    import xgboost as xgb

    out, first = {}, None
    for path in paths:
        b = xgb.Booster(model_file=str(path))
        types = b.feature_types
        cat = bool(types) and "c" in types
        pred = b.inplace_predict(x)
        got = {
            "predict_f64": flat(pred),
            "predict_f32": flat(b.inplace_predict(x.astype(np.float32))),
            "margin_f64": flat(b.inplace_predict(x, predict_type="margin")),
        }
        dm64 = b.predict(xgb.DMatrix(x, missing=np.nan, feature_types=types, enable_categorical=cat))
        dm32 = b.predict(xgb.DMatrix(x.astype(np.float32), missing=np.nan, feature_types=types,
                                     enable_categorical=cat))
        checks = {"dmatrix_max_abs_diff_f64": max_diff(got["predict_f64"], dm64),
                  "dmatrix_max_abs_diff_f32": max_diff(got["predict_f32"], dm32)}
        if first is None:
            first = got
            out.update(got)
            out.update(checks)
            if checks["dmatrix_max_abs_diff_f64"] or checks["dmatrix_max_abs_diff_f32"]:
                out["dmatrix_predict_f64"] = flat(dm64)
                out["dmatrix_predict_f32"] = flat(dm32)
            out["output_width"] = int(np.asarray(pred).size // x.shape[0])
            out["margin_width"] = len(got["margin_f64"]) // x.shape[0]
            out["output_dtype"] = str(np.asarray(pred).dtype)
            out["num_boosted_rounds"] = int(b.num_boosted_rounds())
            attrs = b.attributes()
            if attrs:
                out["attributes"] = attrs
        else:
            out[f"max_abs_diff_{path.name}_vs_{paths[0].name}"] = max(
                max_diff(first[k], got[k]) for k in first)
    return out


def xgboost_case(out, name, spec, objective, n_classes, booster, notes, seed, formats=("json",),
                 extra=None, copy_from=None):
    import xgboost as xgb

    d = fresh_dir(out, name)
    files = [f"model.{fmt}" for fmt in formats]
    for f in files:
        if copy_from is not None:
            (d / f).write_bytes((copy_from / f).read_bytes())
        else:
            booster.save_model(str(d / f))
    if "model.json" in files:
        model = json.loads((d / "model.json").read_text())
    else:
        model = json.loads(xgb.Booster(model_file=str(d / files[0])).save_raw("json"))
    splits = xgboost_splits(model)
    x, kinds = make_inputs(spec, splits, seed, cat_edges=True)
    ref = {"name": name, "kind": "xgboost", "file": files[0], "files": files, "inputs": "inputs.f64",
           "n_features": spec.n_features, "n_classes": n_classes, "objective": objective,
           "library": f"xgboost {xgb.__version__}", "notes": notes}
    ref.update(xgboost_predictions([d / f for f in files], x))
    ref.update(extra or {})
    return finish_case(d, ref, x, kinds)


def train_xgb(spec, params, rounds, seed, n=1500, feature_types=None):
    import xgboost as xgb

    x, y = make_data(spec, n, seed)
    data = xgb.DMatrix(x, label=y, missing=np.nan, feature_types=feature_types,
                       enable_categorical=feature_types is not None)
    return xgb.train(params, data, num_boost_round=rounds)


def xgboost_cases(out: Path, old_python: Path | None) -> list:
    refs = []
    s = Spec(7, "binary", nan_frac=0.12)
    b = train_xgb(s, xgb_params(objective="binary:logistic"), 40, 201)
    refs.append(xgboost_case(out, "xgb_binary_nan_7f", s, "binary:logistic", 2, b,
                             ["trained with NaN", "same model as .json and .ubj"], 2001,
                             formats=("json", "ubj")))
    s = Spec(5, "multiclass", n_classes=3, nan_frac=0.05)
    b = train_xgb(s, xgb_params(objective="multi:softprob", num_class=3), 15, 202)
    refs.append(xgboost_case(out, "xgb_multi_softprob_5f", s, "multi:softprob", 3, b,
                             ["3 classes", "trained with NaN"], 2002))
    b = train_xgb(s, xgb_params(objective="multi:softmax", num_class=3), 15, 202)
    refs.append(xgboost_case(out, "xgb_multi_softmax_5f", s, "multi:softmax", 3, b,
                             ["3 classes; predict gives the class index (one value per row), "
                              "margin gives 3 values per row", "trained with NaN"], 2003))
    s = Spec(9, "regression")
    b = train_xgb(s, xgb_params(objective="reg:squarederror"), 40, 204)
    refs.append(xgboost_case(out, "xgb_reg_squarederror_9f", s, "reg:squarederror", 1, b,
                             ["regression"], 2004))
    s = Spec(7, "binary", nan_frac=0.05)
    b = train_xgb(s, xgb_params(objective="binary:logistic", booster="dart", rate_drop=0.2,
                                skip_drop=0.3), 30, 205)
    refs.append(xgboost_case(out, "xgb_dart_binary_7f", s, "binary:logistic", 2, b,
                             ["booster=dart (weight_drop per tree)", "trained with NaN"], 2005))
    s = Spec(6, "binary", nan_frac=0.04, cat={0: 30, 3: 3})
    types = ["c" if j in s.cat else "q" for j in range(s.n_features)]
    b = train_xgb(s, xgb_params(objective="binary:logistic", max_cat_to_onehot=4), 30, 206,
                  feature_types=types)
    refs.append(xgboost_case(out, "xgb_categorical_binary_6f", s, "binary:logistic", 2, b,
                             ["feature_types c at 0 (30 categories: partition splits) and 3 "
                              "(3 categories: one-hot splits), enable_categorical=True",
                              "trained with NaN (also in the categorical columns)",
                              "inputs include unseen, negative and fractional category values"], 2006))
    refs += xgboost_early_stopped(out)
    s = Spec(1, "binary", noise=0.5)
    b = train_xgb(s, xgb_params(objective="binary:logistic"), 20, 210)
    refs.append(xgboost_case(out, "xgb_binary_1f", s, "binary:logistic", 2, b, ["1 feature"], 2010))
    s = Spec(40, "binary", nan_frac=0.02)
    b = train_xgb(s, xgb_params(objective="binary:logistic", max_depth=3), 25, 211, n=2000)
    refs.append(xgboost_case(out, "xgb_binary_40f", s, "binary:logistic", 2, b,
                             ["40 features", "trained with NaN"], 2011))
    if old_python:
        refs += xgboost_old_version(out, old_python)
    return refs


def xgboost_early_stopped(out: Path) -> list:
    import xgboost as xgb

    s = Spec(7, "binary", nan_frac=0.05, noise=1.0)
    x, y = make_data(s, 1200, 208)
    xv, yv = make_data(s, 600, 308)
    b = xgb.train(xgb_params(objective="binary:logistic"),
                  xgb.DMatrix(x, label=y, missing=np.nan), num_boost_round=300,
                  evals=[(xgb.DMatrix(xv, label=yv, missing=np.nan), "valid")],
                  early_stopping_rounds=8, verbose_eval=False)
    best, trained = b.best_iteration, b.num_boosted_rounds()
    assert 0 < best + 1 < trained, (best, trained)
    info = {"best_iteration": best, "trained_iterations": trained}
    full = xgboost_case(out, "xgb_early_stopped_full_7f", s, "binary:logistic", 2, b,
                        [f"early stopped: best_iteration {best} (0-based) of {trained} trained; "
                         "save_model keeps all trees and stores best_iteration/best_score as "
                         "attributes; predict uses ALL trees", "trained with NaN"], 2008, extra=info)
    sliced = b[: best + 1]
    best_ref = xgboost_case(out, "xgb_early_stopped_best_7f", s, "binary:logistic", 2, sliced,
                            [f"early stopped, then sliced booster[:best_iteration+1] = {best + 1} "
                             "trees before saving", "trained with NaN"], 2008, extra=info)
    return [full, best_ref]


def xgboost_old_version(out: Path, python: Path) -> list:
    refs = []
    cases = [
        ("xgb_v1_7_6_binary_7f", Spec(7, "binary", nan_frac=0.1), "binary:logistic", 2,
         xgb_params(objective="binary:logistic"), 25, 212, 2012),
        ("xgb_v1_7_6_multi_softprob_5f", Spec(5, "multiclass", n_classes=3, nan_frac=0.05),
         "multi:softprob", 3, xgb_params(objective="multi:softprob", num_class=3), 12, 213, 2013),
    ]
    for name, s, objective, k, params, rounds, train_seed, seed in cases:
        x, y = make_data(s, 1500, train_seed)
        with tempfile.TemporaryDirectory() as tmp:
            job = Path(tmp)
            np.save(job / "X.npy", x)
            np.save(job / "y.npy", y)
            (job / "job.json").write_text(json.dumps({"params": params, "num_round": rounds}))
            run_worker(python, "xgboost", "train", job)
            ref = xgboost_case(out, name, s, objective, k, None,
                               ["written by xgboost 1.7.6 (.json and .ubj)", "trained with NaN",
                                "predict_* = xgboost 3.2.0 loading the file; writer = 1.7.6's own"],
                               seed, formats=("json", "ubj"), copy_from=job)
            d = out / name
            np.save(job / "inputs.npy", np.fromfile(d / "inputs.f64", "<f8").reshape(ref["rows"], -1))
            run_worker(python, "xgboost", "predict", job)
            writer = json.loads((job / "predictions.json").read_text())
        keys = ("predict_f64", "predict_f32", "margin_f64")
        json_out, ubj_out = writer["model.json"], writer["model.ubj"]
        ref["writer"] = {"library": writer["library"], "file": "model.json", **json_out,
                         "max_abs_diff_ubj_vs_json": max(max_diff(json_out[k], ubj_out[k])
                                                         for k in (*keys, "dmatrix_f64")),
                         "max_abs_diff_dmatrix_vs_inplace": max_diff(json_out["dmatrix_f64"],
                                                                     json_out["predict_f64"])}
        ref["writer"].pop("dmatrix_f64")
        ref["max_abs_diff_vs_writer"] = {k: max_diff(ref[k], json_out[k]) for k in keys}
        write_reference(d, ref)
        refs.append(ref)
    return refs


# ----------------------------------------------------------------------------------------------
# scikit-learn forests (written with tools/export_sklearn_forest.py).


def forest_case(out, name, spec, model, notes, seed, train_seed, n=1500, labels=None):
    import sklearn

    from export_sklearn_forest import export_forest

    fit_forest(spec, model, train_seed, n, labels)
    d = fresh_dir(out, name)
    summary = export_forest(model, d / "model.forest")
    xin, kinds = make_inputs(spec, forest_splits(model), seed, cat_edges=False)
    proba = model.predict_proba(xin)
    ref = {"name": name, "kind": "forest", "file": "model.forest", "files": ["model.forest"], "inputs": "inputs.f64",
           "n_features": spec.n_features, "n_classes": int(len(model.classes_)),
           "objective": type(model).__name__, "library": f"scikit-learn {sklearn.__version__}",
           "notes": notes, "classes": np.asarray(model.classes_).tolist(),
           "output_width": int(proba.shape[1]),
           "predict_f64": flat(proba),
           "predict_f32": flat(model.predict_proba(xin.astype(np.float32))),
           "predict_label_f64": flat(model.predict(xin)),
           "export_summary": {k: v for k, v in summary.items() if k != "path"}}
    return finish_case(d, ref, xin, kinds)


def forest_specs() -> list:
    """The zoo's forests, unfitted: (name, spec, model, notes, input seed, training seed, training
    rows, labels). tools/make_explain_references.py refits them to run shap on the same trees."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    def rf(**kw):
        base = {"n_estimators": 20, "max_depth": 6, "random_state": 3, "n_jobs": 1}
        base.update(kw)
        return RandomForestClassifier(**base)

    return [
        ("rf_binary_nan_7f", Spec(7, "binary", nan_frac=0.12), rf(),
         ["RandomForestClassifier trained with NaN (missing_go_to_left)"], 3001, 301, 1500, None),
        ("rf_multiclass_4c_6f", Spec(6, "multiclass", n_classes=4), rf(),
         ["4 classes", "trained without NaN: NaN goes to the child with more samples"],
         3002, 302, 1500, None),
        ("et_binary_7f", Spec(7, "binary", nan_frac=0.05),
         ExtraTreesClassifier(n_estimators=20, max_depth=7, random_state=4, n_jobs=1),
         ["ExtraTreesClassifier trained with NaN"], 3003, 303, 1500, None),
        ("rf_deep_8f", Spec(8, "binary", noise=0.3), rf(n_estimators=10, max_depth=None),
         ["max_depth=None, 10 trees, 3,000 training rows (fully grown)"], 3004, 304, 3000, None),
        ("rf_binary_1f", Spec(1, "binary", noise=0.5), rf(), ["1 feature"], 3005, 305, 1500, None),
        ("rf_labels_neg1_pos1_5f", Spec(5, "binary"), rf(), ["class labels [-1, 1]"], 3006, 306,
         1500, [-1, 1]),
        ("rf_labels_2_5_9_5f", Spec(5, "multiclass", n_classes=3), rf(), ["class labels [2, 5, 9]"],
         3007, 307, 1500, [2, 5, 9]),
    ]


def fit_forest(spec, model, train_seed, n, labels):
    """Fits a zoo forest exactly as the zoo does."""
    x, y = make_data(spec, n, train_seed)
    if labels is not None:
        y = np.asarray(labels)[y.astype(np.int64)]
    return model.fit(x, y)


def forest_cases(out: Path) -> list:
    return [forest_case(out, name, spec, model, notes, seed, train_seed, n=n, labels=labels)
            for name, spec, model, notes, seed, train_seed, n, labels in forest_specs()]


# ----------------------------------------------------------------------------------------------
# Driver.


def setup_old_venvs() -> None:
    for name, packages in OLD_PACKAGES.items():
        venv = OLD_VENVS / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *packages],
                       check=True)


def old_python(name: str, skip: bool) -> Path | None:
    python = OLD_VENVS / name / "bin" / "python"
    if python.exists():
        return python
    if skip:
        print(f"warning: {python} missing: skipping the {name} cases", file=sys.stderr)
        return None
    sys.exit(f"error: {python} missing: run with --setup-old-venvs (or --skip-old-versions)")


def index_entry(out: Path, ref: dict) -> dict:
    name = ref["name"]
    d = out / name
    files = ref["files"] + [f for f in ("inputs.f64", "inputs_inf.f64") if (d / f).exists()]
    return {"name": name, "kind": ref["kind"], "files": ref["files"], "n_features": ref["n_features"],
            "n_classes": ref["n_classes"], "objective": ref["objective"], "rows": ref["rows"],
            "rows_inf": ref.get("rows_inf", 0), "output_width": ref["output_width"],
            "library": ref["library"], "notes": ref["notes"],
            "bytes": {f: (d / f).stat().st_size for f in files + ["reference.json"]},
            "sha256": {f: sha256(d / f) for f in ref["files"]}}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "test" / "fixtures" / "models")
    ap.add_argument("--only", choices=["lightgbm", "xgboost", "forest"], action="append")
    ap.add_argument("--setup-old-venvs", action="store_true",
                    help=f"create {OLD_VENVS}/{{lightgbm-3.3.5,xgboost-1.7.6}} with pip first")
    ap.add_argument("--skip-old-versions", action="store_true")
    args = ap.parse_args(argv[1:])

    import lightgbm
    import sklearn
    import xgboost

    for mod in (lightgbm, xgboost, sklearn):
        if mod.__version__ != PINNED[mod.__name__]:
            print(f"warning: {mod.__name__} {mod.__version__}, pinned {PINNED[mod.__name__]}",
                  file=sys.stderr)
    if args.setup_old_venvs:
        setup_old_venvs()
    only = set(args.only or ["lightgbm", "xgboost", "forest"])
    args.out.mkdir(parents=True, exist_ok=True)
    refs = []
    if "lightgbm" in only:
        refs += lightgbm_cases(args.out, old_python("lightgbm-3.3.5", args.skip_old_versions))
    if "xgboost" in only:
        refs += xgboost_cases(args.out, old_python("xgboost-1.7.6", args.skip_old_versions))
    if "forest" in only:
        refs += forest_cases(args.out)

    index_path = args.out / "index.json"
    entries = {}
    if index_path.exists():
        entries = {c["name"]: c for c in json.loads(index_path.read_text())["cases"]
                   if c["kind"] not in only}
    for ref in refs:
        entries[ref["name"]] = index_entry(args.out, ref)
    index = {
        "generator": "tools/make_fixture_models.py",
        "libraries": {"lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__,
                      "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "old_writers": {"lightgbm": "3.3.5", "xgboost": "1.7.6"},
        "layout": {
            "inputs.f64": "little-endian float64, row-major, rows x n_features (NaN = missing)",
            "inputs_inf.f64": "LightGBM cases only: rows_inf x n_features with ±Inf cells",
            "predict_f64": "the library's normal output on inputs.f64, flattened row-major, "
                           "output_width values per row (LightGBM Booster.predict, XGBoost "
                           "inplace_predict, scikit-learn predict_proba)",
            "predict_f32": "the same on inputs.f64 cast to float32",
            "margin_f64": "boosters: raw score (LightGBM raw_score=True, XGBoost "
                          "predict_type='margin'), margin_width values per row",
            "predict_inf": "LightGBM: predict on inputs_inf.f64",
            "non-finite": "a non-finite output is written as the string \"NaN\", \"Infinity\" "
                          "or \"-Infinity\"",
            "row_kinds": "per row: real, nan:fJ, nan:all, threshold:fJ, threshold:all, "
                         "threshold_ulp_up:fJ, zero, cat_unseen:fJ, cat_negative:fJ, "
                         "cat_fraction:fJ (inf rows: inf+:fJ, inf-:fJ, inf+:all, inf-:all, "
                         "inf_nan_mix)",
            "writer": "old-version cases: the writing library's own outputs on the same inputs",
        },
        "cases": [entries[k] for k in sorted(entries)],
    }
    index_path.write_text(json.dumps(index, indent=1) + "\n")
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    for c in index["cases"]:
        print(f"{c['name']:34s} {sum(c['bytes'].values()):>9,d} B  {c['objective']}")
    print(f"{len(index['cases'])} cases, {total:,d} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
