"""Saving and loading: pickle, joblib and skops give bit-identical models.

The skops format loads without running arbitrary code: a fitted model's file
needs only this package's own type trusted, and a tampered or truncated file
raises a clear error.
"""

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import load_digits
from skops.io.exceptions import UntrustedTypesFoundException

from sklearn_tinynn import TwoLayerNNClassifier

# The complete list of types a fitted model's skops file asks the user to
# trust: the estimator itself. Everything else in its state is arrays,
# numbers, strings, lists, dicts and a NumPy RandomState, which skops trusts.
TRUSTED = ["sklearn_tinynn._classifier.TwoLayerNNClassifier"]

CONFIGS = {
    "binary float64": ({}, "binary", np.float64),
    "multiclass float32": ({}, "multiclass", np.float32),
    "multilabel": ({}, "multilabel", np.float64),
    "string labels": ({}, "strings", np.float64),
    "sgd early stopping": (
        {"solver": "sgd", "early_stopping": True, "learning_rate_init": 0.1},
        "multiclass",
        np.float64,
    ),
    "lbfgs balanced": (
        {"solver": "lbfgs", "class_weight": "balanced"},
        "binary",
        np.float32,
    ),
    "random state object": (
        {"random_state": np.random.RandomState(0), "class_weight": {0: 2.0}},
        "multiclass",
        np.float64,
    ),
}


def _data(kind, dtype):
    X, y = load_digits(return_X_y=True)
    X, y = (X[:200] / 16).astype(dtype), y[:200]
    if kind == "binary":
        y = y % 2
    elif kind == "multilabel":
        y = np.c_[y % 2, y > 4, y == 3].astype(int)
    elif kind == "strings":
        y = np.array(["zero", "one", "two", "three", "four"] * 2)[y]
    return X, y


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def fitted(request):
    params, kind, dtype = CONFIGS[request.param]
    X, y = _data(kind, dtype)
    clf = TwoLayerNNClassifier(16, **({"random_state": 0, "max_iter": 20} | params))
    return clf.fit(X, y), X, y


def assert_identical_predictions(loaded, clf, X):
    for method in ("predict", "predict_proba", "predict_log_proba"):
        want = getattr(clf, method)(X)
        got = getattr(loaded, method)(X)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def _pickle(clf, path):
    path.write_bytes(pickle.dumps(clf))
    return pickle.loads(path.read_bytes())


def _joblib(clf, path):
    joblib.dump(clf, path)
    return joblib.load(path)


def _skops(clf, path):
    sio.dump(clf, path)
    return sio.load(path, trusted=TRUSTED)


@pytest.mark.parametrize("round_trip", [_pickle, _joblib, _skops])
def test_round_trip_gives_bit_identical_predictions(fitted, round_trip, tmp_path):
    clf, X, _ = fitted
    loaded = round_trip(clf, tmp_path / "model")
    assert type(loaded) is TwoLayerNNClassifier
    assert_identical_predictions(loaded, clf, X)
    for want, got in zip(
        clf.coefs_ + clf.intercepts_, loaded.coefs_ + loaded.intercepts_
    ):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("round_trip", [_pickle, _joblib, _skops])
def test_loaded_model_trains_on_exactly_as_the_original(round_trip, tmp_path):
    """The optimizer state is saved too: partial_fit continues identically."""
    X, y = _data("multiclass", np.float64)
    clf = TwoLayerNNClassifier(16, random_state=0, max_iter=5).fit(X, y)
    loaded = round_trip(clf, tmp_path / "model")
    for model in (clf, loaded):
        model.partial_fit(X, y)
    assert_identical_predictions(loaded, clf, X)


def test_skops_file_needs_only_this_packages_type_trusted(fitted, tmp_path):
    clf, X, _ = fitted
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    assert sio.get_untrusted_types(file=path) == TRUSTED
    with pytest.raises(UntrustedTypesFoundException, match="TwoLayerNNClassifier"):
        sio.load(path)  # nothing is trusted by default


# ------------------------------------------------ tampered and truncated files


@pytest.fixture(scope="module")
def skops_bytes():
    X, y = _data("multiclass", np.float64)
    return sio.dumps(TwoLayerNNClassifier(8, random_state=0, max_iter=3).fit(X, y))


def _rewrite(data, edit_schema=None, edit_array=None):
    """A well-formed zip whose schema or first array was changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    arrays = sorted(n for n in source.namelist() if n.endswith(".npy"))
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "schema.json" and edit_schema is not None:
                schema = json.loads(content)
                edit_schema(schema)
                content = json.dumps(schema).encode()
            if name == arrays[0] and edit_array is not None:
                content = edit_array(content)
            target.writestr(name, content)
    return out.getvalue()


def _member_offset(data, name):
    """Where the stored bytes of zip member ``name`` start in ``data``."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    # Local file header: 30 fixed bytes, then the name and the extra field.
    name_len, extra_len = np.frombuffer(
        data[info.header_offset + 26 : info.header_offset + 30], "<u2"
    )
    return info.header_offset + 30 + int(name_len) + int(extra_len)


def _flip_byte_in(member=None):
    """Flip one stored byte of ``member`` (by default, the first array)."""

    def flip(data):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        name = member or sorted(n for n in names if n.endswith(".npy"))[0]
        position = _member_offset(data, name) + 10
        return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]

    return flip


def _top_type_to(module, cls):
    def edit(schema):
        schema["__module__"], schema["__class__"] = module, cls

    return edit


def _coefs_loader_to_object(schema):
    schema["content"]["content"]["coefs_"]["content"][0]["__loader__"] = "ObjectNode"


def _coefs_class_to(module, cls):
    def edit(schema):
        node = schema["content"]["content"]["coefs_"]["content"][0]
        node["__module__"], node["__class__"] = module, cls

    return edit


TAMPERED = {
    "byte flipped in an array": (
        _flip_byte_in(),
        zipfile.BadZipFile,
        "Bad CRC-32",
    ),
    "byte flipped in the schema": (
        _flip_byte_in("schema.json"),
        zipfile.BadZipFile,
        "Bad CRC-32 for file 'schema.json'",
    ),
    "truncated to half": (
        lambda data: data[: len(data) // 2],
        zipfile.BadZipFile,
        "not a zip file",
    ),
    "last bytes cut": (lambda data: data[:-10], zipfile.BadZipFile, "not a zip file"),
    "empty file": (lambda data: b"", zipfile.BadZipFile, "not a zip file"),
    "estimator swapped for subprocess.Popen": (
        lambda data: _rewrite(data, _top_type_to("subprocess", "Popen")),
        UntrustedTypesFoundException,
        r"subprocess\.Popen",
    ),
    "array swapped for builtins.eval": (
        lambda data: _rewrite(data, _coefs_class_to("builtins", "eval")),
        UntrustedTypesFoundException,
        r"builtins\.eval",
    ),
    "array loaded as an arbitrary object": (
        lambda data: _rewrite(data, _coefs_loader_to_object),
        UntrustedTypesFoundException,
        r"numpy\.ndarray",
    ),
    "array data truncated": (
        lambda data: _rewrite(data, edit_array=lambda content: content[:40]),
        ValueError,
        "EOF",
    ),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERED))
def test_tampered_or_truncated_skops_file_raises_a_clear_error(
    skops_bytes, tamper, tmp_path
):
    change, error, message = TAMPERED[tamper]
    path = tmp_path / "model.skops"
    path.write_bytes(change(skops_bytes))
    with pytest.raises(error, match=message):
        sio.load(path, trusted=TRUSTED)
