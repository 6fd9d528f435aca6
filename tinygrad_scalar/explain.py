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
* ``worked_solution(root)`` writes the whole pass as a hand derivation, for a handout;
* ``stepper(root)`` is the same pass as an HTML page: one picture per step, buttons, a slider
  and the arrow keys, with no network and no kernel needed;
* ``gradcheck(f, inputs)`` compares backpropagation with central differences;
* ``cost_of_gradients(f, inputs)`` counts the work of numerical differentiation against one forward
  and one backward pass.

Every explanation has a plain-text form (``str``), Markdown and LaTeX (``.markdown()``,
``.latex()``), and shows itself nicely in Jupyter.

Names: a labelled value is called by its label; an unlabelled one by the expression that made it
(``w*x``), or ``v7`` (its place in the topological order) when that would be long; an unlabelled
root is ``L``.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from tinygrad_scalar.engine import (
    Constant,
    Number,
    Value,
    begin_backward,
    chain_rule_step,
    contributions,
    no_grad,
    topological_order,
)
from tinygrad_scalar.files import atomic_write
from tinygrad_scalar.trace import argument_names

__all__ = [
    "BackwardPass",
    "CostReport",
    "Derivation",
    "GradExplanation",
    "GradcheckReport",
    "ParentUpdate",
    "Path",
    "Step",
    "Stepper",
    "backward_steps",
    "cost_of_gradients",
    "explain_grad",
    "gradcheck",
    "node_names",
    "stepper",
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

_UNARY_NAMES = {"exp": "exp", "log": "log", "tanh": "tanh", "sigmoid": "sigmoid", "ReLU": "relu"}
_UNARY_NAMES.update({op: op for op in ("sin", "cos", "sqrt", "abs")})


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
    parts = [names[p] for p in node._prev]
    op = node._op
    if op == "+" and len(parts) == 2:
        text = f"{parts[0]} + {parts[1]}"
    elif op in ("*", "/", "**") and len(parts) == 2:
        text = f"{_wrap(parts[0])}{op}{_wrap(parts[1])}"
    elif op.startswith("**") and len(parts) == 1:
        text = f"{_wrap(parts[0])}{op}"
    elif op in _UNARY_NAMES and len(parts) == 1:
        text = f"{_UNARY_NAMES[op]}({parts[0]})"
    else:
        return None
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


# ---- the table of local derivatives, in words ---------------------------------------------------
# For each operation: the name of the rule, and the formula of d(node)/d(parent) for each parent,
# in text and in LaTeX, written with the parents' names.

_Formula = Callable[[list[str], str], list[str]]


def _power_exponent(op: str) -> str:
    return op[2:]


def _minus_one(k: str) -> str:
    try:
        return num(float(k) - 1.0)
    except ValueError:
        return f"{k}-1"


_RULES: dict[str, tuple[str, _Formula, _Formula]] = {
    "+": ("sum", lambda p, op: ["1", "1"], lambda p, op: ["1", "1"]),
    "*": ("product rule", lambda p, op: [p[1], p[0]], lambda p, op: [_latex_name(p[1]), _latex_name(p[0])]),
    "/": (
        "quotient rule",
        lambda p, op: [f"1/{_wrap(p[1])}", f"-{_wrap(p[0])}/{_wrap(p[1])}**2"],
        lambda p, op: [
            rf"\frac{{1}}{{{_latex_name(p[1])}}}",
            rf"-\frac{{{_latex_name(p[0])}}}{{{_latex_name(p[1])}^{{2}}}}",
        ],
    ),
    "**": (
        "power rule",
        lambda p, op: [f"{_wrap(p[1])}*{_wrap(p[0])}**({p[1]}-1)", f"{_wrap(p[0])}**{_wrap(p[1])}*log({p[0]})"],
        lambda p, op: [
            rf"{_latex_name(p[1])} {_latex_name(p[0])}^{{{_latex_name(p[1])}-1}}",
            rf"{_latex_name(p[0])}^{{{_latex_name(p[1])}}} \log {_latex_name(p[0])}",
        ],
    ),
    "**k": (
        "power rule",
        lambda p, op: [f"{_power_exponent(op)}*{_wrap(p[0])}**{_minus_one(_power_exponent(op))}"],
        lambda p, op: [rf"{_power_exponent(op)} {_latex_name(p[0])}^{{{_minus_one(_power_exponent(op))}}}"],
    ),
    "exp": ("exponential", lambda p, op: [f"exp({p[0]})"], lambda p, op: [rf"e^{{{_latex_name(p[0])}}}"]),
    "log": ("logarithm", lambda p, op: [f"1/{_wrap(p[0])}"], lambda p, op: [rf"\frac{{1}}{{{_latex_name(p[0])}}}"]),
    "tanh": (
        "chain through tanh",
        lambda p, op: [f"1 - tanh({p[0]})**2"],
        lambda p, op: [rf"1 - \tanh^{{2}} {_latex_name(p[0])}"],
    ),
    "sigmoid": (
        "chain through sigmoid",
        lambda p, op: [f"sigmoid({p[0]})*(1 - sigmoid({p[0]}))"],
        lambda p, op: [rf"\sigma({_latex_name(p[0])})\,(1 - \sigma({_latex_name(p[0])}))"],
    ),
    "ReLU": (
        "chain through ReLU",
        lambda p, op: [f"(1 if {p[0]} > 0 else 0)"],
        lambda p, op: [rf"[{_latex_name(p[0])} > 0]"],
    ),
    "sin": ("chain through sin", lambda p, op: [f"cos({p[0]})"], lambda p, op: [rf"\cos {_latex_name(p[0])}"]),
    "cos": ("chain through cos", lambda p, op: [f"-sin({p[0]})"], lambda p, op: [rf"-\sin {_latex_name(p[0])}"]),
    "sqrt": (
        "chain through sqrt",
        lambda p, op: [f"1/(2*sqrt({p[0]}))"],
        lambda p, op: [rf"\frac{{1}}{{2\sqrt{{{_latex_name(p[0])}}}}}"],
    ),
    "abs": (
        "chain through abs",
        lambda p, op: [f"sign({p[0]})"],
        lambda p, op: [rf"\operatorname{{sign}} {_latex_name(p[0])}"],
    ),
}


def _rule(node: Value) -> tuple[str, _Formula, _Formula] | None:
    op = node._op
    if op.startswith("**") and len(node._prev) == 1:
        op = "**k"
    return _RULES.get(op)


def _formulas(node: Value, names: dict[Value, str], latex: bool) -> list[str]:
    rule = _rule(node)
    parents = [names[p] for p in node._prev]
    if rule is None:
        return ["?"] * len(parents)
    return (rule[2] if latex else rule[1])(parents, node._op)


def rule_name(node: Value) -> str:
    """The name of the differentiation rule ``node``'s operation uses (``'product rule'``, ...)."""
    rule = _rule(node)
    return rule[0] if rule else f"operation {node._op!r}"


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


def _fresh_gradients(root: Value) -> dict[Value, float]:
    """The gradients one backward pass from ``root`` gives, every node starting at 0, computed without
    changing any ``grad`` of the graph (they are restored afterwards)."""
    order = topological_order(root)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.backward()
        return {node: node.grad for node in order}
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad


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
    grad = _fresh_gradients(root)[x]
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
    grads = _fresh_gradients(root)
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


# ---- the stepper: the pass as a self-contained HTML page ----------------------------------------

CURRENT_COLOR = "#ea580c"
"""Outline of the node whose step is shown."""
PARENT_COLOR = "#2563eb"
"""Outline of the parents that receive its contributions."""

MAX_STEPPER_NODES = 150
"""The stepper draws one picture per step: graphs beyond this size are refused."""

_STEPPER_CSS = """
.tgs-stepper { font-family: Helvetica, Arial, sans-serif; max-width: 100%; outline: none; }
.tgs-stepper .tgs-frame { display: none; overflow-x: auto; }
.tgs-stepper .tgs-frame.tgs-current { display: block; }
.tgs-stepper .tgs-frame svg { max-width: 100%; height: auto; }
.tgs-stepper .tgs-equation { font-family: Menlo, Consolas, monospace; white-space: pre-wrap; margin: 0.6em 0; }
.tgs-stepper .tgs-controls { display: flex; gap: 0.6em; align-items: center; }
.tgs-stepper .tgs-slider { flex: 1; }
"""

_STEPPER_JS = """
(function () {
  var root = document.getElementById("%(id)s");
  var frames = root.querySelectorAll(".tgs-frame");
  var equations = root.querySelectorAll(".tgs-equation");
  var slider = root.querySelector(".tgs-slider");
  var counter = root.querySelector(".tgs-counter");
  var current = 0;
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {
      frames[k].classList.toggle("tgs-current", k === current);
      equations[k].style.display = k === current ? "block" : "none";
    }
    slider.value = current;
    counter.textContent = "step " + current + " of " + (frames.length - 1);
    root.setAttribute("data-step", current);
  }
  root.querySelector(".tgs-prev").addEventListener("click", function () { show(current - 1); });
  root.querySelector(".tgs-next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  function onKey(event) {
    if (event.target && event.target.tagName === "INPUT" && event.target !== slider) { return; }
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  }
  root.addEventListener("keydown", onKey);
  if (%(page)s) { document.addEventListener("keydown", function (e) { if (!root.contains(e.target)) { onKey(e); } }); }
  show(0);
})();
"""


class Stepper:
    """The backward pass of a graph as an HTML document: one SVG picture per step, the current node
    outlined, that step's chain rule under the picture, previous/next buttons, a slider and the
    arrow keys. Everything is inline (no network, no kernel), so it keeps working in an exported
    notebook or as a standalone file."""

    def __init__(self, frames: list[str], equations: list[str], title: str) -> None:
        self.frames = frames
        self.equations = equations
        self.title = title

    def fragment(self, element_id: str = "tgs-stepper", page: bool = False) -> str:
        """The stepper as an HTML fragment (what Jupyter shows)."""
        frames = "".join(f'<div class="tgs-frame">{svg}</div>' for svg in self.frames)
        equations = "".join(f'<div class="tgs-equation">{html.escape(eq)}</div>' for eq in self.equations)
        last = len(self.frames) - 1
        controls = (
            '<div class="tgs-controls">'
            '<button type="button" class="tgs-prev" title="previous step (left arrow)">&#8592; previous</button>'
            f'<input type="range" class="tgs-slider" min="0" max="{last}" value="0" aria-label="step">'
            '<button type="button" class="tgs-next" title="next step (right arrow)">next &#8594;</button>'
            f'<span class="tgs-counter">step 0 of {last}</span>'
            "</div>"
        )
        script = _STEPPER_JS % {"id": element_id, "page": "true" if page else "false"}
        return (
            f'<div class="tgs-stepper" id="{element_id}" tabindex="0" data-step="0">'
            f"<style>{_STEPPER_CSS}</style>{frames}{equations}{controls}<script>{script}</script></div>"
        )

    def html(self) -> str:
        """A complete, standalone HTML page."""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title></head><body>"
            f'<h1 style="font-family: Helvetica, Arial, sans-serif">{html.escape(self.title)}</h1>'
            f"{self.fragment(page=True)}</body></html>\n"
        )

    def _repr_html_(self) -> str:
        return self.fragment(element_id=f"tgs-stepper-{id(self):x}")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the standalone page to ``path`` (atomically: a failed save keeps the old file)."""
        atomic_write(path, self.html().encode("utf-8"))


def stepper(root: Value, *, rankdir: str = "LR", fmt: str = "%.4f") -> Stepper:
    """Run the backward pass of ``root`` step by step and record one picture per step.

    Frame 0 is the seed (the output's gradient is 1, every other gradient unknown); frame k shows
    the state after step k, the current node outlined in orange and its parents in blue, and the
    chain rule of that step under the picture. The pass is a fresh one: every gradient of the graph,
    leaves included, starts at 0 (and holds this pass's value afterwards). Needs Graphviz's ``dot``.
    """
    from tinygrad_scalar.viz import draw_dot

    order = topological_order(root)
    if len(order) > MAX_STEPPER_NODES:
        raise ValueError(
            f"this graph has {len(order)} values; the stepper draws one picture per step and is meant for up to "
            f"{MAX_STEPPER_NODES}. Step through a part of it (stepper(some_inner_value))."
        )
    names = node_names(root)
    known = {root}
    for node in order:  # a fresh pass: leaves too start at 0, so gradients from earlier passes don't show
        node.grad = 0.0

    def frame(current: Value, parents: Sequence[Value]) -> str:
        outline = {p: PARENT_COLOR for p in parents}
        outline[current] = CURRENT_COLOR
        unknown = [n for n in order if n not in known]
        graph = draw_dot(
            root, rankdir=rankdir, fmt=fmt, highlight=outline, unknown=unknown, max_nodes=MAX_STEPPER_NODES
        )
        svg = graph.pipe(format="svg").decode("utf-8")
        svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG goes inline
        return re.sub(r'\sid="[^"]*"', "", svg)  # dot's ids repeat across frames

    steps = backward_steps(root)  # prepared: non-leaves reset, the root seeded
    frames = [frame(root, [])]
    equations = [f"{_d(names[root], names[root])} = 1: the seed, where the backward pass starts"]
    for step in steps:
        known.update(u.parent for u in step.parents)
        frames.append(frame(step.node, [u.parent for u in step.parents]))
        equations.append("\n".join([f"step {step.index}: {step.name} ({step.rule})", *step.lines()]))
    return Stepper(frames, equations, f"Backward pass of {names[root]}")


# ---- gradient checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradcheckRow:
    name: str
    analytic: float
    numerical: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numerical)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numerical))
        return self.abs_error / scale if scale else 0.0


@dataclass(frozen=True)
class GradcheckReport(_Displayed):
    """Backpropagation against central differences, input by input. Truthy when every input passes."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    rtol: float
    atol: float

    def passed(self, row: GradcheckRow) -> bool:
        if math.isnan(row.analytic) or math.isnan(row.numerical):
            return math.isnan(row.analytic) and math.isnan(row.numerical)
        return row.abs_error <= self.atol + self.rtol * abs(row.numerical)

    def __bool__(self) -> bool:
        return all(self.passed(row) for row in self.rows)

    def _table(self) -> list[list[str]]:
        return [
            [
                r.name,
                f"{r.analytic:.10g}",
                f"{r.numerical:.10g}",
                f"{r.abs_error:.2e}",
                f"{r.rel_error:.2e}",
                "pass" if self.passed(r) else "FAIL",
            ]
            for r in self.rows
        ]

    _HEADER = ("input", "analytic", "numerical", "abs error", "rel error", "result")

    def text(self) -> str:
        rows = [list(self._HEADER), *self._table()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self._HEADER))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        verdict = "all inputs pass" if self else "some inputs FAIL"
        return "\n".join([*lines, f"{verdict} (central differences, eps={self.eps:g})"])

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self._HEADER) + " |", "|" + "---|" * len(self._HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in self._table()]
        return "\n".join(lines)

    def latex(self) -> str:
        body = " \\\\ ".join(" & ".join(row) for row in self._table())
        return "\\begin{array}{llllll} " + " & ".join(self._HEADER) + " \\\\ \\hline " + body + " \\end{array}"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in self._table()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def gradcheck(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7
) -> GradcheckReport:
    """Compare backpropagation with central differences ``(f(x+eps) - f(x-eps)) / 2 eps`` for every input.

    ``f`` takes one ``Value`` per input and returns a ``Value``. The report is a table (analytic,
    numerical, absolute and relative error, pass/fail per input) and is truthy when all pass.
    """
    xs = [float(x) for x in inputs]
    names = argument_names(f, len(xs))
    values = [Value(x, label=name) for x, name in zip(xs, names)]
    f(*values).backward()
    rows = []
    for i, v in enumerate(values):

        def at(t: float, i: int = i) -> float:
            with no_grad():
                return f(*[Value(t if j == i else x) for j, x in enumerate(xs)]).data

        numerical = (at(xs[i] + eps) - at(xs[i] - eps)) / (2 * eps)
        rows.append(GradcheckRow(names[i], v.grad, numerical))
    return GradcheckReport(tuple(rows), eps, rtol, atol)


# ---- the cost argument, measured ----------------------------------------------------------------------


@dataclass(frozen=True)
class CostReport(_Displayed):
    """Operations needed for all n gradients: numerically (2n forward passes) against backprop."""

    inputs: int
    forward_ops: int  # operations in one forward pass
    numerical_passes: int  # forward passes numerical differentiation ran
    numerical_ops: int  # operations they performed in all
    backward_steps: int  # chain-rule steps of one backward pass
    backprop_ops: int  # one forward pass + one backward pass

    def text(self) -> str:
        return (
            f"{self.inputs} inputs, {self.forward_ops} operations per forward pass\n"
            f"numerical differentiation: {self.numerical_passes} forward passes = {self.numerical_ops} operations\n"
            f"backpropagation: 1 forward pass + 1 backward pass = {self.forward_ops} + {self.backward_steps} "
            f"= {self.backprop_ops} operations\n"
            f"ratio: {self.numerical_ops / self.backprop_ops:.1f}x"
        )

    def markdown(self) -> str:
        return (
            "| method | passes | operations |\n|---|---|---|\n"
            f"| numerical (central differences) | {self.numerical_passes} forward | {self.numerical_ops} |\n"
            f"| backpropagation | 1 forward + 1 backward | {self.backprop_ops} |"
        )

    def latex(self) -> str:
        return f"2n \\cdot F = {self.numerical_ops} \\quad\\text{{vs}}\\quad F + B = {self.backprop_ops}"


def _operations(root: Value) -> int:
    return sum(1 for node in topological_order(root) if node._prev)


def cost_of_gradients(f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6) -> CostReport:
    """Count the operations both ways of computing all gradients of ``f`` at ``inputs`` perform.

    Numerical differentiation runs ``f`` twice per input (``x+eps`` and ``x-eps``); every run is
    counted, with the operations it recorded. Backpropagation runs ``f`` once and then one
    chain-rule step per operation.
    """
    xs = [float(x) for x in inputs]
    passes = 0
    numerical_ops = 0
    for i in range(len(xs)):
        for shift in (eps, -eps):
            out = f(*[Value(x + shift if j == i else x) for j, x in enumerate(xs)])
            passes += 1
            numerical_ops += _operations(out)
    out = f(*[Value(x) for x in xs])
    forward = _operations(out)
    steps = sum(1 for _ in backward_steps(out))
    return CostReport(len(xs), forward, passes, numerical_ops, steps, forward + steps)
