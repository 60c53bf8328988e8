"""Training on an accelerator: TwoLayerNNClassifier under Array API dispatch.

The targets of the array API issue, on one torch device (``--device cuda`` on a
GPU machine; ``cpu`` proves the script runs anywhere torch is installed):

* Fashion-MNIST 60k scaled to [0, 1], 784-128-10 relu, adam, batch 200,
  float32, a fixed number of epochs (tol=0): our epoch time on the device
  against a hand-written PyTorch loop of the same network, batch and Adam on
  the same device (autograd: it is the reference), and against
  MLPClassifier on the machine's CPUs;
* the same with batch 2,000, and full-batch gradient descent ('gd', learning
  rate 0.1) on the 60k rows: the epoch time and the fraction of it spent in
  the matrix products (the five products of a step timed alone on the device);
* test accuracy after the same epochs: ours on the device against ours on
  NumPy (the target: within 0.5 percentage points).

Every contender runs once per round, in turn, and the table reports medians
and ranges (``--rounds``); one untimed warm-up fit per device contender comes
first (CUDA's start-up). Prints the table; writes nothing.

Usage::

    python benchmarks/bench_gpu.py --device cuda           # the targets
    python benchmarks/bench_gpu.py --device cpu --quick    # a smoke run
"""

import os

# scikit-learn's array API dispatch needs this before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse
import warnings

import numpy as np
import sklearn
from bench_training import (
    FASHION,
    interleave,
    load_fashion,
    machine,
    torch_network,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import TwoLayerNNClassifier

HIDDEN = 128
ADAM = dict(solver="adam", learning_rate_init=1e-3, alpha=1e-4, tol=0.0)
GD = dict(solver="gd", learning_rate_init=0.1, alpha=1e-4, tol=0.0)


def synchronizer(torch, device):
    """A function that waits for the device's queued work (timing needs it)."""
    if device.type == "cuda":
        return torch.cuda.synchronize
    if device.type == "mps":
        return torch.mps.synchronize
    return lambda: None


def ours(X, y, params, epochs, sync):
    """Our fit of ``epochs`` epochs on X's library and device."""
    model = TwoLayerNNClassifier(HIDDEN, max_iter=epochs, random_state=0, **params)

    def fit():
        with sklearn.config_context(array_api_dispatch=True):
            model.fit(X, y)
        sync()

    return model, fit


def torch_loop(torch, X, y, batch_size, epochs, sync):
    """The same network, loss and Adam written in PyTorch with autograd."""
    model, optimizer, loss_function = torch_network(
        torch, X.shape[1], X.dtype, X.device, batch_size
    )

    def fit():
        for _ in range(epochs):
            order = torch.randperm(len(X), device=X.device)
            for batch in order.split(batch_size):
                optimizer.zero_grad()
                loss = loss_function(model(X[batch]), y[batch])
                loss.backward()
                optimizer.step()
        sync()

    return fit


def products(torch, X, batch_size, sync):
    """One epoch of the five matrix products of training steps, alone.

    X W1, A1 W2 (forward), A1^T dZ2, dZ2 W2^T, X^T dZ1 (backward), with
    operands of the right shapes and dtype on X's device.
    """
    make = dict(device=X.device, dtype=X.dtype)
    W1 = torch.rand(X.shape[1], HIDDEN, **make)
    W2 = torch.rand(HIDDEN, 10, **make)

    def run():
        for start in range(0, len(X), batch_size):
            X_batch = X[start : start + batch_size]
            A1 = X_batch @ W1
            dZ2 = A1 @ W2
            A1.T @ dZ2
            dZ1 = dZ2 @ W2.T
            X_batch.T @ dZ1
        sync()

    return run


def mlp(X, y, batch_size, epochs):
    model = MLPClassifier(
        (HIDDEN,), max_iter=epochs, batch_size=batch_size, random_state=0, **ADAM
    )
    return lambda: model.fit(X, y)


def accuracy(model, X, y):
    return float((np.asarray(model.predict(X)) == y).mean())


def bench(torch, device, data, args):
    X, y, X_test, y_test = data
    sync = synchronizer(torch, device)
    X_dev = torch.asarray(X, device=device)
    y_dev = torch.asarray(y, device=device)
    X_test_dev = torch.asarray(X_test, device=device)
    epochs = args.epochs
    rows = []
    for label, params, batch in (
        ("adam, batch 200", dict(ADAM, batch_size=200), 200),
        ("adam, batch 2,000", dict(ADAM, batch_size=2000), 2000),
        ("gd, full batch", GD, len(X)),
    ):
        steps = epochs if params["solver"] != "gd" else args.gd_steps
        model, fit = ours(X_dev, y, params, steps, sync)
        numpy_model, numpy_fit = ours(X, y, params, steps, lambda: None)
        contenders = {
            f"ours, torch {device}": fit,
            f"products alone, torch {device}": products(torch, X_dev, batch, sync),
            "ours, NumPy (CPUs)": numpy_fit,
        }
        if params["solver"] == "adam" and batch == 200:
            contenders[f"PyTorch loop, {device}"] = torch_loop(
                torch, X_dev, y_dev, batch, epochs, sync
            )
            contenders["MLPClassifier (CPUs)"] = mlp(X, y, batch, epochs)
        ours(X_dev[:2000], y[:2000], params, 1, sync)[1]()  # warm-up
        times = interleave(contenders, args.rounds)
        per_epoch = {
            name: np.array(t) / (1 if name.startswith("products") else steps)
            for name, t in times.items()
        }
        with sklearn.config_context(array_api_dispatch=True):
            device_accuracy = accuracy(model, X_test_dev, y_test)
        rows.append(
            (
                label,
                steps,
                per_epoch,
                device_accuracy,
                accuracy(numpy_model, X_test, y_test),
            )
        )
    return rows


def report(rows, device_name, args):
    print(f"device: {device_name}; {args.n_train} training rows, float32")
    for line in machine():
        print(line)
    print(f"load average before: {os.getloadavg()}")
    for label, steps, per_epoch, device_acc, numpy_acc in rows:
        ours_name = next(n for n in per_epoch if n.startswith("ours, torch"))
        ours_time = np.median(per_epoch[ours_name])
        print(f"\n{label} ({steps} epochs, {args.rounds} rounds)")
        print("| contender | s / epoch (median) | range | ours / contender |")
        print("|---|---|---|---|")
        for name, values in per_epoch.items():
            print(
                f"| {name} | {np.median(values):.4f} | {values.min():.4f}-"
                f"{values.max():.4f} | {ours_time / np.median(values):.2f} |"
            )
        products_name = next(n for n in per_epoch if n.startswith("products"))
        fraction = np.median(per_epoch[products_name]) / ours_time
        print(f"fraction of our epoch in the products: {fraction:.0%}")
        print(
            f"test accuracy: ours on the device {device_acc:.4f}, ours on NumPy "
            f"{numpy_acc:.4f} (difference {100 * (device_acc - numpy_acc):+.2f} pp)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--device", default="cuda", help="a torch device (cuda, mps, cpu)"
    )
    parser.add_argument("--data", default=FASHION, help="Fashion-MNIST IDX directory")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--gd-steps", type=int, default=20, help="full-batch steps")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 6,000 rows, 1 epoch, 2 gd steps, 2 rounds",
    )
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.epochs, args.gd_steps, args.rounds = 6000, 1, 2, 2
    import torch

    device = torch.device(args.device)
    X, y, X_test, y_test = load_fashion(args.data, np.float32)
    data = X[: args.n_train], y[: args.n_train], X_test, y_test
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else args.device
    warnings.simplefilter("ignore", ConvergenceWarning)
    report(bench(torch, device, data, args), name, args)


if __name__ == "__main__":
    main()
