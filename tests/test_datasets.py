"""Tests for the MNIST / IDX / CSV loaders, on real files and on files written here."""

import gzip
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import sklearn.datasets
from numpy.testing import assert_array_equal

import sklearn_tinynn
from sklearn_tinynn import datasets
from sklearn_tinynn.datasets import (
    _CHUNK_LINES,
    count_csv_columns,
    fetch_mnist,
    load_fashion_mnist,
    load_idx,
    load_mnist_csv,
    load_mnist_idx,
    load_mnist_sample,
    load_pixels_csv,
)

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
MNIST_5K = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_5k.csv.gz"

IDX_TYPE_CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}

MNIST_IDX_NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def write_bytes(path, data, compress=False):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_lines(path, lines, compress=False):
    return write_bytes(path, "\n".join(lines).encode() + b"\n", compress)


def csv_lines(X, y, label_column=0):
    """Rows of ``X`` with ``y`` inserted at ``label_column``, as CSV lines."""
    table = np.insert(X.astype(np.int64), label_column % (X.shape[1] + 1), y, axis=1)
    return [",".join(map(str, row)) for row in table]


def idx_bytes(array):
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def assert_error(exc_info, path, *phrases):
    """The message names the file and every expected phrase."""
    message = str(exc_info.value)
    for phrase in (str(path), *phrases):
        assert phrase in message, f"{phrase!r} not in {message!r}"


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(6, 784), dtype=np.uint8)
    X[:, 0] = [0, 255, 1, 254, 2, 253]
    return X, np.array([5, 0, 4, 1, 9, 2])


@pytest.fixture(scope="module")
def fashion_mnist():
    if not FASHION_MNIST.is_dir():
        pytest.skip(
            f"Fashion-MNIST not found in {FASHION_MNIST}: "
            "apt-get install dataset-fashion-mnist"
        )
    return load_fashion_mnist()


# The package's own copy of the 5,000-digit sample: these tests always run.
BUNDLED_MNIST_5K = Path(sklearn_tinynn.__file__).parent / "data" / "mnist_5k.csv.gz"


@pytest.fixture
def mnist_5k():
    return BUNDLED_MNIST_5K


# load_mnist_csv on real files


def test_csv_mnist_5k_label_last(mnist_5k):
    X, y = load_mnist_csv(mnist_5k, label_column=-1)
    assert X.shape == (5000, 784) and X.dtype == np.uint8
    assert y.dtype == np.int64
    assert_array_equal(np.bincount(y), [500] * 10)
    assert np.all(np.diff(y) >= 0)  # the file is sorted by label
    assert X.max() == 255


def test_csv_mnist_5k_rewritten_label_first_with_header(mnist_5k, tmp_path):
    X, y = load_mnist_csv(mnist_5k, label_column=-1)
    X, y = X[::3], y[::3]  # all classes, more rows than one parse chunk
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
    path = write_lines(tmp_path / "train.csv", [header, *csv_lines(X, y)])
    X_back, y_back = load_mnist_csv(path)
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


# load_mnist_csv on files written here


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("label_column", [0, -1, 784])
def test_csv_round_trip(tmp_path, digits, label_column, header, compress):
    X, y = digits
    lines = csv_lines(X, y, label_column)
    if header:
        lines.insert(0, ",".join(["label"] + [f"px{i}" for i in range(784)]))
    path = write_lines(tmp_path / "digits.csv", lines, compress)
    X_back, y_back = load_mnist_csv(path, label_column=label_column)
    assert X_back.dtype == np.uint8 and y_back.dtype == np.int64
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


def test_csv_without_header_keeps_first_image(tmp_path, digits):
    # pandas.read_csv's defaults would take the first image for a header.
    X, y = digits
    path = write_lines(tmp_path / "mnist_test.csv", csv_lines(X, y))
    X_back, y_back = load_mnist_csv(path)
    assert len(X_back) == len(y_back) == 6
    assert y_back[0] == 5
    assert_array_equal(X_back[0], X[0])


def test_csv_header_with_numeric_column_names_is_skipped(tmp_path, digits):
    X, y = digits
    header = ",".join(["label"] + [str(i) for i in range(784)])
    path = write_lines(tmp_path / "digits.csv", [header, *csv_lines(X, y)])
    X_back, _ = load_mnist_csv(path)
    assert_array_equal(X_back, X)


@pytest.mark.parametrize(
    "first, phrase",
    [
        ("5,0,12,O,7,0", "column 4: pixel 'O' is not a number"),
        ("5,0,12,0\0,7,0", "column 4: pixel '0\\x00' is not a number"),
        ("5x,0,12,0,7,0", "column 1: label '5x' is not a number"),
        ("\ufeff\ufeff5,0,12,0,7,0", "column 1: label '\\ufeff"),
        (",0,12,0,7,0", "column 1: label '' is not a number"),
    ],
    ids=["letter O", "NUL byte", "label typo", "doubled BOM", "empty label"],
)
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_csv_damaged_first_row_is_an_error_naming_line_1(tmp_path, first, phrase, bom):
    path = write_lines(tmp_path / "bad.csv", [bom + first, "3,0,12,255,7,0"])
    with pytest.raises(ValueError) as exc_info:
        load_mnist_csv(path, n_pixels=5)
    assert_error(exc_info, path, "line 1", phrase)


@pytest.mark.parametrize(
    "header",
    [
        "label,a,b,c,d,e",
        "0,1,2,3,4,5",
        "1,2,3,4,5,6",
        "label,0,1,2,3,4",
        "label,1,2,3,4,5",
        "0,1,2,3,4,label",
        "'label', \"x\",y,1x1,nan?,-",
    ],
)
def test_csv_header_forms_are_skipped(tmp_path, header):
    path = write_lines(tmp_path / "h.csv", [header, "3,0,12,255,7,0"])
    X, y = load_mnist_csv(path, n_pixels=5)
    assert X.tolist() == [[0, 12, 255, 7, 0]] and y.tolist() == [3]


@pytest.mark.parametrize("label_last", [False, True])
def test_csv_label_column_auto_and_n_pixels_auto(tmp_path, digits, label_last):
    X, y = digits[0].copy(), digits[1]
    X[:, 0] = 0  # a corner pixel: background
    lines = csv_lines(X, y, -1 if label_last else 0)
    path = write_lines(tmp_path / "d.csv", lines)
    X_back, y_back = load_mnist_csv(path, label_column="auto", n_pixels="auto")
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


def test_csv_label_column_auto_keeps_the_first_when_unsure(tmp_path):
    # Both edge columns vary: the first is taken, as label_column=0 would.
    path = write_lines(tmp_path / "d.csv", ["1,5,2", "2,6,3", "3,7,1"])
    X, y = load_mnist_csv(path, label_column="auto", n_pixels="auto")
    assert y.tolist() == [1, 2, 3] and X[:, -1].tolist() == [2, 3, 1]


def test_pixels_csv_and_column_count(tmp_path):
    path = write_lines(tmp_path / "p.csv", ["a,b,c", "0,1,2", "3,4,255"], compress=True)
    assert count_csv_columns(path) == 3
    assert load_pixels_csv(path).tolist() == [[0, 1, 2], [3, 4, 255]]
    with pytest.raises(ValueError, match="line 2: found 3 columns, expected 2"):
        load_pixels_csv(path, n_pixels=2)
    with pytest.raises(ValueError, match="n_pixels must be a positive integer or"):
        load_pixels_csv(path, n_pixels=0)
    assert count_csv_columns(write_lines(tmp_path / "e.csv", [])) == 0


def test_csv_gzip_is_detected_by_content_not_name(tmp_path, digits):
    X, y = digits
    lines = csv_lines(X, y)
    gzipped = write_lines(tmp_path / "digits.csv", lines, compress=True)
    plain = write_lines(tmp_path / "digits.csv.gz", lines)
    for path in (gzipped, plain):
        assert_array_equal(load_mnist_csv(path)[0], X)


def test_csv_windows_line_ends_bom_and_trailing_blank_lines(tmp_path, digits):
    X, y = digits
    text = "\r\n".join(csv_lines(X, y)) + "\r\n\r\n\n"
    path = write_bytes(tmp_path / "digits.csv", b"\xef\xbb\xbf" + text.encode())
    X_back, y_back = load_mnist_csv(path)
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


def test_csv_other_image_size_and_label_column(tmp_path):
    path = write_lines(tmp_path / "small.csv", ["1,2,7,3,4", "5,6,-1,7,8"])
    X, y = load_mnist_csv(path, label_column=2, n_pixels=4)
    assert_array_equal(X, [[1, 2, 3, 4], [5, 6, 7, 8]])
    assert_array_equal(y, [7, -1])


def long_csv(n_rows=2 * _CHUNK_LINES + 500):
    """Images of 3 pixels, more rows than one parse chunk, and a header line."""
    rows = np.arange(n_rows)
    X, y = np.column_stack([rows, rows + 1, rows + 2]) % 256, rows % 10
    return X, y, ["label,a,b,c", *csv_lines(X, y)]


def test_csv_longer_than_a_parse_chunk(tmp_path):
    X, y, lines = long_csv()
    X_back, y_back = load_mnist_csv(
        write_lines(tmp_path / "long.csv", lines), n_pixels=3
    )
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


@pytest.mark.parametrize(
    "line, bad_line, phrase",
    [
        (2 * _CHUNK_LINES + 101, "1,2,3", "found 3 columns, expected 4"),
        (_CHUNK_LINES + 2, "1,2,300,3", "column 3: pixel value 300 is outside 0-255"),
    ],
)
def test_csv_error_in_a_later_chunk_names_its_line(tmp_path, line, bad_line, phrase):
    lines = long_csv()[2]
    lines[line - 1] = bad_line
    path = write_lines(tmp_path / "long.csv", lines)
    with pytest.raises(ValueError) as exc_info:
        load_mnist_csv(path, n_pixels=3)
    assert_error(exc_info, path, f"line {line}", phrase)


def corrupt_lines(line, column, value):
    """Four good 5-pixel rows (label first), with one cell of one line replaced."""
    rows = [["3", "0", "12", "255", "7", "0"] for _ in range(4)]
    rows[line - 1][column - 1] = value
    return [",".join(row) for row in rows]


@pytest.mark.parametrize(
    "lines, line, phrase",
    [
        (corrupt_lines(3, 6, "0,1"), 3, "found 7 columns, expected 6"),
        (["9,2,3,4,5"] * 3, 1, "found 5 columns, expected 6 (5 pixels and 1 label)"),
        (corrupt_lines(2, 4, "abc"), 2, "column 4: pixel 'abc' is not a number"),
        (corrupt_lines(4, 2, ""), 4, "column 2: pixel '' is not a number"),
        (corrupt_lines(2, 5, "1.5"), 2, "column 5: pixel '1.5' is not an integer"),
        (corrupt_lines(3, 1, "3.0"), 3, "column 1: label '3.0' is not an integer"),
        (corrupt_lines(2, 1, "x"), 2, "column 1: label 'x' is not a number"),
        (corrupt_lines(3, 3, "256"), 3, "column 3: pixel value 256 is outside 0-255"),
        (corrupt_lines(4, 6, "-1"), 4, "column 6: pixel value -1 is outside 0-255"),
        (["3,0,12,255,7,0", " ", "3,0,12,255,7,0"], 2, "blank line between data"),
    ],
)
@pytest.mark.parametrize("header", [False, True])
def test_csv_corrupt_file_names_file_and_line(tmp_path, lines, line, phrase, header):
    if header:
        lines = ["label,a,b,c,d,e", *lines]
        line += 1
    path = write_lines(tmp_path / "bad.csv", lines)
    with pytest.raises(ValueError) as exc_info:
        load_mnist_csv(path, n_pixels=5)
    assert_error(exc_info, path, f"line {line}", phrase)


@pytest.mark.parametrize(
    "data, phrase",
    [
        (b"", "the file is empty"),
        (b" \n\n \n", "the file is empty"),
        (b"label,a,b\n", "has a header line but no data rows"),
        (b"1,2,\xff\n", "not a UTF-8 text file"),
        (gzip.compress(b"1,2,3\n")[:-12], "corrupt or truncated gzip data"),
    ],
)
def test_csv_unreadable_file_names_file(tmp_path, data, phrase):
    path = write_bytes(tmp_path / "bad.csv", data)
    with pytest.raises(ValueError) as exc_info:
        load_mnist_csv(path, n_pixels=2)
    assert_error(exc_info, path, phrase)


def test_csv_label_too_large_for_int64_names_file(tmp_path):
    path = write_lines(tmp_path / "bad.csv", ["1,2,3", "99999999999999999999,2,3"])
    with pytest.raises(ValueError) as exc_info:
        load_mnist_csv(path, n_pixels=2)
    assert_error(exc_info, path, "99999999999999999999")


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        (
            {"label_column": 785},
            "label_column must be 'auto' or an integer from -785 to 784",
        ),
        ({"label_column": -786}, "got -786"),
        ({"label_column": 0.0}, "got 0.0"),
        ({"label_column": True}, "got True"),
        ({"n_pixels": 0}, "n_pixels must be a positive integer, got 0"),
        ({"n_pixels": "784"}, "got '784'"),
    ],
)
def test_csv_invalid_arguments(tmp_path, digits, kwargs, phrase):
    path = write_lines(tmp_path / "digits.csv", csv_lines(*digits))
    with pytest.raises(ValueError, match=phrase):
        load_mnist_csv(path, **kwargs)


# load_idx


def idx_example(dtype, shape):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.floating):
        return rng.normal(size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return np.asarray(rng.integers(info.min, info.max, shape, dtype, endpoint=True))


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (0, 28)])
@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
def test_idx_round_trip(tmp_path, dtype, shape, compress):
    array = idx_example(dtype, shape)
    path = write_bytes(tmp_path / "array-idx", idx_bytes(array), compress)
    loaded = load_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    assert loaded.shape == shape and loaded.flags.writeable
    assert_array_equal(loaded, array)


def test_idx_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.int16).reshape(2, 3)
    gzipped = write_bytes(tmp_path / "a-idx2-short", idx_bytes(array), compress=True)
    plain = write_bytes(tmp_path / "a-idx2-short.gz", idx_bytes(array))
    for path in (gzipped, plain):
        assert_array_equal(load_idx(path), array)


GOOD_IDX = idx_bytes(np.arange(6, dtype=np.int32).reshape(2, 3))


@pytest.mark.parametrize(
    "data, phrase",
    [
        (b"", "truncated header: 0 bytes, an IDX file needs at least 4"),
        (b"\0\0\x08", "truncated header: 3 bytes"),
        (GOOD_IDX[:8], "truncated header: 2 dimensions need 12 header bytes"),
        (b"\x01\x02" + GOOD_IDX[2:], "bad magic number 0x01020c02"),
        (GOOD_IDX[:2] + b"\x0a" + GOOD_IDX[3:], "unknown type code 0x0A; expected"),
        (GOOD_IDX[:-1], "truncated data: the header announces shape (2, 3) of int32"),
        (GOOD_IDX + b"\0", "trailing bytes: the header announces shape (2, 3)"),
        (GOOD_IDX[:-1] + b"\0\0", "24 data bytes, but the file holds 25"),
        (gzip.compress(GOOD_IDX)[:-10], "corrupt or truncated gzip data"),
    ],
)
def test_idx_corrupt_file_names_file_and_problem(tmp_path, data, phrase):
    path = write_bytes(tmp_path / "bad-idx2-int", data)
    with pytest.raises(ValueError) as exc_info:
        load_idx(path)
    assert_error(exc_info, path, phrase)


# load_mnist_idx


def write_mnist_idx(directory, suffix="", dotted=False, n_test=3):
    """Write four tiny MNIST IDX files: 4 training and ``n_test`` test images."""
    images = np.arange(7 * 4, dtype=np.uint8).reshape(7, 2, 2)
    labels = np.array([3, 1, 4, 1, 5, 9, 2], dtype=np.uint8)
    arrays = [images[:4], labels[:4], images[4:], labels[4 : 4 + n_test]]
    for name, array in zip(MNIST_IDX_NAMES, arrays):
        name = name.replace("-idx", ".idx") if dotted else name
        write_bytes(directory / f"{name}{suffix}", idx_bytes(array), suffix == ".gz")
    return images.reshape(7, 4), labels.astype(np.int64)


@pytest.mark.parametrize("dotted", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_mnist_idx_file_names(tmp_path, suffix, dotted):
    X, y = write_mnist_idx(tmp_path, suffix, dotted)
    X_train, y_train = load_mnist_idx(tmp_path, subset="train", return_X_y=True)
    X_test, y_test = load_mnist_idx(tmp_path, subset="test", return_X_y=True)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert_array_equal(X_train, X[:4])
    assert_array_equal(y_train, y[:4])
    assert_array_equal(X_test, X[4:])
    assert_array_equal(y_test, y[4:])


def test_mnist_idx_missing_file_names_directory_and_files(tmp_path):
    write_mnist_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as exc_info:
        load_mnist_idx(tmp_path)
    assert_error(
        exc_info,
        tmp_path,
        "no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz",
        *MNIST_IDX_NAMES,
    )


def test_mnist_idx_label_count_mismatch(tmp_path):
    write_mnist_idx(tmp_path, n_test=2)
    with pytest.raises(ValueError) as exc_info:
        load_mnist_idx(tmp_path)
    assert_error(
        exc_info,
        tmp_path / "t10k-images-idx3-ubyte",
        "holds 3 images but",
        f"{tmp_path / 't10k-labels-idx1-ubyte'} holds 2 labels",
    )


@pytest.mark.parametrize(
    "name, array, phrase",
    [
        ("train-images-idx3-ubyte", np.zeros((4, 4), np.uint8), "3-D uint8 images"),
        ("train-images-idx3-ubyte", np.zeros((4, 2, 2), np.int16), "int16"),
        ("train-labels-idx1-ubyte", np.zeros(4, np.float32), "1-D integer labels"),
        ("train-labels-idx1-ubyte", np.zeros((4, 1), np.uint8), "found a 2-D uint8"),
    ],
)
def test_mnist_idx_wrong_array_kind(tmp_path, name, array, phrase):
    write_mnist_idx(tmp_path)
    path = write_bytes(tmp_path / name, idx_bytes(array))
    with pytest.raises(ValueError) as exc_info:
        load_mnist_idx(tmp_path)
    assert_error(exc_info, path, phrase)


@pytest.mark.slow
def test_fashion_mnist_in_full(fashion_mnist):
    split = len(fashion_mnist.target) - 10_000
    X_train, y_train = fashion_mnist.data[:split], fashion_mnist.target[:split]
    X_test, y_test = fashion_mnist.data[split:], fashion_mnist.target[split:]
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert_array_equal(np.bincount(y_train), [6000] * 10)
    assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert y_train[0] == 9  # the first training image is an ankle boot
    assert fashion_mnist.target_names[9] == "Ankle boot"
    assert fashion_mnist.images.shape == (70_000, 28, 28)
    assert X_train.max() == 255


@pytest.mark.slow
def test_idx_fashion_mnist_images_are_28_by_28(fashion_mnist):
    images = load_idx(FASHION_MNIST / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28)
    assert_array_equal(images, fashion_mnist.images[-10_000:])
    assert_array_equal(images.reshape(10000, 784), fashion_mnist.data[-10_000:])


# fetch_mnist, with OpenML replaced by a local fake


class FakeOpenML:
    """Stands in for fetch_openml: raises ``error``, or returns mnist_784's layout.

    Row ``i`` has every pixel ``i % 256`` and the label ``str(i % 10)``, as floats
    and strings like OpenML's; a broadcast view keeps the 70,000 rows cheap.
    """

    def __init__(self, n_rows=70000, error=None):
        self.n_rows, self.error, self.kwargs = n_rows, error, None

    def __call__(self, name, **kwargs):
        self.kwargs = {"name": name, **kwargs}
        if self.error is not None:
            raise self.error
        rows = np.arange(self.n_rows)
        X = np.broadcast_to((rows % 256.0)[:, np.newaxis], (self.n_rows, 784))
        return X, (rows % 10).astype(str).astype(object)


def test_fetch_mnist_standard_split(monkeypatch, tmp_path):
    fake = FakeOpenML()
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake)
    X_train, y_train, X_test, y_test = fetch_mnist(data_home=tmp_path)
    assert fake.kwargs["name"] == "mnist_784" and fake.kwargs["version"] == 1
    assert fake.kwargs["data_home"] == tmp_path
    assert fake.kwargs["as_frame"] is False and fake.kwargs["return_X_y"] is True
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    rows = np.arange(70000)
    assert_array_equal(X_train[:, 0], rows[:60000] % 256)
    assert_array_equal(X_test[:, -1], rows[60000:] % 256)
    assert_array_equal(y_train, rows[:60000] % 10)
    assert_array_equal(y_test, rows[60000:] % 10)


@pytest.mark.parametrize(
    "error",
    [
        URLError("[Errno -2] Name or service not known"),
        TimeoutError("timed out"),
        ConnectionResetError("connection reset by peer"),
    ],
)
def test_fetch_mnist_offline_explains_local_loaders(monkeypatch, tmp_path, error):
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", FakeOpenML(error=error))
    with pytest.raises(OSError) as exc_info:
        fetch_mnist(data_home=tmp_path)
    assert_error(
        exc_info,
        tmp_path,
        "could not download OpenML's mnist_784",
        "data_home",
        "load_mnist_idx(directory)",
        "train-images-idx3-ubyte",
        "load_mnist_csv(path)",
        str(error),
    )
    assert exc_info.value.__cause__ is error


def test_fetch_mnist_rejects_unexpected_shape(monkeypatch):
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", FakeOpenML(n_rows=100))
    with pytest.raises(
        ValueError, match=r"70000 images .* got X of shape \(100, 784\)"
    ):
        fetch_mnist()


# load_mnist_sample: the copy inside the package


def test_mnist_sample_is_the_shared_file():
    if not MNIST_5K.is_file():
        pytest.skip(
            f"{MNIST_5K} not found: the shared data folder is not beside the repo"
        )
    assert BUNDLED_MNIST_5K.read_bytes() == MNIST_5K.read_bytes()


def test_mnist_sample_bunch():
    mnist = load_mnist_sample()
    assert mnist.data.shape == (5000, 784) and mnist.data.dtype == np.uint8
    assert mnist.target.dtype == np.int64
    assert_array_equal(mnist.images, mnist.data.reshape(-1, 28, 28))
    assert_array_equal(mnist.target_names, np.arange(10))
    assert mnist.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert mnist.feature_names[-1] == "pixel_27_27"
    assert mnist.frame is None and "CC BY-SA 3.0" in mnist.DESCR
    # Interleaved by class: 0, 1, ..., 9, 0, 1, ...
    assert_array_equal(mnist.target, np.arange(5000) % 10)


def test_mnist_sample_keeps_the_file_order_within_each_digit():
    X_file, y_file = load_mnist_csv(BUNDLED_MNIST_5K, label_column=-1)
    X, y = load_mnist_sample(return_X_y=True)
    for digit in range(10):
        assert_array_equal(X[y == digit], X_file[y_file == digit])


def test_mnist_sample_subsets_split_the_whole():
    X, y = load_mnist_sample(return_X_y=True)
    X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
    X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    assert_array_equal(np.concatenate([X_train, X_test]), X)
    assert_array_equal(np.concatenate([y_train, y_test]), y)
    assert_array_equal(np.bincount(y_train), [400] * 10)
    assert_array_equal(np.bincount(y_test), [100] * 10)
    assert load_mnist_sample(subset="test").images.shape == (1000, 28, 28)


def test_mnist_sample_as_frame():
    mnist = load_mnist_sample(subset="test", as_frame=True)
    X, y = load_mnist_sample(subset="test", return_X_y=True)
    assert list(mnist.data.columns) == mnist.feature_names
    assert_array_equal(mnist.data.to_numpy(), X)
    assert mnist.target.name == "digit"
    assert_array_equal(mnist.target.to_numpy(), y)
    assert mnist.frame.shape == (1000, 785)
    X_frame, y_frame = load_mnist_sample(as_frame=True, return_X_y=True)
    assert X_frame.shape == (5000, 784) and y_frame.shape == (5000,)


def test_mnist_sample_rejects_an_unknown_subset():
    with pytest.raises(
        ValueError, match="subset must be one of 'all', 'train', 'test'; got 'valid'"
    ):
        load_mnist_sample(subset="valid")


def test_mnist_idx_in_the_style_of_load_star(tmp_path):
    X, y = write_mnist_idx(tmp_path)
    bunch = load_mnist_idx(tmp_path)
    assert_array_equal(bunch.data, X)
    assert_array_equal(bunch.target, y)
    assert bunch.images.shape == (7, 2, 2)
    assert bunch.feature_names == ["pixel_0_0", "pixel_0_1", "pixel_1_0", "pixel_1_1"]
    assert_array_equal(bunch.target_names, np.unique(y))
    assert str(tmp_path) in bunch.DESCR and bunch.frame is None
    X_frame, y_frame = load_mnist_idx(
        tmp_path, subset="test", return_X_y=True, as_frame=True
    )
    assert list(X_frame.columns) == bunch.feature_names and y_frame.name == "label"
    assert_array_equal(X_frame, X[4:])
    with pytest.raises(ValueError, match="subset must be one of 'all', 'train'"):
        load_mnist_idx(tmp_path, subset="validation")


def test_mnist_idx_reads_only_the_subset_asked_for(tmp_path):
    write_mnist_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    assert len(load_mnist_idx(tmp_path, subset="train").target) == 4
    with pytest.raises(FileNotFoundError, match="t10k-labels"):
        load_mnist_idx(tmp_path, subset="test")


@pytest.mark.parametrize("split", ["train", "t10k"])
@pytest.mark.parametrize("shape", [(0, 2, 2), (3, 0, 5)])
def test_mnist_idx_split_without_image_data_names_the_file(tmp_path, split, shape):
    write_mnist_idx(tmp_path)
    images = write_bytes(
        tmp_path / f"{split}-images-idx3-ubyte", idx_bytes(np.zeros(shape, np.uint8))
    )
    labels = np.zeros(shape[0], np.uint8)
    write_bytes(tmp_path / f"{split}-labels-idx1-ubyte", idx_bytes(labels))
    with pytest.raises(ValueError) as exc_info:
        load_mnist_idx(tmp_path)
    assert_error(exc_info, images, "holds no image data", str(shape))


def test_mnist_idx_splits_of_different_image_sizes_name_both_files(tmp_path):
    write_mnist_idx(tmp_path)
    test_images = tmp_path / "t10k-images-idx3-ubyte"
    write_bytes(test_images, idx_bytes(np.zeros((3, 3, 3), np.uint8)))
    with pytest.raises(ValueError) as exc_info:
        load_mnist_idx(tmp_path)
    assert_error(
        exc_info, test_images, "of 3x3 pixels", "train-images-idx3-ubyte of 2x2"
    )
    assert load_mnist_idx(tmp_path, subset="test").data.shape == (3, 9)


def test_fashion_mnist_from_a_given_folder(tmp_path):
    write_mnist_idx(tmp_path, ".gz")
    fashion = load_fashion_mnist(tmp_path, subset="train")
    assert fashion.target_names[fashion.target].tolist() == [
        "Dress", "Trouser", "Coat", "Trouser"
    ]  # fmt: skip
    assert "Fashion-MNIST" in fashion.DESCR
    X, y = load_fashion_mnist(tmp_path, subset="test", return_X_y=True)
    assert X.shape == (3, 4) and y.tolist() == [5, 9, 2]


@pytest.mark.parametrize("data_home", [None, "absent"])
def test_fashion_mnist_missing_names_where_and_how(tmp_path, monkeypatch, data_home):
    monkeypatch.setattr(datasets, "FASHION_MNIST_HOME", str(tmp_path / "home"))
    where = tmp_path / (data_home or "home")
    with pytest.raises(FileNotFoundError) as exc_info:
        load_fashion_mnist(None if data_home is None else where)
    assert_error(exc_info, where, "apt-get install dataset-fashion-mnist")
    where.mkdir()  # the folder, without its files
    with pytest.raises(FileNotFoundError) as exc_info:
        load_fashion_mnist(None if data_home is None else where)
    assert_error(exc_info, where, "train-images-idx3-ubyte", "apt-get install")


def test_fashion_mnist_refuses_labels_beyond_its_ten_classes(tmp_path):
    write_mnist_idx(tmp_path)
    write_bytes(
        tmp_path / "train-labels-idx1-ubyte",
        idx_bytes(np.array([1, 2, 3, 10], np.uint8)),
    )
    with pytest.raises(ValueError, match="labels from 1 to 10; expected 0-9"):
        load_fashion_mnist(tmp_path)
