"""
======================================================
Tuning the hidden layer and the penalty by grid search
======================================================

:class:`~sklearn_tinynn.TwoLayerNNClassifier` is an ordinary scikit-learn
estimator, so it goes into a :class:`~sklearn.pipeline.Pipeline` after a
scaler, and :class:`~sklearn.model_selection.GridSearchCV` tunes it by
cross-validation. Here the grid spans the number of hidden units and the
strength ``alpha`` of the L2 penalty, on scikit-learn's 8x8 digits; a heat map
shows the mean cross-validated accuracy of each pair.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_tinynn import TwoLayerNNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The search
# ----------
# The step names prefix the parameter names: ``clf__hidden_layer_size``. L-BFGS
# fits these small networks in a fraction of a second; 100 iterations are
# enough to rank them, so the convergence warnings of the fits that would go on
# are silenced. The 12 candidates, 3 folds each, take a few seconds on one
# core.
pipeline = Pipeline(
    [
        ("scale", MinMaxScaler()),
        (
            "clf",
            TwoLayerNNClassifier(solver="lbfgs", max_iter=100, random_state=0),
        ),
    ]
)
param_grid = {
    "clf__hidden_layer_size": [2, 8, 32, 128],
    "clf__alpha": [1e-2, 1.0, 100.0],
}
search = GridSearchCV(pipeline, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    search.fit(X_train, y_train)
print(f"Best parameters: {search.best_params_}")
print(
    f"Cross-validated accuracy {search.best_score_:.3f}, "
    f"test accuracy {search.score(X_test, y_test):.3f}"
)

# %%
# The heat map
# ------------
# ``cv_results_`` lists the candidates in the order of ``ParameterGrid``: the
# last parameter in sorted name order (here the hidden size) varies fastest.
hidden_sizes = param_grid["clf__hidden_layer_size"]
alphas = param_grid["clf__alpha"]
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(hidden_sizes))
for alpha, row in zip(alphas, scores):
    print(f"alpha={alpha:<6g}", " ".join(f"{score:.3f}" for score in row))

fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
image = ax.imshow(scores, cmap="viridis")
for (i, j), score in np.ndenumerate(scores):
    color = "black" if score > scores.min() + 0.6 * np.ptp(scores) else "white"
    ax.text(j, i, f"{score:.3f}", ha="center", va="center", color=color)
ax.set(
    xticks=range(len(hidden_sizes)),
    xticklabels=hidden_sizes,
    yticks=range(len(alphas)),
    yticklabels=[f"{alpha:g}" for alpha in alphas],
    xlabel="Hidden units (hidden_layer_size)",
    ylabel="L2 penalty (alpha)",
    title="Mean cross-validated accuracy",
)
fig.colorbar(image, ax=ax, label="accuracy")
plt.show()

# %%
# Two hidden units underfit whatever the penalty: they cannot tell ten digits
# apart, and their scores, the lowest of each row, depend more on where L-BFGS
# ends than on ``alpha``. From 8 units on, a strong penalty (``alpha`` of 100)
# shrinks the weights so much that every network underfits, the widest
# included. Between the two, the wide networks (32 and 128 units) score alike,
# and a moderate penalty (``alpha`` of 1) gives the best scores; it helps the
# narrow ones most.
