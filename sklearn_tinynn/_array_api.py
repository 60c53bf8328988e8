"""Array namespaces and devices on the estimator's side of the house.

scikit-learn's Array API dispatch (``sklearn.set_config(array_api_dispatch=True)``)
lets X decide where a model computes: NumPy, or any library of the Array API
standard (array-api-strict, torch, CuPy) on any of its devices. The math in
``_network.py`` and ``_optimizers.py`` takes that namespace as its argument
``xp``; this module finds it, moves arrays between namespaces and devices, and
moves a fitted model (:func:`move_to`). NumPy is always ``numpy`` itself here,
never a wrapper of it, so that NumPy arrays keep the math's NumPy fast paths.
"""

import copy
import importlib

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils import _array_api
from sklearn.utils.fixes import parse_version, sp_version

from ._network import from_numpy


def _import_array_api_compat():
    """array-api-compat as scikit-learn uses it, or None when it is missing.

    scikit-learn >= 1.7 ships a copy of its own, whose namespaces are the
    ones its ``get_namespace`` returns; 1.6 uses the package, if installed.
    """
    try:
        from sklearn.externals import array_api_compat
    except ImportError:
        try:
            import array_api_compat
        except ImportError:
            return None
    return array_api_compat


_compat = _import_array_api_compat()

# scikit-learn dispatches to other array libraries only with SciPy >= 1.14
# (and SCIPY_ARRAY_API=1 in the environment); the estimator declares its support
# where that is possible, so that an older stack runs no check that cannot pass.
DISPATCH_POSSIBLE = sp_version >= parse_version("1.14")


def get_namespace_and_device(*arrays):
    """The namespace ``xp`` and the device of ``arrays`` for the math modules.

    ``(numpy, None)`` unless scikit-learn's ``array_api_dispatch`` is on and
    the arrays belong to another library than NumPy (sparse matrices and None
    are ignored); otherwise that library's Array API namespace and the
    arrays' common device. Arrays of different namespaces or devices raise
    scikit-learn's error.
    """
    if not get_config()["array_api_dispatch"]:
        return np, None
    xp, is_array_api, device = _array_api.get_namespace_and_device(*arrays)
    if not is_array_api or _array_api._is_numpy_namespace(xp):
        return np, None
    return xp, device


def namespace(xp):
    """The Array API namespace of ``xp``: a namespace, a library or its name.

    'numpy' (or None) gives ``numpy`` itself; a library such as ``torch``
    gives its Array API namespace (array-api-compat's for torch and CuPy).
    """
    if xp is None or xp is np or xp == "numpy":
        return np
    if isinstance(xp, str):
        try:
            xp = importlib.import_module(xp)
        except ImportError as error:
            raise ImportError(
                f"Cannot move a model to the array library {xp!r}: it is not "
                "installed. Use 'numpy', or a library of the Array API standard "
                "such as 'torch', 'cupy' or 'array_api_strict'."
            ) from error
    if not hasattr(xp, "empty") or not hasattr(xp, "asarray"):
        raise TypeError(
            f"Expected an array namespace or its name, such as 'numpy', 'torch', "
            f"'cupy' or 'array_api_strict'; got {xp!r}."
        )
    if _compat is None:
        raise ImportError(
            f"Moving a model to {xp.__name__} needs array-api-compat: install "
            "it, for example with pip install 'sklearn-tinynn[array-api]'."
        )
    xp = _compat.array_namespace(xp.empty(0))
    return np if _array_api._is_numpy_namespace(xp) else xp


def to_numpy(array):
    """A NumPy array, on the host, of an array of any namespace and device.

    NumPy arrays and scipy's sparse matrices are returned as they are; the
    result may share memory with a CPU array of another library.
    """
    if isinstance(array, np.ndarray) or sp.issparse(array):
        return array
    if _compat is None:  # then nothing but NumPy has array API dispatch
        return np.asarray(array)
    xp = _compat.array_namespace(array)
    if xp.__name__.endswith("array_api_strict"):
        # Its arrays leave only from its CPU device.
        array = xp.asarray(array, device=xp.Device("CPU_DEVICE"))
    return _array_api._convert_to_numpy(array, xp)


def to_host(value):
    """``value`` as NumPy when it is an array of another library, else itself.

    Lists, pandas objects, sparse matrices, NumPy arrays and None pass
    unchanged: scikit-learn's validation takes them from there.
    """
    if value is None or isinstance(value, np.ndarray) or _compat is None:
        return value
    if _compat.is_array_api_obj(value) and not sp.issparse(value):
        return to_numpy(value)
    return value


def copies(arrays):
    """Copies of ``arrays``, each in its own namespace and on its own device.

    The one namespace-aware copy: Array API arrays have no ``.copy()``.
    """
    return [
        a.copy()
        if isinstance(a, np.ndarray)
        else _compat.array_namespace(a).asarray(a, copy=True)
        for a in arrays
    ]


def float_dtypes(xp, device=None):
    """The floating dtypes that X keeps, the namespace's default one first.

    Another dtype (integers, booleans) becomes the first: float64 for NumPy,
    the default floating dtype of ``xp`` on ``device`` otherwise (float32 for
    torch).
    """
    if xp is np:
        return [np.float64, np.float32]
    default = xp.__array_namespace_info__().default_dtypes(device=device)
    default = default["real floating"]
    return [default, xp.float64 if default == xp.float32 else xp.float32]


def host_dtype(array, xp):
    """The NumPy floating dtype of a floating ``array`` of the namespace ``xp``."""
    return np.float32 if array.dtype == xp.float32 else np.float64


def same_namespace_or_raise(X, estimator, method):
    """Raise when ``X`` and the fitted weights live in different namespaces.

    Under dispatch the fitted weights answer only X of their own namespace and
    device (scikit-learn's ``check_same_namespace``, whose message this
    repeats); without dispatch X is NumPy, and weights elsewhere cannot
    compute with it.
    """
    X_xp, X_device = get_namespace_and_device(X)
    W_xp, W_device = _weights_namespace_and_device(estimator)
    if X_xp is W_xp and X_device == W_device:
        return
    name = f"{type(estimator).__name__}.{method}()"
    weights = f"{library_name(W_xp)} arrays on {W_device!r}"
    if not get_config()["array_api_dispatch"]:
        raise ValueError(
            f"{name} got NumPy input, but the model's weights are {weights}: "
            "enable sklearn.set_config(array_api_dispatch=True) and pass X of that "
            "library, or move the model with sklearn_tinynn.move_to(model, 'numpy')."
        )
    kind = (
        "a sparse matrix" if sp.issparse(X) else f"{library_name(X_xp)} on {X_device!r}"
    )
    raise ValueError(
        f"Inputs passed to {name} must use the same namespace and the same device "
        f"as those passed to fit(): the model's weights are {weights}, X is {kind}. "
        "Move X, or move the model with sklearn_tinynn.move_to."
    )


def library_name(xp):
    """The library's own name: torch, not array-api-compat's module for it."""
    return xp.__name__.rsplit(".", 1)[-1]


def _weights_namespace_and_device(estimator):
    W1 = estimator.coefs_[0]
    if isinstance(W1, np.ndarray):
        return np, None
    return namespace(_compat.array_namespace(W1)), _compat.device(W1)


def move_arrays(arrays, xp=None, device=None):
    """Copies of ``arrays`` (of any namespaces) as arrays of ``xp`` on ``device``.

    ``xp`` None means NumPy. The values go through the host.
    """
    return from_numpy([np.array(to_numpy(a)) for a in arrays], namespace(xp), device)


def move_to(estimator, xp="numpy", device=None):
    """A copy of a fitted model whose arrays live in the namespace ``xp``.

    A model fitted under scikit-learn's Array API dispatch keeps its weights,
    its optimizer state and its numeric ``classes_`` in the namespace and on
    the device of its training data (a GPU, say). Move it to NumPy to save it
    (skops, pickle) and use it on a machine without that device, and back to
    continue training or to predict there. Numeric arrays move; arrays of
    strings or objects (string ``classes_``, ``feature_names_in_``) stay NumPy.

    Parameters
    ----------
    estimator : estimator
        The fitted model; it is left unchanged.
    xp : str or module, default='numpy'
        The target library: its name ('numpy', 'torch', 'cupy',
        'array_api_strict'), the library or its Array API namespace.
    device : device or str, default=None
        The target device, such as 'cuda' for torch; None for the library's
        default device (ignored for NumPy).

    Returns
    -------
    estimator : estimator
        A copy of ``estimator`` with its arrays in ``xp`` on ``device``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynn import TwoLayerNNClassifier, move_to
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = TwoLayerNNClassifier(4, max_iter=3, random_state=0).fit(X, [0, 1, 1, 0])
    >>> on_host = move_to(clf, "numpy")
    >>> on_host is clf, type(on_host.coefs_[0]).__name__
    (False, 'ndarray')
    >>> bool((on_host.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    target = namespace(xp)
    return convert_arrays(estimator, lambda a: move_arrays([a], target, device)[0])


def convert_arrays(estimator, converter):
    """A copy of ``estimator`` whose numeric arrays are ``converter(array)``.

    The arrays are found in the attributes and in their lists, tuples and
    dicts (the optimizer's state); everything else is deep-copied, arrays of
    strings or objects included.
    """

    def convert(value):
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(convert(item) for item in value)
        if _is_numeric_array(value):
            return converter(value)
        return copy.deepcopy(value)

    converted = copy.copy(estimator)
    for name, value in vars(estimator).items():
        setattr(converted, name, convert(value))
    return converted


def _is_numeric_array(value):
    """An array of numbers (of any namespace), not of strings or objects."""
    if isinstance(value, np.generic):  # a NumPy scalar is a number, not an array
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufc"
    if _compat is None:
        return False
    return _compat.is_array_api_obj(value) and not sp.issparse(value)
