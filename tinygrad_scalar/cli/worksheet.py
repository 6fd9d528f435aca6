"""``tinygrad-scalar worksheet``: a different backpropagation exercise per student, and one answer key."""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

from tinygrad_scalar.cli.common import PROG, BadInputError, CannotFinishError, add_language_argument
from tinygrad_scalar.core.language import N_, _, translated

__all__ = ["HELP", "add_parser", "run"]

HELP = N_("write a different backpropagation exercise per student (PDF, SVG) and one answer key")
"""What the command does, in one line (the bare command lists it)."""

_WORKSHEET_EXAMPLES = f"""\
examples:
  thirty different sheets of one ReLU neuron, and the key, into the new folder worksheets/:
    {PROG} worksheet --seed 2026 --students 30 --difficulty neuron --out worksheets
  on Letter paper:
    {PROG} worksheet --seed 2026 --students 30 --paper letter --out worksheets
  the sheets and the key in French, with decimal commas (also de, es, zh_Hans; by default the locale's language):
    {PROG} worksheet --seed 2026 --students 30 --lang fr --out classe
  grade student 7's answers (the CSV the command wrote for them, filled in), or the whole class:
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv
    {PROG} check worksheets/key.json returned/*.csv --report class.csv

difficulties, easiest first: product (L = a·b), chain, reuse (a value used twice), neuron (a ReLU
neuron and a squared error), diamond (two ReLU units sharing their input, one used twice). The same
seed gives the same sheets on every machine. Needs Graphviz's dot, pdflatex and poppler's pdfseparate.

The folder is written whole or not at all: the class is built beside it and renamed into place, so an
interrupted run leaves the earlier class as it was. An existing folder is replaced only if it holds an
earlier class, unchanged (its key.json names every file's SHA-256); a folder with other files (returned
answers, notes) or a symbolic link in it is refused.
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    from tinygrad_scalar.teaching.worksheet import DIFFICULTIES, PAPERS

    worksheet = commands.add_parser(
        "worksheet",
        help=translated(HELP),
        description=_(
            "Write, per student, a different computation graph with its values given and its gradients blank "
            "(student-NN.pdf, one printed page, and .svg; student-NN-answers.csv to fill in), and one answer key: "
            "key.json for the check command and key.pdf with the worked solutions."
        ),
        epilog=_WORKSHEET_EXAMPLES,
    )
    worksheet.add_argument(
        "--seed", type=int, required=True, help=_("the class's seed: the same seed, the same sheets")
    )
    worksheet.add_argument("--students", type=int, default=1, metavar="N", help=_("how many sheets (default 1)"))
    worksheet.add_argument(
        "--difficulty", choices=DIFFICULTIES, default="chain", help=_("the graph's shape (default chain)")
    )
    worksheet.add_argument("--paper", choices=tuple(PAPERS), default="a4", help=_("the paper size (default a4)"))
    worksheet.add_argument(
        "--out", default="worksheets", metavar="FOLDER", help=_("the class's folder (default worksheets/)")
    )
    add_language_argument(worksheet)


def run(args: argparse.Namespace) -> int:
    from tinygrad_scalar.core.files import SaveError
    from tinygrad_scalar.teaching.worksheet import MAX_SEED, MAX_STUDENTS, WorksheetError, write_worksheets

    if not 1 <= args.students <= MAX_STUDENTS:
        raise BadInputError(f"--students must be from 1 to {MAX_STUDENTS}, got {args.students}")
    if not -MAX_SEED <= args.seed <= MAX_SEED:
        raise BadInputError(f"--seed must be a whole number from -{MAX_SEED} to {MAX_SEED}, got {args.seed}")
    name = args.out.rstrip("/") or args.out
    if not args.out.strip() or name.split("/")[-1] in ("", ".", ".."):
        raise BadInputError(
            f"--out {args.out!r} names no new folder: the command writes a folder of its own; give its name, "
            "like --out class7"
        )
    try:
        written = write_worksheets(name, args.seed, args.students, args.difficulty, args.paper)
    except WorksheetError as error:
        raise BadInputError(str(error)) from None
    except SaveError as error:
        raise BadInputError(f"--out {args.out}: {error.strerror}") from None
    except OSError as error:
        said = f"cannot write the class into {name}: {error.strerror}" if error.strerror else str(error)
        raise CannotFinishError(said) from None
    except subprocess.SubprocessError as error:
        raise CannotFinishError(str(error)) from None
    print(
        _(
            "wrote %(count)d files into %(folder)s: per student a PDF to print, an SVG and a CSV for the answers, "
            "and the key (key.json, key.pdf)"
        )
        % {"count": len(written), "folder": name}
    )
    return 0
