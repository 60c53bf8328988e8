"""
=====================================================
Hidden activations, and He against Glorot weights
=====================================================

:class:`~sklearn_tinynn.TwoLayerNNClassifier` has MLPClassifier's hidden
activations ('identity', 'logistic', 'tanh', 'relu') and three more:
'leaky_relu' (``max(z, 0.01 z)``), 'gelu' (the tanh form) and 'silu'
(``z sigmoid(z)``); and ``init='he'``, He-uniform initial weights of variance
``2 / fan_in``, beside the default ``init='glorot'``.

The first figure draws each activation and its derivative, computed by the
package's own tables (the functions the network runs), the derivative being
the one backpropagation multiplies the error by. The second trains on
scikit-learn's digits with each ReLU-like activation, from Glorot and from He
weights, and draws the training loss of each epoch.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn._activations import (
    DERIVATIVES,
    HIDDEN_ACTIVATIONS,
    INPUT_DERIVATIVES,
)

# %%
# The activations and their derivatives
# -------------------------------------
# An activation overwrites its input (the training loop reuses its buffers), so
# each gets a copy. A derivative multiplies the back-propagated error ``dA``:
# with ``dA = 1`` it is ``f'(z)`` itself. Most are written in terms of the
# output ``a = f(z)``; GELU's and SiLU's take ``z`` (``INPUT_DERIVATIVES``).
z = np.linspace(-4, 4, 401)[np.newaxis, :]
fig, axes = plt.subplots(2, 4, figsize=(11, 5), layout="constrained", sharex=True)
for ax, name in zip(axes.flat, HIDDEN_ACTIVATIONS):
    a = HIDDEN_ACTIVATIONS[name](z.copy())
    argument = z.copy() if name in INPUT_DERIVATIVES else a.copy()
    derivative = DERIVATIVES[name](argument, np.ones_like(z))
    ax.plot(z[0], a[0], label="f(z)")
    ax.plot(z[0], derivative[0], "--", label="f'(z)")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set(title=name, ylim=(-1.5, 4))
    # The derivative against a central difference of f, as the tests check it.
    h = 1e-6
    slope = (HIDDEN_ACTIVATIONS[name](z + h) - HIDDEN_ACTIVATIONS[name](z - h)) / (
        2 * h
    )
    kinks = np.abs(z) > 1e-3  # relu and leaky_relu have a corner at 0
    print(
        f"{name:>10}: largest |f'(z) - finite difference| "
        f"{np.abs(derivative - slope)[kinks].max():.1e}"
    )
axes.flat[0].legend(loc="upper left")
axes.flat[-1].set_axis_off()
fig.suptitle("Hidden activations f and their derivatives f'")
plt.show()

# %%
# Glorot or He initial weights
# ----------------------------
# Glorot-uniform draws ``W`` on ``[-r, r]`` with ``r = sqrt(6 / (fan_in +
# fan_out))``, He-uniform with ``r = sqrt(6 / fan_in)``: for 64 pixels and 32
# hidden units, He's weights are ``sqrt(96 / 64)``, about 1.22 times as wide,
# which keeps the scale of ReLU's half-zero outputs from layer to layer. The
# same ``random_state`` draws the same uniform numbers for both, scaled
# differently. Here SGD with a constant step size shows the start of training
# best, where the initial scale matters.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
activations = ["relu", "leaky_relu", "gelu", "silu"]
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for color, activation in enumerate(activations):
    for init, style in [("glorot", "-"), ("he", "--")]:
        clf = TwoLayerNNClassifier(
            32,
            activation,
            init=init,
            solver="sgd",
            learning_rate_init=0.05,
            max_iter=40,
            n_iter_no_change=40,
            tol=0.0,
            random_state=0,
        )
        with warnings.catch_warnings():
            # 40 epochs is the budget of the comparison, not a convergence.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        print(
            f"{activation:>10} {init:>6}: training loss after 5 epochs "
            f"{clf.loss_curve_[4]:.3f}, after {clf.n_iter_} "
            f"{clf.loss_curve_[-1]:.3f}; test accuracy {clf.score(X_test, y_test):.3f}"
        )
        epochs = np.arange(1, clf.n_iter_ + 1)
        ax.plot(
            epochs,
            clf.loss_curve_,
            style,
            color=f"C{color}",
            label=f"{activation}, {init}",
        )
ax.set(xlabel="Epoch", ylabel="Training loss", yscale="log")
ax.set_title("SGD on the digits: Glorot (solid) and He (dashed) initial weights")
ax.legend(ncols=2)
plt.show()

# %%
# From He's wider weights every one of these activations starts faster: its
# training loss after 5 epochs is lower than from Glorot's (printed above), and
# by the 40th epoch the two curves have nearly met. On a network of one hidden
# layer the initial scale matters little in the end; it matters more the
# deeper a network is, where Glorot's weights shrink ReLU's signal layer after
# layer.
