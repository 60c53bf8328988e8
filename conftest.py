"""Collection settings shared by the tests and the doctests.

scikit-learn's Array API dispatch needs ``SCIPY_ARRAY_API=1`` in the
environment before SciPy is imported: it is set here, which pytest loads
before it imports any test module or the package, so that the README's single
``python -m pytest`` also runs the dispatch tests on array-api-strict (those on
torch run in CI's extra pass: SKLEARN_TINYNN_DISPATCH in tests/conftest.py).

The doctests of a module whose optional dependency is missing are skipped,
not errors (sklearn_tinynn.onnx refuses to import without skl2onnx).
"""

import importlib.util
import os
import sys

if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")


def pytest_configure(config):
    # Short fits in tests stop at max_iter on purpose. (A filter naming the
    # category in pyproject.toml would import scikit-learn, and SciPy with it,
    # before this file could set SCIPY_ARRAY_API.)
    config.addinivalue_line(
        "filterwarnings", "ignore::sklearn.exceptions.ConvergenceWarning"
    )


collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklearn_tinynn/onnx.py")
