"""The stepper: a backward pass as a self-contained HTML page, one picture per step.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x'); y = (x * x).tanh(); y.label = 'y'
>>> page = stepper(y)            # doctest: +SKIP
>>> page.save("backward.html")   # doctest: +SKIP

The page first runs the forward pass, value by value, then the backward pass, step by step: each
picture outlines the value the step is about (orange) and the values it reads or gives gradients to
(blue), and under it the step is written out, formula first, then numbers. The boxes carry the same
names as the text (:mod:`tinygrad_scalar.views.naming`). It needs no network and no kernel, and without
JavaScript (a notebook viewer, an e-mail) it still shows the first picture and every step as text.
Needs Graphviz's ``dot`` for the pictures.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Constant, Value, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.teaching.explanations import _d, backward_steps
from tinygrad_scalar.teaching.practice import (
    ABS_TOLERANCE,
    REL_TOLERANCE,
    Mistake,
    likely_mistakes,
    tolerance_text,
    unrecognised_hint,
)
from tinygrad_scalar.views.animation import ANIMATION_FORMATS, HOLD_LAST, SECONDS_PER_FRAME, save_animation
from tinygrad_scalar.views.naming import factor, graph_names, is_negation, num, written

__all__ = ["CURRENT_COLOR", "MAX_STEPPER_NODES", "PARENT_COLOR", "Question", "Stepper", "stepper"]


CURRENT_COLOR = "#ea580c"
"""Outline of the node whose step is shown."""
PARENT_COLOR = "#2563eb"
"""Outline of the parents that receive its contributions."""

MAX_STEPPER_NODES = 150
"""The stepper draws one picture per step: graphs beyond this size are refused."""

_STEPPER_CSS = """
.tgs-stepper { font-family: Helvetica, Arial, sans-serif; max-width: 100%; outline: none; }
.tgs-stepper .tgs-frame { overflow-x: auto; }
.tgs-stepper .tgs-frame + .tgs-frame { display: none; }
.tgs-stepper.tgs-js .tgs-frame { display: none; }
.tgs-stepper.tgs-js .tgs-frame.tgs-current { display: block; }
.tgs-stepper .tgs-frame svg { max-width: 100%; height: auto; }
.tgs-stepper .tgs-equation { font-family: Menlo, Consolas, monospace; font-size: 15px; white-space: pre-wrap;
  margin: 0.6em 0; padding: 0.3em 0.5em; border-left: 3px solid #d1d5db; }
.tgs-stepper.tgs-js .tgs-equation { display: none; }
.tgs-stepper.tgs-js .tgs-equation.tgs-current { display: block; }
.tgs-stepper .tgs-part { font-weight: bold; margin-top: 0.8em; }
.tgs-stepper.tgs-js .tgs-part { display: none; }
.tgs-stepper .tgs-controls { display: none; gap: 0.6em; align-items: center; }
.tgs-stepper.tgs-js .tgs-controls { display: flex; }
.tgs-stepper .tgs-slider { flex: 1; }
.tgs-stepper.tgs-js { display: flex; flex-direction: column; }
.tgs-stepper.tgs-js .tgs-equation { order: 1; }
.tgs-stepper.tgs-js .tgs-frame { order: 2; }
.tgs-stepper .tgs-legend { font-size: 14px; margin: 0.4em 0; display: flex; gap: 1.5em; flex-wrap: wrap; }
.tgs-stepper .tgs-q-picture, .tgs-stepper .tgs-quiz, .tgs-stepper .tgs-score { display: none; }
.tgs-stepper.tgs-js .tgs-frame.tgs-asking .tgs-q-picture { display: block; }
.tgs-stepper.tgs-js .tgs-frame.tgs-asking .tgs-a-picture { display: none; }
.tgs-stepper.tgs-js .tgs-quiz.tgs-current { display: block; order: 1; }
.tgs-stepper.tgs-js .tgs-score { display: block; order: 0; font-size: 15px; margin: 0.4em 0; }
.tgs-stepper .tgs-quiz { font-size: 15px; margin: 0.6em 0; padding: 0.3em 0.5em; border-left: 3px solid #ea580c; }
.tgs-stepper .tgs-question { margin: 0.4em 0; }
.tgs-stepper .tgs-answer { font-family: Menlo, Consolas, monospace; font-size: 15px; width: 8em; }
.tgs-stepper .tgs-feedback { margin-top: 0.2em; }
.tgs-stepper .tgs-feedback.tgs-right { color: #15803d; }
.tgs-stepper .tgs-feedback.tgs-wrong { color: #b91c1c; }
.tgs-stepper .tgs-feedback.tgs-revealed { color: #4b5563; }
.tgs-stepper .tgs-swatch { display: inline-block; width: 1.4em; height: 0.9em; border: 3px solid;
  border-radius: 3px; vertical-align: middle; margin-right: 0.4em; }
"""

_STEPPER_JS = """
(function () {
  var root = document.getElementById("%(id)s");
  root.classList.add("tgs-js");
  var frames = root.querySelectorAll(".tgs-frame");
  var equations = root.querySelectorAll(".tgs-equation");
  var slider = root.querySelector(".tgs-slider");
  var counter = root.querySelector(".tgs-counter");
  var current = 0;
  var data = root.querySelector(".tgs-data");
  var quiz = data ? JSON.parse(data.textContent) : null;  // ask-before-reveal: the questions of each frame
  function open(k) {  // the questions of frame k not yet answered right or revealed
    if (!quiz || !quiz.frames[k]) { return 0; }
    return quiz.frames[k].filter(function (q) { return !q.state; }).length;
  }
  function firstOpen() {
    for (var k = 0; k < frames.length; k++) { if (open(k)) { return k; } }
    return frames.length - 1;
  }
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i, firstOpen()));
    var asking = open(current) > 0;
    for (var k = 0; k < frames.length; k++) {
      frames[k].classList.toggle("tgs-current", k === current);
      frames[k].classList.toggle("tgs-asking", k === current && asking);
      equations[k].classList.toggle("tgs-current", k === current && !asking);
      var box = root.querySelector('.tgs-quiz[data-frame="' + k + '"]');
      if (box) { box.classList.toggle("tgs-current", k === current); }
    }
    slider.value = current;
    var part = equations[current].getAttribute("data-part");
    counter.textContent = part + ": picture " + (current + 1) + " of " + frames.length +
      (asking ? ": answer or reveal to go on" : "");
    root.setAttribute("data-step", current);
    if (asking) {
      var input = root.querySelector('.tgs-quiz[data-frame="' + current + '"] .tgs-answer:not([disabled])');
      if (input) { input.focus(); }
    }
  }
  function close(a, b) {
    return Math.abs(a - b) <= Math.max(quiz.abs, quiz.rel * Math.abs(b));
  }
  function parse(text) {
    text = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var parts = text.split("/");
    if (text === "" || parts.length > 2) { return NaN; }
    var value = Number(parts[0]);
    if (parts.length === 2) { value = value / Number(parts[1]); }
    return isFinite(value) ? value : NaN;
  }
  function score() {
    var all = [], right = 0, first = 0, revealed = 0;
    quiz.frames.forEach(function (qs) { if (qs) { all = all.concat(qs); } });
    all.forEach(function (q) {
      if (q.state === "right") { right++; if (q.tries === 1) { first++; } }
      if (q.state === "revealed") { revealed++; }
    });
    var done = right + revealed === all.length;
    var box = root.querySelector(".tgs-score");
    box.textContent = (done ? "final score: " : "score so far: ") + right + " of " + all.length + " right (" +
      first + " at the first try), " + revealed + " revealed. " + quiz.tolerance + ".";
    box.setAttribute("data-final", done ? "yes" : "no");
  }
  function settle(k, j, state, text) {
    var q = quiz.frames[k][j];
    var row = root.querySelector('.tgs-quiz[data-frame="' + k + '"] .tgs-question[data-q="' + j + '"]');
    q.state = state;
    var feedback = row.querySelector(".tgs-feedback");
    feedback.textContent = text;
    feedback.className = "tgs-feedback tgs-" + state;
    row.querySelectorAll("input, button").forEach(function (e) { e.disabled = true; });
    score();
    if (!open(k)) { root.focus(); }
    show(current);
  }
  function check(k, j) {
    var q = quiz.frames[k][j];
    var row = root.querySelector('.tgs-quiz[data-frame="' + k + '"] .tgs-question[data-q="' + j + '"]');
    var feedback = row.querySelector(".tgs-feedback");
    var answer = parse(row.querySelector(".tgs-answer").value);
    if (isNaN(answer)) {
      feedback.textContent = "type a number, such as -1.5, 0.25 or 3/4";
      feedback.className = "tgs-feedback tgs-wrong";
      feedback.removeAttribute("data-kind");
      return;
    }
    q.tries = (q.tries || 0) + 1;
    if (close(answer, q.expected)) { settle(k, j, "right", "right: " + q.name + " = " + q.shown); return; }
    var hint = q.fallback, kind = "";
    for (var m = 0; m < q.mistakes.length; m++) {
      if (close(answer, q.mistakes[m][1])) { kind = q.mistakes[m][0]; hint = q.mistakes[m][2]; break; }
    }
    feedback.textContent = hint + ". Try again, or reveal the step.";
    feedback.className = "tgs-feedback tgs-wrong";
    feedback.setAttribute("data-kind", kind);
  }
  if (quiz) {
    root.querySelectorAll(".tgs-question").forEach(function (row) {
      var k = parseInt(row.parentNode.getAttribute("data-frame"), 10), j = parseInt(row.getAttribute("data-q"), 10);
      row.querySelector(".tgs-check").addEventListener("click", function () { check(k, j); });
      row.querySelector(".tgs-answer").addEventListener("keydown", function (event) {
        if (event.key === "Enter") { check(k, j); event.preventDefault(); }
      });
      row.querySelector(".tgs-reveal").addEventListener("click", function () {
        var q = quiz.frames[k][j];
        settle(k, j, "revealed", "revealed: " + q.name + " = " + q.shown);
      });
    });
    score();
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
    """A forward and a backward pass of a graph as an HTML document: one SVG picture per step, the step
    written out under it, previous/next buttons, a slider and the arrow keys. Everything is inline (no
    network, no kernel), so it keeps working in an exported notebook or as a standalone file.

    ``frames`` are the SVG pictures, ``equations`` the text of each, ``parts`` says of each whether it
    belongs to the ``'forward'`` or the ``'backward'`` pass.
    """

    def __init__(
        self,
        frames: list[str],
        equations: list[str],
        title: str,
        parts: list[str] | None = None,
        questions: list[Question] | None = None,
    ) -> None:
        self.frames = frames
        self.equations = equations
        self.title = title
        self.parts = parts if parts is not None else ["backward"] * len(frames)
        self.questions = questions or []

    def _quizzes(self) -> tuple[str, str]:
        """The ask-before-reveal part: one block of questions per frame that asks, and their data."""
        if not self.questions:
            return "", ""
        blocks: dict[int, list[str]] = {}
        data: list[list[dict[str, object]] | None] = [None] * len(self.frames)
        for q in self.questions:
            j = len(blocks.setdefault(q.frame, []))
            blocks[q.frame].append(
                f'<div class="tgs-question" data-q="{j}"><label>{html.escape(q.name)} = '
                '<input type="text" class="tgs-answer" inputmode="decimal" autocomplete="off" spellcheck="false">'
                '</label> <button type="button" class="tgs-check" title="check (Enter)">check</button> '
                '<button type="button" class="tgs-reveal">reveal</button>'
                '<div class="tgs-feedback" role="status" aria-live="polite"></div></div>'
            )
            entry = data[q.frame] or []
            entry.append(
                {
                    "name": q.name,
                    "expected": q.expected,
                    "shown": num(q.expected),
                    "mistakes": [[m.kind, m.value, m.hint] for m in q.mistakes],
                    "fallback": q.fallback,
                }
            )
            data[q.frame] = entry
        quizzes = "".join(
            f'<div class="tgs-quiz" data-frame="{k}">'
            f'<div class="tgs-prompt">{html.escape(self.questions_prompt(k))}</div>{"".join(rows)}</div>'
            for k, rows in blocks.items()
        )
        payload = {
            "frames": data,
            "abs": ABS_TOLERANCE,
            "rel": REL_TOLERANCE,
            "tolerance": tolerance_text(),
        }
        script = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
        return quizzes, f'<script type="application/json" class="tgs-data">{script}</script>'

    def questions_prompt(self, k: int) -> str:
        """What the learner reads before answering at frame ``k``: the step's first line and the question."""
        asked = [q.name for q in self.questions if q.frame == k]
        head = self.equations[k].splitlines()[0]
        return f"{head}. Your turn: what is {' and '.join(asked)}?"

    def fragment(self, element_id: str = "tgs-stepper", page: bool = False) -> str:
        """The stepper as an HTML fragment (what Jupyter shows)."""
        asking = {q.frame: q.picture for q in self.questions}
        frames = "".join(
            f'<div class="tgs-frame"><div class="tgs-q-picture">{asking[k]}</div>'
            f'<div class="tgs-a-picture">{svg}</div></div>'
            if k in asking
            else f'<div class="tgs-frame">{svg}</div>'
            for k, svg in enumerate(self.frames)
        )
        quizzes, data = self._quizzes()
        score = '<div class="tgs-score" role="status"></div>' if self.questions else ""
        equations = []
        for i, (equation, part) in enumerate(zip(self.equations, self.parts)):
            if i == 0 or part != self.parts[i - 1]:
                equations.append(f'<div class="tgs-part">the {part} pass</div>')
            equations.append(f'<div class="tgs-equation" data-part="{part} pass">{html.escape(equation)}</div>')
        last = len(self.frames) - 1
        legend = (
            '<div class="tgs-legend">'
            f'<span><span class="tgs-swatch" style="border-color: {CURRENT_COLOR}"></span>'
            "the value this step is about</span>"
            f'<span><span class="tgs-swatch" style="border-color: {PARENT_COLOR}"></span>'
            "the values it reads (forward) or gives a gradient to (backward)</span>"
            "<span>? : not computed yet</span></div>"
        )
        controls = (
            '<div class="tgs-controls">'
            '<button type="button" class="tgs-prev" title="previous step (left arrow)">&#8592; previous</button>'
            f'<input type="range" class="tgs-slider" min="0" max="{last}" value="0" aria-label="step">'
            '<button type="button" class="tgs-next" title="next step (right arrow)">next &#8594;</button>'
            f'<span class="tgs-counter">picture 1 of {last + 1}</span>'
            "</div>"
        )
        script = _STEPPER_JS % {"id": element_id, "page": "true" if page else "false"}
        return (
            f'<div class="tgs-stepper" id="{element_id}" tabindex="0" data-step="0">'
            f"<style>{_STEPPER_CSS}</style>{score}{controls}{legend}{frames}{''.join(equations)}{quizzes}{data}"
            f"<script>{script}</script></div>"
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

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        seconds_per_frame: float = SECONDS_PER_FRAME,
        hold_last: float = HOLD_LAST,
    ) -> None:
        """Write the standalone page to ``path``; a path ending ``.gif``, ``.mp4`` or ``.svg`` gets the
        pictures as an animation instead, one 1920x1080 slide per step with its equation as the caption,
        each shown ``seconds_per_frame`` seconds and the last ``hold_last`` seconds more (see
        :func:`tinygrad_scalar.views.animation.save_animation`). Saves are atomic: a failed one keeps the old file.
        """
        if os.fspath(path).rsplit(".", 1)[-1].lower() in ANIMATION_FORMATS:
            save_animation(self.frames, self.equations, path, seconds_per_frame=seconds_per_frame, hold_last=hold_last)
            return
        atomic_write(path, self.html().encode("utf-8"))


def stepper(root: Value, *, rankdir: str = "TB", fmt: str = "%.4g", ask: bool = False) -> Stepper:
    """The forward pass, then a fresh backward pass, of ``root``'s graph, one picture per step.

    The forward part starts with only the leaves known and computes one value per picture; the
    backward part starts at the seed (the output's gradient is 1) and applies one chain-rule step per
    picture. The current value is outlined in orange, the values it reads or gives a gradient to in
    blue, and what is not computed yet shows ``?``. The pictures show this pass's gradients whatever
    the graph held before, and every ``grad`` is left as it was. Needs Graphviz's ``dot``.

    ``ask=True`` asks before it reveals: at each backward step that completes the gradient of some
    parents (their last use is this step), the page hides the step and asks the learner to type those
    gradients. The answer is checked in the page against the engine's gradient (the tolerance is on
    the page, see :mod:`tinygrad_scalar.teaching.practice`); a wrong one gets a hint naming the mistake its
    number shows; the learner tries again or reveals the step, and the page keeps the score. Enter
    checks, Tab reaches reveal, the arrow keys step: no mouse is needed. The questions need
    JavaScript; without it the page shows the steps as usual.
    """
    from tinygrad_scalar.views.dot import draw_dot

    order = topological_order(root)
    if len(order) > MAX_STEPPER_NODES:
        raise ValueError(
            f"this graph has {len(order)} values; the stepper draws one picture per step and is meant for up to "
            f"{MAX_STEPPER_NODES}. Step through a part of it (stepper(some_inner_value))."
        )
    names = graph_names(root)

    def frame(
        current: Value | None, around: Sequence[Value], pending: Sequence[Value], unknown: Sequence[Value]
    ) -> str:
        outline = {p: PARENT_COLOR for p in around}
        if current is not None:
            outline[current] = CURRENT_COLOR
        graph = draw_dot(
            root, rankdir=rankdir, fmt=fmt, highlight=outline, unknown=unknown, pending=pending,
            max_nodes=MAX_STEPPER_NODES, names=names, fontsize=16,
        )  # fmt: skip
        svg = graph.pipe(format="svg").decode("utf-8")
        svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG goes inline
        return _at_least_readable(re.sub(r'\sid="[^"]*"', "", svg))  # dot's ids repeat across frames

    frames, equations, parts = [], [], []
    questions: list[Question] = []
    operations = [node for node in order if node._a is not None]
    pending = list(operations)
    leaves = ", ".join(f"{names[n]} = {num(n.data)}" for n in order if n._a is None and names[n] != num(n.data))
    frames.append(frame(None, [], pending, order))
    equations.append(f"the forward pass starts from the given values: {leaves}" if leaves else "the forward pass")
    parts.append("forward")
    for node in operations:
        pending.remove(node)
        frames.append(frame(node, node._prev, pending, order))
        equations.append(_forward_equation(node, names))
        parts.append("forward")

    steps = backward_steps(root)  # a fresh pass, computed without touching the graph
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        known = {root}
        frames.append(frame(root, [], [], [n for n in order if n not in known]))
        equations.append(f"{_d(names[root], names[root])} = 1: the seed, where the backward pass starts")
        parts.append("backward")
        last_use = _last_uses(order)
        grads = fresh_gradients(root)
        for step in steps:
            for update in step.parents:
                update.parent.grad = update.after
                known.add(update.parent)
            around = [u.parent for u in step.parents]
            frames.append(frame(step.node, around, [], [n for n in order if n not in known]))
            equations.append(step.text())
            parts.append("backward")
            asked = [p for p in dict.fromkeys(around) if last_use.get(p) is step.node and not isinstance(p, Constant)]
            if ask and asked:
                hidden = [n for n in order if n not in known or n in asked]
                picture = frame(step.node, around, [], hidden)
                questions += [_question(root, p, names, grads[p], len(frames) - 1, picture) for p in asked]
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    return Stepper(frames, equations, f"Forward and backward pass of {names[root]}", parts, questions)


@dataclass(frozen=True)
class Question:
    """One gradient the ask-before-reveal stepper asks for, at one frame, with the picture shown meanwhile."""

    frame: int
    name: str  # '∂L/∂x'
    expected: float
    mistakes: tuple[Mistake, ...]
    fallback: str  # the hint for a number no mistake explains
    picture: str  # the frame's SVG with the asked gradients still '?'


def _question(
    root: Value, value: Value, names: dict[Value, str], expected: float, frame: int, picture: str
) -> Question:
    mistakes = tuple(likely_mistakes(root, value))
    return Question(frame, _d(names[root], names[value]), expected, mistakes, unrecognised_hint(names[value]), picture)


def _last_uses(order: Sequence[Value]) -> dict[Value, Value]:
    """For each value, the consumer whose backward step gives it its last contribution (the first in order)."""
    last: dict[Value, Value] = {}
    for node in reversed(order):
        for parent in node._prev:
            last[parent] = node
    return last


MIN_SCALE = 0.55
"""How far a wide picture may shrink to fit the page: 16 pt text stays above 12 px; wider ones scroll."""


def _at_least_readable(svg: str) -> str:
    """The SVG scaled down to the page's width, but never below ``MIN_SCALE`` (then the frame scrolls)."""
    match = re.search(r'<svg width="([\d.]+)pt"', svg)
    if match is None:
        return svg
    least = float(match.group(1)) * 4 / 3 * MIN_SCALE  # dot's points, in CSS pixels
    return svg.replace("<svg ", f'<svg style="min-width: {least:.0f}px" ', 1)


def _forward_equation(node: Value, names: dict[Value, str]) -> str:
    """``u1 = x1·w1 = 2·(-3) = -6``: the value, how it is made, in names and in numbers."""
    op, params = op_of(node, "the stepper")
    numbers = [factor(p.data) for p in node._prev]
    if is_negation(node):
        in_numbers = f"-{numbers[0]}"
    elif op.expand is not None:
        in_numbers = f"checkpoint({', '.join(numbers)})"
    else:
        in_numbers = op.writing(numbers, params)
    return f"{names[node]} = {written(node, names)} = {in_numbers} = {num(node.data)}"
