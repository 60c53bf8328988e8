"""Hostile and messy data files: gzip bombs, corrupted gzip, CSV layout traps.

The loaders raise ValueError naming the file, and the command line turns that into
one line on stderr and exit code 2: never a traceback, never memory exhausted,
never a silently shifted or rescaled answer. The bombs run in a subprocess under a
1 GiB address-space limit; the byte-mutation fuzzers run in-process on tiny files.
"""

import gzip
import struct
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_tinynn import _cli, datasets
from sklearn_tinynn.datasets import load_idx, load_mnist_csv, load_mnist_idx

# Byte-mutated files per fuzzer and CI run; thousands were run while developing.
N_MUTANTS = 300


def idx_bytes(array):
    """An IDX file of a uint8 array."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def gzip_bomb(prefix, block, size):
    """About ``size`` bytes of gzip: ``prefix``, then copies of ``block``.

    Each copy is its own gzip member (a gzip file may hold several), so the file
    is built in milliseconds and inflates about 1,000 times.
    """
    member = gzip.compress(block, compresslevel=9)
    return gzip.compress(prefix) + member * (size // len(member))


def csv_text(X, y):
    table = np.column_stack([y, X])
    return "".join(",".join(map(str, row)) + "\n" for row in table)


def write_mnist_idx(folder, n_images=20, side=4):
    """The four MNIST IDX files, gzipped, of ``n_images`` tiny two-class images."""
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        images = rng.integers(0, 256, (n_images, side, side))
        labels = np.arange(n_images) % 2
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            data = gzip.compress(idx_bytes(array), mtime=0)
            (folder / f"{split}-{kind}-ubyte.gz").write_bytes(data)
    return folder


# ------------------------------------------------------------------ memory bombs

BOMB_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from sklearn_tinynn import _cli
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
    code = _cli.main(["train", "--train", sys.argv[1], "--progress", "none"])
    # VmHWM, not ru_maxrss: that one keeps the forking parent's peak across exec.
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
    print(f"exit {code}, peak {peak} MiB")
    """
)

CSV_ROW = ("0," * 784 + "0\n").encode()
IDX_ZEROS = bytes(2**24)


def _csv_bomb(folder):
    path = folder / "bomb.csv.gz"
    path.write_bytes(gzip_bomb(b"", CSV_ROW * 10_000, 2 * 10**6))
    return path


def _idx_bomb(folder, shape):
    """Fashion-MNIST's files, but train-images is a bomb announcing ``shape``."""
    write_mnist_idx(folder)
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    bomb = gzip_bomb(header, IDX_ZEROS, 2 * 10**6)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    return folder


@pytest.mark.parametrize(
    "make_bomb, message",
    [
        (_csv_bomb, "decompressed data exceeds the limit of"),
        # A small image set followed by gigabytes of trailing zeros.
        (lambda d: _idx_bomb(d, (20, 4, 4)), "trailing bytes"),
        # A header announcing 1.5 GB: refused before anything is decompressed.
        (lambda d: _idx_bomb(d, (2_000_000, 28, 28)), "exceeds the limit"),
    ],
)
def test_two_megabyte_gzip_bomb_is_refused_under_a_memory_limit(
    make_bomb, message, tmp_path
):
    path = make_bomb(tmp_path)
    compressed = sum(p.stat().st_size for p in tmp_path.glob("**/*") if p.is_file())
    assert 1.9e6 < compressed < 2.2e6
    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"OPENBLAS_NUM_THREADS": "1", "PATH": ""},
    )
    assert result.stdout.startswith("exit 2, peak"), result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    peak = int(result.stdout.split("peak ")[1].split()[0])
    assert peak < 400, result.stdout


def test_max_bytes_limits_and_raises_the_gzip_limit(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (50, 784)), np.arange(50) % 10
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(csv_text(X, y).encode()))
    size = len(gzip.decompress(path.read_bytes()))
    with pytest.raises(
        ValueError, match="exceeds the limit of 1,000 bytes.*max_bytes="
    ):
        load_mnist_csv(path, max_bytes=1000)
    X_back, y_back = load_mnist_csv(path, max_bytes=size)
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)
    # Uncompressed files are not limited: their size is already on disk.
    plain = tmp_path / "digits.csv"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    assert_array_equal(load_mnist_csv(plain, max_bytes=1000)[0], X)


def test_idx_header_beyond_max_bytes_is_refused_before_reading(tmp_path):
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((30, 28, 28)))))
    with pytest.raises(
        ValueError, match=r"shape \(30, 28, 28\), 23,520 bytes, exceeds"
    ):
        load_idx(path, max_bytes=20_000)
    assert load_idx(path, max_bytes=23_536).shape == (30, 28, 28)
    load_mnist_idx(write_mnist_idx(tmp_path), max_bytes=10**6)


def test_plain_idx_announcing_more_than_the_file_holds_allocates_nothing(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", *[2**32 - 1] * 3))
    with pytest.raises(ValueError, match="truncated data.*the file holds 0"):
        load_idx(path)


@pytest.mark.parametrize("max_bytes", [0, -1, 1.5, True, "1000"])
def test_invalid_max_bytes(tmp_path, max_bytes):
    path = tmp_path / "a.csv"
    path.write_text("1,2\n")
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        load_mnist_csv(path, n_pixels=1, max_bytes=max_bytes)


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_line_without_end_is_refused_without_reading_it_whole(tmp_path, gzipped):
    path = tmp_path / "one-line.csv"
    data = b"0," * 10**6
    path.write_bytes(gzip.compress(data) if gzipped else data)
    with pytest.raises(ValueError, match="line 1: longer than 25,120 characters"):
        load_mnist_csv(path)
    with pytest.raises(ValueError, match="line 1: longer than 1,048,576"):
        datasets.count_csv_columns(path)


# ------------------------------------------------------------------ CSV layout


@pytest.mark.parametrize("start", [0, 1])
def test_column_numbering_is_a_header(tmp_path, start):
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (5, 16)), np.arange(5)
    path = tmp_path / "numbered.csv"
    numbering = ",".join(map(str, range(start, start + 17)))
    path.write_text(numbering + "\n" + csv_text(X, y))
    X_back, y_back = load_mnist_csv(path, n_pixels=16)
    assert_array_equal(X_back, X)
    assert_array_equal(y_back, y)


def test_pandas_default_header_in_train_and_predict(tmp_path, capsys):
    """pandas writes the column numbers: not an extra image, not a shifted output."""
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (40, 16)), np.arange(40) % 2
    train = tmp_path / "train.csv"
    pd.DataFrame(np.column_stack([y, X])).to_csv(train, index=False)
    assert _cli.read_data(str(train)).X.shape == (40, 16)
    pixels = tmp_path / "pixels.csv"
    pd.DataFrame(X).to_csv(pixels, index=False)
    assert pixels.read_text().startswith("0,1,2,")
    assert_allclose(_cli.read_pixels(str(pixels), 16).X, X / 255, rtol=1e-6)


def test_blank_line_between_rows_is_an_error_naming_it(tmp_path, capsys):
    path = tmp_path / "pixels.csv"
    path.write_text("9,2,3,4\n\n5,6,7,8\n\n\n")
    with pytest.raises(ValueError, match=r"pixels.csv, line 2: blank line between"):
        _cli.read_pixels(str(path), 4)
    path.write_text("9,2,3,4\n5,6,7,8\n\n\n")
    assert _cli.read_pixels(str(path), 4).X.shape == (2, 4)


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "model.skops"
    argv = ["train", "--train", "digits", "--max-iter", "2", "--progress", "none"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert _cli.main([*argv, "--save", str(model)]) == 0
    return model


def _predict_error(model, pixels, capsys):
    """predict's one line on stderr, after exit code 2 and no output file."""
    capsys.readouterr()
    out = pixels.with_name("out.csv")
    argv = ["predict", "--model", str(model), "--input", str(pixels)]
    assert _cli.main([*argv, "--output", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1 and stderr.startswith("sklearn-tinynn: error: ")
    assert not out.exists()
    return stderr


def test_pixels_scaled_to_unit_interval_are_refused(digits_model, tmp_path, capsys):
    pixels = tmp_path / "scaled.csv"
    np.savetxt(pixels, np.random.default_rng(0).random((5, 64)), delimiter=",")
    stderr = _predict_error(digits_model, pixels, capsys)
    assert "scaled.csv, line 1: column 1: pixel" in stderr
    assert "not an integer; expected 8-bit pixel values 0-255" in stderr
    assert "[0, 1]" in stderr


@pytest.mark.parametrize("cut", [10, 30, -12, -3])
def test_truncated_gzip_pixels_to_predict(digits_model, tmp_path, capsys, cut):
    pixels = tmp_path / "pixels.csv.gz"
    text = "".join(",".join(["7"] * 64) + "\n" for _ in range(50))
    pixels.write_bytes(gzip.compress(text.encode())[:cut])
    stderr = _predict_error(digits_model, pixels, capsys)
    assert "pixels.csv.gz: corrupt or truncated gzip data" in stderr


def test_pixels_only_outside_0_255_are_refused(tmp_path):
    path = tmp_path / "pixels.csv"
    path.write_text("9,2,3,4\n5,6,700,8\n")
    with pytest.raises(
        ValueError, match="line 2, column 3: pixel value 700 is outside"
    ):
        _cli.read_pixels(str(path), 4)


def test_label_in_the_last_column(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (6, 16)), np.arange(6) % 3
    path = tmp_path / "label-last.csv.gz"
    table = np.column_stack([X, y])
    text = "".join(",".join(map(str, row)) + "\n" for row in table)
    path.write_bytes(gzip.compress(text.encode()))
    data = _cli.read_data(str(path), label_column=-1)
    assert_array_equal(data.y, y)
    assert_allclose(data.X, X / 255, rtol=1e-6)


# ------------------------------------------------------------------ fuzzing


def mutate(data, rng):
    """Flip, overwrite, insert or delete a few bytes, or truncate."""
    data = bytearray(data)
    for _ in range(rng.integers(1, 4)):
        kind, at = rng.integers(5), int(rng.integers(len(data)))
        if kind == 0:
            data[at] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            data[at] = int(rng.integers(256))
        elif kind == 2:
            data[at:at] = bytes(rng.integers(0, 256, rng.integers(1, 4)).tolist())
        elif kind == 3:
            del data[at : at + int(rng.integers(1, 4))]
        else:
            del data[at:]
        if not data:
            break
    return bytes(data)


def _csv_text():
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (20, 16)), np.arange(20) % 2
    return ("label," + ",".join("p" * 16) + "\n" + csv_text(X, y)).encode()


def _fuzz_cases(payload, seed):
    """Mutants of the gzip bytes and, every other one, of the payload gzipped."""
    rng, gzipped = np.random.default_rng(seed), gzip.compress(payload)
    return [
        mutate(gzipped, rng) if i % 2 else gzip.compress(mutate(payload, rng))
        for i in range(N_MUTANTS)
    ]


def _assert_loaded_or_value_error(path, mutants, load):
    """Write each mutant to ``path``: ``load`` succeeds or names the file."""
    messages = []
    for mutant in mutants:
        path.write_bytes(mutant)
        try:
            load()
        except ValueError as exc:
            messages.append(str(exc))
    assert 0 < len(messages) < len(mutants)  # both outcomes occur
    assert all(str(path) in message for message in messages)


def test_mutated_gzip_csv_raises_only_value_error(tmp_path):
    path = tmp_path / "mutant.csv.gz"
    _assert_loaded_or_value_error(
        path,
        _fuzz_cases(_csv_text(), seed=1),
        lambda: load_mnist_csv(path, n_pixels=16),
    )


def test_mutated_idx_gz_raises_only_value_error(tmp_path):
    path = tmp_path / "mutant-idx3-ubyte.gz"
    images = np.random.default_rng(0).integers(0, 256, (20, 4, 4))
    mutants = _fuzz_cases(idx_bytes(images), seed=2)
    _assert_loaded_or_value_error(path, mutants, lambda: load_idx(path))


FUZZ_TRAIN = ["--solver", "lbfgs", "--max-iter", "1", "--hidden", "2",
              "--progress", "none"]  # fmt: skip


def _assert_cli_exits_cleanly(argv, capsys):
    """Exit 0, or exit 2 with one line on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are not failures here
        code = _cli.main(argv)
    stderr = capsys.readouterr().err
    assert code in (0, 2), stderr
    if code == 2:
        assert stderr.count("\n") == 1 and stderr.startswith("sklearn-tinynn: error:")
    return code


def test_mutated_gzip_csv_through_the_command_line(tmp_path, capsys):
    path = tmp_path / "mutant.csv.gz"
    codes = set()
    for mutant in _fuzz_cases(_csv_text(), seed=3):
        path.write_bytes(mutant)
        argv = ["train", "--train", str(path), "--test-size", "0.5", *FUZZ_TRAIN]
        codes.add(_assert_cli_exits_cleanly(argv, capsys))
    assert codes == {0, 2}


def test_mutated_idx_gz_through_the_command_line(tmp_path, capsys):
    folder = write_mnist_idx(tmp_path)
    codes = set()
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        good = (folder / name).read_bytes()
        for mutant in _fuzz_cases(gzip.decompress(good), seed=4)[: N_MUTANTS // 2]:
            (folder / name).write_bytes(mutant)
            codes.add(_assert_cli_exits_cleanly(["train", "--train", str(folder),
                                                 *FUZZ_TRAIN], capsys))  # fmt: skip
        (folder / name).write_bytes(good)
    assert codes == {0, 2}
