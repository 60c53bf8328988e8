"""
=====================================================
Learning-rate schedules and the learning-rate finder
=====================================================

``MLPClassifier`` schedules the learning rate of SGD only: Adam keeps its
initial rate throughout. :class:`~sklearn_tinynn.TwoLayerNNClassifier` adds
two schedules for every solver, Adam included: ``learning_rate="cosine"``,
which decays the rate along half a cosine over the fit's ``max_iter``
epochs, and ``learning_rate="plateau"``, which divides it by 5 whenever the
training loss stops improving; and ``warmup_iter``, a linear warm-up over the
first epochs (see :doc:`/user_guide/optimizers` for the formulas).

Which initial rate? :func:`~sklearn_tinynn.lr_range_test` trains a copy of
the network for 100 minibatches at rates growing from ``1e-5`` to ``10`` and
suggests one: the rate of the lowest (smoothed) loss divided by 10. Here it
sets Adam's rate on scikit-learn's digits (minibatches of 32, ``alpha=0.01``),
and three schedules train from it for 40 epochs. The whole example takes a
few seconds.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.plotting import LearningRateFinderDisplay, LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# The learning-rate range test
# ----------------------------
# The loss stays flat while the rate is too small to move the weights, falls
# once it is large enough, and climbs again when the steps overshoot. The
# dashed line marks the suggestion, a tenth of the rate at the bottom.
network = TwoLayerNNClassifier(64, alpha=1e-2, batch_size=32, random_state=0)
finder = LearningRateFinderDisplay.from_estimator(
    network, X_train, y_train, min_lr=1e-5, max_lr=10.0, name="adam"
)
eta0 = finder.suggestion
print(f"suggested learning_rate_init: {eta0:.3g}")

# %%
# The rate of each epoch
# ----------------------
# The schedules' formulas for a fit of ``T = 40`` epochs at the suggested
# rate: a warm-up of ``W = 5`` epochs rises as ``eta0 (e + 1) / W``, then the
# cosine decays as ``eta0 (1 + cos(pi (e - W) / (T - W))) / 2``. The rate of
# ``'plateau'`` depends on the run: it drops by a factor 5 at each stall.
T, W = 40, 5
epochs = np.arange(T)
warmup = np.minimum((epochs + 1) / W, 1.0)
cosine = (1 + np.cos(np.pi * np.maximum(epochs - W, 0) / (T - W))) / 2
fig, ax = plt.subplots(layout="constrained")
ax.plot(epochs + 1, np.full(T, eta0), label="constant")
ax.plot(epochs + 1, eta0 * warmup * cosine, label=f"cosine, warmup_iter={W}")
ax.set(xlabel="Epoch", ylabel="Learning rate", title="Adam's learning rate")
ax.legend()

# %%
# Three schedules from the same start
# -----------------------------------
# The same network, initial weights and minibatches; only the schedule
# differs. The stopping rule is off (``n_iter_no_change=T``) except for
# ``'plateau'``, whose rate drops after 2 epochs without improvement. The
# epoch budget is fixed, so the warning is silenced.
schedules = {
    "constant": dict(learning_rate="constant"),
    "cosine + warm-up": dict(learning_rate="cosine", warmup_iter=W),
    "plateau": dict(learning_rate="plateau", n_iter_no_change=2),
}
fig, ax = plt.subplots(layout="constrained")
for name, schedule in schedules.items():
    clf = clone(network).set_params(
        **{"learning_rate_init": eta0, "max_iter": T, "n_iter_no_change": T} | schedule
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf.fit(X_train, y_train)
    LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
    print(
        f"{name}: {clf.n_iter_} epochs, final training loss {clf.loss_:.4f}, "
        f"test accuracy {clf.score(X_test, y_test):.3f}"
    )
ax.set_yscale("log")
ax.set_title("Adam on the digits, three schedules")
plt.show()

# %%
# With minibatches of 32 a constant rate keeps Adam bouncing around the
# minimum of the (penalized) loss: its curve stays ragged to the end.
# Decaying the rate lets it settle: the cosine schedule ends with the lowest
# training loss, ``'plateau'``, which lowers its rate only when progress
# stalls, between the two. The test accuracies stay within two points of
# each other: on the digits the schedule buys a better optimum of the
# training objective rather than accuracy.
