"""Saving and loading fitted models in the skops format, trusting exact types.

Loading is a boundary: a model file is untrusted until checked. :func:`load`
refuses, before anything of the file runs, every type other than
``TwoLayerNNClassifier``, a ``Pipeline`` of the scikit-learn transformers in
``_checks.PIPELINE_STEPS`` ending in one, and the plain containers, numbers,
strings, NumPy arrays and the NumPy ``RandomState`` that they are made of
(types named exactly, never by prefix). It bounds the memory the file may
inflate to and the size and depth of the objects it describes (an object
that the file refers to twice is written out twice, so no walk of the loaded
values visits more than the file holds), and checks the loaded model for
consistency (``_checks.py``) before returning it.
"""

import contextlib
import copy
import io
import json
import math
import os
import secrets
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from ._checks import FILE_TYPES, check_model, type_path
from ._classifier import TwoLayerNNClassifier

TRUSTED_TYPE = type_path(TwoLayerNNClassifier)

# A fitted 784-1000-10 network in float64 with its Adam moments takes 20 MB.
MAX_BYTES = 256 * 2**20

# Parsed JSON takes several times its size in memory: the schema gets a share.
_SCHEMA_SHARE = 16

# The deepest nesting of the schema's JSON (a model needs 15, a Pipeline with
# a ColumnTransformer 27, counting the values inside a JsonNode); skops and
# the checks read it recursively.
_MAX_DEPTH = 48

_SCALARS = ["builtins.str", "builtins.int", "builtins.float", "builtins.bool"]
_NUMPY_SCALARS = [
    f"numpy.{name}"
    for name in (
        "bool",
        "bool_",
        "str_",
        "float16",
        "float32",
        "float64",
        *(f"{kind}int{bits}" for kind in ("", "u") for bits in (8, 16, 32, 64)),
    )
]

# skops loader -> the exact types it may build. Everything a fitted model holds;
# no function, no reduce/constructor call, no other class, and no CachedNode
# (skops writes a shared object out again, with the same ``__id__``).
_ALLOWED = {
    "ObjectNode": {TRUSTED_TYPE, *FILE_TYPES},
    "DictNode": {"builtins.dict"},
    "ListNode": {"builtins.list"},
    "TupleNode": {"builtins.tuple"},
    "SliceNode": {"builtins.slice"},
    "JsonNode": {*_SCALARS, "builtins.NoneType"},
    "TypeNode": {*_SCALARS, *_NUMPY_SCALARS},
    "DTypeNode": {"numpy.dtype"},
    "NdArrayNode": {"numpy.ndarray", *_NUMPY_SCALARS},
    "RandomStateNode": {"numpy.random.mtrand.RandomState"},
}
_TOP_TYPES = {TRUSTED_TYPE, type_path(Pipeline)}
_TRUSTED = sorted({*_ALLOWED["ObjectNode"], "numpy.dtype"})


def save(model, file):
    """Save a fitted model to a ``.skops`` file, atomically.

    The model is written to a temporary file in the same directory, which
    then replaces ``file``: an interrupted save never leaves a truncated file.
    A model fitted on another array library or device (see
    :func:`sklearn_tinynn.move_to`) is saved as its NumPy copy, which loads on
    any machine.

    Parameters
    ----------
    model : TwoLayerNNClassifier or Pipeline
        A fitted model, or a fitted Pipeline of the transformers that
        :func:`load` trusts ending in one; it must pass the checks of
        :func:`load`.
    file : str or path-like
        Where to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_tinynn import TwoLayerNNClassifier, load, save
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(16, solver="lbfgs", max_iter=20, random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "model.skops")
    ...     save(pipe, path)
    ...     (load(path).predict_proba(X[:5]) == pipe.predict_proba(X[:5])).all()
    np.True_
    """
    import skops.io

    model = _on_numpy(model)
    check_model(model, "model")
    path = Path(file)
    data = skops.io.dumps(model)
    write_atomically(path, data)


def _on_numpy(model):
    """The model with its network moved to NumPy (a Pipeline: a shallow copy)."""
    from ._array_api import move_to

    if type(model) is TwoLayerNNClassifier:
        return move_to(model, "numpy")
    steps = getattr(model, "steps", None)
    if type(model) is Pipeline and isinstance(steps, list) and steps:
        last = steps[-1]
        if isinstance(last, tuple) and type(last[-1]) is TwoLayerNNClassifier:
            model = copy.copy(model)
            model.steps = [*steps[:-1], (*last[:-1], move_to(last[-1], "numpy"))]
    return model


def write_atomically(path, data):
    """Write ``data`` (bytes) to ``path`` through a temporary file and a rename."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask to 0o666, as open() does for the file itself.
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def load(file, *, max_bytes=MAX_BYTES):
    """Load a model saved by :func:`save` (or ``skops.io.dump``), safely.

    The only types trusted beyond the plain containers, numbers, strings, NumPy
    arrays and NumPy's ``RandomState`` are
    ``sklearn_tinynn._classifier.TwoLayerNNClassifier``, and
    ``sklearn.pipeline.Pipeline`` with the transformers of
    ``_checks.PIPELINE_STEPS``, named exactly; a file that needs any other type (a
    function, a reduce or constructor call, any other class of any module,
    this package's included) is refused before anything of it runs. The file
    and the arrays it holds must fit in ``max_bytes``, checked against the
    sizes the arrays declare before any is read; the objects it describes are
    bounded in number and depth. The model is checked for consistency before
    it is returned.

    Parameters
    ----------
    file : str, path-like or binary file object
        The ``.skops`` file.
    max_bytes : int, default=256 MiB
        Largest total size of the file's members once decompressed (arrays and
        schema); the schema alone may take a sixteenth of it. Raise it for a
        larger model that you trust.

    Returns
    -------
    model : TwoLayerNNClassifier or Pipeline
        The fitted model.

    Raises
    ------
    ValueError
        With one line naming the file and the refused type, the size or
        nesting over the limit, or what is inconsistent in the model.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import skops.io
    >>> from sklearn_tinynn import load
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "print.skops")
    ...     skops.io.dump({"payload": print}, path)
    ...     load(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...print.skops: refusing to load builtins.print (TypeNode): ...
    """
    import skops.io

    name = (
        str(file)
        if isinstance(file, (str, os.PathLike))
        else getattr(file, "name", "file")
    )
    data = _read_bounded(file, name, max_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        schema = _read_schema(archive, name, max_bytes)
    except _UNREADABLE as exc:
        raise ValueError(f"{name}: not a skops model file ({exc})") from exc
    _check_types(schema, name)
    try:
        model = skops.io.loads(data, trusted=_TRUSTED)
    except MemoryError:
        raise
    except Exception as exc:  # the types are checked; skops raises many kinds
        raise ValueError(
            f"{name}: not a valid skops model file ({type(exc).__name__}: {exc})"
        ) from exc
    check_model(model, name)
    return model


# What zipfile and NumPy's header parser raise on damaged bytes (NotImplementedError,
# a RuntimeError, for an unknown compression method).
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    RuntimeError,
    SyntaxError,
    tokenize.TokenError,
)


def _read_bounded(file, name, max_bytes):
    """The file's bytes, read a MiB at a time up to ``max_bytes``."""
    chunks, size = [], 0
    opened = hasattr(file, "read")
    with contextlib.nullcontext(file) if opened else open(file, "rb") as handle:
        while chunk := handle.read(2**20):
            size += len(chunk)
            if size > max_bytes:
                raise ValueError(f"{name}: larger than max_bytes={max_bytes}; {_RAISE}")
            chunks.append(chunk)
    return b"".join(chunks)


_RAISE = "if you trust the file, load it with sklearn_tinynn.load(file, max_bytes=...)"


def _read_schema(archive, name, max_bytes):
    """The parsed schema, after checking every member's size against the limit."""
    members = archive.infolist()
    total = sum(info.file_size for info in members)
    if total > max_bytes:
        raise ValueError(
            f"{name}: its members decompress to {total} bytes, more than "
            f"max_bytes={max_bytes}; {_RAISE}"
        )
    for info in members:
        if info.filename.endswith(".npy"):
            _check_array_member(archive, info, name)
        elif info.filename != "schema.json":
            raise ValueError(f"{name}: unexpected member {info.filename!r}")
    info = archive.getinfo("schema.json")  # KeyError: not a skops file
    if info.file_size > max_bytes // _SCHEMA_SHARE:
        raise ValueError(
            f"{name}: schema.json of {info.file_size} bytes, more than "
            f"max_bytes / {_SCHEMA_SHARE}; {_RAISE}"
        )
    try:
        return json.loads(archive.read(info))
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{name}: unreadable schema.json ({exc})") from exc


def _check_array_member(archive, info, name):
    """An array's declared shape and dtype must account for its size exactly."""
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(member)
            header_size = member.tell()
        except (ValueError, TypeError, SyntaxError, tokenize.TokenError) as exc:
            raise ValueError(
                f"{name}: array {info.filename} has no valid header ({exc})"
            ) from exc
    if dtype.hasobject:
        raise ValueError(f"{name}: array {info.filename} holds Python objects")
    declared = header_size + math.prod(shape) * dtype.itemsize
    if declared != info.file_size:
        raise ValueError(
            f"{name}: array {info.filename} declares {declared} bytes "
            f"(shape {shape}, {dtype}) but holds {info.file_size}"
        )


def _check_types(schema, name):
    """Refuse every node of the schema whose type is not on the exact allow-list,
    and any schema whose objects could unfold to more than it holds."""
    if not isinstance(schema, dict):
        raise ValueError(f"{name}: schema.json is not a skops schema")
    refused = set()
    for node in _bounded_walk(schema, name):
        if "__loader__" in node or "__class__" in node:
            refused.update(_refused_type(node))
    if refused:
        raise ValueError(
            f"{name}: refusing to load {', '.join(sorted(refused))}: a model file "
            f"holds only a {TRUSTED_TYPE} (alone, or ending a Pipeline of "
            "scikit-learn's trusted transformers) made of containers, numbers, "
            "strings and NumPy arrays"
        )
    if (schema.get("__loader__"), _type_name(schema)) not in {
        ("ObjectNode", top) for top in _TOP_TYPES
    }:
        raise ValueError(
            f"{name}: holds a {_type_name(schema)}, not a TwoLayerNNClassifier "
            "or a Pipeline"
        )


def _bounded_walk(schema, name):
    """Yield every dict of the schema, refusing what loading could not bound.

    skops builds one object per ``__id__`` and uses it wherever the id comes
    again, whatever that place holds. Files written by skops repeat the whole
    node there; any other content could make a small file describe a graph
    whose paths double at each level, or a cycle. So every repetition must
    repeat the node: the loaded values then unfold to the schema's tree (by
    induction on its size; a node cannot repeat one that holds it), which the
    file's size bounds. JSON values inside a JsonNode count towards the depth
    too.
    """
    seen = {}
    for node, depth in _nested(schema, 0, name):
        if not isinstance(node, dict):
            continue
        yield node
        if "__id__" in node:
            _check_repeat(node, seen, name)
        if node.get("__loader__") == "JsonNode":
            _check_json_depth(node.get("content"), depth, name)


def _nested(value, depth, name):
    """Every value within the JSON ``value`` at ``depth``, with its depth,
    refusing nesting beyond ``_MAX_DEPTH``."""
    stack = [(value, depth)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"{name}: nested deeper than {_MAX_DEPTH} levels")
        yield value, depth
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)


def _check_repeat(node, seen, name):
    """A repeated ``__id__`` must repeat its node, but for the ids and array
    files within it (skops numbers anew the state dict that ``__getstate__``
    makes each time, and the array that describes a dtype)."""
    ident = node["__id__"]
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ValueError(f"{name}: an object id {ident!r} that is not an integer")
    # Only repetitions are compared, each costing its own size in the file.
    first = seen.setdefault(ident, node)
    if first is not node and _without_ids(first) != _without_ids(node):
        raise ValueError(
            f"{name}: object id {ident} stands for two different values; a "
            "file written by skops repeats a shared object in full"
        )


def _without_ids(node):
    """The schema node without its ``__id__`` and ``file`` names (an array is
    one leaf whatever its file holds); its depth is already bounded."""
    if isinstance(node, dict):
        return {
            k: _without_ids(v) for k, v in node.items() if k not in ("__id__", "file")
        }
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def _check_json_depth(content, depth, name):
    """The JSON text of a JsonNode at ``depth`` counts towards the nesting."""
    if not isinstance(content, str):
        raise ValueError(f"{name}: a JsonNode whose content is not JSON text")
    try:
        value = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise ValueError(
            f"{name}: a JsonNode nested deeper than {_MAX_DEPTH} levels, or not JSON"
        ) from exc
    for _ in _nested(value, depth + 1, name):
        pass


def _refused_type(node):
    """``["module.class (loader)"]`` if the node may not be built, else ``[]``."""
    loader, type_name = node.get("__loader__"), _type_name(node)
    allowed = _ALLOWED.get(loader, ()) if isinstance(loader, str) else ()
    storage = node.get("type", "numpy") if loader == "NdArrayNode" else "numpy"
    if type_name in allowed and storage in ("numpy", "json"):
        return []
    return [f"{type_name} ({loader})"]


def _type_name(node):
    return f"{node.get('__module__')}.{node.get('__class__')}"
