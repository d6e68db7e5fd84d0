#!/usr/bin/env python3
"""Makes pickles and joblib files that run a command when pickle.load / joblib.load reads them,
for test/71.unsafe-pickles.test.ts: the exporter and migrate must refuse each, naming the callable,
and the command (touch <markers>/<file name>) must not run.

    .venv/bin/python tools/make_hostile_pickles.py OUT_DIR
    .venv/bin/python tools/make_hostile_pickles.py --plain-load FILE...   # the control: runs them

OUT_DIR/hostile/ gets the files (their markers go to OUT_DIR/hostile-markers/); OUT_DIR/control/
the same files with markers in OUT_DIR/control-markers/, for the control, which loads each with
joblib.load (the seed's class defined, as on the original machine) and prints which markers
appeared. OUT_DIR/benign/ gets one forest pickled every way (protocols 0-5, NumPy 1's module
names, joblib plain and compressed; a RandomState, NaN-trained trees, object-array feature names)
with expected.forest (its export in this process), seed.joblib (a seed-style ensemble, compressed)
and seed-extra-class.pkl (one more class of the seed's, src.ml.config.EnsembleConfig): all must load.
OUT_DIR/damaged/ gets a forest and a seed ensemble whose tree has a child index out of range
(scikit-learn's predict reads out of bounds on it): refused, not a crash.
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import time
import types
from pathlib import Path

import joblib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_sklearn_forest import export_forest  # noqa: E402
from make_seed_pickle import fit_models, seed_class, training_data  # noqa: E402


class Call:
    """Pickled as func(*args): what a hostile file hides anywhere in the object graph."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args

    def __call__(self, *args):  # pickle only writes a callable as the target of a reduce
        raise AssertionError("never called here")


def hostile_files(marker_dir: Path, forest, ensemble_cls, boosters, names) -> dict:
    """{file name: bytes}; each touches marker_dir/<file name>. The names the tools must refuse are
    listed in test/71.unsafe-pickles.test.ts."""
    def touch(name):
        return f"touch {marker_dir / name}"

    def py_touch(name):
        return f"open({str(marker_dir / name)!r}, 'w').close()"

    out = {
        # Written by hand: pickle itself would record os.system as posix.system.
        "os-system.pkl": f"cos\nsystem\n(V{touch('os-system.pkl')}\ntR.".encode(),
        "posix-system.pkl": pickle.dumps(Call(os.system, touch("posix-system.pkl")), protocol=4),
        "builtins-eval.pkl": pickle.dumps(Call(eval, py_touch("builtins-eval.pkl")), protocol=4),
        "builtins-exec.pkl": pickle.dumps(Call(exec, py_touch("builtins-exec.pkl")), protocol=2),
        "subprocess-popen.pkl": pickle.dumps(
            Call(subprocess.Popen, ["touch", str(marker_dir / "subprocess-popen.pkl")]), protocol=5),
        # getattr(__import__('os'), 'system')(cmd): the callable is itself the result of a call.
        "getattr-import.pkl": pickle.dumps(
            Call(Call(getattr, Call(__import__, "os"), "system"), touch("getattr-import.pkl")), protocol=3),
        # copyreg._reconstructor(cls, base, state) calls base.__init__(obj, state): a generic
        # reconstructor reaches whatever class the pickle hands it.
        "reconstructor-popen.pkl": ("ccopy_reg\n_reconstructor\n(csubprocess\nPopen\ncsubprocess\nPopen\n"
                                    f"(lVtouch\naV{marker_dir / 'reconstructor-popen.pkl'}\natR.").encode(),
    }

    # The seed-style ensemble (one the old tools migrated, exit code 0) with the call beside its
    # models, and nested inside its forest.
    e = ensemble_cls(dict(boosters, random_forest=forest), feature_names=names)
    e.__dict__["_audit"] = Call(os.system, touch("seed-wrapped.pkl"))
    out["seed-wrapped.pkl"] = pickle.dumps(e, protocol=4)
    del e.__dict__["_audit"]
    forest.__dict__["_hook"] = Call(os.system, touch("seed-nested-in-forest.pkl"))
    out["seed-nested-in-forest.pkl"] = pickle.dumps(e, protocol=4)

    forest.__dict__["_hook"] = Call(os.system, touch("forest-nested.pkl"))
    out["forest-nested.pkl"] = pickle.dumps(forest, protocol=4)
    forest.__dict__["_hook"] = Call(os.system, touch("forest-nested.joblib"))
    out["forest-nested.joblib"] = dump_joblib(forest, 3)
    del forest.__dict__["_hook"]
    # joblib writes an object array as a pickle of its own inside the file.
    names = forest.feature_names_in_
    forest.feature_names_in_ = np.array([Call(os.system, touch("forest-object-array.joblib"))] + list(names[1:]),
                                        dtype=object)
    out["forest-object-array.joblib"] = dump_joblib(forest, 0)
    forest.feature_names_in_ = names
    return out


def config_class():
    """src.ml.config.EnsembleConfig: another class of the original system, not importable where it is migrated."""
    module = types.ModuleType("src.ml.config")
    exec("class EnsembleConfig:\n    def __init__(self, weights):\n        self.weights = dict(weights)\n", module.__dict__)
    sys.modules["src.ml.config"] = module
    return module.EnsembleConfig


def bad_child(forest):
    """A copy of `forest` whose first tree's root points at node 10**8."""
    from sklearn.tree._tree import Tree

    bad = pickle.loads(pickle.dumps(forest))
    tree = bad.estimators_[0].tree_
    state = tree.__getstate__()
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["left_child"][0] = 10**8
    broken = Tree(tree.n_features, np.asarray(tree.n_classes), tree.n_outputs)
    broken.__setstate__(state)
    bad.estimators_[0].tree_ = broken
    return bad


def dump_joblib(obj, compress) -> bytes:
    import io

    buf = io.BytesIO()
    joblib.dump(obj, buf, compress=compress)
    return buf.getvalue()


def make(out: Path):
    from sklearn.ensemble import RandomForestClassifier

    X, y, names = training_data()
    X, y = X[:2000], y[:2000]
    Xn = X.copy()
    Xn[::5, 3] = np.nan
    forest = RandomForestClassifier(n_estimators=3, max_depth=5, random_state=np.random.RandomState(4)).fit(Xn, y)
    forest.feature_names_in_ = np.asarray(names, dtype=object)
    cls = seed_class()
    models = fit_models(X, y, trees=5, forest_trees=3)

    benign = out / "benign"
    benign.mkdir(parents=True, exist_ok=True)
    export_forest(forest, benign / "expected.forest")
    for p in range(6):
        (benign / f"forest-p{p}.pkl").write_bytes(pickle.dumps(forest, protocol=p))
    # NumPy 1 wrote numpy.core where NumPy 2 writes numpy._core.
    numpy1 = pickle.dumps(forest, protocol=2).replace(b"cnumpy._core.", b"cnumpy.core.")
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in numpy1
    (benign / "forest-numpy1.pkl").write_bytes(numpy1)
    for label, compress in (("plain", 0), ("zlib", 3), ("gzip", ("gzip", 3)), ("bz2", ("bz2", 3)), ("xz", ("xz", 3))):
        (benign / f"forest-{label}.joblib").write_bytes(dump_joblib(forest, compress))
    (benign / "seed.joblib").write_bytes(dump_joblib(cls(models, feature_names=names), 3))
    extra = cls(models, feature_names=names)
    extra.config = config_class()(extra.weights)
    (benign / "seed-extra-class.pkl").write_bytes(pickle.dumps(extra, protocol=4))

    boosters = {k: v for k, v in models.items() if k != "random_forest"}
    for kind in ("hostile", "control"):
        markers = out / f"{kind}-markers"
        markers.mkdir(parents=True, exist_ok=True)
        files = hostile_files(markers, forest, cls, boosters, names)
        (out / kind).mkdir(exist_ok=True)
        for name, data in files.items():
            (out / kind / name).write_bytes(data)

    damaged = out / "damaged"
    damaged.mkdir(exist_ok=True)
    bad = bad_child(forest)
    (damaged / "forest-bad-child.pkl").write_bytes(pickle.dumps(bad, protocol=4))
    (damaged / "seed-bad-child.pkl").write_bytes(pickle.dumps(cls(dict(boosters, random_forest=bad), feature_names=names), protocol=4))
    print(f"wrote {len(files)} hostile files to {out}/hostile and {out}/control, benign ones to {benign}")


def plain_load(paths) -> dict:
    """What the tools did before: unrestricted loads. {file name: whether its marker appeared}."""
    seed_class()
    markers = {}
    for path in paths:
        markers[path.name] = path.parent.parent / "control-markers" / path.name
        try:
            joblib.load(path)
        except Exception as e:  # the command ran before whatever failed after it
            print(f"{path.name}: {type(e).__name__}: {e}", file=sys.stderr)
    for _ in range(100):  # Popen runs its command in a child: give it time
        if all(m.exists() for m in markers.values()):
            break
        time.sleep(0.05)
    return {name: m.exists() for name, m in markers.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, nargs="+", help="OUT_DIR, or with --plain-load the files to load")
    ap.add_argument("--plain-load", action="store_true", help="load the files with joblib.load, print {file: marker made}")
    args = ap.parse_args()
    if args.plain_load:
        print(json.dumps(plain_load(args.out)))
        return 0
    make(args.out[0].resolve())  # the markers' paths are baked into the files
    return 0


if __name__ == "__main__":
    sys.exit(main())
