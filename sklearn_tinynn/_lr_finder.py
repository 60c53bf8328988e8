"""The learning-rate range test (Smith 2015, "Cyclical Learning Rates for
Training Neural Networks"; fastai's learning-rate finder).

A clone of the estimator trains from its initial weights for ``n_steps``
minibatch steps, step ``k`` at the rate ``eta_k = min_lr (max_lr / min_lr) **
(k / (n_steps - 1))``, one ``partial_fit`` call per step: the optimizer's
moments or velocities go on from step to step, the rate is each step's. The
loss of each step (that of its minibatch, before the update) is smoothed by
an exponential moving average with bias correction,
``s_k = a_k / (1 - beta ** (k + 1))``, ``a_k = beta a_{k-1} + (1 - beta) l_k``;
the test stops where ``s_k`` exceeds ``diverge`` times its minimum so far, or
where the weights stop being finite.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_array

from . import _network
from ._array_api import get_namespace_and_device, to_host
from ._classifier import TwoLayerNNClassifier
from ._training import DivergenceError


@validate_params(
    {
        "estimator": [TwoLayerNNClassifier],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "sample_weight": ["array-like", None],
        "min_lr": [Interval(Real, 0, None, closed="neither")],
        "max_lr": [Interval(Real, 0, None, closed="neither")],
        "n_steps": [Interval(Integral, 2, None, closed="left")],
        "smoothing": [Interval(Real, 0, 1, closed="left")],
        "diverge": [Interval(Real, 1, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def lr_range_test(
    estimator,
    X,
    y,
    *,
    sample_weight=None,
    min_lr=1e-6,
    max_lr=1.0,
    n_steps=100,
    smoothing=0.98,
    diverge=4.0,
):
    """Train briefly at exponentially growing learning rates; suggest one.

    A clone of ``estimator`` (unfitted: its initial weights come from its
    ``random_state``) takes ``n_steps`` steps of its solver on minibatches
    of ``batch_size`` rows drawn without replacement (all rows for 'gd'),
    step ``k`` at the rate ``min_lr (max_lr / min_lr) ** (k / (n_steps -
    1))``, and records each step's loss, smoothed (see the user guide). It
    stops early where the smoothed loss exceeds ``diverge`` times its lowest
    value, or the weights overflow. ``estimator`` itself is not changed.
    The same ``random_state`` gives the same result; under Array API
    dispatch the clone trains in X's namespace.

    Parameters
    ----------
    estimator : TwoLayerNNClassifier
        The model to test, with solver 'adam', 'sgd' or 'gd'. Its
        ``learning_rate`` schedule, ``warmup_iter`` and ``early_stopping``
        are set aside: the test sets the rate of each step.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Target labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample.
    min_lr, max_lr : float, default=1e-6, 1.0
        The rates of the first and of the last step, ``min_lr < max_lr``.
    n_steps : int, default=100
        Number of steps (at least 2).
    smoothing : float, default=0.98
        ``beta`` of the exponential moving average of the losses, in [0, 1);
        0 records the raw losses.
    diverge : float, default=4.0
        Stop once the smoothed loss exceeds ``diverge`` times its minimum.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``learning_rates`` and ``losses`` (smoothed) and ``raw_losses``:
        arrays of one value per step taken; ``suggestion``, the rate of the
        lowest smoothed loss divided by 10 (fastai's ``lr_min``), a rate
        still on the descending part of the curve; ``steepest``, the rate
        where the smoothed loss falls fastest against ``log(rate)``; and
        ``diverged``, whether the test stopped early.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_tinynn import TwoLayerNNClassifier, lr_range_test
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TwoLayerNNClassifier(32, random_state=0)
    >>> result = lr_range_test(clf, X / 16, y, min_lr=1e-5, max_lr=10, n_steps=50)
    >>> len(result.learning_rates) == len(result.losses) <= 50
    True
    >>> bool(1e-5 < result.suggestion < 1)
    True
    """
    if not min_lr < max_lr:
        raise ValueError(f"min_lr={min_lr} must be less than max_lr={max_lr}.")
    if estimator.solver == "lbfgs":
        raise ValueError(
            "solver='lbfgs' has no learning rate to test; use 'adam', 'sgd' or 'gd'."
        )
    model = clone(estimator).set_params(
        learning_rate="constant", warmup_iter=0, early_stopping=False, verbose=False
    )
    rates = np.geomspace(min_lr, max_lr, n_steps)
    steps = _steps(model, X, y, sample_weight, n_steps)
    raw, smoothed = _run(model, steps, rates, smoothing, diverge)
    return _result(rates[: len(raw)], raw, smoothed, len(raw) < n_steps)


def _steps(model, X, y, sample_weight, n_steps):
    """The arguments of the ``n_steps`` partial_fit calls: epochs of
    minibatches in orders drawn from the model's random_state."""
    xp, device = get_namespace_and_device(X)
    if xp is np:
        X = check_array(X, accept_sparse="csr", dtype=None, ensure_all_finite=False)
    y = np.asarray(to_host(y))
    weights = None if sample_weight is None else np.asarray(to_host(sample_weight))
    classes = None if y.ndim == 2 else unique_labels(y)
    n_samples = y.shape[0]
    rows = _network.rows_per_step(model.solver, model.batch_size, n_samples)
    if model.batch_size != "auto":
        model.set_params(batch_size=rows)  # no warning of a batch beyond n_samples
    rng = check_random_state(model.random_state)
    batches = []
    while len(batches) < n_steps:
        order = rng.permutation(n_samples)
        stop = n_samples - n_samples % rows  # whole minibatches only
        batches += [order[start : start + rows] for start in range(0, stop, rows)]
    for batch in batches[:n_steps]:
        index = batch if xp is np else xp.asarray(batch, device=device)
        sw = None if weights is None else weights[batch]
        yield _network.take_rows(X, index, xp), y[batch], sw, classes


def _run(model, steps, rates, smoothing, diverge):
    """The raw and the smoothed loss of each step, until divergence."""
    raw, smoothed, average, lowest = [], [], 0.0, math.inf
    for k, (rate, (X_batch, y_batch, sw, classes)) in enumerate(zip(rates, steps)):
        model.set_params(learning_rate_init=float(rate))
        try:
            model.partial_fit(X_batch, y_batch, classes=classes, sample_weight=sw)
        except DivergenceError as exc:
            if k < 2:  # too few losses to suggest from
                raise ValueError(
                    f"The range test diverged at step {k + 1}, from min_lr="
                    f"{rates[0]}: lower min_lr."
                ) from exc
            break
        loss = model.loss_curve_[-1]
        average = smoothing * average + (1 - smoothing) * loss
        raw.append(loss)
        smoothed.append(average / (1 - smoothing ** (k + 1)))
        lowest = min(lowest, smoothed[-1])
        if smoothed[-1] > diverge * lowest:
            break
    return np.array(raw), np.array(smoothed)


def _result(rates, raw, smoothed, diverged):
    best = int(np.argmin(smoothed))
    if len(smoothed) > 1:
        steepest = rates[int(np.argmin(np.gradient(smoothed, np.log(rates))))]
    else:
        steepest = rates[0]
    return Bunch(
        learning_rates=rates,
        losses=smoothed,
        raw_losses=raw,
        suggestion=float(rates[best] / 10),
        steepest=float(steepest),
        diverged=diverged,
    )
