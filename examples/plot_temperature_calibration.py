"""
===========================================
Temperature scaling of the network's logits
===========================================

A network trained until its training loss is near zero is overconfident: its
largest probability is often close to 1 on test images it gets wrong.
Temperature scaling (Guo et al., 2017) divides the logits by one number
``T > 1`` fitted on held-out data, ``softmax(Z2 / T)``, which softens every
probability alike and leaves the predicted class, the argmax, unchanged.

:meth:`~sklearn_tinynn.TwoLayerNNClassifier.decision_function` returns the
logits ``Z2`` (see :doc:`/user_guide/network`), which scikit-learn's
:class:`~sklearn.calibration.CalibratedClassifierCV` with
``method="temperature"`` (scikit-learn 1.8 or later) scales.
:class:`~sklearn.neural_network.MLPClassifier` has no ``decision_function``.

The network trains on 3,000 images of the bundled MNIST sample; 1,000 more
fit the temperature, and its 1,000 test images measure the log loss and draw
the reliability diagram of the top class. The fits take a few seconds.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import sklearn
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, log_loss
from sklearn.utils.fixes import parse_version

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_sample

X, y = load_mnist_sample(subset="train", return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
X, X_test = X / 255, X_test / 255
# The images are interleaved by class: both parts keep ten balanced classes.
X_train, y_train, X_cal, y_cal = X[:3000], y[:3000], X[3000:], y[3000:]

# %%
# An overconfident network
# ------------------------
# 128 hidden units, a tiny penalty and 100 epochs of Adam: the training loss
# ends near zero (the epoch budget is fixed, so the warning is silenced).
clf = TwoLayerNNClassifier(128, alpha=1e-6, max_iter=100, random_state=0)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    clf.fit(X_train, y_train)
print(f"final training loss {clf.loss_:.4f}")
print("logits of the first test image:", clf.decision_function(X_test[:1]).round(1))

# %%
# Temperature scaling on the held-out images
# ------------------------------------------
# :class:`~sklearn.frozen.FrozenEstimator` keeps the fitted network as it is:
# only the temperature is fitted, on the 1,000 calibration images.
probabilities = {"before": clf.predict_proba(X_test)}
if parse_version(sklearn.__version__) >= parse_version("1.8"):
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature")
    calibrated.fit(X_cal, y_cal)
    temperature = 1 / calibrated.calibrated_classifiers_[0].calibrators[0].beta_
    print(f"fitted temperature T = {temperature:.2f}")
    probabilities["after temperature scaling"] = calibrated.predict_proba(X_test)
else:
    print(
        f"scikit-learn {sklearn.__version__} has no temperature scaling (it "
        "came in 1.8): only the network's own probabilities are shown."
    )
for name, proba in probabilities.items():
    print(
        f"{name}: test log loss {log_loss(y_test, proba):.3f}, accuracy "
        f"{accuracy_score(y_test, clf.classes_[proba.argmax(axis=1)]):.3f}"
    )

# %%
# Reliability diagram of the top class
# ------------------------------------
# For each test image, the largest probability (the confidence) against
# whether that class is right. A calibrated model lies on the diagonal: of
# the images predicted with confidence 0.8, eight in ten are right. Below the
# diagonal, the network is more confident than it is accurate.
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
for name, proba in probabilities.items():
    correct = clf.classes_[proba.argmax(axis=1)] == y_test
    CalibrationDisplay.from_predictions(
        correct, proba.max(axis=1), n_bins=10, strategy="quantile", name=name, ax=ax
    )
ax.set(
    xlabel="Confidence (largest predicted probability)",
    ylabel="Fraction of correct predictions",
    title="MNIST sample, 1,000 test images",
)
plt.show()
