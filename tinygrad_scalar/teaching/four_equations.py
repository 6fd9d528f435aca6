"""The four equations of backpropagation, read off the engine's graph of an MLP and written with its numbers.

A layer ``l`` of an MLP computes ``zˡ = Wˡ aˡ⁻¹ + bˡ`` and ``aˡ = σ(zˡ)`` (``a⁰ = x``; the layers are 1 to N,
N the output layer; ``σ`` is the layer's activation). The *error* of a layer is ``δˡ = ∂L/∂zˡ``, the
gradient of the loss with respect to its weighted sums. The textbook's four equations say how the errors
and the gradients of the parameters follow from one another:

1. the output error:      δᴺ = ∂L/∂aᴺ ⊙ σ′(zᴺ)
2. the error propagated:  δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)
3. the weights' gradient: ∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ
4. the biases' gradient:  ∂L/∂bˡ = δˡ

The scalar engine never uses them: it applies the chain rule one value at a time. ``four_equations(model, x,
loss)`` runs the model on one sample, takes every ``zˡ``, ``aˡ`` and ``δˡ`` from the graph and its gradients
(one backward pass, ``fresh_gradients``: no ``grad`` is changed), evaluates each equation from those numbers,
and compares it with what the engine computed. ``σ′`` is the local derivative the table of derivatives gives
for the layer's activation, and is written with the table's formula.

With numbers, the layer is written in brackets, ``δ⁽²⁾``, ``W⁽³⁾`` (LaTeX ``\\delta^{(2)}``), so that it cannot
be read as a power. A network small enough to check by hand: one ReLU neuron (w⁽¹⁾ = 2, b⁽¹⁾ = 0), then a
linear one (w⁽²⁾ = 3, b⁽²⁾ = 1), at x = 1 with the loss ½(a⁽²⁾ - 5)²: z⁽¹⁾ = a⁽¹⁾ = 2, a⁽²⁾ = 7 and L = 2, so
δ⁽²⁾ = 7 - 5 = 2 and δ⁽¹⁾ = 3·2·1 = 6.

>>> from tinygrad_scalar.training.nn import MLP
>>> model = MLP(1, [1, 1], seed=0)
>>> for p, v in zip(model.parameters(), [2.0, 0.0, 3.0, 1.0]):
...     p.data = v
>>> print(four_equations(model, [1.0], lambda out: 0.5 * (out[0] - 5.0) ** 2))
The four equations of backpropagation on one sample (N = 2 layers), loss L = 2:
layer 2 (the output layer, linear): σ′(z⁽²⁾) = 1
  (1) δ⁽²⁾ = ∂L/∂a⁽²⁾ ⊙ σ′(z⁽²⁾)
           = [2] ⊙ [1]
           = [2]
  (3) ∂L/∂W⁽²⁾ = δ⁽²⁾ (a⁽¹⁾)ᵀ
               = [2] [2]
               = [4]
  (4) ∂L/∂b⁽²⁾ = δ⁽²⁾ = [2]
layer 1 (a hidden layer, relu): σ′(z⁽¹⁾) = [z⁽¹⁾ > 0]
  (2) δ⁽¹⁾ = ((W⁽²⁾)ᵀ δ⁽²⁾) ⊙ σ′(z⁽¹⁾)
           = ([3] [2]) ⊙ σ′(z⁽¹⁾)
           = [6] ⊙ [1]
           = [6]
  (3) ∂L/∂W⁽¹⁾ = δ⁽¹⁾ (a⁽⁰⁾)ᵀ
               = [6] [1]
               = [6]
  (4) ∂L/∂b⁽¹⁾ = δ⁽¹⁾ = [6]
Checked against the engine: each equation at each layer (6 checks) gives its numbers exactly.

In text, vectors are columns written ``[a; b]``, rows ``[a, b]``, matrices row by row ``[a, b; c, d]``;
``.latex()`` writes them as matrices, ``.markdown()`` shows the LaTeX in Jupyter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Number, Value, contributions, fresh_gradients, op_of
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.views.naming import num

__all__ = ["Check", "FourEquations", "LayerTerms", "four_equations"]

Vector = tuple[float, ...]
Matrix = tuple[Vector, ...]

TOLERANCE = 1e-12
"""Each equation agrees with the engine when every entry is within this much of it, relative to the size of
the terms it sums (an error of a few roundings)."""

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sup(n: int) -> str:
    """Layer ``n`` as a superscript in brackets, ⁽²⁾: never to be read as a power."""
    return "⁽" + str(n).translate(_SUPERSCRIPTS) + "⁾"


@dataclass(frozen=True)
class LayerTerms:
    """Layer ``index`` on one sample: its parameters, what it computed, and the engine's gradients."""

    index: int  # l, from 1 (the first hidden layer) to N (the output layer)
    activation: str  # the activation's name in training.nn ('tanh', 'linear', ...)
    slope_formula: tuple[str, str]  # σ′(zˡ) as the table writes it, in text and LaTeX
    W: Matrix  # one row per neuron
    b: Vector
    a_in: Vector  # aˡ⁻¹, what the layer reads (the sample itself for layer 1)
    z: Vector  # the weighted sums
    a: Vector  # σ(z)
    slope: Vector  # σ′(z), the activation's local derivative
    grad_a: Vector  # ∂L/∂aˡ, by the engine
    delta: Vector  # δˡ = ∂L/∂zˡ, by the engine
    grad_W: Matrix  # ∂L/∂Wˡ, by the engine
    grad_b: Vector  # ∂L/∂bˡ, by the engine


@dataclass(frozen=True)
class Check:
    """One equation at one layer: what the equation gives, what the engine computed, and how far apart."""

    equation: int  # 1 to 4
    layer: int
    equation_gives: tuple[float, ...]  # flattened, row by row
    engine_gives: tuple[float, ...]
    scales: tuple[float, ...]  # the size of the terms each entry sums

    @property
    def largest_difference(self) -> float:
        """The largest difference between the two, relative to the size of the terms."""
        return max(
            (
                abs(x - y) / s if s else abs(x - y)
                for x, y, s in zip(self.equation_gives, self.engine_gives, self.scales)
            ),
            default=0.0,
        )

    @property
    def agrees(self) -> bool:
        """Whether the equation gives what the engine computed, up to ``TOLERANCE``."""
        return self.largest_difference <= TOLERANCE


def _outer(column: Vector, row: Vector) -> Matrix:
    return tuple(tuple(c * r for r in row) for c in column)


@dataclass(frozen=True)
class FourEquations:
    """The four equations of one sample through an MLP: its layers (``layers[0]`` is layer 1), the loss,
    and each equation evaluated and checked against the engine."""

    layers: tuple[LayerTerms, ...]
    loss: float

    # ---- the equations, evaluated from the layers' numbers ----

    def output_error(self) -> Vector:
        """Equation 1: δᴺ = ∂L/∂aᴺ ⊙ σ′(zᴺ)."""
        last = self.layers[-1]
        return tuple(g * s for g, s in zip(last.grad_a, last.slope))

    def backpropagated(self, l: int) -> Vector:  # noqa: E741 - the layer index of the textbook
        """Equation 2: δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ), for a layer ``l`` below the output."""
        return tuple(p * s for p, s in zip(self._transposed_product(l), self.layers[l - 1].slope))

    def _transposed_product(self, l: int) -> Vector:  # noqa: E741
        """(Wˡ⁺¹)ᵀ δˡ⁺¹, the part of equation 2 before the slope."""
        above = self.layers[l]
        return tuple(math.fsum(row[j] * d for row, d in zip(above.W, above.delta)) for j in range(len(above.W[0])))

    def weight_gradient(self, l: int) -> Matrix:  # noqa: E741
        """Equation 3: ∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ, the outer product of the layer's error and its input."""
        layer = self.layers[l - 1]
        return _outer(layer.delta, layer.a_in)

    def bias_gradient(self, l: int) -> Vector:  # noqa: E741
        """Equation 4: ∂L/∂bˡ = δˡ."""
        return self.layers[l - 1].delta

    # ---- the checks against the engine ----

    def checks(self) -> tuple[Check, ...]:
        """Every equation at every layer where it applies, compared with the engine's numbers."""
        found = []
        last = self.layers[-1]
        found.append(Check(1, last.index, self.output_error(), last.delta, _scales(self.output_error())))
        for layer in self.layers[:-1]:
            above = self.layers[layer.index]
            scales = tuple(
                math.fsum(abs(above.W[k][j] * above.delta[k]) for k in range(len(above.delta))) * abs(layer.slope[j])
                for j in range(len(layer.z))
            )
            found.append(Check(2, layer.index, self.backpropagated(layer.index), layer.delta, scales))
        for layer in self.layers:
            given = self.weight_gradient(layer.index)
            found.append(Check(3, layer.index, _flat(given), _flat(layer.grad_W), _scales(_flat(given))))
            found.append(Check(4, layer.index, layer.delta, layer.grad_b, _scales(layer.delta)))
        return tuple(found)

    @property
    def agree(self) -> bool:
        """Whether every equation gives, at every layer, what the engine computed."""
        return all(check.agrees for check in self.checks())

    # ---- writing them down ----

    def text(self) -> str:
        """The equations with their numbers, layer by layer from the output back, in plain text: each
        equation on several lines (the symbols, the numbers, the result), its = signs one under the other."""
        n = len(self.layers)
        lines = [f"The four equations of backpropagation on one sample (N = {n} layers), loss L = {num(self.loss)}:"]
        for layer in reversed(self.layers):
            l = layer.index  # noqa: E741
            lines.append(f"layer {l} ({_role(l, n)}, {layer.activation}): σ′(z{_sup(l)}) = {layer.slope_formula[0]}")
            if l == n:
                lines += _aligned(
                    f"  (1) δ{_sup(l)}",
                    [
                        f"∂L/∂a{_sup(l)} ⊙ σ′(z{_sup(l)})",
                        f"{_col(layer.grad_a)} ⊙ {_col(layer.slope)}",
                        _col(self.output_error()),
                    ],
                )
            else:
                above = self.layers[l]
                lines += _aligned(
                    f"  (2) δ{_sup(l)}",
                    [
                        f"((W{_sup(l + 1)})ᵀ δ{_sup(l + 1)}) ⊙ σ′(z{_sup(l)})",
                        f"({_mat(tuple(zip(*above.W)))} {_col(above.delta)}) ⊙ σ′(z{_sup(l)})",
                        f"{_col(self._transposed_product(l))} ⊙ {_col(layer.slope)}",
                        _col(self.backpropagated(l)),
                    ],
                )
            lines += _aligned(
                f"  (3) ∂L/∂W{_sup(l)}",
                [
                    f"δ{_sup(l)} (a{_sup(l - 1)})ᵀ",
                    f"{_col(layer.delta)} {_row(layer.a_in)}",
                    _mat(self.weight_gradient(l)),
                ],
            )
            lines.append(f"  (4) ∂L/∂b{_sup(l)} = δ{_sup(l)} = {_col(layer.delta)}")
        lines.append(self._verdict())
        return "\n".join(lines)

    def latex(self) -> str:
        """The same, in LaTeX: one ``aligned`` block per layer, each equation on three lines (the symbols,
        the numbers, the result) so that a block fits a page or a slide; vectors and matrices as ``bmatrix``."""
        n = len(self.layers)
        blocks = []
        for layer in reversed(self.layers):
            l = layer.index  # noqa: E741
            rows = [rf"\sigma'(z^{{({l})}}) &= {layer.slope_formula[1]}"]
            if l == n:
                rows += [
                    rf"\delta^{{({l})}} &= \frac{{\partial L}}{{\partial a^{{({l})}}}} \odot \sigma'(z^{{({l})}})",
                    rf"&= {_lcol(layer.grad_a)} \odot {_lcol(layer.slope)}",
                    rf"&= {_lcol(self.output_error())}",
                ]
            else:
                above = self.layers[l]
                rows += [
                    rf"\delta^{{({l})}} &= \left((W^{{({l + 1})}})^{{\top}} \delta^{{({l + 1})}}\right)"
                    rf" \odot \sigma'(z^{{({l})}})",
                    rf"&= \left({_lmat(tuple(zip(*above.W)))} {_lcol(above.delta)}\right) \odot \sigma'(z^{{({l})}})",
                    rf"&= {_lcol(self._transposed_product(l))} \odot {_lcol(layer.slope)}",
                    rf"&= {_lcol(self.backpropagated(l))}",
                ]
            rows += [
                rf"\frac{{\partial L}}{{\partial W^{{({l})}}}} &= \delta^{{({l})}} (a^{{({l - 1})}})^{{\top}}",
                rf"&= {_lcol(layer.delta)} {_lmat((layer.a_in,))}",
                rf"&= {_lmat(self.weight_gradient(l))}",
                rf"\frac{{\partial L}}{{\partial b^{{({l})}}}} &= \delta^{{({l})}} = {_lcol(layer.delta)}",
            ]
            blocks.append("\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}")
        return "\n\n".join(blocks)

    def markdown(self) -> str:
        """The LaTeX blocks, each under the name of its layer, for Jupyter."""
        n = len(self.layers)
        parts = [f"The four equations of backpropagation on one sample, loss $L = {num(self.loss)}$:"]
        for layer, block in zip(reversed(self.layers), self.latex().split("\n\n")):
            parts.append(f"**Layer {layer.index}** ({_role(layer.index, n)}, {layer.activation})\n\n$$\n{block}\n$$")
        parts.append(self._verdict())
        return "\n\n".join(parts)

    def _verdict(self) -> str:
        checks = self.checks()
        worst = max(c.largest_difference for c in checks)
        if not all(c.agrees for c in checks):
            wrong = ", ".join(f"equation {c.equation} at layer {c.layer}" for c in checks if not c.agrees)
            return f"Checked against the engine: {wrong} disagree (largest relative difference {worst:.1e})."
        exact = sum(c.largest_difference == 0.0 for c in checks)
        said = f"Checked against the engine: each equation at each layer ({len(checks)} checks) gives its numbers"
        if exact == len(checks):
            return said + " exactly."
        return said + f", {exact} exactly and the others within {worst:.1e} of the size of their terms (rounding)."

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()


def _aligned(left: str, right: list[str]) -> list[str]:
    """``left = right[0]``, then ``= right[1]``... on lines of their own, each = under the first."""
    indent = " " * len(left)
    return [f"{left} = {right[0]}", *(f"{indent} = {r}" for r in right[1:])]


def _role(l: int, n: int) -> str:  # noqa: E741
    return "the output layer" if l == n else "a hidden layer"


def _flat(m: Matrix) -> Vector:
    return tuple(x for row in m for x in row)


def _scales(values: Vector) -> Vector:
    return tuple(abs(v) for v in values)


def _col(v: Sequence[float]) -> str:
    return "[" + "; ".join(num(x) for x in v) + "]"


def _row(v: Sequence[float]) -> str:
    return "[" + ", ".join(num(x) for x in v) + "]"


def _mat(m: Sequence[Sequence[float]]) -> str:
    return "[" + "; ".join(", ".join(num(x) for x in row) for row in m) + "]"


def _lmat(m: Sequence[Sequence[float]]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(num(x) for x in row) for row in m) + r"\end{bmatrix}"


def _lcol(v: Sequence[float]) -> str:
    return _lmat([(x,) for x in v])


def four_equations(model: MLP, x: Sequence[Value | Number], loss: Callable[[list[Value]], Value]) -> FourEquations:
    """``model`` run on the sample ``x``, with ``loss`` (a function of the list of outputs, one ``Value`` per
    output neuron) as the loss: each layer's ``zˡ``, ``aˡ`` and ``δˡ`` read from the graph and its gradients,
    and the four equations evaluated and checked against the engine (see the module docstring). No ``grad``
    of the model or of the graph is changed."""
    if not isinstance(model, MLP):
        raise TypeError(f"four_equations reads an MLP of tinygrad_scalar.training.nn, got {type(model).__name__}")
    if len(x) != model.nin:
        raise ValueError(f"the model takes {model.nin} inputs, got a sample of {len(x)}")
    inputs: list[Value | Number] = list(x)
    read: list[tuple[list[Value], list[Value], list[Value | Number]]] = []
    for l, layer in enumerate(model.layers, start=1):  # noqa: E741
        out = layer(inputs)
        outs = [out] if isinstance(out, Value) else list(out)
        sums = [_weighted_sum(neuron.activation, o, l) for neuron, o in zip(layer.neurons, outs)]
        read.append((sums, outs, inputs))
        inputs = list(outs)
    root = loss(list(inputs))  # type: ignore[arg-type]  # the last layer's outputs are Values
    if not isinstance(root, Value):
        raise TypeError(f"loss must return a Value built from the outputs, got {type(root).__name__}")
    grads = fresh_gradients(root)
    layers = []
    for l, (layer, (sums, outs, reads)) in enumerate(zip(model.layers, read), start=1):  # noqa: E741
        neuron = layer.neurons[0]
        slope = tuple(1.0 if s is o else contributions(o, 1.0)[0] for s, o in zip(sums, outs))
        layers.append(
            LayerTerms(
                index=l,
                activation=neuron.activation,
                slope_formula=_slope_formula(outs[0], sums[0], l),
                W=tuple(tuple(w.data for w in n.w) for n in layer.neurons),
                b=tuple(n.b.data for n in layer.neurons),
                a_in=tuple(v.data if isinstance(v, Value) else float(v) for v in reads),
                z=tuple(s.data for s in sums),
                a=tuple(o.data for o in outs),
                slope=slope,
                grad_a=tuple(grads.get(o, 0.0) for o in outs),
                delta=tuple(grads.get(s, 0.0) for s in sums),
                grad_W=tuple(tuple(grads.get(w, 0.0) for w in n.w) for n in layer.neurons),
                grad_b=tuple(grads.get(n.b, 0.0) for n in layer.neurons),
            )
        )
    return FourEquations(tuple(layers), root.data)


def _weighted_sum(activation: str, out: Value, layer: int) -> Value:
    """The node of zˡ for one neuron: its output itself when linear, else the output's one parent."""
    if activation == "linear":
        return out
    op, _ = op_of(out, "four_equations")
    if op.name != activation or len(out._prev) != 1:
        raise ValueError(
            f"layer {layer}: a neuron's output should be {activation}(z), but it was made by {op.name!r}; "
            "four_equations reads the graph an MLP of tinygrad_scalar.training.nn builds"
        )
    return out._prev[0]


def _slope_formula(out: Value, z: Value, layer: int) -> tuple[str, str]:
    """σ′(zˡ) as the table of derivatives writes it, in text and LaTeX."""
    if out is z:
        return "1", "1"
    op, params = op_of(out, "four_equations")
    name = f"z{_sup(layer)}"
    return (
        op.formula(0, [name], f"a{_sup(layer)}", params),
        op.formula(0, [f"z^{{({layer})}}"], f"a^{{({layer})}}", params, latex=True),
    )
