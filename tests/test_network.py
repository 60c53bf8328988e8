"""The network's math against independent references: finite differences for
every gradient, scipy/scikit-learn for the forward pass and the loss."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import log_loss

from sklearn_tinynn import _network
from sklearn_tinynn._activations import DERIVATIVES, HIDDEN_ACTIVATIONS

ACTIVATIONS = ["identity", "relu", "tanh", "logistic"]
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
    assert_allclose(DERIVATIVES[activation](A, np.ones_like(Z)), slope, atol=1e-8)


def test_forward_matches_closed_form():
    X, Y, params, _ = make_problem("multiclass")
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
