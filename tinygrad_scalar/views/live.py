"""Training you can watch: ``fit(..., live=True)`` in Jupyter redraws one picture as the network learns.

The picture has four panels: the loss curve (training, and validation when ``fit`` has
``validation=``), the accuracy, the decision boundary when the data are 2-D, and the size of the
gradient of each layer (the norm of its parameters' gradients, on a log scale: a layer whose
gradient fades away or blows up shows at once). It replaces itself in the same output area,
so a notebook keeps one picture, not a hundred.

Drawing costs time, so the view redraws only when it can afford to: the time spent drawing stays
at most a tenth (``BUDGET``) of the time spent training, counting the last picture, which is always
drawn when training ends. In a plain script there is no output area to update, and ``fit`` shows
its progress bar as usual.

``fit`` reports to any object with the two methods of ``Watcher``: the live view is one, and
``tinygrad_scalar.views.replay`` records a whole training with another.
"""

from __future__ import annotations

import importlib.util
import io
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_scalar.core.engine import no_grad
from tinygrad_scalar.training.fit import class_labels
from tinygrad_scalar.training.nn import Module
from tinygrad_scalar.training.watch import Classify, Progress, Watcher, decision_grid, gradient_norms

__all__ = ["BROWSER_NOTE", "BUDGET", "FIRST_GUESS", "LiveView", "in_jupyter", "live_view"]

BUDGET = 0.1
"""The share of the training time the live view may spend drawing."""

FIRST_GUESS = 0.4
"""Seconds a picture is assumed to take before the first one is timed; after that, the budget counts
with the most a picture has cost, so that one slow picture does not break it."""


def in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel, where an output area can be updated in place."""
    ipython = sys.modules.get("IPython")  # never imported here: a script without IPython is not in Jupyter
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


class LiveView:
    """The live picture of a training: the four panels described in the module docstring.

    ``show`` receives each new picture as PNG bytes; by default it replaces the picture in the
    Jupyter output area the view made when it started. ``png()`` draws the current state at any
    time (it is how the README's picture is made).
    """

    def __init__(
        self,
        X: Sequence[Sequence[float]],
        y: Sequence[float],
        classify: Classify | None,
        *,
        show: Callable[[bytes], None] | None = None,
        budget: float = BUDGET,
        resolution: int = 24,
    ) -> None:
        self.X, self.y, self.classify = X, y, classify
        _matplotlib()  # imported now, not in the first picture, and missing said before training starts
        self.show = show or _jupyter_output()
        self.budget, self.resolution = budget, resolution
        self.history: list[Progress] = []
        self.norms: list[list[float]] = []
        self.drawings = 0
        self.watching_seconds = 0.0  # all the time spent in update() and close(): recording and drawing
        self._started = time.perf_counter()
        self._cost = FIRST_GUESS  # the most a picture has cost (a guess until one is measured)
        self._model: Any = None  # the model, once training has reported
        self._shown = -1

    @property
    def training_seconds(self) -> float:
        """Seconds since the view started, less the time spent watching."""
        return time.perf_counter() - self._started - self.watching_seconds

    def update(self, model: Module, progress: Progress) -> None:
        """Record an epoch; redraw when the budget allows one more picture besides the final one."""
        started = time.perf_counter()
        self._model = model
        self.history.append(progress)
        self.norms.append(gradient_norms(model))
        spent = self.watching_seconds + time.perf_counter() - started
        if spent + 2 * self._cost <= self.budget * (time.perf_counter() - self._started - spent):
            self._draw()
        self.watching_seconds += time.perf_counter() - started

    def close(self, model: Module) -> None:
        """Draw the final state, unless the last picture shows it already."""
        started = time.perf_counter()
        self._model = model
        if self.history and self._shown != len(self.history):
            self._draw()
        self.watching_seconds += time.perf_counter() - started

    def _draw(self) -> None:
        started = time.perf_counter()
        self.show(self.png())
        cost = time.perf_counter() - started
        self._cost = cost if self.drawings == 0 else max(self._cost, cost)
        self.drawings += 1
        self._shown = len(self.history)

    def png(self) -> bytes:
        """The picture of the training so far, as PNG bytes."""
        figure = self.figure()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def figure(self) -> Any:
        """The picture of the training so far, as a matplotlib ``Figure`` (drawn off screen)."""
        figure = _matplotlib()(figsize=(11, 8))
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.07, top=0.9, wspace=0.22, hspace=0.35)
        axes = figure.subplots(2, 2)
        epochs = [p.epoch for p in self.history]
        last = self.history[-1] if self.history else None
        title = f"epoch {last.epoch} of {last.epochs}" if last else "no epoch yet"
        figure.suptitle(title, fontsize=14)

        ax = axes[0][0]
        ax.plot(epochs, [p.loss for p in self.history], color="tab:blue", label="training")
        if any(p.validation_loss is not None for p in self.history):
            ax.plot(epochs, [_nan(p.validation_loss) for p in self.history], color="tab:orange", label="validation")
        ax.set(title="loss", xlabel="epoch")
        _tidy(ax)

        ax = axes[0][1]
        if any(p.accuracy is not None for p in self.history):
            ax.plot(epochs, [_nan(p.accuracy) for p in self.history], color="tab:blue", label="training")
            if any(p.validation_accuracy is not None for p in self.history):
                values = [_nan(p.validation_accuracy) for p in self.history]
                ax.plot(epochs, values, color="tab:orange", label="validation")
            ax.set_ylim(0, 1.05)
        else:
            ax.text(0.5, 0.5, "no accuracy: a regression loss", ha="center", va="center", transform=ax.transAxes)
        ax.set(title="accuracy", xlabel="epoch")
        _tidy(ax)

        ax = axes[1][0]
        self._boundary(ax)

        ax = axes[1][1]
        if self.norms:
            for k in range(len(self.norms[0])):
                values = [n[k] if n[k] > 0 and math.isfinite(n[k]) else float("nan") for n in self.norms]
                ax.plot(epochs, values, label=f"layer {k}")
            if any(v > 0 and math.isfinite(v) for n in self.norms for v in n):
                ax.set_yscale("log")
        ax.set(title="gradient norm per layer (last step)", xlabel="epoch")
        _tidy(ax)
        return figure

    def _boundary(self, ax: Any) -> None:
        two_d = all(len(x) == 2 for x in self.X)
        if self._model is None or self.classify is None or not two_d:
            why = "the data are not 2-D" if not two_d else "no classes to draw"
            ax.text(0.5, 0.5, f"no decision boundary: {why}", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return
        grid_x, grid_y, classes = decision_grid(self._model, self.X, self.classify, self.resolution)
        with no_grad():
            one_output = not isinstance(self._model(list(self.X[0])), list)
        labels = class_labels(self.y, one_output, where="the live view")  # -1/+1 labels: -1 is class 0
        n_classes = max(max(labels), max(max(row) for row in classes)) + 1
        levels = [k - 0.5 for k in range(n_classes + 1)]
        ax.contourf(grid_x, grid_y, classes, levels=levels, cmap="coolwarm", alpha=0.35)
        points_x, points_y = [p[0] for p in self.X], [p[1] for p in self.X]
        ax.scatter(points_x, points_y, c=labels, cmap="coolwarm", vmin=0, vmax=max(n_classes - 1, 1), s=14)
        ax.set(title="decision boundary", xlabel="x0", ylabel="x1")


def _matplotlib() -> Any:
    """matplotlib's ``Figure`` class (no pyplot: no window, no figure kept alive)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("the live view draws with matplotlib: pip install 'tinygrad-scalar[plots]'") from None
    return Figure


def _nan(x: float | None) -> float:
    return float("nan") if x is None else x


def _tidy(ax: Any) -> None:
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")


def _jupyter_output() -> Callable[[bytes], None]:
    """A function that shows a PNG in one Jupyter output area, replacing the picture shown before."""
    from IPython.display import Image, display

    waiting = {"text/plain": "live view: the first picture comes once training has run a moment"}
    handle = display(waiting, raw=True, display_id=True)  # type: ignore[no-untyped-call]  # IPython is untyped

    def show(png: bytes) -> None:
        handle.update(Image(data=png, format="png"))  # type: ignore[no-untyped-call]  # IPython is untyped

    return show


BROWSER_NOTE = "live view: the browser lab has no matplotlib to draw it, so the progress bar shows the training"
"""What ``fit(..., live=True)`` prints in the browser lab (Pyodide), where matplotlib cannot be loaded."""


def live_view(X: Sequence[Sequence[float]], y: Sequence[float], classify: Classify | None) -> Watcher | None:
    """The live view of a training in Jupyter; ``None`` in a plain script, where the progress bar shows instead,
    and in the browser lab, which has no matplotlib: there it prints ``BROWSER_NOTE`` first."""
    if not in_jupyter():
        return None
    if sys.platform == "emscripten" and importlib.util.find_spec("matplotlib") is None:
        print(BROWSER_NOTE)
        return None
    return LiveView(X, y, classify)
