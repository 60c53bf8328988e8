"""
==================================================================
A validation set of one's own, and early stopping on the loss
==================================================================

:class:`~sklearn_tinynn.TwoLayerNNClassifier` takes the validation set of early
stopping from ``fit``'s ``X_val`` and ``y_val``, as
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` does, instead of
holding out ``validation_fraction`` of the training data; and ``scoring``
chooses the score that early stopping maximizes: the accuracy by default (as
:class:`~sklearn.neural_network.MLPClassifier`), ``"loss"`` for minus the
validation cross-entropy, or any scikit-learn scorer.

Here the digits of scikit-learn are split three ways: 1,000 to train, 300 to
validate, the remaining 497 to test. Two fits run from the same
``random_state``, one stopping on the accuracy, one on the loss. The score does
not change training, only when it stops and which epoch's weights it keeps, so
the two fits follow one path until the first one stops.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss

from sklearn_tinynn import TwoLayerNNClassifier

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, y_train = X[:1000], y[:1000]
X_val, y_val = X[1000:1300], y[1000:1300]
X_test, y_test = X[1300:], y[1300:]

# %%
# Two fits, two scores
# --------------------
# An epoch whose score does not beat the best so far by ``tol=1e-4`` counts
# against the fit; after more than ``n_iter_no_change=10`` of them in a row it
# stops and restores the weights of its best epoch.
params = dict(
    hidden_layer_size=64,
    early_stopping=True,
    learning_rate_init=0.01,
    n_iter_no_change=10,
    max_iter=300,
    random_state=0,
)
fits = {}
for scoring in [None, "loss"]:
    clf = TwoLayerNNClassifier(**params, scoring=scoring)
    fits[scoring] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

by_accuracy, by_loss = fits[None], fits["loss"]
common = min(by_accuracy.n_iter_, by_loss.n_iter_)
same = by_accuracy.loss_curve_[:common] == by_loss.loss_curve_[:common]
print(f"the two fits agree over their first {common} epochs: {same}")
for name, clf in [("accuracy", by_accuracy), ("loss", by_loss)]:
    best = int(np.argmax(clf.validation_scores_)) + 1
    print(
        f"scoring on the {name}: stopped after {clf.n_iter_} epochs, best epoch "
        f"{best}, test accuracy {clf.score(X_test, y_test):.3f}, test log loss "
        f"{log_loss(y_test, clf.predict_proba(X_test)):.3f}"
    )
least = int(np.argmin(by_loss.validation_loss_curve_)) + 1
print(f"least validation loss at epoch {least}")

# %%
# The curves
# ----------
# The training loss falls at every epoch; the validation loss falls, reaches
# its least value, then rises as the network grows overconfident on the
# training digits. Early stopping on the loss keeps the weights of that lowest
# point (the best epoch printed above is the epoch of least validation loss).
# The validation accuracy moves in steps of 1/300 and stops improving earlier
# here, while the loss still falls. On these digits the two kept models are
# close on the test digits, in accuracy and in log loss; which score stops
# better depends on the data and on what the model is for: the loss, when the
# probabilities matter.
longer = by_accuracy if by_accuracy.n_iter_ >= by_loss.n_iter_ else by_loss
epochs = np.arange(1, longer.n_iter_ + 1)
fig, (loss_ax, score_ax) = plt.subplots(
    1, 2, figsize=(10, 4), layout="constrained", sharex=True
)
loss_ax.plot(epochs, longer.loss_curve_, label="training loss (with the penalty)")
loss_ax.plot(epochs, longer.validation_loss_curve_, "--", label="validation loss")
loss_ax.axvline(least, color="grey", linestyle="-.", label=f"least ({least})")
loss_ax.set(xlabel="Epoch", ylabel="Cross-entropy", yscale="log")
loss_ax.set_title('scoring="loss" stops near the least validation loss')
loss_ax.legend()
for name, clf, style in [("accuracy", by_accuracy, ":"), ("loss", by_loss, "-")]:
    scores = np.asarray(clf.validation_scores_)
    if name == "loss":  # minus the loss, on its own axis
        twin = score_ax.twinx()
        twin.plot(np.arange(1, clf.n_iter_ + 1), scores, style, color="C1")
        twin.set_ylabel('validation score, scoring="loss" (minus the loss)')
        twin.yaxis.label.set_color("C1")
    else:
        score_ax.plot(np.arange(1, clf.n_iter_ + 1), scores, style, color="C0")
        score_ax.set_ylabel("validation score, scoring=None (accuracy)")
        score_ax.yaxis.label.set_color("C0")
    score_ax.axvline(clf.n_iter_, color=f"C{name == 'loss':d}", linewidth=0.8)
score_ax.set(xlabel="Epoch")
score_ax.set_title("The validation score of each fit, to its last epoch")
plt.show()
