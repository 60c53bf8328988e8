"""Training and prediction speed of TwoLayerNNClassifier against MLPClassifier.

Runs each contender in turn within every round (ours, then MLPClassifier, then
the same matrix products alone, then PyTorch when it is installed), several
rounds, and reports medians and ratios: a ratio of two runs taken seconds
apart is robust to other load on the machine, an absolute time is not. Like
with like: ours, MLPClassifier and the floor run under the same BLAS thread
limit (``--blas-threads``, or the default), and with a limit MLPClassifier is
also timed at its default threads; each table says the BLAS kernel, the
threads and the load average it ran with. Writes its section of
``docs/benchmarks.md`` (between its markers, leaving bench_onnx.py's alone).

Configurations (those of the speed issue):

* minibatch: Fashion-MNIST 60k/10k scaled to [0, 1], hidden 128, relu, adam,
  batch 200, learning_rate_init 1e-3, alpha 1e-4, tol=0, a fixed number of
  epochs, float32 and float64;
* full batch: solver='gd' as in the original notebook (784-10-10, learning rate
  0.1, alpha 0, 500 iterations) on 5,000 MNIST digits, against the notebook's
  loop written plainly in float64 NumPy below (``notebook_gd``);
* peak memory of one epoch on 60k x 784 float32 (tracemalloc, which NumPy
  reports its allocations to, each fit in a fresh subprocess);
* predict_proba on 10,000, 100 and 1 rows (784-128-10, float32).

``--busy`` measures instead how the two fare on a busy machine: it starts one
CPU-bound process per core, then times ours and MLPClassifier interleaved on
digits (1,347 x 64 scaled to [0, 1], default parameters, 30 epochs, tol=0) and
on one Adam epoch of Fashion-MNIST 60k 784-128-10, and prints medians, ranges
and each one's slowest run over its median (it writes nothing).

Usage::

    python benchmarks/bench_training.py              # full run, writes the docs
    python benchmarks/bench_training.py --quick      # a smoke run, writes nothing
    python benchmarks/bench_training.py --busy [--rounds 5] [--quick]
    python benchmarks/bench_training.py --only full-batch    # prints that table
    python benchmarks/bench_training.py --only prediction    # prints that table
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
from sklearn_tinynn._network import Workspace, _product, hidden_layout
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
MLP_DEFAULT = "MLPClassifier, default threads"
TRAINERS = ("ours", "MLPClassifier", MLP_DEFAULT, "PyTorch")  # all the epochs
# The threads BLAS starts with, before any limit.
DEFAULT_THREADS = max(
    [info["num_threads"] for info in threadpoolctl.threadpool_info()] or [1]
)


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
    fit lays them out (``hidden_layout``, and Z2 always column-major).
    """
    rng = np.random.default_rng(0)
    dtype = X.dtype
    rows = min(batch_size, X.shape[0])
    order = hidden_layout(rows, n_hidden, dtype)
    W1 = rng.standard_normal((X.shape[1], n_hidden)).astype(dtype)
    W2 = rng.standard_normal((n_hidden, n_outputs)).astype(dtype)
    transposed = np.empty(W1.shape[::-1], dtype) if order == "F" else None
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
            _product(X_b.T, A1[:n], dW1, transposed)

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


def at_default_threads(function):
    """``function`` run at BLAS's default threads, whatever limit is in force."""

    def run():
        with threadpoolctl.threadpool_limits(DEFAULT_THREADS, user_api="blas"):
            return function()

    return run


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
    if blas_threads() != DEFAULT_THREADS:
        contenders[MLP_DEFAULT] = at_default_threads(
            lambda: MLPClassifier((HIDDEN,), max_iter=epochs, **ADAM).fit(X, y)
        )
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
    products = epoch_products(X, 10, 10, X.shape[0])
    contenders["products (float64)"] = lambda: [products() for _ in range(iterations)]
    return interleave(contenders, rounds)


# ------------------------------------------------------------- memory


def peak_memory_child(directory, which):
    """In a fresh process: the tracemalloc peak of one epoch's fit, in bytes.

    'ours' and 'MLPClassifier': Adam on float32; 'gd': our full-batch
    gradient descent (100 hidden units) on float64.
    """
    X, y, _, _ = load_fashion(directory, np.float64 if which == "gd" else np.float32)
    estimator = {
        "ours": lambda: TwoLayerNNClassifier(HIDDEN, max_iter=1, **ADAM),
        "MLPClassifier": lambda: MLPClassifier((HIDDEN,), max_iter=1, **ADAM),
        "gd": lambda: TwoLayerNNClassifier(solver="gd", max_iter=1, random_state=0),
    }[which]()
    tracemalloc.start()
    # One BLAS thread: the peak does not depend on it, and it spares a
    # shared machine.
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        estimator.fit(X, y)
    print(json.dumps({"peak": tracemalloc.get_traced_memory()[1], "X": X.nbytes}))


def bench_memory(directory):
    """Peaks and the bytes of X: Adam (ours, MLPClassifier) on float32, and
    full-batch gd on float64."""
    peaks, sizes = {}, {}
    for which in ("ours", "MLPClassifier", "gd"):
        command = [sys.executable, __file__, "--data", directory, "--memory-of", which]
        result = json.loads(subprocess.check_output(command, text=True))
        peaks[which], sizes[which] = result["peak"], result["X"]
    return peaks, sizes


# ------------------------------------------------------------- prediction


PREDICTION_ROWS = (10000, 100, 1)


def bench_prediction(models, X_test, rounds):
    """Seconds per predict_proba call on 10,000, 100 and 1 rows: ours and
    MLPClassifier interleaved, each a median of batches of calls."""
    ours, mlp = models["ours"], models["MLPClassifier"]
    seconds = {}
    for rows in PREDICTION_ROWS:
        X_rows = X_test[:rows]
        calls = max(1, 2000 // rows)

        def repeated(model, X_rows=X_rows, calls=calls):
            return lambda: [model.predict_proba(X_rows) for _ in range(calls)]

        times = interleave(
            {"ours": repeated(ours), "MLPClassifier": repeated(mlp)}, rounds * 5
        )
        seconds[rows] = {
            name: [t / calls for t in round_times]
            for name, round_times in times.items()
        }
    return seconds


def bench_prediction_only(args):
    """Both models fitted one epoch on ``n_train`` rows, then the prediction
    table."""
    X, y, X_test, _ = load_fashion(args.data, np.float32)
    X, y = X[: args.n_train], y[: args.n_train]
    models = {
        "ours": TwoLayerNNClassifier(HIDDEN, max_iter=1, **ADAM).fit(X, y),
        "MLPClassifier": MLPClassifier((HIDDEN,), max_iter=1, **ADAM).fit(X, y),
    }
    return bench_prediction(models, X_test, args.rounds)


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


def blas_threads():
    """The BLAS threads in force now (the largest over the BLAS libraries)."""
    infos = threadpoolctl.threadpool_info()
    return max([i["num_threads"] for i in infos if i["user_api"] == "blas"] or [1])


def conditions(load_before, who="ours, MLPClassifier and the floor alike"):
    """One line: the BLAS kernel and threads in force (for ``who``), and the
    load average."""
    kernels = sorted(
        {
            f"{info['internal_api']} {info.get('architecture')}"
            for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"
        }
    )
    return (
        f"Ran with BLAS {', '.join(kernels)} at {blas_threads()} thread(s) "
        f"({who}); load average (1 min) "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on "
        f"{os.cpu_count()} cores; measured 2026-12-06."
    )


MARKERS = "<!-- {name}: start -->", "<!-- {name}: end -->"


def write_section(path, name, text):
    """Put ``text`` between the markers of ``name`` in ``path`` (at its end the
    first time), leaving the rest of the page, other scripts' sections
    included, as it is."""
    start, end = (marker.format(name=name) for marker in MARKERS)
    page = Path(path).read_text() if Path(path).exists() else "# Benchmarks\n"
    section = f"{start}\n\n{text.strip()}\n\n{end}"
    if start in page and end in page:
        before, rest = page.split(start, 1)
        page = before + section + rest.split(end, 1)[1]
    else:
        page = f"{page.rstrip()}\n\n{section}\n"
    Path(path).write_text(page)


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


def full_batch_lines(times, digits, iterations, condition):
    lines = [
        f"## Full-batch gradient descent, {digits}",
        "",
        f"784-10-10 relu, learning rate 0.1, alpha 0, {iterations} iterations; "
        "X as given (row-major), never copied.",
        "",
        condition,
        "",
        "| | time | x notebook loop | range |",
        "|---|---|---|---|",
    ]
    return lines + ratio_rows(times, "notebook loop (float64)")


def prediction_lines(seconds, condition):
    lines = [
        "## Prediction: predict_proba, 784-128-10, float32",
        "",
        condition,
        "",
        "| rows | ours | MLPClassifier | ours x MLPClassifier | range |",
        "|---|---|---|---|---|",
    ]
    for rows, times in seconds.items():
        ratios = round_ratios(times, "ours", "MLPClassifier")
        lines.append(
            f"| {rows:,} | {median(times['ours']) * 1e6:,.0f} us "
            f"| {median(times['MLPClassifier']) * 1e6:,.0f} us "
            f"| {median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} |"
        )
    return lines


def report(results, args):
    command = " ".join(["python", "benchmarks/bench_training.py", *sys.argv[1:]])
    lines = [
        "## Training and prediction against MLPClassifier",
        "",
        f"Generated by `{command}` "
        f"({args.rounds} rounds; a ratio is to MLPClassifier's time or to the "
        "notebook loop's in the same round, its median over the rounds and "
        "their range follow the median time).",
        "",
    ]
    lines += [f"- {line}" for line in results["machine"]]
    lines.append("")
    for dtype, (per_epoch, accuracy, condition) in results["minibatch"].items():
        lines += [
            f"### Adam, Fashion-MNIST {args.n_train} x 784, {dtype}",
            "",
            f"784-{HIDDEN}-10 relu, batch {BATCH}, learning rate 1e-3, alpha 1e-4, "
            f"{args.epochs} epochs; time per epoch, test accuracy after them.",
            "",
            condition,
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
            "rounds). The floor (the products, the gathers of the shuffled "
            "minibatches and Adam's updates, each timed alone at the fit's own "
            f"thread setting): {floor_share:.0%} of our epoch.",
            "",
        ]
    lines += [
        "#" + line if line.startswith("## ") else line
        for line in full_batch_lines(
            results["full_batch"],
            results["digits"],
            args.iterations,
            results["conditions"]["full batch"],
        )
    ]
    peaks, sizes = results["memory"]
    lines += [
        "",
        "### Peak memory of one epoch's fit, Fashion-MNIST 60,000 x 784",
        "",
        "tracemalloc peak beyond the data, each fit in a fresh process: Adam "
        "784-128-10 on float32 (X: "
        f"{sizes['ours'] / 2**20:.0f} MiB), and our full-batch gd 784-100-10 "
        f"on float64 (X: {sizes['gd'] / 2**20:.0f} MiB).",
        "",
        "| | peak | x MLPClassifier | x X |",
        "|---|---|---|---|",
    ]
    for name, peak in peaks.items():
        versus = "-" if name == "gd" else f"{peak / peaks['MLPClassifier']:.2f}"
        lines.append(
            f"| {'ours, gd float64' if name == 'gd' else name} "
            f"| {peak / 2**20:.4g} MiB | {versus} | {peak / sizes[name]:.3f} |"
        )
    lines += [""]
    lines += [
        "#" + line if line.startswith("## ") else line
        for line in prediction_lines(
            results["prediction"], results["conditions"]["prediction"]
        )
    ]
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
    parser.add_argument("--memory-of", choices=["ours", "MLPClassifier", "gd"])
    parser.add_argument(
        "--only",
        choices=["full-batch", "prediction"],
        help="run only this part and print its table (writes nothing)",
    )
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
        if args.only:
            return print("\n".join(run_only(args)))
        results = run_all(args)
    text = report(results, args)
    print(text)
    if not args.quick:
        write_section(args.output, "bench_training", text)


def run_only(args):
    """The table of one part, as lines."""
    load_before = os.getloadavg()[0]
    if args.only == "prediction":
        seconds = bench_prediction_only(args)
        return prediction_lines(seconds, conditions(load_before))
    X, y, digits = load_digits_5k(args.digits, args.data)
    times = bench_full_batch(X, y, args.iterations, args.rounds)
    return full_batch_lines(times, digits, args.iterations, conditions(load_before))


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
        f"cores; `{command}`, {args.rounds} interleaved rounds, float64; "
        f"both at {blas_threads()} BLAS thread(s).",
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
    """Every part; each records the conditions (kernel, threads, load) it ran in."""
    results = {"machine": machine(), "minibatch": {}, "conditions": {}}
    for dtype in ("float32", "float64"):
        load_before = os.getloadavg()[0]
        per_epoch, accuracy, models, X_test = bench_minibatch(
            args.data, np.dtype(dtype), args.epochs, args.rounds, args.n_train
        )
        condition = conditions(load_before)
        results["minibatch"][dtype] = (per_epoch, accuracy, condition)
        if dtype == "float32":
            load_before = os.getloadavg()[0]
            results["prediction"] = bench_prediction(models, X_test, args.rounds)
            results["conditions"]["prediction"] = conditions(load_before)
    load_before = os.getloadavg()[0]
    X, y, results["digits"] = load_digits_5k(args.digits, args.data)
    results["full_batch"] = bench_full_batch(X, y, args.iterations, args.rounds)
    results["conditions"]["full batch"] = conditions(load_before)
    results["memory"] = bench_memory(args.data)
    return results


if __name__ == "__main__":
    main()
