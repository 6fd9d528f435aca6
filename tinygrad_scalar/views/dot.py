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

from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import Constant, Value, contributions, topological_order
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.training.nn import ACTIVATIONS, MLP, Layer, Module, Neuron
from tinygrad_scalar.views.naming import graph_names

__all__ = [
    "COLORS",
    "FORMATS",
    "KINDS",
    "MAX_FORMAT_DIGITS",
    "MAX_NODES",
    "RENDER_TIMEOUT",
    "DotNotFoundError",
    "Drawn",
    "Graph",
    "GraphTooLargeError",
    "RenderError",
    "RenderTimeoutError",
    "check_number_format",
    "draw_dot",
    "number_format_problem",
    "save_graph",
    "save_svg",
]

KINDS = {
    "output": ("#bbf7d0", "the output, where the backward pass starts"),
    "parameter": ("#fde68a", "a parameter (weight or bias)"),
    "input": ("#bae6fd", "an input: data fed to the model"),
    "leaf": ("#e9d5ff", "a leaf Value you made (an input, a weight or a bias)"),
    "number": ("#e5e7eb", "a plain number lifted into the graph (the 2 of 2*x, or a float input)"),
    "intermediate": ("#ffffff", "the result of an operation"),
}
"""Each kind of value node: its fill colour and what the picture's legend says it is.

What a leaf *is* can only be told from what ``draw_dot`` is given. Without ``model=`` (or
``parameters=``), a leaf made with ``Value(...)`` may be an input or a weight, so it is a *leaf
Value*; a plain number that an operation lifted into the graph is a *number*. With ``model=``, the
model's weights and biases are *parameters*, and the leaves its neurons multiply them with are its
*inputs*. In the lecture's ``draw_dot(n(x))`` the weights are leaf Values and the inputs ``x``, given
as floats, are numbers; ``draw_dot(n(x), model=n)`` names them parameters and inputs.
"""

COLORS = {kind: color for kind, (color, _) in KINDS.items()}
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

_ACTIVATION_OPS = {name: ops.OPS[name].op_label() for name in ACTIVATIONS if name != "linear"} | {"linear": None}


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
    ``edge_grads=True``) or ``'legend'`` (``texts`` lists the ``KINDS`` shown, then ``'summed'`` when the
    sum-rule outline is explained).
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
    source) has no time limit. In Jupyter the picture scales down to the width of the cell."""

    timeout: float = RENDER_TIMEOUT
    """Seconds ``dot`` may take for one picture."""

    values: int = 0
    """How many value nodes the graph has (for the messages)."""

    drawn: dict[str, Drawn]
    """Each DOT node ``draw_dot`` made, by its DOT name (``v3``, ``v3op``, ``legend``), as plain text."""

    cluster_titles: list[str]
    """The title of each box (``cluster_0``, ``cluster_1``, ...), with ``model=``."""

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
        bundle = super()._repr_mimebundle_(*args, **kwargs)
        svg = bundle.get("image/svg+xml")
        if svg is not None:  # scale down to the cell's width, as the stepper does: never cut off
            bundle["image/svg+xml"] = svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
        return bundle


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
    """Raise ``ValueError`` saying what is wrong with ``fmt`` as the format of the numbers (``fmt=``)."""
    problem = number_format_problem(fmt) if isinstance(fmt, str) else "it is not a string"
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


def _format_number(fmt: str, x: float) -> str:
    return fmt % x


def _neurons_of(model: Module) -> list[tuple[str, Neuron]]:
    if isinstance(model, Neuron):
        return [("neuron", model)]
    if isinstance(model, Layer):
        return [(f"neuron {j}", n) for j, n in enumerate(model.neurons)]
    if isinstance(model, MLP):
        return [
            (f"layer {i}, neuron {j}", n) for i, layer in enumerate(model.layers) for j, n in enumerate(layer.neurons)
        ]
    raise TypeError(f"model= takes a Neuron, Layer or MLP, got {type(model).__name__}")


def _neuron_clusters(order: Sequence[Value], model: Module) -> tuple[dict[Value, int], list[str]]:
    """Which nodes each call of a neuron made: its products w_j * x_j, the running sum that starts at
    its bias, and its activation. Returns node -> cluster number, and each cluster's title.

    A neuron called on several samples gets one cluster per call; its parameters join the cluster
    when there is exactly one.
    """
    neurons = _neurons_of(model)
    weight_at: dict[Value, tuple[int, int]] = {}
    for k, (_, neuron) in enumerate(neurons):
        for j, w in enumerate(neuron.w):
            weight_at[w] = (k, j)
    product: dict[Value, tuple[int, int]] = {}  # w_j * x_j -> (neuron, j)
    running_sum: dict[Value, tuple[int, int]] = {}  # b + w_0 x_0 + ... + w_j x_j -> (neuron, j)
    cluster: dict[Value, int] = {}
    owner: list[int] = []  # cluster -> neuron
    calls: Counter[int] = Counter()
    last_call: dict[int, int] = {}  # neuron -> the cluster of its latest call
    finished: dict[Value, int] = {}  # the complete sum of a call -> neuron
    for node in order:
        if node._op == "*":
            for p in node._prev:
                if p in weight_at:
                    product[node] = weight_at[p]
                    break
        elif node._op == "+" and node._prev[1] in product:
            a, b = node._prev
            k, j = product[b]
            neuron = neurons[k][1]
            if j == 0 and a is neuron.b:
                cluster[node] = last_call[k] = len(owner)
                owner.append(k)
                calls[k] += 1
            elif running_sum.get(a) == (k, j - 1):
                cluster[node] = cluster[a]
            else:
                continue
            cluster[b] = cluster[node]
            running_sum[node] = (k, j)
            if j == len(neuron.w) - 1:
                finished[node] = k
        elif len(node._prev) == 1 and node._prev[0] in finished:
            k = finished[node._prev[0]]
            if node._op == _ACTIVATION_OPS[neurons[k][1].activation]:
                cluster[node] = cluster[node._prev[0]]
    for k, (_, neuron) in enumerate(neurons):
        if calls[k] == 1:
            for p in neuron.parameters():
                cluster[p] = last_call[k]
    # Number the clusters in the model's order (layer by layer), not in the order the walk met them.
    renumber = {c: i for i, c in enumerate(sorted(range(len(owner)), key=lambda c: (owner[c], c)))}
    titles = [neurons[owner[c]][0] for c in sorted(renumber, key=renumber.__getitem__)]
    return {node: renumber[c] for node, c in cluster.items()}, titles


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    fmt: str = "%.4f",
    show_grad: bool = True,
    edge_grads: bool = False,
    sum_rule: bool = False,
    parameters: Iterable[Value] = (),
    model: Module | None = None,
    colors: bool = True,
    legend: bool = True,
    max_nodes: int = MAX_NODES,
    timeout: float = RENDER_TIMEOUT,
    highlight: Mapping[Value, str] | None = None,
    unknown: Iterable[Value] = (),
    pending: Iterable[Value] = (),
    names: Mapping[Value, str] | None = None,
    fontsize: float = 14.0,
    grads: Mapping[Value, float] | None = None,
) -> Graph:
    """Draw the computation graph that ``root`` depends on.

    Args:
        root: the value to draw from, usually the output or the loss.
        rankdir: ``'LR'`` (left to right, the default) or ``'TB'`` (top to bottom).
        fmt: printf-style format of the numbers, ``'%.4f'`` by default (see ``number_format_problem``).
        show_grad: ``False`` shows every gradient as ``?``, for exercises.
        edge_grads: put on each edge from a parent to an operation the contribution it carried
            back in the last backward pass (local derivative x upstream gradient).
        sum_rule: outline the values whose gradient is the sum of several contributions (used more
            than once), with the number of contributions.
        parameters: values to colour as parameters; ``model.parameters()`` when ``model`` is given.
        model: an ``nn`` model (``Neuron``, ``Layer`` or ``MLP``): its parameters and inputs are
            coloured as such, and each call of each neuron is drawn in its own box.
        colors: ``False`` for the plain black-and-white look (no fills, no legend, black outlines).
        legend: with colours, a legend in the picture says what each colour means (see ``KINDS``).
        max_nodes: refuse graphs with more value nodes than this (``MAX_NODES`` by default).
        timeout: seconds ``dot`` may take to render the picture (``RENDER_TIMEOUT`` by default).
        highlight: values to outline, each with its colour (the backward stepper marks the current node).
        unknown: values whose gradient is not known yet, shown as ``?``.
        pending: values the forward pass has not computed yet: their number and gradient show as ``?``.
        names: the name each value goes by in the picture; by default the graph's one naming
            (:func:`tinygrad_scalar.views.naming.graph_names`): labels, ``u1``, ``u2``, ... for unlabelled
            values, ``L`` for an unlabelled output, the same names explanations use.
        fontsize: the size of the text, in points.
        grads: the gradient each value shows (a map of every value, such as
            :func:`tinygrad_scalar.core.engine.fresh_gradients` gives); by default its ``grad``.

    Returns:
        A ``Graph`` (a ``graphviz.Digraph``): ``.source`` is the DOT text; in Jupyter it shows as SVG,
        scaled down to the width of the cell.

    The DOT source is deterministic: nodes are numbered in topological order, so the same graph
    gives the same text on every run and every machine. Labels and formatted numbers are escaped,
    so they show exactly as written.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    check_number_format(fmt)
    order = topological_order(root)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order)} value nodes, more than max_nodes={max_nodes}; a picture that size is "
            f"unreadable and slow to lay out. Draw a part of it (draw_dot(some_inner_value)), or pass "
            f"max_nodes={len(order)} to draw it anyway."
        )
    names_of_parameters: dict[Value, str] = {}  # what an unlabelled parameter is called: w0, w1, ..., b
    if model is not None:
        parameters = model.parameters()
        for _, neuron in _neurons_of(model):
            names_of_parameters.update({w: f"w{j}" for j, w in enumerate(neuron.w)})
            names_of_parameters[neuron.b] = "b"
    params = set(parameters)
    inputs = _model_inputs(order, model) if model is not None else set()
    cluster, titles = _neuron_clusters(order, model) if model is not None else ({}, [])
    shown = graph_names(root) if names is None else names
    name = {node: f"v{i}" for i, node in enumerate(order)}
    waiting = set(pending)
    uses = Counter(p for node in order for p in node._prev)
    hidden = set(unknown)
    outline = highlight or {}

    font = {"fontname": "Helvetica", "fontsize": f"{fontsize:g}"}
    small = {"fontname": "Helvetica", "fontsize": f"{fontsize * 11 / 14:g}"}
    graph = Graph(graph_attr={"rankdir": rankdir, **font}, node_attr=font, edge_attr=small)
    graph.timeout, graph.values = timeout, len(order)
    graph.drawn, graph.cluster_titles = {}, list(titles)
    boxes = [
        graphviz.Digraph(
            name=f"cluster_{c}", graph_attr={"label": title, "style": "rounded,dashed", "color": "#6b7280"}
        )
        for c, title in enumerate(titles)
    ]

    kinds_shown: list[str] = []
    summed = False
    for node in order:
        where = boxes[cluster[node]] if node in cluster else graph
        known = show_grad and node not in hidden and node not in waiting
        grad = _format_number(fmt, node.grad if grads is None else grads[node]) if known else "?"
        summed_here = sum_rule and uses[node] > 1
        sum_of = f" (sum of {uses[node]})" if summed_here else ""
        label = node.label or names_of_parameters.get(node, "" if isinstance(node, Constant) else shown.get(node, ""))
        data = "?" if node in waiting else _format_number(fmt, node.data)
        texts = (label, "data " + data, "grad " + grad + sum_of)
        fields = [
            escape_record_text(label),
            "data " + escape_record_text(data),
            "grad " + escape_record_text(grad) + sum_of,
        ]
        attrs = {"shape": "record", "label": graphviz.nohtml("{ " + " | ".join(fields) + " }")}
        kind = None
        if colors:
            kind = _kind(node, root, params, inputs)
            attrs.update(style="filled", fillcolor=COLORS[kind])
            if kind not in kinds_shown:
                kinds_shown.append(kind)
        if sum_rule and uses[node] > 1:
            attrs.update(color=SUM_COLOR if colors else "black", penwidth="2.5")
            summed = True
        if node in outline:
            attrs.update(color=outline[node], penwidth="4")
        where.node(name[node], **attrs)
        graph.drawn[name[node]] = Drawn("value", texts, node, kind, outline.get(node), summed_here, cluster.get(node))
        if node._prev:
            op = name[node] + "op"
            op_label = graphviz.nohtml(node._op.replace("\\", "\\\\") or "?")
            where.node(op, label=op_label, shape="circle" if len(node._op) <= 2 else "ellipse")
            graph.drawn[op] = Drawn("operation", (node._op or "?",), node, cluster=cluster.get(node))
            graph.edge(op, name[node])
            # a contribution is node.grad times a local derivative
            carried = contributions(node, None if grads is None else grads[node]) if edge_grads and known else ()
            for i, parent in enumerate(node._prev):
                if not edge_grads:
                    graph.edge(name[parent], op)
                    continue
                # the contribution sits on its own edge, as a small node the edge passes through
                text = _format_number(fmt, carried[i]) if known else "?"
                on_edge = f"{op}_in{i}"
                where.node(on_edge, label=graphviz.escape(text), shape="plain", fontsize=small["fontsize"])
                graph.drawn[on_edge] = Drawn("contribution", (text,), parent, cluster=cluster.get(node))
                graph.edge(name[parent], on_edge, arrowhead="none")
                graph.edge(on_edge, op)
    for box in boxes:
        graph.subgraph(box)
    if colors and legend:
        graph.node("legend", label=_legend(kinds_shown, summed and sum_rule), shape="plain")
        graph.drawn["legend"] = Drawn("legend", (*kinds_shown, *(["summed"] if summed and sum_rule else [])))
    return graph


def _legend(kinds: list[str], summed: bool) -> str:
    """The legend: one row per kind of value the picture shows, in ``KINDS`` order, as an HTML-like label."""
    rows = ['<tr><td colspan="2" align="left"><b>colours</b></td></tr>']
    for kind, (color, meaning) in KINDS.items():
        if kind in kinds:
            rows.append(f'<tr><td bgcolor="{color}" border="1" width="24"></td><td align="left">{meaning}</td></tr>')
    if summed:
        rows.append(
            f'<tr><td border="3" color="{SUM_COLOR}" width="24"></td>'
            '<td align="left">outline: the gradient sums several contributions</td></tr>'
        )
    return '<<table border="0" cellborder="0" cellspacing="2" cellpadding="4">' + "".join(rows) + "</table>>"


def _model_inputs(order: Sequence[Value], model: Module) -> set[Value]:
    """The leaves that the model's neurons multiply their weights with: the data fed to the model."""
    weights = {w for _, neuron in _neurons_of(model) for w in neuron.w}
    found: set[Value] = set()
    for node in order:
        if node._op == "*" and any(p in weights for p in node._prev):
            found.update(p for p in node._prev if p not in weights and not p._prev)
    return found


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
