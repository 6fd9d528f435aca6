"""One naming of a graph, shared by every view: pictures, the stepper, the replays, explanations in text,
Markdown and LaTeX.

* A labelled value goes by its label.
* The output (the root) goes by its label, or ``out`` when it has none. A loss is called ``L`` because the
  functions of :mod:`tinygrad_scalar.training.losses` label their result ``L``; an output that is not a
  loss is never called ``L`` by us.
* Unlabelled values made by operations are ``u1``, ``u2``, ... in forward (topological) order. Leaves do
  not take part in this count, so the same operations get the same numbers whether or not their inputs
  are labelled, in every view.
* An unlabelled leaf is ``v1``, ``v2``, ... in forward order; given ``model=``, the model's weights and
  biases are named after their place in it instead: ``w0``, ``w1``, ``b`` for a ``Neuron``, ``w2.1`` and
  ``b2`` (neuron 2's) for a ``Layer``, ``w1.2.0`` and ``b1.2`` (layer 1, neuron 2) for an ``MLP``.
* No two values share a name: labels win, and generated names skip every name a label took (a
  label used twice is told apart as ``y``, ``y'``).
* A plain number in an expression (a ``Constant``) is written as its number; Euler's number as ``e``.

An explanation defines a generated name where it first uses it (``u1 = x1·w1``), and a picture writes it
in its box.

>>> from tinygrad_scalar import Value
>>> x, w = Value(2.0, label='x'), Value(3.0, label='w')
>>> y = (w * x + 1.0) ** 2
>>> names = graph_names(y)
>>> [names[n] for n in y._prev[0]._prev]
['u1', '1']
>>> names[y], definition(y._prev[0]._prev[0], names)
('out', 'u1 = w·x')
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, op_of, topological_order
from tinygrad_scalar.core.language import current, number_text
from tinygrad_scalar.training.nn import MLP, Layer, Module
from tinygrad_scalar.views.neurons import neurons_of

__all__ = [
    "BABEL",
    "LatexError",
    "check_latex_words",
    "check_pdflatex",
    "definition",
    "factor",
    "first_uses",
    "graph_names",
    "greek_command",
    "is_generated",
    "is_negation",
    "language_packages",
    "latex_char",
    "latex_name",
    "latex_text",
    "latex_words",
    "latex_wrap",
    "num",
    "parameter_names",
    "plain_text",
    "wrap",
    "written",
]

ROOT_NAME = "out"
"""What an unlabelled output is called (a loss is labelled ``L`` by the function that computes it)."""

LEAF_PREFIX, INTERMEDIATE_PREFIX = "v", "u"
"""The letters of generated names: ``v1, v2, ...`` for unlabelled leaves, ``u1, u2, ...`` for the rest."""


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


def graph_names(root: Value, *, model: Module | None = None) -> dict[Value, str]:
    """The name of every value of ``root``'s graph (see the module docstring); ``model`` names the
    unlabelled weights and biases of a ``Neuron``, ``Layer`` or ``MLP`` after their place in it."""
    order = topological_order(root)
    taken: set[str] = set()
    names: dict[Value, str] = {}

    def give(node: Value, name: str) -> None:
        while name in taken:  # the same label on two values: y, y', y''
            name += "'"
        names[node] = name
        taken.add(name)

    for node in order:  # labels first: they win
        if node.label and not isinstance(node, Constant):
            give(node, node.label)
    if root not in names:
        give(root, ROOT_NAME)
    in_graph = set(order)
    for parameter, name in parameter_names(model).items() if model is not None else ():
        if parameter in in_graph and parameter not in names:
            give(parameter, name)
    counters = {LEAF_PREFIX: 0, INTERMEDIATE_PREFIX: 0}
    for node in order:
        if node in names:
            continue
        if isinstance(node, Constant):  # a number; Euler's number is e (unless a label took the name)
            names[node] = "e" if node.data == math.e and "e" not in taken else num(node.data)
            continue
        prefix = INTERMEDIATE_PREFIX if node._prev else LEAF_PREFIX
        counters[prefix] += 1
        while f"{prefix}{counters[prefix]}" in taken:
            counters[prefix] += 1
        give(node, f"{prefix}{counters[prefix]}")
    return names


def parameter_names(model: Module) -> dict[Value, str]:
    """The name of each weight and bias of ``model`` after its place: ``w0``, ``b`` (a ``Neuron``), ``w2.1``,
    ``b2`` (a ``Layer``: neuron 2), ``w1.2.0``, ``b1.2`` (an ``MLP``: layer 1, neuron 2); 0-based, as in code."""
    places = [
        (f"{layer}.{index}" if isinstance(model, MLP) else f"{index}" if isinstance(model, Layer) else "", neuron)
        for _, layer, index, neuron in neurons_of(model)
    ]
    names: dict[Value, str] = {}
    for place, neuron in places:
        names.update({w: f"w{place}.{k}" if place else f"w{k}" for k, w in enumerate(neuron.w)})
        names[neuron.b] = f"b{place}"
    return names


def is_generated(node: Value, names: dict[Value, str]) -> bool:
    """Whether ``node``'s name was made up (it has no label and is not a number): it needs a definition."""
    return not node.label and not isinstance(node, Constant)


def is_negation(node: Value) -> bool:
    """Whether ``node`` is ``-x``, which the engine makes as ``x * -1``: written and explained as a negation."""
    return node._row is ops.MUL and isinstance(node._b, Constant) and node._b.data == -1.0


def _atomic(text: str) -> bool:
    """A name, a number, a function call or an Iverson bracket that needs no brackets inside a larger expression."""
    if re.fullmatch(r"[A-Za-z_]\w*'*|[A-Za-z]\d+(\.\d+)+|\d+([.,]\d+)?(e[+-]?\d+)?|\[[^\[\]]*\]", text):
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
    """A name in LaTeX: ``x1`` is ``x_{1}``, ``y'`` stays, ``θ1`` is ``\\theta_{1}``, a model's parameter
    ``w1.2.0`` is ``w^{(1)}_{2,0}``, a longer label is upright text (any characters, escaped by
    :func:`latex_text`), a number a number (a decimal comma as ``{,}``, so that no
    space follows it)."""
    match = re.fullmatch(r"([A-Za-z]|[\u0370-\u03ff])(\d*)('*)", name, re.ASCII)
    if match and (match.group(1).isascii() or greek_command(match.group(1)) is not None):
        letter = match.group(1) if match.group(1).isascii() else str(greek_command(match.group(1)))
        return letter + (f"_{{{match.group(2)}}}" if match.group(2) else "") + match.group(3)
    place = re.fullmatch(
        r"([wb])(\d+)\.(\d+)(?:\.(\d+))?('*)", name, re.ASCII
    )  # a model's parameter: w1.2.0, w2.1, b1.2
    if place:
        letter, a, b, c, primes = place.groups()
        if letter == "w" and c is not None:  # layer a, neuron b, input c
            return rf"w^{{({a})}}_{{{b},{c}}}{primes}"
        if letter == "w":  # neuron a, input b
            return rf"w_{{{a},{b}}}{primes}"
        if c is None:  # b1.2: layer 1, neuron 2
            return rf"b^{{({a})}}_{{{b}}}{primes}"
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


class LatexError(ValueError):
    """A name or label has a character that pdflatex cannot typeset with LaTeX's basic fonts; the message names it."""


_ASCII = {
    "\\": r"\ensuremath{\backslash}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "#": r"\#", "&": r"\&",
    "_": r"\_", "^": r"\mbox{\^{}}", "~": r"\mbox{\~{}}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
    "|": r"\ensuremath{|}", '"': r"\mbox{\ttfamily\char34}", "\t": " ", "\n": " ", "\r": " ",
}  # fmt: skip
"""ASCII characters that are LaTeX's own (``\\ { } $ % # & _ ^ ~``) or that the basic OT1 fonts draw as something
else (``< > | "``), and white space that would end a line."""

_SYMBOLS = {
    "×": r"\times", "−": "-", "÷": r"\div", "±": r"\pm", "·": r"\cdot", "°": r"{}^\circ",  # noqa: RUF001
    "∂": r"\partial", "∇": r"\nabla", "∞": r"\infty", "←": r"\leftarrow", "→": r"\rightarrow", "≤": r"\le",
    "≥": r"\ge", "…": r"\dots", "\u2032": "{}'", "\u2033": "{}''", "µ": r"\mu",
}  # fmt: skip
"""Symbols, each as its maths command (printed with ``\\ensuremath``, so in text and in maths alike)."""

_TEXT_SYMBOLS = {"\u2013": "--", "\u2014": "---", "\u00a0": "~"}
"""Dashes and the no-break space, as LaTeX's text writes them."""

_LETTERS = {
    "ß": r"\ss", "æ": r"\ae", "Æ": r"\AE", "ø": r"\o", "Ø": r"\O", "œ": r"\oe", "Œ": r"\OE", "ł": r"\l",
    "Ł": r"\L", "å": r"\aa", "Å": r"\AA", "ı": r"\i", "ȷ": r"\j",  # noqa: RUF001 - the dotless i and j
}  # fmt: skip
"""Latin letters with a command of their own in LaTeX's basic fonts."""

_GREEK_VARIANTS = {
    "ε": r"\varepsilon", "ϵ": r"\epsilon", "φ": r"\varphi", "ϕ": r"\phi", "ϑ": r"\vartheta", "ς": r"\varsigma",
    "ϱ": r"\varrho", "ϖ": r"\varpi", "ο": "o",  # noqa: RUF001 - omicron looks Latin
}  # fmt: skip
"""Greek letters whose modern glyph is LaTeX's variant (ε is ``\\varepsilon``), and the symbol forms."""

_GREEK_CAPITALS_OF_THEIR_OWN = {
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}  # fmt: skip
"""Greek capitals with a glyph of their own; the others (Alpha, Beta, ...) are drawn as the Latin capital."""

_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ", "0123456789+-=()aeoxhklmnpst"))
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni"))

_LIGATURES = {"--", "''", "``", "!`", "?`", ",,"}
"""Pairs of characters that LaTeX's fonts print as one (``--`` is a dash): a ``{}`` keeps them two."""

_ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u", "\u0307": ".",
    "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d", "\u0327": "c", "\u0328": "k",
    "\u0331": "b",
}  # fmt: skip
"""Combining accents that LaTeX's basic fonts set on any letter: grave, acute, circumflex, tilde, macron, breve,
dot, diaeresis, ring, double acute, caron, dot below, cedilla, ogonek, bar below."""


def greek_command(c: str) -> str | None:
    """The maths command of a Greek letter (``θ``: ``\\theta``; capital alpha, drawn as a Latin A, ``A``), else None."""
    if c in _GREEK_VARIANTS:
        return _GREEK_VARIANTS[c]
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", unicodedata.name(c, ""))
    if not greek:
        return None
    word = greek.group(2).capitalize().replace("Lamda", "Lambda")  # Unicode spells it LAMDA
    if greek.group(1) == "SMALL":
        return "\\" + word.lower() if word != "Omicron" else "o"
    if word in _GREEK_CAPITALS_OF_THEIR_OWN:
        return "\\" + word
    latin = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I", "Kappa": "K",
             "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X"}  # fmt: skip
    return latin.get(word)


def latex_char(c: str) -> str | None:
    r"""One non-ASCII character as LaTeX that prints it in text and in maths alike, with LaTeX's basic fonts
    and no package (``θ``: ``\ensuremath{\theta}``, ``é``: ``\mbox{\'{e}}``, ``₁``: ``\ensuremath{{}_{1}}``),
    or None when those fonts have no such letter (a Chinese character, an emoji)."""
    if c in _SYMBOLS:
        return rf"\ensuremath{{{_SYMBOLS[c]}}}"
    if c in _TEXT_SYMBOLS:
        return rf"\mbox{{{_TEXT_SYMBOLS[c]}}}"
    if c in _LETTERS:
        return rf"\mbox{{{_LETTERS[c]}}}"
    if c in _SUBSCRIPTS:
        return rf"\ensuremath{{{{}}_{{{_SUBSCRIPTS[c]}}}}}"
    if c in _SUPERSCRIPTS:
        return rf"\ensuremath{{{{}}^{{{_SUPERSCRIPTS[c]}}}}}"
    command = greek_command(c)
    if command is not None:
        return rf"\ensuremath{{{command}}}"
    decomposed = unicodedata.normalize("NFD", c)
    base, marks = decomposed[0], decomposed[1:]
    if not (marks and base.isascii() and base.isalpha() and all(m in _ACCENTS for m in marks)):
        return None
    letter = {"i": r"\i", "j": r"\j"}.get(base, base) if marks[0] in "\u0300\u0301\u0302\u0308" else base
    for mark in marks:
        letter = f"\\{_ACCENTS[mark]}{{{letter}}}"
    return rf"\mbox{{{letter}}}"


def latex_text(text: str, *, maths: bool = False) -> str:
    r"""Any text a student can type (a label, a name) as LaTeX that prints it exactly, in text or, with
    ``maths=True``, inside ``\mathrm{...}`` (where a space is ``'\ '`` and a hyphen stays a hyphen, not a minus).

    Nothing in ``text`` can run a command: ``\input{secret.txt}`` prints as written. LaTeX's special
    characters are escaped, accented letters become accent commands (``é`` is ``\'{e}``), Greek letters
    their maths commands, sub- and superscripts indices, control characters their code (``\x1b``), and
    ligatures are broken (``--`` stays two hyphens). The result is ASCII, needs no package and no input or
    font encoding beyond LaTeX's defaults, except a character none of these covers (a Chinese character, an
    emoji): it stays as it is, in an ``\mbox``, which MathJax, KaTeX, XeLaTeX and LuaLaTeX set and
    pdflatex's basic fonts cannot. What is meant for pdflatex is checked with :func:`check_pdflatex`.

    >>> print(latex_text(r"\input{a_b} 5% café θ₁"))
    \ensuremath{\backslash}input\{a\_b\} 5\% caf\mbox{\'{e}} \ensuremath{\theta}\ensuremath{{}_{1}}
    """
    out: list[str] = []
    kept = -1  # where the last run of characters kept as they are is
    for ch, after in zip(text, [*text[1:], ""]):
        if maths and ch in " -":
            out.append(r"\ " if ch == " " else r"\mbox{-}")
        elif ch.isascii() and (ch.isalnum() or ch in " .,;:=+*/()[]@-'`!?"):
            out.append(ch + ("{}" if ch + after in _LIGATURES else ""))
        elif ch in _ASCII:
            out.append(_ASCII[ch])
        elif ch.isspace():  # a line or paragraph separator, a no-break space: a space in a formula
            out.append(r"\ " if maths else " ")
        elif ch.isascii() or unicodedata.category(ch) == "Cc":  # a control character: its code, printed
            out.append(rf"\ensuremath{{\backslash}}x{ord(ch):02x}")
        else:
            written = latex_char(ch)
            if written is not None:
                out.append(written)
            elif out and kept == len(out) - 1:  # a run of characters kept as they are: one box
                out[-1] = out[-1][:-1] + ch + "}"
            else:
                out.append(rf"\mbox{{{ch}}}")
                kept = len(out) - 1
    return "".join(out)


def _written_forms() -> dict[str, str]:
    """What :func:`latex_text` writes for each character it does not keep as it is, and that character."""
    forms = {r"\ ": " ", r"\mbox{-}": "-", "{}": ""}
    forms |= {written: ch for ch, written in _ASCII.items() if not ch.isspace()}
    greek = [chr(c) for c in range(0x391, 0x3CA) if (greek_command(chr(c)) or "").startswith("\\")]
    for ch in [*_SYMBOLS, *_TEXT_SYMBOLS, *_LETTERS, *_SUBSCRIPTS, *_SUPERSCRIPTS, *_GREEK_VARIANTS, *greek]:
        forms.setdefault(str(latex_char(ch)), ch)  # the first of two letters written alike (ϵ before ε)
    for code in range(0x391, 0x3CA):  # Greek letters drawn as Latin ones (capital alpha, omicron): those
        command = greek_command(chr(code))
        if command is not None and not command.startswith("\\"):
            forms.setdefault(str(latex_char(chr(code))), command)
    return forms


_FORMS = _written_forms()
_ACCENTED = re.compile(r"\\mbox\{((?:\\(?:[`'^~=.\"]|[urHvcdkb])\{)+)(\\[ij]|[A-Za-z])\}+")
_KEPT = re.compile(r"\\mbox\{([^\x00-\x7f]+)\}")
_LATEX_TOKEN = re.compile(
    "|".join([*(re.escape(f) for f in sorted(_FORMS, key=len, reverse=True)), _ACCENTED.pattern, _KEPT.pattern, "."]),
    re.DOTALL,
)


def plain_text(latex: str) -> str:
    r"""The text that :func:`latex_text` wrote as ``latex``, back: what a writer that is not LaTeX (matplotlib's
    mathtext, for the captions of slides) prints. A Greek capital that LaTeX draws as a Latin letter comes back
    as that letter, a tab or a line break as a space, and a control character as its code (``\x1b``).

    >>> plain_text(latex_text(r"\input{a_b} 5% café θ₁", maths=True))
    '\\input{a_b} 5% café θ₁'
    """
    accents = {a: mark for mark, a in _ACCENTS.items()}
    out = []
    for match in _LATEX_TOKEN.finditer(latex):
        token = match.group()
        if token in _FORMS:
            out.append(_FORMS[token])
        elif (kept := _KEPT.fullmatch(token)) is not None:
            out.append(kept.group(1))
        elif (accented := _ACCENTED.fullmatch(token)) is not None:
            marks = [accents[a] for a in re.findall(r"\\([^{])\{", accented.group(1))]
            letter = accented.group(2).removeprefix("\\")
            out.append(unicodedata.normalize("NFC", letter + "".join(reversed(marks))))
        else:
            out.append(token)
    return "".join(out)


def check_pdflatex(latex: str) -> None:
    """Raise :class:`LatexError` naming the first character of ``latex`` (what :func:`latex_text` and the views
    wrote) that pdflatex's basic fonts cannot set: a character no table here covers, kept as it is."""
    for ch in dict.fromkeys(c for c in latex if ord(c) > 127):
        if latex_char(ch) is None:
            line = next((x for x in latex.splitlines() if ch in x), "").strip()
            raise LatexError(
                f"pdflatex cannot typeset {ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}), met in "
                f"{line[:80]!r}: names and labels may use Latin letters (accents too), Greek letters, digits and "
                "punctuation"
            )


BABEL = {"de": "ngerman", "fr": "french", "es": "spanish,es-nodecimaldot,es-noshorthands"}
"""The ``babel`` options of each language that babel sets (English is LaTeX's own; Chinese is set by CJK)."""

_CJK = re.compile(r"([\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+)")
"""Runs of Chinese characters and their punctuation (full-width colon, brackets, comma)."""


def latex_words(text: str) -> str:
    """Our own sentences (translated) as LaTeX text: escaped as ``latex_text`` escapes a name, except the
    characters of a Chinese translation, which the CJK package sets as they are."""
    return "".join(piece if i % 2 else latex_text(piece) for i, piece in enumerate(_CJK.split(text)))


def language_packages(lang: str | None = None) -> tuple[str, str, str]:
    """What a document in ``lang`` (by default the language in use) needs: the ``\\usepackage`` lines, and what
    goes around its body (the CJK environment for Chinese)."""
    code = lang or current()
    if code == "zh_Hans":
        return "\\usepackage{CJKutf8}\n", "\\begin{CJK}{UTF8}{gbsn}\n", "\\end{CJK}\n"
    if code in BABEL:
        return f"\\usepackage[{BABEL[code]}]{{babel}}\n", "", ""
    return "", "", ""


def check_latex_words(latex: str, cjk: bool = False) -> str:
    """``check_pdflatex`` on ``latex``, with Chinese characters left to the CJK package when ``cjk`` (a Chinese
    document or slide); returns what was checked, the text without them."""
    checked = _CJK.sub("", latex) if cjk else latex
    check_pdflatex(checked)
    return checked


def latex_wrap(text: str) -> str:
    """A LaTeX expression in brackets unless it is one symbol or number."""
    simple = (
        re.fullmatch(r"([A-Za-z]|\\[A-Za-z]+)(\^\{\(\d+\)\})?(_\{\d+(,\d+)?\})?'*|\d+(\.\d+|\{,\}\d+)?", text)
        is not None
    )
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
