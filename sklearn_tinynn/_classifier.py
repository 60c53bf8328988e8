"""TwoLayerNNClassifier: the scikit-learn estimator around the two-layer network.

This module holds the glue: the parameters and their validation, the tags,
and ``fit``, ``partial_fit`` and the predictions. Labels and weights live in
``_targets.py``, the training loop in ``_training.py``, the math in
``_network.py`` and the parameter updates in ``_optimizers.py``.
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _network
from ._activations import HIDDEN_ACTIVATIONS
from ._array_api import (
    DISPATCH_POSSIBLE,
    convert_arrays,
    float_dtypes,
    from_numpy,
    get_namespace_and_device,
    host_dtype,
    library_name,
    same_namespace_or_raise,
    to_host,
    to_numpy,
)
from ._progress import CallbackSupportMixin, FitTasks, with_callbacks
from ._targets import TargetsMixin
from ._training import TrainingData, TrainingMixin

_STOCHASTIC_SOLVERS = ("sgd", "adam", "gd")


class _Count(Interval):
    """An int in an interval, booleans excluded: True is an Integral to Python,
    but no count (a batch of True rows)."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class TwoLayerNNClassifier(
    ClassifierMixin, CallbackSupportMixin, TargetsMixin, TrainingMixin, BaseEstimator
):
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
    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', \
'gelu', 'silu'}, default='relu'
        Activation of the hidden layer. 'leaky_relu' is ``max(z, 0.01 z)``,
        'gelu' the tanh form ``z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))``
        and 'silu' ``z sigmoid(z)``; these three are not in MLPClassifier.
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
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine', \
'plateau'}, default='constant'
        Schedule of the step size. 'invscaling' and 'adaptive' are for 'sgd'
        and 'gd' ('adam' ignores them, as MLPClassifier's does):
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples
        seen; or divided by 5 each time the loss (or validation score) stops
        improving for ``n_iter_no_change`` epochs, training stopping once it
        is at most 1e-6. 'cosine' and 'plateau' are for 'adam', 'sgd' and
        'gd' (not in MLPClassifier): 'cosine' sets the rate of epoch ``e`` to
        ``learning_rate_init (1 + cos(pi e' / (max_iter - warmup_iter))) /
        2``, ``e'`` the epochs after the warm-up, over each ``fit`` (a
        warm-started one starts a new cycle; ``partial_fit`` calls go on, a
        cycle being ``max_iter`` calls); 'plateau' is the rule of 'adaptive'
        for every solver. See the user guide.
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
        A model loaded from a :class:`Checkpoint` file taken in the middle of
        a fit resumes that fit instead: its next warm-started ``fit`` runs the
        epochs left, exactly as the fit would have run them.
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
    init : {'glorot', 'he'}, default='glorot'
        The distribution of the initial weights and biases, per layer:
        'glorot' (as MLPClassifier) is uniform on ``[-r, r]`` with
        ``r = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` for the
        logistic activation); 'he' is He-uniform, ``r = sqrt(6 / fan_in)``,
        the variance ``2 / fan_in`` that keeps ReLU activations at scale.
        'he' is not in MLPClassifier.
    dropout : float, default=0.0
        Probability ``p`` in [0, 1) of dropping each hidden unit during
        training ('adam', 'sgd' and 'gd'): inverted dropout multiplies the
        hidden layer by ``M / (1 - p)``, ``M`` a Bernoulli(1 - p) mask. A
        row's mask is a function of a seed drawn from ``random_state`` once
        per fit, of the epoch and of the row's content (not of its place),
        so that a fit stays reproducible and an integer sample weight still
        equals repeated rows; identical rows share their mask in an epoch.
        Predictions use the whole network, unchanged. The
        recorded training loss is that of the dropped network. Not with
        'lbfgs', whose line searches need a deterministic loss. Not in
        MLPClassifier.
    input_dropout : float, default=0.0
        Probability ``p0`` in [0, 1) of dropping each input feature during
        training ('adam', 'sgd' and 'gd'), as ``dropout`` does the hidden
        units: the network trains on ``X D0``, ``D0 = M0 / (1 - p0)``, with a
        mask ``M0`` drawn as ``dropout``'s (the same seed, another part of
        each row's stream, so the two masks are independent). A zero of a
        sparse X stays zero; dense and sparse X train alike. Predictions use
        X itself, unchanged. Not with 'lbfgs'. Not in MLPClassifier.
    scoring : str, callable or None, default=None
        The validation score that early stopping maximizes, after each epoch,
        on the held-out part (or on ``X_val``, ``y_val`` given to ``fit``).
        None is MLPClassifier's (weighted) accuracy; 'loss' is minus the
        validation cross-entropy (higher is better, as for every score, as
        in HistGradientBoostingClassifier); any other string names a
        scikit-learn scorer (:func:`sklearn.metrics.get_scorer`); a callable
        is called as ``scoring(estimator, X_val, y_val)`` (with
        ``sample_weight=`` when the validation samples are weighted) and
        returns a float, higher being better. Only with ``early_stopping``;
        a model with a callable ``scoring`` cannot be saved. Not in
        MLPClassifier.
    warmup_iter : int, default=0
        Epochs of linear warm-up at the start of each ``fit`` (of the first
        ``partial_fit`` calls, and of each cosine cycle): the rate of epoch
        ``e < warmup_iter`` (from 0) is the schedule's times ``(e + 1) /
        warmup_iter``, rising to it from ``1 / warmup_iter`` of it. For
        every schedule of 'adam', 'sgd' and 'gd'; with 'cosine' it must be
        less than ``max_iter``. Ignored by 'lbfgs'. Not in MLPClassifier.

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
        ``fit``, warm-started or not; 1 after ``partial_fit``. A fit resumed
        from a checkpoint counts the epochs of the fit it continues too.
    t_ : int
        Number of training samples seen by the optimizer, over all calls.
    loss_ : float
        Training loss (cross-entropy plus penalty) after the last epoch.
    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.
    loss_curve_ : list of float
        Training loss after each epoch (or L-BFGS iteration), over all calls.
    validation_scores_ : list of float or None
        The ``scoring`` on the held-out set after each epoch (accuracy by
        default), with ``early_stopping``.
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

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_size": [_Count(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"adam", "sgd", "gd", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            _Count(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", "cosine", "plateau"})
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [_Count(Integral, 1, None, closed="left")],
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
            _Count(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [_Count(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "init": [StrOptions({"glorot", "he"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "scoring": [None, StrOptions({"loss", *get_scorer_names()}), callable],
        "warmup_iter": [_Count(Integral, 0, None, closed="left")],
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
        init="glorot",
        dropout=0.0,
        input_dropout=0.0,
        scoring=None,
        warmup_iter=0,
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
        self.init = init
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.scoring = scoring
        self.warmup_iter = warmup_iter

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
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
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
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            A validation set of one's own for early stopping, in place of the
            ``validation_fraction`` held out of X: the scores, the validation
            loss curve and the best epoch are computed on it. Needs
            ``early_stopping=True`` and a solver 'adam', 'sgd' or 'gd', and
            the array library, device and features of X. A Pipeline does not
            transform ``X_val``: transform it with the fitted preprocessing
            steps (``pipe[:-1].transform``) or use
            ``Pipeline(..., transform_input=["X_val"])`` (scikit-learn 1.6+,
            with metadata routing). Not in MLPClassifier.
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            The labels of ``X_val``, among the classes of y. Given with
            ``X_val``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of the validation samples, with a positive
            sum. ``class_weight`` does not apply to them (as in
            HistGradientBoostingClassifier).

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
        validation_set = self._check_validation_request(X_val, y_val, sample_weight_val)
        return self._transaction(
            self._fit,
            X,
            y,
            sample_weight,
            incremental=False,
            validation_set=validation_set,
        )

    def _check_validation_request(self, X_val, y_val, sample_weight_val):
        """``(X_val, y_val, sample_weight_val)``, or None when none is given;
        HistGradientBoostingClassifier's errors where they cannot be used."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError(
                    "sample_weight_val is provided, but X_val and y_val were not."
                )
            return None
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided.")
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                f"X_val and y_val are used for early stopping, which solver="
                f"{self.solver!r} does not do: use a solver of "
                f"{_STOCHASTIC_SOLVERS} with early_stopping=True, or leave them out."
            )
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed to fit while early_stopping is False: "
                "set early_stopping=True to stop on them, or leave them out."
            )
        return X_val, y_val, sample_weight_val

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

    # Overflow in the math shows up as non-finite weights, loss or outputs,
    # which _check_finite and _forward turn into a ValueError naming the cause.
    @np.errstate(over="ignore", invalid="ignore", divide="ignore")
    def _fit(self, X, y, sample_weight, incremental, classes=None, validation_set=None):
        self._check_parameter_combinations(incremental)
        first_call = not (hasattr(self, "coefs_") and (incremental or self.warm_start))
        # A checkpoint's resume state serves the next warm-started fit only.
        resume = self.__dict__.pop("_resume", None)
        if first_call or incremental:
            resume = None
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
        if resume is None:
            self._random_state = check_random_state(self.random_state)
        else:
            self._random_state = self._resumed_generator(resume, X.shape[0])
        if first_call:
            self._initialize(X.shape[1], Y, sample_weight, incremental, xp, device)
        else:
            self._check_warm_start_shapes()
        data = TrainingData(X, Y, sample_weight, xp, device)
        validation = None
        if validation_set is not None:
            validation = self._validate_validation_data(*validation_set, data)
        if self.solver == "lbfgs":
            self._fit_lbfgs(data, tasks)
        else:
            self._fit_iterative(data, incremental, tasks, validation, resume)
        if xp is not np and self.classes_.dtype.kind in "biuf":
            self.classes_ = xp.asarray(self.classes_, device=device)
        tasks.end()
        return self

    def _check_parameter_combinations(self, incremental):
        """The errors of parameters each valid alone but not together."""
        if incremental and self.early_stopping:
            # MLPClassifier's error: one batch holds no validation set to stop by.
            raise ValueError("partial_fit does not support early_stopping=True")
        for name in ("dropout", "input_dropout"):
            p = getattr(self, name)
            if self.solver == "lbfgs" and p > 0:
                raise ValueError(
                    f"{name}={p} needs a stochastic solver ('adam', 'sgd' or "
                    "'gd'): L-BFGS's line searches need a deterministic loss, "
                    f"and {name} draws a new one at each step. Set {name}=0.0 "
                    "or change the solver."
                )
        if (
            self.learning_rate == "cosine"
            and self.solver != "lbfgs"
            and self.warmup_iter >= self.max_iter
        ):
            raise ValueError(
                f"warmup_iter={self.warmup_iter} leaves no epoch of the cosine "
                f"cycle of max_iter={self.max_iter} epochs: with "
                "learning_rate='cosine', warmup_iter must be less than max_iter."
            )

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
        dtype = X.dtype if xp is np else host_dtype(X, xp)
        Y, weights = self._targets_and_weights(
            to_numpy(y), sample_weight, classes, first_call, incremental, dtype
        )
        return X, Y, weights

    def _validate_validation_data(self, X_val, y_val, sample_weight_val, data):
        """The validation set as TrainingData, X_val checked as X was (its
        namespace, device, features and dtype), y_val against the classes."""
        xp, device = data.xp, data.device
        val_xp, val_device = get_namespace_and_device(X_val)
        if val_xp is not xp or val_device != device:
            raise ValueError(
                f"X_val must be of the array library and device of X: X is "
                f"{library_name(xp)} on {device!r}, X_val {library_name(val_xp)} "
                f"on {val_device!r}."
            )
        try:
            X_val = validate_data(
                self,
                X_val,
                accept_sparse="csr" if xp is np else False,
                dtype=data.X.dtype,
                reset=False,
            )
        except ValueError as exc:
            raise ValueError(f"X_val: {exc}") from exc
        dtype = data.X.dtype if xp is np else host_dtype(data.X, xp)
        Y_val, sw_val = self._validation_targets(
            to_host(y_val), to_host(sample_weight_val), X_val.shape[0], dtype
        )
        return TrainingData(X_val, *from_numpy([Y_val, sw_val], xp, device), xp, device)

    # ---------------------------------------------------------- prediction

    def _forward(self, X, xp=np, logits=False):
        """The output probabilities (or, with ``logits=True``, the output
        layer's logits Z2) for an X that ``_validate_X`` accepted."""
        params = self._params
        if xp is not np and X.dtype != params[0].dtype:  # promoted as NumPy would
            dtype = xp.result_type(X.dtype, params[0].dtype)
            X, *params = (xp.astype(a, dtype) for a in [X, *params])
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                out_activation = None if logits else self.out_activation_
                _, A2 = _network.forward(
                    X, params, self.activation, out_activation, check=True, xp=xp
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

    def decision_function(self, X):
        """The output layer's logits, before the softmax or logistic output.

        ``Z2 = A1 W2 + b2``, with ``A1`` the hidden activations (see the user
        guide's network equations). ``predict`` is their argmax, or, for a
        binary problem, the class ``classes_[1]`` where the logit is positive;
        ``predict_proba`` is their softmax (logistic for binary and multilabel
        targets). Use it where the raw scores are wanted, for example by
        ``CalibratedClassifierCV(method="temperature")``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The logit of ``classes_[1]`` for a binary problem, shape
            ``(n_samples,)``; otherwise one column per class (per label for
            multilabel targets), in the order of ``classes_``. float32 for
            float32 input.

        Examples
        --------
        >>> from sklearn_tinynn import TwoLayerNNClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], ["no", "no", "yes", "yes"]
        >>> clf = TwoLayerNNClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> scores = clf.decision_function([[0.1], [0.9]])
        >>> scores.shape, bool(scores[0] < 0 < scores[1])
        ((2,), True)
        """
        X, xp = self._validate_X(X, "decision_function")
        Z2 = self._forward(X, xp, logits=True)
        if self.n_outputs_ == 1 and not self._multilabel:
            return Z2[:, 0]
        return Z2

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
        # From the logits: a positive logit is a probability above 0.5 and
        # the softmax keeps the order, so these are predict_proba's labels,
        # and exactly those of decision_function, which rounding of the
        # output activation near 0.5 or a tie could otherwise change.
        X, xp = self._validate_X(X, "predict")
        Z2 = self._forward(X, xp, logits=True)
        if xp is np:
            if self._multilabel:
                return (Z2 > 0).astype(int)
            if self.n_outputs_ == 1:
                return self.classes_[(Z2[:, 0] > 0).astype(int)]
            return self.classes_[Z2.argmax(axis=1)]
        if self._multilabel:
            return xp.astype(Z2 > 0, xp.int64)
        if self.n_outputs_ == 1:
            indices = xp.astype(Z2[:, 0] > 0, xp.int64)
        else:
            indices = xp.argmax(Z2, axis=1)
        if isinstance(self.classes_, np.ndarray):  # strings stay NumPy
            return self.classes_[to_numpy(indices)]
        return xp.take(self.classes_, indices, axis=0)
