"""Same data, same seed, same model: results never depend on circumstances.

The contract of docs/reproducibility.rst: with the same data, parameters,
``random_state``, library versions, machine and thread limit, ``fit``,
``partial_fit`` and the predictions are bit-identical, whatever the load of the
machine and whatever else runs in the same process; and no call changes the
process's BLAS settings. Nothing here reads /proc or times anything: the load
is made by child processes, the concurrency by threads of this process.
"""

import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import threadpoolctl
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_tinynn import TwoLayerNNClassifier

SOLVERS = ["adam", "sgd", "gd", "lbfgs"]
CASES = [
    (solver, dtype, sparse)
    for solver in SOLVERS
    for dtype in ("float32", "float64")
    for sparse in (False, True)
]


def _data(dtype, sparse):
    """1,200 x 100 rows: gd's float64 steps take the column-major layout, the
    minibatches the row-major one, and all are large enough for BLAS threads."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(1200, 100)).astype(dtype)
    X[X < 0.5] = 0  # half zeros, for the sparse runs
    y = (X[:, :10].sum(axis=1) * 3).astype(int) % 4
    return (sp.csr_matrix(X) if sparse else X), y


def _fit_and_predict(solver, dtype, sparse):
    X, y = _data(dtype, sparse)
    clf = TwoLayerNNClassifier(32, solver=solver, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        if solver != "lbfgs":
            clf.partial_fit(X[:300], y[:300])
    arrays = [*clf.coefs_, *clf.intercepts_, clf.predict_proba(X)]
    return [a.copy() for a in arrays]


def _all_fits():
    # Two BLAS threads (the suite runs on one, see conftest.py): the products
    # are split between threads that contend with the busy processes.
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        return {case: _fit_and_predict(*case) for case in CASES}


class _BusyProcesses:
    """Two CPU-bound child processes, running while the block runs."""

    def __enter__(self):
        spin = [sys.executable, "-c", "while True: pass"]
        self.processes = [subprocess.Popen(spin) for _ in range(2)]
        return self

    def __exit__(self, *exc_info):
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


@pytest.fixture(scope="module")
def idle_and_busy_fits():
    idle = _all_fits()
    with _BusyProcesses():
        busy = _all_fits()
    return idle, busy


@pytest.mark.parametrize("solver, dtype, sparse", CASES)
def test_fits_are_bit_identical_whatever_the_load(
    idle_and_busy_fits, solver, dtype, sparse
):
    idle, busy = idle_and_busy_fits
    for expected, got in zip(idle[solver, dtype, sparse], busy[solver, dtype, sparse]):
        assert got.dtype == np.dtype(dtype)
        assert_array_equal(got, expected)


def test_grid_search_on_threads_scores_exactly_as_sequentially():
    """Fits running side by side in threads do not change each other's numbers."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16, y[:400]
    grid = {"alpha": [1e-4, 1.0], "solver": ["adam", "lbfgs"]}

    def scores(n_jobs):
        search = GridSearchCV(
            TwoLayerNNClassifier(32, max_iter=5, random_state=0),
            grid,
            cv=3,
            n_jobs=n_jobs,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            with joblib.parallel_backend("threading", n_jobs=n_jobs):
                search.fit(X, y)
        return {
            key: value
            for key, value in search.cv_results_.items()
            if key.startswith("split") and key.endswith("_test_score")
        }

    sequential, threaded = scores(1), scores(2)
    assert sequential.keys() == threaded.keys()
    for key in sequential:
        assert_array_equal(threaded[key], sequential[key])


def _blas_settings():
    return [
        (info["filepath"], info["num_threads"])
        for info in threadpoolctl.threadpool_info()
    ]


@pytest.mark.parametrize("limit", [None, 1])
def test_concurrent_calls_leave_the_blas_settings_as_they_were(limit):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = TwoLayerNNClassifier(64, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)

    def call(i):
        if i % 4 == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return TwoLayerNNClassifier(64, max_iter=2).fit(X, y).n_iter_
        return clf.predict_proba(X[: 1 + 50 * (i % 4)]).shape

    with threadpoolctl.threadpool_limits(limit):
        before = _blas_settings()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(call, range(48)))
        assert _blas_settings() == before


@pytest.mark.parametrize(
    "kind", ["multiclass float64", "binary float32", "multilabel", "string labels"]
)
def test_threads_predict_exactly_as_serial_calls(kind):
    """Prediction shares no buffer between calls: a call in a thread gives the
    bit-identical output of a serial call on the same input."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    if kind == "binary float32":
        X, y = X.astype(np.float32), y % 2
    elif kind == "multilabel":
        y = np.c_[y % 2, y > 4, y == 3].astype(int)
    elif kind == "string labels":
        y = np.array(["zero", "one", "two", "three", "four"] * 2)[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TwoLayerNNClassifier(32, max_iter=10, random_state=0).fit(X, y)
    rng = np.random.RandomState(0)
    # Different inputs per call, of different sizes, so that a shared buffer
    # would mix one call's rows into another's.
    inputs = [
        X[rng.choice(len(X), size=rng.randint(1, 200))] + rng.normal(0, 0.1)
        for _ in range(64)
    ]
    methods = ["predict", "predict_proba", "predict_log_proba"]
    calls = [(methods[i % 3], X_i) for i, X_i in enumerate(inputs)]
    expected = [getattr(clf, name)(X_i) for name, X_i in calls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda call: getattr(clf, call[0])(call[1]), calls))
    for got, want in zip(results, expected):
        assert got.dtype == want.dtype
        assert_array_equal(got, want)
