"""The two-layer network: initialization, forward pass, loss and backpropagation.

Pure NumPy; nothing here knows about labels, pandas or scikit-learn. Rows are
samples; the parameters are the flat list ``[W1, b1, W2, b2]`` with weights of
shape ``(fan_in, fan_out)``. The names follow the equations of the user guide::

    Z1 = X W1 + b1        A1 = g(Z1)          hidden layer, (n, h)
    Z2 = A1 W2 + b2       A2 = out(Z2)        output layer, (n, k)

    L  = (1 / S) [ sum_i s_i l_i  +  (alpha / 2) (|W1|^2 + |W2|^2) ],  S = sum_i s_i

    dZ2 = (A2 - Y) s / S                       output error (see ``backward``)
    dW2 = A1^T dZ2 + (alpha / S) W2            db2 = sum_i dZ2_i
    dZ1 = (dZ2 W2^T) * g'(Z1)
    dW1 = X^T dZ1  + (alpha / S) W1            db1 = sum_i dZ1_i

``l_i`` is the cross-entropy of sample ``i`` (softmax outputs) or the sum of its
binary cross-entropies (logistic outputs), and ``s_i`` its weight (1 when the
samples are unweighted, so that ``S`` is the number of samples). Dividing the
penalty by ``S`` too makes an integer weight exactly equivalent to repeating a
sample, and matches scikit-learn's ``MLPClassifier``.
"""

import numpy as np

from ._activations import DERIVATIVES, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS


def init_params(n_features, n_hidden, n_outputs, activation, rng, dtype):
    """Glorot-uniform weights and biases ``[W1, b1, W2, b2]``.

    Each layer draws from U(-r, r) with r = sqrt(6 / (fan_in + fan_out)), or
    sqrt(2 / (fan_in + fan_out)) for the logistic activation (Glorot & Bengio,
    2010), in the order W1, b1, W2, b2 from the NumPy ``RandomState`` ``rng``.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    params = []
    for fan_in, fan_out in ((n_features, n_hidden), (n_hidden, n_outputs)):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)
        b = rng.uniform(-bound, bound, fan_out).astype(dtype)
        params += [W, b]
    return params


def forward(X, params, activation, out_activation):
    """Return ``(A1, A2)``: the hidden activations and the output probabilities."""
    W1, b1, W2, b2 = params
    Z1 = X @ W1
    Z1 += b1
    A1 = HIDDEN_ACTIVATIONS[activation](Z1)
    Z2 = A1 @ W2
    Z2 += b2
    A2 = OUTPUT_ACTIVATIONS[out_activation](Z2)
    return A1, A2


def cross_entropy(Y, A2, out_activation, sample_weight=None):
    """Weighted mean cross-entropy (1 / S) sum_i s_i l_i, without the penalty.

    Probabilities are clipped at the smallest positive float of their dtype, so
    that a confidently wrong prediction gives a large but finite loss.
    """
    tiny = np.finfo(A2.dtype).tiny
    per_sample = -(Y * np.log(np.maximum(A2, tiny))).sum(axis=1)
    if out_activation == "logistic":
        per_sample -= ((1 - Y) * np.log(np.maximum(1 - A2, tiny))).sum(axis=1)
    if sample_weight is None:
        return float(per_sample.mean())
    return float(per_sample @ sample_weight / sample_weight.sum())


def penalty(params, alpha):
    """(alpha / 2) (|W1|^2 + |W2|^2): the L2 term before division by S."""
    W1, _, W2, _ = params
    return 0.5 * alpha * float(np.vdot(W1, W1) + np.vdot(W2, W2))


def backward(X, Y, A1, A2, params, activation, alpha, sample_weight=None):
    """Gradients ``[dW1, db1, dW2, db2]`` of the loss L, by backpropagation.

    ``A1`` and ``A2`` come from ``forward`` and are overwritten.
    """
    W1, _, W2, _ = params
    S = X.shape[0] if sample_weight is None else sample_weight.sum()
    # Softmax with cross-entropy, and logistic with binary cross-entropy, both
    # give dL/dZ2 = A2 - Y per sample: the output's own derivative cancels.
    dZ2 = A2
    dZ2 -= Y
    if sample_weight is None:
        dZ2 /= S
    else:
        dZ2 *= (sample_weight / S)[:, np.newaxis]
    dW2 = A1.T @ dZ2 + (alpha / S) * W2
    db2 = dZ2.sum(axis=0)
    dZ1 = DERIVATIVES[activation](A1, dZ2 @ W2.T)
    dW1 = np.asarray(X.T @ dZ1) + (alpha / S) * W1
    db1 = dZ1.sum(axis=0)
    return [dW1, db1, dW2, db2]


def loss_and_gradients(
    X, Y, params, activation, out_activation, alpha, sample_weight=None
):
    """The loss L and its gradients ``[dW1, db1, dW2, db2]`` in one pass."""
    A1, A2 = forward(X, params, activation, out_activation)
    S = X.shape[0] if sample_weight is None else sample_weight.sum()
    loss = cross_entropy(Y, A2, out_activation, sample_weight)
    loss += penalty(params, alpha) / S
    grads = backward(X, Y, A1, A2, params, activation, alpha, sample_weight)
    return loss, grads
