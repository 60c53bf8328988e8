#!/usr/bin/env bash
# The whole test suite again, on the oldest versions pyproject.toml allows: every
# runtime dependency pinned to its lower bound, in a fresh virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

# "numpy>=1.24" becomes "numpy==1.24"; a dependency without a lower bound is an error.
# The onnx extra is pinned too: the ONNX tests run on its oldest versions.
pins=$(python3 -c '
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["onnx"]:
    if ">=" not in dep:
        sys.exit(f"pyproject.toml: {dep!r} has no lower bound to test")
    print(dep.replace(">=", "=="))
')
mapfile -t oldest <<< "$pins"

rm -rf .venv-oldest
python3 -m venv .venv-oldest
# pyarrow (dask.dataframe's, which dask-ml imports) refuses to import with NumPy 1.x
# from version 26 on, without declaring it; pip would pick it.
.venv-oldest/bin/pip install -q -e ".[test]" "${oldest[@]}" "pyarrow<26"
.venv-oldest/bin/python -c 'import numpy, onnxruntime, pandas, scipy, skl2onnx, sklearn
print("oldest:", *(f"{m.__name__} {m.__version__}"
      for m in (sklearn, numpy, scipy, pandas, skl2onnx, onnxruntime)))'
# No doctests here: the examples print NumPy 2's reprs (np.int64(1) where NumPy 1
# prints 1) and the newest SciPy's L-BFGS-B digits; they run in the newest venv.
.venv-oldest/bin/python -m pytest -o addopts="-ra --strict-markers --strict-config"
