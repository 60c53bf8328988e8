"""
=====================================
Exporting a Pipeline to ONNX and back
=====================================

A fitted :class:`~sklearn.pipeline.Pipeline` (a scaler, then
:class:`~sklearn_tinynn.TwoLayerNNClassifier`) becomes one ONNX file with
:func:`sklearn_tinynn.onnx.to_onnx`, which onnxruntime runs without
scikit-learn. Its labels equal ``predict``'s and its probabilities
``predict_proba``'s up to rounding: here both are compared on scikit-learn's
8x8 digits, in float32 and in float64, and the two are timed on one image
(serving one request) and on all the test images. This example needs
``pip install "sklearn-tinynn[onnx]"``.
"""

# %%
import timeit
import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_tinynn import TwoLayerNNClassifier
from sklearn_tinynn.onnx import to_onnx

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Export and compare
# ------------------
# The dtype of the data at fit time is the model's, and that of the X given to
# ``to_onnx`` is the graph's input type: the same in both, float32 or float64.
# The session's outputs are the labels and the probabilities.
differences, sessions, pipelines = {}, {}, {}
for dtype in (np.float32, np.float64):
    pipeline = make_pipeline(
        MinMaxScaler(),
        TwoLayerNNClassifier(solver="lbfgs", max_iter=200, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        pipeline.fit(X_train.astype(dtype), y_train)
    onx = to_onnx(pipeline, X_train.astype(dtype))
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    X_feed = X_test.astype(dtype)
    labels, probabilities = session.run(None, {"X": X_feed})
    same = (labels == pipeline.predict(X_feed)).mean()
    differences[dtype] = np.abs(probabilities - pipeline.predict_proba(X_feed))
    sessions[dtype], pipelines[dtype] = session, pipeline
    print(
        f"{np.dtype(dtype).name}: {len(onx.SerializeToString())} bytes, "
        f"labels equal to predict's: {same:.0%}, largest probability "
        f"difference: {differences[dtype].max():.1e}"
    )

# %%
# Timing
# ------
# The median of a few repeats, per call. onnxruntime's overhead per call is
# small, which matters most for one row at a time.
timings = {}
for dtype in (np.float32, np.float64):
    for rows in (1, len(X_test)):
        X_feed = X_test[:rows].astype(dtype)
        calls = {
            "predict_proba": partial(pipelines[dtype].predict_proba, X_feed),
            "onnxruntime": partial(sessions[dtype].run, None, {"X": X_feed}),
        }
        for name, call in calls.items():
            seconds = timeit.repeat(call, number=20, repeat=7)
            timings[name, np.dtype(dtype).name, rows] = np.median(seconds) / 20
for (name, dtype, rows), seconds in timings.items():
    print(f"{name}, {dtype}, {rows} rows: {seconds * 1e6:.0f} us")

# %%
# The differences and the times
# -----------------------------
fig, (ax_diff, ax_time) = plt.subplots(1, 2, figsize=(10, 4))
# One set of bins for both types, a decade wide, so that float32's differences
# (below 1e-5) and float64's (below 1e-12) both show as bars, on a logarithmic
# scale of counts: most probabilities agree exactly (a difference of 0, counted
# in the leftmost bin, below every rounding error).
floor = 1e-18
bins = np.arange(np.log10(floor), 0)
for dtype, difference in differences.items():
    difference = difference.ravel()
    ax_diff.hist(
        np.log10(np.maximum(difference, floor)),
        bins=bins,
        alpha=0.7,
        label=f"{np.dtype(dtype).name} ({np.mean(difference == 0):.0%} exact)",
    )
ax_diff.set_xticks(
    [bins[0] + 0.5, *bins[2::2]], ["0"] + [f"1e{int(b)}" for b in bins[2::2]]
)
ax_diff.set_xlabel("|onnxruntime - predict_proba| (0 leftmost)")
ax_diff.set_ylabel("probabilities")
ax_diff.set_yscale("log")
ax_diff.set_title("Probability differences")
ax_diff.legend()

names = sorted({key[1:] for key in timings})
width = 0.4
positions = np.arange(len(names))
for offset, name in ((-width / 2, "predict_proba"), (width / 2, "onnxruntime")):
    micros = [timings[(name, *key)] * 1e6 for key in names]
    ax_time.bar(positions + offset, micros, width, label=name)
ax_time.set_xticks(positions, [f"{dtype}\n{rows} rows" for dtype, rows in names])
# Room above the bars for the legend.
ax_time.set_yscale("log")
ax_time.set_ylim(top=10 * max(timings.values()) * 1e6)
ax_time.set_ylabel("microseconds per call")
ax_time.set_title("Time per call")
ax_time.legend(loc="upper left", ncols=2)
fig.tight_layout()
plt.show()
