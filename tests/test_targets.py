"""Labels, classes and weights (sklearn_tinynn/_targets.py): what y becomes."""

import copy
import warnings

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
from test_classifier import _digits, assert_same

from sklearn_tinynn import TwoLayerNNClassifier


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


# ------------------------------------------------ any labels (hypothesis)


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
