"""The command line: ``python -m sklearn_tinynn`` and ``sklearn-tinynn``.

Without arguments it trains on the 5,000 MNIST digits bundled with the package
and prints the test accuracy. ``train``, ``evaluate`` and ``predict`` work on CSV
files, IDX directories and the named data sets ``digits``, ``mnist``,
``mnist-sample`` and ``fashion-mnist``. Pixels are divided by the largest value
their format can hold, so that the network sees [0, 1]: 255 for the 8-bit
MNIST-style formats, 16 for scikit-learn's digits. ``export`` writes a saved
model as an ONNX file (needs ``pip install "sklearn-tinynn[onnx]"``). Bad
arguments, missing files and malformed data end with one line on stderr and
exit code 2; Ctrl-C with one line and exit code 130, leaving no output file
behind.
"""

import argparse
import contextlib
import io
import math
import os
import signal
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import train_test_split

from . import _persistence, datasets
from ._array_api import move_to
from ._classifier import TwoLayerNNClassifier
from ._network import fit_memory
from ._progress import TextProgressBar

PROG = "sklearn-tinynn"

# The command run without arguments: the README's demo, a few seconds on the
# bundled MNIST sample (4,000 images to train, 1,000 to test).
DEMO_ARGS = [
    "train",
    "--train",
    "mnist-sample",
    "--learning-rate",
    "0.01",
    "--early-stopping",
]

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
# What Fashion-MNIST's labels 0-9 stand for, in the reports.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# The original notebook: 784 -> 10 (ReLU) -> 10 (softmax), full-batch gradient
# descent with learning rate 0.1 for 500 iterations, no penalty.
PRESETS = {
    "notebook": {
        "hidden_layer_size": 10,
        "activation": "relu",
        "solver": "gd",
        "learning_rate_init": 0.1,
        "max_iter": 500,
        "alpha": 0.0,
    },
}

# Command-line option -> TwoLayerNNClassifier parameter.
_HYPERPARAMETERS = {
    "hidden": "hidden_layer_size",
    "activation": "activation",
    "solver": "solver",
    "learning_rate": "learning_rate_init",
    "schedule": "learning_rate",
    "max_iter": "max_iter",
    "batch_size": "batch_size",
    "alpha": "alpha",
    "random_state": "random_state",
    "early_stopping": "early_stopping",
    "validation_fraction": "validation_fraction",
    "tol": "tol",
    "n_iter_no_change": "n_iter_no_change",
}


class UsageError(Exception):
    """A bad argument, a missing file or unusable data: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass
class Data:
    """Images scaled to [0, 1] and labels; ``X_test`` is None without a test part."""

    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = None
    y_test: np.ndarray = None

    def test_part(self):
        """The test split when the source has one (IDX, MNIST), else everything."""
        if self.X_test is None:
            return self.X, self.y
        return self.X_test, self.y_test


# ------------------------------------------------------------------ data


def read_data(source, label_column=0):
    """Load a CSV file, an IDX directory, or a data set by name.

    The names: ``digits`` (scikit-learn's), ``mnist`` (OpenML's),
    ``mnist-sample`` (the 5,000 digits bundled with the package, split into
    its 'train' and 'test' subsets) and ``fashion-mnist``.

    Parameters
    ----------
    source : str
        A path, or one of the names.
    label_column : int, default=0
        Index of the label column of a CSV file (-1: last).

    Returns
    -------
    data : Data
        The images as float32 in [0, 1], and the labels.

    Examples
    --------
    >>> from sklearn_tinynn._cli import read_data
    >>> data = read_data("digits")
    >>> data.X.shape, float(data.X.max()), data.X_test is None
    ((1797, 64), 1.0, True)
    """
    if source == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return Data("digits", (X / 16).astype(np.float32), y)
    if source == "mnist":
        return _split_data("mnist", _fetch_mnist())
    if source == "mnist-sample":
        train = datasets.load_mnist_sample(subset="train", return_X_y=True)
        test = datasets.load_mnist_sample(subset="test", return_X_y=True)
        return _split_data(source, (*train, *test))
    if source == "fashion-mnist":
        if not Path(FASHION_MNIST_DIR).is_dir():
            raise UsageError(
                f"fashion-mnist: no directory {FASHION_MNIST_DIR}; install it with "
                "'apt-get install dataset-fashion-mnist', or pass the path of a "
                "directory holding the four IDX files"
            )
        return _split_data(source, datasets.load_mnist_idx(FASHION_MNIST_DIR))
    path = Path(source)
    if path.is_dir():
        return _split_data(source, datasets.load_mnist_idx(path))
    if not path.is_file():
        raise UsageError(
            f"{source}: no such file or directory; expected a CSV file, a directory "
            "of IDX files, or one of the names digits, mnist, mnist-sample, "
            "fashion-mnist"
        )
    n_pixels = len(datasets._first_line(path).split(",")) - 1
    if n_pixels < 1:
        raise UsageError(
            f"{source}: the first line has no pixel columns (an empty file?); "
            "expected a label and the pixels, comma-separated"
        )
    X, y = datasets.load_mnist_csv(path, label_column=label_column, n_pixels=n_pixels)
    return Data(source, _scale(X), y)


def _fetch_mnist():
    """OpenML's MNIST, or an error that names the command line's alternatives."""
    try:
        with warnings.catch_warnings():
            # fetch_openml warns before each retry; the error below says it all.
            warnings.simplefilter("ignore", UserWarning)
            return datasets.fetch_mnist()
    except OSError as exc:
        raise UsageError(
            f"mnist: {exc} From the command line: --train DIRECTORY of IDX files, "
            "or --train FILE.csv"
        ) from exc


def _split_data(name, arrays):
    X_train, y_train, X_test, y_test = arrays
    return Data(name, _scale(X_train), y_train, _scale(X_test), y_test)


def _scale(pixels):
    """8-bit pixels 0-255 -> float32 in [0, 1]."""
    return pixels.astype(np.float32) / 255


def read_pixels(source, n_features):
    """Images to predict: any data source, or a CSV of pixels only.

    A CSV file whose rows have exactly ``n_features`` cells holds pixels only
    (integers 0-255, optionally under a header line, read by the loaders' own
    rules); any other source is read by :func:`read_data` and its labels are
    ignored.
    """
    path = Path(source)
    first = datasets._first_line(path) if path.is_file() else ""
    if len(first.split(",")) != n_features:
        return read_data(source).test_part()[0]
    X, _ = datasets._read_csv(path, n_features, label_column=None)
    return _scale(X)


# ------------------------------------------------------------------ models


def load_model(path):
    """Load a model saved by ``train --save`` with :func:`sklearn_tinynn.load`.

    Only ``TwoLayerNNClassifier`` is trusted, by its exact name; the file's
    size is bounded and the model checked before use. Every refusal is a
    :class:`UsageError` of one line.
    """
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such model file")
    try:
        return _persistence.load(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def build_model(args):
    """The classifier: the preset, then every option given explicitly."""
    params = dict(PRESETS.get(args.preset, {}))
    for option, param in _HYPERPARAMETERS.items():
        value = getattr(args, option)
        if value is not None:
            params[param] = value
    return TwoLayerNNClassifier(**params)


def progress_callback(kind):
    """The progress display: 'text', 'rich' (scikit-learn's ProgressBar), 'none'."""
    if kind == "none":
        return None
    if kind == "rich":
        try:
            from sklearn.callback import ProgressBar

            return ProgressBar()
        except ImportError as exc:
            print(
                f"{PROG}: note: no rich progress bar ({exc}); using the text bar",
                file=sys.stderr,
            )
    return TextProgressBar()


# ------------------------------------------------------------------ commands


def train(args):
    """Fit a model, print its test accuracy; save it and draw it if asked.

    Everything that can fail without training is checked before training.
    """
    _check_outputs([args.train, args.test], [args.save])
    if args.report is not None:
        _check_report_dependencies()
        _check_directory(args.report)
    data = read_data(args.train, args.label_column)
    X, y = data.X, data.y
    if args.test is not None:
        X_test, y_test = read_data(args.test, args.label_column).test_part()
        _check_n_features(X_test, args.test, X.shape[1], f"{args.train} has")
        test_name = f"{args.test} ({len(y_test)} images)"
    elif data.X_test is not None:
        X_test, y_test = data.X_test, data.y_test
        test_name = f"the test split of {data.name} ({len(y_test)} images)"
    else:
        X, X_test, y, y_test = _hold_out(X, y, args)
        test_name = f"a stratified {args.test_size:.0%} hold-out ({len(y_test)} images)"
    if args.report is not None and _image_shape(X.shape[1]) is None:
        raise UsageError(
            f"--report draws images as squares, but {args.train} has images of "
            f"{X.shape[1]} pixels, not a square number"
        )
    model = build_model(args)
    _check_memory(model, X, y)
    print(f"train: {data.name}, {len(y)} images of {X.shape[1]} pixels")
    print(f"test: {test_name}")
    _fit(model, X, y, progress_callback(args.progress), args.device)
    if args.device is not None:
        # Weights on a device become NumPy: tested, saved and reported on the
        # host, usable on a machine without that device.
        model = move_to(model, "numpy")
    print(f"test accuracy: {model.score(X_test, y_test):.4f}")
    if args.save is not None:
        _persistence.save(model, args.save)
        print(f"saved: {args.save}")
    if args.report is not None:
        source = args.test if args.test is not None else args.train
        for path in write_report(model, X_test, y_test, args.report, source):
            print(f"report: {path}")


def _hold_out(X, y, args):
    try:
        return train_test_split(
            X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
        )
    except ValueError as exc:
        raise UsageError(f"{args.train}: cannot hold out a test split ({exc})") from exc


def _check_memory(model, X, y):
    """Refuse, before allocating it, a fit larger than this machine's memory."""
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf: let numpy tell
        return
    n_samples, n_features = X.shape
    params = model.get_params()
    hidden = params["hidden_layer_size"]
    n_classes = len(np.unique(y))
    needed = fit_memory(
        n_samples,
        n_features,
        hidden,
        1 if n_classes == 2 else n_classes,
        X.dtype,
        params["solver"],
        params["batch_size"],
        params["shuffle"],
        params["activation"],
        params["early_stopping"],
    )
    if needed > available:
        raise UsageError(
            f"--hidden {hidden}: the network needs about {needed / 2**30:.1f} GiB "
            f"for {n_samples} images of {n_features} pixels, more than the "
            f"{available / 2**30:.1f} GiB of this machine; use fewer hidden units"
        )


def _fit(model, X, y, callback, device=None):
    """Fit with the progress callback, on a torch ``device`` if one is given;
    warnings become one-line notes.

    ``fit`` answers Ctrl-C by stopping and keeping the weights so far (as
    MLPClassifier does); here it is raised again, so that the half-trained
    model is neither scored nor saved.
    """
    if callback is not None:
        model.set_callbacks(callback)
    with warnings.catch_warnings(record=True) as caught, _noticing_interrupts() as seen:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            if device is None:
                model.fit(X, y)
            else:
                X = _torch_input(X, device)
                with _array_api_dispatch(device):
                    model.fit(X, y)
        finally:
            model.set_callbacks()  # callbacks are not part of a saved model
    if seen:
        raise KeyboardInterrupt
    for warning in caught:
        print(f"{PROG}: note: {warning.message}", file=sys.stderr)


def _torch_input(X, device):
    """X as a torch tensor on ``device`` (train --device), or a UsageError."""
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        raise UsageError(
            f"--device {device} needs the environment variable SCIPY_ARRAY_API=1, "
            "set before Python starts, for scikit-learn's array API dispatch: "
            f"SCIPY_ARRAY_API=1 {PROG} train ... --device {device}"
        )
    try:
        import torch
    except ImportError as exc:
        raise UsageError(
            f"--device {device} trains with PyTorch, which is not installed: see "
            "https://pytorch.org for the build that fits this machine"
        ) from exc
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available[device]:
        raise UsageError(f"--device {device}: PyTorch finds no {device} device here")
    try:
        return torch.asarray(X, device=device)
    except (TypeError, RuntimeError) as exc:  # float64 on mps, out of memory
        raise UsageError(f"--device {device}: {exc}") from exc


def _array_api_dispatch(device):
    """scikit-learn's array API dispatch, or a UsageError where it cannot run."""
    try:
        with config_context(array_api_dispatch=True):
            pass
    except (ImportError, RuntimeError) as exc:  # scikit-learn or SciPy too old
        raise UsageError(f"--device {device}: {exc}") from exc
    return config_context(array_api_dispatch=True)


@contextlib.contextmanager
def _noticing_interrupts():
    """Ctrl-C raises KeyboardInterrupt as usual, and is remembered in a list."""
    seen = []

    def handler(signum, frame):
        seen.append(signum)
        raise KeyboardInterrupt

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield seen  # signals go to the main thread; keep a handler set by others
        return
    signal.signal(signal.SIGINT, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def evaluate(args):
    """Print accuracy, per-class precision and recall, and the confusion matrix."""
    model = load_model(args.model)
    X, y = read_data(args.test, args.label_column).test_part()
    _check_n_features(X, args.test, model.n_features_in_)
    _check_labels(model, y, args.test)
    y_pred = model.predict(X)
    print(f"accuracy: {np.mean(y_pred == y):.4f} on {len(y)} images of {args.test}")
    print()
    labels = np.union1d(model.classes_, y)
    names = _label_names(args.test, labels)
    print(
        classification_report(
            y, y_pred, labels=labels, target_names=names, digits=4, zero_division=0
        )
    )
    print("confusion matrix (rows: true label, columns: predicted label)")
    print(_format_matrix(confusion_matrix(y, y_pred, labels=labels), names))


def _label_names(source, labels):
    """The labels' names: Fashion-MNIST's articles, or the labels as text."""
    fashion = source == "fashion-mnist" or (
        Path(source).is_dir()
        and Path(source).resolve() == Path(FASHION_MNIST_DIR).resolve()
    )
    if fashion and set(labels.tolist()) <= set(range(len(FASHION_MNIST_CLASSES))):
        return [FASHION_MNIST_CLASSES[label] for label in labels]
    return [str(label) for label in labels]


def _format_matrix(matrix, names):
    width = max(len(str(matrix.max())), *map(len, names))
    rows = [" " * width + " " + " ".join(name.rjust(width) for name in names)]
    for name, row in zip(names, matrix):
        cells = " ".join(str(count).rjust(width) for count in row)
        rows.append(f"{name.rjust(width)} {cells}")
    return "\n".join(rows)


def _check_labels(model, y, source):
    known = set(model.classes_.tolist())
    unknown = [label for label in dict.fromkeys(y.tolist()) if label not in known]
    if unknown:
        raise UsageError(
            f"{source}: labels {_some(unknown)} are not among the model's classes "
            f"{_some(model.classes_.tolist())}; if the labels are in another "
            "column, pass --label-column (-1: the last)"
        )


def _some(values, n=10):
    shown = ", ".join(map(repr, values[:n]))
    return f"[{shown}{', ...' if len(values) > n else ''}]"


def predict(args):
    """Write the predicted labels as a CSV file with one column, ``label``."""
    _check_outputs([args.model, args.input], [args.output])
    model = load_model(args.model)
    if args.label_column is None:
        X = read_pixels(args.input, model.n_features_in_)
    else:
        X = read_data(args.input, args.label_column).test_part()[0]
    _check_n_features(X, args.input, model.n_features_in_)
    labels = model.predict(X)
    text = "label\n" + "".join(f"{label}\n" for label in labels)
    _persistence.write_atomically(args.output, text.encode())
    print(f"predicted {len(labels)} labels: {args.output}")


def _check_n_features(X, source, n_features, owner="the model was trained on"):
    if X.shape[1] != n_features:
        raise UsageError(
            f"{source}: images of {X.shape[1]} pixels, but {owner} {n_features}"
        )


def export(args):
    """Write a saved model as an ONNX file, atomically (no half-written file)."""
    try:
        from . import onnx as tinynn_onnx
    except ImportError as exc:
        raise UsageError(f"export: {exc}") from exc
    _check_opset(args.target_opset)
    _check_outputs([args.model], [args.output])
    model = load_model(args.model)
    dtype = np.float64 if args.float64 else np.float32
    onx = tinynn_onnx.to_onnx(
        model,
        np.zeros((1, model.n_features_in_), dtype),
        target_opset=args.target_opset,
    )
    output = Path(args.output)
    content = onx.SerializeToString()
    _persistence.write_atomically(output, content)
    print(
        f"exported {args.model} to {output}: {len(content)} bytes, input X "
        f"{np.dtype(dtype).name} of shape (N, {model.n_features_in_})"
    )


def _check_opset(opset):
    from skl2onnx import get_latest_tested_opset_version

    latest = get_latest_tested_opset_version()
    if opset is not None and not 9 <= opset <= latest:
        raise UsageError(
            f"--target-opset {opset}: expected an ONNX opset from 9 to {latest} "
            "(the newest that the installed skl2onnx supports)"
        )


def _check_outputs(inputs, outputs):
    """Refuse outputs that are one of the inputs or cannot be written."""
    for output in filter(None, outputs):
        path = Path(output)
        for source in filter(None, inputs):
            # Names such as "digits" are no files; links and hard links are.
            if path.exists() and Path(source).exists() and path.samefile(source):
                raise UsageError(
                    f"{output}: is also an input of this command; refusing to "
                    "write over it"
                )
        if path.is_dir():
            raise UsageError(f"{output}: is a directory; expected a file name")
        if not path.parent.is_dir():
            raise UsageError(f"{output}: no such directory {path.parent}")
        _check_directory(path.parent)


def _check_directory(directory):
    """The directory, or its nearest existing parent, must be writable."""
    path = Path(directory).absolute()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        raise UsageError(f"{directory}: cannot write into {existing}")


# ------------------------------------------------------------------ report


def _check_report_dependencies():
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            '--report needs matplotlib: pip install "sklearn-tinynn[plot]"'
        ) from exc


def write_report(model, X_test, y_test, directory, source=""):
    """Draw the loss curve, hidden units, misclassified images, confusion matrix.

    ``source`` names the data (``fashion-mnist`` titles the pictures with the
    names of the articles).

    Returns
    -------
    paths : list of Path
        The PNG files written into ``directory``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    from . import plotting

    shape = _image_shape(X_test.shape[1])
    labels = np.union1d(y_test, model.predict(X_test))
    names = _label_names(source, labels)
    displays = {
        "loss_curve": plotting.LossCurveDisplay.from_estimator(model),
        "hidden_units": plotting.HiddenUnitsDisplay.from_estimator(
            model, image_shape=shape
        ),
        "misclassified": plotting.MisclassifiedDisplay.from_estimator(
            model, X_test, y_test, image_shape=shape, display_labels=names
        ),
        "confusion_matrix": ConfusionMatrixDisplay.from_estimator(
            model,
            X_test,
            y_test,
            display_labels=names,
            xticks_rotation="vertical" if max(map(len, names)) > 2 else "horizontal",
        ),
    }
    Path(directory).mkdir(parents=True, exist_ok=True)
    paths = []
    for name, display in displays.items():
        path = Path(directory, f"{name}.png")
        png = io.BytesIO()
        display.figure_.savefig(png, format="png", dpi=100, bbox_inches="tight")
        _persistence.write_atomically(path, png.getvalue())
        plt.close(display.figure_)
        paths.append(path)
    return paths


def _image_shape(n_pixels):
    """Square images: (side, side); otherwise the plotting module's own rule."""
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else None


# ------------------------------------------------------------------ parsing


def make_parser():
    """The argument parser of the commands."""
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_train_parser(commands)
    evaluate_parser = commands.add_parser(
        "evaluate", help="score a saved model on labelled data"
    )
    evaluate_parser.add_argument("--model", required=True, help="a .skops file")
    evaluate_parser.add_argument("--test", required=True, help="data source")
    _add_label_column(evaluate_parser)
    predict_parser = commands.add_parser(
        "predict", help="write a saved model's predictions as CSV"
    )
    predict_parser.add_argument("--model", required=True, help="a .skops file")
    predict_parser.add_argument(
        "--input", required=True, help="data source, or a CSV of pixels only"
    )
    predict_parser.add_argument("--output", required=True, help="CSV file to write")
    predict_parser.add_argument(
        "--label-column",
        type=int,
        help="index of a label column to ignore in a CSV file; -1 for the last "
        "(default: a CSV of pixels only, or a label in column 0)",
    )
    _add_export_parser(commands)
    return parser


def _add_export_parser(commands):
    parser = commands.add_parser(
        "export", help="write a saved model as an ONNX file (onnxruntime)"
    )
    parser.add_argument("--model", required=True, help="a .skops file")
    parser.add_argument("--output", required=True, help="ONNX file to write")
    parser.add_argument(
        "--float64",
        action="store_true",
        help="float64 input and arithmetic (default: float32, the fastest)",
    )
    parser.add_argument(
        "--target-opset",
        type=_positive_int,
        help="ONNX opset of the graph (default: the newest skl2onnx supports)",
    )


def _add_label_column(parser):
    parser.add_argument(
        "--label-column",
        type=int,
        default=0,
        help="index of the label column in CSV files; -1 for the last (default: 0)",
    )


def _add_train_parser(commands):
    parser = commands.add_parser(
        "train",
        help="train a model and print its test accuracy",
        description="Data sources: a CSV file (label, then pixels 0-255), a "
        "directory of MNIST IDX files, or digits, mnist, mnist-sample, fashion-mnist.",
    )
    parser.add_argument("--train", required=True, help="data source")
    parser.add_argument(
        "--test",
        help="data source; default: the source's test split, or a hold-out",
    )
    parser.add_argument(
        "--test-size",
        type=_fraction,
        default=0.25,
        help="fraction held out for testing when there is no test data (default: 0.25)",
    )
    _add_label_column(parser)
    parser.add_argument("--preset", choices=sorted(PRESETS), help=_preset_help())
    hyper = parser.add_argument_group(
        "hyperparameters (default: TwoLayerNNClassifier's, or the preset's)"
    )
    hyper.add_argument("--hidden", type=_positive_int, help="hidden units")
    hyper.add_argument("--activation", choices=["relu", "tanh", "logistic", "identity"])
    hyper.add_argument("--solver", choices=["adam", "sgd", "gd", "lbfgs"])
    hyper.add_argument(
        "--learning-rate", type=_positive_float, help="initial step size"
    )
    hyper.add_argument(
        "--schedule",
        choices=["constant", "invscaling", "adaptive"],
        help="learning-rate schedule of sgd and gd",
    )
    hyper.add_argument("--max-iter", type=_positive_int, help="epochs")
    hyper.add_argument("--batch-size", type=_positive_int)
    hyper.add_argument("--alpha", type=_nonnegative_float, help="L2 penalty")
    hyper.add_argument("--tol", type=_nonnegative_float)
    hyper.add_argument("--n-iter-no-change", type=_positive_int)
    hyper.add_argument(
        "--early-stopping",
        action="store_true",
        default=None,
        help="stop when the score on a validation split stops improving",
    )
    hyper.add_argument("--validation-fraction", type=_fraction)
    hyper.add_argument("--random-state", type=int, default=0, help="(default: 0)")
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda", "mps"],
        help="train with PyTorch on this device (needs torch and SCIPY_ARRAY_API=1"
        "); the model is saved as NumPy",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--save", metavar="FILE", help="save the model (skops)")
    output.add_argument(
        "--report", metavar="DIR", help="write PNG pictures of the model to DIR"
    )
    output.add_argument(
        "--progress",
        choices=["text", "rich", "none"],
        default="text",
        help="progress display on stderr; rich is scikit-learn's ProgressBar "
        "(scikit-learn >= 1.9 with rich) (default: text)",
    )


def _preset_help():
    notebook = ", ".join(f"{k}={v}" for k, v in PRESETS["notebook"].items())
    return f"notebook: the original 784-10-10 network ({notebook}); options override"


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _nonnegative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text}")
    return value


_COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "export": export}


def main(argv=None):
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` means ``sys.argv[1:]``. No arguments run the
        demo: ``train --train mnist-sample --learning-rate 0.01 --early-stopping``.

    Returns
    -------
    code : int
        0 on success; 2 for bad arguments, missing files, unusable data,
        too little memory or a diverged fit, 130 for Ctrl-C, after one line
        on stderr.

    Examples
    --------
    >>> from sklearn_tinynn._cli import main
    >>> main(["train", "--train", "digits", "--solver", "lbfgs", "--max-iter", "50",
    ...       "--progress", "none"])  # doctest: +ELLIPSIS
    train: digits, 1347 images of 64 pixels
    test: a stratified 25% hold-out (450 images)
    test accuracy: 0.9...
    0
    """
    argv = sys.argv[1:] if argv is None else argv
    args = make_parser().parse_args(argv or DEMO_ARGS)
    try:
        _COMMANDS[args.command](args)
    except (UsageError, OSError, ValueError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        # NumPy's message says how much was asked for.
        detail = _one_line(exc) or "an allocation failed"
        print(f"{PROG}: error: out of memory: {detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def _one_line(exc):
    return " ".join(str(exc).split())
