"""The graph of a computation: the one walk of it, and what a backward pass over it means.

A node is a ``Value`` (:mod:`tinygrad_scalar.core.engine`): its number ``data``, its ``grad``, its parents
(``_a``, ``_b`` and ``_more``; ``_prev`` gives them as a tuple) and its *recipe*: ``_row``, the row of the
table of derivatives (:mod:`tinygrad_scalar.core.ops`) that made it, and ``_params``, the operation's
parameters (the ``k`` of ``x**k``). A leaf has no parents and no row.

The rules of a backward pass
----------------------------
Every way of running a backward pass follows these rules: ``Value.backward()`` (floats, in place),
:func:`gradient_pass` (floats, as a map node -> gradient, step by step: what explanations, the stepper
and drawings read), ``pullback`` in the engine (Values: ``create_graph``, ``grad``, ``hessian``), the
program ``trace`` writes, and ``fit``'s traced steps. Where PyTorch has a rule, it is PyTorch's.

1. **Order.** The pass visits the nodes that a seeded output depends on, each once, after every node
   that uses it: the reverse of the topological order of the outputs' joint graph (the first
   output's graph, then what the others add).
2. **Seeds.** Each seeded output starts with its seed, the upstream gradient fed in. An output listed
   twice gets the sum of its seeds (``torch.autograd.backward`` does the same). An output without a seed
   (``None``) takes no part: it is not "seeded with 0" (``0 * inf`` would be ``nan``), though it passes on
   what reaches it when a seeded output depends on it.
3. **Sums.** A gradient starts at 0 and adds each contribution, ``local derivative x upstream``, in the
   order of rule 1; a value used twice sums both contributions. A contribution that the table
   *selects away* (ReLU's flat side, ``x**0``) is not added, so an ``inf`` upstream gives 0 there, as in
   PyTorch. ``backward()`` adds into what leaves already hold (leaves accumulate across passes); every
   other node starts the pass at 0.
4. **Hooks.** A node's hooks run once per pass, when its gradient is complete (every node that uses it
   has contributed) and before it flows on, in the order they were registered. Each sees the
   gradient (a float; a ``Value`` when the pass builds a graph) and may return a replacement. A node
   that no seeded output depends on runs no hook. A leaf's hooks see, in ``backward()``, the gradient it
   holds after the pass (what earlier passes accumulated included); in every other pass, this
   pass's gradient.
5. **Segments.** A ``checkpoint`` node stands for a segment computed again when the pass reaches it.
   The segment's *boundary* is the node's parents: its arguments and the values from outside that its
   function reads. The recomputed pass runs by these same rules from the segment's output, seeded
   with the node's gradient, and stops at the boundary: it gives each boundary value one contribution
   and touches nothing else. Hooks registered inside the function are on the recomputed nodes, so
   they run (rule 4) in every pass; hooks on a boundary value run once, in the outer pass; hooks on
   the checkpoint node run on the node.
6. **Constants.** A number written in an expression is a ``Constant`` leaf: it takes part as any leaf
   does, and nobody reads its gradient. A traced program freezes every value that is not an input.
7. **Unknown operations.** A node whose backward rule is a closure assigned to ``_backward`` (the
   micrograd lecture's way) can run in ``backward()``, which runs the closure; every other pass needs
   the operation's formulas and raises ``UnknownOperationError``, naming it. A node with parents and
   no rule at all is refused by every pass.

Forward mode (``jvp``) pushes tangents the other way; it has no gradient for hooks to see and refuses
a graph with hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tinygrad_scalar.core import ieee, ops

if TYPE_CHECKING:
    from tinygrad_scalar.core.engine import Value

__all__ = [
    "ClosureRule",
    "GradientPass",
    "Step",
    "UnknownOperationError",
    "apply_hooks",
    "backward_pass",
    "chain_rule_step",
    "chain_rule_steps",
    "contributions",
    "gradient_pass",
    "joint_order",
    "op_of",
    "run_hooks",
    "seed_map",
    "topological_order",
]

G = TypeVar("G")
"""The arithmetic of a pass: ``float``, or ``Value`` for a pass that builds a graph."""
K = TypeVar("K", bound=Hashable)
"""What stands for a node: a ``Value``, or the slot of a traced program."""


# ---- the one walk ------------------------------------------------------------------------------------

_EMIT = object()  # on the walk's stack: "the node below is ready to be emitted"
_walking = threading.Lock()


def topological_order(root: Value, stop: Iterable[Value] = (), fresh: bool = False) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents, ``root`` last.

    The one graph walk of the package: ``backward()``, drawing, explaining and stepping all use it.
    It is iterative (a depth-first search with an explicit stack), so a chain of a million nodes
    works under Python's default recursion limit, and it visits each node once. The order is
    deterministic: parents are explored in argument order, so ``a * b`` gives ``[a, b, a*b]``.

    The walk stops at the nodes of ``stop`` (a segment's boundary, rule 5): they and what lies below
    them are left out. ``fresh=True`` is for ``backward()``: it sets the gradient of every node but the
    leaves to 0 as the walk meets it (rule 3).
    """
    return joint_order((root,), stop, fresh)


def joint_order(roots: Sequence[Value], stop: Iterable[Value] = (), fresh: bool = False) -> list[Value]:
    """The topological order of several outputs' graph: the first one's nodes, then what each next one
    adds (rule 1); the walk stops at the nodes of ``stop``, and with ``fresh`` sets every non-leaf
    gradient to 0."""
    # Speed: the walk is a quarter of a training step, so
    # * a visited node carries this walk's stamp in its ``_mark`` slot, which is quicker to test than
    #   membership of a set (and lets ``stop`` cost nothing: its nodes are stamped before the walk);
    #   walks take turns (the lock), so that two threads walking graphs that share nodes don't
    #   overwrite each other's stamps;
    # * a leaf is emitted as soon as it is reached; any other node goes back on the stack under the
    #   _EMIT marker, with its unvisited parents above, so it is emitted once they all are;
    # * the parents are read from their slots, not from ``_prev``, and nothing is allocated per node;
    # * ``fresh`` resets a gradient where the node is emitted, instead of in a second loop over the
    #   graph, which ran 4% of the demo step's bytecodes (counted with sys.settrace).
    stamp = object()
    order: list[Value] = []
    with _walking:
        for node in stop:
            node._mark = stamp
        for root in roots:
            stack: list[Any] = [root]  # Values, and _EMIT markers
            while stack:
                node = stack.pop()
                if node is _EMIT:
                    node = stack.pop()
                    order.append(node)  # all of its parents are in `order` now
                    if fresh:
                        node.grad = 0.0
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


# ---- recipes -----------------------------------------------------------------------------------------


class UnknownOperationError(TypeError):
    """A pass met a node whose operation is not in the table (a closure assigned to ``_backward``)."""


class ClosureRule:
    """The recipe of a node whose ``_backward`` was assigned a closure, as in the micrograd lecture: only
    ``backward()`` (which runs the closure) can use it (rule 7)."""

    __slots__ = ("closure",)

    def __init__(self, closure: Callable[[], None]) -> None:
        self.closure = closure

    def backward(self, node: Value, g: float) -> None:
        """Run the closure: it reads ``out.grad`` and adds into its parents itself."""
        self.closure()


def op_of(node: Value, consumer: str) -> tuple[ops.Op, tuple[Any, ...]]:
    """The recipe of ``node``: its row of the table and its parameters. Raises, naming the operation and
    ``consumer``, for a leaf and for a node whose rule is a closure that only ``backward()`` can run."""
    row = node._row
    if type(row) is ops.Op:
        return row, getattr(node, "_params", ())  # set only where the operation has parameters
    what = f"the operation {node._op!r}" if node._op else "an operation"
    label = f" (label {node.label!r})" if node.label else ""
    if row is None:
        raise UnknownOperationError(f"{consumer} met {what}{label} with no operation: a leaf has no recipe")
    raise UnknownOperationError(
        f"{consumer} cannot use {what}{label}: its backward rule is a closure assigned to _backward, "
        f"which only backward() and stepping by hand can run. Define the operation once with "
        f"tinygrad_scalar.defop(...) (forward, derivatives, formula), and it works everywhere."
    )


def _missing_rule(node: Value) -> None:
    what = f"the operation {node._op!r}" if node._op else "an operation"
    label = f" (label {node.label!r})" if node.label else ""
    raise UnknownOperationError(
        f"a backward pass met a value made by {what}{label} with parents but no backward rule. Assign its "
        f"local backward closure to out._backward (as in the micrograd lecture), or define the operation "
        f"with tinygrad_scalar.defop(...)."
    )


# ---- the pass in place: what Value.backward() runs --------------------------------------------------


def _float_gradient(replacement: object) -> float:
    return ieee.as_float(replacement, "the value a gradient hook returned")


def apply_hooks(hooks: Sequence[Callable[[Any], Any]], g: G, convert: Callable[[Any], G] = _float_gradient) -> G:  # type: ignore[assignment]  # the default is for floats
    """What a node's ``hooks`` make of its finished gradient ``g`` (rule 4): each in turn, in the order they
    were registered, sees the gradient so far, and a result that is not ``None`` replaces it, as
    ``convert`` makes it a gradient (a float, by default). Every pass runs hooks through here: ``backward()``,
    the map of a pass, the pass that builds a graph, and a traced program."""
    for hook in hooks:
        replacement = hook(g)
        if replacement is not None:
            g = convert(replacement)
    return g


def run_hooks(node: Value) -> None:
    """Give ``node``'s finished gradient to its hooks, in place; a hook may return a replacement (rule 4)."""
    if node._hooks:
        node.grad = apply_hooks(node._hooks, node.grad)


def chain_rule_step(node: Value) -> None:
    """One step of ``backward()``: the node's hooks see its gradient, then each parent's ``grad`` gets its
    contribution, ``local derivative x node.grad``."""
    if node._hooks is not None:
        run_hooks(node)
    row = node._row
    if row is not None:
        rule = row.backward
        rule(node, node.grad)
    elif node._a is not None:
        _missing_rule(node)


def chain_rule_steps(order: Sequence[Value]) -> None:
    """``for node in reversed(order): chain_rule_step(node)``, inlined.

    Speed: one call less per node; and the rule is read, then called (``rule = row.backward``), not called
    as ``row.backward(...)``, which CPython 3.11 looks up as a method on every node (that lookup cost 1.4%
    of the demo step's instructions, measured with callgrind).
    """
    for node in reversed(order):
        if node._hooks is not None:
            run_hooks(node)
        row = node._row
        if row is not None:
            rule = row.backward
            rule(node, node.grad)
        elif node._a is not None:
            _missing_rule(node)


# ---- the pass as a map: the same rules, in any arithmetic, with no grad field touched --------------------


def seed_map(outputs: Sequence[K], seeds: Sequence[G | None]) -> dict[K, G]:
    """Each seeded output and its seed, an output listed twice with the sum of its seeds (rule 2).

    The outputs are ``Value`` objects, or the slots of a traced program, which writes its seeds with this
    function too (its seeds are then the code that reads them)."""
    if len(outputs) != len(seeds):
        raise ValueError(f"one seed per output: {len(outputs)} outputs, {len(seeds)} seeds")
    upstream: dict[K, Any] = {}
    for output, seed in zip(outputs, seeds):
        if seed is not None:
            upstream[output] = upstream[output] + seed if output in upstream else seed
    return upstream


def backward_pass(
    outputs: Sequence[Value],
    seeds: Sequence[G | None],
    contributions: Callable[[Value, G], Sequence[G | None]],
    *,
    zero: G | None,
    convert: Callable[[Any], G],
    stop: Iterable[Value] = (),
    on_step: Callable[[Value, G, Sequence[G | None]], None] | None = None,
) -> dict[Value, G]:
    """The backward pass by the rules above, in any arithmetic, as a map node -> gradient.

    ``contributions(node, g)`` gives what ``node`` passes to each parent (``None`` where the table
    selects it away); ``zero`` is where a gradient starts (``0.0`` for floats, so that the sums are
    ``backward()``'s own; ``None`` to start at the first contribution); ``convert`` turns what a hook
    returns into a gradient. The pass stops at the nodes of ``stop`` (rule 5), which get gradients but
    take no step. ``on_step(node, g, contributions)`` sees each step as it is taken.
    """
    stop = tuple(stop)
    order = joint_order(outputs, stop)
    upstream = seed_map(outputs, seeds)
    if zero is not None:
        upstream = {node: zero + g for node, g in upstream.items()}  # type: ignore[operator]  # 0.0 + seed
    for node in reversed(order):
        if node not in upstream:
            continue  # no seeded output depends on it (rule 2)
        g = upstream[node]
        if node._hooks:
            g = upstream[node] = apply_hooks(node._hooks, g, convert)
        if node._a is None:
            continue
        if node._row is None:
            _missing_rule(node)
        passed = contributions(node, g)
        for parent, contribution in zip(node._prev, passed):
            if parent in upstream:
                if contribution is not None:
                    upstream[parent] = upstream[parent] + contribution  # type: ignore[operator]
            elif contribution is not None:
                upstream[parent] = contribution if zero is None else zero + contribution  # type: ignore[operator]
            elif zero is not None:
                upstream[parent] = zero  # reached, though nothing was added (rule 4: its hooks run)
        if on_step is not None:
            on_step(node, g, passed)
    return upstream


class _Shadow:
    """A stand-in for a node while a rule runs: the rule reads its ``data`` and recipe and adds into its
    parents' ``grad``, which are stand-ins too, so the real graph is never written."""

    __slots__ = ("data", "grad", "_a", "_b", "_more", "_params")

    def __init__(self, data: float) -> None:
        self.data = data
        self.grad = 0.0
        self._a: Any = None
        self._b: Any = None
        self._more: tuple[Any, ...] = ()
        self._params: tuple[Any, ...] = ()

    @property
    def _prev(self) -> tuple[Any, ...]:
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b, *self._more)


def contributions(node: Value, upstream: float | None = None) -> tuple[float, ...]:
    """What ``node``'s backward rule adds to each parent, in ``node._prev`` order.

    ``upstream`` is the gradient arriving at ``node`` (by default ``node.grad``, as in the last
    backward pass); ``contributions(node, 1.0)`` are the local derivatives. The rule runs on shadows of
    the node and its parents, so the graph's gradients are left untouched, and a parent used twice
    (``a * a``) gets one entry per use. A contribution the table selects away is 0.0. A leaf has
    none: ``()``.
    """
    return tuple(0.0 if c is None else c for c in _contributions(node, node.grad if upstream is None else upstream))


def _contributions(node: Value, g: float) -> list[float | None]:
    if node._a is None:
        return []
    row, params = op_of(node, "a backward pass that leaves the graph untouched (explanations, drawings, grad maps)")
    parents = node._prev
    shadows = [_Shadow(p.data) for p in parents]
    shadow = _Shadow(node.data)
    shadow._a = shadows[0]
    shadow._b = shadows[1] if len(shadows) > 1 else None
    shadow._more = tuple(shadows[2:])
    shadow._params = params
    row.backward(shadow, g)
    # A stand-in still at 0.0 received nothing, or a contribution of 0.0; adding 0.0 to a sum that starts
    # at 0.0 changes nothing either way (a sum of gradients is never -0.0), so it counts as a contribution.
    return [s.grad for s in shadows]


@dataclass(frozen=True)
class Step(Generic[G]):
    """One step of a backward pass: ``node``'s gradient (after its hooks) flows to its parents.

    ``contributions`` are what each parent received, in ``node._prev`` order; ``before`` and ``after``
    the parents' gradients around the step (a parent used twice appears twice).
    """

    node: Value
    upstream: G
    contributions: tuple[G, ...]
    before: tuple[G, ...]
    after: tuple[G, ...]


@dataclass(frozen=True)
class GradientPass:
    """A backward pass from ``outputs``, computed without touching any ``grad`` field (see
    :func:`gradient_pass`): ``grads`` maps every node that takes part to its gradient (in topological
    order, then the boundary's), ``steps`` lists the chain-rule steps in the order they are taken,
    ``order`` the nodes in topological order."""

    outputs: tuple[Value, ...]
    order: tuple[Value, ...]
    grads: dict[Value, float]
    steps: tuple[Step[float], ...]
    seeds: dict[Value, float]

    def before(self, k: int) -> dict[Value, float]:
        """The gradients as they stand before step ``k`` (0: only the seeds; ``len(steps)``: all of them)."""
        grads: dict[Value, float] = dict(self.seeds)
        for step in self.steps[:k]:
            if step.node._hooks:
                grads[step.node] = step.upstream
            for parent, after in zip(step.node._prev, step.after):
                grads[parent] = after
        return grads


def gradient_pass(
    outputs: Value | Sequence[Value], seeds: Sequence[float | None] | None = None, stop: Iterable[Value] = ()
) -> GradientPass:
    """The backward pass from ``outputs`` (one Value, or several) as a map, step by step, computed on
    shadows of the nodes: no ``grad`` field of the graph is read or written, so a view may look at a
    graph while a ``backward()`` runs on it. Each output's seed is 1.0 unless ``seeds`` says otherwise.

    The numbers are ``backward()``'s own, bit for bit, for a pass that starts with every gradient at 0.
    """
    roots = (outputs,) if not isinstance(outputs, Sequence) else tuple(outputs)
    given: Sequence[float | None] = [1.0] * len(roots) if seeds is None else seeds
    steps: list[Step[float]] = []
    grads: dict[Value, float] = {}

    def record(node: Value, g: float, passed: Sequence[float | None]) -> None:
        running[node] = g  # after its hooks
        parents = node._prev
        before, after = [], []
        for parent, c in zip(parents, passed):
            before.append(running.get(parent, 0.0))
            running[parent] = running.get(parent, 0.0) + (0.0 if c is None else c)
            after.append(running[parent])
        steps.append(Step(node, g, tuple(0.0 if c is None else c for c in passed), tuple(before), tuple(after)))

    numbers = [None if s is None else ieee.as_float(s, "a seed") for s in given]
    running: dict[Value, float] = {o: 0.0 + s for o, s in seed_map(roots, numbers).items()}
    first = dict(running)
    grads = backward_pass(
        roots,
        numbers,
        _contributions,
        zero=0.0,
        convert=_float_gradient,
        stop=stop,
        on_step=record,
    )
    order = tuple(joint_order(roots, stop))
    in_order = {node: grads[node] for node in order if node in grads}  # topological order, as a reader expects
    in_order.update((node, g) for node, g in grads.items() if node not in in_order)  # the boundary's
    return GradientPass(roots, order, in_order, tuple(steps), first)
