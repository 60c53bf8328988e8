"""Export a fitted :class:`~sklearn_tinynn.TwoLayerNNClassifier` to ONNX.

Importing this module registers the classifier's converter with skl2onnx, so
that skl2onnx's own ``to_onnx`` converts any :class:`~sklearn.pipeline.Pipeline`
or search (``GridSearchCV``) that contains the classifier. :func:`to_onnx` does
the same with this package's defaults: the input type taken from ``X``, and
plain tensors out (``zipmap=False``). skl2onnx, onnx and onnxruntime are
optional dependencies: ``pip install "sklearn-tinynn[onnx]"``.

The graph evaluates the network's equations (see the user guide)::

    Z1 = X W1 + b1      A1 = g(Z1)        MatMul, Add, Relu/Tanh/Sigmoid/Identity,
                                          Mul/Max (leaky ReLU), Mul/Add/Tanh
                                          (GELU's tanh form), Mul/Sigmoid (SiLU)
    Z2 = A1 W2 + b2     A2 = out(Z2)      MatMul, Add, Softmax or Sigmoid

then does what ``predict_proba`` and ``predict`` do with ``A2``: logistic
outputs are clipped to [eps, 1 - eps]; a binary model's single output p
becomes the two columns [1 - p, p]; labels are ``classes_`` at the ArgMax of
the probabilities (the first class on a tie, like ``p > 0.5``), or, for
multilabel models, the int64 indicator matrix ``p > 0.5``.

Only public fitted attributes are read: ``coefs_``, ``intercepts_``,
``classes_``, ``activation``, ``out_activation_`` and ``n_outputs_``. A model
is multilabel exactly when its output is logistic with more than one unit
(a binary model has one logistic unit, a multiclass one a softmax), so no
private flag is needed; the attributes are checked for consistency before
the graph is built.
"""

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

try:
    import skl2onnx
    from onnx import TensorProto
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as exc:
    raise ImportError(
        "sklearn_tinynn.onnx needs skl2onnx, onnx and onnxruntime, which are "
        'not installed. Install them with: pip install "sklearn-tinynn[onnx]"'
    ) from exc

from . import _fitted
from ._activations import GELU_C, GELU_K, LEAKY_SLOPE
from ._classifier import TwoLayerNNClassifier

__all__ = ["register", "to_onnx"]

# The name under which skl2onnx knows the classifier's shape calculator and
# converter.
ALIAS = "SklearnTinyNNTwoLayerNNClassifier"

# The classifier options of skl2onnx, handled by its own classifier parser.
OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [False, True],
}


def _gelu(g, Z):
    """z/2 (1 + tanh(c (z + k z^3))), in the order ``_activations.gelu`` takes."""
    cube = g.node("Mul", [g.node("Mul", [Z, Z]), Z])
    inner = g.node("Add", [Z, g.node("Mul", [g.constant("k", GELU_K), cube])])
    t = g.node("Tanh", [g.node("Mul", [g.constant("c", GELU_C), inner])])
    half_z = g.node("Mul", [g.constant("half", 0.5), Z])
    return g.node("Mul", [g.node("Add", [t, g.constant("one", 1.0)]), half_z])


# The hidden activations, each as nodes of opset 9 that take Z1 and give A1.
_HIDDEN_OPS = {
    "identity": lambda g, Z: g.node("Identity", [Z]),
    "tanh": lambda g, Z: g.node("Tanh", [Z]),
    "logistic": lambda g, Z: g.node("Sigmoid", [Z]),
    "relu": lambda g, Z: g.node("Relu", [Z]),
    # max(z, 0.01 z), not LeakyRelu, whose slope is a float32 attribute.
    "leaky_relu": lambda g, Z: g.node(
        "Max", [Z, g.node("Mul", [g.constant("slope", LEAKY_SLOPE), Z])]
    ),
    "gelu": _gelu,
    # z / (1 + exp(-z)), not z * Sigmoid(z): onnxruntime < 1.20 fuses the latter
    # into its QuickGelu, which has no float64 kernel there.
    "silu": lambda g, Z: g.node(
        "Div",
        [
            Z,
            g.node(
                "Add", [g.constant("one", 1.0), g.node("Exp", [g.node("Neg", [Z])])]
            ),
        ],
    ),
}

_INPUT_TYPES = {np.float32: FloatTensorType, np.float64: DoubleTensorType}


# ------------------------------------------------------------------ the model


def _fitted_network(model):
    """``(params, kind)``: ``[W1, b1, W2, b2]`` and 'multiclass', 'binary' or
    'multilabel', after checking the fitted attributes by the package's one
    definition of a consistent network (``_fitted.py``)."""
    check_is_fitted(model)
    if model.activation not in _HIDDEN_OPS:
        raise ValueError(
            f"activation={model.activation!r} cannot be exported; expected one "
            f"of {sorted(_HIDDEN_OPS)}."
        )
    coefs = [np.asarray(W) for W in model.coefs_]
    intercepts = [np.asarray(b) for b in model.intercepts_]
    classes = np.asarray(model.classes_)
    try:
        params = _fitted.check_parameters(
            coefs, intercepts, model.n_features_in_, model.n_outputs_
        )
        kind = _fitted.output_kind(classes, model.n_outputs_, model.out_activation_)
    except ValueError as exc:
        raise ValueError(
            f"Not a consistent fitted TwoLayerNNClassifier: {exc}."
        ) from exc
    return params, kind


def _class_labels(classes):
    """``classes_`` as the ONNX label tensor holds them: int64 or str."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        # Integer-valued floats go out as int64, as skl2onnx's own classifiers
        # do; fractional labels and integers beyond int64 do not survive it.
        labels = classes.astype(np.int64)
        if np.array_equal(labels, classes):
            return labels
    elif all(isinstance(label, str) for label in classes.tolist()):
        return classes.astype(str)
    raise ValueError(
        f"Class labels {classes.tolist()!r} cannot be ONNX labels: expected "
        "integers (int64), booleans or strings."
    )


# ------------------------------------------------------------------ skl2onnx


def _nocl(scope, model):
    """Whether skl2onnx's option ``nocl`` (class indices as labels) is set."""
    return scope.get_options(model, dict(nocl=False))["nocl"]


def _shape_calculator(operator):
    """Declare the types of the two outputs: labels and probabilities."""
    model = operator.raw_operator
    _, kind = _fitted_network(model)
    (X,) = operator.inputs
    if not isinstance(X.type, (FloatTensorType, DoubleTensorType)):
        raise TypeError(
            f"{type(model).__name__} takes float or double input, not {X.type}: "
            "convert the features first (skl2onnx's initial_types)."
        )
    N = X.get_first_dimension()
    label, proba = operator.outputs
    n_classes = len(model.classes_)
    if kind == "multilabel":
        label.set_type(Int64TensorType([N, n_classes]))
    elif (
        _nocl(operator.scope_inst, model)
        or _class_labels(model.classes_).dtype == np.int64
    ):
        label.set_type(Int64TensorType([N]))
    else:
        label.set_type(StringTensorType([N]))
    proba.set_type(type(X.type)([N, n_classes]))


class _GraphBuilder:
    """Adds nodes and constants of one dtype to a skl2onnx container."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container = scope, container
        self.dtype = dtype
        self.proto = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT

    def constant(self, name, value, proto=None):
        """An initializer of the graph's dtype, or of ``proto``; returns its name."""
        value = np.asarray(value, self.dtype if proto is None else None)
        name = self.scope.get_unique_variable_name(name)
        content = value.ravel().tolist()
        if proto == TensorProto.STRING:
            content = [label.encode("utf-8") for label in content]
        self.container.add_initializer(
            name, proto or self.proto, list(value.shape), content
        )
        return name

    def affine(self, A, W, b):
        """Z = A W + b, the input of a layer's activation."""
        Z = self.node("MatMul", [A, self.constant("W", W)])
        return self.node("Add", [Z, self.constant("b", b)])

    def node(self, op_type, inputs, output=None, **attrs):
        """The node ``op_type(*inputs)``; returns the name of its output."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type)
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output


def _converter(scope, operator, container):
    """Write the graph of the equations in the module docstring."""
    model = operator.raw_operator
    (W1, b1, W2, b2), kind = _fitted_network(model)
    X = operator.inputs[0]
    label, proba = (output.full_name for output in operator.outputs)
    is_double = isinstance(X.type, DoubleTensorType)
    g = _GraphBuilder(scope, container, np.float64 if is_double else np.float32)
    A1 = _HIDDEN_OPS[model.activation](g, g.affine(X.full_name, W1, b1))
    Z2 = g.affine(A1, W2, b2)
    _write_probabilities(g, Z2, kind, proba)
    if kind == "multilabel":
        above = g.node("Greater", [proba, g.constant("half", 0.5)])
        g.node("Cast", [above], label, to=TensorProto.INT64)
        return
    index = g.node("ArgMax", [proba], axis=1, keepdims=0)
    if _nocl(container, model):
        g.node("Identity", [index], label)
        return
    classes = _class_labels(model.classes_)
    proto = TensorProto.INT64 if classes.dtype == np.int64 else TensorProto.STRING
    g.node("Gather", [g.constant("classes", classes, proto), index], label)


def _write_probabilities(g, Z2, kind, proba):
    """``predict_proba`` from the output layer's ``Z2``, into ``proba``."""
    if kind == "multiclass":
        g.node("Softmax", [Z2], proba, axis=1)
        return
    # The logistic outputs, clipped to [eps, 1 - eps] as min(max(A2, eps), 1 - eps).
    eps = np.finfo(g.dtype).eps
    A2 = g.node("Max", [g.node("Sigmoid", [Z2]), g.constant("eps", eps)])
    if kind == "multilabel":
        g.node("Min", [A2, g.constant("one_minus_eps", 1 - eps)], proba)
        return
    A2 = g.node("Min", [A2, g.constant("one_minus_eps", 1 - eps)])
    complement = g.node("Sub", [g.constant("one", 1.0), A2])
    g.node("Concat", [complement, A2], proba, axis=1)


def register():
    """Register the classifier's converter with skl2onnx.

    Importing :mod:`sklearn_tinynn.onnx` calls it; calling it again is
    harmless. Afterwards ``skl2onnx.to_onnx`` converts the classifier, and
    any Pipeline or search containing it, with skl2onnx's classifier options
    ``zipmap`` (True, False or 'columns'), ``output_class_labels`` and
    ``nocl`` (labels as class indices).

    Examples
    --------
    >>> from sklearn_tinynn.onnx import register
    >>> register()
    """
    skl2onnx.update_registered_converter(
        TwoLayerNNClassifier,
        ALIAS,
        _shape_calculator,
        _converter,
        options=OPTIONS,
    )


register()


def to_onnx(estimator, X, *, target_opset=None, options=None, name=None):
    """Convert a fitted classifier, or a Pipeline or search containing one, to ONNX.

    Parameters
    ----------
    estimator : TwoLayerNNClassifier, Pipeline or search
        A fitted estimator; any other step must have a skl2onnx converter.
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Input data; only its dtype and number of columns are used. float32
        data gives a float32 input (the fastest); anything else a float64
        one, like ``predict_proba``, which casts to float64.
    target_opset : int, default=None
        ONNX opset of the graph; None for the newest that skl2onnx supports.
        The graph needs opset 9 or later.
    options : dict, default=None
        Conversion options of skl2onnx, keyed by class or by ``id`` of a
        step. For the classifier, ``zipmap`` defaults to False here (plain
        tensors, where skl2onnx's default is a list of dictionaries).
    name : str, default=None
        Name of the ONNX graph.

    Returns
    -------
    onx : onnx.ModelProto
        The model: input ``X`` of shape (N, n_features), outputs ``label``
        and ``probabilities``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn_tinynn import TwoLayerNNClassifier
    >>> from sklearn_tinynn.onnx import to_onnx
    >>> X = np.array([[0.0], [0.2], [0.8], [1.0]], dtype=np.float32)
    >>> clf = TwoLayerNNClassifier(solver="lbfgs", random_state=0)
    >>> clf = clf.fit(X, ["no", "no", "yes", "yes"])
    >>> onx = to_onnx(clf, X)
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> labels, proba = session.run(None, {"X": X})
    >>> labels
    array(['no', 'no', 'yes', 'yes'], dtype=object)
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-6))
    True
    """
    check_is_fitted(estimator)
    X = check_array(
        X, dtype=[np.float64, np.float32], ensure_all_finite=False, ensure_min_samples=0
    )
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} was "
            f"fitted on {n_features}: the graph's input takes X's width."
        )
    options = dict(options or {})
    options[TwoLayerNNClassifier] = {
        "zipmap": False,
        **options.get(TwoLayerNNClassifier, {}),
    }
    input_type = _INPUT_TYPES[X.dtype.type]([None, X.shape[1]])
    return skl2onnx.to_onnx(
        estimator,
        initial_types=[("X", input_type)],
        target_opset=target_opset,
        options=options,
        name=name,
    )
