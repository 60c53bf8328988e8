"""Every fast path against the plain computation it replaces.

The reference implementations here are written out the straightforward way
(new arrays for every result, one parameter at a time), independently of the
preallocated buffers, BLAS calls and fused updates of the package.
"""

import math
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynn import TwoLayerNNClassifier, _network
from sklearn_tinynn._optimizers import SGD, Adam, GradientDescent

ACTIVATIONS = ["identity", "relu", "tanh", "logistic"]


def make_problem(out_activation, n_samples=23, n_features=7, n_hidden=5, seed=0):
    rng = np.random.RandomState(seed)
    n_outputs = 4 if out_activation == "softmax" else 2
    X = rng.normal(size=(n_samples, n_features))
    if out_activation == "softmax":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    else:
        Y = rng.randint(2, size=(n_samples, n_outputs)).astype(float)
    params = _network.init_params(n_features, n_hidden, n_outputs, "relu", rng, float)
    params = [p + 0.3 * rng.normal(size=p.shape) for p in params]
    return X, Y, params


def reference_loss_and_gradients(X, Y, params, activation, out_activation, alpha, sw):
    """The equations of the _network docstring, one new array per result."""
    W1, b1, W2, b2 = params
    g = {
        "identity": lambda z: z,
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
    }[activation]
    dg = {
        "identity": lambda a: np.ones_like(a),
        "relu": lambda a: (a > 0).astype(a.dtype),
        "tanh": lambda a: 1 - a**2,
        "logistic": lambda a: a * (1 - a),
    }[activation]
    s = np.ones(len(X)) if sw is None else sw
    S = s.sum()
    A1 = g(X @ W1 + b1)
    Z2 = A1 @ W2 + b2
    if out_activation == "softmax":
        E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        A2 = E / E.sum(axis=1, keepdims=True)
        losses = -(Y * np.log(A2)).sum(axis=1)
    else:
        A2 = 1 / (1 + np.exp(-Z2))
        losses = -(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).sum(axis=1)
    loss = (losses @ s + 0.5 * alpha * ((W1**2).sum() + (W2**2).sum())) / S
    dZ2 = (A2 - Y) * s[:, None] / S
    dZ1 = (dZ2 @ W2.T) * dg(A1)
    grads = [
        X.T @ dZ1 + alpha / S * W1,
        dZ1.sum(axis=0),
        A1.T @ dZ2 + alpha / S * W2,
        dZ2.sum(axis=0),
    ]
    return loss, grads


# ------------------------------------------------------------ the network


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("out_activation", ["softmax", "logistic"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_workspace_steps_match_the_reference(
    activation, out_activation, weighted, order
):
    """Minibatches of 10, 10 and 3 rows through one reused workspace."""
    X, Y, params = make_problem(out_activation)
    sw = np.random.RandomState(1).uniform(0.5, 2, len(X)) if weighted else None
    workspace = _network.Workspace(params, 10, order=order)
    args = (activation, out_activation, 1e-2)
    for batch in (slice(0, 10), slice(10, 20), slice(20, 23)):
        w = None if sw is None else sw[batch]
        X_b = np.asarray(X[batch], order=order)
        loss, grads = _network.loss_and_gradients(
            X_b, Y[batch], workspace.params, *args, w, workspace
        )
        expected_loss, expected = reference_loss_and_gradients(
            X[batch], Y[batch], params, *args, w
        )
        assert_allclose(loss, expected_loss, rtol=1e-12)
        for grad, ref in zip(grads, expected):
            assert_allclose(grad, ref, rtol=1e-10, atol=1e-14)
        for grad, view in zip(grads, workspace.grads):
            assert grad is view  # written in place, nothing allocated
        plain_loss, plain = _network.loss_and_gradients(
            X[batch], Y[batch], params, *args, w
        )
        assert_allclose(loss, plain_loss, rtol=1e-12)
        for grad, ref in zip(grads, plain):
            assert_allclose(grad, ref, rtol=1e-10, atol=1e-14)


def test_workspace_params_are_views_of_theta():
    _, _, params = make_problem("softmax")
    workspace = _network.Workspace(params, 4)
    for view, original in zip(workspace.params, params):
        assert_array_equal(view, original)
        assert np.shares_memory(view, workspace.theta)
        assert not np.shares_memory(view, original)
    assert workspace.theta.size == sum(p.size for p in params)
    for grad in workspace.grads:
        assert np.shares_memory(grad, workspace.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_gathers_into_its_own_buffers(dtype):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 6)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.randint(3, size=50)]
    params = _network.init_params(6, 4, 3, "relu", rng, dtype)
    workspace = _network.Workspace(params, 8)
    for rows in (rng.permutation(50)[:8], rng.permutation(50)[:8], np.array([3, 1])):
        X_b, Y_b = workspace.minibatch(X, Y, rows)
        assert_array_equal(X_b, X[rows])
        assert_array_equal(Y_b, Y[rows])
        assert X_b.dtype == Y_b.dtype == dtype
        assert np.shares_memory(X_b, workspace.X)  # the same buffer every time
        assert np.shares_memory(Y_b, workspace.Y)
    X_b, Y_b = workspace.minibatch(X, Y, slice(8, 16))
    assert np.shares_memory(X_b, X) and np.shares_memory(Y_b, Y)  # views
    X_sparse, _ = workspace.minibatch(sp.csr_matrix(X), Y, np.array([4, 0, 9]))
    assert_array_equal(X_sparse.toarray(), X[[4, 0, 9]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout_A", ["C", "F", "sparse", "strided"])
@pytest.mark.parametrize("layout_dZ", ["C", "F"])
def test_weight_gradient_matches_numpy(dtype, layout_A, layout_dZ):
    rng = np.random.RandomState(0)
    A = rng.normal(size=(12, 9)).astype(dtype)
    dZ = np.asarray(rng.normal(size=(12, 5)).astype(dtype), order=layout_dZ)
    W = rng.normal(size=(9, 5)).astype(dtype)
    expected = A.T @ dZ + 0.3 * W
    if layout_A == "sparse":
        A = sp.csr_matrix(A)
    elif layout_A == "strided":
        A = np.repeat(A, 2, axis=1)[:, ::2]
    else:
        A = np.asarray(A, order=layout_A)
    out, scratch = np.empty_like(W), np.empty_like(W)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for work in (None, scratch):  # the penalty's term allocated, or in scratch
        out[...] = np.nan
        result = _network._weight_gradient(A, dZ, W, 0.3, out, work)
        assert result is out
        assert out.dtype == dtype
        assert_allclose(out, expected, rtol=tolerance)


@pytest.mark.parametrize("order", ["C", "F"])
def test_product_into_row_or_column_major_out(order):
    rng = np.random.RandomState(0)
    A, B = rng.normal(size=(7, 4)), rng.normal(size=(4, 3))
    out = np.empty((9, 3), order=order)[:7]  # leading rows of a larger buffer
    assert _network._product(A, B, out) is out
    assert_allclose(out, A @ B)
    assert_allclose(_network._product(sp.csr_matrix(A), B, out), A @ B)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("layout_Y", ["C", "F"])
def test_true_class_cross_entropy_matches_the_full_sum(weighted, layout_Y):
    rng = np.random.RandomState(0)
    A2 = rng.dirichlet(np.ones(5), size=30)
    A2[0] = [1, 0, 0, 0, 0]  # a probability of exactly 0 for the true class
    Y = np.eye(5)[rng.randint(5, size=30)]
    Y[0] = [0, 1, 0, 0, 0]
    Y = np.asarray(Y, order=layout_Y)
    sw = rng.uniform(0.5, 2, 30) if weighted else None
    per_sample = -(Y * np.log(np.maximum(A2, np.finfo(float).tiny))).sum(axis=1)
    expected = np.average(per_sample, weights=sw)
    assert_allclose(_network.cross_entropy(Y, A2, "softmax", sw), expected)
    column_major = _network.cross_entropy(Y, np.asfortranarray(A2), "softmax", sw)
    assert_allclose(column_major, expected)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sparse", [False, True])
def test_hidden_layer_check_catches_every_non_finite_x(bad, activation, sparse):
    # predict checks X through Z1 = X W1 + b1: every row with a NaN or an
    # infinity must be caught, even where W1's row for that feature is all
    # zeros (inf * 0 is NaN), and whatever g does with infinities (tanh and
    # the logistic function map them to finite values, relu maps -inf to 0).
    X, _, params = make_problem("softmax")
    params[0][3] = 0.0
    for column in (3, 5):
        X_bad = X.copy()
        X_bad[7, column] = bad
        X_bad = sp.csr_matrix(X_bad) if sparse else X_bad
        with np.errstate(invalid="ignore", over="ignore"):
            with pytest.raises(FloatingPointError):
                _network.forward(X_bad, params, activation, "softmax", check=True)
    A1, A2 = _network.forward(X, params, activation, "softmax", check=True)
    assert np.isfinite(A2).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_predictions_reject_non_finite_x_with_scikit_learns_message(bad, method):
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(8, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X / 16, y)
    X_bad = X[:20] / 16
    X_bad[4, 0] = bad  # a pixel that is 0 in every image: W1's row barely trained
    message = "Input X contains NaN" if np.isnan(bad) else "Input X contains infinity"
    with pytest.raises(ValueError, match=message):
        getattr(clf, method)(X_bad)


# ------------------------------------------------------------ optimizers


def reference_adam(params, grads_per_step, eta, b1=0.9, b2=0.999, eps=1e-8):
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        eta_t = eta * math.sqrt(1 - b2**t) / (1 - b1**t)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            params[i] = params[i] - eta_t * m[i] / (np.sqrt(v[i]) + eps)
    return params


def reference_sgd(params, grads_per_step, eta, mu, nesterov):
    velocities = [np.zeros_like(p) for p in params]
    for grads in grads_per_step:
        for i, g in enumerate(grads):
            velocities[i] = mu * velocities[i] - eta * g
            if nesterov:
                params[i] = params[i] + mu * velocities[i] - eta * g
            else:
                params[i] = params[i] + velocities[i]
    return params


def random_steps(params, n_steps, seed=1):
    rng = np.random.RandomState(seed)
    return [
        [rng.normal(size=p.shape).astype(p.dtype) for p in params]
        for _ in range(n_steps)
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["adam", "sgd", "nesterov", "gd"])
def test_flat_fused_update_matches_per_parameter_reference(dtype, kind):
    """One update of the flat theta equals the plain update of each array."""
    _, _, params = make_problem("softmax")
    params = [p.astype(dtype) for p in params]
    steps = random_steps(params, 4)
    workspace = _network.Workspace(params, 1)
    if kind == "adam":
        optimizer = Adam([workspace.theta], 0.01)
        expected = reference_adam(list(params), steps, 0.01)
    elif kind == "gd":
        optimizer = GradientDescent([workspace.theta], 0.1)
        expected = reference_sgd(list(params), steps, 0.1, 0.0, False)
    else:
        nesterov = kind == "nesterov"
        optimizer = SGD([workspace.theta], 0.1, momentum=0.9, nesterov=nesterov)
        expected = reference_sgd(list(params), steps, 0.1, 0.9, nesterov)
    for grads in steps:
        for view, g in zip(workspace.grads, grads):
            view[...] = g
        optimizer.update_params([workspace.theta], [workspace.grad])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for param, ref in zip(workspace.params, expected):
        assert param.dtype == dtype
        assert_allclose(param, ref, rtol=rtol, atol=rtol * 1e-2)


# ------------------------------------------------------------ the estimator


def reference_fit(X, y, n_hidden, solver, epochs, batch_size, lr, alpha, seed):
    """A plain training loop: fancy-indexed minibatches, reference gradients."""
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
    for _ in range(epochs):
        rows = rng.permutation(len(X)) if solver == "adam" else np.arange(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = rows[start : start + batch_size]
            loss, grads = reference_loss_and_gradients(
                X[idx], Y[idx], params, "relu", "softmax", alpha, None
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
    "solver, batch_size, lr", [("adam", 64, 1e-2), ("gd", None, 0.5)]
)
def test_fit_matches_a_plain_training_loop(solver, batch_size, lr):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    params, curve = reference_fit(
        X, y, 12, solver, 3, batch_size or len(X), lr, 1e-3, 0
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


def test_predictions_do_not_share_buffers():
    """Prediction allocates its own arrays: calls from several threads are safe."""
    X, y = load_digits(return_X_y=True)
    clf = TwoLayerNNClassifier(8, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X / 16, y)
    first = clf.predict_proba(X[:5] / 16)
    second = clf.predict_proba(X[5:10] / 16)
    assert not np.shares_memory(first, second)
    assert_allclose(first, clf.predict_proba(X[:5] / 16))


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
    [(np.float64, 20, "relu"), (np.float32, 60, "tanh"), (np.float64, 60, "relu")],
)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fit_memory_bounds_the_measured_peak(
    solver, dtype, n_hidden, activation, early_stopping
):
    """docs/performance.md's formula: an upper bound, within 25% of the peak."""
    if early_stopping and solver in ("gd", "lbfgs"):
        pytest.skip("early stopping needs minibatches here")
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


def test_the_layout_rule_reads_sizes_as_python_integers():
    """Sizes of small integer types neither overflow nor change the layout."""
    for rows, hidden in [(np.int16(5000), np.int8(10)), (5000, 10)]:
        assert _network.hidden_layout(rows, hidden, np.float64) == "F"
    assert _network.hidden_layout(np.int8(100), np.int8(10), np.float64) == "C"
    assert _network.hidden_layout(5000, 10, np.float32) == "C"
    assert _network.hidden_layout(5000, 128, np.float64) == "C"
    small = _network.fit_memory(np.int16(30000), np.int16(784), np.int8(100), 10, "f8")
    assert small == _network.fit_memory(30000, 784, 100, 10, "f8")


def test_column_layout_gives_the_row_layout_gradients():
    """The two layouts compute the same gradients (to rounding)."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(50, 30))
    Y = np.eye(4)[rng.randint(4, size=50)]
    params = _network.init_params(30, 8, 4, "relu", rng, np.float64)
    results = []
    for order in ("C", "F"):
        workspace = _network.Workspace(params, 50, order)
        loss, grads = _network.loss_and_gradients(
            X,
            np.asfortranarray(Y),
            workspace.params,
            "relu",
            "softmax",
            0.1,
            workspace=workspace,
        )
        results.append((loss, [g.copy() for g in grads]))
    (loss_c, grads_c), (loss_f, grads_f) = results
    assert loss_c == pytest.approx(loss_f, rel=1e-12)
    for a, b in zip(grads_c, grads_f):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
