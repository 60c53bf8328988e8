"""The command line's report: one HTML page on a trained model, pictures beside it.

``train --report DIR`` writes ``DIR/index.html`` and the PNG pictures it shows,
side by side, so that the folder opens in any browser with no network: the page
has no script, and no style sheet, font or image from another host. It shows the
data, the parameters, the training and validation curves with the best epoch,
the confusion matrix and each class's precision and recall, the worst-classified
test images, the most used hidden units, and the machine that trained it.

matplotlib draws the pictures (``pip install "sklearn-tinynn[plot]"``); it is
imported only when a report is written.
"""

import html
import io
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from threadpoolctl import threadpool_info

from . import __version__, _persistence
from .plotting import _best_epoch as _best_validation_epoch

# How many of the worst-classified test images and of the hidden units to draw:
# more would make tiles too small to read.
N_WORST = 24
N_UNITS = 32

# Width of the pictures, in inches, at _DPI dots per inch: about the width of
# the page's column, so that a picture is shown near its own size.
_WIDTH = 11.0
_DPI = 100


def write_report(
    model,
    X_test,
    y_test,
    directory,
    *,
    data_name,
    image_shape,
    class_names=None,
    fit_seconds=None,
):
    """Write ``directory/index.html`` and its pictures; return the files written.

    Parameters
    ----------
    model : TwoLayerNNClassifier or MLPClassifier
        A fitted model, on NumPy arrays.
    X_test : ndarray of shape (n_samples, n_pixels)
        Test images, flattened, as the model takes them.
    y_test : ndarray of shape (n_samples,)
        Their labels.
    directory : str or Path
        The folder of the report; made if missing. Files of the same names
        are replaced, each atomically.
    data_name : str
        The data set, as the page names it.
    image_shape : tuple of int
        ``(height, width)`` of the images.
    class_names : dict, default=None
        The name of each label (Fashion-MNIST's "Pullover" rather than 2);
        ``None``, or a label missing from it, shows the label.
    fit_seconds : float, default=None
        How long the fit took (wall-clock seconds), shown beside the machine
        it ran on; ``None`` leaves the row out.

    Returns
    -------
    paths : list of Path
        ``index.html``, then the PNG pictures it shows.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> from sklearn_tinynn._report import write_report
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(16, early_stopping=True, max_iter=5,
    ...                            random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_report(clf, X[1000:] / 16, y[1000:], folder,
    ...                          data_name="digits", image_shape=(8, 8))
    ...     [path.name for path in paths]
    ['index.html', 'loss_curve.png', 'confusion_matrix.png', 'misclassified.png', 'hidden_units.png']
    """  # noqa: E501
    labels = np.union1d(model.classes_, y_test)
    names = {label: str(label) for label in labels.tolist()}
    names.update(class_names or {})
    y_pred = model.predict(X_test)
    pictures = _draw(model, X_test, y_test, y_pred, labels, names, image_shape)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in pictures.items():
        path = directory / f"{name}.png"
        _persistence.write_atomically(path, png)
        paths.append(path)
    page = _page(
        model,
        _Data(data_name, X_test, y_test, y_pred, labels, names, image_shape),
        pictures,
        fit_seconds,
    )
    index = directory / "index.html"
    _persistence.write_atomically(index, page.encode())
    return [index, *paths]


# ------------------------------------------------------------------ pictures


def _draw(model, X_test, y_test, y_pred, labels, names, image_shape):
    """``{name: PNG bytes}`` of the four pictures, in the page's order."""
    from sklearn.metrics import ConfusionMatrixDisplay

    from . import plotting

    figures = {}
    ax = _axes(figures, "loss_curve", 4.6)
    plotting.LossCurveDisplay.from_estimator(
        model,
        ax=ax,
        show_validation_score=getattr(model, "validation_scores_", None) is not None,
    )
    losses = [model.loss_curve_, getattr(model, "validation_loss_curve_", None) or []]
    _log_scale_if_wide(ax, np.concatenate(losses))
    ax = _axes(figures, "confusion_matrix", 5.4, width=5.8)
    ConfusionMatrixDisplay.from_predictions(
        y_test,
        y_pred,
        labels=labels,
        display_labels=[names[label] for label in labels.tolist()],
        xticks_rotation=45 if max(map(len, names.values())) > 2 else "horizontal",
        colorbar=False,
        cmap="Blues",
        ax=ax,
    )
    ax.set_title("Test images by true and predicted label")
    ax = _axes(figures, "misclassified", 5.0)
    plotting.MisclassifiedDisplay.from_estimator(
        model,
        X_test,
        y_test,
        image_shape=image_shape,
        n_images=N_WORST,
        display_labels=names,
        ax=ax,
        order="loss",
    )
    ax = _axes(figures, "hidden_units", 6.0)
    plotting.HiddenUnitsDisplay.from_estimator(
        model, image_shape=image_shape, n_units=N_UNITS, ax=ax, X=X_test
    )
    pngs = {}
    for name, figure in figures.items():
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=_DPI)
        pngs[name] = png.getvalue()
    return pngs


def _log_scale_if_wide(ax, values):
    """A log y-axis, ticks 1-2-5, where the losses span more than a factor of 10.

    Then the later epochs, where the validation loss levels off or turns up,
    would be a flat line near zero on a linear axis.
    """
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0 or values.max() <= 10 * values.min():
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _axes(figures, name, height, width=_WIDTH):
    """A new figure in ``figures[name]``, and its one axes.

    The figures are matplotlib's own, not pyplot's: nothing global is changed
    (no backend chosen, no figure left open).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    figures[name] = figure
    return figure.add_subplot()


# ---------------------------------------------------------------------- page


class _Data:
    """The test data and the predictions, as the page describes them."""

    def __init__(self, name, X, y, y_pred, labels, names, image_shape):
        self.name, self.X, self.y, self.y_pred = name, X, y, y_pred
        self.labels, self.names, self.image_shape = labels, names, image_shape


_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f2328; background: #f6f8fa; margin: 0; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; }
header { background: #24292f; color: #fff; }
header div { max-width: 1120px; margin: 0 auto; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; }
header p { margin: 0; color: #d0d7de; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
          padding: 8px 24px 20px; margin: 20px 0; }
h2 { font-size: 20px; font-weight: 600; border-bottom: 1px solid #d8dee4;
     padding-bottom: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 20px 0 0; }
.card { flex: 1 1 160px; background: #fff; border: 1px solid #d0d7de;
        border-radius: 8px; padding: 12px 16px; }
.card b { display: block; font-size: 24px; font-weight: 600; }
.card span { color: #57606a; font-size: 13px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 14px 3px 0; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #f6f8fa; }
table.wide th { border-bottom: 1px solid #d0d7de; }
.columns { display: flex; flex-wrap: wrap; gap: 8px 40px; }
.columns > div { flex: 0 0 auto; }
.columns > div.grow { flex: 1 1 300px; min-width: 0; }
.changed { font-weight: 600; }
.low { color: #cf222e; font-weight: 600; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.note { color: #57606a; }
code { font-size: 13px; background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
"""


def _page(model, data, pictures, fit_seconds=None):
    """The HTML text of the report."""
    accuracy = float(np.mean(data.y_pred == data.y))
    title = f"sklearn-tinynn report: {data.name}"
    sections = [
        _section_data(model, data),
        _section_parameters(model),
        _section_training(model, pictures),
        _section_test(data, pictures),
        _section_worst(data, pictures),
        _section_hidden_units(model, pictures),
        _section_machine(fit_seconds),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            "<header><div>",
            f"<h1>{_e(title)}</h1>",
            f"<p>{_e(_model_line(model))}</p>",
            "</div></header>",
            "<main>",
            _cards(model, data, accuracy),
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _e(value):
    return html.escape(str(value))


def _model_line(model):
    n_features, n_hidden = model.coefs_[0].shape
    n_outputs = model.coefs_[1].shape[1]
    return (
        f"{type(model).__name__} {n_features}-{n_hidden}-{n_outputs}, "
        f"{model.activation} hidden units, solver {model.solver!r}, "
        f"{model.coefs_[0].dtype} weights"
    )


def _cards(model, data, accuracy):
    best = _best_epoch(model)
    cards = [
        (f"{accuracy:.4f}", f"test accuracy on {len(data.y):,} images"),
        (str(model.n_iter_), "epochs" if model.solver != "lbfgs" else "iterations"),
    ]
    if best is not None:
        cards.append(
            (
                f"{model.best_validation_score_:.4f}",
                f"best validation accuracy, epoch {best}",
            )
        )
    cards.append((f"{model.loss_curve_[-1]:.4f}", "final training loss"))
    inner = "".join(
        f'<div class="card"><b>{_e(value)}</b><span>{_e(what)}</span></div>'
        for value, what in cards
    )
    return f'<div class="cards">{inner}</div>'


def _best_epoch(model):
    return _best_validation_epoch(getattr(model, "validation_scores_", None))


def _table(rows, header=None, numeric=(), css=""):
    """An HTML table of already escaped cells; ``numeric``: right-aligned columns."""

    def cells(row, tag):
        return "".join(
            f'<{tag} class="num">{cell}</{tag}>'
            if i in numeric
            else f"<{tag}>{cell}</{tag}>"
            for i, cell in enumerate(row)
        )

    head = "" if header is None else f"<thead><tr>{cells(header, 'th')}</tr></thead>"
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f'<table class="{css}">{head}<tbody>{body}</tbody></table>'


def _section(title, *parts):
    return "\n".join([f"<section><h2>{_e(title)}</h2>", *parts, "</section>"])


def _section_data(model, data):
    height, width = data.image_shape
    rows = [
        ("Data set", _e(data.name)),
        ("Test images", f"{len(data.y):,}"),
        (
            "Image size",
            f"{height} &times; {width} pixels ({height * width:,} features)",
        ),
        ("Classes", _e(", ".join(data.names[label] for label in data.labels.tolist()))),
    ]
    n_train = _training_size(model)
    if n_train is not None:
        seen = f"{n_train:,}"
        if getattr(model, "early_stopping", False):
            seen += (
                f" (after holding out validation_fraction = "
                f"{model.validation_fraction} of the training data for validation)"
            )
        rows.insert(1, ("Training images per epoch", seen))
    return _section("Data", _table(rows))


def _training_size(model):
    """Images per epoch of the fit: ``t_`` counts the images seen, each epoch all."""
    t, n_iter = getattr(model, "t_", None), model.n_iter_
    if not t or not n_iter or t % n_iter:
        return None
    return t // n_iter


def _section_parameters(model):
    params = model.get_params()
    defaults = type(model)().get_params()
    rows = []
    for name, value in sorted(params.items()):
        changed = not _same(value, defaults.get(name))
        text = f"<code>{_e(name)}</code>"
        rows.append(
            (
                text,
                f'<span class="changed">{_e(repr(value))}</span>'
                if changed
                else _e(repr(value)),
            )
        )
    half = (len(rows) + 1) // 2
    tables = [_table(rows[:half]), _table(rows[half:])]
    return _section(
        "Parameters",
        f'<div class="columns">{"".join(tables)}</div>',
        '<p class="note">In bold: the values that differ from the defaults of '
        f"{_e(type(model).__name__)}.</p>",
    )


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):  # arrays and the like
        return a is b


def _figure(pictures, name, alt):
    """The ``<img>`` of a picture beside the page, with its size in pixels."""
    # A PNG file's IHDR chunk: the width and height are bytes 16-24.
    width, height = (int.from_bytes(pictures[name][i : i + 4], "big") for i in (16, 20))
    return f'<img src="{name}.png" width="{width}" height="{height}" alt="{_e(alt)}">'


def _section_training(model, pictures):
    best = _best_epoch(model)
    unit = "iteration" if model.solver == "lbfgs" else "epoch"
    if best is None:
        note = (
            f"Trained for {model.n_iter_} {unit}s without early stopping, so "
            "no data was held out and there is no validation curve (early "
            "stopping, which the 'lbfgs' solver does not do, draws one)."
        )
    else:
        if model.n_iter_ < model.max_iter:
            end = (
                f"It did not improve in the next {model.n_iter_ - best} epochs, "
                "and training stopped"
            )
        else:
            end = f"Training ran to max_iter = {model.max_iter} epochs"
        note = (
            "Early stopping held out part of the training data and measured "
            "the model on it after every epoch. The validation accuracy was "
            f"best, {model.best_validation_score_:.4f}, at epoch {best} (grey "
            f"line). {end}; the weights of epoch {best} are the model's."
        )
    return _section(
        "Training",
        _figure(pictures, "loss_curve", "training and validation curves"),
        f'<p class="note">{note} The training loss includes the L2 penalty; '
        "the validation loss is the cross-entropy alone.</p>",
    )


def _section_test(data, pictures):
    precision, recall, f1, support = precision_recall_fscore_support(
        data.y, data.y_pred, labels=data.labels, zero_division=0
    )
    worst = np.min(recall)
    labels = data.labels.tolist()
    # A name column only where the classes have names besides their labels.
    named = any(data.names[label] != str(label) for label in labels)
    rows = []
    for label, p, r, f, n in zip(labels, precision, recall, f1, support):
        recall_cell = f"{r:.3f}"
        if r == worst:
            recall_cell = f'<span class="low">{recall_cell}</span>'
        name = (_e(data.names[label]),) if named else ()
        rows.append((_e(label), *name, f"{p:.3f}", recall_cell, f"{f:.3f}", f"{n:,}"))
    header = ("Label", *(("Name",) if named else ()), "Precision", "Recall")
    table = _table(
        rows,
        header=(*header, "F1", "Images"),
        numeric=range(len(header) - 2, len(header) + 2),
        css="wide",
    )
    matrix = confusion_matrix(data.y, data.y_pred, labels=data.labels)
    off = matrix - np.diag(np.diag(matrix))
    true, pred = np.unravel_index(np.argmax(off), off.shape)
    confusion = (
        f"The most frequent confusion: {off[true, pred]} images of "
        f"{_e(data.names[data.labels[true].item()])} predicted as "
        f"{_e(data.names[data.labels[pred].item()])}."
        if off.max() > 0
        else "No test image was misclassified."
    )
    return _section(
        "Test results",
        '<div class="columns"><div>'
        f"{_figure(pictures, 'confusion_matrix', 'confusion matrix')}</div>"
        f'<div class="grow"><h3>Per class</h3>{table}'
        '<p class="note">Precision: of the images predicted as the class, the '
        "share that are; recall: of the images of the class, the share found "
        f"(the lowest in red). {confusion}</p></div></div>",
    )


def _section_worst(data, pictures):
    return _section(
        "Worst-classified test images",
        _figure(pictures, "misclassified", "the misclassified images of highest loss"),
        '<p class="note">The misclassified test images on which the model was '
        "most confidently wrong: the highest loss, <code>-log p(true label)</code>, "
        f"first (at most {N_WORST}).</p>",
    )


def _section_hidden_units(model, pictures):
    n_hidden = model.coefs_[0].shape[1]
    shown = "all" if n_hidden <= N_UNITS else f"the {N_UNITS} most used"
    return _section(
        "Hidden units",
        _figure(
            pictures, "hidden_units", "incoming weights of the most used hidden units"
        ),
        f'<p class="note">{shown.capitalize()} of the {n_hidden} hidden units, most '
        "used first. A unit's use is its mean contribution to the output on "
        "the test images: its mean absolute activation times the norm of its "
        "outgoing weights. Each tile is a unit's incoming weights in the shape "
        "of the images: red pixels excite it, blue ones inhibit it.</p>",
    )


def _section_machine(fit_seconds=None):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    rows = []
    if fit_seconds is not None:
        rows.append(("Training time", f"{fit_seconds:.1f} s (wall clock)"))
    rows += [
        ("Written", now),
        ("Platform", _e(platform.platform())),
        (
            "Processor",
            _e(
                platform.machine()
                + (f", {platform.processor()}" if platform.processor() else "")
            ),
        ),
        ("CPUs", f"{os.cpu_count()} ({usable} usable by this process)"),
        ("Python", _e(sys.version.split()[0])),
        (
            "Versions",
            _e(
                f"sklearn-tinynn {__version__}, NumPy {np.__version__}, "
                f"scikit-learn {sklearn.__version__}"
            ),
        ),
    ]
    rows.extend(_thread_pools())
    return _section("Machine", _table(rows))


def _thread_pools():
    """A row per BLAS and OpenMP library loaded, as threadpoolctl sees them."""
    rows = []
    for pool in threadpool_info():
        what = {"blas": "BLAS", "openmp": "OpenMP"}.get(pool["user_api"], "")
        details = f"{pool['internal_api']} {pool.get('version') or ''}".strip()
        library = Path(pool["filepath"])
        details += f" ({library.parent.name}/{library.name})"
        if pool.get("architecture"):
            details += f", {pool['architecture']} kernel"
        details += f", {pool['num_threads']} threads"
        rows.append((_e(what or pool["user_api"]), _e(details)))
    return rows
