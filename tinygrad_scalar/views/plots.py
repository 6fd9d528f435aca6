"""Pictures of training: a 2-D classifier's decision boundary, and the loss and accuracy curves.

Needs matplotlib (``pip install 'tinygrad-scalar[plots]'``). Each function returns a ``Plot``, a
matplotlib ``Figure`` that Jupyter shows as a picture, and, given ``path``, also writes it (PNG, SVG
or PDF by the suffix), atomically. No window is ever opened: figures are drawn off screen, without
``pyplot``, so this works on a server and no figure is kept alive after its last use.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

try:
    from matplotlib.figure import Figure
except ImportError:
    hint = "pip install 'tinygrad-scalar[plots]' (or pip install matplotlib)"
    raise ImportError(f"plots need matplotlib: {hint}") from None

from tinygrad_scalar.core.engine import no_grad
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.training.fit import History, class_labels, predicted_class

__all__ = ["Plot", "plot_decision_boundary", "plot_history"]

DPI = 120
"""Dots per inch of every PNG we make, written to a file or shown in Jupyter."""


class Plot(Figure):
    """A matplotlib ``Figure`` that Jupyter shows as a PNG picture.

    A figure made without ``pyplot`` has no display of its own: Jupyter would show it as the text
    ``<Figure size 1000x400 with 2 Axes>``. ``_repr_png_`` is the hook IPython looks for to show an
    object as a picture, so a ``Plot`` left as the last expression of a cell shows as one image,
    whatever matplotlib backend is active (pyplot's inline backend shows only pyplot's own figures,
    so there is never a second copy).
    """

    def _repr_png_(self) -> bytes:
        return _encode(self, "png")


def _encode(figure: Figure, fmt: str) -> bytes:
    """The figure as the bytes of an image file in ``fmt`` (``png``, ``svg``, ``pdf``)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _save(figure: Figure, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
        atomic_write(path, _encode(figure, suffix))


def plot_decision_boundary(
    model: Callable[[list[float]], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    path: str | os.PathLike[str] | None = None,
    resolution: int = 80,
    title: str = "decision boundary",
) -> Plot:
    """The regions where ``model`` predicts each class, with the samples on top.

    A model with one output predicts class 1 where its score is positive; one with several outputs
    predicts the class of its largest output. ``resolution`` is the number of grid points per axis. ``y``
    holds the labels as ``fit`` takes them (``class_labels``: 0/1 or -1/+1 for one output).
    """
    with no_grad():
        labels = class_labels(y, not isinstance(model(list(X[0])), list), where="plot_decision_boundary")
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    pad = 0.25 * max(max(xs) - min(xs), max(ys) - min(ys))
    x_lo, x_hi, y_lo, y_hi = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    grid_x = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    classes = []
    with no_grad():
        for gy in grid_y:
            classes.append([predicted_class(model([gx, gy])) for gx in grid_x])
    figure = Plot(figsize=(5.5, 5))
    ax = figure.add_subplot()
    n_classes = max(max(labels), max(max(r) for r in classes)) + 1
    levels = [k - 0.5 for k in range(n_classes + 1)]
    ax.contourf(grid_x, grid_y, classes, levels=levels, cmap="coolwarm", alpha=0.35)
    ax.scatter(xs, ys, c=labels, cmap="coolwarm", vmin=0, vmax=n_classes - 1, edgecolors="black", s=30)
    ax.set_title(title)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    _save(figure, path)
    return figure


def plot_history(history: History, *, path: str | os.PathLike[str] | None = None) -> Plot:
    """The training loss (and the accuracy, when there is one) against the epoch."""
    with_accuracy = any(a is not None for a in history.accuracy)
    figure = Plot(figsize=(10 if with_accuracy else 5, 4))
    epochs = list(range(1, len(history) + 1))
    ax = figure.add_subplot(1, 2 if with_accuracy else 1, 1)
    ax.plot(epochs, history.loss, color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("training loss")
    ax.grid(alpha=0.3)
    if with_accuracy:
        ax2 = figure.add_subplot(1, 2, 2)
        ax2.plot(epochs, [a if a is not None else float("nan") for a in history.accuracy], color="tab:green")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("accuracy")
        ax2.set_ylim(0, 1.05)
        ax2.set_title("training accuracy")
        ax2.grid(alpha=0.3)
    _save(figure, path)
    return figure
