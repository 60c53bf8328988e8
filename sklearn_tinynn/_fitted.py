"""What a consistent fitted network is: one definition, below the estimator.

The estimator derives its output layer here, the loader checks a model file
here, and the ONNX exporter reads a model through these rules; none of them
keeps a copy. Nothing here knows about scikit-learn. Each check raises a
ValueError of one line that names the attribute, the bad value and what
would be accepted.

The rules, in the names of the network's equations (see ``_network.py``)::

    parameters   [W1, b1, W2, b2] of shapes [(n_features, n_hidden), (n_hidden,),
                 (n_hidden, n_outputs), (n_outputs,)], one float dtype, finite
    output       multilabel: logistic, one unit per label (classes 0, 1, ...);
                 2 classes: logistic, one unit; 3 or more: softmax, one per class
    classes      a 1-D array, sorted, without repeats, of bool, int, unsigned,
                 float (no NaN) or str labels (the search of ``_encode`` and the
                 order of the outputs rely on it)
    optimizer    per-parameter moments or velocities shaped and typed like the
                 parameters; its step count and rates numbers it can go on from;
                 a schedule's position (epoch, horizon, level) all or none
    resume       (a checkpoint taken mid-fit) the keys of RESUME_KEYS, with
                 early stopping RESUME_EARLY_STOPPING_KEYS, with dropout or
                 input dropout RESUME_DROPOUT_KEYS: sound generators, best
                 weights laid out as the parameters, a 63-bit dropout seed;
                 a solver of RESUMABLE_SOLVERS with its optimizer state;
                 1 <= n_iter_ < max_iter
"""

import itertools
import math
import numbers

import numpy as np

from ._activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ._optimizers import POSITION

WEIGHT_DTYPES = (np.dtype("float32"), np.dtype("float64"))

# The largest count of steps or samples a model may hold: int64's, which the
# schedules turn into floats without overflow.
MAX_COUNT = 2**63 - 1

# Label dtypes: bool, signed and unsigned integers, floats, and text (a NumPy
# str array, or an object array of Python str, which pandas labels give).
_LABEL_KINDS = "biufU"


# The records a fit appends to once per epoch (a failed call truncates them
# back; a loaded model's must be lists of finite numbers).
RECORDS = ("loss_curve_", "validation_scores_", "validation_loss_curve_")

# The attributes sklearn.callback sets on an estimator: a failed fit keeps them
# as they are (the teardown hooks still need them); a saved model holds none.
CALLBACK_STATE = (
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
)


def is_int(value):
    """True for an integer that is not a bool (Python's or NumPy's)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value):
    """True for a real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def show(value):
    """repr of a number or string; the type of anything else (whose repr may fail)."""
    if value is None or isinstance(value, (numbers.Number, str)):
        return repr(value)
    return f"<{type(value).__name__}>"


def output_layer(n_classes, multilabel):
    """``(n_outputs, out_activation)`` of a network for these classes.

    Parameters
    ----------
    n_classes : int
        The number of classes (of labels, for a multilabel model), 2 or more.
    multilabel : bool
        Whether each sample has a set of labels (an indicator matrix).

    Returns
    -------
    n_outputs : int
        One logistic unit per label, one for 2 classes, else one per class.
    out_activation : {'logistic', 'softmax'}

    Examples
    --------
    >>> from sklearn_tinynn._fitted import output_layer
    >>> output_layer(2, False), output_layer(10, False), output_layer(3, True)
    ((1, 'logistic'), (10, 'softmax'), (3, 'logistic'))
    """
    if not is_int(n_classes) or n_classes < 2:
        raise ValueError(
            f"A classifier needs at least 2 classes, got {show(n_classes)}."
        )
    if multilabel:
        return n_classes, "logistic"
    if n_classes == 2:
        return 1, "logistic"
    return n_classes, "softmax"


def check_classes(classes, name="classes_"):
    """Check that ``classes`` is a valid ``classes_`` array (see the module).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynn._fitted import check_classes
    >>> check_classes(np.array([0, 2, 1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: classes_ [0, 2, 1] is not sorted: expected its labels in increasing...
    """
    if type(classes) is not np.ndarray or classes.ndim != 1:
        raise ValueError(f"{name} is not a 1-D NumPy array")
    kind = classes.dtype.kind
    if kind == "O" and all(type(label) is str for label in classes.tolist()):
        kind = "U"
    if kind not in _LABEL_KINDS:
        raise ValueError(
            f"{name} of dtype {classes.dtype}: expected labels of bool, int, "
            "unsigned, float or str dtype"
        )
    if kind == "f" and np.isnan(classes).any():
        raise ValueError(f"{name} holds NaN, which is no label")
    if len(classes) < 2:
        raise ValueError(f"{name} has {len(classes)} labels; expected 2 or more")
    labels = classes.tolist()
    shown = labels if len(labels) <= 10 else f"{labels[:10]}..."
    if any(a == b for a, b in itertools.pairwise(labels)):
        raise ValueError(f"{name} {shown} repeats a label")
    if any(a > b for a, b in itertools.pairwise(labels)):
        raise ValueError(
            f"{name} {shown} is not sorted: expected its labels in increasing order"
        )


def parameter_shapes(n_features, n_hidden, n_outputs):
    """The shapes of ``[W1, b1, W2, b2]``."""
    return [(n_features, n_hidden), (n_hidden,), (n_hidden, n_outputs), (n_outputs,)]


def check_parameters(coefs, intercepts, n_features, n_outputs):
    """Check the weights and biases; return ``[W1, b1, W2, b2]``.

    ``coefs`` and ``intercepts`` are lists of two NumPy arrays each, of one
    dtype (float32 or float64), of the shapes that ``n_features`` inputs, any
    number of hidden units and ``n_outputs`` outputs give, and finite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynn._fitted import check_parameters
    >>> W1, b1, W2, b2 = np.zeros((4, 3)), np.zeros(3), np.zeros((3, 2)), np.zeros(2)
    >>> [p.shape for p in check_parameters([W1, W2], [b1, b2], 4, 2)]
    [(4, 3), (3,), (3, 2), (2,)]
    >>> check_parameters([W1, W2], [b1, b2], 5, 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: weights of shapes [(4, 3), ...] (W1, b1, W2, b2), but ...=5...
    """
    for name, value in (("coefs_", coefs), ("intercepts_", intercepts)):
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(type(array) is np.ndarray for array in value)
        ):
            raise ValueError(f"{name} is not a list of two NumPy arrays")
    params = [coefs[0], intercepts[0], coefs[1], intercepts[1]]
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1 or not dtypes <= set(WEIGHT_DTYPES):
        raise ValueError(
            f"weights of dtypes {sorted(map(str, dtypes))}; expected all float32 "
            "or all float64"
        )
    n_hidden = params[0].shape[-1] if params[0].ndim else 0
    expected = parameter_shapes(n_features, n_hidden, n_outputs)
    shapes = [p.shape for p in params]
    if shapes != expected or n_hidden < 1:
        raise ValueError(
            f"weights of shapes {shapes} (W1, b1, W2, b2), but n_features_in_="
            f"{n_features} and n_outputs_={n_outputs} need {expected}"
        )
    if not all(np.isfinite(p).all() for p in params):
        raise ValueError("the weights hold NaN or infinite values")
    return params


def check_activations(activation, out_activation):
    """Check the names of the hidden and the output activation."""
    for name, value, table in (
        ("activation", activation, HIDDEN_ACTIVATIONS),
        ("out_activation_", out_activation, OUTPUT_ACTIVATIONS),
    ):
        if not isinstance(value, str) or value not in table:
            raise ValueError(
                f"unknown {name}={show(value)}; expected one of {sorted(table)}"
            )


def output_kind(classes, n_outputs, out_activation):
    """'binary', 'multiclass' or 'multilabel', from the public fitted attributes.

    A model is multilabel exactly when its output is logistic with more than
    one unit; its ``classes_`` are then the label indices 0, 1, ...

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynn._fitted import output_kind
    >>> output_kind(np.array(["no", "yes"]), 1, "logistic")
    'binary'
    >>> output_kind(np.arange(3), 3, "logistic")
    'multilabel'
    """
    check_classes(classes)
    multilabel = out_activation == "logistic" and n_outputs != 1
    if multilabel and classes.tolist() != list(range(len(classes))):
        raise ValueError(
            f"out_activation_='logistic' with n_outputs_={n_outputs} is a "
            f"multilabel model, whose classes_ are 0 to {n_outputs - 1}, not "
            f"{classes.tolist()[:10]}"
        )
    check_output(classes, n_outputs, out_activation, multilabel)
    if multilabel:
        return "multilabel"
    return "binary" if n_outputs == 1 else "multiclass"


def check_output(classes, n_outputs, out_activation, multilabel):
    """Check that the output layer is the one :func:`output_layer` gives."""
    if not isinstance(multilabel, bool):
        raise ValueError(f"_multilabel={show(multilabel)} is not a boolean")
    expected = output_layer(len(classes), multilabel)
    if (n_outputs, out_activation) != expected:
        kind = "multilabel" if multilabel else f"{len(classes)}-class"
        raise ValueError(
            f"out_activation_={show(out_activation)} with n_outputs_="
            f"{show(n_outputs)} does not fit a {kind} model with classes_ of "
            f"length {len(classes)}: expected {expected[1]!r} with {expected[0]}"
        )


# --------------------------------------------------------- training state

# Per solver: the keys of its state, and those holding one array per parameter.
_STATE_KEYS = {
    "gd": ({"solver", "learning_rate", "learning_rate_init"}, ()),
    "sgd": ({"solver", "learning_rate", "learning_rate_init", "velocities"},
            ("velocities",)),
    "adam": ({"solver", "learning_rate", "learning_rate_init", "t", "M", "V"},
             ("M", "V")),
}  # fmt: skip


def check_optimizer_state(state, params):
    """Check an optimizer state against the parameters it updates.

    ``state`` is None (no step taken yet), or the dict of the solver it names:
    a positive finite learning rate, Adam's step count ``t`` and its moments
    ``M`` and ``V`` (V, a sum of squares, non-negative), or SGD's
    ``velocities``: one finite array per parameter, of its shape and dtype.
    A schedule with a position ('cosine', 'plateau', a warm-up) adds the
    keys ``epoch`` (a count), ``horizon`` (a positive count) and ``level``
    (a positive finite rate), all three or none.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynn._fitted import check_optimizer_state
    >>> state = {"solver": "gd", "learning_rate": -0.1, "learning_rate_init": 0.1}
    >>> check_optimizer_state(state, [np.zeros((2, 2))])
    Traceback (most recent call last):
    ...
    ValueError: _optimizer_state['learning_rate']=-0.1 is not a positive finite number
    """
    if state is None:
        return
    if not isinstance(state, dict) or state.get("solver") not in _STATE_KEYS:
        raise ValueError(
            "_optimizer_state is not None or the dict of a solver among "
            f"{sorted(_STATE_KEYS)}"
        )
    keys, per_parameter = _STATE_KEYS[state["solver"]]
    if set(state) not in (keys, keys | set(POSITION)):
        raise ValueError(
            f"_optimizer_state of solver {state['solver']!r} has the keys "
            f"{sorted(map(str, state))}; expected {sorted(keys)}, with "
            f"{list(POSITION)} for a schedule with a position"
        )
    _check_counts(state)
    for key in ("learning_rate", "learning_rate_init", "level"):
        value = state.get(key, 1.0)  # no level without a position
        if not (is_real(value) and 0 < value < math.inf):
            raise ValueError(
                f"_optimizer_state[{key!r}]={show(value)} is not a positive "
                "finite number"
            )
    for key in per_parameter:
        _check_layout(state[key], params, f"_optimizer_state[{key!r}]")
    if "V" in state and any((V < 0).any() for V in state["V"]):
        raise ValueError("_optimizer_state['V'] holds negative squares")


def _check_counts(state):
    """Adam's step count and a schedule's epoch and horizon (at least 1): counts
    within int64."""
    for key, low in (("t", 0), ("epoch", 0), ("horizon", 1)):
        value = state.get(key, low)
        if not (is_int(value) and low <= value <= MAX_COUNT):
            raise ValueError(f"_optimizer_state[{key!r}]={show(value)} is not a count")


def _check_layout(arrays, params, name):
    """One finite array per parameter, of its shape and dtype."""
    if not (isinstance(arrays, list) and all(type(a) is np.ndarray for a in arrays)):
        raise ValueError(f"{name} is not a list of NumPy arrays")
    got = [(a.shape, a.dtype) for a in arrays]
    expected = [(p.shape, p.dtype) for p in params]
    if got != expected:
        raise ValueError(
            f"{name} has arrays of shapes and dtypes {_layout(got)}; the "
            f"parameters [W1, b1, W2, b2] need {_layout(expected)}"
        )
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"{name} holds NaN or infinite values")


def _layout(pairs):
    return "[" + ", ".join(f"{shape} {dtype}" for shape, dtype in pairs) + "]"


def check_random_state(value, name):
    """A NumPy RandomState whose Mersenne Twister key is not all zeros.

    An all-zero key is a degenerate generator state (MT19937 then draws
    almost only zeros): no seed produces it.
    """
    if type(value) is not np.random.RandomState:
        raise ValueError(f"{name} is a {type(value).__name__}, not a RandomState")
    _, key, *_ = value.get_state()
    if not key.any():
        raise ValueError(f"{name} has an all-zero Mersenne Twister key")


# ------------------------------------------------------------ resume state

# A checkpoint taken in the middle of a fit ('adam', 'sgd' or 'gd') carries
# ``_resume``, the dict of what drives the rest of that fit beyond the fitted
# attributes (the weights, the optimizer state, n_iter_ the epochs it has
# run, the records and the stopping-rule counters): the fit's random
# generator after the epoch, the number of training rows, and, with early
# stopping, the generator as it was before the validation split (to hold out
# the same rows again) and the best weights so far; with dropout, the seed
# of the fit's masks (see ``_network.dropout_mask``), drawn once per fit,
# with dropout or input dropout.
RESUME_KEYS = frozenset({"random_state", "n_samples"})
RESUME_EARLY_STOPPING_KEYS = frozenset(
    {"split_random_state", "best_coefs", "best_intercepts"}
)
RESUME_DROPOUT_KEYS = frozenset({"dropout_seed"})
RESUMABLE_SOLVERS = ("adam", "sgd", "gd")
# The model's attributes that a resume state is checked against.
RESUMED_FIT = (
    "solver",
    "early_stopping",
    "dropout",
    "input_dropout",
    "max_iter",
    "n_iter_",
)
# The parameters whose masks take the dropout seed (either on: a seed).
DROPOUTS = ("dropout", "input_dropout")


def uses_dropout_seed(rates):
    """Whether a fit of the dropout ``rates`` ({name: rate} of DROPOUTS)
    draws the dropout seed: the one rule, that either rate is above 0.

    Examples
    --------
    >>> from sklearn_tinynn._fitted import uses_dropout_seed
    >>> uses_dropout_seed({"dropout": 0.0, "input_dropout": 0.2})
    True
    """
    return any(is_real(p) and p > 0 for p in rates.values())


def check_resume_state(resume, params, optimizer_state, fit):
    """Check the resume state of a checkpoint against the model it is in.

    ``fit`` holds the model's ``solver``, ``early_stopping``, ``dropout``,
    ``input_dropout`` (0 when absent), ``max_iter`` and ``n_iter_``;
    ``params`` are its checked ``[W1, b1, W2, b2]``. The generators must be
    sound, the best weights laid out as ``params`` and the dropout seed an
    int in [0, 2**63).

    Examples
    --------
    >>> from sklearn_tinynn._fitted import check_resume_state
    >>> fit = {"solver": "lbfgs", "early_stopping": False, "dropout": 0.0,
    ...        "max_iter": 9, "n_iter_": 3}
    >>> check_resume_state({}, [], None, fit)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: _resume: a fit of solver='lbfgs' cannot resume; expected one of...
    """
    check_resumed_fit(resume, optimizer_state, fit)
    check_random_state(resume["random_state"], "_resume['random_state']")
    seed = resume.get("dropout_seed")
    if seed is not None and not (is_int(seed) and 0 <= seed < 2**63):
        raise ValueError(
            f"_resume['dropout_seed']={show(seed)} is not an int in [0, 2**63)"
        )
    if fit["early_stopping"]:
        name = "_resume['split_random_state']"
        check_random_state(resume["split_random_state"], name)
        coefs, intercepts = resume["best_coefs"], resume["best_intercepts"]
        name = "_resume['best_coefs'] and ['best_intercepts']"
        if not all(isinstance(v, list) and len(v) == 2 for v in (coefs, intercepts)):
            raise ValueError(f"{name} are not lists of two arrays each")
        best = [coefs[0], intercepts[0], coefs[1], intercepts[1]]
        _check_layout(best, params, name)


def check_resumed_fit(resume, optimizer_state, fit):
    """Check that a fit of the parameters ``fit`` can go on from ``resume``:
    its solver, early stopping and dropout (of either layer, on or off) those
    the state was saved with, its ``n_iter_`` epochs run between 1 and
    ``max_iter - 1``."""
    solver, early_stopping = fit["solver"], fit["early_stopping"]
    rates = {name: fit.get(name, 0.0) for name in DROPOUTS}
    dropout = uses_dropout_seed(rates)
    if solver not in RESUMABLE_SOLVERS:
        raise ValueError(
            f"_resume: a fit of solver={show(solver)} cannot resume; expected one "
            f"of {RESUMABLE_SOLVERS}"
        )
    keys = RESUME_KEYS | (RESUME_EARLY_STOPPING_KEYS if early_stopping else set())
    keys |= RESUME_DROPOUT_KEYS if dropout else set()
    if not isinstance(resume, dict) or set(resume) != keys:
        got = sorted(map(show, resume)) if isinstance(resume, dict) else show(resume)
        raise ValueError(
            f"_resume has the keys {got}; a fit with early_stopping="
            f"{show(early_stopping)}, "
            + ", ".join(f"{name}={show(p)}" for name, p in rates.items())
            + f" needs {sorted(keys)}"
        )
    n_iter, max_iter = fit["n_iter_"], fit["max_iter"]
    if not (is_int(n_iter) and is_int(max_iter) and 1 <= n_iter < max_iter):
        raise ValueError(
            f"_resume with n_iter_={show(n_iter)} and max_iter={show(max_iter)}: "
            "a fit to resume has run at least 1 and fewer than max_iter epochs"
        )
    n_samples = resume["n_samples"]
    if not (is_int(n_samples) and 1 <= n_samples <= MAX_COUNT):
        raise ValueError(f"_resume['n_samples']={show(n_samples)} is not a count")
    if not (
        isinstance(optimizer_state, dict) and optimizer_state.get("solver") == solver
    ):
        raise ValueError(
            f"_resume: the optimizer state is not one of solver={show(solver)}"
        )
