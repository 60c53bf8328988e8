"""The command line: ``python -m sklearn_tinynn`` and ``sklearn-tinynn``.

Without arguments it trains on the 5,000 MNIST digits bundled with the package
and prints the test accuracy. ``train``, ``evaluate`` and ``predict`` work on CSV
files, IDX directories and the named data sets ``digits``, ``mnist``,
``mnist-sample`` and ``fashion-mnist``. Pixels are divided by the largest value
their format can hold, so that the network sees [0, 1]: 255 for the 8-bit
MNIST-style formats, 16 for scikit-learn's digits. ``export`` writes a saved
model as an ONNX file (needs ``pip install "sklearn-tinynn[onnx]"``).
``lr-find`` runs the learning-rate range test and suggests a
``--learning-rate-init``. Bad
arguments, missing files and malformed data end with one line on stderr and
exit code 2; Ctrl-C with one line and exit code 130, leaving no output file
behind.
"""

import argparse
import contextlib
import csv
import io
import math
import os
import re
import signal
import stat
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError

from . import _persistence, _report, datasets
from ._activations import HIDDEN_ACTIVATIONS
from ._array_api import move_to
from ._checkpoints import Checkpoint, latest_checkpoint
from ._classifier import TwoLayerNNClassifier
from ._lr_finder import lr_range_test
from ._network import fit_memory, rows_per_step
from ._progress import TextProgressBar

PROG = "sklearn-tinynn"

# The command run without arguments: the README's demo, a few seconds on the
# bundled MNIST sample (4,000 images to train, 1,000 to test).
DEMO_ARGS = ["train", "--train", "mnist-sample", "--learning-rate-init", "0.01"]

# The original notebook: 784 -> 10 (ReLU) -> 10 (softmax), full-batch gradient
# descent with learning rate 0.1 for 500 iterations, no penalty, no early stop.
PRESETS = {
    "notebook": {
        "hidden_layer_size": 10,
        "activation": "relu",
        "solver": "gd",
        "learning_rate_init": 0.1,
        "max_iter": 500,
        "alpha": 0.0,
        "early_stopping": False,
    },
    # The accurate recipe (docs/practical.rst, "An accurate preset"): one wide
    # hidden layer, regularized by dropout of its units and of the inputs and
    # a small L2 penalty, Adam on minibatches of 256 with a cosine decay of
    # its step over all the epochs (no early stopping: every image trains,
    # and the stopping rule never ends the cycle early); float32, train's
    # default. Its epochs: see PRESET_MIN_STEPS.
    "accurate": {
        "hidden_layer_size": 2048,
        "activation": "relu",
        "solver": "adam",
        "learning_rate_init": 1e-3,
        "learning_rate": "cosine",
        "dropout": 0.5,
        "input_dropout": 0.15,
        "alpha": 1e-3,
        "batch_size": 256,
        "early_stopping": False,
        "max_iter": 100,
        "n_iter_no_change": 100,
    },
}
# A preset's least number of steps (minibatches): on data too few for them
# in its max_iter epochs, train runs as many more epochs as they take (and
# no stopping rule cuts them short), unless --max-iter is given. 100 epochs
# of Fashion-MNIST's 60,000 images are 23,500 steps of 256; the MNIST
# sample's 4,000 digits take 16 per epoch, so 313 epochs.
PRESET_MIN_STEPS = {"accurate": 5000}

# train's defaults where they differ from TwoLayerNNClassifier's (see --help);
# random_state 0 also draws the hold-out.
TRAIN_DEFAULTS = {"early_stopping": True, "random_state": 0}

# The estimator's parameters that train sets from flags of the same names
# (--learning-rate-init sets learning_rate_init).
_PARAMETERS = (
    "hidden_layer_size",
    "activation",
    "solver",
    "alpha",
    "batch_size",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "max_iter",
    "shuffle",
    "random_state",
    "tol",
    "momentum",
    "nesterovs_momentum",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "max_fun",
    "class_weight",
    "init",
    "dropout",
    "input_dropout",
    "scoring",
    "warmup_iter",
)

_SCHEDULES = ("constant", "invscaling", "adaptive", "cosine", "plateau")


class UsageError(Exception):
    """A bad argument, a missing file or unusable data: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass
class LoadedData:
    """Images scaled to [0, 1] and labels; ``X_test`` is None without a test part.

    ``class_names`` names label ``i`` where the data set has names (Fashion-MNIST).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = None
    y_test: np.ndarray = None
    class_names: tuple = None

    def test_part(self):
        """The test split when the source has one (IDX, MNIST), else everything."""
        if self.X_test is None:
            return self.X, self.y
        return self.X_test, self.y_test


# ------------------------------------------------------------------ data


def read_data(source, label_column="auto", dtype=np.float32):
    """Load a CSV file, an IDX directory, or a data set by name.

    The names: ``digits`` (scikit-learn's), ``mnist`` (OpenML's),
    ``mnist-sample`` (the 5,000 digits bundled with the package, split into
    its 'train' and 'test' subsets) and ``fashion-mnist``.

    Parameters
    ----------
    source : str
        A path, or one of the names.
    label_column : int or 'auto', default='auto'
        Index of the label column of a CSV file (-1: last); 'auto' detects
        the first or the last (see :func:`sklearn_tinynn.datasets.load_mnist_csv`).
    dtype : numpy dtype, default=np.float32
        The dtype of the scaled pixels.

    Returns
    -------
    data : LoadedData
        The images in [0, 1], and the labels.

    Examples
    --------
    >>> from sklearn_tinynn._cli import read_data
    >>> data = read_data("digits")
    >>> data.X.shape, float(data.X.max()), data.X.dtype, data.X_test is None
    ((1797, 64), 1.0, dtype('float32'), True)
    """
    if source == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return LoadedData("digits", (X / 16).astype(dtype), y)
    if source == "mnist":
        X, y, X_test, y_test = _fetch_mnist()
        return LoadedData(source, _scale(X, dtype), y, _scale(X_test, dtype), y_test)
    if source == "mnist-sample":
        return _split_data(source, datasets.load_mnist_sample, dtype)
    if source == "fashion-mnist" or _is_fashion_mnist_folder(source):
        data_home = None if source == "fashion-mnist" else source
        try:
            return _split_data(
                source, partial(datasets.load_fashion_mnist, data_home), dtype
            )
        except FileNotFoundError as exc:
            raise UsageError(f"{source}: {exc}") from exc
    path = Path(source)
    if path.is_dir():
        return _split_data(source, partial(datasets.load_mnist_idx, path), dtype)
    if not path.is_file():
        raise UsageError(
            f"{source}: no such file or directory; expected a CSV file, a directory "
            "of IDX files, or one of the names digits, mnist, mnist-sample, "
            "fashion-mnist"
        )
    X, y = datasets.load_mnist_csv(path, label_column=label_column, n_pixels="auto")
    return LoadedData(source, _scale(X, dtype), y)


def _is_fashion_mnist_folder(source):
    home = Path(datasets.FASHION_MNIST_HOME)
    return Path(source).is_dir() and home.is_dir() and Path(source).samefile(home)


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


def _split_data(name, load, dtype):
    """Both subsets of a ``load_*`` loader, which must hold images of one size."""
    train, test = load(subset="train"), load(subset="test")
    if train.data.shape[1] != test.data.shape[1]:
        raise UsageError(
            f"{name}: the test split's images have {test.data.shape[1]} pixels, "
            f"the training split's {train.data.shape[1]}; expected one image size"
        )
    names = train.target_names
    class_names = tuple(names.tolist()) if names.dtype.kind in "US" else None
    return LoadedData(
        name,
        _scale(train.data, dtype),
        train.target,
        _scale(test.data, dtype),
        test.target,
        class_names,
    )


def _scale(pixels, dtype=np.float32):
    """8-bit pixels 0-255 -> ``dtype`` in [0, 1]."""
    return pixels.astype(dtype) / dtype(255)


def read_pixels(source, n_features):
    """Images to predict: any data source, or a CSV of pixels only.

    A CSV file whose rows have exactly ``n_features`` cells holds pixels only
    (integers 0-255, optionally under a header line, read by the loaders' own
    rules); any other source is read by :func:`read_data` and its labels are
    ignored. Returns the source's data (the images as ``X_test`` of a
    :class:`LoadedData`).
    """
    path = Path(source)
    if path.is_file() and datasets.count_csv_columns(path) == n_features:
        X = _scale(datasets.load_pixels_csv(path, n_pixels=n_features))
        return LoadedData(source, X, None)
    return read_data(source)


# ------------------------------------------------------------------ models


def load_model(path):
    """Load a model saved by ``train --save`` (or a Pipeline saved by
    :func:`sklearn_tinynn.save`) with :func:`sklearn_tinynn.load`.

    Only ``TwoLayerNNClassifier``, and a Pipeline of scikit-learn's trusted
    transformers ending in one, are trusted, by their exact names; the file's
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
    """The classifier: train's defaults, the preset, then every flag given.

    Its parameters are checked by the estimator's own constraints; an invalid
    value is a :class:`UsageError` that names the flag.
    """
    params = {**TRAIN_DEFAULTS, **PRESETS.get(args.preset, {})}
    for name in _PARAMETERS:
        value = getattr(args, name, None)
        if value is not None:
            params[name] = value
    model = TwoLayerNNClassifier(**params)
    try:
        model._validate_params()
    except (TypeError, ValueError) as exc:
        raise UsageError(_name_the_flag(str(exc))) from exc
    return model


def resumed_model(args):
    """The model of ``train --resume``: the checkpoint, to go on fitting.

    Its parameters are those it was saved with; of the hyperparameter flags
    only ``--max-iter`` may be given (the fit then runs up to that many
    epochs in all).
    """
    path = Path(args.resume)
    if path.is_dir():
        path = latest_checkpoint(path)
        if path is None:
            raise UsageError(f"--resume {args.resume}: no epoch_NNNN.skops file there")
    model = load_model(path)
    if type(model) is not TwoLayerNNClassifier or "_resume" not in vars(model):
        raise UsageError(
            f"--resume {path}: not a checkpoint of an unfinished fit (a file that "
            "train --checkpoint saves before the last epoch); train anew instead"
        )
    flags = [_flag(name) for name in _PARAMETERS if getattr(args, name) is not None]
    flags += ["--preset"] if args.preset is not None else []
    flags += ["--float64"] if args.float64 else []
    if set(flags) - {"--max-iter"}:
        raise UsageError(
            f"--resume goes on with the checkpoint's own parameters: drop "
            f"{', '.join(sorted(set(flags) - {'--max-iter'}))} (only --max-iter "
            "may change)"
        )
    if not isinstance(model.random_state, int):
        raise UsageError(
            f"--resume {path}: its random_state={model.random_state!r} is not an "
            "integer, which train needs to draw the same hold-out test split"
        )
    if args.max_iter is not None:
        model.set_params(max_iter=args.max_iter)
    return model.set_params(warm_start=True)


def _name_the_flag(message):
    """Rewrite scikit-learn's "The 'x' parameter of ..." into "argument --x: ..."."""
    match = re.match(r"The '(\w+)' parameter of \w+ (must be .*)", message, re.S)
    if match is None:
        return message
    return f"argument {_flag(match.group(1))}: {match.group(2)}"


def _flag(parameter):
    return "--" + parameter.replace("_", "-")


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
    model, dtype = _model_to_train(args)
    inputs = [args.train, args.test, args.validation]
    _check_outputs(inputs, {"--save": args.save}, stream=False)
    if args.report is not None:
        _needs_matplotlib("--report")
        _check_report_directory(args.report, args.save)
    data = read_data(args.train, args.label_column, dtype)
    X, y = data.X, data.y
    X, y, X_test, y_test, test_name = _test_split(data, args, dtype)
    if args.report is not None and _square_image_shape(X.shape[1]) is None:
        raise UsageError(
            f"--report draws images as squares, but {args.train} has images of "
            f"{X.shape[1]} pixels, not a square number"
        )
    validation = _validation_data(model, X, y, args, dtype)
    _fit_the_data(model, y, args, validation)
    _check_memory(model, X, y)
    print(
        f"train: {data.name}, {len(y)} images of {X.shape[1]} pixels, "
        f"in {np.dtype(dtype).name}"
        + ("" if args.float64 else " (--float64: in float64)")
    )
    print(f"test: {test_name}")
    if validation is not None:
        print(f"validation: {args.validation} ({len(validation[1])} images)")
    start = time.perf_counter()
    callbacks = [progress_callback(args.progress)]
    if args.checkpoint is not None:
        callbacks.append(Checkpoint(args.checkpoint, every=args.checkpoint_every))
    _fit(model, X, y, callbacks, args.device, validation)
    fit_seconds = time.perf_counter() - start
    if args.device is not None:
        # Weights on a device become NumPy: tested, saved and reported on the
        # host, usable on a machine without that device.
        model = move_to(model, "numpy")
    print(f"test accuracy: {model.score(X_test, y_test):.4f}")
    if args.save is not None:
        # Through a symbolic link, the file it points to is replaced.
        _persistence.save(model, os.path.realpath(args.save))
        print(f"saved: {args.save}")
    if args.report is not None:
        source = args.test if args.test is not None else args.train
        paths = write_report(model, X_test, y_test, args.report, source, fit_seconds)
        for path in paths:
            print(f"report: {path}")


def _model_to_train(args):
    """The model, new or resumed, and the dtype to read the data in."""
    if args.checkpoint_every < 1:
        raise UsageError(
            f"argument --checkpoint-every: {args.checkpoint_every} is not a "
            "positive number of epochs"
        )
    if args.resume is not None:
        model = resumed_model(args)
        dtype = model.coefs_[0].dtype.type
    else:
        model = build_model(args)
        dtype = np.float64 if args.float64 else np.float32
    # The hold-out test split is drawn with the model's random_state.
    args.random_state = model.random_state
    return model, dtype


def lr_find(args):
    """The learning-rate range test on the training data: print its curve and
    the suggested --learning-rate-init; draw it if asked."""
    model = build_model(args)
    _check_outputs([args.train], {"--plot": args.plot}, stream=False)
    if args.plot is not None:
        _needs_matplotlib("--plot")
    dtype = np.float64 if args.float64 else np.float32
    data = read_data(args.train, args.label_column, dtype)
    print(f"train: {data.name}, {len(data.y)} images of {data.X.shape[1]} pixels")
    try:
        result = lr_range_test(
            model, data.X, data.y, min_lr=args.min_lr, max_lr=args.max_lr,
            n_steps=args.n_steps,
        )  # fmt: skip
    except InvalidParameterError as exc:  # --min-lr, --max-lr, --n-steps
        raise UsageError(_name_the_flag(str(exc))) from exc
    print("learning rate  smoothed loss")
    every = max(1, len(result.losses) // 20)
    for rate, loss in zip(result.learning_rates[::every], result.losses[::every]):
        print(f"{rate:13.3g}  {loss:.4f}")
    stop = "diverged, stopped" if result.diverged else "ran all steps"
    print(f"{stop} at {result.learning_rates[-1]:.3g}")
    print(
        f"suggested: --learning-rate-init {result.suggestion:.3g} (a tenth of the "
        f"rate of the lowest loss; the steepest descent is at {result.steepest:.3g})"
    )
    if args.plot is not None:
        _plot_range_test(result, args.plot)


def _plot_range_test(result, path):
    import matplotlib.pyplot as plt

    from .plotting import LearningRateFinderDisplay

    display = LearningRateFinderDisplay(
        result.learning_rates, result.losses, raw_losses=result.raw_losses,
        suggestion=result.suggestion,
    ).plot()  # fmt: skip
    image = io.BytesIO()
    display.figure_.savefig(image, format="png")
    plt.close(display.figure_)
    _write_output(path, image.getvalue())
    print(f"plot: {path}")


def _test_split(data, args, dtype):
    """X, y, X_test, y_test and a description of the test images."""
    X, y = data.X, data.y
    if args.test is not None:
        X_test, y_test = read_data(args.test, args.test_label_column, dtype).test_part()
        _check_n_features(X_test, args.test, X.shape[1], f"{args.train} has")
        _warn_about_labels(np.unique(y), y_test, args.test, "--test-label-column")
        return X, y, X_test, y_test, f"{args.test} ({len(y_test)} images)"
    if data.X_test is not None:
        test_name = f"the test split of {data.name} ({len(data.y_test)} images)"
        return X, y, data.X_test, data.y_test, test_name
    try:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
        )
    except ValueError as exc:
        raise UsageError(f"{args.train}: cannot hold out a test split ({exc})") from exc
    test_name = f"a stratified {args.test_size:.0%} hold-out ({len(y_test)} images)"
    return X, y, X_test, y_test, test_name


def _validation_data(model, X, y, args, dtype):
    """``(X_val, y_val)`` read from ``--validation`` (its test part, as
    ``--test`` reads), or None; early stopping then stops on it."""
    if args.validation is None:
        return None
    if args.early_stopping is False:
        raise UsageError(
            "--validation is the set early stopping stops on: drop "
            "--no-early-stopping, or --validation"
        )
    model.set_params(early_stopping=True)
    data = read_data(args.validation, args.validation_label_column, dtype)
    X_val, y_val = data.test_part()
    _check_n_features(X_val, args.validation, X.shape[1], f"{args.train} has")
    return X_val, y_val


def _fit_the_data(model, y, args, validation):
    """Train's choices that follow the training data, for a new model (a
    resumed one goes on with its own): early stopping off where the data are
    too few for it, the preset's epochs."""
    if args.resume is not None:
        return
    if validation is None:
        _default_early_stopping(model, y, args)
    preset_epochs(model, len(y), args)


def _default_early_stopping(model, y, args):
    """Train's early stopping by default, off where the data are too few for it.

    The stratified validation split needs a sample of each class on both sides.
    """
    if args.early_stopping is not None or not model.early_stopping:
        return
    n_samples, n_classes = len(y), len(np.unique(y))
    n_validation = math.ceil(model.validation_fraction * n_samples)
    if min(n_validation, n_samples - n_validation) < max(n_classes, 2):
        model.set_params(early_stopping=False)
        print(
            f"{PROG}: note: early stopping off: {n_samples} training images are "
            f"too few for a validation split of {model.validation_fraction:g} "
            f"holding each of {n_classes} classes",
            file=sys.stderr,
        )


def preset_epochs(model, n_samples, args):
    """The preset's epochs for ``n_samples`` training images: its ``max_iter``,
    or more where they make fewer than its ``PRESET_MIN_STEPS`` steps (with
    ``n_iter_no_change`` as many, so that the stopping rule never ends the
    cosine cycle early). ``--max-iter`` keeps its value; a note says so.
    """
    min_steps = PRESET_MIN_STEPS.get(args.preset)
    if min_steps is None or getattr(args, "max_iter", None) is not None:
        return
    rows = rows_per_step(model.solver, model.batch_size, n_samples)
    steps_per_epoch = math.ceil(n_samples / rows)
    epochs = math.ceil(min_steps / steps_per_epoch)
    if epochs <= model.max_iter:
        return
    model.set_params(max_iter=epochs)
    if getattr(args, "n_iter_no_change", None) is None:
        model.set_params(n_iter_no_change=epochs)
    print(
        f"{PROG}: note: --preset {args.preset}: {epochs} epochs, for its "
        f"{min_steps} steps of {steps_per_epoch} per epoch on {n_samples} "
        "training images (--max-iter sets the epochs)",
        file=sys.stderr,
    )


def _warn_about_labels(classes, y, source, flag):
    """Warn when labels look read from the wrong column: classes never seen in
    training, or nearly all one class (as an image's edge pixel is)."""
    known = set(np.asarray(classes).tolist())
    values, counts = np.unique(y, return_counts=True)
    unseen = [label for label in values.tolist() if label not in known]
    hint = f"if the labels are in another column, pass {flag} (-1: the last)"
    if unseen:
        problem = (
            f"labels {_some(unseen)} are not among the training classes "
            f"{_some(sorted(known))}"
        )
    elif len(known) > 2 and len(y) >= 20 and counts.max() > 0.9 * len(y):
        problem = (
            f"{counts.max() / len(y):.0%} of the labels are "
            f"{values[counts.argmax()].item()!r}, while training saw {len(known)} "
            "classes"
        )
    else:
        return
    print(f"{PROG}: warning: {source}: {problem}; {hint}", file=sys.stderr)


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
        params["dropout"],
        params["input_dropout"],
    )
    if needed > available:
        raise UsageError(
            f"--hidden {hidden}: the network needs about {needed / 2**30:.1f} GiB "
            f"for {n_samples} images of {n_features} pixels, more than the "
            f"{available / 2**30:.1f} GiB of this machine; use fewer hidden units"
        )


def _fit(model, X, y, callbacks, device=None, validation=None):
    """Fit with the callbacks (None for none), on a torch ``device`` if one is
    given, early stopping on ``validation`` = ``(X_val, y_val)`` if given;
    warnings become one-line notes.

    ``fit`` answers Ctrl-C by stopping and keeping the weights so far (as
    MLPClassifier does); here it is raised again, so that the half-trained
    model is neither scored nor saved.
    """
    model.set_callbacks(*(callback for callback in callbacks if callback is not None))
    with warnings.catch_warnings(record=True) as caught, _noticing_interrupts() as seen:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fit_params = {}
            if validation is not None:
                fit_params = {"X_val": validation[0], "y_val": validation[1]}
            if device is None:
                model.fit(X, y, **fit_params)
            else:
                X = _torch_input(X, device)
                if validation is not None:
                    fit_params["X_val"] = _torch_input(validation[0], device)
                with _array_api_dispatch(device):
                    model.fit(X, y, **fit_params)
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
    data = read_data(args.test, args.label_column)
    X, y = data.test_part()
    _check_n_features(X, args.test, model.n_features_in_)
    _check_labels(model, y, args.test)
    _warn_about_labels(model.classes_, y, args.test, "--label-column")
    y_pred = model.predict(X)
    print(f"accuracy: {np.mean(y_pred == y):.4f} on {len(y)} images of {args.test}")
    print()
    labels = np.union1d(model.classes_, y)
    names = _class_names_of(args.test, labels, data.class_names)
    print(
        classification_report(
            y, y_pred, labels=labels, target_names=names, digits=4, zero_division=0
        )
    )
    print("confusion matrix (rows: true label, columns: predicted label)")
    print(_format_matrix(confusion_matrix(y, y_pred, labels=labels), names))


def _class_names_of(source, labels, class_names=None):
    """The labels' names: the data set's (Fashion-MNIST's articles), or as text."""
    if class_names is None and (
        source == "fashion-mnist" or _is_fashion_mnist_folder(source)
    ):
        class_names = datasets.FASHION_MNIST_CLASSES
    if class_names is not None and set(labels.tolist()) <= set(range(len(class_names))):
        return [class_names[label] for label in labels]
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
    """Write the predicted labels, or with ``--proba`` the probabilities, as CSV.

    Labels: a column ``label``, and ``name`` where the data set names its
    classes. Probabilities: one column per class, named by the class.
    """
    _check_outputs([args.model, args.input], {"--output": args.output})
    model = load_model(args.model)
    if args.label_column is None:
        data = read_pixels(args.input, model.n_features_in_)
    else:
        data = read_data(args.input, args.label_column)
    X = data.test_part()[0]
    _check_n_features(X, args.input, model.n_features_in_)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = _class_names_of(args.input, model.classes_, data.class_names)
    named = names != [str(label) for label in model.classes_]
    if args.proba:
        writer.writerow(names)
        writer.writerows(np.char.mod("%.6g", model.predict_proba(X)).tolist())
        what = f"probabilities of {len(model.classes_)} classes for {len(X)} images"
    else:
        labels = model.predict(X)
        writer.writerow(["label", "name"] if named else ["label"])
        index = np.searchsorted(model.classes_, labels)
        rows = zip(labels, np.asarray(names)[index]) if named else zip(labels)
        writer.writerows(rows)
        what = f"{len(labels)} labels"
    _write_output(args.output, out.getvalue().encode())
    print(f"predicted {what}: {args.output}")


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
    _check_outputs([args.model], {"--output": args.output})
    model = load_model(args.model)
    dtype = np.float64 if args.float64 else np.float32
    onx = tinynn_onnx.to_onnx(
        model,
        np.zeros((1, model.n_features_in_), dtype),
        target_opset=args.target_opset,
    )
    content = onx.SerializeToString()
    _write_output(args.output, content)
    print(
        f"exported {args.model} to {args.output}: {len(content)} bytes, input X "
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


def _check_outputs(inputs, outputs, stream=True):
    """Refuse outputs that are an input, or that cannot be written as they are.

    ``outputs`` maps flags to paths (None: not given). An output may be a new
    file or a regular file (replaced atomically), or, with ``stream``, a FIFO or
    a character device such as /dev/null (written into); nothing else is ever
    replaced. The directory of a new file must accept one.
    """
    for flag, output in outputs.items():
        if output is None:
            continue
        for source in filter(None, inputs):
            # Names such as "digits" are no files; links and hard links are.
            if (
                os.path.exists(output)
                and Path(source).exists()
                and Path(output).samefile(source)
            ):
                raise UsageError(
                    f"{flag} {output}: is also an input of this command; "
                    "refusing to write over it"
                )
        kind = _file_kind(output)
        if kind is None:
            _probe_directory(Path(os.path.realpath(output)).parent, flag, output)
        elif kind != "a regular file" and not (stream and kind in _STREAMS):
            accepted = "a regular file" + (", a FIFO or a character device" * stream)
            raise UsageError(
                f"{flag} {output}: is {kind}; expected {accepted} or a new file "
                "name, and refusing to replace it"
            )


# What an output may be besides a regular file: written into, never replaced.
_STREAMS = ("a FIFO", "a character device")


def _file_kind(path):
    """What ``path`` is (through symbolic links): None if nothing, else a phrase."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:  # a dangling link too: its target would be created
        return None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from exc
    for test, kind in [
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]:
        if test(mode):
            return kind
    return "not a regular file"


def _write_output(path, content):
    """Write ``content`` (bytes): atomically over a regular file or a new one,
    straight into a FIFO or a character device, through symbolic links."""
    real = os.path.realpath(path)
    if _file_kind(real) in _STREAMS:
        with open(real, "wb") as file:
            file.write(content)
    else:
        _persistence.write_atomically(real, content)


def _probe_directory(directory, flag, output):
    """Create and remove a file in ``directory``: the one sure test of writing."""
    if not Path(directory).is_dir():
        raise UsageError(f"{flag} {output}: no such directory {directory}")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".sklearn-tinynn-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{flag} {output}: cannot write into {directory} ({exc.strerror})"
        ) from exc


def _check_report_directory(directory, save):
    """The report's folder: a folder or a new name, other than --save's file,
    whose nearest existing parent accepts a new folder."""
    path = Path(os.path.realpath(directory))
    if save is not None and path == Path(os.path.realpath(save)):
        raise UsageError(
            f"--report {directory}: is also the --save file; give the report a "
            "folder of its own"
        )
    kind = _file_kind(path)
    if kind not in (None, "a directory"):
        raise UsageError(f"--report {directory}: is {kind}; expected a folder")
    existing = next(p for p in (path, *path.parents) if p.exists())
    try:
        Path(tempfile.mkdtemp(dir=existing, prefix=".sklearn-tinynn-")).rmdir()
    except OSError as exc:
        raise UsageError(
            f"--report {directory}: cannot write into {existing} ({exc.strerror})"
        ) from exc


# ------------------------------------------------------------------ report


def _needs_matplotlib(flag):
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f'{flag} needs matplotlib: pip install "sklearn-tinynn[plot]"'
        ) from exc


def write_report(model, X_test, y_test, directory, source="", fit_seconds=None):
    """Write the report of ``train --report``: ``directory/index.html``.

    ``source`` names the data (``fashion-mnist`` names the classes by their
    articles). See :func:`sklearn_tinynn._report.write_report`.

    Returns
    -------
    paths : list of Path
        ``index.html``, then the PNG pictures beside it.
    """
    labels = np.union1d(model.classes_, y_test)
    return _report.write_report(
        model,
        X_test,
        y_test,
        directory,
        data_name=source,
        image_shape=_square_image_shape(X_test.shape[1]),
        class_names=dict(zip(labels.tolist(), _class_names_of(source, labels))),
        fit_seconds=fit_seconds,
    )


def _square_image_shape(n_pixels):
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
    _add_label_column(evaluate_parser, "--label-column", "--test")
    predict_parser = commands.add_parser(
        "predict", help="write a saved model's predictions as CSV"
    )
    predict_parser.add_argument("--model", required=True, help="a .skops file")
    predict_parser.add_argument(
        "--input", required=True, help="data source, or a CSV of pixels only"
    )
    predict_parser.add_argument(
        "--output",
        required=True,
        help="CSV file to write: a column label (and name, for data sets that "
        "name their classes, such as fashion-mnist)",
    )
    predict_parser.add_argument(
        "--proba",
        action="store_true",
        help="write the probabilities instead: one column per class, named by class",
    )
    predict_parser.add_argument(
        "--label-column",
        type=_label_column,
        metavar="{N,auto}",
        help="index of a label column to ignore in a CSV file; -1 for the last, "
        "auto to detect it (default: a CSV of pixels only, or a label detected)",
    )
    _add_export_parser(commands)
    _add_lr_find_parser(commands)
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
        type=_integer,
        help="ONNX opset of the graph (default: the newest skl2onnx supports)",
    )


def _add_lr_find_parser(commands):
    parser = commands.add_parser(
        "lr-find",
        help="run the learning-rate range test and suggest --learning-rate-init",
        description="Trains briefly at learning rates growing from --min-lr to "
        "--max-lr (lr_range_test) with the model the hyperparameter flags give.",
    )
    parser.add_argument("--train", required=True, help="data source")
    _add_label_column(parser, "--label-column", "--train")
    parser.add_argument("--preset", choices=sorted(PRESETS), help=_preset_help())
    parser.add_argument(
        "--float64", action="store_true", help="run it in float64 (default: float32)"
    )
    _add_hyperparameters(parser)
    test = parser.add_argument_group("range test (lr_range_test's parameters)")
    test.add_argument("--min-lr", type=_number, default=1e-6, help="(default: 1e-6)")
    test.add_argument("--max-lr", type=_number, default=1.0, help="(default: 1)")
    test.add_argument("--n-steps", type=_integer, default=100, help="(default: 100)")
    test.add_argument("--plot", metavar="FILE", help="draw the curve as a PNG")


def _add_label_column(parser, flag, source_flag):
    parser.add_argument(
        flag,
        type=_label_column,
        default="auto",
        metavar="{N,auto}",
        help=f"index of the label column of the {source_flag} CSV file; -1 for the "
        "last; auto: the first, or the last where the first looks like an "
        "image's corner pixel (default: auto)",
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
    parser.add_argument(
        "--validation",
        metavar="SOURCE",
        help="data source (read as --test is) that early stopping stops on, in "
        "place of a validation split of the training data; turns early stopping on",
    )
    _add_label_column(parser, "--label-column", "--train")
    _add_label_column(parser, "--test-label-column", "--test")
    _add_label_column(parser, "--validation-label-column", "--validation")
    parser.add_argument("--preset", choices=sorted(PRESETS), help=_preset_help())
    parser.add_argument(
        "--float64",
        action="store_true",
        help="train in float64 (default: float32, half the memory of float64)",
    )
    _add_hyperparameters(parser)
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda", "mps"],
        help="train with PyTorch on this device (needs torch and SCIPY_ARRAY_API=1"
        "); the model is saved as NumPy",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--save", metavar="FILE", help="save the model (skops)")
    output.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="save checkpoints while training: DIR/epoch_NNNN.skops every "
        "--checkpoint-every epochs and DIR/best.skops at each best epoch (the "
        "best validation score, or the lowest training loss without early "
        "stopping); a file saved before the last epoch resumes with --resume",
    )
    output.add_argument(
        "--checkpoint-every",
        metavar="N",
        type=_integer,
        default=10,
        help="epochs between two checkpoints (default: 10)",
    )
    parser.add_argument(
        "--resume",
        metavar="FILE",
        help="continue the fit that a checkpoint (FILE, or the latest "
        "epoch_NNNN.skops of a directory) stopped, on the same --train, --test "
        "and --test-size, with the checkpoint's parameters (only --max-iter may "
        "change): solver adam, sgd or gd; the result is the fit that was not "
        "interrupted, bit for bit",
    )
    output.add_argument(
        "--report",
        metavar="DIR",
        help="write a report on the model to DIR/index.html (needs matplotlib)",
    )
    output.add_argument(
        "--progress",
        choices=["text", "rich", "none"],
        default="text",
        help="progress display on stderr; rich is scikit-learn's ProgressBar "
        "(scikit-learn >= 1.9 with rich) (default: text)",
    )


def _add_hyperparameters(parser):
    """TwoLayerNNClassifier's parameters, as flags of the same names."""
    hyper = parser.add_argument_group(
        "hyperparameters (TwoLayerNNClassifier's parameters of the same names; "
        "default: the estimator's, or the preset's, except as noted)"
    )
    add = hyper.add_argument
    add("--hidden-layer-size", "--hidden", type=_integer, help="hidden units")
    add("--activation", choices=list(HIDDEN_ACTIVATIONS))
    add("--init", choices=["glorot", "he"], help="initial weights' distribution")
    add("--solver", choices=["adam", "sgd", "gd", "lbfgs"])
    add("--learning-rate-init", type=_number, help="initial step size")
    add(
        "--learning-rate",
        type=_schedule,
        metavar="{" + ",".join(_SCHEDULES) + "}",
        help="step-size schedule (the initial step is --learning-rate-init): "
        "invscaling and adaptive for sgd and gd, cosine and plateau for every "
        "solver but lbfgs",
    )
    add(
        "--warmup-iter",
        type=_integer,
        help="epochs of linear warm-up of the step size (default 0: none)",
    )
    add("--power-t", type=_number, help="exponent of the invscaling schedule")
    add("--momentum", type=_number, help="momentum of sgd and gd")
    add("--nesterovs-momentum", action=argparse.BooleanOptionalAction)
    add("--beta-1", type=_number, help="adam's first-moment decay")
    add("--beta-2", type=_number, help="adam's second-moment decay")
    add("--epsilon", type=_number, help="adam's numerical stability term")
    add("--max-iter", type=_integer, help="epochs")
    add("--max-fun", type=_integer, help="lbfgs's most loss evaluations")
    add("--batch-size", type=_batch_size, help="an integer, or auto")
    add("--shuffle", action=argparse.BooleanOptionalAction)
    add("--alpha", type=_number, help="L2 penalty")
    add("--dropout", type=_number, help="probability of dropping a hidden unit")
    add("--input-dropout", type=_number, help="probability of dropping an input")
    add("--class-weight", choices=["balanced"], help="weigh classes by 1 / frequency")
    add("--tol", type=_number)
    add("--n-iter-no-change", type=_integer)
    add(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        help="stop when the score on a validation split stops improving (on by "
        "default here, off in the estimator: without it a default run goes on "
        "training past its best epoch, for longer and to a lower test accuracy; "
        "off by itself, with a note, when the data are too few for a validation "
        "split)",
    )
    add("--validation-fraction", type=_number)
    add(
        "--scoring",
        metavar="NAME",
        help="early stopping's validation score: loss (the validation loss), or "
        "a scikit-learn scorer name such as neg_log_loss (default: accuracy)",
    )
    add(
        "--random-state",
        type=_integer,
        help="also draws the hold-out test split (default here: 0)",
    )


def _preset_help():
    notebook, accurate = (
        ", ".join(f"{k}={v}" for k, v in PRESETS[name].items())
        for name in ("notebook", "accurate")
    )
    return (
        f"notebook: the original 784-10-10 network ({notebook}); accurate: one "
        f"wide hidden layer with dropout ({accurate}; more epochs where these "
        f"make fewer than {PRESET_MIN_STEPS['accurate']} steps); options override"
    )


# Argument types only parse; the estimator's constraints check the values.


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _batch_size(text):
    return text if text == "auto" else _integer(text)


def _label_column(text):
    return text if text == "auto" else _integer(text)


def _schedule(text):
    if text in _SCHEDULES:
        return text
    try:
        float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(_SCHEDULES)}, got {text!r}"
        ) from None
    raise argparse.ArgumentTypeError(
        f"{text} is a step size: pass it as --learning-rate-init {text} "
        "(--learning-rate is the schedule, as in TwoLayerNNClassifier: "
        f"{', '.join(_SCHEDULES)})"
    )


def _fraction(text):
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text}")
    return value


_COMMANDS = {
    "train": train,
    "evaluate": evaluate,
    "predict": predict,
    "export": export,
    "lr-find": lr_find,
}


def main(argv=None):
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` means ``sys.argv[1:]``. No arguments run the
        demo: ``train --train mnist-sample --learning-rate-init 0.01``.

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
    train: digits, 1347 images of 64 pixels, in float32 (--float64: in float64)
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
