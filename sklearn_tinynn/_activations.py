"""Activation functions and their derivatives, looked up by name.

Each activation ``f`` takes ``Z`` and returns ``A = f(Z)``; each derivative
multiplies the back-propagated error ``dA`` by ``f'(Z)``, written in terms of the
output ``A`` where it can be, so that ``Z`` need not be kept. The derivatives of
GELU and SiLU cannot be written so: they take ``Z`` itself, and the names in
``INPUT_DERIVATIVES`` tell the network to keep ``Z`` for them (their functions
never overwrite it). The derivative sits right under the function it
differentiates.

``xp`` is the array namespace of the arrays (NumPy by default). With NumPy,
``f`` overwrites ``Z`` and the derivative ``dA``: the training loop reuses its
buffers. Any other namespace gets the same formula in the Array API standard,
which has no ``out=``: a new array where a function would need one, the
in-place operators (which the standard allows) elsewhere. The result must be
used either way, never the argument.
"""

import math

import numpy as np
from scipy.special import expit

LEAKY_SLOPE = 0.01  # leaky_relu's slope for z < 0
GELU_C = math.sqrt(2 / math.pi)  # the tanh form of GELU (Hendrycks & Gimpel)
GELU_K = 0.044715


def identity(Z, xp=np):
    """f(z) = z."""
    return Z


def identity_derivative(A, dA, xp=np):
    """f'(z) = 1."""
    return dA


def relu(Z, xp=np):
    """f(z) = max(z, 0)."""
    if xp is np:
        return np.maximum(Z, 0, out=Z)
    return xp.clip(Z, min=0.0)  # NaN stays NaN, as with np.maximum


def relu_derivative(A, dA, xp=np):
    """f'(z) = 1 where z > 0, else 0; and z > 0 exactly where a > 0."""
    if xp is np:
        return np.multiply(dA, A > 0, out=dA)
    return xp.where(A > 0, dA, xp.zeros_like(dA))


def leaky_relu(Z, xp=np):
    """f(z) = z for z > 0, else 0.01 z: max(z, 0.01 z)."""
    if xp is np:
        return np.maximum(Z, LEAKY_SLOPE * Z, out=Z)
    return xp.maximum(Z, LEAKY_SLOPE * Z)


def leaky_relu_derivative(A, dA, xp=np):
    """f'(z) = 1 where z > 0, else 0.01; and z > 0 exactly where a > 0."""
    if xp is np:
        dA[A <= 0] *= LEAKY_SLOPE
        return dA
    return xp.where(A > 0, dA, LEAKY_SLOPE * dA)


def gelu(Z, xp=np):
    """f(z) = z/2 (1 + tanh(c (z + 0.044715 z^3))), c = sqrt(2 / pi).

    The tanh form, which every namespace and ONNX compute alike; ``Z`` is
    left as it is, for the derivative.
    """
    A = _gelu_tanh(Z, xp)
    A += 1
    A *= 0.5 * Z
    return A


def gelu_derivative(Z, dA, xp=np):
    """f'(z) = (1 + t) / 2 + z/2 (1 - t^2) c (1 + 3 0.044715 z^2), with
    t = tanh(c (z + 0.044715 z^3)): in terms of the input z."""
    t = _gelu_tanh(Z, xp)
    slope = (1 - t**2) * (0.5 * GELU_C) * Z * (1 + 3 * GELU_K * Z**2)
    slope += 0.5 * (1 + t)
    dA *= slope
    return dA


def _gelu_tanh(Z, xp):
    """tanh(c (z + k z^3)) into a new array, in the order of the ONNX graph."""
    inner = Z * Z * Z
    inner *= GELU_K
    inner += Z
    inner *= GELU_C
    return np.tanh(inner, out=inner) if xp is np else xp.tanh(inner)


def silu(Z, xp=np):
    """f(z) = z sigmoid(z); ``Z`` is left as it is, for the derivative."""
    A = _sigmoid(Z, xp)
    A *= Z
    return A


def silu_derivative(Z, dA, xp=np):
    """f'(z) = s (1 + z (1 - s)), with s = sigmoid(z): in terms of z."""
    S = _sigmoid(Z, xp)
    dA *= S * (1 + Z * (1 - S))
    return dA


def _sigmoid(Z, xp):
    """The logistic function into a new array, ``Z`` unchanged."""
    return expit(Z) if xp is np else logistic(Z, xp)


def tanh(Z, xp=np):
    """f(z) = tanh(z)."""
    if xp is np:
        return np.tanh(Z, out=Z)
    return xp.tanh(Z)


def tanh_derivative(A, dA, xp=np):
    """f'(z) = 1 - tanh(z)**2 = 1 - a**2."""
    dA *= 1 - A**2
    return dA


def logistic(Z, xp=np):
    """f(z) = 1 / (1 + exp(-z)), computed without overflow.

    NumPy uses scipy's expit; other namespaces exp(-|z|), which never
    overflows: f(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) otherwise.
    """
    if xp is np:
        return expit(Z, out=Z)
    E = xp.exp(-xp.abs(Z))
    return xp.where(Z >= 0, 1 / (1 + E), E / (1 + E))


def logistic_derivative(A, dA, xp=np):
    """f'(z) = f(z) (1 - f(z)) = a (1 - a)."""
    dA *= A * (1 - A)
    return dA


def softmax(Z, xp=np):
    """f(z)_k = exp(z_k) / sum_j exp(z_j), row by row.

    Subtracting each row's maximum first leaves the ratios unchanged and keeps
    ``exp`` from overflowing, even for raw 0-255 pixels. Its derivative is never
    needed on its own: with cross-entropy the output error is ``A2 - Y``.
    """
    Z -= xp.max(Z, axis=1, keepdims=True)
    Z = np.exp(Z, out=Z) if xp is np else xp.exp(Z)
    Z /= xp.sum(Z, axis=1, keepdims=True)
    return Z


HIDDEN_ACTIVATIONS = {
    "identity": identity,
    "tanh": tanh,
    "logistic": logistic,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "gelu": gelu,
    "silu": silu,
}

DERIVATIVES = {
    "identity": identity_derivative,
    "tanh": tanh_derivative,
    "logistic": logistic_derivative,
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
    "gelu": gelu_derivative,
    "silu": silu_derivative,
}

# The activations whose derivative takes Z instead of A = f(Z).
INPUT_DERIVATIVES = frozenset({"gelu", "silu"})

OUTPUT_ACTIVATIONS = {"softmax": softmax, "logistic": logistic}
