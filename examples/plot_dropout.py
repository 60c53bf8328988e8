"""
=========================================================
Dropout: training and validation losses with and without
=========================================================

With ``dropout=p``, :class:`~sklearn_tinynn.TwoLayerNNClassifier` trains on a
thinned network: each minibatch drops every hidden unit with probability
``p`` and scales the kept ones by ``1 / (1 - p)``, so that prediction uses
the whole network unchanged (see the user guide's section on dropout). A
wide network on few samples, without an L2 penalty, learns its training data
by heart: its training loss falls to nearly zero while the loss on held-out
data turns upward. Dropout keeps the two closer. The data are scikit-learn's
8 x 8 digits, half of them to train (of which 30% are held out for the
validation curves), half to test; the two fits take a few seconds.
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
# ``early_stopping=True`` records the held-out loss after every epoch; with
# ``n_iter_no_change`` above ``max_iter`` it never stops a fit, so that both
# run their 150 epochs (and the weights of the best epoch are kept). Reaching
# ``max_iter`` is then the plan, not a failure to converge: its warning is
# silenced.
models = {}
for dropout in (0.0, 0.5):
    clf = TwoLayerNNClassifier(
        256,
        dropout=dropout,
        alpha=0.0,
        learning_rate_init=3e-3,
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=1000,
        max_iter=150,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[dropout] = clf.fit(X_train, y_train)
    val = np.asarray(clf.validation_loss_curve_)
    print(
        f"dropout={dropout}: final training loss {clf.loss_curve_[-1]:.4f}, "
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
# memorizes. With dropout the two curves stay closer and the validation loss
# stays lower, the regularization that a penalty on the weights would
# otherwise give. (On these easy digits the test accuracies end up alike;
# the losses, which also see how confident the answers are, tell them apart.)
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for (dropout, clf), color in zip(models.items(), ["tab:red", "tab:blue"]):
    epochs = np.arange(1, len(clf.loss_curve_) + 1)
    label = f"dropout={dropout}"
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
