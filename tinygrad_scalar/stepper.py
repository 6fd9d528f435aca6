"""The stepper: a backward pass as a self-contained HTML page, one picture per step.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x'); y = (x * x).tanh(); y.label = 'y'
>>> page = stepper(y)            # doctest: +SKIP
>>> page.save("backward.html")   # doctest: +SKIP

Needs Graphviz's ``dot`` for the pictures; the page itself needs no network and no kernel.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence

from tinygrad_scalar.engine import Value, topological_order
from tinygrad_scalar.explanations import _d, backward_steps, node_names
from tinygrad_scalar.files import atomic_write

__all__ = ["CURRENT_COLOR", "MAX_STEPPER_NODES", "PARENT_COLOR", "Stepper", "stepper"]


CURRENT_COLOR = "#ea580c"
"""Outline of the node whose step is shown."""
PARENT_COLOR = "#2563eb"
"""Outline of the parents that receive its contributions."""

MAX_STEPPER_NODES = 150
"""The stepper draws one picture per step: graphs beyond this size are refused."""

_STEPPER_CSS = """
.tgs-stepper { font-family: Helvetica, Arial, sans-serif; max-width: 100%; outline: none; }
.tgs-stepper .tgs-frame { display: none; overflow-x: auto; }
.tgs-stepper .tgs-frame.tgs-current { display: block; }
.tgs-stepper .tgs-frame svg { max-width: 100%; height: auto; }
.tgs-stepper .tgs-equation { font-family: Menlo, Consolas, monospace; white-space: pre-wrap; margin: 0.6em 0; }
.tgs-stepper .tgs-controls { display: flex; gap: 0.6em; align-items: center; }
.tgs-stepper .tgs-slider { flex: 1; }
"""

_STEPPER_JS = """
(function () {
  var root = document.getElementById("%(id)s");
  var frames = root.querySelectorAll(".tgs-frame");
  var equations = root.querySelectorAll(".tgs-equation");
  var slider = root.querySelector(".tgs-slider");
  var counter = root.querySelector(".tgs-counter");
  var current = 0;
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {
      frames[k].classList.toggle("tgs-current", k === current);
      equations[k].style.display = k === current ? "block" : "none";
    }
    slider.value = current;
    counter.textContent = "step " + current + " of " + (frames.length - 1);
    root.setAttribute("data-step", current);
  }
  root.querySelector(".tgs-prev").addEventListener("click", function () { show(current - 1); });
  root.querySelector(".tgs-next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  function onKey(event) {
    if (event.target && event.target.tagName === "INPUT" && event.target !== slider) { return; }
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  }
  root.addEventListener("keydown", onKey);
  if (%(page)s) { document.addEventListener("keydown", function (e) { if (!root.contains(e.target)) { onKey(e); } }); }
  show(0);
})();
"""


class Stepper:
    """The backward pass of a graph as an HTML document: one SVG picture per step, the current node
    outlined, that step's chain rule under the picture, previous/next buttons, a slider and the
    arrow keys. Everything is inline (no network, no kernel), so it keeps working in an exported
    notebook or as a standalone file."""

    def __init__(self, frames: list[str], equations: list[str], title: str) -> None:
        self.frames = frames
        self.equations = equations
        self.title = title

    def fragment(self, element_id: str = "tgs-stepper", page: bool = False) -> str:
        """The stepper as an HTML fragment (what Jupyter shows)."""
        frames = "".join(f'<div class="tgs-frame">{svg}</div>' for svg in self.frames)
        equations = "".join(f'<div class="tgs-equation">{html.escape(eq)}</div>' for eq in self.equations)
        last = len(self.frames) - 1
        controls = (
            '<div class="tgs-controls">'
            '<button type="button" class="tgs-prev" title="previous step (left arrow)">&#8592; previous</button>'
            f'<input type="range" class="tgs-slider" min="0" max="{last}" value="0" aria-label="step">'
            '<button type="button" class="tgs-next" title="next step (right arrow)">next &#8594;</button>'
            f'<span class="tgs-counter">step 0 of {last}</span>'
            "</div>"
        )
        script = _STEPPER_JS % {"id": element_id, "page": "true" if page else "false"}
        return (
            f'<div class="tgs-stepper" id="{element_id}" tabindex="0" data-step="0">'
            f"<style>{_STEPPER_CSS}</style>{frames}{equations}{controls}<script>{script}</script></div>"
        )

    def html(self) -> str:
        """A complete, standalone HTML page."""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title></head><body>"
            f'<h1 style="font-family: Helvetica, Arial, sans-serif">{html.escape(self.title)}</h1>'
            f"{self.fragment(page=True)}</body></html>\n"
        )

    def _repr_html_(self) -> str:
        return self.fragment(element_id=f"tgs-stepper-{id(self):x}")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the standalone page to ``path`` (atomically: a failed save keeps the old file)."""
        atomic_write(path, self.html().encode("utf-8"))


def stepper(root: Value, *, rankdir: str = "LR", fmt: str = "%.4f") -> Stepper:
    """Run the backward pass of ``root`` step by step and record one picture per step.

    Frame 0 is the seed (the output's gradient is 1, every other gradient unknown); frame k shows
    the state after step k, the current node outlined in orange and its parents in blue, and the
    chain rule of that step under the picture. The pass is a fresh one: every gradient of the graph,
    leaves included, starts at 0 (and holds this pass's value afterwards). Needs Graphviz's ``dot``.
    """
    from tinygrad_scalar.viz import draw_dot

    order = topological_order(root)
    if len(order) > MAX_STEPPER_NODES:
        raise ValueError(
            f"this graph has {len(order)} values; the stepper draws one picture per step and is meant for up to "
            f"{MAX_STEPPER_NODES}. Step through a part of it (stepper(some_inner_value))."
        )
    names = node_names(root)
    known = {root}
    for node in order:  # a fresh pass: leaves too start at 0, so gradients from earlier passes don't show
        node.grad = 0.0

    def frame(current: Value, parents: Sequence[Value]) -> str:
        outline = {p: PARENT_COLOR for p in parents}
        outline[current] = CURRENT_COLOR
        unknown = [n for n in order if n not in known]
        graph = draw_dot(
            root, rankdir=rankdir, fmt=fmt, highlight=outline, unknown=unknown, max_nodes=MAX_STEPPER_NODES
        )
        svg = graph.pipe(format="svg").decode("utf-8")
        svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG goes inline
        return re.sub(r'\sid="[^"]*"', "", svg)  # dot's ids repeat across frames

    steps = backward_steps(root)  # prepared: non-leaves reset, the root seeded
    frames = [frame(root, [])]
    equations = [f"{_d(names[root], names[root])} = 1: the seed, where the backward pass starts"]
    for step in steps:
        known.update(u.parent for u in step.parents)
        frames.append(frame(step.node, [u.parent for u in step.parents]))
        equations.append("\n".join([f"step {step.index}: {step.name} ({step.rule})", *step.lines()]))
    return Stepper(frames, equations, f"Backward pass of {names[root]}")
