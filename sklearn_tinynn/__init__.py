"""sklearn-tinynn: a two-layer neural network from scratch in NumPy, as a
first-class scikit-learn classifier."""

from ._array_api import move_to
from ._checkpoints import Checkpoint
from ._classifier import TwoLayerNNClassifier
from ._lr_finder import lr_range_test
from ._persistence import load, save
from ._progress import TextProgressBar

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "TextProgressBar",
    "TwoLayerNNClassifier",
    "__version__",
    "load",
    "lr_range_test",
    "move_to",
    "save",
]
