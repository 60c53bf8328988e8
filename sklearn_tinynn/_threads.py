"""The thread policy: BLAS on one thread for products too small to gain from more.

A training step or a prediction is a few matrix products of the size
``rows x features x hidden``. BLAS splits a product over all its threads, and
its idle threads spin while they wait; on a machine whose cores are taken by
other work, a thread waiting for a core stalls the whole product. The
measurements of ``benchmarks/bench_threads.py`` (docs/performance.md) set the
bands below: two threads instead of one took 0.8 to 1.1 times as long under
``TINY_PRODUCT``, 2 to 28 times as long between the two bands on a loaded
machine, and about as long (0.7 to 1.3) from ``LARGE_PRODUCT`` on. So:

* under ``TINY_PRODUCT``, one thread;
* up to ``LARGE_PRODUCT``, one thread when the machine is busy (a thread of
  another process is running), the user's setting otherwise;
* from ``LARGE_PRODUCT`` on, the user's setting.

Only ever lowered to 1, the limit never rises above the one in force: a
``threadpoolctl.threadpool_limits`` of the user's wins.
"""

import contextlib
import os
import threading

from threadpoolctl import ThreadpoolController

# rows x features x hidden of a step's largest product (X W1, and X^T dZ1).
TINY_PRODUCT = 2e6
LARGE_PRODUCT = 1e8


def _machine_is_busy():
    """Whether a thread of another process is running now (Linux), twice.

    ``/proc/loadavg`` counts the threads running at this moment; this
    process's own (its BLAS threads spin, so they count) are taken off, as a
    fit's own threads would otherwise make it look busy. The instantaneous
    count follows other work at once, where the 1-minute load average lags;
    two readings in a row spare a passing kernel thread. Elsewhere: False.
    """
    return _others_running() > 0 and _others_running() > 0


def _others_running():
    """Threads running now that are not this process's; 0 where unknown."""
    try:
        with open("/proc/loadavg") as file:
            running = int(file.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat") as file:
                # The state follows the command name, which is in parentheses.
                own += file.read().rsplit(")", 1)[1].split()[0] == "R"
    except (OSError, ValueError, IndexError):  # no /proc, or a thread ended
        return 0
    return running - own


class _OneBlasThread:
    """A context manager setting every BLAS library to one thread.

    The libraries are found once (``ThreadpoolController`` scans the loaded
    ones, which takes a millisecond) and set directly, a few microseconds per
    call. Nested and concurrent uses share one setting: the first to enter
    saves the libraries' thread counts and sets 1, the last to leave restores
    them, so that a prediction in one thread cannot restore the limit under a
    fit in another.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._saved = []
        self._libraries = None

    def __enter__(self):
        with self._lock:
            if self._users == 0:
                if self._libraries is None:
                    blas = ThreadpoolController().select(user_api="blas")
                    self._libraries = blas.lib_controllers
                self._saved = [
                    (lib, lib.num_threads)
                    for lib in self._libraries
                    if lib.num_threads > 1
                ]
                for lib, _ in self._saved:
                    lib.set_num_threads(1)
            self._users += 1
        return self

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._users == 0:
                for lib, num_threads in self._saved:
                    lib.set_num_threads(num_threads)
                self._saved = []


_ONE_BLAS_THREAD = _OneBlasThread()


def blas_threads_for(rows, features, hidden):
    """The context in which to run products of ``rows x features x hidden``:
    one BLAS thread or the setting in force (see the module docstring)."""
    size = rows * features * hidden
    if size < TINY_PRODUCT or (size < LARGE_PRODUCT and _machine_is_busy()):
        return _ONE_BLAS_THREAD
    return contextlib.nullcontext()
