#!/usr/bin/env python3
"""Export a fitted scikit-learn RandomForestClassifier / ExtraTreesClassifier to the package's
data-only forest format v1.1 (docs/forest-format.md): loading it never runs code, unlike a pickle.
Version 1.1 adds the node weights TreeSHAP needs as a metadata record, which a 1.0 reader skips.

    from export_sklearn_forest import export_forest
    summary = export_forest(model, "random_forest.forest")

    python tools/export_sklearn_forest.py model.joblib out.forest
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

MAGIC = b"PEFOREST"
END_MAGIC = b"TSRF"
VERSION_MAJOR = 1
VERSION_MINOR = 1
FLAG_ALLOWS_NAN = 1
KIND_RANDOM_FOREST = 0
KIND_EXTRA_TREES = 1
FORMAT_NAME = "production-ensemble-forest-v1"

_HEADER = struct.Struct("<8sHHIIIIIIIQ")  # 48 bytes, see docs/forest-format.md
_NODE_DTYPE = np.dtype(
    {
        "names": ["feature", "left", "right", "missing_go_to_left", "threshold"],
        "formats": ["<i4", "<i4", "<i4", "u1", "<f8"],
        "offsets": [0, 4, 8, 12, 16],
        "itemsize": 24,
    }
)
_KEY_RE = re.compile(r"^[a-z0-9_.]{1,64}$")
# What a reader accepts of all the metadata records together (docs/forest-format.md).
_MAX_RECORD_BYTES = 64 << 20
_INT32_MAX = 2**31 - 1


class ExportError(ValueError):
    """The model cannot be written in the forest format; the message says why."""


def _describe(model) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_model(model) -> int:
    """Refuse anything but a fitted single-output forest classifier; return its estimator kind."""
    try:
        from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
        from sklearn.pipeline import Pipeline
    except ImportError as exc:  # pragma: no cover - the venv pins scikit-learn
        raise ExportError(f"scikit-learn is needed to export a forest: {exc}") from exc

    what = _describe(model)
    if isinstance(model, Pipeline):
        raise ExportError(
            f"got a scikit-learn Pipeline ({[name for name, _ in model.steps]}), not a forest: "
            "export its final RandomForestClassifier/ExtraTreesClassifier step instead "
            "(pipeline[-1]); the forest format holds no preprocessing, so feed the scorer "
            "already-transformed features"
        )
    if isinstance(model, ExtraTreesClassifier):
        kind = KIND_EXTRA_TREES
    elif isinstance(model, RandomForestClassifier):
        kind = KIND_RANDOM_FOREST
    else:
        if getattr(model, "_estimator_type", None) == "regressor" or "Regressor" in what:
            raise ExportError(
                f"got a regressor ({what}); only RandomForestClassifier and "
                "ExtraTreesClassifier can be exported"
            )
        raise ExportError(
            f"got {what}; only a fitted sklearn.ensemble.RandomForestClassifier or "
            "ExtraTreesClassifier can be exported"
        )
    if not getattr(model, "estimators_", None):
        raise ExportError(f"the {type(model).__name__} is not fitted (call fit() before exporting)")
    if getattr(model, "n_outputs_", 1) != 1:
        raise ExportError(
            f"the {type(model).__name__} is multi-output (n_outputs_={model.n_outputs_}); "
            "only single-output classifiers can be exported"
        )
    n_features = int(getattr(model, "n_features_in_", 0))
    if n_features <= 0:
        raise ExportError(f"the {type(model).__name__} has {n_features} features; need at least 1")
    classes = np.asarray(model.classes_)
    if classes.dtype.kind not in "biuf":
        raise ExportError(
            f"class labels must be numeric, got {classes.dtype} labels {classes.tolist()[:5]}: "
            "the forest format stores labels as float64 (encode them as integers before fit)"
        )
    as_double = classes.astype(np.float64)
    if not np.all(np.isfinite(as_double)) or (
        classes.dtype.kind in "iu" and not np.array_equal(as_double.astype(classes.dtype), classes)
    ):
        raise ExportError(f"class labels {classes.tolist()} are not exactly representable as float64")
    return kind


def _allows_nan(model) -> bool:
    """Whether scikit-learn accepts NaN in a dense predict_proba input of this forest.

    ForestClassifier._validate_X_predict asks estimators_[0]._support_missing_values(X), which is
    the tree's `allow_nan` input tag (dense input only): True for DecisionTreeClassifier and for
    ExtraTreeClassifier with splitter="random" in scikit-learn >= 1.4 / 1.6, whether or not the
    training data had NaN (every split then carries missing_go_to_left). Trees without that field
    (older pickles) cannot route NaN.
    """
    tree = model.estimators_[0]
    if not hasattr(tree.tree_, "missing_go_to_left"):
        return False
    try:
        return bool(tree.__sklearn_tags__().input_tags.allow_nan)
    except AttributeError:  # scikit-learn < 1.6: dictionary tags
        return bool(tree._get_tags().get("allow_nan", False))


def _point_in_leaf(tree, leaf: int, parent: np.ndarray, went_left: np.ndarray, n_features: int):
    """A float32 row that the tree routes to `leaf` (None if its path needs NaN or has no room)."""
    lo = np.full(n_features, -np.inf)
    hi = np.full(n_features, np.inf)
    node = leaf
    while parent[node] >= 0:
        p = parent[node]
        f, t = tree.feature[p], tree.threshold[p]
        if went_left[node]:
            hi[f] = min(hi[f], t)
        else:
            lo[f] = max(lo[f], t)
        node = p
    x = np.zeros(n_features, dtype=np.float32)
    for f in range(n_features):
        if np.isfinite(hi[f]):
            v = np.float32(hi[f])
            if float(v) > hi[f]:
                v = np.nextafter(v, np.float32(-np.inf))
        elif np.isfinite(lo[f]):
            v = np.float32(lo[f])
            if float(v) <= lo[f]:
                v = np.nextafter(v, np.float32(np.inf))
        else:
            v = np.float32(0.0)
        if not (np.isfinite(v) and lo[f] < float(v) <= hi[f]):
            return None
        x[f] = v
    return x


def check_trees(model) -> None:
    """Refuse trees whose child or feature indices are out of range, before anything walks them:
    scikit-learn's Cython walk (apply, predict_proba) trusts the unpickled node arrays and reads
    out of bounds (a segfault) on a damaged or hostile pickle."""
    from sklearn.tree._tree import Tree

    n_features = int(getattr(model, "n_features_in_", 0))
    for t, est in enumerate(getattr(model, "estimators_", None) or []):
        tree = getattr(est, "tree_", None)
        if not isinstance(tree, Tree):
            raise ExportError(f"estimator {t} is a {_describe(est)}, not a fitted decision tree")
        n = int(tree.node_count)
        left = np.asarray(tree.children_left, dtype=np.int64)
        right = np.asarray(tree.children_right, dtype=np.int64)
        feature = np.asarray(tree.feature, dtype=np.int64)
        is_leaf = left == -1
        internal = ~is_leaf
        own = np.arange(n)
        if n < 1 or np.any(right[is_leaf] != -1) or np.any(
            (left[internal] <= own[internal]) | (right[internal] <= own[internal])
            | (left[internal] >= n) | (right[internal] >= n)
        ):
            raise ExportError(f"tree {t}: children are not after their parent (unexpected layout)")
        if np.any((feature[internal] < 0) | (feature[internal] >= n_features)):
            raise ExportError(f"tree {t}: a split feature is outside [0, {n_features})")


def _leaf_rows(model) -> list[np.ndarray]:
    """Per tree, per node, the row DecisionTreeClassifier.predict_proba returns for a sample in
    that node, checked against the installed scikit-learn itself.

    scikit-learn >= 1.4 keeps class fractions in tree_.value and returns them as they are; older
    versions kept weighted counts and predict_proba divided them by their sum (0 -> 1). Rather
    than trust a version number, route real rows to leaves whose two candidate rows differ and
    keep the candidate that predict_proba reproduces bit for bit.
    """
    raw, normalised = [], []
    raw_ok = norm_ok = True
    checked = 0
    n_features = int(model.n_features_in_)
    for est in model.estimators_:
        tree = est.tree_
        value = np.asarray(tree.value)[:, 0, :].astype(np.float64, copy=True)
        normalizer = value.sum(axis=1, keepdims=True)
        normalizer[normalizer == 0.0] = 1.0
        raw.append(value)
        normalised.append(value / normalizer)
        left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
        internal = np.flatnonzero(left != -1)
        parent = np.full(tree.node_count, -1, dtype=np.int64)
        went_left = np.zeros(tree.node_count, dtype=bool)
        parent[left[internal]] = internal
        parent[right[internal]] = internal
        went_left[left[internal]] = True
        leaves = np.flatnonzero(left == -1)
        differ = leaves[np.any(raw[-1][leaves] != normalised[-1][leaves], axis=1)]
        points, targets = [], []
        for leaf in list(differ[:4]) + [leaves[0]]:
            x = _point_in_leaf(tree, int(leaf), parent, went_left, n_features)
            if x is not None:
                points.append(x)
                targets.append(int(leaf))
        if not points:
            continue
        xs = np.asarray(points, dtype=np.float32)
        reached = est.apply(xs)
        keep = reached == np.asarray(targets)
        if not keep.any():
            continue
        proba = est.predict_proba(xs[keep])
        at = reached[keep]
        raw_ok &= np.array_equal(proba, raw[-1][at])
        norm_ok &= np.array_equal(proba, normalised[-1][at])
        checked += int(keep.sum())
    if checked and raw_ok:
        return raw
    if checked and norm_ok:
        return normalised
    if not checked:  # nothing could be routed (unusual trees): fall back on the version
        import sklearn

        major, minor = (int(p) for p in re.findall(r"\d+", sklearn.__version__)[:2])
        return raw if (major, minor) >= (1, 4) else normalised
    raise ExportError(
        "the trees' leaf values do not reproduce this scikit-learn's predict_proba; "
        "this version of scikit-learn is not supported by the exporter"
    )


def _node_weights(model) -> tuple[bytes, str]:
    """Every node's weighted_n_node_samples (TreeSHAP's cover, as shap's TreeExplainer reads it),
    tree after tree: float32 when each is exact in float32 (bootstrap counts are), else float64."""
    w = np.concatenate([np.asarray(e.tree_.weighted_n_node_samples, dtype=np.float64)
                        for e in model.estimators_])
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise ExportError("a tree has a node weight (weighted_n_node_samples) that is not a "
                          "finite number >= 0")
    if np.array_equal(w.astype(np.float32).astype(np.float64), w):
        return w.astype("<f4").tobytes(), "float32"
    return w.astype("<f8").tobytes(), "float64"


def _metadata_records(model, node_weights: bytes) -> bytes:
    import sklearn

    records = {
        "producer": "production-ensemble tools/export_sklearn_forest.py",
        "estimator": type(model).__name__,
        "sklearn_version": sklearn.__version__,
    }
    names = getattr(model, "feature_names_in_", None)
    if names is not None and all(isinstance(n, str) and "\n" not in n for n in names):
        records["feature_names"] = "\n".join(str(n) for n in names)
    out = bytearray()
    items = [(k, v.encode("utf-8")) for k, v in records.items()] + [("node_weights", node_weights)]
    for key, v in items:
        assert _KEY_RE.match(key)
        k = key.encode("ascii")
        out += struct.pack("<II", len(k), len(v)) + k + v
        out += b"\0" * (-len(out) % 8)
    if len(out) > _MAX_RECORD_BYTES:
        raise ExportError(f"the metadata records take {len(out)} bytes, more than the format's "
                          f"{_MAX_RECORD_BYTES} (node_weights holds one weight per node)")
    return bytes(out)


def forest_bytes(model) -> tuple[bytes, dict]:
    """Serialise a fitted forest classifier; returns (file bytes, summary without sha256/bytes)."""
    kind = _check_model(model)
    check_trees(model)
    n_features = int(model.n_features_in_)
    n_classes = int(len(model.classes_))
    allows_nan = _allows_nan(model)

    leaf_tables = _leaf_rows(model)
    node_blocks = []
    tree_offsets = [0]
    row_index: dict[bytes, int] = {}
    rows: list[np.ndarray] = []
    n_leaves = 0
    for t, est in enumerate(model.estimators_):
        tree = est.tree_
        n = int(tree.node_count)
        if tree.n_outputs != 1 or int(tree.n_classes[0]) != n_classes:
            raise ExportError(f"tree {t} has {tree.n_classes} classes, the forest {n_classes}")
        if int(tree.n_features) != n_features:
            raise ExportError(f"tree {t} has {tree.n_features} features, the forest {n_features}")
        left = np.asarray(tree.children_left, dtype=np.int64)
        right = np.asarray(tree.children_right, dtype=np.int64)
        feature = np.asarray(tree.feature, dtype=np.int64)
        threshold = np.asarray(tree.threshold, dtype=np.float64)
        leaf_values = leaf_tables[t]
        is_leaf = left == -1
        internal = ~is_leaf
        if np.any(np.isnan(threshold[internal])):
            raise ExportError(f"tree {t}: a split threshold is NaN")

        nodes = np.zeros(n, dtype=_NODE_DTYPE)
        nodes["feature"] = np.where(is_leaf, -1, feature)
        nodes["threshold"] = np.where(is_leaf, 0.0, threshold)
        nodes["right"] = np.where(is_leaf, -1, right)
        if allows_nan:
            mgl = np.asarray(tree.missing_go_to_left, dtype=np.uint8)
            nodes["missing_go_to_left"] = np.where(is_leaf, 0, mgl != 0)
        leaf_rows = np.empty(n, dtype=np.int64)
        for i in np.flatnonzero(is_leaf):
            row = leaf_values[i]
            key = row.tobytes()
            r = row_index.get(key)
            if r is None:
                r = row_index[key] = len(rows)
                rows.append(row)
            leaf_rows[i] = r
        nodes["left"] = np.where(is_leaf, leaf_rows, left)
        n_leaves += int(is_leaf.sum())
        node_blocks.append(nodes)
        tree_offsets.append(tree_offsets[-1] + n)

    n_trees = len(node_blocks)
    n_nodes = tree_offsets[-1]
    if n_nodes > _INT32_MAX or len(rows) > _INT32_MAX:
        raise ExportError(f"forest too large for format v1 ({n_nodes} nodes)")

    offsets = np.asarray(tree_offsets, dtype="<u4").tobytes()
    offsets += b"\0" * (-len(offsets) % 8)
    leaf_table = np.asarray(rows, dtype="<f8").reshape(len(rows), n_classes).tobytes()
    labels = np.asarray(model.classes_).astype("<f8").tobytes()
    weights, weights_type = _node_weights(model)
    meta = _metadata_records(model, weights)
    body_size = _HEADER.size + len(offsets) + 24 * n_nodes + len(leaf_table) + len(labels) + len(meta)
    file_size = body_size + 8
    header = _HEADER.pack(
        MAGIC, VERSION_MAJOR, VERSION_MINOR, FLAG_ALLOWS_NAN if allows_nan else 0,
        n_features, n_classes, n_trees, n_nodes, len(rows), kind, file_size,
    )
    body = b"".join([header, offsets, *(b.tobytes() for b in node_blocks), leaf_table, labels, meta])
    assert len(body) == body_size
    data = body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF) + END_MAGIC
    summary = {
        "format": FORMAT_NAME,
        "format_version": f"{VERSION_MAJOR}.{VERSION_MINOR}",
        "node_weights": weights_type,
        "estimator": type(model).__name__,
        "n_trees": n_trees,
        "n_nodes": n_nodes,
        "n_leaves": n_leaves,
        "n_leaf_rows": len(rows),
        "n_features": n_features,
        "n_classes": n_classes,
        "classes": np.asarray(model.classes_).tolist(),
        "allows_nan": allows_nan,
    }
    return data, summary


def export_forest(model, path) -> dict:
    """Write `model` to `path` in forest format v1.1.

    Returns a summary: format, format_version, node_weights (their type), estimator, n_trees,
    n_nodes, n_leaves, n_leaf_rows, n_features,
    n_classes, classes, allows_nan, bytes, sha256, path. Raises ExportError (a ValueError) with a
    clear message for anything that is not a fitted single-output numeric-label
    RandomForestClassifier / ExtraTreesClassifier.
    """
    data, summary = forest_bytes(model)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    summary.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), path=str(path))
    return summary


def _load(path: str):
    """A pickled / joblib model, read by tools/safe_unpickle.py: only scikit-learn forests and
    NumPy arrays resolve; anything else the file names raises UnsafePickleError uncalled."""
    from safe_unpickle import FOREST, load_file

    return load_file(path, FOREST).obj


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(
            "usage: export_sklearn_forest.py MODEL.pkl|MODEL.joblib OUT.forest\n"
            "  MODEL is a fitted RandomForestClassifier / ExtraTreesClassifier saved with joblib or\n"
            "  pickle; OUT is the data-only forest file. The file is read with an allow-list:\n"
            "  anything but scikit-learn forests and NumPy arrays is refused uncalled (exit code 3).",
            file=sys.stderr,
        )
        return 2
    from safe_unpickle import UnsafePickleError

    try:
        model = _load(argv[1])
    except UnsafePickleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # noqa: BLE001 - report any loader failure plainly
        print(f"error: cannot load {argv[1]}: {exc}", file=sys.stderr)
        return 1
    try:
        summary = export_forest(model, argv[2])
    except ExportError as exc:
        print(f"error: {argv[1]}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
