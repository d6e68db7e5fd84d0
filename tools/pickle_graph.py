#!/usr/bin/env python3
"""Reading a pickled ensemble whose own classes are not importable here, and finding its parts.

Used by tools/migrate_pickle.py. SECURITY: unpickling runs code chosen by whoever wrote the
pickle; only trusted pickles may be given to unpickle().
"""
from __future__ import annotations

import io
import pickle
import pickletools
import warnings
from pathlib import Path

ROLES = ("lightgbm", "xgboost", "random_forest")
THRESHOLD_KEYS = {"threshold", "decision_threshold", "prediction_threshold", "classification_threshold"}
N_FEATURES_KEYS = {"n_features", "n_features_", "n_features_in_", "num_features"}


class MigrateError(Exception):
    """A pickle that cannot be migrated; the message says what is missing or wrong."""


class StandIn:
    """Replaces a class (or function) the pickle names but this Python cannot import.

    It records everything pickle hands it, so the objects inside stay reachable: the arguments
    of __reduce__ / __new__ (`_args`, `_kwargs`), the __setstate__ state (merged into __dict__
    when it is a dict, else `_state`), and items or elements pickle adds to it (`_items`, `_list`).
    """

    _pickle_class = "?"

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self.__dict__["_args"] = args
        self.__dict__["_kwargs"] = kwargs
        return self

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        # (state, slotstate), as pickle gives it for classes with __slots__.
        if (isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], (dict, type(None)))
                and isinstance(state[1], (dict, type(None)))):
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict) and all(isinstance(k, str) for k in state):
            self.__dict__.update(state)
        else:
            self.__dict__["_state"] = state

    def __setitem__(self, key, value):
        self.__dict__.setdefault("_items", {})[key] = value

    def append(self, value):
        self.__dict__.setdefault("_list", []).append(value)

    def extend(self, values):
        self.__dict__.setdefault("_list", []).extend(values)

    def __repr__(self):
        return f"<stand-in for {self._pickle_class}>"


class Lenient:
    """Unpickler mixin: find_class gives a StandIn subclass for what cannot be imported."""

    def find_class(self, module, name):
        if not hasattr(self, "stand_ins"):
            self.stand_ins = set()
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            pass
        except Exception as e:  # the module exists here but fails to import
            warnings.warn(f"importing {module} failed ({type(e).__name__}: {e}); using a stand-in for {name}")
        self.stand_ins.add(f"{module}.{name}")
        return type(name, (StandIn,), {"_pickle_class": f"{module}.{name}", "__module__": "pickle_graph.stand_in"})


class LenientUnpickler(Lenient, pickle.Unpickler):
    pass


# joblib.dump writes numpy arrays after their pickle records (and may compress the whole file):
# only joblib's own unpickler reads that back.
JOBLIB_MAGIC = (b"\x78", b"\x1f\x8b", b"BZ", b"\xfd7zXZ", b"]\x00\x00", b"\x04\x22\x4d\x18")


def is_joblib(data: bytes) -> bool:
    return data[:1] != b"\x80" and data.startswith(JOBLIB_MAGIC) or b"NumpyArrayWrapper" in data[:1 << 20]


def unpickle(pkl: Path, data: bytes):
    """The pickle's root object and the classes replaced by stand-ins."""
    if not is_joblib(data):
        u = LenientUnpickler(io.BytesIO(data))
        return u.load(), getattr(u, "stand_ins", set())
    try:
        import joblib
        from joblib import numpy_pickle
    except ImportError as e:
        raise MigrateError(f"{pkl} was written by joblib.dump; install joblib to read it ({e})") from e
    # joblib.load builds its unpickler from this module attribute: swap in a lenient subclass
    # for the duration of the load (and collect its stand-ins through the shared set).
    stand_ins: set[str] = set()
    lenient = type("LenientJoblibUnpickler", (Lenient, numpy_pickle.NumpyUnpickler), {"stand_ins": stand_ins})
    original = numpy_pickle.NumpyUnpickler
    numpy_pickle.NumpyUnpickler = lenient
    try:
        return joblib.load(pkl), stand_ins
    finally:
        numpy_pickle.NumpyUnpickler = original


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
