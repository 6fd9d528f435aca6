"""How explanations write values, operations and local derivatives, in text and in LaTeX.

The pieces every explanation is made of: ``∂L/∂x`` (``d_text``, ``d_latex``), the local derivative of a
node with respect to one parent as a formula in the parents' names or in their numbers
(``local_formula``), the rule it uses (``rule_of``), and an operation applied to its arguments with the
brackets a textbook puts and no more (``apply_written``: ``(x + y)·z``, ``x·w + b``, ``e^(-u)``).

Two rules a teacher checks:

* **Brackets by precedence.** A sum inside a product is bracketed, a product inside a sum is not; a
  negative number is bracketed as a factor or as the right operand of a sum (``3·(-4)``, ``4 + (-3)``).
* **The exponential rule is its own rule.** ``c**x`` with a constant base ``c`` is differentiated by the
  exponential rule, ``c^x·ln(c)``, which is ``e^x`` for Euler's number ``e``; the power rule is for a
  constant exponent. (The table of derivatives has one row, ``pow``, for ``a**b``, with a rule for each
  input: the power rule for ``a``, the exponential rule for ``b``.)
* **One symbol, one derivative.** When one value fills several inputs of an operation (``x·x``, ``x^x``),
  ``∂(x·x)/∂x`` is *the* derivative with respect to that value: the sum of the inputs' local derivatives
  (``x + x``, the product rule; ``x·x^(x - 1) + x^x·ln(x)``). ``local_derivatives`` gives a step's local
  derivatives that way, one per value, and every explanation writes them from there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, contributions, op_of
from tinygrad_scalar.core.language import N_, _, listing, translated
from tinygrad_scalar.views.naming import is_negation, latex_name, latex_wrap, num, wrap

__all__ = [
    "Expr",
    "Local",
    "apply_written",
    "d_latex",
    "d_latex_written",
    "d_text",
    "is_euler",
    "is_number",
    "latex_factor",
    "latex_number",
    "local_derivatives",
    "local_formula",
    "needs_brackets",
    "number_expr",
    "rule_name",
    "rule_of",
    "rule_text",
    "value_expr",
]


def d_text(of: str, by: str) -> str:
    """∂L/∂x in text (a composite in brackets)."""
    return f"∂{wrap(of)}/∂{wrap(by)}"


def d_latex(of: str, by: str) -> str:
    """∂L/∂x in LaTeX, from names."""
    return rf"\frac{{\partial {latex_wrap(latex_name(of))}}}{{\partial {latex_wrap(latex_name(by))}}}"


def d_latex_written(expression: str, by: str) -> str:
    """∂(x^2)/∂x in LaTeX, from an expression already in LaTeX and a name."""
    return rf"\frac{{\partial {latex_wrap(expression)}}}{{\partial {latex_wrap(latex_name(by))}}}"


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain number (perhaps negative, perhaps in brackets)."""
    return bool(re.fullmatch(r"\(?-?\d+([.,]\d+|\{,\}\d+)?(e[+-]?\d+)?\)?", text))


def latex_number(x: float) -> str:
    """A number in LaTeX: ``1.5``, ``2 \\cdot 10^{-7}``, ``\\infty``; a decimal comma is ``{,}``."""
    if math.isnan(x):
        return r"\mathrm{nan}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    return latex_name(num(x))


def latex_factor(x: float) -> str:
    """A number as a factor of a product in LaTeX: negative numbers in brackets."""
    text = latex_number(x)
    return rf"\left({text}\right)" if text.startswith("-") else text


def is_euler(node: Value) -> bool:
    """Whether ``node`` is the constant ``e``."""
    return isinstance(node, Constant) and node.data == math.e


def _exponential(node: Value, slot: int) -> bool:  # the formula: written a^b·ln(a), e^b for Euler's number
    """Whether d(node)/d(parent ``slot``) is the exponential rule: ``a**b`` by its exponent ``b``."""
    return node._row is ops.POW and slot == 1


def rule_of(node: Value, slot: int) -> str:
    """The rule d(node)/d(parent ``slot``) uses, as the table names it for that input (``a**b``: the power rule
    for ``a``, the exponential rule for ``b``). In English: ``rule_text`` writes it in the language in use."""
    if is_negation(node):
        return N_("negation")
    return op_of(node, "explanations")[0].rule_of(slot)


def rule_name(node: Value) -> str:
    """The rule, or the rules joined by ``'; '``, that ``node``'s step uses for the inputs it passes a gradient
    to (the constants' slots left out: ``c**x`` with a constant base is the exponential rule alone)."""
    slots = [i for i, p in enumerate(node._prev) if not isinstance(p, Constant)] or list(range(len(node._prev)))
    return "; ".join(dict.fromkeys(rule_of(node, i) for i in slots)) or rule_of(node, 0)


def rule_text(rule: str) -> str:
    """A rule's name (as ``rule_name`` gives it) in the language in use; the rule ``defop`` names for an
    operation of yours (``chain rule through myop``) with your operation's name, a rule you named as you wrote it;
    several rules (joined by ``'; '``) listed.

    >>> from tinygrad_scalar.core.language import using
    >>> with using("fr"):
    ...     rule_text("product rule"), rule_text("chain rule through myop")
    ('règle du produit', 'règle de dérivation en chaîne appliquée à myop')
    >>> rule_text("power rule; exponential rule")
    'power rule and exponential rule'
    """
    if "; " in rule:
        *items, last = [rule_text(r) for r in rule.split("; ")]
        return _("%(items)s and %(last)s") % {"items": listing(items, numbers=False), "last": last}
    shown = translated(rule)
    yours = re.fullmatch(r"chain rule through (\w+)", rule)
    if shown == rule and yours is not None:
        return _("chain rule through %(operation)s") % {"operation": yours.group(1)}
    return shown


def _dedupe(formula: str, shown: Sequence[str]) -> str:
    for name in shown:  # a bracketed argument of a function needs no second pair: tanh((w*x))
        if name.startswith("(") or name.startswith(r"\left("):
            formula = formula.replace(f"({name})", name)
    return formula


def local_formula(node: Value, slot: int, names: dict[Value, str], latex: bool, values: bool = False) -> str:
    """The formula of d(node)/d(parent ``slot``), written with the parents' names, or with their numbers
    when ``values`` (``1 - tanh(u4)^2``, ``1 - tanh(0.881374)^2``); ``?`` for a checkpointed segment."""
    op, params = op_of(node, "explanations")
    parents = node._prev

    def shown_of(p: Value) -> str:
        return latex_wrap(latex_name(names[p])) if latex else wrap(names[p])

    if is_negation(node):  # -x, made as x * -1: d(-x)/dx = -1
        return ["-1", _number_text(parents[0].data, latex) if values else shown_of(parents[0])][slot]
    if op.expand is not None:  # a checkpointed segment: its derivative has no formula of its own
        return "?"
    if _exponential(node, slot):  # d(a^b)/db = a^b·ln(a); e^b for Euler's number
        power = apply_written(node, [_leaf_expr(p, names, values) for p in parents])
        if is_euler(parents[0]):
            return power.latex if latex else power.text
        base = _leaf_expr(parents[0], names, values)
        if latex:
            return rf"{power.latex} \ln {_bracket(base.latex, base.latex_rank < _ATOM, latex=True)}"
        return f"{_bracket(power.text, power.text_rank < _PRODUCT)}·ln({base.text})"
    if not values:
        shown = [shown_of(p) for p in parents]
        out = latex_name(names[node]) if latex else names[node]
        return _dedupe(op.formula(slot, shown, out, params, latex=latex), shown)
    # with the numbers: write the formula over tokens, then put each number in, bracketed where its place needs
    tokens = [f"@{i}@" for i in range(len(parents))]
    formula = op.formula(slot, tokens, "@o@", params, latex=latex)
    if latex:  # "2 y" is 2·y, but "2 7" is not 14: juxtaposed numbers get a \cdot
        formula = re.sub(r"(\d|@\w+@)\s+(?=@\w+@)", r"\1 \\cdot ", formula)
    numbers = {f"@{i}@": p for i, p in enumerate(parents)} | {"@o@": node}

    def put(match: re.Match[str]) -> str:
        p = numbers[match.group()]
        if isinstance(p, Constant):
            return latex_wrap(latex_name(names[p])) if latex else wrap(names[p])
        text = _number_text(p.data, latex)
        before, after = formula[: match.start()].rstrip(), formula[match.end() :].lstrip()
        enclosed = before.endswith(("(", "{", "|", ",", ";", r"\lvert")) and after.startswith(
            (")", "}", "|", ",", ";", r"\rvert")
        )
        return text if enclosed or not text.startswith("-") else _bracket(text, True, latex)

    return re.sub(r"@\w+@", put, formula)


@dataclass(frozen=True)
class Local:
    """d(node)/d(value) for one value among ``node``'s inputs: the inputs (slots) it fills, each slot's local
    derivative, and the derivative with respect to the value, their sum, as a formula in the names (``text``,
    ``latex``) and with the numbers (``text_values``, ``latex_values``)."""

    parent: Value
    slots: tuple[int, ...]
    locals: tuple[float, ...]  # d(node)/d(input slot), slot by slot, as the engine computes them
    rules: tuple[str, ...]  # each slot's rule (English, as the table names it)
    text: str
    latex: str
    text_values: str
    latex_values: str

    @property
    def value(self) -> float:
        """The local derivative with respect to the value: the slots' local derivatives added in slot order."""
        total = 0.0
        for local in self.locals:
            total += local
        return total

    @property
    def rule(self) -> str:
        """The slots' rules, each once, joined by ``'; '`` (``rule_text`` lists them)."""
        return "; ".join(dict.fromkeys(self.rules))


def local_derivatives(node: Value, names: dict[Value, str]) -> list[Local]:
    """The local derivatives of ``node``'s step, one per value among its inputs (constants included), in the order
    the values first appear: a value that fills several inputs gets the sum of their local derivatives
    (``∂(x·x)/∂x = x + x``). The one place a step's formulas are written."""
    locals_ = contributions(node, 1.0)
    slots: dict[Value, list[int]] = {}
    for i, p in enumerate(node._prev):
        slots.setdefault(p, []).append(i)
    out = []
    for parent, filled in slots.items():
        forms = [
            [local_formula(node, i, names, latex, values) for i in filled]
            for latex in (False, True)
            for values in (False, True)
        ]
        out.append(
            Local(
                parent,
                tuple(filled),
                tuple(locals_[i] for i in filled),
                tuple(rule_of(node, i) for i in filled),
                _sum(forms[0]),
                _sum(forms[2], latex=True),
                _sum(forms[1]),
                _sum(forms[3], latex=True),
            )
        )
    return out


def _sum(terms: Sequence[str], latex: bool = False) -> str:
    """Terms added: ``x + x``, ``1/b - a/b^2`` (a term's leading minus made the sum's); ``?`` if any term is."""
    if "?" in terms:
        return "?"
    out = terms[0]
    for term in terms[1:]:
        if term.startswith("-") and not needs_brackets(term[1:]):
            out += f" - {term[1:].lstrip()}"
        elif term.startswith("-"):
            out += f" + {_bracket(term, True, latex)}"
        else:
            out += f" + {term}"
    return out


def _number_text(x: float, latex: bool) -> str:
    return latex_number(x) if latex else num(x)


def needs_brackets(formula: str) -> bool:
    """Whether a formula (text or LaTeX) needs brackets as a factor of a product: it has a + or a - outside
    every bracket (a leading minus included)."""
    depth = 0
    text = formula.strip().replace(r"\left(", "(").replace(r"\right)", ")")
    for i, c in enumerate(text):
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c in "+-" and depth == 0 and (i == 0 or text[i - 1] == " "):
            return True
    return False


# ---- an operation applied to its arguments, with the brackets a textbook puts -----------------------------

_ATOM, _CALL, _POWER, _PRODUCT, _SIGNED, _SUM = 5.0, 4.0, 3.0, 2.0, 1.5, 1.0
"""How tightly an expression binds: a name or a number; a function call; a power; a product; a negative
number or a negation; a sum. An argument is bracketed when it binds less tightly than its place needs."""


@dataclass(frozen=True)
class Expr:
    """An expression in text and in LaTeX, with how tightly each binds (see ``_ATOM`` ...)."""

    text: str
    latex: str
    text_rank: float = _ATOM
    latex_rank: float = _ATOM


def _bracket(text: str, needed: bool, latex: bool = False) -> str:
    if not needed:
        return text
    return rf"\left({text}\right)" if latex else f"({text})"


def number_expr(x: float, name: str | None = None) -> Expr:
    """A number (or a constant's name, such as ``e``) as an expression: a negative one binds as a sign."""
    text = name if name is not None else num(x)
    latex = latex_name(name) if name is not None else latex_number(x)
    rank = _SIGNED if text.startswith("-") else _ATOM
    return Expr(text, latex, rank, rank)


def value_expr(name: str) -> Expr:
    """A value's name as an expression."""
    return Expr(name, latex_name(name))


def _leaf_expr(p: Value, names: dict[Value, str], values: bool) -> Expr:
    if isinstance(p, Constant):
        return number_expr(p.data, names[p])
    return number_expr(p.data) if values else value_expr(names[p])


def _enclosed(template: object, name: str) -> bool:
    """Whether the template puts the argument ``$name`` in brackets of its own: ``tanh($x)``, ``e^{$x}``."""
    if not isinstance(template, str):
        return False
    match = re.search(r"\$" + re.escape(name) + r"(?![A-Za-z0-9_])", template)
    if match is None:
        return False
    before, after = template[: match.start()].rstrip(), template[match.end() :].lstrip()
    return before.endswith(("(", "{", "|", ",", r"\lvert")) and after.startswith((")", "}", "|", ",", r"\rvert"))


# (the rank each argument needs in text, in LaTeX), and the rank of the result (text, LaTeX)
_NEEDS: dict[str, tuple[tuple[float, ...], tuple[float, ...], float, float]] = {
    "add": ((_SUM, _PRODUCT), (_SUM, _PRODUCT), _SUM, _SUM),
    "mul": ((_PRODUCT, _POWER), (_PRODUCT, _POWER), _PRODUCT, _PRODUCT),
    "div": ((_PRODUCT, _POWER), (0.0, 0.0), _PRODUCT, _CALL),
    "pow": ((_ATOM, _ATOM), (_ATOM, 0.0), _POWER, _POWER),
    "power": ((_ATOM,), (_ATOM,), _POWER, _POWER),
    "exp": ((0.0,), (0.0,), _CALL, _POWER),
}


def apply_written(node: Value, args: Sequence[Expr], minus: bool = False) -> Expr:
    """``node``'s operation applied to ``args`` (its parents, written as names, numbers or expressions),
    as a teacher writes it: ``x·w + b``, ``(x + y)·z``, ``tanh(n)``, ``e^{-u}``. With ``minus``, a sum
    whose second term is negative is written as a difference (``a - cos(k)``, not ``a + (-cos(k))``)."""
    op, params = op_of(node, "explanations")
    if minus and op.name == "add" and len(args) == 2 and args[1].text_rank == _SIGNED and args[1].text.startswith("-"):
        a, b = args
        rest = Expr(b.text[1:], b.latex[1:].lstrip(), _PRODUCT, _PRODUCT)  # -x·y: the sign off, a product remains
        return Expr(f"{a.text} - {rest.text}", f"{a.latex} - {rest.latex}", _SUM, _SUM)
    if is_negation(node):
        (a,) = args[:1]
        return Expr(
            "-" + _bracket(a.text, a.text_rank < _PRODUCT),
            "-" + _bracket(a.latex, a.latex_rank < _PRODUCT, latex=True),
            _SIGNED,
            _SIGNED,
        )
    if op.expand is not None:
        text = ", ".join(a.text for a in args)
        return Expr(f"checkpoint({text})", rf"\operatorname{{checkpoint}}({', '.join(a.latex for a in args)})", _CALL)
    templates = op.written or (None, None)
    if op.name in _NEEDS:
        text_needs, latex_needs, text_rank, latex_rank = _NEEDS[op.name]
    else:
        text_needs = tuple(0.0 if _enclosed(templates[0], i) else _ATOM for i in op.inputs)
        latex_needs = tuple(0.0 if _enclosed(templates[1], i) else _ATOM for i in op.inputs)
        if op.written is None:  # name($x): the call's own brackets
            text_needs, latex_needs = (0.0,) * len(args), (0.0,) * len(args)
        text_rank, latex_rank = _CALL, _CALL
    texts = [_bracket(a.text, a.text_rank < need) for a, need in zip(args, text_needs)]
    latexes = [_bracket(a.latex, a.latex_rank < need, latex=True) for a, need in zip(args, latex_needs)]
    return Expr(op.writing(texts, params), op.writing(latexes, params, latex=True), text_rank, latex_rank)
