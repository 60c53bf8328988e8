"""Tests of sklearn_tinynn.onnx: the exported graph, run by onnxruntime, against
``predict`` and ``predict_proba`` of the model it came from.

Every configuration is fitted once (tiny data, a few L-BFGS iterations) by the
module-scoped ``fitted`` fixture and shared by the tests that need it.
"""

import copy
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import skops.io
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from sklearn_tinynn import TwoLayerNNClassifier, load, save
from sklearn_tinynn._cli import main

skl2onnx = pytest.importorskip("skl2onnx")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from skl2onnx.common.data_types import Int64TensorType  # noqa: E402

from sklearn_tinynn.onnx import register, to_onnx  # noqa: E402

# onnxruntime before 1.20 has no float64 kernel for ArgMax at opset 9 (version 1),
# and skl2onnx before 1.16 gives a LabelEncoder float64 input inside a converted
# ColumnTransformer, which onnxruntime refuses.
OLD_ORT = tuple(map(int, ort.__version__.split(".")[:2])) < (1, 20)
OLD_SKL2ONNX = tuple(map(int, skl2onnx.__version__.split(".")[:2])) < (1, 16)
ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "gelu", "silu"]
DTYPES = [np.float32, np.float64]
# Largest difference between onnxruntime's probabilities and predict_proba's.
ATOL = {np.float32: 1e-6, np.float64: 1e-12}

# The labels of each kind of target; bool only exists for binary targets.
LABELS = {
    "int": [0, 1, 2],
    "negative": [-7, -1, 4],
    "large": [10**10, 2 * 10**10, 3 * 10**10],
    "str": ["ant", "bee", "cat"],
}
BINARY_LABELS = {**{k: v[:2] for k, v in LABELS.items()}, "bool": [False, True]}


def make_data(n_classes, n_samples=60, seed=0):
    return make_classification(
        n_samples=n_samples,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )


def fit(X, y, **params):
    params = {"solver": "lbfgs", "max_iter": 15, "hidden_layer_size": 6, **params}
    return TwoLayerNNClassifier(random_state=0, **params).fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    """fitted(labels, dtype, activation): a model on labels of 2 or 3 classes."""
    cache = {}

    def get(labels, dtype=np.float32, activation="relu"):
        key = (tuple(labels), dtype, activation)
        if key not in cache:
            X, y = make_data(len(labels))
            X = X.astype(dtype)
            cache[key] = fit(X, np.asarray(labels)[y], activation=activation), X
        return cache[key]

    return get


def run(onx, X):
    """Every output of the ONNX model ``onx`` on X, by onnxruntime."""
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def assert_same_predictions(model, X, onx=None):
    """The ONNX labels equal predict's, its probabilities predict_proba's."""
    labels, proba = run(to_onnx(model, X) if onx is None else onx, X)
    expected = model.predict(X)
    assert_array_equal(labels, expected)
    is_text = expected.dtype.kind in "UO"
    assert labels.dtype == (object if is_text else np.int64)
    assert proba.dtype == X.dtype
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=ATOL[X.dtype.type])


# ------------------------------------------------------------------ parity


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(LABELS))
def test_multiclass_parity(fitted, kind, dtype, activation):
    assert_same_predictions(*fitted(LABELS[kind], dtype, activation))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(BINARY_LABELS))
def test_binary_parity(fitted, kind, dtype, activation):
    assert_same_predictions(*fitted(BINARY_LABELS[kind], dtype, activation))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_model_trained_with_dropout_exports_the_whole_network(dtype):
    """Dropout acts in training only: the graph is predict_proba's."""
    X, y = make_data(3)
    X = X.astype(dtype)
    assert_same_predictions(fit(X, y, solver="adam", dropout=0.5), X)
    assert_same_predictions(fit(X, y, solver="adam", input_dropout=0.3), X)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_parity(dtype):
    X, y = make_data(3)
    X = X.astype(dtype)
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    model = fit(X, Y)
    labels, proba = run(to_onnx(model, X), X)
    assert labels.dtype == np.int64 and labels.shape == Y.shape
    assert_array_equal(labels, model.predict(X))
    assert proba.dtype == dtype
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scaler", [StandardScaler, MinMaxScaler])
def test_pipeline_parity(scaler, dtype):
    X, y = make_data(3)
    X = (X * [1, 10, 100, 1000, 0.1] + 50).astype(dtype)
    pipeline = make_pipeline(
        scaler(), TwoLayerNNClassifier(solver="lbfgs", max_iter=15, random_state=0)
    ).fit(X, y)
    assert_same_predictions(pipeline, X)
    # skl2onnx's own entry point converts it as well, with its options.
    onx = skl2onnx.to_onnx(
        pipeline, X[:1], options={TwoLayerNNClassifier: {"zipmap": False}}
    )
    assert_same_predictions(pipeline, X, onx)


def test_grid_search_parity():
    X, y = make_data(3)
    X = X.astype(np.float32)
    search = GridSearchCV(
        TwoLayerNNClassifier(solver="lbfgs", max_iter=15, random_state=0),
        {"hidden_layer_size": [2, 4]},
        cv=2,
    ).fit(X, y)
    assert_same_predictions(search, X)
    assert_same_predictions(search.best_estimator_, X)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 2], "multilabel"])
def test_saturated_probabilities_are_clipped_like_predict_proba(labels, dtype):
    X, y = make_data(3)
    X = X.astype(dtype)
    if labels == "multilabel":
        y = np.column_stack([y == 0, y == 1])
    else:
        y = np.minimum(y, len(labels) - 1)
    model = fit(X, y, activation="relu")
    X_big = X * dtype(1000)
    expected = model.predict_proba(X_big)
    _, proba = run(to_onnx(model, X), X_big)
    eps = np.finfo(dtype).eps
    if labels != [0, 1, 2]:  # logistic outputs are clipped to [eps, 1 - eps]
        assert np.isin([eps, 1 - eps], expected).all()
        clipped = np.isin(expected, [eps, 1 - eps, 1 - (1 - eps)])
        assert_array_equal(proba[clipped], expected[clipped])
    assert_allclose(proba, expected, rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("labels", [[0, 1], ["no", "yes"]])
def test_binary_tie_gives_the_first_class(fitted, labels):
    model, X = fitted(labels)
    model = copy.deepcopy(model)
    model.coefs_[1][:] = 0
    model.intercepts_[1][:] = 0  # so p = 1 / (1 + exp(0)) = 0.5 exactly
    out_labels, proba = run(to_onnx(model, X), X)
    assert (proba == 0.5).all()
    assert_array_equal(model.predict(X), labels[0])
    assert_array_equal(out_labels, labels[0])


# ------------------------------------------------------------------ options


def test_zipmap_true_gives_a_dictionary_per_row(fitted):
    model, X = fitted(LABELS["str"])
    labels, rows = run(to_onnx(model, X, options={id(model): {"zipmap": True}}), X)
    assert_array_equal(labels, model.predict(X))
    assert list(rows[0]) == LABELS["str"]
    proba = np.array([list(row.values()) for row in rows])
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)


def test_zipmap_columns_gives_an_output_per_class(fitted):
    model, X = fitted(LABELS["large"])
    onx = to_onnx(model, X, options={TwoLayerNNClassifier: {"zipmap": "columns"}})
    names = [output.name for output in onx.graph.output]
    assert names == ["output_label"] + [f"i{label}" for label in LABELS["large"]]
    labels, *columns = run(onx, X)
    assert_array_equal(labels, model.predict(X))
    assert_allclose(np.column_stack(columns), model.predict_proba(X), atol=1e-6)


def test_skl2onnx_default_is_zipmap(fitted):
    model, X = fitted(BINARY_LABELS["bool"])
    labels, rows = run(skl2onnx.to_onnx(model, X[:1]), X)
    assert_array_equal(labels, model.predict(X))
    assert list(rows[0]) == [0, 1]


def test_output_class_labels(fitted):
    model, X = fitted(LABELS["negative"])
    options = {TwoLayerNNClassifier: {"output_class_labels": True}}
    labels, _proba, classes = run(to_onnx(model, X, options=options), X)
    assert_array_equal(classes, LABELS["negative"])
    assert_array_equal(labels, model.predict(X))


@pytest.mark.parametrize("kind", ["str", "large"])
def test_nocl_gives_class_indices(fitted, kind):
    model, X = fitted(LABELS[kind])
    options = {TwoLayerNNClassifier: {"nocl": True}}
    labels, _ = run(to_onnx(model, X, options=options), X)
    assert labels.dtype == np.int64
    assert_array_equal(labels, np.searchsorted(model.classes_, model.predict(X)))
    options[TwoLayerNNClassifier]["zipmap"] = True
    _, rows = run(to_onnx(model, X, options=options), X)
    assert list(rows[0]) == [0, 1, 2]


def test_unknown_option_is_refused(fitted):
    model, X = fitted(LABELS["int"])
    with pytest.raises(NameError, match="raw_scores"):
        to_onnx(model, X, options={TwoLayerNNClassifier: {"raw_scores": True}})


LATEST_OPSET = skl2onnx.get_latest_tested_opset_version()


@pytest.mark.parametrize("opset", [9, 11, 13, LATEST_OPSET])
@pytest.mark.parametrize("labels", [LABELS["str"], BINARY_LABELS["int"]])
def test_target_opsets(fitted, opset, labels):
    model, X = fitted(labels)
    onx = to_onnx(model, X, target_opset=opset)
    versions = {entry.domain: entry.version for entry in onx.opset_import}
    assert versions[""] <= opset  # skl2onnx may declare the lowest one needed
    onnx.checker.check_model(onx, full_check=True)
    assert_same_predictions(model, X, onx)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_activation_exports_at_opset_9(fitted, activation, dtype):
    if dtype == np.float64 and OLD_ORT:
        pytest.skip("onnxruntime < 1.20 runs ArgMax-1 on float32 only")
    model, X = fitted(LABELS["int"], dtype, activation)
    onx = to_onnx(model, X, target_opset=9)
    assert {entry.domain: entry.version for entry in onx.opset_import}[""] <= 9
    onnx.checker.check_model(onx, full_check=True)
    assert_same_predictions(model, X, onx)


def test_default_opset_is_at_most_the_latest_tested_by_skl2onnx(fitted):
    model, X = fitted(LABELS["int"])
    versions = {entry.domain: entry.version for entry in to_onnx(model, X).opset_import}
    assert 9 <= versions[""] <= LATEST_OPSET


@pytest.mark.parametrize("labels", [LABELS["str"], BINARY_LABELS["bool"], "multilabel"])
def test_check_model_full(fitted, labels):
    if labels == "multilabel":
        X, y = make_data(3)
        model = fit(X, np.column_stack([y == 0, y == 1]))
    else:
        model, X = fitted(labels)
    onnx.checker.check_model(to_onnx(model, X), full_check=True)


# ------------------------------------------------------------------ inputs


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_and_one_rows(fitted, dtype):
    model, X = fitted(LABELS["str"], dtype)
    onx = to_onnx(model, X)
    labels, proba = run(onx, X[:0])
    assert labels.shape == (0,) and proba.shape == (0, 3) and proba.dtype == dtype
    assert_same_predictions(model, X[:1], onx)


def test_wrong_number_of_features_raises_in_onnxruntime(fitted):
    model, X = fitted(LABELS["int"])
    with pytest.raises(Exception, match="invalid dimensions"):
        run(to_onnx(model, X), X[:, :-1])


def test_nan_gives_nan_probabilities(fitted):
    model, X = fitted(LABELS["int"])
    X = X.copy()
    X[0, 0] = np.nan
    _, proba = run(to_onnx(model, X), X)
    assert np.isnan(proba[0]).all() and np.isfinite(proba[1:]).all()
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(X)


def test_float64_input_for_a_float32_model(fitted):
    model, X = fitted(LABELS["int"], np.float32)
    assert_same_predictions(model, X.astype(np.float64))


def test_dataframe_input():
    X, y = make_data(3)
    X = pd.DataFrame(X.astype(np.float32), columns=list("abcde"))
    model = fit(X, y)
    onx = to_onnx(model, X)
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    labels, proba = run(onx, X.to_numpy())
    assert_array_equal(labels, model.predict(X))
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)


def test_integer_input_is_refused(fitted):
    model, _ = fitted(LABELS["int"])
    int_input = [("X", Int64TensorType([None, 5]))]
    with pytest.raises(TypeError, match="takes float or double input"):
        skl2onnx.to_onnx(model, initial_types=int_input)


def test_integer_valued_float_labels_become_int64():
    X, y = make_data(3)
    model = fit(X, y.astype(float) + 1)
    labels, _ = run(to_onnx(model, X), X)
    assert labels.dtype == np.int64
    assert_array_equal(labels, model.predict(X))


def test_fractional_labels_are_refused(fitted):
    model, X = fitted(LABELS["int"])
    model = copy.deepcopy(model)
    model.classes_ = model.classes_ + 0.5  # no classifier fits such labels
    with pytest.raises(ValueError, match=r"\[0.5, 1.5, 2.5\] cannot be ONNX labels"):
        to_onnx(model, X)


def test_inconsistent_fitted_attributes_are_refused(fitted):
    model = copy.deepcopy(fitted(LABELS["int"])[0])
    model.coefs_[1] = model.coefs_[1][:, :2]
    with pytest.raises(ValueError, match=r"weights of shapes .* need"):
        to_onnx(model, np.zeros((1, 5)))
    model = copy.deepcopy(fitted(LABELS["int"])[0])
    model.out_activation_ = "logistic"  # 3 outputs: only a multilabel model
    model.classes_ = np.array(LABELS["str"])  # whose classes are 0, 1, 2
    with pytest.raises(ValueError, match="out_activation_='logistic' with n_outputs_"):
        to_onnx(model, np.zeros((1, 5)))
    model = copy.deepcopy(fitted(BINARY_LABELS["int"])[0])
    model.out_activation_ = "softmax"
    with pytest.raises(ValueError, match="out_activation_='softmax' with n_outputs_"):
        to_onnx(model, np.zeros((1, 5)))


def test_unfitted_estimator_raises_not_fitted_error():
    X = np.zeros((1, 3), dtype=np.float32)
    with pytest.raises(NotFittedError):
        to_onnx(TwoLayerNNClassifier(), X)
    # skl2onnx's own ZipMap parser fails first, with its own error.
    options = {TwoLayerNNClassifier: {"zipmap": False}}
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(TwoLayerNNClassifier(), X, options=options)


# ------------------------------------------------------------------ registration


def run_python(code, cwd=None):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_unregistered_export_raises_missing_shape_calculator():
    output = run_python(
        """
        import numpy as np, skl2onnx, warnings
        from skl2onnx.common.exceptions import MissingShapeCalculator
        from sklearn_tinynn import TwoLayerNNClassifier
        warnings.simplefilter("ignore")
        X = np.eye(4, dtype=np.float32)
        clf = TwoLayerNNClassifier(solver="lbfgs", max_iter=2).fit(X, [0, 0, 1, 1])
        try:
            skl2onnx.to_onnx(clf, X)
        except MissingShapeCalculator:
            print("missing")
        import sklearn_tinynn.onnx
        print(type(skl2onnx.to_onnx(clf, X)).__name__)
        """
    )
    assert output.split() == ["missing", "ModelProto"]


def test_registering_twice_is_harmless(fitted):
    register()
    register()
    assert_same_predictions(*fitted(LABELS["str"]))


def test_package_imports_without_skl2onnx(saved_model, tmp_path):
    output = run_python(
        f"""
        import sys
        sys.modules["skl2onnx"] = None  # import skl2onnx raises ImportError
        import sklearn_tinynn, sklearn_tinynn._cli
        assert "sklearn_tinynn.onnx" not in sys.modules
        try:
            import sklearn_tinynn.onnx
        except ImportError as exc:
            print(exc)
        code = sklearn_tinynn._cli.main(
            ["export", "--model", {str(saved_model)!r}, "--output", "model.onnx"]
        )
        print("exit", code)
        """,
        cwd=tmp_path,
    )
    message = 'pip install "sklearn-tinynn[onnx]"'
    assert message in output and output.strip().endswith("exit 2")
    assert not (tmp_path / "model.onnx").exists()


# ------------------------------------------------------------------ command line


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, fitted):
    path = tmp_path_factory.mktemp("model") / "model.skops"
    skops.io.dump(fitted(LABELS["str"], np.float64)[0], path)
    return path


@pytest.mark.parametrize(
    "options, dtype, opset",
    [([], np.float32, None), (["--float64", "--target-opset", "11"], np.float64, 11)],
)
def test_export_command(saved_model, tmp_path, capsys, options, dtype, opset):
    output = tmp_path / "model.onnx"
    argv = ["export", "--model", str(saved_model), "--output", str(output)]
    assert main(argv + options) == 0
    assert f"input X {np.dtype(dtype).name} of shape (N, 5)" in capsys.readouterr().out
    assert [path.name for path in tmp_path.iterdir()] == ["model.onnx"]
    onx = onnx.load(output)
    versions = {entry.domain: entry.version for entry in onx.opset_import}
    assert opset is None or versions[""] <= opset
    model = skops.io.load(
        saved_model, trusted=["sklearn_tinynn._classifier.TwoLayerNNClassifier"]
    )
    assert_same_predictions(model, make_data(3)[0].astype(dtype), onx)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--target-opset", "8"], "--target-opset 8: expected an ONNX opset from 9"),
        (["--target-opset", "999"], "--target-opset 999: expected an ONNX opset"),
        (["--output", "missing/model.onnx"], "missing/model.onnx: no such directory"),
        (["--model", "missing.skops"], "missing.skops: no such model file"),
    ],
)
def test_export_errors(saved_model, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    default = ["export", "--model", str(saved_model), "--output", "model.onnx"]
    assert main(default + argv) == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and message in stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------- the sample X; Pipelines


@pytest.mark.parametrize("width", [4, 6, 1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_a_sample_x_of_the_wrong_width_is_refused(fitted, width, dtype):
    model, _ = fitted(LABELS["int"])
    X = np.zeros((2, width), dtype)
    with pytest.raises(
        ValueError,
        match=f"X has {width} features, but TwoLayerNNClassifier was fitted on 5",
    ):
        to_onnx(model, X)
    pipeline = make_pipeline(StandardScaler(), TwoLayerNNClassifier(max_iter=5))
    pipeline.fit(*make_data(2))
    with pytest.raises(ValueError, match=f"X has {width} features, but Pipeline"):
        to_onnx(pipeline, X)


PIPELINE_STEPS = {
    "StandardScaler, PCA": lambda: [StandardScaler(), PCA(4)],
    "MinMaxScaler, MaxAbsScaler, Normalizer": lambda: [
        MinMaxScaler(),
        MaxAbsScaler(),
        Normalizer(),
    ],
    "SimpleImputer, RobustScaler, VarianceThreshold": lambda: [
        SimpleImputer(),
        RobustScaler(),
        VarianceThreshold(0.01),
    ],
    "ColumnTransformer": lambda: [
        ColumnTransformer(
            [
                ("onehot", OneHotEncoder(handle_unknown="ignore"), [0]),
                ("ordinal", OrdinalEncoder(), [1]),
            ],
            remainder=StandardScaler(),
        )
    ],
}


def _categorical_data():
    X, y = make_data(3)
    X[:, :2] = np.round(X[:, :2])  # categories for the encoders
    return X, y


@pytest.mark.parametrize("steps", sorted(PIPELINE_STEPS))
def test_a_loaded_pipeline_exports(steps, tmp_path):
    if steps == "ColumnTransformer" and OLD_SKL2ONNX:
        pytest.skip("skl2onnx < 1.16 converts this ColumnTransformer wrongly")
    X, y = _categorical_data()
    # onnxruntime's Imputer takes float32 only; the others compute in float64.
    dtype = np.float32 if "SimpleImputer" in steps else np.float64
    X = X.astype(dtype)
    clf = TwoLayerNNClassifier(solver="lbfgs", max_iter=15, random_state=0)
    pipeline = make_pipeline(*PIPELINE_STEPS[steps](), clf).fit(X, y)
    path = tmp_path / "pipeline.skops"
    save(pipeline, path)
    loaded = load(path)
    labels, proba = run(to_onnx(loaded, X), X)
    assert_array_equal(labels, pipeline.predict(X))
    atol = {np.float32: 1e-5, np.float64: 1e-9}[dtype]
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=atol)


def test_export_command_takes_a_saved_pipeline(tmp_path, capsys):
    X, y = _categorical_data()
    X = X.astype(np.float32)
    clf = TwoLayerNNClassifier(solver="lbfgs", max_iter=15, random_state=0)
    pipeline = make_pipeline(*PIPELINE_STEPS["ColumnTransformer"](), clf).fit(X, y)
    path, output = tmp_path / "pipeline.skops", tmp_path / "pipeline.onnx"
    save(pipeline, path)
    assert main(["export", "--model", str(path), "--output", str(output)]) == 0
    assert "input X float32 of shape (N, 5)" in capsys.readouterr().out
    labels, proba = run(onnx.load(output), X)
    assert_array_equal(labels, pipeline.predict(X))
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=1e-5)
