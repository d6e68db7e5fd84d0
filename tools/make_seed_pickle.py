#!/usr/bin/env python3
"""Makes a pickle "the way the seed made its own": an instance of the original system's
ProductionEnsemble class (module src.ml.ensemble, which will not exist where the pickle is
migrated) holding three fitted scikit-learn-API models and a weights dict. Also writes the
pickled ensemble's own predict_proba on the first 200 feature rows, for the migrate test.

Usage: .venv/bin/python tools/make_seed_pickle.py [--out test/fixtures/migrate]
"""
import argparse
import json
import pickle
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

SEED_MODULE_SOURCE = '''
import numpy as np

class ProductionEnsemble:
    """The original system's ensemble (seed README): 0.4 LightGBM + 0.4 XGBoost + 0.2 RF."""

    def __init__(self, individual_models, weights=None):
        self.models = individual_models
        self.weights = weights or {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
        self.n_features_ = 12
        self.feature_names = []
        self.is_fitted = True

    def predict_proba(self, X):
        if X.shape[1] != self.n_features_:
            raise ValueError(f"特徴量数不一致: {X.shape[1]} != {self.n_features_}")
        total = np.zeros((X.shape[0], 2))
        for name, model in self.models.items():
            total += self.weights[name] * model.predict_proba(X)
        return total

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def get_model_info(self):
        return {"type": "ProductionEnsemble", "individual_models": list(self.models),
                "n_features": self.n_features_, "weights": self.weights}
'''


def seed_class():
    """Defines src.ml.ensemble.ProductionEnsemble on the fly, as if the seed's code were here."""
    for name in ("src", "src.ml"):
        sys.modules.setdefault(name, types.ModuleType(name))
    module = types.ModuleType("src.ml.ensemble")
    exec(SEED_MODULE_SOURCE, module.__dict__)
    sys.modules["src.ml.ensemble"] = module
    return module.ProductionEnsemble


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "test" / "fixtures" / "migrate"))
    args = ap.parse_args()
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.ensemble import RandomForestClassifier

    data = np.genfromtxt(ROOT / "data" / "sample_features.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
    names = [n for n in data.dtype.names if n != "timestamp"]
    X = np.column_stack([data[n].astype(np.float64) for n in names])
    y = (np.r_[X[1:, 0] > X[:-1, 0], False]).astype(int)
    X, y = X[:-1], y[:-1]

    models = {
        "lightgbm": lgb.LGBMClassifier(n_estimators=30, num_leaves=15, random_state=7, verbose=-1, n_jobs=1),
        "xgboost": xgb.XGBClassifier(n_estimators=30, max_depth=4, random_state=7, n_jobs=1),
        "random_forest": RandomForestClassifier(n_estimators=10, max_depth=8, random_state=7, n_jobs=1),
    }
    for m in models.values():
        m.fit(X, y)
    cls = seed_class()
    ensemble = cls(models)
    ensemble.feature_names = names

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "production_ensemble.pkl", "wb") as f:
        pickle.dump(ensemble, f, protocol=4)
    probe = X[:200]
    reference = ensemble.predict_proba(probe)[:, 1]
    probe.astype("<f8").tofile(out / "inputs.f64")
    (out / "reference.json").write_text(json.dumps({
        "rows": int(probe.shape[0]), "n_features": int(probe.shape[1]), "feature_names": names,
        "ensemble": [float(v) for v in reference],
        "note": "the pickled ProductionEnsemble's own predict_proba[:, 1]",
    }, indent=1) + "\n")
    print(f"wrote {out / 'production_ensemble.pkl'} ({(out / 'production_ensemble.pkl').stat().st_size} bytes)")


if __name__ == "__main__":
    main()
