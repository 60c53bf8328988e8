"""sphinx-gallery hooks of the sklearn-tinynn documentation.

Named in ``conf.py`` by their qualified names (``gallery_hooks.reset_argv``):
sphinx-gallery imports them, so that its configuration stays picklable.
"""


def reset_argv(gallery_conf, script_vars):
    """Run each example without arguments, with ``__file__`` set to its path.

    sphinx-gallery does not define ``__file__`` for the examples it executes,
    but the examples find the MNIST sample relative to their own path, as they
    do when run as scripts. ``script_vars["example_globals"]`` is the namespace
    the example is about to run in.
    """
    script_vars["example_globals"]["__file__"] = str(script_vars["src_file"])
    return []
