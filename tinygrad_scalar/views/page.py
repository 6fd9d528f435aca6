"""What the pages have in common: data that nothing can break, the legend, and assets that are files.

Every page (the stepper, its ask-before-reveal form, the training replay) carries its data as JSON in
a ``<script type="application/json">`` block. ``script_json`` writes it so that no value can break the
page: a number that JSON has no word for (``NaN``, ``Infinity``) travels as ``{"nonfinite": "NaN"}``,
which the page's ``tgsReadData`` (``assets/data.js``) turns back into the number, and every ``<``,
``>`` and ``&`` is written as a ``\\u`` escape, so that no text (``</script>``, ``<!--``) can end the
block early or hide the page's own script from the browser.

>>> script_json({"loss": float("nan"), "label": "</script><!--"})
'{"loss": {"nonfinite": "NaN"}, "label": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'

A ``LegendEntry`` is one row of a legend, what a fill, an outline or a mark means: pictures
(:mod:`~tinygrad_scalar.views.dot`) list them, and pages and slides draw them. Its meaning is English (marked for
the catalogs where it is written) and is written in the language in use where it is drawn (``meaning_shown``).

A page is written in the language in use (:mod:`tinygrad_scalar.core.language`): ``html_lang`` is its
``<html lang>``, and the sentences its script writes come translated from Python in its data, filled in by
``tgsFill`` (``assets/data.js``).

The pages' style sheets and scripts are package files (``views/assets``, ``teaching/assets``), read
with ``asset``, so that they can be read, linted and formatted as what they are.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.language import current, translated

__all__ = ["LegendEntry", "asset", "html_lang", "legend_html", "script_json"]


@dataclass(frozen=True)
class LegendEntry:
    """One row of a picture's legend: what a fill, an outline or a mark in the picture means.

    ``style`` is ``'fill'`` (a box filled with ``color``), ``'outline'`` (a box outlined in ``color``),
    ``'dashed'`` (a dashed box around values) or ``'mark'`` (``color`` is then a symbol written in the
    picture, such as ``?``). Pages and slides draw the same entries in their own legends.
    """

    style: str
    color: str
    meaning: str

    @property
    def meaning_shown(self) -> str:
        """The meaning in the language in use."""
        return translated(self.meaning)


def html_lang() -> str:
    """The language in use as HTML's ``lang`` attribute writes it (BCP 47: ``de``, ``zh-Hans``)."""
    return current().replace("_", "-")


def _finite(data: object) -> object:
    """``data`` with every float JSON cannot write replaced by its tagged form."""
    if isinstance(data, float) and not math.isfinite(data):
        return {"nonfinite": "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")}
    if isinstance(data, dict):
        return {str(k): _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    if isinstance(data, Value):
        raise TypeError("a page's data holds numbers and text, not Values: give value.data")
    return data


def script_json(data: object) -> str:
    """``data`` as JSON that is safe inside a ``<script type="application/json">`` block (see the module
    docstring); read it back in the page with ``tgsReadData(element)``."""
    text = json.dumps(_finite(data), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def asset(package: str, name: str) -> str:
    """The text of the asset ``name`` of ``package`` (``asset('tinygrad_scalar.views', 'data.js')``)."""
    return (resources.files(package) / "assets" / name).read_text(encoding="utf-8")


def legend_html(entries: Sequence[LegendEntry], css_class: str = "tgs-legend") -> str:
    """A page's legend: one item per entry of a picture's legend."""
    items = []
    for entry in entries:
        style, color, meaning = entry.style, entry.color, entry.meaning_shown
        if style == "fill":
            swatch = f'<span class="tgs-swatch" style="background: {html.escape(color)}; border-width: 1px"></span>'
        elif style in ("outline", "dashed"):
            line = "dashed" if style == "dashed" else "solid"
            look = f"border-color: {html.escape(color)}; border-style: {line}"
            swatch = f'<span class="tgs-swatch" style="{look}"></span>'
        else:
            swatch = f'<span class="tgs-mark">{html.escape(color)}</span>'
        items.append(f"<span>{swatch}{html.escape(meaning)}</span>")
    return f'<div class="{css_class}">{"".join(items)}</div>'
