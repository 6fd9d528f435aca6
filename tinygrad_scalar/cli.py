"""The ``tinygrad-scalar`` command (also ``python -m tinygrad_scalar``).

``tinygrad-scalar graph "tanh(x*w + b)" --at x=2 w=-3 b=6.88 -o neuron.svg`` evaluates the
expression, runs the backward pass, writes the picture of the graph and prints each input's
value and gradient. ``tinygrad-scalar explain`` prints the backward pass step by step, or writes
a worked solution (Markdown, LaTeX) or the HTML stepper. ``COMMAND --help`` shows every option.

Every error is one line on standard error in the command line's own words, never a traceback: exit
code 2 when the command is wrong (checked before any work), 1 when a right command could not
finish (Graphviz's ``dot`` missing, broken or too slow; a file that cannot be written).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tinygrad_scalar.animation import ANIMATION_FORMATS, HOLD_LAST, MP4_FPS, SECONDS_PER_FRAME
from tinygrad_scalar.engine import Value, topological_order
from tinygrad_scalar.expression import FUNCTIONS, ExpressionError, evaluate, parse_assignments
from tinygrad_scalar.viz import (
    FORMATS,
    MAX_FORMAT_DIGITS,
    MAX_NODES,
    DotNotFoundError,
    RenderError,
    RenderTimeoutError,
    number_format_problem,
)

__all__ = ["main"]

PROG = "tinygrad-scalar"

_GRAPH_EXAMPLES = f"""\
examples:
  the neuron of the micrograd lecture, as an SVG picture:
    {PROG} graph "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.svg
  the DOT source on standard output, piped into Graphviz yourself:
    {PROG} graph "(x + y) * y" --at x=2 y=3 | dot -Tpng > sum_rule.png
  an exercise sheet, gradients hidden, top to bottom:
    {PROG} graph "sigmoid(w*x + b)" --at w=0.5 x=2 b=-1 --hide-grad --rankdir TB -o exercise.pdf
  every contribution on its edge, the sum rule outlined, two decimals, black and white:
    {PROG} graph "(x + y) * y" --at x=2 y=3 --edge-grads --sum-rule --fmt %.2f --no-color -o sum_rule.svg
  a graph bigger than the default limit of {MAX_NODES} values, as DOT source:
    {PROG} graph "tanh(x)*tanh(x)" --at x=1 --max-nodes 2000 --format dot -o graph.dot
  an expression that starts with a minus sign goes last, after --:
    {PROG} graph --at x=2 -- "-x*3"

the expression may use numbers, the constants e and pi, the variables given with --at,
+ - * / **, unary minus, parentheses, and the functions {" ".join(FUNCTIONS)}
(log is the natural logarithm); nothing else is evaluated.
"""


_EXPLAIN_EXAMPLES = f"""\
examples:
  the backward pass of the seeds' example, one step per line, in words and numbers:
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1
  a worked solution to paste into a handout:
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1 --format latex --standalone -o solution.tex
  a page that steps through the pass (buttons, slider, arrow keys; works offline):
    {PROG} explain "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.88 --format html -o stepper.html
  a pass as an animation for a slide (also .mp4, or .svg, an animated SVG), 3 s a step, the last 5 s more:
    {PROG} explain "tanh(x1*w1 + b)" --at x1=2 w1=-3 b=6.88 -o pass.gif --seconds-per-frame 3 --hold-last 5
  the same page as practice: it asks for each gradient before showing the step, hints, a score:
    {PROG} explain "(x + y) * y" --at x=2 y=3 --format html --ask -o practice.html

the expression language is the one of '{PROG} graph'; an expression that starts with a minus sign goes last,
after --.
"""


_DEMO_EXAMPLES = f"""\
examples:
  micrograd's demo (two moons, MLP(2, [16, 16, 1]), max-margin loss, L2, SGD with decaying rate):
    {PROG} demo
  three spiral arms, cross-entropy, Adam, into another folder:
    {PROG} demo --dataset spiral --optimizer adam --steps 200 --out spiral-run
  the same training define-by-run, a new graph every step (by default the step is traced once and replayed):
    {PROG} demo --define-by-run
  and a page to replay the training step by step (slider; decision boundary, loss, one neuron's graph):
    {PROG} demo --html out/training.html
  more points, a wider network, another rate and seed, no progress bar:
    {PROG} demo --samples 200 --hidden 32 32 --lr 0.5 --seed 7 --quiet
"""


_COMMAND_HELP = {
    "graph": "draw the computation graph of an expression, with values and gradients",
    "explain": "explain the backward pass of an expression step by step, with the chain rule in numbers",
    "demo": "train an MLP on two moons as micrograd's demo does, and write pictures, the model and a stepper",
    "worksheet": "write a different backpropagation exercise per student (PDF, SVG) and one answer key",
    "check": "grade a student's answers against a worksheet key, naming the mistake each wrong number shows",
}
"""Each command and what it does, in one line (the bare command lists them)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line, in command-line words, and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]  # never returns
        if "required: EXPRESSION" in message:
            message = (
                'give the expression first, then its values: graph "x**2" --at x=3 (an expression that starts '
                "with '-' goes last, after '--': graph --at x=2 -- \"-x*3\")"
            )
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A scalar autodiff engine for learning and teaching backpropagation.",
        epilog=f"run '{PROG} COMMAND --help' for the options and examples of a command",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    graph = commands.add_parser(
        "graph",
        help=_COMMAND_HELP["graph"],
        description="Evaluate EXPRESSION at the values given with --at, run the backward pass, draw the graph "
        "(values and gradients) and print each input's value and gradient.",
        epilog=_GRAPH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_expression_arguments(graph)
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the picture to FILE (e.g. -o neuron.svg); without it the DOT source goes to standard output",
    )
    graph.add_argument(
        "--format",
        choices=("svg", "png", "pdf", "dot"),
        help="file format; by default taken from FILE's suffix, else svg (e.g. --format png)",
    )
    graph.add_argument(
        "--rankdir", choices=("LR", "TB"), default="LR", help="left to right (LR, default) or top to bottom (TB)"
    )
    graph.add_argument(
        "--fmt",
        default="%.4f",
        help="printf-style format of the numbers: one %%e, %%f or %%g, width and precision at most "
        f"{MAX_FORMAT_DIGITS} (default %%.4f, e.g. --fmt %%.2f)",
    )
    graph.add_argument("--hide-grad", action="store_true", help="show every gradient as ? (for exercises)")
    graph.add_argument(
        "--edge-grads",
        action="store_true",
        help="label each edge with the contribution it carried back (local derivative x upstream gradient)",
    )
    graph.add_argument(
        "--sum-rule", action="store_true", help="outline values whose gradient sums several contributions"
    )
    graph.add_argument("--no-color", action="store_true", help="black and white, the lecture's plain look")
    graph.add_argument(
        "--max-nodes",
        type=int,
        default=MAX_NODES,
        metavar="N",
        help=f"refuse graphs with more than N values (default {MAX_NODES}, which dot lays out in a few seconds)",
    )
    explain = commands.add_parser(
        "explain",
        help=_COMMAND_HELP["explain"],
        description="Evaluate EXPRESSION at the values given with --at and explain its backward pass: the steps "
        "as text, a worked solution in Markdown or LaTeX, or an HTML page that steps through it.",
        epilog=_EXPLAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_expression_arguments(explain)
    explain.add_argument(
        "--format",
        choices=("text", "markdown", "latex", "html"),
        default="text",
        help="text: the steps (default); markdown or latex: a worked solution; html: the stepper (e.g. --format html)",
    )
    explain.add_argument(
        "--standalone",
        action="store_true",
        help="with --format latex: a complete document that pdflatex compiles, not only the align* block",
    )
    explain.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output (e.g. -o stepper.html); a FILE ending .gif, .mp4 or .svg "
        "gets the stepper's pictures as an animation, one 1920x1080 slide per step (.mp4 needs ffmpeg)",
    )
    explain.add_argument(
        "--seconds-per-frame",
        type=float,
        metavar="S",
        help=f"with an animation, how long each step shows (default {SECONDS_PER_FRAME:g}, e.g. --seconds-per-frame 3)",
    )
    explain.add_argument(
        "--hold-last",
        type=float,
        metavar="S",
        help=f"with an animation, how much longer the last step shows (default {HOLD_LAST:g}, e.g. --hold-last 5)",
    )
    _add_practice_arguments(explain)
    demo = commands.add_parser(
        "demo",
        help=_COMMAND_HELP["demo"],
        description="Train an MLP on a small 2-D data set, as micrograd's demo does, showing progress; then write "
        "the decision boundary, the loss curve, the trained model, the graph of one neuron on one sample, and a "
        "backward-pass stepper into the output folder.",
        epilog=_DEMO_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--dataset", choices=("moons", "circles", "spiral", "xor"), default="moons", help="the data set")
    demo.add_argument("--samples", type=int, default=100, metavar="N", help="number of samples (default 100)")
    demo.add_argument(
        "--hidden", type=int, nargs="+", default=[16, 16], metavar="SIZE", help="hidden layer sizes (default 16 16)"
    )
    demo.add_argument("--steps", type=int, default=100, metavar="N", help="training steps, full batch (default 100)")
    demo.add_argument(
        "--optimizer",
        choices=("sgd", "momentum", "adam", "adamw", "rmsprop"),
        default="sgd",
        help="sgd (micrograd's: rate 1.0 decaying to 0.1), momentum, adam, adamw or rmsprop (default sgd)",
    )
    demo.add_argument("--lr", type=float, help="learning rate (default: 1.0 for sgd, 0.1 momentum, 0.02 others)")
    demo.add_argument("--seed", type=int, default=1337, help="seed of the data and the weights (default 1337)")
    demo.add_argument("--out", default="out", metavar="FOLDER", help="where to write the results (default out/)")
    demo.add_argument(
        "--define-by-run",
        action="store_true",
        help="build the graph anew every step instead of replaying a traced one (the same numbers, slower)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument(
        "--html",
        metavar="FILE",
        help="also write a page that replays the training with a slider over its steps (e.g. --html out/training.html)",
    )
    _add_practice_commands(commands)
    return parser


def _add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPRESSION", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument(
        "--at",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=NUMBER",
        help="the value of each variable, e.g. --at x=2 w=-3 b=6.88 (e and pi are built in)",
    )


def _print_table(variables: dict[str, Value], root: Value, fmt: str, hide_grad: bool, out: TextIO) -> None:
    rows = list(variables.items())
    if root not in variables.values():  # the expression may be just one of the variables
        rows.append((root.label or "out", root))
    width = max(len("name"), *(len(name) for name, _ in rows))
    print(f"{'name':<{width}}  {'value':>12}  {'gradient':>12}", file=out)
    for name, v in rows:
        grad = "?" if hide_grad else fmt % v.grad
        print(f"{name:<{width}}  {fmt % v.data:>12}  {grad:>12}", file=out)


class _BadInputError(Exception):
    """The command is wrong (an option, a file name, a size): exit code 2, like a bad expression."""


class _CannotFinishError(Exception):
    """The input was fine, but something around it failed (dot, the disk): exit code 1."""


def _check_output(text: str, option: str, example: str = "graph.svg", made: Path | None = None) -> Path:
    """The file an output option names, refused at once when it cannot be a file (its folder may be
    ``made``, a folder the command creates first)."""
    if not text.strip():
        raise _BadInputError(f"{option} needs a file name, like {option} {example}")
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.name in ("", ".", "..") or target.is_dir():
        raise _BadInputError(
            f"{option} {text} is a folder; give a file name in it, like {option} {target / Path(example).name}"
        )
    folder = target.parent
    if not folder.is_dir() and not (made is not None and folder.resolve() == made.resolve()):
        what = "is not a folder" if folder.exists() else "does not exist"
        raise _BadInputError(f"{option} {text}: the folder {str(folder)!r} {what}; create it first or write elsewhere")
    return target


def _check_unused(expression: str, variables: dict[str, Value], root: Value) -> None:
    """Every --at name must be used: a typo like bb=6.88 for b would otherwise be ignored silently."""
    used = set(topological_order(root))
    unused = [name for name, v in variables.items() if v not in used]
    if not unused:
        return
    names = [name for name, v in variables.items() if v in used]
    close = difflib.get_close_matches(unused[0], names, n=1, cutoff=0.0) if names else []
    closest = f"; the closest variable in it is {close[0]}" if close else "; it has no variables"
    listed = " and ".join(repr(name) for name in unused[:3])
    raise _BadInputError(f"--at gives {listed}, which the expression {expression.strip()!r} does not use{closest}")


def _prepare(args: argparse.Namespace) -> tuple[dict[str, Value], Value]:
    """Parse --at and the expression, refuse unused names, evaluate: the inputs and the output."""
    variables = parse_assignments(args.at)
    root = evaluate(args.expression, variables)
    _check_unused(args.expression, variables, root)
    return variables, root


def _render_failure(error: Exception) -> str:
    """What went wrong with Graphviz's dot, and how to fix it, in command-line words."""
    if isinstance(error, DotNotFoundError):
        return (
            "Graphviz's 'dot' program is not installed (or not on PATH), and drawing a picture needs it: install it "
            "with 'apt-get install graphviz', 'brew install graphviz' or 'conda install graphviz'"
        )
    if isinstance(error, RenderTimeoutError):
        return (
            f"Graphviz's dot did not finish laying out this graph of {error.values} values within {error.seconds:g} s "
            "and was stopped; draw a smaller expression, or write the DOT source with --format dot and run dot on "
            "it yourself"
        )
    assert isinstance(error, RenderError)
    if error.broken_install:
        return (
            f"Graphviz's dot is installed but broken ({error.dot_said}); run 'dot -c' as root to register its "
            "plugins, or reinstall graphviz"
        )
    return f"Graphviz's dot failed ({error.dot_said}); write the DOT source with --format dot to see what it was given"


def _graph(args: argparse.Namespace) -> int:
    from tinygrad_scalar.viz import draw_dot, save_graph

    problem = number_format_problem(args.fmt)
    if problem:
        raise _BadInputError(f"--fmt {args.fmt}: {problem}")
    if args.max_nodes < 1:
        raise _BadInputError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    if args.output is None:
        if args.format not in (None, "dot"):
            raise _BadInputError(f"--format {args.format} needs -o FILE; without -o the DOT source is printed")
        target, fmt = None, "dot"
    else:
        target = _check_output(args.output, "-o")
        fmt = args.format or (target.suffix.lstrip(".").lower() if target.suffix else "svg")
        if fmt not in FORMATS:
            raise _BadInputError(
                f"cannot tell which format to write for {args.output!r}: use --format with one of "
                f"{', '.join(FORMATS)}, or a file name ending .svg, .png, .pdf or .dot"
            )
    variables, root = _prepare(args)
    values = len(topological_order(root))
    if values > args.max_nodes:
        raise _BadInputError(
            f"this graph has {values} values, more than --max-nodes {args.max_nodes}; a picture that size is "
            f"unreadable and slow to draw: draw a smaller expression, or add --max-nodes {values}"
        )
    if not root.label:
        root.label = "out"
    root.backward()
    options = {
        "rankdir": args.rankdir,
        "fmt": args.fmt,
        "show_grad": not args.hide_grad,
        "edge_grads": args.edge_grads,
        "sum_rule": args.sum_rule,
        "colors": not args.no_color,
        "max_nodes": args.max_nodes,
    }
    if target is None:
        source = draw_dot(root, **options).source
        _print_table(variables, root, args.fmt, args.hide_grad, sys.stderr)
        sys.stdout.write(source)
        return 0
    try:
        written = save_graph(root, target, format=fmt, **options)
    except (DotNotFoundError, RenderError) as error:
        raise _CannotFinishError(_render_failure(error)) from None
    except OSError as error:
        raise _CannotFinishError(f"cannot write {args.output}: {error.strerror or error}") from None
    _print_table(variables, root, args.fmt, args.hide_grad, sys.stdout)
    print(f"wrote {written}", file=sys.stdout)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from tinygrad_scalar.explain import MAX_STEPPER_NODES, backward_steps, explain_grad, stepper, worked_solution
    from tinygrad_scalar.files import atomic_write

    target = _check_output(args.output, "-o") if args.output is not None else None
    if args.standalone and args.format != "latex":
        raise _BadInputError("--standalone makes a LaTeX document: use it with --format latex")
    animated = _check_animation(args, target)
    _check_practice_arguments(args)
    variables, root = _prepare(args)
    graph = topological_order(root)
    if not any(v in set(graph) for v in variables.values()):
        raise _BadInputError(
            f"{args.expression.strip()!r} is a constant: it has no variable, so there is no gradient to explain; "
            f'use a variable, like: explain "3*x" --at x=2'
        )
    if (args.format == "html" or animated) and len(graph) > MAX_STEPPER_NODES:
        raise _BadInputError(
            f"this graph has {len(graph)} values; the stepper draws one picture per step and takes at most "
            f"{MAX_STEPPER_NODES}: step through a smaller expression, or use --format text"
        )
    try:
        if animated:
            assert target is not None
            _check_stepper_time(root)
            page = stepper(root)
            _write_animation(page.frames, page.equations, target, args)
            print(f"wrote {args.output}")
            return 0
        if args.format == "html":
            _check_stepper_time(root)
            text = stepper(root, ask=args.ask).html()
        elif args.format == "latex":
            text = worked_solution(root, "latex").latex(standalone=args.standalone)
        elif args.format == "markdown":
            text = str(worked_solution(root, "markdown"))
        else:
            steps = [str(step) for step in backward_steps(root)]
            inputs = [str(explain_grad(root, v)) for v in variables.values() if v in set(graph)]
            text = "\n".join([*steps, "", *inputs]) + "\n"
    except (DotNotFoundError, RenderError) as error:
        raise _CannotFinishError(_render_failure(error)) from None
    if target is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as error:
        raise _CannotFinishError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"wrote {args.output}")
    return 0


def _check_animation(args: argparse.Namespace, target: Path | None) -> bool:
    """Whether explain writes an animation (-o FILE ending .gif, .mp4 or .svg, with --format text or html),
    and its timing options checked: refused where they would be ignored or are not a time."""
    suffix = target.suffix.lstrip(".").lower() if target is not None else ""
    animated = suffix in ANIMATION_FORMATS and args.format in ("text", "html")
    if suffix in ANIMATION_FORMATS and not animated:
        raise _BadInputError(
            f"--format {args.format} writes text, and -o {args.output} is an animation; "
            f"use -o with a .{'md' if args.format == 'markdown' else 'tex'} file, or drop --format"
        )
    for option, value, least in (
        ("--seconds-per-frame", args.seconds_per_frame, 1 / MP4_FPS if suffix == "mp4" else 0.01),
        ("--hold-last", args.hold_last, 0),
    ):
        if value is None:
            continue
        if not animated:
            raise _BadInputError(f"{option} sets the timing of an animation: add -o pass.gif (or .mp4, .svg)")
        if not (math.isfinite(value) and value >= least):
            raise _BadInputError(
                f"{option} must be a number of seconds, at least {least:g}, like {option} 2; got {value}"
            )
    if animated and suffix == "mp4":
        import shutil

        from tinygrad_scalar.animation import FfmpegNotFoundError

        if shutil.which("ffmpeg") is None:
            raise _CannotFinishError(str(FfmpegNotFoundError()))
    return animated


def _write_animation(frames: list[str], captions: list[str], target: Path, args: argparse.Namespace) -> None:
    """The stepper's pictures as an animation in ``target``, in command-line words when that fails."""
    from tinygrad_scalar.animation import FfmpegNotFoundError, save_animation

    timing = {"seconds_per_frame": args.seconds_per_frame, "hold_last": args.hold_last}
    try:
        save_animation(frames, captions, target, **{k: v for k, v in timing.items() if v is not None})
    except (FfmpegNotFoundError, ImportError) as error:
        raise _CannotFinishError(str(error)) from None
    except RuntimeError as error:  # ffmpeg failed
        raise _CannotFinishError(str(error)) from None
    except OSError as error:
        raise _CannotFinishError(f"cannot write {args.output}: {error.strerror or error}") from None


def _add_practice_arguments(explain: argparse.ArgumentParser) -> None:
    explain.add_argument(
        "--ask",
        action="store_true",
        help="with --format html: ask the learner for each gradient before the step is revealed, with hints "
        "that name the mistake a wrong number shows, and a score",
    )


def _check_practice_arguments(args: argparse.Namespace) -> None:
    if args.ask and args.format != "html":
        raise _BadInputError("--ask asks for the gradients in the HTML stepper: use it with --format html")


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

_CHECK_EXAMPLES = f"""\
examples:
  the answers typed into the CSV the worksheet command wrote (name,gradient per line):
    {PROG} check worksheets/key.json worksheets/student-07-answers.csv
  answers as JSON, an object of name to number, for student 3:
    {PROG} check worksheets/key.json answers.json --student 3
"""


def _add_practice_commands(commands: Any) -> None:
    from tinygrad_scalar.worksheet import DIFFICULTIES

    worksheet = commands.add_parser(
        "worksheet",
        help=_COMMAND_HELP["worksheet"],
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
    check = commands.add_parser(
        "check",
        help=_COMMAND_HELP["check"],
        description="Grade a student's answers (CSV rows name,number or a JSON object) against the key the "
        "worksheet command wrote: each gradient right or wrong, with a hint naming the likely mistake.",
        epilog=_CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("key", metavar="KEY", help="the key.json the worksheet command wrote")
    check.add_argument("answers", metavar="ANSWERS", help="the student's answers, a .csv or .json file")
    check.add_argument(
        "--student", type=int, metavar="N", help="whose sheet (default: from a name like student-07-answers.csv)"
    )


def _worksheet(args: argparse.Namespace) -> int:
    from tinygrad_scalar.worksheet import MAX_STUDENTS, WorksheetError, write_worksheets

    if not 1 <= args.students <= MAX_STUDENTS:
        raise _BadInputError(f"--students must be from 1 to {MAX_STUDENTS}, got {args.students}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise _BadInputError(f"--out {args.out} is a file, not a folder: give a folder to write the sheets into")
    try:
        written = write_worksheets(out, args.seed, args.students, args.difficulty)
    except WorksheetError as error:
        raise _BadInputError(str(error)) from None
    except (OSError, subprocess.SubprocessError) as error:
        raise _CannotFinishError(str(error)) from None
    print(
        f"wrote {len(written)} files into {args.out}: per student a PDF, an SVG and a CSV for the answers, "
        "and the key (key.json, key.pdf)"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    import json

    from tinygrad_scalar.worksheet import WorksheetError, grade, read_answers

    kind = Path(args.answers).suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise _BadInputError(f"ANSWERS must be a .csv or .json file, got {args.answers}")
    texts = []
    for what, name in (("KEY", args.key), ("ANSWERS", args.answers)):
        try:
            texts.append(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise _BadInputError(f"cannot read {what} {name}: {getattr(error, 'strerror', None) or error}") from None
    try:
        key = json.loads(texts[0])
    except ValueError:
        raise _BadInputError(f"KEY {args.key} is not JSON: give the key.json the worksheet command wrote") from None
    student = args.student
    if student is None:
        match = re.search(r"student-0*(\d+)", Path(args.answers).name)
        sheets = key.get("sheets", []) if isinstance(key, dict) else []
        if match:
            student = int(match.group(1))
        elif len(sheets) == 1:
            student = sheets[0].get("student", 1)
        else:
            raise _BadInputError("say whose answers these are with --student N (the key has several sheets)")
    try:
        print(grade(key, student, read_answers(texts[1], kind)).text())
    except WorksheetError as error:
        raise _BadInputError(str(error)) from None
    return 0


STEPPER_TIME = 60.0
"""Seconds the stepper's pictures may take in all: ``explain --format html`` draws one per step."""


def _check_stepper_time(root: Value) -> None:
    """Refuse a stepper whose pictures would take dot minutes in all (a value used by many operations in
    a row is slow to lay out even when small): the final picture, drawn once, must take at most its share."""
    from tinygrad_scalar.explain import MAX_STEPPER_NODES
    from tinygrad_scalar.viz import draw_dot

    frames = 1 + sum(1 for node in topological_order(root) if node._prev)
    share = STEPPER_TIME / frames
    try:
        draw_dot(root, max_nodes=MAX_STEPPER_NODES, timeout=share).pipe(format="svg")
    except RenderTimeoutError:
        raise _CannotFinishError(
            f"the stepper draws {frames} pictures of this graph, and dot needs more than {share:.1f} s for one, "
            f"more than {STEPPER_TIME:g} s in all; step through a smaller expression, or use --format text"
        ) from None


MAX_DEMO_WORK = 2_000_000
"""The most samples x parameters the demo trains (100 x 337 by default): beyond it one step takes
minutes. Measured on a 2-core machine: the default demo's steps take about 0.3 s, so this limit,
60 times the default, is a step of about 20 s."""

_DEMO_FILES = ("decision_boundary.png", "loss.png", "model.json", "neuron.svg", "stepper.html")


def _check_demo(args: argparse.Namespace) -> None:
    """Refuse every bad demo argument before any work, in command-line words."""
    import importlib.util

    if args.samples < 4:
        raise _BadInputError(f"--samples must be at least 4, got {args.samples}")
    if args.steps < 1:
        raise _BadInputError(f"--steps must be at least 1, got {args.steps}")
    if any(h < 1 for h in args.hidden):
        raise _BadInputError(f"every --hidden size must be at least 1, got {' '.join(map(str, args.hidden))}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise _BadInputError(f"--lr must be a positive number, like --lr 0.05; got {args.lr}")
    sizes = [2, *args.hidden, 3 if args.dataset == "spiral" else 1]
    parameters = sum((nin + 1) * nout for nin, nout in itertools.pairwise(sizes))
    if args.samples * parameters > MAX_DEMO_WORK:
        raise _BadInputError(
            f"--samples {args.samples} with --hidden {' '.join(map(str, args.hidden))} ({parameters} parameters) is "
            f"{args.samples * parameters:,} multiply-adds per step, more than this scalar engine does in a minute "
            f"(at most {MAX_DEMO_WORK:,}); use fewer samples or smaller hidden layers"
        )
    out = Path(args.out)
    if not args.out.strip():
        raise _BadInputError("--out needs a folder name, like --out results")
    if out.exists() and not out.is_dir():
        raise _BadInputError(f"--out {args.out} is a file; give a folder (it is created when missing)")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise _BadInputError(f"--out {args.out}: {str(existing)!r} is a file, so the folder cannot be made")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _BadInputError(f"--out {args.out}: cannot write into {str(existing)!r} (permission denied)")
    for name in _DEMO_FILES:
        if (out / name).is_dir():
            raise _BadInputError(f"--out {args.out}: {str(out / name)!r} is a folder, where the demo writes a file")
    if args.html is not None:
        target = _check_output(args.html, "--html", example="out/training.html", made=Path(args.out))
        if target.suffix.lower() not in (".html", ".htm"):
            raise _BadInputError(f"--html {args.html}: the replay is a web page; give a file name ending .html")
    if importlib.util.find_spec("matplotlib") is None:
        raise _CannotFinishError(
            "the demo draws its plots with matplotlib, which is not installed: pip install 'tinygrad-scalar[plots]'"
        )


def _demo(args: argparse.Namespace) -> int:
    import time

    from tinygrad_scalar import optim
    from tinygrad_scalar.data import DATASETS
    from tinygrad_scalar.explain import stepper
    from tinygrad_scalar.nn import MLP
    from tinygrad_scalar.plots import plot_decision_boundary, plot_history
    from tinygrad_scalar.train import accuracy, fit
    from tinygrad_scalar.viz import save_svg

    _check_demo(args)
    started = time.perf_counter()
    points, labels = DATASETS[args.dataset](args.samples, seed=args.seed)
    classes = max(labels) + 1
    loss = "cross_entropy" if classes > 2 else "hinge"
    model = MLP(2, [*args.hidden, classes if classes > 2 else 1], seed=args.seed)
    params = model.parameters()
    lr = args.lr if args.lr is not None else {"sgd": 1.0, "momentum": 0.1}.get(args.optimizer, 0.02)
    optimizers: dict[str, Callable[[], optim.Optimizer]] = {
        "sgd": lambda: optim.SGD(params, lr=lr),
        "momentum": lambda: optim.SGD(params, lr=lr, momentum=0.9),
        "adam": lambda: optim.Adam(params, lr=lr),
        "adamw": lambda: optim.AdamW(params, lr=lr),
        "rmsprop": lambda: optim.RMSprop(params, lr=lr),
    }
    optimizer = optimizers[args.optimizer]()

    def schedule(opt: optim.Optimizer) -> optim.Schedule:
        # micrograd's demo: the rate falls linearly to a tenth of its start over the run
        return optim.LinearDecay(opt, lr, lr * 0.1, args.steps)

    print(
        f"training {model.__class__.__name__}(2, {model.nouts}) ({model.num_parameters()} parameters) on "
        f"{args.samples} {args.dataset} points: {loss} loss + L2 1e-4, {args.optimizer}, {args.steps} steps"
        + (", define-by-run" if args.define_by_run else "")
    )
    recorder = None
    if args.html is not None:
        from tinygrad_scalar.replay import Recorder

        recorder = Recorder(model)
    history = fit(
        model,
        points,
        labels,
        live=recorder or False,
        loss=loss,
        optimizer=optimizer,
        epochs=args.steps,
        l2=1e-4,
        schedule=schedule,
        progress=not args.quiet,
        traced=not args.define_by_run,
    )
    if not math.isfinite(history.loss[-1]):
        raise _CannotFinishError(
            f"training diverged: the loss is {history.loss[-1]} after {args.steps} steps, so nothing was written; "
            f"try a smaller --lr (it was {lr:g})"
        )
    final = accuracy(model, points, labels, loss)
    print(f"final loss {history.loss[-1]:.4f}, training accuracy {final:.1%}")

    out = Path(args.out)
    written: dict[str, Path] = {}
    failed = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        title = f"{args.dataset}: {final:.0%} correct"
        plot_decision_boundary(model, points, labels, path=out / "decision_boundary.png", title=title)
        written["decision boundary"] = out / "decision_boundary.png"
        plot_history(history, path=out / "loss.png")
        written["loss curve"] = out / "loss.png"
        model.save(out / "model.json")
        written["trained model"] = out / "model.json"
        try:
            neuron, sample, one = _live_neuron(model, points)
            save_svg(one, out / "neuron.svg", model=model)
            written[f"layer 0, neuron {neuron} on sample {sample}"] = out / "neuron.svg"
            stepper(_lecture_neuron()).save(out / "stepper.html")
            written["backward stepper"] = out / "stepper.html"
            if recorder is not None:
                _write_replay(model, recorder, points, labels, Path(args.html), args.dataset)
                written["training replay"] = Path(args.html)
        except (DotNotFoundError, RenderError) as error:
            failed = f"no pictures of graphs: {_render_failure(error)}"
    except OSError as error:
        failed = f"cannot write into {args.out}: {error.strerror or error}"
    for what, path in written.items():
        print(f"  {what + ':':<33} {path}")
    if failed:
        raise _CannotFinishError(failed)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _write_replay(
    model: Any, recorder: Any, points: Sequence[Sequence[float]], labels: Sequence[int], path: Path, name: str
) -> None:
    """The page that replays the demo's training."""
    from tinygrad_scalar.files import atomic_write
    from tinygrad_scalar.replay import replay_page

    page = replay_page(model, recorder, points, labels, title=f"Training on {name}: the replay")
    atomic_write(path, page.encode("utf-8"))


def _live_neuron(model: Any, points: Sequence[Sequence[float]]) -> tuple[int, int, Value]:
    """The first neuron of the first layer that is alive on some sample (a gradient that is not 0
    reaches its weights), called on that sample with inputs labelled x0, x1, ..., after a fresh
    backward pass: the gradients shown are that sample's alone, not leftovers from training."""
    neurons = model.layers[0].neurons
    for j, neuron in enumerate(neurons):
        for i, point in enumerate(points):
            model.zero_grad()
            out = neuron([Value(x, label=f"x{k}") for k, x in enumerate(point)])
            out.backward()
            if any(w.grad != 0.0 for w in neuron.w):
                return j, i, out
    raise _CannotFinishError("every neuron of the first layer is dead (gradient 0) on every sample: try another --seed")


def _lecture_neuron() -> Value:
    """o = tanh(x1*w1 + x2*w2 + b), the neuron of the micrograd lecture, labelled as there."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


_COMMANDS = {"graph": _graph, "explain": _explain, "demo": _demo, "worksheet": _worksheet, "check": _check}

_ASSIGNMENT = re.compile(r"^[^\W\d]\w*=\S*$")


def _usage() -> str:
    """What a bare ``tinygrad-scalar`` prints: each command on one line."""
    lines = [f"usage: {PROG} COMMAND [options]   ({PROG} COMMAND --help shows the options and examples)", ""]
    lines.append("commands:")
    for name, text in _COMMAND_HELP.items():
        lines.append(f"  {name:<9} {text}")
    return "\n".join(lines) + "\n"


def _extras(command: str, expression: str | None, extras: list[str]) -> str:
    """The message for arguments argparse did not take."""
    assignments = [a for a in ([expression] if expression else []) + extras if _ASSIGNMENT.match(a)]
    if assignments:
        return f"values go after --at: --at {' '.join(assignments)}"
    first = extras[0]
    if first.startswith("-"):
        return (
            f"unrecognized option {first!r}; '{PROG} {command} --help' lists the options (an expression that "
            f"starts with '-' goes last, after '--': graph --at x=2 -- \"-x*3\")"
        )
    return f'unexpected argument {first!r}; put the whole expression in quotes, like "x * y"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 could not finish, 2 bad input).

    Every error is one line on standard error, never a traceback; a bare ``tinygrad-scalar`` lists
    the commands (exit code 2).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        sys.stderr.write(_usage())
        return 2
    args, extras = _build_parser().parse_known_args(argv)
    command = args.command
    try:
        if extras:
            raise _BadInputError(_extras(command, getattr(args, "expression", None), extras))
        return _COMMANDS[command](args)
    except (ExpressionError, _BadInputError) as error:
        print(f"{PROG} {command}: error: {error}", file=sys.stderr)
        return 2
    except _CannotFinishError as error:
        print(f"{PROG} {command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG} {command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (| head): stop quietly, as a Unix tool does on SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 141
    except OSError as error:  # a file or folder that could not be read or written, wherever it was met
        where = f" ({error.filename})" if error.filename else ""
        print(f"{PROG} {command}: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug of ours: still one line, never a traceback, and never silent
        print(f"{PROG} {command}: internal error (please report it): {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def entry_point() -> None:
    """The console script: exit with ``main``'s code."""
    sys.exit(main())
