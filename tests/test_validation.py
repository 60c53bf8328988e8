"""A validation set of one's own (fit's X_val, y_val, sample_weight_val) and
the early-stopping score (``scoring``): the same model as the internal split
where the rows are the same, the stopping rule on each score, the errors, the
namespaces, saved files and pipelines."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynn import TwoLayerNNClassifier, _training, load, save
from sklearn_tinynn._array_api import to_numpy


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def balanced_digits(per_class=12):
    """``per_class`` digits of each class: a stratified split keeps the class
    shares exactly, so the prior biases b2 of the full data and of the
    training part are the same floats."""
    X, y = load_digits(return_X_y=True)
    rows = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)])
    rows = np.random.RandomState(0).permutation(rows)
    return X[rows] / 16, y[rows]


def digits_split(n_train=400, n_val=150):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    return X[:n_train], y[:n_train], X[n_train : n_train + n_val], y[n_train:][:n_val]


PARAMS = dict(
    hidden_layer_size=12,
    early_stopping=True,
    learning_rate_init=0.01,
    max_iter=15,
    random_state=0,
)


def model(**params):
    return TwoLayerNNClassifier(**{**PARAMS, **params})


def split_rows(monkeypatch):
    """The training and held-out rows of the next internal split."""
    seen = []
    real = _training.train_test_split

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(_training, "train_test_split", spy)
    return seen


def assert_same_fit(ours, theirs):
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_array_equal(to_numpy(a), to_numpy(b))
    assert ours.loss_curve_ == theirs.loss_curve_
    assert ours.validation_scores_ == theirs.validation_scores_
    assert ours.validation_loss_curve_ == theirs.validation_loss_curve_
    assert ours.n_iter_ == theirs.n_iter_


# The internal split draws its rows from random_state, which a given X_val
# leaves to the shuffles: the two fits see the same minibatches only without
# shuffling (or with 'gd', which never shuffles).
@pytest.mark.parametrize("scoring", [None, "loss", "neg_log_loss"])
@pytest.mark.parametrize(
    "solver, shuffle", [("adam", False), ("sgd", False), ("gd", True)]
)
def test_X_val_of_the_split_rows_gives_the_internal_splits_model(
    monkeypatch, solver, shuffle, scoring
):
    X, y = balanced_digits()
    params = dict(PARAMS, solver=solver, shuffle=shuffle, scoring=scoring)
    params.update(validation_fraction=0.25, n_iter_no_change=3)
    seen = split_rows(monkeypatch)
    internal = TwoLayerNNClassifier(**params).fit(X, y)
    train, val = seen[0]
    given = TwoLayerNNClassifier(**params).fit(
        X[train], y[train], X_val=X[val], y_val=y[val]
    )
    assert len(seen) == 1  # X_val given: no split
    assert_same_fit(given, internal)


def test_scoring_none_is_the_weighted_accuracy():
    X, y, X_val, y_val = digits_split()
    w_val = np.linspace(0.2, 3, len(y_val))
    scores = {}
    for scoring in [None, "accuracy"]:
        clf = model(scoring=scoring, n_iter_no_change=100)
        clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
        scores[scoring] = clf.validation_scores_
    # scikit-learn's scorer predicts with the weights of each epoch; ours
    # counts from the same outputs.
    assert_allclose(scores[None], scores["accuracy"], rtol=1e-14)
    assert len(set(scores[None])) > 3
    # The weights kept are those of the best score.
    clf = model(n_iter_no_change=100)
    clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert_allclose(
        accuracy_score(y_val, clf.predict(X_val), sample_weight=w_val),
        clf.best_validation_score_,
        rtol=1e-14,
    )


def test_scoring_loss_keeps_the_epoch_of_least_validation_loss():
    X, y, X_val, y_val = digits_split()
    params = dict(PARAMS, learning_rate_init=0.1, max_iter=200, tol=0.0)
    clf = TwoLayerNNClassifier(**params, scoring="loss", n_iter_no_change=4)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    losses = np.array(clf.validation_loss_curve_)
    assert_array_equal(clf.validation_scores_, -losses)  # higher is better
    best = int(np.argmin(losses))
    assert clf.best_validation_score_ == -losses[best]
    # Stopped n_iter_no_change + 1 epochs without a lower loss after the best.
    assert clf.n_iter_ == best + 1 + clf.n_iter_no_change + 1 < params["max_iter"]
    # The kept weights are the best epoch's: an independent log loss of them.
    assert_allclose(log_loss(y_val, clf.predict_proba(X_val)), losses[best], rtol=1e-10)


def test_scoring_names_a_scikit_learn_scorer():
    X, y, X_val, y_val = digits_split()
    fits = {
        scoring: model(scoring=scoring, max_iter=4).fit(X, y, X_val=X_val, y_val=y_val)
        for scoring in ["loss", "neg_log_loss"]
    }
    assert_allclose(
        fits["neg_log_loss"].validation_scores_,
        fits["loss"].validation_scores_,
        rtol=1e-10,
    )


def test_a_callable_scoring_is_called_each_epoch():
    X, y, X_val, y_val = digits_split()
    w_val = np.linspace(0.5, 1.5, len(y_val))
    calls = []

    def scorer(estimator, X_scored, y_scored, sample_weight=None):
        calls.append((estimator, X_scored.shape, y_scored, sample_weight))
        return -float(len(calls))  # always worse: stops after n_iter_no_change + 1

    clf = model(scoring=scorer, n_iter_no_change=2)
    clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert len(calls) == clf.n_iter_ == 4
    assert clf.validation_scores_ == [-1.0, -2.0, -3.0, -4.0]
    assert len(clf.validation_loss_curve_) == 4
    for estimator, shape, labels, weights in calls:
        assert estimator is clf and shape == X_val.shape
        assert_array_equal(labels, y_val)
        assert_array_equal(weights, w_val)
    # The weights of the first epoch, the best score, are kept.
    assert clf.best_validation_score_ == -1.0


def test_a_callable_scoring_on_the_internal_split_gets_its_labels():
    X, y, _, _ = digits_split()
    labels = []

    def scorer(estimator, X_scored, y_scored):
        labels.append(y_scored)
        return estimator.score(X_scored, y_scored)

    clf = model(scoring=scorer, max_iter=2).fit(X, y)
    assert labels[0].dtype == y.dtype and set(labels[0]) == set(y)
    reference = model(max_iter=2).fit(X, y)
    assert_allclose(clf.validation_scores_, reference.validation_scores_, rtol=1e-14)


def test_a_scorer_that_fails_to_score_is_an_error():
    X, y, X_val, y_val = digits_split()
    clf = model(scoring=lambda *args: float("nan"))
    with pytest.raises(ValueError, match="gave the score nan at epoch 1"):
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert not hasattr(clf, "coefs_")


def test_string_labels_and_binary_and_multilabel_targets():
    X, y, X_val, y_val = digits_split()
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    for target, target_val in [
        (names[y], names[y_val]),
        (y % 2, y_val % 2),
        (np.c_[y % 2, y > 4], np.c_[y_val % 2, y_val > 4]),
    ]:
        clf = model(scoring="accuracy", max_iter=4)
        clf.fit(X, target, X_val=X_val, y_val=target_val)
        own = model(max_iter=4).fit(X, target, X_val=X_val, y_val=target_val)
        assert_allclose(clf.validation_scores_, own.validation_scores_, rtol=1e-14)
        assert_allclose(
            clf.best_validation_score_,
            accuracy_score(target_val, clf.predict(X_val)),
            rtol=1e-14,
        )


def test_warm_start_goes_on_recording_on_X_val():
    X, y, X_val, y_val = digits_split()
    clf = model(warm_start=True, scoring="loss", max_iter=3)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 6
    assert_allclose(clf.validation_scores_, -np.array(clf.validation_loss_curve_))


BAD_CALLS = [
    (dict(X_val="X"), "X_val is provided, but y_val was not provided"),
    (dict(y_val="y"), "y_val is provided, but X_val was not provided"),
    (dict(sample_weight_val="w"), "sample_weight_val is provided, but X_val and"),
    (dict(X_val="X", y_val="y", X="narrow"), "X_val: X has 10 features, but"),
    (dict(X_val="X", y_val="unknown"), r"y_val contains labels \[11, 12\] that are"),
    (dict(X_val="X", y_val="short"), "X_val and y_val: Found input variables with"),
    (dict(X_val="X", y_val="y", sample_weight_val="negative"), "sample_weight_val:"),
    (
        dict(X_val="X", y_val="y", sample_weight_val="zero"),
        r"sample_weight_val(: Sample weights must| sums to 0.0)",
    ),
    (dict(X_val="X", y_val="y", X="nan"), "X_val: Input X contains NaN"),
]


@pytest.mark.parametrize("call, message", BAD_CALLS)
def test_bad_validation_sets_are_refused(call, message):
    X, y, X_val, y_val = digits_split()
    values = {
        "X": X_val,
        "narrow": X_val[:, :10],
        "nan": np.where(X_val == 0, np.nan, X_val),
        "y": y_val,
        "unknown": np.where(y_val == 0, 11, np.where(y_val == 1, 12, y_val)),
        "short": y_val[:-1],
        "w": np.ones(len(y_val)),
        "negative": -np.ones(len(y_val)),
        "zero": np.zeros(len(y_val)),
    }
    kwargs = {k: values[call[k] if k != "X_val" else call.get("X", "X")] for k in call}
    kwargs.pop("X", None)
    clf = model()
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, **kwargs)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(early_stopping=False), "while early_stopping is False"),
        (dict(solver="lbfgs"), "solver='lbfgs' does not do"),
    ],
)
def test_X_val_needs_early_stopping_with_an_iterative_solver(params, message):
    X, y, X_val, y_val = digits_split()
    clf = model(**params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, X_val=X_val, y_val=y_val)


def test_partial_fit_takes_no_validation_set():
    # As MLPClassifier refuses early_stopping with partial_fit: one call is one
    # epoch, with nothing to stop.
    X, y, X_val, _ = digits_split()
    with pytest.raises(TypeError, match="X_val"):
        TwoLayerNNClassifier().partial_fit(X, y, classes=np.arange(10), X_val=X_val)


def test_X_val_feature_names_must_be_those_of_X():
    pd = pytest.importorskip("pandas")
    X, y, X_val, y_val = digits_split()
    columns = [f"pixel{i}" for i in range(64)]
    frame, frame_val = (
        pd.DataFrame(X, columns=columns),
        pd.DataFrame(X_val, columns=columns),
    )
    clf = model(scoring="accuracy", max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no feature-name warning
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(frame, y, X_val=frame_val, y_val=y_val)
    with pytest.raises(ValueError, match="X_val: The feature names should match"):
        clf.fit(frame, y, X_val=frame_val[columns[::-1]], y_val=y_val)


def test_float32_X_val_follows_X():
    X, y, X_val, y_val = digits_split()
    clf = model(scoring="loss", max_iter=2)
    clf.fit(X.astype(np.float32), y, X_val=X_val, y_val=y_val)
    ref = model(scoring="loss", max_iter=2)
    ref.fit(X.astype(np.float32), y, X_val=X_val.astype(np.float32), y_val=y_val)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.validation_loss_curve_ == ref.validation_loss_curve_


# ------------------------------------------------------- pipelines, files


def test_pipeline_passes_X_val_untransformed():
    X, y, X_val, y_val = digits_split()
    pipe = make_pipeline(StandardScaler(), model(scoring="loss", max_iter=3))
    scaler = StandardScaler().fit(X)
    # The docs' recipe: X_val transformed by the fitted preprocessing.
    pipe.fit(
        X,
        y,
        twolayernnclassifier__X_val=scaler.transform(X_val),
        twolayernnclassifier__y_val=y_val,
    )
    alone = model(scoring="loss", max_iter=3)
    alone.fit(scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val)
    assert_same_fit(pipe[-1], alone)


def test_metadata_routing_requests_the_validation_set():
    X, y, X_val, y_val = digits_split()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = model(max_iter=3).set_fit_request(
            X_val=True, y_val=True, sample_weight_val=True
        )
        pipe = make_pipeline(clf).fit(X, y, X_val=X_val, y_val=y_val)
    alone = model(max_iter=3).fit(X, y, X_val=X_val, y_val=y_val)
    assert_same_fit(pipe[-1], alone)


def test_pipeline_transform_input_transforms_X_val():
    # scikit-learn 1.6's Pipeline(transform_input=...), with metadata routing.
    X, y, X_val, y_val = digits_split()
    if "transform_input" not in Pipeline([("clf", model())]).get_params():
        pytest.skip("Pipeline has no transform_input before scikit-learn 1.6")
    with sklearn.config_context(enable_metadata_routing=True):
        clf = model(max_iter=3).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)])
        pipe.set_params(transform_input=["X_val"]).fit(X, y, X_val=X_val, y_val=y_val)
    scaler = StandardScaler().fit(X)
    alone = model(max_iter=3).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    assert_same_fit(pipe[-1], alone)


@pytest.mark.parametrize("scoring", ["loss", "neg_log_loss", None])
def test_save_and_load_keep_scoring(tmp_path, scoring):
    X, y, X_val, y_val = digits_split()
    clf = model(scoring=scoring, max_iter=3)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    save(clf, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    assert loaded.scoring == scoring
    assert loaded.validation_scores_ == clf.validation_scores_
    assert_array_equal(loaded.predict_proba(X_val), clf.predict_proba(X_val))


def test_a_callable_scoring_is_not_saved(tmp_path):
    X, y, X_val, y_val = digits_split()
    clf = model(scoring=lambda e, X, y: 0.0, max_iter=2)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    with pytest.raises(ValueError, match="is a callable, which a saved model cannot"):
        save(clf, tmp_path / "model.skops")
    assert not (tmp_path / "model.skops").exists()
    save(clf.set_params(scoring="loss"), tmp_path / "model.skops")
    assert load(tmp_path / "model.skops").scoring == "loss"


def test_an_unknown_scoring_names_the_accepted_ones():
    X, y, _, _ = digits_split()
    with pytest.raises(ValueError, match="'scoring' parameter .* must be None, a str"):
        TwoLayerNNClassifier(scoring="speed").fit(X, y)


# ------------------------------------------------------------- namespaces


@pytest.mark.parametrize("scoring", [None, "loss"])
def test_X_val_in_another_namespace(device_xp, scoring):
    xp, device = device_xp
    X, y, X_val, y_val = digits_split(200, 60)
    params = dict(PARAMS, scoring=scoring, max_iter=4, n_iter_no_change=1)
    reference = TwoLayerNNClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    w_val = np.linspace(0.5, 1.5, len(y_val))
    moved = TwoLayerNNClassifier(**params).fit(
        xp.asarray(X, device=device),
        xp.asarray(y, device=device),
        X_val=xp.asarray(X_val, device=device),
        y_val=xp.asarray(y_val, device=device),
    )
    for ours, theirs in zip(moved.coefs_, reference.coefs_):
        assert_allclose(to_numpy(ours), theirs, rtol=1e-12, atol=1e-12)
    assert_allclose(moved.validation_scores_, reference.validation_scores_, rtol=1e-12)
    assert_allclose(
        moved.validation_loss_curve_, reference.validation_loss_curve_, rtol=1e-12
    )
    weighted = TwoLayerNNClassifier(**params).fit(
        xp.asarray(X, device=device),
        y,
        X_val=xp.asarray(X_val, device=device),
        y_val=y_val,
        sample_weight_val=xp.asarray(w_val, device=device),
    )
    reference.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert_allclose(
        weighted.validation_scores_, reference.validation_scores_, rtol=1e-12
    )
    with pytest.raises(ValueError, match="X_val must be of the array library and"):
        TwoLayerNNClassifier(**params).fit(
            xp.asarray(X, device=device), y, X_val=X_val, y_val=y_val
        )


def test_unit_validation_weights_are_no_weights():
    X, y, X_val, y_val = digits_split()
    unweighted = model(scoring="loss").fit(X, y, X_val=X_val, y_val=y_val)
    ones = np.ones(len(y_val))
    weighted = model(scoring="loss").fit(
        X, y, X_val=X_val, y_val=y_val, sample_weight_val=ones
    )
    assert_same_fit(weighted, unweighted)
