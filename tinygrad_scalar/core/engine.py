"""The engine: a ``Value`` holds one number and remembers how it was made.

Every operation on ``Value`` objects returns a new ``Value`` that records its *recipe*:

* ``_prev``: its parents, a tuple in argument order (``a * b`` has ``_prev == (a, b)``; the node
  keeps them in slots of its own, ``_a``, ``_b`` and ``_more``);
* ``_row``: the row of the table of derivatives (:mod:`tinygrad_scalar.core.ops`) that made it, and
  ``_params``, the operation's parameters (the ``k`` of ``x**k``), as autodidact's ``node.recipe``;
* ``_op``: the operation's label (``'*'``), as micrograd's ``_op``.

``backward()`` visits the graph in reverse topological order and applies each node's rule,
``row.backward(node, node.grad)``, which adds to each parent's ``grad`` its *contribution*: *local
derivative x upstream gradient*; a parent used several times sums its contributions.
``node._backward()`` performs that one step for a single node, so a backward pass can be run by hand,
node by node, as in the micrograd lecture. What a pass means (seeds, hooks, checkpoint segments,
constants) is written down once, as rules, in :mod:`tinygrad_scalar.core.graph`, together with the
graph walk and the pass that gives gradients as a map without touching the graph.

The backward rules come from the table, compiled into float functions by
:mod:`tinygrad_scalar.core.rules`. Each formula is PyTorch's, so gradients agree with ``torch.float64``
down to the special values: where PyTorch divides (``g / x`` for ``log``) we divide, and where it
selects zero (``relu`` on its flat side, ``x**0``) no contribution is added even when the upstream
gradient is ``inf`` or ``nan``.

Why rules shared by every node of an operation, rather than a new closure per node as micrograd
makes? micrograd's closure refers back to its node, so every node is a reference cycle; graphs then
outlive their use until Python's cyclic garbage collector finds them, and the collector keeps
traversing them as they grow. A shared rule refers to nothing: a graph here holds no reference
cycles, is freed the moment its last reference goes, and costs the collector one object per node.

A ``Value`` takes new attributes as micrograd's does (``p.m = 0.0`` in an optimizer of your own).

Numerics follow IEEE-754 as PyTorch float64 does (see :mod:`tinygrad_scalar.core.ieee`): an operation
never raises ``OverflowError``, ``ZeroDivisionError`` or ``ValueError``; it returns ``inf``,
``-inf`` or ``nan``. At kinks the derivative follows PyTorch: ``relu'(0) = 0`` and ``abs'(0) = 0``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from tinygrad_scalar.core import ieee, ops, rules  # noqa: F401 - importing rules compiles the table's rules
from tinygrad_scalar.core.graph import (
    ClosureRule,
    UnknownOperationError,
    backward_pass,
    chain_rule_step,
    chain_rule_steps,
    contributions,
    gradient_pass,
    op_of,
    run_hooks,
    topological_order,
)

__all__ = [
    "Constant",
    "Number",
    "Observer",
    "UnknownOperationError",
    "Value",
    "apply",
    "begin_backward",
    "chain_rule_step",
    "contributions",
    "fresh_gradients",
    "is_grad_enabled",
    "maximum",
    "minimum",
    "no_grad",
    "op_of",
    "pullback",
    "run_hooks",
    "set_observer",
    "topological_order",
]

Number = int | float
"""A plain number an operation accepts beside a ``Value``; it becomes a constant."""

_F = TypeVar("_F", bound=Callable[..., object])


_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("tinygrad_scalar_grad_enabled", default=True)
_saved_grad_enabled: contextvars.ContextVar[tuple[bool, ...]] = contextvars.ContextVar(
    "tinygrad_scalar_saved_grad_enabled", default=()
)


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

    def __enter__(self) -> no_grad:
        # The setting to restore goes on a stack kept per thread and per asyncio task (a context
        # variable too), not on the instance: one shared instance may then be entered by several
        # threads or tasks, which may leave in any order.
        _saved_grad_enabled.set((*_saved_grad_enabled.get(), _grad_enabled.get()))
        _grad_enabled.set(False)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        saved = _saved_grad_enabled.get()
        _grad_enabled.set(saved[-1])
        _saved_grad_enabled.set(saved[:-1])

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def without_grad(*args: object, **kwargs: object) -> object:
            with no_grad():
                return fn(*args, **kwargs)

        return without_grad  # type: ignore[return-value]  # same signature as fn


_number = ieee.as_float  # the float a plain number stands for, or a TypeError saying what was wrong


def begin_backward(root: Value, gradient: Number = 1.0) -> list[Value]:
    """What ``backward()`` does before its first chain-rule step; returns the topological order.

    Every non-leaf node of the graph is reset to 0, and ``gradient`` is added to the root's ``grad``
    (leaves keep what they hold: they accumulate across passes). Applying ``chain_rule_step`` to the
    nodes of the returned order, last to first, completes the pass.
    """
    seed = _number(gradient, "backward(gradient)")
    order = topological_order(root, fresh=True)
    root.grad += seed
    return order


def fresh_gradients(root: Value) -> dict[Value, float]:
    """The gradients one backward pass from ``root`` gives, every node starting at 0, as a map; no
    ``grad`` field is read or written. Short for ``gradient_pass(root).grads`` (see
    :mod:`tinygrad_scalar.core.graph`), which also gives the pass step by step."""
    return gradient_pass(root).grads


# ---- the hook point of anomaly detection -----------------------------------------------------------


class Observer(Protocol):
    """What ``set_observer`` installs: told of every value made and every backward step taken."""

    def made(self, value: Value) -> None:
        """``value`` was just made (by an operation, or by ``Value(...)``)."""

    def stepped(self, node: Value, upstream: float, before: list[float]) -> None:
        """``backward()`` applied ``node``'s chain-rule step: its gradient was ``upstream``, and its
        parents' gradients were ``before``."""


_observer: Observer | None = None


def set_observer(observer: Observer | None) -> Observer | None:
    """Install ``observer`` (``None`` removes it); returns the one it replaces.

    The engine's one hook point, for tools that watch every operation (``detect_anomaly``). With no
    observer, which is the usual case, it costs one test per operation.
    """
    global _observer
    previous, _observer = _observer, observer
    return previous


# ---- the backward pass as a graph (create_graph=True, grad, hessian) ----------------------------------


def _constant(x: Any) -> Value:
    return x if isinstance(x, Value) else Constant(x)


def _graph_contributions(node: Value, g: Value) -> list[Value | None]:
    """Each parent's contribution, ``g x local derivative``, as Values with a graph of their own: the
    table's derivatives evaluated on Values (``None`` where the table selects none)."""
    op, params = op_of(node, "the backward pass with create_graph=True (grad, hessian)")
    parents = node._prev
    if op.expand is not None:  # a segment (rule 5): its function again, on the real inputs, down to them
        upstream = pullback([op.expand(parents, params)], [g], stop=parents)
        first = {p: i for i, p in reversed(list(enumerate(parents)))}  # a parent given twice gets it once
        return [upstream.get(p) if first[p] == i else None for i, p in enumerate(parents)]
    return [None if ops.is_zero(c) else _constant(c) for c in op.contributions_code(g, parents, node, params)]


def _hook_gradient(replacement: Any) -> Value:
    return replacement if isinstance(replacement, Value) else Constant(_number(replacement, "a gradient hook"))


def pullback(outputs: Sequence[Value], seeds: Sequence[Value | None], stop: Iterable[Value] = ()) -> dict[Value, Value]:
    """The gradient of the seeded ``outputs`` with respect to every node they depend on, as Values: the
    backward pass with each contribution built as a graph, so it can be differentiated again. It
    follows the rules of :mod:`tinygrad_scalar.core.graph`: a hook sees its node's gradient, here a
    ``Value`` (a number it returns replaces the gradient, as a constant)."""
    return backward_pass(outputs, seeds, _graph_contributions, zero=None, convert=_hook_gradient, stop=stop)


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

    Every operation is a row of the table of derivatives in :mod:`tinygrad_scalar.core.ops`; the
    methods below compute the forward half and record the row's backward rule.
    """

    # The parents live in slots of their own, ``_a`` and ``_b`` (and any further ones in ``_more``),
    # not in a tuple: a node is then one object for the garbage collector to track, not two, which
    # halves what it traverses while a graph is alive. ``_prev`` assembles the tuple on demand.
    # ``__dict__`` takes the attributes a user adds, as on micrograd's Value; it costs nothing until used.
    # A label and the text of ``_op`` are not slots: most nodes have no label (the class's "") and take
    # ``_op`` from their row (a property), so a node the table makes stores neither. Speed, in instructions
    # of the demo step (callgrind, benchmarks/instructions.py): 622.4M to 606.6M (-2.5%), and 517.2M to
    # 508.4M (-1.7%) with the collector deferred. Hooks and a third parent stay slots: as class attributes,
    # their reads in every walk cost more than the stores saved (deferred: 525.0M).
    __slots__ = (
        "data", "grad", "_op_text", "_row", "_params", "_hooks", "_a", "_b", "_more", "_mark",
        "__dict__", "__weakref__",
    )  # fmt: skip
    label: str = ""
    _hooks: list[Callable[[float], float | None]] | None
    _more: tuple[Value, ...]
    # The first and second parents are Values, or None where there is none. They are typed Any so
    # that the backward rules, which run only on nodes that have their parents, read them as they are.
    _a: Any
    _b: Any
    _row: Any  # the row of the table that made the node (an ops.Op), a ClosureRule, or None for a leaf
    _params: tuple[Any, ...]  # the operation's parameters; set only where it has some (read them with op_of):
    # a node of ``*`` or ``+`` leaves the slot empty, one store less per node (1% of the demo step)
    _mark: object  # the stamp of the last topological_order walk that visited the node

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        _row: ops.Op | None = None,
        _params: tuple[Any, ...] = (),
    ) -> None:
        self.data: float = data if type(data) is float else _number(data, "Value(data)")
        self.grad: float = 0.0
        if label or type(label) is not str:  # an unlabelled node stores no label (the class's "")
            self.label = label if type(label) is str else _label(label)
        self._mark = None
        self._hooks = None
        self._more = ()
        if _op:
            self._op_text = _op
        self._row = _row
        self._params = _params
        self._a = self._b = None
        if _children:
            if _grad_enabled.get():
                self._prev = _children  # any iterable (micrograd passes sets); kept in argument order
            else:  # inside no_grad(): a leaf
                self._op, self._row, self._params = "", None, ()
        if _observer is not None:
            _observer.made(self)

    @property
    def _op(self) -> str:
        """The operation's label (``'*'``, ``'**2'``; ``''`` for a leaf), micrograd's ``_op``: the text given to
        the constructor, else the row's. Speed: a node the table makes stores no text (1% of the demo step)."""
        try:
            return self._op_text
        except AttributeError:
            row = self._row
            return "" if row is None or type(row) is ClosureRule else row.op_label(getattr(self, "_params", ()))

    @_op.setter
    def _op(self, text: str) -> None:
        self._op_text = text

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

        It can be assigned, as in the micrograd lecture's way of adding an operation::

            out = Value(t, (x,), 'tanh')
            def _backward():
                x.grad += (1 - t**2) * out.grad
            out._backward = _backward

        ``backward()`` and stepping by hand then run that closure. The consumers that need the
        operation's derivatives as formulas (``create_graph``, ``grad``, ``trace``, forward mode,
        explanations) refuse such a node by name: define the operation with ``defop`` for those.
        """
        if isinstance(self._row, ClosureRule):
            return self._row.closure

        def _backward() -> None:
            chain_rule_step(self)

        return _backward

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward takes a function of no arguments, got {type(closure).__name__}")
        self._row = ClosureRule(closure)

    def _apply_row(self, op: ops.Op, args: Sequence[Value | Number]) -> Value:
        """``op`` applied inside another row's formula (``ops.Op.__call__``): inputs first, then parameters."""
        inputs = [self._lift(a, op.name) for a in args[: op.arity]]
        return apply(op, inputs, tuple(_number(p, op.name) for p in args[op.arity :]))

    # ---- the operations: the forward half; the backward half is the table's rule ---------------

    def __add__(self, other: Value | Number) -> Value:
        if type(other) is not Value:  # speed: skip a call in the common case of two Values
            other = self._lift(other, "+")
        return _node(self.data + other.data, _ADD, self, other)  # a + b

    def __mul__(self, other: Value | Number) -> Value:
        if type(other) is not Value:  # speed: as in __add__
            other = self._lift(other, "*")
        return _node(self.data * other.data, _MUL, self, other)  # a * b

    def __truediv__(self, other: Value | Number) -> Value:
        # A primitive, not a * b**-1: for a tiny b, 1/b overflows and 0/1e-310 would give nan, not 0.
        return apply(ops.DIV, (self, self._lift(other, "/")))

    def __pow__(self, other: Value | Number) -> Value:
        """``x**k`` with a number ``k`` (a constant), or ``a**b`` with a ``Value`` ``b``, which gets a gradient."""
        if isinstance(other, Value):
            return apply(ops.POW, (self, other))
        return apply(ops.POWER, (self,), (_number(other, "unsupported operand for '**' with a Value"),))

    def exp(self) -> Value:
        """e**x;  d(e**x)/dx = e**x."""
        return apply(ops.EXP, (self,))

    def log(self) -> Value:
        """Natural logarithm;  d(log x)/dx = 1/x.  ``log(0) = -inf``, ``log(x<0) = nan``."""
        return apply(ops.LOG, (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent;  d(tanh x)/dx = 1 - tanh(x)**2."""
        return _node(ieee.tanh(self.data), _TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1/(1+e**-x);  d(sigmoid x)/dx = sigmoid(x) * (1 - sigmoid(x))."""
        return apply(ops.SIGMOID, (self,))

    def relu(self) -> Value:
        """max(0, x);  d(relu x)/dx = 1 where the result is > 0, else exactly 0 (``relu'(0) = 0``)."""
        return _node(ieee.relu(self.data), _RELU, self)

    def sin(self) -> Value:
        """Sine;  d(sin x)/dx = cos x."""
        return apply(ops.SIN, (self,))

    def cos(self) -> Value:
        """Cosine;  d(cos x)/dx = -sin x."""
        return apply(ops.COS, (self,))

    def sqrt(self) -> Value:
        """Square root;  d(sqrt x)/dx = 1 / (2 sqrt x).  ``sqrt(x<0) = nan``, ``sqrt'(0) = inf``."""
        return apply(ops.SQRT, (self,))

    def __abs__(self) -> Value:
        """``|x|``;  ``d|x|/dx = sign(x)``, with ``abs'(0) = 0`` (and 0 at nan), as PyTorch."""
        return apply(ops.ABS, (self,))

    abs = __abs__

    def log1p(self) -> Value:
        """log(1 + x), accurate near 0;  d/dx = 1/(1 + x)."""
        return apply(ops.LOG1P, (self,))

    def fma(self, b: Value | Number, c: Value | Number) -> Value:
        """``self * b + c`` rounded once (a fused multiply-add, as PyTorch's kernels compute ``1 - y**2``);
        d/d(self) = b, d/db = self, d/dc = 1."""
        return apply(ops.FMA, (self, self._lift(b, "fma"), self._lift(c, "fma")))

    def erf(self) -> Value:
        """The error function;  d(erf x)/dx = 2/sqrt(pi) e**(-x**2)."""
        return apply(ops.ERF, (self,))

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x where x > 0, else ``slope * x``;  the derivative is 1, or ``slope`` (also at 0)."""
        return apply(ops.LEAKY_RELU, (self,), (_number(slope, "leaky_relu(slope)"),))

    def elu(self, alpha: Number = 1.0) -> Value:
        """x where x > 0, else ``alpha (e**x - 1)``;  the derivative is 1, or ``alpha e**x`` (also at 0)."""
        return apply(ops.ELU, (self,), (_number(alpha, "elu(alpha)"),))

    def softplus(self) -> Value:
        """log(1 + e**x), a smooth ReLU (x itself above 20, as PyTorch);  d/dx = sigmoid(x)."""
        return apply(ops.SOFTPLUS, (self,))

    def silu(self) -> Value:
        """x sigmoid(x) (also called swish);  d/dx = sigmoid(x) (1 + x (1 - sigmoid(x)))."""
        return apply(ops.SILU, (self,))

    def gelu(self, approximate: str = "none") -> Value:
        """x Phi(x), Phi the normal distribution's CDF, with PyTorch's ``approximate='none'`` (the erf
        form) or ``'tanh'``;  d/dx = Phi(x) + x phi(x)."""
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu(approximate=...) is 'none' or 'tanh', got {approximate!r}")
        return apply(ops.GELU if approximate == "none" else ops.GELU_TANH, (self,))

    def clamp(self, lo: Number | None = None, hi: Number | None = None) -> Value:
        """x limited to [lo, hi] (either may be None: no limit);  the derivative is 1 inside, 0 outside."""
        low = -ieee.INF if lo is None else _number(lo, "clamp(lo)")
        high = ieee.INF if hi is None else _number(hi, "clamp(hi)")
        return apply(ops.CLAMP, (self,), (low, high))

    def maximum(self, other: Value | Number) -> Value:
        """The larger of the two;  each gets the gradient where it is the larger, half of it at a tie."""
        return apply(ops.MAXIMUM, (self, self._lift(other, "maximum")))

    def minimum(self, other: Value | Number) -> Value:
        """The smaller of the two;  each gets the gradient where it is the smaller, half of it at a tie."""
        return apply(ops.MINIMUM, (self, self._lift(other, "minimum")))

    # ---- derived operations: built from the primitives ------------------------------------

    def __neg__(self) -> Value:  # -a = a * -1
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:  # a - b = a + (-b); a - 1 = a + (-1), as micrograd folds it
        if isinstance(other, Value):
            return self + (-other)
        return self + -_number(other, "unsupported operand for '-' with a Value")

    def __radd__(self, other: Number) -> Value:  # 2 + a
        return self._lift(other, "+") + self

    def __rsub__(self, other: Number) -> Value:  # 2 - a
        return self._lift(other, "-") - self

    def __rmul__(self, other: Number) -> Value:  # 2 * a
        return self._lift(other, "*") * self

    def __rtruediv__(self, other: Value | Number) -> Value:  # 2 / a (a Value: a constant, by the parser)
        # As PyTorch computes 2 / t: reciprocal(t) * 2, rounded twice (1 / a is the reciprocal alone, the same
        # floats); Value(2) / a is one division.
        c = self._lift(other, "/")
        inverse = apply(ops.RECIPROCAL, (self,))
        return inverse if c.data == 1.0 and not c.label else inverse * c

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
        that can be differentiated again (see :mod:`tinygrad_scalar.transforms.functional`); hooks then see
        their gradient as a ``Value``.
        """
        seed = _number(gradient, "backward(gradient)")
        if create_graph:
            self._backward_with_graph(seed)
            return
        order = topological_order(self, fresh=True)  # every node self depends on, parents first, its gradient
        # set to 0 for this new pass (the leaves' are not: they accumulate across passes)
        self.grad += seed  # d(self)/d(self) = 1, times the upstream gradient fed in
        if _observer is None:
            chain_rule_steps(order)  # for node in reversed(order): chain_rule_step(node)
            return
        for node in reversed(order):  # the same, told to anomaly detection step by step
            before = [p.grad for p in node._prev]
            upstream = node.grad
            chain_rule_step(node)
            _observer.stepped(node, upstream, before)

    def _backward_with_graph(self, seed: float) -> None:
        """``backward(create_graph=True)``: every ``grad`` becomes a ``Value`` (leaves add to theirs)."""
        upstream = pullback([self], [Constant(seed)])
        for node in topological_order(self):
            g = upstream.get(node, Constant(0.0))
            node.grad = g if node._a is not None else node.grad + g  # type: ignore[assignment]  # a Value, on purpose

    def register_hook(self, hook: Callable[[float], float | None]) -> Callable[[], None]:
        """Call ``hook(gradient)`` in every backward pass when this value's gradient is complete, before
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

        Hooks run in every backward pass: ``backward()``, the stepper and explanations (which step
        a pass), ``backward(create_graph=True)``, ``grad`` and ``hessian`` (where the hook sees a
        ``Value``, and a number it returns becomes a constant), and ``trace``'s program (which calls
        the hooks of the values whose gradient it computes). Forward mode (``jvp``) has no backward
        gradient to give them and refuses a graph with hooks.
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
        """Refused, loudly: ``math.tanh(x)`` and ``float(x)`` would turn the Value into a plain number and
        cut it out of the graph, so that its gradient silently stays 0 (a classic mistake, which micrograd
        refuses too)."""
        raise TypeError(
            f"a Value is not a float: math functions and float() would cut it out of the graph, and its gradient "
            f"would silently stay 0. Use the Value's own method instead: x.tanh(), x.exp(), x.log(), x.sqrt(), "
            f"x.sin(), ...; to read the number itself, write x.data (here {self.data!r})"
        )

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling and ``copy.deepcopy``: the graph as a flat list in topological order, so that a chain
        of a million nodes needs no deep recursion (see :func:`_rebuild`). Each operation is saved as
        its row's name and parameters; a node whose rule is a closure (assigned to ``_backward``) or a
        ``checkpoint`` cannot be saved, and says so. Gradient hooks are functions of the running
        program: they are not saved.

        Unpickling runs code: load only pickles you wrote yourself. To share a model, save it as JSON with
        ``MLP.save`` (numbers only; loading it runs nothing).
        """
        order = topological_order(self)
        index = {node: i for i, node in enumerate(order)}
        records = []
        for n in order:
            recipe = None
            if n._row is not None:
                op, params = op_of(n, "pickling")
                if op.expand is not None:
                    raise TypeError("a graph with a checkpoint cannot be pickled: its segment is a Python function")
                recipe = (op.name, params)
            records.append((type(n), n.data, n.grad, n.label, n._op, recipe, tuple(index[p] for p in n._prev)))
        return _rebuild, (records,)


def _rebuild(records: list[tuple[Any, ...]]) -> Value:
    """The inverse of ``Value.__reduce__``: the nodes again, parents before children; the last is the root."""
    nodes: list[Value] = []
    for cls, data, grad, label, op, recipe, parents in records:
        node = cls(data, label=label)
        node.grad, node._op = grad, op
        if recipe is not None:
            node._row, node._params = ops.OPS[recipe[0]], recipe[1]
        node._prev = [nodes[i] for i in parents]
        nodes.append(node)
    return nodes[-1]


def _label(label: object) -> str:
    text = repr(label) if len(repr(label)) <= 40 else repr(label)[:37] + "..."
    raise TypeError(f"a label is a string, got {type(label).__name__} {text}; write label=str(...)")


_new = object.__new__


def _node(data: float, row: ops.Op, a: Value, b: Value | None = None) -> Value:
    """The result of the operation ``row`` (one without parameters) on ``a`` (and ``b``):
    ``Value(data, (a, b), "", "", row)``.

    Speed: every operation of the forward pass ends here, so this skips what the public constructor
    does for its callers (check the number, build a tuple of parents, read keyword arguments) and
    fills the slots directly, in less than half the time.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._hooks = None
    out._more = ()
    out._mark = None
    if _grad_enabled.get():
        out._row = row
        out._a = a
        out._b = b
    else:  # inside no_grad(): a leaf
        out._row = None
        out._a = out._b = None
    if _observer is not None:
        _observer.made(out)
    return out


def apply(op: ops.Op, inputs: Sequence[Value], params: tuple[Any, ...] = ()) -> Value:
    """``op`` applied to ``inputs`` (Values) with ``params``: its forward value, recorded with its recipe."""
    data = op.forward(*[x.data for x in inputs], *params)
    if type(data) is not float:
        data = _number(data, f"the result of the operation {op.name!r}")
    if len(inputs) > 2:
        return Value(data, inputs, op.op_label(params), "", op, params)
    out = _node(data, op, inputs[0], inputs[1] if len(inputs) == 2 else None)
    if params and out._row is not None:
        out._params = params
    return out


_ADD, _MUL, _TANH, _RELU = ops.ADD, ops.MUL, ops.TANH, ops.RELU  # the rows the hot methods use, as globals


def maximum(a: Value | Number, b: Value | Number) -> Value:
    """The larger of ``a`` and ``b`` (nan if either is), as ``torch.maximum``: each gets the gradient
    where it is the larger, and half of it at a tie."""
    return apply(ops.MAXIMUM, (_as_value(a, "maximum"), _as_value(b, "maximum")))


def minimum(a: Value | Number, b: Value | Number) -> Value:
    """The smaller of ``a`` and ``b`` (nan if either is), as ``torch.minimum``: each gets the gradient
    where it is the smaller, and half of it at a tie."""
    return apply(ops.MINIMUM, (_as_value(a, "minimum"), _as_value(b, "minimum")))


def _as_value(x: Value | Number, where: str) -> Value:
    return x if isinstance(x, Value) else Constant(_number(x, where))


class Constant(Value):
    """A plain number written in an expression (the ``2`` of ``2 * x``), lifted into the graph.

    It behaves as any leaf ``Value``; the class only tells pictures and explanations that nobody
    will read its gradient.
    """

    __slots__ = ()
