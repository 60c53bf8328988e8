"""Time per partial_fit call, at the start of a long stream and at its end.

A stream of ``--calls`` calls (100,000 by default) of ``--rows`` rows each
(100), cycling through the digits scaled to [0, 1] (1,797 x 64, 10 classes,
hidden layer of 100 units, Adam). Prints, for the first and the last thousand
calls, the median, the 10th and 90th percentiles and the mean time per call.
A call's time must not grow with the calls before it (the loss curve grows by
one number a call, and a failed call must still restore the model), so the
two rows should agree up to the machine's noise. A third row times another
thousand calls after emptying the model's records (``loss_curve_``): where the
last thousand are slower than the first, it tells the cost of the records (none
if it matches the last thousand) from that of the training state itself (for
example subnormal numbers in Adam's moments after thousands of epochs, which
x86 computes slowly).

Also prints the load average and the BLAS kernel (threadpoolctl): compare runs
taken on the same machine in the same conditions only.

Usage::

    python benchmarks/bench_partial_fit.py [--calls 100000] [--rows 100]
"""

import argparse
import os
import platform
import time

import numpy as np
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info

from sklearn_tinynn import TwoLayerNNClassifier


def stream_times(calls, rows):
    """The wall time of each of ``calls`` partial_fit calls of ``rows`` rows."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = TwoLayerNNClassifier(random_state=0)
    clf.partial_fit(X[:rows], y[:rows], classes=np.arange(10))
    starts = np.arange(calls) * rows % (len(y) - rows)
    times = np.empty(calls)
    for i, start in enumerate(starts):
        batch = slice(start, start + rows)
        tic = time.perf_counter()
        clf.partial_fit(X[batch], y[batch])
        times[i] = time.perf_counter() - tic
    return times, clf, X, y


def control_times(clf, X, y, calls, rows):
    """``calls`` more calls, after emptying the records the stream appended."""
    clf.loss_curve_ = clf.loss_curve_[-1:]
    times = np.empty(calls)
    for i in range(calls):
        start = i * rows % (len(y) - rows)
        batch = slice(start, start + rows)
        tic = time.perf_counter()
        clf.partial_fit(X[batch], y[batch])
        times[i] = time.perf_counter() - tic
    return times


def subnormal_fraction(clf):
    """The fraction of the optimizer state's values that are subnormal."""
    values = np.concatenate([np.ravel(a) for a in clf._optimizer_state["V"]])
    tiny = np.finfo(values.dtype).smallest_normal
    return np.mean((values != 0) & (np.abs(values) < tiny))


def row(name, times):
    q10, median, q90 = np.percentile(times * 1e6, [10, 50, 90])
    mean = times.mean() * 1e6
    return f"| {name:<17} | {median:>8.0f} | {q10:>6.0f} | {q90:>6.0f} | {mean:>8.0f} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args()
    window = min(1000, args.calls // 2)
    load_before = os.getloadavg()
    times, clf, X, y = stream_times(args.calls, args.rows)
    subnormal, recorded = subnormal_fraction(clf), len(clf.loss_curve_)
    control = control_times(clf, X, y, window, args.rows)
    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(f"{args.calls} partial_fit calls of {args.rows} rows (digits, 64-100-10,")
    print(f"adam, float64); len(loss_curve_) at the end: {recorded}")
    print(f"{platform.processor() or platform.machine()}, BLAS {blas}")
    print(
        f"load average (1, 5, 15 min) before: {load_before}, after: {os.getloadavg()}"
    )
    print()
    print("| calls             | median µs | p10 µs | p90 µs |  mean µs |")
    print("|-------------------|----------:|-------:|-------:|---------:|")
    print(row(f"first {window}", times[:window]))
    print(row(f"last {window}", times[-window:]))
    print(row("records emptied", control))
    print(f"\nsubnormal values in Adam's V at the end: {subnormal:.1%}")


if __name__ == "__main__":
    main()
