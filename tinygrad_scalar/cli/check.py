"""``tinygrad-scalar check``: grade a student's answers against a worksheet key."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from tinygrad_scalar.cli.common import PROG, BadInputError, add_language_argument

__all__ = ["HELP", "add_parser", "run"]

HELP = "grade a student's answers against a worksheet key, naming the mistake each wrong number shows"
"""What the command does, in one line (the bare command lists it)."""

_CHECK_EXAMPLES = f"""\
examples:
  the answers typed into the CSV the worksheet command wrote (name,gradient per line):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv
  answers as JSON, an object of name to number, for student 3:
    {PROG} check worksheets/key.json answers.json --student 3
  the grading's words in French (also de, es, zh_Hans; by default the locale's language):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv --lang fr
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    check = commands.add_parser(
        "check",
        help=HELP,
        description="Grade a student's answers (CSV rows name,number or a JSON object) against the key the "
        "worksheet command wrote: each gradient right or wrong, with a hint naming the likely mistake.",
        epilog=_CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("key", metavar="KEY", help="the key.json the worksheet command wrote")
    check.add_argument("answers", metavar="ANSWERS", help="the student's answers, a .csv or .json file")
    add_language_argument(check)
    check.add_argument(
        "--student", type=int, metavar="N", help="whose sheet (default: from a name like student-07-answers.csv)"
    )


def run(args: argparse.Namespace) -> int:
    import json

    from tinygrad_scalar.teaching.worksheet import WorksheetError, grade, read_answers

    kind = Path(args.answers).suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise BadInputError(f"ANSWERS must be a .csv or .json file, got {args.answers}")
    texts = []
    for what, name in (("KEY", args.key), ("ANSWERS", args.answers)):
        try:
            texts.append(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise BadInputError(f"cannot read {what} {name}: {getattr(error, 'strerror', None) or error}") from None
    try:
        key = json.loads(texts[0])
    except ValueError:
        raise BadInputError(f"KEY {args.key} is not JSON: give the key.json the worksheet command wrote") from None
    student = args.student
    if student is None:
        match = re.search(r"student-0*(\d+)", Path(args.answers).name)
        sheets = key.get("sheets", []) if isinstance(key, dict) else []
        if match:
            student = int(match.group(1))
        elif len(sheets) == 1:
            student = sheets[0].get("student", 1)
        else:
            raise BadInputError("say whose answers these are with --student N (the key has several sheets)")
    try:
        print(grade(key, student, read_answers(texts[1], kind)).text())
    except WorksheetError as error:
        raise BadInputError(str(error)) from None
    return 0
