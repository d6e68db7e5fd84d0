#!/usr/bin/env python3
"""Write the forest engine's test fixtures (test/fixtures/forest/): small real scikit-learn
forests in the package's format, inputs, and scikit-learn's own predict_proba on them.

    python tools/make_forest_fixtures.py [OUT_DIR]

Per case NAME: NAME.forest, NAME.x64.bin / NAME.x32.bin (row-major inputs, float64 / float32),
NAME.p64.bin / NAME.p32.bin (predict_proba of those inputs, float64), NAME.classes.bin
(classes_, float64); all raw little-endian. cases.txt has one line per case:
NAME ROWS N_FEATURES N_CLASSES N_TREES ALLOWS_NAN(0/1) ESTIMATOR(0 = RF, 1 = ExtraTrees).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_sklearn_forest import export_forest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROWS = 240


def _data(rng, n, n_features, n_classes, nan_rate):
    x = rng.normal(size=(n, n_features)) * rng.uniform(0.5, 50, size=n_features)
    score = x[:, 0] / np.std(x[:, 0]) + 0.7 * x[:, 1] / np.std(x[:, 1]) + rng.normal(scale=0.8, size=n)
    if n_features > 2:
        score += np.sin(x[:, 2])
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    if nan_rate:
        x[rng.random(x.shape) < nan_rate] = np.nan
    return x, y


def _inputs(rng, model, n_features, scale):
    """Random rows, NaN rows, and rows sitting exactly on (and next to) split thresholds."""
    x64 = rng.normal(size=(ROWS, n_features)) * scale
    x64[: ROWS // 4][rng.random((ROWS // 4, n_features)) < 0.3] = np.nan
    x64[ROWS // 4] = np.nan  # a row of missing values only
    x32 = x64.astype(np.float32)
    # Threshold rows: for a random internal node, put its feature exactly on the threshold (as
    # float64, then as float32 rounded to nearest, and one float32 step each side).
    start = ROWS // 4 + 1
    for r in range(start, ROWS // 2):
        est = model.estimators_[rng.integers(len(model.estimators_))].tree_
        internal = np.flatnonzero(est.children_left != -1)
        if len(internal) == 0:
            continue
        node = internal[rng.integers(len(internal))]
        f, t = est.feature[node], est.threshold[node]
        if not np.isfinite(t):
            continue
        x64[r, f] = t
        t32 = np.float32(t)
        x32[r, f] = [t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))][r % 3]
    return x64, x32


CASES = [
    # name, estimator, features, classes, trees, training NaN rate, labels, extra params
    ("rf_binary_nan", RandomForestClassifier, 7, 2, 10, 0.12, [0, 1], dict(max_depth=7)),
    ("rf_multiclass", RandomForestClassifier, 12, 4, 8, 0.0, [-3.0, 0.0, 2.0, 7.0],
     dict(max_leaf_nodes=40, class_weight="balanced")),
    ("et_binary_nan", ExtraTreesClassifier, 5, 2, 12, 0.1, [0, 1], dict(max_depth=7)),
    ("et_multiclass", ExtraTreesClassifier, 9, 3, 6, 0.0, [1, 2, 3], dict(min_samples_leaf=3, max_depth=9)),
    ("rf_single_class", RandomForestClassifier, 3, 1, 5, 0.0, [4], dict(max_depth=3)),
]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "test" / "fixtures" / "forest"
    out.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    lines = []
    for i, (name, cls, n_features, n_classes, n_trees, nan_rate, labels, params) in enumerate(CASES):
        rng = np.random.default_rng(1000 + i)
        x, y = _data(rng, 600, n_features, n_classes, nan_rate)
        labels = np.asarray(labels, dtype=np.float64 if any(isinstance(v, float) for v in labels) else np.int64)
        model = cls(n_estimators=n_trees, random_state=i, **params).fit(x, labels[y])
        assert len(model.classes_) == n_classes
        if name == "rf_multiclass":
            # What fitting on a DataFrame sets (no pandas here): exercises the feature_names record.
            model.feature_names_in_ = np.array([f"f{j}_name" for j in range(n_features)], dtype=object)
        summary = export_forest(model, out / f"{name}.forest")
        scale = np.nanstd(x, axis=0)
        x64, x32 = _inputs(rng, model, n_features, scale)
        p64 = model.predict_proba(x64)
        p32 = model.predict_proba(x32)
        # The engine refuses +-Inf because scikit-learn does; check that it still does.
        bad = x64[:2].copy()
        bad[1, 0] = np.inf
        try:
            model.predict_proba(bad)
        except ValueError:
            pass
        else:
            raise SystemExit("scikit-learn accepted +Inf: update the engine and docs/forest-format.md")
        # The NaN flag must say what scikit-learn itself does with a NaN input.
        bad[1, 0] = np.nan
        try:
            model.predict_proba(bad)
            sklearn_allows_nan = True
        except ValueError:
            sklearn_allows_nan = False
        if summary["allows_nan"] != sklearn_allows_nan:
            raise SystemExit(f"{name}: exporter NaN flag {summary['allows_nan']}, scikit-learn {sklearn_allows_nan}")
        x64.astype("<f8").tofile(out / f"{name}.x64.bin")
        x32.astype("<f4").tofile(out / f"{name}.x32.bin")
        p64.astype("<f8").tofile(out / f"{name}.p64.bin")
        p32.astype("<f8").tofile(out / f"{name}.p32.bin")
        np.asarray(model.classes_, dtype="<f8").tofile(out / f"{name}.classes.bin")
        kind = 1 if cls is ExtraTreesClassifier else 0
        lines.append(f"{name} {ROWS} {n_features} {n_classes} {n_trees} {int(sklearn_allows_nan)} {kind}")
        print(f"{name}: {summary['n_nodes']} nodes, {summary['n_leaf_rows']} leaf rows, {summary['bytes']} bytes")
    (out / "cases.txt").write_text(
        "# name rows n_features n_classes n_trees allows_nan estimator (tools/make_forest_fixtures.py)\n"
        + "\n".join(lines) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
