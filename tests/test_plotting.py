"""Tests of sklearn_tinynn.plotting: every display rendered with Agg, then read back."""

import sys

import matplotlib
import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.plotting import (
    HiddenUnitsDisplay,
    LearningRateFinderDisplay,
    LossCurveDisplay,
    MisclassifiedDisplay,
    hidden_unit_usage,
    sample_loss,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


@pytest.fixture(scope="module")
def early_stopped(digits):
    """Fitted with a validation set: loss, validation loss and score curves."""
    X, y = digits
    clf = TwoLayerNNClassifier(12, early_stopping=True, max_iter=15, random_state=0)
    return clf.fit(X, y)


@pytest.fixture(scope="module")
def plain(digits):
    """Fitted without a validation set: only the training loss curve."""
    X, y = digits
    return TwoLayerNNClassifier(6, max_iter=8, random_state=0).fit(X, y)


def render(display):
    """Draw the whole figure, as saving it would (warnings are errors here)."""
    display.figure_.canvas.draw()
    return display


# ------------------------------------------------------------- LossCurveDisplay


def test_loss_curve_lines_hold_the_estimator_curves(early_stopped):
    display = render(
        LossCurveDisplay.from_estimator(early_stopped, show_validation_score=True)
    )
    n_epochs = early_stopped.n_iter_
    expected = {
        display.line_: early_stopped.loss_curve_,
        display.validation_line_: early_stopped.validation_loss_curve_,
        display.score_line_: early_stopped.validation_scores_,
    }
    for line, values in expected.items():
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, n_epochs + 1))
        np.testing.assert_array_equal(line.get_ydata(), values)
    best = early_stopped.validation_scores_.index(early_stopped.best_validation_score_)
    assert display.best_epoch == best + 1
    assert display.best_epoch_line_.get_xdata() == [best + 1, best + 1]
    assert len(display.ax_.get_lines()) == 3
    assert display.score_ax_.get_lines() == [display.score_line_]
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.ax_.get_ylabel() == "Loss (training: with the L2 penalty)"
    assert display.score_ax_.get_ylabel() == "Validation accuracy"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == [
        "training loss",
        "validation loss",
        f"best epoch ({best + 1}): weights kept",
        "validation accuracy",
    ]
    assert display.figure_ is display.ax_.figure


@pytest.mark.parametrize(
    "scoring, name",
    [("loss", "score (minus the loss)"), ("f1_macro", "f1_macro"), (len, "score")],
)
def test_loss_curve_names_the_validation_score(digits, scoring, name):
    X, y = digits
    clf = TwoLayerNNClassifier(16, early_stopping=True, max_iter=3, random_state=0)
    clf.set_params(scoring=(lambda e, X, y: 0.5) if scoring is len else scoring)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    display = LossCurveDisplay.from_estimator(clf, show_validation_score=True)
    assert display.score_ax_.get_ylabel() == f"Validation {name}"
    assert display.score_line_.get_label() == f"validation {name}"
    np.testing.assert_array_equal(
        display.score_line_.get_ydata(), clf.validation_scores_
    )


def test_loss_curve_validation_shares_the_color_and_is_dashed(early_stopped):
    display = LossCurveDisplay.from_estimator(early_stopped)
    assert display.validation_line_.get_color() == display.line_.get_color()
    assert display.validation_line_.get_linestyle() == "--"
    assert display.score_line_ is None
    assert display.score_ax_ is None


def test_loss_curve_without_validation_set(plain):
    display = render(LossCurveDisplay.from_estimator(plain))
    assert display.validation_line_ is None
    assert display.ax_.get_lines() == [display.line_]
    np.testing.assert_array_equal(display.line_.get_ydata(), plain.loss_curve_)
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["training loss"]
    with pytest.raises(ValueError, match="early_stopping=True"):
        LossCurveDisplay.from_estimator(plain, show_validation_score=True)


def test_loss_curves_of_several_models_share_an_axes(plain, early_stopped):
    fig, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(plain, ax=ax, name="small")
    second = LossCurveDisplay.from_estimator(early_stopped, ax=ax, name="big")
    render(second)
    assert first.ax_ is second.ax_ is ax
    assert first.figure_ is fig
    assert len(ax.get_lines()) == 4
    assert first.line_.get_color() != second.line_.get_color()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    # A model drawn with its training loss only is named alone.
    best = f"big: best epoch ({second.best_epoch}): weights kept"
    assert legend == ["small", "big: training loss", "big: validation loss", best]


def test_loss_curve_of_lbfgs_counts_iterations(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(5, solver="lbfgs", max_iter=7, random_state=0)
    display = LossCurveDisplay.from_estimator(clf.fit(X, y))
    assert display.ax_.get_xlabel() == "Iteration"
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)


def test_loss_curve_of_a_pipeline_and_of_mlpclassifier(digits):
    X, y = digits
    mlp = MLPClassifier(5, max_iter=6, early_stopping=True, random_state=0)
    model = make_pipeline(MinMaxScaler(), mlp).fit(X, y)
    display = LossCurveDisplay.from_estimator(model, show_validation_score=True)
    np.testing.assert_array_equal(display.line_.get_ydata(), mlp.loss_curve_)
    np.testing.assert_array_equal(
        display.score_line_.get_ydata(), mlp.validation_scores_
    )
    assert display.validation_line_ is None


def test_loss_curve_errors(digits):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(TwoLayerNNClassifier())
    X, y = digits
    mlp = MLPClassifier(3, solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="MLPClassifier has no loss_curve_"):
        LossCurveDisplay.from_estimator(mlp)


def test_loss_curve_display_from_numbers():
    display = render(LossCurveDisplay([3.0, 2.0, 1.5], x_label="Step").plot())
    np.testing.assert_array_equal(display.line_.get_xdata(), [1, 2, 3])
    assert display.ax_.get_xlabel() == "Step"


# ----------------------------------------------------------- HiddenUnitsDisplay


def test_hidden_units_images_are_the_weight_columns(early_stopped):
    display = render(HiddenUnitsDisplay.from_estimator(early_stopped))
    W1 = early_stopped.coefs_[0]
    assert len(display.axes_) == len(display.images_) == W1.shape[1] == 12
    limit = np.abs(W1).max()
    for j, (ax, image) in enumerate(zip(display.axes_, display.images_)):
        assert ax.get_title() == f"unit {j}"
        assert ax.get_images() == [image]
        np.testing.assert_array_equal(image.get_array(), W1[:, j].reshape(8, 8))
        assert image.get_clim() == (-limit, limit)
    assert display.title_.get_text() == "Incoming weights of the hidden units"
    assert display.colorbar_.ax.get_ylabel() == "weight"
    assert not display.bounding_ax_.axison


def test_hidden_units_first_n_units(early_stopped):
    display = HiddenUnitsDisplay.from_estimator(early_stopped, n_units=5)
    assert [ax.get_title() for ax in display.axes_] == [f"unit {j}" for j in range(5)]
    all_units = HiddenUnitsDisplay.from_estimator(early_stopped, n_units=100)
    assert len(all_units.axes_) == 12
    with pytest.raises(ValueError, match="n_units=0 is invalid"):
        HiddenUnitsDisplay.from_estimator(early_stopped, n_units=0)


def test_hidden_units_of_mnist_sized_images_are_28_by_28():
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(40, 784)), np.arange(40) % 3
    clf = TwoLayerNNClassifier(4, max_iter=2, random_state=0).fit(X, y)
    display = render(HiddenUnitsDisplay.from_estimator(clf))
    assert [image.get_array().shape for image in display.images_] == [(28, 28)] * 4


def test_hidden_units_image_shape_of_other_sizes(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(3, max_iter=2, random_state=0).fit(X[:, :10], y)
    with pytest.raises(ValueError, match=r"10 features .* pass image_shape="):
        HiddenUnitsDisplay.from_estimator(clf)
    display = HiddenUnitsDisplay.from_estimator(clf, image_shape=(2, 5))
    np.testing.assert_array_equal(
        display.images_[2].get_array(), clf.coefs_[0][:, 2].reshape(2, 5)
    )
    for bad in [(3, 3), (10,), (-2, -5), (2.0, 5.0)]:
        with pytest.raises(ValueError, match="does not fit 10 features"):
            HiddenUnitsDisplay.from_estimator(clf, image_shape=bad)


def test_hidden_units_grid_fills_the_given_axes(early_stopped):
    fig, (left, right) = plt.subplots(1, 2, layout="constrained")
    display = render(HiddenUnitsDisplay.from_estimator(early_stopped, ax=right))
    assert display.bounding_ax_ is right
    assert display.figure_ is fig
    assert left.axison and not right.axison
    left_edge = left.get_window_extent().x1
    for ax in display.axes_:
        assert ax.figure.figure is fig
        assert ax.get_window_extent().x0 > left_edge
    with pytest.raises(ValueError, match="is not a subplot"):
        HiddenUnitsDisplay.from_estimator(early_stopped, ax=fig.add_axes((0, 0, 1, 1)))


# --------------------------------------------------------- MisclassifiedDisplay


def test_misclassified_titles_and_images(plain, digits):
    X, y = digits
    y_pred = plain.predict(X)
    wrong = np.flatnonzero(y_pred != y)
    assert len(wrong) > 16  # a weak model, so that the grid is full
    display = render(MisclassifiedDisplay.from_estimator(plain, X, y))
    assert len(display.axes_) == len(display.images_) == 16
    for ax, image, i in zip(display.axes_, display.images_, wrong):
        assert ax.get_title() == f"predicted {y_pred[i]}\ntrue {y[i]}"
        np.testing.assert_array_equal(image.get_array(), X[i].reshape(8, 8))
    assert display.title_.get_text() == (
        f"Misclassified: {len(wrong)} of {len(X)} (first 16 shown)"
    )


def test_misclassified_all_or_none(plain, digits):
    X, y = digits[0][:50], digits[1][:50]
    n_wrong = np.sum(plain.predict(X) != y)
    assert 16 < n_wrong < 50
    display = MisclassifiedDisplay.from_estimator(plain, X, y, n_images=None)
    assert len(display.axes_) == n_wrong
    assert display.title_.get_text() == f"Misclassified: {n_wrong} of 50"
    perfect = render(
        MisclassifiedDisplay.from_predictions(X[:5], y[:5], y[:5], n_images=3)
    )
    assert len(perfect.axes_) == 0
    assert perfect.title_.get_text() == "Misclassified: 0 of 5"


def test_misclassified_sparse_images_and_string_labels():
    X = scipy.sparse.csr_matrix(np.arange(24.0).reshape(3, 8))
    display = MisclassifiedDisplay.from_predictions(
        X, ["a", "b", "c"], ["a", "c", "c"], image_shape=(2, 4)
    )
    assert [ax.get_title() for ax in display.axes_] == ["predicted c\ntrue b"]
    np.testing.assert_array_equal(
        display.images_[0].get_array(), np.arange(8.0, 16.0).reshape(2, 4)
    )


def test_misclassified_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="have 600, 600 and 599 samples"):
        MisclassifiedDisplay.from_predictions(X, y, y[:-1])
    with pytest.raises(ValueError, match="n_images=0 is invalid"):
        MisclassifiedDisplay.from_predictions(X, y, y[::-1], n_images=0)
    with pytest.raises(ValueError, match="cannot infer the image shape of 63"):
        MisclassifiedDisplay.from_predictions(X[:, 1:], y, y[::-1])


# ------------------------------------------------------------------- matplotlib


def test_every_display_saves_a_png(early_stopped, digits, tmp_path):
    X, y = digits
    displays = [
        LossCurveDisplay.from_estimator(early_stopped, show_validation_score=True),
        HiddenUnitsDisplay.from_estimator(early_stopped),
        MisclassifiedDisplay.from_estimator(early_stopped, X, y),
        LearningRateFinderDisplay([1e-3, 1e-1], [2.3, 1.0], suggestion=1e-2).plot(),
    ]
    for i, display in enumerate(displays):
        display.figure_.savefig(tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "draw",
    [
        lambda clf, X, y: LossCurveDisplay.from_estimator(clf),
        lambda clf, X, y: HiddenUnitsDisplay.from_estimator(clf),
        lambda clf, X, y: MisclassifiedDisplay.from_estimator(clf, X, y),
        lambda clf, X, y: LossCurveDisplay([1.0]).plot(),
        lambda clf, X, y: LearningRateFinderDisplay.from_estimator(clf, X, y),
        lambda clf, X, y: LearningRateFinderDisplay([1e-3], [1.0]).plot(),
    ],
)
def test_without_matplotlib_the_error_says_how_to_install_it(
    draw, plain, digits, monkeypatch
):
    for name in [name for name in sys.modules if name.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-tinynn\[plot\]"'):
        draw(plain, *digits)


def test_hidden_units_display_from_numbers_titles_the_given_units():
    weights = np.arange(8.0).reshape(4, 2)
    display = render(
        HiddenUnitsDisplay(weights, image_shape=(2, 2), unit_indices=[3, 7]).plot()
    )
    assert [ax.get_title() for ax in display.axes_] == ["unit 3", "unit 7"]
    np.testing.assert_array_equal(display.images_[1].get_array(), [[1, 3], [5, 7]])
    assert display.images_[0].get_clim() == (-7.0, 7.0)


def test_misclassified_titles_use_the_class_names():
    X = np.arange(16.0).reshape(4, 4)
    names = ["T-shirt/top", "Trouser", "Pullover", "Coat"]
    display = MisclassifiedDisplay.from_predictions(
        X, [0, 3, 2, 1], [0, 2, 2, 3], image_shape=(2, 2), display_labels=names
    )
    titles = [ax.get_title() for ax in display.axes_]
    assert titles == ["predicted Pullover\ntrue Coat", "predicted Coat\ntrue Trouser"]
    by_dict = MisclassifiedDisplay.from_predictions(
        X, [0, 3, 2, 1], [0, 2, 2, 3], image_shape=(2, 2), display_labels={3: "Coat"}
    )
    assert by_dict.axes_[0].get_title() == "predicted 2\ntrue Coat"
    plt.close("all")


def test_misclassified_needs_a_name_per_label():
    with pytest.raises(ValueError, match="display_labels has 2 names for the 3 labels"):
        MisclassifiedDisplay.from_predictions(
            np.eye(4)[:3],
            [0, 1, 2],
            [1, 1, 2],
            image_shape=(2, 2),
            display_labels=["a", "b"],
        )


def test_loss_curve_has_integer_epoch_ticks():
    display = LossCurveDisplay([0.9, 0.5, 0.4], name="short").plot()
    ticks = display.ax_.get_xticks()
    assert np.all(ticks == np.round(ticks))
    assert display.line_.get_label() == "short"
    assert "L2 penalty" in display.ax_.get_ylabel()
    plt.close(display.figure_)


@pytest.mark.parametrize(
    "make_display, message",
    [
        (lambda: HiddenUnitsDisplay(np.ones(4), image_shape=(2, 2)),
         r"weights must be a 2-D array of shape \(n_pixels, n_units\), got an array "
         r"of shape \(4,\)"),
        (lambda: HiddenUnitsDisplay(np.ones((4, 2, 1)), image_shape=(2, 2)),
         r"weights must be a 2-D array .* shape \(4, 2, 1\)"),
        (lambda: MisclassifiedDisplay(np.ones(4), [1], [0], image_shape=(2, 2)),
         r"images must be a 2-D array of shape \(n_images, n_pixels\), got an "
         r"array of shape \(4,\)"),
    ],
)  # fmt: skip
def test_displays_name_input_that_is_not_2d(make_display, message):
    with pytest.raises(ValueError, match=message):
        make_display().plot()


# ----------------------------------------- best epoch, most used units, worst images


def _boxes_overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("show_validation_score", [False, True])
def test_loss_curve_legend_covers_no_curve_nor_label(
    early_stopped, show_validation_score
):
    display = render(
        LossCurveDisplay.from_estimator(
            early_stopped, show_validation_score=show_validation_score
        )
    )
    renderer = display.figure_.canvas.get_renderer()
    legend = display.ax_.get_legend().get_window_extent(renderer)
    # Below the axes, clear of the tick labels and of the x-axis label.
    assert legend.y1 <= display.ax_.get_window_extent(renderer).y0
    assert not _boxes_overlap(legend, display.ax_.xaxis.get_tightbbox(renderer))
    assert legend.y0 >= 0  # inside the figure
    texts = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert f"best epoch ({display.best_epoch}): weights kept" in texts


def test_loss_curve_marks_the_first_best_epoch():
    display = render(
        LossCurveDisplay(
            [1.0, 0.8, 0.6, 0.5],
            validation_scores=[0.5, 0.9, 0.9, 0.7],
            best_epoch=2,
            name="m",
        ).plot(show_validation_score=True)
    )
    assert display.best_epoch_line_.get_xdata() == [2, 2]
    assert display.best_epoch_line_.get_label() == "m: best epoch (2): weights kept"
    mlp = MLPClassifier(4, max_iter=8, early_stopping=True, random_state=0)
    X, y = load_digits(return_X_y=True)
    mlp.fit(X[:300] / 16, y[:300])
    from_mlp = LossCurveDisplay.from_estimator(mlp)
    assert from_mlp.best_epoch == int(np.argmax(mlp.validation_scores_)) + 1


def test_loss_curve_of_training_loss_only_keeps_its_legend_inside(plain):
    display = render(LossCurveDisplay.from_estimator(plain))
    assert display.best_epoch is None and display.best_epoch_line_ is None
    renderer = display.figure_.canvas.get_renderer()
    legend = display.ax_.get_legend().get_window_extent(renderer)
    assert legend.y0 >= display.ax_.get_window_extent(renderer).y0


def test_hidden_unit_usage_is_mean_activation_times_outgoing_norm(digits):
    X, y = digits
    for activation in ["relu", "tanh", "logistic", "identity"]:
        clf = TwoLayerNNClassifier(7, activation=activation, max_iter=3)
        clf.fit(X, y)
        Z = X @ clf.coefs_[0] + clf.intercepts_[0]
        A = {
            "relu": np.maximum(Z, 0),
            "tanh": np.tanh(Z),
            "logistic": 1 / (1 + np.exp(-Z)),
            "identity": Z,
        }[activation]
        expected = np.abs(A).mean(axis=0) * np.sqrt((clf.coefs_[1] ** 2).sum(axis=1))
        np.testing.assert_allclose(hidden_unit_usage(clf, X), expected, rtol=1e-12)
    pipeline = make_pipeline(MinMaxScaler(), MLPClassifier(5, max_iter=3)).fit(X, y)
    np.testing.assert_allclose(
        hidden_unit_usage(pipeline, X * 16),
        hidden_unit_usage(pipeline[-1], pipeline[0].transform(X * 16)),
    )
    with pytest.raises(ValueError, match="X has 10 features, but .* takes 64"):
        hidden_unit_usage(clf, X[:, :10])


def test_hidden_units_most_used_first(early_stopped, digits):
    X, _ = digits
    usage = hidden_unit_usage(early_stopped, X)
    display = render(HiddenUnitsDisplay.from_estimator(early_stopped, n_units=5, X=X))
    top = np.argsort(usage)[::-1][:5]
    assert [ax.get_title() for ax in display.axes_] == [f"unit {j}" for j in top]
    for image, j in zip(display.images_, top):
        np.testing.assert_array_equal(
            image.get_array(), early_stopped.coefs_[0][:, j].reshape(8, 8)
        )
    assert display.title_.get_text() == (
        "Incoming weights of the 5 most used hidden units (of 12)"
    )
    # A unit that never activates is used least.
    dead = TwoLayerNNClassifier(4, max_iter=2, random_state=0).fit(X, digits[1])
    dead.intercepts_[0][2] = -1e3
    ranked = HiddenUnitsDisplay.from_estimator(dead, X=X)
    assert ranked.axes_[-1].get_title() == "unit 2"


def test_image_grid_follows_the_shape_of_the_axes(early_stopped, digits):
    _fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
    X, _ = digits
    display = HiddenUnitsDisplay.from_estimator(early_stopped, ax=ax, X=X)
    rows = {round(ax.get_position().y0, 3) for ax in display.axes_}
    columns = {round(ax.get_position().x0, 3) for ax in display.axes_}
    assert (len(columns), len(rows)) == (5, 3)  # 12 units on a 2:1 area
    square = HiddenUnitsDisplay.from_estimator(early_stopped)
    assert len({round(ax.get_position().x0, 3) for ax in square.axes_}) == 4


def test_sample_loss_and_the_worst_misclassified_first(plain, digits):
    X, y = digits
    loss = sample_loss(plain, X, y)
    proba = plain.predict_proba(X)
    np.testing.assert_allclose(loss, -np.log(proba[np.arange(len(y)), y]))
    wrong = np.flatnonzero(plain.predict(X) != y)
    display = render(
        MisclassifiedDisplay.from_estimator(plain, X, y, n_images=5, order="loss")
    )
    worst = wrong[np.argsort(-loss[wrong])][:5]
    for image, i in zip(display.images_, worst):
        np.testing.assert_array_equal(image.get_array(), X[i].reshape(8, 8))
    assert display.order == "loss"
    assert display.title_.get_text() == (
        f"Misclassified: {len(wrong)} of {len(X)} (the 5 of highest loss shown, "
        "highest first)"
    )
    every = MisclassifiedDisplay.from_predictions(
        X[:50], y[:50], plain.predict(X[:50]), n_images=None, loss=loss[:50]
    )
    assert every.title_.get_text().endswith(
        "(all of highest loss shown, highest first)"
    )
    with pytest.raises(ValueError, match='order=.worst. is invalid; expected "first"'):
        MisclassifiedDisplay.from_estimator(plain, X, y, order="worst")
    with pytest.raises(ValueError, match="loss has 3 values for the 600 samples"):
        MisclassifiedDisplay.from_predictions(X, y, y[::-1], loss=[1.0, 2.0, 3.0])


def test_sample_loss_of_string_labels_and_unknown_labels():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]] * 5)
    y = np.array(["b", "a", "c", "b"] * 5)
    clf = TwoLayerNNClassifier(3, max_iter=3, random_state=0).fit(X, y)
    proba = clf.predict_proba(X[:3])
    loss = sample_loss(clf, X[:3], ["c", "zzz", "a"])
    np.testing.assert_allclose(loss[[0, 2]], -np.log(proba[[0, 2], [2, 0]]))
    assert loss[1] == np.inf


# ---------------------------------------------------- LearningRateFinderDisplay


def test_learning_rate_finder_draws_the_range_test(digits):
    X, y = digits
    clf = TwoLayerNNClassifier(8, random_state=0)
    display = render(
        LearningRateFinderDisplay.from_estimator(clf, X, y, n_steps=20, name="tiny")
    )
    result = display.result_
    np.testing.assert_allclose(display.line_.get_xdata(), result.learning_rates)
    np.testing.assert_allclose(display.line_.get_ydata(), result.losses)
    np.testing.assert_allclose(display.raw_line_.get_ydata(), result.raw_losses)
    assert display.suggestion_line_.get_xdata()[0] == result.suggestion
    assert display.ax_.get_xscale() == "log"
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == [
        "tiny: smoothed loss",
        "tiny: loss of each step",
        f"tiny: suggestion: {result.suggestion:.3g}",
    ]
    assert not hasattr(clf, "coefs_")


def test_learning_rate_finder_from_numbers_on_given_axes():
    fig, ax = plt.subplots()
    display = LearningRateFinderDisplay([1e-4, 1e-2, 1.0], [2.0, 1.0, 3.0])
    display.plot(ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    assert display.raw_line_ is None and display.suggestion_line_ is None
