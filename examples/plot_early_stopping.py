"""
=====================================================
Early stopping, with training and validation curves
=====================================================

With ``early_stopping=True``, :class:`~sklearn_tinynn.TwoLayerNNClassifier`
holds out ``validation_fraction`` of the training data, measures the accuracy
and the loss on it after every epoch, stops when the accuracy has not improved
for more than ``n_iter_no_change`` epochs, and keeps the weights of the best
epoch. :class:`~sklearn_tinynn.plotting.LossCurveDisplay` draws the three
curves it records. The data are the 5,000 MNIST digits that ship with the
package: 4,000 to train (of which 400 are held out for validation), 1,000 to
test. The fit takes a few seconds.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_sample
from sklearn_tinynn.plotting import LossCurveDisplay

X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
X_train = X_train.astype(np.float32) / 255
X_test = X_test.astype(np.float32) / 255

# %%
# The fit
# -------
# ``max_iter`` is only a ceiling here: the stopping rule ends the fit long
# before it, so no ConvergenceWarning is raised.
clf = TwoLayerNNClassifier(
    early_stopping=True,
    validation_fraction=0.1,
    n_iter_no_change=10,
    max_iter=300,
    random_state=0,
)
clf.fit(X_train, y_train)
best_epoch = int(np.argmax(clf.validation_scores_)) + 1
lowest_loss_epoch = int(np.argmin(clf.validation_loss_curve_)) + 1
print(f"stopped after {clf.n_iter_} epochs of at most {clf.max_iter}")
print(
    f"best validation accuracy {clf.best_validation_score_:.3f} at epoch "
    f"{best_epoch}: the weights kept"
)
print(
    f"validation loss: lowest {min(clf.validation_loss_curve_):.3f} at epoch "
    f"{lowest_loss_epoch}, {clf.validation_loss_curve_[-1]:.3f} at the end"
)
print(f"test accuracy {clf.score(X_test, y_test):.3f}")

# %%
# The curves
# ----------
# The training loss (solid; it includes the L2 penalty) falls at every epoch.
# The validation loss (dashed; the cross-entropy alone) falls with it at first,
# then levels off: from about the fifteenth epoch the network improves on the
# training images far more than on the held-out ones. Its lowest point (printed
# above) comes a few epochs before the best accuracy, and by the end it has
# risen a little. The validation accuracy (dotted, right axis) levels off too.
# The fit goes on for ``n_iter_no_change`` more epochs without a better
# accuracy, then stops and restores the weights of the best epoch (grey line).
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
display = LossCurveDisplay.from_estimator(clf, ax=ax, show_validation_score=True)
ax.set(yscale="log", title="Early stopping on the MNIST sample")
# The legend goes below the axes: inside, it would hide the end of the
# validation loss, where it rises again.
ax.get_legend().remove()
fig.legend(loc="outside lower center", ncols=3)
plt.show()

# %%
# The validation loss turns upward before the accuracy stops improving: it is
# the finer signal, since it also sees how confident the right answers are.
# Only the accuracy drives the stopping rule, as in
# :class:`~sklearn.neural_network.MLPClassifier`.
