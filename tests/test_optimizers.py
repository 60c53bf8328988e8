"""Each optimizer step against its closed form, written out by hand."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

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
