"""The table of derivatives, compiled: the float functions the engine and forward mode run.

Each row of the table (:mod:`tinygrad_scalar.core.ops`) gives the contribution of the upstream gradient to
each input as a formula. Here those formulas are written out as Python and compiled, once per
operation, so that a step of the backward pass costs what a hand-written rule costs while the formula
exists only in the table. ``print(rule_source(ops.MUL))`` shows what the engine runs for ``a * b``::

    def make():
        def mul_backward(node, g):
            p0 = node._a
            p1 = node._b
            p0.grad += (g * p1.data)
            p1.grad += (g * p0.data)
        return mul_backward

A backward rule receives a node and its upstream gradient ``g = dL/d(node)``, and adds to each parent
its contribution ``g * d(node)/d(parent)``. It carries ``rule.op`` and ``rule.params``, by which every
other consumer (higher-order derivatives, ``trace``, forward mode, explanations) finds the row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_scalar.core import ops

__all__ = ["GradFn", "closure_rule", "rule_for", "rule_source", "tangent_rules"]

GradFn = Callable[[Any, float], None]
"""A backward rule: ``rule(node, upstream)`` adds each parent's contribution to its ``grad``."""

# A rule receives the node and its upstream gradient g = dL/d(node), and adds to each parent its
# contribution g * d(node)/d(parent). It is the table's derivatives written out as Python:
#
#     def mul_backward(node, g):
#         p0 = node._a
#         p1 = node._b
#         p0.grad += (g * p1.data)
#         p1.grad += (g * p0.data)
#
# (``rule_source(ops.MUL)`` prints it), compiled once per operation, so that a step of the backward
# pass costs what a hand-written rule costs and the formula exists only in the table.

_PARENT_SLOTS = ("node._a", "node._b")


def rule_source(op: ops.Op) -> str:
    """The Python source of ``op``'s backward rule, as it is compiled from the table."""
    n = op.arity
    params = [ops.Code(f"k{i}", number=True) for i in range(len(op.params))]
    inputs = [ops.Code(f"p{i}.data") for i in range(n)]
    body = [f"        p{i} = {_PARENT_SLOTS[i] if i < 2 else f'node._more[{i - 2}]'}" for i in range(n)]
    for i, contribution in enumerate(op.contributions_code(ops.Code("g"), inputs, ops.Code("node.data"), params)):
        line = ops.statement(f"p{i}.grad", contribution)
        if line is not None:
            body.append("        " + line)
    return "\n".join(
        [
            f"def make({', '.join(f'k{i}' for i in range(len(params)))}):",
            f"    def {op.name}_backward(node, g):",
            *(body if len(body) > n else [*body, "        pass"]),
            f"    return {op.name}_backward",
            "",
        ]
    )


def rule_for(op: ops.Op, params: tuple[Any, ...] = ()) -> GradFn:
    """``op``'s backward rule with these parameters, compiled from the table on first use and kept.

    The rule carries ``rule.op`` and ``rule.params``, by which every other consumer (higher-order
    derivatives, ``trace``, forward mode, explanations) finds the operation's row in the table.
    """
    key = tuple(p.hex() if isinstance(p, float) else p for p in params)  # 0.0 and -0.0 are two keys
    rule: Any = op._rules.get(key)
    if rule is None:
        make = op._rules.get(("make",))
        if make is None:  # compiled once per operation; parameters are the arguments of make()
            make = op._rules[("make",)] = ops.compile_function(rule_source(op), "make", f"<backward rule of {op.name}>")
        rule = make(*params)
        rule.op = op
        rule.params = params
        if len(op._rules) < 256:  # parameters are usually a few constants (the k of x**k); keep those
            op._rules[key] = rule
    return rule  # type: ignore[no-any-return]  # a compiled GradFn


def closure_rule(closure: Callable[[], None]) -> GradFn:
    """The rule of a node whose ``_backward`` was assigned a closure, as in the micrograd lecture."""

    def closure_backward(node: Any, g: float) -> None:
        closure()

    closure_backward.closure = closure  # type: ignore[attr-defined]
    return closure_backward


def tangent_rules(op: ops.Op) -> list[Callable[..., float]]:
    """For each input of ``op``, the float function ``(t, *inputs, out, *params) -> float``: how fast the
    result moves when that input moves at rate ``t``. It is the table's contribution with ``g = t``.

    For one output, that is what forward mode needs: contributions are linear in ``g``, and
    ``d(out)/d(input) * t`` is the same formula whichever way the rate flows.
    """
    cached = op._rules.get(("tangent",))
    if cached is not None:
        return cached  # type: ignore[no-any-return]  # compiled tangent rules
    names = [f"x{i}" for i in range(op.arity)] + ["out"] + [f"k{i}" for i in range(len(op.params))]
    params = [ops.Code(f"k{i}", number=True) for i in range(len(op.params))]
    inputs = [ops.Code(f"x{i}") for i in range(op.arity)]
    functions = []
    for i, contribution in enumerate(op.contributions_code(ops.Code("t"), inputs, ops.Code("out"), params)):
        name = f"{op.name}_tangent_{i}"
        source = f"def {name}(t, {', '.join(names)}):\n    return {ops.source(contribution)}\n"
        functions.append(ops.compile_function(source, name, f"<tangent rule of {op.name}>"))
    op._rules[("tangent",)] = functions
    return functions
