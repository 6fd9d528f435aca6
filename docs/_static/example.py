"""The Python of the site's example page (``example.html``), which ``example.js`` runs in the browser with the
site's own Pyodide and this package's wheel.

``show(fragment)`` reads the address's fragment with the package's reader
(:func:`tinygrad_scalar.teaching.link.read_fragment`) and makes what ``tinygrad-scalar explain`` makes of the same
example: the stepper's page (``stepper(root).html()``, ``stepper(root, ask=True).html()``) or the worked solution
(``worked_solution(root, "markdown")``, as HTML with its formulas left for MathJax). It answers in JSON, for the
page to show: ``{"error": message}`` when the link opens nothing (with ``expression`` when the link's expression
could be read), else the example's title, its mode, the
fragment of each mode, ``page`` (a whole HTML page, shown in a sandboxed frame) or ``solution`` (HTML), and
``note`` when the page is not in the link's language. Every answer has ``words``: the page's own words (its buttons,
its messages) in the language shown (:func:`tinygrad_scalar.teaching.link.page_words`).

The language: the link's ``lang`` goes to the package's call as ``lang=``; a language the package does not
write opens in English, and the page says so. The messages of a link that opens nothing (the parser's too) are
written in the link's language.
"""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from tinygrad_scalar.core.expression import ExpressionError
from tinygrad_scalar.teaching.explanations import worked_solution
from tinygrad_scalar.teaching.link import MODES, LinkError, page_words, read_fragment
from tinygrad_scalar.teaching.stepper import stepper
from tinygrad_scalar.views.dot import DotNotFoundError, RenderError


def _math(tex: str, options: dict[str, Any]) -> str:
    """A formula as MathJax finds it (``\\(...\\)`` in the text), escaped for HTML; the plugin wraps it in a
    ``<span class="math inline">`` (or a ``<div>``)."""
    open_, close = (r"\[", r"\]") if options.get("display_mode") else (r"\(", r"\)")
    return f"{open_}{html.escape(tex)}{close}"


MARKDOWN = MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, renderer=_math, allow_labels=False)
"""Markdown as the site's pages read it (markdown-it with dollar math, as MyST), with no raw HTML."""


def solution_html(markdown: str) -> str:
    """The worked solution's Markdown as HTML, its formulas left for MathJax to typeset."""
    return MARKDOWN.render(markdown)


def in_language(function: Callable[..., Any], lang: str) -> tuple[dict[str, str], str | None]:
    """The keywords that ask ``function`` for the language ``lang``, and a note for the page when it cannot: a
    language the package does not write opens in English, and says so."""
    from tinygrad_scalar.core.language import LANGUAGES, UnknownLanguageError, choose

    if lang == "en":
        return {}, None
    if "lang" in inspect.signature(function).parameters:
        try:
            return {"lang": choose(lang)}, None
        except UnknownLanguageError:
            pass
    return {}, (
        f"This example is shown in English: the link asks for the language {lang!r}, and this version of "
        f"tinygrad_scalar writes {', '.join(sorted(LANGUAGES))}."
    )


def _language(fragment: str) -> str:
    """The language of the page for ``fragment``: its ``lang`` when the package writes it, else English."""
    from tinygrad_scalar.core.language import UnknownLanguageError, choose

    try:
        return choose(read_fragment(fragment).lang)
    except (LinkError, UnknownLanguageError):
        return "en"


def show(fragment: str) -> str:
    """What the page shows for the address's ``fragment``, as JSON (see the module's docstring)."""
    from tinygrad_scalar.core.language import using

    with using(_language(fragment)) as code:
        words = {"words": page_words(code), "lang": code.replace("_", "-")}
        example = None
        try:
            example = read_fragment(fragment)
            root = example.evaluate()
            if example.mode == "solution":
                language, note = in_language(worked_solution, example.lang)
                body = {"solution": solution_html(str(worked_solution(root, "markdown", **language)))}
            else:
                language, note = in_language(stepper, example.lang)
                body = {"page": stepper(root, ask=example.mode == "ask", **language).html()}
        except (LinkError, ExpressionError) as error:  # the expression, once read, is quoted (as text) with the message
            expression = {"expression": example.expression} if example else {}
            return json.dumps({"error": str(error)} | expression | words)
        except (DotNotFoundError, RenderError) as error:
            return json.dumps({"error": f"the pictures could not be drawn: {error}"} | words)
        modes = {mode: "#" + example.with_mode(mode).fragment() for mode in MODES}
        shown = {"title": example.title(), "mode": example.mode, "modes": modes, **body}
        return json.dumps(shown | ({"note": note} if note else {}) | words)
