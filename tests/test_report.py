"""The command line's report: ``train --report DIR`` writes ``DIR/index.html``.

The page is read back with the standard library's HTML parser (its sections,
its tables, the pictures it points at, no address on another host), then
opened in headless Chromium, which must load every picture.
"""

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import precision_recall_fscore_support

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn._cli import main
from sklearn_tinynn._report import N_UNITS, N_WORST, write_report
from sklearn_tinynn.datasets import FASHION_MNIST_CLASSES

pytest.importorskip("matplotlib")

SECTIONS = [
    "Data",
    "Parameters",
    "Training",
    "Test results",
    "Worst-classified test images",
    "Hidden units",
    "Machine",
]
PICTURES = ["loss_curve", "confusion_matrix", "misclassified", "hidden_units"]
CHROMIUM = "/usr/bin/chromium"


class Page(HTMLParser):
    """The parts of a page the tests look at: tags, attributes, texts by section."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.attributes, self.headings, self.images = [], [], [], []
        self.rows, self.sections = [], {}
        self._heading = self._row = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag == "h2":
            self._heading = ""
        elif tag == "img":
            self.images.append(dict(attrs))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self.headings.append(self._heading)
            self.sections[self._heading] = ""
            self._heading = None
        elif tag == "tr":
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data
        elif self.headings:
            self.sections[self.headings[-1]] += data
        if self._row:
            self._row[-1] += data


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900] / 16, y[:900], X[900:1300] / 16, y[900:1300]


@pytest.fixture(scope="module")
def early_stopped(digits):
    X, y, _, _ = digits
    clf = TwoLayerNNClassifier(
        40,
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=60,
        random_state=0,
    )
    return clf.fit(X, y)


@pytest.fixture(scope="module")
def report(early_stopped, digits, tmp_path_factory):
    """The report of the early-stopped model, with Fashion-MNIST's names."""
    _, _, X_test, y_test = digits
    directory = tmp_path_factory.mktemp("report")
    names = dict(enumerate(FASHION_MNIST_CLASSES))
    paths = write_report(
        early_stopped,
        X_test,
        y_test,
        directory,
        data_name="digits <small>",
        image_shape=(8, 8),
        class_names=names,
    )
    return directory, paths, Page((directory / "index.html").read_text())


def test_the_page_has_every_section_and_lists_its_files(report):
    directory, paths, page = report
    assert page.headings == SECTIONS
    assert paths == [directory / "index.html"] + [
        directory / f"{name}.png" for name in PICTURES
    ]
    assert [image["src"] for image in page.images] == [f"{n}.png" for n in PICTURES]
    assert all(image["alt"] for image in page.images)


def test_nothing_comes_from_another_host(report):
    directory, _, page = report
    text = (directory / "index.html").read_text()
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    addresses = [value for name, value in page.attributes if name in ("src", "href")]
    assert addresses
    for address in addresses:
        assert not re.match(r"[a-z][a-z0-9+.-]*:|//", address, re.I) or (
            address.startswith("data:")
        ), address
    assert "url(" not in text and "@import" not in text


def test_every_picture_is_a_png_file_beside_the_page(report):
    directory, _, page = report
    for image in page.images:
        path = (directory / image["src"]).resolve()
        assert path.parent == directory.resolve() and path.is_file(), image["src"]
        png = path.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = (int.from_bytes(png[i : i + 4], "big") for i in (16, 20))
        assert (image["width"], image["height"]) == (str(width), str(height))
        assert 300 < width <= 1200 and height > 200


def test_data_and_parameters(report, early_stopped):
    _, _, page = report
    data = page.sections["Data"]
    # The name is text, not markup: the parser sees it whole.
    assert "digits <small>" in data and "<small>" not in page.tags
    assert "400" in data and "8 \N{MULTIPLICATION SIGN} 8 pixels (64 features)" in data
    n_fit = early_stopped.t_ // early_stopped.n_iter_
    assert f"Training images per epoch{n_fit}" in data
    assert "Pullover" in data and "Ankle boot" in data
    rows = {row[0]: row[1] for row in page.rows if len(row) == 2}
    for name, value in early_stopped.get_params().items():
        assert rows[name] == repr(value)


def test_training_names_the_best_epoch(report, early_stopped):
    _, _, page = report
    best = int(np.argmax(early_stopped.validation_scores_)) + 1
    assert best < early_stopped.n_iter_  # it stopped after a wait
    training = page.sections["Training"]
    assert f"at epoch {best}" in training
    waited = early_stopped.n_iter_ - best
    assert f"It did not improve in the next {waited} epochs" in training
    assert f"the weights of epoch {best} are the model's" in training
    assert f"{early_stopped.best_validation_score_:.4f}" in training


def test_per_class_precision_and_recall(report, early_stopped, digits):
    _, _, page = report
    _, _, X_test, y_test = digits
    precision, recall, _, support = precision_recall_fscore_support(
        y_test, early_stopped.predict(X_test), zero_division=0
    )
    table = [row for row in page.rows if len(row) == 6]
    assert table[0] == ["Label", "Name", "Precision", "Recall", "F1", "Images"]
    assert [row[1] for row in table[1:]] == list(FASHION_MNIST_CLASSES)
    assert [row[2] for row in table[1:]] == [f"{p:.3f}" for p in precision]
    assert [row[3] for row in table[1:]] == [f"{r:.3f}" for r in recall]
    assert [row[5] for row in table[1:]] == [str(n) for n in support]


def test_worst_images_and_hidden_units_say_what_they_show(report, early_stopped):
    _, _, page = report
    assert f"(at most {N_WORST})" in page.sections["Worst-classified test images"]
    hidden = page.sections["Hidden units"]
    assert f"The {N_UNITS} most used of the 40 hidden units" in hidden
    assert "mean absolute activation times the norm of its outgoing weights" in hidden


def test_machine(report):
    _, _, page = report
    machine = page.sections["Machine"]
    assert re.search(r"Written\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", machine)
    assert "CPUs" in machine and "NumPy " + np.__version__ in machine
    assert "Training time" not in machine  # not given: no row
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        assert f"{pool['internal_api']}" in machine
        assert Path(pool["filepath"]).name in machine


def test_without_early_stopping_the_page_says_there_is_no_validation_curve(
    digits, tmp_path
):
    X, y, X_test, y_test = digits
    clf = TwoLayerNNClassifier(8, solver="lbfgs", max_iter=5, random_state=0)
    clf.fit(X, y)
    write_report(clf, X_test, y_test, tmp_path, data_name="digits", image_shape=(8, 8))
    page = Page((tmp_path / "index.html").read_text())
    assert page.headings == SECTIONS
    assert "there is no validation curve" in page.sections["Training"]
    assert "The 8 hidden units" not in page.sections["Hidden units"]
    assert "All of the 8 hidden units" in page.sections["Hidden units"]
    table = [row for row in page.rows if len(row) == 5]
    assert table[0] == ["Label", "Precision", "Recall", "F1", "Images"]
    assert [row[0] for row in table[1:]] == [str(label) for label in range(10)]


def test_the_command_line_writes_the_page(tmp_path, capsys):
    directory = tmp_path / "report"
    argv = ["train", "--train", "digits", "--hidden", "16", "--max-iter", "4"]
    argv += ["--early-stopping", "--progress", "none", "--report", str(directory)]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    assert f"report: {directory / 'index.html'}" in stdout
    page = Page((directory / "index.html").read_text())
    assert page.headings == SECTIONS
    assert "Data setdigits" in page.sections["Data"]
    # The command line times the fit and shows it beside the machine.
    assert re.search(r"Training time\d+\.\d s \(wall clock\)", page.sections["Machine"])
    assert "Training ran to max_iter = 4 epochs" in page.sections["Training"]


# ------------------------------------------------------------------- Chromium

# Appended to a copy of the page (the report itself has no script): after the
# load event, the size each picture was decoded at, and the page's width.
_PROBE = """<script>
window.addEventListener("load", () => {
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({
    images: [...document.images].map(image => ({
      src: image.getAttribute("src"), complete: image.complete,
      width: image.naturalWidth, height: image.naturalHeight})),
    scrollWidth: document.documentElement.scrollWidth,
  });
  document.body.append(pre);
});
</script>"""


@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"no headless browser at {CHROMIUM} (Debian: apt-get install chromium)",
)
def test_chromium_renders_the_page_with_every_picture(report, tmp_path):
    directory, _, page = report
    probe = directory / "probe.html"
    text = (directory / "index.html").read_text()
    probe.write_text(text.replace("</body>", _PROBE + "</body>"))
    try:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--window-size=1280,900",
                "--virtual-time-budget=10000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    seen = json.loads(html.unescape(found.group(1)))
    assert [image["src"] for image in seen["images"]] == [
        image["src"] for image in page.images
    ]
    for image, tag in zip(seen["images"], page.images):
        assert image["complete"], image
        assert (image["width"], image["height"]) == (
            int(tag["width"]),
            int(tag["height"]),
        ), image
    # Nothing wider than the window: no sideways scrolling.
    assert seen["scrollWidth"] <= 1280
