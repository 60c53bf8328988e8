"""The documentation: its sources, and the site once built.

Checks of what a Sphinx build would not catch: links from the README into the
sources, the Performance page's fallback for a missing benchmark table, that
every Python snippet of the pages runs and prints what the page shows, and that
the figures the pages quote are the ones the code computes. The tests named
``test_built_*`` check the built site (.ci/run builds it, then runs them): it
loads nothing from the network, and its equations fit a 1,280-pixel window.
"""

import doctest
import html
import json
import os
import platform
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy
from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_readme_links_to_existing_files():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(((?!https?://)[^)#]+)\)", readme)
    assert any(target.startswith("docs/") for target in targets)
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert missing == []


@pytest.fixture(scope="module")
def conf():
    return runpy.run_path(str(DOCS / "conf.py"))


def test_performance_page_includes_the_benchmarks(conf):
    # The fallback replaces this exact block: it must be the page's.
    assert conf["BENCHMARKS_INCLUDE"] in (DOCS / "performance.md").read_text()


def test_missing_benchmarks_leave_a_note(conf, monkeypatch, tmp_path):
    monkeypatch.setitem(conf["include_benchmarks"].__globals__, "DOCS", tmp_path)
    source = [(DOCS / "performance.md").read_text()]
    conf["include_benchmarks"](None, "performance", source)
    assert conf["BENCHMARKS_INCLUDE"] not in source[0]
    assert conf["BENCHMARKS_MISSING"] in source[0]


@pytest.mark.parametrize(
    "domain, reftype, target, url",
    [
        (
            "py",
            "class",
            "sklearn.neural_network.MLPClassifier",
            "https://scikit-learn.org/stable/modules/generated/"
            "sklearn.neural_network.MLPClassifier.html",
        ),
        (
            "py",
            "func",
            "scipy.optimize.minimize",
            "https://docs.scipy.org/doc/scipy/reference/generated/"
            "scipy.optimize.minimize.html",
        ),
        (
            "std",
            "term",
            "meta-estimator",
            "https://scikit-learn.org/stable/glossary.html#term-meta-estimator",
        ),
        ("py", "class", "sklearn_tinynn.TwoLayerNNClassifier", None),
        ("std", "ref", "no_such_label", None),
    ],
)
def test_offline_links_to_other_projects(conf, domain, reftype, target, url):
    assert conf["_external_url"](domain, reftype, target) == url


# -- Every Python snippet of the pages runs -----------------------------------
#
# A page's ``python`` blocks run in order in one namespace, as a reader would
# paste them; its ``pycon`` blocks (``>>>`` prompts) run as doctests in the same
# namespace, so the outputs they show are checked. A block that cannot run here
# (a cluster, a file the reader has) is preceded by the comment
# ``.. not run: REASON`` (``<!-- not run: REASON -->`` in Markdown).

PAGES = sorted(
    [ROOT / "README.md", *DOCS.rglob("*.rst"), *DOCS.glob("*.md")],
    key=lambda path: str(path),
)
PAGES = [
    path
    for path in PAGES
    if path.name != "benchmarks.md"
    and "_build" not in path.parts
    and "auto_examples" not in path.parts
    and "generated" not in path.parts
]
RST_BLOCK = re.compile(
    r"(?P<skip>^\.\. not run: .+\n\n)?"
    r"^\.\. code-block:: (?P<lang>python|pycon)\n(?:   :.*\n)*\n"
    r"(?P<body>(?:(?:   .*)?\n)+)",
    re.MULTILINE,
)
MD_BLOCK = re.compile(
    r"(?P<skip>^<!-- not run: .+ -->\n)?"
    r"^```(?P<lang>python|pycon)\n(?P<body>(?:.*\n)*?)```$",
    re.MULTILINE,
)


def snippets(page):
    """The page's Python blocks: ``(language, source, skipped)`` in page order."""
    pattern = MD_BLOCK if page.suffix == ".md" else RST_BLOCK
    blocks = []
    for match in pattern.finditer(page.read_text()):
        body = match["body"]
        if page.suffix != ".md":
            body = textwrap.dedent(body)
        blocks.append((match["lang"], body, match["skip"] is not None))
    return blocks


def run_snippets(blocks, name):
    """Run ``blocks`` in one namespace; return the number of doctest failures."""
    namespace = {"__name__": "__snippet__"}
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    for number, (lang, source, skipped) in enumerate(blocks, start=1):
        if skipped:
            continue
        where = f"{name}, block {number}"
        if lang == "python":
            exec(compile(source, where, "exec"), namespace)
        else:
            test = parser.get_doctest(source, namespace, where, name, 0)
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest ran in a copy
    return runner.summarize(verbose=False).failed


def test_every_page_with_snippets_is_collected():
    with_code = [
        page.relative_to(ROOT).as_posix()
        for page in PAGES
        if re.search(
            r"code-block:: (python|pycon)|^```(python|pycon)", page.read_text(), re.M
        )
    ]
    collected = [page.relative_to(ROOT).as_posix() for page in PAGES if snippets(page)]
    assert collected == with_code


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if snippets(page)],
    ids=lambda page: page.relative_to(ROOT).as_posix(),
)
def test_snippets_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # A page's fits converge, or the page says why they do not and catches the
    # warning: a reader who pastes the snippet sees no unexplained warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert run_snippets(snippets(page), page.relative_to(ROOT).as_posix()) == 0


# -- The figures the pages quote ------------------------------------------------
#
# Each figure a page quotes in its prose (outside the snippets above) is
# computed here, formatted to the digits the page shows, and looked up in the
# page's text: a change of the code that moves a figure fails here until the
# page says the new one. Figures that take minutes (timings, Fashion-MNIST) are
# marked in the page with the machine and the date they were measured on.


def says(page, text):
    """Whether ``page`` (a path under the repository) contains ``text``.

    Whitespace is normalized, so that a quote may be wrapped anywhere.
    """
    source = " ".join((ROOT / page).read_text().split())
    return " ".join(text.split()) in source


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def test_readme_cross_validation_figures():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    from sklearn_tinynn import TwoLayerNNClassifier

    X, y = load_digits(return_X_y=True)
    model = make_pipeline(
        MinMaxScaler(), TwoLayerNNClassifier(max_iter=400, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = cross_validate(model, X, y, cv=5, return_estimator=True)
    printed = f"prints {result['test_score'].mean():.2f}"
    assert says("README.md", printed) and says("docs/index.rst", printed)
    epochs = [pipeline[-1].n_iter_ for pipeline in result["estimator"]]
    assert says("README.md", f"they need {min(epochs)} to {max(epochs)} epochs")
    # "With the default of 200 ... each of the five warns"
    assert min(epochs) > 200


def test_too_small_a_plain_validation_split_names_validation_fraction():
    # migrating.rst and early_stopping.rst: without stratification (a class of
    # one sample), one held-out sample is our error, which names the setting.
    from sklearn_tinynn import TwoLayerNNClassifier

    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0] * 10 + [1] * 9 + [2])
    clf = TwoLayerNNClassifier(early_stopping=True, validation_fraction=0.05)
    message = "The validation set has 1 sample(s) with validation_fraction="
    with pytest.raises(ValueError, match=re.escape(message + "0.05")):
        clf.fit(X, y)
    assert says("docs/migrating.rst", f'"{message}..."')


def mnist_sample():
    from sklearn_tinynn.datasets import load_mnist_sample

    X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
    X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
    return X_train / 255, y_train, X_test / 255, y_test


def test_onnx_float32_bound_on_a_784_128_10_network():
    pytest.importorskip("skl2onnx")
    import onnxruntime as ort

    from sklearn_tinynn import TwoLayerNNClassifier
    from sklearn_tinynn.onnx import to_onnx

    X_train, y_train, X_test, _ = mnist_sample()
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    clf = fit_quietly(
        TwoLayerNNClassifier(128, max_iter=30, random_state=0), X_train, y_train
    )
    session = ort.InferenceSession(
        to_onnx(clf, X_train[:1]).SerializeToString(),
        providers=["CPUExecutionProvider"],
    )
    labels, probabilities = session.run(None, {"X": X_test})
    assert (labels == clf.predict(X_test)).all()
    assert np.abs(probabilities - clf.predict_proba(X_test)).max() <= 1e-5
    assert says("docs/onnx.rst", "probabilities equal ``predict_proba``'s to within")
    assert says("docs/onnx.rst", "1e-5 in float32 and 1e-12 in float64")


def test_troubleshooting_strong_penalty_figure():
    from sklearn_tinynn import TwoLayerNNClassifier

    X_train, y_train, X_test, y_test = mnist_sample()
    # The page's scaled SGD fit, with the penalty that pulls every weight to 0.
    clf = TwoLayerNNClassifier(
        solver="sgd", learning_rate_init=0.1, max_iter=10, alpha=100, random_state=0
    )
    score = fit_quietly(clf, X_train, y_train).score(X_test, y_test)
    assert says("docs/troubleshooting.rst", f"``alpha=100`` here leaves {score:.2f}")


# The kernels of docs/practical.rst's figures, the same on every x86-64
# machine with AVX2: OpenBLAS's Haswell kernels on one thread, and NumPy's
# loops without AVX-512 (a machine without it ignores the setting).
PINNED_KERNELS = {
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512_SKX AVX512_CLX AVX512_CNL "
    "AVX512_ICL AVX512_SPR",
}


def practical_figures():
    """The test accuracies, epochs and losses that practical.rst quotes."""
    from sklearn_tinynn import TwoLayerNNClassifier

    X_train, y_train, X_test, y_test = mnist_sample()

    def fit(**params):
        params = {"hidden_layer_size": 64, "random_state": 0, **params}
        clf = fit_quietly(TwoLayerNNClassifier(**params), X_train, y_train)
        return clf, clf.score(X_test, y_test)

    accuracy = {h: fit(hidden_layer_size=h, max_iter=50)[1] for h in (16, 64, 256)}
    yield (
        f"16 hidden units reach {accuracy[16]:.3f}, 64 reach {accuracy[64]:.3f}, "
        f"256 reach {accuracy[256]:.3f}"
    )
    alphas = [
        fit(solver="lbfgs", alpha=a, max_iter=200)[1] for a in (1e-4, 1e-2, 1, 10)
    ]
    yield "alpha = 1e-4, 1e-2, 1 and 10 give {:.3f}, {:.3f}, {:.3f} and {:.3f}".format(
        *alphas
    )
    rates = {
        "adam": ([1e-4, 1e-3, 1e-2, 1e-1], 50),
        "sgd": ([1e-3, 1e-2, 1e-1, 0.5], 50),
        "gd": ([0.1, 0.5, 2.0], 500),
    }
    for solver, (values, max_iter) in rates.items():
        fits = [
            fit(solver=solver, learning_rate_init=rate, max_iter=max_iter)
            for rate in values
        ]
        # The table's rows: epochs, training loss, test accuracy.
        yield " / ".join(str(clf.n_iter_) for clf, _ in fits)
        yield " / ".join(f"{clf.loss_:.3f}" for clf, _ in fits)
        yield " / ".join(f"{score:.3f}" for _, score in fits)
    diverged, score = fits[-1]  # 'gd' at 2.0
    yield f"the loss stalls at {diverged.loss_:.2f}"
    yield f"the accuracy at {score:.2f}"
    seeds = [fit(max_iter=50, random_state=seed)[1] for seed in range(5)]
    yield (
        "Five seeds of the same Adam fit (64 units, 50 epochs) give test "
        f"accuracies from {min(seeds):.3f} to {max(seeds):.3f}"
    )


@pytest.mark.slow
@pytest.mark.skipif(
    tuple(map(int, scipy.__version__.split(".")[:2])) < (1, 15),
    reason="the page's 'lbfgs' figures are recent SciPy's; older ones round otherwise",
)
@pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64"),
    reason="the page's figures are those of x86-64's AVX2 kernels",
)
def test_practical_use_figures():
    # About twenty fits of the MNIST sample, a few seconds each, with BLAS on
    # one thread and the kernels the page names (PINNED_KERNELS): the 200
    # iterations of 'lbfgs', and Adam at 0.1, carry the rounding of another
    # summation order (another thread count, AVX-512's kernels) into the
    # third digit. A fresh process, for the kernels to be chosen at import.
    code = (
        "import json, test_docs; print(json.dumps(list(test_docs.practical_figures())))"
    )
    env = {
        **os.environ,
        **PINNED_KERNELS,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "tests"), str(ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    quotes = json.loads(result.stdout.splitlines()[-1])
    missing = [quote for quote in quotes if not says("docs/practical.rst", quote)]
    assert missing == []


# -- The built site works offline ---------------------------------------------

HTML = DOCS / "_build" / "html"
# A script, style sheet, image or frame that the browser would fetch from
# another host: an absolute URL (http://, https://, or protocol-relative //).
EXTERNAL_ASSET = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=[\"'](?:https?:)?//[^\"']*",
    re.IGNORECASE,
)


def require_built_site():
    """Skip without a built site, or fail where .ci/run built one.

    .ci/run builds the site and then runs the tests of the built site with
    SKLEARN_TINYNN_DOCS_BUILT=1, so that a missing build fails there.
    """
    if not (HTML / "index.html").is_file():
        if os.environ.get("SKLEARN_TINYNN_DOCS_BUILT") == "1":
            pytest.fail(f"no built site at {HTML}")
        pytest.skip(f"no built site at {HTML}: build it with sphinx-build")


def test_built_site_loads_nothing_from_the_network():
    require_built_site()
    external = {
        path.relative_to(HTML).as_posix(): EXTERNAL_ASSET.findall(path.read_text())
        for path in HTML.rglob("*.html")
    }
    assert {page: urls for page, urls in external.items() if urls} == {}
    assert (HTML / "_static" / "mathjax" / "tex-chtml.js").is_file()
    optimizers = (HTML / "user_guide" / "optimizers.html").read_text()
    assert 'src="../_static/mathjax/tex-chtml.js' in optimizers


# -- Every equation fits its column in a 1,280-pixel window -------------------
#
# Headless Chromium opens each built page that has math, lets MathJax render it,
# and a script added to a copy of the page writes into the DOM, for
# ``--dump-dom`` to return, every display equation wider than its container
# (which the theme would cut off or give a scroll bar).

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EQUATION_PROBE = """<script>
window.addEventListener("load", () => {
  const report = (result) => {
    const out = document.createElement("pre");
    out.id = "equation-overflow";
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  };
  if (!window.MathJax || !MathJax.startup) {
    report({error: "MathJax did not load"});
    return;
  }
  MathJax.startup.promise.then(() => {
    const boxes = [...document.querySelectorAll('mjx-container[display="true"]')];
    report({
      equations: boxes.length,
      overflowing: boxes
        .filter((box) => box.scrollWidth > box.clientWidth + 1)
        .map((box) => `${box.scrollWidth} > ${box.clientWidth} px: ` +
                      box.textContent.slice(0, 50)),
    });
  });
});
</script>"""
PROBE_RESULT = re.compile(r'<pre id="equation-overflow"[^>]*>(.*?)</pre>', re.S)


def equations_in_chromium(page, profile):
    """``{"equations": n, "overflowing": [...]}`` of ``page`` at 1,280 x 900."""
    page.write_text(page.read_text().replace("</body>", EQUATION_PROBE + "</body>"))
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = PROBE_RESULT.search(dom)
    assert found, f"{page.name}: the probe reported nothing"
    return json.loads(html.unescape(found[1]))


def test_built_equations_fit_a_1280_pixel_window(tmp_path):
    require_built_site()
    if CHROMIUM is None:
        if os.environ.get("SKLEARN_TINYNN_DOCS_BUILT") == "1":
            pytest.fail("no chromium on PATH (Debian: apt-get install chromium)")
        pytest.skip("no chromium on PATH")
    site = tmp_path / "html"
    shutil.copytree(HTML, site)
    with_math = sorted(
        path for path in site.rglob("*.html") if 'class="math' in path.read_text()
    )
    assert site / "user_guide" / "backpropagation.html" in with_math
    overflowing = {}
    for page in with_math:
        result = equations_in_chromium(page, tmp_path / "profile")
        assert "error" not in result, f"{page.name}: {result}"
        if result["overflowing"]:
            overflowing[page.relative_to(site).as_posix()] = result["overflowing"]
    assert overflowing == {}
