"""Training progress: scikit-learn's callback API, and a plain text progress bar.

scikit-learn 1.9 added :mod:`sklearn.callback`: an estimator that inherits
``CallbackSupportMixin`` takes callbacks with ``set_callbacks`` (for example
``ProgressBar()`` or ``ScoringMonitor``), and they follow it into
``GridSearchCV`` and ``Pipeline``. TwoLayerNNClassifier reports one ``fit``
task with one ``epoch`` subtask per epoch (per iteration for 'lbfgs').

On older scikit-learn this module stands in for the little of that API the
estimator uses, enough to drive :class:`TextProgressBar`: callbacks set on the
estimator itself get their ``setup``, ``on_fit_task_begin``, ``on_fit_task_end``
and ``teardown`` hooks called with the estimator and the task only, and nothing
is propagated through meta-estimators.
"""

import functools
import math
import sys
import time

from ._array_api import copies

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = with_callbacks = None

_HOOKS = ("setup", "on_fit_task_begin", "on_fit_task_end", "teardown")


class TextProgressBar:
    """A callback that prints the epoch, loss, validation score and time left.

    It needs neither ``rich`` nor scikit-learn 1.9. On a terminal one line is
    rewritten after each epoch; elsewhere (a log file, a pipe) a line is
    written every tenth of the epochs, and a last one when the fit ends.
    Set it on the TwoLayerNNClassifier itself, also inside a ``Pipeline`` or
    ``GridSearchCV`` (clones share it).

    Parameters
    ----------
    stream : file-like, default=None
        Where to write; ``None`` means ``sys.stderr`` at the time of writing.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> from sklearn_tinynn import TextProgressBar
    >>> X, y = load_iris(return_X_y=True)
    >>> out = io.StringIO()
    >>> clf = TwoLayerNNClassifier(10, solver="lbfgs", max_iter=20, random_state=0)
    >>> clf = clf.set_callbacks(TextProgressBar(out)).fit(X, y)
    >>> print(out.getvalue().splitlines()[-1])  # doctest: +ELLIPSIS
    TwoLayerNNClassifier: epoch 20/20, loss 0.0743, done in ...s
    """

    def __init__(self, stream=None):
        self.stream = stream
        self._start = None

    def setup(self, estimator, context):
        """Nothing to prepare: each fit task starts its own clock."""

    def teardown(self, estimator, context):
        """Nothing to release."""

    def on_fit_task_begin(self, estimator, context):
        """Start the clock when the first epoch begins."""
        if context.task_name == "epoch" and context.task_id == 0:
            self._start = time.perf_counter()

    def on_fit_task_end(self, estimator, context):
        """Write the state after an epoch, and a last line at the end of the fit."""
        if self._start is None:
            return
        if context.task_name == "epoch":
            epoch, total = context.task_id + 1, context.parent.max_subtasks
            if self._is_tty() or (epoch % max(1, total // 10) == 0 and epoch < total):
                self._write(estimator, epoch, total, final=False)
        elif context.task_name == "fit":
            self._write(estimator, estimator.n_iter_, context.max_subtasks, final=True)
            self._start = None

    def _is_tty(self):
        isatty = getattr(self._stream(), "isatty", None)
        return bool(isatty and isatty())

    def _stream(self):
        return sys.stderr if self.stream is None else self.stream

    def _write(self, estimator, epoch, total, final):
        elapsed = time.perf_counter() - self._start
        parts = [f"epoch {epoch}/{total}", f"loss {estimator.loss_curve_[-1]:.4f}"]
        if estimator.validation_scores_:
            parts.append(f"validation score {estimator.validation_scores_[-1]:.4f}")
        if final:
            parts.append(f"done in {elapsed:.1f}s")
        else:
            parts.append(
                f"time left {_format_seconds(elapsed / epoch * (total - epoch))}"
            )
        line = f"{type(estimator).__name__}: " + ", ".join(parts)
        if self._is_tty():
            end = "\n" if final else ""
            self._stream().write(f"\r\x1b[2K{line}{end}")
        else:
            self._stream().write(line + "\n")
        self._stream().flush()


def _format_seconds(seconds):
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    minutes, secs = divmod(math.ceil(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class FitTasks:
    """The callback tasks of one fit: the root ``fit`` and an ``epoch`` per epoch.

    Calls the hooks of the callbacks set on ``estimator`` (none: no-ops). The
    ``fitted_estimator`` given to the hooks that ask for one (ScoringMonitor) is
    a shallow copy of the estimator holding a copy of the current weights.

    Parameters
    ----------
    estimator : TwoLayerNNClassifier
        The estimator being fitted.
    X, y : array-like
        The training data and labels, as given to ``fit``.
    sample_weight : array-like or None
        Passed to the hooks as ``metadata={"sample_weight": ...}``.
    max_epochs : int
        The most epochs (or L-BFGS iterations) this fit can run.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs):
        self._estimator = estimator
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"estimator": estimator, "X": X, "y": y, "metadata": metadata}
        self._root = estimator._init_callback_context(max_subtasks=max_epochs)
        self._root.call_on_fit_task_begin(**self._data)
        self._epoch = None

    def begin_epoch(self):
        """Open the task of the next epoch."""
        self._epoch = self._root.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            **self._data, reconstruction_attributes=self._weights
        )

    def end_epoch(self):
        """Close the epoch's task; True when a callback asks to stop training."""
        return self._epoch.call_on_fit_task_end(
            **self._data, reconstruction_attributes=self._weights
        )

    def end(self):
        """Close the root task."""
        self._root.call_on_fit_task_end(**self._data, reconstruction_attributes={})

    def _weights(self):
        # Called only when a hook asks for fitted_estimator: the optimizers
        # update the weights in place, so the snapshot needs copies.
        return {
            "coefs_": copies(self._estimator.coefs_),
            "intercepts_": copies(self._estimator.intercepts_),
        }


class _PlainCallbackSupport:
    """``set_callbacks`` on scikit-learn < 1.9, which has no sklearn.callback."""

    def set_callbacks(self, *callbacks):
        """Set callbacks for the estimator (see the module's docstring).

        Parameters
        ----------
        *callbacks : callback instances
            Objects with the hooks ``setup``, ``on_fit_task_begin``,
            ``on_fit_task_end`` and ``teardown``; none removes the callbacks.

        Returns
        -------
        self : estimator instance
            The estimator itself.
        """
        for callback in callbacks:
            missing = [hook for hook in _HOOKS if not hasattr(callback, hook)]
            if missing or isinstance(callback, type):
                raise TypeError(
                    f"callbacks must be instances with the hooks {_HOOKS}; "
                    f"{callback!r} is not (missing: {missing})."
                )
        if callbacks:
            self._skl_callbacks = list(callbacks)
        else:
            self.__dict__.pop("_skl_callbacks", None)
        return self

    def _init_callback_context(self, max_subtasks=0):
        self._callback_fit_ctx = _PlainContext("fit", 0, max_subtasks)
        self._skl_callbacks_to_teardown = list(getattr(self, "_skl_callbacks", []))
        for callback in self._skl_callbacks_to_teardown:
            callback.setup(self, self._callback_fit_ctx)
        return self._callback_fit_ctx


def _plain_with_callbacks(method):
    """Call the callbacks' ``teardown`` hooks when ``method`` returns or raises."""

    @functools.wraps(method)
    def wrapper(estimator, *args, **kwargs):
        try:
            return method(estimator, *args, **kwargs)
        finally:
            context = estimator.__dict__.pop("_callback_fit_ctx", None)
            if context is not None:
                for callback in estimator.__dict__.pop("_skl_callbacks_to_teardown"):
                    callback.teardown(estimator, context)

    return wrapper


class _PlainContext:
    """The part of sklearn.callback.CallbackContext that :class:`FitTasks` uses."""

    def __init__(self, task_name, task_id, max_subtasks, parent=None):
        self.task_name = task_name
        self.task_id = task_id
        self.max_subtasks = max_subtasks
        self.parent = parent
        self._n_subtasks = 0

    def subcontext(self, task_name=""):
        child = _PlainContext(task_name, self._n_subtasks, 0, self)
        self._n_subtasks += 1
        return child

    def call_on_fit_task_begin(self, *, estimator, **kwargs):
        for callback in getattr(estimator, "_skl_callbacks", []):
            callback.on_fit_task_begin(estimator, self)
        return self

    def call_on_fit_task_end(self, *, estimator, **kwargs):
        callbacks = getattr(estimator, "_skl_callbacks", [])
        return any(
            [callback.on_fit_task_end(estimator, self) for callback in callbacks]
        )


if CallbackSupportMixin is None:
    CallbackSupportMixin, with_callbacks = _PlainCallbackSupport, _plain_with_callbacks
