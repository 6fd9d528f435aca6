"""``tinygrad-scalar worksheet``: a different backpropagation exercise per student, and one answer key."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from tinygrad_scalar.cli.common import PROG, BadInputError, CannotFinishError

__all__ = ["HELP", "add_parser", "run"]

HELP = "write a different backpropagation exercise per student (PDF, SVG) and one answer key"
"""What the command does, in one line (the bare command lists it)."""

_WORKSHEET_EXAMPLES = f"""\
examples:
  thirty different sheets of one ReLU neuron, and the key, into worksheets/:
    {PROG} worksheet --seed 2026 --students 30 --difficulty neuron --out worksheets
  grade student 7's answers (the CSV the command wrote for them, filled in):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv

difficulties, easiest first: product (L = a·b), chain, reuse (a value used twice), neuron (a ReLU
neuron and a squared error), diamond (two ReLU units sharing their input, one used twice). The same
seed gives the same sheets on every machine. Needs Graphviz's dot and pdflatex.
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    from tinygrad_scalar.teaching.worksheet import DIFFICULTIES

    worksheet = commands.add_parser(
        "worksheet",
        help=HELP,
        description="Write, per student, a different computation graph with its values given and its gradients "
        "blank (student-NN.pdf and .svg, and student-NN-answers.csv to fill in), and one answer key: key.json "
        "for the check command and key.pdf with the worked solutions.",
        epilog=_WORKSHEET_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worksheet.add_argument("--seed", type=int, required=True, help="the class's seed: the same seed, the same sheets")
    worksheet.add_argument("--students", type=int, default=1, metavar="N", help="how many sheets (default 1)")
    worksheet.add_argument(
        "--difficulty", choices=DIFFICULTIES, default="chain", help="the graph's shape (default chain)"
    )
    worksheet.add_argument("--out", default="worksheets", metavar="FOLDER", help="where to write (default worksheets/)")


def run(args: argparse.Namespace) -> int:
    from tinygrad_scalar.teaching.worksheet import MAX_STUDENTS, WorksheetError, write_worksheets

    if not 1 <= args.students <= MAX_STUDENTS:
        raise BadInputError(f"--students must be from 1 to {MAX_STUDENTS}, got {args.students}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {args.out} is a file, not a folder: give a folder to write the sheets into")
    try:
        written = write_worksheets(out, args.seed, args.students, args.difficulty)
    except WorksheetError as error:
        raise BadInputError(str(error)) from None
    except (OSError, subprocess.SubprocessError) as error:
        raise CannotFinishError(str(error)) from None
    print(
        f"wrote {len(written)} files into {args.out}: per student a PDF, an SVG and a CSV for the answers, "
        "and the key (key.json, key.pdf)"
    )
    return 0
