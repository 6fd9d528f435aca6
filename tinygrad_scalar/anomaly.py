"""``detect_anomaly()``: find the first operation that makes an ``inf`` or a ``nan``, and where.

Inside the context, every operation that produces ``inf`` or ``nan`` from finite inputs raises
``AnomalyError`` naming the operation, the value's label, its inputs and the file and line that made
it; so does a backward step that turns finite gradients into a ``nan`` gradient. As PyTorch's anomaly
mode, it is for debugging: slow when on, and free when off (nothing is checked outside the context).

>>> from tinygrad_scalar import Value
>>> with detect_anomaly():
...     y = Value(0.0, label='x').log()    # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tinygrad_scalar.anomaly.AnomalyError: log produced -inf from finite inputs (x = 0.0), at <doctest ...>:2
"""

from __future__ import annotations

import contextvars
import math
import os
import sys
import threading
from types import TracebackType

from tinygrad_scalar import engine
from tinygrad_scalar.engine import Value

__all__ = ["AnomalyError", "detect_anomaly"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("tinygrad_scalar_anomaly", default=False)
_origins: dict[Value, str] = {}  # where each value made in anomaly mode was made; cleared on exit
_installed = 0  # how many contexts are open (the instrumented methods stay until the last one closes)
_lock = threading.Lock()
_plain_init = Value.__init__
_plain_node = engine._node  # what every operation calls to make its result
_plain_backward = Value.backward


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


def _check_new(value: Value) -> None:
    """Remember where ``value`` was made; raise if it is the first inf or nan of a computation."""
    if not _active.get():
        return
    _origins[value] = _creation_site()
    if value._prev and not math.isfinite(value.data) and all(math.isfinite(p.data) for p in value._prev):
        label = f" (label {value.label!r})" if value.label else ""
        raise AnomalyError(
            f"{value._op} produced {value.data!r} from finite inputs {_describe(value)}{label}, at {_origins[value]}"
        )


def _checked_init(self: Value, *args: object, **kwargs: object) -> None:
    _plain_init(self, *args, **kwargs)  # type: ignore[arg-type]
    _check_new(self)


def _checked_node(data: float, op: str, rule: engine.GradFn, a: Value, b: Value | None = None) -> Value:
    value = _plain_node(data, op, rule, a, b)
    _check_new(value)
    return value


def _checked_backward(self: Value, gradient: engine.Number = 1.0, create_graph: bool = False) -> None:
    if not _active.get() or create_graph:
        _plain_backward(self, gradient, create_graph)
        return
    for node in reversed(engine.begin_backward(self, gradient)):
        before = [p.grad for p in node._prev]
        upstream = node.grad
        engine.chain_rule_step(node)
        for p, was in zip(node._prev, before):
            if math.isnan(p.grad) and not math.isnan(was) and not math.isnan(upstream):
                where = _origins.get(node, "a line outside detect_anomaly()")
                label = f" (label {node.label!r})" if node.label else ""
                raise AnomalyError(
                    f"the backward step of {node._op}{label} gave a nan gradient to {p.label or 'an input'} "
                    f"from the upstream gradient {upstream!r}; inputs {_describe(node)}; the value was made at {where}"
                )


class detect_anomaly:  # noqa: N801 - lower case like PyTorch's torch.autograd.detect_anomaly
    """Context manager: raise ``AnomalyError`` at the first ``inf``/``nan`` an operation or a backward
    step produces, naming the operation, its label, its inputs and the line that made it."""

    def __enter__(self) -> detect_anomaly:
        global _installed
        with _lock:
            if _installed == 0:
                Value.__init__ = _checked_init  # type: ignore[method-assign]
                engine._node = _checked_node
                Value.backward = _checked_backward  # type: ignore[method-assign]
            _installed += 1
        self._token = _active.set(True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        global _installed
        _active.reset(self._token)
        with _lock:
            _installed -= 1
            if _installed == 0:
                Value.__init__ = _plain_init  # type: ignore[method-assign]
                engine._node = _plain_node
                Value.backward = _plain_backward  # type: ignore[method-assign]
                _origins.clear()
