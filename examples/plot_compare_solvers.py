"""
=================
Comparing solvers
=================

:class:`~sklearn_tinynn.TwoLayerNNClassifier` trains with four solvers:

* ``'gd'``: full-batch gradient descent, one step per pass over the data
  (the original notebook's solver);
* ``'sgd'``: minibatch stochastic gradient descent with Nesterov's momentum;
* ``'adam'``: minibatch Adam, the default;
* ``'lbfgs'``: the quasi-Newton L-BFGS-B method of :mod:`scipy.optimize`, on the
  full batch.

Each trains the same 64 -> 32 -> 10 network from the same initial weights on
scikit-learn's 8x8 digits; the plot shows the training loss after each epoch
(for L-BFGS, each iteration) on a log scale.
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.plotting import LossCurveDisplay

# Fewer iterations, for the test suite; the same steps.
QUICK = os.environ.get("SKLEARN_TINYNN_EXAMPLE_QUICK") == "1"

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Each solver with a step size that suits it; they all stop after 150 epochs
# (or iterations) at the latest, so the convergence warnings are silenced.
solvers = {
    "gd": {"learning_rate_init": 0.5},
    "sgd": {"learning_rate_init": 0.05},
    "adam": {"learning_rate_init": 1e-3},
    "lbfgs": {},
}
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for solver, params in solvers.items():
    clf = TwoLayerNNClassifier(
        32, solver=solver, max_iter=15 if QUICK else 150, random_state=0, **params
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    accuracy = clf.score(X_test, y_test)
    print(
        f"{solver:>5}: n_iter_={clf.n_iter_:3d}, test accuracy {accuracy:.3f}, "
        f"fit in {seconds:.2f} s"
    )
    LossCurveDisplay.from_estimator(
        clf, ax=ax, name=f"{solver} (test accuracy {accuracy:.3f})"
    )
ax.set(
    yscale="log",
    xlabel="Epoch (L-BFGS: iteration)",
    title="Training loss of each solver on the digits",
)
plt.show()

# %%
# Full-batch gradient descent takes one small step per epoch, so it needs many
# epochs; the minibatch solvers take a dozen steps per epoch (1,347 images in
# minibatches of 200) and get far lower in the same number of epochs. L-BFGS
# uses curvature information and reaches the lowest training loss, though a
# lower training loss need not mean a better test accuracy.
