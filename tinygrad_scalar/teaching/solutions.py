"""A worked solution: the whole backward pass of a graph written as a complete handout.

>>> from tinygrad_scalar import Value
>>> x, y, z = Value(-2.0, label='x'), Value(5.0, label='y'), Value(-4.0, label='z')
>>> f = (x + y) * z; f.label = 'f'
>>> print(worked_solution(f, 'text'))
Problem: f = (x + y)·z. Find the gradient of f with respect to x, y and z at x = -2, y = 5 and z = -4.
<BLANKLINE>
Forward pass, each value from the ones before it:
  u1 = x + y = -2 + 5 = 3
  f = u1·z = 3·(-4) = -12
<BLANKLINE>
Backward pass, from the output back to the inputs (upstream gradient · local derivative, summed over the uses):
  1. ∂f/∂f = 1  (the seed)
  2. ∂f/∂z = ∂f/∂f · ∂(u1·z)/∂z = 1 · u1 = 1 · 3 = 3  (product rule)
  3. ∂f/∂u1 = ∂f/∂f · ∂(u1·z)/∂u1 = 1 · z = 1 · (-4) = -4  (product rule)
  4. ∂f/∂y = ∂f/∂u1 · ∂(x + y)/∂y = (-4) · 1 = -4  (sum rule)
  5. ∂f/∂x = ∂f/∂u1 · ∂(x + y)/∂x = (-4) · 1 = -4  (sum rule)
<BLANKLINE>
Answers: ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3
<BLANKLINE>

A handout has four parts, in this order:

1. **the problem**: the output as a function of the inputs (when that fits on a line; a longer one is
   given by the forward pass), and the given values;
2. **the forward pass**: every value, in forward (topological) order, from the ones before it, first in
   names, then with the numbers substituted, then its number;
3. **the backward pass**: one row per value from the output back to the inputs, each gradient the sum
   over the value's uses of upstream gradient times local derivative: the symbols, the local derivative's
   formula, the formula with the numbers it uses substituted, the product in numbers, the result; with
   the rule each row uses;
4. **the answers**: the gradient of every input, collected.

The names are the graph's one naming (:func:`tinygrad_scalar.views.naming.graph_names`): the output keeps
its own name (its label), the inputs theirs, unlabelled values are ``u1``, ``u2``, ... as in the pictures.
The numbers are those of a fresh backward pass (``fresh_gradients``); no ``grad`` is written.

The LaTeX is compact (two lines per row at most for a single use, the rule at the right margin), so that
CS231n's sigmoid neuron fits on two A4 pages; ``latex(standalone=True)`` is a document pdflatex compiles
whatever the names (see :mod:`tinygrad_scalar.teaching.latex`). Rule names are text and are escaped; the
formulas of the table (and of ``defop``'s ``latex=``) are LaTeX by design.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Constant, Value, fresh_gradients, topological_order
from tinygrad_scalar.core.language import _, in_its_language, language, listing, using
from tinygrad_scalar.core.language import sentences as join_sentences
from tinygrad_scalar.teaching.formulas import (
    Expr,
    apply_written,
    d_latex,
    d_latex_written,
    d_text,
    is_number,
    latex_factor,
    latex_number,
    local_derivatives,
    needs_brackets,
    number_expr,
    rule_text,
    value_expr,
)
from tinygrad_scalar.teaching.latex import document, latex_paragraph, latex_words
from tinygrad_scalar.views.naming import factor, graph_names, latex_name, num, wrap

__all__ = ["LATEX_PACKAGES", "Derivation", "Row", "Solution", "worked_solution"]

PROBLEM_WIDTH = 90
"""The longest output-as-a-function-of-the-inputs (in characters of text) the problem states on one line."""
LINE_WIDTH = 66
"""How many characters of text a line of a LaTeX row takes before the row breaks onto another line."""
LATEX_PACKAGES = "\\usepackage[margin=2cm]{geometry}\n"
"""What a standalone worked solution loads beyond the common preamble (margins that suit A4 and Letter)."""


@dataclass(frozen=True)
class Stage:
    """One ``= ...`` of a row: the terms of a sum (usually one), in text and in LaTeX."""

    text: tuple[str, ...]
    latex: tuple[str, ...]

    def joined(self, latex: bool = False) -> str:
        return " + ".join(self.latex if latex else self.text)


@dataclass(frozen=True)
class Row:
    """One line of the handout: a value's definition (forward) or its gradient (backward)."""

    target: str  # the value's name
    text_lhs: str
    latex_lhs: str
    stages: tuple[Stage, ...]
    rule: str = ""  # plain text in the solution's language; escaped where written in LaTeX or Markdown

    def text(self) -> str:
        line = f"{self.text_lhs} = " + " = ".join(s.joined() for s in self.stages)
        return line + (f"  ({self.rule})" if self.rule else "")


@dataclass(frozen=True)
class Solution:
    """The parts of a worked solution (see the module docstring)."""

    root_name: str
    function: Expr | None  # the output as a function of the inputs; None when too long for one line
    given: tuple[tuple[str, float], ...]  # the inputs and their numbers
    forward: tuple[Row, ...]
    backward: tuple[Row, ...]
    answers: tuple[tuple[str, float], ...]  # each input's gradient
    lang: str = "en"  # the language it is written in (its rows are written in it when it is solved)


def _stage(terms: Sequence[tuple[str, str]]) -> Stage:
    return Stage(tuple(t for t, _unused in terms), tuple(latex for _unused, latex in terms))


def _unique(stages: list[Stage]) -> tuple[Stage, ...]:
    """The stages with repeats dropped (``1 · 3 = 3`` never becomes ``3 = 3``)."""
    kept: list[Stage] = []
    for stage in stages:
        if not kept or kept[-1].text != stage.text:
            kept.append(stage)
    return tuple(kept)


def _solve(root: Value, lang: str) -> Solution:
    order = topological_order(root)
    names = graph_names(root)
    grads = fresh_gradients(root)
    r = names[root]
    leaves = [n for n in order if not n._prev and not isinstance(n, Constant)]

    # the output as a function of the inputs, and each value's definition in names and in numbers
    expanded: dict[Value, Expr] = {}
    forward: list[Row] = []
    for node in order:
        if not node._prev:
            expanded[node] = (
                number_expr(node.data, names[node]) if isinstance(node, Constant) else value_expr(names[node])
            )
            continue
        expanded[node] = apply_written(node, [expanded[p] for p in node._prev], minus=True)
        in_names = apply_written(node, [_named(p, names) for p in node._prev])
        in_numbers = apply_written(node, [_numbered(p, names) for p in node._prev])
        stages = [in_names, in_numbers, number_expr(node.data)]
        forward.append(
            Row(
                names[node],
                names[node],
                latex_name(names[node]),
                _unique([Stage((e.text,), (e.latex,)) for e in stages]),
            )
        )
    function = expanded[root] if len(expanded[root].text) <= PROBLEM_WIDTH else None

    uses: dict[Value, list[tuple[Value, int]]] = {node: [] for node in order}
    for node in order:
        for i, parent in enumerate(node._prev):
            uses[parent].append((node, i))
    backward = [Row(r, d_text(r, r), d_latex(r, r), (Stage(("1",), ("1",)),), _("the seed"))]
    for node in reversed(order[:-1]):
        if isinstance(node, Constant):
            continue
        backward.append(_gradient_row(node, uses[node], names, grads, r))
    return Solution(
        r,
        function,
        tuple((names[n], n.data) for n in leaves),
        tuple(forward),
        tuple(backward),
        tuple((names[n], grads[n]) for n in leaves),
        lang,
    )


def _named(p: Value, names: dict[Value, str]) -> Expr:
    return number_expr(p.data, names[p]) if isinstance(p, Constant) else value_expr(names[p])


def _numbered(p: Value, names: dict[Value, str]) -> Expr:
    return number_expr(p.data, names[p]) if isinstance(p, Constant) else number_expr(p.data)


def _gradient_row(
    node: Value, node_uses: list[tuple[Value, int]], names: dict[Value, str], grads: dict[Value, float], r: str
) -> Row:
    """``node``'s gradient as the sum over its uses of upstream gradient times local derivative."""
    symbols, in_names, in_numbers, products = [], [], [], []
    rules: list[str] = []
    compound = plain = False
    for consumer in dict.fromkeys(c for c, _slot in node_uses):  # a value in several inputs: one term, their sum
        d = next(d for d in local_derivatives(consumer, names) if d.parent is node)
        upstream = grads[consumer]
        made = apply_written(consumer, [_named(p, names) for p in consumer._prev])
        symbols.append(
            (
                f"{d_text(r, names[consumer])} · ∂{wrap(made.text)}/∂{wrap(names[node])}",
                rf"{d_latex(r, names[consumer])} \cdot {d_latex_written(made.latex, names[node])}",
            )
        )
        plain = plain or is_number(d.text) or d.text == "?"
        compound = compound or not re.fullmatch(r"\(?[^\W\d]\w*'*\)?", d.text)
        in_names.append(
            (f"{factor(upstream)} · {_wrapped(d.text)}", rf"{latex_factor(upstream)} \cdot {_lwrapped(d.latex)}")
        )
        in_numbers.append(
            (
                f"{factor(upstream)} · {_wrapped(d.text_values)}",
                rf"{latex_factor(upstream)} \cdot {_lwrapped(d.latex_values)}",
            )
        )
        if len(d.slots) > 1:
            several = (" + ".join(factor(x) for x in d.locals), " + ".join(latex_factor(x) for x in d.locals))
            local_text, local_latex = f"({several[0]})", rf"\left({several[1]}\right)"
        else:
            local_text, local_latex = factor(d.value), latex_factor(d.value)
        products.append((f"{factor(upstream)} · {local_text}", rf"{latex_factor(upstream)} \cdot {local_latex}"))
        rules += d.rules
    stages = [_stage(symbols)]
    if not plain:
        stages.append(_stage(in_names))
        if compound:
            stages.append(_stage(in_numbers))
    stages += [_stage(products), Stage((num(grads[node]),), (latex_number(grads[node]),))]
    rule = "; ".join(dict.fromkeys(rule_text(r) for r in rules))  # the rules' names, listed
    if len(node_uses) > 1:
        rule = _("used %(count)d times, so the contributions add up; %(rules)s") % {
            "count": len(node_uses),
            "rules": rule,
        }
    return Row(names[node], d_text(r, names[node]), d_latex(r, names[node]), _unique(stages), rule)


def _wrapped(formula: str) -> str:
    """A text formula as a factor: bracketed when it has a + or - outside brackets."""
    return f"({formula})" if needs_brackets(formula) else formula


def _lwrapped(formula: str) -> str:
    """A LaTeX formula as a factor: bracketed when it has a + or - outside brackets."""
    return rf"\left({formula}\right)" if needs_brackets(formula) else formula


def _width(text: str) -> int:
    """About how wide ``text`` prints, in characters, when its ``∂a/∂b`` are written as fractions."""
    fraction = r"∂(\([^()]*\)|[^\s/·]+)/∂(\([^()]*\)|[^\s·]+)"
    return len(re.sub(fraction, lambda m: "x" * (max(len(m.group(1)), len(m.group(2))) + 1), text))


# ---- the three renderings ------------------------------------------------------------------------------------


def _listing(items: Sequence[str], numbers: bool = True) -> str:
    """``x, y and z`` in the language in use; numbers (``numbers``) as ``x = 0,5; y = 2 und z = 3`` where the
    decimal symbol is a comma."""
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": listing(items[:-1], numbers), "last": items[-1]}


def _problem(s: Solution, output: str, function: str | None, inputs: list[str], values: list[str]) -> str:
    """The problem in words: the function (or where it is computed) and what to find, at which values."""
    if function is not None:
        sentences = [_("Problem: %(output)s = %(function)s.") % {"output": output, "function": function}]
    else:
        sentences = [
            _("Problem: the output %(output)s is computed from the inputs by the forward pass below.")
            % {"output": output}
        ]
    if inputs:
        facts = {"output": output, "inputs": _listing(inputs, numbers=False), "values": _listing(values)}
        sentences.append(_("Find the gradient of %(output)s with respect to %(inputs)s at %(values)s.") % facts)
    return join_sentences(sentences)


def _indent(text: str, by: str = "  ") -> str:
    """Layout before a line (not words)."""
    return by + text


def _text(s: Solution) -> str:
    given = [f"{n} = {num(v)}" for n, v in s.given]
    function = s.function.text if s.function is not None else None
    lines = [_problem(s, s.root_name, function, [name for name, _v in s.given], given)]
    lines += ["", _("Forward pass, each value from the ones before it:")]
    lines += [_indent(row.text()) for row in s.forward] or [_indent(_("(none: the output is an input)"))]
    lines += [
        "",
        _(
            "Backward pass, from the output back to the inputs (upstream gradient · local derivative, summed over "
            "the uses):"
        ),
    ]
    lines += [f"  {i}. {row.text()}" for i, row in enumerate(s.backward, 1)]
    answers = listing([f"{d_text(s.root_name, n)} = {num(g)}" for n, g in s.answers])
    lines += ["", _("Answers: %(answers)s") % {"answers": answers}]
    return "\n".join(lines) + "\n"


def _md_text(text: str) -> str:
    """Plain words in Markdown: the characters Markdown or MathJax would read escaped."""
    escaped = re.sub(r"([\\`*{}\[\]<>$#|])", r"\\\1", text)
    return re.sub(r"(?<!\w)_|_(?!\w)", r"\_", escaped)  # an underscore inside a word is a letter


def _markdown(s: Solution) -> str:
    inputs = [f"${latex_name(name)}$" for name, _v in s.given]
    root = latex_name(s.root_name)
    sentences = []
    if s.function is not None:
        sentences.append(_("**Problem.** %(equation)s.") % {"equation": f"${root} = {s.function.latex}$"})
    else:
        sentences.append(
            _("**Problem.** The output %(output)s is computed from the inputs by the forward pass below.")
            % {"output": f"${root}$"}
        )
    if inputs:
        given = _listing([f"${latex_name(n)} = {latex_number(v)}$" for n, v in s.given])
        facts = {"output": f"${root}$", "inputs": _listing(inputs, numbers=False), "values": given}
        sentences.append(_("Find the gradient of %(output)s with respect to %(inputs)s at %(values)s.") % facts)
    body = [join_sentences(sentences), "", _("**Forward pass**, each value from the ones before it:"), ""]
    body += [f"- ${_latex_row_inline(row)}$" for row in s.forward] or [
        _indent(_("(none: the output is an input)"), "- ")
    ]
    body += [
        "",
        _(
            "**Backward pass**, from the output back to the inputs (upstream gradient times local derivative, "
            "summed over the uses):"
        ),
        "",
    ]
    body += [f"{i}. ${_latex_row_inline(row)}$ ({_md_text(row.rule)})" for i, row in enumerate(s.backward, 1)]
    answers = listing([f"${d_latex(s.root_name, n)} = {latex_number(g)}$" for n, g in s.answers])
    body += ["", _("**Answers:** %(answers)s") % {"answers": answers}]
    return "\n".join(body) + "\n"


def _latex_row_inline(row: Row) -> str:
    return f"{row.latex_lhs} = " + " = ".join(stage.joined(latex=True) for stage in row.stages)


def _latex_lines(row: Row) -> list[str]:
    """The row as lines of an ``align*``: stages packed while they fit ``LINE_WIDTH``; a long sum breaks
    between its terms."""
    pieces: list[tuple[str, int, bool]] = []  # (LaTeX, printed width, whether it starts a stage)
    for stage in row.stages:
        if _width(stage.joined()) <= LINE_WIDTH:
            pieces.append((stage.joined(latex=True), _width(stage.joined()), True))
            continue
        for j, (text, latex) in enumerate(zip(stage.text, stage.latex)):
            pieces.append((latex if j == 0 else f"+ {latex}", _width(text) + 2, j == 0))
    lines: list[str] = []
    width = LINE_WIDTH + 1
    for latex, size, starts in pieces:
        joiner = "= " if starts else ""
        if width + size + 3 > LINE_WIDTH:  # a new line: "lhs &= ..." first, then "&= ..." or "&\quad + ..."
            lead = f"{row.latex_lhs} &" if not lines else "&" if starts else r"&\quad "
            lines.append(lead + joiner + latex)
            width = _width(row.text_lhs) + size + 3
        else:
            lines[-1] += f" {joiner}{latex}"
            width += size + 3
    return lines


def _align(rows: Sequence[Row], tags: bool) -> list[str]:
    body = ["\\begin{align*}"]
    for row in rows:
        lines = _latex_lines(row)
        if tags and row.rule:
            lines[0] += rf" \tag*{{\small {latex_words(row.rule)}}}"
        body += [f"  {line} \\\\" for line in lines]
    body[-1] = body[-1].removesuffix(" \\\\")
    body.append("\\end{align*}")
    return body


def _answer_lines(s: Solution) -> list[str]:
    """The answers as a display, as many to a line as fit."""
    lines: list[list[str]] = [[]]
    width = 0
    for name, g in s.answers:
        size = _width(f"∂{s.root_name}/∂{name} = {num(g)}") + 6
        if lines[-1] and width + size > LINE_WIDTH + 10:
            lines.append([])
            width = 0
        lines[-1].append(f"{d_latex(s.root_name, name)} = {latex_number(g)}")
        width += size
    separator = language().separator.strip() + r"\qquad "  # a semicolon where the decimal symbol is a comma
    rows = [separator.join(line) for line in lines]
    return ["\\begin{gather*}", " \\\\\n".join(f"  {row}" for row in rows), "\\end{gather*}"]


def _noindent(paragraph: str) -> str:
    r"""A paragraph that starts at the margin: ``\noindent``, then the paragraph's LaTeX."""
    return "\\noindent" + ("" if paragraph.startswith("\\") else " ") + paragraph


def _latex(s: Solution, standalone: bool = False) -> str:
    root = latex_name(s.root_name)
    inputs = [f"${latex_name(name)}$" for name, _v in s.given]
    output = {"output": f"${root}$"}
    body = []
    if s.function is not None:
        sentence = _("**Problem.** The output %(output)s is computed from the inputs as")
        body.append(_noindent(latex_paragraph(sentence, **output)))
        body.append(rf"\[ {root} = {s.function.latex}. \]")
    else:
        sentence = _("**Problem.** The output %(output)s is computed from the inputs by the forward pass below.")
        body.append(_noindent(latex_paragraph(sentence, **output)))
    if inputs:
        given = _listing([f"${latex_name(n)} = {latex_number(v)}$" for n, v in s.given])
        sentence = _("Find the gradient of %(output)s with respect to %(inputs)s at %(values)s.")
        body.append(
            _noindent(latex_paragraph(sentence, inputs=_listing(inputs, numbers=False), values=given, **output))
        )
    body.append("")
    body.append(r"\medskip" + _noindent(latex_paragraph(_("**Forward pass**, each value from the ones before it:"))))
    body += (
        _align(s.forward, tags=False) if s.forward else [r"\par " + latex_words(_("(none: the output is an input)"))]
    )
    sentence = _(
        "**Backward pass**, from the output back to the inputs: each gradient is the upstream gradient times the "
        "local derivative, summed over the uses of the value; the rule is at the right."
    )
    body.append(_noindent(latex_paragraph(sentence)))
    body += _align(s.backward, tags=True)
    answers = _("**Answers**, the gradient of the output with respect to each input:")
    body.append(_noindent(latex_paragraph(answers)))
    body += _answer_lines(s)
    text = "\n".join(body)
    return document(text, packages=LATEX_PACKAGES) if standalone else text


class Derivation(str):
    """A worked solution: a ``str`` in the format asked for (ready to paste), which also has ``.text()``,
    ``.markdown()`` and ``.latex(standalone=False)``; Jupyter renders it as Markdown. ``.solution`` holds
    its parts."""

    kind: str
    solution: Solution

    def __new__(cls, solution: Solution, kind: str) -> Derivation:
        render = {"text": _text, "markdown": _markdown, "latex": _latex}[kind]
        with using(solution.lang):
            self = super().__new__(cls, render(solution))
        self.kind, self.solution = kind, solution
        return self

    @property
    def lang(self) -> str:
        """The language it is written in."""
        return self.solution.lang

    @property
    def root_name(self) -> str:
        """The output's name."""
        return self.solution.root_name

    @property
    def rows(self) -> tuple[Row, ...]:
        """The backward pass, one row per value."""
        return self.solution.backward

    @in_its_language
    def text(self) -> str:
        """The worked solution in plain text."""
        return _text(self.solution)

    @in_its_language
    def markdown(self) -> str:
        """The worked solution in Markdown with inline LaTeX."""
        return _markdown(self.solution)

    @in_its_language
    def latex(self, standalone: bool = False) -> str:
        """The worked solution in LaTeX (paragraphs and ``align*`` blocks; amsmath); ``standalone=True``
        wraps it in a complete document that ``pdflatex`` compiles, whatever the names (see
        :mod:`tinygrad_scalar.teaching.latex`; it raises ``LatexError`` for a character no font has)."""
        return _latex(self.solution, standalone)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_latex_(self) -> str:
        return self.latex()


def worked_solution(root: Value, format: str = "markdown", lang: str | None = None) -> Derivation:  # noqa: A002
    """The whole backward pass of ``root`` as a handout (see the module docstring). ``format`` is
    ``'text'``, ``'markdown'`` or ``'latex'`` (what ``str`` gives; all three are available as methods);
    ``lang`` the language (by default the locale's: :mod:`tinygrad_scalar.core.language`); the graph's
    gradients are not changed."""
    if format not in ("text", "markdown", "latex"):
        raise ValueError(f"format must be 'text', 'markdown' or 'latex', got {format!r}")
    with using(lang) as code:
        return Derivation(_solve(root, code), format)
