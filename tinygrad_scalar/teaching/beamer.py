r"""A backward pass as a Beamer deck, to project in a lecture and to edit like any other slides.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x'); y = (x * x).tanh(); y.label = 'y'
>>> deck = beamer(y)                 # doctest: +SKIP
>>> save_beamer(y, "backward.tex")   # doctest: +SKIP

The deck has, on 16:9 frames:

1. the problem: the function, the given values, and the gradients to find;
2. the forward pass, one value per overlay (``FORWARD_ROWS`` values a frame);
3. one frame per step of the backward pass (:func:`tinygrad_scalar.teaching.explanations.backward_steps`):
   the graph with the step's value outlined in orange, then, one overlay per parent, the parent
   outlined in blue, its gradient filled in, and its chain-rule line uncovered, typeset with the
   same LaTeX formulas as the worked solution;
4. a summary: every gradient, on the finished graph.

The graph is laid out once by Graphviz's ``dot`` and drawn with TikZ on every frame
(:mod:`tinygrad_scalar.views.tikz`), so it never moves (on a graph too wide for its text to be read on a
slide, each frame shows the part around its step: ``WINDOW_CM``); what changes from overlay to overlay are TikZ
styles (``tgs current``, ``tgs touched``) switched on with ``tgs on=<2->{...}``, and numbers revealed
with ``\tgsreveal<2->{number}{?}``. Colours and styles are defined once in the preamble, where a
teacher restyles them. Names and labels are escaped: no text a student typed can run a LaTeX command.
``pdflatex`` compiles the deck with Debian's ``texlive-latex-recommended`` and ``texlive-pictures``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from tinygrad_scalar.core.engine import Constant, Value, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.core.language import _, number_text, translated, using
from tinygrad_scalar.teaching.explanations import Step, backward_steps
from tinygrad_scalar.teaching.formulas import latex_number, rule_text
from tinygrad_scalar.teaching.latex import latex_paragraph, latex_text, latex_words
from tinygrad_scalar.teaching.stepper import CURRENT_COLOR, PARENT_COLOR
from tinygrad_scalar.views.dot import KINDS, check_number_format, draw_dot, format_number
from tinygrad_scalar.views.naming import (
    check_latex_words,
    graph_names,
    is_negation,
    language_packages,
    latex_name,
    latex_wrap,
    written,
)
from tinygrad_scalar.views.tikz import LIBRARIES, TikzGraph
from tinygrad_scalar.views.tikz import number_text as tikz_number

__all__ = ["MAX_DECK_NODES", "beamer", "save_beamer"]

MAX_DECK_NODES = 40
"""The most values a deck explains: a frame per operation makes a larger graph a deck too long to present, and
its window (``WINDOW_CM``) shows too little of the graph to follow."""

_FRAME_WIDTH_CM = 15.2
"""The width the graph may take on a 16 cm wide (16:9) frame, inside 0.4 cm margins."""

_GRAPH_HEIGHT_CM = 3.6
"""The most height the graph takes; less when the frame's formulas need the room (see ``_BODY_CM``)."""

_BODY_CM = 7.0
"""The height a frame has under its title. The graph gets what its legend, its sentence and its formulas leave
(each estimated: a line of text 0.45 cm, a row with a fraction 0.95 cm, another row 0.55 cm)."""

FONTSIZE = 20
"""The size of the text ``dot`` lays the graph out for. A larger size than the 14 points of a notebook
picture gives the text a larger share of the slide's width (the gaps between the columns stay the same):
the lecture neuron's words are about 21 px high on a 1920 px wide projection."""

WINDOW_CM = 72.0
"""The widest part of the layout (in cm, at ``FONTSIZE``) a frame shows: scaled to the frame's 15.2 cm, its text
is 20 px high on a 1920 px wide projection. The lecture neuron (69 cm) fits whole; on a wider graph each frame
shows the part around its step, like a camera following the pass."""

FORWARD_ROWS = 5
"""The operations one frame of the forward pass computes: a longer forward pass takes several frames."""

TEXT_SCALE = 1.2
"""TeX's sans serif text is about 0.8 times as wide as what ``dot`` reserves for Helvetica, so the graph's
text is set this much larger than ``FONTSIZE`` to fill the boxes dot drew (style ``tgs deck``)."""

_PREAMBLE = r"""\documentclass[aspectratio=169,11pt]{beamer}
\usepackage{amsmath}
%% Upright names (out, a label of several letters) in the deck's sans serif, as every other name.
\AtBeginDocument{\let\mathrm\mathsf}
\usepackage{tikz}
\usetikzlibrary{%(libraries)s}
\setbeamertemplate{navigation symbols}{}
\setbeamertemplate{footline}{\hfill\usebeamerfont{page number in head/foot}\insertframenumber
  \hspace{0.4cm}\vspace{0.15cm}}
\setbeamersize{text margin left=0.4cm, text margin right=0.4cm}
%(language)s
%% Overlays: a TikZ style on some overlays only (tgs on=<2->{tgs touched}); a number shown from an overlay
%% on, something else before it (\tgsreveal<2->{-1.5}{?}); a ? as wide as the number it stands for, so
%% that no box changes its size from overlay to overlay (\tgsunknown{-1.5}).
\tikzset{tgs on/.code args={<#1>#2}{\only<#1>{\pgfkeysalso{#2}}}}
\newcommand<>{\tgsreveal}[2]{\alt#3{#1}{#2}}
\newcommand{\tgsunknown}[1]{{\setbox0\hbox{#1}\hbox to\wd0{\hss?\hss}}}
%% The graph's text, set to fill the boxes dot laid out (restyle it here).
\tikzset{tgs deck/.style={font=\sffamily\fontsize{%(text)g}{%(line)g}\selectfont}}
\providecolor{tgscurrent}{HTML}{%(current)s}
\providecolor{tgstouched}{HTML}{%(touched)s}
%(styles)s\tgsstyle{tgs current}{draw=tgscurrent, line width=5pt}
\tgsstyle{tgs touched}{draw=tgstouched, line width=5pt}
\title{%(title)s}
\begin{document}
%(begin)s"""


def beamer(root: Value, *, fmt: str = "%.6g", title: str | None = None, lang: str | None = None) -> str:
    """The Beamer deck of ``root``'s forward and backward pass (see the module docstring), as LaTeX source.

    ``fmt`` formats the numbers in the graph (``'%.6g'``: the formulas' six significant digits);
    ``title`` is the deck's title (escaped; by default "Backpropagation through" the output's name).
    ``lang`` is the class's language (``'de'``, ``'fr'``, ``'es'``, ``'zh_Hans'``; by default the one in use, else
    the locale's: :mod:`tinygrad_scalar.core.language`): every title and sentence is written in it, its numbers
    with its decimal symbol, with babel (German, French, Spanish) or the CJK package (Chinese) in the preamble.
    The deck shows a fresh backward pass from ``root`` whatever the graph's gradients hold, and changes
    none of them. Needs Graphviz's ``dot`` for the layout.
    """
    check_number_format(fmt)
    order = topological_order(root)
    if len(order) > MAX_DECK_NODES:
        raise ValueError(
            f"this graph has {len(order)} values; a deck has a frame for each of its operations and is meant for up "
            f"to {MAX_DECK_NODES} values, beyond which it is too long to present. Explain a part of it "
            f"(beamer(some_inner_value)), or write a worked solution (worked_solution(root, 'latex'))."
        )
    with using(lang) as code:
        names = graph_names(root)
        grads = fresh_gradients(root)
        steps = backward_steps(root)
        layout = TikzGraph(draw_dot(root, fmt=fmt, legend=False, names=names, grads=grads, fontsize=FONTSIZE))
        deck = _Deck(root, order, names, grads, steps.steps, layout, fmt)
        if title is not None:
            heading = latex_text(title)
        else:
            heading = latex_paragraph(_("Backpropagation through %(name)s"), name=f"${latex_name(names[root])}$")
        packages, begin, end = language_packages(code)
        preamble = _PREAMBLE % {
            "libraries": LIBRARIES,
            "language": packages,
            "begin": begin,
            "current": CURRENT_COLOR.lstrip("#").upper(),
            "touched": PARENT_COLOR.lstrip("#").upper(),
            "styles": layout.styles(),
            "title": heading,
            "text": FONTSIZE * TEXT_SCALE,
            "line": FONTSIZE * TEXT_SCALE * 1.2,
        }
        frames = [
            deck.problem(),
            *deck.forward(),
            *(deck.step(step, len(steps.steps)) for step in steps),
            deck.summary(),
        ]
    source = preamble + "\n".join(frames) + end + "\\end{document}\n"
    check_latex_words(source, cjk=bool(begin))
    return source


def save_beamer(
    root: Value, path: str | os.PathLike[str], *, fmt: str = "%.6g", title: str | None = None, lang: str | None = None
) -> Path:
    """Write ``beamer(root, fmt=fmt, title=title, lang=lang)`` to ``path``, atomically; returns the path written."""
    return atomic_write(Path(path), beamer(root, fmt=fmt, title=title, lang=lang).encode("utf-8"))


class _Deck:
    """The frames of one deck, all drawn on one layout of the graph."""

    def __init__(
        self,
        root: Value,
        order: list[Value],
        names: dict[Value, str],
        grads: Mapping[Value, float],
        steps: Sequence[Step],
        layout: TikzGraph,
        fmt: str,
    ) -> None:
        self.root, self.order, self.names, self.grads, self.steps = root, order, names, grads, steps
        self.layout, self.fmt = layout, fmt
        self.operations = [node for node in order if node._prev]
        self.given = [node for node in order if not node._prev and not isinstance(node, Constant)]

    # ---- pieces ----------------------------------------------------------------------------------------

    def _number(self, x: float) -> str:
        """A number of the graph, as its picture writes it: ``fmt``, the class's decimal symbol."""
        return tikz_number(format_number(self.fmt, x))

    def _name(self, node: Value) -> str:
        return latex_name(self.names[node])

    def _unknown(self, node: Value) -> str:
        """A gradient not known yet: ``?``, as wide as the number it will be."""
        return rf"\tgsunknown{{{self._number(self.grads[node])}}}"

    def _d(self, node: Value) -> str:
        """∂root/∂node in LaTeX."""
        of, by = latex_wrap(self._name(self.root)), latex_wrap(self._name(node))
        return rf"\frac{{\partial {of}}}{{\partial {by}}}"

    def _picture(
        self,
        extra: Mapping[Value, str],
        data: Mapping[Value, str],
        grads: Mapping[Value, str],
        focus: Sequence[Value] = (),
        below: float = 0.0,
    ) -> str:
        """The graph, scaled to fit the frame's width and the height that the ``below`` cm under it leave; on a
        graph too large for that at a readable size, only the part around the ``focus`` values (the whole graph
        without them)."""
        height = max(1.2, min(_GRAPH_HEIGHT_CM, _BODY_CM - below))
        window = self._window(focus, WINDOW_CM * height / _FRAME_WIDTH_CM) if focus else None
        x0, y0, x1, y1 = window if window is not None else self.layout.box
        width = min(_FRAME_WIDTH_CM, height * (x1 - x0) / (y1 - y0))
        picture = self.layout.picture(
            extra=extra, data=data, grads=grads, options="tgs deck", fixed_size=True, window=window
        )
        return f"\\begin{{center}}\n\\resizebox{{{width:.2f}cm}}{{!}}{{%\n{picture}}}\n\\end{{center}}\n"

    def _fits(self, focus: Sequence[Value]) -> bool:
        """Whether one window of the graph holds every ``focus`` value (as a forward frame of five rows has it)."""
        tall = WINDOW_CM * max(1.2, min(_GRAPH_HEIGHT_CM, _BODY_CM - 1.7 - 0.55 * FORWARD_ROWS)) / _FRAME_WIDTH_CM
        boxes = [self.layout.extent[v] for v in focus]
        wide = max(b[2] for b in boxes) - min(b[0] for b in boxes) + 2.0
        high = max(b[3] for b in boxes) - min(b[1] for b in boxes) + 2.0
        return wide <= WINDOW_CM and high <= tall

    def _window(self, focus: Sequence[Value], tall: float) -> tuple[float, float, float, float] | None:
        """The part of a large graph, ``WINDOW_CM`` wide and ``tall`` high (or more, to hold them all), around
        the ``focus`` values; ``None`` when the whole graph fits."""
        x0, y0, x1, y1 = self.layout.box
        if x1 - x0 <= WINDOW_CM and y1 - y0 <= tall:
            return None
        boxes = [self.layout.extent[v] for v in focus]
        nodes = [
            (n.x - n.width / 2, n.y - n.height / 2, n.x + n.width / 2, n.y + n.height / 2) for n in self.layout.nodes
        ]
        left, right = _span([(b[0], b[2]) for b in boxes], (x0, x1), WINDOW_CM, [(n[0], n[2]) for n in nodes])
        seen = [(n[1], n[3]) for n in nodes if n[0] < right and n[2] > left]  # the nodes the window's width holds
        bottom, top = _span([(b[1], b[3]) for b in boxes], (y0, y1), tall, seen)
        return left, bottom, right, top

    def _graph_frame(
        self,
        title: str,
        picture: tuple[Mapping[Value, str], Mapping[Value, str], Mapping[Value, str], Sequence[Value]],
        outlines: Sequence[tuple[str, str]],
        lead: str,
        formulas: str,
        rows: Sequence[str],
    ) -> str:
        """A frame: the graph (``picture``: extra styles, data, gradients, focus), its legend, a sentence, and
        the formulas (whose ``rows`` say how tall they are)."""
        legend = self._legend(outlines)
        below = 0.45 * (1 + legend.count(r"\tikz") // 6) + 0.75 + 0.5
        below += sum(0.95 if r"\frac" in row else 0.55 for row in rows)
        extra, data, grads, focus = picture
        return self._frame(title, self._picture(extra, data, grads, focus, below) + legend + lead + formulas)

    def _legend(self, outlines: Sequence[tuple[str, str]]) -> str:
        """One line under the graph (two with six entries): what each fill and each outline means."""
        kinds = [k for k in KINDS if any(n.drawn.kind == k for n in self.layout.nodes)]
        # what each fill means, in KINDS' words up to the first comma, bracket or colon: one line for all
        cuts = r",| \(|:|\uff0c|\uff08|\uff1a"  # and the full-width comma, bracket and colon of Chinese
        short = {k: re.split(cuts, translated(KINDS[k][1]))[0].strip() for k in kinds}
        entries = [(f"tgs swatch, tgs {k}", short[k]) for k in kinds]
        entries += [(f"tgs swatch, {style}, line width=1.5pt", meaning) for style, meaning in outlines]
        swatch = r"\tikz[baseline=-0.6ex]\node[%s, minimum width=0.45cm, minimum height=0.25cm] {};"
        items = [f"{swatch % style}~{latex_words(meaning)}" for style, meaning in entries]
        return "{\\scriptsize " + r"\quad ".join(items) + "\\par}\\smallskip\n"

    def _frame(self, title: str, body: str) -> str:
        return f"\\begin{{frame}}[t]{{{title}}}\n{body}\\end{{frame}}\n"

    # ---- the frames --------------------------------------------------------------------------------

    def problem(self) -> str:
        """The function, the given values, and the gradients to find."""
        function, where = _expression(self.root, self.names)
        given = ", ".join(f"${self._name(v)} = {_given(v.data)}$" for v in self.given)
        wanted = ", ".join(f"${self._d(v)}$" for v in self.given)
        lines = [
            r"\begin{center}\Large",
            f"$\\displaystyle {self._name(self.root)} = {function}$",
            r"\end{center}",
        ]
        if where:
            definitions = ", ".join(f"${w}$" for w in where)
            lines.append(latex_paragraph(_("where %(definition)s"), definition=definitions) + r"\par\medskip")
        labels = [latex_words(_("Given:")), latex_words(_("Find:")), latex_words(_("How:"))]
        if given:
            facts = latex_paragraph(_("%(values)s."), values=given)
        else:
            facts = latex_words(_("no variable: every input is a number."))
        find = _("the gradient of %(output)s with respect to each of them: %(gradients)s.")
        how = _(
            "the forward pass computes every value; the backward pass applies the chain rule to one operation at a "
            "time, from the output back to the inputs."
        )
        lines += [
            rf"\begin{{description}}[{max(labels, key=len)}]",
            rf"\item[{labels[0]}] {facts}",
            rf"\item[{labels[1]}] " + latex_paragraph(find, output=f"${self._name(self.root)}$", gradients=wanted),
            rf"\item[{labels[2]}] " + latex_words(how),
            r"\end{description}",
        ]
        return self._frame(r"\inserttitle", "\n".join(lines) + "\n")

    def forward(self) -> list[str]:
        """The forward pass: the given values first, then one operation per overlay, at most ``FORWARD_ROWS`` a
        frame, and on a large graph only as many as one window of it holds."""
        chunks: list[list[Value]] = [[]]
        for node in self.operations:
            chunk = [*chunks[-1], node]
            if chunks[-1] and (
                len(chunk) > FORWARD_ROWS or not self._fits([*chunk, *(p for n in chunk for p in n._prev)])
            ):
                chunks.append([node])
            else:
                chunks[-1] = chunk
        done: list[Value] = []
        frames = []
        for number, chunk in enumerate(chunks, 1):
            if len(chunks) > 1:
                heading = _("The forward pass (%(part)d of %(parts)d)") % {"part": number, "parts": len(chunks)}
            else:
                heading = _("The forward pass")
            frames.append(self._forward_frame(chunk, done, latex_words(heading)))
            done += chunk
        return frames

    def _forward_frame(self, chunk: Sequence[Value], done: Sequence[Value], title: str) -> str:
        extra: dict[Value, str] = {}
        data = {node: rf"\tgsunknown{{{self._number(node.data)}}}" for node in self.operations if node not in done}
        for k, node in enumerate(chunk, 2):
            number = self._number(node.data)
            data[node] = rf"\tgsreveal<{k}->{{{number}}}{{\tgsunknown{{{number}}}}}"
            extra[node] = f"tgs on=<{k}>{{tgs current}}"
            for parent in node._prev:
                extra[parent] = ", ".join(filter(None, [extra.get(parent, ""), f"tgs on=<{k}>{{tgs touched}}"]))
        unknown = {node: self._unknown(node) for node in self.order}
        rows = []
        for k, node in enumerate(chunk, 2):
            lhs, rhs = _forward_row(node, self.names)
            rows.append(rf"  \uncover<{k}->{{{lhs}}} &\uncover<{k}->{{{rhs}}} \\")
        rows[-1] = rows[-1].removesuffix(r" \\")
        lead = latex_words(_("Then:") if done else _("From the given values, one operation at a time:")) + "\n"
        focus = [*chunk, *(p for node in chunk for p in node._prev)]
        formulas = "{\\small\n\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}}\n"
        outlines = [("tgs current", _("the value computed")), ("tgs touched", _("its inputs"))]
        return self._graph_frame(title, (extra, data, unknown, focus), outlines, lead, formulas, rows)

    def step(self, step: Step, steps: int) -> str:
        """One backward step: the value, its upstream gradient, then each parent's chain-rule line."""
        before = self._known_before(step)
        shown = step.shown()
        extra = {step.node: "tgs current"}
        grads = {node: (self._number(g) if g is not None else self._unknown(node)) for node, g in before.items()}
        # each shown parent is revealed on its own overlay (2, 3, ...); constants with the step itself
        for k, update in enumerate(shown, 2):
            parent = update.parent
            old = grads[parent]
            grads[parent] = rf"\tgsreveal<{k}->{{{self._number(update.after)}}}{{{old}}}"
            style = f"tgs on=<{k}->{{tgs touched}}"
            extra[parent] = f"{extra[parent]}, {style}" if parent in extra else style
        for update in step.parents:
            if isinstance(update.parent, Constant):
                grads[update.parent] = self._number(update.after)
        rows = []
        for k, line in enumerate(step.latex_lines(), 2):
            for j, row in enumerate(_rows(line)):
                lhs, _amp, rhs = row.partition("&")
                lhs = rf"\alert<{k}>{{{lhs.strip()}}}" if j == 0 else lhs
                rows.append(rf"  \uncover<{k}->{{{lhs}}} &\uncover<{k}->{{{rhs}}} \\")
        if rows:
            rows[-1] = rows[-1].removesuffix(r" \\")
        facts = {
            "rule": latex_words(rule_text(step.rule)),
            "upstream": f"${self._d(step.node)} = {latex_number(step.upstream)}$",
            "definitions": f"${', '.join(step.latex_defines)}$",
        }
        seed = step.node is self.root
        if step.latex_defines and seed:
            sentence = _("The %(rule)s, with the upstream gradient %(upstream)s, the seed, where %(definitions)s:")
        elif step.latex_defines:
            sentence = _("The %(rule)s, with the upstream gradient %(upstream)s, where %(definitions)s:")
        elif seed:
            sentence = _("The %(rule)s, with the upstream gradient %(upstream)s, the seed:")
        else:
            sentence = _("The %(rule)s, with the upstream gradient %(upstream)s:")
        head = latex_paragraph(sentence, **facts) + "\n"
        made = "" if _same(step.latex_expression, self._name(step.node)) else f" = {step.latex_expression}"
        title = latex_paragraph(
            _("Backward step %(index)s of %(steps)s: %(made)s"),
            index=str(step.index),
            steps=str(steps),
            made=f"${self._name(step.node)}{made}$",
        )
        formulas = "{\\small\n\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}}\n"
        outlines = [("tgs current", _("this step's value")), ("tgs touched", _("its inputs"))]
        same_data: dict[Value, str] = {}
        picture = (extra, same_data, grads, [step.node, *step.node._prev])
        return self._graph_frame(title, picture, outlines, head, formulas, rows)

    def summary(self) -> str:
        """Every gradient, on the finished graph."""
        grads = {node: self._number(self.grads[node]) for node in self.order}
        answers = [f"$\\displaystyle {self._d(v)} = {latex_number(self.grads[v])}$" for v in self.given]
        formulas = "\\begin{center}\n" + r"\qquad ".join(answers) + "\n\\end{center}\n"
        lead = latex_paragraph(
            _("Each gradient says how much %(output)s changes per unit change of that value:"),
            output=f"${self._name(self.root)}$",
        )
        lead += "\n"
        rows = [r"\frac"] * -(-len(answers) // 5)  # about five to a line
        return self._graph_frame(latex_words(_("The gradients")), ({}, {}, grads, ()), [], lead, formulas, rows)

    def _known_before(self, step: Step) -> dict[Value, float | None]:
        """Each value's gradient as the picture shows it when ``step`` starts (``None``: not known yet)."""
        known: dict[Value, float | None] = {node: None for node in self.order}
        known[self.root] = 1.0
        for earlier in self.steps:
            if earlier is step:
                break
            for update in earlier.parents:
                known[update.parent] = update.after
        return known


def _span(
    focus: Sequence[tuple[float, float]], whole: tuple[float, float], size: float, nodes: Sequence[tuple[float, float]]
) -> tuple[float, float]:
    """Along one axis: the stretch of ``whole`` that is ``size`` long (or longer, to hold all of ``focus``) and
    centred on ``focus``, its ends moved to the gap beside any node they would cut in half (inwards, or
    outwards where the focus is in the way)."""
    margin = 1.0
    first, last = min(a for a, _b in focus) - margin, max(b for _a, b in focus) + margin
    if whole[1] - whole[0] <= size:
        return whole
    if last - first >= size:
        return max(first, whole[0]), min(last, whole[1])
    middle = min(max((first + last) / 2, whole[0] + size / 2), whole[1] - size / 2)
    low, high = middle - size / 2, middle + size / 2
    for _node in nodes:  # each move may land in another node: move on until no node is cut, or the focus is reached
        moved = (
            min(max([low, *(b + 0.2 for a, b in nodes if a + 0.05 < low < b - 0.05)]), first),
            max(min([high, *(a - 0.2 for a, b in nodes if a + 0.05 < high < b - 0.05)]), last),
        )
        if moved == (low, high):
            break
        low, high = moved
    for _node in nodes:  # where the focus stops an end, it moves outwards instead, past the nodes it cuts
        moved = (
            min([low, *(a - 0.2 for a, b in nodes if a + 0.05 < low < b - 0.05)]),
            max([high, *(b + 0.2 for a, b in nodes if a + 0.05 < high < b - 0.05)]),
        )
        if moved == (low, high):
            break
        low, high = moved
    return max(low, whole[0]), min(high, whole[1])


def _given(x: float) -> str:
    """A given value exactly as Python reads it back (``6.881373587019543``), in LaTeX, with the class's decimal
    symbol."""
    text = repr(x).removesuffix(".0")
    return latex_number(x) if "e" in text or "n" in text else latex_name(number_text(text))


def _forward_row(node: Value, names: dict[Value, str]) -> tuple[str, str]:
    """``u_{1}`` and ``= x_{1} \\cdot w_{1} = 2 \\cdot (-3) = -6``: a value, how it is made, in numbers."""
    op, params = op_of(node, "the Beamer deck")
    template = op.written[1] if op.written else None
    infix = op.name in ("add", "mul", "div", "pow", "power")  # 2 + 3, 2·3: a number needs no brackets; tanh(2) does
    numbers = [
        _bracketed(op.name, i, latex_number(p.data), "atom" if infix else "sum", template)
        for i, p in enumerate(node._prev)
    ]
    if is_negation(node):
        in_numbers = f"-{numbers[0]}"
    elif op.expand is not None:
        in_numbers = rf"\operatorname{{checkpoint}}({', '.join(numbers)})"
    else:
        in_numbers = op.writing(numbers, params, latex=True)
    name, made = latex_name(names[node]), written(node, names, latex=True)
    stages = [] if _same(made, name) else [made]
    stages += [in_numbers, latex_number(node.data)]
    return name, "= " + " = ".join(s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1])


def _same(expression: str, name: str) -> bool:
    """Whether a value's name is the expression that made it, but for brackets (the lecture labels ``x1*w1 + x2*w2``
    the value ``x1*w1 + x2*w2``): then "name = expression" would say nothing."""
    products = re.compile(r"\\left\(([^+\-]*?)\\right\)")  # brackets around a product change nothing in a sum
    return products.sub(r"\1", expression).replace(" ", "") == name.replace(" ", "")


def _expression(root: Value, names: dict[Value, str], limit: int = 160) -> tuple[str, list[str]]:
    """``root``'s function in its inputs' names, brackets only where precedence needs them; a value used
    twice keeps its name and is defined after a "where". Past ``limit`` characters, the root's own
    definition, in its parents' names, stands for the whole."""
    order = topological_order(root)
    uses: dict[Value, int] = {}
    for node in order:
        for parent in node._prev:
            uses[parent] = uses.get(parent, 0) + 1
    text: dict[Value, tuple[str, str]] = {}  # node -> (LaTeX, kind): kind is 'atom', 'sum', 'product', 'power'
    negated: dict[Value, tuple[str, str]] = {}  # -x -> x's (LaTeX, kind), so that a + (-x) is written a - x
    shared: list[Value] = []
    for node in order:
        if not node._prev:
            text[node] = (latex_wrap(latex_name(names[node])), "atom")
            continue
        op, params = op_of(node, "the Beamer deck")
        parts = []
        for i, parent in enumerate(node._prev):
            if parent is not root and uses.get(parent, 0) > 1 and parent._prev:
                shown, kind = latex_name(names[parent]), "atom"
                if parent not in shared:
                    shared.append(parent)
            else:
                shown, kind = text[parent]
            parts.append(_bracketed(op.name, i, shown, kind, op.written[1] if op.written else None))
        right = node._prev[-1]
        if is_negation(node):
            text[node] = (f"-{parts[0]}", "sum")
            negated[node] = text[node._prev[0]]
        elif op.name == "add" and right in negated and not (uses.get(right, 0) > 1):  # a + (-x) is a - x
            shown, kind = negated[right]
            text[node] = (f"{parts[0]} - " + (rf"\left({shown}\right)" if kind == "sum" else shown), "sum")
        elif op.name == "add" and isinstance(right, Constant) and right.data < 0:  # x + (-1) is x - 1
            text[node] = (f"{parts[0]} - {latex_number(-right.data)}", "sum")
        elif op.expand is not None:
            text[node] = (rf"\operatorname{{checkpoint}}({', '.join(p for p in parts)})", "atom")
        else:
            kinds = {"add": "sum", "mul": "product", "div": "atom", "pow": "power", "power": "power"}
            text[node] = (op.writing(parts, params, latex=True), kinds.get(op.name, "atom"))
    where = [f"{latex_name(names[n])} = {text[n][0]}" for n in shared]
    full = text[root][0]
    if len(full) + sum(map(len, where)) > limit:
        return written(root, names, latex=True), []
    return full, where


def _bracketed(op: str, i: int, shown: str, kind: str, template: object) -> str:
    """An operand inside operation ``op``: bracketed unless precedence or the template's braces make it clear."""
    if kind == "atom" and (not shown.startswith("-") or op not in ("add", "mul", "pow", "power")):
        return shown
    if template is None:
        return shown  # \operatorname{relu}($x): the function's own brackets
    if isinstance(template, str):
        v = "\\$" + (("a", "b")[i] if op in ("add", "mul", "div", "pow", "maximum", "minimum") else "x")
        if re.search(rf"\{{{v}\}}|\({v}[,)]|, {v}\)|\\lvert {v}", template) and not (op == "pow" and i == 0):
            return shown  # \frac{$a}{$b}, e^{$x}, \sqrt{$x}, \max($a, $b), |x|: the braces are the brackets
    if op == "add" and kind in ("sum", "product", "power", "atom") and not (i == 1 and shown.startswith("-")):
        return shown
    if op == "mul" and kind in ("product", "power", "atom") and not shown.startswith("-"):
        return shown
    return rf"\left({shown}\right)"


def _rows(line: str) -> list[str]:
    """A chain-rule line as rows of an ``align*``: ``target &= symbols``, then ``&= formula = numbers = result``."""
    pieces = _split_top(line, " = ")
    head, rest = pieces[0], pieces[1:]
    if r" \mathrel{+}= " in head:
        target, first = head.split(r" \mathrel{+}= ", 1)
        rows = [rf"{target} &\mathrel{{+}}= {first}"]
    else:
        target, first, rest = head, rest[0], rest[1:]
        rows = [f"{target} &= {first}"]
    if rest:
        rows.append("&= " + " = ".join(rest))
    last, quad, note = rows[-1].rpartition(r" \quad (")
    if quad:  # the running sum of an input used twice: a row of its own
        rows[-1:] = [last, rf"&\qquad ({note}"]
    return rows


def _split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is outside every brace and bracket."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text[i] in "{(":
            depth += 1
        elif text[i] in "})":
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            pieces.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    pieces.append(text[start:])
    return pieces
