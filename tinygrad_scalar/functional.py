"""Higher-order derivatives and a functional API, in the style of JAX and HIPS autograd.

The engine's backward rules add floats. Here each rule has a twin that builds its contributions as
``Value`` objects instead, so the gradients have a graph of their own and can be differentiated again:

>>> from tinygrad_scalar import Value
>>> f = lambda x: x ** 3                 # f' = 3x**2, f'' = 6x, f''' = 6
>>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
(12.0, 12.0, 6.0)
>>> hessian(lambda x, y: x * x * y)(3.0, 2.0)
[[4.0, 6.0], [6.0, 0.0]]

``Value.backward(create_graph=True)`` uses the same machinery: afterwards each ``grad`` is a
``Value`` (set a leaf's ``grad`` back to ``0.0`` before its next backward pass).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_scalar import engine
from tinygrad_scalar.engine import Constant, Number, Value, no_grad, topological_order

__all__ = ["backward_with_graph", "checkpoint", "grad", "gradients", "hessian", "value_and_grad"]

# ---- the table of derivatives again, as graphs ---------------------------------------------------------
# Each entry mirrors the float rule of the same operation in engine.py (same formula, same order of
# operations), but computes with Values: rule(node, g, a, b) returns one contribution per parent.
# Where PyTorch selects zero (relu's flat side, x**0), the contribution is a constant 0: no graph.

_Rule = Callable[[Value, Value, Value, Value], tuple[Value, ...]]
_ZERO = 0.0


def _pow_rule(n: Value, g: Value, a: Value, b: Value) -> tuple[Value, ...]:
    da = Constant(_ZERO) if b.data == 0.0 else g * (b * a ** (b - 1.0))  # d(a**b)/da = b a**(b-1)
    log_a = Constant(_ZERO) if a.data == 0.0 and b.data >= 0.0 else a.log()
    return da, g * (n * log_a)  # d(a**b)/db = a**b log a


def _power_rule(k: float) -> _Rule:
    def rule(n: Value, g: Value, a: Value, b: Value) -> tuple[Value, ...]:
        return (Constant(_ZERO) if k == 0.0 else g * (k * a ** (k - 1.0)),)  # d(x**k)/dx = k x**(k-1)

    return rule


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


_RULES: dict[object, _Rule] = {
    engine._add_backward: lambda n, g, a, b: (g, g),
    engine._mul_backward: lambda n, g, a, b: (g * b, g * a),
    engine._div_backward: lambda n, g, a, b: (g / b, -g * (n / b)),
    engine._pow_backward: _pow_rule,
    engine._exp_backward: lambda n, g, a, b: (g * n,),
    engine._log_backward: lambda n, g, a, b: (g / a,),
    engine._tanh_backward: lambda n, g, a, b: (g * ((1.0 - n) * (1.0 + n)),),
    engine._sigmoid_backward: lambda n, g, a, b: (g * (1.0 - n) * n,),
    engine._relu_backward: lambda n, g, a, b: (Constant(_ZERO) if n.data <= 0.0 else g,),
    engine._sin_backward: lambda n, g, a, b: (g * a.cos(),),
    engine._cos_backward: lambda n, g, a, b: (g * -a.sin(),),
    engine._sqrt_backward: lambda n, g, a, b: (g / (2.0 * n),),
    engine._abs_backward: lambda n, g, a, b: (g * _sign(a.data),),
}


def _rule(node: Value) -> _Rule | None:
    rule = node._grad_fn
    k = getattr(rule, "exponent", None)
    return _power_rule(k) if k is not None else _RULES.get(rule)


def _pullback(root: Value, seed: Value) -> tuple[list[Value], dict[Value, Value]]:
    """The gradient of ``root`` with respect to every node of its graph, as Values: the backward
    pass with each contribution built as a graph. Returns the topological order too."""
    order = topological_order(root)
    upstream: dict[Value, Value] = {root: seed}
    for node in reversed(order):
        g = upstream.get(node)
        rule = _rule(node) if node._grad_fn is not None else None
        if g is None or rule is None:
            continue
        for parent, contribution in zip(node._prev, rule(node, g, node._prev[0], node._prev[-1])):
            upstream[parent] = upstream[parent] + contribution if parent in upstream else contribution
    return order, upstream


def gradients(output: Value, inputs: Sequence[Value]) -> list[Value]:
    """d(output)/d(input) for each input, as Values with a graph of their own (differentiable again),
    like ``torch.autograd.grad(..., create_graph=True)``. No ``grad`` field is changed."""
    _, upstream = _pullback(output, Constant(1.0))
    return [upstream.get(x, Constant(_ZERO)) for x in inputs]


def backward_with_graph(root: Value, gradient: Number = 1.0) -> None:
    """``root.backward(gradient, create_graph=True)``: every ``grad`` of the graph becomes a Value.

    As in ``backward()``, inner nodes hold this pass's gradient and leaves accumulate (a float plus a
    Value is a Value).
    """
    seed = Constant(engine._number(gradient, "backward(gradient)"))
    order, upstream = _pullback(root, seed)
    for node in order:
        g = upstream.get(node, Constant(_ZERO))
        node.grad = g if node._prev else node.grad + g  # type: ignore[assignment]  # a Value, on purpose


# ---- the functional API -----------------------------------------------------------------------------------


def _as_values(args: Sequence[object]) -> tuple[list[Value], bool]:
    """The arguments as Values (numbers become new leaves), and whether they were all plain numbers."""
    plain = all(not isinstance(a, Value) for a in args)
    return [a if isinstance(a, Value) else Value(engine._number(a, "an argument")) for a in args], plain


def _numbers(argnums: int | Sequence[int], n: int) -> tuple[list[int], bool]:
    single = isinstance(argnums, int)
    nums = [argnums] if isinstance(argnums, int) else list(argnums)
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"argnums {i} is out of range for a function called with {n} arguments")
    return nums, single


def _out(value: Value, plain: bool) -> Any:
    return value.data if plain else value


def value_and_grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``f``'s value and its gradient with respect to argument ``argnums``
    (an index, or a tuple of indices for a tuple of gradients).

    Called with plain numbers it returns floats; called with Values (as ``grad(grad(f))`` does) it
    returns Values connected to them, which can be differentiated again.
    """

    def value_and_grad_f(*args: object) -> tuple[Any, Any]:
        xs, plain = _as_values(args)
        nums, single = _numbers(argnums, len(xs))
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
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


# ---- gradient checkpointing ----------------------------------------------------------------------------------


def checkpoint(fn: Callable[..., Value], *args: Value) -> Value:
    """``fn(*args)``, keeping only the inputs and the output in the graph: the segment inside ``fn`` is
    computed without a graph, and computed again, with one, when the backward pass reaches it.

    Memory for compute, as the seeds' checkpointing challenge asks: the nodes of the segment don't
    stay alive between the forward and the backward pass. The gradients are the ones of the
    unchecked run. ``fn`` may read parameters (leaves) besides its arguments; it must not read
    intermediate values from outside, whose gradients the recomputation would disturb.
    """
    for a in args:
        if not isinstance(a, Value):
            raise TypeError(f"checkpoint takes Values as arguments, got {type(a).__name__}")
    with no_grad():
        out = fn(*[Value(a.data) for a in args])
    if not isinstance(out, Value):
        raise TypeError(f"the checkpointed function must return a Value, got {type(out).__name__}")

    def recompute_backward(node: Value, g: float) -> None:
        stand_ins = [Value(a.data) for a in node._prev]  # leaves standing for the inputs
        fn(*stand_ins).backward(g)  # the segment again, with a graph, and its backward pass
        for a, s in zip(node._prev, stand_ins):
            a.grad += s.grad

    return Value(out.data, tuple(args), "checkpoint", "", recompute_backward)
