"""The two-layer network: initialization, forward pass, loss and backpropagation.

Nothing here knows about labels, pandas or scikit-learn. Rows are
samples; the parameters are the flat list ``[W1, b1, W2, b2]`` with weights of
shape ``(fan_in, fan_out)``. The names follow the equations of the user guide::

    Z1 = X W1 + b1        A1 = g(Z1)          hidden layer, (n, h)
    Z2 = A1 W2 + b2       A2 = out(Z2)        output layer, (n, k)

    L  = (1 / S) [ sum_i s_i l_i  +  (alpha / 2) (|W1|^2 + |W2|^2) ],  S = sum_i s_i

    dZ2 = (A2 - Y) s / S                       output error (see ``backward``)
    dW2 = A1^T dZ2 + (alpha / S) W2            db2 = sum_i dZ2_i
    dZ1 = (dZ2 W2^T) * g'(Z1)
    dW1 = X^T dZ1  + (alpha / S) W1            db1 = sum_i dZ1_i

With dropout (training only), a ``mask`` D = M / (1 - p), M_ij ~ Bernoulli(1 - p),
multiplies the hidden layer: A1 D feeds the output layer in place of A1, so
that dW2 = (A1 D)^T dZ2 and dZ1 = ((dZ2 W2^T) D) * g'(Z1). Input dropout
multiplies X by a mask D0 of its own (see :func:`dropped_inputs`): the
network then trains on X D0, and dW1 = (X D0)^T dZ1.

``l_i`` is the cross-entropy of sample ``i`` (softmax outputs) or the sum of its
binary cross-entropies (logistic outputs), and ``s_i`` its weight (1 when the
samples are unweighted, so that ``S`` is the number of samples). Dividing the
penalty by ``S`` too makes an integer weight exactly equivalent to repeating a
sample, and matches scikit-learn's ``MLPClassifier``.

The equations are written once, with the namespace ``xp`` of the arrays
(NumPy when ``xp`` is None): NumPy, or any library of the Array API standard
(array-api-strict, torch, CuPy) on any device. With NumPy arrays, sparse X
(scipy's CSR) is accepted too. A NumPy training run may reuse one
:class:`Workspace` for every step: the equations are then evaluated into its
arrays (``out=`` arguments) instead of new ones; that fast path is NumPy-only.
With another namespace the loss is a 0-d array of that namespace, so that a
training loop on a device need not wait for it after each step.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._activations import (
    DERIVATIVES,
    HIDDEN_ACTIVATIONS,
    INPUT_DERIVATIVES,
    OUTPUT_ACTIVATIONS,
)


def init_params(
    n_features,
    n_hidden,
    n_outputs,
    activation,
    rng,
    dtype,
    xp=None,
    device=None,
    init="glorot",
):
    """Uniform random weights and biases ``[W1, b1, W2, b2]``.

    Each layer draws its weights and biases from U(-r, r), in the order W1,
    b1, W2, b2 from the NumPy ``RandomState`` ``rng``. With ``init='glorot'``
    (Glorot & Bengio, 2010, as MLPClassifier) r = sqrt(6 / (fan_in +
    fan_out)), or sqrt(2 / (fan_in + fan_out)) for the logistic activation;
    with ``init='he'`` (He et al., 2015, uniform) r = sqrt(6 / fan_in), a
    variance r^2 / 3 = 2 / fan_in. The numbers are drawn on the host, in
    NumPy's ``dtype``, then moved once to the namespace ``xp`` and its
    ``device``: a random state gives the same network in every namespace.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> W1 = init_params(784, 100, 10, "relu", rng, np.float64, init="he")[0]
    >>> bool(abs(W1.var() - 2 / 784) < 1e-4)
    True
    """
    params = []
    for fan_in, fan_out in ((n_features, n_hidden), (n_hidden, n_outputs)):
        if init == "he":
            bound = np.sqrt(6.0 / fan_in)
        else:
            factor = 2.0 if activation == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)
        b = rng.uniform(-bound, bound, fan_out).astype(dtype)
        params += [W, b]
    return from_numpy(params, xp, device)


def from_numpy(arrays, xp=None, device=None):
    """The NumPy ``arrays`` as arrays of the namespace ``xp`` on ``device``.

    With ``xp`` None or NumPy they are returned as they are; None stays None
    (sample weights that are not given).
    """
    if xp is None or xp is np:
        return list(arrays)
    return [None if a is None else xp.asarray(a, device=device) for a in arrays]


# The class priors are clipped to [PRIOR_CLIP, 1 - PRIOR_CLIP] before their
# logarithm: a class (or label) nearly or wholly absent from the data of a fit
# then starts at a logit of about -7, from which training can still raise it,
# instead of at -inf.
PRIOR_CLIP = 1e-3


def prior_biases(Y, sample_weight, out_activation, fill_absent=False):
    """Output biases b2 at which the network, with W2 = 0, predicts the prior.

    The prior of output k is the weighted mean p_k = sum_i s_i Y_ik / sum_i s_i
    (``s_i`` the sample weights, 1 when None), clipped to [PRIOR_CLIP, 1 -
    PRIOR_CLIP]. Softmax outputs get b2_k = log p_k, since softmax(log p) = p
    for p summing to 1; logistic outputs (binary, or each label of a
    multilabel Y) get the logit b2_k = log(p_k / (1 - p_k)), since
    sigmoid(logit p) = p.

    With ``fill_absent`` (classes declared before they are seen; Y one-hot, or
    one column for two classes), a class of zero total weight counts as an
    average seen class: its share is the mean share of the classes with
    weight, the shares then normalized to sum to 1. Its logit starts level
    with theirs, and it is learned at their pace once it appears.
    """
    p = np.average(Y, axis=0, weights=sample_weight).astype(np.float64)
    if fill_absent:
        p = _fill_absent_classes(p)
    p = np.clip(p, PRIOR_CLIP, 1 - PRIOR_CLIP)
    if out_activation == "softmax":
        return np.log(p).astype(Y.dtype)
    return np.log(p / (1 - p)).astype(Y.dtype)


def _fill_absent_classes(p):
    """The class shares ``p`` with each zero share raised to the mean of the
    others, normalized; one column stands for two classes, (1 - p, p)."""
    binary = p.shape == (1,)
    shares = np.concatenate([1 - p, p]) if binary else p
    seen = shares > 0
    shares = np.where(seen, shares, shares[seen].mean())
    shares = shares / shares.sum()
    return shares[1:] if binary else shares


def flatten(arrays, xp=None):
    """The ``arrays`` one after the other in one new 1-d array of ``xp``.

    With :func:`unflatten`, the one way the parameters ``[W1, b1, W2, b2]``
    (or their gradients, or an optimizer's moments) become one vector and
    back: the NumPy workspace and L-BFGS both use them.
    """
    if xp is None or xp is np:
        return np.concatenate([np.ravel(a) for a in arrays])
    return xp.concat([xp.reshape(a, (-1,)) for a in arrays])


def unflatten(flat, shapes, xp=None):
    """Consecutive views of the 1-d array ``flat``, one per shape in ``shapes``.

    The inverse of :func:`flatten`: for NumPy, writing into a view writes
    into ``flat``.
    """
    reshape = np.reshape if xp is None or xp is np else xp.reshape
    views, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        views.append(reshape(flat[start : start + size], tuple(shape)))
        start += size
    return views


def take_rows(array, rows, xp=None, out=None):
    """The rows ``rows`` of ``array``: the one way to gather rows.

    ``rows`` is a slice (giving a view) or integer indices: a NumPy array for
    NumPy and sparse arrays, an array of ``xp`` on ``array``'s device
    otherwise. A dense NumPy gather goes into ``out`` when it is given (its
    leading rows), so that a minibatch allocates nothing. None stays None.
    """
    if array is None:
        return None
    if isinstance(rows, slice):
        return array[rows, ...]
    if xp is not None and xp is not np:
        return xp.take(array, rows, axis=0)
    if out is None or not isinstance(array, np.ndarray):
        return array[rows]
    # mode="clip" spares the copy that mode="raise" makes of ``out``; the
    # rows come from a permutation, so none is out of range.
    return np.take(array, rows, axis=0, out=out[: len(rows)], mode="clip")


class Workspace:
    """The arrays of one training run, reused by every step.

    ``theta`` holds a copy of the parameters in one flat vector and ``params``
    views of it, in the order ``[W1, b1, W2, b2]``; ``grad`` and ``grads`` are
    the same for the gradients. An optimizer thus updates all parameters with
    one operation per equation, however many arrays there are. ``scratch``
    holds a work array of each parameter's shape. ``Z1``, ``Z2`` and ``dZ1``
    receive the activations and errors of minibatches of up to
    ``batch_size`` rows (a smaller one uses their leading rows), ``X`` and
    ``Y`` the rows of a shuffled minibatch. One workspace serves one fit: it
    is not shared between threads.

    Parameters
    ----------
    params : list of ndarray
        The parameters ``[W1, b1, W2, b2]``; they are copied.
    batch_size : int
        The largest number of rows of a minibatch.
    order : {'C', 'F'}, default='C'
        Memory layout of ``Z1`` and ``dZ1``, as :func:`hidden_layout` chooses
        it (``Z2`` is always column-major, see ``forward``). With 'F', dW1 is
        computed as its transpose dZ1^T X into the array ``dW1T`` and copied.
    dropout : bool, default=False
        Whether to hold the arrays of dropout: ``mask`` receives the mask D
        of each minibatch (see :func:`dropout_mask`), ``draws`` the two
        uint64 arrays of its random words (``MASK_ROWS`` rows at most) and
        ``A1_train`` the hidden layer
        A1 D; all are None without dropout.
    input_dropout : bool, default=False
        Whether to hold the arrays of input dropout (see
        :func:`dropped_inputs`): ``X_train`` receives a dense minibatch X D0,
        ``input_mask`` its mask D0 and ``input_draws`` the mask's words; all
        are None without it.
    """

    def __init__(
        self, params, batch_size, order="C", dropout=False, input_dropout=False
    ):
        shapes = [p.shape for p in params]
        self.theta = flatten(params)
        self.params = unflatten(self.theta, shapes)
        self.grad = np.empty_like(self.theta)
        self.grads = unflatten(self.grad, shapes)
        self.scratch = unflatten(np.empty_like(self.theta), shapes)
        W1, _, W2, _ = params
        n_hidden, n_outputs = W2.shape
        dtype = self.theta.dtype
        self.Z1 = np.empty((batch_size, n_hidden), dtype, order=order)
        self.dZ1 = np.empty((batch_size, n_hidden), dtype, order=order)
        self.Z2 = np.empty((n_outputs, batch_size), dtype).T  # see forward
        self.order = order
        self.dW1T = np.empty(W1.shape[::-1], dtype) if order == "F" else None
        self.mask = self.A1_train = self.draws = None
        if dropout:
            self.mask = np.empty((batch_size, n_hidden), dtype, order=order)
            self.A1_train = np.empty((batch_size, n_hidden), dtype, order=order)
            words = (min(batch_size, MASK_ROWS), n_hidden)
            self.draws = [np.empty(words, np.uint64) for _ in range(2)]
        self.X_train = self.input_mask = self.input_draws = None
        if input_dropout:
            n_features = W1.shape[0]
            self.X_train = np.empty((batch_size, n_features), dtype)
            self.input_mask = np.empty((batch_size, n_features), dtype)
            words = (min(batch_size, MASK_ROWS), n_features)
            self.input_draws = [np.empty(words, np.uint64) for _ in range(2)]
        self.X = self.Y = None  # sized by the first call to ``minibatch``

    def minibatch(self, X, Y, rows):
        """The rows ``rows`` (a slice or indices) of ``X`` and ``Y``.

        A slice gives views; indices gather the rows into the workspace's own
        arrays, so that no minibatch allocates new ones (a sparse ``X`` is
        indexed as usual).
        """
        if not isinstance(rows, slice) and self.X is None:
            self.X = np.empty((self.Z1.shape[0], X.shape[1]), X.dtype)
            self.Y = np.empty((self.Z1.shape[0], Y.shape[1]), Y.dtype)
        return take_rows(X, rows, out=self.X), take_rows(Y, rows, out=self.Y)


# The product layouts (see docs/performance.md). For a thin hidden layer and
# many float64 rows, OpenBLAS computes X W1 faster as (W1^T X^T)^T, into a
# column-major Z1, and X^T dZ1 faster as (dZ1^T X)^T: measured for 5,000 x 784
# x 10, 2.15 ms against 3.7 ms and 2.3 ms against 2.9 ms. For minibatches of
# 200 rows, for float32 and for wider layers the row-major forms are as fast
# or faster. The rule reads shapes and the dtype only, never timings or the
# load: the same problem always runs the same products, so the same numbers.
COLUMN_MAX_HIDDEN = 32
COLUMN_MIN_ROWS = 1000


def hidden_layout(rows, n_hidden, dtype):
    """The memory layout of the hidden layer for steps of ``rows`` rows.

    'F' (column-major Z1 and dZ1, and dW1 computed as its transpose) for
    float64 steps of at least ``COLUMN_MIN_ROWS`` rows through at most
    ``COLUMN_MAX_HIDDEN`` hidden units; 'C' otherwise. The sizes are compared
    as Python integers, whatever integer type they come in.

    Examples
    --------
    >>> import numpy as np
    >>> hidden_layout(5000, 10, np.float64), hidden_layout(200, 128, np.float64)
    ('F', 'C')
    """
    thin = int(n_hidden) <= COLUMN_MAX_HIDDEN
    tall = int(rows) >= COLUMN_MIN_ROWS
    return "F" if thin and tall and np.dtype(dtype) == np.float64 else "C"


def rows_per_step(solver, batch_size, n_samples):
    """Rows of one training step: a minibatch ('adam', 'sgd') or all of them.

    ``batch_size`` 'auto' means ``min(200, n_samples)``.

    Examples
    --------
    >>> rows_per_step("adam", "auto", 5000), rows_per_step("gd", "auto", 5000)
    (200, 5000)
    """
    if solver in ("gd", "lbfgs"):
        return int(n_samples)
    return min(200 if batch_size == "auto" else int(batch_size), int(n_samples))


def training_workspace(
    params, Y, batch_size, full_batch, dropout=False, input_dropout=False
):
    """The :class:`Workspace` of a NumPy fit, and the targets Y laid out for it.

    X is used as it is (never copied): the hidden layer's layout follows
    :func:`hidden_layout`. A full-batch fit gets a column-major Y, the layout
    of Z2 (see ``forward``), so that A2 - Y and the loss run over contiguous
    memory. With ``dropout`` and ``input_dropout``, the workspace holds the
    arrays of their masks.
    """
    order = hidden_layout(batch_size, params[0].shape[1], params[0].dtype)
    if full_batch:
        Y = np.asfortranarray(Y)
    return Y, Workspace(params, batch_size, order, dropout, input_dropout)


# splitmix64 (Steele, Lea and Flood, 2014): the finalizer ``_mix`` turns a
# 64-bit word into one each of whose bits depends on every bit of the input,
# and the states s + t GAMMA (t = 1, 2, ...) give a stream of such words per
# seed s. uint64 arithmetic wraps around modulo 2**64, as the algorithm wants.
GAMMA = 0x9E3779B97F4A7C15
_MIX = ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB), (31, None))
# Elements of X hashed at a time by ``row_keys``, and rows of a dropout mask
# computed at a time: their temporaries stay at a few MiB whatever the size
# of X and of the batch.
KEY_CHUNK = 2**16
MASK_ROWS = 256
# The first unit of the input layer's mask: the hidden units are numbered
# from 0, the inputs from 2**32, so that the two masks of a row read apart
# parts of its splitmix64 stream for any number of units below 2**32.
INPUT_UNITS = 2**32


def _mix(z, tmp):
    """splitmix64's finalizer of the uint64 array ``z``, in place (``tmp``, an
    array of its shape, is overwritten)."""
    for shift, multiplier in _MIX:
        np.right_shift(z, shift, out=tmp)
        z ^= tmp
        if multiplier is not None:
            z *= np.uint64(multiplier)
    return z


def _steps(t):
    """t GAMMA (wrapping) for each step t of the sequence ``t``."""
    steps = np.asarray(t, np.uint64)
    steps *= np.uint64(GAMMA)
    return steps


def _stream(seeds, t):
    """The words mix(s + t GAMMA) of the splitmix64 streams of ``seeds`` at
    the steps ``t``, an array ``(len(seeds), len(t))``."""
    z = np.add.outer(np.asarray(seeds, np.uint64), _steps(t))
    return _mix(z, np.empty_like(z))


def row_keys(X):
    """The 64-bit key of each row of X, a function of the row's content only.

    ``key_i = sum_j [x_ij != 0] mix(bits(x_ij) ^ c_j)`` (modulo 2**64), with
    ``bits`` the float64 bits of the value, ``c_j`` the splitmix64 word of
    column j and ``mix`` splitmix64's finalizer. Zeros (-0.0 too) add
    nothing, so that a dense X and its CSR form, of any float dtype, give the
    same keys; equal rows have equal keys, and two different rows the same
    key with probability about 2**-64. X is read ``KEY_CHUNK`` elements at
    a time.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> X = np.array([[0.0, 1.5], [0.0, 1.5], [-0.0, 0.0]])
    >>> keys = row_keys(X)
    >>> bool(keys[0] == keys[1]), int(keys[2])
    (True, 0)
    >>> bool((row_keys(sp.csr_array(X)) == keys).all())
    True
    """
    n, d = X.shape
    columns = _stream([0], np.arange(1, d + 1))[0]
    keys = np.empty(n, np.uint64)
    rows = max(1, KEY_CHUNK // max(d, 1))
    for start in range(0, n, rows):
        block = X[start : start + rows]
        if sp.issparse(block):
            if not block.has_canonical_format:  # duplicates add up, as in X
                block = block.copy()
                block.sum_duplicates()
            indptr = block.indptr
            terms = _element_terms(block.data, columns[block.indices])
            sums = np.concatenate([[np.uint64(0)], np.cumsum(terms, dtype=np.uint64)])
            keys[start : start + rows] = sums[indptr[1:]] - sums[indptr[:-1]]
        else:
            terms = _element_terms(np.asarray(block), columns)
            keys[start : start + rows] = terms.sum(axis=1, dtype=np.uint64)
    return keys


def _element_terms(values, columns):
    """mix(bits(x) ^ c) of each value x of column word c; 0 where x is 0."""
    z = values.astype(np.float64).view(np.uint64) ^ columns
    _mix(z, np.empty_like(z))
    z[values == 0] = 0
    return z


def dropout_mask(
    seed, epoch, keys, n_hidden, p, dtype, out=None, scratch=None, first_unit=0
):
    """The dropout mask D = M / (1 - p) of rows of ``keys``, M_ij ~ Bernoulli(1 - p).

    M_ij = 1 where u_ij >= p (probability 1 - p), 0 otherwise: A1 D keeps
    each hidden unit with probability 1 - p, and E[A1 D] = A1. The uniform
    u_ij = (z_ij >> 11) 2**-53 in [0, 1) is a function of the fit's
    ``seed``, the ``epoch`` index, the row's key (see :func:`row_keys`) and
    the unit j, never of the row's position::

        e     = mix(seed + (epoch + 1) GAMMA)     the epoch's word
        r_i   = mix(key_i ^ e)                    the row's word
        z_ij  = mix(r_i + (f + j + 1) GAMMA)      the unit's word

    (splitmix64's streams, see ``_mix``; f is ``first_unit``, 0 for the
    hidden layer and ``INPUT_UNITS`` for the inputs' mask, see
    :func:`dropped_inputs`), so that a row and its copies get the same mask
    in an epoch, wherever they are. The mask is the same in
    every dtype (``dtype``, the mask's); ``out``, an array ``(len(keys),
    n_hidden)`` of ``dtype``, receives it. The words are computed a block of
    rows at a time into ``scratch``, two uint64 arrays ``(rows, n_hidden)``
    (new arrays of ``MASK_ROWS`` rows otherwise), so that a full batch
    needs no words for all its rows at once.

    Examples
    --------
    >>> import numpy as np
    >>> keys = row_keys(np.array([[1.0, 2.0], [3.0, 0.0], [1.0, 2.0]]))
    >>> dropout_mask(7, 0, keys, 4, 0.5, np.float32)
    array([[2., 0., 0., 0.],
           [2., 2., 0., 2.],
           [2., 0., 0., 0.]], dtype=float32)
    """
    n = keys.shape[0]
    r = _row_words(seed, epoch, keys)
    if scratch is None:
        shape = (min(n, MASK_ROWS), n_hidden)
        scratch = [np.empty(shape, np.uint64) for _ in range(2)]
    if out is None:
        out = np.empty((n, n_hidden), dtype)
    steps = _steps(np.arange(first_unit + 1, first_unit + n_hidden + 1))
    threshold = _threshold(p)
    chunk = max(1, scratch[0].shape[0])
    for start in range(0, n, chunk):  # the words of ``chunk`` rows at a time
        rows = slice(start, min(start + chunk, n))
        z, tmp = (a[: rows.stop - start] for a in scratch)
        np.add(r[rows, None], steps, out=z)
        np.greater_equal(_mix(z, tmp), threshold, out=out[rows])
    out *= out.dtype.type(1 / (1 - p))
    return out


def _row_words(seed, epoch, keys):
    """r_i = mix(key_i ^ e) of each row key, e the ``epoch``'s word of the
    ``seed`` (see :func:`dropout_mask`)."""
    r = keys ^ _stream([seed], [epoch + 1])[0, 0]
    return _mix(r, np.empty_like(r))


def _threshold(p):
    """The uint64 word z below which a unit is dropped with probability p.

    u >= p, i.e. z >> 11 >= ceil(p 2**53), i.e. z >= ceil(p 2**53) 2**11:
    p 2**53 is exact in float64, so the threshold is too.
    """
    return math.ceil(p * 2**53) << 11


def input_mask(seed, epoch, keys, n_features, p, dtype, out=None, scratch=None):
    """The input dropout mask D0 of rows of ``keys``: :func:`dropout_mask`
    over ``n_features`` units numbered from ``INPUT_UNITS``.

    Examples
    --------
    >>> import numpy as np
    >>> keys = row_keys(np.array([[1.0, 2.0, 0.0, 4.0]]))
    >>> input_mask(7, 0, keys, 4, 0.5, np.float32)
    array([[2., 2., 0., 0.]], dtype=float32)
    """
    return dropout_mask(
        *(seed, epoch, keys, n_features, p, dtype, out, scratch),
        first_unit=INPUT_UNITS,
    )


def dropped_inputs(seed, epoch, keys, X, p, out=None, mask=None, scratch=None):
    """X D0: the minibatch X under the input dropout mask D0 of probability p.

    D0 is :func:`dropout_mask` of the rows' ``keys`` over the ``X.shape[1]``
    inputs numbered from ``INPUT_UNITS``: another part of each row's stream
    than its hidden units', so that the two masks are independent. The
    entries of a CSR ``X`` are those of the dense product at its stored
    elements (a zero stays zero whether it is dropped or not): the dense and
    the sparse form of a minibatch train alike. A dense X D0 is written into
    ``out`` (with the mask into ``mask`` and its words into ``scratch``,
    see :func:`dropout_mask`) when they are given; a sparse one is a new
    CSR array.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> X = np.array([[1.0, 2.0, 0.0, 4.0], [1.0, 2.0, 0.0, 4.0]])
    >>> keys = row_keys(X)
    >>> dropped_inputs(7, 0, keys, X, 0.5)
    array([[2., 4., 0., 0.],
           [2., 4., 0., 0.]])
    >>> dropped_inputs(7, 0, keys, sp.csr_array(X), 0.5).toarray()
    array([[2., 4., 0., 0.],
           [2., 4., 0., 0.]])
    """
    if not sp.issparse(X):
        n, d = X.shape
        mask = None if mask is None else mask[:n]
        mask = input_mask(seed, epoch, keys, d, p, X.dtype, mask, scratch)
        return np.multiply(X, mask, out=None if out is None else out[:n])
    X = sp.csr_array(X, copy=True)
    X.sum_duplicates()  # one word per element, as in the dense form
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    z = _row_words(seed, epoch, keys)[rows]
    z += _steps(X.indices.astype(np.int64) + (INPUT_UNITS + 1))
    kept = _mix(z, np.empty_like(z)) >= _threshold(p)
    X.data *= kept.astype(X.dtype) * X.dtype.type(1 / (1 - p))
    return X


def fit_memory(
    n_samples,
    n_features,
    n_hidden,
    n_outputs,
    dtype,
    solver="adam",
    batch_size="auto",
    shuffle=True,
    activation="relu",
    early_stopping=False,
    dropout=0.0,
    input_dropout=0.0,
):
    """Bytes a NumPy fit holds beyond its dense X: an upper bound of the peak.

    With ``s`` the itemsize of ``dtype``, ``n`` samples, ``d`` features,
    ``h`` hidden units, ``k`` outputs, ``P = (d + 1) h + (h + 1) k``
    parameters and ``b`` rows per step (:func:`rows_per_step`)::

        targets       s n k, twice for 'gd' (Y and its column-major copy)
        labels        32 n (the classes' indices, the encoding's temporaries,
                      the shuffled order)
        parameters    'gd' 5 s P, 'sgd' 6 s P, 'adam' 7 s P (the initial ones,
                      theta, gradient, two work arrays, velocities, moments)
        one step      s b (2 h + k) + b h a + 4 s b, plus s b (d + k) for a
                      shuffled minibatch and s h d for the 'F' layout
        'lbfgs'       s n (2 h + k) + n h a + 4 s n, and 8 P (2 m + 18) for
                      SciPy's history of m = 10 pairs, its vectors and the
                      parameters unpacked from them

    where ``a`` is the hidden activation's temporary per unit: 1 byte for
    'relu', ``2 s`` for 'tanh', 'logistic' and 'leaky_relu', ``4 s`` for
    'gelu' and 'silu' (which keep ``A1`` beside ``Z1``), 0 for 'identity'. Early
    stopping adds ``s n (d + k) + 32 n + 2 s P`` (the held-out split copies X
    and Y, and the best parameters are kept); sample weights (not counted) add ``s n``.
    Dropout adds ``2 s b h + 16 min(b, 256) h + 16 b`` to a step (the mask,
    the dropped hidden layer, the two uint64 arrays of the mask's words, of
    at most ``MASK_ROWS`` = 256 rows, and the rows' words) and ``8 n`` for
    the rows' keys; hashing them, before the training
    arrays exist, holds the initial parameters and ``32 c`` (``c``, the
    elements of a dense X hashed at a time, see :func:`row_keys`). Input
    dropout adds ``2 s b d + 16 min(b, 256) d + 16 b`` to a step (the mask,
    X D0, the mask's words and the rows' words; a sparse X D0 is a copy of
    the minibatch's elements, counted as a dense one) and the same keys and
    hashing.

    Examples
    --------
    >>> import numpy as np
    >>> fit_memory(60000, 784, 100, 10, np.float64, "gd") / (60000 * 784 * 8)
    0.32...
    """
    s = np.dtype(dtype).itemsize
    n, d, h, k = (int(v) for v in (n_samples, n_features, n_hidden, n_outputs))
    P = (d + 1) * h + (h + 1) * k
    a = {"relu": 1, "identity": 0, "gelu": 4 * s, "silu": 4 * s}.get(activation, 2 * s)
    b = rows_per_step(solver, batch_size, n)
    step = s * b * (2 * h + k) + b * h * a + 4 * s * b
    held = s * n * k + 32 * n
    hashing = 0
    if solver != "lbfgs":
        for p, units in ((dropout, h), (input_dropout, d)):
            if p > 0:
                step += 2 * s * b * units + 16 * min(b, MASK_ROWS) * units + 16 * b
        if dropout > 0 or input_dropout > 0:
            held += 8 * n
            hashing = s * P + 32 * min(n * d, max(KEY_CHUNK, d))
    if early_stopping:
        held += s * n * (d + k) + 32 * n + 2 * s * P
    if solver == "lbfgs":
        return held + step + 8 * P * (2 * 10 + 18)
    held += s * n * k if solver == "gd" else 0
    if shuffle and solver != "gd":
        step += s * b * (d + k)
    if hidden_layout(b, h, dtype) == "F":
        step += s * h * d
    training = s * P * {"gd": 5, "sgd": 6, "adam": 7}[solver] + step
    return held + max(training, hashing)


def _product(A, B, out=None, transposed=None):
    """A @ B for a dense or sparse A, written into ``out`` when it is given.

    A column-major ``out`` receives the product as out^T = B^T A^T, which
    BLAS writes directly (NumPy computes a column-major ``out=`` in a slower
    loop of its own). With ``transposed``, a row-major array of the shape of
    out^T, a dense product is computed as B^T A^T into it and copied into
    ``out``: the faster form of X^T dZ1 for a thin column-major dZ1 (see
    :func:`hidden_layout`).
    """
    if sp.issparse(A):
        product = np.asarray(A @ B)  # a sparse A gives a dense product
        if out is None:
            return product
        out[...] = product
        return out
    if out is None:
        return A @ B
    if transposed is not None:
        np.matmul(B.T, A.T, out=transposed)
        out[...] = transposed.T
    elif out.shape[1] > 1 and out.strides[0] == out.itemsize:
        np.matmul(B.T, A.T, out=out.T)
    else:
        np.matmul(A, B, out=out)
    return out


def forward(
    X,
    params,
    activation,
    out_activation,
    workspace=None,
    check=False,
    xp=None,
    mask=None,
):
    """Return ``(A1, A2)``: the hidden activations and the output probabilities.

    With ``out_activation=None``, ``A2`` is the output layer's logits
    ``Z2 = A1 W2 + b2``, before the output activation. With a dropout
    ``mask`` D (training only, see :func:`dropout_mask`), ``A1`` is the
    hidden layer as the output layer sees it, A1 D, and Z2 = (A1 D) W2 + b2.
    With a ``workspace`` they are its arrays ``Z1`` and ``Z2``, overwritten by
    the next call; otherwise new arrays. With ``check=True``, raise
    ``FloatingPointError`` when Z1 = X W1 + b1 is not finite: for finite
    weights, a NaN or an infinity anywhere in a row of X makes that whole row
    of Z1 non-finite (inf * 0 is NaN), so this checks X at a fraction
    n_hidden / n_features of the cost of checking X itself.
    """
    _, _, A1_train, A2 = _forward_pass(
        X, params, activation, out_activation, workspace, check, xp, mask
    )
    return A1_train, A2


def _forward_pass(
    X, params, activation, out_activation, workspace, check, xp, mask=None
):
    """``(Z1, A1, A1_train, A2)``: ``Z1`` is intact for the activations of
    ``INPUT_DERIVATIVES``, whose derivative takes it; the others may have
    overwritten it with ``A1``. ``A1_train`` is A1 D with a dropout ``mask``
    D, ``A1`` itself without."""
    xp = np if xp is None else xp
    W1, b1, W2, b2 = params
    n = X.shape[0]
    Z1 = _product(X, W1, None if workspace is None else workspace.Z1[:n])
    Z1 += b1
    if check and not bool(xp.all(xp.isfinite(Z1))):
        raise FloatingPointError("Z1 = X W1 + b1 is not finite.")
    A1 = HIDDEN_ACTIVATIONS[activation](Z1, xp)
    A1_train = _dropped(A1, mask, workspace)
    # Z2 is column-major, computed as Z2^T = W2^T A1^T: its row reductions in
    # the softmax (and column sums for db2) then run over contiguous memory,
    # many times faster than over rows of a few outputs each.
    if workspace is None:
        Z2 = (W2.T @ A1_train.T).T
    else:
        Z2 = _product(A1_train, W2, workspace.Z2[:n])
    Z2 += b2
    if out_activation is not None:
        Z2 = OUTPUT_ACTIVATIONS[out_activation](Z2, xp)
    return Z1, A1, A1_train, Z2


def _dropped(A1, mask, workspace):
    """A1 D, the hidden layer under the dropout mask D (A1 itself without a
    mask), into the workspace's ``A1_train`` when there is one."""
    if mask is None:
        return A1
    if workspace is None:
        return A1 * mask
    return np.multiply(A1, mask, out=workspace.A1_train[: A1.shape[0]])


def cross_entropy(Y, A2, out_activation, sample_weight=None, xp=None):
    """Weighted mean cross-entropy (1 / S) sum_i s_i l_i, without the penalty.

    For softmax outputs the rows of Y are one-hot, so l_i = -sum_k Y_ik log A2_ik
    is -log of the true class's probability sum_k Y_ik A2_ik: one logarithm
    per sample instead of one per output. Probabilities are clipped at the
    smallest positive normal float of their dtype, so that a confidently wrong
    prediction gives a large but finite loss. A Python float for NumPy, a 0-d
    array of ``xp`` otherwise.
    """
    xp = np if xp is None else xp
    tiny = xp.finfo(A2.dtype).smallest_normal
    if out_activation == "softmax":
        if xp is np:  # log max(p_i, tiny), in place in the one new array of p_i
            log_p = np.einsum("ik,ik->i", Y, A2)
            np.log(np.maximum(log_p, tiny, out=log_p), out=log_p)
        else:
            log_p = xp.log(xp.clip(xp.sum(Y * A2, axis=1), min=tiny))
        return -_mean(log_p, sample_weight, xp)
    per_sample = -xp.sum(Y * xp.log(_floor(A2, tiny, xp)), axis=1)
    per_sample -= xp.sum((1 - Y) * xp.log(_floor(1 - A2, tiny, xp)), axis=1)
    return _mean(per_sample, sample_weight, xp)


def _floor(values, tiny, xp):
    """max(values, tiny) elementwise (NaN stays NaN)."""
    return np.maximum(values, tiny) if xp is np else xp.clip(values, min=tiny)


def _mean(values, sample_weight, xp):
    """(1 / S) sum_i s_i values_i: the plain mean when there are no weights."""
    if sample_weight is None:
        mean = xp.mean(values)
    else:
        mean = values @ sample_weight / xp.sum(sample_weight)
    return float(mean) if xp is np else mean


def penalty(params, alpha, xp=None):
    """(alpha / 2) (|W1|^2 + |W2|^2): the L2 term before division by S.

    A Python float for NumPy, a 0-d array of ``xp`` otherwise (0.0 when alpha
    is 0).
    """
    if alpha == 0:
        return 0.0
    W1, _, W2, _ = params
    if xp is None or xp is np:
        return 0.5 * alpha * float(np.vdot(W1, W1) + np.vdot(W2, W2))
    return 0.5 * alpha * (xp.sum(W1 * W1) + xp.sum(W2 * W2))


def _weight_gradient(A, dZ, W, alpha_over_S, out, scratch=None, transposed=None):
    """dW = A^T dZ + (alpha / S) W, the gradient of a layer's weights, into ``out``.

    ``scratch``, an array shaped like ``W``, receives (alpha / S) W, so that
    the penalty's term allocates nothing; ``transposed`` goes to ``_product``.
    The product goes through NumPy's own BLAS only: calling a second BLAS
    (scipy.linalg.blas) between NumPy's products lets the idle threads of each
    spin on the cores the other one needs. Without ``out`` (any namespace), a new array.
    """
    if out is None:
        dW = _product(A.T, dZ)
        if alpha_over_S is not None:
            dW += alpha_over_S * W
        return dW
    _product(A.T, dZ, out, transposed)
    if alpha_over_S is not None:
        out += np.multiply(alpha_over_S, W, out=scratch)
    return out


def backward(
    X,
    Y,
    A1,
    A2,
    params,
    activation,
    alpha,
    sample_weight=None,
    workspace=None,
    xp=None,
    Z1=None,
    mask=None,
    A1_train=None,
):
    """Gradients ``[dW1, db1, dW2, db2]`` of the loss L, by backpropagation.

    ``A1`` (the activations g(Z1)) and ``A2`` come from the forward pass and
    are overwritten. ``Z1``, the
    hidden layer's input, is needed by the activations whose derivative takes
    it (``INPUT_DERIVATIVES``); the others' derivatives take ``A1``. With a
    dropout ``mask`` D, ``A1_train`` is A1 D, the input of the output layer.
    With a ``workspace`` the gradients are its arrays ``grads``, overwritten
    by the next call; otherwise new arrays.
    """
    xp = np if xp is None else xp
    D1 = Z1 if activation in INPUT_DERIVATIVES else A1  # the derivative's argument
    A1_out = A1 if mask is None else A1_train
    W1, _, W2, _ = params
    n = X.shape[0]
    S = n if sample_weight is None else xp.sum(sample_weight)
    # The penalty's term, skipped when alpha is 0 (without asking a device
    # whether alpha / S is 0).
    alpha_over_S = None if alpha == 0 else alpha / S
    # Softmax with cross-entropy, and logistic with binary cross-entropy, both
    # give dL/dZ2 = A2 - Y per sample: the output's own derivative cancels.
    dZ2 = A2
    dZ2 -= Y
    if sample_weight is None:
        dZ2 *= 1 / S
    else:
        dZ2 *= (sample_weight / S)[:, None]
    if workspace is None:
        dW2 = _weight_gradient(A1_out, dZ2, W2, alpha_over_S, None)
        dA1 = _masked(dZ2 @ W2.T, mask)
        dZ1 = DERIVATIVES[activation](D1, dA1, xp)
        dW1 = _weight_gradient(X, dZ1, W1, alpha_over_S, None)
        return [dW1, xp.sum(dZ1, axis=0), dW2, xp.sum(dZ2, axis=0)]
    dW1, db1, dW2, db2 = grads = workspace.grads
    scratch1, _, scratch2, _ = workspace.scratch
    _weight_gradient(A1_out, dZ2, W2, alpha_over_S, dW2, scratch2)
    dZ2.sum(axis=0, out=db2)
    dA1 = _masked(_product(dZ2, W2.T, workspace.dZ1[:n]), mask)
    dZ1 = DERIVATIVES[activation](D1, dA1)
    _weight_gradient(X, dZ1, W1, alpha_over_S, dW1, scratch1, workspace.dW1T)
    dZ1.sum(axis=0, out=db1)
    return grads


def loss_and_gradients(
    X,
    Y,
    params,
    activation,
    out_activation,
    alpha,
    sample_weight=None,
    workspace=None,
    xp=None,
    mask=None,
):
    """The loss L and its gradients ``[dW1, db1, dW2, db2]`` in one pass.

    With a ``workspace`` (NumPy only; its ``params`` are usually the ``params``
    given), the step allocates nothing of the size of the minibatch or of
    ``W1``: the gradients are the workspace's ``grads``, overwritten by the
    next call. With a dropout ``mask`` D (see :func:`dropout_mask`; in the
    workspace's ``mask`` when there is one), L and its gradients are those of
    the network whose hidden layer is A1 D. The loss is a Python float for
    NumPy, a 0-d array of ``xp`` otherwise.
    """
    xp = np if xp is None else xp
    Z1, A1, A1_train, A2 = _forward_pass(
        X, params, activation, out_activation, workspace, False, xp, mask
    )
    S = X.shape[0] if sample_weight is None else xp.sum(sample_weight)
    loss = cross_entropy(Y, A2, out_activation, sample_weight, xp)
    loss += penalty(params, alpha, xp) / S
    grads = backward(
        *(X, Y, A1, A2, params, activation, alpha, sample_weight, workspace, xp),
        *(Z1, mask, A1_train),
    )
    return loss, grads


def _masked(dA1, mask):
    """dA1 D in place: the gradient reaches only the units the mask D kept,
    scaled as they were."""
    if mask is not None:
        dA1 *= mask
    return dA1
