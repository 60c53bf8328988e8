"""Saving and loading: pickle, joblib and skops give bit-identical models.

The skops format loads without running arbitrary code: a fitted model's file
needs only this package's own type trusted, and a tampered or truncated file
raises a clear error.
"""

import copy
import io
import json
import pickle
import re
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import sklearn
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from skops.io.exceptions import UntrustedTypesFoundException

from sklearn_tinynn import TwoLayerNNClassifier, load, save
from sklearn_tinynn._cli import main

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
    "gelu he": ({"activation": "gelu", "init": "he"}, "multiclass", np.float64),
    "silu float32": ({"activation": "silu"}, "binary", np.float32),
    "leaky_relu": ({"activation": "leaky_relu"}, "multilabel", np.float64),
    "dropout float32": ({"dropout": 0.3}, "multiclass", np.float32),
    "input dropout": ({"input_dropout": 0.2}, "binary", np.float64),
    "cosine warm-up": (
        {"learning_rate": "cosine", "warmup_iter": 3},
        "multiclass",
        np.float64,
    ),
    "sgd plateau": (
        {"solver": "sgd", "learning_rate": "plateau", "learning_rate_init": 0.1},
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


def _save_and_load(clf, path):
    """The package's own save and load, with the loader's checks."""
    save(clf, path.with_suffix(".skops"))
    return load(path.with_suffix(".skops"))


@pytest.mark.parametrize("round_trip", [_pickle, _joblib, _skops, _save_and_load])
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


@pytest.mark.parametrize("round_trip", [_skops, _save_and_load])
@pytest.mark.parametrize("schedule", ["cosine", "plateau"])
def test_a_loaded_schedule_goes_on_exactly(round_trip, schedule, tmp_path):
    """The schedule's position is saved: partial_fit continues the cycle."""
    X, y = _data("multiclass", np.float64)
    params = dict(learning_rate=schedule, warmup_iter=2, max_iter=3, random_state=0)
    clf = TwoLayerNNClassifier(16, **params)
    for _ in range(2):
        clf.partial_fit(X, y, classes=range(10))
    loaded = round_trip(clf, tmp_path / "model")
    assert loaded._optimizer_state["epoch"] == 2
    for _ in range(3):  # past the end of the cosine cycle: a warm restart
        for model in (clf, loaded):
            model.partial_fit(X, y)
    assert loaded._optimizer_state["epoch"] == (5 if schedule == "plateau" else 2)
    assert_identical_predictions(loaded, clf, X)
    assert loaded.loss_curve_ == clf.loss_curve_


def test_skops_file_needs_only_this_packages_type_trusted(fitted, tmp_path):
    clf, _X, _ = fitted
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


# ------------------------------------------------------------- Pipelines


def _digits():
    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16).astype(np.float32), y[:300]


def _with_holes(X):
    X = X.astype(np.float64)
    X[::7, 5] = np.nan
    return X


PIPELINES = {
    "StandardScaler": ([StandardScaler()], None),
    "StandardScaler without mean": ([StandardScaler(with_mean=False)], None),
    "MinMaxScaler, MaxAbsScaler": ([MinMaxScaler(), MaxAbsScaler()], None),
    "RobustScaler without centering": ([RobustScaler(with_centering=False)], None),
    "Normalizer": ([Normalizer(norm="l1")], None),
    "SimpleImputer, VarianceThreshold": (
        [SimpleImputer(strategy="median"), VarianceThreshold(0.01)],
        _with_holes,
    ),
    "PCA whitened": ([PCA(12, whiten=True, random_state=0)], None),
    "ColumnTransformer of encoders": (
        [
            ColumnTransformer(
                [
                    ("onehot", OneHotEncoder(handle_unknown="ignore"), [2, 3]),
                    ("ordinal", OrdinalEncoder(), slice(4, 6)),
                    ("dropped", "drop", [0]),
                    ("kept", "passthrough", [1]),
                ],
                remainder=StandardScaler(),
            ),
            PCA(20),
        ],
        None,
    ),
}


def _pipeline(case, classifier=None):
    steps, prepare = PIPELINES[case]
    X, y = _digits()
    if prepare is not None:
        X = prepare(X)
    clf = classifier or TwoLayerNNClassifier(8, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(*copy.deepcopy(steps), clf).fit(X, y), X


@pytest.mark.parametrize("case", sorted(PIPELINES))
def test_a_pipeline_saves_and_loads_with_identical_predictions(case, tmp_path):
    pipe, X = _pipeline(case)
    path = tmp_path / "pipe.skops"
    save(pipe, path)
    loaded = load(path)
    assert type(loaded) is Pipeline
    assert [type(s) for _, s in loaded.steps] == [type(s) for _, s in pipe.steps]
    assert_identical_predictions(loaded, pipe, X)
    # The file needs no type trusted beyond the allow-list.
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted <= {"numpy.dtype", *TRUSTED}


# scikit-learn < 1.7 keeps a remainder's columns in its private _RemainderColsList,
# which the loader does not trust: such a file is refused (one line) there.
@pytest.mark.skipif(
    tuple(map(int, sklearn.__version__.split(".")[:2])) < (1, 7),
    reason="scikit-learn < 1.7 stores the remainder in a type the loader refuses",
)
def test_a_dataframe_pipeline_with_named_and_text_columns(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _digits()
    frame = pd.DataFrame(X[:, :6], columns=[f"px{i}" for i in range(6)])
    frame["shade"] = np.array(["dark", "light", "mid"])[y % 3]
    columns = ColumnTransformer(
        [
            ("text", OneHotEncoder(), ["shade"]),
            ("scaled", MinMaxScaler(), ["px0", "px1", "px2"]),
        ],
        remainder="passthrough",
    )
    pipe = make_pipeline(columns, TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5))
    pipe.fit(frame, y)
    path = tmp_path / "frame.skops"
    save(pipe, path)
    assert_identical_predictions(load(path), pipe, frame)


class Doubler(TransformerMixin, BaseEstimator):
    """A transformer of the user's own: code that the loader cannot trust."""

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return X * 2


CODE_STEPS = {
    "FunctionTransformer": (
        lambda: FunctionTransformer(np.log1p),
        "FunctionTransformer",
        r"numpy\..*log1p",
    ),
    "FunctionTransformer without a function": (
        FunctionTransformer,
        r"'functiontransformer' \(FunctionTransformer\): not one of the trusted",
        r"'functiontransformer' \(FunctionTransformer\): not one of the trusted",
    ),
    "a class of the user's": (Doubler, "Doubler", r"Doubler \(ObjectNode\)"),
    "FunctionTransformer in a ColumnTransformer": (
        lambda: ColumnTransformer([("log", FunctionTransformer(np.sqrt), [0, 1])]),
        "FunctionTransformer other than scikit-learn's passthrough",
        r"numpy\..*sqrt",
    ),
}


@pytest.mark.parametrize("case", sorted(CODE_STEPS))
def test_a_step_with_code_is_refused_by_name(case, tmp_path, capsys):
    make_step, on_save, on_load = CODE_STEPS[case]
    X, y = _digits()
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=3, random_state=0)
    pipe = make_pipeline(make_step(), clf).fit(X, y)
    path = tmp_path / "code.skops"
    with pytest.raises(ValueError, match=f"inconsistent model: .*{on_save}"):
        save(pipe, path)
    assert not path.exists()
    sio.dump(pipe, path)  # what plain skops writes, to load at one's own risk
    with pytest.raises(ValueError, match=f"code.skops: .*{on_load}"):
        load(path)
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert re.search(on_load, lines[0])


def _set(step, **values):
    def edit(pipe):
        target = pipe.steps[step][1] if isinstance(step, int) else step(pipe)
        for key, value in values.items():
            setattr(target, key, value(target) if callable(value) else value)

    return edit


TAMPERED_PIPELINES = {
    "scaler mean_ too short": (
        "StandardScaler",
        _set(0, mean_=lambda s: s.mean_[:10]),
        r"step 'standardscaler' \(StandardScaler\): mean_ is not an array of 64",
    ),
    "scaler mean_ removed though with_mean": (
        "StandardScaler",
        _set(0, mean_=None),
        "mean_ is not an array of 64",
    ),
    "PCA components_ of another width": (
        "PCA whitened",
        _set(0, components_=lambda s: s.components_[:, :30]),
        r"components_ is not an array of shape \(12, 64\)",
    ),
    "a selector gives fewer than the classifier takes": (
        "SimpleImputer, VarianceThreshold",
        _set(1, threshold=0.2),
        r"takes n_features_in_=\d+, but the steps before it give \d+ features",
    ),
    "a step takes another width than the one before gives": (
        "MinMaxScaler, MaxAbsScaler",
        _set(1, n_features_in_=63),
        "takes n_features_in_=63, but the step before it gives 64",
    ),
    "a column out of range": (
        "ColumnTransformer of encoders",
        _set(
            lambda p: p.steps[0][1],
            transformers_=lambda c: [("kept", "passthrough", [99]), *c.transformers_],
        ),
        "index 99 is out of bounds",
    ),
    "unsorted categories": (
        "ColumnTransformer of encoders",
        _set(
            lambda p: p.steps[0][1].named_transformers_["onehot"],
            categories_=lambda e: [e.categories_[0][::-1], e.categories_[1]],
        ),
        r"categories_\[0\] is not sorted and unique",
    ),
    "a pipeline without a classifier": (
        "StandardScaler",
        lambda pipe: pipe.steps.pop(),
        "a StandardScaler, not a TwoLayerNNClassifier",
    ),
    "a passthrough step": (
        "StandardScaler",
        lambda pipe: pipe.steps.insert(0, ("nothing", "passthrough")),
        "not one of the trusted steps",
    ),
    "a cache directory": (
        "StandardScaler",
        _set(lambda p: p, memory="/tmp/cache"),
        "memory is set",
    ),
    "two steps of one name": (
        "MinMaxScaler, MaxAbsScaler",
        lambda pipe: pipe.steps.__setitem__(1, ("minmaxscaler", pipe.steps[1][1])),
        "are not distinct strings",
    ),
    "unsorted classes in the last step": (
        "StandardScaler",
        _set(-1, classes_=lambda c: c.classes_[::-1].copy()),
        r"step 'twolayernnclassifier': classes_ .* is not sorted",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERED_PIPELINES))
def test_an_inconsistent_pipeline_is_refused_with_one_line(case, tmp_path, capsys):
    base, edit, message = TAMPERED_PIPELINES[case]
    pipe, _ = _pipeline(base)
    edit(pipe)
    path = tmp_path / "tampered.skops"
    sio.dump(pipe, path)
    with pytest.raises(
        ValueError, match=f"tampered.skops: inconsistent model: .*{message}"
    ):
        load(path)
    with pytest.raises(ValueError, match=message):
        save(pipe, tmp_path / "again.skops")
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory):
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(16, solver="lbfgs", max_iter=60, random_state=0)
    pipe = make_pipeline(StandardScaler(), PCA(30, random_state=0), clf)
    pipe.fit((X / 16).astype(np.float32), y)
    path = tmp_path_factory.mktemp("pipeline") / "pipe.skops"
    save(pipe, path)
    return pipe, path


def test_evaluate_and_predict_take_a_saved_pipeline(saved_pipeline, tmp_path, capsys):
    pipe, path = saved_pipeline
    assert main(["evaluate", "--model", str(path), "--test", "digits"]) == 0
    out = capsys.readouterr().out
    X, y = load_digits(return_X_y=True)
    accuracy = np.mean(pipe.predict((X / 16).astype(np.float32)) == y)
    assert f"accuracy: {accuracy:.4f} on 1797 images of digits" in out

    pixels = tmp_path / "pixels.csv"
    np.savetxt(pixels, (X[:40] * 15).astype(int), fmt="%d", delimiter=",")
    labels = tmp_path / "labels.csv"
    argv = ["predict", "--model", str(path), "--input", str(pixels)]
    assert main([*argv, "--output", str(labels)]) == 0
    got = np.loadtxt(labels, skiprows=1, dtype=int)
    want = pipe.predict(((X[:40] * 15).astype(int) / 255).astype(np.float32))
    np.testing.assert_array_equal(got, want)
