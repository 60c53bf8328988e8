"""
===========================================
Checkpoints, a crash, and an exact resume
===========================================

A :class:`~sklearn_tinynn.Checkpoint` saves the model while it trains: every
``every`` epochs to ``epoch_NNNN.skops``, and at each best epoch (here the
best validation accuracy, with ``early_stopping``) to ``best.skops``. A file
saved in the middle of a fit carries what the rest of the fit depends on: the
random generator that shuffles the minibatches, Adam's moments and step
count, the stopping rule's counters, the held-out rows and the best weights
so far. So a fit that crashes can be resumed from its last file, and it ends
in the very model of the fit that never stopped, bit for bit.

The data are scikit-learn's 8x8 digits; each fit takes about a second.
"""

# %%
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import Checkpoint, TwoLayerNNClassifier, load

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)
params = dict(
    hidden_layer_size=32,
    learning_rate_init=0.01,
    early_stopping=True,
    n_iter_no_change=40,
    max_iter=40,
    random_state=0,
)
folder = Path(tempfile.mkdtemp())
# Forty epochs do not converge; here they are the point, not a problem.
warnings.simplefilter("ignore", ConvergenceWarning)

# %%
# The uninterrupted fit
# ---------------------
# Forty epochs of Adam, saving a checkpoint every ten epochs and the best one.
uninterrupted = TwoLayerNNClassifier(**params)
uninterrupted.set_callbacks(Checkpoint(folder / "uninterrupted", every=10))
uninterrupted.fit(X_train, y_train)
print(sorted(path.name for path in (folder / "uninterrupted").iterdir()))

# %%
# A fit that crashes
# ------------------
# The same fit again, into another folder; a callback raises after epoch 27,
# as a power cut would. What remains is the last checkpoint, of epoch 20.


class PowerCut:
    """Raises after epoch 27."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch" and estimator.n_iter_ == 27:
            raise RuntimeError("power cut")


crashed = TwoLayerNNClassifier(**params)
crashed.set_callbacks(Checkpoint(folder / "crashed", every=10), PowerCut())
try:
    crashed.fit(X_train, y_train)
except RuntimeError as exc:
    print(f"the fit stopped: {exc}")
latest = folder / "crashed" / "epoch_0020.skops"

# %%
# The resume
# ----------
# Load the file (it is checked as any model file) and fit again with
# ``warm_start=True`` on the same data: the fit runs the epochs left, 21 to 40.
resumed = load(latest)
print(f"the checkpoint has run {resumed.n_iter_} of {resumed.max_iter} epochs")
resumed.set_params(warm_start=True).fit(X_train, y_train)
identical = all(
    np.array_equal(a, b)
    for a, b in zip(
        resumed.coefs_ + resumed.intercepts_,
        uninterrupted.coefs_ + uninterrupted.intercepts_,
    )
)
print(f"n_iter_: {resumed.n_iter_} resumed, {uninterrupted.n_iter_} uninterrupted")
print(f"loss curves identical: {resumed.loss_curve_ == uninterrupted.loss_curve_}")
print(f"weights identical: {identical}")

best = load(folder / "uninterrupted" / "best.skops")
best_epoch = len(best.validation_scores_)
print(
    f"best.skops: epoch {best_epoch}, validation accuracy "
    f"{best.validation_scores_[-1]:.3f}, test accuracy {best.score(X_test, y_test):.3f}"
)

# %%
# The curves
# ----------
# The resumed loss curve (dots, from epoch 21) lies on the uninterrupted one;
# the grey line marks the epoch of ``best.skops``, whose weights are also
# those that early stopping keeps at the end of the fit.
epochs = np.arange(1, uninterrupted.n_iter_ + 1)
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.plot(epochs, uninterrupted.loss_curve_, label="uninterrupted fit")
ax.plot(epochs[20:], resumed.loss_curve_[20:], "o", markersize=4, label="resumed fit")
ax.axvline(20, color="tab:red", linestyle=":", label="checkpoint resumed from")
ax.axvline(best_epoch, color="grey", label="best.skops")
ax.set(xlabel="epoch", ylabel="training loss", yscale="log")
ax.set_title("A crashed fit resumed from its checkpoint")
ax.legend()
plt.show()
