"""Shared test configuration: the hypothesis profiles, one BLAS thread, and
the fixtures of scikit-learn's Array API dispatch.

'ci' (the default) is bounded so that the fuzzing tests take well under a
minute on two cores and runs the same examples on every run (derandomized), so
that CI never fails on an example a developer could not reproduce. 'dev'
searches wider and with fresh randomness: ``pytest --hypothesis-profile=dev``.
A fit on a few dozen samples has no fixed duration on a loaded machine, so no
deadline; the tests bound ``max_iter`` and the data size instead.
"""

import os

import pytest
import sklearn
from hypothesis import HealthCheck, Phase, settings
from threadpoolctl import threadpool_limits

from sklearn_tinynn._array_api import namespace

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=500, deadline=None)
settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """Run the suite on one BLAS thread, as docs/reproducibility.rst advises
    on a shared machine: the library keeps the limit in force, and two BLAS
    threads waiting for each other on busy cores make the small products of
    the tests many times slower (the examples' subprocesses do the same)."""
    with threadpool_limits(1, user_api="blas"):
        yield


# ------------------------------------------------ Array API dispatch

# The libraries other than NumPy that the estimator computes in under dispatch,
# and a device of each (the estimator's NumPy path is NumPy itself).
DEVICES = [
    ("array_api_strict", "CPU_DEVICE"),
    ("array_api_strict", "device1"),
    ("torch", "cpu"),
]


DISPATCH_LIBRARIES = os.environ.get("SKLEARN_TINYNN_DISPATCH", "array_api_strict")
DISPATCH_LIBRARIES = DISPATCH_LIBRARIES.split(",")


def pytest_collection_modifyitems(config, items):
    """scikit-learn's own Array API checks, limited to the same libraries."""
    skipped = [
        library
        for library in ("torch", "cupy", "array_api_strict")
        if library not in DISPATCH_LIBRARIES
    ]
    for item in items:
        for library in skipped:
            if f"array_namespace={library}" in item.name:
                item.add_marker(pytest.mark.skip(reason=f"{library} not dispatched"))


@pytest.fixture
def dispatch():
    """scikit-learn's array API dispatch, on for the test."""
    # The root conftest.py sets it unless SciPy was imported before (by a
    # plugin): then it stays unset, and SciPy without its Array API support.
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        pytest.skip("array API dispatch needs SCIPY_ARRAY_API=1 before SciPy imports")
    try:
        with sklearn.config_context(array_api_dispatch=True):
            pass
    except ImportError as exc:  # scikit-learn 1.6 needs SciPy >= 1.14
        pytest.skip(f"array API dispatch is not available: {exc}")
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.fixture(params=DEVICES, ids=lambda p: f"{p[0]}-{p[1]}")
def device_xp(request, dispatch):
    """A library other than NumPy and one of its devices, with dispatch on.

    The libraries are those of SKLEARN_TINYNN_DISPATCH (comma-separated,
    array-api-strict by default): CI's extra pass adds torch (see .ci/run).
    """
    library, device = request.param
    if library not in DISPATCH_LIBRARIES:
        pytest.skip(f"{library} is not in SKLEARN_TINYNN_DISPATCH (see .ci/run)")
    module = pytest.importorskip(library)
    if library == "array_api_strict":
        return namespace(module), module.Device(device)
    return namespace(module), module.device(device)
