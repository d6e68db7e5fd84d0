#!/usr/bin/env python3
"""Data side of the fixture zoo (tools/make_fixture_models.py): seeded synthetic data sets, the
split values read back from written model files, the input sets scored by every case, and the
writers of inputs.f64 / reference.json."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROWS = 200

# ----------------------------------------------------------------------------------------------
# Synthetic data: a fixed nonlinear "market" function of mixed-scale features.


@dataclass
class Spec:
    """How a case's data look: feature count, task, NaN share, categorical features {index: n}."""

    n_features: int
    task: str  # binary | multiclass | regression
    n_classes: int = 2
    nan_frac: float = 0.0
    cat: dict = field(default_factory=dict)
    noise: float = 0.7
    rare_class: float = 0.0  # multiclass: share of rows relabelled to the last class at random
    func_seed: int = 7


def _column(j: int, n: int, rng, spec: Spec) -> np.ndarray:
    if j in spec.cat:
        return rng.integers(0, spec.cat[j], n).astype(np.float64)
    kind = j % 4
    if kind == 0:
        return rng.normal(0.0, 1.0, n)  # a return
    if kind == 1:
        return np.exp(rng.normal(4.5, 0.3, n))  # a price
    if kind == 2:
        return rng.integers(0, 1000, n).astype(np.float64)  # a count
    return np.round(rng.uniform(-3.0, 3.0, n), 2)  # an indicator on a coarse grid


def _standardise(j: int, x: np.ndarray, spec: Spec, table: np.ndarray) -> np.ndarray:
    if j in spec.cat:
        return table[j % len(table)][x.astype(np.int64) % table.shape[1]]
    kind = j % 4
    if kind == 0:
        return x
    if kind == 1:
        return (np.log(x) - 4.5) / 0.3
    if kind == 2:
        return (x - 500.0) / 289.0
    return x / 1.73


def make_data(spec: Spec, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of spec's data and their labels; the label function depends on spec only."""
    rng = np.random.default_rng(seed)
    func = np.random.default_rng(spec.func_seed)
    f, k = spec.n_features, max(spec.n_classes, 1)
    weights = func.normal(0.0, 1.0, (k, f)) / np.sqrt(f)
    shapes = [np.tanh, lambda z: z, lambda z: z * z - 1.0, np.sin]
    cat_table = func.normal(0.0, 1.5, (4, 64))
    x = np.column_stack([_column(j, n, rng, spec) for j in range(f)])
    z = np.column_stack([_standardise(j, x[:, j], spec, cat_table) for j in range(f)])
    score = np.zeros((n, k))
    for c in range(k):
        for j in range(f):
            score[:, c] += 2.0 * weights[c, j] * shapes[(j + c) % 4](z[:, j])
        if f > 1:
            score[:, c] += 0.8 * z[:, 0] * z[:, 1] * (1 if c % 2 == 0 else -1)
    if spec.nan_frac > 0:
        mask = rng.random((n, f)) < spec.nan_frac
        score[:, 0] += np.where(mask[:, 0], 1.2, 0.0)  # a missing value carries signal
        x[mask] = np.nan
    if spec.task == "regression":
        y = score[:, 0] + rng.normal(0.0, spec.noise, n)
    elif spec.task == "binary":
        y = (score[:, 0] + rng.normal(0.0, spec.noise, n) > 0).astype(np.float64)
    else:
        y = np.argmax(score + rng.gumbel(0.0, spec.noise, (n, k)), axis=1).astype(np.float64)
        if spec.rare_class > 0:
            y[y == k - 1] = rng.integers(0, k - 1, int(np.sum(y == k - 1)))
            y[rng.random(n) < spec.rare_class] = k - 1
    return np.ascontiguousarray(x), y


# ----------------------------------------------------------------------------------------------
# Split values read back from the written model files (the rows that sit exactly on a threshold).


def lightgbm_splits(text: str) -> tuple[dict, dict]:
    """({feature: numeric thresholds}, {feature: categories in the bitsets}) of a LightGBM model."""
    numeric: dict[int, set] = {}
    cats: dict[int, set] = {}
    for block in text.split("\nTree=")[1:]:
        kv = dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line)
        if not kv.get("split_feature"):
            continue
        feats = [int(v) for v in kv["split_feature"].split()]
        thr = kv["threshold"].split()
        dtypes = [int(v) for v in kv["decision_type"].split()]
        bounds = [int(v) for v in kv.get("cat_boundaries", "").split()]
        words = [int(v) for v in kv.get("cat_threshold", "").split()]
        for f, t, d in zip(feats, thr, dtypes):
            if d & 1:
                i = int(float(t))
                for w in range(bounds[i], bounds[i + 1]):
                    for b in range(32):
                        if words[w] >> b & 1:
                            cats.setdefault(f, set()).add(float(32 * (w - bounds[i]) + b))
            else:
                numeric.setdefault(f, set()).add(float(t))
    return numeric, cats


def _xgboost_trees(model: dict) -> list:
    gb = model["learner"]["gradient_booster"]
    return (gb["gbtree"] if gb["name"] == "dart" else gb)["model"]["trees"]


def xgboost_splits(model: dict) -> tuple[dict, dict]:
    """({feature: split_conditions}, {feature: categories}) of an XGBoost JSON model."""
    numeric: dict[int, set] = {}
    cats: dict[int, set] = {}
    for tree in _xgboost_trees(model):
        kinds = tree.get("split_type", [0] * len(tree["left_children"]))
        cat_at = {n: i for i, n in enumerate(tree.get("categories_nodes", []))}
        for node, left in enumerate(tree["left_children"]):
            if left == -1:
                continue
            f = tree["split_indices"][node]
            if kinds[node] == 1:
                i = cat_at[node]
                beg, size = tree["categories_segments"][i], tree["categories_sizes"][i]
                cats.setdefault(f, set()).update(float(c) for c in tree["categories"][beg:beg + size])
            else:
                numeric.setdefault(f, set()).add(float(np.float32(tree["split_conditions"][node])))
    return numeric, cats


def forest_splits(model) -> tuple[dict, dict]:
    numeric: dict[int, set] = {}
    for est in model.estimators_:
        t = est.tree_
        for f, thr, left in zip(t.feature, t.threshold, t.children_left):
            # A split that only separates the missing values has threshold +inf: not an input.
            if left != -1 and np.isfinite(thr):
                numeric.setdefault(int(f), set()).add(float(thr))
    return numeric, {}


# ----------------------------------------------------------------------------------------------
# Input sets.


def make_inputs(spec: Spec, splits: tuple[dict, dict], seed: int, cat_edges: bool):
    """~ROWS rows: real ones, NaN in each feature, values exactly on the model's thresholds (and one
    ulp above), zeros, categorical edge values. Returns (X, row kinds)."""
    rng = np.random.default_rng(seed)
    numeric, cats = splits
    f = spec.n_features
    real, _ = make_data(spec, 4 * ROWS, seed + 1)
    real = real[~np.isnan(real).any(axis=1)] if spec.nan_frac < 0.3 else real
    base = iter(real)
    rows: list[np.ndarray] = []
    kinds: list[str] = []

    def add(row, kind):
        rows.append(np.array(row, dtype=np.float64))
        kinds.append(kind)

    for j in range(f):
        r = next(base).copy()
        r[j] = np.nan
        add(r, f"nan:f{j}")
    add(np.full(f, np.nan), "nan:all")
    pairs = sorted((j, t) for j, ts in numeric.items() for t in ts)
    pairs += sorted((j, c) for j, cs in cats.items() for c in cs)
    if pairs:
        ends = [0, len(pairs) - 1]
        picks = ends + sorted(rng.choice(len(pairs), min(28, len(pairs)), replace=False).tolist())
        for i in dict.fromkeys(picks):
            j, t = pairs[i]
            r = next(base).copy()
            r[j] = t
            add(r, f"threshold:f{j}")
        by_feature = {**{j: sorted(ts) for j, ts in numeric.items()},
                      **{j: sorted(cs) for j, cs in cats.items()}}
        for _ in range(12):
            r = next(base).copy()
            for j, ts in by_feature.items():
                r[j] = ts[rng.integers(len(ts))]
            add(r, "threshold:all")
        for i in rng.choice(len(pairs), min(8, len(pairs)), replace=False):
            j, t = pairs[int(i)]
            if j in cats:
                continue
            r = next(base).copy()
            r[j] = np.nextafter(t, np.inf)
            add(r, f"threshold_ulp_up:f{j}")
    add(np.zeros(f), "zero")
    if cat_edges:
        for j, n_cat in sorted(spec.cat.items()):
            for value, kind in ((n_cat + 3, "cat_unseen"), (-1.0, "cat_negative"), (1.5, "cat_fraction")):
                r = next(base).copy()
                r[j] = value
                add(r, f"{kind}:f{j}")
    while len(rows) < ROWS:
        add(next(base), "real")
    return np.ascontiguousarray(np.vstack(rows)), kinds


def make_inf_inputs(spec: Spec, seed: int):
    """Rows with +Inf / -Inf in each numeric feature (never a categorical one: LightGBM casts a
    categorical value to int, undefined for Inf), all-Inf rows, and a NaN+Inf mix."""
    real, _ = make_data(spec, ROWS, seed + 2)
    real = real[~np.isnan(real).any(axis=1)]
    base = iter(real)
    numeric = [j for j in range(spec.n_features) if j not in spec.cat]
    rows, kinds = [], []
    for j in numeric:
        for sign, name in ((np.inf, "inf+"), (-np.inf, "inf-")):
            r = next(base).copy()
            r[j] = sign
            rows.append(r)
            kinds.append(f"{name}:f{j}")
    for sign, name in ((np.inf, "inf+:all"), (-np.inf, "inf-:all")):
        r = next(base).copy()
        r[numeric] = sign
        rows.append(r)
        kinds.append(name)
    r = next(base).copy()
    r[numeric[::2]] = np.inf
    r[numeric[1::2]] = np.nan
    rows.append(r)
    kinds.append("inf_nan_mix")
    return np.ascontiguousarray(np.vstack(rows)), kinds


# ----------------------------------------------------------------------------------------------
# Writing a case.


def flat(values) -> list:
    return np.asarray(values, dtype=np.float64).reshape(-1).tolist()


def max_diff(a, b) -> float:
    """Largest |a - b| over two flattened outputs; equal non-finite values (NaN, ±Inf) count as 0."""
    a = np.asarray(a, np.float64).reshape(-1)
    b = np.asarray(b, np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"outputs of different sizes: {a.size} and {b.size}")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(a - b))
    return float(np.max(np.where(np.isnan(diff), np.inf, diff), initial=0.0))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_f64(path: Path, x: np.ndarray) -> None:
    path.write_bytes(np.ascontiguousarray(x, dtype="<f8").tobytes())


def _json_safe(value):
    """A library output can be ±Inf or NaN (LightGBM linear trees on ±Inf input): JSON has no such
    numbers, so they are written as the strings "Infinity", "-Infinity", "NaN" (JS Number() reads
    them back)."""
    if isinstance(value, float) and not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def write_reference(case_dir: Path, ref: dict) -> None:
    """One key per line (diffable), arrays on one line; floats as repr (they round-trip exactly)."""
    lines = [f"{json.dumps(k)}: {json.dumps(_json_safe(v), allow_nan=False)}" for k, v in ref.items()]
    (case_dir / "reference.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")


def finish_case(case_dir: Path, ref: dict, x: np.ndarray, kinds: list, x_inf=None, inf_kinds=None) -> dict:
    write_f64(case_dir / "inputs.f64", x)
    ref["rows"] = int(x.shape[0])
    ref["row_kinds"] = kinds
    if x_inf is not None:
        write_f64(case_dir / "inputs_inf.f64", x_inf)
        ref["rows_inf"] = int(x_inf.shape[0])
        ref["row_kinds_inf"] = inf_kinds
    write_reference(case_dir, ref)
    return ref


def fresh_dir(out: Path, name: str) -> Path:
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    for p in d.iterdir():
        p.unlink()
    return d
