"""A graph laid out once and drawn many times: the pictures of a pass, step by step, that keep still.

A stepper or an animation shows the same graph at every step, with other numbers known and other
values outlined. Laid out anew at each step, the boxes would move and change size as their numbers
do; here ``dot`` lays the graph out once, with every box as wide as the widest text it will ever
hold, and each frame is that picture with its own texts and outlines. So a value stays in its place
from the first frame to the last, and the pictures cost one run of ``dot``.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x'); y = x * x; y.label = 'y'
>>> frames = draw_frames(y, [Frame(pending=(y,)), Frame(grads={y: 1.0, x: 4.0}, highlight={x: 'red'})],
...                      outlines={'red': 'the value this step is about'})  # doctest: +SKIP
>>> len(frames.pictures)  # doctest: +SKIP
2
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.views.dot import (
    HIDDEN_MARK,
    MAX_NODES,
    RENDER_TIMEOUT,
    UNKNOWN_MARK,
    draw_dot,
    field_texts,
)
from tinygrad_scalar.views.page import LegendEntry

__all__ = ["Frame", "Frames", "draw_frames"]

_SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


@dataclass(frozen=True)
class Frame:
    """What one picture shows: the gradients known so far (``?`` for the others), the values whose data
    is not computed yet (``?``), and the values outlined, each with its colour."""

    grads: Mapping[Value, float] = field(default_factory=dict)
    pending: Iterable[Value] = ()
    highlight: Mapping[Value, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Frames:
    """The pictures of the frames, as SVG texts of one size, and the legend they share."""

    pictures: list[str]
    legend: list[LegendEntry]
    width: float  # of every picture, in points
    height: float


def draw_frames(
    root: Value,
    frames: Sequence[Frame],
    *,
    outlines: Mapping[str, str],
    names: Mapping[Value, str] | None = None,
    fmt: str = "%.4g",
    rankdir: str = "LR",
    compact: bool = True,
    max_nodes: int = MAX_NODES,
    timeout: float = RENDER_TIMEOUT,
) -> Frames:
    """Lay out ``root``'s graph once and draw it for each of ``frames``.

    ``outlines`` says what each colour of the frames' outlines means (for the legend); the other
    arguments are ``draw_dot``'s. Each picture has the same size and every value the same place. The
    legend (returned, not drawn in the pictures) lists every fill, outline and mark any frame shows.
    """
    order = topological_order(root)
    widest: dict[Value, float] = {}
    for frame in frames:
        for node, grad in frame.grads.items():
            if node not in widest or len(field_texts(None, grad, fmt)[1]) > len(
                field_texts(None, widest[node], fmt)[1]
            ):
                widest[node] = grad
    template = draw_dot(
        root, grads={node: widest.get(node, 0.0) for node in order}, names=names, fmt=fmt, rankdir=rankdir,
        compact=compact, legend=False, max_nodes=max_nodes, timeout=timeout,
    )  # fmt: skip
    colors = list(dict.fromkeys(c for frame in frames for c in frame.highlight.values()))
    missing = [c for c in colors if c not in outlines]
    if missing:
        raise ValueError(f"the frames outline values in {', '.join(missing)}: say what that means in outlines=")
    legend = [e for e in template.legend_entries if e not in (UNKNOWN_MARK, HIDDEN_MARK)]
    legend += [LegendEntry("outline", c, outlines[c]) for c in colors]
    if any(frame.pending or set(order) - set(frame.grads) for frame in frames):
        legend.append(UNKNOWN_MARK)
    svg = template.pipe(format="svg").decode("utf-8")
    picture = ET.fromstring(svg[svg.index("<svg") :])
    for element in picture.iter():
        element.attrib.pop("id", None)  # dot's ids would repeat when several pictures share a page
    boxes: dict[str, tuple[ET.Element, ET.Element, list[ET.Element]]] = {}
    for group in picture.iter(f"{{{_SVG}}}g"):
        title = group.find(f"{{{_SVG}}}title")
        if group.get("class") == "node" and title is not None and title.text:
            outline = group.find(f"{{{_SVG}}}polygon")
            if outline is not None:
                boxes[title.text] = (group, outline, list(group.iter(f"{{{_SVG}}}text")))
    index = {node: f"v{i}" for i, node in enumerate(order)}  # draw_dot's names of the value nodes
    pictures = []
    for frame in frames:
        pending = set(frame.pending)
        for node in order:
            group, outline, texts = boxes[index[node]]
            data_text, grad_text = field_texts(None if node in pending else node.data, frame.grads.get(node), fmt)
            texts[-2].text, texts[-1].text = data_text, grad_text  # a box's last two texts: its data and its gradient
            color = frame.highlight.get(node)
            outline.set("stroke", color or "black")
            group.set("class", "node tgs-outlined" if color else "node")  # a page finds the outlined values
            if color:
                outline.set("stroke-width", "4")
            else:
                outline.attrib.pop("stroke-width", None)
        pictures.append(ET.tostring(picture, encoding="unicode"))
    width, height = (float(picture.get(a, "0").removesuffix("pt")) for a in ("width", "height"))
    return Frames(pictures, legend, width, height)
