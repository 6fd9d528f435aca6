"""Higher-order derivatives, forward mode and a functional API, in the style of JAX and HIPS autograd.

Reverse mode with a graph: the table of derivatives (:mod:`tinygrad_scalar.core.ops`) evaluated on
``Value`` objects instead of floats, so the gradients have a graph of their own and can be
differentiated again:

>>> from tinygrad_scalar import Value
>>> f = lambda x: x ** 3                 # f' = 3x**2, f'' = 6x, f''' = 6
>>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
(12.0, 12.0, 6.0)
>>> hessian(lambda x, y: x * x * y)(3.0, 2.0)
[[4.0, 6.0], [6.0, 0.0]]

Forward mode: the same table pushes a *tangent* (how fast each value moves when the inputs move in
one direction) from the inputs to the output, alongside the values:

>>> jvp(lambda x, y: x * x * y, (3.0, 2.0), (1.0, 0.0))   # the value, and df/dx at (3, 2)
(18.0, 12.0)
>>> jacobian(lambda x, y: [x * y, x + y], mode="forward")(3.0, 2.0)
[[2.0, 3.0], [1.0, 1.0]]

For n inputs and one output, forward mode needs n passes (one tangent per input) and reverse mode
one; for one input and many outputs it is the other way round. ``Value.backward(create_graph=True)``
uses the graph-building reverse mode: afterwards each ``grad`` is a ``Value``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_scalar.core import engine
from tinygrad_scalar.core.engine import Constant, Value, pullback, topological_order
from tinygrad_scalar.core.rules import tangent_rule

__all__ = [
    "Jacobian",
    "argument_names",
    "grad",
    "gradients",
    "hessian",
    "jacobian",
    "jvp",
    "value_and_grad",
]


def _outputs(result: object, consumer: str) -> tuple[list[Value], bool]:
    """The Values a function returned (one, or a list of them) and whether it was one; a clear error for
    anything else, and for a function run inside ``no_grad()``, which records no graph to differentiate."""
    if not engine.is_grad_enabled():
        raise RuntimeError(f"{consumer} differentiates a graph, and inside no_grad() none is recorded: call it outside")
    single = isinstance(result, Value)
    outputs = [result] if single else list(result) if isinstance(result, (list, tuple)) else []
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TypeError(f"the function must return a Value or a list of Values, got {type(result).__name__}")
    return outputs, single  # type: ignore[return-value]  # checked just above


def gradients(output: Value, inputs: Sequence[Value]) -> list[Value]:
    """d(output)/d(input) for each input, as Values with a graph of their own (differentiable again),
    like ``torch.autograd.grad(..., create_graph=True)``. No ``grad`` field is changed."""
    _, single = _outputs(output, "grad (and gradients, hessian)")
    if not single:
        raise TypeError(f"the function must return one Value, got a {type(output).__name__}")
    upstream = pullback([output], [Constant(1.0)])
    return [upstream.get(x, Constant(0.0)) for x in inputs]


# ---- the functional API -----------------------------------------------------------------------------------


def argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of ``f``'s first ``n`` positional parameters where it has them (``x0``, ``x1``, ...
    otherwise): what traces and gradient checks call their inputs."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values() if p.kind in _POSITIONAL]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"x{i}" for i in range(n)]


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _as_values(args: Sequence[object]) -> tuple[list[Value], bool]:
    """The arguments as Values (numbers become new leaves), and whether they were all plain numbers."""
    plain = all(not isinstance(a, Value) for a in args)
    return [a if isinstance(a, Value) else Value(engine._number(a, "an argument")) for a in args], plain


def _indices(argnums: object) -> tuple[list[int], bool]:
    """``argnums`` as a list of indices, and whether it was one index; a clear error for anything else."""
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    items = [argnums] if single else list(argnums) if isinstance(argnums, (list, tuple)) else None
    if items is None or not items or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise TypeError(
            f"argnums is the index of an argument, or a tuple of indices: argnums=0 or argnums=(0, 1); got {argnums!r}"
        )
    return items, single  # type: ignore[return-value]  # checked just above


def _in_range(nums: list[int], n: int) -> None:
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"argnums {i} is out of range for a function called with {n} arguments")


def _out(value: Value, plain: bool) -> Any:
    return value.data if plain else value


def value_and_grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``f``'s value and its gradient with respect to argument ``argnums``
    (an index, or a tuple of indices for a tuple of gradients).

    Called with plain numbers it returns floats; called with Values (as ``grad(grad(f))`` does) it
    returns Values connected to them, which can be differentiated again.
    """

    nums, single = _indices(argnums)  # checked now, not at the first call

    def value_and_grad_f(*args: object) -> tuple[Any, Any]:
        xs, plain = _as_values(args)
        _in_range(nums, len(xs))
        out = f(*xs)
        grads = [_out(g, plain) for g in gradients(out, [xs[i] for i in nums])]
        return _out(out, plain), grads[0] if single else tuple(grads)

    return value_and_grad_f


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The derivative of ``f`` with respect to argument ``argnums``, as a function. They compose:
    ``grad(grad(f))`` is the second derivative."""
    both = value_and_grad(f, argnums)
    return lambda *args: both(*args)[1]


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[Any]]]:
    """The matrix of second derivatives of a function of a few scalar arguments:
    ``hessian(f)(*xs)[i][j] = d2f / dxi dxj``."""

    def hessian_f(*args: object) -> list[list[Any]]:
        xs, plain = _as_values(args)
        first = gradients(f(*xs), xs)
        return [[_out(h, plain) for h in gradients(g, xs)] for g in first]

    return hessian_f


# ---- forward mode ---------------------------------------------------------------------------------------------


def _push_tangents(order: Sequence[Value], tangent: dict[Value, float]) -> int:
    """Give every node of ``order`` (a topological order) that depends on a node of ``tangent`` its
    tangent: the sum, over its inputs that have one, of the tangent rules. The forward-mode walk;
    returns how many operations it pushed a tangent through."""
    pushed = 0
    for node in order:
        if node._a is None or node in tangent:
            continue
        parents = node._prev
        if not any(p in tangent for p in parents):
            continue  # a constant as far as the inputs go
        if node._hooks:
            raise ValueError(
                f"forward mode met gradient hooks on {node.label or repr(node._op)}: hooks act on backward "
                f"gradients, which forward mode does not compute; remove them, or use grad() or backward()"
            )
        op, params = engine.op_of(node, "forward mode (jvp, jacobian)")
        if op.expand is not None:  # through the function's graph, built on the real inputs
            inner = op.expand(parents, params)
            pushed += _push_tangents(topological_order(inner), tangent)
            tangent[node] = tangent.get(inner, 0.0)
            continue
        pushed += 1
        moving = [tangent.get(p) for p in parents]
        tangent[node] = tangent_rule(op)(moving, *[p.data for p in parents], node.data, *params)
    return pushed


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any]:
    """Forward mode: ``f``'s value at ``primals``, and its directional derivative along ``tangents``
    (the Jacobian times the tangent vector), as ``torch.func.jvp``.

    ``f`` takes one ``Value`` per primal and returns a ``Value`` or a list of them; the results are
    floats, or lists of floats. One pass computes the derivative along one direction, for every
    output at once.
    """
    values, rates, _ = _jvp(f, primals, tangents)
    return values, rates


def _plain_numbers(items: object, what: str, consumer: str = "jvp") -> list[float]:
    """The numbers of forward mode's primals, tangents or arguments: plain numbers, said so when not."""
    if not isinstance(items, (list, tuple)):
        raise TypeError(
            f"jvp takes the {what}s as a tuple, one per argument of the function: jvp(f, (1.0,), (1.0,)) for one "
            f"argument, jvp(f, (3.0, 2.0), (1.0, 0.0)) for two; got {type(items).__name__} {items!r}"
        )
    for item in items:
        if isinstance(item, Value):
            raise TypeError(
                f"{consumer} takes plain numbers as {what}s and makes the Values itself; got a Value: pass its "
                f"number, {item.data!r} (x.data)"
            )
    return [engine._number(item, f"a {what}") for item in items]


def _jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any, int]:
    primals, tangents = _plain_numbers(primals, "primal"), _plain_numbers(tangents, "tangent")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp takes one tangent per primal: {len(primals)} primals, {len(tangents)} tangents")
    xs = [Value(p) for p in primals]
    out = f(*xs)
    outputs, _ = _outputs(out, "forward mode (jvp, jacobian)")
    tangent = dict(zip(xs, tangents))
    pushed = sum(_push_tangents(topological_order(o), tangent) for o in outputs)
    values = [o.data for o in outputs]
    rates = [tangent.get(o, 0.0) for o in outputs]
    if isinstance(out, Value):
        return values[0], rates[0], pushed
    return values, rates, pushed


class Jacobian:
    """``jacobian(f, mode)``: call it with the inputs for the matrix; ``operations`` then tells how many
    times the last call applied an operation's local derivatives (tangent pushes in forward mode,
    chain-rule steps in reverse mode), the work the two modes are compared by."""

    def __init__(self, f: Callable[..., Any], mode: str) -> None:
        if mode not in ("forward", "reverse"):
            raise ValueError(f"jacobian(mode=...) is 'forward' or 'reverse', got {mode!r}")
        self.f, self.mode = f, mode
        self.operations = 0

    def __call__(self, *given: float) -> list[Any]:
        args = _plain_numbers(given, "argument", "jacobian")
        n = len(args)
        if self.mode == "forward":
            columns, self.operations = [], 0
            for i in range(n):
                _, column, pushed = _jvp(self.f, args, [1.0 if j == i else 0.0 for j in range(n)])
                columns.append(column)
                self.operations += pushed
            if not columns or not isinstance(columns[0], list):
                return columns  # one output: the gradient
            return [[column[i] for column in columns] for i in range(len(columns[0]))]
        xs = [Value(a) for a in args]
        out = self.f(*xs)
        outputs, _ = _outputs(out, "jacobian")
        rows = []
        self.operations = 0
        for o in outputs:
            fresh = engine.fresh_gradients(o)
            rows.append([fresh.get(x, 0.0) for x in xs])
            self.operations += sum(1 for node in fresh if node._a is not None)
        return rows[0] if isinstance(out, Value) else rows


def jacobian(f: Callable[..., Any], mode: str = "reverse") -> Jacobian:
    """The matrix of first derivatives ``J[i][j] = d(output i)/d(input j)`` of ``f``, as a function of the
    inputs (a list of rows; for a function returning one ``Value``, the gradient as one list).

    ``mode='forward'`` builds it column by column, one forward pass (``jvp``) per input;
    ``mode='reverse'`` row by row, one backward pass per output. Both give the same numbers
    (products of the same local derivatives, multiplied in another order, so they can differ in the
    last bit); what differs is the work, which the returned function's ``operations`` counts:
    forward mode suits few inputs, reverse mode few outputs.
    """
    return Jacobian(f, mode)
