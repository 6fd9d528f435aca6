"""Gradient checkpointing: keep a segment's inputs and output, compute its inside again when a backward
pass reaches it (memory for compute, as the seeds' checkpointing challenge asks).

``checkpoint(fn, *args)`` makes one node whose operation is the row ``CHECKPOINT`` of the table: an
operation defined by a function of Values (``expand``) instead of derivatives, which every consumer
differentiates through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_scalar.core import engine, ops
from tinygrad_scalar.core.engine import Constant, Value, topological_order
from tinygrad_scalar.core.rules import GradFn

__all__ = ["CHECKPOINT", "checkpoint"]


def _expand_checkpoint(inputs: Sequence[Value], params: tuple[Any, ...]) -> Value:
    fn, n = params
    out = fn(*inputs[:n])
    if not isinstance(out, Value):
        raise TypeError(f"the checkpointed function must return a Value, got {type(out).__name__}")
    return out


CHECKPOINT = ops.register(
    ops.Op(
        "checkpoint", "checkpoint", lambda *xs: math.nan, (), "chain rule through a checkpointed segment",
        (), (), inputs=(), expand=_expand_checkpoint,
    )
)  # fmt: skip
"""The operation of a ``checkpoint`` node: defined by its function, differentiated through it."""


def _segment_backward(inner: Value, boundary: set[Value], g: float) -> dict[Value, float]:
    """The backward pass of a recomputed segment, from ``inner`` (seeded with ``g``) down to ``boundary``,
    the values from outside it reads: each value's gradient in a dict, with no ``grad`` field touched.
    Each step runs its node's rule on stand-ins (``contributions``), so nothing outside the segment is
    reset or added to, and the sums are made in ``backward()``'s order, so the numbers are its own."""
    grads: dict[Value, float] = {inner: g}
    for node in reversed(topological_order(inner)):
        if node in boundary or node._a is None or node not in grads:
            continue
        for parent, contribution in zip(node._prev, engine.contributions(node, grads[node])):
            grads[parent] = grads.get(parent, 0.0) + contribution
    return grads


def _expanding_rule(op: ops.Op, params: tuple[Any, ...], hidden: tuple[Value, ...]) -> GradFn:
    """The rule of an operation defined by a function of Values (``checkpoint``): compute the function
    again, with a graph, on stand-ins for the node's inputs, and push the gradient through it.

    The node's parents are its inputs, then ``hidden``: the values from outside that the function
    reads besides its inputs (parameters, or values computed before it). The pass stops at them, so
    the rule, like every rule, only adds contributions to the node's own parents (or to the stand-ins
    ``contributions()`` gives it), and never touches anything else.
    """
    expand = op.expand
    assert expand is not None
    boundary = set(hidden)

    def expanded_backward(node: Value, g: float) -> None:
        parents = node._prev
        n = len(parents) - len(hidden)
        stand_ins = [Value(p.data) for p in parents[:n]]
        grads = _segment_backward(expand(stand_ins, params), boundary, g)
        for parent, stand_in in zip(parents, stand_ins):
            parent.grad += grads.get(stand_in, 0.0)
        for parent, outside in zip(parents[n:], hidden):
            parent.grad += grads.get(outside, 0.0)

    expanded_backward.op = op  # type: ignore[attr-defined]
    expanded_backward.params = params  # type: ignore[attr-defined]
    return expanded_backward


def _read_from_outside(fn: Callable[..., Value], args: Sequence[Value]) -> tuple[float, tuple[Value, ...]]:
    """``fn(*args)``'s value, and the values from outside ``fn`` that its graph reads: run twice on
    stand-ins, the values ``fn`` makes are new each time, the ones it reads from outside are the same
    objects. Those read directly by a value ``fn`` made are the boundary of the segment."""
    first = topological_order(_expand_checkpoint([Value(a.data) for a in args], (fn, len(args))))
    again = _expand_checkpoint([Value(a.data) for a in args], (fn, len(args)))
    outside = set(first)
    boundary: dict[Value, None] = {}
    for node in topological_order(again):
        if node not in outside and node._a is not None:
            boundary.update((p, None) for p in node._prev if p in outside and not isinstance(p, Constant))
    if again in outside and not isinstance(again, Constant):  # fn returned a value from outside
        boundary[again] = None
    return again.data, tuple(boundary)


def checkpoint(fn: Callable[..., Value], *args: Value) -> Value:
    """``fn(*args)``, keeping only the inputs and the output in the graph: the segment inside ``fn`` is
    computed again, with a graph, whenever a backward pass reaches it.

    Memory for compute, as the seeds' checkpointing challenge asks: the nodes of the segment don't
    stay alive between the forward and the backward pass. The gradients are the ones of the
    unchecked run, in every backward pass (``backward()``, ``create_graph``, ``grad``, ``hessian``),
    in ``trace`` (which writes the segment into its program) and in forward mode. ``fn`` may read
    values from outside besides its arguments (parameters, or values computed before it): they
    become parents of the node, so gradients flow into them, and drawings and explanations show them
    and leave their gradients alone. To find them, ``fn`` runs twice when the checkpoint is made.
    """
    for a in args:
        if not isinstance(a, Value):
            raise TypeError(f"checkpoint takes Values as arguments, got {type(a).__name__}")
    if not engine.is_grad_enabled():
        with engine.no_grad():
            return Value(_expand_checkpoint(list(args), (fn, len(args))).data)
    data, hidden = _read_from_outside(fn, args)
    params = (fn, len(args))
    rule = _expanding_rule(CHECKPOINT, params, hidden)
    return Value(data, (*args, *hidden), "checkpoint", "", rule)
