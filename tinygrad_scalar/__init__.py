"""tinygrad_scalar: a scalar reverse-mode automatic differentiation engine for learning and teaching
backpropagation, in the spirit of micrograd.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0); w = Value(3.0); b = Value(1.0)
>>> L = (w * x + b) ** 2
>>> L.backward()
>>> (w.grad, x.grad, b.grad)
(28.0, 42.0, 14.0)

Every operation is one row of the table of derivatives in :mod:`tinygrad_scalar.core.ops`; the
engine lives in :mod:`tinygrad_scalar.core.engine`, neural-network building blocks in
:mod:`tinygrad_scalar.training.nn`; both are plain Python with no dependencies. Pictures of graphs
(:mod:`tinygrad_scalar.views.dot`) load the ``graphviz`` package the first time they are used, so
``import tinygrad_scalar`` stays fast.
"""

from typing import Any

from tinygrad_scalar.core.defop import defop
from tinygrad_scalar.core.engine import Value, is_grad_enabled, maximum, minimum, no_grad, topological_order
from tinygrad_scalar.training import watch as _watch
from tinygrad_scalar.training.nn import MLP, Layer, Module, Neuron
from tinygrad_scalar.transforms import checkpoint as _checkpoint  # noqa: F401 - registers the checkpoint row
from tinygrad_scalar.transforms.functional import grad, hessian, jacobian, jvp
from tinygrad_scalar.views import live as _live

_watch.set_live_view(_live.live_view)  # fit(live=True) draws with the live view: training imports no view

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "defop",
    "draw_dot",
    "grad",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "maximum",
    "minimum",
    "no_grad",
    "save_graph",
    "save_svg",
    "topological_order",
]

_LAZY = {
    "draw_dot": "tinygrad_scalar.views.dot",
    "save_graph": "tinygrad_scalar.views.dot",
    "save_svg": "tinygrad_scalar.views.dot",
}


def __getattr__(name: str) -> Any:
    """Load the drawing functions on first use (they need the graphviz package)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tinygrad_scalar' has no attribute {name!r}")
