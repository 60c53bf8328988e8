"""Every example runs as a script (a subprocess, the Agg backend), in full as
the published gallery runs it, and what its text says about the results holds.

BLAS runs on one thread: on a machine busy with other work, two BLAS threads
that wait for each other make these small products many times slower.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def numbers(pattern, stdout):
    """``{name: value}`` from every match of ``pattern`` (groups: name, value)."""
    return {name: float(value) for name, value in re.findall(pattern, stdout)}


def solvers_rank_as_the_text_says(stdout):
    loss = numbers(r"(\w+): n_iter_=\s*\d+, final training loss ([\d.]+)", stdout)
    accuracy = numbers(r"(\w+): n_iter_=.*test accuracy ([\d.]+)", stdout)
    # "about six times for SGD, over forty times for Adam"; "the lowest
    # training loss of all".
    assert 5.5 <= loss["gd"] / loss["sgd"] < 6.5
    assert loss["gd"] / loss["adam"] > 40
    assert min(loss, key=loss.get) == "lbfgs"
    # "within a few points of each other"
    assert max(accuracy.values()) - min(accuracy.values()) < 0.05


def grid_matches_its_heat_map(stdout):
    rows = {
        alpha: [float(score) for score in scores.split()]
        for alpha, scores in re.findall(r"alpha=(\S+)\s+([\d. ]+)\n", stdout)
    }
    assert list(rows) == ["0.01", "1", "100"]
    for row in rows.values():  # two hidden units underfit whatever the penalty
        assert row[0] == min(row) and row[0] < 0.8
    # From 8 units on, alpha=100 underfits every width.
    for column in list(zip(*rows.values()))[1:]:
        assert column[-1] == min(column)
    assert max(rows["100"]) < 0.85
    assert "Best parameters: {'clf__alpha': 1.0" in stdout


def penalty_smooths_the_hidden_units(stdout):
    roughness = numbers(r"alpha=(\d): .*roughness ([\d.]+)", stdout)
    accuracy = numbers(r"alpha=(\d): test accuracy ([\d.]+)", stdout)
    assert roughness["5"] < 0.75 * roughness["0"]  # "nearly twice as large"
    assert accuracy["5"] < accuracy["0"]  # "the smooth pictures cost accuracy"
    # "(0.895 against 0.918 on the held-out digits)"
    assert (accuracy["5"], accuracy["0"]) == (0.895, 0.918)


def notebook_page_quotes_the_example(stdout):
    accuracy = numbers(r"(notebook|Adam)\b.*?: test accuracy ([\d.]+)", stdout)
    assert accuracy["Adam"] > accuracy["notebook"]
    page = (ROOT / "docs" / "notebook.rst").read_text()
    quoted = re.findall(r"^     - (0\.\d{3})$", page, re.MULTILINE)
    assert quoted == [f"{accuracy['notebook']:.3f}", f"{accuracy['Adam']:.3f}"]


def both_libraries_learn_alike(stdout):
    accuracy = {
        (name, solver): float(value)
        for name, solver, value in re.findall(
            r"(\w+Classifier)\s+(\w+): test accuracy ([\d.]+)", stdout
        )
    }
    for solver in ("adam", "sgd", "lbfgs"):  # "at most a few of the 450"
        ours = accuracy["TwoLayerNNClassifier", solver]
        assert abs(ours - accuracy["MLPClassifier", solver]) <= 0.01
    # "After 20 epochs of Adam the training losses differ by less than 0.01"
    loss = numbers(
        r"(\w+Classifier) adam: training loss after 20 epochs ([\d.]+)", stdout
    )
    assert abs(loss["TwoLayerNNClassifier"] - loss["MLPClassifier"]) < 0.01


def early_stopping_keeps_the_best_epoch(stdout):
    ((n_iter, max_iter),) = re.findall(
        r"stopped after (\d+) epochs of at most (\d+)", stdout
    )
    (best,) = re.findall(r"at epoch (\d+): the weights kept", stdout)
    ((lowest, lowest_epoch, last),) = re.findall(
        r"lowest ([\d.]+) at epoch (\d+), ([\d.]+) at the end", stdout
    )
    assert int(n_iter) < int(max_iter)
    # More than n_iter_no_change=10 epochs without improvement, then stop.
    assert int(n_iter) == int(best) + 11
    # The loss turns upward before the accuracy stops improving.
    assert int(lowest_epoch) <= int(best) and float(last) > float(lowest)


def dropout_keeps_the_validation_loss_lower(stdout):
    rows = re.findall(
        r"^dropout=([\d.]+)(?:, input_dropout=([\d.]+))?: final training loss "
        r"([\d.]+), validation loss lowest ([\d.]+) \(epoch (\d+)\), final ([\d.]+)",
        stdout,
        re.MULTILINE,
    )
    assert [row[:2] for row in rows] == [("0.0", ""), ("0.5", ""), ("0.5", "0.2")]
    (train0, low0, at0, end0), (train5, low5, at5, end5), (train2, low2, at2, end2) = [
        tuple(map(float, row[2:])) for row in rows
    ]
    assert end0 > low0  # without dropout the validation loss rises again
    assert low5 < low0 and end5 < end0 and end5 > low5
    assert train5 > train0 and end5 / train5 < end0 / train0
    # Input dropout besides: the thinned networks' training loss stays above
    # the whole network's validation loss, which falls for longer, to its
    # lowest point in the last third, below both others' lowest, and ends lowest.
    assert train2 > end2
    assert at2 > max(at0, at5) and at2 > 200  # in the last third of 300 epochs
    assert low2 < min(low0, low5) and end2 < min(end0, end5)


def balanced_weights_help_the_rare_digits(stdout):
    results = {
        name: (float(balanced), float(eight), float(nine))
        for name, balanced, eight, nine in re.findall(
            r"^(.+): balanced accuracy ([\d.]+), recall of 8 and 9 ([\d.]+) and "
            r"([\d.]+)$",
            stdout,
            re.MULTILINE,
        )
    }
    mlp = results["MLPClassifier"]
    ours = results["TwoLayerNNClassifier"]
    weighted = results['TwoLayerNNClassifier class_weight="balanced"']
    assert abs(ours[0] - mlp[0]) <= 0.02
    assert weighted[0] > max(ours[0], mlp[0])
    assert weighted[1] > ours[1] and weighted[2] > ours[2]


def streaming_matches_in_memory(stdout):
    (streamed,) = re.findall(
        r"streamed in chunks of \d+: test accuracy ([\d.]+)", stdout
    )
    (in_memory,) = re.findall(r"in memory: test accuracy ([\d.]+)", stdout)
    assert abs(float(streamed) - float(in_memory)) <= 0.02
    assert float(streamed) > 0.85


def onnx_agrees_with_predict(stdout):
    assert "float32: " in stdout and "float64: " in stdout
    assert stdout.count("labels equal to predict's: 100%") == 2
    # "float32's differences (below 1e-5) and float64's (below 1e-12)", as the ONNX page
    largest = numbers(r"(float\d\d): .*largest probability difference: (\S+)", stdout)
    assert largest["float32"] < 1e-5 and largest["float64"] < 1e-12


def temperature_scaling_lowers_the_log_loss(stdout):
    if "has no temperature scaling" in stdout:  # scikit-learn < 1.8
        assert "after temperature scaling" not in stdout
        return
    # "overconfident": the fitted temperature softens (T > 1); the argmax and
    # so the accuracy stay, the test log loss falls.
    (temperature,) = re.findall(r"fitted temperature T = ([\d.]+)", stdout)
    assert float(temperature) > 1
    loss = numbers(
        r"(before|after temperature scaling): test log loss ([\d.]+)", stdout
    )
    accuracy = numbers(
        r"(before|after temperature scaling): .*accuracy ([\d.]+)", stdout
    )
    assert loss["after temperature scaling"] < loss["before"]
    assert accuracy["after temperature scaling"] == accuracy["before"]


def loss_and_accuracy_stop_where_the_text_says(stdout):
    (agree,) = re.findall(r"agree over their first \d+ epochs: (\w+)", stdout)
    assert agree == "True"  # "the two fits follow one path"
    best = numbers(r"scoring on the (\w+): .* best epoch (\d+)", stdout)
    (least,) = re.findall(r"least validation loss at epoch (\d+)", stdout)
    assert best["loss"] == float(least)
    # "stops improving earlier here"; "close on the test digits".
    assert best["accuracy"] < best["loss"]
    accuracy = numbers(r"scoring on the (\w+): .*test accuracy ([\d.]+)", stdout)
    log_loss = numbers(r"scoring on the (\w+): .*test log loss ([\d.]+)", stdout)
    assert abs(accuracy["accuracy"] - accuracy["loss"]) <= 0.01
    assert abs(log_loss["accuracy"] - log_loss["loss"]) <= 0.02


def he_starts_faster_and_derivatives_match(stdout):
    gaps = numbers(r"(\w+): largest \|f'\(z\) - finite difference\| (\S+)", stdout)
    assert len(gaps) == 7 and max(gaps.values()) < 1e-8
    early = {
        (activation, init): (float(five), float(last))
        for activation, init, five, last in re.findall(
            r"(\w+) +(glorot|he): training loss after 5 epochs ([\d.]+), after 40 "
            r"([\d.]+)",
            stdout,
        )
    }
    assert len(early) == 8
    for activation in ["relu", "leaky_relu", "gelu", "silu"]:
        glorot, he = early[activation, "glorot"], early[activation, "he"]
        assert he[0] < glorot[0]  # "starts faster"
        assert abs(he[1] - glorot[1]) < 0.01  # "nearly met"


def resumed_fit_is_the_uninterrupted_one(stdout):
    assert "the checkpoint has run 20 of 40 epochs" in stdout
    assert "n_iter_: 40 resumed, 40 uninterrupted" in stdout
    assert "loss curves identical: True" in stdout
    assert "weights identical: True" in stdout
    # "the grey line marks the epoch of best.skops", before the crash.
    (best,) = re.findall(r"best.skops: epoch (\d+),", stdout)
    assert int(best) < 20


def cosine_ends_lowest_and_the_finder_suggests_a_rate(stdout):
    (suggestion,) = re.findall(r"suggested learning_rate_init: (\S+)", stdout)
    assert 1e-3 < float(suggestion) < 0.1
    loss = numbers(r"([\w +-]+): 40 epochs, final training loss ([\d.]+)", stdout)
    accuracy = numbers(r"([\w +-]+): 40 epochs, .*test accuracy ([\d.]+)", stdout)
    # "the cosine schedule ends with the lowest training loss, 'plateau' ...
    # between the two"; "test accuracies within two points of each other".
    assert loss["cosine + warm-up"] < loss["plateau"] < loss["constant"]
    assert max(accuracy.values()) - min(accuracy.values()) < 0.02


CLAIMS = {
    "plot_checkpoints.py": resumed_fit_is_the_uninterrupted_one,
    "plot_activations.py": he_starts_faster_and_derivatives_match,
    "plot_class_weight.py": balanced_weights_help_the_rare_digits,
    "plot_compare_solvers.py": solvers_rank_as_the_text_says,
    "plot_dropout.py": dropout_keeps_the_validation_loss_lower,
    "plot_early_stopping.py": early_stopping_keeps_the_best_epoch,
    "plot_grid_search.py": grid_matches_its_heat_map,
    "plot_hidden_units.py": penalty_smooths_the_hidden_units,
    "plot_lr_schedules.py": cosine_ends_lowest_and_the_finder_suggests_a_rate,
    "plot_notebook_reproduced.py": notebook_page_quotes_the_example,
    "plot_partial_fit_streaming.py": streaming_matches_in_memory,
    "plot_temperature_calibration.py": temperature_scaling_lowers_the_log_loss,
    "plot_validation_set.py": loss_and_accuracy_stop_where_the_text_says,
    "plot_onnx_export.py": onnx_agrees_with_predict,
    "plot_vs_mlpclassifier.py": both_libraries_learn_alike,
}
# Examples that need an optional dependency, skipped without it.
REQUIRES = {"plot_onnx_export.py": "skl2onnx"}


def test_every_example_is_listed():
    assert sorted(path.name for path in EXAMPLES.glob("plot_*.py")) == sorted(CLAIMS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_example_runs_and_its_claims_hold(name, tmp_path):
    if name in REQUIRES:
        pytest.importorskip(REQUIRES[name])
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env.pop("SKLEARN_TINYNN_MNIST", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    CLAIMS[name](result.stdout)
