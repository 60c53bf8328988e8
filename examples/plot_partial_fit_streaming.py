"""
================================================
Training on a file too big for memory, in chunks
================================================

``partial_fit`` runs one epoch over the data it is given and keeps the weights
and the optimizer's state for the next call. So a network can learn from a CSV
file that does not fit in memory: read it in chunks with
:func:`pandas.read_csv` (``chunksize=``), call ``partial_fit`` on each, and
start again at the top of the file for the next epoch. Only one chunk is in
memory at a time.

The file here is small (the 4,000 training images of the MNIST sample bundled
with the package, written as a CSV file like ``mnist_train.csv``), so that the
streamed model can be compared with one trained on the whole array in memory.
The fits take a few seconds.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.datasets import load_mnist_sample

X_train, y_train = load_mnist_sample(subset="train", return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)
X_test = X_test.astype(np.float32) / 255

# %%
# The file
# --------
# One image per line, the label first, no header: the layout of
# ``mnist_train.csv``. ``load_mnist_sample`` interleaves the digits (0, 1, ...,
# 9, 0, 1, ...), so that every chunk holds all ten. A file sorted by label would
# give chunks of one digit each, and a network that forgets the others while it
# learns each chunk: shuffle the lines of such a file once, before training.
folder = tempfile.TemporaryDirectory()
path = Path(folder.name) / "mnist_train.csv"
np.savetxt(path, np.column_stack([y_train, X_train]), fmt="%d", delimiter=",")
print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, {len(y_train)} images")

# %%
# Streaming
# ---------
# ``header=None``: the file has no header line, and pandas would otherwise take
# the first image for one. ``dtype=np.uint8`` keeps a chunk of 500 images at
# 0.4 MB. ``classes`` lists every label on the first call, since a chunk need
# not hold them all. Each call of ``partial_fit`` takes the minibatch steps of
# one epoch over its chunk (minibatches of 200).
n_epochs, chunk_size = 10, 500
streamed = TwoLayerNNClassifier(64, random_state=0)
streamed_accuracy = []
for _ in range(n_epochs):
    chunks = pd.read_csv(path, header=None, dtype=np.uint8, chunksize=chunk_size)
    for chunk in chunks:
        y_chunk = chunk.iloc[:, 0].to_numpy()
        X_chunk = chunk.iloc[:, 1:].to_numpy(dtype=np.float32) / 255
        streamed.partial_fit(X_chunk, y_chunk, classes=np.arange(10))
    streamed_accuracy.append(streamed.score(X_test, y_test))

# %%
# In memory, for comparison
# -------------------------
# The same network, one ``partial_fit`` on the whole array per epoch: the same
# epochs, with the samples shuffled across the whole set rather than within
# each chunk.
in_memory = TwoLayerNNClassifier(64, random_state=0)
in_memory_accuracy = []
X_all = X_train.astype(np.float32) / 255
for _ in range(n_epochs):
    in_memory.partial_fit(X_all, y_train, classes=np.arange(10))
    in_memory_accuracy.append(in_memory.score(X_test, y_test))
folder.cleanup()

print(f"streamed in chunks of {chunk_size}: test accuracy {streamed_accuracy[-1]:.3f}")
print(f"whole array in memory: test accuracy {in_memory_accuracy[-1]:.3f}")

# %%
epochs = np.arange(1, n_epochs + 1)
fig, ax = plt.subplots(layout="constrained")
ax.plot(epochs, streamed_accuracy, marker="o", label=f"chunks of {chunk_size}")
ax.plot(epochs, in_memory_accuracy, marker="s", linestyle="--", label="in memory")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax.set(
    xlabel="Epoch (one pass over the file)",
    ylabel="Test accuracy",
    title="partial_fit on a file, chunk by chunk",
)
ax.legend()
plt.show()

# %%
# The two end at about the same accuracy: shuffling within chunks of 500
# instead of across the whole file costs nothing visible here, as long as
# every chunk holds every class. For data on a cluster,
# :doc:`/dask` does the same with ``dask_ml.wrappers.Incremental``.
