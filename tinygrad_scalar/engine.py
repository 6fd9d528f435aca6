"""The engine: a ``Value`` holds one number and remembers how it was made.

Every operation on ``Value`` objects returns a new ``Value`` that records

* ``_prev``: its parents, a tuple in argument order (``a * b`` has ``_prev == (a, b)``);
* ``_op``: the operation's name (``'*'``);
* ``_chain``: its local backward closure. Given the *upstream gradient* ``g`` (the derivative of
  the loss with respect to this result), it returns each parent's *contribution*: *local
  derivative x g* (for ``a * b``: ``(g * b, g * a)``). ``node._chain(1.0)`` is the local derivatives.

``backward()`` visits the graph in reverse topological order and applies the chain rule at each
node: every parent's ``grad`` receives its contribution, and a parent used several times sums its
contributions. ``node._backward()`` performs that one step for a single node, so a backward pass
can be run by hand, node by node, as in the micrograd lecture.

The closures capture plain floats, never the node they belong to nor its parents: a graph holds
no reference cycles, so Python frees it as soon as the last reference goes, without waiting for
the cyclic garbage collector.

The operations below read like a table of derivatives: primitives first, each with its local
derivative written as math beside the code, then the operations derived from them. Each backward
formula is PyTorch's, so gradients agree with ``torch.float64`` down to the special values: where
PyTorch divides (``g / x`` for ``log``) we divide, and where it selects zero (``relu`` on its flat
side, ``x**0``) the contribution is ``0.0`` even when the upstream gradient is ``inf`` or ``nan``.

Numerics follow IEEE-754 as PyTorch float64 does (see :mod:`tinygrad_scalar.ieee`): an operation
never raises ``OverflowError``, ``ZeroDivisionError`` or ``ValueError``; it returns ``inf``,
``-inf`` or ``nan``. At kinks the derivative follows PyTorch: ``relu'(0) = 0`` and ``abs'(0) = 0``.
"""

from __future__ import annotations

import contextvars
import numbers
from collections.abc import Callable, Sequence
from operator import attrgetter
from types import TracebackType
from typing import TypeVar

from tinygrad_scalar import ieee

__all__ = ["Number", "Value", "is_grad_enabled", "no_grad", "topological_order"]

Number = int | float
"""A plain number an operation accepts beside a ``Value``; it becomes a constant."""

_F = TypeVar("_F", bound=Callable[..., object])
_N = TypeVar("_N")


Chain = Callable[[float], tuple[float, ...]]
"""A local backward closure: upstream gradient -> one contribution per parent."""

_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("tinygrad_scalar_grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``: operations record their parents and local derivatives."""
    return _grad_enabled.get()


class no_grad:  # noqa: N801 - lower case like PyTorch's ``torch.no_grad``, which users know
    """Context manager (and decorator) in which operations build no graph.

    Inside it, results are plain leaves: no parents, no local derivatives, nothing for
    ``backward()`` to walk. Use it for evaluation and for updating parameters::

        with no_grad():
            accuracy = sum((model(x) > 0) == (y > 0) for x, y in data)

    It is thread-safe and async-safe (the switch lives in a ``contextvars.ContextVar``), and
    blocks nest.
    """

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> no_grad:
        self._tokens.append(_grad_enabled.set(False))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _grad_enabled.reset(self._tokens.pop())

    def __call__(self, fn: _F) -> _F:
        def without_grad(*args: object, **kwargs: object) -> object:
            with no_grad():
                return fn(*args, **kwargs)

        without_grad.__name__ = getattr(fn, "__name__", "without_grad")
        without_grad.__doc__ = fn.__doc__
        return without_grad  # type: ignore[return-value]  # same signature as fn


def _describe(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(x: object, where: str) -> float:
    """The float a plain number stands for, or a TypeError saying what was wrong and what to do."""
    if type(x) is float:
        return x
    if isinstance(x, bool):
        raise TypeError(
            f"{where}: got the bool {x!r}; a bool is not accepted as a number here. "
            f"If you mean 1.0 or 0.0, convert it explicitly with float(...)."
        )
    if not isinstance(x, numbers.Real):
        raise TypeError(
            f"{where}: got {type(x).__name__} {_describe(x)}; expected a Value or a plain int or float. "
            f"Convert it first, e.g. Value(float(...)), or use a Value."
        )
    try:
        return float(x)
    except OverflowError:  # an int beyond the float range rounds to an infinity, as IEEE-754 does
        return ieee.INF if x > 0 else -ieee.INF  # type: ignore[operator]  # a Real orders; typeshed doesn't say


_parents = attrgetter("_prev")


def topological_order(root: _N, parents: Callable[[_N], Sequence[_N]] = _parents) -> list[_N]:
    """Every node ``root`` depends on, each after all of its parents, ``root`` last.

    The one graph walk of the package: ``backward()``, rendering and stepping all use it.
    It is iterative (a depth-first search with an explicit stack), so a chain of a million
    nodes works under Python's default recursion limit, and it visits each node once.
    The order is deterministic: parents are explored in argument order, so ``a * b`` gives
    ``[a, b, a*b]`` on every run.

    ``parents`` maps a node to the sequence of its parents; the default reads ``Value._prev``.
    """
    # Two parallel stacks rather than a stack of (node, flag) pairs: no object is allocated per
    # node, which keeps the garbage collector quiet on graphs of millions of nodes.
    order: list[_N] = []
    visited: set[_N] = set()
    nodes = [root]
    parents_done = [False]
    while nodes:
        node = nodes.pop()
        if parents_done.pop():
            order.append(node)  # all of its parents are already in `order`
        elif node not in visited:
            visited.add(node)
            nodes.append(node)
            parents_done.append(True)
            for parent in reversed(parents(node)):  # reversed, so the first parent is popped first
                if parent not in visited:
                    nodes.append(parent)
                    parents_done.append(False)
    return order


def _chain_rule_step(node: Value) -> None:
    """Add each parent's contribution, ``local derivative x node.grad``, into that parent's ``grad``."""
    if node._chain is not None:  # a leaf has nothing to pass on
        for parent, contribution in zip(node._prev, node._chain(node.grad)):
            parent.grad += contribution


class Value:
    """A scalar that remembers the operations that made it, for reverse-mode differentiation.

    >>> x = Value(2.0, label='x'); w = Value(3.0, label='w'); b = Value(1.0, label='b')
    >>> L = (w * x + b) ** 2
    >>> L.backward()
    >>> w.grad, x.grad, b.grad
    (28.0, 42.0, 14.0)

    The constructor is micrograd's, ``Value(data, _children=(), _op='', label='')``, so code
    written for micrograd and its lecture runs unchanged. ``data`` is the forward value (the
    *primal*), ``grad`` the derivative of the last ``backward()`` root with respect to it.

    Equality and hashing are by identity, so nodes can live in sets and dicts; the ordering
    comparisons ``<``, ``<=``, ``>``, ``>=`` compare ``data`` and return a ``bool``.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_chain")

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        label: str = "",
        _chain: Chain | None = None,
    ) -> None:
        self.data: float = data if type(data) is float else _number(data, "Value(data)")
        self.grad: float = 0.0
        self.label: str = label
        if _children and not _grad_enabled.get():
            _children, _op, _chain = (), "", None
        self._prev: tuple[Value, ...] = tuple(_children)
        self._op: str = _op
        self._chain: Chain | None = _chain

    # ---- helpers ------------------------------------------------------------------------

    @staticmethod
    def _lift(other: Value | Number, op: str) -> Value:
        """``other`` as a ``Value``: a plain number becomes a constant leaf."""
        if isinstance(other, Value):
            return other
        return Value(_number(other, f"unsupported operand for {op!r} with a Value"))

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's chain-rule step, as a closure: ``node._backward()`` pushes ``node.grad``
        into each parent (``parent.grad += local derivative * node.grad``), and nothing else.

        Calling it node by node in reverse topological order, after setting the root's
        ``grad`` to 1, is exactly what ``backward()`` does. A leaf's step does nothing.
        """

        def _backward() -> None:
            _chain_rule_step(self)

        return _backward

    # ---- primitives: each with its local derivative ----------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = self._lift(other, "+")
        # d(a+b)/da = 1,  d(a+b)/db = 1
        return Value(self.data + other.data, (self, other), "+", _chain=lambda g: (g, g))

    def __mul__(self, other: Value | Number) -> Value:
        other = self._lift(other, "*")
        a, b = self.data, other.data
        # d(a*b)/da = b,  d(a*b)/db = a
        return Value(a * b, (self, other), "*", _chain=lambda g: (g * b, g * a))

    def __truediv__(self, other: Value | Number) -> Value:
        other = self._lift(other, "/")
        a, b = self.data, other.data
        out = ieee.div(a, b)
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2 = -(a/b)/b
        # A primitive, not a * b**-1: for a tiny b, 1/b overflows and 0/1e-310 would give nan, not 0.
        return Value(out, (self, other), "/", _chain=lambda g: (ieee.div(g, b), -g * ieee.div(out, b)))

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = ieee.pow(a, b)

            def pow_chain(g: float) -> tuple[float, float]:
                # d(a**b)/da = b * a**(b-1)   (exactly 0 where b == 0, as PyTorch)
                # d(a**b)/db = a**b * log(a)  (0 where a == 0 and b >= 0, as PyTorch)
                da = 0.0 if b == 0.0 else g * (b * ieee.pow(a, b - 1.0))
                db = g * (0.0 if a == 0.0 and b >= 0.0 else out * ieee.log(a))
                return da, db

            return Value(out, (self, other), "**", _chain=pow_chain)
        k = _number(other, "unsupported operand for '**' with a Value")
        x = self.data
        # d(x**k)/dx = k * x**(k-1)   (exactly 0 where k == 0, as PyTorch)
        return Value(
            ieee.power(x, k),
            (self,),
            f"**{other}",
            _chain=lambda g: (0.0 if k == 0.0 else g * (k * ieee.power(x, k - 1.0)),),
        )

    def exp(self) -> Value:
        """e**x;  d(e**x)/dx = e**x."""
        out = ieee.exp(self.data)
        return Value(out, (self,), "exp", _chain=lambda g: (g * out,))

    def log(self) -> Value:
        """Natural logarithm;  d(log x)/dx = 1/x.  ``log(0) = -inf``, ``log(x<0) = nan``."""
        x = self.data
        return Value(ieee.log(x), (self,), "log", _chain=lambda g: (ieee.div(g, x),))

    def tanh(self) -> Value:
        """Hyperbolic tangent;  d(tanh x)/dx = 1 - tanh(x)**2."""
        t = ieee.tanh(self.data)
        # 1 - t**2 written as (1 - t)(1 + t): no cancellation when t is near ±1
        return Value(t, (self,), "tanh", _chain=lambda g: (g * ((1.0 - t) * (1.0 + t)),))

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1/(1+e**-x);  d(sigmoid x)/dx = sigmoid(x) * (1 - sigmoid(x))."""
        s = ieee.sigmoid(self.data)
        return Value(s, (self,), "sigmoid", _chain=lambda g: (g * (1.0 - s) * s,))

    def relu(self) -> Value:
        """max(0, x);  d(relu x)/dx = 1 where the result is > 0, else exactly 0 (``relu'(0) = 0``)."""
        x = self.data
        out = 0.0 if x < 0.0 else x  # keeps nan and -0.0, as PyTorch
        return Value(out, (self,), "ReLU", _chain=lambda g: (0.0 if out <= 0.0 else g,))

    def sin(self) -> Value:
        """Sine;  d(sin x)/dx = cos x."""
        x = self.data
        return Value(ieee.sin(x), (self,), "sin", _chain=lambda g: (g * ieee.cos(x),))

    def cos(self) -> Value:
        """Cosine;  d(cos x)/dx = -sin x."""
        x = self.data
        return Value(ieee.cos(x), (self,), "cos", _chain=lambda g: (g * -ieee.sin(x),))

    def sqrt(self) -> Value:
        """Square root;  d(sqrt x)/dx = 1 / (2 sqrt x).  ``sqrt(x<0) = nan``, ``sqrt'(0) = inf``."""
        r = ieee.sqrt(self.data)
        return Value(r, (self,), "sqrt", _chain=lambda g: (ieee.div(g, 2.0 * r),))

    def __abs__(self) -> Value:
        """|x|;  d|x|/dx = sign(x), with ``abs'(0) = 0`` (and 0 at nan), as PyTorch."""
        x = self.data
        sign = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
        return Value(abs(x), (self,), "abs", _chain=lambda g: (g * sign,))

    abs = __abs__

    # ---- derived operations: built from the primitives ------------------------------------

    def __neg__(self) -> Value:  # -a = a * -1
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:  # a - b = a + (-b)
        return self + (-self._lift(other, "-"))

    def __radd__(self, other: Number) -> Value:  # 2 + a
        return self._lift(other, "+") + self

    def __rsub__(self, other: Number) -> Value:  # 2 - a
        return self._lift(other, "-") - self

    def __rmul__(self, other: Number) -> Value:  # 2 * a
        return self._lift(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:  # 2 / a
        return self._lift(other, "/") / self

    def __rpow__(self, other: Number) -> Value:  # 2 ** a
        return self._lift(other, "**") ** self

    # ---- backpropagation --------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Compute the gradient of this value with respect to every node it depends on.

        Each node's ``grad`` becomes d(self)/d(node), times ``gradient`` (the upstream gradient
        fed in at the root, 1.0 by default). The nodes are visited in reverse topological order
        and each applies the chain rule, ``parent.grad += local derivative * node.grad``; a node
        used more than once sums its contributions (``b = a + a; c = b + b`` gives ``a.grad == 4``).

        Repeated calls follow PyTorch, not micrograd:

        * **leaves** (nodes without parents: inputs, parameters, constants) *accumulate* across
          calls, so call ``zero_grad()`` (or set ``grad = 0``) between training steps;
        * every **non-leaf** node of the graph is reset at the start of each call and holds the
          gradient of the latest pass.

        So for ``y = x*x*x`` at ``x = 3``, calling ``y.backward()`` twice gives ``x.grad == 54``
        (27 + 27), never the 27 + 27·3 that resetting nothing would give.
        """
        seed = _number(gradient, "backward(gradient)")
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += seed
        for node in reversed(order):
            _chain_rule_step(node)

    def detach(self) -> Value:
        """A new leaf with the same ``data`` (and label): gradients stop here."""
        return Value(self.data, label=self.label)

    # ---- comparisons and conversions --------------------------------------------------------

    def _compare_data(self, other: object, op: str) -> float:
        return other.data if isinstance(other, Value) else _number(other, f"unsupported operand for {op!r}")

    def __lt__(self, other: Value | Number) -> bool:
        return self.data < self._compare_data(other, "<")

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= self._compare_data(other, "<=")

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > self._compare_data(other, ">")

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= self._compare_data(other, ">=")

    __hash__ = object.__hash__  # identity, so nodes live in sets and dicts

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"
