"""One naming of a graph, shared by every view: pictures, the stepper, explanations in text, Markdown and LaTeX.

* A labelled value goes by its label.
* An unlabelled value gets a short generated name, ``u1``, ``u2``, ... in topological order; an
  explanation defines it where it first uses it (``u1 = x1·w1``), and a picture writes it in its box.
* An unlabelled output is ``L``.
* No two values share a name: labels win, and generated names skip every name a label took (a
  label used twice is told apart as ``y``, ``y'``).
* A plain number in an expression (a ``Constant``) is written as its number.

>>> from tinygrad_scalar import Value
>>> x, w = Value(2.0, label='x'), Value(3.0, label='w')
>>> y = (w * x + 1.0) ** 2
>>> names = graph_names(y)
>>> [names[n] for n in y._prev[0]._prev]
['u1', '1']
>>> names[y], definition(y._prev[0]._prev[0], names)
('L', 'u1 = w·x')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, op_of, topological_order
from tinygrad_scalar.core.language import number_text

__all__ = [
    "definition",
    "factor",
    "first_uses",
    "graph_names",
    "is_generated",
    "is_negation",
    "latex_name",
    "latex_text",
    "latex_wrap",
    "num",
    "wrap",
    "written",
]

ROOT_NAME = "L"
"""What an unlabelled output is called."""


def num(x: float) -> str:
    """A number as explanations write it: up to 6 significant digits, no trailing zeros, with the decimal symbol
    of the language in use (``0,5`` in German: :func:`tinygrad_scalar.core.language.number_text`)."""
    if x == 0.0:
        return "0"
    return number_text(f"{x:.6g}")


def factor(x: float) -> str:
    """A number as a factor of a product: negative numbers in brackets, ``1 · (-3)``."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def graph_names(root: Value) -> dict[Value, str]:
    """The name of every value of ``root``'s graph (see the module docstring)."""
    order = topological_order(root)
    taken: set[str] = set()
    names: dict[Value, str] = {}
    for node in order:  # labels first: they win
        if node.label and not isinstance(node, Constant):
            name = node.label
            while name in taken:  # the same label on two values: y, y', y''
                name += "'"
            names[node] = name
            taken.add(name)
    if root not in names:
        names[root] = _free(ROOT_NAME, taken)
        taken.add(names[root])
    counter = 0
    for node in order:
        if node in names:
            continue
        if isinstance(node, Constant):
            names[node] = num(node.data)
            continue
        counter += 1
        while f"u{counter}" in taken:
            counter += 1
        names[node] = f"u{counter}"
        taken.add(names[node])
    return names


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "'"
    return name


def is_generated(node: Value, names: dict[Value, str]) -> bool:
    """Whether ``node``'s name was made up (it has no label and is not a number): it needs a definition."""
    return not node.label and not isinstance(node, Constant)


def is_negation(node: Value) -> bool:
    """Whether ``node`` is ``-x``, which the engine makes as ``x * -1``: written and explained as a negation."""
    return node._row is ops.MUL and isinstance(node._b, Constant) and node._b.data == -1.0


def _atomic(text: str) -> bool:
    """A name, a number, a function call or an Iverson bracket that needs no brackets inside a larger expression."""
    if re.fullmatch(r"[A-Za-z_]\w*'*|\d+([.,]\d+)?(e[+-]?\d+)?|\[[^\[\]]*\]", text):
        return True
    call = re.fullmatch(r"[A-Za-z_]\w*\((.*)\)|\|(.*)\|", text)  # tanh(n), |x|: the brackets are its own
    if call is None:
        return False
    return _balanced(call.group(1) if call.group(1) is not None else call.group(2))


def wrap(text: str) -> str:
    """``text`` in brackets unless it is a single name or number: ``(x + 1)``, ``(-3)``, ``w``."""
    return (
        text
        if _atomic(text) or (text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]))
        else f"({text})"
    )


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def latex_name(name: str) -> str:
    """A name in LaTeX: ``x1`` is ``x_{1}``, ``y'`` stays, ``θ1`` is ``\\theta_{1}``, a longer label is upright
    text (any characters, escaped by :func:`latex_text`), a number a number (a decimal comma
    as ``{,}``, so that no space follows it)."""
    match = re.fullmatch(r"([A-Za-z]|[\u0370-\u03ff])(\d*)('*)", name, re.ASCII)
    if match and (match.group(1).isascii() or match.group(1) in _GREEK):
        letter = match.group(1) if match.group(1).isascii() else _GREEK[match.group(1)]
        return letter + (f"_{{{match.group(2)}}}" if match.group(2) else "") + match.group(3)
    if re.fullmatch(r"-?\d+([.,]\d+)?", name, re.ASCII):  # a decimal comma is {,}: no space after it
        return name.replace(",", "{,}")
    if re.fullmatch(r"-?\d+([.,]\d+)?e[+-]?\d+", name, re.ASCII):
        mantissa, exponent = name.split("e")
        return rf"{mantissa.replace(',', '{,}')} \cdot 10^{{{int(exponent)}}}"
    if re.fullmatch(r"[\w.]+( *[-+*/] *[\w.]+)+", name, re.ASCII) and "_" not in name:  # a label like x1*w1 + b
        tokens = re.findall(r"[A-Za-z]\w*|[\d.]+|[-+*/]", name, re.ASCII)
        math = {"*": r"\cdot", "/": "/", "+": "+", "-": "-"}
        return " ".join(math.get(t, latex_name(t) if t[0].isalpha() else t) for t in tokens)
    return r"\mathrm{" + latex_text(name, maths=True) + "}"


_GREEK = {
    **dict(zip("αβγδεζηθικλμνξπρστυφχψω", [
        r"\alpha", r"\beta", r"\gamma", r"\delta", r"\varepsilon", r"\zeta", r"\eta", r"\theta", r"\iota",
        r"\kappa", r"\lambda", r"\mu", r"\nu", r"\xi", r"\pi", r"\rho", r"\sigma", r"\tau", r"\upsilon",
        r"\varphi", r"\chi", r"\psi", r"\omega"])),
    **dict(zip("ΓΔΘΛΞΠΣΥΦΨΩ", [
        r"\Gamma", r"\Delta", r"\Theta", r"\Lambda", r"\Xi", r"\Pi", r"\Sigma", r"\Upsilon", r"\Phi",
        r"\Psi", r"\Omega"])),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX")),  # noqa: RUF001 - Greek capitals drawn as Latin ones
    "ο": "o", "ϱ": r"\varrho",  # noqa: RUF001 - omicron and the rho symbol, which look Latin
    "ϵ": r"\epsilon", "ϑ": r"\vartheta", "ϕ": r"\phi", "ϖ": r"\varpi", "ς": r"\varsigma",
}  # fmt: skip
"""Each Greek letter as LaTeX writes it in maths (an upper-case letter drawn like a Latin one is that letter)."""

_SYMBOLS = {
    "\\": r"\ensuremath{\backslash}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "#": r"\#", "&": r"\&",
    "_": r"\_", "^": r"\mbox{\^{}}", "~": r"\mbox{\~{}}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
    "|": r"\ensuremath{|}", '"': r"\mbox{\ttfamily\char34}", "\t": " ", "\n": " ", "\r": " ",
    "×": r"\ensuremath{\times}", "−": r"\ensuremath{-}",  # noqa: RUF001 - the signs times and minus
    "ı": r"\mbox{\i}",  # noqa: RUF001 - the dotless i
    "÷": r"\ensuremath{\div}", "±": r"\ensuremath{\pm}", "·": r"\ensuremath{\cdot}", "°": r"\ensuremath{{}^\circ}",
    "µ": r"\ensuremath{\mu}", "¹": r"\ensuremath{{}^{1}}", "²": r"\ensuremath{{}^{2}}", "³": r"\ensuremath{{}^{3}}",
    "∂": r"\ensuremath{\partial}", "∇": r"\ensuremath{\nabla}", "∞": r"\ensuremath{\infty}",
    "ß": r"\mbox{\ss}", "æ": r"\mbox{\ae}", "Æ": r"\mbox{\AE}", "œ": r"\mbox{\oe}", "Œ": r"\mbox{\OE}",
    "ø": r"\mbox{\o}", "Ø": r"\mbox{\O}", "ł": r"\mbox{\l}", "Ł": r"\mbox{\L}", "å": r"\mbox{\aa}", "Å": r"\mbox{\AA}",
}  # fmt: skip
"""Characters that are LaTeX's own (``\\ { } $ % # & _ ^ ~``), that the basic OT1 fonts draw as something else
(``< > | "``), and a few symbols and letters with a command of their own."""

_LIGATURES = {"--", "''", "``", "!`", "?`", ",,"}
"""Pairs of characters that LaTeX's fonts print as one (``--`` is a dash): a ``{}`` keeps them two."""

_ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u", "\u0307": ".",
    "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0327": "c",
}  # fmt: skip
"""Combining accents that LaTeX's basic fonts set on any letter: grave, acute, circumflex, tilde, macron, breve,
dot, diaeresis, ring, double acute, caron, cedilla."""


def latex_text(text: str, *, maths: bool = False) -> str:
    r"""Any text a student can type (a label, a name) as LaTeX that prints it exactly, in text or, with
    ``maths=True``, inside ``\mathrm{...}`` (where a space is ``\ `` and a hyphen stays a hyphen, not a minus).

    Nothing in ``text`` can run a command: ``\input{secret.txt}`` prints as written. LaTeX's special
    characters are escaped, accented letters become accent commands (``é`` is ``\'{e}``), Greek letters
    their maths commands, and ligatures are broken (``--`` stays two hyphens). The result needs no package
    and no input or font encoding beyond LaTeX's defaults. A character none of these covers (a Chinese
    character, an emoji) raises ``ValueError`` naming it, rather than a LaTeX error later.

    >>> print(latex_text(r"\input{a_b} 5% café θ"))
    \ensuremath{\backslash}input\{a\_b\} 5\% caf\mbox{\'{e}} \ensuremath{\theta}
    """
    out = []
    for ch, after in zip(text, [*text[1:], ""]):
        if maths and ch in " -":
            out.append(r"\ " if ch == " " else r"\mbox{-}")
        elif ch.isascii() and (ch.isalnum() or ch in " .,;:=+*/()[]@-'`!?"):
            out.append(ch + ("{}" if ch + after in _LIGATURES else ""))
        elif ch in _SYMBOLS:
            out.append(_SYMBOLS[ch])
        elif ch in _GREEK:
            out.append(rf"\ensuremath{{{_GREEK[ch]}}}")
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            base, marks = decomposed[0], decomposed[1:]
            if not (base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks)):
                raise ValueError(
                    f"cannot write {ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}) of {text!r} in LaTeX: "
                    "names and labels may use Latin letters (accents too), Greek letters, digits and punctuation"
                )
            letter = {"i": r"\i", "j": r"\j"}.get(base, base) if marks[0] in "\u0300\u0301\u0302\u0308" else base
            for mark in marks:
                letter = f"\\{_ACCENTS[mark]}{{{letter}}}"
            out.append(rf"\mbox{{{letter}}}")
    return "".join(out)


def latex_wrap(text: str) -> str:
    """A LaTeX expression in brackets unless it is one symbol or number."""
    simple = re.fullmatch(r"([A-Za-z]|\\[A-Za-z]+)(_\{\d+\})?'*|\d+(\.\d+|\{,\}\d+)?", text) is not None
    if not simple and text.startswith(r"\mathrm{") and text.endswith("}"):  # one \mathrm{...} group?
        inner = re.sub(r"\\[{}]", "", text[len(r"\mathrm{") : -1])
        simple = _balanced(inner.replace("{", "(").replace("}", ")"))
    return text if simple else rf"\left({text}\right)"


def written(node: Value, names: dict[Value, str], latex: bool = False) -> str:
    """How a teacher writes the operation that made ``node``, in its parents' names: ``x1·w1``,
    ``tanh(n)``, ``-y`` (text), or the LaTeX of it."""
    op, params = op_of(node, "explanations")
    parents = [names[p] for p in node._prev]
    shown = [latex_wrap(latex_name(p)) if latex else wrap(p) for p in parents]
    if is_negation(node):
        return f"-{shown[0]}"
    if op is ops.ADD and isinstance(node._b, Constant) and node._b.data < 0.0:  # x - 1, made as x + (-1)
        return f"{shown[0]} - {latex_name(num(-node._b.data)) if latex else num(-node._b.data)}"
    if op.expand is not None:
        return f"checkpoint({', '.join(shown)})" if not latex else rf"\operatorname{{checkpoint}}({', '.join(shown)})"
    text = op.writing(shown, params, latex=latex)
    for name in shown:  # tanh((w*x)) needs one pair of brackets, not two
        if name.startswith("(") or name.startswith(r"\left("):
            text = text.replace(f"({name})", name)
    return text


def definition(node: Value, names: dict[Value, str], latex: bool = False) -> str:
    """``u1 = x1·w1``: what a generated name stands for (a leaf: its number)."""
    name = latex_name(names[node]) if latex else names[node]
    if not node._prev:
        return f"{name} = {latex_name(num(node.data)) if latex else num(node.data)}"
    return f"{name} = {written(node, names, latex)}"


def first_uses(order: Sequence[Value], names: dict[Value, str]) -> list[Value]:
    """The values with generated names, in the order the backward pass first meets them."""
    seen: list[Value] = []
    for node in reversed(order):
        for value in (node, *node._prev):
            if is_generated(value, names) and value not in seen:
                seen.append(value)
    return seen
