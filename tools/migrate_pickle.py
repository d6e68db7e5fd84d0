#!/usr/bin/env python3
"""Turns the original system's pickled ProductionEnsemble into a model directory of this package.

    .venv/bin/python tools/migrate_pickle.py production_ensemble.pkl out-dir [--force]

WARNING: unpickling runs code chosen by whoever wrote the pickle. Migrate only pickles you trust.
The point of the migration is that the package's own model directory is data only.

The pickle's own class (the seed's src.ml... ProductionEnsemble) need not exist here: classes whose
module cannot be imported are replaced by a stand-in that keeps the state pickle hands it. The
three models are then found by type anywhere in the object graph, with the weights (a dict with the
keys lightgbm / xgboost / random_forest), the feature names and a threshold if present. Writes
lightgbm.txt, xgboost.json, random_forest.forest, production_model_metadata.json and the legacy
model_metadata.json into a temporary directory renamed to out-dir at the end; prints a JSON summary.
Exit code 2 with one line on stderr when the pickle cannot be migrated.
"""
import argparse
import datetime as dt
import hashlib
import importlib
import json
import os
import pickle
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROLES = ("lightgbm", "xgboost", "random_forest")


class MigrateError(Exception):
    """A pickle that cannot be migrated; the message says why."""


class StandIn:
    """Replaces a class whose module is not importable, keeping whatever state pickle gives it."""

    _pickle_class = "?"

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            state = {**(state[0] or {}), **state[1]}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self._state = state

    def __call__(self, *args, **kwargs):
        return None


class LenientUnpickler(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f)
        self.stand_ins: list[str] = []

    def find_class(self, module, name):
        try:
            importlib.import_module(module)
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            self.stand_ins.append(f"{module}.{name}")
            return type(name, (StandIn,), {"_pickle_class": f"{module}.{name}"})


def walk(obj, seen=None, depth=0):
    """Every object reachable from obj through containers and attributes (not into the models)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 50:
        return
    seen.add(id(obj))
    yield obj
    if kind_of(obj) is not None:
        return
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children = list(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        children = list(vars(obj).values())
    else:
        children = []
    for child in children:
        yield from walk(child, seen, depth + 1)


def kind_of(obj):
    """'lightgbm' / 'xgboost' / 'random_forest' for a model, else None."""
    mod = type(obj).__module__
    name = type(obj).__name__
    if mod.startswith("lightgbm") and name in ("LGBMClassifier", "Booster"):
        return "lightgbm"
    if mod.startswith("xgboost") and name in ("XGBClassifier", "Booster", "XGBRFClassifier"):
        return "xgboost"
    if mod.startswith("sklearn.ensemble") and name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        return "random_forest"
    return None


def find_parts(root):
    models = {r: [] for r in ROLES}
    weights, names, threshold = None, None, None
    for obj in walk(root):
        k = kind_of(obj)
        if k is not None:
            if not any(o is obj for o in models[k]):
                models[k].append(obj)
            continue
        if isinstance(obj, dict) and set(ROLES) <= set(obj) and all(isinstance(obj[r], (int, float)) for r in ROLES):
            weights = weights or {r: float(obj[r]) for r in ROLES}
        if isinstance(obj, (list, tuple)) and len(obj) > 0 and all(isinstance(x, str) for x in obj):
            if names is None and len(set(obj)) == len(obj) and not set(obj) <= set(ROLES):
                names = list(obj)
        if hasattr(obj, "__dict__") and not isinstance(obj, type):
            for key in ("threshold", "decision_threshold"):
                v = vars(obj).get(key)
                if isinstance(v, float) and 0 <= v <= 1:
                    threshold = v
    for r in ROLES:
        if not models[r]:
            raise MigrateError(f"no {r} model found in the pickle")
        if len(models[r]) > 1:
            raise MigrateError(f"{len(models[r])} {r} models found in the pickle; cannot tell which is the ensemble's")
    return {r: models[r][0] for r in ROLES}, weights, names, threshold


def n_features(role, m):
    if role == "lightgbm":
        return (m.booster_ if hasattr(m, "booster_") else m).num_feature()
    if role == "xgboost":
        return (m.get_booster() if hasattr(m, "get_booster") else m).num_features()
    return int(m.n_features_in_)


def check_binary(role, m):
    if role == "lightgbm":
        b = m.booster_ if hasattr(m, "booster_") else m
        obj = b.dump_model(num_iteration=1).get("objective", "")
        if not str(obj).startswith(("binary", "cross_entropy")):
            raise MigrateError(f"the LightGBM model is not a binary classifier (objective '{obj}')")
    elif role == "xgboost":
        b = m.get_booster() if hasattr(m, "get_booster") else m
        obj = json.loads(b.save_config())["learner"]["objective"]["name"]
        if obj not in ("binary:logistic", "reg:logistic"):
            raise MigrateError(f"the XGBoost model is not a binary classifier (objective '{obj}')")
    elif len(m.classes_) != 2:
        raise MigrateError(f"the random forest has {len(m.classes_)} classes, the ensemble needs 2")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def migrate(pkl: Path, out: Path, force: bool, created_at: str | None):
    if not pkl.is_file():
        raise MigrateError(f"{pkl} does not exist")
    if out.exists() and any(out.iterdir()) and not force:
        raise MigrateError(f"{out} exists and is not empty (use --force to replace it)")
    with open(pkl, "rb") as f:
        try:
            unpickler = LenientUnpickler(f)
            root = unpickler.load()
        except Exception as e:  # a truncated or foreign file
            raise MigrateError(f"{pkl} could not be unpickled: {e}") from e
    models, weights, names, threshold = find_parts(root)
    counts = {r: n_features(r, m) for r, m in models.items()}
    if len(set(counts.values())) != 1:
        raise MigrateError(f"the models disagree on the feature count: {counts}")
    n = counts["lightgbm"]
    for r, m in models.items():
        check_binary(r, m)
    if names is None or len(names) != n:
        fin = getattr(models["random_forest"], "feature_names_in_", None)
        names = [str(x) for x in fin] if fin is not None and len(fin) == n else [f"f{i}" for i in range(n)]
    weights = weights or {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}

    from export_sklearn_forest import export_forest
    import lightgbm
    import sklearn
    import xgboost

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        lgb = models["lightgbm"]
        (lgb.booster_ if hasattr(lgb, "booster_") else lgb).save_model(str(tmp / "lightgbm.txt"))
        xgbm = models["xgboost"]
        (xgbm.get_booster() if hasattr(xgbm, "get_booster") else xgbm).save_model(str(tmp / "xgboost.json"))
        export_forest(models["random_forest"], str(tmp / "random_forest.forest"))
        files = {
            "lightgbm": {"file": "lightgbm.txt", "format": "lightgbm-text"},
            "xgboost": {"file": "xgboost.json", "format": "xgboost-json"},
            "random_forest": {"file": "random_forest.forest", "format": "production-ensemble-forest-v1"},
        }
        for r in ROLES:
            files[r]["sha256"] = sha256(tmp / files[r]["file"])
        created = created_at or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta = {
            "schema_version": 1,
            "created_at": created,
            "model_type": "ProductionEnsemble",
            "status": "migrated",
            "n_features": n,
            "feature_names": names,
            "individual_models": list(ROLES),
            "model_weights": weights,
            "decision_threshold": threshold if threshold is not None else 0.5,
            "performance_metrics": {},
            "model_files": files,
            "training_library_versions": {
                "lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__,
                "scikit-learn": sklearn.__version__, "python": platform.python_version(),
                "note": "versions of the libraries that unpickled the models",
            },
            "migrated_from": {"file": pkl.name, "sha256": sha256(pkl), "stand_in_classes": sorted(set(unpickler.stand_ins))},
        }
        (tmp / "production_model_metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
        legacy = {k: meta[k] for k in ("model_type", "n_features", "feature_names", "individual_models", "model_weights", "created_at")}
        (tmp / "model_metadata.json").write_text(json.dumps(legacy, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"directory": str(out), "n_features": n, "feature_names": names, "weights": weights,
            "stand_in_classes": meta["migrated_from"]["stand_in_classes"],
            "files": {r: files[r]["file"] for r in ROLES}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pickle", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    ap.add_argument("--created-at", help="created_at for the metadata (default: now, UTC)")
    args = ap.parse_args()
    try:
        print(json.dumps(migrate(args.pickle, args.out, args.force, args.created_at), indent=2))
    except MigrateError as e:
        print(f"migrate: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
