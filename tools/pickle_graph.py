#!/usr/bin/env python3
"""Finding the parts of an unpickled ensemble: the three models, weights, feature names, threshold.

Used by tools/migrate_pickle.py on what tools/safe_unpickle.py read (the original system's own
classes are StandIns there).
"""
from __future__ import annotations

import pickletools

from safe_unpickle import StandIn

ROLES = ("lightgbm", "xgboost", "random_forest")
THRESHOLD_KEYS = {"threshold", "decision_threshold", "prediction_threshold", "classification_threshold"}
N_FEATURES_KEYS = {"n_features", "n_features_", "n_features_in_", "num_features"}


class MigrateError(Exception):
    """A pickle that cannot be migrated; the message says what is missing or wrong."""


def kind_of(obj):
    """'lightgbm' / 'xgboost' / 'random_forest' for a model this package can hold, else None."""
    mod, name = type(obj).__module__, type(obj).__name__
    if mod.startswith("lightgbm.") and name in ("LGBMClassifier", "Booster"):
        return "lightgbm"
    if mod.startswith("xgboost.") and name in ("XGBClassifier", "Booster"):
        return "xgboost"
    if mod.startswith("sklearn.ensemble") and name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        return "random_forest"
    return None


def is_wrapper(obj) -> bool:
    """An estimator (not a stand-in, not one of the models) whose outputs are not its parts' own:
    a Pipeline, CalibratedClassifierCV, VotingClassifier, ... Models beneath one cannot be migrated
    alone."""
    if isinstance(obj, (StandIn, type)) or kind_of(obj) is not None:
        return False
    return any(callable(getattr(type(obj), m, None)) for m in ("predict_proba", "transform", "decision_function"))


def describe(obj) -> str:
    if isinstance(obj, StandIn):
        return obj._pickle_class
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def walk(root):
    """Yields (object, path, key, wrapper) for every object reachable from root through dicts,
    lists, tuples, sets, numpy object arrays and attributes, without entering the models. `key`
    is the nearest dict key / attribute name above the object; `wrapper` the nearest enclosing
    estimator that is not a plain container."""
    import numpy as np

    seen = set()
    stack = [(root, "pickle", "", None, 0)]
    while stack:
        obj, path, key, wrapper, depth = stack.pop()
        if id(obj) in seen or depth > 100:
            continue
        seen.add(id(obj))
        yield obj, path, key, wrapper
        if kind_of(obj) is not None or isinstance(obj, (str, bytes, bytearray, int, float, complex, type(None))):
            continue
        inner = wrapper or (describe(obj) if is_wrapper(obj) else None)
        children = []
        if isinstance(obj, dict):
            children = [(v, f"{path}[{k!r}]", str(k)) for k, v in obj.items()]
        elif isinstance(obj, (list, tuple)):
            children = [(v, f"{path}[{i}]", key) for i, v in enumerate(obj)]
        elif isinstance(obj, (set, frozenset)):
            children = [(v, f"{path}{{}}", key) for v in obj]
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object and obj.size <= 100_000:
                children = [(v, f"{path}[{i}]", key) for i, v in enumerate(obj.ravel())]
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            children = [(v, f"{path}.{k}", str(k)) for k, v in vars(obj).items()]
        for child, cpath, ckey in reversed(children):
            stack.append((child, cpath, ckey, inner, depth + 1))


def string_list(obj):
    """obj as a list of distinct non-empty strings (list, tuple or 1-D numpy array), else None."""
    import numpy as np

    if isinstance(obj, np.ndarray):
        if obj.ndim != 1 or obj.dtype.kind not in "OU":
            return None
        obj = obj.tolist()
    if not isinstance(obj, (list, tuple)) or not obj or not all(isinstance(x, str) and x for x in obj):
        return None
    return list(obj) if len(set(obj)) == len(obj) else None


def is_number(v) -> bool:
    import numpy as np

    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def scan(root):
    """Collects the candidates: models by kind, weights dicts, feature-name lists, thresholds,
    feature counts and performance metrics, each with where it was found."""
    found = {"models": {r: [] for r in ROLES}, "weights": [], "names": [], "thresholds": [],
             "n_features": [], "metrics": None}
    for obj, path, key, wrapper in walk(root):
        kind = kind_of(obj)
        k = key.lower()
        if kind is not None:
            if wrapper is not None:
                raise MigrateError(f"the {kind} model at {path} is inside a {wrapper}, whose outputs are not "
                                   "the model's own; this package cannot reproduce it")
            found["models"][kind].append((obj, path))
        elif isinstance(obj, dict) and obj and all(isinstance(x, str) for x in obj):
            if set(obj) == set(ROLES) and all(is_number(v) for v in obj.values()):
                found["weights"].append(({r: float(obj[r]) for r in ROLES}, path, "weight" in k))
            elif "weight" in k and all(is_number(v) for v in obj.values()) and set(obj) & set(ROLES):
                raise MigrateError(f"the weights at {path} name {sorted(obj)}; this package combines exactly "
                                   f"{', '.join(ROLES)}")
            if k in ("performance_metrics", "metrics") and found["metrics"] is None:
                found["metrics"] = {m: (float(v) if is_number(v) else v) for m, v in obj.items()
                                    if is_number(v) or isinstance(v, str)}
        names = string_list(obj)
        if names is not None and not set(names) <= set(ROLES):
            found["names"].append((names, path, "feature" in k))
        if k in THRESHOLD_KEYS and is_number(obj) and 0 <= float(obj) <= 1:
            found["thresholds"].append((float(obj), path))
        if k in N_FEATURES_KEYS and is_number(obj) and float(obj).is_integer():
            found["n_features"].append((int(obj), path))
    return found


def pickle_versions(data: bytes) -> dict:
    """What the pickle says about the library versions that wrote it: scikit-learn estimators
    record `_sklearn_version` in their state, XGBoost boosters their version in the raw model."""
    out: dict[str, set] = {}
    protocol = None
    prev = None
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name == "PROTO":
                protocol = arg
            if prev == "_sklearn_version" and isinstance(arg, str):
                out.setdefault("scikit-learn", set()).add(arg)
            if isinstance(arg, (bytes, bytearray)) and arg[:1] == b"{":
                v = ubj_version(bytes(arg))
                if v:
                    out.setdefault("xgboost", set()).add(v)
            if isinstance(arg, str):
                prev = arg
    except Exception:  # a damaged tail: keep what was read
        pass
    return {"protocol": protocol, **{k: ", ".join(sorted(v)) for k, v in out.items()}}


def ubj_version(raw: bytes):
    """The [major, minor, patch] 'version' entry of an XGBoost UBJSON model, as '3.2.0', or None."""
    i = raw.find(b"version[")
    if i < 0 or i > 4096:
        return None
    pos = i + len(b"version[")
    sizes = {b"i": 1, b"U": 1, b"I": 2, b"l": 4, b"L": 8}
    signed = {b"i": True, b"U": False, b"I": True, b"l": True, b"L": True}

    def read_int(p, marker):
        n = sizes[marker]
        return int.from_bytes(raw[p:p + n], "big", signed=signed[marker]), p + n

    try:
        elem_type = None
        if raw[pos:pos + 1] == b"$":
            elem_type, pos = raw[pos + 1:pos + 2], pos + 2
        count = None
        if raw[pos:pos + 1] == b"#":
            count, pos = read_int(pos + 2, raw[pos + 1:pos + 2])
        parts = []
        while (count is None and raw[pos:pos + 1] != b"]") or (count is not None and len(parts) < count):
            marker = elem_type
            if marker is None:
                marker, pos = raw[pos:pos + 1], pos + 1
            value, pos = read_int(pos, marker)
            parts.append(value)
            if len(parts) > 4:
                return None
        return ".".join(str(p) for p in parts) if len(parts) == 3 else None
    except (KeyError, IndexError):
        return None
