"""The backward pass explained: one node at a time, with the chain rule written out as a textbook does.

>>> from tinygrad_scalar import Value
>>> x, w, b = Value(2.0, label='x'), Value(3.0, label='w'), Value(1.0, label='b')
>>> y = w * x + b; y.label = 'y'
>>> L = y ** 2; L.label = 'L'
>>> print(explain_grad(L, w))
∂L/∂w = ∂(y^2)/∂y · ∂(u1 + b)/∂u1 · ∂(w·x)/∂w = (2·y) · 1 · x = 14 · 1 · 2 = 28
  where u1 = w·x

* ``backward_steps(root)`` describes the backward pass one node at a time;
* ``explain_grad(root, x)`` lists every path from ``root`` to ``x`` and the product of local
  derivatives along it; their sum is ``x``'s gradient (the sum rule, made concrete);
* ``worked_solution(root)`` writes the whole pass as a hand derivation, for a handout.

The HTML stepper is in :mod:`tinygrad_scalar.teaching.stepper`, gradient checking and the cost argument in
:mod:`tinygrad_scalar.debugging.gradcheck`.

Every explanation has a plain-text form (``str``), Markdown and LaTeX (``.markdown()``,
``.latex()``), and shows itself in Jupyter. Each explains a *fresh* backward pass from the root (every
gradient starting at 0, the root's at 1), whatever the graph's gradients held before, and leaves every
``grad`` as it was. The names come from :mod:`tinygrad_scalar.views.naming`, the rule of each step and the
formula of each local derivative from the table of derivatives (:mod:`tinygrad_scalar.core.ops`). A local
derivative is written with the operation that made the value, never with the value's own name:
``∂L/∂y = ∂L/∂L · ∂(y^2)/∂y = 1 · 2·y = 1 · 14 = 14``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from tinygrad_scalar.core.engine import (
    Constant,
    Number,
    Value,
    _number,
    contributions,
    fresh_gradients,
    topological_order,
)
from tinygrad_scalar.core.graph import gradient_pass
from tinygrad_scalar.core.language import _, in_its_language, using
from tinygrad_scalar.teaching.formulas import (
    d_latex,
    d_latex_written,
    d_text,
    is_number,
    latex_factor,
    latex_number,
    local_derivatives,
    local_formula,
    rule_name,
    rule_text,
)
from tinygrad_scalar.teaching.latex import latex_sentence
from tinygrad_scalar.teaching.solutions import Derivation, worked_solution
from tinygrad_scalar.views.naming import (
    definition,
    factor,
    graph_names,
    is_generated,
    latex_name,
    latex_wrap,
    num,
    wrap,
    written,
)

__all__ = [
    "MAX_PATHS",
    "BackwardPass",
    "Derivation",
    "GradExplanation",
    "ParentUpdate",
    "Path",
    "Step",
    "all_paths",
    "backward_steps",
    "explain_grad",
    "node_names",
    "num",
    "rule_name",
    "rule_text",
    "worked_solution",
]

node_names = graph_names  # the name earlier versions exported


# ---- the pieces of a chain-rule line, in text and LaTeX ------------------------------------------------


def _formulas(node: Value, names: dict[Value, str], latex: bool) -> list[str]:
    """The formula of d(node)/d(parent) for each parent, written with the parents' names."""
    return [local_formula(node, i, names, latex) for i in range(len(node._prev))]


def _stages(symbols: str, upstream: float, formula: str, local: float, result: float, latex: bool = False) -> list[str]:
    """The stages of one chain-rule product: symbols = upstream · formula = numbers = result (text or LaTeX)."""
    dot, fac, wrapped, number = (
        (r" \cdot ", latex_factor, latex_wrap, latex_number) if latex else (" · ", factor, wrap, num)
    )
    stages = [symbols]
    if formula and formula != "?" and not is_number(formula):
        stages.append(f"{fac(upstream)}{dot}{wrapped(formula)}")
    stages.append(f"{fac(upstream)}{dot}{fac(local)}")
    stages.append(number(result))
    return stages


def _sum_stages(symbols: str, upstream: float, formula: str, u: ParentUpdate, latex: bool = False) -> list[str]:
    """The stages of the chain rule for a value that fills several inputs: symbols = upstream · (the sum of the
    local derivatives' formulas) = upstream · (their numbers) = the contributions added, as the engine adds
    them (left out where the upstream gradient is 1: the same numbers), = the result when it is the first."""
    dot, fac, number = (r" \cdot ", latex_factor, latex_number) if latex else (" · ", factor, num)
    bracket = _lbracketed if latex else _bracketed
    locals_ = _added([local for local, _c in u.terms], latex)
    added = _added([c for _local, c in u.terms], latex)
    stages = [symbols]
    if formula != "?":
        stages.append(f"{fac(upstream)}{dot}{bracket(formula)}")
    stages.append(f"{fac(upstream)}{dot}{bracket(locals_)}")
    if added != locals_:
        stages.append(added)
    if u.first:
        stages.append(number(u.after))
    return stages


def _added(numbers: list[float], latex: bool) -> str:
    """Numbers added: ``3 + 3``, ``-6 + (-6)`` (a negative number after the first in brackets)."""
    first, fac = (latex_number, latex_factor) if latex else (num, factor)
    return " + ".join([first(numbers[0]), *(fac(x) for x in numbers[1:])])


def _lbracketed(formula: str) -> str:
    return rf"\left({formula}\right)"


def _bracketed(formula: str) -> str:
    return f"({formula})"


def _indent(line: str, by: str = "  ") -> str:
    """A line of text indented (layout, not words: a sentence is translated whole before it is indented)."""
    return by + line


class _Displayed:
    """Plain text by ``str``, Markdown and LaTeX by methods; Jupyter shows the Markdown. ``lang`` is the language
    it is written in, whenever it is printed."""

    lang: str = "en"

    def text(self) -> str:
        raise NotImplementedError

    def markdown(self) -> str:
        raise NotImplementedError

    def latex(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_latex_(self) -> str:
        return "$\\displaystyle " + self.latex() + "$"


# ---- one step of the backward pass ---------------------------------------------------------------


@dataclass(frozen=True)
class ParentUpdate:
    """What one step does to one parent: one entry per use in ``Step.parents`` (``a * a`` has two), one per value
    in ``Step.shown()``, where a value that fills several inputs has the sum of their local derivatives and
    ``terms``, each input's (local derivative, contribution), in the order the engine adds them."""

    parent: Value
    name: str
    local: float  # d(node)/d(parent)
    formula: str  # the local derivative as a formula in the names, e.g. 'x' for d(w·x)/dw
    latex_formula: str
    contribution: float  # local derivative x upstream gradient, as the rule computed it
    before: float  # the parent's gradient before this contribution
    after: float  # ... and after it
    first: bool = True  # the first contribution this parent receives in the pass
    terms: tuple[tuple[float, float], ...] = ()  # for a value in several inputs: each input's (local, contribution)


@dataclass(frozen=True)
class Step(_Displayed):
    """One node's chain-rule step: its upstream gradient, and what it adds to each parent."""

    index: int  # 1 for the first step after the seed
    node: Value
    name: str
    root_name: str
    rule: str
    upstream: float  # dL/d(node)
    parents: tuple[ParentUpdate, ...]
    expression: str = ""  # how the node was made, in its parents' names: 'tanh(n)'
    latex_expression: str = ""
    defines: tuple[str, ...] = ()  # definitions of generated names this step is the first to use
    latex_defines: tuple[str, ...] = ()
    lang: str = "en"  # the language the step is written in (its rule stays in English: translated when shown)
    values: tuple[ParentUpdate, ...] = ()  # one update per value among the parents (see ParentUpdate)

    def shown(self) -> list[ParentUpdate]:
        """The updates explanations show: one per value among the parents, constants left out; a value that fills
        several inputs (``x·x``) is one update, with the sum of their local derivatives."""
        return [u for u in (self.values or self.parents) if not isinstance(u.parent, Constant)]

    @in_its_language
    def lines(self) -> list[str]:
        """The chain rule for each parent: the symbols, the formula, the numbers, the result."""
        return self._chain_lines(latex=False)

    def _chain_lines(self, latex: bool) -> list[str]:
        """Each shown parent's chain-rule line, in text or in LaTeX (the same stages, the same order)."""
        out = []
        for u in self.shown():
            if latex:
                target, upstream = d_latex(self.root_name, u.name), d_latex(self.root_name, self.name)
                symbols = rf"{upstream} \cdot {d_latex_written(self.latex_expression, u.name)}"
                formula, sign, dot = u.latex_formula, (r"=" if u.first else r"\mathrel{+}="), r" \quad "
                added = latex_factor(u.contribution)
            else:
                target, upstream = d_text(self.root_name, u.name), d_text(self.root_name, self.name)
                symbols = f"{upstream} · ∂{wrap(self.expression)}/∂{wrap(u.name)}"
                formula, sign, dot, added = u.formula, ("=" if u.first else "+="), "  ", factor(u.contribution)
            if u.terms:  # a value in several inputs: its contributions, as the engine adds them
                stages = _sum_stages(symbols, self.upstream, formula, u, latex=latex)
                added = " + ".join((latex_factor if latex else factor)(c) for _local, c in u.terms)
            else:
                stages = _stages(symbols, self.upstream, formula, u.local, u.contribution, latex=latex)
            line = f"{target} {sign} " + " = ".join(stages)
            if not u.first and latex:
                line += rf"{dot}({latex_number(u.before)} + {added} = {latex_number(u.after)})"
            elif not u.first:
                now = _("(now %(before)s + %(added)s = %(after)s)")
                line += dot + now % {"before": num(u.before), "added": added, "after": num(u.after)}
            out.append(line)
        return out

    def _several(self, how: str) -> list[str]:
        """For each value that fills several inputs, the sentence saying that its derivative is the sum of their
        local derivatives, in ``how`` (``'text'``, ``'markdown'`` or ``'latex'``)."""
        sentence = _(
            "%(name)s fills %(count)s inputs of %(operation)s: %(derivative)s is the sum of their local derivatives"
        )
        out = []
        for u in (u for u in self.shown() if u.terms):
            count = str(len(u.terms))
            if how == "text":
                derivative = f"∂{wrap(self.expression)}/∂{wrap(u.name)}"
                facts = {"name": u.name, "count": count, "operation": self.expression, "derivative": derivative}
                out.append(sentence % facts)
                continue
            maths = {
                "name": latex_name(u.name),
                "count": count,
                "operation": self.latex_expression,
                "derivative": d_latex_written(self.latex_expression, u.name),
            }
            if how == "latex":
                out.append(latex_sentence(sentence, **maths))
            else:
                out.append(sentence % {k: (v if k == "count" else f"${v}$") for k, v in maths.items()})
        return out

    @in_its_language
    def text(self) -> str:
        head = _("step %(index)d: %(name)s = %(expression)s  (%(rule)s), upstream %(upstream)s = %(value)s") % {
            "index": self.index,
            "name": self.name,
            "expression": self.expression,
            "rule": rule_text(self.rule),
            "upstream": d_text(self.root_name, self.name),
            "value": num(self.upstream),
        }
        where = [_indent(_("where %(definition)s") % {"definition": d}) for d in self.defines]
        several = [_indent(line) for line in self._several("text")]
        return "\n".join([head, *(_indent(line) for line in self.lines()), *several, *where])

    @in_its_language
    def latex_lines(self) -> list[str]:
        """The chain-rule lines in LaTeX."""
        return self._chain_lines(latex=True)

    @in_its_language
    def markdown(self) -> str:
        head = _("**Step %(index)d**: %(made)s (%(rule)s), upstream %(upstream)s") % {
            "index": self.index,
            "made": f"${latex_name(self.name)} = {self.latex_expression}$",
            "rule": rule_text(self.rule),
            "upstream": f"${d_latex(self.root_name, self.name)} = {latex_number(self.upstream)}$",
        }
        where = [_indent(_("where %(definition)s") % {"definition": f"${d}$"}, "- ") for d in self.latex_defines]
        several = [f"- {line}" for line in self._several("markdown")]
        return "\n".join([head, "", *(f"- ${line}$" for line in self.latex_lines()), *several, *where])

    @in_its_language
    def latex(self) -> str:
        where = [latex_sentence(_("where %(definition)s"), definition=d) for d in self.latex_defines]
        return " \\\\ ".join([*self.latex_lines(), *self._several("latex"), *where])


class BackwardPass(_Displayed):
    """A fresh backward pass of ``root``, one ``Step`` per node that passes a gradient on.

    The pass is computed when the object is made, from a clean start (every gradient 0, the root's
    ``gradient``), whatever the graph held; the graph's ``grad`` fields are then restored, so making or
    printing a pass changes nothing. Iterate over it for the steps; ``str``, ``.markdown()`` and
    ``.latex()`` write them all.
    """

    def __init__(self, root: Value, gradient: Number = 1.0, lang: str | None = None) -> None:
        self.root = root
        with using(lang) as self.lang:
            self.order = topological_order(root)
            self.names = graph_names(root)  # a constant's name is its number, written the class's way
            seed = _number(gradient, "backward_steps(gradient)")
            self.steps = _fresh_steps(root, self.order, self.names, seed, self.lang)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @in_its_language
    def text(self) -> str:
        root = self.names[self.root]
        seed = _("%(seed)s = 1: the seed, where the backward pass starts") % {"seed": d_text(root, root)}
        return "\n".join([seed, *(step.text() for step in self.steps)])

    def markdown(self) -> str:
        return "\n\n".join(step.markdown() for step in self.steps)

    def latex(self) -> str:
        return " \\\\ ".join(step.latex() for step in self.steps)


def _fresh_steps(root: Value, order: list[Value], names: dict[Value, str], seed: float, lang: str) -> list[Step]:
    """The steps of a fresh backward pass from ``root``, read from its gradient map: the graph's own
    ``grad`` fields are neither read nor written."""
    steps: list[Step] = []
    defined: set[Value] = set()
    touched: set[Value] = set()  # the values that have received a contribution
    if is_generated(root, names):
        defined.add(root)  # the root's name is introduced by the first step's head
    for step in gradient_pass(root, [seed]).steps:
        node = step.node
        locals_ = contributions(node, 1.0)
        updates = []
        for i, parent in enumerate(node._prev):
            first = parent not in touched
            touched.add(parent)
            text, latex = local_formula(node, i, names, False), local_formula(node, i, names, True)
            updates.append(
                ParentUpdate(
                    parent, names[parent], locals_[i], text, latex, step.contributions[i], step.before[i],
                    step.after[i], first,
                )
            )  # fmt: skip
        values = []
        for d in local_derivatives(node, names):
            uses = [updates[i] for i in d.slots]
            terms = tuple((u.local, u.contribution) for u in uses) if len(uses) > 1 else ()
            added = 0.0
            for u in uses:
                added += u.contribution
            values.append(
                ParentUpdate(
                    d.parent, names[d.parent], d.value, d.text, d.latex, added, uses[0].before, uses[-1].after,
                    uses[0].first, terms,
                )
            )  # fmt: skip
        new = [p for p in node._prev if is_generated(p, names) and p not in defined]
        defined.update(new)
        defined.add(node)
        steps.append(
            Step(
                len(steps) + 1,
                node,
                names[node],
                names[root],
                rule_name(node),
                step.upstream,
                tuple(updates),
                written(node, names),
                written(node, names, latex=True),
                tuple(definition(p, names) for p in dict.fromkeys(new)),
                tuple(definition(p, names, latex=True) for p in dict.fromkeys(new)),
                lang,
                tuple(values),
            )
        )
    return steps


def backward_steps(root: Value, gradient: Number = 1.0, lang: str | None = None) -> BackwardPass:
    """``root``'s backward pass, one node at a time: iterate for the ``Step`` objects (see ``BackwardPass``),
    written in ``lang`` (``'de'``, ``'fr'``, ``'es'``, ``'zh_Hans'``; by default the locale's, see
    :mod:`tinygrad_scalar.core.language`).

    >>> from tinygrad_scalar import Value
    >>> a = Value(3.0, label='a'); b = (a * a); b.label = 'b'
    >>> for step in backward_steps(b):
    ...     print(step)
    step 1: b = a·a  (product rule), upstream ∂b/∂b = 1
      ∂b/∂a = ∂b/∂b · ∂(a·a)/∂a = 1 · (a + a) = 1 · (3 + 3) = 6
      a fills 2 inputs of a·a: ∂(a·a)/∂a is the sum of their local derivatives
    >>> a.grad   # explaining a pass changes no gradient
    0.0
    >>> print(backward_steps(b, lang='de').steps[0].text().splitlines()[0])
    Schritt 1: b = a·a  (Produktregel), Upstream-Gradient ∂b/∂b = 1
    """
    return BackwardPass(root, gradient, lang)


# ---- every path from the root to one input --------------------------------------------------------


def all_paths(root: Value, x: Value, order: list[Value], names: dict[Value, str]) -> list[Path]:
    """Every path from ``root`` down to ``x`` (``order``: the graph's topological order), depth first,
    parents in argument order; more than ``MAX_PATHS`` is refused with ``ValueError``. A value that fills several
    inputs of one operation is one edge, whose local derivative is the sum of theirs (``x·x``: ``x + x``)."""
    reaches = {x}  # the nodes from which x can be reached
    for node in order:
        if any(p in reaches for p in node._prev):
            reaches.add(node)
    paths: list[Path] = []
    # depth-first over (node, path so far), with an explicit stack
    stack: list[tuple[Value, tuple[Value, ...], tuple[float, ...], tuple[tuple[int, ...], ...]]] = [
        (root, (root,), (), ())
    ]
    while stack:
        node, nodes, locals_, slots = stack.pop()
        if node is x:
            paths.append(Path(nodes, locals_, slots))
            if len(paths) > MAX_PATHS:
                raise ValueError(
                    f"{names[x]} reaches {names[root]} by more than {MAX_PATHS} paths; "
                    f"explain a smaller graph, or use backward() for the gradient"
                )
            continue
        for d in reversed(local_derivatives(node, names)):
            if d.parent in reaches:
                stack.append((d.parent, (*nodes, d.parent), (*locals_, d.value), (*slots, d.slots)))
    return paths


@dataclass(frozen=True)
class Path:
    """One path from the root down to an input: the nodes, and the local derivative of each edge."""

    nodes: tuple[Value, ...]  # root first
    locals: tuple[float, ...]  # d(nodes[i])/d(nodes[i+1]): the sum over the inputs nodes[i+1] fills
    slots: tuple[tuple[int, ...], ...] = ()  # which inputs of nodes[i] nodes[i+1] fills

    @property
    def product(self) -> float:
        out = 1.0
        for local in self.locals:
            out *= local
        return out


MAX_PATHS = 200
"""explain_grad refuses graphs with more paths than this from the root to the input."""


@dataclass(frozen=True)
class GradExplanation(_Displayed):
    """Every path from ``root`` to ``x``, the product of local derivatives along each, and their sum."""

    root_name: str
    name: str
    paths: tuple[Path, ...]
    names: dict[Value, str]
    grad: float  # what a fresh backward pass gives for dL/dx
    lang: str = "en"

    @property
    def total(self) -> float:
        """The sum over paths of the products of local derivatives: the chain rule and the sum rule."""
        return math.fsum(p.product for p in self.paths)

    def _generated(self) -> list[Value]:
        seen: list[Value] = []
        for path in self.paths:
            for node in path.nodes:
                if is_generated(node, self.names) and node not in seen and node is not path.nodes[0]:
                    seen.append(node)
        return seen

    def _path_parts(self, path: Path, latex: bool) -> tuple[list[str], list[str], list[str]]:
        symbols, formulas, numbers = [], [], []
        for a, b in zip(path.nodes, path.nodes[1:]):
            d = next(d for d in local_derivatives(a, self.names) if d.parent is b)
            summed = len(d.slots) > 1  # a sum: in brackets as a factor of a longer product
            factor_of = len(path.nodes) > 2
            if latex:
                symbols.append(d_latex_written(written(a, self.names, latex=True), self.names[b]))
                several = _added(list(d.locals), latex=True)
                if summed:
                    formulas.append(_lbracketed(d.latex) if factor_of else d.latex)
                    numbers.append(_lbracketed(several) if factor_of else several)
                else:
                    formulas.append(latex_wrap(d.latex))
                    numbers.append(latex_factor(d.value))
            else:
                symbols.append(f"∂{wrap(written(a, self.names))}/∂{wrap(self.names[b])}")
                several = _added(list(d.locals), latex=False)
                if summed:
                    formulas.append(f"({d.text})" if factor_of else d.text)
                    numbers.append(f"({several})" if factor_of else several)
                else:
                    formulas.append(wrap(d.text))
                    numbers.append(factor(d.value))
        return symbols, formulas, numbers

    def _chain(self, path: Path, latex: bool) -> str:
        if not path.locals:
            return "1"
        dot = r" \cdot " if latex else " · "
        symbols, formulas, numbers = self._path_parts(path, latex)
        stages = [dot.join(symbols)]
        if any(not is_number(f) and f != "?" for f in formulas) and "?" not in formulas:
            stages.append(dot.join(formulas))
        if len(numbers) > 1 or stages[-1] != numbers[0]:
            stages.append(dot.join(numbers))
        product = latex_number(path.product) if latex else num(path.product)
        if stages[-1] != product:
            stages.append(product)
        return " = ".join(stages)

    def _where(self, latex: bool) -> list[str]:
        return [definition(n, self.names, latex=latex) for n in self._generated()]

    @in_its_language
    def text(self) -> str:
        target = d_text(self.root_name, self.name)
        where = [_indent(_("where %(definition)s") % {"definition": d}) for d in self._where(latex=False)]
        names = {"target": target, "output": self.root_name, "input": self.name}
        if not self.paths:
            return _("%(target)s = 0: no path leads from %(output)s to %(input)s") % names
        if len(self.paths) == 1:
            if not self.paths[0].locals:
                return _("%(target)s = 1: %(input)s is the output itself") % names
            return "\n".join([f"{target} = {self._chain(self.paths[0], latex=False)}", *where])
        lines = [
            _("%(target)s is the sum over the %(count)d paths from %(output)s to %(input)s:")
            % (names | {"count": len(self.paths)})
        ]
        lines += [
            _indent(_("path %(number)d: %(chain)s") % {"number": i, "chain": self._chain(path, latex=False)})
            for i, path in enumerate(self.paths, 1)
        ]
        lines.append(_indent(f"{target} = {' + '.join(factor(p.product) for p in self.paths)} = {num(self.total)}"))
        return "\n".join(lines + where)

    @in_its_language
    def latex(self) -> str:
        target = d_latex(self.root_name, self.name)
        where = [latex_sentence(_("where %(definition)s"), definition=d) for d in self._where(latex=True)]
        if not self.paths:
            return f"{target} = 0"
        if len(self.paths) == 1:
            return " \\\\ ".join([f"{target} = {self._chain(self.paths[0], latex=True)}", *where])
        rows = [
            latex_sentence(_("path %(number)d: %(chain)s"), number=str(i), chain=self._chain(p, latex=True))
            for i, p in enumerate(self.paths, 1)
        ]
        total = " + ".join(latex_factor(p.product) for p in self.paths)
        return " \\\\ ".join([*rows, f"{target} = {total} = {latex_number(self.total)}", *where])

    @in_its_language
    def markdown(self) -> str:
        where = [_("where %(definition)s") % {"definition": f"${d}$"} for d in self._where(latex=True)]
        if len(self.paths) <= 1:
            target = d_latex(self.root_name, self.name)
            body = f"{target} = {self._chain(self.paths[0], latex=True)}" if self.paths else f"{target} = 0"
            return "\n\n".join([f"${body}$", *where])
        rows = [f"{i}. ${self._chain(p, latex=True)}$" for i, p in enumerate(self.paths, 1)]
        total = " + ".join(latex_factor(p.product) for p in self.paths)
        target = d_latex(self.root_name, self.name)
        intro = _("%(target)s sums the %(count)d paths from %(output)s to %(input)s:") % {
            "target": f"${target}$",
            "count": len(self.paths),
            "output": f"`{self.root_name}`",
            "input": f"`{self.name}`",
        }
        return "\n".join([intro, "", *rows, "", f"${target} = {total} = {latex_number(self.total)}$", "", *where])


def explain_grad(root: Value, x: Value, lang: str | None = None) -> GradExplanation:
    """Every path from ``root`` down to ``x``, the product of the local derivatives along each
    (the chain rule), and their sum (the sum rule), which equals ``x``'s gradient in a fresh pass; written in
    ``lang`` (by default the locale's language)."""
    order = topological_order(root)
    if x not in set(order):
        raise ValueError("x is not part of root's graph: no path leads from root to it")
    with using(lang) as code:
        names = graph_names(root)
        paths = all_paths(root, x, order, names)
    grad = fresh_gradients(root)[x]
    return GradExplanation(names[root], names[x], tuple(paths), names, grad, code)
