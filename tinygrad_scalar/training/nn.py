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

``MLP.lecture(3, [4, 4, 1])`` is the network of the micrograd lecture: tanh in every layer, the output too,
and each neuron draws its weights and then its bias from U(-1, 1) (``bias_init='uniform'``), as the
lecture's ``Neuron`` does; micrograd's package sets every bias to 0 (``bias_init='zero'``, the default).
After ``random.seed(1337)`` it is the lecture's model, number for number.
"""

from __future__ import annotations

import json
import math
import operator
import os
import random
import reprlib
import stat
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tinygrad_scalar.core.engine import Number, Value
from tinygrad_scalar.core.files import atomic_write

if TYPE_CHECKING:
    import torch

__all__ = [
    "ACTIVATIONS",
    "BIAS_INITS",
    "FILE_FORMAT",
    "INITS",
    "MLP",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "to_torch",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "softplus", "silu", "gelu")
"""The names accepted by ``activation=``: each is the Value method of that name (``leaky_relu`` with its default
slope 0.01, ``elu`` with alpha 1, ``gelu`` in the exact erf form), and ``linear`` for none."""

_SHOWN = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "silu": "SiLU", "gelu": "GELU"}
_SHOWN |= {name: name.capitalize() for name in ACTIVATIONS if name not in _SHOWN}  # Tanh, Linear, ...

INITS = ("uniform", "he", "xavier")
"""The names accepted by ``init=``: U(-1, 1) as micrograd; He normal N(0, 2/fan_in), for ReLU;
Xavier (Glorot) uniform U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid."""

BIAS_INITS = ("zero", "uniform")
"""The names accepted by ``bias_init=``: 0 as micrograd's package; U(-1, 1), drawn right after the neuron's
weights, as the micrograd lecture's ``Neuron``."""

Input = Sequence[Value | Number]
Output = Value | list[Value]


class _Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...
    def gauss(self, mu: float, sigma: float) -> float: ...


def _choose_rng(rng: object, seed: Any) -> _Random:
    if rng is not None and seed is not None:
        raise ValueError("give either rng= or seed=, not both: seed=N is short for rng=random.Random(N)")
    if seed is not None:
        if isinstance(seed, bool) or not hasattr(seed, "__index__"):
            raise ValueError(f"seed must be a whole number, e.g. seed=0; got {reprlib.repr(seed)}")
        return random.Random(operator.index(seed))
    if rng is None or rng is random:  # MLP hands the global generator on to its layers as rng=random
        return random  # the global generator, in micrograd's order
    if isinstance(rng, random.Random):
        return rng
    raise ValueError(f"rng must be a random.Random, e.g. rng=random.Random(0); got {reprlib.repr(rng)}")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {name} {reprlib.repr(value)}; choose one of {', '.join(map(repr, choices))}")


def _check_size(what: str, value: Any) -> int:
    """``value`` as a size of the network: a whole number >= 1 (an int or a NumPy integer, not a bool)."""
    try:
        size = operator.index(value)
    except TypeError:
        size = 0
    if isinstance(value, bool) or size < 1:
        raise ValueError(f"{what} must be a whole number >= 1, got {reprlib.repr(value)}")
    return size


def _check_sizes(nouts: Any) -> list[int]:
    """``nouts`` as the list of layer sizes: at least one, each a whole number >= 1."""
    example = "e.g. MLP(2, [16, 16, 1]) for two hidden layers of 16 and one output"
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Iterable):
        raise ValueError(f"nouts lists the size of each layer, {example}; got {reprlib.repr(nouts)}")
    sizes = [_check_size(f"nouts[{i}], the size of layer {i},", k) for i, k in enumerate(nouts)]
    if not sizes:
        raise ValueError(f"nouts lists the size of each layer and needs at least one, {example}")
    return sizes


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
    ``activation=`` overrides that choice. The weights are drawn first, then the bias
    (``bias_init='uniform'``, the lecture's) or none (``'zero'``, micrograd's package).
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        bias_init: str = "zero",
        fan_out: int = 1,
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        if activation is None:
            activation = "relu" if nonlin else "linear"
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        _check_choice("bias_init", bias_init, BIAS_INITS)
        nin = _check_size("nin, the number of inputs,", nin)
        source = _choose_rng(rng, seed)
        if init == "uniform":
            self.w = [Value(source.uniform(-1, 1)) for _ in range(nin)]
        elif init == "he":
            self.w = [Value(source.gauss(0.0, math.sqrt(2.0 / nin))) for _ in range(nin)]
        else:
            bound = math.sqrt(6.0 / (nin + fan_out))
            self.w = [Value(source.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(source.uniform(-1, 1) if bias_init == "uniform" else 0)
        self.activation = activation
        self.nonlin = activation != "linear"

    def __call__(self, x: Input) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        act = self.b  # w . x + b, summed as micrograd does: b + w0*x0 + w1*x1 + ...
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        if self.activation == "linear":
            return act
        apply: Callable[[], Value] = getattr(act, self.activation)  # the Value method of that name: act.tanh()
        return apply()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{_SHOWN[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that each see the same ``nin`` inputs. Keyword arguments go to ``Neuron``.

    Calling a layer returns a list of ``nout`` values, or a single ``Value`` when ``nout == 1``
    (micrograd's convention).
    """

    def __init__(
        self, nin: int, nout: int, *, rng: random.Random | None = None, seed: int | None = None, **kwargs: object
    ) -> None:
        nout = _check_size("nout, the number of neurons,", nout)
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
    ``output_activation`` (linear by default, as micrograd). ``init``, ``bias_init``, ``seed`` and
    ``rng`` are described in the module docstring. Every argument is checked here, so a model that builds is a
    model that saves and loads back.

    The network of the micrograd lecture is tanh throughout, its output too:
    ``MLP.lecture(3, [4, 4, 1])`` is short for
    ``MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        bias_init: str = "zero",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        nin = _check_size("nin, the number of inputs,", nin)
        sizes = _check_sizes(nouts)
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("output_activation", output_activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        _check_choice("bias_init", bias_init, BIAS_INITS)
        source = _choose_rng(rng, seed)
        self.nin, self.nouts = nin, sizes
        self.activation, self.output_activation = activation, output_activation
        widths = [nin, *sizes]
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                activation=activation if i < len(sizes) - 1 else output_activation,
                init=init,
                bias_init=bias_init,
                rng=source,  # type: ignore[arg-type]  # the global `random` module is a generator too
            )
            for i in range(len(sizes))
        ]

    @classmethod
    def lecture(
        cls,
        nin: int,
        nouts: Sequence[int],
        *,
        init: str = "uniform",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> MLP:
        """The network of the micrograd lecture: tanh in every layer, the output too, and biases drawn.

        ``MLP.lecture(3, [4, 4, 1])`` is the lecture's ``MLP(3, [4, 4, 1])``, whose output lies in
        (-1, 1) like its targets: each neuron draws its weights, then its bias, from U(-1, 1), in the
        lecture's order, so that after ``random.seed(1337)`` it is the lecture's model, parameter for
        parameter (``n([2.0, 3.0, -1.0])`` is 0.42767811248845455). It is short for
        ``MLP(nin, nouts, activation='tanh', output_activation='tanh', bias_init='uniform')``.

        The plain ``MLP`` keeps micrograd's package defaults (ReLU hidden layers, a linear output,
        biases 0), with which the lecture's 20-step loop mostly fails to learn.
        """
        return cls(
            nin,
            nouts,
            activation="tanh",
            output_activation="tanh",
            init=init,
            bias_init="uniform",
            rng=rng,
            seed=seed,
        )

    def __call__(self, x: Input) -> Output:
        out: Input | Output = x
        for layer in self.layers:
            out = layer([out] if isinstance(out, Value) else out)  # a 1-wide layer gave one Value
        return out  # type: ignore[return-value]  # the last layer returned a Value or a list

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    # ---- saving and loading ----------------------------------------------------------------------

    def architecture(self) -> dict[str, Any]:
        """What it takes to build this model again: ``MLP(**model.architecture())``."""
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every parameter to ``path`` as JSON (never pickle).

        Numbers are written exactly (``repr`` round-trips a float); ``nan`` and ``inf`` as strings.
        The text is checked with ``MLP.load``'s own checks before the old file is touched, so a save
        never replaces a good file with one that cannot be loaded (a ``ValueError`` says why). The
        file is written by ``files.atomic_write``: atomically and durably, keeping its mode.
        """
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "architecture": self.architecture(),
            "parameters": [
                [
                    [_encode(p.data, f"layer {i}, neuron {j}, parameter {k}") for k, p in enumerate(n.parameters())]
                    for j, n in enumerate(layer.neurons)
                ]
                for i, layer in enumerate(self.layers)
            ],
        }
        text = json.dumps(document, indent=1) + "\n"
        try:
            _parse_model_file(text, "the file it would write")
        except ModelFileError as error:
            raise ValueError(f"cannot save this model, MLP.load would refuse {error}; nothing was written") from None
        atomic_write(path, text.encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MLP:
        """A new model with the architecture and parameters saved in ``path`` by ``save``.

        A missing, corrupt, truncated or foreign file raises ``ModelFileError`` saying what is wrong.
        """
        architecture, values = _read_model_file(path)
        model = cls(**architecture, seed=0)
        model._assign(values)
        return model

    def load_parameters(self, path: str | os.PathLike[str]) -> None:
        """Replace this model's parameters with those saved in ``path``.

        The file is checked completely first: if anything is wrong (a corrupt file, or one saved from
        a model of another shape) ``ModelFileError`` is raised and this model is left unchanged.
        """
        architecture, values = _read_model_file(path)
        if architecture != self.architecture():
            raise ModelFileError(
                f"{os.fspath(path)}: it holds {_describe_architecture(architecture)}, but this model is "
                f"{_describe_architecture(self.architecture())}; load it with MLP.load(path) instead"
            )
        self._assign(values)

    def _assign(self, values: list[list[list[float]]]) -> None:
        for layer, layer_values in zip(self.layers, values):
            for neuron, neuron_values in zip(layer.neurons, layer_values):
                for p, v in zip(neuron.parameters(), neuron_values):
                    p.data = v


FILE_FORMAT = "tinygrad_scalar.MLP"
"""The ``format`` field of a saved model file."""
FILE_VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be loaded: the message names the file and what is wrong with it."""


def _encode(x: object, where: str) -> float | str:
    """A parameter as JSON writes it: a float, or the strings 'nan', 'inf' and '-inf' (JSON has no
    such numbers); anything but an int or a float is refused, naming the parameter."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"cannot save this model: {where} is {reprlib.repr(x)}, not a float; nothing was written")
    try:
        number = float(x)
    except OverflowError:
        raise ValueError(f"cannot save this model: {where} is an integer too large for a float") from None
    return number if math.isfinite(number) else repr(number)


def _decode(x: object, where: str) -> float:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        try:
            return float(x)
        except OverflowError:
            raise ModelFileError(f"{where} is an integer too large for a float: {reprlib.repr(x)}") from None
    if x in ("nan", "inf", "-inf"):
        return float(str(x))
    raise ModelFileError(f"{where} is not a number: {reprlib.repr(x)}")


def _describe_architecture(a: dict[str, Any]) -> str:
    return (
        f"MLP({a['nin']}, {a['nouts']}, activation={a['activation']!r}, output_activation={a['output_activation']!r})"
    )


def _valid_architecture(a: object) -> bool:
    def count(k: object) -> bool:
        return isinstance(k, int) and not isinstance(k, bool) and k >= 1

    return (
        isinstance(a, dict)
        and set(a) == {"nin", "nouts", "activation", "output_activation"}
        and count(a["nin"])
        and isinstance(a["nouts"], list)
        and len(a["nouts"]) > 0
        and all(count(k) for k in a["nouts"])
        and a["activation"] in ACTIVATIONS
        and a["output_activation"] in ACTIVATIONS
    )


class _RefusedError(Exception):
    """Raised by the JSON hooks below; ``_parse_model_file`` adds the file's name."""


_MAX_DIGITS = 309  # the digits of the largest float, 1.8e308: a longer integer is no float at all


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise _RefusedError(f"it holds an integer of {digits} digits ({text[:12]}...), too large for a float")
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _RefusedError(f"it holds the number {reprlib.repr(text)}, too large for a float (MLP.save writes 'inf')")
    return number


def _parse_constant(text: str) -> float:
    raise _RefusedError(f"it holds {text}, which is not JSON (MLP.save writes the strings 'nan', 'inf' and '-inf')")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _RefusedError(f"the key {reprlib.repr(key)} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _read_model_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[list[list[float]]]]:
    """The architecture and the parameter values in a model file, all checked."""
    name = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; it is then refused below.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # a FIFO, a device: reading could wait forever
                raise ModelFileError(f"{name}: not a regular file, so not a model saved by MLP.save")
            text = f.read().decode("utf-8")
    except OSError as error:
        raise ModelFileError(f"{name}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{name}: not a text file, so not a model saved by MLP.save") from None
    return _parse_model_file(text, name)


def _parse_model_file(text: str, name: str) -> tuple[dict[str, Any], list[list[list[float]]]]:
    """The architecture and the parameter values in the text of a model file, all checked: the one
    definition of a valid file, used by ``load`` and, before writing, by ``save``."""
    try:
        document = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_unique_keys,
        )
    except _RefusedError as error:
        raise ModelFileError(f"{name}: {error}; not a model saved by MLP.save") from None
    except RecursionError:
        raise ModelFileError(f"{name}: brackets nested too deeply to read; not a model saved by MLP.save") from None
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"{name}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}); "
            f"the file is corrupt or was cut short"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{name}: not a model saved by MLP.save (no 'format': {FILE_FORMAT!r} field)")
    version = document.get("version")
    if type(version) is not int or version != FILE_VERSION:
        raise ModelFileError(
            f"{name}: file version {reprlib.repr(version)}; "
            f"this version of tinygrad_scalar reads version {FILE_VERSION}"
        )
    architecture = document.get("architecture")
    if not _valid_architecture(architecture):
        raise ModelFileError(f"{name}: the 'architecture' field is missing or malformed: {reprlib.repr(architecture)}")
    assert isinstance(architecture, dict)  # for the type checker: _valid_architecture said so
    nin, nouts = architecture["nin"], architecture["nouts"]
    parameters = document.get("parameters")
    sizes = [nin, *nouts]
    if not isinstance(parameters, list) or len(parameters) != len(nouts):
        raise ModelFileError(f"{name}: expected parameters for {len(nouts)} layers")
    values = []
    for i, layer in enumerate(parameters):
        if not isinstance(layer, list) or len(layer) != nouts[i]:
            raise ModelFileError(f"{name}: layer {i} should have {reprlib.repr(nouts[i])} neurons")
        layer_values = []
        for j, neuron in enumerate(layer):
            if not isinstance(neuron, list) or len(neuron) != sizes[i] + 1:
                raise ModelFileError(
                    f"{name}: layer {i}, neuron {j} should have {reprlib.repr(sizes[i] + 1)} parameters "
                    f"({reprlib.repr(sizes[i])} weights, 1 bias)"
                )
            layer_values.append(
                [_decode(v, f"{name}: layer {i}, neuron {j}, parameter {k}") for k, v in enumerate(neuron)]
            )
        values.append(layer_values)
    return architecture, values


# ---- moving to PyTorch ----------------------------------------------------------------------------------


def to_torch(model: MLP) -> torch.nn.Sequential:
    """An equivalent ``torch.nn.Sequential`` in float64 with the same weights: ``Linear`` layers and
    the same activations. PyTorch is needed only here (``pip install torch``)."""
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch") from None
    activations: dict[str, Callable[[], torch.nn.Module]] = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
        "elu": torch.nn.ELU,
        "softplus": torch.nn.Softplus,
        "silu": torch.nn.SiLU,
        "gelu": torch.nn.GELU,
    }
    modules: list[torch.nn.Module] = []
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        name = model.activation if i < len(model.layers) - 1 else model.output_activation
        if name != "linear":
            if name not in activations:  # never dropped silently: a new activation needs its PyTorch twin here
                raise ValueError(f"to_torch has no PyTorch module for the activation {name!r}")
            modules.append(activations[name]())
    return torch.nn.Sequential(*modules)
