"""Collection: the doctests of a module whose optional dependency is missing are
skipped, not errors (sklearn_tinynn.onnx refuses to import without skl2onnx)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklearn_tinynn/onnx.py")
