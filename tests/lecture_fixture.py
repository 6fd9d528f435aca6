"""The classes of the micrograd lecture ("The spelled-out intro to neural networks and backpropagation",
karpathy/nn-zero-to-hero, lectures/micrograd), written again by us from the lecture's description, so that
tests can run the lecture's cells with the lecture's own arithmetic beside ours.

What the lecture's classes do, and what this module therefore does:

* ``Value`` holds ``data``, ``grad`` (0.0), a ``_backward`` closure (doing nothing for a leaf), its
  children ``_prev``, its ``_op`` text and a ``label``; a plain number beside a ``Value`` is wrapped in a
  new ``Value``;
* ``a + b`` and ``a * b`` are the two binary operations; ``x ** k`` takes a plain number ``k`` and is
  drawn as ``**k``; ``-x`` is ``x * -1``, ``a - b`` is ``a + (-b)``, ``a / b`` is ``a * b**-1``;
* ``tanh`` is computed as ``(e^(2x) - 1) / (e^(2x) + 1)`` with local derivative ``1 - t**2``; ``exp`` as
  ``math.exp`` with local derivative ``e^x``;
* every closure *adds* to its children's ``grad`` (``+=``): local derivative times ``out.grad``;
* ``backward()`` sorts the graph with a recursive depth-first search over ``_prev``, sets its own
  ``grad`` to 1.0 and calls every ``_backward`` in reverse order;
* ``Neuron(nin)`` draws ``nin`` weights, then a bias, each from ``random.uniform(-1, 1)``, and returns
  ``tanh(b + w0*x0 + w1*x1 + ...)`` (the sum started at the bias); ``Layer`` and ``MLP`` are lists of them,
  and a layer of one neuron returns that neuron's ``Value``.

Two things may be chosen, because the lecture's own numbers depend on them:

* ``ORDERED``: the lecture keeps ``_prev`` as a ``set``, whose order follows the children's memory
  addresses; then the order in which a gradient's contributions are added, and so the last digit of a
  result, changes from run to run. ``ORDERED = True`` keeps the children in argument order (as
  tinygrad_scalar and PyTorch do), so that a run gives the same numbers every time.
* ``TANH``: the pair (value, local derivative from the value) of ``tanh``. The lecture's pair is
  ``LECTURE_TANH``; ``torch_tanh(f)`` makes PyTorch's (the float function ``f``, ``1 - t**2`` rounded once).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_scalar.core import ieee

TanhFormulas = tuple[Callable[[float], float], Callable[[float], float]]


def _lecture_tanh(x: float) -> float:
    return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)


LECTURE_TANH: TanhFormulas = (_lecture_tanh, lambda t: 1 - t**2)
"""The lecture's tanh: (e^(2x) - 1)/(e^(2x) + 1), and 1 - t**2 as its derivative."""


def torch_tanh(tanh: Callable[[float], float]) -> TanhFormulas:
    """PyTorch's formulas for tanh: the float function ``tanh`` (the C library's, in our engine) and the
    derivative ``1 - t**2`` rounded once (a fused multiply-add), where the lecture's ``1 - t**2`` rounds twice."""
    return (tanh, lambda t: ieee.fma(-t, t, 1.0))


class Value:
    """One number of the lecture's engine and the recipe that made it."""

    ORDERED = True  # _prev in argument order (True) or the lecture's set (False)
    TANH: TanhFormulas = LECTURE_TANH

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev: Any = tuple(dict.fromkeys(_children)) if self.ORDERED else set(_children)
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data})"

    @staticmethod
    def _wrap(x: Value | float) -> Value:
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a + b)/da = d(a + b)/db = 1
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(a·b)/da = b, d(a·b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        assert isinstance(k, (int, float)), "the lecture's ** takes a plain number"
        out = Value(self.data**k, (self,), f"**{k}")

        def _backward() -> None:  # d(x^k)/dx = k·x^(k-1)
            self.grad += k * (self.data ** (k - 1)) * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other: float) -> Value:  # other * self
        return self * other

    def __radd__(self, other: float) -> Value:  # other + self
        return self + other

    def __neg__(self) -> Value:  # -self = self * -1
        return self * -1

    def __sub__(self, other: Value | float) -> Value:  # self - other = self + (-other)
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:  # self / other = self * other**-1
        return self * other**-1

    def tanh(self) -> Value:
        value, derivative = self.TANH
        t = value(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:  # d(tanh x)/dx = 1 - tanh(x)^2
            self.grad += derivative(t) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:  # d(e^x)/dx = e^x
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        topo: list[Value] = []
        visited: set[Value] = set()

        def build_topo(v: Value) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class Neuron:
    """tanh(w·x + b), its weights and then its bias drawn from U(-1, 1)."""

    def __init__(self, nin: int) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x: list[Any]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)  # b + w0*x0 + w1*x1 + ...
        return act.tanh()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]


class Layer:
    """``nout`` neurons of ``nin`` inputs each; one output is returned as itself, several as a list."""

    def __init__(self, nin: int, nout: int) -> None:
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x: list[Any]) -> Any:
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """Layers of the sizes ``[nin, *nouts]``, one after the other."""

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]
