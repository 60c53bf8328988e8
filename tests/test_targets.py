"""Labels, classes and weights (sklearn_tinynn/_targets.py): what y becomes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import TwoLayerNNClassifier, _network


@pytest.mark.parametrize(
    "y",
    [
        [np.nan] * 4,
        [0.0, 1.0, np.nan, 1.0],
        [0.0, 1.0, np.inf, 1.0],
        np.array([0, 1, -np.inf, 1], dtype=np.float32),
        np.array(["a", "b", np.nan, "a"], dtype=object),
    ],
)
def test_non_finite_labels_are_refused(y):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="non-finite label|NaN|infinity"):
        TwoLayerNNClassifier(2, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="non-finite label|NaN|infinity"):
        TwoLayerNNClassifier(2).partial_fit(X, y, classes=[0.0, 1.0])


def test_non_finite_declared_classes_are_refused():
    with pytest.raises(ValueError, match="classes holds 1 non-finite label"):
        TwoLayerNNClassifier(2).partial_fit(
            [[0.0], [1.0]], [0, 1], classes=[0, 1, np.nan]
        )


def test_declared_unseen_classes_start_level_with_an_average_seen_class():
    # Shares 0.3 / 0.1 / 0 / 0.6, and class 2 declared but unseen: it counts as
    # a class of the mean share of the seen ones (1/3), then all normalized.
    Y = np.eye(4)[[0, 0, 0, 1, 3, 3, 3, 3, 3, 3]]
    shares = np.array([0.3, 0.1, 1 / 3, 0.6]) / (1 + 1 / 3)
    b2 = _network.prior_biases(Y, None, "softmax", fill_absent=True)
    assert_allclose(b2, np.log(shares))
    # Binary: a class declared and unseen makes the start even (logit 0).
    for column in (np.zeros((5, 1)), np.ones((5, 1))):
        assert_allclose(_network.prior_biases(column, None, "logistic", True), 0)
    # fit keeps the clipped prior: there the data show the class is rare.
    assert _network.prior_biases(Y, None, "softmax")[2] == np.log(1e-3)


def test_a_class_declared_and_unseen_is_predicted_once_seen():
    # scikit-learn's test_partial_fit_unseen_classes in other words: a class
    # missing from the first partial_fit is learned from the later ones.
    X, y = [[1], [2], [3], [4]], ["a", "b", "c", "d"]
    clf = TwoLayerNNClassifier(random_state=0, learning_rate_init=0.01)
    clf.partial_fit(X[:3], y[:3], classes=["a", "b", "c", "d"])
    for _ in range(20):
        clf.partial_fit(X[3:], y[3:])
    assert clf.predict([[4]])[0] == "d"
    assert set(clf.predict(X)) <= {"a", "b", "c", "d"}


def stream_accuracies(clf, X, y, epochs=3):
    """A first batch of classes 0-4 only, then epochs of shuffled batches of
    100; the accuracy on all the data after each epoch."""
    rng = np.random.RandomState(0)
    first = y < 5
    clf.partial_fit(X[first], y[first], classes=np.arange(10))
    accuracies = []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 100):
            batch = order[start : start + 100]
            clf.partial_fit(X[batch], y[batch])
        accuracies.append(clf.score(X, y))
    return np.array(accuracies)


def test_a_stream_learns_late_classes_at_the_pace_of_mlpclassifier():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    ours = stream_accuracies(TwoLayerNNClassifier(random_state=0), X, y)
    theirs = stream_accuracies(MLPClassifier(random_state=0), X, y)
    assert np.all(ours > theirs - 0.03)
