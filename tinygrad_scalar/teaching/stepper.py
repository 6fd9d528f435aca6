"""The stepper: a backward pass as a self-contained HTML page, one picture per step.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x'); y = (x * x).tanh(); y.label = 'y'
>>> page = stepper(y)            # doctest: +SKIP
>>> page.save("backward.html")   # doctest: +SKIP

The page first runs the forward pass, value by value, then the backward pass, step by step: each
picture outlines the value the step is about (orange) and the values it reads or gives gradients to
(blue), and above it the step is written out, formula first, then numbers. The boxes carry the same
names as the text (:mod:`tinygrad_scalar.views.naming`). The graph is laid out once, left to right
(:mod:`tinygrad_scalar.views.frames`), so every value keeps its place from step to step; the page
sizes the picture to the window, its text never under 12 px, and scrolls the outlined values into
view. It needs no network and no kernel, and without JavaScript (a notebook viewer, an e-mail) it
still shows the first picture and every step as text. Needs Graphviz's ``dot`` for the pictures.

The gradients of each step are computed on the side (:func:`tinygrad_scalar.teaching.explanations.backward_steps`):
the graph's ``grad`` fields are read, never written.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Constant, Value, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.core.language import N_, _, choose, in_its_language, listing, using
from tinygrad_scalar.teaching.explanations import Step, backward_steps
from tinygrad_scalar.teaching.formulas import d_latex, d_text, latex_factor, latex_number, rule_text
from tinygrad_scalar.teaching.practice import (
    ABS_TOLERANCE,
    REL_TOLERANCE,
    Mistake,
    likely_mistakes,
    tolerance_text,
    unrecognised_hint,
)
from tinygrad_scalar.views.animation import ANIMATION_FORMATS, HOLD_LAST, save_animation
from tinygrad_scalar.views.frames import Frame, draw_frames
from tinygrad_scalar.views.naming import factor, graph_names, is_negation, latex_name, num, written
from tinygrad_scalar.views.page import LegendEntry, asset, html_lang, legend_html, script_json

__all__ = ["CURRENT_COLOR", "MAX_STEPPER_NODES", "OUTLINES", "PARENT_COLOR", "Question", "Stepper", "stepper"]


CURRENT_COLOR = "#ea580c"
"""Outline of the node whose step is shown."""
PARENT_COLOR = "#2563eb"
"""Outline of the parents that receive its contributions."""

OUTLINES = {
    CURRENT_COLOR: N_("the value this step is about"),
    PARENT_COLOR: N_("the values it reads (forward) or gives a gradient to (backward)"),
}
"""What the stepper's outlines mean, in every legend."""

MAX_STEPPER_NODES = 150
"""The stepper draws one picture per step: graphs beyond this size are refused."""


class Stepper:
    """A forward and a backward pass of a graph as an HTML document: one SVG picture per step, the step
    written out above it, a legend, previous/next buttons, a slider and the arrow keys. Everything is inline (no
    network, no kernel), so it keeps working in an exported notebook or as a standalone file.

    ``frames`` are the SVG pictures (one layout, one size), ``equations`` the text of each, ``captions``
    the same in matplotlib's mathtext (text with ``$...$`` formulas, for slides), ``parts`` says of
    each whether it belongs to the ``'forward'`` or the ``'backward'`` pass, and ``legend`` what every
    fill, outline and mark of the pictures means. ``lang`` is the language the page is written in (its
    buttons, its headings and what its script writes; the equations come written in it).
    """

    def __init__(
        self,
        frames: list[str],
        equations: list[str],
        title: str,
        parts: list[str] | None = None,
        questions: list[Question] | None = None,
        captions: list[str] | None = None,
        legend: list[LegendEntry] | None = None,
        lang: str | None = None,
    ) -> None:
        self.lang = choose(lang)
        self.frames = frames
        self.equations = equations
        self.title = title
        self.parts = parts if parts is not None else ["backward"] * len(frames)
        self.questions = questions or []
        self.captions = captions if captions is not None else [_mathtext_escaped(e) for e in equations]
        self.legend = legend or []

    @in_its_language
    def _quizzes(self) -> tuple[str, str]:
        """The ask-before-reveal part: one block of questions per frame that asks, and their data."""
        if not self.questions:
            return "", ""
        blocks: dict[int, list[str]] = {}
        data: list[list[dict[str, object]] | None] = [None] * len(self.frames)
        buttons = {"check": _("check"), "check_title": _("check (Enter)"), "reveal": _("reveal")}
        buttons = {key: html.escape(text) for key, text in buttons.items()}
        for q in self.questions:
            j = len(blocks.setdefault(q.frame, []))
            blocks[q.frame].append(
                f'<div class="tgs-question" data-q="{j}"><label>{html.escape(q.name)} = '
                '<input type="text" class="tgs-answer" inputmode="decimal" autocomplete="off" spellcheck="false">'
                f'</label> <button type="button" class="tgs-check" title="{buttons["check_title"]}">'
                f'{buttons["check"]}</button> <button type="button" class="tgs-reveal">{buttons["reveal"]}</button>'
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
        return quizzes, f'<script type="application/json" class="tgs-data">{script_json(payload)}</script>'

    @in_its_language
    def questions_prompt(self, k: int) -> str:
        """What the learner reads before answering at frame ``k``: the step's first line and the question."""
        asked = [q.name for q in self.questions if q.frame == k]
        head = self.equations[k].splitlines()[0]
        return _("%(step)s. Your turn: what is %(asked)s?") % {"step": head, "asked": _and(asked)}

    def _words(self) -> dict[str, str]:
        """The sentences the page's script writes, in the page's language, with named places (``tgsFill``)."""
        return {
            "forward": _("the forward pass"),  # the headings
            "backward": _("the backward pass"),
            "forwardPass": _("forward pass"),  # the counter's
            "backwardPass": _("backward pass"),
            "counter": _("%(part)s: picture %(n)d of %(total)d"),
            "counterAsking": _("%(part)s: picture %(n)d of %(total)d: answer or reveal to go on"),
            "scoreSoFar": _(
                "score so far: %(right)d of %(total)d right (%(first)d at the first try), %(revealed)d revealed. "
                "%(tolerance)s."
            ),
            "scoreFinal": _(
                "final score: %(right)d of %(total)d right (%(first)d at the first try), %(revealed)d revealed. "
                "%(tolerance)s."
            ),
            "notANumber": _("type a number, such as %(examples)s") % {"examples": _examples()},
            "right": _("right: %(asked)s = %(expected)s"),
            "revealed": _("revealed: %(asked)s = %(expected)s"),
            "tryAgain": _("%(hint)s. Try again, or reveal the step."),
        }

    @in_its_language
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
        words = self._words()
        for i, (equation, part) in enumerate(zip(self.equations, self.parts)):
            if i == 0 or part != self.parts[i - 1]:
                equations.append(f'<div class="tgs-part">{html.escape(words[part])}</div>')
            equations.append(f'<div class="tgs-equation" data-part="{part}">{html.escape(equation)}</div>')
        last = len(self.frames) - 1
        part = words[f"{self.parts[0]}Pass"] if self.parts else ""
        counter = words["counter"] % {"part": part, "n": 1, "total": last + 1}
        said = {
            "previous": _("previous"),
            "previous_title": _("previous step (left arrow)"),
            "next": _("next"),
            "next_title": _("next step (right arrow)"),
            "step": _("step"),
        }
        said = {key: html.escape(text) for key, text in said.items()}
        controls = (
            '<div class="tgs-controls">'
            f'<button type="button" class="tgs-prev" title="{said["previous_title"]}">'
            f"&#8592; {said['previous']}</button>"
            f'<input type="range" class="tgs-slider" min="0" max="{last}" value="0" aria-label="{said["step"]}">'
            f'<button type="button" class="tgs-next" title="{said["next_title"]}">{said["next"]} &#8594;</button>'
            f'<span class="tgs-counter">{html.escape(counter)}</span>'
            "</div>"
        )
        words_json = f'<script type="application/json" class="tgs-words">{script_json(words)}</script>'
        script = (
            f"{asset('tinygrad_scalar.views', 'data.js')}\n{asset('tinygrad_scalar.teaching', 'stepper.js')}\n"
            f"tgsStepper(document.getElementById({script_json(element_id)}), {'true' if page else 'false'});"
        )
        return (
            f'<div class="tgs-stepper" id="{html.escape(element_id)}" tabindex="0" data-step="0">'
            f"<style>{asset('tinygrad_scalar.teaching', 'stepper.css')}</style>{score}{controls}"
            f'{legend_html(self.legend)}<div class="tgs-text">{"".join(equations)}{quizzes}</div>{frames}{data}'
            f"{words_json}<script>{script}</script></div>"
        )

    @in_its_language
    def html(self) -> str:
        """A complete, standalone HTML page."""
        return (
            f'<!DOCTYPE html>\n<html lang="{html_lang()}"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title></head><body>"
            f'<h1 style="font-family: Helvetica, Arial, sans-serif; font-size: 1.4em; margin: 0.3em 0">'
            f"{html.escape(self.title)}</h1>"
            f"{self.fragment(page=True)}</body></html>\n"
        )

    def _repr_html_(self) -> str:
        return self.fragment(element_id=f"tgs-stepper-{id(self):x}")

    @in_its_language
    def save(
        self,
        path: str | os.PathLike[str],
        *,
        seconds_per_frame: float | None = None,
        hold_last: float = HOLD_LAST,
    ) -> None:
        """Write the standalone page to ``path``; a path ending ``.gif``, ``.mp4`` or ``.svg`` gets the
        pictures as an animation instead, one 1920x1080 slide per step with its formulas as the caption
        and the legend, each shown for as long as its caption takes to read (or ``seconds_per_frame``
        seconds), the last ``hold_last`` seconds more (see :func:`tinygrad_scalar.views.animation.save_animation`).
        Saves are atomic: a failed one keeps the old file.
        """
        if os.fspath(path).rsplit(".", 1)[-1].lower() in ANIMATION_FORMATS:
            save_animation(
                self.frames, self.captions, path, seconds_per_frame=seconds_per_frame, hold_last=hold_last,
                legend=self.legend,
            )  # fmt: skip
            return
        atomic_write(path, self.html().encode("utf-8"))


def stepper(
    root: Value, *, rankdir: str = "LR", fmt: str = "%.4g", ask: bool = False, lang: str | None = None
) -> Stepper:
    """The forward pass, then a fresh backward pass, of ``root``'s graph, one picture per step.

    The forward part starts with only the leaves known and computes one value per picture; the
    backward part starts at the seed (the output's gradient is 1) and applies one chain-rule step per
    picture. The current value is outlined in orange, the values it reads or gives a gradient to in
    blue, and what is not computed yet shows ``?``. The pictures show this pass's gradients whatever
    the graph held before, and no ``grad`` is written. The graph is laid out once (``rankdir``: left
    to right by default), so every picture has the same size and every value the same place. Needs
    Graphviz's ``dot``.

    ``ask=True`` asks before it reveals: at each backward step that completes the gradient of some
    parents (their last use is this step), the page hides the step and asks the learner to type those
    gradients. The answer is checked in the page against the engine's gradient (the tolerance is on
    the page, see :mod:`tinygrad_scalar.teaching.practice`); a wrong one gets a hint naming the mistake its
    number shows; the learner tries again or reveals the step, and the page keeps the score. Enter
    checks, Tab reaches reveal, the arrow keys step: no mouse is needed. The questions need
    JavaScript; without it the page shows the steps as usual.

    ``lang`` is the language of the page, its steps, hints and pictures' numbers (by default the locale's:
    :mod:`tinygrad_scalar.core.language`).
    """
    with using(lang) as code:
        return _stepper(root, rankdir, fmt, ask, code)


def _stepper(root: Value, rankdir: str, fmt: str, ask: bool, lang: str) -> Stepper:
    order = topological_order(root)
    if len(order) > MAX_STEPPER_NODES:
        raise ValueError(
            f"this graph has {len(order)} values; the stepper draws one picture per step and is meant for up to "
            f"{MAX_STEPPER_NODES}. Step through a part of it (stepper(some_inner_value))."
        )
    names = graph_names(root)
    states: list[Frame] = []
    equations, captions, parts = [], [], []
    operations = [node for node in order if node._prev]
    given = [n for n in order if not n._prev and names[n] != num(n.data)]
    states.append(Frame(pending=operations))
    equations.append(
        _("the forward pass starts from the given values: %(values)s")
        % {"values": listing([f"{names[n]} = {num(n.data)}" for n in given])}
        if given
        else _("the forward pass")
    )
    captions.append(_start_caption(given, names))
    parts.append("forward")
    for i, node in enumerate(operations):
        states.append(Frame(pending=operations[i + 1 :], highlight=_outlines(node, node._prev)))
        equations.append(_forward_equation(node, names))
        captions.append(_forward_equation(node, names, latex=True))
        parts.append("forward")

    steps = backward_steps(root, lang=lang)  # a fresh pass, computed without touching the graph
    known = {root: 1.0}
    states.append(Frame(grads=dict(known), highlight=_outlines(root, ())))
    seed = _("%(seed)s = 1: the seed, where the backward pass starts")
    equations.append(seed % {"seed": d_text(names[root], names[root])})
    captions.append(_mathtext_escaped(seed) % {"seed": f"${d_latex(names[root], names[root])}$"})
    parts.append("backward")
    last_use = _last_uses(order)
    grads = fresh_gradients(root)
    asking: list[tuple[int, list[Value], Frame]] = []
    for step in steps:
        for update in step.parents:
            known[update.parent] = update.after
        around = [u.parent for u in step.parents]
        states.append(Frame(grads=dict(known), highlight=_outlines(step.node, around)))
        equations.append(step.text())
        captions.append(_step_caption(step))
        parts.append("backward")
        asked = [p for p in dict.fromkeys(around) if last_use.get(p) is step.node and not isinstance(p, Constant)]
        if ask and asked:
            hidden = {n: g for n, g in known.items() if n not in asked}
            asking.append((len(states) - 1, asked, Frame(grads=hidden, highlight=_outlines(step.node, around))))
    drawn = draw_frames(
        root, states + [frame for _s, _v, frame in asking], outlines=OUTLINES, names=names, fmt=fmt, rankdir=rankdir,
        max_nodes=MAX_STEPPER_NODES,
    )  # fmt: skip
    frames = drawn.pictures[: len(states)]
    questions = [
        _question(root, p, names, grads[p], k, picture)
        for (k, asked, _frame), picture in zip(asking, drawn.pictures[len(states) :])
        for p in asked
    ]
    title = _("Forward and backward pass of %(output)s") % {"output": names[root]}
    return Stepper(frames, equations, title, parts, questions, captions, drawn.legend, lang)


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the language in use."""
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": listing(items[:-1], numbers=False), "last": items[-1]}


def _examples() -> str:
    """Numbers a learner may type, as the class writes them: ``-1.5, 0.25 or 3/4`` (``-1,5; 0,25 or 3/4``)."""
    return _("%(items)s or %(last)s") % {"items": listing([num(-1.5), num(0.25)]), "last": "3/4"}


def _outlines(node: Value, around: Sequence[Value]) -> dict[Value, str]:
    """The outlines of a step: the values it reads or gives a gradient to, and the value it is about."""
    return {p: PARENT_COLOR for p in around} | {node: CURRENT_COLOR}


def _mathtext_escaped(text: str) -> str:
    """Plain text as a caption: the characters mathtext reads as formulas, escaped."""
    return text.replace("\\", "\\\\").replace("$", "\\$")


def _start_caption(given: Sequence[Value], names: dict[Value, str]) -> str:
    """The first slide's caption: the given values, four to a line."""
    values = [f"${latex_name(names[n])} = {latex_number(n.data)}$" for n in given]
    lines = [listing(values[i : i + 4]) for i in range(0, len(values), 4)]
    if not lines:
        return _mathtext_escaped(_("the forward pass"))
    return "\n".join([_mathtext_escaped(_("the forward pass starts from the given values:")), *lines])


def _step_caption(step: Step) -> str:
    """A backward step as a caption: what it is about in words and symbols, then each chain-rule line."""
    with using(step.lang):
        head = _mathtext_escaped(_("step %(index)d: %(made)s (%(rule)s), upstream %(upstream)s")) % {
            "index": step.index,
            "made": f"${latex_name(step.name)} = {step.latex_expression}$",
            "rule": _mathtext_escaped(rule_text(step.rule)),
            "upstream": f"${d_latex(step.root_name, step.name)} = {latex_number(step.upstream)}$",
        }
        where = [_mathtext_escaped(_("where %(definition)s")) % {"definition": f"${d}$"} for d in step.latex_defines]
        lines = [f"${line}$" for line in step.latex_lines()]
    return "\n".join([head, *lines, *where])


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
    return Question(
        frame, d_text(names[root], names[value]), expected, mistakes, unrecognised_hint(names[value]), picture
    )


def _last_uses(order: Sequence[Value]) -> dict[Value, Value]:
    """For each value, the consumer whose backward step gives it its last contribution (the first in order)."""
    last: dict[Value, Value] = {}
    for node in reversed(order):
        for parent in node._prev:
            last[parent] = node
    return last


def _forward_equation(node: Value, names: dict[Value, str], latex: bool = False) -> str:
    """``u1 = x1·w1 = 2·(-3) = -6``: the value, how it is made, in names and in numbers (text, or a
    caption with its formula in LaTeX)."""
    op, params = op_of(node, "the stepper")
    numbers = [(latex_factor if latex else factor)(p.data) for p in node._prev]
    if is_negation(node):
        in_numbers = f"-{numbers[0]}"
    elif op.expand is not None:
        call = r"\operatorname{checkpoint}" if latex else "checkpoint"
        in_numbers = f"{call}({', '.join(numbers)})"
    else:
        in_numbers = op.writing(numbers, params, latex=latex)
    if latex:
        name, result = latex_name(names[node]), latex_number(node.data)
        return f"${name} = {written(node, names, latex=True)} = {in_numbers} = {result}$"
    return f"{names[node]} = {written(node, names)} = {in_numbers} = {num(node.data)}"
