"""Checkpoints: a callback that saves the model during a fit, to resume it.

The files are those of :func:`sklearn_tinynn.save`, written atomically: a
crash leaves the previous file whole. A file taken in the middle of a fit
carries the state that finishes it exactly (see ``_fitted.RESUME_KEYS``).
"""

import numbers
from pathlib import Path

from ._persistence import save


class Checkpoint:
    """A callback that saves the model every few epochs and the best one.

    Set it on a :class:`TwoLayerNNClassifier` with ``set_callbacks``; it
    works with scikit-learn's callback API (1.9 and later) and with the
    package's stand-in on older versions. After an epoch (an L-BFGS
    iteration), ``directory/epoch_NNNN.skops`` holds the model when its epoch
    count (the length of its ``loss_curve_``, over all its fits) is a
    multiple of ``every``, and ``directory/best.skops`` the model of the best
    epoch so far: the highest validation score with ``early_stopping``,
    else the lowest training loss. Files are replaced atomically.

    A file saved in the middle of a fit of 'adam', 'sgd' or 'gd' resumes it
    exactly: ``load(file).set_params(warm_start=True).fit(X, y)`` on the same
    data runs the epochs left and gives, bit for bit, the model of the fit
    that was not interrupted (see the user guide, "Checkpoints and resume").

    Parameters
    ----------
    directory : str or path-like
        Where the files go; created when missing.
    every : int or None, default=10
        Save ``epoch_NNNN.skops`` every this many epochs (the number is the
        epoch count, at least four digits); None saves no periodic file.
    save_best : bool, default=True
        Save ``best.skops`` at each epoch that improves on the best.

    Examples
    --------
    >>> import tempfile, pathlib, warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_tinynn import Checkpoint, TwoLayerNNClassifier, load
    >>> X, y = load_iris(return_X_y=True)
    >>> folder = tempfile.mkdtemp()
    >>> clf = TwoLayerNNClassifier(8, max_iter=20, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # max_iter reached
    ...     clf = clf.set_callbacks(Checkpoint(folder, every=10)).fit(X, y)
    >>> sorted(path.name for path in pathlib.Path(folder).iterdir())
    ['best.skops', 'epoch_0010.skops', 'epoch_0020.skops']
    >>> resumed = load(pathlib.Path(folder, "epoch_0010.skops"))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     resumed = resumed.set_params(warm_start=True).fit(X, y)
    >>> resumed.loss_curve_ == clf.loss_curve_, resumed.n_iter_
    (True, 20)
    """

    def __init__(self, directory, every=10, save_best=True):
        self.directory = directory
        self.every = every
        self.save_best = save_best

    def setup(self, estimator, context):
        """Check the parameters and the estimator; create the directory."""
        from ._classifier import TwoLayerNNClassifier

        if not isinstance(estimator, TwoLayerNNClassifier):
            raise TypeError(
                f"Checkpoint saves a TwoLayerNNClassifier, not a "
                f"{type(estimator).__name__}: set it on the classifier itself."
            )
        every = self.every
        if every is not None and not (
            isinstance(every, numbers.Integral)
            and not isinstance(every, bool)
            and every >= 1
        ):
            raise ValueError(f"every={every!r}: expected a positive int or None.")
        if not isinstance(self.save_best, bool):
            raise ValueError(f"save_best={self.save_best!r}: expected True or False.")
        Path(self.directory).mkdir(parents=True, exist_ok=True)

    def teardown(self, estimator, context):
        """Nothing to release: every file is complete when written."""

    def on_fit_task_begin(self, estimator, context):
        """Nothing to do before an epoch."""

    def on_fit_task_end(self, estimator, context):
        """After an epoch, save the files that are due; never stops the fit."""
        if context.task_name != "epoch":
            return False
        epoch = len(estimator.loss_curve_)
        periodic = self.every is not None and epoch % self.every == 0
        best = self.save_best and _improved(estimator)
        if periodic or best:
            model = estimator._checkpoint()
            if periodic:
                save(model, self.path(epoch))
            if best:
                save(model, self.path("best"))
        return False

    def path(self, epoch):
        """The file of an epoch count, or of ``'best'``.

        Parameters
        ----------
        epoch : int or 'best'
            The epoch count of a periodic file, or 'best'.

        Returns
        -------
        path : pathlib.Path
            ``directory/epoch_NNNN.skops`` or ``directory/best.skops``.

        Examples
        --------
        >>> from sklearn_tinynn import Checkpoint
        >>> Checkpoint("runs", every=5).path(20).as_posix()
        'runs/epoch_0020.skops'
        """
        name = "best" if epoch == "best" else f"epoch_{epoch:04d}"
        return Path(self.directory, f"{name}.skops")


def _improved(estimator):
    """Whether the epoch that just ended is the model's best so far: its
    validation score above every earlier one (early stopping), else its
    training loss below every earlier one, over all the model's fits."""
    if estimator.early_stopping and estimator.validation_scores_:
        *before, score = estimator.validation_scores_
        return not before or score > max(before)
    *before, loss = estimator.loss_curve_
    return not before or loss < min(before)


def latest_checkpoint(directory):
    """The ``epoch_NNNN.skops`` file of ``directory`` with the largest count,
    or None when it holds none.

    Parameters
    ----------
    directory : str or path-like
        A directory that a :class:`Checkpoint` writes to.

    Returns
    -------
    path : pathlib.Path or None
    """
    counts = {}
    for path in Path(directory).glob("epoch_*.skops"):
        digits = path.stem.removeprefix("epoch_")
        if digits.isascii() and digits.isdigit():
            counts[int(digits)] = path
    return counts[max(counts)] if counts else None
