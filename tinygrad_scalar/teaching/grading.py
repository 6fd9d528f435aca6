"""Grading a class: each student's answers against the key, with error carried forward, and a summary.

``read_key`` and ``read_answers`` read what the worksheet command wrote and what a student typed;
``grade(key, student, answers)`` marks each answer; ``ClassSummary`` and ``report_csv`` sum a class up.

How an answer is marked
-----------------------
Each value's gradient, from the output back to the inputs, is one of:

* **right**: within the tolerance of the key (1 %: :func:`tinygrad_scalar.teaching.practice.is_close`);
* **carried**: wrong against the key, but exactly what the chain rule gives from the student's *own*
  earlier answers (the upstream gradients they wrote): error carried forward. The slip is marked once,
  where it was made, and every answer that follows from it correctly is counted apart and explained
  ("follows from your ∂L/∂e = 7, the slip at e");
* **wrong**: neither; the hint names the slip the number shows (a sign error names where the sign comes
  from), computed from the right upstream gradients, or else from the student's own;
* **blank**: not answered. A later answer is then checked against what the student's own earlier answers
  give, as if the blank had been filled in correctly from them.

The score is right + carried: the work of a carried answer is right. The report has each count apart, so
a teacher who marks otherwise can.

What is read, and how safely
----------------------------
A student's file is treated as hostile: it is read only if it is a regular file (a FIFO, a device or a
folder is refused at once, never waited on), at most ``MAX_ANSWERS_BYTES``; Excel's "CSV UTF-8" (a
byte-order mark, CRLF, cells in quotes), semicolon- or tab-separated CSV and UTF-16 are read, and a number
with a decimal comma (``1,5`` is 1.5, in a JSON string or a CSV cell) as well as a point; every name or text
from it that a message repeats is escaped and shortened (``echo``), so no control character reaches the
teacher's terminal. The key is validated field by field, and each sheet is
rebuilt from its seed and compared, so an edited key is refused with a sentence, never a traceback.
Answers carry their sheet's id (the CSV's header); answers to another class's sheet are refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinygrad_scalar.core.engine import Constant, Value, contributions, fresh_gradients, topological_order
from tinygrad_scalar.core.language import _, in_its_language, listing, ngettext, read_number, translated, using
from tinygrad_scalar.teaching.practice import also_hint, is_close, likely_mistakes, unrecognised
from tinygrad_scalar.teaching.worksheet import (
    DIFFICULTIES,
    MAX_SEED,
    MAX_STUDENTS,
    Sheet,
    WorksheetError,
    sheet_at,
)
from tinygrad_scalar.views.naming import factor, num

__all__ = [
    "MAX_ANSWERS_BYTES",
    "MAX_KEY_BYTES",
    "STATUSES",
    "Answers",
    "ClassSummary",
    "Grade",
    "Key",
    "Mark",
    "decode",
    "echo",
    "grade",
    "read_answers",
    "read_file",
    "read_key",
    "report_csv",
    "sheet_from_key",
    "student_of",
]

MAX_ANSWERS_BYTES = 64 * 1024
"""The largest answer file read: a student's answers are a few hundred bytes."""
MAX_KEY_BYTES = 16 * 2**20
"""The largest key.json read: a key of 500 students is well under 1 MB."""
STATUSES = ("right", "carried", "wrong", "blank")
"""What an answer can be marked (see the module docstring)."""
ECHO = 60
"""The most characters of a student's text a message repeats."""


def echo(text: str, limit: int = ECHO, end: bool = False) -> str:
    """``text`` as a message may show it: in quotes, every unprintable character escaped (``\\x1b``,
    ``\\n``, ``\\u202e``), at most ``limit`` characters (its start, or its ``end`` for a path) and the
    length of the whole."""
    cut = text if len(text) <= limit else text[-limit:] if end else text[:limit]
    shown = "".join(c if c.isprintable() and c not in "\\'" else _escaped(c) for c in cut)
    if len(text) <= limit:
        return f"'{shown}'"
    return f"'...{shown}' ({len(text)} characters)" if end else f"'{shown}...' ({len(text)} characters)"


def _escaped(c: str) -> str:
    if c in "\\'":
        return "\\" + c
    code = ord(c)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")


# ---- reading files safely -----------------------------------------------------------------------------------

_KINDS = {
    stat.S_IFIFO: "a FIFO (a pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def read_file(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit``: a FIFO, a device or a folder is refused
    at once (it is opened without waiting for a writer), and so is a larger file. ``WorksheetError`` says
    which, of "it" (the caller names the file); ``what`` is ``"KEY"`` or ``"ANSWERS"``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise WorksheetError(f"cannot read it: {error.strerror or error}") from None
    try:
        kind = stat.S_IFMT(os.fstat(fd).st_mode)
        if kind != stat.S_IFREG:
            raise WorksheetError(f"it is {_KINDS.get(kind, 'not a regular file')}; give the file itself")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(2**20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise WorksheetError(f"cannot read it: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if size > limit:
        what_it_is = "a key" if what == "KEY" else "a student's answers"
        raise WorksheetError(
            f"it is larger than {limit // 1024} KB, which {what_it_is} never is: is it the right file?"
        )
    return b"".join(chunks)


def decode(data: bytes, what: str) -> str:
    """Bytes as text: UTF-8 with or without a byte-order mark, or UTF-16 with one (Excel's choices)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorksheetError(f"{what} is not text (UTF-8 or UTF-16); save it as CSV UTF-8") from None


def _no_constants(word: str) -> Any:
    raise ValueError(f"{word} is not a number JSON allows")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise WorksheetError(f"{what} is nested too deeply to be what the worksheet command wrote") from None
    except ValueError as error:
        raise WorksheetError(f"{what} is not valid JSON ({echo(str(error))})") from None


# ---- the key ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A checked key.json: its seed, difficulty, each student's entry, and the files it names."""

    seed: int
    difficulty: str
    entries: dict[int, dict[str, Any]]
    files: dict[str, str] = field(default_factory=dict)


def _whole(value: object) -> bool:
    return type(value) is int


def read_key(data: bytes | str | Mapping[str, Any]) -> Key:
    """The key the worksheet command wrote (its bytes, its text or the parsed JSON), checked field by
    field; ``WorksheetError`` names the first field that is not what the command writes."""
    raw = (
        _json(decode(data, "it") if isinstance(data, bytes) else data, "it") if not isinstance(data, Mapping) else data
    )
    hint = "; give the key.json the worksheet command wrote"
    if not isinstance(raw, Mapping):
        raise WorksheetError("the key is not a JSON object" + hint)
    for field_name in ("seed", "difficulty", "sheets"):
        if field_name not in raw:
            raise WorksheetError(f"the key has no {field_name!r}" + hint)
    seed, difficulty, sheets = raw["seed"], raw["difficulty"], raw["sheets"]
    if not _whole(seed) or not -MAX_SEED <= seed <= MAX_SEED:
        raise WorksheetError(f"the key's seed is {echo(json.dumps(seed))}, not a whole number" + hint)
    if difficulty not in DIFFICULTIES:
        raise WorksheetError(
            f"the key's difficulty {echo(json.dumps(difficulty))} is none of {', '.join(DIFFICULTIES)}"
        )
    if not isinstance(sheets, list) or not 1 <= len(sheets) <= MAX_STUDENTS:
        raise WorksheetError(f"the key's sheets must be a list of 1 to {MAX_STUDENTS} sheets" + hint)
    entries: dict[int, dict[str, Any]] = {}
    for i, entry in enumerate(sheets, 1):
        if not isinstance(entry, dict) or not _whole(entry.get("student")) or not _whole(entry.get("draw")):
            raise WorksheetError(f"sheet {i} of the key has no whole student number and draw" + hint)
        if not 1 <= entry["student"] <= MAX_STUDENTS or entry["student"] in entries:
            raise WorksheetError(f"sheet {i} of the key has student {entry['student']}, out of range or twice" + hint)
        entries[entry["student"]] = entry
    files = raw.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise WorksheetError("the key's files must map file names to SHA-256 hashes" + hint)
    return Key(seed, difficulty, entries, dict(files))


def sheet_from_key(key: Key | Mapping[str, Any], student: int) -> Sheet:
    """Student ``student``'s sheet, rebuilt from the key's seed, difficulty and draw and compared with the
    key's numbers: a key edited by hand or from another version is refused."""
    checked = key if isinstance(key, Key) else read_key(key)
    entry = checked.entries.get(student)
    if entry is None:
        listed = sorted(checked.entries)
        raise WorksheetError(f"the key has no student {student}; it has students {listed[0]} to {listed[-1]}")
    try:
        sheet = sheet_at(checked.seed, checked.difficulty, student, entry["draw"])
    except WorksheetError:
        raise WorksheetError(
            f"student {student}'s sheet in the key is no sheet of its seed: was the key edited?"
        ) from None
    if sheet.key() != entry:
        raise WorksheetError(f"student {student}'s sheet in the key does not match its seed: was the key edited?")
    return sheet


# ---- a student's answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What a student's file says: a number (or None: blank) per name, and the sheet it is for, if given."""

    values: dict[str, float | None]
    sheet: str | None = None


def _number(raw: str, name: str) -> float | None:
    """A typed number: ``-1.5`` (also with a Unicode minus sign), ``1e-3``, ``3/4``, and ``1,5`` with a decimal
    comma (:func:`tinygrad_scalar.core.language.read_number`), in any CSV or in a JSON string."""
    text = raw.strip().replace(" ", "")
    if not text:
        return None
    try:
        parts = [read_number(p) for p in text.split("/")]
    except ValueError:
        parts = []
    if len(parts) == 1 or (len(parts) == 2 and parts[1] != 0.0):
        value = parts[0] / parts[1] if len(parts) == 2 else parts[0]
        if math.isfinite(value):
            return value
    raise WorksheetError(f"the answer for {echo(name)} is not a number: {echo(raw)}")


_SHEET = re.compile(r"\bsheet\s+(\S+?)\)?$")


def read_answers(text: str, kind: str) -> Answers:
    """A student's answers: JSON (an object of name → number, ``"sheet"`` optional) or CSV (rows
    ``name,number``, the header ``name,gradient (sheet ...)`` optional); ``kind`` is ``'json'`` or ``'csv'``.
    A blank answer is None."""
    text = text.removeprefix("\ufeff")
    found: dict[str, float | None] = {}
    sheet: str | None = None
    if kind == "json":
        data = _json(text, "it")
        if not isinstance(data, dict):
            raise WorksheetError('the answers must be a JSON object of name → number, like {"x": 1.5}')
        for name, raw in data.items():
            if name == "sheet" and isinstance(raw, str):
                sheet = raw
            elif raw is None or raw == "":
                found[name] = None
            elif isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise WorksheetError(f"the answer for {echo(name)} is not a number: {echo(json.dumps(raw))}")
            else:
                found[name] = _number(str(raw), name)
        return Answers(found, sheet)
    first = re.sub(r'"[^"]*"', "", next((line for line in text.splitlines() if line.strip()), ""))
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","  # outside quotes, on the first line
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise WorksheetError(f"the answers are not CSV a spreadsheet writes ({echo(str(error))})") from None
    for i, cells in enumerate(rows, 1):
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if not found and sheet is None and cells[0].lower() == "name":  # the header
            match = next((_SHEET.search(c) for c in cells[1:] if _SHEET.search(c)), None)
            sheet = match.group(1) if match else None
            continue
        if len(cells) > 2:
            raise WorksheetError(
                f"line {i} of the answers should be name{delimiter}number, got {echo(delimiter.join(cells))}"
            )
        name = cells[0]
        if name in found:
            raise WorksheetError(f"line {i} of the answers gives {echo(name)} a second time")
        found[name] = _number(cells[1], name) if len(cells) == 2 else None
    return Answers(found, sheet)


def student_of(answers: Answers, file_name: str, key: Key) -> int | None:
    """Whose answers these are: the student of the sheet id in the file, else the number in a name like
    ``student-07-answers.csv``, else the only student of a one-sheet key; None if it cannot be told."""
    if answers.sheet is not None:
        parts = answers.sheet.split("/")
        if len(parts) == 4 and parts[2].isdigit():
            return int(parts[2])
    match = re.search(r"student-0*(\d{1,6})", os.path.basename(file_name))
    if match:
        return int(match.group(1))
    return next(iter(key.entries)) if len(key.entries) == 1 else None


# ---- marking ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One answer, marked: right, carried, wrong or blank, with the hint a student reads."""

    name: str
    status: str  # one of STATUSES
    answer: float | None
    expected: float
    hint: str
    slip: str | None = None  # the kind of slip a wrong answer shows, for the class summary


@dataclass(frozen=True)
class Grade:
    """A student's marked answers, in the order of the sheet's table, and the counts."""

    student: int
    sheet: str
    marks: tuple[Mark, ...]
    output: str = "L"  # the output's name, as the sheet labels it
    lang: str = "en"  # the language of the hints and of text()

    def count(self, status: str) -> int:
        """How many answers have ``status``."""
        return sum(1 for m in self.marks if m.status == status)

    @property
    def right(self) -> int:
        return self.count("right")

    @property
    def score(self) -> int:
        """Right plus carried (see the module docstring)."""
        return self.count("right") + self.count("carried")

    @in_its_language
    def summary(self) -> str:
        """``student 2: 1 right, 9 carried, 1 wrong, 0 blank of 11; score 10``."""
        counts = {s: self.count(s) for s in STATUSES} | {"student": self.student, "total": len(self.marks)}
        return _(
            "student %(student)d: %(right)d right, %(carried)d carried, %(wrong)d wrong, %(blank)d blank of "
            "%(total)d; score %(score)d (right + carried)"
        ) % (counts | {"score": self.score})

    @in_its_language
    def text(self) -> str:
        """One line per value, then the summary."""
        lines = []
        for m in self.marks:
            facts = {"name": m.name, "answer": num(m.answer or 0.0), "hint": m.hint}
            if m.status == "blank":
                lines.append(_("%(name)s: not answered") % facts)
            elif m.status == "right":
                lines.append(_("%(name)s: %(answer)s right") % facts)
            elif m.status == "carried":
                lines.append(_("%(name)s: %(answer)s carried; %(hint)s") % facts)
            else:
                lines.append(_("%(name)s: %(answer)s wrong; %(hint)s") % facts)
        return "\n".join([*lines, self.summary()])

    def as_json(self, **extra: Any) -> dict[str, Any]:
        """``{"student": N, "answers": {name: {"status": ..., "hint": ...}}, ...counts, "score", "out_of"}``."""
        return {
            "student": self.student,
            "answers": {m.name: {"status": m.status, "hint": m.hint} for m in self.marks},
            "sheet": self.sheet,
            **{s: self.count(s) for s in STATUSES},
            "score": self.score,
            "out_of": len(self.marks),
            **extra,
        }


def grade(
    key: Key | Mapping[str, Any],
    student: int,
    answers: Answers | Mapping[str, float | None],
    lang: str | None = None,
) -> Grade:
    """Mark ``answers`` of student ``student`` against the key, crediting work carried forward (see the
    module docstring), with hints in ``lang`` (by default the locale's language). Names the sheet does not
    have, and answers to another sheet, are refused."""
    checked = key if isinstance(key, Key) else read_key(key)
    given = answers if isinstance(answers, Answers) else Answers(dict(answers))
    sheet = sheet_from_key(checked, student)
    if given.sheet is not None and given.sheet != sheet.ident:
        raise WorksheetError(_other_sheet(given.sheet, sheet))
    asked = {v.label: v for v in sheet.asked()}
    unknown = [name for name in given.values if name not in asked]
    if unknown:
        raise WorksheetError(
            f"the answers name {', '.join(echo(n) for n in unknown[:5])}, which student {student}'s sheet does "
            f"not have; its values are: {', '.join(asked)}"
        )
    with using(lang) as code:
        marks = _mark(sheet, given.values)
    return Grade(student, sheet.ident, tuple(marks[name] for name in asked), sheet.root.label, code)


def _other_sheet(ident: str, sheet: Sheet) -> str:
    parts = ident.split("/")
    if len(parts) == 4 and parts[0] != str(sheet.seed):
        return (
            f"these answers are for a sheet of seed {echo(parts[0])}, and this key is for seed {sheet.seed}: "
            "grade them with their own class's key.json"
        )
    return (
        f"these answers are for sheet {echo(ident)}, and the key's student {sheet.student} has sheet {sheet.ident}: "
        "grade them with their own class's key.json, or give the right --student"
    )


def _mark(sheet: Sheet, answers: Mapping[str, float | None]) -> dict[str, Mark]:
    root = sheet.root
    order = topological_order(root)
    grads = fresh_gradients(root)
    d = f"∂{root.label}/∂"
    own: dict[Value, float] = {root: 1.0}  # the gradient the student's own work gives each value
    slipped: dict[Value, tuple[Value, ...]] = {}  # where the slips behind a value's own gradient were made
    marks: dict[str, Mark] = {}
    for node in reversed(order):
        if node is root or isinstance(node, Constant):
            continue
        uses = [(c, slot) for c in reversed(order) for slot, p in enumerate(c._prev) if p is node]
        terms = [(c, own[c], contributions(c, 1.0)[slot]) for c, slot in uses]
        carried = math.fsum(u * loc for _unused, u, loc in terms)
        above = tuple(dict.fromkeys(v for c, _unused in uses for v in slipped.get(c, ())))
        expected, answer, name = grads[node], answers.get(node.label), node.label
        if answer is None:
            own[node], slipped[node] = carried, above
            marks[name] = Mark(name, "blank", None, expected, _("not answered"))
        elif is_close(answer, expected):
            own[node] = expected
            marks[name] = Mark(name, "right", answer, expected, "")
        elif above and is_close(answer, carried):
            own[node], slipped[node] = answer, above
            facts = {
                "answer": num(answer),
                "yours": listing([f"{d}{c.label} = {num(own[c])}" for c, _slot in uses if slipped.get(c)]),
                "where": listing([v.label for v in above], numbers=False),
                "gradient": f"{d}{name}",
                "products": " + ".join(f"{factor(u)} · {factor(loc)}" for _c, u, loc in terms),
                "carried": num(carried),
                "expected": num(expected),
            }
            hint = (
                _(
                    "%(answer)s follows from your %(yours)s (the slip at %(where)s): %(gradient)s = %(products)s = "
                    "%(carried)s; with the right upstream gradient it is %(expected)s"
                )
                % facts
            )
            marks[name] = Mark(name, "carried", answer, expected, hint)
        else:
            own[node], slipped[node] = answer, (node,)
            hint, slip = _wrong_hint(root, node, answer, {c: own[c] for c, _unused in uses if c in slipped}, above)
            marks[name] = Mark(name, "wrong", answer, expected, hint, slip)
    return marks


def _wrong_hint(
    root: Value, node: Value, answer: float, yours: dict[Value, float], above: tuple[Value, ...]
) -> tuple[str, str | None]:
    """The hint for a wrong answer: the slip its number shows against the right upstream gradients, else
    against the student's own, else the general advice."""
    matching = [m for m in likely_mistakes(root, node) if is_close(answer, m.value)]
    if not matching and above:
        matching = [m for m in likely_mistakes(root, node, yours) if is_close(answer, m.value)]
        if matching:
            own = listing([f"∂{root.label}/∂{c.label} = {num(g)}" for c, g in yours.items()])
            facts = {"hint": also_hint(matching), "own": own}
            return _("%(hint)s (on top of your %(own)s)") % facts, matching[0].kind
    if matching:
        return also_hint(matching), matching[0].kind
    return unrecognised(answer, f"∂{root.label}/∂{node.label}", node.label), None


# ---- a class ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassSummary:
    """What a class's grades show: the totals, the most common slips and the hardest question."""

    grades: tuple[Grade, ...]

    def slips(self) -> list[tuple[str, int, int]]:
        """Each slip shown by a wrong answer: (kind, answers, students), most common first."""
        answers = Counter(m.slip for g in self.grades for m in g.marks if m.status == "wrong" and m.slip)
        students = Counter(s for g in self.grades for s in {m.slip for m in g.marks if m.status == "wrong" and m.slip})
        return [(kind, n, students[kind]) for kind, n in sorted(answers.items(), key=lambda kv: (-kv[1], kv[0]))]

    def hardest(self) -> tuple[str, int] | None:
        """The question answered right or carried by the fewest students: (name, how many); None if all were."""
        names = [m.name for m in self.grades[0].marks] if self.grades else []
        done = {
            n: sum(1 for g in self.grades for m in g.marks if m.name == n and m.status in ("right", "carried"))
            for n in names
        }
        if not done or min(done.values()) == len(self.grades):
            return None
        name = min(names, key=lambda n: done[n])
        return name, done[name]

    @property
    def lang(self) -> str:
        """The language of text(): the grades'."""
        return self.grades[0].lang if self.grades else "en"

    @in_its_language
    def text(self) -> str:
        total = sum(len(g.marks) for g in self.grades)
        counts = {s: sum(g.count(s) for g in self.grades) for s in STATUSES}
        lines = [
            _(
                "class of %(students)d: %(right)d right, %(carried)d carried, %(wrong)d wrong, %(blank)d blank of "
                "%(total)d answers"
            )
            % (counts | {"students": len(self.grades), "total": total})
        ]
        found = self.slips()
        if found:
            common = "; ".join(
                _("%(slip)s (%(answers)s, %(students)s)")
                % {
                    "slip": translated(kind),
                    "answers": ngettext("%(count)d answer", "%(count)d answers", n) % {"count": n},
                    "students": ngettext("%(count)d student", "%(count)d students", s) % {"count": s},
                }
                for kind, n, s in found[:3]
            )
            lines.append(_("most common slips: %(slips)s") % {"slips": common})
        else:
            lines.append(_("most common slips: none (no wrong answer shows a slip we recognise)"))
        hardest = self.hardest()
        if hardest is None:
            lines.append(_("hardest question: none (every question was answered right or carried by everyone)"))
        else:
            facts = {"gradient": f"∂{self.grades[0].output}/∂{hardest[0]}", "count": hardest[1]}
            lines.append(
                _("hardest question: %(gradient)s, answered right or carried by %(count)d of %(students)d")
                % (facts | {"students": len(self.grades)})
            )
        return "\n".join(lines)


def report_csv(rows: Sequence[tuple[str, Grade]]) -> bytes:
    """One row per graded file, for a gradebook: student, sheet, file, right, carried, wrong, blank, score,
    out_of. A cell a spreadsheet would read as a formula is quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["student", "sheet", "file", *STATUSES, "score", "out_of"])
    for file_name, g in rows:
        safe = "'" + file_name if file_name[:1] in ("=", "+", "-", "@", "\t", "\r") else file_name
        writer.writerow([g.student, g.sheet, safe, *(g.count(s) for s in STATUSES), g.score, len(g.marks)])
    return out.getvalue().encode("utf-8")
