"""Input dropout: the network trains on X D0, D0 a mask of the inputs drawn
as the hidden layer's (see _network.dropped_inputs). Checked against the
definitions: the mask's formula and rate, its independence from the hidden
mask, dense against CSR, and a fit against a chain of one-epoch fits on
inputs dropped by hand."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynn import TwoLayerNNClassifier, _network


def _digits(n=200):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


def test_the_input_mask_is_the_dropout_mask_of_units_from_input_units():
    X, _ = _digits(50)
    keys = _network.row_keys(X)
    D0 = _network.input_mask(11, 3, keys, 64, 0.3, np.float64)
    assert_array_equal(
        D0,
        _network.dropout_mask(
            11, 3, keys, 64, 0.3, np.float64, first_unit=_network.INPUT_UNITS
        ),
    )
    assert set(np.unique(D0)) == {0.0, 1 / 0.7}
    # The hidden layer's mask of the same rows reads another part of the
    # streams: the two agree on about p^2 + (1 - p)^2 = 58% of the units,
    # as independent masks do, not on all of them.
    hidden = _network.dropout_mask(11, 3, keys, 64, 0.3, np.float64)
    agree = np.mean(hidden == D0)
    assert 0.53 < agree < 0.63


def test_the_input_mask_keeps_each_input_with_probability_one_minus_p():
    keys = _network.row_keys(np.random.RandomState(0).uniform(size=(500, 3)))
    for p in (0.1, 0.5, 0.8):
        kept = _network.input_mask(5, 0, keys, 400, p, np.float32) > 0
        # 200,000 Bernoulli(1 - p) draws: the rate within 5 standard errors.
        assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / kept.size)
        # Every input is dropped and kept across the rows: no stuck column.
        assert kept.any(axis=0).all() and not kept.all(axis=0).any()


def test_a_csr_minibatch_is_dropped_as_its_dense_form():
    X, _ = _digits(80)
    keys = _network.row_keys(X)
    dense = _network.dropped_inputs(2, 4, keys, X, 0.4)
    assert_array_equal(dense, X * _network.input_mask(2, 4, keys, 64, 0.4, X.dtype))
    # Unsorted indices and duplicate entries that add up to X's values.
    coo = sp.coo_array(X)
    half = coo.data / 2
    rows = np.concatenate([coo.row, coo.row])[::-1]
    cols = np.concatenate([coo.col, coo.col])[::-1]
    messy = sp.csr_array((np.concatenate([half, half])[::-1], (rows, cols)), X.shape)
    messy.has_canonical_format = False
    sparse = _network.dropped_inputs(2, 4, keys, messy, 0.4)
    assert_allclose(sparse.toarray(), dense, rtol=1e-15, atol=0)
    assert_array_equal(messy.toarray(), X)  # the minibatch itself is untouched


def test_the_workspace_arrays_receive_the_dropped_minibatch():
    X, _ = _digits(40)
    keys = _network.row_keys(X)
    out, mask = np.empty((64, 64)), np.empty((64, 64))
    words = [np.empty((64, 64), np.uint64) for _ in range(2)]
    got = _network.dropped_inputs(9, 1, keys, X, 0.25, out, mask, words)
    assert np.shares_memory(got, out)
    assert_array_equal(got, _network.dropped_inputs(9, 1, keys, X, 0.25))


def _seed_of(params, X, y):
    """The dropout seed that a fit of ``params`` draws: the first draw after
    the initial weights of its random state."""
    rng = np.random.RandomState(params["random_state"])
    n_outputs = len(np.unique(y))
    _network.init_params(
        X.shape[1], params["hidden_layer_size"], n_outputs, "relu", rng, np.float64
    )
    return int(rng.randint(2**63, dtype=np.int64))


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_a_fit_is_the_chain_of_one_epoch_fits_on_inputs_dropped_by_hand(alpha):
    """Full-batch gradient descent without momentum has no state between
    epochs: a fit of three epochs with input dropout is, bit for bit, three
    warm-started one-epoch fits without it, each on X D0 of its epoch."""
    X, y = _digits()
    params = dict(
        solver="gd",
        momentum=0.0,
        hidden_layer_size=16,
        alpha=alpha,
        learning_rate_init=0.5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = TwoLayerNNClassifier(input_dropout=0.3, max_iter=3, **params)
        fitted.fit(X, y)
        seed, keys = _seed_of(params, X, y), _network.row_keys(X)
        chain = TwoLayerNNClassifier(max_iter=1, warm_start=True, **params)
        for epoch in range(3):
            chain.fit(X * _network.input_mask(seed, epoch, keys, 64, 0.3, X.dtype), y)
    for a, b in zip(
        fitted.coefs_ + fitted.intercepts_, chain.coefs_ + chain.intercepts_
    ):
        assert_array_equal(a, b)
    assert fitted.loss_curve_ == chain.loss_curve_
    # Predictions take X itself: the fitted network, no mask.
    assert_array_equal(fitted.predict_proba(X), chain.predict_proba(X))


def test_input_dropout_changes_the_fit_and_stays_reproducible():
    X, y = _digits()
    params = dict(hidden_layer_size=16, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = TwoLayerNNClassifier(input_dropout=0.2, **params).fit(X, y)
        b = TwoLayerNNClassifier(input_dropout=0.2, **params).fit(X, y)
        plain = TwoLayerNNClassifier(**params).fit(X, y)
        both = TwoLayerNNClassifier(input_dropout=0.2, dropout=0.2, **params).fit(X, y)
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert a.loss_curve_ == b.loss_curve_
    for other in (plain, both):
        assert not np.allclose(a.coefs_[0], other.coefs_[0])


def test_input_dropout_with_lbfgs_is_a_clear_error():
    X, y = _digits(50)
    clf = TwoLayerNNClassifier(solver="lbfgs", input_dropout=0.2)
    with pytest.raises(ValueError, match=r"input_dropout=0.2 needs a stochastic"):
        clf.fit(X, y)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_input_dropout_outside_zero_one_is_refused(p):
    clf = TwoLayerNNClassifier(input_dropout=p)
    with pytest.raises(ValueError, match=r"'input_dropout' parameter .* \[0.0, 1.0\)"):
        clf.fit([[0.0], [1.0]], [0, 1])
