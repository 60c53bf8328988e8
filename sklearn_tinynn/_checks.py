"""Consistency checks of a loaded model: a classifier, or a Pipeline ending in one.

:func:`check_model` runs before a loaded model is first used (and before one
is saved). The network's rules are those of ``_fitted.py``; this module adds
what a whole estimator holds: its parameters, its training record, no
attribute that would stand in for a method, and, for a Pipeline, each step
of the exact allow-list :data:`PIPELINE_STEPS` with fitted attributes of the
shapes its ``n_features_in_`` needs, each step taking the width the one
before it gives.
"""

import numbers

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from . import _fitted
from ._classifier import TwoLayerNNClassifier
from ._fitted import MAX_COUNT, is_int, is_real, show

_TRANSFORMERS = (
    StandardScaler,
    MinMaxScaler,
    MaxAbsScaler,
    RobustScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    SimpleImputer,
    PCA,
    VarianceThreshold,
)


def type_path(cls):
    """``module.Class``, the name under which skops writes and trusts a type."""
    return f"{cls.__module__}.{cls.__qualname__}"


#: The scikit-learn types that a saved Pipeline may hold, by their exact names
#: in the installed scikit-learn: none of them holds user code. (A fitted
#: ColumnTransformer also holds a FunctionTransformer without a function for
#: each 'passthrough', and nothing else may.)
PIPELINE_STEPS = frozenset(
    map(type_path, (Pipeline, ColumnTransformer, *_TRANSFORMERS))
)
FILE_TYPES = PIPELINE_STEPS | {type_path(FunctionTransformer)}

# Names that scikit-learn, NumPy or Python look up on an estimator as a method
# or hook; an instance attribute of that name would stand in for it.
_HOOKS = frozenset(
    {"_more_tags", "_get_tags", "_estimator_type", "_repr_html_", "_repr_mimebundle_"}
)

_FITTED = (
    "coefs_",
    "intercepts_",
    "classes_",
    "n_features_in_",
    "n_outputs_",
    "n_layers_",
    "out_activation_",
    "_multilabel",
)


def check_model(model, name="model"):
    """Check that a loaded model is a consistent, fitted TwoLayerNNClassifier
    or a Pipeline of trusted steps ending in one.

    Raises ValueError with one line naming ``name`` and the first
    inconsistency.
    """
    try:
        if type(model) is Pipeline:
            _check_pipeline(model)
        else:
            _check_classifier(model)
    except ValueError as exc:
        raise ValueError(f"{name}: inconsistent model: {exc}") from exc


# ------------------------------------------------------------ the classifier


def _check_classifier(model, where=""):
    if type(model) is not TwoLayerNNClassifier:
        raise ValueError(f"{where}a {type(model).__name__}, not a TwoLayerNNClassifier")
    state = _check_attributes(model, where)
    missing = [key for key in (*model._get_param_names(), *_FITTED) if key not in state]
    if missing:
        raise ValueError(f"{where}missing attributes {missing} (not fitted?)")
    if callable(state["scoring"]):
        raise ValueError(
            f"{where}scoring={state['scoring']!r} is a callable, which a saved "
            "model cannot hold (a file carries no code): set_params(scoring=...) "
            "to None, 'loss' or a scorer name before saving"
        )
    odd = [key for key in model._get_param_names() if not _is_plain(state[key])]
    if odd:
        raise ValueError(
            f"{where}parameters {odd} hold objects other than numbers, strings, "
            "dicts and a RandomState"
        )
    try:
        model._validate_params()
        _check_sizes(model)
        params = _fitted.check_parameters(
            model.coefs_, model.intercepts_, model.n_features_in_, model.n_outputs_
        )
        _fitted.check_activations(model.activation, model.out_activation_)
        kind = _fitted.output_kind(
            model.classes_, model.n_outputs_, model.out_activation_
        )
        if model._multilabel is not (kind == "multilabel"):
            raise ValueError(
                f"_multilabel={show(model._multilabel)} does not match the output "
                f"layer of a {kind} model"
            )
        _check_training_state(model, params)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}{exc}") from None


def _check_attributes(model, where):
    """``vars(model)``, after refusing names that would stand in for methods."""
    state = vars(model)
    if not all(isinstance(key, str) for key in state):
        raise ValueError(f"{where}attribute names that are not strings")
    hiding = sorted(
        key
        for key in state
        if hasattr(type(model), key)
        or key in _HOOKS
        or (key.startswith("__") and key.endswith("__"))
    )
    if hiding:
        raise ValueError(
            f"{where}attributes {hiding} would hide methods or hooks that "
            "scikit-learn looks up"
        )
    return state


def _is_plain(value, depth=0):
    if isinstance(value, dict) and depth < 4:
        return all(
            _is_plain(key, depth + 1) and _is_plain(item, depth + 1)
            for key, item in value.items()
        )
    return value is None or isinstance(
        value, (numbers.Number, str, np.random.RandomState)
    )


def _check_sizes(model):
    for key in ("n_features_in_", "n_outputs_", "n_layers_"):
        value = getattr(model, key)
        if not is_int(value):
            raise ValueError(f"{key}={show(value)} is not an integer")
        if value < 1:
            raise ValueError(f"{key}={value} is not positive")
    if model.n_layers_ != 3:
        raise ValueError(f"n_layers_={model.n_layers_}, expected 3")
    _check_feature_names(model)


def _check_feature_names(step):
    names = getattr(step, "feature_names_in_", None)
    if names is not None and not (
        type(names) is np.ndarray
        and names.shape == (step.n_features_in_,)
        and all(type(n) is str for n in names.tolist())
    ):
        raise ValueError(
            f"feature_names_in_ is not an array of {step.n_features_in_} names"
        )


def _check_training_state(model, params):
    """The training record, as the fitted model's solver would have left it."""
    state = vars(model)
    _check_counts_and_losses(state)
    records = [state.get(key) for key in _fitted.RECORDS]
    for key, value in zip(_fitted.RECORDS, records):
        if value is not None and not (
            isinstance(value, list)
            and all(is_real(v) and np.isfinite(v) for v in value)
        ):
            raise ValueError(f"{key} is not a list of finite numbers")
    _fitted.check_optimizer_state(state.get("_optimizer_state"), params)
    if "_resume" in state:
        fit = {key: getattr(model, key, None) for key in _fitted.RESUMED_FIT}
        _fitted.check_resume_state(
            state["_resume"], params, state.get("_optimizer_state"), fit
        )
    _check_unshared(model, params, records)
    if isinstance(model.random_state, np.random.RandomState):
        _fitted.check_random_state(model.random_state, "random_state")
    if "_random_state" in state:
        _fitted.check_random_state(state["_random_state"], "_random_state")
    callbacks = [key for key in _fitted.CALLBACK_STATE if state.get(key)]
    if callbacks:
        raise ValueError(
            f"callback state {callbacks}: a saved model holds none (clear them "
            "with set_callbacks() before saving)"
        )


def _check_counts_and_losses(state):
    """The step and epoch counts, and the scalar losses and scores."""
    for key in ("n_iter_", "t_", "_no_improvement_count"):
        value = state.get(key, 0)
        if not (is_int(value) and 0 <= value <= MAX_COUNT):
            raise ValueError(f"{key}={show(value)} is not a count")
    for key in ("loss_", "best_loss_", "best_validation_score_"):
        value = state.get(key)
        if not (value is None or is_real(value)) or value != value:
            raise ValueError(f"{key}={show(value)} is not a number")
    if state.get("loss_") is not None and not 0 <= state["loss_"] < np.inf:
        raise ValueError(f"loss_={state['loss_']!r} is not a finite loss")


def _check_unshared(model, params, records):
    """Nothing the fit updates in place may be another such thing."""
    state = model._optimizer_state or {}
    mutable = [
        *params,
        *(a for k in ("M", "V", "velocities") for a in state.get(k, [])),
    ]
    mutable += [r for r in records if r is not None]
    mutable += [model.coefs_, model.intercepts_]
    resume = vars(model).get("_resume", {})
    for key in ("best_coefs", "best_intercepts"):
        if key in resume:
            mutable += [resume[key], *resume[key]]
    if len({id(value) for value in mutable}) != len(mutable):
        raise ValueError(
            "the weights, optimizer state and records share an array or list; "
            "each must be its own"
        )


# ------------------------------------------------------------- the Pipeline


def _check_pipeline(pipe):
    state = _check_attributes(pipe, "Pipeline: ")
    steps = state.get("steps")
    if not (
        isinstance(steps, list)
        and steps
        and all(isinstance(s, tuple) and len(s) == 2 for s in steps)
    ):
        raise ValueError("Pipeline: steps is not a list of (name, estimator) pairs")
    names = [name for name, _ in steps]
    if not all(type(n) is str for n in names) or len(set(names)) != len(names):
        raise ValueError(f"Pipeline: step names {names!r} are not distinct strings")
    try:
        pipe._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Pipeline: {exc}") from None
    if state.get("memory") is not None:
        raise ValueError("Pipeline: memory is set; a saved Pipeline caches nothing")
    *transformers, (last_name, last) = steps
    width = None
    for step_name, step in transformers:
        width = _check_step(
            step, f"step {step_name!r} ({type(step).__name__}): ", width
        )
    _check_classifier(last, f"step {last_name!r}: ")
    if width is not None and last.n_features_in_ != width:
        raise ValueError(
            f"step {last_name!r} takes n_features_in_={last.n_features_in_}, but "
            f"the steps before it give {width} features"
        )


def _check_step(step, where, width):
    """Check a fitted transformer taking ``width`` features; return its width out."""
    if type(step) not in _STEP_CHECKS:
        trusted = sorted(cls.__name__ for cls in _STEP_CHECKS)
        raise ValueError(f"{where}not one of the trusted steps {trusted}")
    state = _check_attributes(step, where)
    n = state.get("n_features_in_")
    if not (is_int(n) and n >= 1):
        raise ValueError(f"{where}n_features_in_={show(n)} is not a positive integer")
    if width is not None and n != width:
        raise ValueError(
            f"{where}takes n_features_in_={n}, but the step before it gives {width}"
        )
    try:
        step._validate_params()
        _check_feature_names(step)
        out = _STEP_CHECKS[type(step)](step, n)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise ValueError(f"{where}{exc}") from None
    return out


def _arrays(step, n, *names, kinds="f", needed=True):
    """Each attribute is an array of shape (n,) of the dtype kinds; with
    ``needed`` False, None is accepted too."""
    for name in names:
        value = getattr(step, name, None)
        if value is None and not needed:
            continue
        if not (
            type(value) is np.ndarray
            and value.shape == (n,)
            and value.dtype.kind in kinds
        ):
            raise ValueError(f"{name} is not an array of {n} numbers")


def _scaler(**arrays):
    """A same-width step; ``arrays``: attribute -> the parameter that needs it
    (None: always needed)."""

    def check(step, n):
        for name, param in arrays.items():
            _arrays(step, n, name, needed=param is None or bool(getattr(step, param)))
        return n

    return check


def _check_imputer(step, n):
    _arrays(step, n, "statistics_", kinds="fiubUO")
    return len(step.get_feature_names_out())


def _check_variance(step, n):
    _arrays(step, n, "variances_")
    return int(step._get_support_mask().sum())


def _check_pca(step, n):
    k = step.n_components_
    if not (is_int(k) and 1 <= k <= n):
        raise ValueError(f"n_components_={show(k)} is not between 1 and {n}")
    _arrays(step, n, "mean_")
    _arrays(
        step, k, "explained_variance_", "explained_variance_ratio_", "singular_values_"
    )
    components = step.components_
    if not (
        type(components) is np.ndarray
        and components.shape == (k, n)
        and components.dtype.kind == "f"
    ):
        raise ValueError(f"components_ is not an array of shape ({k}, {n})")
    return k


def _check_categories(step, n):
    categories = step.categories_
    if not (isinstance(categories, list) and len(categories) == n):
        raise ValueError(f"categories_ is not a list of {n} arrays")
    for i, values in enumerate(categories):
        if not (type(values) is np.ndarray and values.ndim == 1 and len(values) >= 1):
            raise ValueError(f"categories_[{i}] is not a 1-D array of categories")
        if values.dtype.kind in "biuf":
            known = values[~np.isnan(values)] if values.dtype.kind == "f" else values
            if (np.diff(known) <= 0).any():
                raise ValueError(f"categories_[{i}] is not sorted and unique")
        elif not (
            values.dtype.kind in "UO" and all(type(v) is str for v in values.tolist())
        ):
            raise ValueError(
                f"categories_[{i}] holds values other than numbers or strings"
            )
    if getattr(step, "_infrequent_enabled", False) is not False:
        raise ValueError("infrequent categories are not supported in a saved Pipeline")


def _check_one_hot(step, n):
    _check_categories(step, n)
    return len(step.get_feature_names_out())


def _check_ordinal(step, n):
    _check_categories(step, n)
    return n


def _check_column_transformer(step, n):
    fitted = step.transformers_
    if not (
        isinstance(fitted, list)
        and all(isinstance(t, tuple) and len(t) == 3 for t in fitted)
    ):
        raise ValueError("transformers_ is not a list of (name, transformer, columns)")
    columns = np.arange(n)
    indices = step._transformer_to_input_indices
    width = 0
    for name, transformer, selection in fitted:
        where = f"transformer {name!r} ({type(transformer).__name__}): "
        chosen = _columns(step, selection, columns)
        if not np.array_equal(np.asarray(indices.get(name), dtype=np.int64), chosen):
            raise ValueError(f"{where}its column indices do not match its columns")
        if transformer == "drop":
            continue
        if transformer == "passthrough" or type(transformer) is FunctionTransformer:
            width += _check_passthrough(transformer, where, len(chosen))
            continue
        width += _check_step(transformer, where, len(chosen))
    if width != len(step.get_feature_names_out()):
        raise ValueError(
            f"its transformers give {width} features, its names another count"
        )
    return width


# What scikit-learn's ColumnTransformer puts in transformers_ for 'passthrough'.
_PASSTHROUGH = {
    "func": None,
    "inverse_func": None,
    "kw_args": None,
    "inv_kw_args": None,
}


def _check_passthrough(transformer, where, width):
    """'passthrough', or the FunctionTransformer without a function that
    stands for it; return its width."""
    if transformer == "passthrough":
        return width
    state = _check_attributes(transformer, where)
    if any(state.get(key, ()) is not None for key in _PASSTHROUGH):
        raise ValueError(
            f"{where}a FunctionTransformer other than scikit-learn's passthrough "
            f"(func={show(state.get('func'))}): user code is not trusted"
        )
    if state.get("n_features_in_", width) != width:
        raise ValueError(f"{where}n_features_in_ differs from its {width} columns")
    return width


def _columns(step, selection, columns):
    """The indices of the columns a transformer of ``step`` selects."""
    if isinstance(selection, slice) or is_int(selection):
        return np.atleast_1d(columns[selection])
    selection = np.asarray(selection)
    if selection.ndim == 1 and selection.dtype.kind in "iu":
        return columns[selection]
    if selection.ndim == 1 and selection.dtype.kind == "U":
        names = getattr(step, "feature_names_in_", None)
        if names is not None:
            where = {name: i for i, name in enumerate(names.tolist())}
            return np.array(
                [where[name] for name in selection.tolist()], dtype=np.int64
            )
    raise ValueError(f"columns {show(selection)} are not column indices or names")


_STEP_CHECKS = {
    StandardScaler: _scaler(mean_="with_mean", scale_="with_std"),
    MinMaxScaler: _scaler(min_=None, scale_=None, data_min_=None, data_max_=None),
    MaxAbsScaler: _scaler(scale_=None, max_abs_=None),
    RobustScaler: _scaler(center_="with_centering", scale_="with_scaling"),
    Normalizer: _scaler(),
    SimpleImputer: _check_imputer,
    VarianceThreshold: _check_variance,
    PCA: _check_pca,
    OneHotEncoder: _check_one_hot,
    OrdinalEncoder: _check_ordinal,
    ColumnTransformer: _check_column_transformer,
}
