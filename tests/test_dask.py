"""Scale-out on Dask: a grid search on a real local cluster through joblib's
"dask" backend, and dask_ml's Incremental training on a dask array block by block.

The cluster is a scheduler (on this process's event loop) and two worker
processes, talking TCP on loopback; the fixture starts it and checks on teardown
that no worker process outlives it.
"""

import os

import dask.array as da
import joblib
import numpy as np
import psutil
import pytest
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from sklearn_tinynn import TwoLayerNNClassifier

pytestmark = pytest.mark.dask

CHUNK = 300  # rows per dask block: the 1347 training digits span 5 blocks
# Workers run BLAS on one thread, the test process on several: the same seeds
# give the same weights up to the last bits of a dot product (bit for bit with
# NumPy's OpenBLAS when measured, but no BLAS promises that across thread counts).
BLAS_RTOL = 1e-9


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # The scheduler's HTTP server takes port 8787 even without a dashboard,
        # and warns when another cluster on the machine holds it: a free port.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    with cluster, Client(cluster) as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        pids = set(client.run(os.getpid).values())
        assert len(pids - {os.getpid()}) == 2
        yield client
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    assert not alive, f"worker processes {alive} outlived the cluster"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, random_state=0, stratify=y)


def _search():
    return GridSearchCV(
        TwoLayerNNClassifier(max_iter=20, random_state=0),
        {"hidden_layer_size": [8, 16], "alpha": [1e-4, 1.0]},
        scoring=["accuracy", "neg_log_loss"],
        refit="accuracy",
        cv=3,
    )


def test_grid_search_on_cluster_equals_default_backend(client, digits):
    X, _, y, _ = digits
    expected = _search().fit(X, y)
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        result = _search().fit(X, y)

    # The fits ran as tasks on the cluster's workers, not in this process.
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    assert result.cv_results_["params"] == expected.cv_results_["params"]
    for key, values in expected.cv_results_.items():
        if key.endswith("test_accuracy"):  # split*, mean, std and rank
            assert_array_equal(result.cv_results_[key], values)
        elif key.endswith("test_neg_log_loss"):
            assert_allclose(result.cv_results_[key], values, rtol=BLAS_RTOL)
    assert result.best_params_ == expected.best_params_


def _blocks(X, y):
    return da.from_array(X, chunks=(CHUNK, -1)), da.from_array(y, chunks=CHUNK)


def test_incremental_calls_partial_fit_once_per_block(client, digits):
    X, _, y, _ = digits
    X_dask, y_dask = _blocks(X, y)
    assert X_dask.numblocks[0] > 1
    classes = np.unique(y)
    params = {"hidden_layer_size": 16, "random_state": 0}
    model = Incremental(TwoLayerNNClassifier(**params), shuffle_blocks=False)
    model.fit(X_dask, y_dask, classes=classes)

    reference = TwoLayerNNClassifier(**params)
    for start in range(0, len(X), CHUNK):
        block = slice(start, start + CHUNK)
        reference.partial_fit(X[block], y[block], classes=classes)
    fitted = model.estimator_
    assert fitted.n_iter_ == 1  # one epoch per partial_fit call
    assert len(fitted.loss_curve_) == X_dask.numblocks[0]
    assert fitted.t_ == len(X)
    expected = reference.coefs_ + reference.intercepts_
    for param, param_expected in zip(fitted.coefs_ + fitted.intercepts_, expected):
        assert_allclose(param, param_expected, rtol=BLAS_RTOL, atol=1e-12)


def test_incremental_accuracy_matches_in_memory_fit(client, digits):
    X, X_test, y, y_test = digits
    X_dask, y_dask = _blocks(X, y)
    X_test_dask, y_test_dask = _blocks(X_test, y_test)
    classes = np.unique(y)
    params = {"hidden_layer_size": 32, "learning_rate_init": 0.01, "random_state": 0}
    epochs = 10
    in_memory = TwoLayerNNClassifier(max_iter=epochs, **params).fit(X, y)

    model = Incremental(
        TwoLayerNNClassifier(**params), scoring="accuracy", random_state=0
    )
    for _ in range(epochs):
        model.partial_fit(X_dask, y_dask, classes=classes)
    accuracy = model.score(X_test_dask, y_test_dask)

    # Both see every sample `epochs` times in minibatches of at most 200 with
    # Adam; only the order and grouping differ (blocks shuffled, then samples
    # within a block). Over 8 splits and 5 or 10 epochs the test accuracies
    # differed by at most 0.018 (8 of 450 digits); training on one block only
    # falls 0.07 or more behind. 0.03 separates the two.
    assert accuracy == pytest.approx(in_memory.score(X_test, y_test), abs=0.03)
    assert accuracy > 0.9
    predicted = model.predict(X_test_dask)
    assert isinstance(predicted, da.Array)
    assert_array_equal(predicted.compute(), model.estimator_.predict(X_test))
