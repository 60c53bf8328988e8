"""The BLAS thread policy: one thread for small products, the setting in force
for large ones, and a user's threadpool_limits always wins."""

import os
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_tinynn import TwoLayerNNClassifier, _network, _threads


def blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def seen(monkeypatch):
    """The BLAS thread counts in force at each loss evaluation and forward pass."""
    seen = {"fit": [], "predict": []}
    for name, key in (("loss_and_gradients", "fit"), ("forward", "predict")):
        real = getattr(_network, name)

        def recording(*args, _real=real, _key=key, **kwargs):
            seen[_key].append(blas_threads())
            return _real(*args, **kwargs)

        monkeypatch.setattr(_network, name, recording)
    return seen


@pytest.fixture
def idle(monkeypatch):
    monkeypatch.setattr(_threads, "_machine_is_busy", lambda: False)


def fit_and_predict(n_samples, n_features, hidden, solver="gd"):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(n_samples, n_features))
    y = np.arange(n_samples) % 2
    clf = TwoLayerNNClassifier(hidden, solver=solver, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.predict_proba(X)
    return clf


@pytest.mark.parametrize("solver", ["adam", "gd", "lbfgs"])
def test_small_problems_run_blas_on_one_thread(seen, idle, solver):
    with threadpool_limits(2, user_api="blas"):
        fit_and_predict(100, 20, 10, solver)
        assert blas_threads() == [2] * len(blas_threads())  # restored
    assert {n for counts in seen["fit"] for n in counts} == {1}
    assert {n for counts in seen["predict"] for n in counts} == {1}


def test_large_products_keep_the_setting_in_force(seen, idle):
    # 2,000 rows x 1,000 features x 50 hidden units: 1e8, LARGE_PRODUCT.
    with threadpool_limits(2, user_api="blas"):
        fit_and_predict(2000, 1000, 50)
    assert {n for counts in seen["fit"] for n in counts} == {2}
    assert {n for counts in seen["predict"] for n in counts} == {2}


def test_a_users_limit_wins(seen, idle):
    with threadpool_limits(1, user_api="blas"):
        fit_and_predict(2000, 1000, 50)
        assert blas_threads() == [1] * len(blas_threads())
    assert {n for counts in seen["fit"] + seen["predict"] for n in counts} == {1}


def test_a_busy_machine_runs_medium_products_on_one_thread(seen, monkeypatch):
    # 200 rows x 784 features x 128 hidden units, a Fashion-MNIST minibatch.
    for busy, expected in ((False, {2}), (True, {1})):
        monkeypatch.setattr(_threads, "_machine_is_busy", lambda busy=busy: busy)
        seen["fit"].clear()
        with threadpool_limits(2, user_api="blas"):
            fit_and_predict(200, 784, 128)
        assert {n for counts in seen["fit"] for n in counts} == expected


def test_nested_and_overlapping_uses_restore_once():
    with threadpool_limits(2, user_api="blas"):
        limit = _threads.blas_threads_for(1, 1, 1)
        with limit:
            with _threads.blas_threads_for(1, 1, 1):
                assert set(blas_threads()) == {1}
            assert set(blas_threads()) == {1}  # the outer use still holds
        assert set(blas_threads()) == {2}


linux_proc = pytest.mark.skipif(
    not os.path.exists("/proc/loadavg"), reason="counts running threads in /proc"
)


@linux_proc
def test_a_process_running_beside_makes_the_machine_busy():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # started and running (or waiting for a core: runnable)
        assert _threads._others_running() >= 1
        assert _threads._machine_is_busy()
    finally:
        spinner.kill()
        spinner.wait()


@linux_proc
def test_the_threads_of_this_process_do_not_make_it_busy():
    """A fit's own spinning threads are taken off the count of running ones."""
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    spinners = [threading.Thread(target=spin) for _ in range(2)]
    for thread in spinners:
        thread.start()
    try:
        # Some other program may run at a given moment: not at every one. (The
        # two counts are read moments apart: this one may come out below 0.)
        assert min(_threads._others_running() for _ in range(50)) <= 0
    finally:
        stop.set()
        for thread in spinners:
            thread.join()
