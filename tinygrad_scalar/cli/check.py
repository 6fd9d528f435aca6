"""``tinygrad-scalar check``: grade a class's answers against a worksheet key."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from tinygrad_scalar.cli.common import PROG, BadInputError, CannotFinishError, add_language_argument, check_output
from tinygrad_scalar.core.language import N_, _, translated

__all__ = ["HELP", "add_parser", "run"]

HELP = N_("grade a class's answers against a worksheet key, naming the slip each wrong number shows")
"""What the command does, in one line (the bare command lists it)."""

_CHECK_EXAMPLES = f"""\
examples:
  one student's answers, typed into the CSV the worksheet command wrote (name,gradient per row):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv
  the whole class in one run, with a gradebook to import (one row per student):
    {PROG} check worksheets/key.json returned/*.csv --report class.csv
  answers as JSON, an object of name to number, for student 3, graded as JSON:
    {PROG} check worksheets/key.json answers.json --student 3 --json
  the grading's words in French (also de, es, zh_Hans; by default the locale's language):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv --lang fr

Each answer is right (within 1 %), carried (wrong against the key, but what the chain rule gives from
the student's own earlier answers: error carried forward, counted apart), wrong (with the slip it shows)
or blank; the score is right + carried. Excel's "CSV UTF-8" is read as it is. With several files, a
class summary follows: the most common slips and the hardest question. A file that cannot be graded
is named on standard error, the others are graded, and the exit code is 2.
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    check = commands.add_parser(
        "check",
        help=translated(HELP),
        description=_(
            "Grade students' answers (CSV rows name,number or a JSON object) against the key the worksheet command "
            "wrote: each gradient right, carried forward from the student's own slip, wrong (with a hint naming "
            "the slip) or blank."
        ),
        epilog=_CHECK_EXAMPLES,
    )
    check.add_argument("key", metavar="KEY", help=_("the key.json the worksheet command wrote"))
    check.add_argument("answers", metavar="ANSWERS", nargs="+", help=_("the students' answers, .csv or .json files"))
    add_language_argument(check)
    check.add_argument(
        "--student",
        type=int,
        metavar="N",
        help=_(
            "whose sheet, with one ANSWERS file (default: from the file's header, or from a name like "
            "student-07-answers.csv)"
        ),
    )
    check.add_argument("--json", action="store_true", help=_("print one JSON object per student instead of text"))
    check.add_argument(
        "--report", metavar="FILE", help=_("write a CSV for a gradebook, one row per student, e.g. class.csv")
    )


def run(args: argparse.Namespace) -> int:
    from tinygrad_scalar.core.files import atomic_write
    from tinygrad_scalar.teaching.grading import (
        MAX_ANSWERS_BYTES,
        MAX_KEY_BYTES,
        ClassSummary,
        Grade,
        decode,
        echo,
        grade,
        read_answers,
        read_file,
        read_key,
        report_csv,
        student_of,
    )
    from tinygrad_scalar.teaching.worksheet import WorksheetError

    if args.student is not None and len(args.answers) > 1:
        raise BadInputError(_("--student N names the student of one ANSWERS file; give one file, or leave it out"))
    report = check_output(args.report, "--report", "class.csv") if args.report is not None else None
    if report is not None:
        _check_report_target(report, args.key, args.answers)
    try:
        key = read_key(read_file(args.key, MAX_KEY_BYTES, "KEY"))
    except WorksheetError as error:
        raise BadInputError(f"KEY {echo(args.key, end=True)}: {error}") from None

    graded: list[tuple[str, Grade]] = []
    refused = 0
    for name in args.answers:
        try:
            data = read_file(name, MAX_ANSWERS_BYTES, "ANSWERS")
            kind = Path(name).suffix.lower().lstrip(".")
            if kind not in ("csv", "json"):
                raise WorksheetError(_("it must be a .csv or .json file"))
            answers = read_answers(decode(data, "it"), kind)
            student = args.student if args.student is not None else student_of(answers, name, key)
            if student is None:
                raise WorksheetError(_("say whose answers these are with --student N (the key has several sheets)"))
            result = grade(key, student, answers)
        except WorksheetError as error:
            if len(args.answers) == 1:
                raise BadInputError(f"ANSWERS {echo(name, end=True)}: {error}") from None
            print(f"{PROG} check: error: ANSWERS {echo(name, end=True)}: {error}", file=sys.stderr)
            refused += 1
            continue
        graded.append((name, result))
        if args.json:
            print(json.dumps(result.as_json(file=name), ensure_ascii=True))
        else:
            if len(args.answers) > 1:
                print(f"== {echo(name, end=True)}")
            print(result.text())
    if len(graded) > 1 and not args.json:
        print()
        print(ClassSummary(tuple(g for _name, g in graded)).text())
    if report is not None:
        try:
            atomic_write(report, report_csv(graded))
        except OSError as error:
            raise CannotFinishError(f"cannot write --report {args.report}: {error.strerror or error}") from None
        if not args.json:
            print(_("wrote %(file)s: one row per student") % {"file": args.report})
    if refused:
        failed = _("%(refused)d of %(total)d files could not be graded (above)") % {
            "refused": refused,
            "total": len(args.answers),
        }
        print(f"{PROG} check: error: {failed}", file=sys.stderr)
        return 2
    return 0


def _check_report_target(report: Path, key: str, answers: list[str]) -> None:
    """Refuse a --report that would replace what the command reads (the key, an answers file) or a file of the
    class's folder (the one worksheet writes whole, beside key.json): the report goes beside them."""
    from tinygrad_scalar.teaching.grading import echo

    target = os.path.realpath(report)
    for given, option in [(key, "KEY"), *((a, "ANSWERS") for a in answers)]:
        if target == os.path.realpath(given):
            raise BadInputError(
                f"--report {echo(str(report), end=True)} is the {option} file this command reads; "
                "write the report to a new file, like --report class.csv"
            )
    if os.path.dirname(target) == os.path.dirname(os.path.realpath(key)) and os.path.basename(key) == "key.json":
        raise BadInputError(
            f"--report {echo(str(report), end=True)} is in the class's folder, which worksheet writes whole; "
            "write the report outside it, like --report class.csv"
        )
