"""The math on other array libraries than NumPy: array-api-strict (both of its
devices), torch on the CPU, and the Array API path on NumPy arrays themselves.

The portable path of ``_network.py``, ``_activations.py`` and ``_optimizers.py``
must give what the NumPy path gives (1e-12 in float64, 1e-5 in float32), which
tests/test_network.py and tests/test_optimizers.py hold to finite differences
and closed forms; one finite-difference check runs here on a device too. The
tests of a library that is not installed are skipped.
"""

import importlib

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_network import ACTIVATIONS, OUTPUTS, make_problem, numerical_gradients

from sklearn_tinynn import TwoLayerNNClassifier, _network, move_to
from sklearn_tinynn._array_api import (
    get_namespace_and_device,
    move_arrays,
    namespace,
    to_numpy,
)
from sklearn_tinynn._optimizers import SGD, Adam, GradientDescent

# (library, device): "numpy" is array-api-compat's NumPy namespace, which runs
# the portable forms of the equations on NumPy arrays.
NAMESPACES = [
    ("numpy", None),
    ("array_api_strict", "CPU_DEVICE"),
    ("array_api_strict", "device1"),
    ("torch", "cpu"),
]
TOLERANCES = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.fixture(params=NAMESPACES, ids=lambda p: f"{p[0]}-{p[1]}")
def xp_device(request):
    """The namespace under test and the device to put arrays on."""
    library, device = request.param
    if library == "numpy":
        return compat_numpy(), None
    pytest.importorskip("array_api_compat")
    module = pytest.importorskip(library)
    device = (
        module.Device(device)
        if library == "array_api_strict"
        else module.device(device)
    )
    return namespace(module), device


def compat_numpy():
    """array-api-compat's NumPy namespace (scikit-learn's copy where it has one)."""
    pytest.importorskip("array_api_compat")
    from sklearn_tinynn._array_api import _compat

    return importlib.import_module(f"{_compat.__name__}.numpy")


def on(xp, device, arrays, dtype):
    """The NumPy ``arrays`` (None stays None) in ``dtype``, moved to xp/device."""
    moved = [None if a is None else np.asarray(a, dtype=dtype) for a in arrays]
    if getattr(xp, "__name__", "").endswith("numpy"):
        return moved
    return [None if a is None else xp.asarray(a, device=device) for a in moved]


def assert_on_device(array, xp, device):
    if device is not None:
        assert array.device == device
    assert not isinstance(array, np.ndarray) or xp.__name__.endswith("numpy")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", list(OUTPUTS))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradients_match_numpy(xp_device, dtype, activation, output, weighted):
    xp, device = xp_device
    X, Y, params, out_activation = make_problem(output)
    sw = np.random.RandomState(1).uniform(0, 3, len(X)) if weighted else None
    X, Y, sw, *params = on(np, None, [X, Y, sw, *params], dtype)
    args = (activation, out_activation, 0.3)
    loss, grads = _network.loss_and_gradients(
        *on(xp, device, [X, Y], dtype),
        on(xp, device, params, dtype),
        *args,
        on(xp, device, [sw], dtype)[0],
        xp=xp,
    )
    expected_loss, expected = _network.loss_and_gradients(X, Y, params, *args, sw)
    rtol = TOLERANCES[dtype]
    assert_allclose(float(loss), expected_loss, rtol=rtol)
    for grad, ref in zip(grads, expected):
        assert_on_device(grad, xp, device)
        assert grad.dtype == xp.asarray(ref).dtype
        assert_allclose(to_numpy(grad), ref, rtol=rtol, atol=rtol * 1e-2)


def test_portable_path_matches_the_workspace():
    # The Array API forms on NumPy arrays against the NumPy fast path, which
    # tests/test_fast_paths.py holds to its own reference.
    xp = compat_numpy()
    for activation in ACTIVATIONS:
        X, Y, params, out_activation = make_problem("multiclass")
        workspace = _network.Workspace(params, len(X))
        args = (activation, out_activation, 0.1)
        loss, grads = _network.loss_and_gradients(
            X, Y, workspace.params, *args, workspace=workspace
        )
        portable_loss, portable = _network.loss_and_gradients(
            X, Y, params, *args, xp=xp
        )
        assert_allclose(float(portable_loss), loss, rtol=1e-12)
        for grad, ref in zip(portable, grads):
            assert_allclose(grad, ref, rtol=1e-12, atol=1e-15)


def test_gradients_match_finite_differences_on_a_device():
    strict = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    xp, device = namespace(strict), strict.Device("device1")
    X, Y, params, out_activation = make_problem("multiclass")
    sw = np.random.RandomState(1).uniform(0, 3, len(X))
    data = on(xp, device, [X, Y, sw], np.float64)

    def loss_and_gradients():
        moved = on(xp, device, params, np.float64)
        return _network.loss_and_gradients(
            data[0], data[1], moved, "tanh", out_activation, 0.5, data[2], xp=xp
        )

    _, grads = loss_and_gradients()
    expected = numerical_gradients(lambda: float(loss_and_gradients()[0]), params)
    for grad, numerical in zip(grads, expected):
        grad = to_numpy(grad)
        error = np.linalg.norm(grad - numerical) / (
            np.linalg.norm(grad) + np.linalg.norm(numerical)
        )
        assert error <= 1e-6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_check_and_softmax_on_raw_pixels(xp_device, dtype):
    xp, device = xp_device
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(20, 30)).astype(dtype)
    params = _network.init_params(30, 8, 10, "relu", rng, dtype, xp, device)
    params[2] *= 50  # logits in the thousands: exp would overflow
    _, A2 = _network.forward(
        on(xp, device, [X], dtype)[0], params, "relu", "softmax", xp=xp
    )
    assert_on_device(A2, xp, device)
    assert_allclose(to_numpy(xp.sum(A2, axis=1)), 1, rtol=TOLERANCES[dtype] * 10)
    X[3, 4] = np.nan
    with pytest.raises(FloatingPointError, match="not finite"):
        _network.forward(
            on(xp, device, [X], dtype)[0], params, "relu", "softmax", check=True, xp=xp
        )


def test_init_params_draws_on_the_host(xp_device):
    xp, device = xp_device
    expected = _network.init_params(6, 4, 3, "relu", np.random.RandomState(0), "f4")
    params = _network.init_params(
        6, 4, 3, "relu", np.random.RandomState(0), np.float32, xp, device
    )
    for param, ref in zip(params, expected):
        assert_on_device(param, xp, device)
        assert_allclose(to_numpy(param), ref, rtol=0)


OPTIMIZERS = {
    "gd": lambda p, xp: GradientDescent(p, 0.1, xp=xp),
    "sgd": lambda p, xp: SGD(p, 0.1, momentum=0.9, nesterov=False, xp=xp),
    "nesterov": lambda p, xp: SGD(p, 0.1, momentum=0.9, nesterov=True, xp=xp),
    "adam": lambda p, xp: Adam(p, 0.01, 0.8, 0.95, 1e-8, xp=xp),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_optimizer_steps_match_numpy(xp_device, dtype, kind):
    xp, device = xp_device
    rng = np.random.RandomState(0)
    params = [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=2).astype(dtype)]
    steps = [[rng.normal(size=p.shape).astype(dtype) for p in params] for _ in "abc"]
    moved = on(xp, device, params, dtype)
    reference, portable = OPTIMIZERS[kind](params, None), OPTIMIZERS[kind](moved, xp)
    for grads in steps:
        reference.update_params(params, grads)
        portable.update_params(moved, on(xp, device, grads, dtype))
    for theta, expected in zip(moved, params):
        assert_on_device(theta, xp, device)
        assert_allclose(to_numpy(theta), expected, rtol=TOLERANCES[dtype])
    for key, value in portable.state.items():
        if isinstance(value, list):  # velocities, M and V: in xp, on the device
            for array, expected in zip(value, reference.state[key]):
                assert_on_device(array, xp, device)
                assert_allclose(to_numpy(array), expected, rtol=TOLERANCES[dtype])


# ------------------------------------------------------- the estimator's side


def test_move_to_and_back_keeps_every_array(xp_device):
    xp, device = xp_device
    X, y = np.random.RandomState(0).normal(size=(30, 4)), np.arange(30) % 3
    clf = TwoLayerNNClassifier(5, max_iter=4, random_state=0).fit(X, y)
    moved = move_to(clf, xp, device)
    for array in [*moved.coefs_, *moved.intercepts_, *moved._optimizer_state["M"]]:
        assert_on_device(array, xp, device)
    assert moved._optimizer_state["t"] == clf._optimizer_state["t"]
    back = move_to(moved, "numpy")
    for ours, theirs in zip(
        back.coefs_ + back.intercepts_, clf.coefs_ + clf.intercepts_
    ):
        assert isinstance(ours, np.ndarray)
        assert_allclose(ours, theirs, rtol=0)
        assert not np.shares_memory(ours, theirs)
    assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=0)
    assert (
        back.loss_curve_ == clf.loss_curve_ and back.loss_curve_ is not clf.loss_curve_
    )


def test_move_to_keeps_string_labels_in_numpy():
    strict = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    X = np.random.RandomState(0).normal(size=(20, 3))
    clf = TwoLayerNNClassifier(4, max_iter=2, random_state=0)
    clf.fit(X, np.array(["no", "yes"])[np.arange(20) % 2])
    moved = move_to(clf, "array_api_strict", strict.Device("device1"))
    assert isinstance(moved.classes_, np.ndarray)
    assert moved.coefs_[0].device == strict.Device("device1")
    moved_back = move_arrays(moved.coefs_)
    assert_allclose(moved_back[0], clf.coefs_[0], rtol=0)


def test_namespace_names_the_accepted_values():
    assert namespace(None) is np and namespace("numpy") is np
    with pytest.raises(ImportError, match="'no_such_library'.*not installed"):
        namespace("no_such_library")
    with pytest.raises(TypeError, match="got 3"):
        namespace(3)


def test_without_dispatch_every_array_is_numpy():
    strict = pytest.importorskip("array_api_strict")
    assert get_namespace_and_device(strict.asarray([1.0])) == (np, None)
    assert get_namespace_and_device(np.ones(2)) == (np, None)
