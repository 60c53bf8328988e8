"""Sphinx configuration of the sklearn-tinynn documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The build works offline: intersphinx is off (its inventories would be
downloaded), and references to scikit-learn, SciPy and NumPy objects that the
docstrings make become plain links to those projects' pages (see
``link_external_reference`` below), and MathJax is copied into the site by
sphinx-mathjax-offline, so that the equations render without a network.
sphinx-gallery runs the scripts of ``examples/`` in full, as a reader would.
"""

import importlib.util
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import sklearn_tinynn

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

project = "sklearn-tinynn"
author = "sklearn-tinynn developers"
copyright = "sklearn-tinynn developers"
version = release = sklearn_tinynn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 copied into _static/mathjax: equations render without a network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

# benchmarks.md is written by benchmarks/bench_training.py and included by
# performance.md; it is no page of its own.
exclude_patterns = ["_build", "benchmarks.md"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
default_role = "literal"

# -- API reference -----------------------------------------------------------

# The local copy that sphinx-mathjax-offline ships (it sets the same path).
mathjax_path = "mathjax/tex-chtml.js"

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = True
# Check our docstrings against the numpydoc standard at every build (a failed
# check is a warning, so an error under -W), with the checks of pyproject.toml's
# [tool.numpydoc_validation] table (pre-commit's numpydoc hook uses them too).
with open(Path(__file__).parents[1] / "pyproject.toml", "rb") as _file:
    numpydoc_validation_checks = set(
        tomllib.load(_file)["tool"]["numpydoc_validation"]["checks"]
    )
# Methods that scikit-learn's base classes give the estimator carry their own
# docstrings; only ours are checked.
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.get_metadata_routing$",
    r"\.set_\w+_request$",
    r"\.set_callbacks$",
    # The hooks of a callback, called by the estimator rather than by users;
    # docs/progress.rst documents them once, for every callback.
    r"\.(TextProgressBar|Checkpoint)\.(setup|teardown|on_fit_task_begin|on_fit_task_end)$",
}

# -- Example gallery ---------------------------------------------------------

HAVE_ONNX = all(
    importlib.util.find_spec(name) for name in ("skl2onnx", "onnx", "onnxruntime")
)

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Without skl2onnx the ONNX example is shown but not run.
    "filename_pattern": "/plot_" if HAVE_ONNX else r"/plot_(?!onnx)",
    "doc_module": ("sklearn_tinynn",),
    "backreferences_dir": "gen_modules/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "abort_on_example_error": True,
    # The pages of computation times load Bootstrap and DataTables from CDNs;
    # the site must work offline (tests/test_docs.py checks the built HTML).
    "write_computation_times": False,
    # Sets __file__, which the examples use to find the MNIST sample.
    "reset_argv": "gallery_hooks.reset_argv",
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-tinynn {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False

# -- MyST (Markdown) ---------------------------------------------------------

myst_heading_anchors = 3

# -- Offline links to scikit-learn, SciPy and NumPy --------------------------

SKLEARN = "https://scikit-learn.org/stable/"
EXTERNAL_API = {
    "sklearn": SKLEARN + "modules/generated/{}.html",
    "scipy": "https://docs.scipy.org/doc/scipy/reference/generated/{}.html",
    "numpy": "https://numpy.org/doc/stable/reference/generated/{}.html",
}
EXTERNAL_MODULES = {"sklearn": SKLEARN + "api/{}.html"}
# Labels of scikit-learn's user guide that its docstrings (of the methods our
# estimator inherits) refer to with :ref:; their :term: go to its glossary.
SKLEARN_LABELS = {
    "accuracy_score": SKLEARN + "modules/model_evaluation.html#accuracy-score",
    "metadata_routing": SKLEARN + "metadata_routing.html",
}


def _external_url(domain, reftype, target):
    """The URL of a scikit-learn, SciPy or NumPy object, label or term, or None."""
    if domain == "std" and reftype == "ref":
        return SKLEARN_LABELS.get(target)
    if domain == "std" and reftype == "term":
        return SKLEARN + "glossary.html#term-" + target.lower().replace(" ", "-")
    if domain != "py":
        return None
    package = target.split(".", 1)[0]
    if reftype == "mod" and package in EXTERNAL_MODULES:
        return EXTERNAL_MODULES[package].format(target)
    if package not in EXTERNAL_API:
        return None
    if reftype in ("meth", "attr"):
        owner = target.rsplit(".", 1)[0]
        return EXTERNAL_API[package].format(owner) + "#" + target
    return EXTERNAL_API[package].format(target)


def link_external_reference(app, env, node, contnode):
    """Resolve a reference to another project into a plain link, offline.

    intersphinx would need those projects' inventories from the network; a
    scikit-learn, SciPy or NumPy object's page has a predictable address.
    """
    from docutils import nodes

    target = node.get("reftarget", "")
    url = _external_url(node.get("refdomain"), node.get("reftype"), target)
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference += contnode
    return reference


# performance.md includes the benchmark tables; before the first benchmark run
# writes them, the page says how to make them instead.
BENCHMARKS_INCLUDE = "```{include} benchmarks.md\n:heading-offset: 1\n```"
BENCHMARKS_MISSING = (
    "```{note}\nThe benchmark tables are not there yet: "
    "`python benchmarks/bench_training.py` measures them and writes "
    "`docs/benchmarks.md`, which this page then includes.\n```"
)


def include_benchmarks(app, docname, source):
    """Leave the benchmarks out of the Performance page while they are missing."""
    if docname == "performance" and not (DOCS / "benchmarks.md").is_file():
        source[0] = source[0].replace(BENCHMARKS_INCLUDE, BENCHMARKS_MISSING)


def setup(app):
    app.connect("missing-reference", link_external_reference)
    app.connect("source-read", include_benchmarks)
