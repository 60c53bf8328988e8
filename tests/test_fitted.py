"""The one definition of a consistent fitted network (``_fitted.py``).

The estimator, the loader and the ONNX exporter all read a network through
these rules; the tests state each rule on small hand-made values.
"""

import numpy as np
import pytest

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn._fitted import (
    check_classes,
    check_optimizer_state,
    check_output,
    check_parameters,
    check_random_state,
    output_kind,
    output_layer,
)


def params(n_features=4, n_hidden=3, n_outputs=2, dtype=np.float64):
    W1, b1 = np.ones((n_features, n_hidden), dtype), np.zeros(n_hidden, dtype)
    W2, b2 = np.ones((n_hidden, n_outputs), dtype), np.zeros(n_outputs, dtype)
    return [W1, W2], [b1, b2]


@pytest.mark.parametrize(
    "n_classes, multilabel, expected",
    [
        (2, False, (1, "logistic")),
        (3, False, (3, "softmax")),
        (10, False, (10, "softmax")),
        (2, True, (2, "logistic")),
        (5, True, (5, "logistic")),
    ],
)
def test_output_layer_follows_the_number_and_kind_of_classes(
    n_classes, multilabel, expected
):
    assert output_layer(n_classes, multilabel) == expected


@pytest.mark.parametrize("n_classes", [0, 1, 2.0, True, "3"])
def test_output_layer_needs_two_classes_or_more(n_classes):
    with pytest.raises(ValueError, match="at least 2 classes"):
        output_layer(n_classes, False)


def test_the_estimator_ends_in_the_output_layer_the_rule_gives():
    X = np.random.default_rng(0).normal(size=(40, 3))
    for y, multilabel in [
        (np.arange(40) % 2, False),
        (np.arange(40) % 4, False),
        (np.c_[np.arange(40) % 2, np.arange(40) % 3 == 0], True),
    ]:
        clf = TwoLayerNNClassifier(4, solver="lbfgs", max_iter=2).fit(X, y)
        n_classes = len(clf.classes_)
        assert (clf.n_outputs_, clf.out_activation_) == output_layer(
            n_classes, multilabel
        )


@pytest.mark.parametrize(
    "classes",
    [
        np.array([0, 1]),
        np.array([-3, 7, 10**12]),
        np.array([0.5, 1.5, np.inf]),
        np.array([False, True]),
        np.array([3, 9], dtype=np.uint8),
        np.array(["ant", "bee"]),
        np.array(["ant", "bee"], dtype=object),
    ],
    ids=["int", "large", "float", "bool", "uint8", "str", "object str"],
)
def test_valid_classes(classes):
    check_classes(classes)


@pytest.mark.parametrize(
    "classes, message",
    [
        (np.array([1, 0, 2]), r"\[1, 0, 2\] is not sorted"),
        (np.array(["b", "a"]), r"\['b', 'a'\] is not sorted"),
        (np.array([True, False]), "is not sorted"),
        (np.array([0, 0, 1]), "repeats a label"),
        (np.array([0.0, np.nan]), "holds NaN"),
        (np.array([1]), "has 1 labels; expected 2 or more"),
        (np.array(["2020-01-01", "2021-01-01"], "M8[D]"), "dtype datetime64"),
        (np.array([1, 2], "m8[s]"), "dtype timedelta64"),
        (np.array([1, 2j]), "dtype complex128"),
        (np.array([b"a", b"b"]), "dtype |S1"),
        (np.array([1, "a"], dtype=object), "dtype object"),
        (np.array([[0, 1]]), "not a 1-D NumPy array"),
        ([0, 1], "not a 1-D NumPy array"),
    ],
    ids=[
        "unsorted int",
        "unsorted str",
        "unsorted bool",
        "repeat",
        "NaN",
        "one class",
        "datetime64",
        "timedelta64",
        "complex",
        "bytes",
        "mixed object",
        "2-D",
        "list",
    ],
)
def test_invalid_classes(classes, message):
    with pytest.raises(ValueError, match=message):
        check_classes(classes)


def test_parameters_of_the_right_shapes_dtype_and_values():
    coefs, intercepts = params()
    assert [p.shape for p in check_parameters(coefs, intercepts, 4, 2)] == [
        (4, 3),
        (3,),
        (3, 2),
        (2,),
    ]
    coefs, intercepts = params(dtype=np.float32)
    check_parameters(coefs, intercepts, 4, 2)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c, i: (c, i, 5, 2), "n_features_in_=5 and n_outputs_=2 need"),
        (lambda c, i: (c, i, 4, 3), "n_features_in_=4 and n_outputs_=3 need"),
        (lambda c, i: ([c[0], c[1].T], i, 4, 2), r"weights of shapes"),
        (lambda c, i: (tuple(c), i, 4, 2), "coefs_ is not a list of two"),
        (lambda c, i: (c, [*i, i[0]], 4, 2), "intercepts_ is not a list of two"),
        (lambda c, i: ([c[0].tolist(), c[1]], i, 4, 2), "coefs_ is not a list"),
        (
            lambda c, i: ([c[0].astype(np.float32), c[1]], i, 4, 2),
            r"dtypes \['float32', 'float64'\]",
        ),
        (
            lambda c, i: ([a.astype(int) for a in c], [a.astype(int) for a in i], 4, 2),
            r"dtypes \['int64'\]",
        ),
        (lambda c, i: ([c[0] * np.inf, c[1]], i, 4, 2), "NaN or infinite"),
        (
            lambda c, i: ([np.ones((4, 0)), np.ones((0, 2))], [np.ones(0), i[1]], 4, 2),
            "weights of shapes",
        ),
    ],
    ids=[
        "features",
        "outputs",
        "W2 transposed",
        "tuple",
        "three biases",
        "a list for W1",
        "mixed dtypes",
        "int",
        "infinite",
        "no hidden unit",
    ],
)
def test_inconsistent_parameters(change, message):
    coefs, intercepts = params()
    with pytest.raises(ValueError, match=message):
        check_parameters(*change(coefs, intercepts))


@pytest.mark.parametrize(
    "classes, n_outputs, activation, kind",
    [
        ([0, 1], 1, "logistic", "binary"),
        (["a", "b", "c"], 3, "softmax", "multiclass"),
        ([0, 1, 2], 3, "logistic", "multilabel"),
        ([0, 1], 2, "logistic", "multilabel"),
    ],
)
def test_output_kind(classes, n_outputs, activation, kind):
    assert output_kind(np.array(classes), n_outputs, activation) == kind


@pytest.mark.parametrize(
    "classes, n_outputs, activation, message",
    [
        (["a", "b", "c"], 3, "logistic", "multilabel model, whose classes_ are 0"),
        ([0, 1], 2, "softmax", "does not fit a 2-class model"),
        ([0, 1, 2], 1, "logistic", "does not fit a 3-class model"),
        ([0, 1, 2], 2, "softmax", "expected 'softmax' with 3"),
        ([2, 1], 1, "logistic", "is not sorted"),
    ],
)
def test_output_kind_refuses_what_no_fit_gives(classes, n_outputs, activation, message):
    with pytest.raises(ValueError, match=message):
        output_kind(np.array(classes), n_outputs, activation)


def test_multilabel_flag_must_be_a_boolean():
    with pytest.raises(ValueError, match="_multilabel=1 is not a boolean"):
        check_output(np.array([0, 1]), 2, "logistic", 1)


def adam_state(coefs, intercepts, **changes):
    parameters = [coefs[0], intercepts[0], coefs[1], intercepts[1]]
    state = {
        "solver": "adam",
        "learning_rate": 0.001,
        "learning_rate_init": 0.001,
        "t": 3,
        "M": [np.zeros_like(p) for p in parameters],
        "V": [np.ones_like(p) for p in parameters],
    }
    return {**state, **changes}, parameters


# A schedule's position: 'cosine', 'plateau' or a warm-up.
POSITION = {"epoch": 3, "horizon": 10, "level": 2e-4}


def test_optimizer_states_that_a_fit_leaves():
    coefs, intercepts = params()
    state, parameters = adam_state(coefs, intercepts)
    check_optimizer_state(state, parameters)
    check_optimizer_state({**state, **POSITION}, parameters)
    check_optimizer_state(None, parameters)
    sgd = {
        "solver": "sgd",
        "learning_rate": 0.1,
        "learning_rate_init": 0.5,
        "velocities": [np.zeros_like(p) for p in parameters],
    }
    check_optimizer_state(sgd, parameters)
    check_optimizer_state(
        {"solver": "gd", "learning_rate": 1e-7, "learning_rate_init": 1}, parameters
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"learning_rate": -0.001}, r"\['learning_rate'\]=-0.001 is not a positive"),
        ({"learning_rate": 0.0}, "is not a positive finite number"),
        ({"learning_rate_init": np.inf}, "is not a positive finite number"),
        ({"learning_rate": "0.1"}, "is not a positive finite number"),
        ({"t": -1}, r"\['t'\]=-1 is not a count"),
        ({"t": 1.5}, r"\['t'\]=1.5 is not a count"),
        ({"t": 10**400}, "is not a count"),
        ({"solver": "rmsprop"}, "the dict of a solver"),
        ({"epoch": 0, "horizon": 5}, r"expected .*, with \['epoch', 'horizon'"),
        (dict(POSITION, epoch=-1), r"\['epoch'\]=-1 is not a count"),
        (dict(POSITION, epoch=2.0), r"\['epoch'\]=2.0 is not a count"),
        (dict(POSITION, horizon=0), r"\['horizon'\]=0 is not a count"),
        (dict(POSITION, level=0.0), r"\['level'\]=0.0 is not a positive finite"),
        (dict(POSITION, level=np.nan), r"\['level'\]=nan is not a positive"),
        ({"extra": 1}, r"has the keys \['M', 'V', 'extra'"),
        ({"M": "moments"}, "is not a list of NumPy arrays"),
        ({"V": None}, "is not a list of NumPy arrays"),
    ],
)
def test_tampered_optimizer_state(changes, message):
    coefs, intercepts = params()
    state, parameters = adam_state(coefs, intercepts, **changes)
    with pytest.raises(ValueError, match=message):
        check_optimizer_state(state, parameters)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda M, V: M.__setitem__(0, np.zeros((3, 4))), r"\(3, 4\) float64"),
        (lambda M, V: M.pop(), "the parameters .* need"),
        (lambda M, V: M.__setitem__(1, M[1].astype(np.float32)), "float32"),
        (lambda M, V: V.__setitem__(2, -V[2]), "negative squares"),
        (lambda M, V: M.__setitem__(3, M[3] * np.nan), "NaN or infinite"),
    ],
    ids=["wrong shape", "one missing", "wrong dtype", "negative V", "NaN"],
)
def test_tampered_moments(edit, message):
    coefs, intercepts = params()
    state, parameters = adam_state(coefs, intercepts)
    edit(state["M"], state["V"])
    with pytest.raises(ValueError, match=message):
        check_optimizer_state(state, parameters)


def test_state_not_a_dict():
    with pytest.raises(ValueError, match="is not None or the dict of a solver"):
        check_optimizer_state("adam", params()[0])


def test_random_state_with_an_all_zero_key_is_refused():
    check_random_state(np.random.RandomState(0), "random_state")
    degenerate = np.random.RandomState(0)
    degenerate.set_state(("MT19937", np.zeros(624, np.uint32), 624, 0, 0.0))
    with pytest.raises(ValueError, match="random_state has an all-zero Mersenne"):
        check_random_state(degenerate, "random_state")
    with pytest.raises(ValueError, match="is a int, not a RandomState"):
        check_random_state(0, "_random_state")
