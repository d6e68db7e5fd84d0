#!/usr/bin/env python3
"""ONNX conversions of a model directory's three models, for the onnxruntime-node benchmark peer
(bench/js/peers/onnxruntime.mjs). Prints one JSON summary on stdout.

    .venv/bin/python bench/python/make_onnx.py MODEL_DIR OUT_DIR [--cache DIR] [--force]

Writes to OUT_DIR, each with one float32 input "X" of shape [N, 12] and one output "p_up" (P(class 1),
shape [N]):
  lightgbm.onnx       onnxmltools.convert_lightgbm(lightgbm.Booster(lightgbm.txt), zipmap=False)
  xgboost.onnx        onnxmltools.convert_xgboost(xgboost.Booster(xgboost.json))
  random_forest.onnx  skl2onnx.convert_sklearn(RandomForestClassifier, zipmap=False); the forest is
                      the refitted scikit-learn object of tools/ensemble_peer.py (its export
                      is byte-identical to random_forest.forest), from that script's joblib cache
  ensemble.onnx       the three graphs above side by side in one graph, combined in float64 as
                      (0.4*lightgbm + 0.4*xgboost) + 0.2*random_forest; output "p_up" is float64
  raw/*.onnx          the converters' output with only the "p_up" head added (no exactness fixes),
                      so the benchmark can show what the fixes below change

Precision: the converters emit ai.onnx.ml TreeEnsembleClassifier with float32 thresholds, leaf
weights and accumulation (onnxruntime picks float thresholds for a float input). ai.onnx.ml 5's
TreeEnsemble can hold float64 thresholds and runs in float64 in onnxruntime 1.30 for a float64 input,
but neither onnxmltools 1.16 nor skl2onnx 1.20 emits it, and skl2onnx's float64 path (ai.onnx.ml 3
*_as_tensor attributes) still outputs float32 probabilities; so every model here takes float32 and
the caller pays the float64 -> float32 conversion. Two fixes make the routing exact for a float32
input (in the non-raw files):
  LightGBM       the converter rounds each float64 threshold t to the nearest float32, which is
                 above t about half the time; x <= t for a float32 x equals x <= (largest float32
                 <= t), so that is the threshold written. NaN directions are recomputed from the
                 decision type (missing type None: NaN is scored as 0.0; NaN: the default child).
  RandomForest   skl2onnx 1.20 ignores scikit-learn's per-node missing_go_to_left (NaN always goes
                 right); nodes_missing_value_tracks_true is set from it.
XGBoost thresholds are float32 already and its NaN directions are converted; it needs no fix.

Idempotent: OUT_DIR/manifest.json keys each file on its source model's sha256, the converter
versions and this script's revision; files whose key matches are kept, not converted again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
N_FEATURES = 12
WEIGHTS = {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}
# Bump when the conversion itself changes, so cached files are rebuilt.
REVISION = 1
INPUT = "X"
OUTPUT = "p_up"
SOURCES = {"lightgbm": "lightgbm.txt", "xgboost": "xgboost.json", "random_forest": "random_forest.forest"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict:
    import google.protobuf
    import lightgbm
    import onnx
    import onnxconverter_common
    import onnxmltools
    import skl2onnx
    import sklearn
    import xgboost
    return {"onnx": onnx.__version__, "onnxmltools": onnxmltools.__version__,
            "skl2onnx": skl2onnx.__version__, "onnxconverter-common": onnxconverter_common.__version__,
            "protobuf": google.protobuf.__version__, "lightgbm": lightgbm.__version__,
            "xgboost": xgboost.__version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}


# ----------------------------------------------------------------------------------------------
# Attribute helpers: the tree ensembles are single nodes whose attributes are parallel lists.


def tree_node(model, op_type="TreeEnsembleClassifier"):
    nodes = [n for n in model.graph.node if n.op_type == op_type]
    if len(nodes) != 1:
        raise SystemExit(f"expected one {op_type} node, found {len(nodes)}")
    return nodes[0]


def get_attr(node, name):
    from onnx import helper
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    raise KeyError(name)


def set_attr(node, name, values) -> None:
    from onnx import helper
    for i, a in enumerate(node.attribute):
        if a.name == name:
            node.attribute.remove(a)
            node.attribute.insert(i, helper.make_attribute(name, values))
            return
    node.attribute.append(helper.make_attribute(name, values))


def with_p_up_head(model, doc: str, opset: int):
    """Keeps only P(class 1): Gather(probabilities, 1, axis=1) -> "p_up" [N], the only output."""
    from onnx import TensorProto, helper, numpy_helper
    if not any(o.domain in ("", "ai.onnx") for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("", opset))  # XGBoost's has ai.onnx.ml only
    probs = [o for o in model.graph.output if o.name == "probabilities"]
    if len(probs) != 1:
        raise SystemExit(f"no 'probabilities' output in {[o.name for o in model.graph.output]}")
    model.graph.initializer.append(numpy_helper.from_array(np.array(1, dtype=np.int64), "p_up_column"))
    model.graph.node.append(helper.make_node("Gather", ["probabilities", "p_up_column"], [OUTPUT],
                                             name="p_up_gather", axis=1))
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N"]))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    model.doc_string = doc
    return model


# ----------------------------------------------------------------------------------------------
# The three conversions.


def convert_lightgbm(models: Path, opset: int):
    import lightgbm as lgb
    from onnxmltools import convert_lightgbm as convert
    from onnxmltools.convert.common.data_types import FloatTensorType

    booster = lgb.Booster(model_file=str(models / "lightgbm.txt"))
    model = convert(booster, initial_types=[(INPUT, FloatTensorType([None, N_FEATURES]))],
                    zipmap=False, target_opset=opset)
    return with_p_up_head(model, "LightGBM lightgbm.txt via onnxmltools.convert_lightgbm", opset), booster


def fix_lightgbm(model, booster) -> dict:
    """Float32 thresholds rounded down and NaN directions from the decision types (see the top)."""
    node = tree_node(model)
    tree_ids = get_attr(node, "nodes_treeids")
    node_ids = get_attr(node, "nodes_nodeids")
    modes = [m.decode() for m in get_attr(node, "nodes_modes")]
    features = get_attr(node, "nodes_featureids")
    values = np.array(get_attr(node, "nodes_values"), dtype=np.float32)
    trues = get_attr(node, "nodes_truenodeids")
    falses = get_attr(node, "nodes_falsenodeids")
    tracks = list(get_attr(node, "nodes_missing_value_tracks_true"))
    index = {(t, n): i for i, (t, n) in enumerate(zip(tree_ids, node_ids))}
    stats = {"splits": 0, "thresholdsLowered": 0, "nanDirectionsChanged": 0, "unrepresentable": 0}

    # Walk each LightGBM tree and its ONNX copy together (true child = left child).
    for tree_id, info in enumerate(booster.dump_model()["tree_info"]):
        stack = [(info["tree_structure"], 0)]
        while stack:
            src, onnx_id = stack.pop()
            i = index[(tree_id, onnx_id)]
            if "split_feature" not in src:
                continue
            if modes[i] != "BRANCH_LEQ" or src["decision_type"] != "<=":
                stats["unrepresentable"] += 1  # categorical splits are left as converted
                continue
            stats["splits"] += 1
            t = float(src["threshold"])
            with np.errstate(over="ignore"):  # thresholds beyond FLT_MAX round to +-inf, as in the converter
                t32 = np.float32(t)
            if features[i] != src["split_feature"] or values[i] != t32:
                raise SystemExit(f"LightGBM tree {tree_id}: ONNX node {onnx_id} does not match the dump")
            down = t32
            if float(down) > t:  # (+inf above a huge threshold becomes FLT_MAX)
                down = np.nextafter(down, np.float32(-np.inf))
                values[i] = down
                stats["thresholdsLowered"] += 1
            if src["missing_type"] == "NaN":
                track = int(bool(src["default_left"]))
            elif src["missing_type"] == "None":
                track = int(0.0 <= t)  # LightGBM scores NaN as 0.0
            else:  # "Zero": zeros go to the default child too; a tree op cannot say so
                track = int(bool(src["default_left"]))
                stats["unrepresentable"] += 1
            if tracks[i] != track:
                stats["nanDirectionsChanged"] += 1
                tracks[i] = track
            stack.append((src["left_child"], trues[i]))
            stack.append((src["right_child"], falses[i]))
    set_attr(node, "nodes_values", [float(v) for v in values])
    set_attr(node, "nodes_missing_value_tracks_true", tracks)
    return stats


def convert_xgboost(models: Path, opset: int):
    import xgboost as xgb
    from onnxmltools import convert_xgboost as convert
    from onnxmltools.convert.common.data_types import FloatTensorType

    booster = xgb.Booster(model_file=str(models / "xgboost.json"))
    # onnxmltools reads split features from the text dump and wants them named f0..f11; the
    # bundled model carries the feature names, which are not part of the trees.
    booster.feature_names = None
    model = convert(booster, initial_types=[(INPUT, FloatTensorType([None, N_FEATURES]))],
                    target_opset=opset)
    return with_p_up_head(model, "XGBoost xgboost.json via onnxmltools.convert_xgboost", opset)


def convert_random_forest(models: Path, cache: Path, opset: int, ml_opset: int):
    import joblib
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    sys.path.insert(0, str(ROOT / "tools"))
    from ensemble_peer import forest_joblib  # the refit, verified against random_forest.forest

    path, info = forest_joblib(models, cache)
    forest = joblib.load(path)
    model = convert_sklearn(forest, initial_types=[(INPUT, FloatTensorType([None, N_FEATURES]))],
                            options={id(forest): {"zipmap": False}},
                            target_opset={"": opset, "ai.onnx.ml": ml_opset})
    # skl2onnx names the outputs label / probabilities as the other converters do.
    return with_p_up_head(model, "scikit-learn RandomForestClassifier via skl2onnx.convert_sklearn",
                          opset), forest, info


def fix_random_forest(model, forest) -> dict:
    node = tree_node(model)
    tree_ids = get_attr(node, "nodes_treeids")
    node_ids = get_attr(node, "nodes_nodeids")
    modes = [m.decode() for m in get_attr(node, "nodes_modes")]
    tracks = list(get_attr(node, "nodes_missing_value_tracks_true"))
    stats = {"splits": 0, "nanDirectionsChanged": 0}
    for i, (t, n) in enumerate(zip(tree_ids, node_ids)):
        if modes[i] == "LEAF":
            continue
        stats["splits"] += 1
        track = int(forest.estimators_[t].tree_.missing_go_to_left[n])
        if tracks[i] != track:
            tracks[i] = track
            stats["nanDirectionsChanged"] += 1
    set_attr(node, "nodes_missing_value_tracks_true", tracks)
    return stats


def fuse(parts: dict):
    """One graph holding the three models on the shared input, combined in float64."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnx.compose import add_prefix

    nodes, inits, opsets, ir = [], [], {}, 0
    terms = {}
    for name, model in parts.items():
        prefixed = add_prefix(model, f"{name}/", rename_inputs=False, rename_outputs=True)
        g = prefixed.graph
        nodes += list(g.node)
        inits += list(g.initializer)
        for o in prefixed.opset_import:
            opsets[o.domain] = max(opsets.get(o.domain, 0), o.version)
        ir = max(ir, prefixed.ir_version)
        f64 = f"{name}/p_up_f64"
        nodes.append(helper.make_node("Cast", [f"{name}/{OUTPUT}"], [f64], name=f"{name}/cast", to=TensorProto.DOUBLE))
        inits.append(numpy_helper.from_array(np.array(WEIGHTS[name], dtype=np.float64), f"{name}/weight"))
        nodes.append(helper.make_node("Mul", [f64, f"{name}/weight"], [f"{name}/term"], name=f"{name}/mul"))
        terms[name] = f"{name}/term"
    nodes.append(helper.make_node("Add", [terms["lightgbm"], terms["xgboost"]], ["boosters"], name="add_boosters"))
    nodes.append(helper.make_node("Add", ["boosters", terms["random_forest"]], [OUTPUT], name="add_forest"))
    first = next(iter(parts.values()))
    graph = helper.make_graph(nodes, "production_ensemble", [first.graph.input[0]],
                              [helper.make_tensor_value_info(OUTPUT, TensorProto.DOUBLE, ["N"])], inits)
    opsets[""] = max(opsets.get("", 0), 13)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())])
    model.ir_version = ir
    model.doc_string = "(0.4*lightgbm + 0.4*xgboost) + 0.2*random_forest in float64 over the three float32 models"
    onnx.checker.check_model(model)
    return model


# ----------------------------------------------------------------------------------------------


def describe(model) -> dict:
    return {"opsetImport": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
            "irVersion": model.ir_version,
            "ops": sorted({f"{n.domain or 'ai.onnx'}:{n.op_type}" for n in model.graph.node})}


def save(model, path: Path) -> dict:
    import onnx
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return {"file": str(path), "bytes": path.stat().st_size, "sha256": sha256(path)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "production-ensemble-bench",
                    help="ensemble_peer.py's cache of the refitted forest")
    ap.add_argument("--opset", type=int, default=15,
                    help="ai.onnx opset asked of the converters (15: the highest onnxmltools 1.16 takes)")
    ap.add_argument("--ml-opset", type=int, default=3, help="ai.onnx.ml opset asked of skl2onnx")
    ap.add_argument("--force", action="store_true", help="convert even when the cache matches")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    models, out = args.model_dir.resolve(), args.out_dir.resolve()
    for f in SOURCES.values():
        if not (models / f).is_file():
            raise SystemExit(f"{models / f} not found")

    ver = versions()
    shas = {k: sha256(models / f) for k, f in SOURCES.items()}
    conv = {"lightgbm": f"onnxmltools {ver['onnxmltools']}", "xgboost": f"onnxmltools {ver['onnxmltools']}",
            "random_forest": f"skl2onnx {ver['skl2onnx']}"}
    base = {"revision": REVISION, "onnx": ver["onnx"], "onnxconverter-common": ver["onnxconverter-common"],
            "opset": args.opset, "mlOpset": args.ml_opset}
    keys = {k: {**base, "source": SOURCES[k], "sourceSha256": shas[k], "converter": conv[k]} for k in SOURCES}
    keys["ensemble"] = {**base, "parts": {k: keys[k] for k in SOURCES}}

    manifest_path = out / "manifest.json"
    try:
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}

    def cached(name: str) -> bool:
        entry = old.get("files", {}).get(name)
        return (not args.force and entry is not None and entry.get("key") == keys[name]
                and all(Path(p["file"]).is_file() and sha256(Path(p["file"])) == p["sha256"]
                        for p in [entry, *entry.get("raw", [])]))

    files = {}
    fixed = {}
    for name in ("lightgbm", "xgboost", "random_forest"):
        if cached(name):
            files[name] = {**old["files"][name], "cached": True}
            continue
        t = time.perf_counter()
        extra = {}
        if name == "lightgbm":
            model, booster = convert_lightgbm(models, args.opset)
            raw = save(model, out / "raw" / "lightgbm.onnx")
            fixes = fix_lightgbm(model, booster)
        elif name == "xgboost":
            model = convert_xgboost(models, args.opset)
            raw = save(model, out / "raw" / "xgboost.onnx")
            fixes = {}
        else:
            model, forest, info = convert_random_forest(models, args.cache, args.opset, args.ml_opset)
            raw = save(model, out / "raw" / "random_forest.onnx")
            fixes = fix_random_forest(model, forest)
            extra["forest"] = info
        entry = save(model, out / f"{name}.onnx")
        files[name] = {**entry, "key": keys[name], "cached": False, "raw": [raw], "fixes": fixes,
                       "seconds": round(time.perf_counter() - t, 3), **describe(model), **extra}
        fixed[name] = model
        log(f"{name}: converted in {files[name]['seconds']} s -> {entry['file']}")

    if cached("ensemble") and not fixed:
        files["ensemble"] = {**old["files"]["ensemble"], "cached": True}
    else:
        import onnx
        t = time.perf_counter()
        parts = {k: fixed[k] if k in fixed else onnx.load(files[k]["file"])
                 for k in ("lightgbm", "xgboost", "random_forest")}
        model = fuse(parts)
        files["ensemble"] = {**save(model, out / "ensemble.onnx"), "key": keys["ensemble"], "cached": False,
                             "raw": [], "seconds": round(time.perf_counter() - t, 3), **describe(model)}

    manifest = {"modelDir": str(models), "sourceSha256": shas, "files": files}
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    summary = {
        **manifest,
        "outDir": str(out),
        "versions": ver,
        "input": {"name": INPUT, "type": "float32", "shape": ["N", N_FEATURES]},
        "output": {"name": OUTPUT, "shape": ["N"], "meaning": "P(class 1)",
                   "type": "float32 (ensemble.onnx: float64)"},
        "options": {
            "targetOpset": args.opset, "skl2onnxMlOpset": args.ml_opset, "zipmap": False,
            "why": "ZipMap off: a [N, 2] float tensor instead of a list of maps (a JS object per row). "
                   "ai.onnx.ml 5 TreeEnsemble (float64 thresholds and sums) is run by onnxruntime "
                   "1.30 but emitted by neither converter; their float32 TreeEnsembleClassifier "
                   "is what a user gets, so the input is float32. The fixes listed per file make "
                   "its routing match the libraries on a float32 input; sums stay float32.",
        },
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
