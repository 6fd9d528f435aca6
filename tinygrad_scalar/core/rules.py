"""The table of derivatives, compiled: the float functions the engine and forward mode run.

Each row of the table (:mod:`tinygrad_scalar.core.ops`) gives the contribution of the upstream gradient to
each input as a formula. Here those formulas are written out as Python and compiled, once per
operation, so that a step of the backward pass costs what a hand-written rule costs while the formula
exists only in the table. ``print(rule_source(ops.MUL))`` shows what the engine runs for ``a * b``::

    def mul_backward(node, g):
        p0 = node._a
        p1 = node._b
        p0.grad += (g * p1.data)
        p1.grad += (g * p0.data)

A backward rule receives a node and its upstream gradient ``g = dL/d(node)``, and adds to each parent
its contribution ``g * d(node)/d(parent)``; an operation's parameters (the ``k`` of ``x**k``) are read
from the node's recipe, ``node._params``. Every row of the table is compiled when this module is
imported (a few milliseconds); ``defop`` compiles the rows it adds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_scalar.core import ops

__all__ = ["GradFn", "compile_row", "rule_source", "tangent_rule"]

GradFn = Callable[[Any, float], None]
"""A backward rule: ``rule(node, upstream)`` adds each parent's contribution to its ``grad``."""

_PARENT_SLOTS = ("node._a", "node._b")


def rule_source(op: ops.Op) -> str:
    """The Python source of ``op``'s backward rule, as it is compiled from the table."""
    n, k = op.arity, len(op.params)
    params = [ops.Code(f"k{i}", number=True) for i in range(k)]
    inputs = [ops.Code(f"p{i}.data") for i in range(n)]
    body = [f"    {', '.join(f'k{i}' for i in range(k))}, = node._params"] if k else []
    body += [f"    p{i} = {_PARENT_SLOTS[i] if i < 2 else f'node._more[{i - 2}]'}" for i in range(n)]
    contributions = op.contributions_code(ops.Code("g"), inputs, ops.Code("node.data"), params)
    adds = [ops.statement(f"p{i}.grad", c) for i, c in enumerate(contributions)]
    body += [f"    {line}" for line in adds if line is not None] or ["    pass"]
    return "\n".join([f"def {op.name}_backward(node, g):", *body, ""])


def compile_row(op: ops.Op) -> None:
    """Compile ``op``'s backward rule into ``op.backward`` (a mistake in a formula raises here)."""
    op.backward = ops.compile_function(rule_source(op), f"{op.name}_backward", f"<backward rule of {op.name}>")


def tangent_rule(op: ops.Op) -> Callable[..., float]:
    """Forward mode's rule for ``op``: ``rule(tangents, *inputs, out, *params)``, how fast the result moves
    when the inputs move at the rates ``tangents`` (``None`` for an input that does not move).

    It is the row's ``tangent`` formula where the row has one; otherwise the sum, over the inputs that
    move, of their contributions with ``g`` set to the input's tangent (contributions are linear in
    ``g``, and for one output ``d(out)/d(input) * t`` is the same formula whichever way the rate flows).
    """
    rule: Callable[..., float] | None = op.compiled.get("tangent")
    if rule is not None:
        return rule
    names = [f"x{i}" for i in range(op.arity)]
    params = [ops.Code(f"k{i}", number=True) for i in range(len(op.params))]
    inputs = [ops.Code(name) for name in names]
    arguments = ", ".join(["ts", *names, "out", *(f"k{i}" for i in range(len(op.params)))])
    lines = [f"def {op.name}_tangent({arguments}):"]
    if op.tangent is not None:  # one formula of every tangent; an input that does not move moves at 0
        lines += [f"    t{i} = 0.0 if ts[{i}] is None else ts[{i}]" for i in range(op.arity)]
        tangents = [ops.Code(f"t{i}") for i in range(op.arity)]
        lines.append(f"    return {ops.source(op.tangent(*tangents, *inputs, ops.Code('out'), *params))}")
    else:
        lines.append("    total = None")
        for i in range(op.arity):
            contribution = op.derivatives[i](ops.Code(f"ts[{i}]"), *inputs, ops.Code("out"), *params)
            lines.append(f"    if ts[{i}] is not None:")
            lines.append(f"        step = {ops.source(contribution)}")
            lines.append("        total = step if total is None else total + step")
        lines.append("    return 0.0 if total is None else total")
    rule = ops.compile_function("\n".join(lines) + "\n", f"{op.name}_tangent", f"<tangent rule of {op.name}>")
    op.compiled["tangent"] = rule
    return rule


for _op in list(ops.OPS.values()):
    if _op.expand is None:
        compile_row(_op)
