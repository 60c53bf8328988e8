"""Training progress: callbacks on TwoLayerNNClassifier and the text progress bar.

The tests of scikit-learn's callback API (``sklearn.callback``, scikit-learn
1.9) skip on older versions; the text bar and the recording callbacks run on
every supported version, through ``sklearn.callback`` where it exists and the
package's stand-in elsewhere.
"""

import importlib.util
import io
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import check_mixin_order

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn._progress import (
    TextProgressBar,
    _format_seconds,
    _plain_with_callbacks,
    _PlainCallbackSupport,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


class Recorder:
    """Records the hooks it sees; can ask to stop after a given epoch."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context):
        self.calls.append(("end", context.task_name))
        return context.task_name == "epoch" and context.task_id + 1 == self.stop_after

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name))


class TTY(io.StringIO):
    def isatty(self):
        return True


def lines_of(stream):
    return stream.getvalue().splitlines()


def test_mixin_order_keeps_classifier_mixin_left():
    check_mixin_order("TwoLayerNNClassifier", TwoLayerNNClassifier())


@pytest.mark.parametrize("solver", ["adam", "gd", "lbfgs"])
def test_hooks_one_fit_task_and_one_epoch_task_per_epoch(solver, digits):
    recorder = Recorder()
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=6, tol=0, random_state=0)
    clf.set_callbacks(recorder).fit(*digits)
    epochs = [("begin", "epoch"), ("end", "epoch")] * clf.n_iter_
    expected = [("setup", "fit"), ("begin", "fit"), *epochs, ("end", "fit")]
    assert recorder.calls == [*expected, ("teardown", "fit")]
    assert clf.n_iter_ == 6
    # A model refitted without callbacks is the same model.
    plain = clone(clf).set_callbacks().fit(*digits)
    np.testing.assert_array_equal(plain.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd"])
def test_a_callback_can_stop_training(solver, digits):
    clf = TwoLayerNNClassifier(8, solver=solver, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping early is no ConvergenceWarning
        clf.set_callbacks(Recorder(stop_after=3)).fit(*digits)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    reference = TwoLayerNNClassifier(8, solver=solver, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(*digits)
    np.testing.assert_allclose(clf.loss_curve_, reference.loss_curve_)


def test_failed_fit_tears_down_and_keeps_the_callbacks(digits):
    recorder = Recorder()
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=3, random_state=0)
    X, y = digits
    clf.set_callbacks(recorder).fit(X, y)
    W1 = clf.coefs_[0].copy()
    recorder.calls.clear()
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X, np.zeros_like(y))
    assert recorder.calls == [("setup", "fit"), ("begin", "fit"), ("teardown", "fit")]
    # The failed fit left the fitted model and its callbacks as they were.
    np.testing.assert_array_equal(clf.coefs_[0], W1)
    assert clf._skl_callbacks == [recorder]
    assert "_callback_fit_ctx" not in vars(clf)


def test_set_callbacks_checks_and_removes():
    clf = TwoLayerNNClassifier()
    with pytest.raises(TypeError, match="callbacks must be instances"):
        clf.set_callbacks(object())
    with pytest.raises(TypeError, match="callbacks must be instances"):
        clf.set_callbacks(Recorder)
    clf.set_callbacks(Recorder())
    assert "_skl_callbacks" in vars(clf)
    assert "_skl_callbacks" not in vars(clf.set_callbacks())


def test_text_bar_in_a_log_writes_every_tenth_epoch_and_a_summary(digits):
    out = io.StringIO()
    clf = TwoLayerNNClassifier(8, solver="gd", learning_rate_init=0.5, max_iter=40)
    clf.set_params(early_stopping=True, n_iter_no_change=100, random_state=0)
    clf.set_callbacks(TextProgressBar(out)).fit(*digits)
    lines = lines_of(out)
    epochs = [int(re.search(r"epoch (\d+)/40", line).group(1)) for line in lines]
    assert epochs == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    assert all("time left" in line for line in lines[:-1])
    # The numbers are the estimator's own.
    assert re.fullmatch(
        rf"TwoLayerNNClassifier: epoch 40/40, loss {clf.loss_curve_[-1]:.4f}, "
        rf"validation score {clf.validation_scores_[-1]:.4f}, done in \d+\.\ds",
        lines[-1],
    )
    assert f"loss {clf.loss_curve_[3]:.4f}" in lines[0]


def test_text_bar_on_a_terminal_rewrites_one_line(digits):
    out = TTY()
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, tol=0, random_state=0)
    clf.set_callbacks(TextProgressBar(out)).fit(*digits)
    text = out.getvalue()
    # One rewrite of the line per iteration, one for the summary, one newline.
    assert text.count("\r\x1b[2K") == clf.n_iter_ + 1
    assert text.endswith("\n") and text.count("\n") == 1
    assert "epoch 1/5" in text and "epoch 5/5" in text and "validation" not in text


def test_text_bar_defaults_to_stderr(digits, capsys):
    TwoLayerNNClassifier(8, solver="lbfgs", max_iter=3, random_state=0).set_callbacks(
        TextProgressBar()
    ).fit(*digits)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1].startswith("TwoLayerNNClassifier: epoch 3/3")


@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0:00"), (0.2, "0:01"), (59.5, "1:00"), (61, "1:01"), (3661, "1:01:01")],
)
def test_format_seconds(seconds, text):
    assert _format_seconds(seconds) == text


class NoTeardown:
    setup = on_fit_task_begin = on_fit_task_end = Recorder.setup


class StandInClassifier(TwoLayerNNClassifier):
    """The classifier with the stand-in used on scikit-learn < 1.9."""

    set_callbacks = _PlainCallbackSupport.set_callbacks
    _init_callback_context = _PlainCallbackSupport._init_callback_context

    @_plain_with_callbacks
    def fit(self, X, y, sample_weight=None):
        return super().fit(X, y, sample_weight)


def test_stand_in_for_old_scikit_learn_drives_the_same_hooks(digits):
    recorder, out = Recorder(stop_after=4), io.StringIO()
    clf = StandInClassifier(8, solver="adam", max_iter=20, random_state=0)
    clf.set_callbacks(recorder, TextProgressBar(out)).fit(*digits)
    assert clf.n_iter_ == 4
    epochs = [("begin", "epoch"), ("end", "epoch")] * 4
    expected = [("setup", "fit"), ("begin", "fit"), *epochs, ("end", "fit")]
    assert recorder.calls == [*expected, ("teardown", "fit")]
    assert re.match(r"StandInClassifier: epoch 4/20, loss", lines_of(out)[-1])
    assert "_callback_fit_ctx" not in vars(clf)
    with pytest.raises(TypeError, match="missing: \\['teardown'\\]"):
        clf.set_callbacks(TextProgressBar(), NoTeardown())


# ---------------------------------------------- scikit-learn >= 1.9 only


def test_scoring_monitor_scores_each_epoch_as_if_fit_stopped_there(digits):
    callback = pytest.importorskip("sklearn.callback")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = TwoLayerNNClassifier(8, solver="gd", learning_rate_init=0.5, max_iter=5)
    clf.set_params(random_state=0).set_callbacks(monitor).fit(*digits)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == 5
    for epoch, row in enumerate(rows, start=1):
        reference = clone(clf).set_callbacks().set_params(max_iter=epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference.fit(*digits)
        assert row["accuracy"] == reference.score(*digits)


def test_scoring_monitor_follows_lbfgs_iterations(digits):
    callback = pytest.importorskip("sklearn.callback")
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=4, tol=0, random_state=0)
    clf.set_callbacks(monitor).fit(*digits)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == clf.n_iter_ == 4
    # The last iterate is the fitted model; the loss went down on the way.
    X, y = digits
    assert rows[-1]["neg_log_loss"] == pytest.approx(
        -log_loss(y, clf.predict_proba(X), labels=clf.classes_)
    )
    assert rows[0]["neg_log_loss"] < rows[-1]["neg_log_loss"]


def test_progress_bar_inside_grid_search_and_pipeline(digits, capsys):
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), TwoLayerNNClassifier(8, max_iter=3))
    search = GridSearchCV(pipe, {"twolayernnclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(*digits)
    out = capsys.readouterr().out
    assert "Pipeline - fit-final-estimator | TwoLayerNNClassifier - fit" in out
    assert re.search(r"100%", out) and not re.search(r"\b[0-9]{1,2}%", out)


def test_text_bar_follows_the_classifier_into_grid_search(digits):
    pytest.importorskip("sklearn.callback")
    out = io.StringIO()
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=3, random_state=0)
    search = GridSearchCV(
        clf.set_callbacks(TextProgressBar(out)), {"alpha": [1, 2]}, cv=2
    )
    search.fit(*digits)
    summaries = [line for line in lines_of(out) if "done in" in line]
    assert len(summaries) == 2 * 2 + 1  # every split of every candidate, and the refit


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_every_scikit_learn_callback_under_dispatch(device_xp, solver, digits, capsys):
    # The monitor scores a snapshot of the weights after each epoch, copied in
    # their own namespace; scores and bar are those of the NumPy fit.
    callback = pytest.importorskip("sklearn.callback")
    xp, device = device_xp
    X, y = digits[0][:100], digits[1][:100]
    scores = []
    for data in (X, xp.asarray(X, device=device)):
        monitor = callback.ScoringMonitor(scoring="neg_log_loss")
        bar = [callback.ProgressBar()] if importlib.util.find_spec("rich") else []
        clf = TwoLayerNNClassifier(8, solver=solver, max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.set_callbacks(monitor, *bar).fit(data, y)
        rows = monitor.get_logs().data
        scores.append(
            [row["neg_log_loss"] for row in rows if row["task_name"] == "epoch"]
        )
    assert len(scores[1]) == 3
    np.testing.assert_allclose(scores[1], scores[0], rtol=1e-10)


def test_text_progress_bar_under_dispatch(device_xp, digits):
    xp, device = device_xp
    out = io.StringIO()
    clf = TwoLayerNNClassifier(8, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(TextProgressBar(out))
        clf.fit(xp.asarray(digits[0], device=device), digits[1])
    assert "done in" in out.getvalue()
