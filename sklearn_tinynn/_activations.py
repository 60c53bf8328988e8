"""Activation functions and their derivatives, looked up by name.

Each activation ``f`` overwrites its input ``Z`` with ``A = f(Z)`` and returns it.
Each derivative multiplies the back-propagated error ``dA`` (in place) by ``f'(Z)``,
written in terms of the output ``A`` so that ``Z`` never has to be kept. The
derivative sits right under the function it differentiates.
"""

import numpy as np
from scipy.special import expit


def identity(Z):
    """f(z) = z."""
    return Z


def identity_derivative(A, dA):
    """f'(z) = 1."""
    return dA


def relu(Z):
    """f(z) = max(z, 0)."""
    return np.maximum(Z, 0, out=Z)


def relu_derivative(A, dA):
    """f'(z) = 1 where z > 0, else 0; and z > 0 exactly where a > 0."""
    return np.multiply(dA, A > 0, out=dA)


def tanh(Z):
    """f(z) = tanh(z)."""
    return np.tanh(Z, out=Z)


def tanh_derivative(A, dA):
    """f'(z) = 1 - tanh(z)**2 = 1 - a**2."""
    dA *= 1 - A**2
    return dA


def logistic(Z):
    """f(z) = 1 / (1 + exp(-z)), computed without overflow by scipy's expit."""
    return expit(Z, out=Z)


def logistic_derivative(A, dA):
    """f'(z) = f(z) (1 - f(z)) = a (1 - a)."""
    dA *= A * (1 - A)
    return dA


def softmax(Z):
    """f(z)_k = exp(z_k) / sum_j exp(z_j), row by row.

    Subtracting each row's maximum first leaves the ratios unchanged and keeps
    ``exp`` from overflowing, even for raw 0-255 pixels. Its derivative is never
    needed on its own: with cross-entropy the output error is ``A2 - Y``.
    """
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
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
