"""Each optimizer step against its closed form, written out by hand; the fused
update of the NumPy fast path against a per-parameter reference, and its
state in the one per-parameter layout."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_network import make_workspace_problem

from sklearn_tinynn import _network
from sklearn_tinynn._optimizers import SGD, Adam, GradientDescent


def make_params(seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(3, 2)), rng.normal(size=2)]


def make_grads(seed):
    return make_params(seed)


def test_gradient_descent_step():
    params, grads = make_params(), make_grads(1)
    theta0 = [p.copy() for p in params]
    GradientDescent(params, learning_rate_init=0.1).update_params(params, grads)
    for theta, t0, g in zip(params, theta0, grads):
        assert_allclose(theta, t0 - 0.1 * g)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps(nesterov):
    eta, mu = 0.05, 0.9
    params, g1, g2 = make_params(), make_grads(1), make_grads(2)
    theta0 = [p.copy() for p in params]
    optimizer = SGD(params, eta, momentum=mu, nesterov=nesterov)
    optimizer.update_params(params, g1)
    optimizer.update_params(params, g2)
    for theta, t0, a, b in zip(params, theta0, g1, g2):
        v1 = -eta * a
        v2 = mu * v1 - eta * b
        if nesterov:  # theta += mu * v - eta * g after each velocity update
            expected = t0 + (mu * v1 - eta * a) + (mu * v2 - eta * b)
        else:
            expected = t0 + v1 + v2
        assert_allclose(theta, expected)


def test_adam_two_steps():
    eta, b1, b2, eps = 0.01, 0.8, 0.95, 1e-8
    params, g1, g2 = make_params(), make_grads(1), make_grads(2)
    theta0 = [p.copy() for p in params]
    optimizer = Adam(params, eta, b1, b2, eps)
    optimizer.update_params(params, g1)
    optimizer.update_params(params, g2)
    for theta, t0, a, b in zip(params, theta0, g1, g2):
        m1, v1 = (1 - b1) * a, (1 - b2) * a**2
        step1 = eta * np.sqrt(1 - b2) / (1 - b1) * m1 / (np.sqrt(v1) + eps)
        m2, v2 = b1 * m1 + (1 - b1) * b, b2 * v1 + (1 - b2) * b**2
        step2 = eta * np.sqrt(1 - b2**2) / (1 - b1**2) * m2 / (np.sqrt(v2) + eps)
        assert_allclose(theta, t0 - step1 - step2)
    assert optimizer.state["t"] == 2


def test_adam_first_step_is_learning_rate_times_sign():
    # With bias correction the first step is eta * g / |g| (up to epsilon).
    params, grads = make_params(), make_grads(3)
    theta0 = [p.copy() for p in params]
    Adam(params, 0.001, epsilon=1e-12).update_params(params, grads)
    for theta, t0, g in zip(params, theta0, grads):
        assert_allclose(theta, t0 - 0.001 * np.sign(g), rtol=1e-9)


def test_invscaling_schedule():
    optimizer = SGD(make_params(), 0.1, lr_schedule="invscaling", power_t=0.5)
    optimizer.iteration_ends(99)
    assert_allclose(optimizer.learning_rate, 0.1 / 100**0.5)
    constant = GradientDescent(make_params(), 0.1)
    constant.iteration_ends(99)
    assert constant.learning_rate == 0.1


def test_adaptive_schedule_divides_by_five_then_stops():
    optimizer = GradientDescent(make_params(), 1e-5, lr_schedule="adaptive")
    assert optimizer.trigger_stopping() is False
    assert_allclose(optimizer.learning_rate, 2e-6)
    assert optimizer.trigger_stopping() is False
    assert_allclose(optimizer.learning_rate, 4e-7)
    assert optimizer.trigger_stopping() is True
    assert GradientDescent(make_params(), 0.1).trigger_stopping() is True


def test_state_round_trip_continues_exactly():
    params_a, params_b = make_params(), make_params()
    grads = [make_grads(s) for s in range(1, 5)]
    one = Adam(params_a, 0.01)
    for g in grads:
        one.update_params(params_a, g)
    first = Adam(params_b, 0.01)
    for g in grads[:2]:
        first.update_params(params_b, g)
    second = Adam(params_b, 0.01, state=first.state)
    for g in grads[2:]:
        second.update_params(params_b, g)
    for a, b in zip(params_a, params_b):
        assert_allclose(a, b, rtol=0, atol=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: GradientDescent(p, 0.1),
        lambda p: SGD(p, 0.1),
        lambda p: Adam(p, 0.1),
    ],
)
def test_float32_parameters_stay_float32(make):
    params = [p.astype(np.float32) for p in make_params()]
    grads = [g.astype(np.float32) for g in make_grads(1)]
    optimizer = make(params)
    optimizer.update_params(params, grads)
    assert all(p.dtype == np.float32 for p in params)


@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1), lambda p: Adam(p, 0.1)])
def test_fused_state_keeps_the_per_parameter_layout(make):
    # The NumPy fast path updates one flat vector; its state keeps one array
    # per parameter (views of the flat state), and the steps are the same.
    params, fused_params = make_params(), make_params()
    plain, fused = make(params), make(fused_params)
    fused.fuse()
    theta = _network.flatten(fused_params)
    views = _network.unflatten(theta, [p.shape for p in params])
    for seed in (1, 2, 3):
        grads = make_grads(seed)
        plain.update_params(params, grads)
        fused.update_params([theta], [_network.flatten(grads)])
    for key, arrays in plain.state.items():
        if isinstance(arrays, list):
            assert [a.shape for a in fused.state[key]] == [a.shape for a in arrays]
            for a, b in zip(fused.state[key], arrays):
                assert_allclose(a, b, rtol=0, atol=0)
    for a, b in zip(views, params):
        assert_allclose(a, b, rtol=0, atol=0)


# ------------------------------- the fused update against a reference


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
    _, _, params = make_workspace_problem("softmax")
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
