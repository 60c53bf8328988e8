"""
=======================================
Class weights on an imbalanced problem
=======================================

When some classes are rare in the training data, a network that minimizes the
average loss can neglect them: a mistake on a rare class costs as much as one
on a common class, and there are few of them to make.
``class_weight="balanced"`` weights each sample by ``n_samples / (n_classes *
count of its class)``, so that every class weighs the same in the loss (see
:doc:`/user_guide/weights`). :class:`~sklearn.neural_network.MLPClassifier` has
no ``class_weight``.

Here the training set is the MNIST sample bundled with the package, with the
digits 8 and 9 made rare: 20 images each, against 400 of every other digit.
The test set keeps 100 of each digit, so its plain accuracy is also its
balanced accuracy, the mean recall over the classes. The fits take a few
seconds.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_sample

X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
X_train = X_train.astype(np.float32) / 255
X_test = X_test.astype(np.float32) / 255

keep = np.ones(len(y_train), dtype=bool)
for digit in (8, 9):
    keep[np.flatnonzero(y_train == digit)[20:]] = False
X_train, y_train = X_train[keep], y_train[keep]
print("training images per digit:", np.bincount(y_train).tolist())

# %%
# Three models
# ------------
# The same network (64 hidden units, Adam, 50 epochs) three times: scikit-learn's
# MLPClassifier, ours unweighted, and ours with balanced class weights. The 50
# epochs are a fixed budget, so the convergence warnings are silenced.
models = {
    "MLPClassifier": MLPClassifier((64,), max_iter=50, random_state=0),
    "TwoLayerNNClassifier": TwoLayerNNClassifier(64, max_iter=50, random_state=0),
    'TwoLayerNNClassifier\nclass_weight="balanced"': TwoLayerNNClassifier(
        64, max_iter=50, class_weight="balanced", random_state=0
    ),
}
recalls = {}
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for name, model in models.items():
        y_pred = model.fit(X_train, y_train).predict(X_test)
        recalls[name] = recall_score(y_test, y_pred, average=None)
        print(
            f"{name.replace(chr(10), ' ')}: balanced accuracy "
            f"{balanced_accuracy_score(y_test, y_pred):.3f}, recall of 8 and 9 "
            f"{recalls[name][8]:.2f} and {recalls[name][9]:.2f}"
        )

# %%
# Recall of each digit
# --------------------
# The recall of a digit is the fraction of its test images that are recognized.
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
digits, width = np.arange(10), 0.27
for offset, (name, recall) in zip((-width, 0, width), recalls.items()):
    ax.bar(digits + offset, recall, width, label=name.replace("\n", " "))
ax.set(
    xticks=digits,
    xlabel="Digit (8 and 9 rare in training)",
    ylim=(0, 1.05),
    ylabel="Recall on the test images",
)
fig.legend(loc="outside upper center", ncols=3)
plt.show()

# %%
# Unweighted, both networks recognize the common digits well and the rare ones
# poorly, and alike: they are the same model. The balanced weights raise the
# recall of the two rare digits markedly (printed above), at the cost of a point
# or so on some common ones, and the balanced accuracy rises. Weights do
# not make up for missing data: 20 images of a digit remain 20 images, and the
# rare digits stay the hardest.
