"""One fitted model, predicted from 8 threads at once, gives the serial results.

Prediction must share no scratch buffer between calls: every thread gets
bit-identical outputs to a serial call on the same input.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_tinynn import TwoLayerNNClassifier

N_THREADS = 8
N_ROUNDS = 8


def _fitted(kind):
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    y = y[:300]
    if kind == "binary float32":
        X, y = X.astype(np.float32), y % 2
    elif kind == "multilabel":
        y = np.c_[y % 2, y > 4, y == 3].astype(int)
    elif kind == "string labels":
        y = np.array(["zero", "one", "two", "three", "four"] * 2)[y]
    clf = TwoLayerNNClassifier(32, max_iter=10, random_state=0)
    return clf.fit(X, y), X


@pytest.mark.parametrize(
    "kind", ["multiclass float64", "binary float32", "multilabel", "string labels"]
)
def test_threads_predict_exactly_as_serial_calls(kind):
    clf, X = _fitted(kind)
    rng = np.random.RandomState(0)
    # Different inputs per call, of different sizes, so that a shared buffer
    # would mix one call's rows into another's.
    inputs = [
        X[rng.choice(len(X), size=rng.randint(1, 200))] + rng.normal(0, 0.1)
        for _ in range(N_THREADS * N_ROUNDS)
    ]
    methods = ["predict", "predict_proba", "predict_log_proba"]
    calls = [(methods[i % 3], X_i) for i, X_i in enumerate(inputs)]
    expected = [getattr(clf, name)(X_i) for name, X_i in calls]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        results = list(pool.map(lambda call: getattr(clf, call[0])(call[1]), calls))
    for got, want in zip(results, expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
