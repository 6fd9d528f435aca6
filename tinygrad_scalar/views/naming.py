"""One naming of a graph, shared by every view: pictures, the stepper, explanations in text, Markdown and LaTeX.

* A labelled value goes by its label.
* An unlabelled value gets a short generated name, ``u1``, ``u2``, ... in topological order; an
  explanation defines it where it first uses it (``u1 = x1·w1``), and a picture writes it in its box.
* An unlabelled output is ``L``.
* No two values share a name: labels win, and generated names skip every name a label took (a
  label used twice is told apart as ``y``, ``y'``).
* A plain number in an expression (a ``Constant``) is written as its number; Euler's number as ``e``.

>>> from tinygrad_scalar import Value
>>> x, w = Value(2.0, label='x'), Value(3.0, label='w')
>>> y = (w * x + 1.0) ** 2
>>> names = graph_names(y)
>>> [names[n] for n in y._prev[0]._prev]
['u1', '1']
>>> names[y], definition(y._prev[0]._prev[0], names)
('L', 'u1 = w·x')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, op_of, topological_order

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
    "wrap",
    "written",
]

ROOT_NAME = "L"
"""What an unlabelled output is called."""


def num(x: float) -> str:
    """A number as explanations write it: up to 6 significant digits, no trailing zeros."""
    if x == 0.0:
        return "0"
    return f"{x:.6g}"


def factor(x: float) -> str:
    """A number as a factor of a product: negative numbers in brackets, ``1 · (-3)``."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def graph_names(root: Value) -> dict[Value, str]:
    """The name of every value of ``root``'s graph (see the module docstring)."""
    order = topological_order(root)
    taken: set[str] = set()
    names: dict[Value, str] = {}
    for node in order:  # labels first: they win
        if node.label and not isinstance(node, Constant):
            name = node.label
            while name in taken:  # the same label on two values: y, y', y''
                name += "'"
            names[node] = name
            taken.add(name)
    if root not in names:
        names[root] = _free(ROOT_NAME, taken)
        taken.add(names[root])
    counter = 0
    for node in order:
        if node in names:
            continue
        if isinstance(node, Constant):  # a number; Euler's number is e (unless a label took the name)
            names[node] = "e" if node.data == math.e and "e" not in taken else num(node.data)
            continue
        counter += 1
        while f"u{counter}" in taken:
            counter += 1
        names[node] = f"u{counter}"
        taken.add(names[node])
    return names


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "'"
    return name


def is_generated(node: Value, names: dict[Value, str]) -> bool:
    """Whether ``node``'s name was made up (it has no label and is not a number): it needs a definition."""
    return not node.label and not isinstance(node, Constant)


def is_negation(node: Value) -> bool:
    """Whether ``node`` is ``-x``, which the engine makes as ``x * -1``: written and explained as a negation."""
    rule = node._grad_fn
    return getattr(rule, "op", None) is ops.MUL and isinstance(node._b, Constant) and node._b.data == -1.0


def _atomic(text: str) -> bool:
    """A name, a number or a function call that needs no brackets inside a larger expression."""
    if re.fullmatch(r"[A-Za-z_]\w*'*|\d+(\.\d+)?(e[+-]?\d+)?", text):
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
    simple = re.fullmatch(r"[A-Za-z]('*)|[A-Za-z]_\{\d+\}'*|\d+(\.\d+)?|\\mathrm\{[^{}]*\}", text)
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
