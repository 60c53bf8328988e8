"""The documentation's sources, without building them (CI builds them: .ci/run).

Fast checks of what a Sphinx build would not catch: links from the README into
the sources, and the Performance page's fallback for a missing benchmark table.
"""

import re
import runpy
from pathlib import Path

import pytest

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
