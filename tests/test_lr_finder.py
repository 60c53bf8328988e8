"""The learning-rate range test (sklearn_tinynn/_lr_finder.py): each step at
its exponential rate against gradient descent written out, the smoothing and
the suggestions against their closed forms, divergence, reproducibility, the
estimator left alone, the namespaces."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError
from test_network import reference_loss_and_gradients

from sklearn_tinynn import TwoLayerNNClassifier, lr_range_test
from sklearn_tinynn._array_api import to_numpy
from sklearn_tinynn._lr_finder import _result


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


def initial_params(X, y, **params):
    """The drawn weights and prior biases: a gd step of 1e-300 leaves them."""
    clf = TwoLayerNNClassifier(**params, solver="gd", learning_rate_init=1e-300)
    clf.partial_fit(X, y, classes=np.unique(y))
    return [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]


def test_each_step_is_gradient_descent_at_its_exponential_rate(digits):
    X, y = digits
    params = dict(hidden_layer_size=8, alpha=1e-3, random_state=0)
    result = lr_range_test(
        TwoLayerNNClassifier(**params, solver="gd"), X, y,
        min_lr=1e-2, max_lr=10.0, n_steps=12, smoothing=0.7, diverge=1e9,
    )  # fmt: skip
    rates = 1e-2 * 1000.0 ** (np.arange(12) / 11)
    assert_allclose(result.learning_rates, rates, rtol=1e-14)
    theta = initial_params(X, y, **params)
    Y = np.eye(10)[y]
    losses = []
    for rate in rates:
        loss, grads = reference_loss_and_gradients(
            X, Y, theta, "relu", "softmax", 1e-3, None
        )
        losses.append(loss)
        theta = [p - rate * g for p, g in zip(theta, grads)]
    assert_allclose(result.raw_losses, losses, rtol=1e-10)
    # s_k = a_k / (1 - beta^(k+1)), a_k = beta a_(k-1) + (1 - beta) l_k, a_-1 = 0
    average = np.cumsum(0.3 * 0.7 ** -np.arange(12) * losses) * 0.7 ** np.arange(12)
    assert_allclose(result.losses, average / (1 - 0.7 ** np.arange(1, 13)))
    assert not result.diverged


def test_suggestions_of_a_known_curve():
    rates = np.geomspace(1e-4, 1, 9)
    losses = np.array([5, 5, 4, 1.5, 1, 0.5, 1, 3, 10])
    result = _result(rates, losses, losses, diverged=True)
    assert result.suggestion == rates[5] / 10  # the minimum / 10
    # The central differences against log(rate): (1.5 - 5) / 2h is the steepest.
    assert result.steepest == rates[2]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stops_where_the_loss_diverges(digits, solver):
    X, y = digits
    clf = TwoLayerNNClassifier(16, solver=solver, random_state=0)
    result = lr_range_test(clf, X, y, min_lr=1e-4, max_lr=1e4, n_steps=80)
    assert result.diverged and len(result.losses) < 80
    assert len(result.learning_rates) == len(result.raw_losses) == len(result.losses)
    assert result.learning_rates[0] <= result.suggestion * 10 < 1e4


def test_reproducible_and_the_estimator_left_alone(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(8, learning_rate="cosine", warmup_iter=3, random_state=0)
    before = clf.get_params()
    runs = [lr_range_test(clf, X, y, n_steps=20) for _ in range(2)]
    assert_array_equal(runs[0].raw_losses, runs[1].raw_losses)
    assert runs[0].suggestion == runs[1].suggestion
    assert clf.get_params() == before and not hasattr(clf, "coefs_")
    fitted = TwoLayerNNClassifier(8, max_iter=3, random_state=0).fit(X, y)
    weights = [w.copy() for w in fitted.coefs_]
    lr_range_test(fitted, X, y, n_steps=5)
    assert all(np.array_equal(a, b) for a, b in zip(fitted.coefs_, weights))


def test_sample_weights_and_multilabel_targets(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(8, alpha=0.0, random_state=0)
    plain = lr_range_test(clf, X, y, n_steps=10)
    # Without penalty the loss is a weighted mean over each minibatch: doubled
    # weights give the same losses (to rounding); weights on half the rows not.
    doubled = lr_range_test(clf, X, y, sample_weight=np.full(len(y), 2.0), n_steps=10)
    assert_allclose(doubled.raw_losses, plain.raw_losses, rtol=1e-12)
    halved = lr_range_test(clf, X, y, sample_weight=np.arange(len(y)) % 2, n_steps=10)
    assert not np.allclose(halved.raw_losses, plain.raw_losses)
    Y = np.c_[y % 2, y > 4]
    assert len(lr_range_test(clf, X, Y, n_steps=10).losses) == 10


def test_errors_say_what_is_accepted(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(8, random_state=0)
    with pytest.raises(ValueError, match="min_lr=1.0 must be less than max_lr=0.1"):
        lr_range_test(clf, X, y, min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="'lbfgs' has no learning rate"):
        lr_range_test(TwoLayerNNClassifier(solver="lbfgs"), X, y)
    with pytest.raises(ValueError, match=r"diverged at step 2, from min_lr=1e\+300"):
        lr_range_test(clf, X, y, min_lr=1e300, max_lr=1e301)
    with pytest.raises(InvalidParameterError, match="n_steps"):
        lr_range_test(clf, X, y, n_steps=1)


def test_matches_numpy_in_other_namespaces(device_xp, digits):
    xp, device = device_xp
    X, y = digits
    clf = TwoLayerNNClassifier(8, solver="sgd", random_state=0)
    reference = lr_range_test(clf, X, y, n_steps=15, max_lr=10.0)
    moved = lr_range_test(clf, xp.asarray(X, device=device), y, n_steps=15, max_lr=10.0)
    assert_allclose(to_numpy(moved.raw_losses), reference.raw_losses, rtol=1e-12)
    assert moved.suggestion == pytest.approx(reference.suggestion, rel=1e-12)
