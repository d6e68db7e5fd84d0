"""Reference predictions of the real libraries for the bundled ensemble: the expected values of
the package's correctness tests. Called by tools/train_models.py; writes in
test/fixtures/production/:

  inputs.f64 / reference.json          ~2,000 rows x 12 (raw little-endian float64, row-major) and
                                       P(class 1) of each model and of the ensemble, computed by
                                       the library on that float64 matrix ("f64") and on its
                                       float32 cast ("f32")
  inputs_inf.f64 / reference_inf.json  rows with +-Inf: LightGBM's predictions (only LightGBM
                                       scores them) and what the other libraries do with them
  raw_margin.json                      LightGBM raw_score and XGBoost output_margin, first 50 rows

The rows: real holdout feature rows; NaN in each feature, in several, in all; for splits of
each model (read from its file), a row that takes the path to the split with the split feature
set to the exact threshold, its float32 rounding and the neighbouring doubles / float32 values,
so that the rounding rule decides the prediction; extreme finite values (+-FLT_MAX, LightGBM's
zero threshold 1e-35, subnormals, -0.0). reference.json "groups" says which rows are which.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from features import FEATURE_NAMES
from train_models import (WEIGHTS, ensemble_proba, forest_proba, lightgbm_proba, sha256,
                          write_json, xgboost_proba)

N_FEATURES = len(FEATURE_NAMES)
REAL_ROWS = 800
NAN_ROWS_PER_FEATURE = 8
NAN_MULTI_ROWS = 60
THRESHOLDS_PER_FEATURE = 5
FLT_MAX = float(np.finfo(np.float32).max)
# Finite values that stress conversions: float32 range ends, LightGBM's kZeroThreshold (1e-35)
# and values either side of it, float64 and float32 subnormals, signed zeros.
EXTREMES = (FLT_MAX, -FLT_MAX, 1e30, -1e30, 1e-35, 1e-36, -1e-36, 0.0, -0.0,
            5e-324, float(np.float32(2.0**-149)))
MARGIN_ROWS = 50


def _f32(v: float) -> float:
    return float(np.float32(v))


def _f32_step(v: float, direction: float) -> float:
    return float(np.nextafter(np.float32(v), np.float32(direction)))


# ----------------------------------------------------------------------------------------------
# Splits, read from each model as the library stores them.


@dataclass(frozen=True)
class Split:
    """One numerical split: the node's tree, feature, threshold and the path from the root
    (ancestor feature, ancestor threshold, went left) that leads to it."""

    tree: int
    feature: int
    threshold: float
    path: tuple


def _walk(tree: int, feature, threshold, left, right, usable) -> list[Split]:
    """Splits of one tree whose children are given as internal-node indices (-1 = leaf)."""
    out = []
    stack = [(0, ())]
    while stack:
        node, path = stack.pop()
        if not usable[node]:
            continue  # a categorical or non-finite split: neither a target nor a path through it
        f, t = int(feature[node]), float(threshold[node])
        out.append(Split(tree, f, t, path))
        for child, went_left in ((left[node], True), (right[node], False)):
            if child >= 0:
                stack.append((int(child), path + ((f, t, went_left),)))
    return out


def lightgbm_splits(model_path: Path) -> list[Split]:
    """From the text model: thresholds are printed with 17 significant digits, so float()
    gives the exact double LightGBM compares against; a negative child is a leaf (~leaf)."""
    out: list[Split] = []
    tree: dict = {}

    def flush():
        if "split_feature" in tree:
            # bit 0 = categorical; an infinite threshold ("inf": every finite value goes left)
            # has no neighbours to probe.
            usable = [not d & 1 and math.isfinite(t)
                      for d, t in zip(tree["decision_type"], tree["threshold"])]
            left = [c if c >= 0 else -1 for c in tree["left_child"]]
            right = [c if c >= 0 else -1 for c in tree["right_child"]]
            out.extend(_walk(tree["index"], tree["split_feature"], tree["threshold"], left,
                             right, usable))

    for line in Path(model_path).read_text().splitlines():
        if line.startswith("Tree="):
            flush()
            tree = {"index": int(line[5:])}
        elif "=" in line and tree:
            key, value = line.split("=", 1)
            if key in ("split_feature", "decision_type", "left_child", "right_child"):
                tree[key] = [int(v) for v in value.split()]
            elif key == "threshold":
                tree[key] = [float(v) for v in value.split()]
        elif line.startswith("end of trees"):
            break
    flush()
    return out


def xgboost_splits(model_path: Path) -> list[Split]:
    """split_conditions are float32 in XGBoost; the JSON decimal is rounded back to it."""
    model = json.loads(Path(model_path).read_text())
    out: list[Split] = []
    for i, tree in enumerate(model["learner"]["gradient_booster"]["model"]["trees"]):
        left = np.asarray(tree["left_children"])
        right = np.asarray(tree["right_children"])
        if left[0] == -1:
            continue  # a single leaf
        internal = left != -1
        left = np.where(internal[np.maximum(left, 0)] & (left >= 0), left, -1)
        right = np.where(internal[np.maximum(right, 0)] & (right >= 0), right, -1)
        thresholds = [_f32(t) for t in tree["split_conditions"]]
        out.extend(_walk(i, tree["split_indices"], thresholds, left, right, internal))
    return out


def forest_splits(forest) -> list[Split]:
    """tree_.threshold, finite ones only: scikit-learn >= 1.3 writes +inf for a split that
    separates the missing values from all others (the NaN rows cover it)."""
    out: list[Split] = []
    for i, est in enumerate(forest.estimators_):
        tree = est.tree_
        internal = tree.children_left != -1
        usable = internal & np.isfinite(tree.threshold)
        left = np.where(internal[np.maximum(tree.children_left, 0)] & internal,
                        tree.children_left, -1)
        right = np.where(internal[np.maximum(tree.children_right, 0)] & internal,
                         tree.children_right, -1)
        if internal[0]:
            out.extend(_walk(i, tree.feature, tree.threshold, left, right, usable))
    return out


def goes_left(model: str, x, t: float):
    """The library's numerical test, vectorised over x (finite values)."""
    x = np.asarray(x, dtype=np.float64)
    if model == "lightgbm":
        return x <= t
    if model == "xgboost":
        return x.astype(np.float32) < np.float32(t)
    return x.astype(np.float32) <= t  # scikit-learn casts X to float32


def row_reaching(model: str, split: Split, base: np.ndarray, pool: np.ndarray, rng):
    """`base` with the features the path tests replaced, where needed, by pool values that take
    the path, so the row reaches the split; None if the pool has no such value."""
    row = base.copy()
    for f in sorted({a[0] for a in split.path}):
        tests = [(t, went_left) for g, t, went_left in split.path if g == f]

        def ok(v):
            return np.all([goes_left(model, v, t) == went_left for t, went_left in tests], axis=0)

        if ok(row[f]):
            continue
        candidates = pool[:, f][ok(pool[:, f])]
        if candidates.size == 0:
            return None
        row[f] = candidates[rng.integers(candidates.size)]
    return row


def pick_splits(splits: list[Split], feature: int, k: int) -> list[list[Split]]:
    """Up to k distinct thresholds of `feature` spread over their range; per pick, the splits
    that use it (shallowest first) then those of the neighbouring thresholds, as fallbacks."""
    by_threshold: dict[float, list[Split]] = {}
    for sp in splits:
        if sp.feature == feature:
            by_threshold.setdefault(sp.threshold, []).append(sp)
    values = sorted(by_threshold)
    if not values:
        return []
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, k)).astype(int))
    out = []
    for p in picks:
        order = sorted(range(len(values)), key=lambda i: (abs(i - p), i))[:8]
        out.append([sp for i in order
                    for sp in sorted(by_threshold[values[i]], key=lambda s: (len(s.path), s.tree))])
    return out


def _f32_floor(t: float) -> float:
    """The largest float32 <= t."""
    f = np.float32(t)
    return float(np.nextafter(f, np.float32(-np.inf)) if float(f) > t else f)


def _f32_above(t: float) -> float:
    """The smallest float32 > t."""
    f = np.float32(t)
    return float(np.nextafter(f, np.float32(np.inf)) if float(f) <= t else f)


VARIANTS = {
    # XGBoost tests float32(x) < split, split a float32: the split itself, a double just below
    # it (rounds up to it in float32), and its float32 neighbours.
    "xgboost": ("split", "next double below", "next float32 below", "next float32 above"),
    # LightGBM tests double(x) <= threshold, scikit-learn float32(x) <= threshold (a double):
    # the exact double, its float32 rounding, the doubles either side, and the float32 values
    # either side of it (the last float32 that goes left, the first that goes right).
    "lightgbm": ("threshold", "float32 rounding", "next double above", "next double below",
                 "largest float32 <= threshold", "smallest float32 > threshold"),
}
VARIANTS["random_forest"] = VARIANTS["lightgbm"]


def threshold_values(model: str, t: float) -> list[float]:
    if model == "xgboost":
        return [t, float(np.nextafter(t, -np.inf)), _f32_step(t, -np.inf), _f32_step(t, np.inf)]
    return [t, _f32(t), float(np.nextafter(t, np.inf)), float(np.nextafter(t, -np.inf)),
            _f32_floor(t), _f32_above(t)]


# ----------------------------------------------------------------------------------------------
# Input rows.


class Rows:
    def __init__(self):
        self.blocks: list[np.ndarray] = []
        self.groups: list[dict] = []

    def add(self, name: str, block: np.ndarray, description: str) -> None:
        start = sum(len(b) for b in self.blocks)
        self.blocks.append(np.asarray(block, dtype=np.float64).reshape(-1, N_FEATURES))
        self.groups.append({"name": name, "start": start, "count": len(self.blocks[-1]),
                            "description": description})

    def matrix(self) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate(self.blocks))


def build_inputs(holdout: np.ndarray, rng, splits: dict) -> tuple[np.ndarray, list[dict]]:
    rows = Rows()
    picks = np.sort(rng.choice(len(holdout), size=REAL_ROWS, replace=False))
    rows.add("holdout", holdout[picks], "real feature rows from the time-ordered holdout")

    def base() -> np.ndarray:
        return holdout[rng.integers(len(holdout))].copy()

    block = []
    for j in range(N_FEATURES):
        for _ in range(NAN_ROWS_PER_FEATURE):
            r = base()
            r[j] = np.nan
            block.append(r)
    rows.add("nan_single", block, f"NaN in one feature ({NAN_ROWS_PER_FEATURE} rows per feature)")
    block = []
    for _ in range(NAN_MULTI_ROWS):
        r = base()
        r[rng.choice(N_FEATURES, size=int(rng.integers(2, N_FEATURES)), replace=False)] = np.nan
        block.append(r)
    rows.add("nan_multi", block, "NaN in 2..11 features")
    block = []
    for j in range(N_FEATURES):
        r = np.full(N_FEATURES, np.nan)
        r[j] = base()[j]
        block.append(r)
    rows.add("nan_all_but_one", block, "NaN everywhere except feature j (row j of the group)")
    rows.add("nan_all", np.full(N_FEATURES, np.nan), "every feature NaN")

    for model in ("lightgbm", "xgboost", "random_forest"):
        block = []
        targets = []
        for j in range(N_FEATURES):
            for candidates in pick_splits(splits[model], j, THRESHOLDS_PER_FEATURE):
                # A row that takes the path to the split, so that the variants below decide it.
                for sp in candidates:
                    row = row_reaching(model, sp, base(), holdout, rng)
                    if row is not None:
                        break
                else:
                    continue
                targets.append({"tree": sp.tree, "feature": sp.feature, "threshold": sp.threshold,
                                "depth": len(sp.path)})
                for v in threshold_values(model, sp.threshold):
                    r = row.copy()
                    r[j] = v
                    block.append(r)
        variants = VARIANTS[model]
        rows.add(f"thresholds_{model}", block,
                 f"per split in 'splits': {len(variants)} copies of a row that reaches it, the "
                 "split feature set to: " + ", ".join(variants))
        rows.groups[-1].update(variants_per_threshold=len(variants), splits=targets)

    block = []
    for j in range(N_FEATURES):
        for v in EXTREMES:
            r = base()
            r[j] = v
            block.append(r)
    block += [np.zeros(N_FEATURES), np.full(N_FEATURES, FLT_MAX), np.full(N_FEATURES, -FLT_MAX)]
    rows.add("extremes", block, "one feature set to each of " + ", ".join(repr(v) for v in EXTREMES)
             + "; then all 0, all FLT_MAX, all -FLT_MAX")
    return rows.matrix(), rows.groups


def build_inf_inputs(holdout: np.ndarray, rng) -> tuple[np.ndarray, list[dict]]:
    rows = Rows()

    def base() -> np.ndarray:
        return holdout[rng.integers(len(holdout))].copy()

    block = []
    for j in range(N_FEATURES):
        for v in (np.inf, -np.inf):
            r = base()
            r[j] = v
            block.append(r)
    rows.add("inf_single", block, "+Inf then -Inf in feature j (rows 2j, 2j+1)")
    block = []
    for _ in range(12):
        r = base()
        cols = rng.choice(N_FEATURES, size=4, replace=False)
        r[cols[:2]] = rng.choice([np.inf, -np.inf], size=2)
        if rng.random() < 0.5:
            r[cols[2:]] = np.nan
        block.append(r)
    rows.add("inf_mixed", block, "+-Inf in two features, sometimes NaN in two more")
    alternating = np.where(np.arange(N_FEATURES) % 2 == 0, np.inf, -np.inf)
    rows.add("inf_all", [np.full(N_FEATURES, np.inf), np.full(N_FEATURES, -np.inf), alternating],
             "all +Inf, all -Inf, alternating +Inf/-Inf")
    return rows.matrix(), rows.groups


# ----------------------------------------------------------------------------------------------
# Predictions.


def _floats(a) -> list[float]:
    out = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError("a library returned a non-finite prediction")
    return out.tolist()


def _xgboost_dmatrix(booster, x: np.ndarray) -> np.ndarray:
    import xgboost as xgb

    matrix = xgb.DMatrix(x, missing=np.nan, feature_names=list(FEATURE_NAMES))
    return np.asarray(booster.predict(matrix), dtype=np.float64)


def predict_all(x64: np.ndarray, lgb_booster, xgb_booster, forest) -> tuple[dict, dict]:
    out = {name: {} for name in (*WEIGHTS, "ensemble")}
    checks = {}
    for tag, x in (("f64", x64), ("f32", x64.astype(np.float32))):
        p_lgb = lightgbm_proba(lgb_booster, x)
        p_xgb = xgboost_proba(xgb_booster, x)
        # scikit-learn's finiteness check sums X; +FLT_MAX + -FLT_MAX rows make that sum NaN and
        # numpy warn, though every value is finite (the check then looks value by value).
        with np.errstate(over="ignore", invalid="ignore"):
            p_rf = forest_proba(forest, x)
        p_dm = _xgboost_dmatrix(xgb_booster, x)
        diff = float(np.max(np.abs(p_dm - p_xgb)))
        if diff > 1e-7:
            raise AssertionError(f"XGBoost DMatrix predict differs from inplace_predict by {diff}")
        checks[f"xgboost_dmatrix_vs_inplace_max_abs_diff_{tag}"] = diff
        out["lightgbm"][tag] = _floats(p_lgb)
        out["xgboost"][tag] = _floats(p_xgb)
        out["random_forest"][tag] = _floats(p_rf)
        out["ensemble"][tag] = _floats(ensemble_proba(p_lgb, p_xgb, p_rf))
    for name in out:
        a, b = np.array(out[name]["f64"]), np.array(out[name]["f32"])
        checks[f"{name}_rows_where_f32_differs_from_f64"] = int(np.sum(a != b))
    return out, checks


def _refusal(fn) -> str:
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            fn()
    except Exception as exc:  # noqa: BLE001 - the message is what we record
        first = str(exc).strip().splitlines()[0]
        # XGBoost prefixes "[hh:mm:ss] /build/path/file.cc:line: "; keep the file stable.
        return "refuses: " + re.sub(r"^\[[0-9:]+\] \S+:\d+: ", "", first)[:300]
    return "accepts"


def write_fixtures(out_dir: Path, ds, seed: int, model_dir: Path, lgb_booster, xgb_booster,
                   forest) -> None:
    import xgboost as xgb

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    holdout = ds.x[ds.n_train:]
    splits = {
        "lightgbm": lightgbm_splits(model_dir / "lightgbm.txt"),
        "xgboost": xgboost_splits(model_dir / "xgboost.json"),
        "random_forest": forest_splits(forest),
    }
    x, groups = build_inputs(holdout, rng, splits)
    if np.any(np.isinf(x)) or np.nanmax(np.abs(x)) > FLT_MAX:
        raise AssertionError("reference inputs must stay finite in float32")
    preds, checks = predict_all(x, lgb_booster, xgb_booster, forest)
    model_files = {name: sha256(model_dir / f) for name, f in
                   (("lightgbm", "lightgbm.txt"), ("xgboost", "xgboost.json"),
                    ("random_forest", "random_forest.forest"))}
    common = {"n_features": N_FEATURES, "feature_names": list(FEATURE_NAMES),
              "layout": "raw little-endian float64, row-major, rows x n_features; NaN as NaN",
              "model_sha256": model_files}
    (out_dir / "inputs.f64").write_bytes(x.astype("<f8").tobytes())
    write_json(out_dir / "reference.json", {
        "rows": int(len(x)), **common, "inputs": "inputs.f64",
        "prediction": "P(class 1). f64: the library on the float64 matrix; f32: on its float32 "
                      "cast. LightGBM Booster.predict, XGBoost Booster.inplace_predict, "
                      "scikit-learn predict_proba[:, 1]; ensemble = (0.4*lightgbm + "
                      "0.4*xgboost) + 0.2*random_forest in float64",
        "groups": groups, **preds, "checks": checks,
    })

    x_inf, inf_groups = build_inf_inputs(holdout, rng)
    (out_dir / "inputs_inf.f64").write_bytes(x_inf.astype("<f8").tobytes())
    behaviour = {
        "xgboost_dmatrix": _refusal(lambda: xgb.DMatrix(x_inf, missing=np.nan)),
        "xgboost_inplace_predict": _refusal(lambda: xgb_booster.inplace_predict(x_inf)),
        "random_forest_predict_proba": _refusal(lambda: forest.predict_proba(x_inf)),
        "package_rule": "only LightGBM scores +-Inf; the package refuses +-Inf for XGBoost, "
                        "the forest and the ensemble (docs: Inputs at the edges)",
    }
    write_json(out_dir / "reference_inf.json", {
        "rows": int(len(x_inf)), **common, "inputs": "inputs_inf.f64", "groups": inf_groups,
        "lightgbm": {"f64": _floats(lightgbm_proba(lgb_booster, x_inf)),
                     "f32": _floats(lightgbm_proba(lgb_booster, x_inf.astype(np.float32)))},
        "library_behaviour": behaviour,
    })

    head = x[:MARGIN_ROWS]
    raw = np.asarray(lgb_booster.predict(head, raw_score=True), dtype=np.float64)
    margin = np.asarray(xgb_booster.inplace_predict(head, predict_type="margin"), dtype=np.float64)
    for name, m, p in (("lightgbm", raw, preds["lightgbm"]["f64"][:MARGIN_ROWS]),
                       ("xgboost", margin, preds["xgboost"]["f64"][:MARGIN_ROWS])):
        gap = float(np.max(np.abs(1.0 / (1.0 + np.exp(-m)) - np.array(p))))
        if gap > 1e-6:
            raise AssertionError(f"{name}: sigmoid(margin) differs from the probability by {gap}")
    write_json(out_dir / "raw_margin.json", {
        "rows": MARGIN_ROWS, **common,
        "inputs": f"the first {MARGIN_ROWS} rows of inputs.f64 (float64)",
        "lightgbm_raw_score": _floats(raw), "xgboost_output_margin": _floats(margin),
    })
