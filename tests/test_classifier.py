"""TwoLayerNNClassifier: learnability, targets, weights, warm start and its place
in scikit-learn's tools (Pipeline, GridSearchCV, cross_val_score, routing); its
parameter constraints; and property-based fuzzing (hypothesis) of every public
call over shapes, dtypes, NaN/inf, magnitudes, labels, weights and parameters.

The contract checked on every generated case: a call either works with finite
outputs (probabilities in [0, 1], softmax rows summing to 1, labels among
``classes_``) or raises ValueError/TypeError with a message from
``KNOWN_ERRORS``, each of which names the bad input. Any other exception, any
RuntimeWarning from the math, or a changed input array fails the test."""

import copy
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import event, given, note
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_tinynn import TwoLayerNNClassifier, _network


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="module")
def digits_split(digits):
    X, y = digits
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


# ----------------------------------------------------------- learnability


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_learns_xor(solver):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5, dtype=float)
    y = np.array([0, 1, 1, 0] * 5)
    clf = TwoLayerNNClassifier(
        8,
        "tanh",
        solver=solver,
        learning_rate_init=0.05,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    assert_array_equal(clf.predict(X), y)


def test_digits_cross_validation_unshuffled_folds(digits):
    X, y = digits
    scores = cross_val_score(TwoLayerNNClassifier(random_state=0), X, y, cv=5)
    assert scores.mean() >= 0.935  # MLPClassifier at its defaults: 0.940


def test_digits_cross_validation_shuffled_stratified_folds(digits):
    X, y = digits
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(TwoLayerNNClassifier(random_state=0), X, y, cv=cv)
    assert scores.mean() >= 0.97  # MLPClassifier at its defaults: 0.978


def test_notebook_network_in_one_line(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    clf = TwoLayerNNClassifier(
        hidden_layer_size=10,
        solver="gd",
        learning_rate_init=0.1,
        max_iter=500,
        alpha=0,
        random_state=0,
    ).fit(X_train, y_train)
    assert clf.coefs_[0].shape == (64, 10)
    assert clf.coefs_[1].shape == (10, 10)
    assert clf.score(X_test, y_test) >= 0.88  # measured: 0.909
    # full batch: loss_curve_ is the loss before each of the 500 plain steps
    assert clf.n_iter_ == len(clf.loss_curve_) == 500
    assert clf.t_ == 500 * len(X_train)


def test_gd_step_is_the_plain_update():
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    init = TwoLayerNNClassifier(5, solver="gd", max_iter=1, random_state=0)
    init.set_params(learning_rate_init=1e-300).fit(X, y)  # ~no step: W0
    clf = clone(init).set_params(learning_rate_init=0.1).fit(X, y)
    W0 = [init.coefs_[0], init.intercepts_[0], init.coefs_[1], init.intercepts_[1]]
    _, grads = _network.loss_and_gradients(
        X, y[:, None].astype(float), W0, "relu", "logistic", 1e-4
    )
    W1 = [clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]]
    for after, before, grad in zip(W1, W0, grads):
        assert_allclose(after, before - 0.1 * grad)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_weights_as_mlpclassifier(solver, monkeypatch):
    # scikit-learn's MLPClassifier is an independent implementation of the same
    # model: same init draws, loss, gradients and updates give the same weights.
    # It starts the output biases at random draws where we start them at the
    # log prior (see _network.prior_biases): it is given ours, after drawing its
    # own so that its random stream stays the same.
    X, y = make_classification(
        n_samples=60, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    log_prior = np.log(np.bincount(y) / len(y))
    draw = MLPClassifier._init_coef

    def init_coef(self, fan_in, fan_out, dtype):
        coef, intercept = draw(self, fan_in, fan_out, dtype)
        return coef, (log_prior if fan_in == 7 else intercept)

    monkeypatch.setattr(MLPClassifier, "_init_coef", init_coef)
    kwargs = dict(
        solver=solver,
        max_iter=15,
        shuffle=False,
        random_state=0,
        alpha=1e-3,
        learning_rate_init=0.01,
    )
    ours = TwoLayerNNClassifier(7, **kwargs).fit(X, y)
    theirs = MLPClassifier((7,), **kwargs).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)


def test_init_he_draws_he_weights_and_glorot_is_the_default():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    kwargs = dict(solver="gd", max_iter=1, learning_rate_init=1e-12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        default = TwoLayerNNClassifier(50, **kwargs).fit(X, y)
        glorot = TwoLayerNNClassifier(50, init="glorot", **kwargs).fit(X, y)
        he = TwoLayerNNClassifier(50, init="he", **kwargs).fit(X, y)
    for a, b in zip(
        default.coefs_ + default.intercepts_, glorot.coefs_ + glorot.intercepts_
    ):
        assert_array_equal(a, b)
    # One step of 1e-12 leaves the drawn weights within 1e-9 of the draw.
    assert np.abs(he.coefs_[0]).max() <= np.sqrt(6 / 5) + 1e-9
    assert np.abs(he.coefs_[0]).max() > np.sqrt(6 / 55)  # beyond glorot's bound
    assert np.abs(default.coefs_[0]).max() <= np.sqrt(6 / 55) + 1e-9


def test_init_is_validated():
    X, y = make_classification(n_samples=20, n_features=5, random_state=0)
    with pytest.raises(
        InvalidParameterError, match=r"'init' parameter .* among .*Got 'xavier'"
    ):
        TwoLayerNNClassifier(init="xavier").fit(X, y)


# ------------------------------------------------------------- targets


def test_binary_uses_one_logistic_unit_and_string_labels():
    X, y = make_classification(n_samples=80, random_state=0)
    labels = np.array(["cat", "dog"])[y]
    clf = TwoLayerNNClassifier(random_state=0, max_iter=50).fit(X, labels)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 1
    assert clf.coefs_[1].shape == (100, 1)
    assert_array_equal(clf.classes_, ["cat", "dog"])
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert set(clf.predict(X)) <= {"cat", "dog"}


def test_multiclass_softmax():
    X, y = make_classification(
        n_samples=90, n_classes=3, n_informative=4, random_state=0
    )
    clf = TwoLayerNNClassifier(random_state=0, max_iter=50).fit(X, y + 10)
    assert clf.out_activation_ == "softmax"
    assert clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [10, 11, 12])
    assert_allclose(clf.predict_proba(X).sum(axis=1), 1)
    assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X))


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
    clf = TwoLayerNNClassifier(random_state=0, solver="lbfgs", max_iter=300).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 4
    assert clf.predict(X).shape == (100, 4)
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == (100, 4)
    assert clf.score(X, Y) > 0.5  # subset accuracy on the training data


# --------------------------------------------------------- inputs, dtypes


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_gives_dense_results(digits, container):
    X, y = digits
    X, y = X[:300], y[:300]
    kwargs = dict(random_state=0, max_iter=5)
    dense = TwoLayerNNClassifier(**kwargs).fit(X, y)
    sparse = TwoLayerNNClassifier(**kwargs).fit(container(X), y)
    assert_allclose(sparse.coefs_[0], dense.coefs_[0], atol=1e-12)
    assert_allclose(
        sparse.predict_proba(container(X)), dense.predict_proba(X), atol=1e-12
    )


def test_pandas_feature_names(digits):
    X, y = digits
    df = pd.DataFrame(X[:200], columns=[f"pixel{i}" for i in range(64)])
    clf = TwoLayerNNClassifier(random_state=0, max_iter=5).fit(df, y[:200])
    assert_array_equal(clf.feature_names_in_, df.columns)
    assert clf.n_features_in_ == 64
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"pixel0": "other"}))


# ------------------------------------------------------ sample and class weights


def test_class_weight_equals_sample_weight():
    X, y = make_classification(
        n_samples=60, n_classes=3, n_informative=3, random_state=1
    )
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    kwargs = dict(random_state=0, max_iter=20, shuffle=False)
    by_class = TwoLayerNNClassifier(class_weight=class_weight, **kwargs).fit(X, y)
    by_sample = TwoLayerNNClassifier(**kwargs).fit(
        X, y, sample_weight=np.array([2.0, 0.5, 1.0])[y]
    )
    assert_allclose(by_class.coefs_[0], by_sample.coefs_[0])


def test_balanced_class_weight_uses_weighted_class_totals():
    X, y = make_classification(n_samples=40, weights=[0.8], random_state=0)
    sample_weight = np.random.RandomState(0).randint(0, 4, size=40).astype(float)
    kwargs = dict(random_state=0, max_iter=10, shuffle=False, solver="lbfgs")
    balanced = TwoLayerNNClassifier(class_weight="balanced", **kwargs).fit(
        X, y, sample_weight=sample_weight
    )
    totals = np.bincount(y, weights=sample_weight)
    manual = {c: sample_weight.sum() / (2 * totals[c]) for c in (0, 1)}
    explicit = TwoLayerNNClassifier(class_weight=manual, **kwargs).fit(
        X, y, sample_weight=sample_weight
    )
    assert_allclose(balanced.coefs_[0], explicit.coefs_[0])


def test_minibatch_with_all_zero_weights_is_skipped():
    # MLPClassifier 1.9.1 raises ZeroDivisionError here.
    X, y = make_classification(n_samples=40, random_state=0)
    sample_weight = np.ones(40)
    sample_weight[:10] = 0
    clf = TwoLayerNNClassifier(batch_size=10, shuffle=False, max_iter=5, random_state=0)
    clf.fit(X, y, sample_weight=sample_weight)
    assert all(np.isfinite(p).all() for p in clf.coefs_)
    # skipping the zero batch is the same as leaving those samples out
    rest = clone(clf).fit(X[10:], y[10:])
    assert_allclose(clf.coefs_[0], rest.coefs_[0])


def test_unknown_class_weight_label_is_named():
    X, y = make_classification(n_samples=20, random_state=0)
    with pytest.raises(ValueError, match=r"class_weight has labels \['7'\]"):
        TwoLayerNNClassifier(class_weight={7: 2.0}).fit(X, y)


# ------------------------------------------------- warm start, partial fit


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_warm_start_continues_weights_and_optimizer_state(solver):
    X, y = make_classification(n_samples=100, random_state=0)
    kwargs = dict(
        solver=solver, shuffle=False, random_state=0, tol=0, learning_rate_init=0.01
    )
    straight = TwoLayerNNClassifier(max_iter=10, **kwargs).fit(X, y)
    warm = TwoLayerNNClassifier(max_iter=5, warm_start=True, **kwargs).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ == 5  # the epochs of the last fit, as MLPClassifier counts
    assert warm.t_ == 10 * len(X)
    assert_allclose(warm.loss_curve_, straight.loss_curve_)
    assert_allclose(warm.coefs_[0], straight.coefs_[0], rtol=1e-12)


def test_partial_fit_needs_classes_and_rejects_unseen_labels():
    X, y = make_classification(n_samples=40, random_state=0)
    clf = TwoLayerNNClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1])
    before = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match=r"labels \[5\] that are not in classes"):
        clf.partial_fit(X, np.where(y == 0, 5, 1))
    for a, b in zip(clf.coefs_, before):
        assert_array_equal(a, b)
    assert clf.n_iter_ == 1


def test_partial_fit_is_not_offered_by_lbfgs():
    assert not hasattr(TwoLayerNNClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(TwoLayerNNClassifier(solver="gd"), "partial_fit")


# ----------------------------------------------------------- early stopping


def test_early_stopping_tracks_validation_loss_and_keeps_best(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(
        early_stopping=True, random_state=0, max_iter=60, n_iter_no_change=3
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert all(np.isfinite(clf.validation_loss_curve_))
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # the validation loss falls while the network learns
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]


# -------------------------------------------------------------- bad input


def test_errors_leave_a_fitted_model_unchanged(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(random_state=0, max_iter=5).fit(X, y)
    proba = clf.predict_proba(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(X[:, :10])
    assert_array_equal(clf.predict_proba(X), proba)


def test_divergence_is_a_clear_error_and_keeps_the_model():
    X, y = make_classification(n_samples=100, random_state=0)
    clf = TwoLayerNNClassifier(
        activation="identity",
        solver="sgd",
        learning_rate_init=1e4,
        n_iter_no_change=np.inf,
        random_state=0,
        max_iter=200,
    )
    with pytest.raises(ValueError, match="learning_rate_init.*scale"):
        clf.fit(X * 1e3, y)
    assert not hasattr(clf, "coefs_")


def test_parameter_errors_name_the_parameter():
    X, y = make_classification(n_samples=20, random_state=0)
    with pytest.raises(ValueError, match="'solver' parameter .*'gd'.*Got 'newton'"):
        TwoLayerNNClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="'hidden_layer_size' parameter"):
        TwoLayerNNClassifier(hidden_layer_size=0).fit(X, y)


# ----------------------------------------------------------- integration


def test_pipeline_in_grid_search(digits):
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            (
                "clf",
                TwoLayerNNClassifier(
                    random_state=0, learning_rate_init=0.01, max_iter=60
                ),
            ),
        ]
    )
    search = GridSearchCV(
        pipe, {"clf__hidden_layer_size": [8, 32], "clf__alpha": [1e-4, 1e-1]}, cv=3
    ).fit(X[:600], y[:600])
    assert search.best_params_["clf__hidden_layer_size"] == 32
    assert search.best_score_ > 0.85
    assert search.score(X[600:], y[600:]) > 0.85


def test_sample_weight_is_routed_through_grid_search():
    X, y = make_classification(n_samples=90, random_state=0)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2, size=90)
    seen = []

    class Recording(TwoLayerNNClassifier):
        def fit(self, X, y, sample_weight=None):
            seen.append(sample_weight)
            return super().fit(X, y, sample_weight=sample_weight)

    with config_context(enable_metadata_routing=True):
        est = Recording(max_iter=5, random_state=0).set_fit_request(sample_weight=True)
        est.set_score_request(sample_weight=False)
        GridSearchCV(est, {"alpha": [1e-4]}, cv=3).fit(
            X, y, sample_weight=sample_weight
        )
    assert all(w is not None for w in seen)
    assert sum(len(w) for w in seen[:3]) == 2 * 90  # each sample in 2 training folds


def test_clone_pickle_and_fixed_random_state(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(random_state=3, max_iter=5).fit(X, y)
    again = clone(clf).fit(X, y)
    for a, b in zip(clf.coefs_, again.coefs_):
        assert_array_equal(a, b)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert clone(clf).get_params() == clf.get_params()


def test_verbose_prints_the_loss(capsys):
    X, y = make_classification(n_samples=30, random_state=0)
    TwoLayerNNClassifier(verbose=True, max_iter=2, random_state=0).fit(X, y)
    assert "Iteration 2, loss = " in capsys.readouterr().out


@pytest.mark.parametrize(
    "name, value",
    [
        ("batch_size", True),
        ("batch_size", np.True_),
        ("hidden_layer_size", True),
        ("max_iter", False),
        ("n_iter_no_change", True),
        ("max_fun", True),
    ],
)
def test_booleans_are_not_counts(name, value):
    # bool is an Integral to Python: the constraints refuse it by name.
    X, y = make_classification(n_samples=20, random_state=0)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        TwoLayerNNClassifier(**{name: value}).fit(X, y)


@pytest.mark.parametrize("kind", [np.int8, np.int16, np.uint8, np.int64])
def test_numpy_integer_sizes_are_python_sizes(kind):
    X, y = make_classification(n_samples=40, n_features=200, random_state=0)
    clf = TwoLayerNNClassifier(kind(100), batch_size=kind(40), max_iter=kind(2))
    clf.set_params(random_state=0).fit(X, y)
    reference = TwoLayerNNClassifier(100, batch_size=40, max_iter=2, random_state=0)
    assert_array_equal(clf.predict_proba(X), reference.fit(X, y).predict_proba(X))


# ------------------------------------- fuzzing the public calls (hypothesis)


# Every message a failed call may carry. Each names the bad input or value.
KNOWN_ERRORS = [
    r"Found array with 0 sample\(s\)",
    r"Found array with 0 feature\(s\)",
    r"Expected 2D array, got 1D array",
    r"Found array with dim \d",
    r"Complex data not supported",
    r"could not convert string to float",
    r"Input( X| y| sample_weight)? contains (NaN|infinity)",
    r"Unknown label type",
    r"Mix of label input types",
    r"(y|classes) mixes labels of types .* which cannot be sorted",
    r"needs samples of at least 2 classes",
    r"y contains labels .* that are not in classes",
    r"inconsistent numbers of samples",
    r"X has \d+ features, but TwoLayerNNClassifier is expecting \d+",
    r"Negative values in data passed to `sample_weight`",
    r"Sample weights must contain at least one non-zero number",
    r"sample_weight\.shape == .*, expected",
    r"sample_weight \(times class_weight\) sums to (inf|nan)",
    r"The sample and class weights leave fewer than 2 classes",
    r"training diverged\. Lower learning_rate_init .* scale the input features",
    r"The network's outputs are not finite .* activations overflow",
    r"The validation set has \d+ sample\(s\) with validation_fraction",
    r"The sample weights of the training or the validation set are all zero",
    r"early_stopping cannot hold out validation_fraction=.* of \d+ samples",
    r"The '\w+' parameter of TwoLayerNNClassifier must be",
    r"warm_start can only be used where `y` has the same classes",
    r"partial_fit does not support early_stopping=True",
    r"class_weight=.* is not supported for multilabel targets",
    r"class_weight has labels .* that are not classes of y",
    r"class_weight values must be finite non-negative numbers",
    r"classes must be passed on the first call to partial_fit",
    r"`classes=.*` is not the same as on last call to partial_fit",
    r"y has shape .* but this model was fitted on (\d+ labels|one label per sample)",
    r"A multilabel y must be an indicator matrix of 0s and 1s",
]


def check_call(method, *args, **kwargs):
    """Call; return ``(result, None)`` or ``(None, error)`` for a known error.

    Fails on any other exception, an unknown message, or a warning that is not
    a UserWarning (ConvergenceWarning, DataConversionWarning and the
    batch-size warning are UserWarnings; a RuntimeWarning from the math is not).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = method(*args, **kwargs), None
        except (ValueError, TypeError) as exc:
            result, error = None, exc
    unexpected = [w for w in caught if not issubclass(w.category, UserWarning)]
    assert not unexpected, [str(w.message) for w in unexpected]
    if error is not None:
        message = str(error)
        assert any(re.search(p, message, re.DOTALL) for p in KNOWN_ERRORS), message
        event(f"{method.__name__}: {type(error).__name__}")
    return result, error


def assert_same(before, after):
    """Deep, bit-exact equality of nested arrays, lists, dicts and scalars."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray)
        assert before.dtype == after.dtype and before.shape == after.shape
        if before.dtype == object:
            assert_same(before.tolist(), after.tolist())
        else:
            np.testing.assert_array_equal(after, before)
    elif isinstance(before, (list, tuple)):
        assert type(before) is type(after) and len(before) == len(after)
        for b, a in zip(before, after):
            assert_same(b, a)
    elif isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            assert_same(before[key], after[key])
    elif isinstance(before, np.random.RandomState):
        assert_same(before.get_state(legacy=False), after.get_state(legacy=False))
    else:
        assert before == after or (before != before and after != after)


def check_outputs(clf, X, y):
    """Every prediction call on a fitted model: valid output or a known error."""
    proba, error = check_call(clf.predict_proba, X)
    if error is not None:
        return
    n_samples = proba.shape[0]
    assert proba.shape == (n_samples, len(clf.classes_))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    if not clf._multilabel:
        tol = 1e-5 if proba.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=0, atol=tol)
    log_proba, _ = check_call(clf.predict_log_proba, X)
    assert not np.isnan(log_proba).any() and (log_proba <= 0).all()
    with np.errstate(divide="ignore"):  # log(0) = -inf is the exact answer
        np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-6)
    labels, _ = check_call(clf.predict, X)
    assert len(labels) == n_samples
    if not clf._multilabel:
        assert np.isin(labels, clf.classes_).all()
    if y is not None:
        score, _ = check_call(clf.score, X, y)
        assert score is None or 0 <= score <= 1


def mostly(draw, good, bad, one_in=4):
    """Draw from ``good``, or from ``bad`` about once in ``one_in`` draws."""
    if draw(st.integers(1, one_in)) == one_in:
        return draw(st.sampled_from(bad))
    return draw(st.sampled_from(good))


DTYPES = ["float64", "float32"]


ODD_DTYPES = ["float16", "int64", "int8", "uint8", "bool", "object", "complex128"]


MAGNITUDES = [1.0, 1e-3, 255.0]


EXTREME_MAGNITUDES = [0.0, 1e-300, 1e-30, 1e30, 1e150, 1e300]


@st.composite
def feature_arrays(draw, n_samples, n_features=None):
    """X of any dtype and magnitude, maybe NaN/inf, constant columns, 1-D or 3-D."""
    n_features = draw(st.integers(1, 4)) if n_features is None else n_features
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.standard_normal((n_samples, n_features))
    X *= mostly(draw, MAGNITUDES, EXTREME_MAGNITUDES)
    if n_samples and draw(st.integers(1, 4)) == 4:
        X[:, draw(st.integers(0, n_features - 1))] = draw(st.sampled_from([0, 7]))
    if n_samples and draw(st.integers(1, 10)) == 10:
        X.flat[draw(st.integers(0, X.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    dtype = mostly(draw, DTYPES, ODD_DTYPES, one_in=3)
    with np.errstate(over="ignore", invalid="ignore"):  # e.g. 1e300 as float16
        if dtype == "object" and n_samples and draw(st.booleans()):
            X = X.astype(object)
            X.flat[0] = "a"
        elif dtype == "complex128":
            X = X + 1j
        else:
            X = X.astype(dtype)
    shape = mostly(draw, ["2d"], ["1d", "3d"], one_in=10)
    if shape == "1d":
        return X[:, 0]
    return X[..., np.newaxis] if shape == "3d" else X


LABEL_SETS = [[0, 1], [0, 1, 2], [-1, 1], [3, 10, 7, 5], ["a", "b", "c"], [True, False]]


BAD_LABEL_SETS = [[0], ["spam"], [0.5, 1.5, 2.25], [1, "a"], [0, np.nan], [None, 1]]


@st.composite
def targets(draw, n_samples):
    """y as labels from a label set (maybe mixed types), or a multilabel matrix."""
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    if draw(st.integers(1, 5)) == 5:
        values = mostly(draw, [(0, 1)], [(0, 2), (0, 99)], one_in=5)
        return rng.choice(values, (n_samples, draw(st.integers(1, 3))))
    labels = mostly(draw, LABEL_SETS, BAD_LABEL_SETS)
    y = [labels[i] for i in rng.randint(len(labels), size=n_samples)]
    mixed = len({type(v) for v in labels}) > 1
    return np.array(y, dtype=object if mixed else None)


GOOD_WEIGHTS = [None, "uniform", "zero first half"]


BAD_WEIGHTS = ["all zero", "negative", "nan", "huge", "tiny", "wrong length"]


def make_sample_weight(kind, n_samples, rng):
    """Sample weights of the named kind; 'zero first half' zeroes whole batches."""
    half = n_samples // 2
    weights = {
        None: None,
        "uniform": rng.uniform(0, 3, n_samples),
        "zero first half": np.r_[np.zeros(half), np.ones(n_samples - half)],
        "all zero": np.zeros(n_samples),
        "negative": -rng.uniform(0, 1, n_samples),
        "nan": np.full(n_samples, np.nan),
        "huge": np.full(n_samples, 1e308),
        "tiny": np.full(n_samples, 1e-310),
        "wrong length": np.ones(n_samples + 1),
    }
    return weights[kind]


VALID_PARAMS = st.fixed_dictionaries(
    {
        "hidden_layer_size": st.integers(1, 6),
        "activation": st.sampled_from(["relu", "tanh", "logistic", "identity"]),
        "solver": st.sampled_from(["adam", "sgd", "gd", "lbfgs"]),
        "max_iter": st.integers(1, 4),
        "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0, 1e4]),
        "learning_rate": st.sampled_from(["constant", "invscaling", "adaptive"]),
        "alpha": st.sampled_from([1e-4, 0.0, 1.0, 1e300]),
        "batch_size": st.sampled_from(["auto", 1, 3, 1000]),
        "early_stopping": st.booleans(),
        "validation_fraction": st.sampled_from([0.1, 0.5]),
        "class_weight": st.sampled_from([None, None, "balanced", {0: 2.0}, {0: -1}]),
        "n_iter_no_change": st.sampled_from([10, 1]),
        "random_state": st.integers(0, 3),
    }
)


INVALID_PARAMS = [
    ("hidden_layer_size", 0),
    ("hidden_layer_size", 2.5),
    ("hidden_layer_size", "10"),
    ("activation", "softmax"),
    ("solver", "newton"),
    ("alpha", -1.0),
    ("alpha", np.nan),
    ("learning_rate_init", 0.0),
    ("learning_rate_init", np.inf),
    ("batch_size", 0),
    ("max_iter", 0),
    ("momentum", 1.5),
    ("beta_2", 1.0),
    ("validation_fraction", 1.0),
    ("class_weight", "auto"),
    ("epsilon", 0.0),
]


@st.composite
def estimators(draw):
    """An estimator with valid parameters, or now and then one invalid one."""
    params = draw(VALID_PARAMS)
    if draw(st.integers(1, 8)) == 8:
        name, value = draw(st.sampled_from(INVALID_PARAMS))
        params[name] = value
    return TwoLayerNNClassifier(**params)


@st.composite
def training_cases(draw):
    """(X, y, sample_weight), each valid or bad; sometimes of different lengths."""
    n_samples = mostly(draw, list(range(6, 31)), [0, 1, 2], one_in=10)
    X = draw(feature_arrays(n_samples))
    y = draw(targets(max(0, n_samples + mostly(draw, [0], [1, -1], one_in=15))))
    weights = mostly(draw, GOOD_WEIGHTS, BAD_WEIGHTS)
    event(f"sample_weight: {weights}")
    rng = np.random.RandomState(draw(st.integers(0, 9)))
    return X, y, make_sample_weight(weights, n_samples, rng)


def copies(*arrays):
    return [copy.deepcopy(a) for a in arrays]


@given(clf=estimators(), case=training_cases(), X_new=st.data())
def test_fuzzed_fit_and_predict(clf, case, X_new):
    X, y, sample_weight = case
    originals = copies(X, y, sample_weight)
    note(f"{clf!r}, X {getattr(X, 'dtype', None)} {np.shape(X)}, y {np.shape(y)}")
    _fitted, error = check_call(clf.fit, X, y, sample_weight=sample_weight)
    for before, after in zip(originals, (X, y, sample_weight)):
        assert_same(before, after)  # inputs are never modified
    if error is not None:
        with pytest.raises(NotFittedError):  # a failed first fit leaves no model
            clf.predict(np.zeros((1, 1)))
        return
    event("fit succeeded")
    assert all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_)
    check_outputs(clf, X, y)
    other = X_new.draw(
        feature_arrays(X_new.draw(st.integers(0, 5)), n_features=clf.n_features_in_)
    )
    before = copy.deepcopy(other)
    check_outputs(clf, other, None)
    assert_same(before, other)


@given(
    case=training_cases(),
    classes=st.sampled_from(
        [None, [0, 1, 2], ["a", "b"], [0, 0, 1], np.array([0, "a"], dtype=object)]
    ),
)
def test_fuzzed_partial_fit(case, classes):
    X, y, sample_weight = case
    clf = TwoLayerNNClassifier(4, random_state=0, batch_size=3)
    originals = copies(X, y, sample_weight, classes)
    for _ in range(2):
        _fitted, _error = check_call(
            clf.partial_fit, X, y, classes=classes, sample_weight=sample_weight
        )
    for before, after in zip(originals, (X, y, sample_weight, classes)):
        assert_same(before, after)
    if hasattr(clf, "coefs_"):
        event("partial_fit succeeded")
        assert all(np.isfinite(p).all() for p in clf.coefs_ + clf.intercepts_)
        check_outputs(clf, X, None)


def _decision_problem(output, dtype):
    X, y = make_classification(
        60, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    if output == "binary":
        y = y % 2
    elif output == "multilabel":
        X, y = make_multilabel_classification(60, 5, n_classes=3, random_state=0)
        X = X / 10
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_decision_function_is_the_output_layers_logits(activation, output, dtype):
    X, y = _decision_problem(output, dtype)
    clf = TwoLayerNNClassifier(7, activation, solver="lbfgs", max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    W1, W2 = (w.astype(np.float64) for w in clf.coefs_)
    b1, b2 = (b.astype(np.float64) for b in clf.intercepts_)
    Z1 = X.astype(np.float64) @ W1 + b1
    A1 = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "identity": lambda z: z,
    }[activation](Z1)
    expected = A1 @ W2 + b2
    scores = clf.decision_function(X)
    assert scores.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-4
    if output == "binary":
        assert scores.shape == (len(X),)
        assert_allclose(scores, expected[:, 0], rtol=tol, atol=tol)
        assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
        proba = clf.predict_proba(X)[:, 1]
        assert_allclose(proba, expit(scores), rtol=tol, atol=tol)
    else:
        assert scores.shape == (len(X), 3)
        assert_allclose(scores, expected, rtol=tol, atol=tol)
        if output == "multilabel":
            assert_array_equal(clf.predict(X), (scores > 0).astype(int))
        else:
            assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
            assert_array_equal(clf.predict(X), clf.predict_proba(X).argmax(axis=1))


def test_predict_follows_the_logit_where_the_probability_rounds_to_one_half():
    X, y = [[0.0], [1.0]], [0, 1]
    clf = TwoLayerNNClassifier(2, "identity", solver="lbfgs", random_state=0).fit(X, y)
    # A logit of 1e-20 everywhere: its logistic rounds to exactly 0.5.
    clf.coefs_[1][:] = 0
    clf.intercepts_[1][:] = 1e-20
    assert clf.decision_function([[0.0]])[0] > 0
    assert clf.predict_proba([[0.0]])[0, 1] == 0.5
    assert clf.predict([[0.0]])[0] == 1


def test_decision_function_of_a_loaded_model(tmp_path):
    from sklearn_tinynn import load, save

    X, y = _decision_problem("multiclass", np.float64)
    clf = TwoLayerNNClassifier(5, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    save(clf, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))
    with pytest.raises(NotFittedError):
        TwoLayerNNClassifier().decision_function(X)


def test_predicting_on_overflowing_input_says_to_scale():
    X, y = _digits()
    clf = TwoLayerNNClassifier(8, random_state=0, max_iter=5).fit(X, y)
    X_huge = np.full((2, X.shape[1]), 1.7e308)
    X_huge[1, ::2] *= -1
    methods = (clf.predict, clf.predict_proba, clf.predict_log_proba)
    for method in (*methods, clf.decision_function):
        with pytest.raises(ValueError, match=r"largest absolute value is 1\.7e\+308"):
            method(X_huge)


def test_partial_fit_with_an_invalid_solver_is_a_parameter_error():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _digits(20)
    clf = TwoLayerNNClassifier().set_params(solver="bogus")
    with pytest.raises(InvalidParameterError, match="'solver' parameter"):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert not hasattr(TwoLayerNNClassifier(solver="lbfgs"), "partial_fit")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
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


def _digits(n=120):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]
