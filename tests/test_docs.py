"""The documentation's sources, without building them (CI builds them: .ci/run).

Checks of what a Sphinx build would not catch: links from the README into the
sources, the Performance page's fallback for a missing benchmark table, and that
every Python snippet of the pages runs and prints what the page shows.
"""

import doctest
import os
import re
import runpy
import textwrap
import warnings
from pathlib import Path

import pytest
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


# -- The built site works offline ---------------------------------------------

HTML = DOCS / "_build" / "html"
# A script, style sheet, image or frame that the browser would fetch from
# another host: an absolute URL (http://, https://, or protocol-relative //).
EXTERNAL_ASSET = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=[\"'](?:https?:)?//[^\"']*",
    re.IGNORECASE,
)


def test_built_site_loads_nothing_from_the_network():
    # .ci/run builds the site and then runs this test with
    # SKLEARN_TINYNN_DOCS_BUILT=1, so that a missing build fails there.
    if not (HTML / "index.html").is_file():
        if os.environ.get("SKLEARN_TINYNN_DOCS_BUILT") == "1":
            pytest.fail(f"no built site at {HTML}")
        pytest.skip(f"no built site at {HTML}: build it with sphinx-build")
    external = {
        path.relative_to(HTML).as_posix(): EXTERNAL_ASSET.findall(path.read_text())
        for path in HTML.rglob("*.html")
    }
    assert {page: urls for page, urls in external.items() if urls} == {}
    assert (HTML / "_static" / "mathjax" / "tex-chtml.js").is_file()
    optimizers = (HTML / "user_guide" / "optimizers.html").read_text()
    assert 'src="../_static/mathjax/tex-chtml.js' in optimizers
