"""Seeded worksheets for a class: a different graph per student, an answer key, and grading with hints.

``make_sheet(seed, difficulty, student)`` builds one student's graph; ``write_worksheets`` writes, per
student, the picture with the values given and the gradients blank (SVG, and a PDF with a table to fill
in), a CSV to type the answers into, and one answer key for the class (``key.json``, and a printable
``key.pdf`` with the worked solution of every sheet). ``grade(key, student, answers)`` checks a
student's answers with the mistake hints of :mod:`tinygrad_scalar.teaching.practice`.

The generator's rules
---------------------
* **Difficulties**, from easy to hard (each a fixed shape; the numbers change):

  - ``product``: ``L = a·b`` (factors from -4 to 4 without -1, 0 and 1);
  - ``chain``: ``p = a·b``, ``s = p + c``, ``L = s·d`` (sum and product rules in a chain);
  - ``reuse``: ``p = a·b``, ``s = p + a``, ``L = s·c`` (``a`` used twice: the sum rule);
  - ``neuron``: ``n = w1·x1 + w2·x2 + b``, ``h = relu(n)``, ``e = h - y``, ``L = e^2`` (one ReLU neuron
    and a squared error against the target ``y``, a plain number: the picture shows ``h + (-y)``);
  - ``diamond``: two ReLU units share the input ``x`` (a diamond from ``x`` to ``L``) and ``h1`` is used
    twice: ``h1 = relu(w1·x + b1)``, ``h2 = relu(w2·x + b2)``, ``s = h1 + h2``, ``L = s·h1``.

* **Pleasant numbers**: every given number is a small integer (weights and inputs from -3 to 3 without
  0, targets from -3 to 3); a draw is rejected and drawn again when a ReLU's input is 0 (a kink, where
  the derivative is not defined), when a ReLU is dead (its gradient would be 0 everywhere above it: that
  is practised in notebook 09, not here), when any gradient is 0, or when any value or gradient exceeds 100
  in size. So every
  value and gradient is an integer a student can compute by hand.

* **Deterministic everywhere**: the numbers come from SHA-256 of ``"seed:difficulty:student:draw"``,
  not from :mod:`random`, so the same seed gives the same sheets on every machine and Python version;
  the key, the DOT and the LaTeX sources are byte-identical (tested by hashing them), and the pictures
  and PDFs are drawn from them by Graphviz and pdflatex.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tinygrad_scalar.core.engine import Value, fresh_gradients
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.teaching.explanations import worked_solution
from tinygrad_scalar.teaching.practice import Verdict, check_answer, tolerance_text
from tinygrad_scalar.views.dot import Graph, draw_dot
from tinygrad_scalar.views.naming import graph_names, latex_name, num

__all__ = [
    "DIFFICULTIES",
    "MAX_STUDENTS",
    "Grade",
    "Sheet",
    "WorksheetError",
    "grade",
    "key_latex",
    "make_sheet",
    "read_answers",
    "sheet_from_key",
    "write_worksheets",
]

DIFFICULTIES = ("product", "chain", "reuse", "neuron", "diamond")
"""The difficulty levels, easiest first (see the module docstring)."""
MAX_STUDENTS = 500
"""The most sheets one call writes."""
LIMIT = 100.0
"""No value or gradient of a sheet is larger than this in size."""
_WEIGHTS = (-3, -2, -1, 1, 2, 3)
_TARGETS = (-3, -2, -1, 0, 1, 2, 3)
_FACTORS = (-4, -3, -2, 2, 3, 4)  # a single product without 1s, where every slip gives another number

T = TypeVar("T")


class WorksheetError(ValueError):
    """A worksheet request or an answer file that cannot be used; the message says what to do."""


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
    e = _named(h + float(-d.pick(_TARGETS)), "e")  # h - y, with the target y as a plain number
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
    root = values[-1]
    grads = fresh_gradients(root)
    for v in values:
        if v._op == "ReLU" and v._prev[0].data <= 0.0:  # a kink (0) or a dead unit (< 0)
            return False
        if abs(v.data) > LIMIT or abs(grads[v]) > LIMIT or grads[v] == 0.0:
            return False
    return True


@dataclass(frozen=True)
class Sheet:
    """One student's exercise: a graph whose values are given and whose gradients are to be found."""

    seed: int
    difficulty: str
    student: int  # 1, 2, ...
    values: tuple[Value, ...]  # every named value, in the order it is built; the last is the output

    @property
    def root(self) -> Value:
        return self.values[-1]

    def asked(self) -> list[Value]:
        """The values whose gradient the student computes: all but the output (its gradient is 1)."""
        return [v for v in self.values if v is not self.root]

    def key(self) -> dict[str, Any]:
        """This sheet's entry of the answer key: the given values and the right gradients, by name."""
        grads = fresh_gradients(self.root)
        return {
            "student": self.student,
            "values": {v.label: v.data for v in self.values},
            "gradients": {v.label: grads[v] for v in self.asked()},
        }

    def picture(self) -> Graph:
        """The picture of the graph, top to bottom, values given and gradients shown as ``?``."""
        return draw_dot(self.root, rankdir="TB", fmt="%g", show_grad=False, legend=False, names=graph_names(self.root))

    def dot(self) -> str:
        """``picture()`` as DOT source."""
        return str(self.picture().source)

    def latex(self, picture: str) -> str:
        """The student's sheet as a LaTeX document that includes the picture file ``picture`` (a PDF)."""
        rows = "\n".join(
            rf"${latex_name(v.label)}$ & {num(v.data)} & \rule{{3.5cm}}{{0.4pt}} \\[0.6ex]" for v in self.asked()
        )
        return (
            _PREAMBLE
            + rf"\section*{{Backpropagation worksheet: student {self.student}}}"
            + "\n"
            + rf"Seed {self.seed}, difficulty \texttt{{{self.difficulty}}}. The picture shows how each value is "
            rf"computed and its number. Compute the gradient $\partial L/\partial v$ of the output $L$ with "
            rf"respect to every value $v$ by hand (the output's own gradient is 1) and write it in the table. "
            + _latex_words(tolerance_text())
            + ".\n\n"
            + rf"\begin{{center}}\includegraphics[width=\linewidth,height=0.6\textheight,keepaspectratio]{{{picture}}}"
            + "\\end{center}\n\n"
            + "\\begin{center}\\begin{tabular}{lrl}\nvalue $v$ & number & $\\partial L/\\partial v$ \\\\ \\hline\n"
            + rows
            + "\n\\end{tabular}\\end{center}\n\\end{document}\n"
        )


def _latex_words(text: str) -> str:
    """A sentence of ours in LaTeX: capitalised, ``%`` escaped, ``±`` as math."""
    return text[:1].upper() + text[1:].replace("%", r"\%").replace("±", r"$\pm$")


_PREAMBLE = (
    "\\documentclass[a4paper]{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
    "\\pdfinfoomitdate=1\n\\pdftrailerid{}\n\\begin{document}\n"
)
"""The sheets' and the key's LaTeX preamble: texlive-latex-base only, and no date or random id in the PDF."""


def make_sheet(seed: int, difficulty: str, student: int) -> Sheet:
    """Student ``student``'s sheet (1, 2, ...) of the class ``seed`` at ``difficulty``; the same
    arguments give the same sheet on every machine (see the module docstring)."""
    if difficulty not in _SHAPES:
        raise WorksheetError(f"unknown difficulty {difficulty!r}; choose one of: {', '.join(DIFFICULTIES)}")
    for draw in range(10_000):
        values = _SHAPES[difficulty](_Dice(f"{seed}:{difficulty}:{student}:{draw}"))
        if _pleasant(values):
            return Sheet(seed, difficulty, student, tuple(values))
    raise WorksheetError(f"no pleasant {difficulty} graph found for seed {seed}, student {student}")  # pragma: no cover


def key_latex(sheets: Sequence[Sheet]) -> str:
    """The printable answer key: for each sheet, the gradients and the worked solution."""
    parts = [
        _PREAMBLE,
        rf"\section*{{Answer key: seed {sheets[0].seed}, difficulty \texttt{{{sheets[0].difficulty}}}}}",
    ]
    parts.append(_latex_words(tolerance_text()) + ".\n")
    for sheet in sheets:
        grads = fresh_gradients(sheet.root)
        listed = ", ".join(rf"${latex_name(v.label)}$: {num(grads[v])}" for v in sheet.asked())
        parts.append(rf"\subsection*{{Student {sheet.student}}}" + "\n" + f"Gradients: {listed}.\n")
        parts.append(worked_solution(sheet.root, "latex").latex())
    parts.append("\\end{document}\n")
    return "\n".join(parts)


# ---- writing the files -------------------------------------------------------------------------------


def _run(command: list[str], cwd: Path, what: str) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise OSError(f"{command[0]} is not installed; it is needed for {what} (see the README's set-up)")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    done = subprocess.run([tool, *command[1:]], cwd=cwd, capture_output=True, env=env, timeout=120, check=False)
    if done.returncode != 0:
        said = (done.stdout + done.stderr).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise OSError(f"{command[0]} failed making {what}: {' '.join(said)}")


_CAIRO_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z?\)")


def _graph_pdf(dot: str, work: Path, name: str) -> None:
    (work / f"{name}.dot").write_text(dot, encoding="utf-8")
    _run(["dot", "-Tpdf", f"{name}.dot", "-o", f"{name}.pdf"], work, "the picture of a worksheet")
    pdf = (work / f"{name}.pdf").read_bytes()  # Graphviz stamps the time; the same length keeps the offsets
    (work / f"{name}.pdf").write_bytes(
        _CAIRO_DATE.sub(lambda m: b"/CreationDate (D:" + b"0" * (len(m.group()) - 18) + b")", pdf)
    )


def _pdflatex(tex: str, work: Path, name: str) -> bytes:
    (work / f"{name}.tex").write_text(tex, encoding="utf-8")
    _run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], work, f"{name}.pdf")
    return (work / f"{name}.pdf").read_bytes()


def write_worksheets(folder: str | os.PathLike[str], seed: int, students: int, difficulty: str) -> list[Path]:
    """Write the class's sheets into ``folder`` (made if missing) and return the files written:
    ``student-NN.svg``, ``student-NN.pdf`` and ``student-NN-answers.csv`` per student, ``key.json`` and
    ``key.pdf``. Needs Graphviz's ``dot`` and ``pdflatex``. Each file is written atomically."""
    if not 1 <= students <= MAX_STUDENTS:
        raise WorksheetError(f"the number of students must be from 1 to {MAX_STUDENTS}, got {students}")
    sheets = [make_sheet(seed, difficulty, s) for s in range(1, students + 1)]
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(name: str, data: bytes) -> None:
        atomic_write(out / name, data)
        written.append(out / name)

    width = max(2, len(str(students)))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for sheet in sheets:
            stem = f"student-{sheet.student:0{width}d}"
            save(f"{stem}.svg", sheet.picture().pipe(format="svg"))
            _graph_pdf(sheet.dot(), work, f"{stem}-graph")
            save(f"{stem}.pdf", _pdflatex(sheet.latex(f"{stem}-graph.pdf"), work, stem))
            lines = ["name,gradient", *(f"{v.label}," for v in sheet.asked())]
            save(f"{stem}-answers.csv", ("\n".join(lines) + "\n").encode("utf-8"))
        key = {"seed": seed, "difficulty": difficulty, "sheets": [s.key() for s in sheets]}
        save("key.json", (json.dumps(key, indent=1, sort_keys=True) + "\n").encode("utf-8"))
        save("key.pdf", _pdflatex(key_latex(sheets), work, "key"))
    return written


# ---- grading -----------------------------------------------------------------------------------------


def sheet_from_key(key: Any, student: int) -> Sheet:
    """Rebuild student ``student``'s graph from the key (its seed and difficulty), checking that the
    key's numbers are the graph's: a key edited by hand or from another version is refused."""
    try:
        seed, difficulty, entries = key["seed"], key["difficulty"], key["sheets"]
        entry = next((e for e in entries if e["student"] == student), None)
    except (KeyError, TypeError):
        raise WorksheetError("this is not a worksheet key (written by the worksheet command as key.json)") from None
    if entry is None:
        raise WorksheetError(f"the key has no student {student}; it has students 1 to {len(entries)}")
    sheet = make_sheet(int(seed), str(difficulty), student)
    if sheet.key() != entry:
        raise WorksheetError(f"student {student}'s sheet in the key does not match seed {seed}: was the key edited?")
    return sheet


def read_answers(text: str, kind: str) -> dict[str, float | None]:
    """A student's answers: JSON (an object of name → number) or CSV (rows ``name,number``, a header
    row allowed); ``kind`` is ``'json'`` or ``'csv'``. A blank answer is ``None``."""
    found: dict[str, float | None] = {}
    if kind == "json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise WorksheetError(f"the answers are not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise WorksheetError('the answers must be a JSON object of name → number, like {"x": 1.5}')
        items = [(str(k), v) for k, v in data.items()]
    else:
        items = []
        for i, line in enumerate(text.splitlines(), 1):
            cells = [c.strip() for c in line.split(",")]
            if not line.strip() or (i == 1 and cells[0].lower() == "name"):
                continue
            if len(cells) != 2:
                raise WorksheetError(f"line {i} of the answers should be name,number, got {line.strip()!r}")
            items.append((cells[0], cells[1]))
    for name, raw in items:
        if raw is None or raw == "":
            found[name] = None
            continue
        try:
            found[name] = float(str(raw).replace("\u2212", "-")) if not isinstance(raw, bool) else float("nan")
        except ValueError:
            raise WorksheetError(f"the answer for {name} is not a number: {raw!r}") from None
        if found[name] != found[name]:
            raise WorksheetError(f"the answer for {name} is not a number: {raw!r}")
    return found


@dataclass(frozen=True)
class Grade:
    """A student's graded answers: one verdict (or None, not answered) per asked value, and the score."""

    student: int
    verdicts: tuple[tuple[str, Verdict | None], ...]

    @property
    def right(self) -> int:
        return sum(1 for _, v in self.verdicts if v is not None and v.correct)

    def text(self) -> str:
        """One line per value (right, wrong with the hint, or not answered), then the score."""
        lines = []
        for name, verdict in self.verdicts:
            if verdict is None:
                lines.append(f"{name}: not answered")
            elif verdict.correct:
                lines.append(f"{name}: {num(verdict.answer)} right")
            else:
                lines.append(f"{name}: {num(verdict.answer)} wrong; {verdict.hint}")
        lines.append(f"student {self.student}: {self.right} of {len(self.verdicts)} right")
        return "\n".join(lines)


def grade(key: Any, student: int, answers: dict[str, float | None]) -> Grade:
    """Grade ``answers`` (name → number) of student ``student`` against the key, with the mistake hints."""
    sheet = sheet_from_key(key, student)
    asked = {v.label: v for v in sheet.asked()}
    unknown = [name for name in answers if name not in asked]
    if unknown:
        raise WorksheetError(
            f"the answers name {', '.join(unknown)}, which student {student}'s sheet does not have; "
            f"its values are: {', '.join(asked)}"
        )
    verdicts = []
    for name, value in asked.items():
        answer = answers.get(name)
        verdicts.append((name, None if answer is None else check_answer(sheet.root, value, answer)))
    return Grade(student, tuple(verdicts))
