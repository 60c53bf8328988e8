"""scikit-learn's own estimator checks, over the default and one instance per
solver, per activation, with class_weight='balanced', with a cosine schedule
after a warm-up and with dropout: every one passes, none is an expected
failure. (Dropout passes the sample-weight equivalence checks because a
row's mask is a function of its content: see _network.dropout_mask.)"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_tinynn import TwoLayerNNClassifier

ESTIMATORS = [
    TwoLayerNNClassifier(),
    TwoLayerNNClassifier(solver="sgd"),
    # The notebook's learning rate: 1e-3 is too small for 200 full-batch steps.
    TwoLayerNNClassifier(solver="gd", learning_rate_init=0.1),
    TwoLayerNNClassifier(solver="lbfgs"),
    TwoLayerNNClassifier(activation="tanh"),
    TwoLayerNNClassifier(activation="logistic"),
    TwoLayerNNClassifier(activation="identity"),
    TwoLayerNNClassifier(activation="gelu"),
    TwoLayerNNClassifier(class_weight="balanced"),
    TwoLayerNNClassifier(solver="sgd", activation="tanh"),
    TwoLayerNNClassifier(solver="lbfgs", class_weight="balanced"),
    TwoLayerNNClassifier(learning_rate="cosine", warmup_iter=10),
    TwoLayerNNClassifier(dropout=0.2),
    TwoLayerNNClassifier(input_dropout=0.2, solver="sgd"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
