"""The network's math against independent references: finite differences for
every gradient, scipy/scikit-learn for the forward pass and the loss, the
output-bias prior; and every fast path of the NumPy Workspace (buffers, BLAS
layouts, gathers) against the plain computation it replaces."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import log_loss
from sklearn.utils.validation import check_random_state

from sklearn_tinynn import _network
from sklearn_tinynn._activations import (
    DERIVATIVES,
    HIDDEN_ACTIVATIONS,
    INPUT_DERIVATIVES,
)

ACTIVATIONS = ["identity", "relu", "tanh", "logistic", "leaky_relu", "gelu", "silu"]
# output type -> (output activation, number of output units)
OUTPUTS = {
    "binary": ("logistic", 1),
    "multiclass": ("softmax", 4),
    "multilabel": ("logistic", 3),
}


def make_problem(output, n_samples=9, n_features=5, n_hidden=6, seed=0):
    rng = np.random.RandomState(seed)
    out_activation, n_outputs = OUTPUTS[output]
    X = rng.normal(size=(n_samples, n_features))
    if output == "multiclass":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    else:
        Y = rng.randint(2, size=(n_samples, n_outputs)).astype(float)
    params = _network.init_params(
        n_features, n_hidden, n_outputs, "relu", rng, np.float64
    )
    # Random biases too, so that no hidden unit sits on the ReLU kink.
    params = [p + 0.3 * rng.normal(size=p.shape) for p in params]
    return X, Y, params, out_activation


def numerical_gradients(loss, params, h=1e-6):
    """Central differences (L(theta + h) - L(theta - h)) / 2h, entry by entry."""
    grads = []
    for theta in params:
        grad = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            saved = theta[i]
            theta[i] = saved + h
            up = loss()
            theta[i] = saved - h
            down = loss()
            theta[i] = saved
            grad[i] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", list(OUTPUTS))
@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_match_finite_differences(activation, output, alpha, weighted):
    X, Y, params, out_activation = make_problem(output)
    sample_weight = None
    if weighted:
        sample_weight = np.random.RandomState(1).uniform(0, 3, size=X.shape[0])
        sample_weight[2] = 0.0

    def loss():
        value, _ = _network.loss_and_gradients(
            X, Y, params, activation, out_activation, alpha, sample_weight
        )
        return value

    _, grads = _network.loss_and_gradients(
        X, Y, params, activation, out_activation, alpha, sample_weight
    )
    expected = numerical_gradients(loss, params)
    for grad, numerical in zip(grads, expected):
        assert grad.shape == numerical.shape
        error = np.linalg.norm(grad - numerical) / (
            np.linalg.norm(grad) + np.linalg.norm(numerical)
        )
        assert error <= 1e-6


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_derivative_matches_finite_differences_of_activation(activation):
    Z = np.linspace(-3, 3, 13) + 0.01  # away from the ReLU kink at 0
    h = 1e-6
    f = HIDDEN_ACTIVATIONS[activation]
    slope = (f(Z + h) - f(Z - h)) / (2 * h)
    A = f(Z.copy())
    argument = Z.copy() if activation in INPUT_DERIVATIVES else A
    derivative = DERIVATIVES[activation](argument, np.ones_like(Z))
    assert_allclose(derivative, slope, atol=1e-8)


@pytest.mark.parametrize("activation", sorted(INPUT_DERIVATIVES))
def test_activations_whose_derivative_takes_z_leave_z_intact(activation):
    Z = np.linspace(-3, 3, 13)
    kept = Z.copy()
    HIDDEN_ACTIVATIONS[activation](Z)
    assert_array_equal(Z, kept)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _gelu_tanh(z):
    return np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))


# The activations and their derivatives, in terms of z, written out once more.
REFERENCE_ACTIVATIONS = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "logistic": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    "gelu": (
        lambda z: 0.5 * z * (1 + _gelu_tanh(z)),
        lambda z: (
            0.5 * (1 + _gelu_tanh(z))
            + 0.5
            * z
            * (1 - _gelu_tanh(z) ** 2)
            * np.sqrt(2 / np.pi)
            * (1 + 3 * 0.044715 * z**2)
        ),
    ),
    "silu": (
        lambda z: z * _sigmoid(z),
        lambda z: _sigmoid(z) + z * _sigmoid(z) * (1 - _sigmoid(z)),
    ),
}


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_match_their_closed_forms(activation, dtype):
    Z = (np.linspace(-6, 6, 41) + 0.01).astype(dtype)
    g, dg = REFERENCE_ACTIVATIONS[activation]
    A = HIDDEN_ACTIVATIONS[activation](Z.copy())
    assert A.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(A, g(Z.astype(np.float64)), rtol=tol, atol=tol)
    argument = Z.copy() if activation in INPUT_DERIVATIVES else A
    derivative = DERIVATIVES[activation](argument, np.ones_like(Z))
    assert derivative.dtype == dtype
    # In float32, 1 + t and 1 - t^2 for t = tanh(...) near -1 lose digits:
    # GELU's slope at z = -5.4 is off by 1e-6 (terms of about 10, times eps).
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(derivative, dg(Z.astype(np.float64)), rtol=tol, atol=tol)


def test_forward_matches_closed_form():
    X, _Y, params, _ = make_problem("multiclass")
    W1, b1, W2, b2 = params
    A1, A2 = _network.forward(X, params, "tanh", "softmax")
    assert_allclose(A1, np.tanh(X @ W1 + b1))
    assert_allclose(A2, scipy_softmax(np.tanh(X @ W1 + b1) @ W2 + b2, axis=1))
    _, A2 = _network.forward(X, params, "logistic", "logistic")
    assert_allclose(A2, expit(expit(X @ W1 + b1) @ W2 + b2))


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_loss_matches_sklearn_log_loss(output):
    X, Y, params, out_activation = make_problem(output)
    weights = np.random.RandomState(2).uniform(0.1, 2, size=X.shape[0])
    loss, _ = _network.loss_and_gradients(
        X, Y, params, "relu", out_activation, 0.0, weights
    )
    _, A2 = _network.forward(X, params, "relu", out_activation)
    if output == "multiclass":
        expected = log_loss(Y, A2, sample_weight=weights)
    else:  # one binary cross-entropy per output unit, summed
        expected = sum(
            log_loss(Y[:, k], A2[:, k], sample_weight=weights, labels=[0, 1])
            for k in range(Y.shape[1])
        )
    assert_allclose(loss, expected, rtol=1e-10)


def test_penalty_is_divided_by_total_weight():
    X, Y, params, out_activation = make_problem("multiclass")
    weights = np.full(X.shape[0], 2.0)
    base, _ = _network.loss_and_gradients(X, Y, params, "relu", out_activation, 0.0)
    loss, _ = _network.loss_and_gradients(
        X, Y, params, "relu", out_activation, 3.0, weights
    )
    W1, _, W2, _ = params
    expected = base + 0.5 * 3.0 * (np.sum(W1**2) + np.sum(W2**2)) / weights.sum()
    assert_allclose(loss, expected)


def test_integer_weights_equal_repeated_samples():
    X, Y, params, out_activation = make_problem("multiclass")
    counts = np.array([0, 1, 2, 3, 1, 0, 2, 1, 1])
    args = ("relu", out_activation, 0.7)
    loss_w, grads_w = _network.loss_and_gradients(
        X, Y, params, *args, counts.astype(float)
    )
    loss_r, grads_r = _network.loss_and_gradients(
        X.repeat(counts, axis=0), Y.repeat(counts, axis=0), params, *args
    )
    assert_allclose(loss_w, loss_r)
    for g_w, g_r in zip(grads_w, grads_r):
        assert_allclose(g_w, g_r, atol=1e-14)


def test_softmax_and_loss_stay_finite_for_raw_pixels():
    # Unscaled 0-255 pixels give logits in the thousands: exp would overflow.
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(20, 784)).astype(np.float64)
    Y = np.eye(10)[rng.randint(10, size=20)]
    params = _network.init_params(784, 10, 10, "relu", rng, np.float64)
    params[2] *= 50
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = _network.loss_and_gradients(X, Y, params, "relu", "softmax", 0)
        _, A2 = _network.forward(X, params, "relu", "softmax")
    assert np.isfinite(loss)
    assert loss > 10  # confidently wrong somewhere: large, but finite
    assert all(np.isfinite(g).all() for g in grads)
    assert_allclose(A2.sum(axis=1), 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, Y, params, out_activation = make_problem("multiclass")
    X, Y = X.astype(dtype), Y.astype(dtype)
    params = [p.astype(dtype) for p in params]
    _, grads = _network.loss_and_gradients(
        X, Y, params, "relu", out_activation, 1e-4, np.ones(len(X), dtype)
    )
    assert all(g.dtype == dtype for g in grads)


def test_glorot_uniform_init():
    rng = np.random.RandomState(0)
    W1, b1, W2, b2 = _network.init_params(300, 100, 10, "relu", rng, np.float32)
    assert W1.shape == (300, 100)
    assert b1.shape == (100,)
    assert W2.shape == (100, 10)
    assert b2.shape == (10,)
    assert W1.dtype == np.float32
    bound1, bound2 = np.sqrt(6 / 400), np.sqrt(6 / 110)
    assert np.abs(W1).max() <= bound1
    assert np.abs(W1).max() > 0.99 * bound1
    assert np.abs(W2).max() <= bound2
    # uniform on [-r, r] has variance r^2 / 3
    assert_allclose(W1.var(), bound1**2 / 3, rtol=0.02)
    W1_logistic = _network.init_params(300, 100, 10, "logistic", rng, np.float64)[0]
    assert np.abs(W1_logistic).max() <= np.sqrt(2 / 400)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_he_uniform_init_has_the_variance_two_over_fan_in(activation):
    rng = np.random.RandomState(0)
    W1, b1, W2, b2 = _network.init_params(
        400, 300, 10, activation, rng, np.float64, init="he"
    )
    bound1, bound2 = np.sqrt(6 / 400), np.sqrt(6 / 300)
    for W, bound in ((W1, bound1), (W2, bound2)):
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.99 * bound
    assert np.abs(b1).max() <= bound1 and np.abs(b2).max() <= bound2
    # uniform on [-r, r] has variance r^2 / 3 = 2 / fan_in, whatever the
    # activation; the mean is 0
    assert_allclose(W1.var(), 2 / 400, rtol=0.01)
    assert_allclose(W2.var(), 2 / 300, rtol=0.06)  # 3,000 draws
    assert abs(W1.mean()) < 3 * np.sqrt(2 / 400 / W1.size)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_default_init_is_the_glorot_draw_of_before(activation):
    # The draws of the one formula the package had before the init parameter,
    # in its order: W1, b1, W2, b2 from one RandomState.
    rng = np.random.RandomState(3)
    factor = 2.0 if activation == "logistic" else 6.0
    expected = []
    for fan_in, fan_out in ((20, 7), (7, 4)):
        bound = np.sqrt(factor / (fan_in + fan_out))
        expected += [
            rng.uniform(-bound, bound, (fan_in, fan_out)),
            rng.uniform(-bound, bound, fan_out),
        ]
    for params in (
        _network.init_params(20, 7, 4, activation, np.random.RandomState(3), "f8"),
        _network.init_params(
            20, 7, 4, activation, np.random.RandomState(3), "f8", init="glorot"
        ),
    ):
        for got, want in zip(params, expected):
            assert_array_equal(got, want)


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


# ----------------------------------------- the workspace's fast paths


def make_workspace_problem(
    out_activation, n_samples=23, n_features=7, n_hidden=5, seed=0
):
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


def reference_loss_and_gradients(
    X, Y, params, activation, out_activation, alpha, sw, mask=None
):
    """The equations of the _network docstring, one new array per result
    (with a dropout ``mask`` D, the hidden layer g(Z1) D)."""
    W1, b1, W2, b2 = params
    g, dg = REFERENCE_ACTIVATIONS[activation]
    s = np.ones(len(X)) if sw is None else sw
    S = s.sum()
    D = 1.0 if mask is None else mask
    Z1 = X @ W1 + b1
    A1 = g(Z1) * D
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
    dZ1 = (dZ2 @ W2.T) * D * dg(Z1)
    grads = [
        X.T @ dZ1 + alpha / S * W1,
        dZ1.sum(axis=0),
        A1.T @ dZ2 + alpha / S * W2,
        dZ2.sum(axis=0),
    ]
    return loss, grads


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("out_activation", ["softmax", "logistic"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_workspace_steps_match_the_reference(
    activation, out_activation, weighted, order
):
    """Minibatches of 10, 10 and 3 rows through one reused workspace."""
    X, Y, params = make_workspace_problem(out_activation)
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
    _, _, params = make_workspace_problem("softmax")
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
    X, _, params = make_workspace_problem("softmax")
    params[0][3] = 0.0
    for column in (3, 5):
        X_bad = X.copy()
        X_bad[7, column] = bad
        X_bad = sp.csr_matrix(X_bad) if sparse else X_bad
        with (
            np.errstate(invalid="ignore", over="ignore"),
            pytest.raises(FloatingPointError),
        ):
            _network.forward(X_bad, params, activation, "softmax", check=True)
    _A1, A2 = _network.forward(X, params, activation, "softmax", check=True)
    assert np.isfinite(A2).all()


def test_prior_biases_give_the_weighted_prior():
    rng = check_random_state(0)
    y = rng.randint(0, 4, 50)
    Y = np.eye(4)[y]
    s = rng.uniform(0, 3, 50)
    prior = np.bincount(y, weights=s, minlength=4) / s.sum()
    assert_allclose(softmax(_network.prior_biases(Y, s, "softmax")), prior)
    assert_allclose(expit(_network.prior_biases(Y, s, "logistic")), prior)
    # An absent class starts at the clipped prior, not at log(0).
    Y[:, 3] = 0
    b2 = _network.prior_biases(Y, None, "softmax")
    assert b2[3] == pytest.approx(np.log(_network.PRIOR_CLIP))


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


# ----------------------------------------------------------------- dropout


def _dropout_problem(output, p=0.4, seed=3):
    X, Y, params, out_activation = make_problem(output)
    mask = _network.dropout_mask(
        np.random.RandomState(seed), (X.shape[0], params[0].shape[1]), p, X.dtype
    )
    return X, Y, params, out_activation, mask


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_dropout_gradients_match_finite_differences(activation, output):
    """With a fixed mask the loss is a smooth function of the parameters."""
    X, Y, params, out_activation, mask = _dropout_problem(output)
    assert mask.mean() > 0 and (mask == 0).any()  # the mask drops some units
    args = (activation, out_activation, 0.5)

    def loss():
        return _network.loss_and_gradients(X, Y, params, *args, mask=mask)[0]

    _, grads = _network.loss_and_gradients(X, Y, params, *args, mask=mask)
    for grad, numerical in zip(grads, numerical_gradients(loss, params)):
        error = np.linalg.norm(grad - numerical) / (
            np.linalg.norm(grad) + np.linalg.norm(numerical)
        )
        assert error <= 1e-6


def test_dropout_loss_is_the_loss_of_the_masked_hidden_layer():
    """The reference: the plain equations with A1 replaced by g(Z1) D."""
    X, Y, params, out_activation, mask = _dropout_problem("multiclass")
    W1, b1, W2, b2 = params
    A1 = np.tanh(X @ W1 + b1) * mask
    A2 = scipy_softmax(A1 @ W2 + b2, axis=1)
    expected = log_loss(Y.argmax(axis=1), A2, labels=range(4))
    loss, _ = _network.loss_and_gradients(
        X, Y, params, "tanh", out_activation, 0.0, mask=mask
    )
    assert_allclose(loss, expected, rtol=1e-12)
    A1_train, _ = _network.forward(X, params, "tanh", "softmax", mask=mask)
    assert_allclose(A1_train, A1, rtol=1e-14)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_keeps_units_with_probability_one_minus_p(p):
    """Values 0 or 1 / (1 - p); E[A1 D] = A1, within 6 standard errors.

    The mean of N = 400,000 entries of D has standard deviation
    sqrt(p / (1 - p) / N); the seed is fixed, so the test cannot flake, and a
    rate off by 1% of p (or a missing 1 / (1 - p)) is far outside the bound.
    """
    n = 400_000
    D = _network.dropout_mask(np.random.RandomState(0), (n // 100, 100), p, "f8")
    assert set(np.unique(D)) == {0.0, 1 / (1 - p)}
    bound = 6 * np.sqrt(p / (1 - p) / n)
    assert abs(D.mean() - 1) < bound
    assert abs((D == 0).mean() - p) < 6 * np.sqrt(p * (1 - p) / n)


def test_dropped_hidden_layer_is_unbiased():
    """The mean of A1 D over many masks is A1 (per unit, 6 standard errors)."""
    X, _, params, _ = make_problem("multiclass")
    A1, _ = _network.forward(X, params, "relu", "softmax")
    rng, p, draws = np.random.RandomState(1), 0.3, 20_000
    total = np.zeros_like(A1)
    for _ in range(draws):
        mask = _network.dropout_mask(rng, A1.shape, p, A1.dtype)
        total += _network.forward(X, params, "relu", "softmax", mask=mask)[0]
    sigma = A1 * np.sqrt(p / (1 - p) / draws)  # the std of the mean of A1 D
    assert np.all(np.abs(total / draws - A1) <= 6 * sigma + 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_mask_has_the_dtype_and_the_same_draws_in_every_dtype(dtype):
    D = _network.dropout_mask(np.random.RandomState(0), (50, 7), 0.25, dtype)
    D64 = _network.dropout_mask(np.random.RandomState(0), (50, 7), 0.25, "f8")
    assert D.dtype == dtype
    assert_array_equal(D == 0, D64 == 0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("order", ["C", "F"])
def test_dropout_workspace_steps_match_the_plain_path(activation, order):
    """Minibatches of 10, 10 and 3 rows through one workspace with masks."""
    X, Y, params = make_workspace_problem("softmax")
    workspace = _network.Workspace(params, 10, order=order, dropout=True)
    rng = np.random.RandomState(0)
    args = (activation, "softmax", 1e-2)
    for batch in (slice(0, 10), slice(10, 20), slice(20, 23)):
        n = batch.stop - batch.start
        mask = _network.dropout_mask(rng, (n, 5), 0.5, X.dtype, workspace.mask[:n])
        X_b = np.asarray(X[batch], order=order)
        loss, grads = _network.loss_and_gradients(
            X_b, Y[batch], workspace.params, *args, workspace=workspace, mask=mask
        )
        plain_loss, plain = _network.loss_and_gradients(
            X[batch], Y[batch], params, *args, mask=mask.copy()
        )
        assert_allclose(loss, plain_loss, rtol=1e-12)
        for grad, ref, view in zip(grads, plain, workspace.grads):
            assert grad is view
            assert_allclose(grad, ref, rtol=1e-10, atol=1e-14)
