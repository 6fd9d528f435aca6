"""The neurons of a model in a graph: which values each call of each neuron made.

A ``Neuron`` called on inputs ``x`` makes, in micrograd's order, ``w0*x0``, ``b + w0*x0``,
``w1*x1``, ``(b + w0*x0) + w1*x1``, ... and then its activation (``tanh``, ``relu``, ...) of the
complete sum ``z``. ``neuron_calls(order, model)`` finds each such call in a graph, so that pictures
can draw a model at the level of its neurons (one box per call, one node per input) or box the
values of each call.

>>> from tinygrad_scalar.core.engine import topological_order
>>> from tinygrad_scalar.training.nn import MLP
>>> model = MLP(2, [3, 1], seed=0)
>>> calls = neuron_calls(topological_order(model([1.0, 2.0])), model)
>>> [call.title for call in calls]
['layer 0, neuron 0', 'layer 0, neuron 1', 'layer 0, neuron 2', 'layer 1, neuron 0']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.training.nn import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["NeuronCall", "model_inputs", "neuron_calls", "neurons_of"]

_ACTIVATION_OPS = {name: ops.OPS[name].op_label() for name in ACTIVATIONS if name != "linear"} | {"linear": None}


@dataclass(eq=False)
class NeuronCall:
    """One call of one neuron: the values it made, in the graph."""

    title: str  # 'layer 1, neuron 0'
    layer: int
    index: int  # the neuron's place in its layer
    neuron: Neuron
    products: list[Value] = field(default_factory=list)  # w_k * x_k, for k = 0, 1, ...
    sums: list[Value] = field(default_factory=list)  # b + w_0 x_0 + ... + w_k x_k
    activation: Value | None = None  # the activation of z, or None for a linear neuron
    call: int = 0  # how many calls of the same neuron come before this one (the sample, in a batch)

    @property
    def z(self) -> Value:
        """The complete weighted sum ``w·x + b``."""
        return self.sums[-1]

    @property
    def out(self) -> Value:
        """What the call returns: the activation, or ``z`` for a linear neuron."""
        return self.activation if self.activation is not None else self.z

    @property
    def inputs(self) -> list[Value]:
        """The input each weight multiplied, in the weights' order."""
        weights = set(self.neuron.w)
        return [next(p for p in product._prev if p not in weights) for product in self.products]

    def made(self) -> list[Value]:
        """Every value the call made."""
        return [*self.products, *self.sums, *([self.activation] if self.activation is not None else [])]


def neurons_of(model: Module) -> list[tuple[str, int, int, Neuron]]:
    """Each neuron of ``model`` with its title, layer and place in the layer, in the model's order."""
    if isinstance(model, Neuron):
        return [("neuron", 0, 0, model)]
    if isinstance(model, Layer):
        return [(f"neuron {j}", 0, j, n) for j, n in enumerate(model.neurons)]
    if isinstance(model, MLP):
        return [
            (f"layer {i}, neuron {j}", i, j, n)
            for i, layer in enumerate(model.layers)
            for j, n in enumerate(layer.neurons)
        ]
    raise TypeError(f"model= takes a Neuron, Layer or MLP, got {type(model).__name__}")


def neuron_calls(order: Sequence[Value], model: Module) -> list[NeuronCall]:
    """Every complete call of ``model``'s neurons in the graph whose topological order is ``order``,
    in the model's order (layer by layer, then call by call)."""
    neurons = neurons_of(model)
    weight_at: dict[Value, tuple[int, int]] = {}
    for k, (_, _, _, neuron) in enumerate(neurons):
        for j, w in enumerate(neuron.w):
            weight_at[w] = (k, j)
    product: dict[Value, tuple[int, int]] = {}  # w_j * x_j -> (neuron, j)
    running: dict[Value, tuple[NeuronCall, int]] = {}  # b + ... + w_j x_j -> (call, j)
    finished: dict[Value, NeuronCall] = {}  # the complete sum of a call -> the call
    calls: list[NeuronCall] = []
    count: dict[int, int] = {}
    for node in order:
        if node._op == "*":
            for p in node._prev:
                if p in weight_at:
                    product[node] = weight_at[p]
                    break
        elif node._op == "+" and len(node._prev) == 2 and node._prev[1] in product:
            a, b = node._prev
            k, j = product[b]
            title, layer, index, neuron = neurons[k]
            if j == 0 and a is neuron.b:
                call = NeuronCall(title, layer, index, neuron, call=count.get(k, 0))
                count[k] = count.get(k, 0) + 1
                calls.append(call)
            elif a in running and running[a][1] == j - 1 and running[a][0].neuron is neuron:
                call = running[a][0]
            else:
                continue
            call.products.append(b)
            call.sums.append(node)
            running[node] = (call, j)
            if j == len(neuron.w) - 1:
                finished[node] = call
        elif len(node._prev) == 1 and node._prev[0] in finished:
            call = finished[node._prev[0]]
            if call.activation is None and node._op == _ACTIVATION_OPS[call.neuron.activation]:
                call.activation = node
    complete = [c for c in calls if c.z in finished and (c.activation is not None or c.neuron.activation == "linear")]
    place = {id(n): k for k, (_, _, _, n) in enumerate(neurons)}
    return sorted(complete, key=lambda c: (place[id(c.neuron)], c.call))


def model_inputs(order: Sequence[Value], model: Module) -> set[Value]:
    """The leaves that the model's neurons multiply their weights with: the data fed to the model."""
    weights = {w for _, _, _, neuron in neurons_of(model) for w in neuron.w}
    found: set[Value] = set()
    for node in order:
        if node._op == "*" and any(p in weights for p in node._prev):
            found.update(p for p in node._prev if p not in weights and not p._prev)
    return found
