"""``detect_anomaly()``: find the first operation that makes an ``inf`` or a ``nan``, and where.

Inside the context, every operation that produces ``inf`` or ``nan`` from finite inputs raises
``AnomalyError`` naming the operation, the value's label, its inputs and the file and line that made
it; so does a backward step that turns finite gradients into a ``nan`` gradient. As PyTorch's anomaly
mode, it is for debugging: slow when on, and free when off (nothing is checked outside the context).
It watches the operations that record a graph and the steps of ``backward()``: inside ``no_grad()``
results are plain leaves with no inputs to compare, and ``backward(create_graph=True)`` builds its
gradients as operations (each watched as it is made) rather than taking steps.

>>> from tinygrad_scalar import Value
>>> with detect_anomaly():
...     y = Value(0.0, label='x').log()    # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tinygrad_scalar.debugging.anomaly.AnomalyError: log produced -inf from finite inputs (x = 0.0), at <doctest ...>:2
"""

from __future__ import annotations

import contextvars
import math
import os
import sys
import threading
import weakref
from types import TracebackType

from tinygrad_scalar.core import engine
from tinygrad_scalar.core.engine import Value

__all__ = ["AnomalyError", "detect_anomaly"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the whole package
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("tinygrad_scalar_anomaly", default=False)
_saved: contextvars.ContextVar[tuple[bool, ...]] = contextvars.ContextVar("tinygrad_scalar_anomaly_saved", default=())
# Where each value made in anomaly mode was made. Weak keys: a value that is no longer used goes, with
# its entry, so a long run under detect_anomaly() keeps nothing alive that it would not keep anyway.
_origins: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()
_open = 0  # how many contexts are open, in all threads (the observer stays until the last one closes)
_lock = threading.Lock()


class AnomalyError(ArithmeticError):
    """An operation or a backward step produced ``inf`` or ``nan`` from finite numbers."""


def _creation_site() -> str:
    """The first frame outside tinygrad_scalar: the user's line that made the value."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


def _describe(node: Value) -> str:
    inputs = ", ".join(f"{p.label or '?'} = {p.data!r}" for p in node._prev)
    return f"({inputs})"


class _Watcher:
    """The observer ``detect_anomaly`` installs at the engine's hook point (``engine.set_observer``)."""

    def made(self, value: Value) -> None:
        """Remember where ``value`` was made; raise if it is the first inf or nan of a computation."""
        if not _active.get():
            return
        site = _origins[value] = _creation_site()
        if value._a is not None and not math.isfinite(value.data) and all(math.isfinite(p.data) for p in value._prev):
            label = f" (label {value.label!r})" if value.label else ""
            raise AnomalyError(
                f"{value._op} produced {value.data!r} from finite inputs {_describe(value)}{label}, at {site}"
            )

    def stepped(self, node: Value, upstream: float, before: list[float]) -> None:
        """Raise if ``node``'s backward step turned finite gradients into a nan gradient."""
        if not _active.get():
            return
        for p, was in zip(node._prev, before):
            if math.isnan(p.grad) and not math.isnan(was) and not math.isnan(upstream):
                where = _origins.get(node, "a line outside detect_anomaly()")
                label = f" (label {node.label!r})" if node.label else ""
                raise AnomalyError(
                    f"the backward step of {node._op}{label} gave a nan gradient to {p.label or 'an input'} "
                    f"from the upstream gradient {upstream!r}; inputs {_describe(node)}; the value was made at {where}"
                )


_WATCHER = _Watcher()


class detect_anomaly:  # noqa: N801 - lower case like PyTorch's torch.autograd.detect_anomaly
    """Context manager: raise ``AnomalyError`` at the first ``inf``/``nan`` an operation or a backward
    step produces, naming the operation, its label, its inputs and the line that made it.

    One instance may be entered again inside itself, and by several threads or tasks: what to
    restore on leaving is kept per thread and per task, not on the instance.
    """

    def __enter__(self) -> detect_anomaly:
        global _open
        with _lock:
            if _open == 0:
                engine.set_observer(_WATCHER)
            _open += 1
        _saved.set((*_saved.get(), _active.get()))
        _active.set(True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        global _open
        saved = _saved.get()
        _active.set(saved[-1])
        _saved.set(saved[:-1])
        with _lock:
            _open -= 1
            if _open == 0:
                engine.set_observer(None)
                _origins.clear()
