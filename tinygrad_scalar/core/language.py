"""The class's language: every sentence we write for learners, translated through gettext catalogs.

The package writes its teaching text (explanations, rule names, hints, worksheets, the stepper's buttons)
in English, German, French, Spanish or Simplified Chinese:

>>> with using("de"):
...     print(translated(N_("product rule")), number_text("0.5"))
Produktregel 0,5
>>> choose("fr-FR"), choose("zh-CN")
('fr', 'zh_Hans')

**Which language.** A ``lang=`` argument (or ``--lang`` on the command line) wins; inside ``with
using(lang):`` that language holds; otherwise the locale decides, as gettext reads it: the first of
``LANGUAGE`` (a colon-separated list of preferences), ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set,
and within it the first language we write. A language asked for by name that we do not write is an error
(``UnknownLanguageError``), with the languages we do; a locale we do not write (``ja_JP.UTF-8``, ``C``) is
English, as every gettext program does: a machine's settings never stop a command.

**Messages.** In the source, every message is a whole English sentence with named placeholders,
``_("step %(index)d: %(name)s")``, so that a translation can put the words in its own order; messages that are
data (the table's rule names) are marked with ``N_`` where they are written and translated with ``translated``
where they are shown. ``make locale`` extracts them with Babel into ``tinygrad_scalar/locale/`` and compiles
the catalogs; the package reads the compiled ``.mo`` files with the standard library's ``gettext``.

**Numbers.** A number is written with the class's decimal symbol (CLDR's: a comma in German, French and
Spanish, a point in English and Chinese) and the same digits; where numbers are listed, a language with a
decimal comma separates them with a semicolon, as German textbooks do (``x = 0,5; y = 2``). Answers are read
with either symbol (``read_number``).
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Language",
    "UnknownLanguageError",
    "_",
    "choose",
    "current",
    "in_its_language",
    "language",
    "listing",
    "ngettext",
    "number_text",
    "read_number",
    "rjust",
    "sentences",
    "translated",
    "using",
]

DOMAIN = "tinygrad_scalar"
"""The gettext domain: the catalogs are ``LOCALE_DIR/<code>/LC_MESSAGES/tinygrad_scalar.mo``."""
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
"""Where the catalogs live, inside the package (they ship in the wheel)."""


@dataclass(frozen=True)
class Language:
    """One language we write: its code, its name in itself, and how its classes write numbers."""

    code: str  # the catalog's name: 'de', 'zh_Hans'
    name: str  # in the language itself: 'Deutsch'
    decimal: str  # CLDR's decimal symbol for the language ('.' or ',')
    sentence_gap: str = " "  # what separates two sentences: nothing in Chinese, whose full stop is wide

    @property
    def separator(self) -> str:
        """What separates listed numbers: a semicolon where the decimal symbol is a comma."""
        return "; " if self.decimal == "," else ", "


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "."),
        Language("de", "Deutsch", ","),
        Language("fr", "français", ","),
        Language("es", "español", ","),
        Language("zh_Hans", "简体中文", ".", sentence_gap=""),
    )
}
"""The languages we write, English (the source's) first; the decimal symbols are CLDR's (a test checks them
against Babel's copy of CLDR)."""

_ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans", "c": "en", "posix": "en"}
"""Spellings of a language besides its code and code_REGION (case and '-' or '_' do not matter)."""
_NOT_SHIPPED = {"zh_tw", "zh_hk", "zh_mo", "zh_hant"}
"""Spellings of a language we do not write that would otherwise look like one we do (Traditional Chinese)."""


class UnknownLanguageError(ValueError):
    """A language asked for by name that we do not write."""


def _known(text: str) -> str | None:
    """The code of the language ``text`` names ('de', 'de_AT', 'de-AT.UTF-8', 'zh-Hans-CN'), or None."""
    key = re.split(r"[.@]", text.strip())[0].replace("-", "_").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if key in _NOT_SHIPPED or any(key.startswith(k + "_") for k in _NOT_SHIPPED):
        return None
    for code in LANGUAGES:
        if key == code.lower() or key.startswith(code.lower() + "_"):
            return code
    return None


def choose(lang: str | None = None) -> str:
    """The code of the language to write in: ``lang`` when given (``UnknownLanguageError`` when we do not
    write it), else the one ``using`` set, else the locale's (see the module docstring)."""
    if lang is not None:
        code = _known(lang) if isinstance(lang, str) else None
        if code is None:
            offered = ", ".join(f"{c} ({language.name})" for c, language in LANGUAGES.items())
            raise UnknownLanguageError(f"no explanations in language {lang!r}; choose one of {offered}")
        return code
    chosen = _current.get()
    return chosen if chosen is not None else _from_locale()


def _from_locale() -> str:
    """The locale's language, read as gettext reads it; English when it names none we write."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            for wanted in value.split(":"):
                code = _known(wanted) if wanted else None
                if code is not None:
                    return code
            if variable != "LANGUAGE":  # gettext: LANGUAGE is a list of wishes, the others decide
                return "en"
    return "en"


_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("tinygrad_scalar_language", default=None)


@contextmanager
def using(lang: str | None = None) -> Iterator[str]:
    """Write in ``lang`` (``None``: as ``choose`` decides) inside the ``with`` block; yields the code."""
    code = choose(lang)
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


class _Speaks(Protocol):
    @property
    def lang(self) -> str: ...


_S = TypeVar("_S", bound=_Speaks)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_its_language(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Run ``method`` in the language of its object (its ``lang``): an explanation made in French is written
    in French, whenever and wherever it is printed."""

    @functools.wraps(method)
    def speaking(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with using(self.lang):
            return method(self, *args, **kwargs)

    return speaking


def current() -> str:
    """The code of the language being written now."""
    return choose(None)


def language(lang: str | None = None) -> Language:
    """The ``Language`` ``choose(lang)`` names."""
    return LANGUAGES[choose(lang)]


@functools.cache
def _catalog(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as file:
            return gettext.GNUTranslations(file)
    except OSError as error:  # a broken installation, not a choice: say which file is missing
        raise FileNotFoundError(
            f"the {code} catalog {path} cannot be read ({error}); reinstall tinygrad-scalar"
        ) from None


def _(message: str) -> str:
    """``message`` (a literal English sentence) in the current language."""
    return _catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The sentence for ``n`` things (``singular`` when n is 1 in English) in the current language."""
    return _catalog(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a message marked for extraction, not translated yet
    """Mark ``message`` for the catalogs where it is written as data; ``translated`` translates it where shown."""
    return message


def translated(message: str) -> str:
    """A message marked with ``N_`` (a rule's name, a mistake's name), in the current language; a message no
    catalog has (a rule ``defop`` was given) stays as written."""
    return _catalog(current()).gettext(message)


def number_text(text: str, latex: bool = False) -> str:
    """A number as the package writes it (``'-0.5'``, ``'1.5e-07'``) with the current language's decimal
    symbol, digits unchanged; in LaTeX a decimal comma is ``{,}``, so that no space follows it."""
    decimal = language().decimal
    if decimal == ".":
        return text
    return text.replace(".", "{,}" if latex else decimal)


def sentences(items: Sequence[str]) -> str:
    """Whole sentences (each translated whole) one after the other, as the language writes them."""
    return language().sentence_gap.join(items)


def listing(items: Sequence[str], numbers: bool = True) -> str:
    """Items listed in a sentence: numbers or equations as ``x = 0,5; y = 2`` where the decimal symbol is a
    comma (``numbers=False``: names, always ``w, x, b``)."""
    return (language().separator if numbers else ", ").join(items)


def rjust(text: str, width: int) -> str:
    """``text`` right-aligned in a column ``width`` characters wide, as a terminal shows it: a Chinese
    character takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return " " * max(0, width - shown) + text


_NUMBER = re.compile(r"([+-]?)(\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE]([+-]?\d{1,3}))?")


def read_number(text: str) -> float:
    """A number a learner typed, with a decimal point or a decimal comma: ``'0,5'``, ``'-1.25'``, ``'2e-3'``,
    ``'\u22123'`` (a typographic minus sign), spaces around it ignored; ``ValueError`` for anything else
    (``'1,000.5'``, ``'inf'``). A comma is always the decimal symbol: ``'1,000'`` is one, as a German class reads it."""
    match = _NUMBER.fullmatch(text.strip().replace("\u2212", "-"))
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a number")
    sign, digits, exponent = match.groups()
    return float(sign + digits.replace(",", ".") + (f"e{exponent}" if exponent else ""))
