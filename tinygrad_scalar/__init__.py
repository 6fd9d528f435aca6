"""tinygrad_scalar: a scalar reverse-mode automatic differentiation engine for learning and teaching
backpropagation, in the spirit of micrograd.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0); w = Value(3.0); b = Value(1.0)
>>> L = (w * x + b) ** 2
>>> L.backward()
>>> (w.grad, x.grad, b.grad)
(28.0, 42.0, 14.0)

Every operation is one row of the table of derivatives in :mod:`tinygrad_scalar.ops`; the
engine lives in :mod:`tinygrad_scalar.engine`, neural-network building blocks in
:mod:`tinygrad_scalar.nn`; both are plain Python with no dependencies. Pictures of graphs
(:mod:`tinygrad_scalar.viz`) load the ``graphviz`` package the first time they are used, so
``import tinygrad_scalar`` stays fast.
"""

from typing import Any

from tinygrad_scalar.custom import defop
from tinygrad_scalar.engine import Value, is_grad_enabled, maximum, minimum, no_grad, topological_order
from tinygrad_scalar.functional import grad, hessian, jacobian, jvp
from tinygrad_scalar.nn import MLP, Layer, Module, Neuron

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

_LAZY = {"draw_dot": "tinygrad_scalar.viz", "save_graph": "tinygrad_scalar.viz", "save_svg": "tinygrad_scalar.viz"}


def __getattr__(name: str) -> Any:
    """Load the drawing functions on first use (they need the graphviz package)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tinygrad_scalar' has no attribute {name!r}")
