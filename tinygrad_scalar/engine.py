"""The engine: a ``Value`` holds one number and remembers how it was made.

Every operation on ``Value`` objects returns a new ``Value`` that records

* ``_prev``: its parents, a tuple in argument order (``a * b`` has ``_prev == (a, b)``; the node
  keeps them in slots of its own, ``_a`` and ``_b``);
* ``_op``: the operation's name (``'*'``);
* ``_grad_fn``: the operation's backward rule, ``rule(node, upstream)``, which adds to each parent's
  ``grad`` its *contribution*: *local derivative x upstream gradient*.

``backward()`` visits the graph in reverse topological order and applies each node's rule to its
``grad``; a parent used several times sums its contributions. ``node._backward()`` performs that one
step for a single node (it is the node's local backward closure, made on demand), so a backward
pass can be run by hand, node by node, as in the micrograd lecture.

The backward rules below form a table of derivatives: one short function per primitive, its local
derivatives written as math beside the code, in the order of the ``Value`` methods that use them.
Each formula is PyTorch's, so gradients agree with ``torch.float64`` down to the special values:
where PyTorch divides (``g / x`` for ``log``) we divide, and where it selects zero (``relu`` on its
flat side, ``x**0``) no contribution is added even when the upstream gradient is ``inf`` or ``nan``.

Why rules shared by every node of an operation, rather than a new closure per node as micrograd
makes? micrograd's closure refers back to its node, so every node is a reference cycle; graphs
then outlive their use until Python's cyclic garbage collector finds them, and the collector keeps
traversing them as they grow. A shared rule allocates nothing and refers to nothing: a graph here
holds no reference cycles, is freed the moment its last reference goes, and costs the collector
one object per node (the node itself) instead of four or five. A rule reads the numbers it needs
(parents' ``data``, the node's ``data``) when it runs, as micrograd's closures do.

Numerics follow IEEE-754 as PyTorch float64 does (see :mod:`tinygrad_scalar.ieee`): an operation
never raises ``OverflowError``, ``ZeroDivisionError`` or ``ValueError``; it returns ``inf``,
``-inf`` or ``nan``. At kinks the derivative follows PyTorch: ``relu'(0) = 0`` and ``abs'(0) = 0``.
"""

from __future__ import annotations

import contextvars
import functools
import numbers
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from tinygrad_scalar import ieee

__all__ = [
    "Constant",
    "Number",
    "Value",
    "begin_backward",
    "chain_rule_step",
    "contributions",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]

Number = int | float
"""A plain number an operation accepts beside a ``Value``; it becomes a constant."""

_F = TypeVar("_F", bound=Callable[..., object])


GradFn = Callable[["Value", float], None]
"""A backward rule: ``rule(node, upstream)`` adds each parent's contribution to its ``grad``."""

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
        @functools.wraps(fn)
        def without_grad(*args: object, **kwargs: object) -> object:
            with no_grad():
                return fn(*args, **kwargs)

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


_EMIT = object()  # on the stack of topological_order: "the node below is ready to be emitted"
_walking = threading.Lock()


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents, ``root`` last.

    The one graph walk of the package: ``backward()``, rendering, explaining and stepping all use
    it. It is iterative (a depth-first search with an explicit stack), so a chain of a million
    nodes works under Python's default recursion limit, and it visits each node once.
    The order is deterministic: parents are explored in argument order, so ``a * b`` gives
    ``[a, b, a*b]`` on every run.
    """
    # Speed: the walk is a quarter of a training step, so
    # * a visited node carries this walk's stamp in its ``_mark`` slot, which is quicker to test
    #   than membership of a set; walks take turns (the lock), so that two threads walking graphs
    #   that share nodes don't overwrite each other's stamps;
    # * a leaf is emitted as soon as it is reached; any other node goes back on the stack under
    #   the _EMIT marker, with its unvisited parents above, so it is emitted once they all are;
    # * the parents are read from their slots, not from ``_prev``, and nothing is allocated per node.
    stamp = object()
    order: list[Value] = []
    stack: list[Any] = [root]  # Values, and _EMIT markers
    with _walking:
        while stack:
            node = stack.pop()
            if node is _EMIT:
                order.append(stack.pop())  # all of its parents are in `order` now
            elif node._mark is not stamp:
                node._mark = stamp
                a = node._a
                if a is None:  # a leaf
                    order.append(node)
                    continue
                stack.append(node)
                stack.append(_EMIT)
                # the parents, last to first, so that the first one is popped (and emitted) first
                more = node._more
                if more:
                    for parent in reversed(more):
                        if parent._mark is not stamp:
                            stack.append(parent)
                b = node._b
                if b is not None and b._mark is not stamp:
                    stack.append(b)
                if a._mark is not stamp:
                    stack.append(a)
    return order


# ---- the table of derivatives: one backward rule per primitive ----------------------------------
# Each rule receives the node and its upstream gradient g = dL/d(node), and adds to each parent
# its contribution g * d(node)/d(parent).


def _add_backward(node: Value, g: float) -> None:
    node._a.grad += g  # d(a+b)/da = 1
    node._b.grad += g  # d(a+b)/db = 1


def _mul_backward(node: Value, g: float) -> None:
    a, b = node._a, node._b
    a.grad += g * b.data  # d(a*b)/da = b
    b.grad += g * a.data  # d(a*b)/db = a


def _div_backward(node: Value, g: float) -> None:
    a, b = node._a, node._b
    a.grad += ieee.div(g, b.data)  # d(a/b)/da = 1/b
    b.grad += -g * ieee.div(node.data, b.data)  # d(a/b)/db = -a/b**2 = -(a/b)/b


def _pow_backward(node: Value, g: float) -> None:
    a, b = node._a, node._b
    if b.data != 0.0:  # exactly 0 where b == 0, as PyTorch
        a.grad += g * (b.data * ieee.pow(a.data, b.data - 1.0))  # d(a**b)/da = b * a**(b-1)
    log_a = 0.0 if a.data == 0.0 and b.data >= 0.0 else ieee.log(a.data)  # as PyTorch: 0 at a == 0
    b.grad += g * (node.data * log_a)  # d(a**b)/db = a**b * log(a)


@functools.lru_cache(maxsize=64)
def _power_backward(k: float) -> GradFn:
    """The rule for ``x**k`` with a constant ``k`` (one per exponent, kept for reuse)."""

    def power_backward(node: Value, g: float) -> None:
        if k != 0.0:  # exactly 0 where k == 0, as PyTorch
            x = node._a
            x.grad += g * (k * ieee.power(x.data, k - 1.0))  # d(x**k)/dx = k * x**(k-1)

    power_backward.exponent = k  # type: ignore[attr-defined]  # read by tinygrad_scalar.trace
    return power_backward


def _exp_backward(node: Value, g: float) -> None:
    node._a.grad += g * node.data  # d(e**x)/dx = e**x


def _log_backward(node: Value, g: float) -> None:
    x = node._a
    x.grad += ieee.div(g, x.data)  # d(log x)/dx = 1/x


def _tanh_backward(node: Value, g: float) -> None:
    t = node.data
    node._a.grad += g * ((1.0 - t) * (1.0 + t))  # d(tanh x)/dx = 1 - tanh(x)**2 = (1-t)(1+t)


def _sigmoid_backward(node: Value, g: float) -> None:
    s = node.data
    node._a.grad += g * (1.0 - s) * s  # d(sigmoid x)/dx = sigmoid(x) * (1 - sigmoid(x))


def _relu_backward(node: Value, g: float) -> None:
    if not node.data <= 0.0:  # d(relu x)/dx = 1 where relu(x) > 0 (or is nan), else exactly 0
        node._a.grad += g


def _sin_backward(node: Value, g: float) -> None:
    x = node._a
    x.grad += g * ieee.cos(x.data)  # d(sin x)/dx = cos x


def _cos_backward(node: Value, g: float) -> None:
    x = node._a
    x.grad += g * -ieee.sin(x.data)  # d(cos x)/dx = -sin x


def _sqrt_backward(node: Value, g: float) -> None:
    node._a.grad += ieee.div(g, 2.0 * node.data)  # d(sqrt x)/dx = 1 / (2 sqrt x)


def _abs_backward(node: Value, g: float) -> None:
    x = node._a
    sign = 1.0 if x.data > 0.0 else -1.0 if x.data < 0.0 else 0.0  # abs'(0) = 0, and 0 at nan
    x.grad += g * sign  # d|x|/dx = sign(x)


def _run_hooks(node: Value) -> None:
    """Give ``node``'s finished gradient to its hooks; a hook may return a replacement."""
    for hook in node._hooks or ():
        replacement = hook(node.grad)
        if replacement is not None:
            node.grad = _number(replacement, "the value a gradient hook returned")


def chain_rule_step(node: Value) -> None:
    """Add each parent's contribution, ``local derivative x node.grad``, into that parent's ``grad``
    (after the node's hooks, if it has any, have seen its gradient)."""
    if node._hooks is not None:
        _run_hooks(node)
    if node._grad_fn is not None:  # a leaf has nothing to pass on
        node._grad_fn(node, node.grad)


def begin_backward(root: Value, gradient: Number = 1.0) -> list[Value]:
    """What ``backward()`` does before its first chain-rule step; returns the topological order.

    Every non-leaf node of the graph is reset to 0, and ``gradient`` is added to the root's ``grad``
    (leaves keep what they hold: they accumulate across passes). Applying ``chain_rule_step`` to the
    nodes of the returned order, last to first, completes the pass.
    """
    seed = _number(gradient, "backward(gradient)")
    order = topological_order(root)
    for node in order:
        if node._a is not None:  # not a leaf
            node.grad = 0.0
    root.grad += seed
    return order


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

    # The parents live in slots of their own, ``_a`` and ``_b`` (and any further ones in ``_more``),
    # not in a tuple: a node is then one object for the garbage collector to track, not two, which
    # halves what it traverses while a graph is alive. ``_prev`` assembles the tuple on demand.
    __slots__ = ("data", "grad", "label", "_op", "_grad_fn", "_hooks", "_a", "_b", "_more", "_mark")
    # The first and second parents are Values, or None where there is none. They are typed Any so
    # that the backward rules, which run only on nodes that have their parents, read them as they are.
    _a: Any
    _b: Any
    _more: tuple[Value, ...]
    _mark: object  # the stamp of the last topological_order walk that visited the node

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        _grad_fn: GradFn | None = None,
    ) -> None:
        self.data: float = data if type(data) is float else _number(data, "Value(data)")
        self.grad: float = 0.0
        self.label: str = label
        self._hooks: list[Callable[[float], float | None]] | None = None
        self._mark = None
        self._op: str = _op
        self._grad_fn: GradFn | None = _grad_fn
        self._a = self._b = None
        self._more = ()
        if _children:
            if _grad_enabled.get():
                self._prev = _children  # any iterable (micrograd passes sets); kept in argument order
            else:  # inside no_grad(): a leaf
                self._op, self._grad_fn = "", None

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents, in argument order: ``(a * b)._prev == (a, b)``; ``()`` for a leaf."""
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b, *self._more)

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:  # a tuple, a list or a set, as micrograd's
        parents = tuple(children)
        self._a = parents[0] if parents else None
        self._b = parents[1] if len(parents) > 1 else None
        self._more = parents[2:]

    # ---- helpers ------------------------------------------------------------------------

    @staticmethod
    def _lift(other: Value | Number, op: str) -> Value:
        """``other`` as a ``Value``: a plain number becomes a ``Constant`` leaf."""
        if isinstance(other, Value):
            return other
        return Constant(_number(other, f"unsupported operand for {op!r} with a Value"))

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's chain-rule step, as a closure: ``node._backward()`` pushes ``node.grad``
        into each parent (``parent.grad += local derivative * node.grad``), and nothing else.

        Calling it node by node in reverse topological order, after setting the root's
        ``grad`` to 1, is exactly what ``backward()`` does. A leaf's step does nothing.
        """

        def _backward() -> None:
            chain_rule_step(self)

        return _backward

    # ---- primitives: the forward half; the backward half is in the table above --------------

    def __add__(self, other: Value | Number) -> Value:
        if type(other) is not Value:  # speed: skip a call in the common case of two Values
            other = self._lift(other, "+")
        return _node(self.data + other.data, "+", _add_backward, self, other)

    def __mul__(self, other: Value | Number) -> Value:
        if type(other) is not Value:  # speed: as in __add__
            other = self._lift(other, "*")
        return _node(self.data * other.data, "*", _mul_backward, self, other)

    def __truediv__(self, other: Value | Number) -> Value:
        # A primitive, not a * b**-1: for a tiny b, 1/b overflows and 0/1e-310 would give nan, not 0.
        other = self._lift(other, "/")
        return _node(ieee.div(self.data, other.data), "/", _div_backward, self, other)

    def __pow__(self, other: Value | Number) -> Value:
        """``x**k`` with a number ``k`` (a constant), or ``a**b`` with a ``Value`` ``b``, which gets a gradient."""
        if isinstance(other, Value):
            return _node(ieee.pow(self.data, other.data), "**", _pow_backward, self, other)
        k = _number(other, "unsupported operand for '**' with a Value")
        return _node(ieee.power(self.data, k), f"**{other}", _power_backward(k), self)

    def exp(self) -> Value:
        """e**x;  d(e**x)/dx = e**x."""
        return _node(ieee.exp(self.data), "exp", _exp_backward, self)

    def log(self) -> Value:
        """Natural logarithm;  d(log x)/dx = 1/x.  ``log(0) = -inf``, ``log(x<0) = nan``."""
        return _node(ieee.log(self.data), "log", _log_backward, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent;  d(tanh x)/dx = 1 - tanh(x)**2."""
        return _node(ieee.tanh(self.data), "tanh", _tanh_backward, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1/(1+e**-x);  d(sigmoid x)/dx = sigmoid(x) * (1 - sigmoid(x))."""
        return _node(ieee.sigmoid(self.data), "sigmoid", _sigmoid_backward, self)

    def relu(self) -> Value:
        """max(0, x);  d(relu x)/dx = 1 where the result is > 0, else exactly 0 (``relu'(0) = 0``)."""
        x = self.data
        return _node(0.0 if x < 0.0 else x, "ReLU", _relu_backward, self)  # keeps nan and -0.0

    def sin(self) -> Value:
        """Sine;  d(sin x)/dx = cos x."""
        return _node(ieee.sin(self.data), "sin", _sin_backward, self)

    def cos(self) -> Value:
        """Cosine;  d(cos x)/dx = -sin x."""
        return _node(ieee.cos(self.data), "cos", _cos_backward, self)

    def sqrt(self) -> Value:
        """Square root;  d(sqrt x)/dx = 1 / (2 sqrt x).  ``sqrt(x<0) = nan``, ``sqrt'(0) = inf``."""
        return _node(ieee.sqrt(self.data), "sqrt", _sqrt_backward, self)

    def __abs__(self) -> Value:
        """|x|;  d|x|/dx = sign(x), with ``abs'(0) = 0`` (and 0 at nan), as PyTorch."""
        return _node(abs(self.data), "abs", _abs_backward, self)

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

    def backward(self, gradient: Number = 1.0, create_graph: bool = False) -> None:
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

        ``create_graph=True`` builds the backward pass as a graph: every ``grad`` becomes a ``Value``
        that can be differentiated again (see :mod:`tinygrad_scalar.functional`).
        """
        if create_graph:
            from tinygrad_scalar.functional import backward_with_graph

            backward_with_graph(self, gradient)
            return
        for node in reversed(begin_backward(self, gradient)):
            # chain_rule_step(node), inlined: one call less per node
            if node._hooks is not None:
                _run_hooks(node)
            rule = node._grad_fn
            if rule is not None:
                rule(node, node.grad)

    def register_hook(self, hook: Callable[[float], float | None]) -> Callable[[], None]:
        """Call ``hook(gradient)`` in every ``backward()`` when this value's gradient is complete, before
        it flows on to the parents; a number returned replaces the gradient (gradient surgery, as
        PyTorch's ``register_hook``). Returns a function that removes the hook.

        Clipping a gradient in flight, so that nothing upstream of ``h`` sees more than 0.1:

        >>> w = Value(0.5); h = (w * 3.0).tanh()
        >>> remove = h.register_hook(lambda g: max(-0.1, min(0.1, g)))
        >>> (h * 100).backward()           # dL/dh = 100, clipped to 0.1 at h
        >>> h.grad, round(w.grad, 4)       # w gets 0.1 * dh/dw = 0.1 * 3 (1 - tanh(1.5)**2)
        (0.1, 0.0542)

        For a leaf, the hook sees its ``grad`` as it stands after this pass, which includes what earlier
        passes accumulated; zero the gradients between passes (as training does) to see this pass's.
        """
        if not callable(hook):
            raise TypeError(f"register_hook takes a function of the gradient, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        hooks = self._hooks

        def remove() -> None:
            if hook in hooks:
                hooks.remove(hook)

        return remove

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


_new = object.__new__


def _node(data: float, op: str, rule: GradFn, a: Value, b: Value | None = None) -> Value:
    """The result of operation ``op`` on ``a`` (and ``b``): ``Value(data, (a, b), op, "", rule)``.

    Speed: every operation of the forward pass ends here, so this skips what the public constructor
    does for its callers (check the number, build a tuple of parents, read keyword arguments) and
    fills the slots directly, in less than half the time.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._hooks = None
    out._more = ()
    out._mark = None
    if _grad_enabled.get():
        out._op = op
        out._grad_fn = rule
        out._a = a
        out._b = b
    else:  # inside no_grad(): a leaf
        out._op = ""
        out._grad_fn = None
        out._a = out._b = None
    return out


class Constant(Value):
    """A plain number written in an expression (the ``2`` of ``2 * x``), lifted into the graph.

    It behaves as any leaf ``Value``; the class only tells pictures and explanations that nobody
    will read its gradient.
    """

    __slots__ = ()


def contributions(node: Value, upstream: float | None = None) -> tuple[float, ...]:
    """What ``node``'s backward rule adds to each parent, in ``node._prev`` order.

    ``upstream`` is the gradient arriving at ``node`` (by default ``node.grad``, as in the last
    backward pass); ``contributions(node, 1.0)`` are the local derivatives. The rule runs on
    stand-ins for the node and its parents, so the graph's gradients are left untouched, and a
    parent used twice (``a * a``) gets one entry per use. A leaf has no contributions: ``()``.
    """
    if node._grad_fn is None:
        return ()
    stand_ins = tuple(Value(parent.data) for parent in node._prev)
    twin = Value(node.data)
    twin._prev = stand_ins
    node._grad_fn(twin, node.grad if upstream is None else upstream)
    return tuple(s.grad for s in stand_ins)
