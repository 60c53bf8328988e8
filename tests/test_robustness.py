"""Bad input never corrupts a model.

Property-based fuzzing (hypothesis) of every public call over shapes, dtypes,
NaN/inf, extreme magnitudes, label sets, sample weights and parameter values;
failed calls that leave a fitted model exactly as it was; divergence; and
KeyboardInterrupt during training.

The contract checked on every generated case: a call either works with finite
outputs (probabilities in [0, 1], softmax rows summing to 1, labels among
``classes_``) or raises ValueError/TypeError with a message from
``KNOWN_ERRORS``, each of which names the bad input. Any other exception
(IndexError, ZeroDivisionError, OverflowError, KeyError...), any RuntimeWarning
from the math, or a changed input array fails the test.
"""

import copy
import re
import warnings

import numpy as np
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from sklearn_tinynn import TwoLayerNNClassifier, _network

# Every message a failed call may carry. Each names the bad input or value.
KNOWN_ERRORS = [
    r"Found array with 0 sample\(s\)",
    r"Found array with 0 feature\(s\)",
    r"Expected 2D array, got 1D array",
    r"Found array with dim \d",
    r"Complex data not supported",
    r"could not convert string to float",
    r"Input( X| y| sample_weight)? contains (NaN|infinity)",
    r"Unknown label type",
    r"Mix of label input types",
    r"(y|classes) mixes labels of types .* which cannot be sorted",
    r"needs samples of at least 2 classes",
    r"y contains labels .* that are not in classes",
    r"inconsistent numbers of samples",
    r"X has \d+ features, but TwoLayerNNClassifier is expecting \d+",
    r"Negative values in data passed to `sample_weight`",
    r"Sample weights must contain at least one non-zero number",
    r"sample_weight\.shape == .*, expected",
    r"sample_weight \(times class_weight\) sums to (inf|nan)",
    r"The sample and class weights leave fewer than 2 classes",
    r"training diverged\. Lower learning_rate_init .* scale the input features",
    r"The network's outputs are not finite .* activations overflow",
    r"The validation set has \d+ sample\(s\) with validation_fraction",
    r"The sample weights of the training or the validation set are all zero",
    r"The test_size = \d+ should be greater or equal to the number of classes",
    r"The '\w+' parameter of TwoLayerNNClassifier must be",
    r"warm_start can only be used where `y` has the same classes",
    r"partial_fit does not support early_stopping=True",
    r"class_weight=.* is not supported for multilabel targets",
    r"class_weight has labels .* that are not classes of y",
    r"class_weight values must be finite non-negative numbers",
    r"classes must be passed on the first call to partial_fit",
    r"`classes=.*` is not the same as on last call to partial_fit",
    r"y has shape .* but this model was fitted on (\d+ labels|one label per sample)",
    r"A multilabel y must be an indicator matrix of 0s and 1s",
]


def check_call(method, *args, **kwargs):
    """Call; return ``(result, None)`` or ``(None, error)`` for a known error.

    Fails on any other exception, an unknown message, or a warning that is not
    a UserWarning (ConvergenceWarning, DataConversionWarning and the
    batch-size warning are UserWarnings; a RuntimeWarning from the math is not).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = method(*args, **kwargs), None
        except (ValueError, TypeError) as exc:
            result, error = None, exc
    unexpected = [w for w in caught if not issubclass(w.category, UserWarning)]
    assert not unexpected, [str(w.message) for w in unexpected]
    if error is not None:
        message = str(error)
        assert any(re.search(p, message, re.DOTALL) for p in KNOWN_ERRORS), message
        event(f"{method.__name__}: {type(error).__name__}")
    return result, error


def assert_same(before, after):
    """Deep, bit-exact equality of nested arrays, lists, dicts and scalars."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray)
        assert before.dtype == after.dtype and before.shape == after.shape
        if before.dtype == object:
            assert_same(before.tolist(), after.tolist())
        else:
            np.testing.assert_array_equal(after, before)
    elif isinstance(before, (list, tuple)):
        assert type(before) is type(after) and len(before) == len(after)
        for b, a in zip(before, after):
            assert_same(b, a)
    elif isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            assert_same(before[key], after[key])
    elif isinstance(before, np.random.RandomState):
        assert_same(before.get_state(legacy=False), after.get_state(legacy=False))
    else:
        assert before == after or (before != before and after != after)


def check_outputs(clf, X, y):
    """Every prediction call on a fitted model: valid output or a known error."""
    proba, error = check_call(clf.predict_proba, X)
    if error is not None:
        return
    n_samples = proba.shape[0]
    assert proba.shape == (n_samples, len(clf.classes_))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    if not clf._multilabel:
        tol = 1e-5 if proba.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=0, atol=tol)
    log_proba, _ = check_call(clf.predict_log_proba, X)
    assert not np.isnan(log_proba).any() and (log_proba <= 0).all()
    with np.errstate(divide="ignore"):  # log(0) = -inf is the exact answer
        np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-6)
    labels, _ = check_call(clf.predict, X)
    assert len(labels) == n_samples
    if not clf._multilabel:
        assert np.isin(labels, clf.classes_).all()
    if y is not None:
        score, _ = check_call(clf.score, X, y)
        assert score is None or 0 <= score <= 1


# ----------------------------------------------------------------- strategies
# Each strategy draws a valid value most of the time and a bad one otherwise,
# so that most examples reach training and prediction.


def mostly(draw, good, bad, one_in=4):
    """Draw from ``good``, or from ``bad`` about once in ``one_in`` draws."""
    if draw(st.integers(1, one_in)) == one_in:
        return draw(st.sampled_from(bad))
    return draw(st.sampled_from(good))


DTYPES = ["float64", "float32"]
ODD_DTYPES = ["float16", "int64", "int8", "uint8", "bool", "object", "complex128"]
MAGNITUDES = [1.0, 1e-3, 255.0]
EXTREME_MAGNITUDES = [0.0, 1e-300, 1e-30, 1e30, 1e150, 1e300]


@st.composite
def feature_arrays(draw, n_samples, n_features=None):
    """X of any dtype and magnitude, maybe NaN/inf, constant columns, 1-D or 3-D."""
    n_features = draw(st.integers(1, 4)) if n_features is None else n_features
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.standard_normal((n_samples, n_features))
    X *= mostly(draw, MAGNITUDES, EXTREME_MAGNITUDES)
    if n_samples and draw(st.integers(1, 4)) == 4:
        X[:, draw(st.integers(0, n_features - 1))] = draw(st.sampled_from([0, 7]))
    if n_samples and draw(st.integers(1, 10)) == 10:
        X.flat[draw(st.integers(0, X.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    dtype = mostly(draw, DTYPES, ODD_DTYPES, one_in=3)
    with np.errstate(over="ignore", invalid="ignore"):  # e.g. 1e300 as float16
        if dtype == "object" and n_samples and draw(st.booleans()):
            X = X.astype(object)
            X.flat[0] = "a"
        elif dtype == "complex128":
            X = X + 1j
        else:
            X = X.astype(dtype)
    shape = mostly(draw, ["2d"], ["1d", "3d"], one_in=10)
    if shape == "1d":
        return X[:, 0]
    return X[..., np.newaxis] if shape == "3d" else X


LABEL_SETS = [[0, 1], [0, 1, 2], [-1, 1], [3, 10, 7, 5], ["a", "b", "c"], [True, False]]
BAD_LABEL_SETS = [[0], ["spam"], [0.5, 1.5, 2.25], [1, "a"], [0, np.nan], [None, 1]]


@st.composite
def targets(draw, n_samples):
    """y as labels from a label set (maybe mixed types), or a multilabel matrix."""
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    if draw(st.integers(1, 5)) == 5:
        values = mostly(draw, [(0, 1)], [(0, 2), (0, 99)], one_in=5)
        return rng.choice(values, (n_samples, draw(st.integers(1, 3))))
    labels = mostly(draw, LABEL_SETS, BAD_LABEL_SETS)
    y = [labels[i] for i in rng.randint(len(labels), size=n_samples)]
    mixed = len({type(v) for v in labels}) > 1
    return np.array(y, dtype=object if mixed else None)


GOOD_WEIGHTS = [None, "uniform", "zero first half"]
BAD_WEIGHTS = ["all zero", "negative", "nan", "huge", "tiny", "wrong length"]


def make_sample_weight(kind, n_samples, rng):
    """Sample weights of the named kind; 'zero first half' zeroes whole batches."""
    half = n_samples // 2
    weights = {
        None: None,
        "uniform": rng.uniform(0, 3, n_samples),
        "zero first half": np.r_[np.zeros(half), np.ones(n_samples - half)],
        "all zero": np.zeros(n_samples),
        "negative": -rng.uniform(0, 1, n_samples),
        "nan": np.full(n_samples, np.nan),
        "huge": np.full(n_samples, 1e308),
        "tiny": np.full(n_samples, 1e-310),
        "wrong length": np.ones(n_samples + 1),
    }
    return weights[kind]


VALID_PARAMS = st.fixed_dictionaries(
    {
        "hidden_layer_size": st.integers(1, 6),
        "activation": st.sampled_from(["relu", "tanh", "logistic", "identity"]),
        "solver": st.sampled_from(["adam", "sgd", "gd", "lbfgs"]),
        "max_iter": st.integers(1, 4),
        "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0, 1e4]),
        "learning_rate": st.sampled_from(["constant", "invscaling", "adaptive"]),
        "alpha": st.sampled_from([1e-4, 0.0, 1.0, 1e300]),
        "batch_size": st.sampled_from(["auto", 1, 3, 1000]),
        "early_stopping": st.booleans(),
        "validation_fraction": st.sampled_from([0.1, 0.5]),
        "class_weight": st.sampled_from([None, None, "balanced", {0: 2.0}, {0: -1}]),
        "n_iter_no_change": st.sampled_from([10, 1]),
        "random_state": st.integers(0, 3),
    }
)
INVALID_PARAMS = [
    ("hidden_layer_size", 0),
    ("hidden_layer_size", 2.5),
    ("hidden_layer_size", "10"),
    ("activation", "softmax"),
    ("solver", "newton"),
    ("alpha", -1.0),
    ("alpha", np.nan),
    ("learning_rate_init", 0.0),
    ("learning_rate_init", np.inf),
    ("batch_size", 0),
    ("max_iter", 0),
    ("momentum", 1.5),
    ("beta_2", 1.0),
    ("validation_fraction", 1.0),
    ("class_weight", "auto"),
    ("epsilon", 0.0),
]


@st.composite
def estimators(draw):
    """An estimator with valid parameters, or now and then one invalid one."""
    params = draw(VALID_PARAMS)
    if draw(st.integers(1, 8)) == 8:
        name, value = draw(st.sampled_from(INVALID_PARAMS))
        params[name] = value
    return TwoLayerNNClassifier(**params)


@st.composite
def training_cases(draw):
    """(X, y, sample_weight), each valid or bad; sometimes of different lengths."""
    n_samples = mostly(draw, list(range(6, 31)), [0, 1, 2], one_in=10)
    X = draw(feature_arrays(n_samples))
    y = draw(targets(max(0, n_samples + mostly(draw, [0], [1, -1], one_in=15))))
    weights = mostly(draw, GOOD_WEIGHTS, BAD_WEIGHTS)
    event(f"sample_weight: {weights}")
    rng = np.random.RandomState(draw(st.integers(0, 9)))
    return X, y, make_sample_weight(weights, n_samples, rng)


def copies(*arrays):
    return [copy.deepcopy(a) for a in arrays]


# ------------------------------------------------------------ fuzzing tests


@given(clf=estimators(), case=training_cases(), X_new=st.data())
def test_fuzzed_fit_and_predict(clf, case, X_new):
    X, y, sample_weight = case
    originals = copies(X, y, sample_weight)
    note(f"{clf!r}, X {getattr(X, 'dtype', None)} {np.shape(X)}, y {np.shape(y)}")
    fitted, error = check_call(clf.fit, X, y, sample_weight=sample_weight)
    for before, after in zip(originals, (X, y, sample_weight)):
        assert_same(before, after)  # inputs are never modified
    if error is not None:
        with pytest.raises(NotFittedError):  # a failed first fit leaves no model
            clf.predict(np.zeros((1, 1)))
        return
    event("fit succeeded")
    assert all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_)
    check_outputs(clf, X, y)
    other = X_new.draw(
        feature_arrays(X_new.draw(st.integers(0, 5)), n_features=clf.n_features_in_)
    )
    before = copy.deepcopy(other)
    check_outputs(clf, other, None)
    assert_same(before, other)


@given(
    case=training_cases(),
    classes=st.sampled_from(
        [None, [0, 1, 2], ["a", "b"], [0, 0, 1], np.array([0, "a"], dtype=object)]
    ),
)
def test_fuzzed_partial_fit(case, classes):
    X, y, sample_weight = case
    clf = TwoLayerNNClassifier(4, random_state=0, batch_size=3)
    originals = copies(X, y, sample_weight, classes)
    for _ in range(2):
        fitted, error = check_call(
            clf.partial_fit, X, y, classes=classes, sample_weight=sample_weight
        )
    for before, after in zip(originals, (X, y, sample_weight, classes)):
        assert_same(before, after)
    if hasattr(clf, "coefs_"):
        event("partial_fit succeeded")
        assert all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_)
        check_outputs(clf, X, None)


# --------------------------------------------- failed calls keep the model


def _digits(n=120):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


FITTED_CONFIGS = {
    "adam multiclass": (dict(), None),
    "sgd binary": (dict(solver="sgd", learning_rate_init=0.1), "binary"),
    "lbfgs multiclass": (dict(solver="lbfgs", max_iter=20), None),
    "early stopping": (dict(early_stopping=True, validation_fraction=0.3), None),
    "multilabel": (dict(), "multilabel"),
    "float32 balanced": (dict(class_weight="balanced"), "float32"),
}


def fitted_model(name):
    params, kind = FITTED_CONFIGS[name]
    X, y = _digits()
    if kind == "binary":
        y = y % 2
    elif kind == "multilabel":
        y = np.c_[y % 2, y > 4, y == 3].astype(int)
    elif kind == "float32":
        X = X.astype(np.float32)
    clf = TwoLayerNNClassifier(8, **(dict(random_state=0, max_iter=15) | params))
    return clf.fit(X, y), X, y


@pytest.fixture(scope="module", params=sorted(FITTED_CONFIGS))
def fitted(request):
    return fitted_model(request.param)


def snapshot(clf, X):
    return copy.deepcopy(vars(clf)), clf.predict_proba(X), clf.predict(X)


def assert_unchanged(clf, X, snap):
    state, proba, labels = snap
    assert_same(state, vars(clf))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.predict(X), labels)


@given(
    case=training_cases(),
    method=st.sampled_from(["fit", "partial_fit"]),
    warm_start=st.booleans(),
)
def test_failed_fit_or_partial_fit_keeps_the_model(fitted, case, method, warm_start):
    """Whatever input makes fit or partial_fit fail, the model is as it was."""
    clf, X_train, _ = fitted
    clf = copy.deepcopy(clf).set_params(warm_start=warm_start)
    snap = snapshot(clf, X_train)
    X, y, sample_weight = case
    if method == "partial_fit" and clf.solver == "lbfgs":
        return
    _, error = check_call(getattr(clf, method), X, y, sample_weight=sample_weight)
    if error is not None:
        assert_unchanged(clf, X_train, snap)


BAD_CALLS = {
    "NaN in X": lambda X, y: (np.where(X == X.max(), np.nan, X), y, {}),
    "inf in X": lambda X, y: (X + np.inf, y, {}),
    "wrong number of features": lambda X, y: (X[:, :5], y, {}),
    "string X": lambda X, y: (np.where(X > 0.5, "high", X).astype(object), y, {}),
    "complex X": lambda X, y: (X + 1j, y, {}),
    "1-D X": lambda X, y: (X[:, 0], y, {}),
    "empty X": lambda X, y: (X[:0], y[:0], {}),
    "unseen label": lambda X, y: (X, np.where(y == y.max(), 99, y), {}),
    "more labels": lambda X, y: (X, np.c_[y, y], {}),
    "string labels": lambda X, y: (X, y.astype(str), {}),
    "continuous y": lambda X, y: (X, y + 0.5, {}),
    "NaN in y": lambda X, y: (X, np.where(y == y.max(), np.nan, y), {}),
    "y too short": lambda X, y: (X, y[:-1], {}),
    "negative weights": lambda X, y: (X, y, {"sample_weight": -np.ones(len(y))}),
    "NaN weights": lambda X, y: (X, y, {"sample_weight": np.full(len(y), np.nan)}),
    "all-zero weights": lambda X, y: (X, y, {"sample_weight": np.zeros(len(y))}),
    "overflowing weights": lambda X, y: (
        X,
        y,
        {"sample_weight": np.full(len(y), 1e308)},
    ),
}


@pytest.mark.parametrize("bad", sorted(BAD_CALLS))
@pytest.mark.parametrize("config", ["adam multiclass", "sgd binary", "multilabel"])
def test_bad_partial_fit_and_warm_fit_keep_the_model(config, bad):
    clf, X, y = fitted_model(config)
    clf.set_params(warm_start=True, solver="sgd", learning_rate_init=1.0)
    snap = snapshot(clf, X)
    X_bad, y_bad, kwargs = BAD_CALLS[bad](X, y)
    for method in (clf.partial_fit, clf.fit):
        with pytest.raises((ValueError, TypeError)) as info:
            method(X_bad, y_bad, **kwargs)
        assert any(re.search(p, str(info.value), re.DOTALL) for p in KNOWN_ERRORS)
        assert_unchanged(clf, X, snap)


def test_early_stopping_on_a_zero_weight_validation_set_says_so():
    """Found by hypothesis: np.average raised ZeroDivisionError in scoring."""
    X = np.array([[1.76], [0.4], [0.98], [2.24], [1.87], [-0.98]])
    clf = TwoLayerNNClassifier(8, early_stopping=True, validation_fraction=0.3)
    with pytest.raises(ValueError, match="validation set are all zero"):
        clf.set_params(random_state=0).fit(
            X, [0, 1, 1, 0, 1, 1], sample_weight=[0, 0, 0, 1, 1, 1]
        )


def test_failed_call_keeps_the_users_parameter_objects():
    """The restored state holds the very RandomState and dict the user gave."""
    X, y = _digits()
    rng, weights = np.random.RandomState(0), {0: 2.0}
    clf = TwoLayerNNClassifier(8, random_state=rng, class_weight=weights, max_iter=3)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="contains NaN"):
        clf.partial_fit(X * np.nan, y)
    assert clf.random_state is rng and clf.class_weight is weights
    assert clf._random_state is rng


def test_diverging_warm_start_restores_the_previous_weights():
    """A fit that diverges mid-training (weights already changed) is undone."""
    X, y = _digits()
    clf = TwoLayerNNClassifier(8, random_state=0, max_iter=5).fit(X, y)
    clf.set_params(warm_start=True, solver="sgd", learning_rate_init=1e300)
    snap = snapshot(clf, X)
    with pytest.raises(ValueError, match=r"diverged.*learning_rate_init \(now 1e\+300"):
        clf.fit(X, y)
    assert_unchanged(clf, X, snap)


# ----------------------------------------------------------------- divergence


def fit_or_error(clf, X, y):
    """Fit; return None, or the message of the ValueError it raised."""
    try:
        clf.fit(X, y)
    except ValueError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    "params",
    [
        dict(learning_rate_init=1e4),
        dict(solver="sgd", learning_rate_init=1e4),
        dict(solver="sgd", learning_rate_init=1e4, momentum=0.0),
        dict(solver="gd", learning_rate_init=1e4),
        dict(solver="sgd", learning_rate_init=1.0, activation="identity"),
        dict(solver="sgd", learning_rate_init=1e300),
        dict(solver="lbfgs", alpha=1e300),
    ],
    ids=repr,
)
def test_divergence_is_a_clear_error_or_a_finite_model(params):
    """Unscaled 0-255 pixels with a huge learning rate: never NaN weights."""
    X, y = _digits(300)
    clf = TwoLayerNNClassifier(20, random_state=0, max_iter=10, **params)
    error = fit_or_error(clf, X * 255, y)
    if error is not None:
        assert re.search(r"learning_rate_init \(now .*\) or scale the input", error)
        assert not hasattr(clf, "coefs_")
        return
    assert all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X * 255)).all()


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd", "lbfgs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_input_scale_fits_finitely_or_says_to_scale(solver, dtype):
    """X of magnitude near the dtype's maximum: finite model or a clear error."""
    X, y = _digits()
    X = (X * (float(np.finfo(dtype).max) / 2)).astype(dtype)
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, random_state=0)
    error = fit_or_error(clf, X, y)
    if error is not None:
        assert re.search(r"scale the input features|activations overflow", error)
        return
    check_outputs(clf, X, y)


def test_predicting_on_overflowing_input_says_to_scale():
    X, y = _digits()
    clf = TwoLayerNNClassifier(8, random_state=0, max_iter=5).fit(X, y)
    X_huge = np.full((2, X.shape[1]), 1.7e308)
    X_huge[1, ::2] *= -1
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(ValueError, match=r"largest absolute value is 1\.7e\+308"):
            method(X_huge)


def test_huge_power_t_does_not_overflow():
    X, y = _digits()
    clf = TwoLayerNNClassifier(
        8, solver="sgd", learning_rate="invscaling", power_t=1e300, max_iter=2
    )
    check_outputs(clf.fit(X, y), X, y)


# --------------------------------------------------------- KeyboardInterrupt


def interrupt_at(monkeypatch, n_call):
    """Raise KeyboardInterrupt from the n-th minibatch's loss computation."""
    real = _network.loss_and_gradients
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == n_call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_network, "loss_and_gradients", interrupted)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_keyboard_interrupt_keeps_the_weights_so_far(monkeypatch, solver):
    """Interrupted in epoch 4, the model is the one of 3 uninterrupted epochs."""
    X, y = _digits(100)
    params = dict(solver=solver, batch_size=25, random_state=0, learning_rate_init=0.1)
    reference = TwoLayerNNClassifier(16, max_iter=3, **params).fit(X, y)
    batches = 1 if solver == "gd" else 4
    interrupt_at(monkeypatch, 3 * batches + 1)
    clf = TwoLayerNNClassifier(16, max_iter=100, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert_same(reference.coefs_ + reference.intercepts_, clf.coefs_ + clf.intercepts_)
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


def test_keyboard_interrupt_with_early_stopping_restores_the_best_weights(monkeypatch):
    """Interrupted one minibatch into epoch 6: the best of epochs 1-5 is kept."""
    X, y = _digits(200)
    params = dict(
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=1000,
        batch_size=40,
        random_state=0,
        learning_rate_init=0.05,
    )
    reference = TwoLayerNNClassifier(16, max_iter=5, **params).fit(X, y)
    interrupt_at(monkeypatch, 5 * 4 + 2)  # 160 training samples: 4 minibatches
    clf = TwoLayerNNClassifier(16, max_iter=100, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.validation_scores_ == reference.validation_scores_
    assert_same(reference.coefs_ + reference.intercepts_, clf.coefs_ + clf.intercepts_)
    assert clf.score(X, y) > 0.5


def test_keyboard_interrupt_in_lbfgs_propagates_and_keeps_the_model(monkeypatch):
    """L-BFGS cannot stop between iterates from here: the fit is undone."""
    X, y = _digits()
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, random_state=0)
    clf.fit(X, y).set_params(warm_start=True)
    snap = snapshot(clf, X)
    interrupt_at(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert_unchanged(clf, X, snap)


def test_keyboard_interrupt_in_partial_fit_restores_the_model_and_propagates(
    monkeypatch,
):
    """Ctrl-C in the third minibatch: the model is the one before the call."""
    X, y = _digits(100)
    clf = TwoLayerNNClassifier(8, batch_size=25, random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    snap = snapshot(clf, X)
    interrupt_at(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y)
    assert_unchanged(clf, X, snap)
    monkeypatch.undo()
    reference = copy.deepcopy(clf).partial_fit(X, y)
    assert reference.t_ == clf.t_ + len(X)  # and the model still trains


def test_keyboard_interrupt_from_a_callback_stops_a_partial_fit_loop():
    """A loop of partial_fit calls ends at the first Ctrl-C, the model unfitted."""
    from sklearn_tinynn._progress import TextProgressBar

    class CtrlC(TextProgressBar):
        def on_fit_task_end(self, estimator, context, **kwargs):
            raise KeyboardInterrupt

    X, y = _digits(60)
    clf = TwoLayerNNClassifier(8, random_state=0).set_callbacks(CtrlC())
    calls = []

    def training_loop():
        for _ in range(3):
            calls.append(1)
            clf.partial_fit(X, y, classes=np.arange(10))

    with pytest.raises(KeyboardInterrupt):
        training_loop()
    assert len(calls) == 1 and not hasattr(clf, "coefs_")


@pytest.mark.parametrize("dtype", [bool, float, int])
def test_balanced_class_weight_with_an_indicator_matrix(dtype):
    X, y = _digits()
    Y = np.c_[y % 2, y > 4, y == 3].astype(dtype)
    clf = TwoLayerNNClassifier(8, class_weight="balanced", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # not converged in 5 epochs
        reference = copy.deepcopy(clf).fit(X, Y.astype(int))
        clf.fit(X, Y)
    assert_same(reference.coefs_, clf.coefs_)
    assert clf.predict(X).shape == Y.shape


def test_partial_fit_with_no_classes_says_so():
    X, y = _digits(20)
    with pytest.raises(ValueError, match=r"classes=\[\] holds no class; the first"):
        TwoLayerNNClassifier().partial_fit(X, y, classes=[])


def test_partial_fit_with_an_invalid_solver_is_a_parameter_error():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _digits(20)
    clf = TwoLayerNNClassifier().set_params(solver="bogus")
    with pytest.raises(InvalidParameterError, match="'solver' parameter"):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert not hasattr(TwoLayerNNClassifier(solver="lbfgs"), "partial_fit")


# ------------------------------------ the Python API over label kinds
# One fast property run on many examples: tiny networks, a few epochs, a dozen
# samples. Whatever the labels, weights and classes, a call fits and predicts
# labels from classes_ (or a 0/1 indicator matrix of y's shape), or raises
# ValueError/TypeError.

API_LABELS = {
    "bool": [True, False],
    "str": ["cat", "dog", "emu"],
    "negative int": [-7, -1, 3],
    "int": [0, 1, 2, 3],
    "float": [0.0, 1.0, 2.5],
    "one class": [5],
    "mixed": [1, "a"],
}
API_INDICATORS = ["int", "bool", "float", "one column", "non-binary"]
API_X_DTYPES = ["float64", "float32", "int64", "uint8", "bool", "float16"]


def api_targets(draw, rng, n_samples):
    """y of a drawn kind, and the labels partial_fit's classes may be drawn from."""
    kind = draw(
        st.sampled_from([*API_LABELS, *(f"indicator {k}" for k in API_INDICATORS)])
    )
    event(f"y: {kind}")
    if not kind.startswith("indicator"):
        labels = API_LABELS[kind]
        y = [labels[i] for i in rng.randint(len(labels), size=n_samples)]
        return np.array(y, dtype=object if kind == "mixed" else None), labels
    indicator = kind.removeprefix("indicator ")
    Y = rng.randint(0, 3 if indicator == "non-binary" else 2, (n_samples, 3))
    Y = Y[:, :1] if indicator == "one column" else Y
    return Y.astype({"bool": bool, "float": float}.get(indicator, int)), [0, 1]


@st.composite
def api_cases(draw):
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    n_samples = draw(st.integers(2, 12))
    dtype = draw(st.sampled_from(API_X_DTYPES))
    X = rng.standard_normal((n_samples, draw(st.integers(1, 3)))).astype(dtype)
    y, labels = api_targets(draw, rng, n_samples)
    weight = draw(st.sampled_from([None, "uniform", "integers"]))
    sample_weight = {
        None: None,
        "uniform": rng.uniform(0.1, 2, n_samples),
        "integers": rng.randint(0, 3, n_samples),
    }[weight]
    class_weight = draw(st.sampled_from([None, "balanced", "first label"]))
    if class_weight == "first label":
        class_weight = {labels[0]: 2.0}
    params = dict(
        hidden_layer_size=draw(st.integers(1, 3)),
        solver=draw(st.sampled_from(["adam", "sgd", "gd", "lbfgs"])),
        max_iter=draw(st.integers(1, 3)),
        class_weight=class_weight,
        random_state=0,
    )
    classes = draw(st.sampled_from([None, "labels", "some", "more", "empty"]))
    classes = {
        None: None,
        "labels": labels,
        "some": labels[:1],
        "more": [*labels, 99],
        "empty": [],
    }[classes]
    return X, y, sample_weight, params, classes


def assert_predictions_from_classes(clf, X, y):
    labels = clf.predict(X)
    if clf._multilabel:
        assert labels.shape == y.shape and set(np.unique(labels)) <= {0, 1}
    else:
        assert labels.shape == (len(X),) and np.isin(labels, clf.classes_).all()
        assert set(clf.classes_.tolist()) >= set(np.unique(y).tolist())


@settings(max_examples=1000, derandomize=True, deadline=None)
@given(case=api_cases(), method=st.sampled_from(["fit", "partial_fit"]))
def test_any_labels_fit_and_predict_from_classes_or_raise_value_or_type_error(
    case, method
):
    X, y, sample_weight, params, classes = case
    if method == "partial_fit":
        params["solver"] = params["solver"].replace("lbfgs", "adam")
    clf = TwoLayerNNClassifier(**params)
    kwargs = {"classes": classes} if method == "partial_fit" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # convergence, conversions
        try:
            getattr(clf, method)(X, y, sample_weight=sample_weight, **kwargs)
        except (ValueError, TypeError) as exc:
            event(f"{method}: {type(exc).__name__}")
            assert not hasattr(clf, "coefs_")
            return
        event(f"{method} succeeded")
        assert_predictions_from_classes(clf, X, y)
