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


# ------------------------------------------------------ schedules with a position

SCHEDULED = {
    "gd": lambda p, **kw: GradientDescent(p, 0.1, **kw),
    "sgd": lambda p, **kw: SGD(p, 0.1, **kw),
    "adam": lambda p, **kw: Adam(p, 0.1, **kw),
}


def rates(optimizer, n_epochs, horizon, restart=True, samples=10):
    """The rate of each of ``n_epochs`` epochs, after ``begin``."""
    optimizer.begin(horizon, restart=restart, time_step=0)
    seen = []
    for epoch in range(n_epochs):
        seen.append(optimizer.learning_rate)
        optimizer.iteration_ends((epoch + 1) * samples)
    return seen


def cosine(eta0, e, T):
    """The closed form, eta_min = 0: eta0 (1 + cos(pi e / T)) / 2."""
    return eta0 * (1 + np.cos(np.pi * np.asarray(e) / T)) / 2


@pytest.mark.parametrize("kind", list(SCHEDULED))
def test_cosine_rate_of_each_epoch(kind):
    optimizer = SCHEDULED[kind](make_params(), lr_schedule="cosine")
    got = rates(optimizer, 7, horizon=7)
    assert_allclose(got, cosine(0.1, np.arange(7), 7), rtol=1e-15)
    assert got[0] == 0.1 and got[-1] < 0.01
    # After the horizon a new cycle starts: a warm restart at eta0.
    assert optimizer.state["epoch"] == 0 and optimizer.learning_rate == 0.1


@pytest.mark.parametrize("kind", list(SCHEDULED))
def test_warmup_then_cosine(kind):
    optimizer = SCHEDULED[kind](make_params(), lr_schedule="cosine", warmup_iter=4)
    got = rates(optimizer, 10, horizon=10)
    # Epochs 0..3 rise linearly to eta0: eta0 (e + 1) / 4, then the cosine
    # decays over the 6 epochs left, e' = e - 4.
    assert_allclose(got[:4], 0.1 * np.array([1, 2, 3, 4]) / 4, rtol=1e-15)
    assert_allclose(got[4:], cosine(0.1, np.arange(6), 6), rtol=1e-15)


@pytest.mark.parametrize("schedule", ["constant", "plateau"])
def test_warmup_of_a_flat_schedule(schedule):
    optimizer = Adam(make_params(), 0.1, lr_schedule=schedule, warmup_iter=3)
    got = rates(optimizer, 6, horizon=2)  # the horizon bounds cosine cycles only
    assert_allclose(got, [0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.1, 0.1], rtol=1e-15)


def test_warmup_of_invscaling_multiplies_it():
    optimizer = SGD(make_params(), 0.1, lr_schedule="invscaling", warmup_iter=2)
    got = rates(optimizer, 3, horizon=5, samples=10)
    expected = [0.1 / 2, 0.1 * 11**-0.5, 0.1 * 21**-0.5]
    assert_allclose(got, expected, rtol=1e-15)


def test_plateau_for_adam_divides_by_five_then_stops():
    optimizer = Adam(make_params(), 1e-5, lr_schedule="plateau")
    optimizer.begin(10, restart=True, time_step=0)
    assert optimizer.trigger_stopping() is False
    assert_allclose(optimizer.learning_rate, 2e-6, rtol=1e-15)
    assert optimizer.trigger_stopping() is False
    assert_allclose(optimizer.learning_rate, 4e-7, rtol=1e-15)
    assert optimizer.trigger_stopping() is True
    # Adam keeps ignoring MLPClassifier's 'adaptive': it stops at the first stall.
    ignored = Adam(make_params(), 1e-5, lr_schedule="adaptive")
    ignored.begin(10, restart=True, time_step=0)
    assert ignored.trigger_stopping() is True and ignored.learning_rate == 1e-5
    assert "level" not in ignored.state


@pytest.mark.parametrize("schedule", ["plateau", "adaptive"])
def test_plateau_lowers_the_warmed_up_rate(schedule):
    # 'adaptive' with a warm-up lowers the level that the warm-up scales.
    optimizer = SGD(make_params(), 0.1, lr_schedule=schedule, warmup_iter=4)
    optimizer.begin(10, restart=True, time_step=0)
    optimizer.iteration_ends(10)  # epoch 1 of the warm-up: 2/4 of the level
    assert optimizer.trigger_stopping() is False
    assert_allclose(optimizer.learning_rate, 0.02 * 2 / 4, rtol=1e-15)


def test_cosine_restart_and_continuation():
    # begin(restart=True) (fit) starts a new cycle of the new horizon; without
    # it (partial_fit) the position goes on, and a new cycle takes the horizon.
    optimizer = GradientDescent(make_params(), 0.1, lr_schedule="cosine")
    rates(optimizer, 3, horizon=4)
    assert optimizer.state["epoch"] == 3
    assert_allclose(rates(optimizer, 2, 6, restart=False), cosine(0.1, [3, 0], 4))
    assert optimizer.state["horizon"] == 6
    assert rates(optimizer, 1, horizon=5)[0] == 0.1
    assert (optimizer.state["epoch"], optimizer.state["horizon"]) == (1, 5)


def test_leaving_a_positioned_schedule_restarts_from_eta0():
    params = make_params()
    cosine_run = GradientDescent(params, 0.1, lr_schedule="cosine")
    rates(cosine_run, 2, horizon=4)
    constant = GradientDescent(params, 0.1, state=cosine_run.state)
    constant.begin(4, restart=False, time_step=20)
    assert constant.learning_rate == 0.1
    assert not {"epoch", "horizon", "level"} & set(constant.state)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_old_schedules_without_warmup_keep_no_position(schedule):
    optimizer = SGD(make_params(), 0.1, lr_schedule=schedule)
    optimizer.begin(10, restart=True, time_step=0)
    assert set(optimizer.state) == {"learning_rate", "learning_rate_init", "velocities"}
    assert optimizer.learning_rate == 0.1
