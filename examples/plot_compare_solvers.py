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
scikit-learn's 8x8 digits. The left plot shows the training loss of the three
first-order solvers after each epoch (a pass over the data); the right one that
of L-BFGS after each of its iterations, which are no epochs: an iteration
evaluates the loss and gradient on the whole data set once or a few times.
These fits take a few seconds.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Each solver with a step size that suits it (Adam at ten times its default
# 1e-3, which this small data set takes well), and at most 150 epochs or
# iterations. Gradient descent and SGD run all 150, still improving: their
# ConvergenceWarnings say so, and are silenced here since that is the point of
# the comparison. Adam and L-BFGS stop on their own, by the stopping rule (no
# improvement of the loss by ``tol`` for more than ``n_iter_no_change``
# epochs) or, for L-BFGS, by SciPy's convergence test.
solvers = {
    "gd": {"learning_rate_init": 0.5},
    "sgd": {"learning_rate_init": 0.05},
    "adam": {"learning_rate_init": 1e-2},
    "lbfgs": {},
}
models = {}
for solver, params in solvers.items():
    clf = TwoLayerNNClassifier(
        32, solver=solver, max_iter=150, random_state=0, **params
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    models[solver] = clf
    print(
        f"{solver:>5}: n_iter_={clf.n_iter_:3d}, final training loss "
        f"{clf.loss_curve_[-1]:.4f}, test accuracy {clf.score(X_test, y_test):.3f}, "
        f"fit in {seconds:.2f} s"
    )

# %%
fig, (epoch_ax, lbfgs_ax) = plt.subplots(
    1, 2, figsize=(10, 4.5), layout="constrained", sharey=True
)
for solver in ["gd", "sgd", "adam"]:
    clf = models[solver]
    name = f"{solver} (test accuracy {clf.score(X_test, y_test):.3f})"
    LossCurveDisplay.from_estimator(clf, ax=epoch_ax, name=name)
clf = models["lbfgs"]
LossCurveDisplay.from_estimator(
    clf, ax=lbfgs_ax, name=f"lbfgs (test accuracy {clf.score(X_test, y_test):.3f})"
)
lbfgs_ax.lines[0].set_color("C3")
lbfgs_ax.legend()
epoch_ax.set(yscale="log", title="First-order solvers, by epoch")
lbfgs_ax.set(title="L-BFGS, by iteration")
plt.show()

# %%
# Full-batch gradient descent takes one step per epoch, so after 150 epochs it
# has taken 150 steps and its loss is still far from the others'. The
# minibatch solvers take seven steps per epoch (1,347 images in minibatches of
# 200) and end with a training loss several times lower: about six times for
# SGD, over forty times for Adam. L-BFGS uses
# curvature information and reaches the lowest training loss of all in a few
# dozen iterations. A lower training loss need not mean a better test
# accuracy: the four end within a few points of each other.
