"""Weighting, proved: unit weights are no weights, bit for bit; integer
weights are repeated rows; scikit-learn's sample-weight equivalence checks run
and pass for every instance the check suite tests.

The invariants are those of the class's Notes: the loss is
``(sum_i s_i l_i + (alpha / 2) |W|^2) / sum_i s_i``, so that a weight of 1
changes nothing and an integer weight k counts a sample k times.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)
from test_sklearn_checks import ESTIMATORS

from sklearn_tinynn import TwoLayerNNClassifier

SOLVERS = ["adam", "sgd", "gd", "lbfgs"]


def digits(n=150, target="multiclass"):
    X, y = load_digits(return_X_y=True)
    X, y = X[:n] / 16, y[:n]
    if target == "binary":
        return X, y % 2
    if target == "multilabel":
        return X, np.column_stack([y % 2, y < 5, y % 3 == 0]).astype(int)
    return X, y


def fitted_state(model):
    """Everything training leaves on a model, to compare bit for bit."""
    state = {
        key: value
        for key, value in vars(model).items()
        if key.endswith("_") and not key.startswith("_")
    }
    optimizer = model._optimizer_state or {}
    state["optimizer"] = {k: v for k, v in optimizer.items() if k != "solver"}
    return state


def assert_bit_identical(a, b):
    """Equal nested values, arrays compared element for element with ==."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_bit_identical(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_bit_identical(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    else:
        assert a == b or (a != a and b != b)  # NaN == NaN here


def fit(params, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return TwoLayerNNClassifier(**params).fit(X, y, **fit_params)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_unit_weights_are_no_weights_bit_for_bit(solver, dtype, target):
    X, y = digits(target=target)
    X = X.astype(dtype)
    params = dict(
        solver=solver, hidden_layer_size=12, max_iter=8, batch_size=32, random_state=0
    )
    reference = fit(params, X, y)
    for weights in (np.ones(len(y)), [1] * len(y), np.ones(len(y), dtype=np.int8)):
        weighted = fit(params, X, y, sample_weight=weights)
        assert_bit_identical(fitted_state(weighted), fitted_state(reference))
        assert np.array_equal(weighted.predict_proba(X), reference.predict_proba(X))


def test_unit_class_weights_and_early_stopping_are_no_weights_bit_for_bit():
    # class_weight={c: 1} times unit sample weights is still no weight, and
    # the validation scores (a weighted average) see none either.
    X, y = digits(300)
    params = dict(hidden_layer_size=12, max_iter=8, random_state=0, early_stopping=True)
    reference = fit(params, X, y)
    ones = {label: 1.0 for label in np.unique(y)}
    weighted = fit(
        {**params, "class_weight": ones}, X, y, sample_weight=np.ones(len(y))
    )
    assert_bit_identical(fitted_state(weighted), fitted_state(reference))


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_unit_weights_in_partial_fit_are_no_weights_bit_for_bit(solver):
    X, y = digits()
    classes = np.unique(y)
    reference = TwoLayerNNClassifier(solver=solver, random_state=0)
    weighted = TwoLayerNNClassifier(solver=solver, random_state=0)
    for start in range(0, len(y), 50):
        rows = slice(start, start + 50)
        reference.partial_fit(X[rows], y[rows], classes=classes)
        weighted.partial_fit(
            X[rows], y[rows], classes=classes, sample_weight=np.ones(50)
        )
    assert_bit_identical(fitted_state(weighted), fitted_state(reference))


def test_unit_weights_are_no_weights_under_array_api_dispatch(device_xp):
    xp, device = device_xp
    X, y = digits(60)
    params = dict(hidden_layer_size=6, max_iter=3, batch_size=20, random_state=0)
    X_xp = xp.asarray(X, device=device)
    reference = fit(params, X_xp, y)
    weighted = fit(params, X_xp, y, sample_weight=np.ones(len(y)))
    for a, b in zip(
        reference.coefs_ + reference.intercepts_,
        weighted.coefs_ + weighted.intercepts_,
    ):
        assert bool(xp.all(a == b))
    assert weighted.loss_curve_ == reference.loss_curve_


@pytest.mark.parametrize(
    "solver, dropout",
    [
        ("gd", {}),
        ("lbfgs", {}),
        ("gd", {"dropout": 0.3}),
        ("gd", {"dropout": 0.7}),
        ("gd", {"input_dropout": 0.3, "dropout": 0.3}),
    ],
)
@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_integer_weights_equal_repeated_rows(solver, dropout, target, alpha):
    # Full-batch solvers see the same loss and gradient, up to the order of
    # the sums: the fitted weights agree to rounding. A weight of 0 removes
    # its row. (Minibatch solvers draw other batches from repeated rows.)
    # With dropout, a row's mask is a function of its content and the epoch
    # (see _network.dropout_mask): its copies share the mask of the weighted
    # row, and the seed is drawn before anything depends on the row count.
    X, y = digits(target=target)
    k = np.random.RandomState(0).randint(0, 4, len(y))
    k[:3] = [1, 2, 3]  # every class keeps a positive weight
    params = dict(
        solver=solver,
        hidden_layer_size=10,
        max_iter=25,
        alpha=alpha,
        learning_rate_init=0.5,
        random_state=0,
        **dropout,
    )
    weighted = fit(params, X, y, sample_weight=k)
    repeated = fit(params, np.repeat(X, k, axis=0), np.repeat(y, k, axis=0))
    assert weighted.n_iter_ == repeated.n_iter_
    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_,
        repeated.coefs_ + repeated.intercepts_,
    ):
        assert_allclose(a, b, rtol=0, atol=1e-10)
    assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize(
    "check",
    [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_sample_weight_equivalence_checks_run_and_pass(estimator, check):
    # parametrize_with_checks would report a skip as a skip: here a skip
    # (SkipTest raised by the check) fails, so that the checks really run.
    try:
        check(type(estimator).__name__, estimator)
    except Exception as exc:
        if type(exc).__name__ == "SkipTest":
            pytest.fail(f"{check.__name__} was skipped: {exc}")
        raise
