"""Saving and loading fitted models in the skops format, trusting one type.

Loading is a boundary: a model file is untrusted until checked. :func:`load`
refuses, before anything of the file runs, every type other than
``TwoLayerNNClassifier`` and the plain containers, numbers, strings, NumPy
arrays and the NumPy ``RandomState`` that a fitted model is made of (types
named exactly, never by prefix); it bounds the memory the file may inflate
to, and checks the loaded model for consistency before returning it.
"""

import contextlib
import io
import json
import math
import numbers
import os
import secrets
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._activations import OUTPUT_ACTIVATIONS
from ._classifier import TwoLayerNNClassifier

TRUSTED_TYPE = "sklearn_tinynn._classifier.TwoLayerNNClassifier"

# A fitted 784-1000-10 network in float64 with its Adam moments takes 20 MB.
MAX_BYTES = 256 * 2**20

# Parsed JSON takes several times its size in memory: the schema gets a share.
_SCHEMA_SHARE = 16

# The deepest nesting a model needs is 6 (model, dict, optimizer state, list,
# array); skops reads the schema recursively.
_MAX_DEPTH = 32

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
# no function, no reduce/constructor call, no other class.
_ALLOWED = {
    "ObjectNode": {TRUSTED_TYPE},
    "DictNode": {"builtins.dict"},
    "ListNode": {"builtins.list"},
    "TupleNode": {"builtins.tuple"},
    "JsonNode": {*_SCALARS, "builtins.NoneType"},
    "TypeNode": {*_SCALARS, *_NUMPY_SCALARS},
    "NdArrayNode": {"numpy.ndarray", *_NUMPY_SCALARS},
    "RandomStateNode": {"numpy.random.mtrand.RandomState"},
}
# A cached node stands for an object already built (and checked) earlier.
_ALLOWED["CachedNode"] = set().union(*_ALLOWED.values())


def save(model, file):
    """Save a fitted model to a ``.skops`` file, atomically.

    The model is written to a temporary file in the same directory, which
    then replaces ``file``: an interrupted save never leaves a truncated file.

    Parameters
    ----------
    model : TwoLayerNNClassifier
        A fitted model; it must pass the checks of :func:`load`.
    file : str or path-like
        Where to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_tinynn import TwoLayerNNClassifier, load, save
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(16, solver="lbfgs", max_iter=20, random_state=0)
    >>> clf = clf.fit(X / 16, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "model.skops")
    ...     save(clf, path)
    ...     (load(path).predict(X[:5] / 16) == clf.predict(X[:5] / 16)).all()
    np.True_
    """
    import skops.io

    check_model(model, "model")
    path = Path(file)
    data = skops.io.dumps(model)
    write_atomically(path, data)


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

    The only type trusted beyond the plain containers, numbers, strings, NumPy
    arrays and NumPy's ``RandomState`` is
    ``sklearn_tinynn._classifier.TwoLayerNNClassifier``, named exactly; a file
    that needs any other type (a function, a reduce or constructor call, any
    other class of any module, this package's included) is refused before
    anything of it runs. The file and the arrays it holds must fit in
    ``max_bytes``, checked against the sizes the arrays declare before any is
    read. The model is checked for consistency before it is returned.

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
    model : TwoLayerNNClassifier
        The fitted model.

    Raises
    ------
    ValueError
        With one line naming the refused type, the size over the limit, or
        what is inconsistent in the model.

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
        model = skops.io.loads(data, trusted=[TRUSTED_TYPE])
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
    """Refuse every node of the schema whose type is not on the exact allow-list."""
    if not isinstance(schema, dict):
        raise ValueError(f"{name}: schema.json is not a skops schema")
    refused = set()
    stack = [(schema, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"{name}: nested deeper than {_MAX_DEPTH} levels")
        if isinstance(node, dict):
            if "__loader__" in node or "__class__" in node:
                refused.update(_refused_type(node))
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    if refused:
        raise ValueError(
            f"{name}: refusing to load {', '.join(sorted(refused))}: a model file "
            f"holds only a {TRUSTED_TYPE} made of containers, numbers, strings "
            "and NumPy arrays"
        )
    if (schema.get("__loader__"), _type_name(schema)) != ("ObjectNode", TRUSTED_TYPE):
        raise ValueError(
            f"{name}: holds a {_type_name(schema)}, not a TwoLayerNNClassifier"
        )


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


# --------------------------------------------------------- the fitted model


_FITTED = (
    "coefs_",
    "intercepts_",
    "classes_",
    "n_features_in_",
    "n_outputs_",
    "n_layers_",
    "out_activation_",
    "_multilabel",
)


def check_model(model, name="model"):
    """Check that a loaded model is a consistent, fitted TwoLayerNNClassifier.

    Raises ValueError with one line naming the first inconsistency.
    """
    try:
        _check_model(model)
    except ValueError as exc:
        raise ValueError(f"{name}: inconsistent model: {exc}") from exc


def _check_model(model):
    if type(model) is not TwoLayerNNClassifier:
        raise ValueError(f"a {type(model).__name__}, not a TwoLayerNNClassifier")
    state = vars(model)
    shadowing = sorted(key for key in state if hasattr(type(model), key))
    if shadowing:
        raise ValueError(f"attributes {shadowing} would hide methods")
    missing = [key for key in (*model._get_param_names(), *_FITTED) if key not in state]
    if missing:
        raise ValueError(f"missing attributes {missing} (not fitted?)")
    odd = [key for key in model._get_param_names() if not _is_plain(state[key])]
    if odd:
        raise ValueError(
            f"parameters {odd} hold objects other than numbers, strings, dicts "
            "and a RandomState"
        )
    try:
        model._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    _check_sizes(model)
    _check_weights(model)
    _check_outputs(model)
    _check_history(model)


def _is_plain(value):
    if isinstance(value, dict):
        return all(_is_plain(key) and _is_plain(item) for key, item in value.items())
    return value is None or isinstance(
        value, (numbers.Number, str, np.random.RandomState)
    )


def _show(value):
    """repr of a number or string; the type of anything else (whose repr may fail)."""
    if value is None or isinstance(value, (numbers.Number, str)):
        return repr(value)
    return f"<{type(value).__name__}>"


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_sizes(model):
    for key in ("n_features_in_", "n_outputs_", "n_layers_"):
        value = getattr(model, key)
        if not _is_int(value):
            raise ValueError(f"{key}={_show(value)} is not an integer")
        if value < 1:
            raise ValueError(f"{key}={value} is not positive")
    if model.n_layers_ != 3:
        raise ValueError(f"n_layers_={model.n_layers_}, expected 3")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and (
        not isinstance(names, np.ndarray) or names.shape != (model.n_features_in_,)
    ):
        raise ValueError(
            f"feature_names_in_ is not an array of {model.n_features_in_} names"
        )


def _check_weights(model):
    weights = []
    for key in ("coefs_", "intercepts_"):
        value = getattr(model, key)
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(type(array) is np.ndarray for array in value)
        ):
            raise ValueError(f"{key} is not a list of two arrays")
        weights += value
    W1, W2, b1, b2 = weights
    dtypes = {array.dtype for array in weights}
    if len(dtypes) != 1 or dtypes.isdisjoint(
        {np.dtype("float32"), np.dtype("float64")}
    ):
        raise ValueError(
            f"weights of dtypes {sorted(map(str, dtypes))}; expected all float32 "
            "or all float64"
        )
    hidden = W1.shape[-1]
    expected = [
        (model.n_features_in_, hidden),
        (hidden, model.n_outputs_),
        (hidden,),
        (model.n_outputs_,),
    ]
    got = [array.shape for array in weights]
    if got != expected:
        raise ValueError(
            f"weights of shapes {got} (W1, W2, b1, b2), but n_features_in_="
            f"{model.n_features_in_} and n_outputs_={model.n_outputs_} need {expected}"
        )
    if not all(np.isfinite(array).all() for array in weights):
        raise ValueError("the weights hold NaN or infinite values")


def _check_outputs(model):
    classes, n_outputs = model.classes_, model.n_outputs_
    if not (isinstance(classes, np.ndarray) and classes.ndim == 1):
        raise ValueError("classes_ is not a 1-D array")
    labels = classes.tolist()
    if not all(isinstance(label, (str, numbers.Number)) for label in labels):
        raise ValueError("classes_ holds labels that are not numbers or strings")
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"classes_ has {len(labels)} labels, or repeats one")
    activation = model.out_activation_
    if activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown out_activation_={_show(activation)}; expected one of "
            f"{sorted(OUTPUT_ACTIVATIONS)}"
        )
    multilabel = model._multilabel
    if multilabel is True:
        valid = activation == "logistic" and n_outputs == len(classes)
    elif multilabel is False:
        valid = (activation, n_outputs) == (
            ("logistic", 1) if len(classes) == 2 else ("softmax", len(classes))
        )
    else:
        raise ValueError(f"_multilabel={_show(multilabel)} is not a boolean")
    if not valid:
        kind = "multilabel" if multilabel else f"{len(classes)}-class"
        raise ValueError(
            f"out_activation_={activation!r} with n_outputs_={n_outputs} does not "
            f"fit a {kind} model with classes_ of length {len(classes)}"
        )


def _check_history(model):
    """The training record: counts, and losses and curves of plain numbers."""
    for key in ("n_iter_", "t_"):
        value = getattr(model, key, 0)
        if not (_is_int(value) and value >= 0):
            raise ValueError(f"{key}={_show(value)} is not a count")
    for key in ("loss_", "best_loss_", "best_validation_score_"):
        value = getattr(model, key, None)
        if not (value is None or _is_real(value)):
            raise ValueError(f"{key}={_show(value)} is not a number")
    for key in ("loss_curve_", "validation_scores_", "validation_loss_curve_"):
        value = getattr(model, key, None)
        if not (value is None or isinstance(value, list) and all(map(_is_real, value))):
            raise ValueError(f"{key} is not a list of numbers")
