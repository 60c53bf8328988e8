"""
==================================
What the hidden units have learned
==================================

Hidden unit ``j`` of a :class:`~sklearn_tinynn.TwoLayerNNClassifier` computes
``relu(x . W1[:, j] + b1[j])``: it responds to the pixels where its incoming
weights ``W1[:, j]`` are large. Drawn in the shape of the images, the weights
show what each unit looks for: red pixels excite it, blue ones inhibit it.
:class:`~sklearn_tinynn.plotting.HiddenUnitsDisplay` draws them, 8x8 for
scikit-learn's digits and 28x28 for MNIST (here the 5,000 real MNIST digits
that ship with the package, :func:`~sklearn_tinynn.datasets.load_mnist_sample`).
Both fits take a few seconds.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_sample
from sklearn_tinynn.plotting import HiddenUnitsDisplay

# %%
# Digits: 16 hidden units
# -----------------------
# With only 64 pixels, each unit's weights cover the whole digit: patches of
# strokes that several digits share, rather than templates of one digit. A few
# units stay pale: their weights are small, so they contribute little. The fit
# stops at its epoch budget, 300 epochs, on purpose, so its convergence warning
# is silenced.
X, y = load_digits(return_X_y=True)
digits_clf = TwoLayerNNClassifier(16, max_iter=300, random_state=0)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    digits_clf.fit(X / 16, y)
print(f"digits: training accuracy {digits_clf.score(X / 16, y):.3f}")
HiddenUnitsDisplay.from_estimator(digits_clf)
plt.show()

# %%
# MNIST: 25 hidden units
# ----------------------
# A strong L2 penalty (``alpha=5``) pulls to zero the weights that the data does
# not hold up: those of the border pixels, always blank, and the pixel-to-pixel
# noise. What remains are smooth blobs of strokes (red) next to the places a
# stroke must not be (blue). Float32 pixels train a float32 network, faster
# than float64; the fit stops after 30 epochs (its warning silenced): the
# pictures change little after.
X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
X_train = X_train.astype(np.float32) / 255
X_test = X_test.astype(np.float32) / 255


def roughness(clf):
    """Mean jump between neighbouring pixels' weights, over the mean weight."""
    W1 = clf.coefs_[0].T.reshape(-1, 28, 28)
    jumps = np.abs(np.diff(W1, axis=1)).mean() + np.abs(np.diff(W1, axis=2)).mean()
    return jumps / 2 / np.abs(W1).mean()


def fit_and_draw(alpha):
    """Fit 25 hidden units with penalty ``alpha`` for 30 epochs; draw them."""
    clf = TwoLayerNNClassifier(25, alpha=alpha, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf.fit(X_train, y_train)
    print(
        f"MNIST sample, alpha={alpha:g}: test accuracy "
        f"{clf.score(X_test, y_test):.3f}, roughness {roughness(clf):.2f}"
    )
    HiddenUnitsDisplay.from_estimator(clf)
    plt.show()


fit_and_draw(alpha=5.0)

# %%
# For comparison, the same network without the penalty (``alpha=0``): its weights keep
# the pixel-to-pixel noise of the few thousand training images, and its units look like
# static: the jump from one pixel's weight to its neighbour's, relative to the weights'
# size (the "roughness" printed), is nearly twice as large. The smooth pictures cost
# accuracy here (0.895 against 0.918 on the held-out digits): a penalty this strong is
# for reading the weights, not for the best model.
fit_and_draw(alpha=0.0)
