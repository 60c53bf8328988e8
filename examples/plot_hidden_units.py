"""
==================================
What the hidden units have learned
==================================

Hidden unit ``j`` of a :class:`~sklearn_tinynn.TwoLayerNNClassifier` computes
``relu(x . W1[:, j] + b1[j])``: it responds to the pixels where its incoming
weights ``W1[:, j]`` are large. Drawn in the shape of the images, the weights
show what each unit looks for: red pixels excite it, blue ones inhibit it.
:class:`~sklearn_tinynn.plotting.HiddenUnitsDisplay` draws them, 8x8 for
scikit-learn's digits and 28x28 for MNIST (here the 5,000-image sample
``../shared/data/mnist_5k.csv.gz`` next to the repository, when there is one).
"""

# %%
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_csv
from sklearn_tinynn.plotting import HiddenUnitsDisplay

# Fewer epochs, for the test suite; the same steps.
QUICK = os.environ.get("SKLEARN_TINYNN_EXAMPLE_QUICK") == "1"
MNIST_SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/mnist_5k.csv.gz"

# %%
# Digits: 16 hidden units
# -----------------------
# With only 64 pixels, each unit's weights cover the whole digit: patches of
# strokes that several digits share, rather than templates of one digit. A few
# units stay pale: their weights are small, so they contribute little. The fits
# stop at their epoch budget on purpose, so the convergence warnings are
# silenced.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_digits(return_X_y=True)
digits_clf = TwoLayerNNClassifier(16, max_iter=30 if QUICK else 300, random_state=0)
digits_clf.fit(X / 16, y)
print(f"digits: training accuracy {digits_clf.score(X / 16, y):.3f}")
HiddenUnitsDisplay.from_estimator(digits_clf)
plt.show()

# %%
# MNIST: 25 hidden units
# ----------------------
# A strong L2 penalty (``alpha=5``) pulls to zero the weights that the data does
# not hold up: those of the border pixels, always blank, and the pixel-to-pixel
# noise. What remains are smooth pen strokes (red) next to the places a stroke
# must not be (blue). Float32 pixels halve the time of the fit.
if MNIST_SAMPLE.is_file():
    X, y = load_mnist_csv(MNIST_SAMPLE, label_column=-1)
    X = X.astype(np.float32) / 255
    mnist_clf = TwoLayerNNClassifier(
        25, alpha=5.0, max_iter=3 if QUICK else 30, random_state=0
    )
    mnist_clf.fit(X, y)
    print(f"MNIST sample: training accuracy {mnist_clf.score(X, y):.3f}")
    HiddenUnitsDisplay.from_estimator(mnist_clf)
    plt.show()
else:
    print(f"No MNIST sample at {MNIST_SAMPLE}: only the digits are drawn.")
