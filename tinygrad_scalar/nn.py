"""Neurons, layers and multi-layer perceptrons built from ``Value`` objects.

The signatures and defaults are micrograd's, so its code and demo run unchanged::

    model = MLP(2, [16, 16, 1])        # ReLU hidden layers, a linear output
    score = model([0.5, -1.0])         # one Value (a list of Values for several outputs)
    model.zero_grad(); score.backward()

On top of that: ``activation=`` picks the hidden non-linearity (``'relu'``, ``'tanh'``,
``'sigmoid'``, ``'linear'``), ``init=`` the weight initialisation (micrograd's ``'uniform'``
on [-1, 1], ``'he'`` or ``'xavier'``), and ``seed=`` or ``rng=`` make a model reproducible
without touching the global ``random`` state. Without them, weights come from the global
``random`` module in micrograd's order, so ``random.seed(1337)`` gives micrograd's exact model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Protocol

from tinygrad_scalar.engine import Number, Value

__all__ = ["ACTIVATIONS", "INITS", "MLP", "Layer", "Module", "Neuron"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
"""The names accepted by ``activation=``."""

INITS = ("uniform", "he", "xavier")
"""The names accepted by ``init=``: U(-1, 1) as micrograd; He normal N(0, 2/fan_in), for ReLU;
Xavier (Glorot) uniform U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid."""

Input = Sequence[Value | Number]
Output = Value | list[Value]


class _Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...
    def gauss(self, mu: float, sigma: float) -> float: ...


def _choose_rng(rng: random.Random | None, seed: int | None) -> _Random:
    if rng is not None and seed is not None:
        raise ValueError("give either rng= or seed=, not both: seed=N is short for rng=random.Random(N)")
    if seed is not None:
        return random.Random(seed)
    return rng if rng is not None else random  # the global generator, in micrograd's order


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")


class Module:
    """Base class: anything with parameters. Subclasses override ``parameters()``."""

    def parameters(self) -> list[Value]:
        """Every trainable ``Value`` of the module, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0: call it before each ``backward()`` when training,
        since the gradients of leaves accumulate across backward passes."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many scalar parameters the module has (``MLP(2, [16, 16, 1])`` has 337)."""
        return len(self.parameters())


class Neuron(Module):
    """One neuron: ``activation(w . x + b)``, with one weight per input and a bias.

    ``Neuron(nin, nonlin=True)`` is micrograd's: ReLU when ``nonlin``, linear otherwise.
    ``activation=`` overrides that choice.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        fan_out: int = 1,
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        if activation is None:
            activation = "relu" if nonlin else "linear"
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        if nin < 1:
            raise ValueError(f"a neuron needs at least one input, got nin={nin}")
        source = _choose_rng(rng, seed)
        if init == "uniform":
            self.w = [Value(source.uniform(-1, 1)) for _ in range(nin)]
        elif init == "he":
            self.w = [Value(source.gauss(0.0, math.sqrt(2.0 / nin))) for _ in range(nin)]
        else:
            bound = math.sqrt(6.0 / (nin + fan_out))
            self.w = [Value(source.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0)
        self.activation = activation
        self.nonlin = activation != "linear"

    def __call__(self, x: Input) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        act: Value = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "sigmoid":
            return act.sigmoid()
        return act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        name = "ReLU" if self.activation == "relu" else self.activation.capitalize()
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that each see the same ``nin`` inputs. Keyword arguments go to ``Neuron``.

    Calling a layer returns a list of ``nout`` values, or a single ``Value`` when ``nout == 1``
    (micrograd's convention).
    """

    def __init__(
        self, nin: int, nout: int, *, rng: random.Random | None = None, seed: int | None = None, **kwargs: object
    ) -> None:
        source = _choose_rng(rng, seed)
        self.neurons = [Neuron(nin, fan_out=nout, rng=source, **kwargs) for _ in range(nout)]  # type: ignore[arg-type]

    def __call__(self, x: Input) -> Output:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers
    of 16 neurons to 1 output.

    Hidden layers use ``activation`` (ReLU by default, as micrograd); the last layer uses
    ``output_activation`` (linear by default, as micrograd). ``init``, ``seed`` and ``rng`` are
    described in the module docstring.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        if not nouts:
            raise ValueError("nouts lists the size of each layer and needs at least one, e.g. MLP(2, [16, 16, 1])")
        source = _choose_rng(rng, seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=activation if i < len(nouts) - 1 else output_activation,
                init=init,
                rng=source,  # type: ignore[arg-type]  # the global `random` module is a generator too
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Input) -> Output:
        out: Input | Output = x
        for layer in self.layers:
            out = layer([out] if isinstance(out, Value) else out)  # a 1-wide layer gave one Value
        return out  # type: ignore[return-value]  # the last layer returned a Value or a list

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
