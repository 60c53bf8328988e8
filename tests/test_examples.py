"""Every example runs as a script: a subprocess, the Agg backend, quick mode.

``SKLEARN_TINYNN_EXAMPLE_QUICK=1`` makes the examples train for fewer
iterations, through the same steps, so that the five take well under two minutes
on two cores. BLAS runs on one thread: on a machine busy with other work, two
BLAS threads that wait for each other make these small products many times
slower.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# What each example prints on success: one line per model or result.
EXPECTED_OUTPUT = {
    "plot_notebook_reproduced.py": ["notebook: 10 hidden, GD: test accuracy"],
    "plot_compare_solvers.py": [f"{s}: " for s in ("gd", "sgd", "adam", "lbfgs")],
    "plot_grid_search.py": ["Best parameters: {'clf__alpha'", "test accuracy"],
    "plot_hidden_units.py": ["digits: training accuracy"],
    "plot_vs_mlpclassifier.py": ["MLPClassifier lbfgs: test accuracy"],
    "plot_onnx_export.py": ["float64: ", "labels equal to predict's: 100%"],
}
# Examples that need an optional dependency, skipped without it.
REQUIRES = {"plot_onnx_export.py": "skl2onnx"}


def test_every_example_is_listed():
    assert sorted(path.name for path in EXAMPLES.glob("plot_*.py")) == sorted(
        EXPECTED_OUTPUT
    )


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTPUT))
def test_example_runs_as_a_script(name, tmp_path):
    if name in REQUIRES:
        pytest.importorskip(REQUIRES[name])
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        SKLEARN_TINYNN_EXAMPLE_QUICK="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env.pop("SKLEARN_TINYNN_MNIST", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    for expected in EXPECTED_OUTPUT[name]:
        assert expected in result.stdout
