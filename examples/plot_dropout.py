"""
=========================================================
Dropout: training and validation losses with and without
=========================================================

With ``dropout=p``, :class:`~sklearn_tinynn.TwoLayerNNClassifier` trains on a
thinned network: each minibatch drops every hidden unit with probability
``p`` and scales the kept ones by ``1 / (1 - p)``, so that prediction uses
the whole network unchanged (see the user guide's section on dropout).
``input_dropout=p0`` does the same to the input features, here the pixels.
A wide network on few samples, without an L2 penalty, learns its training
data by heart: its training loss falls to nearly zero while the loss on
held-out data turns upward. Dropout keeps the two closer. The data are
scikit-learn's 8 x 8 digits, half of them to train (of which 30% are held out
for the validation curves), half to test; the three fits take a few seconds.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.5, stratify=y, random_state=0
)

# %%
# The fits
# --------
# No dropout; half the hidden units dropped; and, as Srivastava et al. (2014)
# do, a fifth of the inputs dropped besides. ``early_stopping=True`` records
# the held-out loss after every epoch; with ``n_iter_no_change`` above
# ``max_iter`` it never stops a fit, so that all three run their 300 epochs
# (and the weights of the best epoch are kept). Reaching ``max_iter`` is then
# the plan, not a failure to converge: its warning is silenced. The three
# fits share ``random_state``, so the second and the third draw the same
# initial weights, shuffles and hidden masks: only the input mask differs.
models = {}
for dropout, input_dropout in [(0.0, 0.0), (0.5, 0.0), (0.5, 0.2)]:
    clf = TwoLayerNNClassifier(
        256,
        dropout=dropout,
        input_dropout=input_dropout,
        alpha=0.0,
        learning_rate_init=3e-3,
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=1000,
        max_iter=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    label = f"dropout={dropout}"
    if input_dropout:
        label += f", input_dropout={input_dropout}"
    models[label] = clf
    val = np.asarray(clf.validation_loss_curve_)
    print(
        f"{label}: final training loss {clf.loss_curve_[-1]:.4f}, "
        f"validation loss lowest {val.min():.4f} (epoch {val.argmin() + 1}), "
        f"final {val[-1]:.4f}, test accuracy {clf.score(X_test, y_test):.3f}"
    )

# %%
# The curves
# ----------
# Solid: the training loss, which with dropout is the loss of the thinned
# networks, the objective that training minimizes. Dashed: the validation loss
# of the whole network. Without dropout the training loss falls far below the
# validation loss, which rises again after its lowest point: the network
# memorizes. With dropout of the hidden units the two curves stay closer and
# the validation loss lower, the regularization that a penalty on the weights
# would otherwise give; it too rises again after its lowest point.
#
# Dropping a fifth of the pixels besides is a much stronger regularizer here:
# the thinned networks' training loss stays above the whole network's
# validation loss, which falls more slowly but for much longer, to its lowest
# point in the last third of the 300 epochs, below both others' lowest, and
# ends the lowest of the three. (On these easy digits the test accuracies end
# up alike; the losses, which also see how confident the answers are, tell
# them apart.)
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
colors = ["tab:red", "tab:blue", "tab:green"]
for (label, clf), color in zip(models.items(), colors):
    epochs = np.arange(1, len(clf.loss_curve_) + 1)
    ax.plot(epochs, clf.loss_curve_, color=color, label=f"{label}, training")
    ax.plot(
        epochs,
        clf.validation_loss_curve_,
        "--",
        color=color,
        label=f"{label}, validation",
    )
ax.set(
    yscale="log",
    xlabel="epoch",
    ylabel="cross-entropy",
    title=f"256 hidden units, {len(y_train)} digits (30% held out)",
)
ax.legend()
plt.show()
