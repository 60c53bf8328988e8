"""sklearn-tinynn: a two-layer neural network from scratch in NumPy, as a
first-class scikit-learn classifier."""

from ._array_api import move_to
from ._classifier import TwoLayerNNClassifier

__version__ = "0.1.0"

__all__ = ["TwoLayerNNClassifier", "move_to", "__version__"]
