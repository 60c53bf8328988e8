"""Checkpoints: the Checkpoint callback and the exact resume of a fit.

The invariant: a fit of max_iter epochs, and a fit that crashed after epoch
10 resumed from the file it left (``load``, ``warm_start=True``, ``fit``),
end in the same model bit for bit: weights, records, counters, optimizer
state and random generator.
"""

import copy
import warnings

import numpy as np
import pytest
import skops.io
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynn import Checkpoint, TwoLayerNNClassifier, load, move_to
from sklearn_tinynn._checkpoints import latest_checkpoint
from sklearn_tinynn._progress import _plain_with_callbacks, _PlainCallbackSupport


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


class Crash:
    """A callback that raises at the end of an epoch, like a crash."""

    def __init__(self, after):
        self.after = after

    setup = teardown = on_fit_task_begin = lambda self, estimator, context: None

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch" and estimator.n_iter_ == self.after:
            raise RuntimeError("crash")


def make(**params):
    defaults = dict(hidden_layer_size=12, max_iter=20, random_state=0)
    return TwoLayerNNClassifier(**{**defaults, **params})


def crash_and_resume(clf, X, y, folder, after=12):
    """Fit until a crash after epoch ``after``, then resume from the file
    of epoch 10, the only thing left."""
    with pytest.raises(RuntimeError, match="crash"):
        clf.set_callbacks(Checkpoint(folder, every=5), Crash(after)).fit(X, y)
    resumed = load(folder / "epoch_0010.skops")
    return resumed.set_params(warm_start=True).fit(X, y)


def fitted_state(clf):
    """Everything a fit leaves that the next one could depend on."""
    state = {k: v for k, v in vars(clf).items() if k.endswith("_") and k[0] != "_"}
    state["_no_improvement_count"] = clf._no_improvement_count
    state["_optimizer_state"] = clf._optimizer_state
    state["_random_state"] = clf._random_state.get_state(legacy=False)
    state["params"] = {**clf.get_params(), "warm_start": None}  # set to resume
    return state


def assert_identical(a, b):
    """Equal bit for bit, arrays and lists of arrays included."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for key in a:
            assert_identical(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, z in zip(a, b):
            assert_identical(x, z)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, strict=True)
    else:
        assert a == b or (a != a and b != b), (a, b)


@pytest.mark.parametrize(
    "dropout", [{}, {"dropout": 0.3}, {"input_dropout": 0.2, "dropout": 0.3}]
)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_a_resumed_fit_is_the_uninterrupted_fit_bit_for_bit(
    solver, early_stopping, dropout, digits, tmp_path
):
    # tol=0.05: the stopping counter moves, and matters, without stopping.
    # With dropout, the resumed fit reuses the seed of the masks of the fit
    # it continues (drawn once per fit, before the generator moves on).
    params = dict(solver=solver, early_stopping=early_stopping, shuffle=True)
    params.update(dropout)
    params.update(tol=0.05, n_iter_no_change=30)
    full = make(**params).fit(*digits)
    resumed = crash_and_resume(make(**params), *digits, tmp_path)
    assert resumed.n_iter_ == full.n_iter_ == 20
    assert "_resume" not in vars(resumed)
    assert_identical(fitted_state(resumed), fitted_state(full))


@pytest.mark.parametrize("scoring", [None, "loss"])
def test_a_resumed_fit_on_a_validation_set_of_ones_own_is_the_uninterrupted_fit(
    scoring, digits, tmp_path
):
    X, y = digits
    val = dict(X_val=X[250:], y_val=y[250:])
    params = dict(early_stopping=True, scoring=scoring, tol=0.05, n_iter_no_change=30)
    full = make(**params).fit(X[:250], y[:250], **val)
    clf = make(**params).set_callbacks(Checkpoint(tmp_path, every=5), Crash(12))
    with pytest.raises(RuntimeError, match="crash"):
        clf.fit(X[:250], y[:250], **val)
    resumed = load(tmp_path / "epoch_0010.skops").set_params(warm_start=True)
    resumed.fit(X[:250], y[:250], **val)
    assert_identical(fitted_state(resumed), fitted_state(full))


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", learning_rate="cosine", warmup_iter=13),
        dict(solver="sgd", learning_rate="cosine", early_stopping=True),
        dict(solver="adam", learning_rate="plateau", tol=0.05, n_iter_no_change=2),
        dict(solver="gd", learning_rate="invscaling", learning_rate_init=0.5),
    ],
)
def test_a_resumed_schedule_goes_on_where_it_stopped(params, digits, tmp_path):
    # The warm-up of 13 epochs is still running at the checkpoint of epoch 10.
    full = make(**params).fit(*digits)
    resumed = crash_and_resume(make(**params), *digits, tmp_path)
    assert_identical(fitted_state(resumed), fitted_state(full))


def test_a_cosine_schedule_keeps_its_horizon(digits, tmp_path):
    make(learning_rate="cosine").set_callbacks(Checkpoint(tmp_path)).fit(*digits)
    checkpoint = load(tmp_path / "epoch_0010.skops")
    checkpoint.set_params(warm_start=True, max_iter=30)
    with pytest.raises(ValueError, match="cosine schedule spans max_iter=20 epochs"):
        checkpoint.fit(*digits)


def test_the_stopping_rule_and_its_counters_resume(digits, tmp_path):
    # Training stalls every few epochs, the adaptive rate falls each time, and
    # it stops on its own after epoch 10: the resumed fit stops there too.
    params = dict(solver="sgd", learning_rate="adaptive", max_iter=50)
    params.update(tol=0.05, n_iter_no_change=3)
    full = make(**params).fit(*digits)
    assert 10 < full.n_iter_ < 50
    with pytest.raises(RuntimeError):
        make(**params).set_callbacks(Checkpoint(tmp_path, every=10), Crash(11)).fit(
            *digits
        )
    checkpoint = load(tmp_path / "epoch_0010.skops")
    assert checkpoint._no_improvement_count > 0
    assert checkpoint._optimizer_state["learning_rate"] < 0.001 / 5
    resumed = checkpoint.set_params(warm_start=True).fit(*digits)
    assert_identical(fitted_state(resumed), fitted_state(full))


def test_resumed_files_continue_the_fit_s_files(digits, tmp_path):
    params = dict(solver="adam", early_stopping=True)
    make(**params).set_callbacks(Checkpoint(tmp_path / "full", every=5)).fit(*digits)
    crashed = tmp_path / "crashed"
    with pytest.raises(RuntimeError):
        make(**params).set_callbacks(Checkpoint(crashed, every=5), Crash(12)).fit(
            *digits
        )
    resumed = load(crashed / "epoch_0010.skops").set_params(warm_start=True)
    resumed.set_callbacks(Checkpoint(crashed, every=5)).fit(*digits)
    names = ["best.skops", *(f"epoch_{n:04d}.skops" for n in (5, 10, 15, 20))]
    for folder in (tmp_path / "full", crashed):
        assert sorted(p.name for p in folder.iterdir()) == names
    for name in names:
        assert_identical(
            fitted_state(load(crashed / name)),
            fitted_state(load(tmp_path / "full" / name)),
        )


def test_warm_start_after_a_resumed_fit_is_an_ordinary_warm_start(digits, tmp_path):
    full = make(solver="sgd").fit(*digits)
    resumed = crash_and_resume(make(solver="sgd"), *digits, tmp_path)
    for clf in (full, resumed):
        clf.set_params(warm_start=True, max_iter=7).fit(*digits)
    assert resumed.n_iter_ == 7
    assert_identical(fitted_state(resumed), fitted_state(full))


def test_max_iter_may_grow_on_resume(digits, tmp_path):
    full = make(solver="adam", max_iter=30).fit(*digits)
    with pytest.raises(RuntimeError):
        make(solver="adam").set_callbacks(Checkpoint(tmp_path), Crash(12)).fit(*digits)
    resumed = load(tmp_path / "epoch_0010.skops")
    resumed.set_params(warm_start=True, max_iter=30).fit(*digits)
    assert_identical(fitted_state(resumed), fitted_state(full))


def test_without_warm_start_a_checkpoint_starts_a_new_fit(digits, tmp_path):
    make().set_callbacks(Checkpoint(tmp_path)).fit(*digits)
    checkpoint = load(tmp_path / "epoch_0010.skops")
    assert "_resume" in vars(checkpoint)
    checkpoint.fit(*digits)
    assert "_resume" not in vars(checkpoint)
    assert_identical(fitted_state(checkpoint), fitted_state(make().fit(*digits)))
    # partial_fit goes on from the weights, with a fresh generator, as ever.
    partial = load(tmp_path / "epoch_0010.skops").partial_fit(*digits)
    reference = load(tmp_path / "epoch_0010.skops")
    del reference._resume
    reference.partial_fit(*digits)
    assert_identical(fitted_state(partial), fitted_state(reference))


def test_a_failed_resumed_fit_keeps_its_resume_state(digits, tmp_path):
    make().set_callbacks(Checkpoint(tmp_path)).fit(*digits)
    checkpoint = load(tmp_path / "epoch_0010.skops").set_params(warm_start=True)
    with pytest.raises(RuntimeError):
        checkpoint.set_callbacks(Crash(15)).fit(*digits)
    assert checkpoint.n_iter_ == 10 and len(checkpoint.loss_curve_) == 10
    resumed = checkpoint.set_callbacks().fit(*digits)
    assert_identical(fitted_state(resumed), fitted_state(make().fit(*digits)))


def test_a_resume_that_is_not_the_same_fit_is_refused(digits, tmp_path):
    X, y = digits
    make(early_stopping=True).set_callbacks(Checkpoint(tmp_path)).fit(X, y)
    path = tmp_path / "epoch_0010.skops"
    cases = [
        ({"solver": "sgd"}, X, "the optimizer state is not one of solver='sgd'"),
        ({"early_stopping": False}, X, "a fit with early_stopping=False,"),
        (
            {"dropout": 0.2},
            X,
            "early_stopping=True, dropout=0.2, input_dropout=0.0 needs",
        ),
        ({"max_iter": 10}, X, "n_iter_=10 and max_iter=10"),
        ({}, X[:200], "trained on 300 samples, this one on 200"),
    ]
    for params, data, message in cases:
        model = load(path).set_params(warm_start=True, **params)
        with pytest.raises(ValueError, match=f"Cannot resume the fit .*{message}"):
            model.fit(data, y[: len(data)])
        assert "_resume" in vars(model)  # the failed fit changed nothing


def test_the_best_file_holds_the_best_epoch(digits, tmp_path):
    with_validation = make(early_stopping=True, n_iter_no_change=50)
    with_validation.set_callbacks(Checkpoint(tmp_path / "es", every=None)).fit(*digits)
    assert [p.name for p in (tmp_path / "es").iterdir()] == ["best.skops"]
    best = load(tmp_path / "es" / "best.skops")
    # Early stopping keeps the weights of the best epoch: those of the file.
    assert_identical(best.coefs_, with_validation.coefs_)
    scores = with_validation.validation_scores_
    assert len(best.validation_scores_) == int(np.argmax(scores)) + 1
    clf = make(solver="sgd", learning_rate_init=0.5)
    clf.set_callbacks(Checkpoint(tmp_path / "loss", save_best=True)).fit(*digits)
    best = load(tmp_path / "loss" / "best.skops")
    assert best.loss_curve_[-1] == min(clf.loss_curve_)
    assert len(best.loss_curve_) == int(np.argmin(clf.loss_curve_)) + 1


def test_file_names_and_parameters(digits, tmp_path):
    clf = make(max_iter=9).set_callbacks(Checkpoint(tmp_path, every=4, save_best=False))
    clf.fit(*digits)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["epoch_0004.skops", "epoch_0008.skops"]
    assert latest_checkpoint(tmp_path).name == "epoch_0008.skops"
    assert latest_checkpoint(tmp_path / "none") is None
    # partial_fit and warm starts count on: loss_curve_ is the epoch count.
    clf.set_params(warm_start=True, max_iter=3).fit(*digits)
    assert latest_checkpoint(tmp_path).name == "epoch_0012.skops"
    # partial_fit: one epoch per call, no resume state.
    partial = make().set_callbacks(Checkpoint(tmp_path / "partial", every=2))
    for _ in range(4):
        partial.partial_fit(*digits, classes=np.arange(10))
    names = sorted(p.name for p in (tmp_path / "partial").iterdir())
    assert names == ["best.skops", "epoch_0002.skops", "epoch_0004.skops"]
    assert "_resume" not in vars(load(tmp_path / "partial" / "epoch_0002.skops"))
    for every in (0, 2.5, True):
        with pytest.raises(ValueError, match="expected a positive int or None"):
            make().set_callbacks(Checkpoint(tmp_path, every=every)).fit(*digits)
    with pytest.raises(TypeError, match="Checkpoint saves a TwoLayerNNClassifier"):
        Checkpoint(tmp_path).setup(object(), None)


def test_lbfgs_checkpoints_carry_no_resume_state(digits, tmp_path):
    clf = make(solver="lbfgs", max_iter=10).set_callbacks(Checkpoint(tmp_path, every=5))
    clf.fit(*digits)
    checkpoint = load(tmp_path / "epoch_0005.skops")
    assert "_resume" not in vars(checkpoint) and len(checkpoint.loss_curve_) == 5
    assert "_resume" not in vars(load(tmp_path / "epoch_0010.skops"))


def test_the_stand_in_for_old_scikit_learn_saves_the_same_files(
    digits, tmp_path, monkeypatch
):
    # TwoLayerNNClassifier itself with the callback support of scikit-learn < 1.9.
    cls = TwoLayerNNClassifier
    monkeypatch.setattr(cls, "set_callbacks", _PlainCallbackSupport.set_callbacks)
    monkeypatch.setattr(
        cls, "_init_callback_context", _PlainCallbackSupport._init_callback_context
    )
    monkeypatch.setattr(cls, "fit", _plain_with_callbacks(cls.fit.__wrapped__))
    full = make(solver="adam", early_stopping=True).fit(*digits)
    clf = make(solver="adam", early_stopping=True)
    resumed = crash_and_resume(clf, *digits, tmp_path)
    assert "_callback_fit_ctx" not in vars(clf)
    assert_identical(fitted_state(resumed), fitted_state(full))


@pytest.mark.parametrize("dropout", [{}, {"dropout": 0.3}, {"input_dropout": 0.2}])
def test_resume_under_dispatch(device_xp, dropout, digits, tmp_path):
    xp, device = device_xp
    X = xp.asarray(digits[0], device=device)
    y = digits[1]
    full = make(early_stopping=True, **dropout).fit(X, y)
    crashing = make(early_stopping=True, **dropout)
    with pytest.raises(RuntimeError):
        crashing.set_callbacks(Checkpoint(tmp_path), Crash(12)).fit(X, y)
    checkpoint = move_to(load(tmp_path / "epoch_0010.skops"), xp, device)
    resumed = checkpoint.set_params(warm_start=True).fit(X, y)
    assert_identical(
        fitted_state(move_to(resumed, "numpy")), fitted_state(move_to(full, "numpy"))
    )


# ------------------------------------------------- hostile resume states


def _resume_edit(**changes):
    def edit(model):
        for key, value in changes.items():
            model._resume[key] = value(model) if callable(value) else value

    return edit


def _dropout_edit(seed):
    def edit(model):
        model.dropout = 0.2
        model._resume["dropout_seed"] = seed

    return edit


def _zero_key_generator():
    generator = np.random.RandomState(0)
    state = list(generator.get_state())
    state[1] = np.zeros_like(state[1])
    generator.set_state(tuple(state))
    return generator


HOSTILE = {
    "an unknown key": (
        _resume_edit(extra=1),
        r"_resume has the keys \[.*'extra'.*\]; a fit with early_stopping=True",
    ),
    "a dropout seed without dropout": (
        _resume_edit(dropout_seed=5),
        r"_resume has the keys \[.*'dropout_seed'.*\]; .* dropout=0.0, "
        r"input_dropout=0.0 needs",
    ),
    "input dropout without its seed": (
        lambda m: setattr(m, "input_dropout", 0.2),
        r"_resume has the keys .*; .* input_dropout=0.2 needs \[.*'dropout_seed'",
    ),
    "dropout without its seed": (
        lambda m: setattr(m, "dropout", 0.2),
        r"_resume has the keys .*; .* dropout=0.2, input_dropout=0.0 needs "
        r"\[.*'dropout_seed'",
    ),
    "a dropout seed past 63 bits": (
        _dropout_edit(2**63),
        r"_resume\['dropout_seed'\]=9223372036854775808 is not an int in \[0, 2",
    ),
    "a float dropout seed": (
        _dropout_edit(1.5),
        r"_resume\['dropout_seed'\]=1.5 is not an int",
    ),
    "a count for a generator": (
        _resume_edit(random_state=5),
        r"_resume\['random_state'\] is a int, not a RandomState",
    ),
    "a degenerate generator": (
        _resume_edit(split_random_state=lambda m: _zero_key_generator()),
        r"_resume\['split_random_state'\] has an all-zero Mersenne Twister key",
    ),
    "best weights of another shape": (
        _resume_edit(best_coefs=lambda m: [m.coefs_[0][:5], m.coefs_[1].copy()]),
        r"_resume\['best_coefs'\] and \['best_intercepts'\] has arrays of shapes",
    ),
    "best weights holding NaN": (
        _resume_edit(best_intercepts=lambda m: [np.full(12, np.nan), m.intercepts_[1]]),
        r"_resume\['best_coefs'\] and \['best_intercepts'\] holds NaN",
    ),
    "best weights shared with the weights": (
        _resume_edit(best_coefs=lambda m: m.coefs_),
        "the weights, optimizer state and records share an array or list",
    ),
    "a negative sample count": (
        _resume_edit(n_samples=-3),
        r"_resume\['n_samples'\]=-3 is not a count",
    ),
    "a boolean sample count": (
        _resume_edit(n_samples=True),
        r"_resume\['n_samples'\]=True is not a count",
    ),
    "an epoch count past max_iter": (
        lambda m: setattr(m, "n_iter_", 20),
        "_resume with n_iter_=20 and max_iter=20: a fit to resume has run",
    ),
    "a solver that cannot resume": (
        lambda m: setattr(m, "solver", "lbfgs"),
        "_resume: a fit of solver='lbfgs' cannot resume",
    ),
    "no optimizer state": (
        lambda m: setattr(m, "_optimizer_state", None),
        "_resume: the optimizer state is not one of solver='adam'",
    ),
    "a list for the dict": (
        lambda m: setattr(m, "_resume", [1, 2]),
        r"_resume has the keys <list>",
    ),
}


@pytest.fixture(scope="module")
def checkpoint(digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoint")
    make(early_stopping=True).set_callbacks(Checkpoint(folder)).fit(*digits)
    return load(folder / "epoch_0010.skops")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_resume_state_is_refused_on_load(case, checkpoint, tmp_path):
    edit, message = HOSTILE[case]
    model = copy.deepcopy(checkpoint)
    edit(model)
    path = tmp_path / "hostile.skops"
    skops.io.dump(model, path)
    with pytest.raises(ValueError, match=f"inconsistent model: {message}"):
        load(path)
