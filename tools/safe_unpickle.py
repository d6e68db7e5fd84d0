#!/usr/bin/env python3
"""Reads model pickles and joblib files without running code they name: only an exact allow-list
of classes and functions resolves; any other name is refused before anything calls it.

Used by tools/export_sklearn_forest.py (FOREST) and tools/migrate_pickle.py (ENSEMBLE). A plain
pickle.load imports and calls whatever the file names (os.system, builtins.eval, ...); here every
global goes through find_class, and the opcodes that call something (REDUCE, NEWOBJ, OBJ, INST,
BUILD) call only what find_class handed out. The names are the ones real pickles of the pinned
versions need (tools/README.md says how the list was made).
"""
from __future__ import annotations

import bz2
import importlib
import io
import lzma
import pickle
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

# The libraries whose classes are read for real; a stand-in is never made for one of theirs, since
# an inert copy of, say, a Pipeline would hide what it does to the models' outputs.
LIBRARIES = ("numpy", "sklearn", "lightgbm", "xgboost", "joblib", "scipy", "pandas")


class UnsafePickleError(Exception):
    """The file names something outside the allow-list; `name` is the module.qualname it tried."""

    def __init__(self, source: str, name: str, why: str):
        super().__init__(f"{source}: refused to unpickle {name}: {why}")
        self.source = source
        self.name = name


class StandIn:
    """Replaces a class of the original system (its ProductionEnsemble) that is not importable here.

    It runs nothing and records everything pickle hands it, so the objects inside stay reachable:
    the arguments of __reduce__ / __new__ (`_args`, `_kwargs`), the __setstate__ state (merged
    into __dict__ when it is a dict, else `_state`), and items or elements pickle adds to it
    (`_items`, `_list`).
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


class JoblibArray:
    """What joblib's NumpyArrayWrapper becomes here: its state only (shape, dtype, order, ...);
    the array bytes that follow it in the stream are read by the unpickler, not by joblib."""


def _names(module: str, *qualnames: str) -> dict:
    return {f"{module}.{q}": ((module, q),) for q in qualnames}


def _numpy_core(submodule: str, name: str) -> dict:
    # numpy 2 renamed numpy.core to numpy._core; a pickle carries its writer's spelling.
    targets = tuple((f"{pkg}.{submodule}", name) for pkg in ("numpy._core", "numpy.core"))
    return {f"{pkg}.{submodule}.{name}": targets for pkg in ("numpy._core", "numpy.core")}


# A value is either the (module, qualname) candidates to import, or the name of a _Context method
# that checks the arguments of a constructor that calls something the pickle names.
PYTHON = {
    # protocols 0-2: objects by copyreg._reconstructor(cls, object, None), bytes by
    # _codecs.encode(text, 'latin1'); bytearray (XGBoost's raw model), sets
    "copyreg._reconstructor": "_reconstructor",
    "_codecs.encode": "_latin1",
    **_names("builtins", "object", "bytearray", "set", "frozenset"),
}
NUMPY = {
    **_numpy_core("multiarray", "_reconstruct"),  # ndarray, protocols 0-4
    **_numpy_core("multiarray", "scalar"),  # numpy scalars
    **_numpy_core("numeric", "_frombuffer"),  # ndarray, protocol 5
    **_names("numpy", "ndarray", "dtype"),
    # a RandomState given as random_state
    "numpy.random._pickle.__randomstate_ctor": "_random_state",
    "numpy.random._pickle.__bit_generator_ctor": "_bit_generator",
    **_names("numpy.random._mt19937", "MT19937"),
    # joblib.dump's placeholder for an array whose bytes follow in the stream
    "joblib.numpy_pickle.NumpyArrayWrapper": "_joblib_array",
}
FORESTS = {
    **_names("sklearn.ensemble._forest", "RandomForestClassifier", "ExtraTreesClassifier"),
    **_names("sklearn.tree._classes", "DecisionTreeClassifier", "ExtraTreeClassifier"),
    **_names("sklearn.tree._tree", "Tree"),
}
BOOSTERS = {
    **_names("lightgbm.sklearn", "LGBMClassifier"),
    **_names("lightgbm.basic", "Booster"),
    **_names("sklearn.preprocessing._label", "LabelEncoder"),  # LGBMClassifier._le
    **_names("collections", "OrderedDict", "defaultdict"),  # LightGBM's params and best scores
    **_names("xgboost.sklearn", "XGBClassifier"),
    **_names("xgboost.core", "Booster"),
}


@dataclass(frozen=True)
class Policy:
    """What one tool reads: the allow-list, the classes it stands in for, and how to say so."""

    names: dict
    reads: str  # for the refusal message: "this tool reads only ..."
    stand_in: Callable[[str, str], bool] = field(default=lambda module, name: False)
    stand_in_hint: bool = False


FOREST = Policy({**PYTHON, **NUMPY, **FORESTS}, "scikit-learn forest classifiers and NumPy arrays")


def is_library(module: str) -> bool:
    top = module.split(".", 1)[0]
    return top in LIBRARIES or top in sys.stdlib_module_names


def ensemble_policy(extra_stand_ins=()) -> Policy:
    """migrate's policy: forests, the LightGBM and XGBoost classifiers and boosters, and stand-ins
    for the original system's ProductionEnsemble (any module: that class is not importable here,
    and a stand-in runs nothing) and for the classes named in `extra_stand_ins`."""
    extra = frozenset(extra_stand_ins)
    for name in extra:
        module, _, qualname = name.rpartition(".")
        if not module or not qualname:
            raise ValueError(f"--stand-in wants module.Class, got '{name}'")
        if module.split(".", 1)[0] in LIBRARIES:
            raise ValueError(f"--stand-in {name}: classes of {module.split('.', 1)[0]} are never stood in for "
                             "(an inert copy would hide what they do to the models' outputs)")

    def stand_in(module: str, name: str) -> bool:
        return f"{module}.{name}" in extra or (name == "ProductionEnsemble" and not is_library(module))

    return Policy({**PYTHON, **NUMPY, **FORESTS, **BOOSTERS},
                  "LightGBM and XGBoost classifiers and boosters, scikit-learn forest classifiers, NumPy "
                  "arrays and the original system's ProductionEnsemble", stand_in, True)


class Loaded(NamedTuple):
    obj: object
    stand_ins: set  # module.qualname of every class read as a StandIn
    stream: bytes  # the pickle stream (decompressed, for a compressed joblib file)


# Whole-file compressors joblib.dump uses, by magic number; a pickle never starts with these bytes.
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\x78", "zlib"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"),
               (b"]\x00\x00", "lzma"), (b"\x04\x22\x4d\x18", "an lz4-compressed joblib file"),
               (b"ZF", "a file of joblib < 0.10"))


def _decompress(data: bytes, source: str) -> bytes:
    for magic, kind in _COMPRESSED:
        if data.startswith(magic):
            try:
                if kind == "gzip":
                    return zlib.decompress(data, wbits=31)
                if kind == "zlib":
                    return zlib.decompress(data)
                if kind == "bz2":
                    return bz2.decompress(data)
                if kind in ("xz", "lzma"):
                    return lzma.decompress(data)
            except (zlib.error, OSError, lzma.LZMAError, EOFError) as e:
                raise pickle.UnpicklingError(f"{source}: {kind} data is corrupt ({e})") from e
            raise pickle.UnpicklingError(f"{source} is {kind}, which this tool does not read; save the model "
                                         "again with a current joblib.dump(model, path, compress=3)")
    return data


def loads(data: bytes, source: str, policy: Policy) -> Loaded:
    """Unpickles `data` (a pickle or a joblib.dump file, compressed or not) under `policy`.
    Raises UnsafePickleError for a name outside it, pickle.UnpicklingError for a damaged file."""
    stream = _decompress(data, source)
    ctx = _Context(policy, source, len(stream))
    fh = io.BytesIO(stream)
    return Loaded(_Reader(fh, ctx).load(), ctx.stand_ins, stream)


def load_file(path, policy: Policy) -> Loaded:
    path = Path(path)
    return loads(path.read_bytes(), str(path), policy)


class _Context:
    """State shared by the reader of a file and those of the nested pickles joblib writes for
    object arrays: what find_class has handed out (the only things that may be called)."""

    def __init__(self, policy: Policy, source: str, size: int):
        self.policy = policy
        self.source = source
        self.size = size
        self.granted: dict[int, object] = {}
        self.classes: dict[str, object] = {}
        self.stand_ins: set[str] = set()

    def refuse(self, name: str, why: str):
        raise UnsafePickleError(self.source, name, why)

    def find(self, module: str, name: str):
        key = f"{module}.{name}"
        if key in self.classes:
            return self.classes[key]
        target = self.policy.names.get(key)
        if target is None:
            if not self.policy.stand_in(module, name):
                hint = ""
                if self.policy.stand_in_hint and not is_library(module):
                    hint = (f" (if it is a class of your own system that does not change what the models output, "
                            f"--stand-in {key} reads it as inert data)")
                self.refuse(key, f"this tool reads only {self.policy.reads}; loading anything else could "
                                 f"run code{hint}")
            obj = type(name.rpartition(".")[2], (StandIn,), {"_pickle_class": key, "__module__": "safe_unpickle.stand_in"})
            self.stand_ins.add(key)
        elif isinstance(target, str):
            obj = getattr(self, target)
        else:
            obj = self._import(key, target)
        self.classes[key] = obj
        self.granted[id(obj)] = obj
        return obj

    def _import(self, key: str, targets):
        for module, qualname in targets:
            try:
                obj = importlib.import_module(module)
                for part in qualname.split("."):
                    obj = getattr(obj, part)
                return obj
            except (ImportError, AttributeError):
                continue
        raise pickle.UnpicklingError(f"{self.source}: the pickle needs {key}, which this Python does not have "
                                     "(another version of its library wrote it)")

    def check_call(self, func, opcode: str):
        if id(func) not in self.granted:
            self.refuse(f"a {type(func).__name__} object", f"{opcode} may only call what the allow-list resolved")

    def check_class(self, cls, opcode: str):
        if not isinstance(cls, type) or id(cls) not in self.granted:
            self.refuse(getattr(cls, "__qualname__", type(cls).__name__), f"{opcode} may only build allowed classes")

    # Checked constructors: each calls something named by the pickle, so each takes only the
    # arguments real files carry.

    def _reconstructor(self, cls, base, state):
        """copyreg._reconstructor: protocols 0 and 1 build every object with it."""
        self.check_class(cls, "copyreg._reconstructor")
        if base is not object or state is not None:
            self.refuse("copyreg._reconstructor", "only object.__new__(an allowed class) is read")
        return object.__new__(cls)

    def _latin1(self, text, encoding="utf-8"):
        """_codecs.encode: how protocols 0-2 write bytes."""
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            self.refuse("_codecs.encode", "only encode(text, 'latin1') is read")
        return text.encode("latin-1")

    def _bit_generator(self, kind="MT19937"):
        from numpy.random import MT19937

        if kind is not MT19937 and kind != "MT19937":
            self.refuse("numpy.random._pickle.__bit_generator_ctor", "only MT19937 is read")
        return MT19937()

    def _random_state(self, bit_generator="MT19937", ctor=None):
        from numpy.random import MT19937, RandomState

        if isinstance(bit_generator, MT19937):
            return RandomState(bit_generator)
        if ctor not in (None, self._bit_generator):
            self.refuse("numpy.random._pickle.__randomstate_ctor", "only the MT19937 bit generator is read")
        return RandomState(self._bit_generator(bit_generator))

    @property
    def _joblib_array(self):
        return JoblibArray


class _Dispatch(dict):
    def __missing__(self, opcode):
        raise pickle.UnpicklingError(f"invalid load key, {bytes([opcode])!r}")


class _Reader(pickle._Unpickler):
    """The pure-Python unpickler (the C one cannot intercept opcodes), with every calling opcode
    checked and joblib's array records read as data."""

    dispatch = _Dispatch(pickle._Unpickler.dispatch)

    def __init__(self, fh, ctx: _Context):
        super().__init__(fh)
        self._fh = fh
        self._ctx = ctx

    def find_class(self, module, name):
        sys.audit("pickle.find_class", module, name)
        if self.proto < 3 and self.fix_imports:
            import _compat_pickle  # Python 2 spellings (__builtin__, copy_reg): a rename, nothing imported

            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        return self._ctx.find(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(f"{self._ctx.source}: persistent ids are not read")

    def load_reduce(self):
        self._ctx.check_call(self.stack[-2], "REDUCE")
        super().load_reduce()

    def load_newobj(self):
        self._ctx.check_class(self.stack[-2], "NEWOBJ")
        super().load_newobj()

    def load_newobj_ex(self):
        self._ctx.check_class(self.stack[-3], "NEWOBJ_EX")
        super().load_newobj_ex()

    def _instantiate(self, klass, args):
        self._ctx.check_class(klass, "OBJ/INST")
        super()._instantiate(klass, args)

    def load_build(self):
        inst = self.stack[-2]
        if callable(inst):  # a class or function: BUILD would set attributes on it for the whole process
            self._ctx.refuse(getattr(inst, "__qualname__", "?"), "BUILD may only set the state of an instance")
        super().load_build()
        if isinstance(self.stack[-1], JoblibArray):
            self.stack[-1] = self._joblib_array(self.stack[-1].__dict__)

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build

    def _joblib_array(self, state: dict):
        """The array joblib wrote right after its NumpyArrayWrapper record: raw bytes (after a
        padding-length byte and padding) or, for object arrays, a nested pickle read like this one."""
        import numpy as np

        src = self._ctx.source
        shape, dtype, order = state.get("shape"), state.get("dtype"), state.get("order", "C")
        if (state.get("subclass") is not np.ndarray or not isinstance(dtype, np.dtype) or order not in ("C", "F")
                or not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape)):
            raise pickle.UnpicklingError(f"{src}: a joblib array record this tool does not read ({state!r:.200})")
        if dtype.hasobject:
            array = _Reader(self._fh, self._ctx).load()
            if not isinstance(array, np.ndarray):
                raise pickle.UnpicklingError(f"{src}: a joblib object array holds a {type(array).__name__}")
            return array
        if state.get("numpy_array_alignment_bytes") is not None:
            self._skip_padding()
        count = 1
        for n in shape:
            count *= n
        nbytes = count * dtype.itemsize
        if nbytes > self._ctx.size - self._fh.tell():
            raise pickle.UnpicklingError(f"{src}: a joblib array of shape {shape} is longer than the file (truncated?)")
        array = np.frombuffer(self._fh.read(nbytes), dtype=dtype, count=count).copy()
        array = array.reshape(shape[::-1]).T if order == "F" else array.reshape(shape)
        return array if dtype.isnative else array.astype(dtype.newbyteorder("="))

    def _skip_padding(self):
        pad = self._fh.read(1)
        if not pad:
            raise pickle.UnpicklingError(f"{self._ctx.source}: a joblib array is cut short")
        self._fh.read(pad[0])
