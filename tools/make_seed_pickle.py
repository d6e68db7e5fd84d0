#!/usr/bin/env python3
"""Makes a pickle the way the original system made its production_ensemble.pkl: an instance of
its own ProductionEnsemble class (module src.ml.ensemble, which does not exist where the pickle
is migrated) holding a fitted LGBMClassifier, XGBClassifier and RandomForestClassifier, trained on
data/sample_features.csv with the next-bar label, plus its weights dict.

    .venv/bin/python tools/make_seed_pickle.py test/fixtures/migrate/production_ensemble.pkl
    .venv/bin/python tools/make_seed_pickle.py broken.pkl --variant two-forests

Beside the seed pickle it writes the pickled ensemble's own predict_proba on the first 200
feature rows, for the migrate test: inputs.f64 (the rows, row-major little-endian float64),
reference.f64 (P(up), float64) and reference.json (the same, with the feature names).

Variants that tools/migrate_pickle.py must refuse (no reference files): no-models (the weights
only), two-forests, multiclass (a 3-class forest), feature-mismatch (the XGBoost model trained on
11 features), names-mismatch (feature_names lists 11 names), wrapped (the forest inside a
CalibratedClassifierCV). One the tool migrates but the command's check must refuse:
unscaled-weights (weights 2 / 2 / 1, so the ensemble's P(up) exceeds 1 and the health check fails).
"""
import argparse
import json
import pickle
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_ROWS = 200
VARIANTS = ("seed", "no-models", "two-forests", "multiclass", "feature-mismatch", "names-mismatch", "wrapped",
            "unscaled-weights")

# The class as the original system describes it (its models/production/README.md): weights
# 0.4 / 0.4 / 0.2, 12 features required, predict / predict_proba / get_model_info.
SEED_MODULE_SOURCE = '''
import numpy as np


class ProductionEnsemble:
    """Weighted ensemble of LightGBM, XGBoost and RandomForest (Phase 12)."""

    def __init__(self, individual_models, weights=None, feature_names=None):
        self.models = individual_models
        self.weights = weights or {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
        self.feature_names = list(feature_names or [])
        self.n_features = len(self.feature_names) or 12
        self.is_fitted = True

    def predict_proba(self, X):
        X = np.asarray(X)
        if X.shape[1] != self.n_features:
            raise ValueError(f"特徴量数不一致: {X.shape[1]} != {self.n_features}")
        total = np.zeros((X.shape[0], 2))
        for name, model in self.models.items():
            total += self.weights[name] * model.predict_proba(X)
        return total

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def get_model_info(self):
        return {"type": "ProductionEnsemble", "individual_models": list(self.models),
                "n_features": self.n_features, "feature_names": self.feature_names,
                "weights": self.weights, "is_fitted": self.is_fitted}
'''


def seed_class():
    """Defines src.ml.ensemble.ProductionEnsemble on the fly, as if the seed's code were here."""
    for name in ("src", "src.ml"):
        sys.modules.setdefault(name, types.ModuleType(name))
    module = types.ModuleType("src.ml.ensemble")
    exec(SEED_MODULE_SOURCE, module.__dict__)
    sys.modules["src.ml.ensemble"] = module
    return module.ProductionEnsemble


def training_data():
    """The bundled feature rows and the next-bar label (1 if the next close is higher)."""
    path = ROOT / "data" / "sample_features.csv"
    header = path.open(encoding="utf-8").readline().strip().split(",")
    names = [n for n in header if n != "timestamp"]
    X = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, len(header)), dtype=np.float64)
    y = (X[1:, 0] > X[:-1, 0]).astype(int)
    return X[:-1], y, names


def fit_models(X, y, trees=30, forest_trees=10):
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.ensemble import RandomForestClassifier

    return {
        "lightgbm": lgb.LGBMClassifier(n_estimators=trees, max_depth=4, num_leaves=15, random_state=7,
                                       verbose=-1, n_jobs=1).fit(X, y),
        "xgboost": xgb.XGBClassifier(n_estimators=trees, max_depth=4, random_state=7, n_jobs=1).fit(X, y),
        "random_forest": RandomForestClassifier(n_estimators=forest_trees, max_depth=6, random_state=7,
                                                n_jobs=1).fit(X, y),
    }


def make_variant(variant, X, y, names, cls):
    """A pickled-ensemble-like object that the migration must refuse."""
    import xgboost as xgb
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier

    X, y = X[:2000], y[:2000]
    if variant == "no-models":
        return cls({}, feature_names=names)
    models = fit_models(X, y, trees=5, forest_trees=3)
    if variant == "two-forests":
        e = cls(models, feature_names=names)
        e.backup_forest = RandomForestClassifier(n_estimators=2, max_depth=3, random_state=1).fit(X, y)
        return e
    if variant == "multiclass":
        models["random_forest"] = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=1).fit(
            X, np.digitize(X[:, 2], [-0.001, 0.001]))
    elif variant == "feature-mismatch":
        models["xgboost"] = xgb.XGBClassifier(n_estimators=5, max_depth=3, n_jobs=1).fit(X[:, :11], y)
    elif variant == "names-mismatch":
        e = cls(models, feature_names=names[:11])
        e.n_features = 12
        return e
    elif variant == "unscaled-weights":
        return cls(models, weights={"lightgbm": 2.0, "xgboost": 2.0, "random_forest": 1.0}, feature_names=names)
    elif variant == "wrapped":
        models["random_forest"] = CalibratedClassifierCV(
            RandomForestClassifier(n_estimators=3, max_depth=4, random_state=1), cv=2).fit(X, y)
    return cls(models, feature_names=names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="the pickle to write (e.g. test/fixtures/migrate/production_ensemble.pkl)")
    ap.add_argument("--variant", choices=VARIANTS, default="seed")
    args = ap.parse_args()

    X, y, names = training_data()
    cls = seed_class()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.variant != "seed":
        with open(args.out, "wb") as f:
            pickle.dump(make_variant(args.variant, X, y, names, cls), f, protocol=4)
        print(f"wrote {args.out} ({args.variant})")
        return

    ensemble = cls(fit_models(X, y), feature_names=names)
    with open(args.out, "wb") as f:
        pickle.dump(ensemble, f, protocol=4)
    probe = np.ascontiguousarray(X[:REFERENCE_ROWS])
    reference = ensemble.predict_proba(probe)[:, 1].astype(np.float64)
    out_dir = args.out.parent
    probe.astype("<f8").tofile(out_dir / "inputs.f64")
    reference.astype("<f8").tofile(out_dir / "reference.f64")
    (out_dir / "reference.json").write_text(json.dumps({
        "pickle": args.out.name,
        "rows": int(probe.shape[0]),
        "n_features": int(probe.shape[1]),
        "feature_names": names,
        "weights": ensemble.weights,
        "model_info": ensemble.get_model_info(),
        "ensemble": [float(v) for v in reference],
        "note": "inputs.f64 = data/sample_features.csv rows 0..199; ensemble = the pickled "
                "ProductionEnsemble's own predict_proba(inputs)[:, 1] (also in reference.f64)",
    }, indent=1) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), inputs.f64, reference.f64, reference.json")


if __name__ == "__main__":
    main()
