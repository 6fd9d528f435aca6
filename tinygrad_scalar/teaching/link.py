"""A link that opens a worked example: the expression, its values, the mode and the language, carried in the
fragment of an address of the documentation site's page ``example.html``, which works the example out in the
browser (Pyodide, served by the site).

>>> address("(w*x + b)**2", {"x": 2, "w": 3, "b": 1}, base_url="https://example.org/tinygrad-scalar/")
'https://example.org/tinygrad-scalar/example.html#expr=(w*x%20%2B%20b)**2&at=x=2,w=3,b=1&mode=stepper&lang=en'
>>> read_fragment("#expr=(w*x%20%2B%20b)**2&at=x=2,w=3,b=1&mode=stepper&lang=en").values
(('x', 2.0), ('w', 3.0), ('b', 1.0))

The fragment is ``key=value`` pairs joined by ``&``, always written in this order:

* ``expr``: the expression, as the command line takes it, percent-encoded (``%20`` a space, ``%2B`` a plus);
* ``at``: the values, ``name=number`` joined by commas, as ``--at`` takes them; each number is the shortest text
  that reads back as the same double (``6.881373587019543``), so the page computes with exactly the command
  line's inputs;
* ``mode``: ``stepper`` (step through the pass), ``ask`` (ask for each gradient before revealing it) or
  ``solution`` (the worked solution, typeset);
* ``lang``: the language of the explanation, a language code (``en``, ``de``, ``zh_Hans``). The link carries the
  code as it is; the page passes it to the package as ``lang=`` where the package takes one, and otherwise
  shows English and says so.

Reading is strict, so a mistyped or tampered link says what is wrong instead of showing something else: an
unknown or repeated key, a broken ``%`` escape, bytes that are not UTF-8, a number that is not finite (``nan``,
``1e999``), a name that ``--at`` refuses, more than ``MAX_FRAGMENT`` characters (refused before anything is
decoded). The expression goes through the package's own parser (:func:`tinygrad_scalar.core.expression.evaluate`),
which runs no code. A browser never sends an address's fragment anywhere, not even to the site.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.core.expression import evaluate, parse_assignments
from tinygrad_scalar.core.graph import gradient_pass
from tinygrad_scalar.core.language import LANGUAGES, _, using

__all__ = [
    "KEYS",
    "MAX_FRAGMENT",
    "MODES",
    "PAGE",
    "Example",
    "LinkError",
    "address",
    "every_page_words",
    "page_address",
    "page_words",
    "read_fragment",
]

PAGE = "example.html"
"""The site's page that opens an example, at the site's root."""

MODES = ("stepper", "ask", "solution")
"""What the page shows: the step-through page, the page that asks before it reveals, or the worked solution."""

KEYS = ("expr", "at", "mode", "lang")
"""The keys of a fragment, in the order they are written."""

MAX_FRAGMENT = 2000
"""The longest fragment, in characters as the address carries it (percent-encoded): an address stays under the
2,048 characters that browsers, mail programs and chats keep whole."""

_WHERE = "the link's at="
"""How messages about the values name them (``parse_assignments`` says ``--at`` on the command line)."""

_SAFE = "*()/"
"""Characters of an expression written as they are (besides letters, digits and ``-._~``): the address stays
readable. A space is ``%20``, a plus ``%2B`` (some programs read a bare ``+`` as a space)."""

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}", re.ASCII)
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class LinkError(ValueError):
    """A link that cannot be made or read; the message says what is wrong and what to do, on one line."""


@dataclass(frozen=True)
class Example:
    """An example a link opens: the expression, its values in order, the mode (one of ``MODES``) and the
    language code. Making one checks everything but the expression (:meth:`evaluate` parses that), so an
    example that exists has a fragment that reads back as itself."""

    expression: str
    values: tuple[tuple[str, float], ...]
    mode: str = "stepper"
    lang: str = "en"

    def __post_init__(self) -> None:
        object.__setattr__(self, "expression", self.expression.strip())
        if not self.expression:
            raise LinkError("the expression is empty")
        if any(unicodedata.category(ch) == "Cc" for ch in self.expression):
            raise LinkError("the expression has a line break or another control character; write it on one line")
        for name, number in self.values:
            if not math.isfinite(number):
                raise LinkError(f"the value of {name} is {number}; a link carries only finite numbers")
        folded = _names(self.values)
        if folded != [name for name, _x in self.values]:
            raise LinkError(f"write the names as the expression reads them: {', '.join(folded)}")
        if self.mode not in MODES:
            raise LinkError(f"the mode {_shown(self.mode)} is not one of {', '.join(MODES)}")
        if not _LANGUAGE.fullmatch(self.lang):
            raise LinkError(f"the language {_shown(self.lang)} is not a language code like en, de or zh_Hans")
        if len(self.fragment()) > MAX_FRAGMENT:
            raise LinkError(
                f"the link would be {len(self.fragment())} characters after its '#'; a link carries at most "
                f"{MAX_FRAGMENT}: link a shorter expression"
            )

    def fragment(self) -> str:
        """The fragment of the address, without its ``#``."""
        at = ",".join(f"{quote(name, safe='')}={_number(x)}" for name, x in self.values)
        return f"expr={quote(self.expression, safe=_SAFE)}&at={at}&mode={self.mode}&lang={self.lang}"

    def with_mode(self, mode: str) -> Example:
        """The same example in another mode."""
        return dataclasses.replace(self, mode=mode)

    def title(self) -> str:
        """``(w*x + b)**2 at x = 2, w = 3, b = 1``: the example in one line, with the numbers as the link has them
        (``bei`` in German: the words in the language in use)."""
        values = ", ".join(f"{name} = {_number(x)}" for name, x in self.values)
        if not values:
            return self.expression
        return _("%(expression)s at %(values)s") % {"expression": self.expression, "values": values}

    def evaluate(self) -> Value:
        """The example's graph, checked as ``tinygrad-scalar explain`` checks it: the expression through the
        package's parser (:class:`~tinygrad_scalar.core.expression.ExpressionError` when it is not in the
        language), every value used, at least one variable, a graph the stepper can draw in the modes that
        step, and in the mode that asks, finite numbers only (a question cannot ask for an infinite or undefined
        gradient)."""
        from tinygrad_scalar.teaching.stepper import MAX_STEPPER_NODES  # the stepper's modules load when needed

        variables = {name: Value(x, label=name) for name, x in self.values}
        root = evaluate(self.expression, variables)
        graph = set(topological_order(root))
        unused = [name for name, v in variables.items() if v not in graph]
        if unused:
            raise LinkError(f"{_WHERE} gives a value for {unused[0]!r}, which the expression does not use")
        if not variables:
            raise LinkError("the expression is a constant: it has no variable, so there is no gradient to explain")
        if self.mode != "solution" and len(graph) > MAX_STEPPER_NODES:
            raise LinkError(
                f"this graph has {len(graph)} values; the stepper draws one picture per step and takes at most "
                f"{MAX_STEPPER_NODES}: link a smaller expression, or the worked solution (mode=solution)"
            )
        if self.mode == "ask":
            numbers = [v.data for v in graph] + list(gradient_pass(root).grads.values())
            if not all(math.isfinite(x) for x in numbers):
                raise LinkError(
                    "at these values the pass has an infinite or undefined (NaN) number, which a question cannot "
                    "ask for: open the example step by step (mode=stepper) or as the worked solution (mode=solution)"
                )
        return root


_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/|$)")
"""The start of a host name, like 'example.org/' or 'localhost.localdomain:8000', written without a scheme."""


def address(
    expression: str, values: Mapping[str, float], *, mode: str = "stepper", lang: str = "en", base_url: str = ""
) -> str:
    """The address that opens ``expression`` at ``values`` on the site whose root is ``base_url`` (see
    :func:`page_address`), checked as the page will check it, so an address that is made opens.

    Raises ``LinkError`` (or the parser's ``ExpressionError``), both ``ValueError``, saying what is wrong."""
    numbers = tuple((name, ieee.as_float(x, f"the value of {name}")) for name, x in values.items())
    example = Example(expression, numbers, mode, lang)
    example.evaluate()
    return f"{page_address(base_url)}#{example.fragment()}"


def page_address(base_url: str = "") -> str:
    """The address of the example page on the site whose root is ``base_url``: ``example.html`` itself when
    ``base_url`` is empty (a relative address, to put after the site's own), ``BASE/example.html`` for a site's
    address, ``base_url`` itself when it already names an ``.html`` page. ``base_url`` is an http or https address
    or a path, with no ``?`` or ``#`` of its own: the page loads Python, which a browser does only from a web
    server, so a ``file:`` address would not open."""
    if not base_url:
        return PAGE
    if any(unicodedata.category(ch) == "Cc" or ch.isspace() for ch in base_url):
        raise LinkError(f"the site's address {base_url!r} has a space or a control character")
    if "#" in base_url or "?" in base_url:
        raise LinkError(f"the site's address {base_url!r} has a '#' or a '?'; give the address of the site's root")
    scheme = urlsplit(base_url).scheme.lower()
    if not scheme and _HOST.match(base_url):
        raise LinkError(
            f"the site's address {base_url!r} looks like a host without http:// or https://: write "
            f"https://{base_url} (or ./{base_url} for a folder of that name)"
        )
    if scheme == "file":
        raise LinkError(
            "the example page loads Python, which a browser does only from a web server, not from a file: serve "
            "the site (python3 -m http.server -d site) and give its address, like http://127.0.0.1:8000/"
        )
    if scheme not in ("", "http", "https"):
        raise LinkError(
            f"the site's address {base_url!r} starts with {scheme}:, which is not a web address; "
            "give the whole address, like https://example.org/tinygrad-scalar/ or http://127.0.0.1:8000/"
        )
    if base_url.lower().endswith(".html"):
        return base_url
    return base_url.rstrip("/") + "/" + PAGE


def read_fragment(text: str) -> Example:
    """The example an address's fragment (with or without its ``#``) describes, checked; a ``LinkError`` that
    says what is wrong when it describes none. ``mode`` and ``lang`` may be left out (``stepper``, ``en``)."""
    text = text.removeprefix("#")
    if len(text) > MAX_FRAGMENT:
        raise LinkError(f"the address is {len(text)} characters after its '#'; a link carries at most {MAX_FRAGMENT}")
    if not text.strip():
        raise LinkError("the address has nothing after its '#'; a link gives at least expr= and at=")
    fields: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        raw_key, sep, raw = part.partition("=")
        key = _decode(raw_key, "a key")
        if key not in KEYS:
            hint = f"; values go in at=, like at={key}=2,y=3" if key.isidentifier() and sep else ""
            raise LinkError(f"{_shown(key)} is not a key of a link, which has {', '.join(KEYS)}{hint}")
        if not sep:
            raise LinkError(f"{key} has no '='; a link's parts are key=value, joined by '&'")
        if key in fields:
            raise LinkError(f"{key}= is given twice")
        fields[key] = raw
    if "expr" not in fields:
        raise LinkError("the address has no expr=: the expression is missing")
    pairs = []
    for pair in fields.get("at", "").split(","):
        if not pair:
            continue
        raw_name, sep, raw_number = pair.partition("=")
        name, number = _decode(raw_name, "a name in at="), _decode(raw_number, "a number in at=")
        if not sep:
            raise LinkError(f"at= takes name=number pairs joined by commas, like at=x=2,w=3; got {_shown(name)}")
        _check_identifier(name)
        pairs.append((name, _read_number(name, number)))
    values = tuple(zip(_names(pairs), (x for _name, x in pairs)))
    mode = _decode(fields.get("mode", "stepper"), "mode=")
    lang = _decode(fields.get("lang", "en"), "lang=")
    return Example(_decode(fields["expr"], "expr="), values, mode, lang)


def _names(values: Sequence[tuple[str, float]]) -> list[str]:
    """The names of ``values`` as the expression reads them (folded to NFKC), refused as ``--at`` refuses them."""
    for name, _x in values:
        _check_identifier(name)
    return list(parse_assignments([f"{name}={_number(x)}" for name, x in values], _WHERE))


def _check_identifier(name: str) -> None:
    if not unicodedata.normalize("NFKC", name).isidentifier():
        raise LinkError(f"{_shown(name)} is not a name for a value: use letters, digits and _, like x1 or w_2")


def _decode(raw: str, what: str) -> str:
    """``raw`` percent-decoded as UTF-8, refused when an escape is broken or the bytes are not UTF-8."""
    if _BROKEN_ESCAPE.search(raw):
        raise LinkError(f"{what} has a '%' that is not followed by two hexadecimal digits (the link is cut or garbled)")
    try:
        return unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise LinkError(f"{what} has %-escapes that are not UTF-8 text (the link is cut or garbled)") from None


def _read_number(name: str, text: str) -> float:
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        raise LinkError(f"the value of {_shown(name)} is {_shown(text)}, which is not a number like 2, -0.5 or 1e-3")
    value = float(text)
    if not math.isfinite(value):
        raise LinkError(f"the value of {_shown(name)} is {text}, too large for a float (it would be infinite)")
    return value


def _number(x: float) -> str:
    """The shortest text that reads back as ``x``, without a needless ``.0`` or ``+``: ``2``, ``6.88``, ``1e-05``."""
    text = repr(x).replace("e+", "e")
    return text[:-2] if text.endswith(".0") else text


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short when long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def page_words(lang: str | None = None) -> dict[str, str]:
    """The example page's own words in ``lang`` (by default the language in use): its mode buttons, its notes
    while Python starts, and its messages. The page (``docs/_static/example.js``) shows them as text; the site
    writes every language's words into ``_static/example-words.js`` when it is built, for the words the page
    shows before Python runs, and the page's Python answers with the words of the language it chose.
    ``%(name)s`` marks where the page puts a value; ``%(start)s`` and ``%(end)s`` the words of a link."""
    with using(lang):
        return {
            "stepper": _("Step through"),
            "ask": _("Answer first"),
            "solution": _("Worked solution"),
            "modes": _("how to show this example"),
            "frame": _("the example, step by step"),
            "starting": _(
                "Starting Python in this page: twenty seconds to a minute the first time. Nothing is sent anywhere."
            ),
            "loading": _("Loading tinygrad_scalar into Python…"),
            "working": _("Working out the example…"),
            "broken": _("This link does not open an example."),
            "reason": _("%(reason)s."),
            "expression": _("The link's expression: %(expression)s"),
            "made": _(
                "Links are made by %(command)s and open as they were made; a link cut short or edited by hand can "
                "break."
            ),
            "examples": _("%(start)sSee the examples on this page%(end)s, or ask whoever sent the link for a new one."),
            "file": _(
                "This page runs Python, which a browser loads only from a web server, not from a file: serve the site "
                "(python3 -m http.server -d site) and open http://127.0.0.1:8000/example.html with the same '#...'."
            ),
            "long": _("The address is %(length)s characters after its '#'; a link carries at most %(most)s."),
            "python": _("Python could not run in this page: %(error)s"),
            "mathjax": _("The formulas could not be typeset (%(error)s); they show as LaTeX."),
        }


def every_page_words() -> dict[str, dict[str, str]]:
    """``page_words`` of every language we write, by its code (what the site writes for the page)."""
    return {code: page_words(code) for code in LANGUAGES}
