"""Activation functions and their derivatives, looked up by name.

Each activation ``f`` takes ``Z`` and returns ``A = f(Z)``; each derivative
multiplies the back-propagated error ``dA`` by ``f'(Z)``, written in terms of the
output ``A`` so that ``Z`` never has to be kept. The derivative sits right under
the function it differentiates.

``xp`` is the array namespace of the arrays (NumPy by default). With NumPy,
``f`` overwrites ``Z`` and the derivative ``dA``: the training loop reuses its
buffers. Any other namespace gets the same formula in the Array API standard,
which has no ``out=``: a new array where a function would need one, the
in-place operators (which the standard allows) elsewhere. The result must be
used either way, never the argument.
"""

import numpy as np
from scipy.special import expit


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
}

DERIVATIVES = {
    "identity": identity_derivative,
    "tanh": tanh_derivative,
    "logistic": logistic_derivative,
    "relu": relu_derivative,
}

OUTPUT_ACTIVATIONS = {"softmax": softmax, "logistic": logistic}
