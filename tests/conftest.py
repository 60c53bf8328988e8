"""Shared test configuration: the hypothesis profiles, one BLAS thread.

'ci' (the default) is bounded so that the fuzzing tests take well under a
minute on two cores and runs the same examples on every run (derandomized), so
that CI never fails on an example a developer could not reproduce. 'dev'
searches wider and with fresh randomness: ``pytest --hypothesis-profile=dev``.
A fit on a few dozen samples has no fixed duration on a loaded machine, so no
deadline; the tests bound ``max_iter`` and the data size instead.
"""

import pytest
from hypothesis import HealthCheck, Phase, settings
from threadpoolctl import threadpool_limits

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
