"""The training loop (sklearn_tinynn/_training.py): solvers, epochs, the
stopping rule, the validation split, and the state a failed call restores."""

import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from sklearn_tinynn import TwoLayerNNClassifier


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
