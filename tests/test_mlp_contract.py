"""The contract TwoLayerNNClassifier shares with MLPClassifier: n_iter_ and t_
under warm_start and partial_fit, the errors of a warm start with other classes
and of partial_fit with early stopping; the warm-start learning-rate rule; and
the output biases' start at the weighted log prior."""

import copy
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from sklearn_tinynn import TwoLayerNNClassifier, _network


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X / X.max(axis=0), y


ITERATIVE = ["adam", "sgd", "gd"]


# ----------------------------------------------------------------- n_iter_


@pytest.mark.parametrize("solver", ITERATIVE)
def test_each_warm_fit_runs_max_iter_epochs_and_warns(iris, solver):
    """MLPClassifier's test for scikit-learn #16812: fit with max_iter=3, fit
    again, n_iter_ is 3 after each fit, with a ConvergenceWarning each time."""
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, warm_start=True)
    for fits in (1, 2):
        with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(3\)"):
            clf.set_params(random_state=0).fit(X, y)
        assert clf.n_iter_ == 3
        assert len(clf.loss_curve_) == 3 * fits
        assert clf.t_ == 3 * fits * len(X)  # t_ counts every sample seen


@pytest.mark.parametrize("solver", ITERATIVE)
def test_a_larger_max_iter_on_a_warm_fit_runs_that_many_epochs(iris, solver):
    """MLPClassifier's test for scikit-learn #24764: max_iter=10, then
    max_iter=20 on a warm start: n_iter_ is 20."""
    X, y = iris
    clf = TwoLayerNNClassifier(
        8, solver=solver, max_iter=10, warm_start=True, n_iter_no_change=np.inf
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 10
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(20\)"):
        clf.set_params(max_iter=20).fit(X, y)
    assert clf.n_iter_ == 20
    assert len(clf.loss_curve_) == 30


def test_lbfgs_counts_the_iterations_of_each_fit_in_loss_curve_too(iris):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, warm_start=True)
    curve = 0
    for _ in range(2):
        with pytest.warns(ConvergenceWarning, match="L-BFGS stopped after 5"):
            clf.set_params(random_state=0).fit(X, y)
        assert clf.n_iter_ == 5
        curve += clf.n_iter_
        assert len(clf.loss_curve_) == curve
    assert clf.t_ == 10 * len(X)


@pytest.mark.parametrize("solver", ITERATIVE)
def test_partial_fit_sets_n_iter_to_one_and_counts_samples(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, random_state=0)
    for calls in (1, 2, 3):
        clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
        assert clf.n_iter_ == 1
        assert clf.t_ == 100 * calls
        assert len(clf.loss_curve_) == calls


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("solver", [*ITERATIVE, "lbfgs"])
def test_warm_start_with_other_classes_is_mlpclassifiers_error(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=2, warm_start=True)
    clf.fit(X, y)
    coefs = [c.copy() for c in clf.coefs_]
    message = (
        r"warm_start can only be used where `y` has the same classes as in the "
        r"previous call to fit. Previously got \[0 1 2\], `y` has \[0 1\]"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X[:100], y[:100])
    for a, b in zip(clf.coefs_, coefs):
        assert_array_equal(a, b)
    # Without warm_start, another set of classes is a new model.
    clf.set_params(warm_start=False).fit(X[:100], y[:100])
    assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("solver", ITERATIVE)
def test_partial_fit_refuses_early_stopping(iris, solver):
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_st"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", ITERATIVE)
def test_early_stopping_switched_on_for_a_warm_fit(iris, solver):
    """Once an AttributeError: the first fit had no validation records."""
    X, y = iris
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, warm_start=True)
    clf.set_params(random_state=0).fit(X, y)
    clf.set_params(early_stopping=True, max_iter=4, n_iter_no_change=np.inf)
    clf.fit(X, y)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 4
    assert clf.best_loss_ is None
    # ... and switched off again: the training loss takes over.
    clf.set_params(early_stopping=False).fit(X, y)
    assert clf.best_loss_ == min(clf.loss_curve_[-4:])


# ---------------------------------------------- the warm-start learning rate


def _one_step_setup(solver):
    """A model after 2 full-batch epochs (one step each), its flat parameters
    and optimizer state, and the gradient at those parameters."""
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    clf = TwoLayerNNClassifier(
        5,
        solver=solver,
        batch_size=len(X),
        shuffle=False,
        max_iter=2,
        warm_start=True,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    params = [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]
    theta = np.concatenate([p.ravel() for p in params])
    state = copy.deepcopy(clf._optimizer_state)
    Y = np.eye(3)[y]
    _, grads = _network.loss_and_gradients(X, Y, params, "relu", "softmax", 1e-4)
    grad = np.concatenate([g.ravel() for g in grads])
    return clf, X, y, theta, state, grad


def _flat(clf):
    params = [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]
    return np.concatenate([p.ravel() for p in params])


@pytest.mark.parametrize("solver", ITERATIVE)
def test_a_new_learning_rate_init_takes_effect_on_the_next_fit(solver):
    """Fine-tuning: the step uses the new rate and the stored moments or
    velocities, written here from the update equations."""
    clf, X, y, theta, state, g = _one_step_setup(solver)
    eta = 0.5
    if solver == "gd":
        expected = theta - eta * g
    elif solver == "sgd":  # Nesterov: v <- mu v - eta g; theta + mu v - eta g
        v = 0.9 * _network.flatten(state["velocities"]) - eta * g
        expected = theta + 0.9 * v - eta * g
    else:  # Adam in its textbook form, m and v from the stored M and V
        b1, b2, t = 0.9, 0.999, state["t"] + 1
        m = b1 * _network.flatten(state["M"]) * (1 - b1) + (1 - b1) * g
        v = b2 * _network.flatten(state["V"]) * (1 - b2) + (1 - b2) * g**2
        eta_t = eta * math.sqrt(1 - b2**t) / (1 - b1**t)
        expected = theta - eta_t * m / (np.sqrt(v) + 1e-8)
    clf.set_params(learning_rate_init=eta, max_iter=1).fit(X, y)
    assert_allclose(_flat(clf), expected, rtol=1e-9, atol=1e-12)
    assert clf._optimizer_state["learning_rate"] == eta


def test_the_same_learning_rate_init_keeps_the_rate_reached(iris):
    """'adaptive' lowered the rate; a warm fit with the same setting goes on
    from there."""
    X, y = iris
    clf = TwoLayerNNClassifier(
        8,
        solver="sgd",
        learning_rate="adaptive",
        n_iter_no_change=1,
        tol=10.0,  # no epoch improves by 10: the rate drops each time
        max_iter=3,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    lowered = clf._optimizer_state["learning_rate"]
    assert lowered < clf.learning_rate_init
    clf.set_params(max_iter=1).fit(X, y)
    assert clf._optimizer_state["learning_rate"] <= lowered


# ------------------------------------------------------- output-bias init


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


def _untrained_proba(clf, X, y, **fit_params):
    """predict_proba of the network as initialized, with W2 = 0: a gd step of
    1e-300 leaves the parameters as they were drawn."""
    clf.set_params(solver="gd", max_iter=1, learning_rate_init=1e-300)
    clf.set_params(random_state=0).fit(X, y, **fit_params)
    clf.coefs_[1][...] = 0
    return clf.predict_proba(X)


def test_untrained_network_predicts_the_sample_and_class_weighted_prior(iris):
    X, y = iris
    s = np.linspace(0.5, 2.0, len(y))
    class_weight = {0: 3.0, 1: 1.0, 2: 0.5}
    clf = TwoLayerNNClassifier(8, class_weight=class_weight)
    proba = _untrained_proba(clf, X, y, sample_weight=s)
    weights = s * np.array([3.0, 1.0, 0.5])[y]
    prior = np.bincount(y, weights=weights) / weights.sum()
    assert_allclose(proba, np.tile(prior, (len(y), 1)))


def test_untrained_binary_and_multilabel_networks_predict_the_prior(iris):
    X, y = iris
    binary = (y == 0).astype(int)  # a third positive
    clf = TwoLayerNNClassifier(8)
    assert_allclose(_untrained_proba(clf, X, binary)[:, 1], binary.mean())
    # 'balanced' class weights make the weighted prior even.
    clf.set_params(class_weight="balanced")
    assert_allclose(_untrained_proba(clf, X, binary), 0.5)
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    proba = _untrained_proba(TwoLayerNNClassifier(8), X, Y)
    assert_allclose(proba, np.tile(Y.mean(axis=0), (len(Y), 1)))
