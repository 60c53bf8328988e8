"""TwoLayerNNClassifier: the scikit-learn estimator around the two-layer network.

This module holds the glue: parameters and their validation, labels and class
weights, the training loop and its stopping rules. The math lives in
``_network.py`` and the parameter updates in ``_optimizers.py``.
"""

import contextlib
import copy
import functools
import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _network
from ._array_api import (
    DISPATCH_POSSIBLE,
    convert_arrays,
    float_dtypes,
    from_numpy,
    get_namespace_and_device,
    host_dtype,
    same_namespace_or_raise,
    to_host,
    to_numpy,
)
from ._optimizers import SGD, Adam, GradientDescent
from ._progress import CallbackSupportMixin, FitTasks, with_callbacks

_STOCHASTIC_SOLVERS = ("sgd", "adam", "gd")

# Attributes that sklearn.callback sets on an estimator: a failed fit keeps them
# as they are (the teardown hooks still need them) and never deep-copies them.
_CALLBACK_STATE = (
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
)


@contextlib.contextmanager
def _comparable_labels(name, labels):
    """Turn NumPy's failure to sort labels of mixed types into a clear error."""
    try:
        yield
    except TypeError as exc:
        kinds = sorted({type(label).__name__ for label in np.ravel(labels)})
        raise TypeError(
            f"{name} mixes labels of types {kinds}, which cannot be sorted: use one "
            "type for all labels."
        ) from exc


def _balanced_weights(y, classes, sample_weight):
    """'balanced' class weights: S / (n_classes * S_c) for each class c.

    S is the total sample weight and S_c that of class c (the counts, when
    unweighted), over the classes present in y; so a sample weight of k is
    still the same as k copies of the sample. Absent classes get weight 1.
    """
    idx = np.searchsorted(classes, y)
    totals = np.bincount(idx, weights=sample_weight, minlength=len(classes))
    present = totals > 0
    weights = np.ones(len(classes))
    weights[present] = totals.sum() / (present.sum() * totals[present])
    return weights


class TwoLayerNNClassifier(ClassifierMixin, CallbackSupportMixin, BaseEstimator):
    """A two-layer neural network classifier written from scratch in NumPy.

    One hidden layer of ``hidden_layer_size`` units, then a softmax output
    (multiclass), one logistic unit (binary) or one logistic unit per label
    (multilabel), trained by backpropagation to minimize the cross-entropy plus
    an L2 penalty. Parameters have the names and meanings of
    :class:`sklearn.neural_network.MLPClassifier` wherever it has one, so that
    switching is a one-line change.

    Parameters
    ----------
    hidden_layer_size : int, default=100
        Number of units in the hidden layer.
    activation : {'relu', 'tanh', 'logistic', 'identity'}, default='relu'
        Activation of the hidden layer.
    solver : {'adam', 'sgd', 'gd', 'lbfgs'}, default='adam'
        'adam' and 'sgd' (with momentum) train on minibatches; 'gd' is
        full-batch gradient descent with the plain update
        ``W <- W - learning_rate * dW``; 'lbfgs' lets
        :func:`scipy.optimize.minimize` (L-BFGS-B) drive the loss and gradient.
    alpha : float, default=1e-4
        Strength of the L2 penalty ``(alpha / 2) |W|^2`` on the weights.
    batch_size : int or 'auto', default='auto'
        Minibatch size for 'adam' and 'sgd'; 'auto' means
        ``min(200, n_samples)``. Ignored by 'gd' and 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule for 'sgd' and 'gd': constant; ``learning_rate_init / (t + 1)
        ** power_t`` with ``t`` the samples seen; or divided by 5 each time the
        loss (or validation score) stops improving, until it is below 1e-6.
    learning_rate_init : float, default=1e-3
        Initial step size of 'adam', 'sgd' and 'gd'.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs ('adam', 'sgd'), of full-batch steps ('gd') or
        of L-BFGS iterations.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch ('adam', 'sgd').
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the shuffling and the validation split.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the
        validation score) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the previous weights and optimizer state on the next
        ``fit``, for up to another ``max_iter`` epochs, with ``y`` of the same
        classes. A ``learning_rate_init`` changed in between takes effect from
        that ``fit`` on, the moments or velocities going on.
    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' when ``momentum > 0``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and
        stop when its accuracy stops improving; the weights of the best epoch
        are kept. Only for 'adam', 'sgd' and 'gd'.
    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Number of epochs without improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations for 'lbfgs'.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))``, with the classes' total
        sample weights for the counts when ``sample_weight`` is given. They
        multiply ``sample_weight``. Multilabel targets take only 'balanced',
        which balances each label's 0s and 1s.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    coefs_ : list of two ndarrays
        Weights ``[W1, W2]`` of shapes ``(n_features, hidden_layer_size)`` and
        ``(hidden_layer_size, n_outputs)``.
    intercepts_ : list of two ndarrays
        Biases ``[b1, b2]`` of shapes ``(hidden_layer_size,)`` and
        ``(n_outputs,)``. ``b2`` starts at the log of the weighted class prior
        (see the user guide).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X had string column names.
    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call to
        ``fit``, warm-started or not; 1 after ``partial_fit``.
    t_ : int
        Number of training samples seen by the optimizer, over all calls.
    loss_ : float
        Training loss (cross-entropy plus penalty) after the last epoch.
    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        Training loss after each epoch (or L-BFGS iteration), over all calls.
    validation_scores_ : list of float or None
        Accuracy on the held-out set after each epoch, with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Cross-entropy (without the penalty) on the held-out set after each
        epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    out_activation_ : str
        'softmax' for multiclass, 'logistic' for binary and multilabel targets.
    n_layers_ : int
        Number of layers, inputs and output included: 3.
    n_outputs_ : int
        Number of output units.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The multi-layer network of scikit-learn.

    Notes
    -----
    Sample and class weights ``s_i`` normalize the loss as
    ``L = (sum_i s_i l_i + (alpha / 2) |W|^2) / sum_i s_i`` over each minibatch,
    for every solver, so that an integer weight is exactly equivalent to
    repeating a sample. A minibatch whose weights are all zero is skipped.

    ``fit``, ``partial_fit`` and the predictions run BLAS at the thread limit
    in force (``threadpoolctl.threadpool_limits``) and never change it: with
    the same data, parameters, ``random_state``, library versions, machine
    and thread limit they give bit-identical results, whatever the load (see
    the Reproducibility page of the documentation).

    Under scikit-learn's Array API dispatch
    (``sklearn.set_config(array_api_dispatch=True)``, SciPy 1.14 or later and
    ``SCIPY_ARRAY_API=1``), X of another array library (torch, CuPy,
    array-api-strict) trains and predicts in that library, on its device: the
    fitted arrays and the predictions live there, string ``classes_`` stay
    NumPy. :func:`sklearn_tinynn.move_to` moves a fitted model, to NumPy for
    example before saving it.

    With scikit-learn 1.9 or later the estimator supports
    :mod:`sklearn.callback`: ``set_callbacks(ProgressBar())`` or a
    ``ScoringMonitor`` follow it into ``Pipeline`` and ``GridSearchCV``. A fit
    is one ``fit`` task with one ``epoch`` subtask per epoch (per iteration for
    'lbfgs'); a callback whose ``on_fit_task_end`` returns True after an epoch
    stops training ('adam', 'sgd' and 'gd'). On older scikit-learn,
    ``set_callbacks`` takes the package's own ``TextProgressBar``, a plain text
    bar, and calls its hooks with the estimator and the task only.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0)
    >>> clf = TwoLayerNNClassifier(random_state=0).fit(X_train, y_train)
    >>> clf.predict(X_test[:5])
    array([2, 8, 2, 6, 6])
    >>> round(clf.score(X_test, y_test), 2)
    0.97
    """

    _parameter_constraints = {
        "hidden_layer_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"adam", "sgd", "gd", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_size=100,
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
    ):
        self.hidden_layer_size = hidden_layer_size
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        # Under sklearn.set_config(array_api_dispatch=True), X of any Array API
        # library trains and predicts in that library, on its device.
        tags.array_api_support = DISPATCH_POSSIBLE
        return tags

    def __sklearn_array_api_convert__(self, converter):
        """A copy whose numeric arrays are ``converter(array)``: scikit-learn's
        ``move_estimator_to`` (1.9.1) moves a model so, string ``classes_``
        staying NumPy (see :func:`sklearn_tinynn.move_to`)."""
        return convert_arrays(self, converter)

    # ------------------------------------------------------------------ fit

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32, anything else becomes float64
            (the library's default floating type under Array API dispatch).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (see Notes of the class).

        Returns
        -------
        self : TwoLayerNNClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
        >>> clf = TwoLayerNNClassifier(8, "tanh", solver="lbfgs", random_state=1)
        >>> clf.fit(X, y).predict(X)
        array([0, 1, 1, 0])
        """
        return self._transaction(self._fit, X, y, sample_weight, incremental=False)

    def _partial_fit_available(self):
        # An invalid solver is left to partial_fit's parameter validation, which
        # raises InvalidParameterError (a ValueError) naming the valid ones.
        if self.solver == "lbfgs":
            raise AttributeError(
                f"partial_fit is only available for the solvers {_STOCHASTIC_SOLVERS}"
                f", not for solver={self.solver!r}."
            )
        return True

    @available_if(_partial_fit_available)
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the solver over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can appear in y; required on the first call
            (for multilabel targets it may be omitted).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : TwoLayerNNClassifier
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> clf = TwoLayerNNClassifier(random_state=0, learning_rate_init=0.1)
        >>> for _ in range(50):
        ...     clf = clf.partial_fit(X, [0, 0, 1, 1], classes=[0, 1])
        >>> clf.predict([[0.2], [2.8]])
        array([0, 1])
        """
        return self._transaction(
            self._fit, X, y, sample_weight, incremental=True, classes=classes
        )

    def _transaction(self, method, *args, **kwargs):
        """Run ``method``; if it raises, restore the fitted state it started from.

        A failed validation or a diverging fit leaves a fitted model exactly as
        it was, and an unfitted one unfitted.
        """
        state = self.__dict__
        # The parameters stay the user's own objects (a RandomState, a dict),
        # also where fitted state refers to them: copy.deepcopy returns what
        # its memo already maps.
        memo = {id(value): value for value in self.get_params(deep=False).values()}
        saved = copy.deepcopy(
            {k: state[k] for k in state if k not in _CALLBACK_STATE}, memo
        )
        try:
            return method(*args, **kwargs)
        except BaseException:
            callbacks = {k: state[k] for k in _CALLBACK_STATE if k in state}
            state.clear()
            state.update(saved, **callbacks)
            raise

    # Overflow in the math shows up as non-finite weights, loss or outputs,
    # which _check_finite and _forward turn into a ValueError naming the cause.
    @np.errstate(over="ignore", invalid="ignore", divide="ignore")
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        if incremental and self.early_stopping:
            # MLPClassifier's error: one batch holds no validation set to stop by.
            raise ValueError("partial_fit does not support early_stopping=True")
        first_call = not (hasattr(self, "coefs_") and (incremental or self.warm_start))
        max_epochs = 1 if incremental else self.max_iter
        tasks = FitTasks(self, X, y, sample_weight, max_epochs)
        # X decides where the model computes; labels and weights are prepared
        # on the host, then moved there once.
        xp, device = get_namespace_and_device(X)
        if not first_call:
            same_namespace_or_raise(X, self, "partial_fit" if incremental else "fit")
        if hasattr(self, "classes_"):
            self.classes_ = to_numpy(self.classes_)  # label logic runs on the host
        X, Y, sample_weight = self._validate_training_data(
            X,
            to_host(y),
            to_host(sample_weight),
            first_call,
            incremental,
            to_host(classes),
            xp,
            device,
        )
        self._random_state = check_random_state(self.random_state)
        if first_call:
            self._initialize(X.shape[1], Y, sample_weight, xp, device)
        else:
            self._check_warm_start_shapes()
        data = _Data(X, Y, sample_weight, xp, device)
        if self.solver == "lbfgs":
            self._fit_lbfgs(data, tasks)
        else:
            self._fit_iterative(data, incremental, tasks)
        if xp is not np and self.classes_.dtype.kind in "biuf":
            self.classes_ = xp.asarray(self.classes_, device=device)
        tasks.end()
        return self

    # ----------------------------------------------------- input and labels

    def _validate_training_data(
        self, X, y, sample_weight, first_call, incremental, classes, xp, device
    ):
        """X in the namespace ``xp``; the targets Y and the weights on the host."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr" if xp is np else False,
            dtype=float_dtypes(xp, device),
            multi_output=True,
            reset=first_call,
        )
        y = to_numpy(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        with _comparable_labels("y", y):
            check_classification_targets(y)
        if first_call:
            self._set_classes(y, classes, incremental)
        elif incremental and classes is not None and not self._multilabel:
            _check_partial_fit_first_call(self, classes)  # raises if they differ
        elif not incremental:
            self._check_warm_start_classes(y)
        dtype = X.dtype if xp is np else host_dtype(X, xp)
        Y = self._encode(y, dtype)
        weights = self._sample_weights(y, dtype, sample_weight, incremental)
        return X, Y, weights

    def _set_classes(self, y, classes, incremental):
        self._multilabel = type_of_target(y).startswith("multilabel")
        if incremental and not self._multilabel:
            with _comparable_labels("classes", classes):
                _check_partial_fit_first_call(self, classes)
                self.classes_ = unique_labels(classes)
        elif self._multilabel:
            self.classes_ = np.arange(y.shape[1])
        else:
            self.classes_ = unique_labels(y)
        if len(self.classes_) == 0:
            raise ValueError(
                f"classes={classes!r} holds no class; the first partial_fit needs "
                "all the classes that can appear in y, at least 2."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                "TwoLayerNNClassifier needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {self.classes_[0]!r}."
            )
        if self._multilabel:
            self.out_activation_ = "logistic"
            self.n_outputs_ = y.shape[1]
        elif len(self.classes_) == 2:
            self.out_activation_ = "logistic"
            self.n_outputs_ = 1
        else:
            self.out_activation_ = "softmax"
            self.n_outputs_ = len(self.classes_)

    def _check_warm_start_classes(self, y):
        """A warm-started fit needs exactly the classes of the previous fit."""
        classes = unique_labels(y)
        if set(classes.tolist()) != set(self.classes_.tolist()):
            # MLPClassifier's message, word for word.
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` "
                f"has {classes}"
            )

    def _encode(self, y, dtype):
        """Targets as a float matrix Y of shape (n_samples, n_outputs)."""
        if self._multilabel:
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has shape {y.shape}, but this model was fitted on "
                    f"{self.n_outputs_} labels: expected (n_samples, "
                    f"{self.n_outputs_})."
                )
            values = np.unique(y)
            # Sets, not np.isin: NumPy 1.x cannot compare strings with numbers.
            if not set(values.tolist()) <= {0, 1}:
                raise ValueError(
                    "A multilabel y must be an indicator matrix of 0s and 1s, but "
                    f"it has the values {values.tolist()}."
                )
            return np.asarray(y, dtype=dtype)
        if y.ndim != 1:
            raise ValueError(
                f"y has shape {y.shape}, but this model was fitted on one label per "
                "sample: expected (n_samples,)."
            )
        # A set, not np.setdiff1d, for the same reason (NumPy 1.x warns and
        # compares nothing).
        known = set(self.classes_.tolist())
        unseen = [label for label in unique_labels(y).tolist() if label not in known]
        if unseen:
            raise ValueError(
                f"y contains labels {unseen} that are not in classes "
                f"{self.classes_.tolist()} (the classes given to the first "
                "partial_fit, or seen by fit)."
            )
        idx = np.searchsorted(self.classes_, y)
        if self.n_outputs_ == 1:
            return (idx == 1).astype(dtype)[:, np.newaxis]
        Y = np.zeros((len(y), self.n_outputs_), dtype=dtype)
        Y[np.arange(len(y)), idx] = 1
        return Y

    def _sample_weights(self, y, dtype, sample_weight, incremental):
        """Per-sample weights s_i (sample_weight times class weight), or None,
        as a NumPy array of ``dtype``."""
        if sample_weight is not None:
            # y stands in for X: a NumPy array with one row per sample.
            sample_weight = _check_sample_weight(
                sample_weight, y, dtype=dtype, ensure_non_negative=True
            )
            if not sample_weight.any():  # scikit-learn checks this only from 1.9
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
        if self.class_weight is not None:
            per_sample = self._class_weight_per_sample(y, sample_weight)
            if sample_weight is not None:
                per_sample = per_sample * sample_weight
            sample_weight = per_sample.astype(dtype, copy=False)
        if sample_weight is None:
            return None
        total = sample_weight.sum(dtype=np.float64)
        if not np.isfinite(total):
            raise ValueError(
                f"sample_weight (times class_weight) sums to {total} in "
                f"{sample_weight.dtype}: divide the weights by a common factor."
            )
        if not incremental and not self._multilabel:
            self._check_weighted_classes(y, sample_weight)
        return sample_weight

    def _class_weight_per_sample(self, y, sample_weight):
        """The class weight of each sample's class.

        For multilabel targets (only 'balanced'), the product over the labels
        of the weight of each label's value, 0 or 1, as random forests do.
        """
        if not self._multilabel:
            weights = self._class_weights(y, sample_weight)
            return weights[np.searchsorted(self.classes_, y)]
        if self.class_weight != "balanced":
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported for multilabel "
                "targets; use class_weight='balanced' or None, or sample_weight."
            )
        per_sample = np.ones(y.shape[0])
        for column in y.T.astype(np.intp):  # bool or float 0/1 -> indices
            per_sample *= _balanced_weights(column, [0, 1], sample_weight)[column]
        return per_sample

    def _class_weights(self, y, sample_weight):
        """Weight of each class in ``classes_``, as a float array."""
        if self.class_weight == "balanced":
            return _balanced_weights(y, self.classes_, sample_weight)
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(map(str, unknown))} that are not "
                f"classes of y; the classes are {self.classes_.tolist()}."
            )
        weights = [self.class_weight.get(c, 1.0) for c in self.classes_]
        bad = [w for w in weights if not (isinstance(w, Real) and 0 <= w < np.inf)]
        if bad:
            raise ValueError(
                f"class_weight values must be finite non-negative numbers, got {bad}."
            )
        return np.array(weights, dtype=float)

    def _check_weighted_classes(self, y, sample_weight):
        positive = np.unique(y[sample_weight > 0])
        if len(positive) < 2:
            raise ValueError(
                "The sample and class weights leave fewer than 2 classes with a "
                f"positive total weight (classes with weight: {positive.tolist()}); "
                "a classifier needs at least 2."
            )

    # ------------------------------------------------------- initialization

    def _initialize(self, n_features, Y, sample_weight, xp, device):
        params = _network.init_params(
            n_features,
            int(self.hidden_layer_size),  # True is an Integral, but no array size
            Y.shape[1],
            self.activation,
            self._random_state,
            Y.dtype,
        )
        # b2 is drawn as MLPClassifier draws it (so W1, b1 and W2 stay the same
        # draws), then set to the weighted log prior: the untrained network
        # predicts the class frequencies instead of random ones.
        params[3] = _network.prior_biases(Y, sample_weight, self.out_activation_)
        params = from_numpy(params, xp, device)
        self.coefs_ = params[0::2]
        self.intercepts_ = params[1::2]
        self.n_layers_ = 3
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0
        self._optimizer_state = None
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.best_validation_score_ = None

    def _start_validation_records(self):
        """Empty validation records, for the first fit with early stopping
        (also a warm-started one after fits without it)."""
        self.validation_scores_ = []
        self.validation_loss_curve_ = []
        self.best_validation_score_ = -np.inf
        self.best_loss_ = None

    def _check_warm_start_shapes(self):
        if self.coefs_[0].shape[1] != self.hidden_layer_size:
            raise ValueError(
                f"hidden_layer_size={self.hidden_layer_size} differs from the "
                f"fitted model's {self.coefs_[0].shape[1]}: set warm_start=False "
                "to train a new network."
            )

    @property
    def _params(self):
        """The flat parameter list [W1, b1, W2, b2] (the fitted arrays themselves)."""
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        return [W1, b1, W2, b2]

    def _network_args(self):
        return self.activation, self.out_activation_, self.alpha

    # ----------------------------------------------------------- L-BFGS

    def _fit_lbfgs(self, data, tasks):
        # SciPy drives a float64 NumPy theta on the host; the loss and the
        # gradient are computed where X lives: only theta and the gradient
        # cross between the two at each evaluation.
        X, Y, sample_weight, xp, device = data
        Y, sample_weight = from_numpy([Y, sample_weight], xp, device)
        params = self._params
        shapes = [tuple(p.shape) for p in params]
        splits = np.cumsum([math.prod(shape) for shape in shapes])[:-1]
        dtype = X.dtype if xp is np else host_dtype(X, xp)
        last_loss = []

        def unpack(theta):
            flat = np.split(theta.astype(dtype, copy=False), splits)
            return from_numpy([f.reshape(s) for f, s in zip(flat, shapes)], xp, device)

        def loss_and_grad(theta):
            loss, grads = _network.loss_and_gradients(
                X, Y, unpack(theta), *self._network_args(), sample_weight, xp=xp
            )
            last_loss[:] = [float(loss)]
            return last_loss[0], _flatten(grads, xp)

        def record(theta):
            # The fitted arrays follow the iterates, for the callbacks to see.
            for param, value in zip(params, unpack(theta)):
                param[...] = value
            self._append_loss(last_loss[0], xp)
            # One task per iteration; L-BFGS cannot be stopped from here.
            tasks.begin_epoch()
            tasks.end_epoch()

        theta0 = np.concatenate([to_numpy(p).ravel() for p in params])
        theta0 = theta0.astype(np.float64)
        result = scipy.optimize.minimize(
            loss_and_grad,
            theta0,
            jac=True,
            method="L-BFGS-B",
            callback=record,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        W1, b1, W2, b2 = unpack(result.x)
        self.coefs_, self.intercepts_ = [W1, W2], [b1, b2]
        self._check_finite(float(result.fun), xp)
        self.n_iter_ = int(result.nit)
        self.t_ += X.shape[0] * self.n_iter_
        self.loss_ = float(result.fun)
        # best_loss_ is None after an early-stopping fit with another solver.
        best = np.inf if self.best_loss_ is None else self.best_loss_
        self.best_loss_ = min(best, self.loss_)
        if result.status == 1:
            warnings.warn(
                f"L-BFGS stopped after {self.n_iter_} iterations or {result.nfev} "
                f"loss evaluations (max_iter={self.max_iter}, max_fun="
                f"{self.max_fun}) before converging. Increase them, or scale the "
                "data.",
                ConvergenceWarning,
                stacklevel=2,
            )

    # ----------------------------------------------- minibatch and full batch

    def _make_optimizer(self, params, xp):
        kind = self.solver
        state = self._optimizer_state
        if state is not None and state.get("solver") != kind:
            state = None
        if kind == "adam":
            optimizer = Adam(
                params,
                self.learning_rate_init,
                self.beta_1,
                self.beta_2,
                self.epsilon,
                state=state,
                xp=xp,
            )
        elif kind == "sgd":
            optimizer = SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.power_t,
                self.momentum,
                self.nesterovs_momentum and self.momentum > 0,
                state=state,
                xp=xp,
            )
        else:
            optimizer = GradientDescent(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.power_t,
                state=state,
                xp=xp,
            )
        optimizer.state["solver"] = kind
        self._optimizer_state = optimizer.state
        return optimizer

    def _fit_iterative(self, data, incremental, tasks):
        # partial_fit refuses early_stopping (see _fit).
        early_stopping = self.early_stopping
        validation = None
        if early_stopping:
            if self.validation_scores_ is None:
                self._start_validation_records()
            data, validation = self._validation_split(data)
            self._best_coefs = _copies(self.coefs_, data.xp)
            self._best_intercepts = _copies(self.intercepts_, data.xp)
        run_epoch, optimizer = self._epoch_runner(data, incremental)
        # As in MLPClassifier, n_iter_ counts the epochs of this call: max_iter
        # bounds each fit, warm-started or not; partial_fit sets it to 1.
        self.n_iter_ = 0
        try:
            for _ in range(1 if incremental else self.max_iter):
                tasks.begin_epoch()
                run_epoch()
                self.n_iter_ += 1
                if early_stopping:
                    self._score_validation(validation)
                self._update_no_improvement_count(early_stopping, data.xp)
                optimizer.iteration_ends(self.t_)
                # tasks.end_epoch() is True when a callback asks to stop.
                if tasks.end_epoch() or self._stalled(optimizer, early_stopping):
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"Solver {self.solver!r}: maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=2,
                    )
        except KeyboardInterrupt:
            # partial_fit lets it propagate (its transaction restores the model),
            # so that a loop of calls stops; fit stops and keeps the weights so far.
            if incremental:
                raise
            warnings.warn("Training interrupted by user.", stacklevel=2)
        if early_stopping:
            self.coefs_, self.intercepts_ = self._best_coefs, self._best_intercepts

    def _epoch_runner(self, data, incremental):
        """The function running one epoch, and the optimizer it updates with.

        NumPy trains in a Workspace (no step allocates); another namespace
        updates the fitted arrays themselves, with Y and the weights moved to
        its device once. Both share one epoch loop, ``_run_epoch``.
        """
        X, Y, sample_weight, xp, device = data
        if xp is np:
            X, Y, workspace = self._make_workspace(X, Y, incremental)
            optimizer = self._make_optimizer([workspace.theta], xp)
            step = functools.partial(self._workspace_step, X, Y, workspace, optimizer)
            batch_size = workspace.Z1.shape[0]
        else:
            params = self._params
            on_device = _Data(
                X, *from_numpy([Y, sample_weight], xp, device), xp, device
            )
            optimizer = self._make_optimizer(params, xp)
            step = functools.partial(self._portable_step, on_device, params, optimizer)
            batch_size = self._batch_size(X.shape[0])
        run = functools.partial(
            self._run_epoch, X.shape[0], batch_size, sample_weight, step, xp, device
        )
        return run, optimizer

    def _make_workspace(self, X, Y, incremental):
        """The training buffers, and X and Y laid out for them; the fitted
        arrays become views of the workspace's theta."""
        full_batch = self.solver == "gd" and not incremental
        Y, workspace = _network.training_workspace(
            self._params, Y, self._batch_size(X.shape[0]), full_batch
        )
        # The optimizer updates the flat vector theta in one operation per
        # equation; coefs_ and intercepts_ are views of it.
        W1, b1, W2, b2 = workspace.params
        self.coefs_, self.intercepts_ = [W1, W2], [b1, b2]
        return X, Y, workspace

    def _stalled(self, optimizer, early_stopping):
        """The stopping rule: no improvement for more than n_iter_no_change
        epochs, and no lower learning rate left to try ('adaptive')."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        if optimizer.trigger_stopping():
            self._report_stall(early_stopping)
            return True
        self._no_improvement_count = 0
        return False

    def _rows_per_step(self, n_samples):
        """Rows of one step: a minibatch ('adam', 'sgd') or all of them."""
        return _network.rows_per_step(self.solver, self.batch_size, n_samples)

    def _batch_size(self, n_samples):
        """``_rows_per_step``, with a warning for a batch_size beyond n_samples."""
        rows = self._rows_per_step(n_samples)
        if self.solver != "gd" and self.batch_size != "auto" and rows < self.batch_size:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the number of "
                f"samples {n_samples}: using batch_size={n_samples}.",
                stacklevel=2,
            )
        return rows

    def _validation_split(self, data):
        """``data`` split into the training part and the held-out part.

        The rows are drawn on the host; the held-out Y and weights go to the
        device of X, for the validation scores to be computed there.
        """
        X, Y, sample_weight, xp, device = data
        # Stratify by class, unless a class has too few samples to be split.
        if self._multilabel:
            stratify = None
        elif self.n_outputs_ == 1:  # binary: one column holding the class index
            stratify = Y[:, 0].astype(int)
        else:
            stratify = Y.argmax(axis=1)
        if stratify is not None:
            counts = np.bincount(stratify)
            if counts[counts > 0].min() < 2:
                stratify = None
        train, val = train_test_split(
            np.arange(Y.shape[0]),
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if val.shape[0] < 2:
            raise ValueError(
                f"The validation set has {val.shape[0]} sample(s) with "
                f"validation_fraction={self.validation_fraction}; it needs at least "
                "2: increase validation_fraction or use more data."
            )
        if sample_weight is not None and (
            sample_weight[train].sum() == 0 or sample_weight[val].sum() == 0
        ):
            raise ValueError(
                "The sample weights of the training or the validation set are all "
                f"zero with validation_fraction={self.validation_fraction}: give "
                "more samples a positive weight, or set early_stopping=False."
            )
        weights = (
            [None, None]
            if sample_weight is None
            else [sample_weight[train], sample_weight[val]]
        )
        training = _Data(_rows(X, train, xp, device), Y[train], weights[0], xp, device)
        Y_val, sw_val = from_numpy([Y[val], weights[1]], xp, device)
        held_out = _Data(_rows(X, val, xp, device), Y_val, sw_val, xp, device)
        return training, held_out

    def _run_epoch(self, n_samples, batch_size, host_weights, step, xp, device):
        """One pass over the data in minibatches; appends the epoch's loss.

        ``step(index, sw)`` trains on one minibatch and returns its loss:
        ``index`` selects its rows (a slice, or indices in X's namespace) and
        ``sw`` holds their host weights. The order comes from the host's
        random state, moved to X's device once; each minibatch's total weight
        comes from the host's weights; the loss adds up in X's namespace and
        is read once: on a device, no minibatch waits for it.
        """
        order = indices = None
        if self.shuffle and self.solver != "gd":
            order = self._random_state.permutation(n_samples)
            indices = order if xp is np else xp.asarray(order, device=device)
        total_loss = total_weight = 0.0
        for batch in gen_batches(n_samples, batch_size):
            # Unshuffled batches are slices: views of X, not copies.
            rows = batch if order is None else order[batch]
            sw = None if host_weights is None else host_weights[rows]
            weight = batch.stop - batch.start if sw is None else float(sw.sum())
            if weight == 0:
                continue  # a minibatch of zero total weight carries no gradient
            loss = step(batch if indices is None else indices[batch], sw)
            total_loss = total_loss + loss * weight
            total_weight += weight
        self.t_ += n_samples
        self._append_loss(float(total_loss) / total_weight if total_weight else 0.0, xp)

    def _workspace_step(self, X, Y, workspace, optimizer, rows, sw):
        """One NumPy minibatch, gathered into and computed in the workspace."""
        X_batch, Y_batch = workspace.minibatch(X, Y, rows)
        loss, _ = _network.loss_and_gradients(
            X_batch, Y_batch, workspace.params, *self._network_args(), sw, workspace
        )
        optimizer.update_params([workspace.theta], [workspace.grad])
        return loss

    def _portable_step(self, data, params, optimizer, index, _host_sw):
        """One minibatch in X's namespace, its weights taken on the device."""
        X, Y, sample_weight, xp, _ = data
        X_batch, Y_batch, sw = (
            _minibatch_rows(a, index, xp) for a in (X, Y, sample_weight)
        )
        loss, grads = _network.loss_and_gradients(
            X_batch, Y_batch, params, *self._network_args(), sw, xp=xp
        )
        optimizer.update_params(params, grads)
        return loss

    def _append_loss(self, loss, xp=np):
        self._check_finite(loss, xp)
        self.loss_ = loss
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {len(self.loss_curve_)}, loss = {loss:.8f}")

    def _check_finite(self, loss, xp=np):
        finite = np.isfinite(loss) and all(
            bool(xp.all(xp.isfinite(p))) for p in self._params
        )
        if not finite:
            raise ValueError(
                f"The training loss became {loss} (weights not finite) at iteration "
                f"{len(self.loss_curve_) + 1}: training diverged. Lower "
                f"learning_rate_init (now {self.learning_rate_init}) or scale the "
                "input features (for example to [0, 1] with MinMaxScaler); raw "
                "0-255 pixels need a much smaller learning rate. A huge alpha (now "
                f"{self.alpha}) or tiny sample weights, which divide the penalty, "
                "also make the steps too large."
            )

    def _score_validation(self, validation):
        X_val, Y_val, sw_val, xp, _ = validation
        A2 = self._forward(X_val, xp)
        self.validation_loss_curve_.append(
            float(_network.cross_entropy(Y_val, A2, self.out_activation_, sw_val, xp))
        )
        if self.n_outputs_ == 1:
            correct = (A2[:, 0] > 0.5) == (Y_val[:, 0] > 0.5)
        elif self._multilabel:
            correct = xp.all((A2 > 0.5) == (Y_val > 0.5), axis=1)
        else:
            correct = xp.argmax(A2, axis=1) == xp.argmax(Y_val, axis=1)
        if xp is np:
            score = float(np.average(correct, weights=sw_val))
        else:  # one number read from the device
            correct = xp.astype(correct, A2.dtype)
            weights = xp.ones_like(correct) if sw_val is None else sw_val
            score = float(xp.sum(correct * weights) / xp.sum(weights))
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")

    def _update_no_improvement_count(self, early_stopping, xp):
        if early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = _copies(self.coefs_, xp)
                self._best_intercepts = _copies(self.intercepts_, xp)
        else:
            # best_loss_ is None after an early-stopping fit; partial_fit goes on.
            best = np.inf if self.best_loss_ is None else self.best_loss_
            if self.loss_curve_[-1] > best - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(best, self.loss_curve_[-1])

    def _report_stall(self, early_stopping):
        if self.verbose:
            what = "Validation score" if early_stopping else "Training loss"
            print(
                f"{what} did not improve more than tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs. Stopping."
            )

    # ---------------------------------------------------------- prediction

    def _forward(self, X, xp=np):
        """The output probabilities for an X that ``_validate_X`` accepted."""
        params = self._params
        if xp is not np and X.dtype != params[0].dtype:  # promoted as NumPy would
            dtype = xp.result_type(X.dtype, params[0].dtype)
            X, *params = (xp.astype(a, dtype) for a in [X, *params])
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                _, A2 = _network.forward(
                    X, params, self.activation, self.out_activation_, check=True, xp=xp
                )
            except FloatingPointError:
                A2 = None
        if A2 is None or not bool(xp.all(xp.isfinite(A2))):
            # A NaN or an infinity in X: scikit-learn's own error, which
            # _validate_X leaves to this check of the (smaller) hidden layer.
            # (Its test sums X first: inf + -inf would warn before the error.)
            with np.errstate(invalid="ignore"):
                check_array(
                    X, accept_sparse="csr", dtype=None, estimator=self, input_name="X"
                )
            largest = abs(X).max() if xp is np else xp.max(xp.abs(X))
            raise ValueError(
                "The network's outputs are not finite for this X, whose largest "
                f"absolute value is {float(largest):.3g}: its activations overflow. "
                "Scale the input features the way the training data was scaled."
            )
        return A2

    def _validate_X(self, X, method):
        """X checked for ``method``, and the namespace the model computes in."""
        # X is not checked for NaN and infinities here but by _forward, at a
        # fraction of the cost: for 784 pixels and 128 hidden units the check
        # of X alone took an eighth of predict_proba's time.
        check_is_fitted(self)
        same_namespace_or_raise(X, self, method)
        xp, device = get_namespace_and_device(X)
        X = validate_data(
            self,
            X,
            accept_sparse="csr" if xp is np else False,
            dtype=float_dtypes(xp, device),
            ensure_all_finite=False,
            reset=False,
        )
        return X, xp

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_`` (for
            multilabel targets, the probability of each label); float32 for
            float32 input.

        Examples
        --------
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], ["no", "no", "yes", "yes"]
        >>> clf = TwoLayerNNClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.predict_proba([[0.1]]).round(2)
        array([[1., 0.]])
        """
        return self._probabilities(X, "predict_proba")[0]

    def _probabilities(self, X, method):
        """predict_proba's result, and its namespace."""
        X, xp = self._validate_X(X, method)
        A2 = self._forward(X, xp)
        if self.out_activation_ == "logistic":
            # A logistic unit's probability lies strictly inside (0, 1); keep it
            # there after rounding, so that log(p) and log(1 - p) stay finite.
            eps = float(xp.finfo(A2.dtype).eps)
            if xp is np:
                np.clip(A2, eps, 1 - eps, out=A2)
            else:
                A2 = xp.clip(A2, eps, 1 - eps)
        if self.n_outputs_ == 1 and not self._multilabel:
            if xp is np:
                return np.hstack([1 - A2, A2]), xp
            return xp.concat([1 - A2, A2], axis=1), xp
        return A2, xp

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.

        Examples
        --------
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], [0, 0, 1, 1]
        >>> clf = TwoLayerNNClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.predict_log_proba([[1.0]]).argmax()
        np.int64(1)
        """
        proba, xp = self._probabilities(X, "predict_log_proba")
        with np.errstate(divide="ignore"):  # a probability of exactly 0
            return xp.log(proba)

    def predict(self, X):
        """Predict class labels (a 0/1 indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.

        Examples
        --------
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], ["no", "no", "yes", "yes"]
        >>> clf = TwoLayerNNClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.predict([[0.1], [0.9]])
        array(['no', 'yes'], dtype='<U3')
        """
        X, xp = self._validate_X(X, "predict")
        A2 = self._forward(X, xp)
        if xp is np:
            if self._multilabel:
                return (A2 > 0.5).astype(int)
            if self.n_outputs_ == 1:
                return self.classes_[(A2[:, 0] > 0.5).astype(int)]
            return self.classes_[A2.argmax(axis=1)]
        if self._multilabel:
            return xp.astype(A2 > 0.5, xp.int64)
        if self.n_outputs_ == 1:
            indices = xp.astype(A2[:, 0] > 0.5, xp.int64)
        else:
            indices = xp.argmax(A2, axis=1)
        if isinstance(self.classes_, np.ndarray):  # strings stay NumPy
            return self.classes_[to_numpy(indices)]
        return xp.take(self.classes_, indices, axis=0)


class _Data(NamedTuple):
    """Training arrays: X in the namespace ``xp`` on ``device``; Y and the
    sample weights on the host, or on the device once moved there."""

    X: object
    Y: object
    sample_weight: object
    xp: object
    device: object


def _rows(X, rows, xp, device):
    """The rows ``rows`` (host indices) of X, in its namespace."""
    if xp is np:
        return X[rows]
    return xp.take(X, xp.asarray(rows, device=device), axis=0)


def _minibatch_rows(array, index, xp):
    """The rows ``index`` (a slice, or indices on its device) of ``array``."""
    if array is None:
        return None
    if isinstance(index, slice):
        return array[index, ...]
    return xp.take(array, index, axis=0)


def _copies(arrays, xp):
    if xp is np:
        return [a.copy() for a in arrays]
    return [xp.asarray(a, copy=True) for a in arrays]


def _flatten(arrays, xp):
    """The arrays as one float64 NumPy vector (one transfer from a device)."""
    if xp is np:
        return np.concatenate([a.ravel() for a in arrays]).astype(np.float64)
    flat = xp.concat([xp.reshape(a, (-1,)) for a in arrays])
    return to_numpy(flat).astype(np.float64)
