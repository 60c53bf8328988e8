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

__all__ = ["HiddenUnitsDisplay", "LossCurveDisplay", "MisclassifiedDisplay"]

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
    titles); ``ax=None`` makes a new figure of a size that fits the grid.
    Every axes has its ticks removed.
    """
    n_cols = max(1, math.ceil(math.sqrt(n_images)))
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
    y-axis at the right. Several displays can share one axes, each with its
    ``name`` in the legend (alone when only the training loss is drawn). The
    training loss is the objective that training minimizes, the cross-entropy
    plus the L2 penalty; the validation loss is the cross-entropy alone. The
    epochs are whole numbers, and so are the ticks of the x-axis.

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

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.
    validation_line_ : matplotlib Line2D or None
        The validation loss, if there is one.
    score_line_ : matplotlib Line2D or None
        The validation accuracy, if it was drawn.
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
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_loss_curve=None,
        validation_scores=None,
        name=None,
        x_label="Epoch",
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.name = name
        self.x_label = x_label

    def plot(self, *, ax=None, name=None, show_validation_score=False):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Name of the model in the legend; ``None`` uses ``self.name``.
        show_validation_score : bool, default=False
            Also draw the validation accuracy, on a second y-axis.

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
        with_more = self.validation_loss_curve is not None or show_validation_score
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
                f"{prefix}validation accuracy",
                color=color,
                linestyle=":",
            )
            self.score_ax_.set_ylabel("Validation accuracy")
        ax.set(xlabel=self.x_label, ylabel="Loss (training: with the L2 penalty)")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        _legend(ax, self.score_ax_)
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
            Also draw the validation accuracy, on a second y-axis; needs an
            estimator fitted with ``early_stopping=True``.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the matplotlib objects in its attributes.

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
        display = cls(
            loss_curve,
            validation_loss_curve=getattr(network, "validation_loss_curve_", None),
            validation_scores=getattr(network, "validation_scores_", None),
            name=name,
            x_label="Iteration" if network.solver == "lbfgs" else "Epoch",
        )
        return display.plot(ax=ax, show_validation_score=show_validation_score)


def _plot_curve(ax, values, label, **kwargs):
    """Plot ``values`` against the epochs 1, 2, ..., with a legend label."""
    epochs = np.arange(1, len(values) + 1)
    return ax.plot(epochs, np.asarray(values, dtype=float), label=label, **kwargs)


def _legend(ax, second_ax):
    """One legend on ``ax`` for the lines of ``ax`` and of its twin ``second_ax``."""
    handles, labels = ax.get_legend_handles_labels()
    if second_ax is None:
        ax.legend(handles, labels)
        return
    more_handles, more_labels = second_ax.get_legend_handles_labels()
    # "best" would only avoid the lines of ``ax``; the losses fall and the
    # accuracy rises, which leaves the middle of the right side free.
    ax.legend(handles + more_handles, labels + more_labels, loc="center right")


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
        cls, estimator, *, image_shape=None, n_units=None, ax=None, cmap="RdBu_r"
    ):
        """Plot the first-layer weights of a fitted estimator as images.

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
            Draw the first ``n_units`` hidden units (all of them, if there are
            fewer); ``None`` draws them all.
        ax : matplotlib Axes, default=None
            Axes whose area holds the grid; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="RdBu_r"
            A diverging colormap; zero is its middle.

        Returns
        -------
        display : HiddenUnitsDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If ``image_shape`` is None and cannot be inferred, or does not fit
            the number of features, or ``n_units`` is not a positive integer.

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
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        weights = _network(estimator).coefs_[0]
        n_pixels, n_hidden = weights.shape
        image_shape = _image_shape(image_shape, n_pixels)
        n_units = _at_most("n_units", n_units, n_hidden)
        display = cls(weights[:, :n_units], image_shape=image_shape)
        return display.plot(ax=ax, cmap=cmap)


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
    ):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.image_shape = image_shape
        self.n_misclassified = n_misclassified
        self.n_samples = n_samples
        self.display_labels = display_labels

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
        if n_images < n_wrong:
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
    ):
        """Plot the first images of X that a fitted estimator misclassifies.

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

        Returns
        -------
        display : MisclassifiedDisplay
            The display, with the matplotlib objects in its attributes.

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
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        return cls.from_predictions(
            X,
            y,
            estimator.predict(X),
            image_shape=image_shape,
            n_images=n_images,
            display_labels=display_labels,
            ax=ax,
            cmap=cmap,
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
    ):
        """Plot the first images of X whose prediction differs from the truth.

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

        Returns
        -------
        display : MisclassifiedDisplay
            The display, with the matplotlib objects in its attributes.

        Raises
        ------
        ValueError
            If the lengths of X, y_true and y_pred differ, ``n_images`` is not
            a positive integer, ``image_shape`` does not fit, or
            ``display_labels`` does not name every label.

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
        )
        return display.plot(ax=ax, cmap=cmap)
