"""Seeded worksheets for a class: a different graph per student, printed sheets, and an answer key.

``make_sheet(seed, difficulty, student)`` builds one student's graph; ``write_worksheets`` writes the
class's folder: per student the sheet to print (``student-NN.pdf``, one page), its picture
(``student-NN.svg``) and a CSV to type the answers into (``student-NN-answers.csv``), and for the teacher
the answer key (``key.json``, which :mod:`tinygrad_scalar.teaching.grading` reads, and ``key.pdf``, every
sheet's gradients and worked solution).

The generator's rules
---------------------
* **Difficulties**, from easy to hard (each a fixed shape; the numbers change):

  - ``product``: ``L = a·b``;
  - ``chain``: ``p = a·b``, ``s = p + c``, ``L = s·d`` (sum and product rules in a chain);
  - ``reuse``: ``p = a·b``, ``s = p + a``, ``L = s·c`` (``a`` used twice: the sum rule);
  - ``neuron``: ``z1 = w1·x1``, ``z2 = w2·x2``, ``s = z1 + z2``, ``n = s + b``, ``h = relu(n)``,
    ``e = h - y``, ``L = e^2`` (one ReLU neuron and a squared error against the target ``y``, a plain
    number: the picture shows ``h + (-y)``, the box labelled ``-y``);
  - ``diamond``: two ReLU units share the input ``x`` (a diamond from ``x`` to ``L``) and ``h1`` is used
    twice: ``h1 = relu(w1·x + b1)``, ``h2 = relu(w2·x + b2)``, ``s = h1 + h2``, ``L = s·h1``.

* **Every slip changes the number.** No given value and no gradient is 0, 1 or -1, and every classic slip
  at every value (:func:`tinygrad_scalar.teaching.practice.slips`: the local derivative forgotten, the
  upstream gradient forgotten, a sign error, one path instead of all, ``=`` for ``+=``, the wrong
  function's derivative, the other input's derivative) gives a number other than the right one, and
  other than every other slip's, so a wrong answer names its cause (following one path and keeping only
  the last contribution are one slip where each use is one path). (Where a local derivative is 1 by
  its rule, as in a sum, forgetting it is no slip.)
* **Pleasant numbers**: every given number is a small integer (inputs and weights from ±2, ±3; the
  factors of ``product`` from ±2 to ±4; targets ±2, ±3); no ReLU sits at its kink or on its flat side;
  no value or gradient exceeds 100 in size. A draw that breaks a rule is drawn again.
* **Deterministic everywhere**: the numbers come from SHA-256 of ``"seed:difficulty:student:draw"``,
  not from :mod:`random`, so the same seed gives the same sheets on every machine and Python version;
  the key, the DOT and the LaTeX sources are byte-identical (tested by hashing them), and the pictures
  and PDFs are drawn from them by Graphviz and pdflatex without dates.

Each sheet has an id, ``seed/difficulty/student/hash`` (the hash of its numbers), printed on the sheet and
written into its CSV's header; the grader checks it against the key, so answers to another class's
sheet are refused instead of misgraded.

The printed sheet
-----------------
One page, A4 or Letter: the picture on the left, scaled so that its smallest word prints at least 8 pt
(``MIN_POINTS``); on the right the instructions, the table to fill in (each value, its number, a line for
its gradient), a legend for every colour of the picture, and how to hand the answers in. Fonts are
vector fonts (Latin Modern, and the picture's own embedded font), never Type 3 bitmaps.

The class's folder
------------------
``write_worksheets`` builds every file first, then writes the folder with
:func:`tinygrad_scalar.core.files.write_folder`: a new folder renamed into place, so a class is written
whole or not at all, and an interrupted run leaves the earlier class intact. ``key.json`` names every
file's SHA-256; an existing folder is replaced only if it holds nothing but the files its own key names,
unchanged (so returned answers saved into it, or any other file, are never lost), and a symbolic link in
it is refused, never followed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tinygrad_scalar.core.engine import Constant, Value, fresh_gradients, topological_order
from tinygrad_scalar.core.files import write_folder
from tinygrad_scalar.core.language import _, listing, sentences, using
from tinygrad_scalar.teaching.formulas import latex_number
from tinygrad_scalar.teaching.latex import document, latex_paragraph, latex_words
from tinygrad_scalar.teaching.practice import ASSIGN, ONE_PATH, every_slip, is_close, tolerance_text
from tinygrad_scalar.teaching.solutions import worked_solution
from tinygrad_scalar.views.dot import COLORS, Graph, draw_dot
from tinygrad_scalar.views.naming import graph_names, latex_name, latex_text

__all__ = [
    "DIFFICULTIES",
    "MAX_SEED",
    "MAX_STUDENTS",
    "MIN_POINTS",
    "PAPERS",
    "Sheet",
    "WorksheetError",
    "answers_name",
    "key_latex",
    "make_sheet",
    "sheet_at",
    "sheets_latex",
    "write_worksheets",
]

DIFFICULTIES = ("product", "chain", "reuse", "neuron", "diamond")
"""The difficulty levels, easiest first (see the module docstring)."""
MAX_STUDENTS = 500
"""The most sheets one call writes."""
MAX_SEED = 10**18
"""Seeds go from -MAX_SEED to MAX_SEED."""
LIMIT = 100.0
"""No value or gradient of a sheet is larger than this in size."""
MIN_POINTS = 8.0
"""The smallest size, in points, any word of a printed sheet has (the picture is scaled to keep it)."""
PAPERS = {"a4": "a4paper", "letter": "letterpaper"}
"""The paper sizes a sheet is printed on."""
_WEIGHTS = (-3, -2, 2, 3)
_FACTORS = (-4, -3, -2, 2, 3, 4)
_TARGETS = (-3, -2, 2, 3)
_FORBIDDEN = (0.0, 1.0, -1.0)  # a value or gradient that makes a forgotten factor invisible

T = TypeVar("T")


class WorksheetError(ValueError):
    """A worksheet request, a key or an answer file that cannot be used; the message says what to do."""


class _Dice:
    """A deterministic stream of choices: SHA-256 of the key and a counter, the same on every machine."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0

    def pick(self, options: Sequence[T]) -> T:
        digest = hashlib.sha256(f"{self.key}:{self.count}".encode()).digest()
        self.count += 1
        return options[int.from_bytes(digest[:8], "big") % len(options)]


def _leaf(dice: _Dice, name: str, options: Sequence[int] = _WEIGHTS) -> Value:
    return Value(float(dice.pick(options)), label=name)


def _named(value: Value, name: str) -> Value:
    value.label = name
    return value


def _product(d: _Dice) -> list[Value]:
    a, b = _leaf(d, "a", _FACTORS), _leaf(d, "b", _FACTORS)
    return [a, b, _named(a * b, "L")]


def _chain(d: _Dice) -> list[Value]:
    a, b, c, dd = _leaf(d, "a"), _leaf(d, "b"), _leaf(d, "c"), _leaf(d, "d")
    p = _named(a * b, "p")
    s = _named(p + c, "s")
    return [a, b, c, dd, p, s, _named(s * dd, "L")]


def _reuse(d: _Dice) -> list[Value]:
    a, b, c = _leaf(d, "a"), _leaf(d, "b"), _leaf(d, "c")
    p = _named(a * b, "p")
    s = _named(p + a, "s")
    return [a, b, c, p, s, _named(s * c, "L")]


def _neuron(d: _Dice) -> list[Value]:
    w1, x1, w2, x2, b = (_leaf(d, n) for n in ("w1", "x1", "w2", "x2", "b"))
    z1, z2 = _named(w1 * x1, "z1"), _named(w2 * x2, "z2")
    s = _named(z1 + z2, "s")
    n = _named(s + b, "n")
    h = _named(n.relu(), "h")
    minus_y = Constant(float(-d.pick(_TARGETS)), label="-y")  # the target y, negated: e = h - y
    e = _named(h + minus_y, "e")
    return [w1, x1, w2, x2, b, z1, z2, s, n, h, e, _named(e**2, "L")]


def _diamond(d: _Dice) -> list[Value]:
    x, w1, b1, w2, b2 = (_leaf(d, n) for n in ("x", "w1", "b1", "w2", "b2"))
    z1, z2 = _named(w1 * x, "z1"), _named(w2 * x, "z2")
    n1, n2 = _named(z1 + b1, "n1"), _named(z2 + b2, "n2")
    h1, h2 = _named(n1.relu(), "h1"), _named(n2.relu(), "h2")
    s = _named(h1 + h2, "s")
    return [x, w1, b1, w2, b2, z1, z2, n1, n2, h1, h2, s, _named(s * h1, "L")]


_SHAPES: dict[str, Callable[[_Dice], list[Value]]] = {
    "product": _product,
    "chain": _chain,
    "reuse": _reuse,
    "neuron": _neuron,
    "diamond": _diamond,
}


def _pleasant(values: Sequence[Value]) -> bool:
    """Whether a draw follows the generator's rules (see the module docstring); the cheap rules first."""
    root = values[-1]
    for v in values:
        if v._op == "ReLU" and v._prev[0].data <= 0.0:  # a kink (0) or a dead unit (< 0)
            return False
        if v.data in _FORBIDDEN or abs(v.data) > LIMIT:
            return False
    grads = fresh_gradients(root)
    if any(grads[v] in _FORBIDDEN or abs(grads[v]) > LIMIT for v in values[:-1]):
        return False
    for v, found in every_slip(root):
        if any(is_close(m.value, grads[v]) for m in found):
            return False  # a slip that gives the right number
        for i, m in enumerate(found):
            if any(is_close(m.value, o.value) and {m.kind, o.kind} != _ONE_SLIP for o in found[i + 1 :]):
                return False  # two slips that give the same number: the hint could not name the cause
    return True


_ONE_SLIP = {ONE_PATH, ASSIGN}  # where each use is one path, keeping one path is keeping the last contribution


@dataclass(frozen=True)
class Sheet:
    """One student's exercise: a graph whose values are given and whose gradients are to be found."""

    seed: int
    difficulty: str
    student: int  # 1, 2, ...
    values: tuple[Value, ...]  # every named value, in the order it is built; the last is the output
    draw: int = 0  # which draw of the generator it is (the first that follows the rules)

    @property
    def root(self) -> Value:
        return self.values[-1]

    @property
    def ident(self) -> str:
        """The sheet's id, ``seed/difficulty/student/hash``: printed on it and checked by the grader."""
        numbers = json.dumps({v.label: v.data for v in self.values}, sort_keys=True)
        digest = hashlib.sha256(f"{self.seed}/{self.difficulty}/{self.student}/{numbers}".encode()).hexdigest()
        return f"{self.seed}/{self.difficulty}/{self.student}/{digest[:8]}"

    def asked(self) -> list[Value]:
        """The values whose gradient the student computes: all but the output (its gradient is 1)."""
        return [v for v in self.values if v is not self.root]

    def key(self) -> dict[str, Any]:
        """This sheet's entry of the answer key: its id, the given values and the right gradients, by name."""
        grads = fresh_gradients(self.root)
        return {
            "student": self.student,
            "draw": self.draw,
            "sheet": self.ident,
            "values": {v.label: v.data for v in self.values},
            "gradients": {v.label: grads[v] for v in self.asked()},
        }

    def picture(self) -> Graph:
        """The picture of the graph, top to bottom, laid out compactly for print: the values given, the gradients
        to work out shown as ``?``, the output's as 1 and the target's, not asked, as a dash (the colours are
        explained by the sheet's legend)."""
        numbers = [v for v in topological_order(self.root) if isinstance(v, Constant)]  # the target -y: not asked
        graph = draw_dot(
            self.root, rankdir="TB", fmt="%g", legend=False, names=graph_names(self.root),
            unknown=self.asked(), blank=numbers, grads={self.root: 1.0},
        )  # fmt: skip
        graph.graph_attr.update(ranksep="0.12", nodesep="0.12", margin="0", pad="0.02")
        return graph

    def dot(self) -> str:
        """``picture()`` as DOT source."""
        return str(self.picture().source)

    def answers_csv(self) -> str:
        """The CSV the student types the answers into: a header naming the sheet, then ``name,`` per value."""
        return "\n".join([f"name,gradient (sheet {self.ident})", *(f"{v.label}," for v in self.asked())]) + "\n"

    def legend(self) -> list[tuple[str, str]]:
        """Each colour the picture uses and what it means on this sheet, as (colour, LaTeX words), in the
        language in use."""
        kinds = {"leaf": latex_words(_("a given value: an input, a weight or a bias"))}
        target = self.target()
        if target is not None:
            kinds["number"] = latex_paragraph(
                _("the target %(target)s, as the number %(number)s, whose gradient (\u2013) is not asked"),
                target=f"$y = {latex_number(-target.data)}$",
                number=rf"\mbox{{$-y = {latex_number(target.data)}$}}",
            )
        kinds["intermediate"] = latex_words(_("a value computed by the operation (circle) above it"))
        kinds["output"] = latex_paragraph(_("the output %(output)s, whose gradient is 1"), output="$L$")
        return [(COLORS[kind], words) for kind, words in kinds.items()]

    def target(self) -> Constant | None:
        """The number ``-y`` of the neuron's squared error, if the sheet has one."""
        return next((v for v in topological_order(self.root) if isinstance(v, Constant)), None)

    def latex(self, picture: str, size: tuple[float, float], csv: str, paper: str = "a4") -> str:
        """The printed sheet as a LaTeX document that includes the picture file ``picture`` (a PDF whose
        natural size is ``size``, in points) and tells to hand in the file ``csv``, on ``paper``
        (``'a4'`` or ``'letter'``)."""
        return sheets_latex([(self, picture, size, csv)], paper)

    def body(self, picture: str, size: tuple[float, float], csv: str) -> str:
        """The sheet's page, as the body of a document of ``sheets_latex``."""
        scale = _picture_scale(size)
        rows = "\n".join(
            rf"${latex_name(v.label)}$ & ${latex_number(v.data)}$ & \rule{{3.2cm}}{{0.4pt}} \\[2.2ex]"
            for v in self.asked()
        )
        colours = "".join(
            rf"\definecolor{{kind{i}}}{{rgb}}{{{_rgb(colour)}}}" + "\n"
            for i, (colour, _words) in enumerate(self.legend())
        )
        legend = "\n".join(
            rf"\fcolorbox{{black}}{{kind{i}}}{{\rule{{0pt}}{{1.2ex}}\rule{{1.2ex}}{{0pt}}}} & {words} \\"
            for i, (_unused, words) in enumerate(self.legend())
        )
        target = self.target()
        maths = {
            "gradient": r"$\partial L/\partial v$",
            "output": "$L$",
            "value": "$v$",
            "seed": r"$\partial L/\partial L = 1$",
        }
        task = _(
            "Each box is a value: its name and its number. Each circle is the operation that computes the value "
            "below it. By hand, compute the gradient %(gradient)s of the output %(output)s with respect to every "
            "value %(value)s, from %(output)s back to the inputs (%(seed)s), and write it in the table."
        )
        instructions = [latex_paragraph(task, **maths)]
        if target is not None:
            instructions.append(
                latex_paragraph(
                    _("The target is %(target)s: the box %(box)s adds %(number)s to %(value)s, so %(error)s."),
                    target=f"$y = {latex_number(-target.data)}$",
                    box="$-y$",
                    number=f"${latex_number(target.data)}$",
                    value="$h$",
                    error="$e = h - y$",
                )
            )
        instructions.append(latex_words(_("%(tolerance)s.") % {"tolerance": tolerance_text()}))
        hand_in = _(
            "**How to hand in:** type each gradient after its name in %(file)s (one row %(row)s per value) and hand "
            "in that file, or this sheet if your teacher asks for paper."
        )
        files = {"file": rf"\texttt{{{latex_text(csv)}}}", "row": r"\texttt{name,gradient}"}
        heading = latex_words(_("Backpropagation worksheet"))
        name = latex_words(_("Name:"))
        columns = [latex_paragraph(_("value %(value)s"), value="$v$"), latex_words(_("number"))]
        footer = latex_paragraph(_("Sheet %(ident)s. Same seed, same sheet."), ident=latex_text(self.ident))
        student = latex_words(_("Student %(number)d") % {"number": self.student})
        body = rf"""{colours}{{\Large\bfseries {heading}}}\hfill{{\large {student}}}\par
\vspace{{1ex}}\hrule\vspace{{1.5ex}}
\begin{{minipage}}[t]{{{_LEFT}\linewidth}}\vspace{{0pt}}\centering
\includegraphics[width={scale * size[0]:.2f}pt,height={scale * size[1]:.2f}pt]{{{picture}}}
\end{{minipage}}\hfill
\begin{{minipage}}[t]{{{_RIGHT}\linewidth}}\vspace{{0pt}}
{name} \rule{{5.5cm}}{{0.4pt}}

\medskip
{sentences(instructions)}

\medskip
\renewcommand{{\arraystretch}}{{1.1}}
\begin{{tabular}}{{@{{}}l r l@{{}}}}
{columns[0]} & {columns[1]} & $\partial L/\partial v$ \\ \hline
\rule{{0pt}}{{3ex}}{rows}
\end{{tabular}}

\medskip
\begin{{tabular}}{{@{{}}c >{{\raggedright\arraybackslash}}p{{0.85\linewidth}}@{{}}}}
{legend}
\end{{tabular}}

\medskip
{latex_paragraph(hand_in, **files)}

\vfill
{{\small {footer}}}
\end{{minipage}}
"""
        return body


def sheets_latex(sheets: Sequence[tuple[Sheet, str, tuple[float, float], str]], paper: str = "a4") -> str:
    """One document with a page per sheet, each given as (sheet, picture file, its natural size, CSV name):
    the worksheet command compiles the class in one run of pdflatex and cuts it into one PDF per student."""
    pages = "\n\\clearpage\n".join(sheet.body(picture, size, csv) for sheet, picture, size, csv in sheets)
    packages = (
        "\\usepackage[margin=1.6cm]{geometry}\n\\usepackage{graphicx}\n\\usepackage{color}\n\\usepackage{array}\n"
        "\\pagestyle{empty}\n\\setlength{\\parindent}{0pt}\n"  # in the preamble: a language's environment is a group
    )
    return document(pages, f"{PAPERS[paper]},11pt", packages)


_LEFT, _RIGHT = 0.5, 0.46  # the picture's and the text's shares of the text width
_TEXT_WIDTH, _TEXT_HEIGHT = 505.0, 655.0  # points: A4's and Letter's text block with 1.6 cm margins, less the title
_FONT = 14.0  # the picture's font size (draw_dot's default), in points


def _picture_scale(size: tuple[float, float]) -> float:
    """How much the picture is scaled on the sheet: to fit its column and the page, at most 1.2."""
    width, height = size
    return min(_LEFT * _TEXT_WIDTH / width, _TEXT_HEIGHT / height, 1.2)


def _rgb(colour: str) -> str:
    return ",".join(f"{int(colour[i : i + 2], 16) / 255:.3f}" for i in (1, 3, 5))


def answers_name(student: int, students: int) -> str:
    """The answer file of ``student`` in a class of ``students``: ``student-07-answers.csv``."""
    return f"student-{student:0{max(2, len(str(students)))}d}-answers.csv"


def make_sheet(seed: int, difficulty: str, student: int) -> Sheet:
    """Student ``student``'s sheet (1, 2, ...) of the class ``seed`` at ``difficulty``: the first draw that
    follows the generator's rules. The same arguments give the same sheet on every machine (see the module
    docstring)."""
    _check(seed, difficulty, student)
    for draw in range(MAX_DRAWS):
        values = _SHAPES[difficulty](_Dice(f"{seed}:{difficulty}:{student}:{draw}"))
        if _pleasant(values):
            return Sheet(seed, difficulty, student, tuple(values), draw)
    raise WorksheetError(f"no pleasant {difficulty} graph found for seed {seed}, student {student}")  # pragma: no cover


def sheet_at(seed: int, difficulty: str, student: int, draw: int) -> Sheet:
    """The sheet of draw ``draw`` (as a key records it), rebuilt without drawing again: the grader compares
    it with the key's numbers, which is what makes an edited key fail."""
    _check(seed, difficulty, student)
    if type(draw) is not int or not 0 <= draw < MAX_DRAWS:
        raise WorksheetError(f"the draw must be a whole number from 0 to {MAX_DRAWS - 1}, got {draw!r}")
    return Sheet(
        seed, difficulty, student, tuple(_SHAPES[difficulty](_Dice(f"{seed}:{difficulty}:{student}:{draw}"))), draw
    )


MAX_DRAWS = 10_000
"""How many draws the generator tries for one sheet."""


def _check(seed: object, difficulty: object, student: object) -> None:
    if difficulty not in _SHAPES:
        raise WorksheetError(f"unknown difficulty {difficulty!r}; choose one of: {', '.join(DIFFICULTIES)}")
    if type(seed) is not int or not -MAX_SEED <= seed <= MAX_SEED:
        raise WorksheetError(f"the seed must be a whole number from -{MAX_SEED} to {MAX_SEED}, got {seed!r}")
    if type(student) is not int or not 1 <= student <= MAX_STUDENTS:
        raise WorksheetError(f"the student must be a whole number from 1 to {MAX_STUDENTS}, got {student!r}")


def key_latex(sheets: Sequence[Sheet], paper: str = "a4") -> str:
    """The printable answer key: for each sheet, on a page of its own, the gradients and the worked solution."""
    drawn = latex_paragraph(
        _("seed %(seed)s, difficulty %(difficulty)s"),
        seed=str(sheets[0].seed),
        difficulty=rf"\texttt{{{sheets[0].difficulty}}}",
    )
    title = latex_words(_("Answer key"))
    parts = [
        rf"{{\Large\bfseries {title}}}\hfill {drawn}",
        r"\par\vspace{1ex}\hrule\vspace{1.5ex}",
        latex_words(
            _("%(tolerance)s. Each student's page: the gradients, then the worked solution.")
            % {"tolerance": tolerance_text()}
        )
        + "\n",
    ]
    for i, sheet in enumerate(sheets):
        grads = fresh_gradients(sheet.root)
        listed = listing([rf"${latex_name(v.label)}$: ${latex_number(grads[v])}$" for v in sheet.asked()])
        if i:
            parts.append(r"\clearpage")
        student = latex_words(_("Student %(number)d") % {"number": sheet.student})
        ident = latex_paragraph(_("sheet %(ident)s"), ident=latex_text(sheet.ident))
        parts.append(rf"\subsection*{{{student} \hfill\normalsize\normalfont {ident}}}")
        parts.append(latex_paragraph(_("**Gradients:** %(gradients)s."), gradients=listed) + "\n\n\\medskip")
        parts.append(worked_solution(sheet.root, "latex").latex())
    packages = "\\usepackage[margin=1.8cm]{geometry}\n\\setlength{\\parindent}{0pt}\n"
    return document("\n".join(parts) + "\n", PAPERS[paper], packages)


# ---- writing the files -------------------------------------------------------------------------------

_TIMEOUT = 120.0  # seconds a dot or pdflatex run may take


def _run(command: list[str], cwd: Path, what: str) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise OSError(f"{command[0]} is not installed; it is needed for {what} (see the README's set-up)")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    done = subprocess.run(
        [tool, *command[1:]],
        cwd=cwd,
        capture_output=True,
        env=env,
        timeout=_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        said = (done.stdout + done.stderr).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise OSError(f"{command[0]} failed making {what}: {' '.join(said)}")


_CAIRO_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z?\)")
_MEDIA_BOX = re.compile(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]")


def _graph_pdfs(dots: dict[str, str], work: Path) -> dict[str, tuple[bytes, tuple[float, float]]]:
    """Every picture as SVG and PDF from one run of dot: name -> (SVG bytes, PDF's natural size)."""
    for name, source in dots.items():
        (work / f"{name}.dot").write_text(source, encoding="utf-8")
    _run(["dot", "-Tsvg", "-Tpdf", "-O", *(f"{name}.dot" for name in dots)], work, "the pictures of the worksheets")
    found = {}
    for name in dots:
        pdf = work / f"{name}.dot.pdf"
        data = pdf.read_bytes()  # Graphviz stamps the time; the same length keeps the offsets
        pdf.write_bytes(_CAIRO_DATE.sub(lambda m: b"/CreationDate (D:" + b"0" * (len(m.group()) - 18) + b")", data))
        box = _MEDIA_BOX.search(data)
        size = (float(box.group(1)), float(box.group(2))) if box else (400.0, 800.0)
        found[name] = ((work / f"{name}.dot.svg").read_bytes(), size)
    return found


def _pdflatex(tex: str, work: Path, name: str) -> bytes:
    (work / f"{name}.tex").write_text(tex, encoding="utf-8")
    _run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"],
        work,
        f"{name}.pdf",
    )
    return (work / f"{name}.pdf").read_bytes()


_PDF_ID = re.compile(
    rb"/ID \[\s*(<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\))\s*(<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\))\s*\]", re.S
)


def _pages(work: Path, name: str, count: int) -> list[bytes]:
    """The pages of ``name.pdf``, each as a PDF of its own (poppler's pdfseparate), with a file id made from
    the page's bytes instead of pdfseparate's random one, so the same class gives the same files."""
    _run(["pdfseparate", f"{name}.pdf", f"{name}-page-%d.pdf"], work, "one PDF per student")
    found = sorted(work.glob(f"{name}-page-*.pdf"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if len(found) != count:  # every sheet is one page (the layout is made so; tests check it)
        raise OSError(f"the {count} sheets took {len(found)} pages; please report it")
    pages = []
    for page in found:
        data = page.read_bytes()
        ident = hashlib.sha256(_PDF_ID.sub(b"", data)).hexdigest()[:32].encode()
        pages.append(_PDF_ID.sub(b"/ID [<" + ident + b"> <" + ident + b">]", data, count=1))
    return pages


def write_worksheets(
    folder: str | os.PathLike[str],
    seed: int,
    students: int,
    difficulty: str,
    paper: str = "a4",
    lang: str | None = None,
) -> list[Path]:
    """Write the class into ``folder`` and return the files written: ``student-NN.pdf``, ``student-NN.svg``
    and ``student-NN-answers.csv`` per student, ``key.json`` and ``key.pdf``. The folder is written whole
    or not at all (see the module docstring); an existing one is replaced only if it holds a class this
    function wrote, unchanged. Needs Graphviz's ``dot``, ``pdflatex`` and poppler's ``pdfseparate``: the class
    is compiled in one run of pdflatex, then cut into one PDF per student. The sheets and the key are written in
    ``lang`` (by default the locale's language: :mod:`tinygrad_scalar.core.language`); the files' names, the
    CSV's header and ``key.json`` are the same in every language."""
    if type(students) is not int or not 1 <= students <= MAX_STUDENTS:
        raise WorksheetError(f"the number of students must be from 1 to {MAX_STUDENTS}, got {students}")
    if paper not in PAPERS:
        raise WorksheetError(f"unknown paper {paper!r}; choose one of: {', '.join(PAPERS)}")
    sheets = [make_sheet(seed, difficulty, s) for s in range(1, students + 1)]
    width = max(2, len(str(students)))
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stems = [f"student-{sheet.student:0{width}d}" for sheet in sheets]
        pictures = _graph_pdfs({stem: sheet.dot() for stem, sheet in zip(stems, sheets)}, work)
        with using(lang):
            sheet_tex = sheets_latex(
                [
                    (sheet, f"{stem}.dot.pdf", pictures[stem][1], answers_name(sheet.student, students))
                    for stem, sheet in zip(stems, sheets)
                ],
                paper,
            )
            jobs = [(sheet_tex, "sheets"), (key_latex(sheets, paper), "key")]
        with ThreadPoolExecutor(max_workers=2) as pool:  # the sheets and the key side by side
            pdfs = list(pool.map(lambda job: _pdflatex(job[0], work, job[1]), jobs))
        pages = _pages(work, "sheets", len(sheets))
        for stem, sheet, pdf in zip(stems, sheets, pages):
            files[f"{stem}.pdf"] = pdf
            files[f"{stem}.svg"] = pictures[stem][0]
            files[answers_name(sheet.student, students)] = sheet.answers_csv().encode("utf-8")
        files["key.pdf"] = pdfs[-1]
    key = {
        "seed": seed,
        "difficulty": difficulty,
        "sheets": [s.key() for s in sheets],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["key.json"] = (json.dumps(key, indent=1, sort_keys=True) + "\n").encode("utf-8")
    write_folder(folder, dict(sorted(files.items())), _replaceable)
    return [Path(folder) / name for name in sorted(files)]


MAX_KEY_BYTES = 16 * 2**20
"""The largest key.json read (a key of 500 students is well under 1 MB)."""


def _replaceable(old: Path) -> str | None:
    """Why the folder ``old`` may not be replaced by a new class, or None if it holds an earlier class of
    ours, unchanged: every file is named by its key.json with the same SHA-256."""
    key_file = old / "key.json"
    try:
        with open(key_file, "rb") as f:
            data = f.read(MAX_KEY_BYTES + 1)
        recorded = json.loads(data)["files"]
        if len(data) > MAX_KEY_BYTES or not isinstance(recorded, dict):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return (
            "it holds files but no key.json naming them, so it is not a class the worksheet command wrote; "
            "write the class into a new folder"
        )
    for entry in sorted(os.listdir(old)):
        if entry == "key.json":
            continue
        if entry not in recorded:
            return (
                f"it holds {entry!r}, which the worksheet command did not write (returned answers? notes?); "
                "move it away, or write the class into a new folder"
            )
        digest = hashlib.sha256()
        with open(old / entry, "rb") as f:
            for block in iter(lambda: f.read(2**20), b""):
                digest.update(block)
        if digest.hexdigest() != recorded[entry]:
            return (
                f"{entry} in it was changed since the worksheet command wrote it (filled-in answers?); "
                "move it away, or write the class into a new folder"
            )
    return None
