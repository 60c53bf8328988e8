"""Labels, classes and weights: what the targets y of a fit become.

The estimator's label logic, on the host (NumPy) whatever namespace X lives
in: the classes and the output kind they call for, the encoding of y as a
float matrix Y, class and sample weights, and the output biases' prior.
"""

import contextlib
import math
from numbers import Real

import numpy as np
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    column_or_1d,
)

from . import _fitted


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


def _check_finite_labels(name, labels):
    """Refuse NaN and infinite labels: they pass the other checks of y (a NaN
    label is one class, repeated), then no prediction can be compared."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        bad = labels[~np.isfinite(labels)]
    elif labels.dtype.kind == "O":
        bad = [
            v for v in labels.ravel() if isinstance(v, float) and not math.isfinite(v)
        ]
    else:
        return
    if len(bad):
        raise ValueError(
            f"{name} holds {len(bad)} non-finite label(s), such as {bad[0]!r}: "
            "labels must be finite numbers, strings or booleans."
        )


def _weights_or_none(weights):
    """None for weights that are all 1 (or None): a weight of 1 for every
    sample is no weight. The unweighted equations then run, whose means round
    differently from the weighted ones, so that unit weights give the model
    (and the validation scores) of no weights bit for bit, in every solver
    and namespace."""
    if weights is None or (weights == 1).all():
        return None
    return weights


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


class TargetsMixin:
    """The label and weight methods of the estimator (see the module)."""

    def _targets_and_weights(
        self, y, sample_weight, classes, first_call, incremental, dtype
    ):
        """The host labels ``y`` as a float matrix Y of ``dtype``, and the
        per-sample weights (None when all are 1); sets the classes on the
        first call, checks them against the fitted ones on the others."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_finite_labels("y", y)
        with _comparable_labels("y", y):
            check_classification_targets(y)
        if classes is not None:
            _check_finite_labels("classes", classes)
        if first_call:
            self._set_classes(y, classes, incremental)
        elif incremental and classes is not None and not self._multilabel:
            _check_partial_fit_first_call(self, classes)  # raises if they differ
        elif not incremental:
            self._check_warm_start_classes(y)
        Y = self._encode(y, dtype)
        return Y, self._sample_weights(y, dtype, sample_weight, incremental)

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
        # The rules a fitted network keeps (also those of the loader and the
        # exporter): the labels, and the output layer they give.
        _fitted.check_classes(self.classes_)
        self.n_outputs_, self.out_activation_ = _fitted.output_layer(
            len(self.classes_), self._multilabel
        )

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

    def _validation_targets(self, y_val, sample_weight_val, n_samples, dtype):
        """The host labels ``y_val`` of a validation set of ``n_samples`` as a
        float matrix Y of ``dtype``, and its weights (None when not given)."""
        y_val = np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        _check_finite_labels("y_val", y_val)
        with _comparable_labels("y_val", y_val):
            check_classification_targets(y_val)
        try:
            check_consistent_length(np.empty(n_samples), y_val)
        except ValueError as exc:
            raise ValueError(f"X_val and y_val: {exc}") from exc
        Y_val = self._encode(y_val, dtype, name="y_val")
        if sample_weight_val is None:
            return Y_val, None
        try:
            weights = _check_sample_weight(
                sample_weight_val, y_val, dtype=dtype, ensure_non_negative=True
            )
        except ValueError as exc:
            raise ValueError(f"sample_weight_val: {exc}") from exc
        weights = _weights_or_none(weights)
        if weights is None:
            return Y_val, None
        total = weights.sum(dtype=np.float64)
        if not 0 < total < np.inf:
            raise ValueError(
                f"sample_weight_val sums to {total}: the validation weights need a "
                "positive, finite sum."
            )
        return Y_val, weights

    def _labels(self, Y):
        """The labels that the host float matrix Y encodes (``_encode``'s
        inverse): class labels, or a 0/1 indicator matrix for multilabel."""
        if self._multilabel:
            return (Y > 0.5).astype(int)
        if self.n_outputs_ == 1:
            return self.classes_[(Y[:, 0] > 0.5).astype(int)]
        return self.classes_[Y.argmax(axis=1)]

    def _encode(self, y, dtype, name="y"):
        """Targets as a float matrix Y of shape (n_samples, n_outputs)."""
        if self._multilabel:
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"{name} has shape {y.shape}, but this model was fitted on "
                    f"{self.n_outputs_} labels: expected (n_samples, "
                    f"{self.n_outputs_})."
                )
            values = np.unique(y)
            # Sets, not np.isin: NumPy 1.x cannot compare strings with numbers.
            if not set(values.tolist()) <= {0, 1}:
                raise ValueError(
                    f"A multilabel {name} must be an indicator matrix of 0s and "
                    f"1s, but it has the values {values.tolist()}."
                )
            return np.asarray(y, dtype=dtype)
        if y.ndim != 1:
            raise ValueError(
                f"{name} has shape {y.shape}, but this model was fitted on one "
                "label per sample: expected (n_samples,)."
            )
        # A set, not np.setdiff1d, for the same reason (NumPy 1.x warns and
        # compares nothing).
        known = set(self.classes_.tolist())
        unseen = [label for label in unique_labels(y).tolist() if label not in known]
        if unseen:
            raise ValueError(
                f"{name} contains labels {unseen} that are not in classes "
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
        sample_weight = _weights_or_none(sample_weight)
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
