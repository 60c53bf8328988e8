"""
=============================================
The original notebook, reproduced (and fixed)
=============================================

sklearn-tinynn began as a notebook that read ``mnist_train.csv`` and
``mnist_test.csv``, trained a 784 -> 10 (ReLU) -> 10 (softmax) network by
full-batch gradient descent (learning rate 0.1, 500 iterations) and printed the
accuracy. Here is that network, as one estimator::

    TwoLayerNNClassifier(
        hidden_layer_size=10, solver="gd", learning_rate_init=0.1, max_iter=500,
        alpha=0,
    )

next to a wider network (128 hidden units) trained by Adam, the default solver.

As first written, the notebook did not work, for five reasons; each is fixed
here, and none can come back unnoticed:

* **The input was not transposed.** The notebook computed ``Z1 = W1.dot(X) +
  b1`` with ``W1`` of shape (10, 784), which wants one image per *column*, but
  passed the data as read, one image per *row*. Here rows are samples
  throughout, as everywhere in scikit-learn: the weights have shape
  ``(fan_in, fan_out)`` and the hidden layer is ``Z1 = X W1 + b1``.
* **The bias gradients were summed over every axis.** ``db1 = np.sum(dZ1) / m``
  adds up the errors of all units *and* all samples, so every unit got the same
  scalar bias gradient. The gradient of ``b1`` is the sum over the samples only,
  one value per unit: ``dZ1.sum(axis=0)`` in ``_network.backward``.
* **A stray** ``self`` **in the update.** The update step was a plain function
  that referred to ``self``, a leftover of a class, so the first update failed.
  Here the update lives in a small optimizer class
  (``_optimizers.GradientDescent``) that updates a flat list of parameters.
* **The softmax overflowed.** ``np.exp(Z) / np.sum(np.exp(Z))`` gives
  ``inf / inf = nan`` as soon as a score passes about 709 (which raw 0-255
  pixels reach at once). The softmax here subtracts each row's maximum before
  exponentiating, which leaves the probabilities unchanged.
* **pandas ate the first image.** ``pd.read_csv("mnist_train.csv")`` took the
  first row, an image, for a header (the file has none): 59,999 images instead
  of 60,000. :func:`sklearn_tinynn.datasets.load_mnist_csv` keeps a first row
  exactly when it is all numbers.

Run it on your own MNIST files (the label in the first column, as in
``mnist_train.csv``; or the directory of the four IDX files)::

    python examples/plot_notebook_reproduced.py mnist_train.csv mnist_test.csv
    python examples/plot_notebook_reproduced.py path/to/mnist-idx-directory
    SKLEARN_TINYNN_MNIST=mnist_train.csv:mnist_test.csv python examples/plot_...

(the variable holds one path, or two separated by ``os.pathsep``). A single
CSV file is split 80/20. Without a path the example uses the 5,000 real MNIST
digits that ship with the package
(:func:`~sklearn_tinynn.datasets.load_mnist_sample`): 4,000 to train, 1,000 to
test.
"""

# %%
# The data
# --------
# Pixels are scaled to [0, 1], as in the notebook, and kept in float32, which
# the estimator trains in as given (half the memory of float64, and faster).
import os
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_csv, load_mnist_idx, load_mnist_sample
from sklearn_tinynn.plotting import LossCurveDisplay, MisclassifiedDisplay


def split(X, y):
    """A shuffled, stratified 80/20 split."""
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)


def load_data(paths):
    """Return ``(description, X_train, X_test, y_train, y_test)``, pixels 0-255."""
    if paths and Path(paths[0]).is_dir():
        X_train, y_train = load_mnist_idx(paths[0], subset="train", return_X_y=True)
        X_test, y_test = load_mnist_idx(paths[0], subset="test", return_X_y=True)
        return f"the IDX files in {paths[0]}", X_train, X_test, y_train, y_test
    if len(paths) == 2:
        (X_train, y_train), (X_test, y_test) = map(load_mnist_csv, paths)
        return f"{paths[0]} and {paths[1]}", X_train, X_test, y_train, y_test
    if paths:
        return (f"{paths[0]}, split 80/20", *split(*load_mnist_csv(paths[0])))
    X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
    X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    return "the bundled 5,000-image MNIST sample", X_train, X_test, y_train, y_test


paths = sys.argv[1:3] or os.environ.get("SKLEARN_TINYNN_MNIST", "").split(os.pathsep)
description, X_train, X_test, y_train, y_test = load_data([p for p in paths if p])
X_train = X_train.astype(np.float32) / 255
X_test = X_test.astype(np.float32) / 255
print(f"Data: {description}: {len(X_train)} training and {len(X_test)} test images")

# %%
# The two networks
# ----------------
# Both fits stop at their iteration budget on purpose (500 steps for the
# notebook's network, 40 epochs for Adam), so the convergence warnings are
# silenced.
notebook = TwoLayerNNClassifier(
    hidden_layer_size=10,
    solver="gd",
    learning_rate_init=0.1,
    max_iter=500,
    alpha=0,
    random_state=0,
)
adam = TwoLayerNNClassifier(hidden_layer_size=128, max_iter=40, random_state=0)
models = {"notebook: 10 hidden, GD": notebook, "128 hidden, Adam": adam}
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        print(f"{name:>24}: test accuracy {accuracy:.3f}, fit in {seconds:.1f} s")

# %%
# Loss curves
# -----------
# One step of gradient descent uses every training image; one epoch of Adam is
# a pass over them in minibatches of 200, so Adam takes many more (smaller,
# noisier) steps per epoch.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    LossCurveDisplay.from_estimator(model, ax=ax)
    ax.set_title(f"{name}: test accuracy {model.score(X_test, y_test):.3f}")
axes[0].set_xlabel("Gradient-descent step (one per epoch)")
plt.show()

# %%
# What the notebook's network gets wrong
# --------------------------------------
# The first test images it misclassifies, and its confusion matrix.
MisclassifiedDisplay.from_estimator(notebook, X_test, y_test, n_images=16)
plt.show()

# %%
ConfusionMatrixDisplay.from_estimator(notebook, X_test, y_test, colorbar=False)
plt.title("The notebook's network on the test images")
plt.show()
