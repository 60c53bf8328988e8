"""Training and prediction speed of TwoLayerNNClassifier against MLPClassifier.

Runs each contender in turn within every round (ours, then MLPClassifier, then
the same matrix products alone, then PyTorch when it is installed), several
rounds, and reports medians and ratios: a ratio of two runs taken seconds
apart is robust to other load on the machine, an absolute time is not. Writes
the tables, with the machine they ran on, to ``docs/benchmarks.md``.

Configurations (those of the speed issue):

* minibatch: Fashion-MNIST 60k/10k scaled to [0, 1], hidden 128, relu, adam,
  batch 200, learning_rate_init 1e-3, alpha 1e-4, tol=0, a fixed number of
  epochs, float32 and float64;
* full batch: solver='gd' as in the original notebook (784-10-10, learning rate
  0.1, alpha 0, 500 iterations) on 5,000 MNIST digits, against the notebook's
  loop written plainly in float64 NumPy below (``notebook_gd``);
* peak memory of one epoch on 60k x 784 float32 (tracemalloc, which NumPy
  reports its allocations to, each fit in a fresh subprocess);
* predict_proba on 10,000 rows and single-row predict latency.

``--busy`` measures instead how the two fare on a busy machine: it starts one
CPU-bound process per core, then times ours and MLPClassifier interleaved on
digits (1,347 x 64 scaled to [0, 1], default parameters, 30 epochs, tol=0) and
on one Adam epoch of Fashion-MNIST 60k 784-128-10, and prints medians, ranges
and each one's slowest run over its median (it writes nothing).

Usage::

    python benchmarks/bench_training.py              # full run, writes the docs
    python benchmarks/bench_training.py --quick      # a smoke run, writes nothing
    python benchmarks/bench_training.py --busy [--rounds 5] [--quick]
"""

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn._network import Workspace, _product
from sklearn_tinynn._optimizers import Adam
from sklearn_tinynn.datasets import load_mnist_csv, load_mnist_idx

ROOT = Path(__file__).resolve().parents[1]
FASHION = "/usr/share/datasets/fashion-mnist"
MNIST_5K = "/work/shared/data/mnist_5k.csv.gz"
ADAM = dict(
    solver="adam",
    batch_size=200,
    learning_rate_init=1e-3,
    alpha=1e-4,
    tol=0.0,
    random_state=0,
)
HIDDEN = 128
BATCH = 200
# The work no NumPy implementation of the epoch can skip, each part timed alone.
FLOOR_PARTS = ("products", "gathers", "Adam updates")
FLOOR = "floor: the three above"
TRAINERS = ("ours", "MLPClassifier", "PyTorch")  # timed for all the epochs


# ----------------------------------------------------------------- helpers


def timed(function):
    """Wall-clock seconds of one call of ``function``."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleave(contenders, rounds):
    """Time every contender once per round, in turn; return their lists of times."""
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, function in contenders.items():
            times[name].append(timed(function))
    return times


def median(values):
    return statistics.median(values)


@contextlib.contextmanager
def busy_processes(count):
    """``count`` CPU-bound processes running while the block runs."""
    spin = [sys.executable, "-c", "while True: pass"]
    processes = [subprocess.Popen(spin) for _ in range(count)]
    try:
        time.sleep(0.5)  # let them take their cores
        yield
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


def load_fashion(directory, dtype):
    X, y = load_mnist_idx(directory, subset="train", return_X_y=True)
    X_test, y_test = load_mnist_idx(directory, subset="test", return_X_y=True)
    return (X / 255).astype(dtype), y, (X_test / 255).astype(dtype), y_test


def load_digits_5k(path, fallback_directory):
    """The 5,000 MNIST digits, or Fashion-MNIST's first 5,000 images without them."""
    if Path(path).exists():
        X, y = load_mnist_csv(path, label_column=-1)
        return X / 255, y, f"MNIST 5k ({Path(path).name})"
    X, y = load_mnist_idx(fallback_directory, subset="train", return_X_y=True)
    return X[:5000] / 255, y[:5000], "Fashion-MNIST's first 5,000 images"


def epoch_products(X, n_hidden, n_outputs, batch_size):
    """The matrix products of one epoch, alone, with the shapes of training.

    Per minibatch: Z1 = X_b W1, Z2 = A1 W2 (forward); A1^T dZ2, dZ2 W2^T and
    X_b^T dZ1 (backward), written into preallocated arrays laid out as the
    fit lays them out (column-major for a column-major X, and Z2 always).
    """
    rng = np.random.default_rng(0)
    dtype = X.dtype
    order = "F" if X.flags.f_contiguous and not X.flags.c_contiguous else "C"
    W1 = rng.standard_normal((X.shape[1], n_hidden)).astype(dtype)
    W2 = rng.standard_normal((n_hidden, n_outputs)).astype(dtype)
    rows = min(batch_size, X.shape[0])
    A1 = np.asarray(rng.standard_normal((rows, n_hidden)), dtype, order=order)
    dZ2 = np.asfortranarray(rng.standard_normal((rows, n_outputs)), dtype)
    Z2 = np.empty_like(dZ2)
    dW2, dW1 = np.empty_like(W2), np.empty_like(W1)

    def run():
        for start in range(0, X.shape[0], batch_size):
            X_b = X[start : start + batch_size]
            n = X_b.shape[0]
            _product(X_b, W1, A1[:n])
            _product(A1[:n], W2, Z2[:n])
            _product(A1[:n].T, dZ2[:n], dW2)
            _product(dZ2[:n], W2.T, A1[:n])
            _product(X_b.T, A1[:n], dW1)

    return run


def training_workspace(n_features, dtype, batch_size):
    """The buffers of a fit of the n_features-128-10 network, as the fit makes them."""
    shapes = [(n_features, HIDDEN), (HIDDEN,), (HIDDEN, 10), (10,)]
    return Workspace([np.zeros(shape, dtype) for shape in shapes], batch_size)


def epoch_gathers(X, batch_size):
    """Gathering the rows of an epoch's shuffled minibatches, alone.

    The fit's own ``Workspace.minibatch``, on a fresh permutation per epoch.
    """
    rng = np.random.RandomState(0)
    Y = np.zeros((X.shape[0], 10), X.dtype)
    workspace = training_workspace(X.shape[1], X.dtype, batch_size)

    def run():
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            workspace.minibatch(X, Y, order[start : start + batch_size])

    return run


def epoch_optimizer_steps(n_features, dtype, n_steps):
    """Adam's updates of one epoch (one per minibatch), alone."""
    rng = np.random.default_rng(0)
    workspace = training_workspace(n_features, dtype, BATCH)
    workspace.grad[...] = rng.standard_normal(workspace.grad.size)
    optimizer = Adam([workspace.theta], ADAM["learning_rate_init"])

    def run():
        for _ in range(n_steps):
            optimizer.update_params([workspace.theta], [workspace.grad])

    return run


# ------------------------------------------------------------- minibatch


def torch_network(torch, n_features, dtype, device="cpu", batch_size=BATCH):
    """Our network, loss and Adam written in PyTorch: (model, optimizer, loss)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(n_features, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, 10),
    ).to(device=device, dtype=dtype)
    # L = mean cross-entropy + (alpha / 2 n) |W|^2: weight decay alpha / n.
    weights = [model[0].weight, model[2].weight]
    biases = [model[0].bias, model[2].bias]
    optimizer = torch.optim.Adam(
        [
            {"params": weights, "weight_decay": ADAM["alpha"] / batch_size},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=ADAM["learning_rate_init"],
    )
    return model, optimizer, torch.nn.CrossEntropyLoss()


def torch_trainer(X, y, epochs):
    """The same network and Adam in PyTorch on the CPU (only when installed)."""
    import torch

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    model, optimizer, loss_function = torch_network(torch, X.shape[1], X_t.dtype)

    def fit():
        for _ in range(epochs):
            for batch in torch.randperm(len(X_t)).split(BATCH):
                optimizer.zero_grad()
                loss = loss_function(model(X_t[batch]), y_t[batch])
                loss.backward()
                optimizer.step()

    def accuracy(X_test, y_test):
        with torch.no_grad():
            predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
        return float((predicted == y_test).mean())

    return fit, accuracy


def bench_minibatch(directory, dtype, epochs, rounds, n_train):
    X, y, X_test, y_test = load_fashion(directory, dtype)
    X, y = X[:n_train], y[:n_train]
    models = {}

    def fit(name, make):
        def run():
            models[name] = make().fit(X, y)

        return run

    contenders = {
        "ours": fit(
            "ours", lambda: TwoLayerNNClassifier(HIDDEN, max_iter=epochs, **ADAM)
        ),
        "MLPClassifier": fit(
            "MLPClassifier", lambda: MLPClassifier((HIDDEN,), max_iter=epochs, **ADAM)
        ),
        "products": epoch_products(X, HIDDEN, 10, BATCH),
        "gathers": epoch_gathers(X, BATCH),
        "Adam updates": epoch_optimizer_steps(
            X.shape[1], X.dtype, -(-X.shape[0] // BATCH)
        ),
    }
    torch_accuracy = None
    if importlib.util.find_spec("torch") is not None:
        torch_fit, torch_accuracy = torch_trainer(X, y, epochs)
        contenders["PyTorch"] = torch_fit
    times = interleave(contenders, rounds)
    per_epoch = {
        name: [t / (epochs if name in TRAINERS else 1) for t in round_times]
        for name, round_times in times.items()
    }
    per_epoch[FLOOR] = [sum(parts) for parts in zip(*map(per_epoch.get, FLOOR_PARTS))]
    accuracy = {name: model.score(X_test, y_test) for name, model in models.items()}
    if torch_accuracy is not None:
        accuracy["PyTorch"] = torch_accuracy(X_test, y_test)
    return per_epoch, accuracy, models, X_test


# ------------------------------------------------------------- full batch


def notebook_gd(X, y, iterations, learning_rate):
    """The notebook's full-batch loop, written plainly in float64 NumPy.

    Samples are columns, as in the notebook; the one-hot targets are built
    once, the softmax subtracts each column's maximum.
    """
    rng = np.random.default_rng(0)
    X = np.ascontiguousarray(X.T, dtype=np.float64)
    m = X.shape[1]
    Y = np.eye(10)[y].T
    W1, b1 = rng.random((10, X.shape[0])) - 0.5, rng.random((10, 1)) - 0.5
    W2, b2 = rng.random((10, 10)) - 0.5, rng.random((10, 1)) - 0.5
    for _ in range(iterations):
        Z1 = W1 @ X + b1
        A1 = np.maximum(Z1, 0)
        Z2 = W2 @ A1 + b2
        E = np.exp(Z2 - Z2.max(axis=0))
        A2 = E / E.sum(axis=0)
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m
        db2 = dZ2.sum(axis=1, keepdims=True) / m
        dZ1 = (W2.T @ dZ2) * (Z1 > 0)
        dW1 = dZ1 @ X.T / m
        db1 = dZ1.sum(axis=1, keepdims=True) / m
        W1 -= learning_rate * dW1
        b1 -= learning_rate * db1
        W2 -= learning_rate * dW2
        b2 -= learning_rate * db2
    return W1, b1, W2, b2


def bench_full_batch(X, y, iterations, rounds):
    notebook = dict(
        hidden_layer_size=10,
        solver="gd",
        learning_rate_init=0.1,
        alpha=0.0,
        max_iter=iterations,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    X32 = X.astype(np.float32)
    contenders = {
        "notebook loop (float64)": lambda: notebook_gd(X, y, iterations, 0.1),
        "ours, float64 input": lambda: TwoLayerNNClassifier(**notebook).fit(X, y),
        "ours, float32 input": lambda: TwoLayerNNClassifier(**notebook).fit(X32, y),
    }
    # The fit of solver='gd' makes X column-major once (see _fit_iterative).
    products = epoch_products(np.asfortranarray(X), 10, 10, X.shape[0])
    contenders["products (float64)"] = lambda: [products() for _ in range(iterations)]
    return interleave(contenders, rounds)


# ------------------------------------------------------------- memory


def peak_memory_child(directory, which):
    """In a fresh process: the tracemalloc peak of one epoch's fit, in bytes."""
    X, y, _, _ = load_fashion(directory, np.float32)
    estimator = (
        TwoLayerNNClassifier(HIDDEN, max_iter=1, **ADAM)
        if which == "ours"
        else MLPClassifier((HIDDEN,), max_iter=1, **ADAM)
    )
    tracemalloc.start()
    estimator.fit(X, y)
    print(json.dumps({"peak": tracemalloc.get_traced_memory()[1], "X": X.nbytes}))


def bench_memory(directory):
    peaks = {}
    for which in ("ours", "MLPClassifier"):
        command = [sys.executable, __file__, "--data", directory, "--memory-of", which]
        result = json.loads(subprocess.check_output(command, text=True))
        peaks[which] = result["peak"]
    return peaks, result["X"]


# ------------------------------------------------------------- prediction


def bench_prediction(models, X_test, rounds):
    ours, mlp = models["ours"], models["MLPClassifier"]
    X_10k, x_1 = X_test[:10000], X_test[:1]
    calls = 200

    def single_rows(model):
        return lambda: [model.predict(x_1) for _ in range(calls)]

    proba = interleave(
        {
            "ours": lambda: ours.predict_proba(X_10k),
            "MLPClassifier": lambda: mlp.predict_proba(X_10k),
        },
        rounds * 5,
    )
    latency = interleave(
        {"ours": single_rows(ours), "MLPClassifier": single_rows(mlp)}, rounds * 5
    )
    rows_per_s = {name: len(X_10k) / median(t) for name, t in proba.items()}
    seconds = {name: median(t) / calls for name, t in latency.items()}
    return rows_per_s, seconds


# ------------------------------------------------------------- report


def machine():
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    blas = [
        f"{info['internal_api']} {info['version']} ({info.get('architecture')}, "
        f"{info['num_threads']} threads)"
        for info in threadpoolctl.threadpool_info()
        if info["user_api"] == "blas"
    ]
    openblas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores",
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, BLAS: {', '.join(blas) or 'unknown'}",
        f"OPENBLAS_* environment: {openblas_env or 'none set'}",
    ]


def ratio_row(name, value, reference, unit="s"):
    return f"| {name} | {value:.4g} {unit} | {value / reference:.2f} |"


def round_ratios(times, name, reference):
    """The ratio of ``name``'s time to the reference's, round by round."""
    return [t / r for t, r in zip(times[name], times[reference])]


def ratio_rows(times, reference):
    """Table rows: median time, and the median and range over the rounds of its
    ratio to the reference's time in the same round."""
    rows = []
    for name, round_times in times.items():
        ratios = round_ratios(times, name, reference)
        rows.append(
            f"| {name} | {median(round_times):.4g} s | {median(ratios):.2f} "
            f"| {min(ratios):.2f}-{max(ratios):.2f} |"
        )
    return rows


def median_ratio(times, name, reference):
    return median(round_ratios(times, name, reference))


def report(results, args):
    lines = ["# Benchmarks", ""]
    command = " ".join(["python", "benchmarks/bench_training.py", *sys.argv[1:]])
    lines += [
        f"Generated by `{command}` "
        f"({args.rounds} rounds; a ratio is to MLPClassifier's time or to the "
        "notebook loop's in the same round, its median over the rounds and "
        "their range follow the median time).",
        "",
    ]
    lines += [f"- {line}" for line in results["machine"]]
    lines += [
        f"- Load average (1 min) before and after: {results['load'][0]:.2f}, "
        f"{results['load'][1]:.2f} on {os.cpu_count()} cores",
        "",
    ]
    for dtype, (per_epoch, accuracy) in results["minibatch"].items():
        lines += [
            f"## Adam, Fashion-MNIST {args.n_train} x 784, {dtype}",
            "",
            f"784-{HIDDEN}-10 relu, batch {BATCH}, learning rate 1e-3, alpha 1e-4, "
            f"{args.epochs} epochs; time per epoch, test accuracy after them.",
            "",
            "| | time per epoch | x MLPClassifier | range | test accuracy |",
            "|---|---|---|---|---|",
        ]
        for name, row in zip(per_epoch, ratio_rows(per_epoch, "MLPClassifier")):
            acc = f"{accuracy[name]:.4f}" if name in accuracy else "-"
            lines.append(f"{row} {acc} |")
        share = median_ratio(per_epoch, "products", "ours")
        floor_share = median_ratio(per_epoch, FLOOR, "ours")
        lines += [
            "",
            f"Matrix products alone: {share:.0%} of our epoch (median over the "
            "rounds). The floor (the "
            "products, the gathers of the shuffled minibatches and Adam's "
            f"updates, each timed alone): {floor_share:.0%} of our epoch.",
            "",
        ]
    lines += [
        f"## Full-batch gradient descent, {results['digits']}",
        "",
        f"784-10-10 relu, learning rate 0.1, alpha 0, {args.iterations} iterations.",
        "",
        "| | time | x notebook loop | range |",
        "|---|---|---|---|",
    ]
    lines += ratio_rows(results["full_batch"], "notebook loop (float64)")
    peaks, x_bytes = results["memory"]
    lines += [
        "",
        "## Peak memory of one epoch's fit, 60,000 x 784 float32",
        "",
        f"tracemalloc peak beyond the data (X itself: {x_bytes / 2**20:.0f} MiB).",
        "",
        "| | peak | x MLPClassifier |",
        "|---|---|---|",
    ]
    lines += [
        ratio_row(name, peak / 2**20, peaks["MLPClassifier"] / 2**20, "MiB")
        for name, peak in peaks.items()
    ]
    rows_per_s, latency = results["prediction"]
    lines += [
        "",
        "## Prediction (float32 models of the Adam run above)",
        "",
        "| | predict_proba, 10,000 rows | x MLPClassifier | predict, 1 row "
        "| x MLPClassifier |",
        "|---|---|---|---|---|",
    ]
    for name in rows_per_s:
        lines.append(
            f"| {name} | {rows_per_s[name]:,.0f} rows/s "
            f"| {rows_per_s[name] / rows_per_s['MLPClassifier']:.2f} "
            f"| {latency[name] * 1e6:.0f} us "
            f"| {latency[name] / latency['MLPClassifier']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=FASHION, help="Fashion-MNIST IDX directory")
    parser.add_argument("--digits", default=MNIST_5K, help="5,000 MNIST digits, CSV")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--rounds", type=int, help="default: 3, or 5 with --busy")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one round, writes nothing"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit BLAS to this many threads (on a shared machine, idle BLAS "
        "threads spinning for work turn other load into erratic times)",
    )
    parser.add_argument(
        "--busy", action="store_true", help="time beside one busy process per core"
    )
    parser.add_argument("--memory-of", choices=["ours", "MLPClassifier"])
    args = parser.parse_args()
    if args.memory_of:
        return peak_memory_child(args.data, args.memory_of)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.rounds is None:
        args.rounds = 5 if args.busy else 3
    if args.busy:
        if args.quick:
            args.rounds, args.n_train = 2, 10000
        return print(busy_report(*bench_busy(args), args))
    if args.quick:
        args.epochs, args.iterations, args.rounds, args.n_train = 1, 50, 1, 10000
    with threadpoolctl.threadpool_limits(args.blas_threads, user_api="blas"):
        results = run_all(args)
    text = report(results, args)
    print(text)
    if not args.quick:
        Path(args.output).write_text(text)


def bench_busy(args):
    """Ours and MLPClassifier, interleaved, beside one busy process per core."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_digits, _, y_digits, _ = train_test_split(X / 16, y, random_state=0)
    X_fashion, y_fashion, _, _ = load_fashion(args.data, np.float64)
    X_fashion, y_fashion = X_fashion[: args.n_train], y_fashion[: args.n_train]
    digits = dict(max_iter=30, tol=0.0, random_state=0)
    fashion = dict(ADAM, max_iter=1)
    cases = {
        "digits, 30 epochs": {
            "ours": lambda: TwoLayerNNClassifier(**digits).fit(X_digits, y_digits),
            "MLPClassifier": lambda: MLPClassifier(**digits).fit(X_digits, y_digits),
        },
        f"Fashion-MNIST {len(y_fashion)}, 1 epoch": {
            "ours": lambda: TwoLayerNNClassifier(HIDDEN, **fashion).fit(
                X_fashion, y_fashion
            ),
            "MLPClassifier": lambda: MLPClassifier((HIDDEN,), **fashion).fit(
                X_fashion, y_fashion
            ),
        },
    }
    load_before = os.getloadavg()
    with busy_processes(os.cpu_count()):
        times = {case: interleave(fits, args.rounds) for case, fits in cases.items()}
    return times, load_before, os.getloadavg()


def busy_report(times, load_before, load_after, args):
    command = " ".join(["python", "benchmarks/bench_training.py", *sys.argv[1:]])
    lines = [
        f"Busy machine: {os.cpu_count()} CPU-bound processes on {os.cpu_count()} "
        f"cores; `{command}`, {args.rounds} interleaved rounds, float64.",
        f"Load average (1, 5, 15 min) before: {load_before[0]:.2f}, "
        f"{load_before[1]:.2f}, {load_before[2]:.2f}; after: {load_after[0]:.2f}, "
        f"{load_after[1]:.2f}, {load_after[2]:.2f}.",
        "",
        "| case | | median | range | slowest / median | median x MLPClassifier |",
        "|---|---|---|---|---|---|",
    ]
    for case, case_times in times.items():
        reference = median(case_times["MLPClassifier"])
        for name, runs in case_times.items():
            lines.append(
                f"| {case} | {name} | {median(runs):.3g} s "
                f"| {min(runs):.3g}-{max(runs):.3g} s "
                f"| {max(runs) / median(runs):.2f} | {median(runs) / reference:.2f} |"
            )
    return "\n".join(lines)


def run_all(args):
    results = {"machine": machine(), "minibatch": {}}
    load_before = os.getloadavg()[0]
    for dtype in ("float32", "float64"):
        per_epoch, accuracy, models, X_test = bench_minibatch(
            args.data, np.dtype(dtype), args.epochs, args.rounds, args.n_train
        )
        results["minibatch"][dtype] = (per_epoch, accuracy)
        if dtype == "float32":
            results["prediction"] = bench_prediction(models, X_test, args.rounds)
    X, y, results["digits"] = load_digits_5k(args.digits, args.data)
    results["full_batch"] = bench_full_batch(X, y, args.iterations, args.rounds)
    results["memory"] = bench_memory(args.data)
    results["load"] = (load_before, os.getloadavg()[0])
    return results


if __name__ == "__main__":
    main()
