"""tinygrad_scalar: a scalar reverse-mode automatic differentiation engine for learning and teaching
backpropagation, in the spirit of micrograd.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0); w = Value(3.0); b = Value(1.0)
>>> L = (w * x + b) ** 2
>>> L.backward()
>>> (w.grad, x.grad, b.grad)
(28.0, 42.0, 14.0)

The engine lives in :mod:`tinygrad_scalar.engine`, neural-network building blocks in
:mod:`tinygrad_scalar.nn`; both are plain Python with no dependencies.
"""

from tinygrad_scalar.engine import Value, is_grad_enabled, no_grad, topological_order
from tinygrad_scalar.nn import MLP, Layer, Module, Neuron

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
