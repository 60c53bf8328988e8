"""Pictures of a fitted network: loss curves, hidden units, misclassified images.

The displays follow scikit-learn's visualization API (see
:class:`sklearn.metrics.ConfusionMatrixDisplay`): build one with
``Display.from_estimator(...)``, which computes what to draw and calls
:meth:`plot`; or build it from the numbers and call ``plot(ax=...)`` yourself.
``plot`` stores the matplotlib objects it made in attributes ending in ``_``.
For confusion matrices use scikit-learn's own ``ConfusionMatrixDisplay``.

matplotlib is an optional dependency (``pip install "sklearn-tinynn[plot]"``),
imported only when something is drawn. The displays accept a fitted
:class:`~sklearn_tinynn.TwoLayerNNClassifier`, scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier`, or a
:class:`~sklearn.pipeline.Pipeline` ending in either.
"""

import math
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._activations import HIDDEN_ACTIVATIONS
from ._lr_finder import lr_range_test

__all__ = [
    "HiddenUnitsDisplay",
    "LearningRateFinderDisplay",
    "LossCurveDisplay",
    "MisclassifiedDisplay",
    "hidden_unit_usage",
    "sample_loss",
]

# Number of pixels -> (height, width) of the images known by their size.
_IMAGE_SHAPES = {28 * 28: (28, 28), 8 * 8: (8, 8)}

# Largest width of an image grid, in inches, and the size of one cell.
_GRID_WIDTH = 12.0
_CELL_SIZE = 1.3


def _pyplot(caller):
    """Import and return ``matplotlib.pyplot``, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it "
            'with: pip install "sklearn-tinynn[plot]"'
        ) from exc
    return plt


def _network(estimator):
    """The fitted network: ``estimator`` itself or the last step of a Pipeline."""
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    check_is_fitted(estimator)
    return estimator


def _image_shape(image_shape, n_pixels):
    """Check ``image_shape`` against ``n_pixels``, or infer it for known sizes."""
    if image_shape is None:
        if n_pixels not in _IMAGE_SHAPES:
            raise ValueError(
                f"cannot infer the image shape of {n_pixels} features (known: "
                "784 -> (28, 28), 64 -> (8, 8)); pass image_shape=(height, width) "
                f"with height * width == {n_pixels}"
            )
        return _IMAGE_SHAPES[n_pixels]
    shape = tuple(image_shape)
    if (
        len(shape) != 2
        or not all(isinstance(size, Integral) and size > 0 for size in shape)
        or math.prod(shape) != n_pixels
    ):
        raise ValueError(
            f"image_shape={image_shape!r} does not fit {n_pixels} features; "
            f"expected (height, width), two positive integers with product "
            f"{n_pixels}"
        )
    return shape


def _check_2d(name, array, layout):
    """Raise unless ``array`` is 2-D, naming ``name`` and its expected ``layout``."""
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape {layout}, got an array of shape "
            f"{array.shape}"
        )


def _at_most(name, value, available):
    """``min(value, available)`` for a positive integer ``value``; None: all."""
    if value is None:
        return available
    if not isinstance(value, Integral) or value < 1:
        raise ValueError(
            f"{name}={value!r} is invalid; expected a positive integer or None"
        )
    return min(int(value), available)


def _image_grid(plt, ax, n_images):
    """Return ``(bounding_ax, subfigure, axes)``: ``n_images`` axes in a grid.

    The grid fills a subfigure over ``ax``, which is switched off (the title
    of a subfigure, unlike that of the axes, keeps clear of the grid's own
    titles); ``ax=None`` makes a new figure of a size that fits a square-ish
    grid. The grid over a given ``ax`` has about as many columns per row as
    ``ax`` is wider than high (8 x 4 for 32 images on a 2:1 area), so that the
    cells stay close to square. Every axes has its ticks removed.
    """
    aspect = 1.0
    if ax is not None:
        box = ax.get_window_extent()
        aspect = box.width / box.height if box.height > 0 else 1.0
    n_cols = max(1, min(n_images, math.ceil(math.sqrt(n_images * aspect))))
    n_rows = max(1, math.ceil(n_images / n_cols))
    if ax is None:
        cell = min(_CELL_SIZE, _GRID_WIDTH / n_cols)
        figsize = (cell * n_cols + 0.4, (cell + 0.3) * n_rows + 0.5)
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError(
            f"ax={ax!r} is not a subplot; pass axes made by plt.subplots or "
            "figure.add_subplot, whose area then holds the grid"
        )
    ax.set_axis_off()
    subfigure = ax.figure.add_subfigure(spec)
    grid = subfigure.add_gridspec(n_rows, n_cols)
    axes = np.empty(n_images, dtype=object)
    for i in range(n_images):
        axes[i] = subfigure.add_subplot(grid[divmod(i, n_cols)])
        axes[i].set(xticks=[], yticks=[])
    return ax, subfigure, axes


class LossCurveDisplay:
    """Loss curve visualization: the loss after each epoch of training.

    Draws the training loss and, when the estimator held out a validation set
    (``early_stopping=True``), the validation loss on the same axes, dashed and
    in the same color; optionally the validation accuracy, dotted, on a second
    y-axis at the right; and a grey vertical line at the best epoch, whose
    weights early stopping keeps. Several displays can share one axes, each
    with its ``name`` in the legend (alone when only the training loss is
    drawn). The training loss is the objective that training minimizes, the
    cross-entropy plus the L2 penalty; the validation loss is the cross-entropy
    alone. The epochs are whole numbers, and so are the ticks of the x-axis.
    When more than the training loss is drawn, the legend sits below the axes,
    where it covers no curve.

    It is recommended to use :meth:`LossCurveDisplay.from_estimator` to create
    a display. All parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch (for 'lbfgs', each iteration), as in
        ``loss_curve_``. It includes the L2 penalty.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Cross-entropy on the validation set after each epoch, without penalty.
    validation_scores : array-like of shape (n_epochs,), default=None
        Accuracy on the validation set after each epoch.
    name : str, default=None
        Name of the model, used in the legend.
    x_label : str, default="Epoch"
        Label of the x-axis.
    best_epoch : int, default=None
        The epoch (counted from 1) to mark with a vertical line: the best
        validation score's, whose weights early stopping keeps. ``None``
        marks none.
    score_name : str, default="accuracy"
        What the validation scores are, for the labels: ``from_estimator``
        takes it from the estimator's ``scoring``.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.
    validation_line_ : matplotlib Line2D or None
        The validation loss, if there is one.
    score_line_ : matplotlib Line2D or None
        The validation accuracy, if it was drawn.
    best_epoch_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``, if there is one.
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The second y-axis, of the validation accuracy, if it was drawn.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_tinynn.plotting import LossCurveDisplay
    >>> display = LossCurveDisplay([1.2, 0.7, 0.5], validation_loss_curve=[
    ...     1.3, 0.9, 0.8]).plot()
    >>> display.line_.get_ydata()
    array([1.2, 0.7, 0.5])
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['training loss', 'validation loss']
    >>> plt.close(display.figure_)
    >>> display = LossCurveDisplay([1.2, 0.7, 0.5], validation_scores=[
    ...     0.6, 0.8, 0.7], best_epoch=2).plot(show_validation_score=True)
    >>> display.best_epoch_line_.get_label()
    'best epoch (2): weights kept'
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_loss_curve=None,
        validation_scores=None,
        name=None,
        x_label="Epoch",
        best_epoch=None,
        score_name="accuracy",
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.name = name
        self.x_label = x_label
        self.best_epoch = best_epoch
        self.score_name = score_name

    def plot(self, *, ax=None, name=None, show_validation_score=False):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Name of the model in the legend; ``None`` uses ``self.name``.
        show_validation_score : bool, default=False
            Also draw the validation score (``score_name``), on a second
            y-axis.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If ``show_validation_score`` is true but there are no validation
            scores.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_tinynn.plotting import LossCurveDisplay
        >>> fig, ax = plt.subplots()
        >>> display = LossCurveDisplay([0.9, 0.4], name="tiny").plot(ax=ax)
        >>> display.ax_ is ax, display.line_.get_label()
        (True, 'tiny')
        >>> plt.close(fig)
        """
        plt = _pyplot("LossCurveDisplay.plot")
        if show_validation_score and self.validation_scores is None:
            raise ValueError(
                "show_validation_score=True needs validation scores; fit the "
                "estimator with early_stopping=True"
            )
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        name = self.name if name is None else name
        prefix = "" if name is None else f"{name}: "
        with_more = (
            self.validation_loss_curve is not None
            or show_validation_score
            or self.best_epoch is not None
        )
        label = f"{prefix}training loss" if with_more or name is None else name
        (self.line_,) = _plot_curve(ax, self.loss_curve, label)
        self.validation_line_ = self.score_line_ = self.score_ax_ = None
        color = self.line_.get_color()
        if self.validation_loss_curve is not None:
            (self.validation_line_,) = _plot_curve(
                ax,
                self.validation_loss_curve,
                f"{prefix}validation loss",
                color=color,
                linestyle="--",
            )
        if show_validation_score:
            self.score_ax_ = ax.twinx()
            (self.score_line_,) = _plot_curve(
                self.score_ax_,
                self.validation_scores,
                f"{prefix}validation {self.score_name}",
                color=color,
                linestyle=":",
            )
            self.score_ax_.set_ylabel(f"Validation {self.score_name}")
        self.best_epoch_line_ = None
        if self.best_epoch is not None:
            self.best_epoch_line_ = ax.axvline(
                self.best_epoch,
                color="grey",
                linewidth=1.5,
                linestyle="-.",
                label=f"{prefix}best epoch ({self.best_epoch}): weights kept",
            )
        ax.set(xlabel=self.x_label, ylabel="Loss (training: with the L2 penalty)")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        _legend(ax, self.score_ax_, below=with_more)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, name=None, show_validation_score=False
    ):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~sklearn_tinynn.TwoLayerNNClassifier`,
            :class:`~sklearn.neural_network.MLPClassifier` (any solver but
            'lbfgs', which records no curve there), or a Pipeline ending in one.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Name of the model in the legend.
        show_validation_score : bool, default=False
            Also draw the validation score (the accuracy, or the estimator's
            ``scoring``), on a second y-axis; needs an estimator fitted with
            ``early_stopping=True``.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the matplotlib objects in its attributes. An
            estimator fitted with ``early_stopping=True`` has its best epoch
            (the first of the highest validation score, whose weights it keeps)
            marked.

        Raises
        ------
        ValueError
            If the estimator recorded no loss curve.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> from sklearn_tinynn.plotting import LossCurveDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = TwoLayerNNClassifier(32, early_stopping=True, max_iter=20,
        ...                            random_state=0).fit(X / 16, y)
        >>> display = LossCurveDisplay.from_estimator(
        ...     clf, show_validation_score=True)
        >>> len(display.line_.get_ydata()) == clf.n_iter_
        True
        >>> display.score_ax_.get_ylabel()
        'Validation accuracy'
        >>> display.best_epoch == clf.validation_scores_.index(
        ...     clf.best_validation_score_) + 1
        True
        >>> plt.close(display.figure_)
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        network = _network(estimator)
        loss_curve = getattr(network, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(network).__name__} has no loss_curve_ to plot; expected a "
                "fitted TwoLayerNNClassifier or MLPClassifier (not solver='lbfgs')"
            )
        scores = getattr(network, "validation_scores_", None)
        display = cls(
            loss_curve,
            validation_loss_curve=getattr(network, "validation_loss_curve_", None),
            validation_scores=scores,
            name=name,
            x_label="Iteration" if network.solver == "lbfgs" else "Epoch",
            best_epoch=_best_epoch(scores),
            score_name=_score_name(getattr(network, "scoring", None)),
        )
        return display.plot(ax=ax, show_validation_score=show_validation_score)


def _score_name(scoring):
    """What ``validation_scores_`` holds, for the labels (see ``scoring``)."""
    if scoring is None:
        return "accuracy"
    if scoring == "loss":
        return "score (minus the loss)"
    return scoring if isinstance(scoring, str) else "score"


def _plot_curve(ax, values, label, **kwargs):
    """Plot ``values`` against the epochs 1, 2, ..., with a legend label."""
    epochs = np.arange(1, len(values) + 1)
    return ax.plot(epochs, np.asarray(values, dtype=float), label=label, **kwargs)


def _best_epoch(validation_scores):
    """The epoch, from 1, whose weights early stopping keeps; None without scores.

    It is the first epoch of the highest validation score, as for
    scikit-learn's ``MLPClassifier``.
    """
    if validation_scores is None or len(validation_scores) == 0:
        return None
    return int(np.argmax(np.asarray(validation_scores, dtype=float))) + 1


# Space between the axes and a legend below them, in font sizes: room for the
# tick labels and the x-axis label.
_BELOW_AXES_PAD = 3.6


def _legend(ax, second_ax, below):
    """One legend on ``ax`` for the lines of ``ax`` and of its twin ``second_ax``.

    Below the axes if ``below``: no place inside is sure to be free of the
    curves (matplotlib's "best" would avoid only the lines of ``ax``, not those
    of its twin), and the legend must not hide the validation curves.
    """
    handles, labels = ax.get_legend_handles_labels()
    if second_ax is not None:
        more_handles, more_labels = second_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if not below:
        ax.legend(handles, labels)
        return
    ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        borderaxespad=_BELOW_AXES_PAD,
        ncols=min(2, len(handles)),
        frameon=False,
    )


class LearningRateFinderDisplay:
    """The learning-rate range test: loss against learning rate, log scale.

    Draws the smoothed loss of each step of
    :func:`~sklearn_tinynn.lr_range_test` against its learning rate, on a
    logarithmic x-axis, the raw losses faintly behind it, and a vertical
    line at the suggested rate. The y-axis runs from 0 to twice the first
    smoothed loss (less if no loss is that high): the climb at the largest
    rates shows, without its spikes flattening the rest of the curve.

    It is recommended to use :meth:`from_estimator` to create a display. All
    parameters are stored as attributes.

    Parameters
    ----------
    learning_rates : array-like of shape (n_steps,)
        The rate of each step.
    losses : array-like of shape (n_steps,)
        The smoothed loss of each step.
    raw_losses : array-like of shape (n_steps,), default=None
        The loss of each step before smoothing; None draws none.
    suggestion : float, default=None
        The rate to mark; None marks none.
    name : str, default=None
        Name of the model, used in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The smoothed loss.
    raw_line_ : matplotlib Line2D or None
        The raw losses, if given.
    suggestion_line_ : matplotlib Line2D or None
        The vertical line at ``suggestion``, if given.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding the axes.
    result_ : :class:`~sklearn.utils.Bunch`
        The result of :func:`~sklearn_tinynn.lr_range_test`, when the
        display was made by :meth:`from_estimator`.

    See Also
    --------
    sklearn_tinynn.lr_range_test : The test, and its suggestion.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_tinynn.plotting import LearningRateFinderDisplay
    >>> display = LearningRateFinderDisplay(
    ...     [1e-3, 1e-2, 1e-1, 1], [2.3, 2.0, 1.1, 3.5], suggestion=1e-2).plot()
    >>> display.ax_.get_xscale(), display.suggestion_line_.get_label()
    ('log', 'suggestion: 0.01')
    >>> plt.close(display.figure_)
    """

    def __init__(
        self, learning_rates, losses, *, raw_losses=None, suggestion=None, name=None
    ):
        self.learning_rates = learning_rates
        self.losses = losses
        self.raw_losses = raw_losses
        self.suggestion = suggestion
        self.name = name

    def plot(self, *, ax=None, name=None):
        """Plot the losses against the learning rates.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Name of the model in the legend; ``None`` uses ``self.name``.

        Returns
        -------
        display : LearningRateFinderDisplay
            The display, with the matplotlib objects in its attributes.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_tinynn.plotting import LearningRateFinderDisplay
        >>> fig, ax = plt.subplots()
        >>> display = LearningRateFinderDisplay([1e-3, 1e-1], [2.3, 1.0]).plot(ax=ax)
        >>> display.ax_ is ax  # the y-axis ends just above the highest loss
        True
        >>> round(float(display.ax_.get_ylim()[1]), 3)
        2.415
        >>> plt.close(fig)
        """
        plt = _pyplot("LearningRateFinderDisplay.plot")
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        name = self.name if name is None else name
        prefix = "" if name is None else f"{name}: "
        rates = np.asarray(self.learning_rates, dtype=float)
        (self.line_,) = ax.plot(rates, self.losses, label=f"{prefix}smoothed loss")
        self.raw_line_ = self.suggestion_line_ = None
        color = self.line_.get_color()
        if self.raw_losses is not None:
            (self.raw_line_,) = ax.plot(
                rates, self.raw_losses, color=color, alpha=0.3, linewidth=1,
                label=f"{prefix}loss of each step",
            )  # fmt: skip
        if self.suggestion is not None:
            self.suggestion_line_ = ax.axvline(
                self.suggestion, color=color, linestyle="--",
                label=f"{prefix}suggestion: {self.suggestion:.3g}",
            )  # fmt: skip
        drawn = (
            [self.losses] if self.raw_losses is None else [self.losses, self.raw_losses]
        )
        highest = max(float(np.max(losses)) for losses in drawn)
        ax.set(
            xscale="log",
            xlabel="Learning rate",
            ylabel="Training loss (minibatch, with the L2 penalty)",
            ylim=(0, min(highest, 2 * float(self.losses[0])) * 1.05),
        )
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, name=None, **test_params):
        """Run :func:`~sklearn_tinynn.lr_range_test` and plot its result.

        Parameters
        ----------
        estimator : TwoLayerNNClassifier
            The model to test (not fitted nor changed: a clone trains).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Name of the model in the legend.
        **test_params
            ``sample_weight``, ``min_lr``, ``max_lr``, ``n_steps``,
            ``smoothing``, ``diverge`` of :func:`~sklearn_tinynn.lr_range_test`.

        Returns
        -------
        display : LearningRateFinderDisplay
            The display; its ``result_`` holds the test's result.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> from sklearn_tinynn.plotting import LearningRateFinderDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> display = LearningRateFinderDisplay.from_estimator(
        ...     TwoLayerNNClassifier(32, random_state=0), X / 16, y, n_steps=40)
        >>> display.suggestion == display.result_.suggestion
        True
        >>> plt.close(display.figure_)
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        result = lr_range_test(estimator, X, y, **test_params)
        display = cls(
            result.learning_rates,
            result.losses,
            raw_losses=result.raw_losses,
            suggestion=result.suggestion,
            name=name,
        )
        display.result_ = result
        return display.plot(ax=ax)


def _label_names(display_labels, y_true, y_pred):
    """``{label: name}`` from names in the order of the sorted labels, or None."""
    if display_labels is None or isinstance(display_labels, dict):
        return display_labels
    labels = np.union1d(y_true, y_pred)
    if len(display_labels) != len(labels):
        raise ValueError(
            f"display_labels has {len(display_labels)} names for the "
            f"{len(labels)} labels {labels.tolist()}; expected one name per label"
        )
    return dict(zip(labels.tolist(), display_labels))


class HiddenUnitsDisplay:
    """Hidden-unit visualization: each unit's incoming weights as an image.

    Hidden unit ``j`` computes ``g(x . W1[:, j] + b1[j])``, so the column
    ``W1[:, j]``, drawn in the shape of the input images, shows which pixels
    excite it (red) and which inhibit it (blue). All units share one color
    scale, symmetric around zero, so they can be compared.

    It is recommended to use :meth:`HiddenUnitsDisplay.from_estimator` to
    create a display. All parameters are stored as attributes.

    Parameters
    ----------
    weights : ndarray of shape (n_pixels, n_units)
        Incoming weights of the units to draw, one column per unit.
    image_shape : tuple of int
        ``(height, width)`` of the images, with ``height * width == n_pixels``.
    unit_indices : array-like of shape (n_units,), default=None
        Index of each unit in its layer, for the titles; ``None`` means 0, 1, ...

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage of shape (n_units,)
        The weight images.
    axes_ : ndarray of matplotlib Axes of shape (n_units,)
        One axes per unit, titled with the unit's index.
    bounding_ax_ : matplotlib Axes
        The axes, switched off, whose area holds the grid.
    subfigure_ : matplotlib SubFigure
        The subfigure over ``bounding_ax_`` holding the grid and its title.
    title_ : matplotlib Text
        The title above the grid.
    colorbar_ : matplotlib Colorbar
        The shared color scale.
    figure_ : matplotlib Figure
        The figure holding the axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn_tinynn.plotting import HiddenUnitsDisplay
    >>> weights = np.arange(12.0).reshape(4, 3)
    >>> display = HiddenUnitsDisplay(weights, image_shape=(2, 2)).plot()
    >>> [ax.get_title() for ax in display.axes_]
    ['unit 0', 'unit 1', 'unit 2']
    >>> display.images_[1].get_array().data
    array([[ 1.,  4.],
           [ 7., 10.]])
    >>> plt.close(display.figure_)
    """

    def __init__(self, weights, *, image_shape, unit_indices=None):
        self.weights = weights
        self.image_shape = image_shape
        self.unit_indices = unit_indices

    def plot(self, *, ax=None, cmap="RdBu_r"):
        """Plot the weight images in a grid.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid (it is switched off); ``None`` makes
            a new figure.
        cmap : str or matplotlib Colormap, default="RdBu_r"
            A diverging colormap; zero is its middle.

        Returns
        -------
        display : HiddenUnitsDisplay
            The display, with the matplotlib objects in its attributes.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from sklearn_tinynn.plotting import HiddenUnitsDisplay
        >>> fig, ax = plt.subplots()
        >>> display = HiddenUnitsDisplay(np.eye(4), image_shape=(2, 2)).plot(ax=ax)
        >>> display.bounding_ax_ is ax, display.axes_.shape
        (True, (4,))
        >>> plt.close(fig)
        """
        plt = _pyplot("HiddenUnitsDisplay.plot")
        weights = np.asarray(self.weights, dtype=float)
        _check_2d("weights", weights, "(n_pixels, n_units)")
        shape = _image_shape(self.image_shape, weights.shape[0])
        n_units = weights.shape[1]
        indices = range(n_units) if self.unit_indices is None else self.unit_indices
        bounding_ax, subfigure, axes = _image_grid(plt, ax, n_units)
        self.title_ = subfigure.suptitle("Incoming weights of the hidden units")
        limit = np.abs(weights).max() or 1.0
        self.images_ = np.empty(n_units, dtype=object)
        for i, (unit_ax, index) in enumerate(zip(axes, indices)):
            self.images_[i] = unit_ax.imshow(
                weights[:, i].reshape(shape),
                cmap=cmap,
                vmin=-limit,
                vmax=limit,
                interpolation="nearest",
            )
            unit_ax.set_title(f"unit {index}", fontsize="small")
        self.colorbar_ = subfigure.colorbar(
            self.images_[0], ax=list(axes), shrink=0.6, label="weight"
        )
        self.axes_, self.bounding_ax_ = axes, bounding_ax
        self.subfigure_, self.figure_ = subfigure, subfigure.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        image_shape=None,
        n_units=None,
        ax=None,
        cmap="RdBu_r",
        X=None,
    ):
        """Plot the first-layer weights of a fitted estimator as images.

        A layer of many units makes a grid of tiles too small to read: pass
        ``X`` and ``n_units`` to draw only the units that the network uses
        most on ``X``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~sklearn_tinynn.TwoLayerNNClassifier`,
            :class:`~sklearn.neural_network.MLPClassifier` or a Pipeline ending
            in one.
        image_shape : tuple of int, default=None
            ``(height, width)`` of the input images. ``None`` infers it from
            the number of features: 784 -> (28, 28) (MNIST), 64 -> (8, 8)
            (scikit-learn's digits).
        n_units : int, default=None
            Draw ``n_units`` hidden units (all of them, if there are fewer):
            the first ones, or with ``X`` the most used; ``None`` draws them
            all.
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="RdBu_r"
            A diverging colormap; zero is its middle.
        X : array-like of shape (n_samples, n_features), default=None
            Inputs of the estimator (of the Pipeline, if it is one). When
            given, the units are drawn most used first: by their mean
            contribution to the output on ``X``, the mean absolute activation
            of unit ``j`` times the norm of its outgoing weights ``W2[j, :]``.
            ``None`` draws the units in the layer's order.

        Returns
        -------
        display : HiddenUnitsDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If ``image_shape`` is None and cannot be inferred, or does not fit
            the number of features, ``n_units`` is not a positive integer, or
            ``X`` has another number of features than the estimator.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> from sklearn_tinynn.plotting import HiddenUnitsDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = TwoLayerNNClassifier(16, max_iter=5, random_state=0).fit(X / 16, y)
        >>> display = HiddenUnitsDisplay.from_estimator(clf, n_units=9)
        >>> len(display.axes_), display.images_[0].get_array().shape
        (9, (8, 8))
        >>> plt.close(display.figure_)
        >>> display = HiddenUnitsDisplay.from_estimator(clf, n_units=4, X=X / 16)
        >>> display.title_.get_text()
        'Incoming weights of the 4 most used hidden units (of 16)'
        >>> plt.close(display.figure_)
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        weights = _network(estimator).coefs_[0]
        n_pixels, n_hidden = weights.shape
        image_shape = _image_shape(image_shape, n_pixels)
        n_units = _at_most("n_units", n_units, n_hidden)
        if X is None:
            units = np.arange(n_units)
        else:
            usage = hidden_unit_usage(estimator, X)
            units = np.argsort(-usage, kind="stable")[:n_units]
        display = cls(weights[:, units], image_shape=image_shape, unit_indices=units)
        display.plot(ax=ax, cmap=cmap)
        if X is not None:
            display.title_.set_text(
                f"Incoming weights of the {n_units} most used hidden units "
                f"(of {n_hidden})"
            )
        return display


def hidden_unit_usage(estimator, X):
    """How much the network uses each hidden unit on ``X``.

    The usage of unit ``j`` is its mean contribution to the output: the mean,
    over the samples of ``X``, of its absolute activation ``|a_j|``, times the
    Euclidean norm of its outgoing weights ``W2[j, :]``. A unit that never
    activates on ``X``, or whose output the next layer ignores, scores zero.

    Parameters
    ----------
    estimator : estimator instance
        A fitted :class:`~sklearn_tinynn.TwoLayerNNClassifier`,
        :class:`~sklearn.neural_network.MLPClassifier` with one hidden layer,
        or a Pipeline ending in one (``X`` then goes through its other steps).
    X : array-like of shape (n_samples, n_features)
        Inputs of the estimator.

    Returns
    -------
    usage : ndarray of shape (n_hidden,)
        The usage of each hidden unit, in the layer's order.

    Raises
    ------
    ValueError
        If ``X`` has another number of features than the estimator takes.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> from sklearn_tinynn.plotting import hidden_unit_usage
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(8, max_iter=5, random_state=0).fit(X / 16, y)
    >>> usage = hidden_unit_usage(clf, X / 16)
    >>> usage.shape, bool((usage >= 0).all())
    ((8,), True)
    """
    network = _network(estimator)
    if hasattr(estimator, "steps"):
        X = estimator[:-1].transform(X)
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    W1, W2 = network.coefs_[0], network.coefs_[1]
    if X.shape[1] != W1.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the network's first layer takes "
            f"{W1.shape[0]}; expected inputs of the estimator"
        )
    activation = HIDDEN_ACTIVATIONS[network.activation]
    A1 = activation(np.asarray(X @ W1, dtype=np.float64) + network.intercepts_[0])
    return np.abs(A1).mean(axis=0) * np.linalg.norm(W2, axis=1)


class MisclassifiedDisplay:
    """Misclassified images, each titled with its predicted and true labels.

    It is recommended to use :meth:`MisclassifiedDisplay.from_estimator` or
    :meth:`MisclassifiedDisplay.from_predictions` to create a display. All
    parameters are stored as attributes.

    Parameters
    ----------
    images : ndarray of shape (n_images, n_pixels)
        The misclassified images, flattened.
    y_true : array-like of shape (n_images,)
        Their true labels.
    y_pred : array-like of shape (n_images,)
        Their predicted labels.
    image_shape : tuple of int
        ``(height, width)`` of the images, with ``height * width == n_pixels``.
    n_misclassified : int, default=None
        How many samples were misclassified in all, for the title; ``None``
        means ``n_images``.
    n_samples : int, default=None
        How many samples were classified, for the title; ``None`` leaves it out.
    display_labels : dict, default=None
        The name of each label, for the titles (Fashion-MNIST's "Pullover"
        rather than 2); ``None``, or a label missing from it, shows the label.
    order : {"first", "loss"}, default="first"
        Which misclassified images ``images`` are, for the title: the first
        ones, or those of the highest loss.

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage of shape (n_images,)
        The images.
    axes_ : ndarray of matplotlib Axes of shape (n_images,)
        One axes per image, titled "predicted P" and "true T".
    bounding_ax_ : matplotlib Axes
        The axes, switched off, whose area holds the grid.
    subfigure_ : matplotlib SubFigure
        The subfigure over ``bounding_ax_`` holding the grid and its title.
    title_ : matplotlib Text
        The title above the grid.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : Counts of each kind of error.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn_tinynn.plotting import MisclassifiedDisplay
    >>> images = np.eye(4)[:2]
    >>> display = MisclassifiedDisplay(
    ...     images, y_true=[3, 5], y_pred=[8, 6], image_shape=(2, 2)).plot()
    >>> display.axes_[0].get_title()
    'predicted 8\\ntrue 3'
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        images,
        y_true,
        y_pred,
        *,
        image_shape,
        n_misclassified=None,
        n_samples=None,
        display_labels=None,
        order="first",
    ):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.image_shape = image_shape
        self.n_misclassified = n_misclassified
        self.n_samples = n_samples
        self.display_labels = display_labels
        self.order = order

    def plot(self, *, ax=None, cmap="gray_r"):
        """Plot the images in a grid.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid (it is switched off); ``None`` makes
            a new figure.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the pixels.

        Returns
        -------
        display : MisclassifiedDisplay
            The display, with the matplotlib objects in its attributes.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from sklearn_tinynn.plotting import MisclassifiedDisplay
        >>> display = MisclassifiedDisplay(
        ...     np.ones((3, 4)), [1, 2, 3], [0, 0, 0], image_shape=(2, 2),
        ...     n_misclassified=7, n_samples=50).plot()
        >>> display.title_.get_text()
        'Misclassified: 7 of 50 (first 3 shown)'
        >>> plt.close(display.figure_)
        """
        plt = _pyplot("MisclassifiedDisplay.plot")
        images = np.asarray(self.images)
        _check_2d("images", images, "(n_images, n_pixels)")
        shape = _image_shape(self.image_shape, images.shape[1])
        bounding_ax, subfigure, axes = _image_grid(plt, ax, len(images))
        self.title_ = subfigure.suptitle(self._title(len(images)))
        self.images_ = np.empty(len(images), dtype=object)
        names = {} if self.display_labels is None else self.display_labels
        for i, (image, true, pred) in enumerate(zip(images, self.y_true, self.y_pred)):
            self.images_[i] = axes[i].imshow(
                image.reshape(shape), cmap=cmap, interpolation="nearest"
            )
            title = f"predicted {names.get(pred, pred)}\ntrue {names.get(true, true)}"
            axes[i].set_title(title, fontsize="small")
        self.axes_, self.bounding_ax_ = axes, bounding_ax
        self.subfigure_, self.figure_ = subfigure, subfigure.figure
        return self

    def _title(self, n_images):
        """'Misclassified: K of N (first M shown)', leaving out what is unknown."""
        n_wrong = n_images if self.n_misclassified is None else self.n_misclassified
        title = f"Misclassified: {n_wrong}"
        if self.n_samples is not None:
            title += f" of {self.n_samples}"
        if self.order == "loss":
            shown = "all" if n_images == n_wrong else f"the {n_images}"
            title += f" ({shown} of highest loss shown, highest first)"
        elif n_images < n_wrong:
            title += f" (first {n_images} shown)"
        return title

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        image_shape=None,
        n_images=16,
        display_labels=None,
        ax=None,
        cmap="gray_r",
        order="first",
    ):
        """Plot the images of X that a fitted estimator misclassifies.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier, or a Pipeline ending in one.
        X : array-like of shape (n_samples, n_pixels)
            Images, flattened, as the estimator takes them.
        y : array-like of shape (n_samples,)
            True labels.
        image_shape : tuple of int, default=None
            ``(height, width)`` of the images. ``None`` infers it from the
            number of pixels: 784 -> (28, 28), 64 -> (8, 8).
        n_images : int or None, default=16
            Draw at most this many misclassified images, in the order of X;
            ``None`` draws them all.
        display_labels : array-like of shape (n_classes,) or dict, default=None
            Names of the classes, in the order of the sorted labels of
            ``y_true`` and ``y_pred`` together, as in
            :class:`~sklearn.metrics.ConfusionMatrixDisplay`, or a dict from
            label to name; ``None`` shows the labels themselves.
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the pixels.
        order : {"first", "loss"}, default="first"
            Which misclassified images to draw: the first ones in the order
            of X, or the worst classified: those of the highest loss
            ``-log p(true label)`` (from ``predict_proba``), highest first.

        Returns
        -------
        display : MisclassifiedDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If ``order`` is neither "first" nor "loss".

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> from sklearn_tinynn.plotting import MisclassifiedDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = TwoLayerNNClassifier(8, max_iter=3, random_state=0).fit(X / 16, y)
        >>> display = MisclassifiedDisplay.from_estimator(clf, X / 16, y,
        ...                                               n_images=4)
        >>> len(display.axes_)
        4
        >>> plt.close(display.figure_)
        >>> worst = MisclassifiedDisplay.from_estimator(
        ...     clf, X / 16, y, n_images=4, order="loss")
        >>> worst.title_.get_text().endswith("(the 4 of highest loss shown, "
        ...                                  "highest first)")
        True
        >>> plt.close(worst.figure_)
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        if order not in ("first", "loss"):
            raise ValueError(f'order={order!r} is invalid; expected "first" or "loss"')
        loss = None if order == "first" else sample_loss(estimator, X, y)
        return cls.from_predictions(
            X,
            y,
            estimator.predict(X),
            image_shape=image_shape,
            n_images=n_images,
            display_labels=display_labels,
            ax=ax,
            cmap=cmap,
            loss=loss,
        )

    @classmethod
    def from_predictions(
        cls,
        X,
        y_true,
        y_pred,
        *,
        image_shape=None,
        n_images=16,
        display_labels=None,
        ax=None,
        cmap="gray_r",
        loss=None,
    ):
        """Plot the images of X whose prediction differs from the truth.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels)
            Images, flattened.
        y_true : array-like of shape (n_samples,)
            True labels.
        y_pred : array-like of shape (n_samples,)
            Predicted labels.
        image_shape : tuple of int, default=None
            ``(height, width)`` of the images. ``None`` infers it from the
            number of pixels: 784 -> (28, 28), 64 -> (8, 8).
        n_images : int or None, default=16
            Draw at most this many misclassified images, in the order of X;
            ``None`` draws them all.
        display_labels : array-like of shape (n_classes,) or dict, default=None
            Names of the classes, in the order of the sorted labels of
            ``y_true`` and ``y_pred`` together, as in
            :class:`~sklearn.metrics.ConfusionMatrixDisplay`, or a dict from
            label to name; ``None`` shows the labels themselves.
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the pixels.
        loss : array-like of shape (n_samples,), default=None
            The loss of each sample (see :func:`sample_loss`): the
            misclassified images of the highest loss are drawn, highest first.
            ``None`` draws the first ones, in the order of X.

        Returns
        -------
        display : MisclassifiedDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If the lengths of X, y_true, y_pred and ``loss`` differ,
            ``n_images`` is not a positive integer, ``image_shape`` does not
            fit, or ``display_labels`` does not name every label.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from sklearn_tinynn.plotting import MisclassifiedDisplay
        >>> X = np.arange(12).reshape(3, 4)
        >>> display = MisclassifiedDisplay.from_predictions(
        ...     X, [0, 1, 2], [0, 7, 2], image_shape=(2, 2))
        >>> display.y_pred, display.axes_[0].get_title()
        (array([7]), 'predicted 7\\ntrue 1')
        >>> plt.close(display.figure_)
        >>> names = ["T-shirt", "Trouser", "Pullover", "Coat"]
        >>> display = MisclassifiedDisplay.from_predictions(
        ...     X, [0, 1, 3], [0, 1, 2], image_shape=(2, 2), display_labels=names)
        >>> display.axes_[0].get_title()
        'predicted Pullover\\ntrue Coat'
        >>> plt.close(display.figure_)
        """
        _pyplot(f"{cls.__name__}.from_predictions")
        X = check_array(X, accept_sparse="csr")
        y_true, y_pred = column_or_1d(y_true), column_or_1d(y_pred)
        if not X.shape[0] == len(y_true) == len(y_pred):
            raise ValueError(
                f"X, y_true and y_pred have {X.shape[0]}, {len(y_true)} and "
                f"{len(y_pred)} samples; expected the same number"
            )
        image_shape = _image_shape(image_shape, X.shape[1])
        wrong = np.flatnonzero(y_true != y_pred)
        if loss is not None:
            loss = column_or_1d(loss)
            if len(loss) != X.shape[0]:
                raise ValueError(
                    f"loss has {len(loss)} values for the {X.shape[0]} samples "
                    "of X; expected one per sample"
                )
            wrong = wrong[np.argsort(-loss[wrong], kind="stable")]
        shown = wrong[: _at_most("n_images", n_images, len(wrong))]
        images = X[shown].toarray() if hasattr(X, "toarray") else X[shown]
        display = cls(
            images,
            y_true[shown],
            y_pred[shown],
            image_shape=image_shape,
            n_misclassified=len(wrong),
            n_samples=X.shape[0],
            display_labels=_label_names(display_labels, y_true, y_pred),
            order="first" if loss is None else "loss",
        )
        return display.plot(ax=ax, cmap=cmap)


def sample_loss(estimator, X, y):
    """The cross-entropy of each sample: ``-log p(true label)``.

    ``p`` is the estimator's ``predict_proba``; a label that is not among
    its ``classes_`` has probability 0 and an infinite loss.

    Parameters
    ----------
    estimator : estimator instance
        A fitted classifier with ``predict_proba`` and ``classes_``, or a
        Pipeline ending in one.
    X : array-like of shape (n_samples, n_features)
        Inputs of the estimator.
    y : array-like of shape (n_samples,)
        True labels.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        The loss of each sample, 0 for a certain right answer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> from sklearn_tinynn.plotting import sample_loss
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(8, max_iter=5, random_state=0).fit(X / 16, y)
    >>> loss = sample_loss(clf, X[:3] / 16, [0, 1, 42])  # 42: no class
    >>> p_true = clf.predict_proba(X[:2] / 16)[[0, 1], [0, 1]]
    >>> bool(np.allclose(loss[:2], -np.log(p_true))), float(loss[2])
    (True, inf)
    """
    y = column_or_1d(y)
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    classes = np.asarray(estimator.classes_)
    order = np.argsort(classes, kind="stable")
    positions = np.minimum(np.searchsorted(classes, y, sorter=order), len(classes) - 1)
    columns = order[positions]
    known = classes[columns] == y
    p = np.where(known, proba[np.arange(len(y)), columns], 0.0)
    with np.errstate(divide="ignore"):
        return -np.log(p)
