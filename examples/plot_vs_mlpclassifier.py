"""
==========================================
TwoLayerNNClassifier next to MLPClassifier
==========================================

:class:`~sklearn_tinynn.TwoLayerNNClassifier` takes the parameters of
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` under the same
names, with one hidden layer of ``hidden_layer_size`` units instead of the
tuple ``hidden_layer_sizes``. Given the same data and configuration, the two
should learn about equally well; this example fits both on scikit-learn's 8x8
digits with each solver they share and compares test accuracy and fit time.

Given the same ``random_state`` they draw the same initial weights (the same
Glorot-uniform draws, in the same order); only the output biases start
elsewhere: ours at the log of each class's frequency, about -2.3 for each of
the ten balanced digits, MLPClassifier's at random around zero. Softmax
ignores a shift common to all outputs, so the two start apart only by the
spread of MLPClassifier's random biases, and end near each other rather than
equal: L-BFGS, deterministic, ends at a nearby model, and the minibatch
solvers, which draw the same order of the samples for the first epoch and
different orders from the second on, drift apart a little. After 20 epochs of
Adam the training losses differ by less than 0.01 (the curves below overlap);
with each solver the test accuracies differ by at most a few of the 450 test
samples. Given the same output biases and ``shuffle=False``, their weights
would stay equal to rounding (see :doc:`/migrating`). The timings depend on
the machine.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The same configuration
# ----------------------
# 64 hidden ReLU units and the default penalty, minibatches of 200; each model
# stops at its epoch budget or when the loss stalls, like MLPClassifier's.
config = {"alpha": 1e-4, "max_iter": 200, "random_state": 0}
solvers = ["adam", "sgd", "lbfgs"]


def fit(model):
    """Fit ``model``; return its test accuracy and fit time in seconds."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model.fit(X_train, y_train)
    return model.score(X_test, y_test), time.perf_counter() - start


results, models = {}, {}
for solver in solvers:
    ours = TwoLayerNNClassifier(hidden_layer_size=64, solver=solver, **config)
    theirs = MLPClassifier(hidden_layer_sizes=(64,), solver=solver, **config)
    for name, model in [("TwoLayerNNClassifier", ours), ("MLPClassifier", theirs)]:
        results[name, solver] = fit(model)
        models[name, solver] = model
        accuracy, seconds = results[name, solver]
        print(
            f"{name:>20} {solver:>5}: test accuracy {accuracy:.3f}, "
            f"fit in {seconds:.2f} s"
        )

# %%
# Accuracy and fit time
# ---------------------
fig, (acc_ax, time_ax) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
positions, width = np.arange(len(solvers)), 0.38
for offset, name in [
    (-width / 2, "TwoLayerNNClassifier"),
    (width / 2, "MLPClassifier"),
]:
    accuracies, seconds = zip(*(results[name, solver] for solver in solvers))
    bars = acc_ax.bar(positions + offset, accuracies, width, label=name)
    acc_ax.bar_label(bars, fmt="%.3f", fontsize="small")
    bars = time_ax.bar(positions + offset, seconds, width, label=name)
    time_ax.bar_label(bars, fmt="%.2f", fontsize="small")
acc_ax.set(ylim=(0, 1.1), yticks=np.linspace(0, 1, 6), ylabel="Test accuracy")
acc_ax.set_title("Test accuracy")
time_ax.set(ylabel="Seconds", title="Fit time")
for ax in (acc_ax, time_ax):
    ax.set(xticks=positions, xticklabels=solvers, xlabel="Solver")
fig.legend(*acc_ax.get_legend_handles_labels(), loc="outside upper center", ncols=2)
plt.show()

# %%
# The Adam loss curves
# --------------------
# Both display with :class:`~sklearn_tinynn.plotting.LossCurveDisplay`, which
# accepts MLPClassifier too. The curves nearly coincide, so MLPClassifier's is
# drawn dashed with markers, over ours.
for name in ["TwoLayerNNClassifier", "MLPClassifier"]:
    loss = models[name, "adam"].loss_curve_[19]
    print(f"{name} adam: training loss after 20 epochs {loss:.4f}")
fig, ax = plt.subplots(layout="constrained")
LossCurveDisplay.from_estimator(
    models["TwoLayerNNClassifier", "adam"], ax=ax, name="TwoLayerNNClassifier"
)
mlp = LossCurveDisplay.from_estimator(
    models["MLPClassifier", "adam"], ax=ax, name="MLPClassifier"
)
mlp.line_.set(
    linestyle="--",
    marker="o",
    markersize=3,
    markevery=max(1, len(mlp.loss_curve) // 20),
)
ax.legend()
ax.set(yscale="log", title="Adam on the digits")
plt.show()
