r"""Pictures of graphs as TikZ, for LaTeX documents and Beamer slides.

``tikz(draw_dot(root))`` writes the picture ``draw_dot`` draws as a TikZ picture a teacher can edit:
one ``\node`` per value and per operation, at the position Graphviz's ``dot`` gave it (in cm, rounded
to 0.1 mm), named after the value (``(x1)``, ``(u1)``, ``(u1 op)``); edges that follow dot's curves
between the named nodes; the names in maths (``$x_{1}$``, as the explanations write them), and the
numbers exactly as the SVG shows them.

The colours are named styles, one per kind of value (``tgs leaf``, ``tgs parameter``, ... from
``KINDS``), so a teacher restyles every picture from the preamble::

    \tikzset{tgs leaf/.style={fill=yellow!30}, tgs value/.append style={rounded corners}}

A style defined before the picture is read wins over the picture's own (``\tgsstyle`` defines a
style only when it is not defined yet). The picture is drawn at dot's size (the numbers in 14 pt
text); scale it with ``\resizebox{\linewidth}{!}{\input{graph.tex}}``. It needs
``\usepackage{tikz}`` and ``\usetikzlibrary{shapes.multipart, shapes.geometric, babel}``.

Every text comes from the ``Graph`` that ``draw_dot`` built (its ``drawn`` nodes), so the TikZ picture
and the SVG cannot disagree, and every text a student typed is escaped
(:func:`tinygrad_scalar.views.naming.latex_text`): a label can never run a LaTeX command.

>>> from tinygrad_scalar import Value
>>> from tinygrad_scalar.views.dot import draw_dot
>>> x = Value(2.0, label='x'); y = x * x; y.label = 'y'; y.backward()
>>> print(tikz(draw_dot(y)).splitlines()[0])  # doctest: +SKIP
% The graph of y, drawn by tinygrad_scalar: ...
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.core.language import _, using
from tinygrad_scalar.views.dot import KINDS, SUM_COLOR, SUM_MEANING, Drawn, Graph, draw_dot
from tinygrad_scalar.views.naming import check_latex_words, language_packages, latex_name, latex_text, latex_words

__all__ = ["CM_PER_POINT", "LIBRARIES", "TikzGraph", "color", "number_text", "save_tikz", "tikz"]

CM_PER_POINT = 2.54 / 72
"""dot lays out in points (1/72 inch); the picture's coordinates are in cm."""

LIBRARIES = "shapes.multipart, shapes.geometric, babel"
"""The TikZ libraries the picture needs (records are ``rectangle split``, long operations ellipses; ``babel``
keeps TikZ's syntax working where babel makes ``: ; ! ?`` active, as French does)."""

_XCOLOR_NAMES = {
    "black", "blue", "brown", "cyan", "darkgray", "gray", "green", "lightgray", "lime", "magenta", "olive", "orange",
    "pink", "purple", "red", "teal", "violet", "white", "yellow",
}  # fmt: skip
"""The colours xcolor knows by name without options: a highlight colour may be one of these or #rrggbb."""


def color(spec: str) -> str:
    """A Graphviz colour (``'#ea580c'`` or a basic name such as ``'red'``) as an xcolor colour for TikZ."""
    match = re.fullmatch(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})", spec)
    if match:
        red, green, blue = (int(part, 16) for part in match.groups())
        return f"{{rgb,255:red,{red};green,{green};blue,{blue}}}"
    if spec in _XCOLOR_NAMES:
        return spec
    raise ValueError(
        f"the colour {spec!r} has no TikZ name: give a highlight colour as #rrggbb (like '#ea580c') or one of "
        f"{', '.join(sorted(_XCOLOR_NAMES))}"
    )


def number_text(text: str) -> str:
    """A formatted number (``'-1.5000'``, ``'nan'``, ``'2.5e-05'``, any text the format added) in LaTeX: the
    text escaped, each minus sign a true minus."""
    parts = re.split(r"-(?=[\d.]|inf)", text)
    return r"\ensuremath{-}".join(latex_text(part) for part in parts)


def _html_color(spec: str) -> str:
    return spec.lstrip("#").upper()


KIND_STYLES = {kind: f"tgs {kind}" for kind in KINDS}
"""The style of each kind of value (``tgs leaf``, ...): its fill, from ``KINDS``."""


def _style_sheet(fontsize: float, small: float, stacked: bool) -> list[tuple[str, str]]:
    """Every style the picture uses, with its default: what a teacher restyles (``stacked``: each value's name
    over its data over its gradient, else in a row)."""
    split = "rectangle split horizontal=false" if stacked else "rectangle split horizontal"
    font = rf"\sffamily\fontsize{{{fontsize:g}}}{{{fontsize * 1.2:g}}}\selectfont"
    small_font = rf"\sffamily\fontsize{{{small:g}}}{{{small * 1.2:g}}}\selectfont"
    sheet = [
        ("tgs graph", f"font={font}, line width=0.8pt, >=stealth"),
        ("tgs value", f"draw, rectangle split, {split}, rectangle split parts=3, inner xsep=0.35em, inner ysep=0.3em"),
        ("tgs operation", "draw, ellipse, inner sep=0.05cm"),
        ("tgs edge", "->"),
        ("tgs edge part", ""),
        ("tgs contribution", f"font={small_font}, inner sep=0.05cm"),
        ("tgs summed", "draw=tgssummed, line width=2pt"),
        ("tgs highlight", "line width=3pt"),
        ("tgs cluster", "draw=tgscluster, dashed, rounded corners=0.2cm"),
        ("tgs cluster label", ""),
        ("tgs legend", "anchor=west, inner sep=0.05cm"),
        ("tgs swatch", "draw, minimum width=0.6cm, minimum height=0.4cm, inner sep=0pt"),
    ]
    sheet += [(style, f"fill=tgs{kind}") for kind, style in KIND_STYLES.items()]
    return sheet


_COLORS = {f"tgs{kind}": _html_color(fill) for kind, (fill, _meaning) in KINDS.items()} | {
    "tgssummed": _html_color(SUM_COLOR),
    "tgscluster": "6B7280",
}


@dataclass(frozen=True)
class _Node:
    id: str  # the TikZ name
    drawn: Drawn
    x: float  # cm
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class _Edge:
    tail: str
    head: str
    points: tuple[tuple[float, float], ...]  # dot's B-spline, cm: start, then 3 points per segment
    arrow: bool


class TikzGraph:
    """A ``draw_dot`` picture laid out once by ``dot``, written as TikZ as often as needed.

    ``picture()`` writes the ``tikzpicture``; ``styles()`` the style sheet it uses. A slide deck writes
    the same layout on every frame with different styles and texts per value (``extra``, ``data``,
    ``grads``), so the graph never moves (:mod:`tinygrad_scalar.teaching.beamer`).
    """

    def __init__(self, graph: Graph) -> None:
        if getattr(graph, "drawn", None) is None:
            raise ValueError("a TikZ picture is drawn from the graph draw_dot(...) returns: tikz(draw_dot(root))")
        neurons = sorted({d.role for d in graph.drawn.values()} & {"neuron", "input"})
        if neurons:
            raise ValueError(
                "a TikZ picture draws a graph value by value, and this one is drawn at the level of neurons: "
                "draw it with draw_dot(root, model=..., level='values')"
            )
        layout = json.loads(graph.pipe(format="json0", encoding="utf-8"))
        self.graph = graph
        self.rankdir = str(layout.get("rankdir", "TB"))
        self.stacked = graph.stacked
        self.fontsize = float(graph.node_attr.get("fontsize", 14))
        self.small = float(graph.edge_attr.get("fontsize", self.fontsize * 11 / 14))
        x0, y0, x1, y1 = (float(v) * CM_PER_POINT for v in layout["bb"].split(","))
        self.box = (x0, y0, x1, y1)
        self.width, self.height = x1 - x0, y1 - y0
        self.nodes: list[_Node] = []
        self.clusters: list[tuple[str, tuple[float, float, float, float], tuple[float, float] | None]] = []
        by_gvid: dict[int, str] = {}
        ids = _ids(graph.drawn)
        for obj in layout.get("objects", []):
            if "nodes" in obj or str(obj.get("name", "")).startswith("cluster_"):
                index = int(str(obj["name"]).removeprefix("cluster_"))
                box = tuple(float(v) * CM_PER_POINT for v in obj["bb"].split(","))
                label = tuple(float(v) * CM_PER_POINT for v in obj["lp"].split(",")) if "lp" in obj else None
                self.clusters.append((graph.cluster_titles[index], box, label))  # type: ignore[arg-type]
                continue
            name = str(obj["name"])
            drawn = graph.drawn.get(name)
            if drawn is None:
                raise ValueError(f"the graph has a node {name!r} that draw_dot did not describe; draw it with draw_dot")
            x, y = (float(v) * CM_PER_POINT for v in obj["pos"].split(","))
            by_gvid[int(obj["_gvid"])] = ids[name]
            width, height = float(obj["width"]) * 2.54, float(obj["height"]) * 2.54
            self.nodes.append(_Node(ids[name], drawn, x, y, width, height))
        self.legend: tuple[float, float, float, float] | None = None
        """Where dot put the legend (the graph's label): its left, bottom, right and top, in cm."""
        if "lp" in layout and graph.legend_entries:
            x, y = (float(v) * CM_PER_POINT for v in layout["lp"].split(","))
            width, height = float(layout["lwidth"]) * 2.54, float(layout["lheight"]) * 2.54
            self.legend = (x - width / 2, y - height / 2, x + width / 2, y + height / 2)
        self.edges = [
            _Edge(by_gvid[int(e["tail"])], by_gvid[int(e["head"])], _spline(e["pos"]), e.get("arrowhead") != "none")
            for e in layout.get("edges", [])
        ]
        self.ids = {n.drawn.value: n.id for n in self.nodes if n.drawn.role == "value" and n.drawn.value is not None}
        """The TikZ name of each value's node."""
        self.extent: dict[Value, tuple[float, float, float, float]] = {}
        """The box (left, bottom, right, top; cm) that holds each value's record and the node of its operation."""
        for n in self.nodes:
            if n.drawn.role in ("value", "operation") and n.drawn.value is not None:
                x0, y0, x1, y1 = n.x - n.width / 2, n.y - n.height / 2, n.x + n.width / 2, n.y + n.height / 2
                a0, b0, a1, b1 = self.extent.get(n.drawn.value, (x0, y0, x1, y1))
                self.extent[n.drawn.value] = (min(a0, x0), min(b0, y0), max(a1, x1), max(b1, y1))

    def styles(self) -> str:
        r"""The colours and styles the picture uses, each defined only if not defined yet (``\tgsstyle``); each
        line ends in ``%``, so that none puts a space before a picture in a paragraph."""
        lines = [
            r"\providecommand\tgsstyle[2]{\pgfkeysifdefined{/tikz/#1/.@cmd}{}{\tikzset{#1/.style={#2}}}}",
            *(rf"\providecolor{{{name}}}{{HTML}}{{{value}}}" for name, value in _COLORS.items()),
            *(
                rf"\tgsstyle{{{style}}}{{{options}}}"
                for style, options in _style_sheet(self.fontsize, self.small, self.stacked)
            ),
        ]
        return "%\n".join(lines) + "%\n"

    def picture(
        self,
        *,
        extra: Mapping[Value, str] | None = None,
        data: Mapping[Value, str] | None = None,
        grads: Mapping[Value, str] | None = None,
        options: str = "",
        fixed_size: bool = False,
        window: tuple[float, float, float, float] | None = None,
    ) -> str:
        """The ``tikzpicture``. ``extra`` adds TikZ options to a value's node, ``data`` and ``grads`` replace
        the LaTeX of its number and its gradient (a slide reveals them with overlays); ``options`` go to
        the picture itself. ``fixed_size=True`` makes the picture exactly dot's size, whatever its texts,
        so that it scales the same on every slide; ``window=(left, bottom, right, top)`` (cm) shows only that
        part of it, the rest clipped: a camera on a graph too large to read at once."""
        extra, data, grads = extra or {}, data or {}, grads or {}
        lines = [rf"\begin{{tikzpicture}}[tgs graph{', ' + options if options else ''}]"]
        if fixed_size or window is not None:
            x0, y0, x1, y1 = self.box if window is None else window
            if window is not None:
                lines.append(rf"  \clip ({_cm(x0)},{_cm(y0)}) rectangle ({_cm(x1)},{_cm(y1)});")
            lines.append(rf"  \useasboundingbox ({_cm(x0)},{_cm(y0)}) rectangle ({_cm(x1)},{_cm(y1)});")
        for box in self.clusters:
            title, (x0, y0, x1, y1), label = box
            lines.append(rf"  \draw[tgs cluster] ({_cm(x0)},{_cm(y0)}) rectangle ({_cm(x1)},{_cm(y1)});")
            if label is not None:
                lines.append(
                    rf"  \node[tgs cluster label] at ({_cm(label[0])},{_cm(label[1])}) {{{latex_text(title)}}};"
                )
        for node in self.nodes:
            lines += self._node(node, extra, data, grads)
        lines += self._legend()
        for edge in self.edges:
            # dot's spline: a start, then three points per Bezier segment (two controls and an end); the
            # first start and the last end are the nodes themselves, so the edge follows a node moved by hand
            ends = [f"({_point(p)})" for p in edge.points[3:-1:3]] + [f"({edge.head})"]
            path = f"({edge.tail})" + "".join(
                f" .. controls ({_point(edge.points[3 * k + 1])}) and ({_point(edge.points[3 * k + 2])}) .. {end}"
                for k, end in enumerate(ends)
            )
            lines.append(rf"  \draw[{'tgs edge' if edge.arrow else 'tgs edge part'}] {path};")
        lines.append(r"\end{tikzpicture}")
        return "\n".join(lines) + "\n"

    def _node(
        self, node: _Node, extra: Mapping[Value, str], data: Mapping[Value, str], grads: Mapping[Value, str]
    ) -> list[str]:
        drawn, at = node.drawn, f"({_cm(node.x)},{_cm(node.y)})"
        if drawn.role == "value":
            assert drawn.value is not None
            name, data_text, grad_text = drawn.texts
            styles = ["tgs value", f"minimum height={_cm(node.height)}cm"]
            if drawn.kind is not None:
                styles.append(KIND_STYLES[drawn.kind])
            if drawn.summed:
                styles.append("tgs summed")
            if drawn.outline is not None:
                styles.append(f"tgs highlight, draw={color(drawn.outline)}")
            if drawn.value in extra:
                styles.append(extra[drawn.value])
            shown = f"${latex_name(name)}$" if name else ""
            number = data.get(drawn.value, number_text(data_text.removeprefix("data ")))
            grad = grads.get(drawn.value, number_text(grad_text.removeprefix("grad ")))
            text = rf"{shown} \nodepart{{two}} data {number} \nodepart{{three}} grad {grad}"
            return [rf"  \node[{', '.join(styles)}] ({node.id}) at {at} {{{text}}};"]
        if drawn.role == "operation":
            size = f"minimum width={_cm(node.width)}cm, minimum height={_cm(node.height)}cm"
            return [rf"  \node[tgs operation, {size}] ({node.id}) at {at} {{{latex_text(drawn.texts[0])}}};"]
        assert drawn.role == "contribution", drawn.role
        return [rf"  \node[tgs contribution] ({node.id}) at {at} {{{number_text(drawn.texts[0])}}};"]

    def _legend(self) -> list[str]:
        """The legend where dot put it, as the SVG draws it: a title row, then per row of the graph's
        ``legend_entries`` a swatch (a fill, an outline, a dashed box or a mark) and its meaning."""
        if self.legend is None:
            return []
        entries = self.graph.legend_entries
        left, _bottom, _right, top = self.legend
        step = (top - self.legend[1]) / (len(entries) + 1)
        title = latex_words(_("legend"))
        lines = [rf"  \node[tgs legend] at ({_cm(left)},{_cm(top - step / 2)}) {{\textbf{{{title}}}}};"]
        fills = {fill: style for kind, style in KIND_STYLES.items() for fill in [KINDS[kind][0]]}
        for i, entry in enumerate(entries, 1):
            y = top - step * (i + 0.5)
            if entry.style == "fill":
                swatch = (
                    f"tgs swatch, {fills[entry.color]}"
                    if entry.color in fills
                    else f"tgs swatch, fill={color(entry.color)}"
                )
            elif entry.style == "outline" and entry.color in (SUM_COLOR, "black") and entry.meaning == SUM_MEANING:
                swatch = "tgs swatch, tgs summed" + (", draw=black" if entry.color == "black" else "")
            elif entry.style == "outline":
                swatch = f"tgs swatch, tgs highlight, draw={color(entry.color)}"
            elif entry.style == "dashed":
                swatch = "tgs swatch, tgs cluster"
            else:  # a mark: the symbol itself
                swatch = "tgs swatch, draw=none"
            mark = number_text(entry.color) if entry.style == "mark" else ""
            lines.append(
                rf"  \node[{swatch}, anchor=west] (legend {i}) at ({_cm(left + 0.1)},{_cm(y)}) {{{mark}}};"
                rf" \node[tgs legend] at ([xshift=0.2cm]legend {i}.east) {{{latex_words(entry.meaning_shown)}}};"
            )
        return lines


def _point(p: tuple[float, float]) -> str:
    return f"{_cm(p[0])},{_cm(p[1])}"


def _cm(x: float) -> str:
    """A coordinate in cm, to 0.1 mm, without trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _spline(pos: str) -> tuple[tuple[float, float], ...]:
    """dot's edge position (``e,x,y`` for the arrow's tip, then the B-spline's points) in cm, without the tip."""
    points = [p for p in pos.split() if not p.startswith(("e,", "s,"))]
    if len(points) < 4 or len(points) % 3 != 1:
        raise ValueError(f"dot gave an edge position that is not a B-spline: {pos!r}")
    return tuple((float(a) * CM_PER_POINT, float(b) * CM_PER_POINT) for a, b in (p.split(",") for p in points))


def _ids(drawn: Mapping[str, Drawn]) -> dict[str, str]:
    """A readable, unique TikZ name for each DOT node: the value's name when it is a plain word (``x1``,
    ``(x1 op)`` for the operation that made it, ``(x1 op in0)`` for a contribution on an edge), else dot's."""
    taken: set[str] = set()
    ids: dict[str, str] = {}
    words = {
        dot: d.texts[0]
        for dot, d in drawn.items()
        if d.role == "value" and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", d.texts[0])
    }
    for dot, d in drawn.items():
        if d.role != "value":
            continue
        word = words.get(dot)
        ids[dot] = word if word is not None and word not in taken else dot
        taken.add(ids[dot])
    for dot in drawn:
        if dot in ids:
            continue
        base, _op, rest = dot.partition("op")  # v3op, v3op_in0: the operation of v3 and its edges
        suffix = "op" + (" " + rest.removeprefix("_") if rest else "")
        ids[dot] = f"{ids[base]} {suffix}" if base in ids else dot
    return ids


def tikz(graph: Graph, *, standalone: bool = False) -> str:
    r"""``draw_dot``'s picture as TikZ: the style sheet, then the ``tikzpicture`` (see the module docstring).

    The legend is written in the language the graph was drawn in (``draw_dot(..., lang=...)``: its ``lang``).
    A Chinese legend needs the CJK package around the picture (``\usepackage{CJKutf8}`` and
    ``\begin{CJK}{UTF8}{gbsn}``); the file's first lines say so. ``standalone=True`` writes a complete
    document, one page the size of the picture, that ``pdflatex`` compiles as it is (with babel or CJK for the
    legend's language).
    """
    with using(graph.lang) as code:
        return _tikz(graph, standalone, code)


def _tikz(graph: Graph, standalone: bool, code: str) -> str:
    layout = TikzGraph(graph)
    root = next((d.texts[0] for d in graph.drawn.values() if d.role == "value" and d.kind == "output"), "")
    of = f" of {root}" if root.isprintable() and root else ""
    packages, begin, end = language_packages(code)
    head = [
        f"% The graph{of}, drawn by tinygrad_scalar: positions from Graphviz's dot, in cm.",
        rf"% Needs \usepackage{{tikz}} and \usetikzlibrary{{{LIBRARIES}}} in the preamble.",
        r"% Restyle it from the preamble (a style defined before this file wins), e.g.",
        r"%   \tikzset{tgs leaf/.style={fill=yellow!30}, tgs value/.append style={rounded corners}}",
        r"% and scale it to the text width with \resizebox{\linewidth}{!}{\input{this file}}.",
    ]
    if begin and layout.legend is not None:
        head.append(r"% Its legend is Chinese: \usepackage{CJKutf8}, and the picture inside \begin{CJK}{UTF8}{gbsn}.")
    body = "\n".join(head) + "\n" + layout.styles() + layout.picture()
    check_latex_words(body, cjk=bool(begin))  # a TikZ picture is for pdflatex's Beamer slides
    if not standalone:
        return body
    margin = 0.5  # around the picture, and 1 cm more for texts TeX sets wider than dot measured them
    width, height = layout.width + 2 * margin + 1, layout.height + 2 * margin + 1
    return (
        "\\documentclass{article}\n"
        f"\\usepackage[paperwidth={width:.2f}cm, paperheight={height:.2f}cm, margin={margin}cm]{{geometry}}\n"
        f"{packages}\\usepackage{{tikz}}\n\\usetikzlibrary{{{LIBRARIES}}}\n\\pagestyle{{empty}}\n"
        "\\begin{document}\n" + begin + "\\noindent\n" + body + end + "\\end{document}\n"
    )


def save_tikz(root: Value, path: str | os.PathLike[str], *, standalone: bool = False, **options: Any) -> Path:
    """Draw ``root``'s graph (``options`` go to ``draw_dot``, ``lang=`` among them) and write it as TikZ to
    ``path``, atomically."""
    return atomic_write(Path(path), tikz(draw_dot(root, **options), standalone=standalone).encode("utf-8"))
