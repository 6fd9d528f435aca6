"""One naming of a graph, shared by every view: pictures, the stepper, the replays, explanations in text,
Markdown and LaTeX.

* A labelled value goes by its label.
* The output (the root) goes by its label, or ``out`` when it has none. A loss is called ``L`` because the
  functions of :mod:`tinygrad_scalar.training.losses` label their result ``L``; an output that is not a
  loss is never called ``L`` by us.
* Unlabelled values made by operations are ``u1``, ``u2``, ... in forward (topological) order. Leaves do
  not take part in this count, so the same operations get the same numbers whether or not their inputs
  are labelled, in every view.
* An unlabelled leaf is ``v1``, ``v2``, ... in forward order; given ``model=``, the model's weights and
  biases are named after their place in it instead: ``w0``, ``w1``, ``b`` for a ``Neuron``, ``w2.1`` and
  ``b2`` (neuron 2's) for a ``Layer``, ``w1.2.0`` and ``b1.2`` (layer 1, neuron 2) for an ``MLP``.
* No two values share a name: labels win, and generated names skip every name a label took (a
  label used twice is told apart as ``y``, ``y'``).
* A plain number in an expression (a ``Constant``) is written as its number.

An explanation defines a generated name where it first uses it (``u1 = x1·w1``), and a picture writes it
in its box.

>>> from tinygrad_scalar import Value
>>> x, w = Value(2.0, label='x'), Value(3.0, label='w')
>>> y = (w * x + 1.0) ** 2
>>> names = graph_names(y)
>>> [names[n] for n in y._prev[0]._prev]
['u1', '1']
>>> names[y], definition(y._prev[0]._prev[0], names)
('out', 'u1 = w·x')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, op_of, topological_order
from tinygrad_scalar.training.nn import MLP, Layer, Module
from tinygrad_scalar.views.neurons import neurons_of

__all__ = [
    "definition",
    "factor",
    "first_uses",
    "graph_names",
    "is_generated",
    "is_negation",
    "latex_name",
    "latex_wrap",
    "num",
    "parameter_names",
    "wrap",
    "written",
]

ROOT_NAME = "out"
"""What an unlabelled output is called (a loss is labelled ``L`` by the function that computes it)."""

LEAF_PREFIX, INTERMEDIATE_PREFIX = "v", "u"
"""The letters of generated names: ``v1, v2, ...`` for unlabelled leaves, ``u1, u2, ...`` for the rest."""


def num(x: float) -> str:
    """A number as explanations write it: up to 6 significant digits, no trailing zeros."""
    if x == 0.0:
        return "0"
    return f"{x:.6g}"


def factor(x: float) -> str:
    """A number as a factor of a product: negative numbers in brackets, ``1 · (-3)``."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def graph_names(root: Value, *, model: Module | None = None) -> dict[Value, str]:
    """The name of every value of ``root``'s graph (see the module docstring); ``model`` names the
    unlabelled weights and biases of a ``Neuron``, ``Layer`` or ``MLP`` after their place in it."""
    order = topological_order(root)
    taken: set[str] = set()
    names: dict[Value, str] = {}

    def give(node: Value, name: str) -> None:
        while name in taken:  # the same label on two values: y, y', y''
            name += "'"
        names[node] = name
        taken.add(name)

    for node in order:  # labels first: they win
        if node.label and not isinstance(node, Constant):
            give(node, node.label)
    if root not in names:
        give(root, ROOT_NAME)
    in_graph = set(order)
    for parameter, name in parameter_names(model).items() if model is not None else ():
        if parameter in in_graph and parameter not in names:
            give(parameter, name)
    counters = {LEAF_PREFIX: 0, INTERMEDIATE_PREFIX: 0}
    for node in order:
        if node in names:
            continue
        if isinstance(node, Constant):
            names[node] = num(node.data)
            continue
        prefix = INTERMEDIATE_PREFIX if node._prev else LEAF_PREFIX
        counters[prefix] += 1
        while f"{prefix}{counters[prefix]}" in taken:
            counters[prefix] += 1
        give(node, f"{prefix}{counters[prefix]}")
    return names


def parameter_names(model: Module) -> dict[Value, str]:
    """The name of each weight and bias of ``model`` after its place: ``w0``, ``b`` (a ``Neuron``), ``w2.1``,
    ``b2`` (a ``Layer``: neuron 2), ``w1.2.0``, ``b1.2`` (an ``MLP``: layer 1, neuron 2); 0-based, as in code."""
    places = [
        (f"{layer}.{index}" if isinstance(model, MLP) else f"{index}" if isinstance(model, Layer) else "", neuron)
        for _, layer, index, neuron in neurons_of(model)
    ]
    names: dict[Value, str] = {}
    for place, neuron in places:
        names.update({w: f"w{place}.{k}" if place else f"w{k}" for k, w in enumerate(neuron.w)})
        names[neuron.b] = f"b{place}"
    return names


def is_generated(node: Value, names: dict[Value, str]) -> bool:
    """Whether ``node``'s name was made up (it has no label and is not a number): it needs a definition."""
    return not node.label and not isinstance(node, Constant)


def is_negation(node: Value) -> bool:
    """Whether ``node`` is ``-x``, which the engine makes as ``x * -1``: written and explained as a negation."""
    rule = node._grad_fn
    return getattr(rule, "op", None) is ops.MUL and isinstance(node._b, Constant) and node._b.data == -1.0


def _atomic(text: str) -> bool:
    """A name, a number or a function call that needs no brackets inside a larger expression."""
    if re.fullmatch(r"[A-Za-z_]\w*'*|[A-Za-z]\d+(\.\d+)+|\d+(\.\d+)?(e[+-]?\d+)?", text):
        return True
    call = re.fullmatch(r"[A-Za-z_]\w*\((.*)\)|\|(.*)\|", text)  # tanh(n), |x|: the brackets are its own
    if call is None:
        return False
    return _balanced(call.group(1) if call.group(1) is not None else call.group(2))


def wrap(text: str) -> str:
    """``text`` in brackets unless it is a single name or number: ``(x + 1)``, ``(-3)``, ``w``."""
    return (
        text
        if _atomic(text) or (text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]))
        else f"({text})"
    )


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def latex_name(name: str) -> str:
    """A name in LaTeX: ``x1`` is ``x_{1}``, ``y'`` stays, a longer label is upright text, a number a number."""
    match = re.fullmatch(r"([A-Za-z])(\d+)('*)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}{match.group(3)}"
    place = re.fullmatch(r"([wb])(\d+)\.(\d+)(?:\.(\d+))?('*)", name)  # a model's parameter: w1.2.0, w2.1, b1.2
    if place:
        letter, a, b, c, primes = place.groups()
        if letter == "w" and c is not None:  # layer a, neuron b, input c
            return rf"w^{{({a})}}_{{{b},{c}}}{primes}"
        if letter == "w":  # neuron a, input b
            return rf"w_{{{a},{b}}}{primes}"
        if c is None:  # b1.2: layer 1, neuron 2
            return rf"b^{{({a})}}_{{{b}}}{primes}"
    if re.fullmatch(r"[A-Za-z]'*", name):
        return name
    if re.fullmatch(r"-?\d+(\.\d+)?", name):
        return name
    if re.fullmatch(r"-?\d+(\.\d+)?e[+-]?\d+", name):
        mantissa, exponent = name.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    if re.fullmatch(r"[\w.]+( *[-+*/] *[\w.]+)+", name) and not re.search(r"_", name):  # a label like x1*w1 + b
        tokens = re.findall(r"[A-Za-z]\w*|[\d.]+|[-+*/]", name)
        math = {"*": r"\cdot", "/": "/", "+": "+", "-": "-"}
        return " ".join(math.get(t, latex_name(t) if t[0].isalpha() else t) for t in tokens)
    special = str.maketrans({c: "\\" + c for c in "{}$%#&_"} | {"\\": r"\backslash ", "^": r"\hat{}", "~": r"\sim "})
    return r"\mathrm{" + name.translate(special) + "}"


def latex_wrap(text: str) -> str:
    """A LaTeX expression in brackets unless it is one symbol or number."""
    simple = re.fullmatch(
        r"[A-Za-z]('*)|[A-Za-z](\^\{\(\d+\)\})?_\{\d+(,\d+)?\}'*|\d+(\.\d+)?|\\mathrm\{[^{}]*\}", text
    )
    return text if simple else rf"\left({text}\right)"


def written(node: Value, names: dict[Value, str], latex: bool = False) -> str:
    """How a teacher writes the operation that made ``node``, in its parents' names: ``x1·w1``,
    ``tanh(n)``, ``-y`` (text), or the LaTeX of it."""
    op, params = op_of(node, "explanations")
    parents = [names[p] for p in node._prev]
    shown = [latex_wrap(latex_name(p)) if latex else wrap(p) for p in parents]
    if is_negation(node):
        return f"-{shown[0]}"
    if op.expand is not None:
        return f"checkpoint({', '.join(shown)})" if not latex else rf"\operatorname{{checkpoint}}({', '.join(shown)})"
    text = op.writing(shown, params, latex=latex)
    for name in shown:  # tanh((w*x)) needs one pair of brackets, not two
        if name.startswith("(") or name.startswith(r"\left("):
            text = text.replace(f"({name})", name)
    return text


def definition(node: Value, names: dict[Value, str], latex: bool = False) -> str:
    """``u1 = x1·w1``: what a generated name stands for (a leaf: its number)."""
    name = latex_name(names[node]) if latex else names[node]
    if not node._prev:
        return f"{name} = {num(node.data)}"
    return f"{name} = {written(node, names, latex)}"


def first_uses(order: Sequence[Value], names: dict[Value, str]) -> list[Value]:
    """The values with generated names, in the order the backward pass first meets them."""
    seen: list[Value] = []
    for node in reversed(order):
        for value in (node, *node._prev):
            if is_generated(value, names) and value not in seen:
                seen.append(value)
    return seen
