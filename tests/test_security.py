"""Hostile model files: nothing of a crafted file runs, no file exhausts memory.

A ``.skops`` file is a zip of a JSON schema and ``.npy`` arrays; skops builds
the objects the schema names. The files here are crafted by editing the
schema of a real model by hand, as an attacker would: to call a function of
each of this package's modules through skops' reduce and constructor nodes, to
describe a model whose parts do not fit together, to inflate to 2 GiB. Each is
refused with one clear line, before anything of it runs. Byte-mutated files
(seeded, ``TINYNN_FUZZ_CASES`` cases, 300 by default) end in exit 0 or in one
line and exit 2 at the command line, never in a traceback; so do mutations
of a saved Pipeline. Files that share an object so that it fans out, nest
deeply, or hold a training state no fit leaves are refused too.
"""

import copy
import importlib
import inspect
import io
import json
import os
import pkgutil
import re
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skops.io import _general

import sklearn_tinynn
from sklearn_tinynn import TwoLayerNNClassifier, load
from sklearn_tinynn._cli import main

FUZZ_CASES = int(os.environ.get("TINYNN_FUZZ_CASES", "300"))


def assert_one_line_error(stderr):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sklearn-tinynn: error: "), stderr


@pytest.fixture(scope="module")
def model():
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, random_state=0)
    return clf.fit(X / 16, y)


@pytest.fixture(scope="module")
def model_bytes(model):
    return skops.io.dumps(model)


def schema_of(data):
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))


def with_schema(data, schema):
    """The skops file ``data`` with its schema.json replaced, CRCs correct."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "schema.json":
                content = json.dumps(schema).encode()
            target.writestr(name, content)
    return out.getvalue()


# ------------------------------------------------------- skops schema nodes


def json_node(value):
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }


def tuple_node(values):
    return {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": [json_node(value) for value in values],
    }


def dict_node(content, key_types):
    return {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": content,
        "key_types": {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": key_types,
        },
    }


def reduce_call(module, name, args):
    """skops' reduce node: ``module.name(*args)``, the constructor from the file."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "LossNode",
        "__reduce__": {"args": tuple_node(args)},
        "content": dict_node({}, []),
    }


def constructor_call(module, name, args):
    """skops' constructor node: ``module.name(*args)``."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": tuple_node(args),
    }


def key_type_call(module, name, args):
    """A dict whose key type is ``module.name``: skops calls it with the key."""
    key_type = {"__class__": name, "__module__": module, "__loader__": "TypeNode"}
    return dict_node({args[0]: json_node(1)}, [key_type])


CALLS = [reduce_call, constructor_call, key_type_call]


def with_payload(data, node):
    """The model file ``data`` with ``node`` as the value of ``n_iter_``."""
    schema = schema_of(data)
    schema["content"]["content"]["n_iter_"] = node
    return with_schema(data, schema)


def load_trusting_the_package_prefix(path):
    """The command line's loader before it trusted one type by exact name."""
    untrusted = skops.io.get_untrusted_types(file=path)
    assert all(name.startswith("sklearn_tinynn.") for name in untrusted)
    return skops.io.load(path, trusted=untrusted)


def _our_modules():
    names = [
        f"sklearn_tinynn.{info.name}"
        for info in pkgutil.iter_modules(sklearn_tinynn.__path__)
        if info.name != "__main__"
    ]
    return ["sklearn_tinynn", *sorted(names)]


def _a_function_of(module_name):
    """A function defined in the module; else a class, else any callable.

    Never the model's class, which a model file must be able to name.
    """
    module = importlib.import_module(module_name)
    members = sorted(
        (name, value)
        for name, value in vars(module).items()
        if callable(value) and name not in ("TwoLayerNNClassifier", "__loader__")
    )
    own = [n for n, v in members if getattr(v, "__module__", "") == module_name]
    functions = [n for n in own if inspect.isfunction(vars(module)[n])]
    return (functions or own or [name for name, _ in members])[0]


# Functions that loading itself calls would "run" whatever the file holds.
_CHOSEN = {"sklearn_tinynn._cli": "main", "sklearn_tinynn._persistence": "save"}
TARGETS = [
    (module, _CHOSEN.get(module) or _a_function_of(module)) for module in _our_modules()
]


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.__name__)
@pytest.mark.parametrize("module, name", TARGETS, ids=[m for m, _ in TARGETS])
def test_a_crafted_call_of_any_of_our_functions_never_runs(
    module, name, call, model_bytes, tmp_path, monkeypatch
):
    ran = tmp_path / "ran"

    def record(*args):
        ran.write_text("ran")

    # Named as what it stands for: skops < 0.14 reads the name off the object.
    record.__module__, record.__name__, record.__qualname__ = module, name, name
    monkeypatch.setattr(importlib.import_module(module), name, record)
    path = tmp_path / "crafted.skops"
    path.write_bytes(with_payload(model_bytes, call(module, name, ["x"])))

    with pytest.raises(ValueError, match=rf"refusing to load {module}\.{name} \("):
        load(path)
    assert not ran.exists()

    # The file is a working exploit: trusting the package by prefix runs it
    # (skops < 0.14 has no constructor node, and cannot read that file).
    if call is not constructor_call or hasattr(_general, "ConstructorFromReduceNode"):
        load_trusting_the_package_prefix(path)
        assert ran.read_text() == "ran"


def test_a_crafted_model_cannot_run_the_command_line(model_bytes, tmp_path, capsys):
    """The attack of the issue: evaluate runs main, which overwrites a file."""
    target = tmp_path / "overwritten.skops"
    argv = ["train", "--train", "digits", "--solver", "lbfgs", "--max-iter", "1"]
    argv += ["--progress", "none", "--save", str(target)]
    path = tmp_path / "crafted.skops"
    path.write_bytes(
        with_payload(model_bytes, reduce_call("sklearn_tinynn._cli", "main", [argv]))
    )
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert "refusing to load sklearn_tinynn._cli.main (LossNode)" in captured.err
    assert captured.out == ""
    assert not target.exists()


@pytest.mark.parametrize(
    "node, refused",
    [
        ({"__class__": "eval", "__module__": "builtins", "__loader__": "FunctionNode"},
         "builtins.eval (FunctionNode)"),
        ({"__class__": "TwoLayerNNClassifier", "__loader__": "ObjectNode",
          "__module__": "sklearn_tinynn._classifier", "content": dict_node({}, [])},
         None),
        ({"__class__": "LogisticRegression", "__loader__": "ObjectNode",
          "__module__": "sklearn.linear_model._logistic"},
         "sklearn.linear_model._logistic.LogisticRegression (ObjectNode)"),
        ({"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode",
          "type": "pickle", "file": "x.npy"}, "numpy.ndarray (NdArrayNode)"),
        ({"__class__": "partial", "__module__": "functools",
          "__loader__": "PartialNode"}, "functools.partial (PartialNode)"),
        (json_node("text") | {"__loader__": ["JsonNode"]},
         "builtins.str (['JsonNode'])"),
    ],
    ids=["function", "a nested model", "scikit-learn", "array storage", "partial",
         "loader not a name"],
)  # fmt: skip
def test_only_the_types_a_model_needs_are_trusted(model_bytes, node, refused):
    """skops' own defaults (scikit-learn estimators, ufuncs) are refused too."""
    data = with_payload(model_bytes, node)
    if refused is None:  # trusted type, but the model holds it where an int goes
        with pytest.raises(
            ValueError, match="n_iter_=<TwoLayerNNClassifier> is not a count"
        ):
            load(io.BytesIO(data))
        return
    with pytest.raises(ValueError, match=re.escape(f"refusing to load {refused}")):
        load(io.BytesIO(data))


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "dict.skops"
    skops.io.dump({"weights": np.ones(3)}, path)
    with pytest.raises(ValueError, match="holds a builtins.dict, not a TwoLayerNN"):
        load(path)


# ------------------------------------------------------ inconsistent models


def _edit(**changes):
    def edit(clf):
        for name, value in changes.items():
            if value is _DELETE:
                delattr(clf, name)
            else:
                setattr(clf, name, value(clf) if callable(value) else value)

    return edit


_DELETE = object()

INCONSISTENT = {
    "classes_ shorter than the output layer": (
        _edit(classes_=lambda m: m.classes_[:5]),
        "out_activation_='softmax' with n_outputs_=10 does not fit a 5-class",
    ),
    "unknown hidden activation": (
        _edit(activation="swish"),
        "The 'activation' parameter of TwoLayerNNClassifier must be",
    ),
    "unknown output activation": (
        _edit(out_activation_="sigmoid"),
        "unknown out_activation_='sigmoid'",
    ),
    "missing coefs_": (_edit(coefs_=_DELETE), r"missing attributes \['coefs_'\]"),
    "n_outputs_=1 on 10 classes": (
        _edit(
            n_outputs_=1,
            out_activation_="logistic",
            coefs_=lambda m: [m.coefs_[0], m.coefs_[1][:, :1]],
            intercepts_=lambda m: [m.intercepts_[0], m.intercepts_[1][:1]],
        ),
        "out_activation_='logistic' with n_outputs_=1 does not fit a 10-class",
    ),
    "n_outputs_ differs from the weights": (
        _edit(n_outputs_=3),
        r"weights of shapes .* but n_features_in_=64 and n_outputs_=3 need",
    ),
    "n_features_in_ differs from the weights": (
        _edit(n_features_in_=784),
        r"weights of shapes \[\(64, 8\), .* n_features_in_=784 and n_outputs_=10",
    ),
    "integer weights": (
        _edit(coefs_=lambda m: [c.astype(np.int64) for c in m.coefs_]),
        r"weights of dtypes \['float64', 'int64'\]",
    ),
    "float16 weights": (
        _edit(
            coefs_=lambda m: [c.astype(np.float16) for c in m.coefs_],
            intercepts_=lambda m: [b.astype(np.float16) for b in m.intercepts_],
        ),
        r"weights of dtypes \['float16'\]; expected all float32 or all float64",
    ),
    "a NaN weight": (
        _edit(coefs_=lambda m: [np.full_like(m.coefs_[0], np.nan), m.coefs_[1]]),
        "the weights hold NaN or infinite values",
    ),
    "three weight matrices": (
        _edit(coefs_=lambda m: [*m.coefs_, m.coefs_[1]]),
        "coefs_ is not a list of two NumPy arrays",
    ),
    "weights as a tuple": (
        _edit(intercepts_=lambda m: tuple(m.intercepts_)),
        "intercepts_ is not a list of two NumPy arrays",
    ),
    "four layers": (_edit(n_layers_=4), "n_layers_=4, expected 3"),
    "n_features_in_ a string": (
        _edit(n_features_in_="64"),
        "n_features_in_='64' is not an integer",
    ),
    "a repeated class": (
        _edit(classes_=lambda m: np.r_[m.classes_[:9], 8]),
        r"classes_ \[0, 1, 2, 3, 4, 5, 6, 7, 8, 8\] repeats a label",
    ),
    "classes_ a list": (
        _edit(classes_=lambda m: list(m.classes_)),
        "classes_ is not a 1-D NumPy array",
    ),
    "a method replaced by data": (
        _edit(predict=1),
        r"attributes \['predict'\] would hide methods or hooks",
    ),
    "_multilabel not a boolean": (
        _edit(_multilabel="no"),
        "_multilabel='no' does not match the output layer of a multiclass model",
    ),
}


@pytest.fixture
def inconsistent_file(request, model, tmp_path):
    edit, message = INCONSISTENT[request.param]
    clf = copy.deepcopy(model)
    edit(clf)
    path = tmp_path / "inconsistent.skops"
    skops.io.dump(clf, path)
    return path, message


@pytest.mark.parametrize("inconsistent_file", sorted(INCONSISTENT), indirect=True)
def test_an_inconsistent_model_is_refused_with_one_line(inconsistent_file, capsys):
    path, message = inconsistent_file
    with pytest.raises(ValueError, match=f"inconsistent model: {message}"):
        load(path)
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert captured.out == ""


def test_save_refuses_what_load_would_refuse(model, tmp_path):
    unfitted = TwoLayerNNClassifier()
    with pytest.raises(ValueError, match="missing attributes"):
        sklearn_tinynn.save(unfitted, tmp_path / "unfitted.skops")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- bombs


def _zip(members):
    """A zip file of raw-deflated members: ``{name: (deflated, crc, size)}``."""
    out, central = bytearray(), bytearray()
    for name, (deflated, crc, size) in members.items():
        offset, encoded = len(out), name.encode()
        fields = struct.pack(
            "<HHHHHIIIHH", 20, 0, 8, 0, 0, crc, len(deflated), size, len(encoded), 0
        )
        out += b"PK\x03\x04" + fields + encoded + deflated
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded
    count = len(members)
    end = struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + b"PK\x05\x06" + end)


def _deflated(content):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(content) + compressor.flush()
    return deflated, zlib.crc32(content), len(content)


def _zeros_array(shape, n_bytes):
    """A .npy member declaring ``shape`` (float64) followed by n_bytes zeros.

    Deflate compresses 1 MiB of zeros to about a kilobyte; after a full flush
    the compressor forgets what came before, so the same kilobyte stands for
    every further MiB: 2 GiB cost 2 MB, and nothing to compute. (The CRC of a
    large member is left 0: it is checked only at the end of the member, which
    a refused file never reaches.)
    """
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header.getvalue()) + compressor.flush(zlib.Z_FULL_FLUSH)
    mib = compressor.compress(bytes(2**20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated = start + mib * (n_bytes // 2**20) + compressor.flush()
    small = n_bytes <= 2**20  # a member small enough to be read to its end
    crc = zlib.crc32(bytes(n_bytes), zlib.crc32(header.getvalue())) if small else 0
    return deflated, crc, len(header.getvalue()) + n_bytes


def bomb(model_bytes, shape, n_bytes):
    """The model file with its first weight matrix replaced by zeros."""
    source = zipfile.ZipFile(io.BytesIO(model_bytes))
    schema = json.loads(source.read("schema.json"))
    W1 = schema["content"]["content"]["coefs_"]["content"][0]["file"]
    members = {name: _deflated(source.read(name)) for name in source.namelist()}
    members[W1] = _zeros_array(shape, n_bytes)
    return _zip(members)


def test_a_2_mb_file_inflating_to_2_gib_is_refused_in_little_memory(
    model_bytes, tmp_path
):
    path = tmp_path / "bomb.skops"
    path.write_bytes(bomb(model_bytes, (2**28,), 2**31))
    assert path.stat().st_size < 3 * 2**20
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
        from sklearn_tinynn._cli import main
        sys.exit(main(["evaluate", "--model", {str(path)!r}, "--test", "digits"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr)
    assert re.search(r"its members decompress to 21\d{8} bytes", result.stderr)
    assert "more than max_bytes=268435456" in result.stderr
    assert "sklearn_tinynn.load(file, max_bytes=...)" in result.stderr

    tracemalloc.start()
    with pytest.raises(ValueError, match="more than max_bytes"):
        load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 32 * 2**20


@pytest.mark.parametrize(
    "shape, n_bytes, message",
    [
        ((8, 8), 2**20, r"declares 640 bytes \(shape \(8, 8\), float64\) but holds"),
        ((2**20,), 2**20, r"declares 8388736 bytes \(shape \(1048576,\), float64\)"),
    ],
    ids=["more data than the shape", "less data than the shape"],
)
def test_an_array_must_hold_what_its_header_declares(
    model_bytes, shape, n_bytes, message
):
    with pytest.raises(ValueError, match=message):
        load(io.BytesIO(bomb(model_bytes, shape, n_bytes)))


def test_the_memory_limit_can_be_raised_for_a_trusted_file(model, model_bytes):
    with pytest.raises(ValueError, match="larger than max_bytes=1000"):
        load(io.BytesIO(model_bytes), max_bytes=1000)
    loaded = load(io.BytesIO(model_bytes), max_bytes=len(model_bytes) * 100)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])


# ---------------------------------------------------------------- fuzzing


def _mutate(data, rng):
    """Flip, overwrite, insert or delete a few bytes, or cut the file short."""
    data = bytearray(data)
    for _ in range(rng.integers(1, 4)):
        position = int(rng.integers(len(data)))
        kind = rng.integers(4)
        if kind == 0:
            data[position] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            data[position] = int(rng.integers(256))
        elif kind == 2:
            data[position:position] = rng.bytes(int(rng.integers(1, 8)))
        else:
            del data[position : position + int(rng.integers(1, 64))]
    return bytes(data)


def _mutate_schema(data, rng):
    """Mutate schema.json's text, then write a zip with correct checksums."""
    text = zipfile.ZipFile(io.BytesIO(data)).read("schema.json")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "schema.json" or rng.random() < 0.1:
                content = _mutate(text if name == "schema.json" else content, rng)
            target.writestr(name, content)
    return out.getvalue()


@pytest.fixture(scope="module")
def digits_pixels(tmp_path_factory):
    X, _ = load_digits(return_X_y=True)
    path = tmp_path_factory.mktemp("pixels") / "pixels.csv"
    np.savetxt(path, (X[:50] * 15).astype(int), fmt="%d", delimiter=",")
    return path


@pytest.fixture(scope="module")
def pipeline_bytes():
    """A saved Pipeline of several trusted steps, for the fuzzing."""
    X, y = load_digits(return_X_y=True)
    columns = ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore"), [2, 3])],
        remainder=StandardScaler(),
    )
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, random_state=0)
    pipe = make_pipeline(SimpleImputer(), columns, PCA(10), clf).fit(X / 16, y)
    return skops.io.dumps(pipe)


@pytest.mark.parametrize("saved", ["model_bytes", "pipeline_bytes"])
def test_byte_mutated_model_files_end_in_one_line_never_a_traceback(
    saved, request, digits_pixels, tmp_path, capsys
):
    data = request.getfixturevalue(saved)
    rng = np.random.default_rng(0)
    path, output = tmp_path / "fuzzed.skops", tmp_path / "labels.csv"
    outcomes = {0: 0, 2: 0}
    for case in range(FUZZ_CASES):
        mutate = _mutate if case % 2 else _mutate_schema
        path.write_bytes(mutate(data, rng))
        argv = ["predict", "--input", str(digits_pixels), "--output", str(output)]
        code = main([*argv, "--model", str(path)])
        captured = capsys.readouterr()
        assert code in outcomes, (case, captured.err)
        outcomes[code] += 1
        if code == 2:
            assert_one_line_error(captured.err)
            assert captured.out == ""
    assert outcomes[2] > FUZZ_CASES / 2, outcomes


# ------------------------------------------- shared objects and deep nesting


def with_attributes(data, nodes):
    """The model file ``data`` with the schema nodes ``nodes`` as attributes."""
    schema = schema_of(data)
    attributes = schema["content"]["content"]
    attributes.update(nodes)
    key_types = schema["content"]["key_types"]["content"]
    key_types += [key_types[0]] * len(nodes)
    return with_schema(data, schema)


def _doubling_chain(n, stub):
    """Attributes _x0 ... _xn, each a dict holding the one before it twice.

    The first mention of an id is the whole node; ``stub(id)`` is what the
    file puts at every later mention, which skops replaces by the object it
    built first: 2**n paths from a file of n small nodes.
    """
    nodes = {"_x0": dict_node({"a": json_node(1)}, []) | {"__id__": 1000}}
    for i in range(1, n + 1):
        inner = {"a": stub(1000 + i - 1), "b": stub(1000 + i - 1)}
        nodes[f"_x{i}"] = dict_node(inner, []) | {"__id__": 1000 + i}
    return nodes


STUBS = {
    "a bare id": lambda ident: {"__id__": ident},
    "another value under the id": lambda ident: json_node(0) | {"__id__": ident},
    "an empty dict under the id": lambda ident: dict_node({}, []) | {"__id__": ident},
}


@pytest.mark.parametrize("stub", sorted(STUBS))
@pytest.mark.parametrize("where", ["private attributes", "a parameter"])
def test_a_shared_object_that_fans_out_is_refused_at_once(
    model_bytes, stub, where, tmp_path, capsys
):
    nodes = _doubling_chain(40, STUBS[stub])  # 2**40 paths: unbounded before
    if where == "a parameter":
        last = nodes.popitem()[1]
        nodes = {**nodes, "class_weight": last}
    path = tmp_path / "chain.skops"
    path.write_bytes(with_attributes(model_bytes, nodes))
    assert path.stat().st_size < 150_000
    with pytest.raises(ValueError, match="object id 10.. stands for two different"):
        load(path)
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    assert_one_line_error(capsys.readouterr().err)


def test_a_node_that_repeats_its_own_ancestor_is_refused(model_bytes):
    """A cycle: the dict's value names the dict itself."""
    inner = dict_node({"self": {"__id__": 7}}, []) | {"__id__": 7}
    data = with_attributes(model_bytes, {"_loop": inner})
    with pytest.raises(ValueError, match="object id 7 stands for two different"):
        load(io.BytesIO(data))


def test_a_cached_node_is_refused(model_bytes):
    """skops never writes one; its target is whatever id the file names."""
    cached = {"__class__": "dict", "__module__": "builtins", "__loader__": "CachedNode"}
    data = with_attributes(model_bytes, {"_cached": cached | {"__id__": 1}})
    with pytest.raises(ValueError, match=r"builtins.dict \(CachedNode\)"):
        load(io.BytesIO(data))


def test_a_genuinely_shared_object_loads(model, tmp_path):
    """skops writes a shared object in full at each mention: that loads."""
    clf = copy.deepcopy(model)
    clf.random_state = clf._random_state = np.random.RandomState(3)
    path = tmp_path / "shared.skops"
    skops.io.dump(clf, path)
    loaded = load(path)
    assert loaded.random_state is loaded._random_state


def _nested_json(depth, kind):
    if kind == "lists":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("kind", ["lists", "dicts"])
@pytest.mark.parametrize("depth", [60, 900, 100_000])
def test_deep_nesting_inside_one_json_value_is_one_clear_error(
    model_bytes, kind, depth, tmp_path, capsys
):
    node = json_node(0) | {"content": _nested_json(depth, kind)}
    path = tmp_path / "deep.skops"
    path.write_bytes(with_attributes(model_bytes, {"loss_curve_": node}))
    with pytest.raises(ValueError, match=r"deep.skops: .*nested deeper than 48"):
        load(path)
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert "RecursionError" not in captured.err


@pytest.mark.parametrize("depth", [60, 300])
def test_deep_nesting_of_the_schema_is_one_clear_error(model_bytes, depth):
    node = json_node(1)
    for _ in range(depth):
        node = {**tuple_node([]), "content": [node]}
    data = with_attributes(model_bytes, {"n_iter_": node})
    with pytest.raises(ValueError, match="nested deeper than 48|unreadable schema"):
        load(io.BytesIO(data))


# ------------------------------------------------------- classes_ and names


def assert_saved_model_refused(clf, path, message, capsys):
    """skops writes ``clf``; load refuses it naming the file, and so does
    the command line, with one line and exit 2."""
    skops.io.dump(clf, path)
    with pytest.raises(
        ValueError, match=f"{path.name}: inconsistent model: .*{message}"
    ):
        load(path)
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    assert_one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize(
    "classes, message",
    [
        (np.array([1, 0, 2, 3, 4, 5, 6, 7, 8, 9]), r"\[1, 0, 2, .*\] is not sorted"),
        (np.arange(10)[::-1].copy(), "is not sorted"),
        (np.array(list("jihgfedcba")), "is not sorted"),
        (np.arange(10).astype("M8[D]"), "dtype datetime64"),
        (np.arange(10).astype("m8[s]"), "dtype timedelta64"),
        (np.arange(10) + 0j, "dtype complex128"),
        (np.r_[np.arange(9.0), np.nan], "holds NaN"),
    ],
    ids=[
        "two swapped",
        "reversed",
        "reversed strings",
        "datetime64",
        "timedelta64",
        "complex",
        "NaN",
    ],
)
def test_classes_must_be_sorted_unique_labels_of_an_allowed_dtype(
    model, classes, message, tmp_path, capsys
):
    clf = copy.deepcopy(model)
    clf.classes_ = classes
    assert_saved_model_refused(clf, tmp_path / "classes.skops", message, capsys)


@pytest.mark.parametrize(
    "name",
    [
        "__sklearn_is_fitted__",
        "__sklearn_tags__",
        "__sklearn_clone__",
        "__array__",
        "_more_tags",
        "_estimator_type",
        "score",
        "_validate_params",
    ],
)
def test_an_attribute_scikit_learn_looks_up_as_a_hook_is_refused(
    model, name, tmp_path, capsys
):
    clf = copy.deepcopy(model)
    clf.__dict__[name] = "yes"
    message = rf"\['{name}'\] would hide methods or hooks"
    assert_saved_model_refused(clf, tmp_path / "hook.skops", message, capsys)


# ------------------------------------------------------------ training state


@pytest.fixture(scope="module")
def trained():
    """Models fitted by each solver with a state to go on from."""
    X, y = load_digits(return_X_y=True)
    models = {}
    for solver in ("adam", "sgd", "gd"):
        clf = TwoLayerNNClassifier(8, solver=solver, max_iter=2, random_state=0)
        with pytest.warns(ConvergenceWarning):
            models[solver] = clf.fit(X[:200] / 16, y[:200])
    clf = TwoLayerNNClassifier(8, early_stopping=True, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        models["early stopping"] = clf.fit(X[:200] / 16, y[:200])
    return models


def _state(**changes):
    def edit(clf):
        clf._optimizer_state.update(changes)

    return edit


def _moment(key, index, change):
    def edit(clf):
        arrays = clf._optimizer_state[key]
        arrays[index] = change(arrays[index])

    return edit


def _zero_key(attribute):
    """Give the RandomState ``attribute`` an all-zero Mersenne Twister key."""

    def edit(clf):
        if attribute == "random_state":
            clf.random_state = np.random.RandomState(0)
        state = getattr(clf, attribute).get_state()
        getattr(clf, attribute).set_state(
            (state[0], np.zeros(624, np.uint32), *state[2:])
        )

    return edit


TRAINING_STATE = {
    "negative learning rate": (
        "adam",
        _state(learning_rate=-0.01),
        r"\['learning_rate'\]=-0.01 is not a positive",
    ),
    "infinite initial rate": (
        "sgd",
        _state(learning_rate_init=float("inf")),
        "is not a positive finite",
    ),
    "t = -1": ("adam", _state(t=-1), r"\['t'\]=-1 is not a count"),
    "t a float": ("adam", _state(t=2.0), r"\['t'\]=2.0 is not a count"),
    "state a string": (
        "adam",
        _edit(_optimizer_state="adam"),
        "is not None or the dict of a solver",
    ),
    "a moment of the wrong shape": (
        "adam",
        _moment("M", 0, lambda a: a[:3]),
        r"_optimizer_state\['M'\] has arrays of shapes",
    ),
    "a velocity of the wrong dtype": (
        "sgd",
        _moment("velocities", 0, lambda a: a.astype(np.float32)),
        r"_optimizer_state\['velocities'\] has arrays of shapes and dtypes",
    ),
    "negative squares": (
        "adam",
        _moment("V", 0, lambda a: -a - 1),
        "holds negative squares",
    ),
    "velocities missing": (
        "sgd",
        lambda clf: clf._optimizer_state.pop("velocities"),
        "has the keys",
    ),
    "gd state under an adam name": (
        "gd",
        _state(solver="adam"),
        "of solver 'adam' has the keys",
    ),
    "t_ = 10**400": ("adam", _edit(t_=10**400), "t_=.* is not a count"),
    "n_iter_ negative": ("gd", _edit(n_iter_=-2), "n_iter_=-2 is not a count"),
    "callbacks [1]": (
        "adam",
        _edit(_skl_callbacks=[1]),
        r"callback state \['_skl_callbacks'\]",
    ),
    "validation_scores_ shared with loss_curve_": (
        "early stopping",
        _edit(validation_scores_=lambda m: m.loss_curve_),
        "share an array or list",
    ),
    "a moment that is the other moment": (
        "adam",
        lambda clf: clf._optimizer_state.__setitem__("M", clf._optimizer_state["V"]),
        "share an array or list",
    ),
    "a NaN in the loss curve": (
        "gd",
        _edit(loss_curve_=lambda m: [*m.loss_curve_, float("nan")]),
        "loss_curve_ is not a list of finite numbers",
    ),
    "best_loss_ a string": ("sgd", _edit(best_loss_="0.1"), "best_loss_='0.1'"),
    "all-zero Mersenne key": (
        "adam",
        _zero_key("_random_state"),
        "_random_state has an all-zero Mersenne Twister key",
    ),
    "all-zero key in random_state": (
        "gd",
        _zero_key("random_state"),
        "random_state has an all-zero Mersenne Twister key",
    ),
    "_random_state an int": (
        "gd",
        _edit(_random_state=0),
        "_random_state is a int, not a RandomState",
    ),
}


@pytest.mark.parametrize("case", sorted(TRAINING_STATE))
def test_a_tampered_training_state_is_refused(trained, case, tmp_path, capsys):
    solver, edit, message = TRAINING_STATE[case]
    clf = copy.deepcopy(trained[solver])
    edit(clf)
    assert_saved_model_refused(clf, tmp_path / "state.skops", message, capsys)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd", "early stopping"])
def test_an_untouched_training_state_loads_and_trains_on(trained, solver, tmp_path):
    path = tmp_path / "state.skops"
    skops.io.dump(trained[solver], path)
    loaded = load(path)
    original = copy.deepcopy(trained[solver])
    X, y = load_digits(return_X_y=True)
    for clf in (loaded, original):
        clf.set_params(early_stopping=False).partial_fit(X[:50] / 16, y[:50])
    for got, want in zip(loaded.coefs_, original.coefs_):
        np.testing.assert_array_equal(got, want)
