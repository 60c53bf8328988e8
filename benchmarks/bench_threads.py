"""When do BLAS threads pay off? Times the forward and backward products of a
training step, X W1 and X^T dZ1, on one BLAS thread and on all of them, on the
machine as it is and with one CPU-bound process per core beside it.

The ratio of the two columns, over the flops of one product, is what decides
sklearn_tinynn's thread policy (``_threads.SMALL_PRODUCT_FLOPS``); the table goes
into docs/performance.md. Interleaved rounds, medians::

    python benchmarks/bench_threads.py [--rounds 7]
"""

import argparse
import os
import statistics
import time

import numpy as np
import threadpoolctl
from bench_training import busy_processes

# (rows, features, hidden): minibatches of digits, MNIST and Fashion-MNIST, and
# full batches.
SHAPES = [
    (32, 64, 100),
    (200, 64, 100),
    (200, 784, 32),
    (200, 784, 128),
    (1347, 64, 100),
    (1000, 784, 128),
    (5000, 784, 128),
]


def step_products(X, W1, dZ1):
    X @ W1
    X.T @ dZ1


def time_it(repeat, *arrays):
    start = time.perf_counter()
    for _ in range(repeat):
        step_products(*arrays)
    return (time.perf_counter() - start) / repeat


def measure(rounds, threads):
    rng = np.random.RandomState(0)
    rows = []
    for n, d, h in SHAPES:
        X, W1, dZ1 = rng.rand(n, d), rng.rand(d, h), rng.rand(n, h)
        repeat = max(3, int(2e8 / (n * d * h)))
        times = {1: [], threads: []}
        for _ in range(rounds):
            for limit in times:
                with threadpoolctl.threadpool_limits(limit, user_api="blas"):
                    times[limit].append(time_it(repeat, X, W1, dZ1))
        one, many = (statistics.median(times[k]) for k in (1, threads))
        rows.append((n, d, h, n * d * h, one, many, max(times[threads]) / many))
    return rows


def print_table(title, rows, threads):
    print(f"\n{title}\n")
    print(
        f"| rows x features x hidden | flops/product | 1 thread (us) | "
        f"{threads} threads (us) | {threads} / 1 | slowest / median, {threads} |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for n, d, h, flops, one, many, spread in rows:
        print(
            f"| {n} x {d} x {h} | {2 * flops:.2g} | {one * 1e6:.0f} | "
            f"{many * 1e6:.0f} | {many / one:.2f} | {spread:.1f} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    threads = max(
        info["num_threads"]
        for info in threadpoolctl.threadpool_info()
        if info["user_api"] == "blas"
    )
    print(f"load average before: {os.getloadavg()}")
    print_table("As the machine is", measure(args.rounds, threads), threads)
    with busy_processes(os.cpu_count()):
        busy = measure(args.rounds, threads)
    print_table(f"With {os.cpu_count()} busy processes", busy, threads)


if __name__ == "__main__":
    main()
