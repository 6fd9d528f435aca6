"""The classic broken backward passes, replayed beside the correct one, and "why is this gradient zero?".

Each replay runs, on the same graph, the correct backward pass and one broken version of it, as a
beginner writes it, and shows where they differ (the picture outlines the wrong gradients in red):

* ``NO_ORDER``: recursion without a topological order: each node passes its gradient on the first
  time it is reached, depth first, possibly before all its consumers have given theirs;
* ``ASSIGN``: ``parent.grad = ...`` instead of ``+=``: a value used twice keeps only its last contribution;
* ``TWICE``: ``backward()`` called twice without ``zero_grad``, as micrograd does it: every
  gradient, inner ones included, holds the sum of both passes (our engine resets inner nodes, as
  PyTorch does, but leaves still accumulate);
* ``NO_LOCAL``: the local derivative forgotten: each node passes its upstream gradient on unchanged.

The gradients are computed on the side: the graph's ``grad`` fields are never changed.

>>> from tinygrad_scalar import Value
>>> x = Value(3.0, label='x')
>>> u = x * x; u.label = 'u'
>>> L = (u + 1.0) * (u * 2.0); L.label = 'L'
>>> replay(L, NO_ORDER).wrong_names()
['x']
>>> z = Value(-2.0, label='z')
>>> h = z.relu(); h.label = 'h'
>>> print(why_zero(h * 3.0, z))
∂out/∂z = 0: every use of z passes back (practically) 0:
- relu(z): z = -2 is on ReLU's flat side (≤ 0), where its derivative is 0 (a dead ReLU: it passes no gradient back)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Constant, Value, contributions, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.language import N_, _, in_its_language, rjust, translated, using
from tinygrad_scalar.views.dot import Graph, draw_dot
from tinygrad_scalar.views.naming import graph_names, num, written

__all__ = [
    "ASSIGN",
    "BROKEN",
    "CANCEL",
    "FLAT_RELU",
    "NO_LOCAL",
    "NO_ORDER",
    "NO_PATH",
    "SATURATED",
    "TIMES_ZERO",
    "TWICE",
    "WRONG_COLOR",
    "Replay",
    "TrainingReplay",
    "Why",
    "forgotten_zero_grad",
    "replay",
    "why_zero",
]

WRONG_COLOR = "#dc2626"
"""The outline of a value whose gradient the broken pass gets wrong."""

NO_ORDER = N_("recursion without a topological order")
ASSIGN = N_("= instead of +=")
TWICE = N_("backward() twice without zero_grad")
NO_LOCAL = N_("a missing local derivative")

BROKEN: dict[str, str] = {
    NO_ORDER: N_(
        "each node passes its gradient on the first time the recursion reaches it, depth first, even if "
        "some of its consumers have not given theirs yet: their later contributions never travel further"
    ),
    ASSIGN: N_(
        "each contribution overwrites the parent's gradient (parent.grad = ...), so a value used more than "
        "once keeps only the last contribution instead of the sum"
    ),
    TWICE: N_(
        "a second backward() adds a second pass on top of the first (micrograd resets nothing): every "
        "gradient holds the sum of both passes, and inner nodes pass their doubled gradient on again"
    ),
    NO_LOCAL: N_(
        "each node passes its upstream gradient on unchanged (parent.grad += out.grad), as if every "
        "local derivative were 1"
    ),
}
"""What each broken pass does wrong, in a sentence (in English: ``translated`` writes it in the class's
language). The keys are the mistakes' names, which ``replay`` takes in English too."""


def _correct(order: Sequence[Value], root: Value) -> dict[Value, float]:
    return dict(fresh_gradients(root))


def _no_order(order: Sequence[Value], root: Value) -> dict[Value, float]:
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    visited: set[Value] = set()
    stack = [root]
    while stack:  # depth first, each node stepped when first reached, parents in argument order
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        for parent, c in zip(node._prev, contributions(node, grads[node])):
            grads[parent] += c
        stack.extend(reversed(node._prev))
    return grads


def _assign(order: Sequence[Value], root: Value) -> dict[Value, float]:
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    for node in reversed(order):
        for parent, c in zip(node._prev, contributions(node, grads[node])):
            grads[parent] = c
    return grads


def _accumulate(grads: dict[Value, float], order: Sequence[Value], local: bool) -> dict[Value, float]:
    for node in reversed(order):
        passed = contributions(node, grads[node]) if local else (grads[node],) * len(node._prev)
        for parent, c in zip(node._prev, passed):
            grads[parent] += c
    return grads


def _twice(order: Sequence[Value], root: Value) -> dict[Value, float]:
    grads = dict(fresh_gradients(root))
    grads[root] = 1.0  # micrograd's backward() sets the root's gradient to 1 and resets nothing else
    return _accumulate(grads, order, local=True)


def _no_local(order: Sequence[Value], root: Value) -> dict[Value, float]:
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    return _accumulate(grads, order, local=False)


_PASSES: dict[str, Callable[[Sequence[Value], Value], dict[Value, float]]] = {
    NO_ORDER: _no_order,
    ASSIGN: _assign,
    TWICE: _twice,
    NO_LOCAL: _no_local,
}


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


@dataclass(frozen=True)
class Replay:
    """The correct and one broken backward pass of the same graph, side by side."""

    mistake: str  # one of the keys of BROKEN
    root: Value
    correct: dict[Value, float]
    broken: dict[Value, float]
    names: dict[Value, str]
    lang: str = "en"  # the language of text()

    def wrong(self) -> list[Value]:
        """The values (constants left out) whose gradient the broken pass gets wrong, in topological order."""
        return [v for v in self.correct if not isinstance(v, Constant) and not _same(self.correct[v], self.broken[v])]

    def wrong_names(self) -> list[str]:
        """The names of ``wrong()``."""
        return [self.names[v] for v in self.wrong()]

    @in_its_language
    def text(self) -> str:
        """A table: each value's correct and broken gradient, the wrong ones marked, and why they differ."""
        what = _("%(mistake)s: %(what_goes_wrong)s.") % {
            "mistake": translated(self.mistake),
            "what_goes_wrong": translated(BROKEN[self.mistake]),
        }
        heads = [_("value"), _("correct"), _("broken")]
        width = max(10, *(len(h) for h in heads))
        lines = [what, " ".join([rjust(heads[0], 8), rjust(heads[1], width), rjust(heads[2], width)])]
        for v in reversed(list(self.correct)):
            if isinstance(v, Constant):
                continue
            mark = _indent(_("<- wrong")) if v in self.wrong() else ""
            row = [rjust(self.names[v], 8), rjust(num(self.correct[v]), width), rjust(num(self.broken[v]), width)]
            lines.append(" ".join(row) + mark)
        if not self.wrong():
            lines.append(_("On this graph the broken pass happens to give the right gradients."))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    @in_its_language
    def draw(self, rankdir: str = "LR") -> Graph:
        """The graph with the broken pass's gradients, the wrong ones outlined in ``WRONG_COLOR``."""
        meaning = _("outline: a gradient this broken pass (%(mistake)s) gets wrong") % {
            "mistake": translated(self.mistake)
        }
        return _draw_with(self.root, self.broken, self.wrong(), self.names, rankdir, meaning)

    @in_its_language
    def draw_correct(self, rankdir: str = "LR") -> Graph:
        """The graph with the correct gradients (the same values outlined), to put beside ``draw()``."""
        meaning = _("outline: a gradient the broken pass (%(mistake)s) gets wrong, shown here as it should be") % {
            "mistake": translated(self.mistake)
        }
        return _draw_with(self.root, self.correct, self.wrong(), self.names, rankdir, meaning)


def _draw_with(
    root: Value, grads: dict[Value, float], wrong: list[Value], names: dict[Value, str], rankdir: str, meaning: str
) -> Graph:
    """The graph with ``grads`` shown (the graph's own ``grad`` fields are not touched), ``wrong`` outlined
    in ``WRONG_COLOR``, which the legend explains with ``meaning``."""
    return draw_dot(
        root, rankdir=rankdir, fmt="%.4g", grads=grads, highlight=dict.fromkeys(wrong, WRONG_COLOR),
        outlines={WRONG_COLOR: meaning}, names=names,
    )  # fmt: skip


def replay(root: Value, mistake: str, lang: str | None = None) -> Replay:
    """The correct backward pass of ``root`` beside the broken one named by ``mistake`` (a key of
    ``BROKEN``), its text in ``lang`` (by default the locale's language); the graph's gradients are not
    changed."""
    if mistake not in _PASSES:
        raise ValueError(f"unknown mistake {mistake!r}; the broken passes are: {', '.join(map(repr, _PASSES))}")
    order = topological_order(root)
    with using(lang) as code:
        names = graph_names(root)
    return Replay(mistake, root, _correct(order, root), _PASSES[mistake](order, root), names, code)


def _indent(text: str) -> str:
    """Layout before a translated sentence (not words)."""
    return "  " + text


# ---- forgetting zero_grad in a training loop ---------------------------------------------------------


@dataclass(frozen=True)
class TrainingReplay:
    """The loss curve of the same small training run with and without ``zero_grad`` before each step."""

    with_zero_grad: tuple[float, ...]
    without_zero_grad: tuple[float, ...]


def forgotten_zero_grad(steps: int = 40, lr: float = 0.05) -> TrainingReplay:
    """Fit ``y = w·x + b`` to four points of ``y = 2x + 1`` by gradient descent on the mean squared
    error, twice from the same start: once resetting the gradients before each step, once forgetting
    to. Without ``zero_grad`` each step follows the sum of all past gradients, so the loss overshoots
    and oscillates instead of falling steadily."""
    points = [(-1.0, -1.0), (0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]
    curves = []
    for reset in (True, False):
        w, b = Value(0.0, label="w"), Value(0.0, label="b")
        losses = []
        for _step in range(steps):
            if reset:
                w.grad = b.grad = 0.0
            loss = sum(((w * x + b) - y) ** 2 for x, y in points) / len(points)
            assert isinstance(loss, Value)
            loss.backward()
            losses.append(loss.data)
            for p in (w, b):
                p.data -= lr * p.grad
        curves.append(tuple(losses))
    return TrainingReplay(curves[0], curves[1])


# ---- why is this gradient zero? ----------------------------------------------------------------------

FLAT_RELU = N_("a flat ReLU side")
SATURATED = N_("a saturated tanh or sigmoid")
TIMES_ZERO = N_("a multiplication by zero")
NO_PATH = N_("no path to the output")
CANCEL = N_("contributions that cancel")
FLAT = N_("a flat operation")

SMALL = 1e-6
"""A local derivative below this (in size) counts as zero when naming a cause: a saturated tanh's is 1e-9."""


@dataclass(frozen=True)
class Why:
    """The answer to "why is this gradient zero?": the causes found, and the explanation in words."""

    name: str
    grad: float
    causes: tuple[str, ...]
    lines: tuple[str, ...]

    def text(self) -> str:
        """The explanation, one reason per line."""
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return self.text()


def _local_cause(node: Value, slot: int, local: float, names: dict[Value, str]) -> tuple[str, str]:
    op, _params = op_of(node, "why_zero")
    parent = node._prev[slot]
    facts = {
        "use": written(node, names),
        "input": names[parent],
        "value": num(parent.data),
        "operation": op.name,
        "output": num(node.data),
        "local": num(local),
    }
    if op.name == "relu":
        return FLAT_RELU, _(
            "%(use)s: %(input)s = %(value)s is on ReLU's flat side (≤ 0), where its derivative is 0 (a dead ReLU: "
            "it passes no gradient back)"
        ) % facts
    if op.name in ("tanh", "sigmoid") and local == 0.0:
        return SATURATED, _(
            "%(use)s: %(input)s = %(value)s saturates %(operation)s (output %(output)s), whose derivative there is "
            "%(local)s"
        ) % facts
    if op.name in ("tanh", "sigmoid"):
        return SATURATED, _(
            "%(use)s: %(input)s = %(value)s saturates %(operation)s (output %(output)s), whose derivative there is "
            "%(local)s, practically 0"
        ) % facts
    if op.name == "mul" and len(node._prev) == 2:
        facts["other"] = names[node._prev[1 - slot]]
        return TIMES_ZERO, _("%(use)s: %(input)s is multiplied by %(other)s = 0, so its local derivative is 0") % facts
    return FLAT, _("%(use)s: the local derivative of %(operation)s with respect to %(input)s is %(local)s here") % facts


def why_zero(root: Value, value: Value | None = None, lang: str | None = None) -> Why:
    """Why ``value``'s gradient in a fresh backward pass of ``root`` is zero (or practically zero), naming
    each cause: a flat ReLU side, a saturated tanh or sigmoid, a multiplication by zero, no path to the
    output, or contributions that cancel. Without ``value``: ``root`` itself. Written in ``lang`` (by default
    the locale's language); the causes are named in English, as the constants above. The graph is not
    changed."""
    with using(lang):
        return _why_zero(root, root if value is None else value)


def _why_zero(root: Value, value: Value) -> Why:
    order = topological_order(root)
    names = graph_names(root)
    if value not in set(order):
        if value.label:
            line = _("%(name)s has no path to the output: the output does not use it at all") % {"name": value.label}
        else:
            line = _("this value has no path to the output: the output does not use it at all")
        return Why(value.label or "this value", 0.0, (NO_PATH,), (line,))
    if value is root:
        return Why(names[root], 1.0, (), (_("the output itself has gradient 1, not 0"),))
    grads = fresh_gradients(root)
    causes: list[str] = []
    lines: list[str] = []
    _explain_zero(value, order, grads, names, causes, lines, depth=0, seen=set())
    return Why(names[value], grads[value], tuple(dict.fromkeys(causes)), tuple(lines))


def _explain_zero(
    value: Value,
    order: Sequence[Value],
    grads: dict[Value, float],
    names: dict[Value, str],
    causes: list[str],
    lines: list[str],
    depth: int,
    seen: set[Value],
) -> None:
    indent = "  " * depth
    name, root = names[value], order[-1]
    grad = grads[value]
    gradient = f"∂{names[root]}/∂{name}"
    if abs(grad) > SMALL and depth == 0:
        lines.append(_("%(gradient)s = %(value)s is not zero") % {"gradient": gradient, "value": num(grad)})
        return
    seen.add(value)
    uses = [(node, slot) for node in reversed(order) for slot, p in enumerate(node._prev) if p is value]
    terms = [grads[node] * contributions(node, 1.0)[slot] for node, slot in uses]
    if any(abs(t) > SMALL for t in terms):
        causes.append(CANCEL)
        total = " + ".join(f"({num(t)})" if t < 0 else num(t) for t in terms)
        facts = {"gradient": gradient, "sum": total, "value": num(grad)}
        lines.append(indent + _("%(gradient)s = %(sum)s = %(value)s: the contributions of its uses cancel") % facts)
        return
    facts = {"gradient": gradient, "value": num(grad), "name": name}
    lines.append(indent + _("%(gradient)s = %(value)s: every use of %(name)s passes back (practically) 0:") % facts)
    for (node, slot), upstream in zip(uses, (grads[n] for n, _slot in uses)):
        local = contributions(node, 1.0)[slot]
        if abs(local) <= SMALL:
            cause, line = _local_cause(node, slot, local, names)
            causes.append(cause)
            lines.append(f"{indent}- {line}")
        elif node not in seen:
            facts = {"use": written(node, names), "gradient": f"∂{names[root]}/∂{names[node]}", "value": num(upstream)}
            lines.append(f"{indent}- " + _("%(use)s: its own gradient %(gradient)s is %(value)s, because") % facts)
            _explain_zero(node, order, grads, names, causes, lines, depth + 1, seen)
