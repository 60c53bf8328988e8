"""Test accuracy of ``train --preset accurate`` against MLPClassifier at the
same time budget, on Fashion-MNIST and on the bundled MNIST sample.

For each data set (pixels scaled to [0, 1], float32):

* Fashion-MNIST: the 60,000 training images (the Debian package
  ``dataset-fashion-mnist``), tested on its 10,000 test images;
* the MNIST sample bundled with the package: 4,000 digits to train, its
  1,000 test digits, the split of ``train --train mnist-sample``;

the accurate preset is fitted exactly as ``train --preset accurate`` builds it
(``random_state=0``, with the epochs train gives it for the data set's size,
see ``_cli.preset_epochs``), and its fit time becomes the budget of scikit-learn's
MLPClassifier: each MLPClassifier configuration below is timed for one epoch,
then fitted with ``max_iter`` the number of whole epochs that fit in the
budget (at most 200) and early stopping, so that its fit takes about as long.
The table gives the test accuracy, the fit time and the epochs of each, and
the header the machine, its load, the BLAS and the date: timings on a shared
machine are rough, accuracies are not.

Usage::

    python benchmarks/bench_accuracy.py            # both data sets
    python benchmarks/bench_accuracy.py --quick    # the MNIST sample only
"""

import argparse
import datetime
import os
import time
import warnings
from types import SimpleNamespace

import numpy as np
from bench_training import machine
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sklearn_tinynn import datasets
from sklearn_tinynn._cli import PRESETS, build_model, preset_epochs

DTYPE = np.float32
# MLPClassifier's configurations: its defaults (with early stopping), and the
# best of today's options found by hand for one wide hidden layer.
MLP_CONFIGS = {
    "MLPClassifier 100 units": dict(hidden_layer_sizes=(100,)),
    "MLPClassifier 1024 units, alpha 1e-3, batch 256": dict(
        hidden_layer_sizes=(1024,), alpha=1e-3, batch_size=256
    ),
}


def load(name):
    """Training and test images scaled to [0, 1] in DTYPE, and their labels."""
    loader = {
        "Fashion-MNIST": datasets.load_fashion_mnist,
        "MNIST sample": datasets.load_mnist_sample,
    }[name]
    train, test = loader(subset="train"), loader(subset="test")
    return (
        train.data.astype(DTYPE) / DTYPE(255),
        train.target,
        test.data.astype(DTYPE) / DTYPE(255),
        test.target,
    )


def timed_fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def preset_model(n_samples):
    """The classifier of ``train --preset accurate`` (random_state 0) for
    ``n_samples`` training images, with the epochs train gives it."""
    args = SimpleNamespace(preset="accurate", random_state=0)
    model = build_model(args)
    preset_epochs(model, n_samples, args)
    return model


def mlp_within(params, budget, X, y):
    """MLPClassifier with early stopping and as many epochs as fit in ``budget``
    seconds (its epoch timed on one, at most 200), fitted; and its fit time."""
    common = dict(early_stopping=True, random_state=0, **params)
    epoch = timed_fit(MLPClassifier(max_iter=1, **common), X, y)
    model = MLPClassifier(max_iter=int(min(200, max(1, budget // epoch))), **common)
    return model, timed_fit(model, X, y)


def bench(name):
    X, y, X_test, y_test = load(name)
    rows = []
    model = preset_model(len(y))
    budget = timed_fit(model, X, y)
    rows.append((name, "preset accurate", model.score(X_test, y_test), budget, model))
    for label, params in MLP_CONFIGS.items():
        mlp, seconds = mlp_within(params, budget, X, y)
        rows.append((name, label, mlp.score(X_test, y_test), seconds, mlp))
    return rows


def header():
    load1, load5, load15 = os.getloadavg()
    now = datetime.datetime.now(datetime.timezone.utc)
    return [
        f"date: {now:%Y-%m-%d %H:%M} UTC",
        *machine(),
        f"load average (1, 5, 15 min) at the start: {load1:.2f}, {load5:.2f}, "
        f"{load15:.2f}",
        f"dtype: {np.dtype(DTYPE).name}; accurate preset: {PRESETS['accurate']}",
    ]


def table(rows):
    lines = [
        "| data set | model | test accuracy | fit time (s) | epochs |",
        "|---|---|---|---|---|",
    ]
    for name, label, accuracy, seconds, model in rows:
        lines.append(
            f"| {name} | {label} | {accuracy:.4f} | {seconds:.0f} | {model.n_iter_} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="the MNIST sample only (a few minutes)"
    )
    args = parser.parse_args(argv)
    print("\n".join(header()), flush=True)
    names = ["MNIST sample"] if args.quick else ["MNIST sample", "Fashion-MNIST"]
    rows = []
    for name in names:
        rows += bench(name)
        print("\n".join(table(rows[-1 - len(MLP_CONFIGS) :])), flush=True)
    print()
    print("\n".join(table(rows)))
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
