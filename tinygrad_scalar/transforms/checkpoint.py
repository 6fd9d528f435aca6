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
from tinygrad_scalar.core.graph import gradient_pass
from tinygrad_scalar.core.language import N_

__all__ = ["CHECKPOINT", "checkpoint"]


def _expand_checkpoint(inputs: Sequence[Value], params: tuple[Any, ...]) -> Value:
    fn, n = params[:2]
    out = fn(*inputs[:n])
    if not isinstance(out, Value):
        raise TypeError(f"the checkpointed function must return a Value, got {type(out).__name__}")
    return out


def _segment_backward(node: Value, g: float) -> None:
    """The float rule of a checkpoint node (rule 5 of :mod:`tinygrad_scalar.core.graph`): compute the
    function again, with a graph, on stand-ins for the node's arguments, and run the backward pass from
    its output, seeded with ``g``, down to the boundary: the stand-ins, and the values from outside
    that the function reads (the node's other parents). Hooks registered inside the function run;
    the boundary's run in the outer pass. Like every rule, it adds one contribution to each parent of
    the node and touches nothing else."""
    _, n, outside = node._params
    parents = node._prev  # the arguments, then the values from outside (or, in a view's pass, their shadows)
    stand_ins = [Value(p.data) for p in parents[:n]]
    boundary = (*stand_ins, *outside)
    grads = gradient_pass(_expand_checkpoint(stand_ins, node._params), [g], stop=boundary).grads
    for parent, stand_in in zip(parents, boundary):
        parent.grad += grads.get(stand_in, 0.0)


CHECKPOINT = ops.register(
    ops.Op(
        name="checkpoint",
        label="checkpoint",
        forward=lambda *xs: math.nan,
        inputs=(),
        derivatives=(),
        rule=N_("chain rule through a checkpointed segment"),
        text=(),
        latex=(),
        expand=_expand_checkpoint,
    )
)
"""The operation of a ``checkpoint`` node: defined by its function, differentiated through it. Its
recipe's parameters are the function, the number of its arguments, and the values from outside that
it reads; the node's parents are the arguments, then those values."""
CHECKPOINT.backward = _segment_backward


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
    return Value(data, (*args, *hidden), "checkpoint", "", CHECKPOINT, (fn, len(args), hidden))
