"""The backward pass explained: one node at a time, with the chain rule written out in the numbers.

>>> from tinygrad_scalar import Value
>>> x, w, b = Value(2.0, label='x'), Value(3.0, label='w'), Value(1.0, label='b')
>>> y = w * x + b; y.label = 'y'
>>> L = y ** 2; L.label = 'L'
>>> print(explain_grad(L, w))
dL/dw = dL/dy · dy/d(w*x) · d(w*x)/dw = 14 · 1 · 2 = 28

* ``backward_steps(root)`` runs the backward pass one node at a time and describes each step;
* ``explain_grad(root, x)`` lists every path from ``root`` to ``x`` and the product of local
  derivatives along it; their sum is ``x.grad`` (the sum rule, made concrete);
* ``worked_solution(root)`` writes the whole pass as a hand derivation, for a handout.

The HTML stepper is in :mod:`tinygrad_scalar.stepper`, gradient checking and the cost argument in
:mod:`tinygrad_scalar.gradcheck`; :mod:`tinygrad_scalar.explain` gathers all of them.

Every explanation has a plain-text form (``str``), Markdown and LaTeX (``.markdown()``,
``.latex()``), and shows itself nicely in Jupyter. The rule each step applies and the formula of
each local derivative come from the table of derivatives (:mod:`tinygrad_scalar.ops`).

Names: a labelled value is called by its label; an unlabelled one by the expression that made it
(``w*x``), or ``v7`` (its place in the topological order) when that would be long; an unlabelled
root is ``L``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tinygrad_scalar import ops
from tinygrad_scalar.engine import (
    Constant,
    Number,
    Value,
    begin_backward,
    chain_rule_step,
    contributions,
    fresh_gradients,
    op_of,
    topological_order,
)

__all__ = [
    "BackwardPass",
    "Derivation",
    "GradExplanation",
    "ParentUpdate",
    "Path",
    "Step",
    "backward_steps",
    "explain_grad",
    "node_names",
    "num",
    "rule_name",
    "worked_solution",
]

MAX_NAME = 24
"""Longest expression used as the name of an unlabelled value; longer ones are called ``v<i>``."""


def num(x: float) -> str:
    """A number as explanations write it: up to 6 significant digits, no trailing zeros."""
    if x == 0.0:
        return "0"
    return f"{x:.6g}"


# ---- names --------------------------------------------------------------------------------------


def _compound(name: str) -> bool:
    return bool(re.search(r"[ +\-*/]", name)) and not (name.startswith("(") and name.endswith(")"))


def _wrap(name: str) -> str:
    return f"({name})" if _compound(name) else name


def node_names(root: Value) -> dict[Value, str]:
    """The name explanations use for each value of ``root``'s graph (see the module docstring)."""
    names: dict[Value, str] = {}
    for i, node in enumerate(topological_order(root)):
        if node.label:
            names[node] = node.label
        elif isinstance(node, Constant):
            names[node] = num(node.data)
        elif node is root:
            names[node] = "L"
        elif not node._prev:
            names[node] = f"v{i}"
        else:
            names[node] = _expression_name(node, names) or f"v{i}"
    return names


def _expression_name(node: Value, names: dict[Value, str]) -> str | None:
    op = getattr(node._grad_fn, "op", None)
    if op is None or op.expand is not None:
        return None
    parts = [names[p] for p in node._prev]
    if op.name in _INFIX and len(parts) == 2:
        separator = _INFIX[op.name]
        text = separator.join(parts) if op.name == "add" else separator.join(_wrap(p) for p in parts)
    elif op is ops.POWER:
        text = f"{_wrap(parts[0])}{node._op}"
    else:
        text = f"{op.name}({', '.join(parts)})"
    return text if len(text) <= MAX_NAME else None


def _d(of: str, by: str) -> str:
    """dL/dx in text."""
    return f"d{_wrap(of) if len(of) > 1 else of}/d{_wrap(by) if len(by) > 1 else by}"


_LATEX_SPECIAL = str.maketrans({c: "\\" + c for c in "{}$%#&_"} | {"\\": r"\backslash ", "^": r"\hat{}", "~": r"\sim "})


def _latex_name(name: str) -> str:
    match = re.fullmatch(r"([A-Za-z])(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    if re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?", name):
        return name
    return r"\text{" + name.translate(_LATEX_SPECIAL) + "}"


def _dl(of: str, by: str) -> str:
    """dL/dx in LaTeX."""
    return rf"\frac{{\partial {_latex_name(of)}}}{{\partial {_latex_name(by)}}}"


# ---- the rule and the formula of each step: from the table of derivatives ----------------------------

_INFIX = {"add": " + ", "mul": "*", "div": "/", "pow": "**"}


def _formulas(node: Value, names: dict[Value, str], latex: bool) -> list[str]:
    """The formula of d(node)/d(parent) for each parent, written with the parents' names."""
    op, params = op_of(node, "explanations")
    parents = [names[p] for p in node._prev]
    if op.expand is not None:  # a checkpointed segment: no formula of its own
        return [(_dl if latex else _d)(names[node], p) for p in parents]
    wrap = (lambda n: n if re.fullmatch(r"\\?[A-Za-z_]+(\{[^}]*\})?|[\w.]+", n) else f"({n})") if latex else _wrap
    shown = [wrap(_latex_name(p) if latex else p) for p in parents]
    out = _latex_name(names[node]) if latex else names[node]
    formulas = [op.formula(i, shown, out, params, latex=latex) for i in range(len(parents))]
    for name in shown:  # a bracketed name as a function's argument needs no second pair: sigmoid((w*x))
        if name.startswith("("):
            formulas = [f.replace(f"({name})", name) for f in formulas]
    return formulas


def rule_name(node: Value) -> str:
    """The name of the differentiation rule ``node``'s operation uses (``'product rule'``, ...)."""
    return op_of(node, "explanations")[0].rule


class _Displayed:
    """Plain text by ``str``, Markdown and LaTeX by methods; Jupyter shows the Markdown."""

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
    """What one step does to one parent (one entry per use: ``a * a`` has two)."""

    parent: Value
    name: str
    local: float  # d(node)/d(parent)
    formula: str  # the local derivative as a formula in the names, e.g. 'x' for d(w*x)/dw
    latex_formula: str
    contribution: float  # local derivative x upstream gradient, as the rule computed it
    before: float  # the parent's gradient before this contribution
    after: float  # ... and after it


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

    def lines(self) -> list[str]:
        """The chain rule for each parent, in words and numbers (constants, whose gradient nobody reads, left out)."""
        out = []
        for u in self.shown():
            chain = (
                f"{_d(self.root_name, u.name)} {'+=' if u.before else '='} {_d(self.root_name, self.name)} · "
                f"{_d(self.name, u.name)} = {num(self.upstream)} · {num(u.local)} = {num(u.contribution)}"
            )
            if u.before:
                chain += f"  (now {num(u.before)} + {num(u.contribution)} = {num(u.after)})"
            out.append(chain)
        return out

    def text(self) -> str:
        upstream = f"upstream {_d(self.root_name, self.name)} = {num(self.upstream)}"
        made_of = self._made_of()
        what = self.name if made_of == self.name else f"{self.name} = {made_of}"
        head = f"step {self.index}: {what}  ({self.rule}), {upstream}"
        return "\n".join([head, *("  " + line for line in self.lines())])

    def _made_of(self) -> str:
        return _expression_name(self.node, {p.parent: p.name for p in self.parents}) or self.node._op

    def shown(self) -> list[ParentUpdate]:
        """The updates explanations show: every parent but the constants."""
        return [u for u in self.parents if not isinstance(u.parent, Constant)]

    def latex_lines(self) -> list[str]:
        out = []
        for u in self.shown():
            sign = "\\mathrel{+}=" if u.before else "="
            line = (
                f"{_dl(self.root_name, u.name)} {sign} {_dl(self.root_name, self.name)} \\cdot {_dl(self.name, u.name)}"
                f" = {num(self.upstream)} \\cdot {num(u.local)} = {num(u.contribution)}"
            )
            if u.before:
                line += f" \\quad ({num(u.before)} + {num(u.contribution)} = {num(u.after)})"
            out.append(line)
        return out

    def markdown(self) -> str:
        upstream = f"${_dl(self.root_name, self.name)} = {num(self.upstream)}$"
        head = f"**Step {self.index}**: `{self.name}` ({self.rule}), upstream {upstream}"
        return "\n".join([head, "", *(f"- ${line}$" for line in self.latex_lines())])

    def latex(self) -> str:
        return " \\\\ ".join(self.latex_lines())


class BackwardPass:
    """A backward pass prepared as ``backward()`` prepares it, run one node per step when iterated.

    Creating it resets every non-leaf gradient and seeds the root (leaves keep what they hold);
    iterating applies the chain-rule steps in ``backward()``'s order (reverse topological, leaves
    skipped: they have nothing to pass on), yielding a ``Step`` after each. Running all steps leaves
    exactly the gradients ``backward()`` gives; stopping early leaves the pass half done, which is
    what a stepper shows. A pass runs once.
    """

    def __init__(self, root: Value, gradient: Number = 1.0) -> None:
        self.root = root
        self.order = begin_backward(root, gradient)
        self.names = node_names(root)
        self._started = False

    def __iter__(self) -> Iterator[Step]:
        if self._started:
            raise RuntimeError("this backward pass has run already; call backward_steps(root) again for a new one")
        self._started = True
        return self._run()

    def _run(self) -> Iterator[Step]:
        names = self.names
        index = 0
        for node in reversed(self.order):
            if node._grad_fn is None:
                continue
            index += 1
            locals_ = contributions(node, 1.0)
            carried = contributions(node)
            befores = [p.grad for p in node._prev]
            texts = _formulas(node, names, latex=False)
            latexes = _formulas(node, names, latex=True)
            upstream = node.grad
            chain_rule_step(node)
            updates = []
            running: dict[Value, float] = {}
            for i, parent in enumerate(node._prev):
                before = running.get(parent, befores[i])
                after = before + carried[i]
                running[parent] = after
                updates.append(
                    ParentUpdate(parent, names[parent], locals_[i], texts[i], latexes[i], carried[i], before, after)
                )
            yield Step(index, node, names[node], names[self.root], rule_name(node), upstream, tuple(updates))


def backward_steps(root: Value, gradient: Number = 1.0) -> BackwardPass:
    """``root.backward(gradient)``, one node at a time: iterate to run the steps (see ``BackwardPass``).

    >>> from tinygrad_scalar import Value
    >>> a = Value(3.0, label='a'); b = (a * a); b.label = 'b'
    >>> for step in backward_steps(b):
    ...     print(step)
    step 1: b = a*a  (product rule), upstream db/db = 1
      db/da = db/db · db/da = 1 · 3 = 3
      db/da += db/db · db/da = 1 · 3 = 3  (now 3 + 3 = 6)
    >>> a.grad
    6.0
    """
    return BackwardPass(root, gradient)


# ---- every path from the root to one input --------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """One path from the root down to an input: the nodes, and the local derivative of each edge."""

    nodes: tuple[Value, ...]  # root first
    locals: tuple[float, ...]  # d(nodes[i])/d(nodes[i+1])

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
    grad: float  # what backward() gives for dL/dx

    @property
    def total(self) -> float:
        """The sum over paths of the products of local derivatives: the chain rule and the sum rule."""
        return math.fsum(p.product for p in self.paths)

    def _path_text(self, path: Path) -> str:
        if not path.locals:
            return f"1 ({self.name} is the output itself)"
        factors = " · ".join(_d(self.names[a], self.names[b]) for a, b in zip(path.nodes, path.nodes[1:]))
        if len(path.locals) == 1:
            return f"{factors} = {num(path.product)}"
        return f"{factors} = {' · '.join(num(x) for x in path.locals)} = {num(path.product)}"

    def text(self) -> str:
        target = _d(self.root_name, self.name)
        if not self.paths:
            return f"{target} = 0: no path leads from {self.root_name} to {self.name}"
        if len(self.paths) == 1:
            return f"{target} = {self._path_text(self.paths[0])}"
        lines = [f"{target} is the sum over the {len(self.paths)} paths from {self.root_name} to {self.name}:"]
        lines += [f"  path {i}: {self._path_text(path)}" for i, path in enumerate(self.paths, 1)]
        lines.append(f"  {target} = {' + '.join(num(p.product) for p in self.paths)} = {num(self.total)}")
        return "\n".join(lines)

    def _latex_path(self, path: Path) -> str:
        if not path.locals:
            return "1"
        factors = " \\cdot ".join(_dl(self.names[a], self.names[b]) for a, b in zip(path.nodes, path.nodes[1:]))
        if len(path.locals) == 1:
            return f"{factors} = {num(path.product)}"
        numbers = " \\cdot ".join(num(x) for x in path.locals)
        return f"{factors} = {numbers} = {num(path.product)}"

    def latex(self) -> str:
        target = _dl(self.root_name, self.name)
        if not self.paths:
            return f"{target} = 0"
        if len(self.paths) == 1:
            return f"{target} = {self._latex_path(self.paths[0])}"
        rows = [self._latex_path(p) for p in self.paths]
        total = " + ".join(num(p.product) for p in self.paths)
        return " \\\\ ".join([*rows, f"{target} = {total} = {num(self.total)}"])

    def markdown(self) -> str:
        if len(self.paths) <= 1:
            return f"${self.latex()}$"
        rows = [f"{i}. ${self._latex_path(p)}$" for i, p in enumerate(self.paths, 1)]
        total = " + ".join(num(p.product) for p in self.paths)
        target = f"${_dl(self.root_name, self.name)}$"
        intro = f"{target} sums the {len(self.paths)} paths from `{self.root_name}` to `{self.name}`:"
        return "\n".join([intro, "", *rows, "", f"${_dl(self.root_name, self.name)} = {total} = {num(self.total)}$"])


def explain_grad(root: Value, x: Value) -> GradExplanation:
    """Every path from ``root`` down to ``x``, the product of the local derivatives along each
    (the chain rule), and their sum (the sum rule), which equals ``x``'s gradient."""
    order = topological_order(root)
    if x not in set(order):
        raise ValueError("x is not part of root's graph: no path leads from root to it")
    names = node_names(root)
    reaches = {x}  # the nodes from which x can be reached
    for node in order:
        if any(p in reaches for p in node._prev):
            reaches.add(node)
    paths: list[Path] = []
    # depth-first over (node, path so far), with an explicit stack
    stack: list[tuple[Value, tuple[Value, ...], tuple[float, ...]]] = [(root, (root,), ())]
    while stack:
        node, nodes, locals_ = stack.pop()
        if node is x:
            paths.append(Path(nodes, locals_))
            if len(paths) > MAX_PATHS:
                raise ValueError(
                    f"{names[x]} reaches {names[root]} by more than {MAX_PATHS} paths; "
                    f"explain a smaller graph, or use backward() for the gradient"
                )
            continue
        local = contributions(node, 1.0)
        for i in reversed(range(len(node._prev))):
            parent = node._prev[i]
            if parent in reaches:
                stack.append((parent, (*nodes, parent), (*locals_, local[i])))
    grad = fresh_gradients(root)[x]
    return GradExplanation(names[root], names[x], tuple(paths), names, grad)


# ---- the whole pass as a hand derivation ----------------------------------------------------------


class Derivation(str):
    """A worked solution: a ``str`` ready to paste, which Jupyter renders as Markdown or LaTeX."""

    kind: str  # 'markdown' or 'latex'

    def __new__(cls, text: str, kind: str) -> Derivation:
        self = super().__new__(cls, text)
        self.kind = kind
        return self

    def _repr_markdown_(self) -> str | None:
        return str(self) if self.kind == "markdown" else None

    def _repr_latex_(self) -> str | None:
        return str(self) if self.kind == "latex" else None


def worked_solution(root: Value, format: str = "markdown") -> Derivation:  # noqa: A002
    """The whole backward pass as a hand derivation: one line per value in reverse topological order,
    its gradient as the sum over the operations that use it of upstream x local derivative, with the
    rule each uses. ``format`` is ``'markdown'`` or ``'latex'``; the graph's gradients are not changed.
    """
    if format not in ("markdown", "latex"):
        raise ValueError(f"format must be 'markdown' or 'latex', got {format!r}")
    order = topological_order(root)
    names = node_names(root)
    grads = fresh_gradients(root)
    uses: dict[Value, list[tuple[Value, int]]] = {node: [] for node in order}
    for node in order:
        for i, parent in enumerate(node._prev):
            uses[parent].append((node, i))
    r = names[root]
    rows = [(f"{_dl(r, r)} = 1", "the seed: the output changes one for one with itself")]
    for node in reversed(order[:-1]):
        if isinstance(node, Constant):
            continue
        terms, numbers, rules = [], [], []
        for consumer, slot in uses[node]:
            local = contributions(consumer, 1.0)[slot]
            terms.append(f"{_dl(r, names[consumer])} \\cdot {_dl(names[consumer], names[node])}")
            formula = _formulas(consumer, names, latex=True)[slot]
            numbers.append(f"{num(grads[consumer])} \\cdot {num(local)}")
            rules.append(f"{rule_name(consumer)}: ${_dl(names[consumer], names[node])} = {formula}$")
        line = f"{_dl(r, names[node])} = {' + '.join(terms)} = {' + '.join(numbers)} = {num(grads[node])}"
        why = "; ".join(dict.fromkeys(rules))
        if len(uses[node]) > 1:
            why = f"used {len(uses[node])} times, so the contributions add up; " + why
        rows.append((line, why))
    if format == "markdown":
        body = [f"Backward pass for `{r}`, one line per value, from the output back to the inputs:", ""]
        body += [f"{i}. ${line}$  \n   ({why})" for i, (line, why) in enumerate(rows, 1)]
        return Derivation("\n".join(body) + "\n", "markdown")
    body = ["\\begin{align*}"]
    body += [f"  {line.replace(' = ', ' &= ', 1)} && \\text{{{why}}} \\\\" for line, why in rows]
    body.append("\\end{align*}")
    return Derivation("\n".join(body) + "\n", "latex")
