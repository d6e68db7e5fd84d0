#!/usr/bin/env python3
"""Turns the original system's pickled ProductionEnsemble into a model directory of this package.

    .venv/bin/python tools/migrate_pickle.py production_ensemble.pkl out-dir [--force]

The pickle is read by tools/safe_unpickle.py: only LightGBM / XGBoost classifiers and boosters,
scikit-learn forests, NumPy arrays and a few builtins resolve; anything else the pickle names
(os.system, builtins.eval, ...) is refused before it is called, exit code 3. The original
system's ProductionEnsemble (any module: its code is not here) becomes a stand-in that runs
nothing and keeps the state pickle hands it; --stand-in module.Class does the same for another
class of that system. The model directory written is data only: loading it never runs code.

The three models are then found by type anywhere in the object graph (dicts, lists,
tuples, attributes): one LightGBM (LGBMClassifier or Booster), one XGBoost (XGBClassifier or
Booster), one RandomForestClassifier / ExtraTreesClassifier; with the weights (a dict with the
keys lightgbm, xgboost, random_forest), the feature names and a decision threshold if present.
Writes lightgbm.txt, xgboost.json, random_forest.forest, production_model_metadata.json and
model_metadata.json (docs/metadata.md) into a temporary directory beside out-dir, renamed to
out-dir at the end (with --staged it is left there for the caller to check and rename: the
`staged` field of the summary), and prints a JSON summary. A pickle that cannot be migrated exits with code 2 and one line on
stderr saying what is missing or wrong (code 3: it names something outside the allow-list).
See docs/migrate.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drift_reference import drift_reference  # noqa: E402
from export_sklearn_forest import ExportError, check_trees, export_forest  # noqa: E402
from pickle_graph import ROLES, MigrateError, describe, is_number, pickle_versions, scan  # noqa: E402
from safe_unpickle import UnsafePickleError, ensemble_policy, loads  # noqa: E402

DEFAULT_WEIGHTS = {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
FILES = {
    "lightgbm": ("lightgbm.txt", "lightgbm-text"),
    "xgboost": ("xgboost.json", "xgboost-json"),
    "random_forest": ("random_forest.forest", "production-ensemble-forest-v1"),
}
MODEL_DIR_FILES = {"lightgbm.txt", "xgboost.json", "xgboost.ubj", "random_forest.forest",
                   "production_model_metadata.json", "model_metadata.json", "README.md"}
CREATED_AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def one_model(found, role):
    models = found["models"][role]
    if role in ("lightgbm", "xgboost"):
        # A Booster that is also the booster of a classifier found here is the same model.
        owned = {id(inner_booster(m)) for m, _ in models if type(m).__name__ != "Booster"}
        models = [(m, p) for m, p in models if type(m).__name__ != "Booster" or id(m) not in owned]
    if not models:
        what = {"lightgbm": "LightGBM model (LGBMClassifier or lightgbm.Booster)",
                "xgboost": "XGBoost model (XGBClassifier or xgboost.Booster)",
                "random_forest": "random forest (RandomForestClassifier or ExtraTreesClassifier)"}[role]
        raise MigrateError(f"no {what} found in the pickle")
    if len(models) > 1:
        raise MigrateError(f"{len(models)} {role} models found in the pickle ({', '.join(p for _, p in models)}); "
                           "cannot tell which one the ensemble uses")
    return models[0]


def inner_booster(m):
    if type(m).__name__ == "Booster":
        return m
    return m.booster_ if hasattr(m, "booster_") else m.get_booster()


def choose(cands, what, preferred=lambda c: False, same=lambda a, b: a == b):
    """The one candidate value (preferring `preferred` ones), None if none, an error if several
    differ."""
    pool = [c for c in cands if preferred(c)] or cands
    distinct = []
    for c in pool:
        if not any(same(c[0], d[0]) for d in distinct):
            distinct.append(c)
    if len(distinct) > 1:
        raise MigrateError(f"more than one {what} in the pickle ({', '.join(f'{d[1]} = {d[0]}' for d in distinct)}); "
                           "cannot tell which one the ensemble uses")
    return distinct[0] if distinct else None


def n_features_of(role, m) -> int:
    if role == "lightgbm":
        return int(inner_booster(m).num_feature())
    if role == "xgboost":
        return int(inner_booster(m).num_features())
    return int(m.n_features_in_)


def check_binary(role, m, path):
    if role == "lightgbm":
        b = inner_booster(m)
        header = b.model_to_string(num_iteration=1).split("\nTree=", 1)[0]
        found = re.search(r"(?m)^objective=(.*)$", header)
        objective = found.group(1) if found else "none"
        if b.num_model_per_iteration() != 1 or not objective.startswith(("binary", "cross_entropy")):
            raise MigrateError(f"the LightGBM model at {path} is not a binary classifier (objective "
                               f"'{objective}'); the ensemble needs P(up) from a binary model")
        if len(getattr(m, "classes_", [0, 1])) != 2:
            raise MigrateError(f"the LightGBM model at {path} has {len(m.classes_)} classes; the ensemble needs 2")
    elif role == "xgboost":
        config = json.loads(inner_booster(m).save_config())["learner"]
        objective = config["objective"]["name"]
        if objective not in ("binary:logistic", "reg:logistic"):
            raise MigrateError(f"the XGBoost model at {path} is not a binary classifier with probability output "
                               f"(objective '{objective}'); the ensemble needs binary:logistic")
        if config["gradient_booster"]["name"] not in ("gbtree", "dart"):
            raise MigrateError(f"the XGBoost model at {path} uses the {config['gradient_booster']['name']} "
                               "booster; this package scores tree models only")
        if len(getattr(m, "classes_", [0, 1])) != 2:
            raise MigrateError(f"the XGBoost model at {path} has {len(m.classes_)} classes; the ensemble needs 2")
    else:
        if getattr(m, "n_outputs_", 1) != 1:
            raise MigrateError(f"the random forest at {path} has {m.n_outputs_} outputs; the ensemble needs a "
                               "single-output binary classifier")
        if len(m.classes_) != 2:
            raise MigrateError(f"the random forest at {path} has {len(m.classes_)} classes; the ensemble needs 2")


def auto_names(names) -> bool:
    return all(n in (f"Column_{i}", f"f{i}") for i, n in enumerate(names))


def model_feature_names(role, m):
    """The feature names a model was trained with, or None when it only has automatic ones."""
    import numpy as np

    cands = []
    fin = getattr(m, "feature_names_in_", None)
    if isinstance(fin, np.ndarray) or isinstance(fin, list):
        cands.append([str(x) for x in fin])
    if role == "lightgbm":
        cands.append(list(inner_booster(m).feature_name()))
    elif role == "xgboost" and inner_booster(m).feature_names:
        cands.append(list(inner_booster(m).feature_names))
    for c in cands:
        if c and not auto_names(c):
            return c
    return None


def xgboost_for_export(m):
    """The XGBoost booster as the pickled model predicts with it: XGBClassifier.predict_proba
    stops at best_iteration when early stopping set one, so the saved model does too."""
    b = inner_booster(m)
    best = None
    if type(m).__name__ != "Booster":
        try:
            best = int(m.best_iteration)
        except AttributeError:
            best = None
    if best is not None and best + 1 < b.num_boosted_rounds():
        return b[: best + 1], best + 1
    return b, None


def model_proba(role, m, X):
    """P(up) as the pickled model computes it through its own library."""
    import numpy as np

    if role == "xgboost" and type(m).__name__ == "Booster":
        import xgboost

        return np.asarray(m.predict(xgboost.DMatrix(X)), dtype=np.float64)
    if role == "lightgbm" and type(m).__name__ == "Booster":
        return np.asarray(m.predict(X), dtype=np.float64)
    return np.asarray(m.predict_proba(X)[:, 1], dtype=np.float64)


def probe_rows(forest, n_features, rows, seed=20250820):
    """Rows near the forest's split thresholds (so they take many different paths), reproducible."""
    import numpy as np

    rng = np.random.default_rng(seed)
    per_feature = [[] for _ in range(n_features)]
    for est in forest.estimators_:
        t = est.tree_
        for f, thr in zip(t.feature, t.threshold):
            if f >= 0:
                per_feature[f].append(float(thr))
    X = np.empty((rows, n_features))
    for j, values in enumerate(per_feature):
        values = np.asarray(values or [-1.0, 0.0, 1.0])
        spread = float(values.max() - values.min()) or 1.0
        X[:, j] = rng.choice(values, rows) + rng.normal(0, spread * 0.05, rows)
    return X


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_out_dir(pkl: Path, out: Path, force: bool):
    if out.exists() and not out.is_dir():
        raise MigrateError(f"{out} exists and is not a directory")
    if out.is_dir():
        entries = sorted(p.name for p in out.iterdir())
        if entries and not force:
            raise MigrateError(f"{out} exists and is not empty (use --force to replace it)")
        others = [e for e in entries if e not in MODEL_DIR_FILES]
        if others:
            raise MigrateError(f"{out} holds files that are not part of a model directory ({', '.join(others[:3])}); "
                               "--force replaces only a model directory, so choose another out-dir or empty it")
        if pkl.resolve().parent == out.resolve():
            raise MigrateError(f"the pickle is inside {out}, which would be replaced; choose another out-dir")


def write_lightgbm(booster, path: Path, names):
    """Saves the LightGBM model; when the models carry only automatic names (Column_i), the
    header's feature_names line gets the ensemble's names so the file says what it scores."""
    import lightgbm

    booster.save_model(str(path))
    if names is None or any(re.search(r"\s", n) for n in names):
        return
    text = path.read_text()
    head, sep, rest = text.partition("\nTree=")
    new_head = re.sub(r"(?m)^feature_names=.*$", lambda _: "feature_names=" + " ".join(names), head, count=1)
    if new_head == head:
        return
    # The importance table at the end names features too (Column_3=9).
    body, isep, tail = rest.partition("\nfeature_importances:\n")
    table, tsep, after = tail.partition("\n\n")
    table = re.sub(r"(?m)^Column_(\d+)=", lambda mt: f"{names[int(mt.group(1))]}=" if int(mt.group(1)) < len(names) else mt.group(0), table)
    patched = new_head + sep + body + isep + table + tsep + after
    check = lightgbm.Booster(model_str=patched)
    if check.feature_name() != names or check.num_trees() != booster.num_trees():
        raise MigrateError("LightGBM did not accept the feature names in its model file")
    path.write_text(patched)


def read_reference_rows(path: Path, names: list[str]) -> np.ndarray:
    """The rows of --reference: a CSV with the model's feature columns, or OHLCV candles (the 12
    package features computed as tools/features.py does, warm-up bars dropped)."""
    import csv

    import numpy as np

    from features import FEATURE_NAMES, compute_features

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader)]
            table = [row for row in reader if row]
    except (OSError, StopIteration, UnicodeDecodeError, csv.Error) as e:
        raise MigrateError(f"cannot read the reference rows {path}: {e}") from e

    def column(name: str) -> np.ndarray:
        j = header.index(name)
        try:
            return np.array([float(r[j]) if j < len(r) and r[j].strip() else np.nan for r in table])
        except ValueError as e:
            raise MigrateError(f"{path}: column {name}: {e}") from e

    if all(n in header for n in names):
        x = np.column_stack([column(n) for n in names]) if table else np.empty((0, len(names)))
    elif all(c in header for c in ("high", "low", "close", "volume")):
        if list(names) != list(FEATURE_NAMES):
            raise MigrateError(f"{path} holds candles, which give the package's 12 features, but the models' "
                               f"features are {names}: give the feature rows instead")
        try:
            x = compute_features(column("high"), column("low"), column("close"), column("volume"))
        except ValueError as e:  # a non-finite feature: a price <= 0 or missing
            raise MigrateError(f"{path}: {e}") from e
    else:
        raise MigrateError(f"{path} has neither the models' feature columns ({', '.join(names)}) nor "
                           "candle columns (high, low, close, volume)")
    if x.shape[0] == 0:
        raise MigrateError(f"{path} has no rows to draw a drift reference from")
    if not np.all(np.isfinite(x) | np.isnan(x)):
        raise MigrateError(f"{path} has infinite values")
    return x


def migrate(pkl: Path, out: Path, force: bool, created_at: str | None, check_rows: int,
            extra_stand_ins=(), staged: bool = False, reference: Path | None = None) -> dict:
    if created_at is not None and not CREATED_AT_RE.match(created_at):
        raise MigrateError(f"--created-at must look like 2025-08-20T10:30:00Z, got '{created_at}'")
    if not pkl.exists():
        raise MigrateError(f"{pkl} does not exist")
    if not pkl.is_file():
        raise MigrateError(f"{pkl} is not a file")
    check_out_dir(pkl, out, force)
    try:
        policy = ensemble_policy(extra_stand_ins)
    except ValueError as e:
        raise MigrateError(str(e)) from e

    data = pkl.read_bytes()
    import numpy as np

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            root, stand_ins, stream = loads(data, str(pkl), policy)
        except UnsafePickleError:
            raise
        except Exception as e:  # a truncated file, a joblib/compressed file, not a pickle at all
            raise MigrateError(f"{pkl} could not be unpickled ({type(e).__name__}: {e})") from e
        found = scan(root)
        models, paths = {}, {}
        for r in ROLES:
            models[r], paths[r] = one_model(found, r)
    load_warnings = sorted({str(w.message).splitlines()[0] for w in caught})

    counts = {r: n_features_of(r, m) for r, m in models.items()}
    if len(set(counts.values())) != 1:
        raise MigrateError("the models disagree on the feature count: " + ", ".join(f"{r} {c}" for r, c in counts.items()))
    n = counts["lightgbm"]
    for value, where in found["n_features"]:
        if value != n:
            raise MigrateError(f"feature counts disagree: the models take {n} features but {where} = {value}")
    for r in ROLES:
        check_binary(r, models[r], paths[r])
    try:  # before anything predicts with it: scikit-learn walks a tree's child indices unchecked
        check_trees(models["random_forest"])
    except ExportError as e:
        raise MigrateError(f"the random forest at {paths['random_forest']} cannot be exported: {e}") from e

    # Feature names: the pickle's own list, else the names the models were trained with, else f0..
    trained = {r: model_feature_names(r, models[r]) for r in ROLES}
    trained = {r: v for r, v in trained.items() if v is not None}
    if len({tuple(v) for v in trained.values()}) > 1:
        raise MigrateError("the models were trained with different feature names: " +
                           "; ".join(f"{r} {v}" for r, v in trained.items()))
    model_names = next(iter(trained.values()), None)
    for names, where, keyed in found["names"]:
        if keyed and len(names) != n:
            raise MigrateError(f"feature counts disagree: the models take {n} features but {where} lists {len(names)} names")
    named = choose([c for c in found["names"] if len(c[0]) == n and c[2]], "feature-name list")
    if named is None:
        loose = [c for c in found["names"] if len(c[0]) == n]
        if len({tuple(c[0]) for c in loose}) == 1:
            named = loose[0]
    if named is not None and model_names is not None and named[0] != model_names:
        raise MigrateError(f"the feature names at {named[1]} differ from the names the models were trained with "
                           f"({model_names})")
    if named is not None:
        names, names_from = named[0], named[1]
    elif model_names is not None:
        names, names_from = model_names, "the models' own feature names"
    else:
        names, names_from = [f"f{i}" for i in range(n)], "none in the pickle: f0..f{}".format(n - 1)

    w = choose(found["weights"], "weights dict", preferred=lambda c: c[2])
    weights, weights_from = (w[0], w[1]) if w else (dict(DEFAULT_WEIGHTS), "none in the pickle: the seed's 0.4 / 0.4 / 0.2")
    if any(not math.isfinite(v) or v < 0 for v in weights.values()):
        raise MigrateError(f"the weights at {weights_from} must be finite and >= 0, got {weights}")
    t = choose(found["thresholds"], "decision threshold")
    threshold, threshold_from = (t[0], t[1]) if t else (0.5, "none in the pickle: 0.5")
    notes = list(load_warnings)
    if abs(sum(weights.values()) - 1) > 1e-9:
        notes.append(f"the weights sum to {sum(weights.values())}, not 1; they are kept as they are")

    # The drift reference (docs/drift.md): the rows given, and each model's scores on them.
    drift = None
    if reference is not None:
        X = read_reference_rows(reference, names)
        parts = {r: model_proba(r, models[r], X) for r in ROLES}
        parts["ensemble"] = (weights["lightgbm"] * parts["lightgbm"] + weights["xgboost"] * parts["xgboost"]) + \
            weights["random_forest"] * parts["random_forest"]
        drift = drift_reference(names, X, parts, features_from=f"{reference.name}: {len(X)} rows (migrate --reference)",
                                scores_from=f"the same {len(X)} rows, scored by the migrated models")
    else:
        notes.append("no drift reference recorded: give the training rows with --reference rows.csv to enable "
                     "drift detection (docs/drift.md)")

    check = None
    if check_rows > 0:
        X = probe_rows(models["random_forest"], n, check_rows)
        parts = {r: model_proba(r, models[r], X) for r in ROLES}
        ensemble = (weights["lightgbm"] * parts["lightgbm"] + weights["xgboost"] * parts["xgboost"]) + \
            weights["random_forest"] * parts["random_forest"]
        check = {"rows": X.tolist(), **{r: parts[r].tolist() for r in ROLES}, "ensemble": ensemble.tolist()}

    import lightgbm
    import sklearn
    import xgboost

    real_names = None if auto_names(names) else names
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.migrating-", dir=out.parent))
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        write_lightgbm(inner_booster(models["lightgbm"]), tmp / FILES["lightgbm"][0], real_names)
        xgb_booster, xgb_rounds = xgboost_for_export(models["xgboost"])
        if real_names is not None and not xgb_booster.feature_names:
            xgb_booster.feature_names = real_names
        xgb_booster.save_model(str(tmp / FILES["xgboost"][0]))
        rf = models["random_forest"]
        added_names = real_names is not None and getattr(rf, "feature_names_in_", None) is None
        if added_names:
            rf.feature_names_in_ = np.asarray(real_names, dtype=object)
        try:
            forest = export_forest(rf, tmp / FILES["random_forest"][0])
        except ExportError as e:
            raise MigrateError(f"the random forest at {paths['random_forest']} cannot be exported: {e}") from e
        finally:
            if added_names:
                del rf.feature_names_in_

        model_files = {r: {"file": FILES[r][0], "format": FILES[r][1], "sha256": sha256_file(tmp / FILES[r][0])}
                       for r in ROLES}
        from_pickle = pickle_versions(stream)
        versions = {"lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__,
                    "scikit-learn": sklearn.__version__, "numpy": np.__version__,
                    "python": platform.python_version()}
        for lib in ("lightgbm", "xgboost", "scikit-learn"):
            if lib in from_pickle:
                versions[f"pickle.{lib}"] = from_pickle[lib]
        created = created_at or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        models_found = {r: {"path": paths[r], "class": describe(models[r])} for r in ROLES}
        models_found["lightgbm"]["trees"] = int(inner_booster(models["lightgbm"]).num_trees())
        models_found["xgboost"]["trees"] = int(xgb_booster.num_boosted_rounds())
        if xgb_rounds is not None:
            models_found["xgboost"]["note"] = f"first {xgb_rounds} rounds (best_iteration), as predict_proba uses"
        models_found["random_forest"]["trees"] = int(forest["n_trees"])
        meta = {
            "schema_version": 1,
            "created_at": created,
            "model_type": "ProductionEnsemble",
            "status": "migrated",
            "n_features": n,
            "feature_names": names,
            "individual_models": list(ROLES),
            "model_weights": weights,
            "decision_threshold": threshold,
            "performance_metrics": found["metrics"] or {},
            "model_files": model_files,
            "training_library_versions": versions,
            "migrated_from": {
                "file": pkl.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "pickle_protocol": from_pickle.get("protocol"),
                "models": models_found,
                "model_weights_from": weights_from,
                "feature_names_from": names_from,
                "decision_threshold_from": threshold_from,
                "stand_in_classes": sorted(stand_ins),
                "notes": notes,
            },
        }
        if drift is not None:
            meta["drift_reference"] = drift
        (tmp / "production_model_metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
        legacy = {k: meta[k] for k in ("model_type", "n_features", "feature_names", "individual_models",
                                       "model_weights", "created_at")}
        (tmp / "model_metadata.json").write_text(json.dumps(legacy, indent=2) + "\n")
        for f in tmp.iterdir():
            os.chmod(f, 0o666 & ~mask)
        if not staged:
            replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    summary = {"directory": str(out), "n_features": n, "feature_names": names, "weights": weights,
               "decision_threshold": threshold, "models": models_found,
               "stand_in_classes": meta["migrated_from"]["stand_in_classes"], "notes": notes,
               "files": {r: FILES[r][0] for r in ROLES}}
    if staged:
        summary["staged"] = str(tmp)
    if check is not None:
        summary["check"] = check
    return summary


def replace_dir(new: Path, out: Path):
    """Renames `new` to `out`; an existing `out` (already checked) is moved aside first and
    removed only once the new directory is in place."""
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="migrate_pickle.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pickle", type=Path, help="the production_ensemble.pkl (or joblib file) to migrate")
    ap.add_argument("out", type=Path, help="the model directory to write")
    ap.add_argument("--force", action="store_true", help="replace an existing, non-empty model directory")
    ap.add_argument("--created-at", help="created_at for the metadata, YYYY-MM-DDTHH:MM:SSZ (default: now, UTC)")
    ap.add_argument("--stand-in", action="append", default=[], metavar="MODULE.CLASS",
                    help="read this class of the original system as inert data (repeatable)")
    ap.add_argument("--staged", action="store_true",
                    help="leave the new directory beside out-dir (summary field 'staged') for the caller to check and rename")
    ap.add_argument("--check-rows", type=int, default=0,
                    help="add N probe rows and each model's P(up) on them to the summary (for a parity check)")
    ap.add_argument("--reference", type=Path, metavar="ROWS.csv",
                    help="the training rows (feature columns, or OHLCV candles): recorded as the drift reference")
    args = ap.parse_args(argv)
    try:
        summary = migrate(args.pickle, args.out, args.force, args.created_at, max(0, args.check_rows),
                          args.stand_in, args.staged, args.reference)
    except UnsafePickleError as e:
        print(f"migrate: {e}", file=sys.stderr)
        return 3
    except MigrateError as e:
        print(f"migrate: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if os.environ.get("PRODUCTION_ENSEMBLE_DEBUG"):
            raise
        print(f"migrate: unexpected error ({type(e).__name__}: {e}); set PRODUCTION_ENSEMBLE_DEBUG=1 for the traceback",
              file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=None if "check" in summary else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
