"""The math on other array libraries than NumPy: array-api-strict (both of its
devices), torch on the CPU, and the Array API path on NumPy arrays themselves.

The portable path of ``_network.py``, ``_activations.py`` and ``_optimizers.py``
must give what the NumPy path gives (1e-12 in float64, 1e-5 in float32), which
tests/test_network.py and tests/test_optimizers.py hold to finite differences
and closed forms; one finite-difference check runs here on a device too. The
tests of a library that is not installed are skipped.
"""

import importlib
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
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


@pytest.mark.parametrize("init", ["glorot", "he"])
def test_init_params_draws_on_the_host(xp_device, init):
    xp, device = xp_device
    rng = np.random.RandomState(0)
    expected = _network.init_params(6, 4, 3, "relu", rng, "f4", init=init)
    params = _network.init_params(
        6, 4, 3, "relu", np.random.RandomState(0), np.float32, xp, device, init
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


# ------------------------------------------- the estimator under dispatch
#
def problem(output, n_samples=40, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if output == "multilabel":
        y = (X[:, :3] + rng.normal(size=(n_samples, 3)) > 0).astype(int)
    else:
        y = (X[:, 0] > 0).astype(int) + (output == "multiclass") * (X[:, 1] > 0.5)
    return X, y


def fit_both(params, X, y, xp, device, dtype=np.float64, **fit_params):
    """The same model fitted on NumPy, and on xp/device with dispatch on."""
    X = X.astype(dtype)
    reference = TwoLayerNNClassifier(**params).fit(X, y, **fit_params)
    moved = TwoLayerNNClassifier(**params).fit(
        xp.asarray(X, device=device), y, **fit_params
    )
    return reference, moved


def assert_same_model(moved, reference, dtype=np.float64, tol=None):
    tol = TOLERANCES[dtype] if tol is None else tol
    for ours, theirs in zip(
        moved.coefs_ + moved.intercepts_, reference.coefs_ + reference.intercepts_
    ):
        assert to_numpy(ours).dtype == theirs.dtype
        assert_allclose(to_numpy(ours), theirs, rtol=tol, atol=tol)
    assert_allclose(moved.loss_curve_, reference.loss_curve_, rtol=tol * 10)


SOLVER_RUNS = [
    ("adam", True),
    ("adam", False),
    ("sgd", True),
    ("sgd", False),
    ("gd", False),
    ("lbfgs", False),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver, shuffle", SOLVER_RUNS)
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fit_matches_numpy(device_xp, activation, output, solver, shuffle, dtype):
    # The initial weights and the order of the minibatches come from the same
    # host RandomState: the same model up to rounding.
    xp, device = device_xp
    X, y = problem(output)
    params = dict(
        hidden_layer_size=5,
        activation=activation,
        solver=solver,
        shuffle=shuffle,
        batch_size=16,
        learning_rate_init=0.05,
        max_iter=3,
        random_state=0,
    )
    reference, moved = fit_both(params, X, y, xp, device, dtype)
    tol = TOLERANCES[dtype]
    if solver == "lbfgs" and dtype == np.float32:
        # L-BFGS's line search amplifies float32 rounding: 3e-5 seen after 3
        # iterations (logistic, binary), where the other solvers stay at 1e-6.
        tol = 1e-4
    assert_same_model(moved, reference, dtype, tol)
    X_device = xp.asarray(X.astype(dtype), device=device)
    proba = moved.predict_proba(X_device)
    assert_on_device(proba, xp, device)
    assert_allclose(
        to_numpy(proba),
        reference.predict_proba(X.astype(dtype)),
        rtol=TOLERANCES[dtype],
        atol=TOLERANCES[dtype],
    )


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fitted_state_lives_on_the_device(device_xp, solver):
    xp, device = device_xp
    X, y = problem("multiclass")
    X_device = xp.asarray(X, device=device)
    clf = TwoLayerNNClassifier(5, solver=solver, max_iter=2, random_state=0)
    clf.fit(X_device, xp.asarray(y, device=device))
    state = clf._optimizer_state["M" if solver == "adam" else "velocities"]
    for array in [*clf.coefs_, *clf.intercepts_, *state, clf.classes_]:
        assert_on_device(array, xp, device)
    methods = ("predict", "predict_proba", "predict_log_proba", "decision_function")
    for method in methods:
        assert_on_device(getattr(clf, method)(X_device), xp, device)
    reference = move_to(clf, "numpy")
    assert_allclose(to_numpy(clf.predict(X_device)), reference.predict(X), rtol=0)
    # (scikit-learn's accuracy in torch is a float32 number)
    score = clf.score(X_device, xp.asarray(y, device=device))
    assert score == pytest.approx(reference.score(X, y), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
def test_decision_function_matches_numpy(device_xp, output, dtype):
    xp, device = device_xp
    X, y = problem(output)
    params = dict(hidden_layer_size=5, max_iter=3, random_state=0)
    reference, moved = fit_both(params, X, y, xp, device, dtype)
    X_device = xp.asarray(X.astype(dtype), device=device)
    scores = moved.decision_function(X_device)
    assert_on_device(scores, xp, device)
    expected = reference.decision_function(X.astype(dtype))
    assert scores.shape == expected.shape == ((40,) if output == "binary" else (40, 3))
    tol = TOLERANCES[dtype]
    assert_allclose(to_numpy(scores), expected, rtol=tol, atol=tol)
    labels = to_numpy(moved.predict(X_device))
    if output == "multiclass":
        assert (labels == np.argmax(to_numpy(scores), axis=1)).all()
    else:
        assert (labels == (to_numpy(scores) > 0)).all()


def test_string_labels_stay_numpy(device_xp):
    xp, device = device_xp
    X, y = problem("multiclass")
    labels = np.array(["cat", "dog", "emu"])[y]
    reference, moved = fit_both(
        dict(hidden_layer_size=5, max_iter=3, random_state=0), X, labels, xp, device
    )
    assert isinstance(moved.classes_, np.ndarray)
    predicted = moved.predict(xp.asarray(X, device=device))
    assert isinstance(predicted, np.ndarray)
    assert (predicted == reference.predict(X)).all()


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 2: 0.5}])
def test_class_and_sample_weights_match_numpy(device_xp, class_weight):
    xp, device = device_xp
    X, y = problem("multiclass")
    weights = np.random.RandomState(1).uniform(0, 2, len(y))
    weights[:20] = 0  # whole minibatches of zero weight are skipped
    params = dict(
        hidden_layer_size=5,
        batch_size=10,
        max_iter=3,
        random_state=0,
        class_weight=class_weight,
    )
    # The weights may come from another library than X: they go to the host.
    reference, moved = fit_both(params, X, y, xp, device, sample_weight=weights)
    assert_same_model(moved, reference)


def test_y_of_another_namespace_than_X(device_xp):
    xp, device = device_xp
    torch = pytest.importorskip("torch")
    X, y = problem("binary")
    params = dict(hidden_layer_size=5, max_iter=3, random_state=0)
    reference = TwoLayerNNClassifier(**params).fit(X, y)
    moved = TwoLayerNNClassifier(**params).fit(
        xp.asarray(X, device=device), torch.asarray(y), sample_weight=torch.ones(40)
    )
    assert_same_model(moved, reference)
    assert_on_device(moved.classes_, xp, device)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
@pytest.mark.parametrize("layer", ["dropout", "input_dropout"])
def test_dropout_fit_matches_numpy(device_xp, layer, solver, dtype):
    """The masks are drawn on the host: every namespace trains with the same."""
    xp, device = device_xp
    X, y = problem("multiclass")
    params = dict(
        hidden_layer_size=5,
        solver=solver,
        **{layer: 0.4},
        batch_size=16,
        learning_rate_init=0.05,
        max_iter=3,
        random_state=0,
    )
    reference, moved = fit_both(params, X, y, xp, device, dtype)
    assert_same_model(moved, reference, dtype)
    without = TwoLayerNNClassifier(**{**params, layer: 0.0}).fit(X.astype(dtype), y)
    assert not np.allclose(without.coefs_[0], reference.coefs_[0])


def test_partial_fit_and_warm_start_match_numpy(device_xp):
    xp, device = device_xp
    X, y = problem("multiclass")
    X_device = xp.asarray(X, device=device)
    models = []
    for data in (X, X_device):
        partial = TwoLayerNNClassifier(5, random_state=0)
        for _ in range(3):
            partial.partial_fit(data, y, classes=[0, 1, 2])
        warm = TwoLayerNNClassifier(5, max_iter=2, warm_start=True, random_state=0)
        warm.fit(data, y).fit(data, y)
        models.append((partial, warm))
    for moved, reference in zip(models[1], models[0]):
        assert_same_model(moved, reference)
    with pytest.raises(ValueError, match="same namespace"):
        models[1][0].partial_fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
@pytest.mark.parametrize("schedule", ["cosine", "plateau"])
def test_schedules_match_numpy(device_xp, solver, schedule):
    # The rates are host floats: the same model as NumPy's, up to rounding,
    # for fit, a warm-started fit (a new cosine cycle) and partial_fit.
    xp, device = device_xp
    X, y = problem("multiclass")
    X_device = xp.asarray(X, device=device)
    params = dict(
        hidden_layer_size=5, solver=solver, learning_rate=schedule, warmup_iter=2,
        max_iter=4, learning_rate_init=0.05, n_iter_no_change=1, tol=1.0,
        warm_start=True, random_state=0,
    )  # fmt: skip
    models = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for data in (X, X_device):
            clf = TwoLayerNNClassifier(**params).fit(data, y).fit(data, y)
            models.append(clf.partial_fit(data, y).partial_fit(data, y))
    reference, moved = models
    assert_same_model(moved, reference)
    for key in ("learning_rate", "epoch", "horizon", "level"):
        assert moved._optimizer_state[key] == reference._optimizer_state[key]


def state_layout(model):
    """The optimizer state's lists as shapes: one layout whatever trained it."""
    return {
        key: [tuple(a.shape) for a in value]
        for key, value in model._optimizer_state.items()
        if isinstance(value, list)
    }


def crossing(X, device_xp, start_on_device):
    """X before the move, X after it, and the move_to arguments."""
    xp, device = device_xp
    X_device = xp.asarray(X, device=device)
    if start_on_device:
        return X_device, X, ("numpy", None)
    return X, X_device, (xp, device)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
@pytest.mark.parametrize("start_on_device", [True, False])
def test_partial_fit_continues_after_move_to(device_xp, solver, start_on_device):
    # Trained on one namespace, moved with move_to, trained on in the other:
    # the same model as one that never moved.
    X, y = problem("multiclass")
    first, then, target = crossing(X, device_xp, start_on_device)
    params = dict(hidden_layer_size=5, solver=solver, random_state=0)
    moved = TwoLayerNNClassifier(**params).partial_fit(first, y, classes=[0, 1, 2])
    stayed = TwoLayerNNClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    assert state_layout(moved) == state_layout(stayed)
    moved = move_to(moved, *target)
    for _ in range(2):
        moved.partial_fit(then, y)
        stayed.partial_fit(X, y)
    assert state_layout(moved) == state_layout(stayed)
    assert_same_model(moved, stayed)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("start_on_device", [True, False])
def test_warm_start_continues_after_move_to(device_xp, solver, start_on_device):
    X, y = problem("binary")
    first, then, target = crossing(X, device_xp, start_on_device)
    params = dict(
        hidden_layer_size=5, solver=solver, max_iter=3, warm_start=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        moved = move_to(TwoLayerNNClassifier(**params).fit(first, y), *target)
        moved.fit(then, y)
        stayed = TwoLayerNNClassifier(**params).fit(X, y).fit(X, y)
    assert_same_model(moved, stayed, tol=1e-10)


def test_early_stopping_matches_numpy(device_xp):
    xp, device = device_xp
    X, y = problem("multiclass", n_samples=60)
    params = dict(
        hidden_layer_size=5,
        max_iter=4,
        early_stopping=True,
        n_iter_no_change=2,
        validation_fraction=0.3,
        random_state=0,
    )
    reference, moved = fit_both(
        params, X, y, xp, device, sample_weight=np.linspace(0.5, 1.5, 60)
    )
    assert_same_model(moved, reference)
    assert_allclose(moved.validation_scores_, reference.validation_scores_, rtol=1e-12)
    assert_allclose(
        moved.validation_loss_curve_, reference.validation_loss_curve_, rtol=1e-12
    )


def test_input_types_follow_the_namespace(device_xp):
    # float32 stays float32; integers become the namespace's default float.
    xp, device = device_xp
    X, y = problem("binary")
    clf = TwoLayerNNClassifier(3, max_iter=1, random_state=0)
    clf.fit(xp.asarray(X.astype(np.float32), device=device), y)
    assert clf.coefs_[0].dtype == xp.float32
    clf.fit(xp.asarray((X * 10).astype(np.int64), device=device), y)
    default = xp.__array_namespace_info__().default_dtypes(device=device)
    assert clf.coefs_[0].dtype == default["real floating"]
    assert clf.predict_proba(xp.asarray(X, device=device)).dtype == xp.float64


def test_predict_refuses_another_namespace(device_xp):
    xp, device = device_xp
    X, y = problem("binary")
    clf = TwoLayerNNClassifier(3, max_iter=1, random_state=0)
    clf.fit(xp.asarray(X, device=device), y)
    with pytest.raises(ValueError, match=r"TwoLayerNNClassifier.predict\(\) must"):
        clf.predict(X)
    with (
        sklearn.config_context(array_api_dispatch=False),
        pytest.raises(ValueError, match="move_to"),
    ):
        clf.predict_proba(X)


def test_sparse_input_under_dispatch(device_xp):
    # A scipy sparse X is NumPy's: the model trains and stays on NumPy; a model
    # on a device refuses it.
    sparse = pytest.importorskip("scipy.sparse")
    xp, device = device_xp
    X, y = problem("binary")
    clf = TwoLayerNNClassifier(3, max_iter=1, random_state=0)
    clf.fit(sparse.csr_matrix(X), y)
    assert isinstance(clf.coefs_[0], np.ndarray)
    clf.fit(xp.asarray(X, device=device), y)
    with pytest.raises(ValueError, match="X is a sparse matrix.*move_to"):
        clf.predict_proba(sparse.csr_matrix(X))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_move_to_numpy_then_save_and_load(device_xp, tmp_path, solver):
    skops_io = pytest.importorskip("skops.io")
    xp, device = device_xp
    X, y = problem("multiclass")
    X_device = xp.asarray(X, device=device)
    clf = TwoLayerNNClassifier(5, solver=solver, max_iter=3, random_state=0)
    clf.fit(X_device, y)
    expected = to_numpy(clf.predict_proba(X_device))
    labels = to_numpy(clf.predict(X_device))
    on_host = move_to(clf, "numpy")
    with sklearn.config_context(array_api_dispatch=False):
        skops_io.dump(on_host, tmp_path / "model.skops")
        path = tmp_path / "model.skops"
        loaded = skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))
        unpickled = pickle.loads(pickle.dumps(on_host))
        for model in (loaded, unpickled):
            assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
            assert (model.predict(X) == labels).all()


def test_scikit_learns_move_estimator_to_keeps_string_labels(device_xp):
    # scikit-learn 1.9.1's move_estimator_to calls __sklearn_array_api_convert__.
    array_api = pytest.importorskip("sklearn.utils._array_api")
    if not hasattr(array_api, "move_estimator_to"):
        pytest.skip("scikit-learn < 1.9.1 has no move_estimator_to")
    xp, device = device_xp
    X, y = problem("multiclass")
    clf = TwoLayerNNClassifier(5, max_iter=2, random_state=0)
    clf.fit(X, np.array(["cat", "dog", "emu"])[y])
    moved = array_api.move_estimator_to(clf, xp, device)
    assert isinstance(moved.classes_, np.ndarray)
    for array in [*moved.coefs_, *moved.intercepts_, *moved._optimizer_state["V"]]:
        assert_on_device(array, xp, device)
    X_device = xp.asarray(X, device=device)
    assert (moved.predict(X_device) == clf.predict(X)).all()
    assert isinstance(clf.coefs_[0], np.ndarray)  # the original is unchanged


def test_save_writes_the_numpy_copy_of_a_model_on_a_device(device_xp, tmp_path):
    """sklearn_tinynn.save moves a device model to NumPy; load gives it back."""
    from sklearn_tinynn import load, save

    xp, device = device_xp
    X, y = problem("multiclass")
    clf = TwoLayerNNClassifier(8, max_iter=3, random_state=0)
    clf.fit(xp.asarray(X, device=device), y)
    save(clf, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    assert all(isinstance(w, np.ndarray) for w in loaded.coefs_ + loaded.intercepts_)
    with sklearn.config_context(array_api_dispatch=False):
        assert_allclose(
            loaded.predict_proba(X), move_to(clf, "numpy").predict_proba(X), rtol=1e-12
        )
