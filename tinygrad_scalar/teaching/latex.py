"""LaTeX documents that ``pdflatex`` compiles whatever the names, and user text that stays text.

Two kinds of material go into the LaTeX we write, and they are treated differently:

* **Formulas are LaTeX by design**: the table of derivatives' ``latex`` formulas (and a ``defop``'s
  ``latex=`` argument) are written by the author of an operation *as LaTeX*, and are inserted as written,
  inside math mode. They are code, like a ``.tex`` file you write yourself.
* **Everything else is text, and is escaped**: the name of a rule (``defop(..., rule=...)``), labels and
  names, our own sentences. :func:`~tinygrad_scalar.views.naming.latex_text` (the one escaper of the
  package, which the TikZ pictures and Beamer decks use too) makes every character print as itself:
  ``costs $5`` prints a dollar sign, and ``$\\input{secret.txt}$`` prints those characters instead of
  reading a file. Names in formulas go through :func:`tinygrad_scalar.views.naming.latex_name`, which
  escapes them the same way.

A name can be anything a student types: Greek letters (``θ``), accents (``café``), subscript digits
(``x₁``); ``latex_text`` writes each as ASCII LaTeX that needs no package, so a snippet pastes into any
document. ``document(body)`` writes a complete document; its preamble also declares any non-ASCII
character that reaches the body another way (``\\DeclareUnicodeCharacter``, with the same table). A
character that no pdflatex font of a basic TeX Live has (a Chinese one, say) is refused with
``LatexError``, naming it, rather than producing a document that does not compile. Control characters
print as ``\\x1b``.

The preamble uses only ``texlive-latex-base`` and ``lmodern`` (Latin Modern: vector fonts, never Type 3
bitmaps), and stamps no date or random id, so the same input gives the same PDF.

**The class's language.** A document is written in the language in use (:mod:`tinygrad_scalar.core.language`):
German, French and Spanish load ``babel`` for that language (hyphenation, French spacing before ``:``;
Spanish keeps the decimal point and the shorthands off, since our numbers already carry the class's decimal
symbol and a name may hold a ``"``); Chinese is set with the CJK package (``CJKutf8``, the Arphic GB Song
font) around the body, the one case where Chinese characters are allowed. Our own translated sentences go into
the LaTeX through ``latex_words`` (and ``latex_sentence`` inside formulas).
"""

from __future__ import annotations

import re

from tinygrad_scalar.views.naming import (
    BABEL,
    LatexError,
    check_latex_words,
    language_packages,
    latex_char,
    latex_text,
    latex_words,
)

__all__ = [
    "BABEL",
    "PREAMBLE",
    "LatexError",
    "document",
    "language_packages",
    "latex_paragraph",
    "latex_sentence",
    "latex_text",
    "latex_words",
    "unicode_declarations",
]


PREAMBLE = (
    "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{lmodern}\n\\usepackage{amsmath}\n"
    "\\pdfinfoomitdate=1\n\\pdftrailerid{}\n"
)
"""What every document we write loads after ``\\documentclass``: vector fonts, UTF-8 input, amsmath, and
no date or random id in the PDF (the same input gives the same bytes)."""


def latex_sentence(sentence: str, **maths: str) -> str:
    """A translated sentence with named placeholders (``'where %(definition)s'``) as LaTeX maths: its words
    in ``\\text{...}``, each placeholder filled with the LaTeX given for it, in the translation's own order.

    >>> latex_sentence("path %(number)d: %(chain)s", number="2", chain=r"\\frac{1}{2}")
    '\\\\text{path } 2 \\\\text{: } \\\\frac{1}{2}'
    """
    out = []
    for i, piece in enumerate(re.split(r"%\((\w+)\)[sd]", sentence)):
        if i % 2:
            out.append(maths[piece])
        elif piece:
            out.append(r"\text{" + latex_words(piece) + "}")
    return " ".join(out)


def latex_paragraph(sentence: str, **maths: str) -> str:
    """A translated sentence as LaTeX text: its words escaped (``latex_words``), ``**bold**`` in bold, each
    placeholder filled with the LaTeX given for it (maths already in ``$...$``)."""
    out = []
    for i, piece in enumerate(re.split(r"%\((\w+)\)[sd]", sentence)):
        if i % 2:
            out.append(maths[piece])
            continue
        for j, part in enumerate(piece.split("**")):
            out.append(rf"\textbf{{{latex_words(part)}}}" if j % 2 else latex_words(part))
    return "".join(out)


def unicode_declarations(body: str, cjk: bool = False) -> str:
    """The ``\\DeclareUnicodeCharacter`` lines for every non-ASCII character of ``body``, in order of first
    appearance (with ``cjk``, Chinese characters are left to the CJK package); raises ``LatexError`` for a
    character the fonts do not have."""
    checked = check_latex_words(body, cjk)
    characters = dict.fromkeys(ch for ch in checked if ord(ch) > 127)
    return "".join(rf"\DeclareUnicodeCharacter{{{ord(c):04X}}}{{{latex_char(c)}}}" + "\n" for c in characters)


def document(body: str, options: str = "", packages: str = "", lang: str | None = None) -> str:
    """A complete document around ``body``: ``\\documentclass[options]{article}``, ``PREAMBLE``, ``packages``
    (more ``\\usepackage`` lines), what the language needs (``lang``, by default the language in use), the
    declarations of the body's non-ASCII characters, then the body. Control characters in the body print as
    ``\\x1b``."""
    body = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: rf"\text{{\textbackslash{{}}x{ord(m.group()):02x}}}", body)
    head = f"\\documentclass[{options}]{{article}}\n" if options else "\\documentclass{article}\n"
    language, begin, end = language_packages(lang)
    declarations = unicode_declarations(body, cjk=bool(begin))
    return (
        head + PREAMBLE + packages + language + declarations + "\\begin{document}\n" + begin + body + end
        + "\\end{document}\n"
    )  # fmt: skip
