"""The training loop (sklearn_tinynn/_training.py): solvers, epochs, the
stopping rule, the validation split; MLPClassifier's contract for n_iter_ and
t_ under warm_start and partial_fit, and the warm-start learning-rate rule; the
start at the weighted log prior; training against a plain loop written out;
and the state a failed call restores (bad input, divergence, Ctrl-C)."""

import copy
import math
import re
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from test_classifier import (
    KNOWN_ERRORS,
    _digits,
    assert_same,
    check_call,
    check_outputs,
    training_cases,
)
from test_network import reference_loss_and_gradients

from sklearn_tinynn import TwoLayerNNClassifier, _network

# The formula's L-BFGS-B term is that of recent SciPy (measured with 1.17); the
# oldest supported, 1.10, runs an older L-BFGS-B with larger work arrays.
OLD_LBFGS = tuple(map(int, scipy.__version__.split(".")[:2])) < (1, 15)


def test_a_failed_partial_fit_restores_without_copying_the_records():
    # Constant time per call: the loss curve is truncated back, not copied,
    # and the arrays a call updates in place come back as they were.
    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16
    clf = TwoLayerNNClassifier(8, solver="sgd", batch_size=10, random_state=0)
    for start in range(0, 200, 20):
        clf.partial_fit(X[start : start + 20], y[start : start + 20], classes=range(10))
    curve, state = clf.loss_curve_, clf._optimizer_state
    before = [a.copy() for a in clf.coefs_ + clf.intercepts_ + state["velocities"]]
    rate = state["learning_rate"]
    with pytest.raises(ValueError, match="diverged"):
        clf.set_params(learning_rate_init=1e300).partial_fit(X, y[:200])
    assert clf.loss_curve_ is curve and len(curve) == 10
    assert clf._optimizer_state["learning_rate"] == rate
    after = clf.coefs_ + clf.intercepts_ + clf._optimizer_state["velocities"]
    for a, b in zip(after, before):
        assert_array_equal(a, b)
    clf.set_params(learning_rate_init=1e-3).partial_fit(X[:20], y[:20])
    assert len(clf.loss_curve_) == 11


# ------------------------- failed calls, divergence, interrupts, epochs


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
    "NaN in X": lambda X, y: (np.where(X.max() == X, np.nan, X), y, {}),
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


def test_huge_power_t_does_not_overflow():
    X, y = _digits()
    clf = TwoLayerNNClassifier(
        8, solver="sgd", learning_rate="invscaling", power_t=1e300, max_iter=2
    )
    check_outputs(clf.fit(X, y), X, y)


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


def reference_fit(
    X, y, n_hidden, solver, epochs, batch_size, lr, alpha, seed, dropout=0.0
):
    """A plain training loop: fancy-indexed minibatches, reference gradients;
    with dropout, the masks of a seed drawn after the initial weights, a
    function of the epoch and of each row's key (``_network.dropout_mask``,
    checked against a scalar reference in test_network.py)."""
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    Y = np.eye(len(classes), dtype=X.dtype)[np.searchsorted(classes, y)]
    params = _network.init_params(
        X.shape[1], n_hidden, len(classes), "relu", rng, X.dtype
    )
    params[3] = np.log(Y.mean(axis=0))  # output biases at the log class prior
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, curve = 0, []
    if dropout:
        seed, keys = rng.randint(2**63, dtype=np.int64), _network.row_keys(X)
    for epoch in range(epochs):
        rows = rng.permutation(len(X)) if solver == "adam" else np.arange(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = rows[start : start + batch_size]
            mask = None
            if dropout:
                mask = _network.dropout_mask(
                    int(seed), epoch, keys[idx], n_hidden, dropout, X.dtype
                )
            loss, grads = reference_loss_and_gradients(
                X[idx], Y[idx], params, "relu", "softmax", alpha, None, mask
            )
            total += loss * len(idx)
            if solver == "gd":
                params = [p - lr * g for p, g in zip(params, grads)]
                continue
            t += 1
            eta_t = lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g**2
                params[i] = params[i] - eta_t * m[i] / (np.sqrt(v[i]) + 1e-8)
        curve.append(total / len(X))
    return params, curve


@pytest.mark.parametrize(
    "solver, batch_size, lr, dropout",
    [
        ("adam", 64, 1e-2, 0.0),
        ("gd", None, 0.5, 0.0),
        ("adam", 64, 1e-2, 0.3),
        ("gd", None, 0.5, 0.5),
    ],
)
def test_fit_matches_a_plain_training_loop(solver, batch_size, lr, dropout):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    params, curve = reference_fit(
        X, y, 12, solver, 3, batch_size or len(X), lr, 1e-3, 0, dropout
    )
    clf = TwoLayerNNClassifier(
        12,
        solver=solver,
        batch_size=batch_size or "auto",
        learning_rate_init=lr,
        alpha=1e-3,
        max_iter=3,
        tol=0,
        random_state=0,
        dropout=dropout,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    W1, b1, W2, b2 = params
    fitted = clf.coefs_ + clf.intercepts_
    for got, ref in zip(fitted, [W1, W2, b1, b2]):
        assert_allclose(got, ref, rtol=1e-7, atol=1e-10)
    assert_allclose(clf.loss_curve_, curve, rtol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_float32_end_to_end(solver):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    lr = {"adam": 0.01, "sgd": 0.1, "gd": 0.5}[solver]
    clf = TwoLayerNNClassifier(
        16, solver=solver, learning_rate_init=lr, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    arrays = clf.coefs_ + clf.intercepts_
    arrays += [
        a for key in ("M", "V", "velocities") for a in clf._optimizer_state.get(key, [])
    ]
    for array in arrays:
        assert array.dtype == np.float32
        assert np.isfinite(array).all()
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32
    assert np.isfinite(proba).all()
    assert all(np.isfinite(clf.loss_curve_))
    assert clf.score(X, y) > 0.5
    # Anything but float32 (integers here) trains in float64.
    clf.fit((X * 16).astype(int), y)
    assert clf.coefs_[0].dtype == np.float64


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fit_makes_no_copy_of_x(solver):
    """Minibatches are gathered into one buffer: the peak stays far below X."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20000, 100)).astype(np.float32)  # 8 MB
    y = rng.randint(3, size=20000)
    clf = TwoLayerNNClassifier(16, solver=solver, max_iter=2, random_state=0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 2


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X / X.max(axis=0), y


ITERATIVE = ["adam", "sgd", "gd"]


@pytest.mark.parametrize("solver", ITERATIVE)
def test_each_warm_fit_runs_max_iter_epochs_and_warns(iris, solver):
    """MLPClassifier's test for scikit-learn #16812: fit with max_iter=3, fit
    again, n_iter_ is 3 after each fit, with a ConvergenceWarning each time."""
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, warm_start=True)
    for fits in (1, 2):
        with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(3\)"):
            clf.set_params(random_state=0).fit(X, y)
        assert clf.n_iter_ == 3
        assert len(clf.loss_curve_) == 3 * fits
        assert clf.t_ == 3 * fits * len(X)  # t_ counts every sample seen


@pytest.mark.parametrize("solver", ITERATIVE)
def test_a_larger_max_iter_on_a_warm_fit_runs_that_many_epochs(iris, solver):
    """MLPClassifier's test for scikit-learn #24764: max_iter=10, then
    max_iter=20 on a warm start: n_iter_ is 20."""
    X, y = iris
    clf = TwoLayerNNClassifier(
        8, solver=solver, max_iter=10, warm_start=True, n_iter_no_change=np.inf
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 10
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(20\)"):
        clf.set_params(max_iter=20).fit(X, y)
    assert clf.n_iter_ == 20
    assert len(clf.loss_curve_) == 30


def test_lbfgs_counts_the_iterations_of_each_fit_in_loss_curve_too(iris):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, warm_start=True)
    curve = 0
    for _ in range(2):
        with pytest.warns(ConvergenceWarning, match="L-BFGS stopped after 5"):
            clf.set_params(random_state=0).fit(X, y)
        assert clf.n_iter_ == 5
        curve += clf.n_iter_
        assert len(clf.loss_curve_) == curve
    assert clf.t_ == 10 * len(X)


@pytest.mark.parametrize("solver", ITERATIVE)
def test_partial_fit_sets_n_iter_to_one_and_counts_samples(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, random_state=0)
    for calls in (1, 2, 3):
        clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
        assert clf.n_iter_ == 1
        assert clf.t_ == 100 * calls
        assert len(clf.loss_curve_) == calls


@pytest.mark.parametrize("solver", [*ITERATIVE, "lbfgs"])
def test_warm_start_with_other_classes_is_mlpclassifiers_error(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=2, warm_start=True)
    clf.fit(X, y)
    coefs = [c.copy() for c in clf.coefs_]
    message = (
        r"warm_start can only be used where `y` has the same classes as in the "
        r"previous call to fit. Previously got \[0 1 2\], `y` has \[0 1\]"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X[:100], y[:100])
    for a, b in zip(clf.coefs_, coefs):
        assert_array_equal(a, b)
    # Without warm_start, another set of classes is a new model.
    clf.set_params(warm_start=False).fit(X[:100], y[:100])
    assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("solver", ITERATIVE)
def test_partial_fit_refuses_early_stopping(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_st"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", ITERATIVE)
def test_early_stopping_switched_on_for_a_warm_fit(iris, solver):
    """Once an AttributeError: the first fit had no validation records."""
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, warm_start=True)
    clf.set_params(random_state=0).fit(X, y)
    clf.set_params(early_stopping=True, max_iter=4, n_iter_no_change=np.inf)
    clf.fit(X, y)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 4
    assert clf.best_loss_ is None
    # ... and switched off again: the training loss takes over.
    clf.set_params(early_stopping=False).fit(X, y)
    assert clf.best_loss_ == min(clf.loss_curve_[-4:])


def _one_step_setup(solver):
    """A model after 2 full-batch epochs (one step each), its flat parameters
    and optimizer state, and the gradient at those parameters."""
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    clf = TwoLayerNNClassifier(
        5,
        solver=solver,
        batch_size=len(X),
        shuffle=False,
        max_iter=2,
        warm_start=True,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    params = [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]
    theta = np.concatenate([p.ravel() for p in params])
    state = copy.deepcopy(clf._optimizer_state)
    Y = np.eye(3)[y]
    _, grads = _network.loss_and_gradients(X, Y, params, "relu", "softmax", 1e-4)
    grad = np.concatenate([g.ravel() for g in grads])
    return clf, X, y, theta, state, grad


def _flat(clf):
    params = [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]
    return np.concatenate([p.ravel() for p in params])


@pytest.mark.parametrize("solver", ITERATIVE)
def test_a_new_learning_rate_init_takes_effect_on_the_next_fit(solver):
    """Fine-tuning: the step uses the new rate and the stored moments or
    velocities, written here from the update equations."""
    clf, X, y, theta, state, g = _one_step_setup(solver)
    eta = 0.5
    if solver == "gd":
        expected = theta - eta * g
    elif solver == "sgd":  # Nesterov: v <- mu v - eta g; theta + mu v - eta g
        v = 0.9 * _network.flatten(state["velocities"]) - eta * g
        expected = theta + 0.9 * v - eta * g
    else:  # Adam in its textbook form, m and v from the stored M and V
        b1, b2, t = 0.9, 0.999, state["t"] + 1
        m = b1 * _network.flatten(state["M"]) * (1 - b1) + (1 - b1) * g
        v = b2 * _network.flatten(state["V"]) * (1 - b2) + (1 - b2) * g**2
        eta_t = eta * math.sqrt(1 - b2**t) / (1 - b1**t)
        expected = theta - eta_t * m / (np.sqrt(v) + 1e-8)
    clf.set_params(learning_rate_init=eta, max_iter=1).fit(X, y)
    assert_allclose(_flat(clf), expected, rtol=1e-9, atol=1e-12)
    assert clf._optimizer_state["learning_rate"] == eta


def test_the_same_learning_rate_init_keeps_the_rate_reached(iris):
    """'adaptive' lowered the rate; a warm fit with the same setting goes on
    from there."""
    X, y = iris
    clf = TwoLayerNNClassifier(
        8,
        solver="sgd",
        learning_rate="adaptive",
        n_iter_no_change=1,
        tol=10.0,  # no epoch improves by 10: the rate drops each time
        max_iter=3,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    lowered = clf._optimizer_state["learning_rate"]
    assert lowered < clf.learning_rate_init
    clf.set_params(max_iter=1).fit(X, y)
    assert clf._optimizer_state["learning_rate"] <= lowered


def _untrained_proba(clf, X, y, **fit_params):
    """predict_proba of the network as initialized, with W2 = 0: a gd step of
    1e-300 leaves the parameters as they were drawn."""
    clf.set_params(solver="gd", max_iter=1, learning_rate_init=1e-300)
    clf.set_params(random_state=0).fit(X, y, **fit_params)
    clf.coefs_[1][...] = 0
    return clf.predict_proba(X)


def test_untrained_network_predicts_the_sample_and_class_weighted_prior(iris):
    X, y = iris
    s = np.linspace(0.5, 2.0, len(y))
    class_weight = {0: 3.0, 1: 1.0, 2: 0.5}
    clf = TwoLayerNNClassifier(8, class_weight=class_weight)
    proba = _untrained_proba(clf, X, y, sample_weight=s)
    weights = s * np.array([3.0, 1.0, 0.5])[y]
    prior = np.bincount(y, weights=weights) / weights.sum()
    assert_allclose(proba, np.tile(prior, (len(y), 1)))


def test_untrained_binary_and_multilabel_networks_predict_the_prior(iris):
    X, y = iris
    binary = (y == 0).astype(int)  # a third positive
    clf = TwoLayerNNClassifier(8)
    assert_allclose(_untrained_proba(clf, X, binary)[:, 1], binary.mean())
    # 'balanced' class weights make the weighted prior even.
    clf.set_params(class_weight="balanced")
    assert_allclose(_untrained_proba(clf, X, binary), 0.5)
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    proba = _untrained_proba(TwoLayerNNClassifier(8), X, Y)
    assert_allclose(proba, np.tile(Y.mean(axis=0), (len(Y), 1)))


def _fit_peak(clf, X, y):
    """The tracemalloc peak of ``clf.fit(X, y)``, in bytes."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
@pytest.mark.parametrize(
    "dtype, n_hidden, activation",
    [
        (np.float64, 20, "relu"),
        (np.float32, 60, "tanh"),
        (np.float64, 60, "relu"),
        (np.float64, 60, "gelu"),
        (np.float32, 60, "silu"),
    ],
)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fit_memory_bounds_the_measured_peak(
    solver, dtype, n_hidden, activation, early_stopping
):
    """docs/performance.md's formula: an upper bound, within 25% of the peak."""
    if early_stopping and solver in ("gd", "lbfgs"):
        pytest.skip("early stopping needs minibatches here")
    if solver == "lbfgs" and OLD_LBFGS:
        pytest.skip("the formula counts recent SciPy's L-BFGS-B work arrays")
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(3000, 150)).astype(dtype)
    y = rng.randint(4, size=3000)
    clf = TwoLayerNNClassifier(
        n_hidden,
        solver=solver,
        activation=activation,
        max_iter=2,
        early_stopping=early_stopping,
        random_state=0,
    )
    peak = _fit_peak(clf, X, y)
    bound = _network.fit_memory(
        3000, 150, n_hidden, 4, dtype, solver, "auto", True, activation, early_stopping
    )
    assert 0.75 * bound <= peak <= bound


def test_full_batch_gd_makes_no_copy_of_x():
    """gd reads X as it is given: beyond it, the hidden layer and the targets."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(6000, 400))  # 19 MB of float64
    y = rng.randint(10, size=6000)
    clf = TwoLayerNNClassifier(10, solver="gd", max_iter=2, random_state=0)
    assert _network.hidden_layout(6000, 10, X.dtype) == "F"
    assert _fit_peak(clf, X, y) < 0.35 * X.nbytes


@pytest.mark.parametrize("fraction", [0.001, 0.998])
def test_a_split_without_every_class_on_each_side_names_validation_fraction(
    fraction,
):
    """Too few held-out samples, or too few left to train on, for 10 classes."""
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(
        8, early_stopping=True, validation_fraction=fraction, max_iter=2
    )
    with pytest.raises(
        ValueError,
        match=rf"hold out validation_fraction={fraction} of 1797 samples: .*classes",
    ):
        clf.fit(X / 16, y)
    assert not hasattr(clf, "coefs_")


# ------------------------------------------------ learning-rate schedules


def cosine_rates(eta0, n_epochs, warmup=0):
    """The closed forms: warm-up eta0 (e + 1) / W, then eta0 (1 + cos(pi e' /
    (T - W))) / 2 with e' = e - W, over a fit of T = n_epochs epochs."""
    e = np.arange(n_epochs)
    decay = (1 + np.cos(np.pi * np.maximum(e - warmup, 0) / (n_epochs - warmup))) / 2
    return (eta0 * decay * np.minimum((e + 1) / max(warmup, 1), 1)).tolist()


def constant_chain(params, X, y, rates, method="fit", **kwargs):
    """One epoch per call at each rate of ``rates``, with the constant schedule:
    the moments and velocities go on, the rate is the new learning_rate_init."""
    clf = TwoLayerNNClassifier(**params, warm_start=True, max_iter=1)
    for rate in rates:
        getattr(clf.set_params(learning_rate_init=rate), method)(X, y, **kwargs)
    return clf


SCHEDULE_PARAMS = dict(
    hidden_layer_size=8, batch_size=50, shuffle=False, n_iter_no_change=50
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ITERATIVE)
@pytest.mark.parametrize(
    "schedule, warmup", [("cosine", 0), ("cosine", 3), ("constant", 3)]
)
def test_a_scheduled_fit_steps_at_the_closed_form_rates(iris, solver, schedule, warmup):
    X, y = iris
    params = dict(SCHEDULE_PARAMS, solver=solver, random_state=0)
    clf = TwoLayerNNClassifier(
        **params, learning_rate=schedule, warmup_iter=warmup, max_iter=7,
        learning_rate_init=0.05,
    ).fit(X, y)  # fmt: skip
    rates = cosine_rates(0.05, 7, warmup)
    if schedule == "constant":
        rates = [0.05 * min((e + 1) / warmup, 1) for e in range(7)]
    chain = constant_chain(dict(params, learning_rate="constant"), X, y, rates)
    assert_allclose(_flat(clf), _flat(chain), rtol=1e-12, atol=1e-14)
    assert_allclose(clf.loss_curve_, chain.loss_curve_, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_each_warm_fit_starts_a_new_cosine_cycle(iris):
    X, y = iris
    params = dict(SCHEDULE_PARAMS, random_state=0, learning_rate_init=0.02)
    clf = TwoLayerNNClassifier(
        **params, learning_rate="cosine", warmup_iter=1, max_iter=4, warm_start=True
    )
    clf.fit(X, y).set_params(max_iter=3).fit(X, y)
    rates = cosine_rates(0.02, 4, 1) + cosine_rates(0.02, 3, 1)
    chain = constant_chain(params, X, y, rates)
    assert_allclose(_flat(clf), _flat(chain), rtol=1e-12, atol=1e-14)
    state = clf._optimizer_state
    assert (state["epoch"], state["horizon"]) == (0, 3)  # a cycle just ended


def test_partial_fit_goes_on_with_cycles_of_max_iter_calls(iris):
    X, y = iris
    params = dict(SCHEDULE_PARAMS, solver="sgd", random_state=0)
    clf = TwoLayerNNClassifier(
        **params, learning_rate="cosine", warmup_iter=2, max_iter=5,
        learning_rate_init=0.05,
    )  # fmt: skip
    for _ in range(8):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    rates = (cosine_rates(0.05, 5, 2) * 2)[:8]
    chain = constant_chain(params, X, y, rates, "partial_fit", classes=[0, 1, 2])
    assert_allclose(_flat(clf), _flat(chain), rtol=1e-12, atol=1e-14)
    assert clf._optimizer_state["epoch"] == 3


@pytest.mark.parametrize("solver", ITERATIVE)
def test_plateau_divides_by_five_at_each_stall_for_every_solver(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(
        8,
        solver=solver,
        learning_rate="plateau",
        n_iter_no_change=1,
        tol=10.0,  # no epoch after the first improves by 10
        learning_rate_init=1e-3,
        random_state=0,
    ).fit(X, y)
    # A stall after epochs 3, 5, ...: 2 epochs at each level 1e-3 / 5**k,
    # k = 0..5; the stall at 1e-3 / 5**5 <= 1e-6 stops.
    assert clf.n_iter_ == 1 + 2 * 6
    assert_allclose(clf._optimizer_state["level"], 1e-3 / 5**5, rtol=1e-15)


def test_plateau_is_adaptive_for_sgd_and_adaptive_stays_ignored_by_adam(iris):
    X, y = iris
    params = dict(n_iter_no_change=1, tol=10.0, random_state=0, max_iter=30)
    sgd = [
        TwoLayerNNClassifier(8, solver="sgd", learning_rate=s, **params).fit(X, y)
        for s in ("plateau", "adaptive")
    ]
    assert_array_equal(_flat(sgd[0]), _flat(sgd[1]))
    assert sgd[0].loss_curve_ == sgd[1].loss_curve_
    adam = [
        TwoLayerNNClassifier(8, learning_rate=s, **params).fit(X, y)
        for s in ("adaptive", "constant")
    ]
    assert_array_equal(_flat(adam[0]), _flat(adam[1]))
    assert adam[0].n_iter_ == 3  # the first stall stops, as with 'constant'


def test_cosine_needs_an_epoch_after_the_warmup(iris):
    X, y = iris
    clf = TwoLayerNNClassifier(learning_rate="cosine", warmup_iter=5, max_iter=5)
    with pytest.raises(ValueError, match="warmup_iter=5 leaves no epoch .* less than"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="warmup_iter"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(solver="lbfgs").fit(X, y)  # L-BFGS has no schedule


# ----------------------------------------------------------------- dropout


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_dropout_fits_are_reproducible_and_differ_from_no_dropout(solver):
    """fit, warm_start and partial_fit: the masks come from random_state."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]

    def train(dropout):
        clf = TwoLayerNNClassifier(
            12, solver=solver, dropout=dropout, max_iter=3, random_state=0
        )
        clf.set_params(warm_start=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y).fit(X, y)
        clf.partial_fit(X, y)
        return [*clf.coefs_, *clf.intercepts_, clf.predict_proba(X)]

    first, second, without = train(0.5), train(0.5), train(0.0)
    for a, b in zip(first, second):
        assert_array_equal(a, b)
    assert not np.allclose(first[0], without[0])


def test_dropout_leaves_prediction_deterministic_and_unmasked():
    """predict_proba is the whole network's forward pass, without a mask."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    clf = TwoLayerNNClassifier(12, dropout=0.5, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    W1, W2 = clf.coefs_
    b1, b2 = clf.intercepts_
    _, expected = _network.forward(X, [W1, b1, W2, b2], "relu", "softmax")
    assert_array_equal(clf.predict_proba(X), expected)
    assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_dropout_with_lbfgs_is_a_clear_error():
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(8, solver="lbfgs", dropout=0.2)
    with pytest.raises(ValueError, match=r"dropout=0.2 needs a stochastic solver"):
        clf.fit(X[:50] / 16, y[:50])
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_outside_zero_one_is_refused(p):
    clf = TwoLayerNNClassifier(dropout=p)
    with pytest.raises(ValueError, match=r"'dropout' parameter .* range \[0.0, 1.0\)"):
        clf.fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize("rates", [(0.5, 0.0), (0.0, 0.2), (0.5, 0.2)])
@pytest.mark.parametrize("solver", ["adam", "gd"])
def test_fit_memory_with_dropout_bounds_the_measured_peak(solver, rates):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(3000, 150))
    y = rng.randint(4, size=3000)
    dropout, input_dropout = rates
    clf = TwoLayerNNClassifier(
        60, solver=solver, dropout=dropout, input_dropout=input_dropout, max_iter=2
    )
    peak = _fit_peak(clf, X, y)
    bound = _network.fit_memory(
        *(3000, 150, 60, 4, X.dtype, solver, "auto", True, "relu", False, *rates)
    )
    assert 0.75 * bound <= peak <= bound


def _dropout_fit(X, y, **params):
    defaults = dict(hidden_layer_size=12, dropout=0.4, max_iter=4, random_state=0)
    clf = TwoLayerNNClassifier(**{**defaults, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def _assert_same_model(a, b, atol=1e-10):
    for got, ref in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(got, ref, rtol=0, atol=atol)
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("layers", [{}, {"input_dropout": 0.3}])
def test_dropout_masks_follow_the_rows_not_their_order(layers):
    """A row's mask is a function of its content and the epoch: full-batch
    fits of the rows in another order, and a shuffled and an unshuffled
    batch of all the rows, are the same fit up to the order of the sums."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16, y[:200]
    order = np.random.RandomState(1).permutation(len(y))
    gd = dict(solver="gd", learning_rate_init=0.5, **layers)
    _assert_same_model(_dropout_fit(X, y, **gd), _dropout_fit(X[order], y[order], **gd))
    adam = dict(batch_size=len(y), learning_rate_init=0.01, **layers)
    _assert_same_model(
        _dropout_fit(X, y, shuffle=True, **adam),
        _dropout_fit(X, y, shuffle=False, **adam),
    )


@pytest.mark.parametrize(
    "layers", [{}, {"input_dropout": 0.3}, {"dropout": 0.0, "input_dropout": 0.3}]
)
@pytest.mark.parametrize("solver", ["adam", "gd"])
def test_dropout_fits_of_dense_and_csr_x_are_the_same(solver, layers):
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16, y[:200]  # about half the pixels are 0
    dense = _dropout_fit(X, y, solver=solver, **layers)
    sparse = _dropout_fit(scipy.sparse.csr_array(X), y, solver=solver, **layers)
    _assert_same_model(dense, sparse)


def test_dropout_draws_one_seed_per_fit_and_nothing_without_dropout():
    """dropout=0 leaves the generator where a fit always left it; dropout > 0
    draws one 63-bit seed after the initial weights, and nothing per step."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:100] / 16, y[:100]
    params = dict(solver="gd", max_iter=3)
    without = _dropout_fit(X, y, dropout=0.0, **params)._random_state
    with_dropout = _dropout_fit(X, y, **params)._random_state
    with_dropout_adam = _dropout_fit(X, y, shuffle=False, max_iter=3)._random_state
    expected = np.random.RandomState(0)
    _network.init_params(64, 12, 10, "relu", expected, np.float64)
    assert without.get_state()[2] == expected.get_state()[2]
    assert_array_equal(without.get_state()[1], expected.get_state()[1])
    expected.randint(2**63, dtype=np.int64)
    for state in (with_dropout, with_dropout_adam):
        assert state.get_state()[2] == expected.get_state()[2]
        assert_array_equal(state.get_state()[1], expected.get_state()[1])
