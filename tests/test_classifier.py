"""TwoLayerNNClassifier: learnability, targets, weights, warm start and its place
in scikit-learn's tools (Pipeline, GridSearchCV, cross_val_score, routing)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
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


def test_float32_stays_float32_end_to_end(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(random_state=0, max_iter=5).fit(X.astype(np.float32), y)
    params = clf.coefs_ + clf.intercepts_
    assert all(p.dtype == np.float32 for p in params)
    assert clf.predict_proba(X[:5].astype(np.float32)).dtype == np.float32
    clf64 = TwoLayerNNClassifier(random_state=0, max_iter=5).fit(X.astype(int), y)
    assert clf64.coefs_[0].dtype == np.float64


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
