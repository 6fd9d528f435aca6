"""LaTeX documents that ``pdflatex`` compiles whatever the names, and user text that stays text.

Two kinds of material go into the LaTeX we write, and they are treated differently:

* **Formulas are LaTeX by design**: the table of derivatives' ``latex`` formulas (and a ``defop``'s
  ``latex=`` argument) are written by the author of an operation *as LaTeX*, and are inserted as written,
  inside math mode. They are code, like a ``.tex`` file you write yourself.
* **Everything else is text, and is escaped**: the name of a rule (``defop(..., rule=...)``), labels and
  names, our own sentences. ``escape_text`` makes every character print as itself: ``costs $5`` prints a
  dollar sign, and ``$\\input{secret.txt}$`` prints those characters instead of reading a file. Names in
  formulas go through :func:`tinygrad_scalar.views.naming.latex_name`, which escapes them the same way.

A name can be anything a student types: Greek letters (``θ``), accents (``café``), subscript digits
(``x₁``). ``document(body)`` writes a complete document whose preamble declares exactly the non-ASCII
characters the body uses (``\\DeclareUnicodeCharacter``): Greek letters as their math symbols, accented
letters as accented text (in math too), sub- and superscript digits as indices. A character that no
pdflatex font of a basic TeX Live has (a Chinese one, say) is refused with ``LatexError``, naming it,
rather than producing a document that does not compile. Control characters print as ``\\x1b``.

The preamble uses only ``texlive-latex-base`` and ``lmodern`` (Latin Modern: vector fonts, never Type 3
bitmaps), and stamps no date or random id, so the same input gives the same PDF.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["PREAMBLE", "LatexError", "document", "escape_text", "unicode_declarations"]


class LatexError(ValueError):
    """A name has a character that pdflatex cannot typeset with the fonts we use; the message names it."""


PREAMBLE = (
    "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{lmodern}\n\\usepackage{amsmath}\n"
    "\\pdfinfoomitdate=1\n\\pdftrailerid{}\n"
)
"""What every document we write loads after ``\\documentclass``: vector fonts, UTF-8 input, amsmath, and
no date or random id in the PDF (the same input gives the same bytes)."""

_TEXT_SPECIALS = str.maketrans(
    {c: "\\" + c for c in "{}$%#&_"}
    | {"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
)


def escape_text(text: str) -> str:
    """``text`` as LaTeX text that prints exactly these characters: no command, no math, no comment.

    >>> escape_text(r"costs $5 \\input{x} 100%")
    'costs \\\\$5 \\\\textbackslash{}input\\\\{x\\\\} 100\\\\%'
    """
    escaped = text.translate(_TEXT_SPECIALS)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: rf"\textbackslash{{}}x{ord(m.group()):02x}", escaped)


# ---- the characters a name may have, and how LaTeX writes them ------------------------------------------

_GREEK_CAPITALS_OF_THEIR_OWN = {
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
}
_GREEK_AS_LATIN = dict(
    Alpha="A",
    Beta="B",
    Epsilon="E",
    Zeta="Z",
    Eta="H",
    Iota="I",
    Kappa="K",
    Mu="M",
    Nu="N",
    Omicron="O",
    Rho="P",
    Tau="T",
    Chi="X",
)
_GREEK_VARIANTS = {
    "ε": r"\varepsilon",  # the modern glyph of epsilon is LaTeX's \varepsilon
    "ϵ": r"\epsilon",
    "φ": r"\varphi",  # likewise phi
    "ϕ": r"\phi",
    "ϑ": r"\vartheta",
    "ς": r"\varsigma",
    "\u03f1": r"\varrho",
    "ϖ": r"\varpi",
    "\u03bf": "o",
    "µ": r"\mu",  # the micro sign
}
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
    "\u0331": "b",
}
_LETTERS = {
    "ß": r"\ss",
    "æ": r"\ae",
    "Æ": r"\AE",
    "ø": r"\o",
    "Ø": r"\O",
    "œ": r"\oe",
    "Œ": r"\OE",
    "ł": r"\l",
    "Ł": r"\L",
    "đ": r"\dj",
    "Đ": r"\DJ",
    "ð": r"\dh",
    "Ð": r"\DH",
    "þ": r"\th",
    "Þ": r"\TH",
    "\u0131": r"\i",
    "ŋ": r"\ng",
    "Ŋ": r"\NG",
}
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ", "0123456789+-=()aeoxhklmnpst"))
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni"))
_SYMBOLS = {
    "·": (r"\textperiodcentered{}", r"\cdot"),
    "\u2032": ("'", "'"),
    "\u2033": ("''", "''"),
    "\u2212": ("-", "-"),
    "∂": (r"$\partial$", r"\partial"),
    "±": (r"$\pm$", r"\pm"),
    "\u00d7": (r"$\times$", r"\times"),
    "←": (r"$\leftarrow$", r"\leftarrow"),
    "→": (r"$\rightarrow$", r"\rightarrow"),
    "≤": (r"$\le$", r"\le"),
    "≥": (r"$\ge$", r"\ge"),
    "…": (r"\dots{}", r"\dots"),
    "\u2013": ("--", "-"),
    "\u2014": ("---", "-"),
    "\u00a0": ("~", r"\ "),
}


def _text_and_math(c: str) -> tuple[str, str] | None:
    """How ``c`` is written in text mode and in math mode, or None when the fonts have no such letter."""
    if c in _GREEK_VARIANTS:
        return rf"\ensuremath{{{_GREEK_VARIANTS[c]}}}", _GREEK_VARIANTS[c]
    name = unicodedata.name(c, "")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if greek:
        word = greek.group(2).capitalize().replace("Lamda", "Lambda")  # Unicode spells it LAMDA
        if greek.group(1) == "SMALL":
            command = "\\" + word.lower()
        elif word in _GREEK_CAPITALS_OF_THEIR_OWN:
            command = "\\" + word
        elif word in _GREEK_AS_LATIN:  # Alpha, Beta, ...: the same glyph as a Latin capital
            command = rf"\mathrm{{{_GREEK_AS_LATIN[word]}}}"
        else:
            return None
        return rf"\ensuremath{{{command}}}", command
    if c in _SUBSCRIPTS:
        return rf"\textsubscript{{{_SUBSCRIPTS[c]}}}", f"{{}}_{{{_SUBSCRIPTS[c]}}}"
    if c in _SUPERSCRIPTS:
        return rf"\textsuperscript{{{_SUPERSCRIPTS[c]}}}", f"{{}}^{{{_SUPERSCRIPTS[c]}}}"
    if c in _SYMBOLS:
        return _SYMBOLS[c]
    text = _LETTERS.get(c) or _accented(c)
    if text is None:
        return None
    return text, rf"\text{{{text}}}"


def _accented(c: str) -> str | None:
    """A Latin letter with accents as LaTeX accent commands (``é``: ``\\'{e}``), or None."""
    decomposed = unicodedata.normalize("NFD", c)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or not base.isascii() or not base.isalpha() or any(m not in _ACCENTS for m in marks):
        return None
    text = {"i": r"\i", "j": r"\j"}.get(base, base)
    for mark in marks:
        text = rf"\{_ACCENTS[mark]}{{{text}}}"
    return text


def unicode_declarations(body: str) -> str:
    """The ``\\DeclareUnicodeCharacter`` lines for every non-ASCII character of ``body``, in order of first
    appearance; raises ``LatexError`` for a character the fonts do not have."""
    lines = []
    for c in dict.fromkeys(ch for ch in body if ord(ch) > 127):
        written = _text_and_math(c)
        if written is None:
            line = next((x for x in body.splitlines() if c in x), "")
            raise LatexError(
                f"pdflatex cannot typeset {c!r} ({unicodedata.name(c, f'U+{ord(c):04X}').lower()}), met in "
                f"{line.strip()[:80]!r}; rename it with Latin or Greek letters, or use the non-standalone LaTeX "
                f"with xelatex or lualatex"
            )
        text, math = written
        lines.append(rf"\DeclareUnicodeCharacter{{{ord(c):04X}}}{{\TextOrMath{{{text}}}{{{math}}}}}")
    return "".join(line + "\n" for line in lines)


def document(body: str, options: str = "", packages: str = "") -> str:
    """A complete document around ``body``: ``\\documentclass[options]{article}``, ``PREAMBLE``, ``packages``
    (more ``\\usepackage`` lines), the declarations of the body's non-ASCII characters, then the body.
    Control characters in the body print as ``\\x1b``."""
    body = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: rf"\text{{\textbackslash{{}}x{ord(m.group()):02x}}}", body)
    head = f"\\documentclass[{options}]{{article}}\n" if options else "\\documentclass{article}\n"
    return head + PREAMBLE + packages + unicode_declarations(body) + "\\begin{document}\n" + body + "\\end{document}\n"
