"""``tinygrad-scalar graph``: draw the computation graph of an expression, with values and gradients."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tinygrad_scalar.cli.common import (
    PROG,
    BadInputError,
    CannotFinishError,
    add_expression_arguments,
    add_language_argument,
    cannot_write,
    check_output,
    prepare,
    print_table,
    render_failure,
    write_text,
)
from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.core.expression import FUNCTIONS
from tinygrad_scalar.core.language import N_, translated
from tinygrad_scalar.views.dot import (
    FORMATS,
    MAX_FORMAT_DIGITS,
    MAX_NODES,
    DotNotFoundError,
    RenderError,
    number_format_problem,
)

__all__ = ["HELP", "add_parser", "run"]

HELP = N_("draw the computation graph of an expression, with values and gradients")
"""What the command does, in one line (the bare command lists it)."""

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
  a TikZ picture for a LaTeX document or a Beamer slide (colours are named styles a teacher can restyle):
    {PROG} graph "(w*x + b)**2" --at x=2 w=3 b=1 --format tikz -o graph.tex
  the same as a document that pdflatex compiles on its own:
    {PROG} graph "(w*x + b)**2" --at x=2 w=3 b=1 --format tikz --standalone -o graph.tex
  the legend in the class's language, German here, the numbers with decimal commas (also fr, es, zh_Hans; by
  default the locale's language):
    {PROG} graph "(w*x + b)**2" --at x=2 w=3 b=1.5 --lang de --format tikz --standalone -o graph.tex
  a graph bigger than the default limit of {MAX_NODES} values, as DOT source:
    {PROG} graph "tanh(x)*tanh(x)" --at x=1 --max-nodes 2000 --format dot -o graph.dot
  an expression that starts with a minus sign goes last, after --:
    {PROG} graph --at x=2 -- "-x*3"

the expression may use numbers, the constants e and pi, the variables given with --at,
+ - * / **, unary minus, parentheses, and the functions {" ".join(FUNCTIONS)}
(log is the natural logarithm); nothing else is evaluated.
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    graph = commands.add_parser(
        "graph",
        help=translated(HELP),
        description="Evaluate EXPRESSION at the values given with --at, run the backward pass, draw the graph "
        "(values and gradients) and print each input's value and gradient.",
        epilog=_GRAPH_EXAMPLES,
    )
    add_expression_arguments(graph)
    add_language_argument(graph)
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the picture to FILE (e.g. -o neuron.svg); without it the DOT source goes to standard output",
    )
    graph.add_argument(
        "--format",
        choices=(*FORMATS, "tikz"),
        help="file format; by default taken from FILE's suffix (.tex is tikz), else svg (e.g. --format png); "
        "tikz writes a TikZ picture for LaTeX",
    )
    graph.add_argument(
        "--standalone",
        action="store_true",
        help="with --format tikz: a complete document that pdflatex compiles, not only the picture",
    )
    graph.add_argument(
        "--rankdir", choices=("LR", "TB"), default="LR", help="left to right (LR, default) or top to bottom (TB)"
    )
    graph.add_argument(
        "--fmt",
        default=None,
        help="printf-style format of the numbers: one %%e, %%f or %%g, width and precision at most "
        f"{MAX_FORMAT_DIGITS} (default %%.4f, and %%.4e below 1e-4 and from 1e6 on; e.g. --fmt %%.2f)",
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


def run(args: argparse.Namespace) -> int:
    from tinygrad_scalar.views.dot import draw_dot, save_graph

    problem = None if args.fmt is None else number_format_problem(args.fmt)
    if problem:
        raise BadInputError(f"--fmt {args.fmt}: {problem}")
    if args.max_nodes < 1:
        raise BadInputError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    if args.output is None:
        if args.format not in (None, "dot", "tikz"):
            raise BadInputError(f"--format {args.format} needs -o FILE; without -o the DOT source is printed")
        target, fmt = None, args.format or "dot"
    else:
        target = check_output(args.output, "-o")
        suffix = target.suffix.lstrip(".").lower()
        fmt = args.format or ("tikz" if suffix == "tex" else suffix or "svg")
        if fmt not in (*FORMATS, "tikz"):
            raise BadInputError(
                f"cannot tell which format to write for {args.output!r}: use --format with one of "
                f"{', '.join(FORMATS)}, tikz, or a file name ending .svg, .png, .pdf, .dot or .tex"
            )
    if args.standalone and fmt != "tikz":
        raise BadInputError("--standalone makes a LaTeX document of the TikZ picture: use it with --format tikz")
    variables, root = prepare(args)
    values = len(topological_order(root))
    if values > args.max_nodes:
        raise BadInputError(
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
    if fmt == "tikz":
        return _write_tikz(root, target, options, args, variables)
    if target is None:
        source = draw_dot(root, **options).source
        print_table(variables, root, args.fmt, args.hide_grad, sys.stderr)
        sys.stdout.write(source)
        return 0
    try:
        written = save_graph(root, target, format=fmt, **options)
    except (DotNotFoundError, RenderError) as error:
        raise CannotFinishError(render_failure(error)) from None
    except OSError as error:
        raise cannot_write(args.output, error) from None
    print_table(variables, root, args.fmt, args.hide_grad, sys.stdout)
    print(f"wrote {written}", file=sys.stdout)
    return 0


def _write_tikz(
    root: Value, target: Path | None, options: dict[str, Any], args: argparse.Namespace, variables: dict[str, Value]
) -> int:
    """The picture as TikZ, on standard output or in ``target``; the table of values as for the other formats."""
    from tinygrad_scalar.views.dot import draw_dot
    from tinygrad_scalar.views.tikz import tikz

    try:
        text = tikz(draw_dot(root, **options), standalone=args.standalone)
    except (DotNotFoundError, RenderError) as error:
        raise CannotFinishError(render_failure(error)) from None
    except ValueError as error:  # a name that LaTeX cannot write
        raise BadInputError(f"--format tikz: {error}") from None
    write_text(target, text, args.output)
    print_table(variables, root, args.fmt, args.hide_grad, sys.stderr if target is None else sys.stdout)
    if target is not None:
        print(f"wrote {target}", file=sys.stdout)
    return 0
