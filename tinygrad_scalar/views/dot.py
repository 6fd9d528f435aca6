"""Pictures of computation graphs, drawn with graphviz.

``draw_dot(root)`` gives the picture the micrograd lecture made popular: one record per value
(``label | data … | grad …``), a small node per operation, and edges from the inputs to the
operation to its result. It returns a ``graphviz.Digraph``, which Jupyter shows inline as SVG;
``save_graph(root, 'graph.svg')`` (or ``.png``, ``.pdf``, ``.dot``) writes it in one call.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x')
>>> print(draw_dot(x * 3).source.splitlines()[0])
digraph {

Options add what a class needs: colours that say what each value is, as far as the picture can
know (``KINDS``), explained by a legend in the picture; gradients hidden as ``?`` for exercises;
on every edge the contribution it carried back (local derivative x upstream gradient); values
that sum several contributions outlined (the sum rule made visible); each neuron of a model in
its own box. Labels and formatted numbers are escaped, so they show exactly as written.

Building the DOT source needs only the small ``graphviz`` Python package; rendering it (SVG, PNG,
PDF, Jupyter) needs Graphviz's ``dot`` program. Rendering fails clearly: ``DotNotFoundError``
says how to install ``dot``, ``RenderError`` quotes what a failing ``dot`` said, and
``RenderTimeoutError`` stops a ``dot`` that takes longer than ``RENDER_TIMEOUT`` seconds.

In the browser (Pyodide, the site's lab) there is no ``dot`` program: there ``render`` draws the same
DOT source with Viz.js, Graphviz compiled to WebAssembly, which the lab ships as the package ``viz_js``.
Viz.js draws SVG (and DOT's own text formats), and it cannot be stopped after ``RENDER_TIMEOUT``.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_scalar.core.engine import Constant, Value, contributions, topological_order
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.core.language import N_, _, current, number_text, using
from tinygrad_scalar.training.nn import MLP, Layer, Module
from tinygrad_scalar.views.naming import graph_names
from tinygrad_scalar.views.neurons import NeuronCall, model_inputs, neuron_calls
from tinygrad_scalar.views.page import LegendEntry

__all__ = [
    "COLORS",
    "FORMATS",
    "KINDS",
    "MAX_FORMAT_DIGITS",
    "MAX_NODES",
    "MIN_TEXT_PX",
    "NOTEBOOK_WIDTH",
    "RENDER_TIMEOUT",
    "DotNotFoundError",
    "Drawn",
    "Graph",
    "GraphTooLargeError",
    "RenderError",
    "RenderTimeoutError",
    "check_number_format",
    "draw_dot",
    "field_texts",
    "format_number",
    "number_format_problem",
    "readable_svg",
    "save_graph",
    "save_svg",
]

KINDS = {
    "output": ("#bbf7d0", N_("the output, where the backward pass starts")),
    "drawn": ("#d9f99d", N_("the value drawn from: its gradient came back from further on")),
    "parameter": ("#fde68a", N_("a parameter (weight or bias)")),
    "input": ("#bae6fd", N_("an input: data fed to the model")),
    "leaf": ("#e9d5ff", N_("a leaf Value you made (an input, a weight or a bias)")),
    "number": ("#e5e7eb", N_("a plain number lifted into the graph (the 2 of 2*x, or a float input)")),
    "intermediate": ("#ffffff", N_("the result of an operation")),
    "neuron": ("#fbcfe8", N_("a neuron: each input's weight (the edge comes into its row), bias, sum z, activation")),
}
"""Each kind of value node: its fill colour and what the picture's legend says it is.

What a leaf *is* can only be told from what ``draw_dot`` is given. Without ``model=`` (or
``parameters=``), a leaf made with ``Value(...)`` may be an input or a weight, so it is a *leaf
Value*; a plain number that an operation lifted into the graph is a *number*. With ``model=``, the
model's weights and biases are *parameters*, and the leaves its neurons multiply them with are its
*inputs*. In the lecture's ``draw_dot(n(x))`` the weights are leaf Values and the inputs ``x``, given
as floats, are numbers; ``draw_dot(n(x), model=n)`` names them parameters and inputs.

The root is the *output* when the backward pass starts there (its gradient shown is 1, or 0 before
any pass, or not known); a root whose gradient is something else was *drawn* from the middle of a
larger graph (the replay's neuron, whose gradient comes from the network's output). A *neuron* is a box of a picture
at the level of neurons.
"""

COLORS = {kind: color for kind, (color, _meaning) in KINDS.items()}
"""Fill colour of each kind of value node (from ``KINDS``)."""

SUM_COLOR = "#dc2626"
"""Outline of a value whose gradient sums several contributions (with ``sum_rule=True``); black
without colours."""

MAX_NODES = 200
"""The default ``max_nodes``: the most values drawn unless asked for more.

Measured on a 2-core machine with Graphviz 2.43 (the shape of issue 15, 8 groups of repeated
multiplications of one ``x``, the hardest for ``dot`` because ``x`` feeds every product): 120 values
render in 0.3 s, 160 in 0.9 s, 200 in 2.1-2.7 s, 240 in 4.7-10 s. Ordinary graphs are far
cheaper (an MLP(2, [16, 16, 1]) on one sample, 1009 values, in 0.5 s); a value used by 60
operations in a row takes 4-6 s at only 60 values, which is what ``RENDER_TIMEOUT`` is for.
"""

MIN_TEXT_PX = 12.0
"""The smallest text a picture in a notebook is shrunk to, in CSS pixels: a wider picture scrolls instead."""

NOTEBOOK_WIDTH = 900.0
"""The width of a notebook's output cell, in CSS pixels, that a picture shrinks to fit when its text allows."""

RENDER_TIMEOUT = 20.0
"""Seconds ``dot`` may take to render one picture before it is stopped with ``RenderTimeoutError``."""

MAX_FORMAT_DIGITS = 50
"""The widest width and the longest precision a number format may ask for (``%50.50f``)."""

FORMATS = ("svg", "png", "pdf", "dot")
"""What ``save_graph`` writes: Graphviz's formats, or the DOT source itself."""

_INSTALL_HINT = (
    "Graphviz's 'dot' program is not installed (or not on PATH), and rendering a graph needs it. "
    "Install it with 'apt-get install graphviz' (Debian, Ubuntu), 'brew install graphviz' (macOS) "
    "or 'conda install graphviz'; 'make test' installs it for you. "
    "Building the DOT source (draw_dot(...).source) works without it."
)


class DotNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, and it is not on ``PATH``."""


class GraphTooLargeError(ValueError):
    """The graph has more value nodes than ``max_nodes``: such a picture is unreadable."""


class RenderError(RuntimeError):
    """Graphviz's ``dot`` is installed but failed to render a graph.

    ``dot_said`` is the gist of what ``dot`` wrote on its standard error, and ``broken_install`` is
    true when that says the installation itself is broken (no layout engine or output format).
    """

    def __init__(self, dot_said: str, *, broken_install: bool = False) -> None:
        self.dot_said = dot_said
        self.broken_install = broken_install
        fix = (
            "Graphviz's installation looks broken: run 'dot -c' as root to register its plugins, or reinstall it"
            if broken_install
            else "the DOT source (graph.source, or save_graph(root, 'graph.dot')) shows what dot was given"
        )
        super().__init__(f"Graphviz's dot failed: {dot_said}. {fix}.")


class RenderTimeoutError(RenderError):
    """``dot`` did not finish within the time limit (``RENDER_TIMEOUT`` seconds by default)."""

    def __init__(self, seconds: float, values: int) -> None:
        self.seconds = seconds
        self.values = values
        RuntimeError.__init__(
            self,
            f"Graphviz's dot did not finish laying out this graph of {values} values within {seconds:g} s, and was "
            f"stopped. Draw a part of it (draw_dot(some_inner_value)), or save the DOT source "
            f"(save_graph(root, 'graph.dot')) and run dot on it yourself, without a time limit.",
        )
        self.dot_said = f"stopped after {seconds:g} s"
        self.broken_install = False


_BROKEN_INSTALL = re.compile(r"not recognized|no formats found|layout engine|dot -c|plugin", re.IGNORECASE)


def _summarise(stderr: bytes) -> str:
    """The first two lines ``dot`` wrote on standard error, on one line and at most 200 characters."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    said = "; ".join(lines[:2]) or "no message"
    return said if len(said) <= 200 else said[:197] + "..."


def _require_dot() -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise DotNotFoundError(_INSTALL_HINT)
    return dot


def _render(source: str, format: str, engine: str, timeout: float, values: int) -> bytes:  # noqa: A002 - graphviz's name
    """The picture of the DOT ``source`` in ``format`` (``'svg'``, ``'png'``, ...), laid out by ``engine``.

    Graphviz's ``dot`` program draws it, stopped after ``timeout`` seconds; where there is no ``dot`` and
    Python runs in the browser (Pyodide), Viz.js draws it (see the module's docstring). ``values`` is the
    number of values of the graph, for the messages.
    """
    if shutil.which("dot") is None and sys.platform == "emscripten":
        return _render_with_viz_js(source, format, engine)
    command = [_require_dot(), f"-T{format}", f"-K{engine}"]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderTimeoutError(timeout, values) from None
    if done.returncode != 0:
        said = _summarise(done.stderr)
        raise RenderError(said, broken_install=bool(_BROKEN_INSTALL.search(said)))
    return done.stdout


_VIZ_JS_FORMATS = ("svg", "dot", "xdot", "plain", "json")  # what Viz.js writes: SVG and Graphviz's text formats

_viz: Any = None  # Viz.js, once loaded in this browser tab


def _render_with_viz_js(source: str, format: str, engine: str) -> bytes:  # noqa: A002 - graphviz's name
    """Viz.js's picture of ``source``: its ES module (from the lab's package ``viz_js``) is imported into the
    page's JavaScript once, and ``pyodide.ffi.run_sync`` waits for it, so drawing stays a plain call."""
    global _viz
    if format not in _VIZ_JS_FORMATS:
        raise ValueError(
            f"in the browser, graphs are drawn by Viz.js, which writes {', '.join(_VIZ_JS_FORMATS)} but not "
            f"{format}: save the picture as .svg (a PNG or PDF needs Graphviz's dot, on a desktop)"
        )
    from importlib.resources import files

    from pyodide.code import run_js  # Pyodide's own modules: this runs only in the browser
    from pyodide.ffi import run_sync, to_js

    if _viz is None:
        try:
            module = (files("viz_js") / "viz.js").read_text(encoding="utf-8")
        except ModuleNotFoundError:
            raise DotNotFoundError(
                "in the browser there is no dot program, and Viz.js, which draws instead, is not installed: "
                "the site's lab ships it as the package viz_js"
            ) from None
        load = run_js(_LOAD_VIZ_JS)
        try:
            _viz = run_sync(load(module))
        except RuntimeError as error:  # no JavaScript Promise Integration: the browser cannot wait synchronously
            raise DotNotFoundError(
                f"in the browser, graphs are drawn by Viz.js, and this browser cannot wait for it ({error}): "
                "open the lab in Chromium, Chrome or Edge"
            ) from None
    result = _viz.render(source, to_js({"format": format, "engine": engine}, dict_converter=_js_object))
    if result.status != "success":
        said = "; ".join(str(e.message).strip() for e in result.errors) or "no message"
        raise RenderError(f"Viz.js: {said}")
    return str(result.output).encode("utf-8")


_LOAD_VIZ_JS = """async (code) => {
  const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
  try { return await (await import(url)).instance(); } finally { URL.revokeObjectURL(url); }
}"""
"""Imports Viz.js's ES module from its text (through a blob: address, so nothing is fetched) and starts it."""


def _js_object(entries: Any) -> Any:
    """A JavaScript object from key-value pairs (Viz.js's options are a plain object, not a Map)."""
    import js  # Pyodide's bridge to JavaScript, only in the browser

    return js.Object.fromEntries(entries)


@dataclass(frozen=True)
class Drawn:
    """One node of a ``draw_dot`` picture, as plain text (not DOT's escapes): what a writer that draws the
    same picture another way reads (:mod:`tinygrad_scalar.views.tikz`), so that it shows the same names,
    numbers and colours without working them out again.

    ``role`` is ``'value'`` (a record: ``texts`` is the name, ``'data …'`` and ``'grad …'``),
    ``'operation'`` (``texts`` is its label), ``'contribution'`` (the number on an edge, with
    ``edge_grads=True``), and at the level of neurons ``'neuron'`` (one call of a neuron: ``texts`` is its
    title) or ``'input'`` (an input drawn once for every neuron it feeds: ``texts`` as a value's). The
    legend is not a node: it is the graph's label, its rows in ``Graph.legend_entries``.
    """

    role: str
    texts: tuple[str, ...]
    value: Value | None = None
    kind: str | None = None  # a value drawn in colour: its KINDS entry
    outline: str | None = None  # a value outlined with highlight=: the colour
    summed: bool = False  # with sum_rule=True: its gradient sums several contributions
    cluster: int | None = None  # with model=: the box (cluster_<n>) it is drawn in


class Graph(graphviz.Digraph):  # type: ignore[misc]  # graphviz is untyped
    """A ``graphviz.Digraph`` whose rendering fails clearly: it checks for the ``dot`` program first
    (and says how to install it), stops ``dot`` after ``timeout`` seconds (``RenderTimeoutError``)
    in ``pipe``, and so in ``save_graph`` and in Jupyter, and turns a failure of ``dot`` into a
    ``RenderError`` with what ``dot`` said. graphviz's own ``render`` (which writes files beside the
    source) has no time limit. In Jupyter the picture fits the cell as long as its text stays readable,
    and scrolls beyond (see ``_repr_mimebundle_``)."""

    timeout: float = RENDER_TIMEOUT
    """Seconds ``dot`` may take for one picture."""

    values: int = 0
    """How many value nodes the graph has (for the messages)."""

    legend_entries: list[LegendEntry] = []  # noqa: RUF012 - replaced by draw_dot on each graph, never mutated
    """What each fill, outline and mark of the picture means: the rows of its legend (pages and slides
    draw them in their own legends)."""

    drawn: dict[str, Drawn]
    """Each DOT node ``draw_dot`` made, by its DOT name (``v3``, ``v3op``, ``n0``), as plain text."""

    cluster_titles: list[str]
    """The title of each box (``cluster_0``, ``cluster_1``, ...), with ``model=``."""

    lang: str = "en"
    """The language the picture is written in (its legend, its numbers' decimal symbol)."""

    stacked: bool = False
    """Whether each value's fields are stacked, its name over its data over its gradient (else in a row)."""

    def pipe(  # the part of graphviz's signature that draws a picture
        self,
        format: str | None = None,  # noqa: A002 - graphviz's name
        quiet: bool = True,  # dot's standard error is always captured, for RenderError
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> Any:  # bytes, or str with an encoding, as graphviz's own pipe
        """The rendered picture (``format``: ``'svg'``, ``'png'``, ``'pdf'``, ...), as bytes, or as text
        when ``encoding`` is given."""
        picture = _render(self.source, format or self.format, engine or self.engine, self.timeout, self.values)
        return picture.decode(encoding) if encoding else picture

    def render(self, *args: Any, **kwargs: Any) -> Any:
        _require_dot()
        try:
            return super().render(*args, **kwargs)
        except graphviz.CalledProcessError as error:
            said = _summarise(error.stderr or b"")
            raise RenderError(said, broken_install=bool(_BROKEN_INSTALL.search(said))) from None

    def _repr_mimebundle_(self, *args: Any, **kwargs: Any) -> Any:
        """The SVG at a size whose text stays readable (``readable_svg``), marked *unconfined*: JupyterLab
        shows SVG output as an ``<img>`` of the picture's own width and height, and without the mark it
        shrinks the image to the cell. So the picture fits the cell while its text stays at least
        ``MIN_TEXT_PX``, and a wider one scrolls sideways."""
        bundle = super()._repr_mimebundle_(*args, **kwargs)
        svg = bundle.get("image/svg+xml")
        if svg is None:
            return bundle
        bundle["image/svg+xml"] = readable_svg(svg)
        return bundle, {"image/svg+xml": {"unconfined": True}}


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
_FONT_SIZE = re.compile(r'font-size="([\d.]+)"')


def readable_svg(svg: str, width: float = NOTEBOOK_WIDTH, least: float = MIN_TEXT_PX) -> str:
    """``svg`` (as ``dot -Tsvg`` writes it) sized to ``width`` CSS pixels when its smallest text stays at
    least ``least`` pixels high, else as small as that text allows (then it is wider: let it scroll);
    never larger than its natural size. The width and height are set in pixels, the view box kept."""
    size = _SVG_SIZE.search(svg)
    fonts = [float(f) for f in _FONT_SIZE.findall(svg)]
    if size is None or not fonts:
        return svg
    natural_width, natural_height = (float(v) * 4 / 3 for v in size.groups())  # points, in CSS pixels
    smallest = min(fonts) * 4 / 3  # the text's size at the natural size, in CSS pixels
    scale = min(1.0, max(width / natural_width, least / smallest))
    tag = f'<svg width="{natural_width * scale:.0f}px" height="{natural_height * scale:.0f}px"'
    return svg[: size.start()] + tag + svg[size.end() :]


def escape_record_text(text: str) -> str:
    """``text`` as a field of a Graphviz record label, shown exactly as written.

    In record labels ``{ } | < >`` structure the record and spaces separate tokens, so they are
    escaped with a backslash; so are ``"`` and the backslash itself (``\\N`` would otherwise print
    the node's name). A newline becomes a line break.
    """
    out = []
    for ch in text:
        if ch in '\\{}|<>" ':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    return "".join(out)


_CONVERSION = re.compile(
    r"%(?P<key>\([^)]*\))?(?P<flags>[-+ #0]*)(?P<width>\*|\d*)(?:\.(?P<precision>\*|\d*))?(?P<type>.?)"
)


def check_number_format(fmt: object) -> None:
    """Raise ``ValueError`` saying what is wrong with ``fmt`` as the format of the numbers (``fmt=``); ``None``
    is the default (see ``format_number``)."""
    if fmt is None:
        return
    problem = number_format_problem(fmt) if isinstance(fmt, str) else "it is not a string or None"
    if problem:
        raise ValueError(f"fmt={fmt!r} is not a printf-style format of one number: {problem}")


def number_format_problem(fmt: str) -> str | None:
    """What is wrong with ``fmt`` as the printf-style format of one float, or ``None`` when it is fine.

    A format has exactly one conversion of a float (``e E f F g G``, as in ``'%.4f'``, ``'%+.2e'``),
    a width and a precision of at most ``MAX_FORMAT_DIGITS``, and any other text (``%%`` for a
    percent sign). Whole-number conversions (``%d``) are refused because they cannot show ``inf``
    or ``nan``. The answer names no parameter, so each interface can say it in its own words.

    >>> number_format_problem('%.2f')
    >>> number_format_problem('%d')
    "'%d' formats whole numbers, which cannot show inf or nan; use '%.0f' instead"
    """
    if len(fmt) > 100:
        return f"it is {len(fmt)} characters long; at most 100, like '%.4f'"
    conversions = []
    for match in _CONVERSION.finditer(fmt):
        if match.group("type") == "%" and match.group(0) == "%%":
            continue
        conversions.append(match)
    if len(conversions) != 1:
        found = "no conversion" if not conversions else f"{len(conversions)} conversions"
        return f"it has {found}; it needs exactly one, like '%.4f' or '%.2e' (write a percent sign as '%%')"
    spec = conversions[0]
    kind = spec.group("type")
    if spec.group("key") is not None or "*" in (spec.group("width"), spec.group("precision")):
        return f"{spec.group(0)!r} is not supported; write a plain format such as '%.4f'"
    if kind in "diu" and kind:
        return f"{spec.group(0)!r} formats whole numbers, which cannot show inf or nan; use '%.0f' instead"
    if not kind or kind not in "eEfFgG":
        return f"{spec.group(0)!r} does not format a number; use one of %e %f %g, like '%.4f' or '%.2e'"
    for part in ("width", "precision"):
        digits = spec.group(part)
        if digits and int(digits) > MAX_FORMAT_DIGITS:
            return f"the {part} {int(digits)} is too large; at most {MAX_FORMAT_DIGITS} digits, like '%.4f'"
    return None


PLAIN_RANGE = (1e-4, 1e6)
"""The magnitudes the default format writes as plain decimals (``2.0000``); outside, it writes them in
scientific notation (``4.2484e-18``)."""


def format_number(fmt: str | None, x: float) -> str:
    """``x`` written with the printf-style format ``fmt`` (one that ``number_format_problem`` accepts), with the
    decimal symbol of the language in use (``2,5000`` in German).

    ``None`` is the default of every picture and table: micrograd's look, ``'%.4f'``, for 0 and for magnitudes
    from 1e-4 up to 1e6, and the same five significant digits in scientific notation outside, ``'%.4e'``; so a
    number other than 0 is never written ``0.0000`` (a vanishing gradient stays visible) and no number takes
    more than 12 characters. A format you give is used as given. (The stepper, the animations, the practice
    pictures and the slides use ``%g`` formats of their own, shorter boxes for slides: ``%g`` too turns to
    scientific notation far from 1 and never writes a number other than 0 as 0.)

    >>> [format_number(None, x) for x in (2.0, 0.0, 4.248354255291589e-18, 1e300, -123456.789)]
    ['2.0000', '0.0000', '4.2484e-18', '1.0000e+300', '-123456.7890']
    """
    if fmt is None:
        low, high = PLAIN_RANGE
        fmt = "%.4f" if x == 0.0 or not math.isfinite(x) or low <= abs(x) < high else "%.4e"
    return number_text(fmt % x)


def field_texts(data: float | None, grad: float | None, fmt: str | None) -> tuple[str, str]:
    """The data and grad fields of a value's box, ``('data 2.0000', 'grad -1.5000')``; ``None`` is a number
    not known yet, shown as ``?``. Every picture of a value writes its fields with this function."""
    return (
        "data " + ("?" if data is None else format_number(fmt, data)),
        "grad " + ("?" if grad is None else format_number(fmt, grad)),
    )


UNKNOWN_MARK = LegendEntry("mark", "?", N_("not computed yet"))
"""The legend's row for the ``?`` of a number not computed yet."""

HIDDEN_MARK = LegendEntry("mark", "?", N_("a gradient to work out"))
"""The legend's row for the ``?`` of a gradient hidden for an exercise."""

NOT_ASKED = "\u2013"
"""What a box shows for a gradient that is not asked (``blank=``): an en dash."""

BLANK_MARK = LegendEntry("mark", NOT_ASKED, N_("a gradient not asked"))
"""The legend's row for the dash of a gradient not asked."""

EDGE_MARK = LegendEntry("mark", "1.5", N_("on an edge: the contribution it carried back (local derivative x upstream)"))
"""The legend's row for the numbers that ``edge_grads`` writes on the edges."""

NEURON_BOX = LegendEntry("dashed", "#6b7280", N_("the values one call of one neuron made"))
"""The legend's row for the dashed box around each neuron call (``model=``, at the level of values)."""


def _kind(node: Value, root: Value, params: set[Value], inputs: set[Value]) -> str:
    if node is root:
        return "output"
    if node in params:
        return "parameter"
    if node in inputs:
        return "input"
    if node._prev:
        return "intermediate"
    return "number" if isinstance(node, Constant) else "leaf"


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    fmt: str | None = None,
    show_grad: bool = True,
    edge_grads: bool = False,
    sum_rule: bool = False,
    parameters: Iterable[Value] = (),
    model: Module | None = None,
    level: str | None = None,
    colors: bool = True,
    legend: bool = True,
    max_nodes: int = MAX_NODES,
    timeout: float = RENDER_TIMEOUT,
    highlight: Mapping[Value, str] | None = None,
    outlines: Mapping[str, str] | None = None,
    unknown: Iterable[Value] = (),
    pending: Iterable[Value] = (),
    blank: Iterable[Value] = (),
    names: Mapping[Value, str] | None = None,
    grads: Mapping[Value, float] | None = None,
    compact: bool = False,
    fontsize: float = 14.0,
    lang: str | None = None,
) -> Graph:
    """Draw the computation graph that ``root`` depends on.

    Args:
        root: the value to draw from, usually the output or the loss.
        rankdir: ``'LR'`` (left to right, the default) or ``'TB'`` (top to bottom).
        fmt: printf-style format of the numbers (see ``number_format_problem``); by default ``'%.4f'``, in
            scientific notation below 1e-4 and from 1e6 on (see ``format_number``).
        show_grad: ``False`` shows every gradient as ``?``, for exercises.
        edge_grads: put on each edge from a parent to an operation the contribution it carried
            back in the last backward pass (local derivative x upstream gradient).
        sum_rule: outline the values whose gradient is the sum of several contributions (used more
            than once), with the number of contributions.
        parameters: values to colour as parameters; ``model.parameters()`` when ``model`` is given.
        model: an ``nn`` model (``Neuron``, ``Layer`` or ``MLP``): its parameters and inputs are
            coloured as such and named after their place (``w1.0.2``: layer 1, neuron 0, input 2).
        level: ``'neurons'`` draws one box per call of a neuron (its weighted sum ``z``, activation and
            bias), one node per input, and each weight on its edge; ``'values'`` draws every value,
            with each neuron call in a dashed box. With a ``Layer`` or an ``MLP`` the default is
            ``'neurons'`` (``'values'`` with ``edge_grads`` or ``sum_rule``), otherwise ``'values'``.
        colors: ``False`` for the plain black-and-white look (no fills, no legend, black outlines).
        legend: with colours, a legend in the picture says what each fill, outline and mark means.
        max_nodes: refuse pictures with more nodes than this (``MAX_NODES`` by default).
        timeout: seconds ``dot`` may take to render the picture (``RENDER_TIMEOUT`` by default).
        highlight: values to outline, each with its colour (the stepper marks the current value).
        outlines: what each colour of ``highlight`` means, for the legend (``{'#dc2626': 'a wrong
            gradient'}``); every colour needs one when the legend is drawn.
        unknown: values whose gradient is not known yet, shown as ``?``.
        pending: values the forward pass has not computed yet: their number and gradient show as ``?``.
        blank: values whose gradient is not asked (a worksheet's target): their gradient shows as a dash.
        names: the name each value goes by in the picture; by default the graph's one naming
            (:func:`tinygrad_scalar.views.naming.graph_names`): labels, ``u1``, ``u2``, ... for
            unlabelled results of operations, ``out`` for an unlabelled output, the same names
            explanations use.
        grads: the gradient to show for each value instead of its ``grad`` (such as
            ``fresh_gradients(root)``, or a pass in progress): a view reads gradients, never writes them.
        compact: stack each value's name, data and gradient in a small box, also left to right
            (micrograd's look, the default, writes them in a row).
        fontsize: the size of the text, in points.
        lang: the language of the legend (``'de'``, ``'fr'``, ``'es'``, ``'zh_Hans'``; by default the one in
            use, else the locale's: :mod:`tinygrad_scalar.core.language`), and the decimal symbol of the numbers.
            The graph remembers it (``.lang``), so that its TikZ picture is written in the same language.

    Returns:
        A ``Graph`` (a ``graphviz.Digraph``): ``.source`` is the DOT text, ``.legend_entries`` the rows of
        its legend, ``.drawn`` each node as plain text (what :mod:`tinygrad_scalar.views.tikz` reads); in
        Jupyter it shows as SVG (see ``Graph``).

    The DOT source is deterministic: nodes are numbered in topological order, so the same graph
    gives the same text on every run and every machine. Labels and formatted numbers are escaped,
    so they show exactly as written.
    """
    with using(lang):  # the legend's words and the numbers' decimal symbol
        if rankdir not in ("LR", "TB"):
            raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
        check_number_format(fmt)
        if level is None:  # the contributions on edges and the sum rule are drawn on values
            level = "neurons" if isinstance(model, (Layer, MLP)) and not (edge_grads or sum_rule) else "values"
        if level not in ("values", "neurons"):
            raise ValueError(f"level must be 'values' or 'neurons', got {level!r}")
        if level == "neurons" and model is None:
            raise ValueError("level='neurons' draws a model's neurons: give the model with model=")
        if level == "neurons" and (edge_grads or sum_rule):
            raise ValueError("edge_grads and sum_rule are drawn on the values of a graph: use level='values' with them")
        order = topological_order(root)
        picture = _Picture(
            root, order, fmt=fmt, show_grad=show_grad, model=model, parameters=parameters, colors=colors,
            highlight=highlight or {}, outlines=outlines or {}, unknown=unknown, pending=pending, blank=blank,
            names=names, grads=grads, compact=compact, rankdir=rankdir, fontsize=fontsize,
        )  # fmt: skip
        if level == "neurons":
            assert model is not None
            picture.neurons(model, max_nodes)
        else:
            if len(order) > max_nodes:
                raise GraphTooLargeError(
                    f"this graph has {len(order)} value nodes, more than max_nodes={max_nodes}; a picture that size is "
                    f"unreadable and slow to lay out. Draw a part of it (draw_dot(some_inner_value)), or pass "
                    f"max_nodes={len(order)} to draw it anyway."
                )
            picture.values(edge_grads=edge_grads, sum_rule=sum_rule)
        graph = picture.graph
        graph.timeout = timeout
        graph.lang = current()
        graph.legend_entries = picture.entries()
        graph.drawn, graph.cluster_titles, graph.stacked = picture.drawn, picture.cluster_titles, picture.stacked()
        if colors and legend:
            outlined = {e.color for e in graph.legend_entries if e.style == "outline"}
            missing = sorted(set(picture.outline.values()) - outlined)
            if missing:
                raise ValueError(
                    f"highlight outlines values in {', '.join(missing)}, and the legend must say what that means: "
                    f"pass outlines={{{missing[0]!r}: 'what it marks'}} (or legend=False)"
                )
            graph.attr(label=_legend(graph.legend_entries), labelloc="b", labeljust="l")  # under the picture
        return graph


class _Picture:
    """The DOT source of one picture in the making: the graph, and what its legend must explain."""

    def __init__(
        self,
        root: Value,
        order: Sequence[Value],
        *,
        fmt: str | None,
        show_grad: bool,
        model: Module | None,
        parameters: Iterable[Value],
        colors: bool,
        highlight: Mapping[Value, str],
        outlines: Mapping[str, str],
        unknown: Iterable[Value],
        pending: Iterable[Value],
        blank: Iterable[Value],
        names: Mapping[Value, str] | None,
        grads: Mapping[Value, float] | None,
        compact: bool,
        rankdir: str,
        fontsize: float,
    ) -> None:
        self.root, self.order, self.fmt, self.colors = root, order, fmt, colors
        self.show_grad, self.model, self.grads, self.outline = show_grad, model, grads, dict(highlight)
        self.meanings = dict(outlines)
        self.params = set(model.parameters() if model is not None else parameters)
        self.inputs = model_inputs(order, model) if model is not None else set()
        self.names = graph_names(root, model=model) if names is None else names
        self.id = {node: f"v{i}" for i, node in enumerate(order)}
        self.waiting, self.hidden, self.blank = set(pending), set(unknown), set(blank)
        # a record's fields stack when the braces and the direction agree (dot flips them with rankdir)
        self.rankdir = rankdir
        self.braces = not (compact and rankdir == "LR")
        font = {"fontname": "Helvetica", "fontsize": f"{fontsize:g}"}
        self.small = {"fontname": "Helvetica", "fontsize": f"{fontsize * 11 / 14:g}"}
        self.graph = Graph(graph_attr={"rankdir": rankdir, **font}, node_attr=font, edge_attr=self.small)
        self.graph.values = len(order)
        self.kinds: list[str] = []
        self.marks: list[LegendEntry] = []
        self.summed = self.boxes = False
        self.drawn: dict[str, Drawn] = {}  # each DOT node, as plain text (Graph.drawn)
        self.cluster_titles: list[str] = []
        root_grad = self.grad(root) if root not in self.waiting and root not in self.hidden else None
        # a root whose gradient is neither the seed 1 nor 0 (no pass yet) got it from further on: drawn from inside
        self.root_kind = "drawn" if show_grad and root_grad is not None and root_grad not in (0.0, 1.0) else "output"

    def grad(self, node: Value) -> float:
        """The gradient shown for ``node``: from ``grads=`` when given, else its ``grad``."""
        if self.grads is None:
            return node.grad
        try:
            return self.grads[node]
        except KeyError:
            raise ValueError(f"grads= has no gradient for the value {self.names.get(node, node)!r}") from None

    def known(self, node: Value) -> bool:
        return self.show_grad and node not in self.hidden and node not in self.waiting

    def kind(self, node: Value) -> str:
        kind = _kind(node, self.root, self.params, self.inputs)
        return self.root_kind if kind == "output" else kind

    def stacked(self) -> bool:
        """Whether the records' fields stack (dot turns a record's fields with ``rankdir``, and back with braces)."""
        return self.braces == (self.rankdir == "TB")

    def mark(self, entry: LegendEntry) -> None:
        if entry not in self.marks:
            self.marks.append(entry)

    def fill(self, attrs: dict[str, str], kind: str) -> None:
        if self.colors:
            attrs.update(style="filled", fillcolor=COLORS[kind])
            if kind not in self.kinds:
                self.kinds.append(kind)

    def record(
        self,
        where: Any,
        node: Value,
        label: str,
        *,
        extra: str = "",
        grad: float | None = None,
        node_id: str | None = None,
        kind: str | None = None,
        style: Mapping[str, str] | None = None,
        summed: bool = False,
        cluster: int | None = None,
    ) -> None:
        """A value's box: its name, its data and its gradient (``grad`` overrides the one shown, ``extra``
        follows it); ``node_id``, ``kind`` and ``style`` override the node's id, fill and outline; ``summed``
        and ``cluster`` are what ``Graph.drawn`` says of it (the sum rule's outline, the box it is in)."""
        known = self.known(node) and node not in self.blank
        data, shown = field_texts(
            None if node in self.waiting else node.data, (self.grad(node) if grad is None else grad) if known else None,
            self.fmt,
        )  # fmt: skip
        if node in self.blank:
            shown = "grad " + NOT_ASKED
            self.mark(BLANK_MARK)
        elif not known or node in self.waiting:
            self.mark(UNKNOWN_MARK if self.show_grad else HIDDEN_MARK)
        texts = (label, data, shown + extra)
        data, shown = (
            f"{word} {escape_record_text(number)}" for word, number in (t.split(" ", 1) for t in (data, shown))
        )
        fields = [escape_record_text(label), data, shown + extra]  # extra: our own words, nothing to escape
        text = " | ".join(fields)
        attrs = {"shape": "record", "label": graphviz.nohtml("{ " + text + " }" if self.braces else text)}
        fill = kind or self.kind(node)
        self.fill(attrs, fill)
        attrs.update(style or {})
        if node in self.outline:
            attrs.update(color=self.outline[node], penwidth="4")
        where.node(node_id or self.id[node], **attrs)
        self.drawn[node_id or self.id[node]] = Drawn(
            "value", texts, node, fill if self.colors else None, self.outline.get(node), summed, cluster
        )

    def values(self, *, edge_grads: bool, sum_rule: bool) -> None:
        """Every value and operation, each neuron call of the model in a dashed box."""
        calls = neuron_calls(self.order, self.model) if self.model is not None else []
        cluster: dict[Value, int] = {}
        for c, call in enumerate(calls):
            cluster.update(dict.fromkeys(call.made(), c))
            if sum(1 for other in calls if other.neuron is call.neuron) == 1:
                cluster.update(dict.fromkeys(call.neuron.parameters(), c))
        boxes = [
            graphviz.Digraph(
                name=f"cluster_{c}", graph_attr={"label": call.title, "style": "rounded,dashed", "color": "#6b7280"}
            )
            for c, call in enumerate(calls)
        ]
        self.boxes = bool(boxes)
        self.cluster_titles = [call.title for call in calls]
        uses = Counter(p for node in self.order for p in node._prev)
        for node in self.order:
            where = boxes[cluster[node]] if node in cluster else self.graph
            label = node.label if isinstance(node, Constant) else self.names.get(node, "")  # a target: -y
            summed = sum_rule and uses[node] > 1
            self.summed = self.summed or summed
            self.record(
                where, node, label, extra=f" (sum of {uses[node]})" if summed else "",
                style={"color": SUM_COLOR if self.colors else "black", "penwidth": "2.5"} if summed else None,
                summed=summed, cluster=cluster.get(node),
            )  # fmt: skip
            if node._prev:
                self.operation(where, node, edge_grads, cluster.get(node))
        for box in boxes:
            self.graph.subgraph(box)
        if edge_grads:
            self.mark(EDGE_MARK)

    def operation(self, where: Any, node: Value, edge_grads: bool, cluster: int | None) -> None:
        op = self.id[node] + "op"
        where.node(op, label=_op_label(node), shape="circle" if len(node._op) <= 2 else "ellipse")
        self.drawn[op] = Drawn("operation", (node._op or "?",), node, cluster=cluster)
        self.graph.edge(op, self.id[node])
        known = self.known(node)
        carried = contributions(node, self.grad(node)) if edge_grads and known else ()  # upstream x local
        for i, parent in enumerate(node._prev):
            if not edge_grads:
                self.graph.edge(self.id[parent], op)
                continue
            # the contribution sits on its own edge, as a small node the edge passes through
            text = format_number(self.fmt, carried[i]) if known else "?"
            on_edge = f"{op}_in{i}"
            where.node(on_edge, label=graphviz.escape(text), shape="plain", fontsize=self.small["fontsize"])
            self.drawn[on_edge] = Drawn("contribution", (text,), parent, cluster=cluster)
            self.graph.edge(self.id[parent], on_edge, arrowhead="none")
            self.graph.edge(on_edge, op)

    def neurons(self, model: Module, max_nodes: int) -> None:
        """One box per neuron call, one node per input (a number fed to several neurons drawn once, its
        gradient the sum of theirs), an edge from each input into the row of the weight it meets, the
        inputs and each layer's neurons in their order, and the rest of the graph value by value."""
        self.braces = self.rankdir == "TB"  # small stacked boxes beside the neurons' tables
        self.graph.attr(ranksep="1.1")  # room between the columns for the edges of every input to every neuron
        calls = neuron_calls(self.order, model)
        if not calls:
            raise ValueError(
                "this graph has no complete call of the model's neurons to draw; draw it with level='values'"
            )
        call_of = {v: call for call in calls for v in call.made()}
        box_id = {id(call): f"n{k}" for k, call in enumerate(calls)}
        inside = {p for call in calls for p in call.neuron.parameters()}
        outside = [n for n in self.order if n not in call_of]
        needed = {p for n in outside for p in n._prev} | {self.root}
        group: dict[Value, str] = {}  # a number fed to neurons -> the node that stands for it and its copies
        copies: dict[str, list[Value]] = {}
        keys: dict[tuple[int, int, int, float], str] = {}  # (layer, call, input, number) -> that node
        for call in calls:
            for k, x in enumerate(call.inputs):
                if x in call_of or not isinstance(x, Constant):
                    continue
                key = keys.setdefault((call.layer, call.call, k, x.data), f"in{len(keys)}")
                group[x] = key
                copies.setdefault(key, []).append(x)
        drawn = [n for n in outside if (n not in inside or n in needed) and n not in group]
        if len(drawn) + len(calls) + len(copies) > max_nodes:
            raise GraphTooLargeError(
                f"this picture of neurons has {len(drawn) + len(calls) + len(copies)} nodes, more than "
                f"max_nodes={max_nodes}; draw a part of it, or pass max_nodes= to draw it anyway"
            )
        for key, members in copies.items():
            first = members[0]
            k = next(k for call in calls for k, x in enumerate(call.inputs) if x is first)
            total = math.fsum(self.grad(m) for m in members)  # one input, its gradient summed over its uses
            data, grad = field_texts(first.data, total if self.known(first) else None, self.fmt)
            rows = "".join(f"<tr><td>{html.escape(text)}</td></tr>" for text in (f"input {k}", data, grad))
            color = f' bgcolor="{COLORS["input"]}"' if self.colors else ""
            if self.colors and "input" not in self.kinds:
                self.kinds.append("input")
            table = f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4"{color}>{rows}</table>>'
            self.graph.node(key, label=table, shape="plain")  # a table, not a record: dot can keep them in order
            self.drawn[key] = Drawn("input", (f"input {k}", data, grad), first, "input" if self.colors else None)

        def source(value: Value) -> str:
            if value in call_of:
                return f"{box_id[id(call_of[value])]}:out"
            return group.get(value, self.id[value])

        for node in drawn:
            label = node.label if isinstance(node, Constant) else self.names.get(node, "")  # a target: -y
            self.record(self.graph, node, label)
            if node._prev:
                op = self.id[node] + "op"
                self.graph.node(op, label=_op_label(node), shape="circle" if len(node._op) <= 2 else "ellipse")
                self.drawn[op] = Drawn("operation", (node._op or "?",), node)
                self.graph.edge(op, self.id[node])
                for parent in node._prev:
                    self.graph.edge(source(parent), op)
        for call in calls:
            self.neuron_box(call, box_id[id(call)])
            for k, x in enumerate(call.inputs):
                self.graph.edge(source(x), f"{box_id[id(call)]}:w{k}")
        columns = [list(copies)] + [
            [box_id[id(c)] for c in calls if (c.layer, c.call) == place]
            for place in dict.fromkeys((c.layer, c.call) for c in calls)
        ]
        for column in columns:  # the inputs, then each layer's neurons, in their order along the column
            if len(column) > 1:
                with self.graph.subgraph() as same:
                    same.attr(rank="same")
                    for a, b in itertools.pairwise(column):
                        same.edge(a, b, style="invis")

    def neuron_box(self, call: NeuronCall, node_id: str) -> None:
        """A neuron call as a table: its weights (each the row an input's edge comes into), its bias, its sum
        z and its activation, each with its name, data and gradient."""
        rows = [(f"w{k}", f"weight {k}", w) for k, w in enumerate(call.neuron.w)]
        rows += [("", "bias", call.neuron.b), ("", "z = w·x + b", call.z)]
        if call.activation is not None:
            rows.append(("", f"{call.activation._op}(z)", call.activation))
        cells = [f'<tr><td colspan="4"><b>{html.escape(call.title)}</b></td></tr>']
        for k, (port, what, value) in enumerate(rows):
            data, grad = field_texts(
                None if value in self.waiting else value.data, self.grad(value) if self.known(value) else None, self.fmt
            )
            ports = [f' port="{port}"' if port else "", "", "", ' port="out"' if k == len(rows) - 1 else ""]
            texts = [what, self.names.get(value, ""), data, grad]
            cells.append(
                "<tr>" + "".join(f'<td align="left"{p}>{html.escape(t)}</td>' for p, t in zip(ports, texts)) + "</tr>"
            )
        kind = "output" if self.root in (call.out, call.z) else "neuron"
        kind = self.root_kind if kind == "output" else kind
        color = f' bgcolor="{COLORS[kind]}"' if self.colors else ""
        if self.colors and kind not in self.kinds:
            self.kinds.append(kind)
        table = f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="3"{color}>{"".join(cells)}</table>>'
        attrs = {"shape": "plain", "label": table}
        if call.out in self.outline:
            attrs.update(color=self.outline[call.out], penwidth="4", shape="box", margin="0")
        self.graph.node(node_id, **attrs)
        self.drawn[node_id] = Drawn("neuron", (call.title,), call.out, kind if self.colors else None)

    def entries(self) -> list[LegendEntry]:
        """The legend: the fills shown (in ``KINDS`` order), then the outlines, then the marks."""
        rows = [LegendEntry("fill", color, meaning) for kind, (color, meaning) in KINDS.items() if kind in self.kinds]
        if self.summed:
            rows.append(LegendEntry("outline", SUM_COLOR if self.colors else "black", SUM_MEANING))
        for color in dict.fromkeys(self.outline.values()):
            if color in self.meanings:
                rows.append(LegendEntry("outline", color, self.meanings[color]))
        if self.boxes:
            rows.append(NEURON_BOX)
        return rows + self.marks


def _op_label(node: Value) -> Any:
    return graphviz.nohtml(node._op.replace("\\", "\\\\") or "?")


SUM_MEANING = N_("outline: the gradient sums several contributions")
"""What the sum rule's outline means, in the legend."""


def _legend(entries: Sequence[LegendEntry]) -> str:
    """The legend as an HTML-like label of Graphviz: one row per entry."""
    title = html.escape(_("legend"))
    rows = [f'<tr><td colspan="2" align="left"><b>{title}</b></td></tr>']
    for entry in entries:
        if entry.style == "fill":
            swatch = f'<td bgcolor="{entry.color}" border="1" width="24"></td>'
        elif entry.style == "outline":
            swatch = f'<td border="3" color="{entry.color}" width="24"></td>'
        elif entry.style == "dashed":
            swatch = f'<td border="1" style="dashed" color="{entry.color}" width="24"></td>'
        else:
            swatch = f"<td>{html.escape(entry.color)}</td>"
        rows.append(f'<tr>{swatch}<td align="left">{html.escape(entry.meaning_shown)}</td></tr>')
    return '<<table border="0" cellborder="0" cellspacing="2" cellpadding="4">' + "".join(rows) + "</table>>"


def save_graph(root: Value, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Path:  # noqa: A002
    """Draw ``root``'s graph and write it to ``path`` in one call; returns the path written.

    ``format`` is one of ``FORMATS`` (``'svg'``, ``'png'``, ``'pdf'``, ``'dot'``); by default it is
    taken from the file's suffix. ``options`` go to ``draw_dot``. The file is replaced atomically.
    """
    target = Path(path)
    chosen = format or target.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        raise ValueError(
            f"cannot tell which format to write for {str(target)!r}: give format= one of {', '.join(FORMATS)} "
            f"or use one of those suffixes"
        )
    graph = draw_dot(root, **options)
    data = graph.source.encode("utf-8") if chosen == "dot" else graph.pipe(format=chosen)
    return atomic_write(target, data)


def save_svg(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """``save_graph(root, path, format='svg', **options)``: the picture as an SVG file."""
    return save_graph(root, path, format="svg", **options)
