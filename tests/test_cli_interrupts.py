"""Ctrl-C at the command line: exit code 130, one line, nothing written.

SIGINT is sent to a real ``python -m sklearn_tinynn`` process once it is known
to be in the phase under test: reading data (it has the data file open, seen
in /proc), training with each solver (it has printed its ``test:`` line and
trains for far longer than the test waits), saving (it has printed its test
accuracy and saves a model that takes a second to compress).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="watches the process through /proc"
)

ENDLESS = ["--max-iter", "1000000", "--tol", "0", "--n-iter-no-change", "1000000"]


def _default_sigint():
    """SIGINT's default action in the child: a suite started in the background
    of a shell without job control inherits SIGINT ignored, and Python then
    keeps it ignored instead of raising KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(argv):
    return subprocess.Popen(
        [sys.executable, "-m", "sklearn_tinynn", *map(str, argv), "--progress", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"},
        preexec_fn=_default_sigint,
    )


def interrupt(process, lines_before=""):
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, lines_before + out, err


def wait_for_line(process, prefix):
    """Read stdout up to the line starting with ``prefix``; the lines read."""
    lines = ""
    while not lines.splitlines()[-1:] or not lines.splitlines()[-1].startswith(prefix):
        line = process.stdout.readline()
        assert line, f"the process ended before printing {prefix!r}"
        lines += line
    return lines


def wait_until_open(process, path):
    """Wait until the process holds ``path`` open."""
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the process ended before opening the file"
        try:
            if any(os.path.realpath(fd) == str(path) for fd in fds.iterdir()):
                return
        except FileNotFoundError:  # a descriptor closed while listing
            pass
        time.sleep(0.002)
    raise AssertionError(f"{path} was never opened")


def assert_interrupted(code, out, err, folder):
    assert code == 130, err
    assert err.strip().splitlines() == ["sklearn-tinynn: interrupted"], err
    assert "test accuracy" not in out and "saved" not in out
    assert list(folder.iterdir()) == []  # no model, no temporary file


@pytest.fixture
def output_folder(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_ctrl_c_while_reading_data(tmp_path, output_folder):
    # 200,000 rows of 64 pixels: seconds of reading.
    rows = [f"{label}," + ",".join(["17"] * 64) + "\n" for label in range(10)]
    data = tmp_path / "big.csv"
    data.write_text("".join(rows) * 20_000)
    process = start(["train", "--train", data, "--save", output_folder / "m.skops"])
    wait_until_open(process, data.resolve())
    code, out, err = interrupt(process)
    assert "train:" not in out  # printed once the data are read
    assert_interrupted(code, out, err, output_folder)


@pytest.mark.parametrize("solver", ["adam", "sgd", "gd", "lbfgs"])
def test_ctrl_c_while_training(solver, output_folder):
    process = start(
        [
            "train",
            "--train",
            "digits",
            "--solver",
            solver,
            "--hidden",
            "32",
            *ENDLESS,
            "--save",
            output_folder / "m.skops",
        ]
    )
    lines = wait_for_line(process, "test:")
    assert_interrupted(*interrupt(process, lines), output_folder)


def test_ctrl_c_while_saving(tmp_path, output_folder):
    # Two images of each digit and 20,000 hidden units: a fast epoch, and a
    # model of 5 MB that takes about a second to compress.
    rng = np.random.default_rng(0)
    rows = np.c_[np.arange(20) % 10, rng.integers(0, 256, (20, 64))]
    data = tmp_path / "tiny.csv"
    np.savetxt(data, rows, fmt="%d", delimiter=",")
    argv = ["train", "--train", data, "--test", data, "--solver", "gd"]
    argv += ["--hidden", "20000", "--max-iter", "1"]
    process = start([*argv, "--save", output_folder / "m.skops"])
    lines = wait_for_line(process, "test accuracy:")
    code, out, err = interrupt(process, lines)
    # Printed when training ended, before saving: the accuracy and a note that
    # one epoch did not converge.
    out = out.replace(lines, "")
    err = "".join(line for line in err.splitlines(True) if ": note: " not in line)
    assert_interrupted(code, out, err, output_folder)
