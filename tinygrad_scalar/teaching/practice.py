"""Practice that checks itself: is a hand-computed gradient right, and if not, which mistake does it show?

A wrong gradient is rarely a random number. Each classic mistake of the backward pass gives a number
of its own, which we can compute from the graph; an answer that matches one of them names the mistake:

* **one path**: the product of local derivatives along one path, when the value reaches the output
  by several and its gradient is the sum over all of them;
* **upstream forgotten**: only the local derivative, not multiplied by the upstream gradient;
* **local derivative forgotten**: only the upstream gradient passed on;
* **sign error**: the right number with the wrong sign;
* **= instead of +=**: only the last contribution, as if ``parent.grad = ...`` had overwritten the
  earlier ones;
* **wrong function**: the derivative of the wrong function, such as ``tanh(x)`` taken for
  ``1 - tanh(x)^2``, or ``x^(k-1)`` for ``k·x^(k-1)``;
* **other input**: the local derivative with respect to the other input (``a`` for ``∂(a·b)/∂a``).

Every candidate is computed with the correct upstream gradients (those a learner has already been
shown), so each one is a single slip at this value. An answer within the tolerance of the right
gradient is right, even if it is also close to a mistake.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x')
>>> y = x * x; y.label = 'y'            # dy/dx = 2x = 4
>>> check_answer(y, x, 4.0).correct
True
>>> [m.kind for m in check_answer(y, x, 2.0).mistakes]   # 2 = x: several slips give it
['local derivative forgotten', '= instead of +=']
>>> a, b, c = Value(-2.0, label='a'), Value(5.0, label='b'), Value(-4.0, label='c')
>>> q = a + b; q.label = 'q'
>>> f = q * c; f.label = 'f'           # df/db = df/dq · 1 = -4
>>> print(check_answer(f, b, 4.0).hint)
sign error: 4 has the wrong sign: ∂f/∂b = (-4) · 1 = -4; the minus sign comes from the upstream gradient
∂f/∂q = -4 (the local derivative is 1, positive)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Constant, Value, contributions, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.language import N_, _, listing, translated, using
from tinygrad_scalar.teaching.explanations import all_paths
from tinygrad_scalar.teaching.formulas import local_formula
from tinygrad_scalar.views.naming import factor, graph_names, num, written

__all__ = [
    "ABS_TOLERANCE",
    "KINDS",
    "REL_TOLERANCE",
    "Mistake",
    "Verdict",
    "check_answer",
    "every_slip",
    "is_close",
    "likely_mistakes",
    "slips",
    "tolerance_text",
    "unrecognised_hint",
]

REL_TOLERANCE = 0.01
"""An answer within 1 % of the gradient is right: three significant figures are always enough, and the
tolerance shrinks with the gradient, so 0 is never right for 0.00987 (a vanishing gradient)."""
ABS_TOLERANCE = 1e-9
"""... or this close to it: only for gradients of (practically) 0, which must be answered 0."""

ONE_PATH = N_("one path instead of the sum of all paths")
NO_UPSTREAM = N_("upstream gradient forgotten")
NO_LOCAL = N_("local derivative forgotten")
SIGN = N_("sign error")
ASSIGN = N_("= instead of +=")
WRONG_FUNCTION = N_("derivative of the wrong function")
OTHER_INPUT = N_("local derivative of the other input")
KINDS = (ONE_PATH, NO_UPSTREAM, NO_LOCAL, SIGN, ASSIGN, WRONG_FUNCTION, OTHER_INPUT)
"""The mistakes recognised, in the order a hint prefers them when two give the same number. Their names are
English (programs compare them); ``translated(kind)`` is a name in the language in use, and the hints are
written in it."""


def is_close(answer: float, expected: float) -> bool:
    """Whether ``answer`` counts as ``expected``: within ``ABS_TOLERANCE`` or ``REL_TOLERANCE`` of it."""
    if math.isnan(expected) or math.isinf(expected):
        return answer == expected or (math.isnan(answer) and math.isnan(expected))
    return abs(answer - expected) <= max(ABS_TOLERANCE, REL_TOLERANCE * abs(expected))


def tolerance_text() -> str:
    """The tolerance in words, as the page and the grader show it."""
    return _(
        "An answer within %(percent)s %% of the gradient counts as right (three significant figures are enough)"
    ) % {"percent": num(REL_TOLERANCE * 100)}


@dataclass(frozen=True)
class Mistake:
    """One wrong number a classic mistake gives for a value's gradient, and the hint that names it."""

    kind: str  # one of KINDS
    value: float
    hint: str


@dataclass(frozen=True)
class Verdict:
    """What an answer for one gradient is: right, or wrong with the mistakes its number matches."""

    name: str  # the gradient asked for: '∂L/∂x'
    value_name: str  # the value's name: 'x'
    answer: float
    expected: float
    correct: bool
    mistakes: tuple[Mistake, ...]

    lang: str = "en"  # the language of the hint

    @property
    def hint(self) -> str:
        """One hint: the likeliest mistake, or what to check when the number matches none."""
        with using(self.lang):
            if self.correct:
                return _("right: %(asked)s = %(expected)s") % {"asked": self.name, "expected": num(self.expected)}
            if self.mistakes:
                return also_hint(self.mistakes)
            return unrecognised(self.answer, self.name, self.value_name)


def also_hint(matching: Sequence[Mistake]) -> str:
    """The first mistake's hint, and the other mistakes that give the same number, by name."""
    also = list(dict.fromkeys(translated(m.kind) for m in matching[1:] if m.kind != matching[0].kind))
    if not also:
        return matching[0].hint
    return _("%(hint)s (the same number also comes from: %(others)s)") % {
        "hint": matching[0].hint,
        "others": "; ".join(also),
    }


def unrecognised_hint(name: str) -> str:
    """The advice for a wrong number that no mistake explains."""
    return _(
        "not a mistake I recognise: for each use of %(name)s, multiply the upstream gradient by the local "
        "derivative, then add the uses up"
    ) % {"name": name}


def unrecognised(answer: float, asked: str, name: str) -> str:
    """What a wrong number that no mistake explains is told: that it is not the gradient ``asked``, and the
    advice."""
    return _(
        "%(answer)s is not %(asked)s, and not a mistake I recognise: for each use of %(name)s, multiply the "
        "upstream gradient by the local derivative, then add the uses up"
    ) % {"answer": num(answer), "asked": asked, "name": name}


def _confusions(node: Value, slot: int, names: dict[Value, str]) -> list[tuple[float, str]]:
    """The local derivatives a learner may take by mistake for d(node)/d(its parent at ``slot``)."""
    op, params = op_of(node, "practice")
    if op.arity != 1:
        return []
    x, out = node._prev[0].data, node.data
    facts = {"function": written(node, names), "x": names[node._prev[0]]}
    # each: the number, and the hint's sentence (its %(number)s and %(use)s filled where the slip is found)
    found: list[tuple[float, str]] = [
        (out, _("%(number)s takes %(function)s itself for the derivative of %(use)s") % _keep(facts))
    ]
    if op.name == "tanh":
        sentence = _("%(number)s takes 1 - %(function)s (the square forgotten) for the derivative of %(use)s")
        found.append((1.0 - out, sentence % _keep(facts)))
    if op.name == "sigmoid":
        sentence = _("%(number)s takes 1 - %(function)s (one factor forgotten) for the derivative of %(use)s")
        found.append((1.0 - out, sentence % _keep(facts)))
    if op.name == "power":
        (k,) = params
        sentence = _("%(number)s takes %(x)s^%(exponent)s (the factor %(k)s forgotten) for the derivative of %(use)s")
        found.append((_safe_pow(x, k - 1.0), sentence % _keep(facts | {"exponent": num(k - 1.0), "k": num(k)})))
    if op.name == "log":
        sentence = _("%(number)s takes %(x)s instead of 1/%(x)s for the derivative of %(use)s")
        found.append((x, sentence % _keep(facts)))
    return found


def _keep(facts: dict[str, str]) -> dict[str, str]:
    """``facts``, and the placeholders filled later (``%(number)s``, ``%(use)s``) kept as they are."""
    return facts | {"number": "%(number)s", "use": "%(use)s"}


def _safe_pow(x: float, k: float) -> float:
    try:
        return float(x**k) if not (x == 0.0 and k < 0.0) else math.inf
    except (OverflowError, ZeroDivisionError):
        return math.inf


def _uses(order: list[Value], value: Value) -> list[tuple[Value, int]]:
    """The operations that use ``value``, in the order the backward pass meets them (reversed topological
    order): that is the order of the contributions."""
    return [(node, slot) for node in reversed(order) for slot, p in enumerate(node._prev) if p is value]


def slips(root: Value, value: Value, upstream: Mapping[Value, float] | None = None) -> list[Mistake]:
    """Every number a classic slip gives for ``root``'s gradient with respect to ``value`` (see the module
    docstring), including any that happens to equal the right one. A slip that is no slip is left out: the
    local derivative forgotten where every local derivative is 1 (a sum, ReLU on its linear side), the
    upstream gradient forgotten where every upstream gradient is 1, the other input's derivative where
    it is the same (a sum).

    ``upstream`` gives the gradients of the operations that use ``value`` (by default the right ones): with
    a student's own earlier answers, the slips are those made at this value on top of them. The graph is
    not changed."""
    return _slips(_Graph.of(root), value, upstream)


def every_slip(root: Value) -> Iterator[tuple[Value, list[Mistake]]]:
    """``(v, slips(root, v))`` for every value ``v`` of the graph but the output and the constants, from the
    output back, computed as they are asked for (the graph is walked once)."""
    graph = _Graph.of(root)
    for v in reversed(graph.order):
        if v is not root and not isinstance(v, Constant):
            yield v, _slips(graph, v)


@dataclass(frozen=True)
class _Graph:
    """What every slip of one graph needs: its order, names and right gradients."""

    root: Value
    order: list[Value]
    members: frozenset[Value]
    names: dict[Value, str]
    grads: dict[Value, float]

    @staticmethod
    def of(root: Value) -> _Graph:
        order = topological_order(root)
        return _Graph(root, order, frozenset(order), graph_names(root), dict(fresh_gradients(root)))


def _slips(graph: _Graph, value: Value, upstream: Mapping[Value, float] | None = None) -> list[Mistake]:
    root, order, names = graph.root, graph.order, graph.names
    if value not in graph.members:
        raise ValueError("the value is not part of the output's graph: it has no gradient to check")
    if value is root:
        return []
    grads = graph.grads if upstream is None else {**graph.grads, **upstream}
    name = names[value]
    uses = _uses(order, value)
    upstreams = [grads[node] for node, _unused in uses]
    locals_ = [contributions(node, 1.0)[slot] for node, slot in uses]
    terms = [u * loc for u, loc in zip(upstreams, locals_)]
    right = math.fsum(terms)
    found: list[Mistake] = []

    def add(kind: str, number: float, hint: str) -> None:
        if not any(m.kind == kind and m.value == number for m in found):
            found.append(Mistake(kind, number, _("%(kind)s: %(hint)s") % {"kind": translated(kind), "hint": hint}))

    where = [f"{written(node, names)}" for node, _unused in uses]
    if len(uses) > 1:
        try:
            paths = all_paths(root, value, order, names) if upstream is None else []
        except ValueError:  # more than explain_grad's MAX_PATHS paths: no one-path hints for this value
            paths = []
        for path in paths:
            route = " ← ".join(names[n] for n in path.nodes)
            facts: dict[str, object] = {
                "number": num(path.product),
                "route": route,
                "name": name,
                "output": names[root],
            }
            sentence = _(
                "%(number)s follows only the path %(route)s; %(name)s reaches %(output)s by %(count)d paths, and its "
                "gradient is the sum over all of them"
            )
            add(ONE_PATH, path.product, sentence % (facts | {"count": len(paths)}))
    upstream_text = listing([f"∂{names[root]}/∂{names[n]} = {num(u)}" for (n, _slot), u in zip(uses, upstreams)])
    if any(u != 1.0 for u in upstreams):
        total_local = math.fsum(locals_)
        sentence = _("%(number)s is the local derivative alone; multiply it by the upstream gradient (%(upstream)s)")
        add(NO_UPSTREAM, total_local, sentence % {"number": num(total_local), "upstream": upstream_text})
    if any(loc != 1.0 for loc in locals_):
        total_upstream = math.fsum(upstreams)
        sentence = _(
            "%(number)s is the upstream gradient passed on unchanged; multiply it by the local derivative of "
            "%(uses)s with respect to %(name)s"
        )
        add(NO_LOCAL, total_upstream, sentence % {"number": num(total_upstream), "uses": _and(where), "name": name})
    add(SIGN, -right, _sign_hint(root, value, uses, upstreams, locals_, names))
    if len(uses) > 1:
        sentence = _(
            "%(number)s is only the last contribution %(name)s received (from %(last)s); %(name)s is used %(count)d "
            "times, so its gradient is the sum %(sum)s = %(right)s: add each contribution with +=, do not overwrite"
        )
        last = {"number": num(terms[-1]), "name": name, "last": where[-1], "count": len(uses), "right": num(right)}
        add(ASSIGN, terms[-1], sentence % (last | {"sum": " + ".join(factor(t) for t in terms)}))
    for i, (node, slot) in enumerate(uses):
        for wrong_local, sentence in _confusions(node, slot, names):
            number = math.fsum([*terms[:i], upstreams[i] * wrong_local, *terms[i + 1 :]])
            add(WRONG_FUNCTION, number, sentence % {"number": num(number), "use": where[i]})
        other_input = node._prev[1 - slot] if len(node._prev) == 2 else value
        same_rule = len(node._prev) == 2 and local_formula(node, 0, names, False) == local_formula(
            node, 1, names, False
        )  # a sum: both inputs have the local derivative 1, so taking the other one is no slip
        if other_input is not value and not isinstance(other_input, Constant) and not same_rule:
            other = contributions(node, 1.0)[1 - slot]
            number = math.fsum([*terms[:i], upstreams[i] * other, *terms[i + 1 :]])
            sentence = _(
                "%(number)s uses %(other)s, the derivative with respect to the other input, instead of %(own)s"
            )
            facts = {"other": f"∂({where[i]})/∂{names[other_input]}", "own": f"∂({where[i]})/∂{name}"}
            add(OTHER_INPUT, number, sentence % (facts | {"number": num(number)}))
    found.sort(key=lambda m: KINDS.index(m.kind))
    return found


def _sign_hint(
    root: Value,
    value: Value,
    uses: list[tuple[Value, int]],
    upstreams: list[float],
    locals_: list[float],
    names: dict[Value, str],
) -> str:
    """The sign error's hint, naming where the sign of the right answer comes from."""
    r, name = names[root], names[value]
    right = math.fsum(u * loc for u, loc in zip(upstreams, locals_))
    if len(uses) > 1:
        terms = " + ".join(f"{factor(u)}·{factor(loc)}" for u, loc in zip(upstreams, locals_))
        sentence = _(
            "%(answer)s has the wrong sign: %(gradient)s sums its %(count)d uses, %(sum)s = %(right)s; check the sign "
            "of each term"
        )
        facts = {"answer": num(-right), "gradient": f"∂{r}/∂{name}", "count": len(uses), "sum": terms}
        return sentence % (facts | {"right": num(right)})
    (node, _slot), u, loc = uses[0], upstreams[0], locals_[0]
    facts = {
        "answer": num(-right),
        "product": f"∂{r}/∂{names[value]} = {factor(u)} · {factor(loc)} = {num(right)}",
        "upstream": f"∂{r}/∂{names[node]} = {num(u)}",
        "local": f"∂({written(node, names)})/∂{name} = {num(loc)}",
        "upstream_value": num(u),
        "local_value": num(loc),
    }
    if u < 0 < loc:
        sentence = _(
            "%(answer)s has the wrong sign: %(product)s; the minus sign comes from the upstream gradient %(upstream)s "
            "(the local derivative is %(local_value)s, positive)"
        )
    elif loc < 0 < u:
        sentence = _(
            "%(answer)s has the wrong sign: %(product)s; the minus sign comes from the local derivative %(local)s (the "
            "upstream gradient is %(upstream_value)s, positive)"
        )
    elif u < 0 and loc < 0:
        sentence = _(
            "%(answer)s has the wrong sign: %(product)s; both the upstream gradient %(upstream)s and the local "
            "derivative %(local)s are negative, and minus times minus is plus"
        )
    else:
        sentence = _(
            "%(answer)s has the wrong sign: %(product)s; both factors are positive: the upstream gradient "
            "%(upstream)s and the local derivative %(local)s"
        )
    return sentence % facts


def likely_mistakes(root: Value, value: Value, upstream: Mapping[Value, float] | None = None) -> list[Mistake]:
    """The wrong numbers the classic mistakes give for ``root``'s gradient with respect to ``value``
    (see the module docstring and ``slips``), none of them equal to the right one; the graph is not changed."""
    found = slips(root, value, upstream)
    if not found:
        return []
    right = -next(m.value for m in found if m.kind == SIGN)
    return [m for m in found if not is_close(m.value, right)]


def check_answer(root: Value, value: Value, answer: float, lang: str | None = None) -> Verdict:
    """Whether ``answer`` is ``root``'s gradient with respect to ``value`` (see ``is_close``), and if
    not, the mistakes its number matches (likeliest first), with hints in ``lang`` (by default the locale's
    language). The graph is not changed."""
    with using(lang) as code:
        mistakes = likely_mistakes(root, value)  # raises for a value outside the graph
        names = graph_names(root)
    right = fresh_gradients(root)[value]
    asked = f"∂{names[root]}/∂{names[value]}"
    if is_close(answer, right):
        return Verdict(asked, names[value], answer, right, True, (), code)
    matching = tuple(m for m in mistakes if is_close(answer, m.value))
    return Verdict(asked, names[value], answer, right, False, matching, code)


def _and(items: Sequence[str]) -> str:
    """``a and b and c`` in the language in use."""
    out = items[0]
    for item in items[1:]:
        out = _("%(these)s and %(that)s") % {"these": out, "that": item}
    return out
