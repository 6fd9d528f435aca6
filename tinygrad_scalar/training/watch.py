"""What training tells the ones watching it: after every epoch, a ``Progress``; at the end, ``close``.

``fit`` reports to a ``Watcher``: any object with ``update(model, progress)`` and ``close(model)``.
The live view of :mod:`tinygrad_scalar.views.live` is one, and :mod:`tinygrad_scalar.views.replay`
records a whole training with another. ``fit(live=True)`` asks for the live view through
``set_live_view``, the hook point by which the package's ``__init__`` plugs the view in: training
draws nothing itself and imports no view.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tinygrad_scalar.core.engine import no_grad
from tinygrad_scalar.training.nn import Module

__all__ = ["Classify", "Progress", "Watcher", "decision_grid", "gradient_norms", "set_live_view", "watcher_for"]

Classify = Callable[[Any], int]
"""What turns one model output into a class (``train.predicted_class``)."""


@dataclass(frozen=True)
class Progress:
    """Where training stands after one epoch: what ``fit`` tells its watcher."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float | None
    validation_loss: float | None = None
    validation_accuracy: float | None = None


class Watcher(Protocol):
    """What ``fit`` calls: ``update`` after every epoch, ``close`` once when training has ended."""

    def update(self, model: Module, progress: Progress) -> None: ...

    def close(self, model: Module) -> None: ...


def gradient_norms(model: Module) -> list[float]:
    """The Euclidean norm of the gradients of each layer's parameters (of the whole model when it
    has no ``layers``): sqrt(sum of grad**2)."""
    layers = getattr(model, "layers", None) or [model]
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters())) for layer in layers]


def decision_grid(
    model: Callable[[list[float]], Any], X: Sequence[Sequence[float]], classify: Classify, resolution: int = 40
) -> tuple[list[float], list[float], list[list[int]]]:
    """The class ``model`` predicts on a ``resolution`` x ``resolution`` grid around the 2-D points ``X``
    (a quarter of their spread added on each side): the grid's x and y coordinates, and the classes
    row by row (one row per y)."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    pad = 0.25 * max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    x_lo, x_hi, y_lo, y_hi = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    grid_x = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():
        classes = [[classify(model([gx, gy])) for gx in grid_x] for gy in grid_y]
    return grid_x, grid_y, classes


LiveViewFactory = Callable[[Sequence[Sequence[float]], Sequence[float], "Classify | None"], "Watcher | None"]
"""What ``set_live_view`` installs: makes the live view of a training (or None where none can show)."""

_live_view: LiveViewFactory | None = None


def set_live_view(factory: LiveViewFactory | None) -> None:
    """Install what ``fit(live=True)`` draws with (the package's ``__init__`` installs
    :func:`tinygrad_scalar.views.live.live_view`)."""
    global _live_view
    _live_view = factory


def watcher_for(
    live: bool | Watcher, X: Sequence[Sequence[float]], y: Sequence[float], classify: Classify | None
) -> Watcher | None:
    """What ``fit(live=...)`` reports to: ``live`` itself when it is a watcher, the live view for ``True``
    (which shows only in Jupyter: in a plain script the progress bar shows instead), nothing for ``False``."""
    if live is True:
        if _live_view is None:
            raise RuntimeError("fit(live=True) needs the live view: import tinygrad_scalar (its __init__ installs it)")
        return _live_view(X, y, classify)
    if live is False:
        return None
    if not (callable(getattr(live, "update", None)) and callable(getattr(live, "close", None))):
        raise TypeError(f"live must be True, False or a watcher with update() and close(), not {type(live).__name__}")
    return live
