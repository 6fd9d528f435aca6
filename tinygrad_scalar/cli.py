"""The ``tinygrad-scalar`` command (also ``python -m tinygrad_scalar``).

``tinygrad-scalar graph "tanh(x*w + b)" --at x=2 w=-3 b=6.88 -o neuron.svg`` evaluates the
expression, runs the backward pass, writes the picture of the graph and prints each input's
value and gradient. ``tinygrad-scalar explain`` prints the backward pass step by step, or writes
a worked solution (Markdown, LaTeX) or the HTML stepper. ``COMMAND --help`` shows every option.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from tinygrad_scalar.engine import Value, topological_order
from tinygrad_scalar.expression import FUNCTIONS, ExpressionError, evaluate, parse_assignments

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
  a graph bigger than the default limit of 500 values, as DOT source:
    {PROG} graph "tanh(x)*tanh(x)" --at x=1 --max-nodes 2000 --format dot -o graph.dot
  an expression that starts with a minus sign goes last, after --:
    {PROG} graph --at x=2 -- "-x*3"

the expression may use numbers, the variables given with --at, + - * / **, unary minus,
parentheses, and the functions {" ".join(FUNCTIONS)}; nothing else is evaluated.
"""


_EXPLAIN_EXAMPLES = f"""\
examples:
  the backward pass of the seeds' example, one step per line, in words and numbers:
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1
  a worked solution to paste into a handout:
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1 --format latex -o solution.tex
  a page that steps through the pass (buttons, slider, arrow keys; works offline):
    {PROG} explain "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.88 --format html -o stepper.html

the expression language is the one of '{PROG} graph'; an expression that starts with a minus sign goes last,
after --.
"""


_DEMO_EXAMPLES = f"""\
examples:
  micrograd's demo (two moons, MLP(2, [16, 16, 1]), max-margin loss, L2, SGD with decaying rate):
    {PROG} demo
  three spiral arms, cross-entropy, Adam, into another folder:
    {PROG} demo --dataset spiral --optimizer adam --steps 200 --out spiral-run
  the same training, traced once and replayed (define-then-run):
    {PROG} demo --traced
  more points, a wider network, another rate and seed, no progress bar:
    {PROG} demo --samples 200 --hidden 32 32 --lr 0.5 --seed 7 --quiet
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]  # never returns
        if "EXPRESSION" in message or "unrecognized arguments" in message:
            message += " (an expression that starts with '-' goes last, after '--': graph --at x=2 -- \"-x*3\")"
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A scalar autodiff engine for learning and teaching backpropagation.",
        epilog=f"run '{PROG} COMMAND --help' for the options and examples of a command",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    graph = commands.add_parser(
        "graph",
        help="draw the computation graph of an expression, with values and gradients",
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
        "--fmt", default="%.4f", help="printf-style format of the numbers (default %%.4f, e.g. --fmt %%.2f)"
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
        "--max-nodes", type=int, default=500, metavar="N", help="refuse graphs with more than N values (default 500)"
    )
    explain = commands.add_parser(
        "explain",
        help="explain the backward pass of an expression step by step, with the chain rule in numbers",
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
        "-o", "--output", metavar="FILE", help="write to FILE instead of standard output (e.g. -o stepper.html)"
    )
    demo = commands.add_parser(
        "demo",
        help="train an MLP on two moons as micrograd's demo does, and write pictures, the model and a stepper",
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
        "--traced", action="store_true", help="trace the training step once and replay it (same numbers, faster)"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPRESSION", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument(
        "--at",
        nargs="+",
        default=[],
        metavar="NAME=NUMBER",
        help="the value of each variable, e.g. --at x=2 w=-3 b=6.88",
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


def _graph(args: argparse.Namespace) -> int:
    from tinygrad_scalar.viz import DotNotFoundError, GraphTooLargeError, draw_dot, save_graph

    variables = parse_assignments(args.at)
    root = evaluate(args.expression, variables)
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
    try:
        if args.output is None:
            if args.format not in (None, "dot"):
                raise ExpressionError(f"--format {args.format} needs -o FILE; without -o the DOT source is printed")
            source = draw_dot(root, **options).source
            _print_table(variables, root, args.fmt, args.hide_grad, sys.stderr)
            sys.stdout.write(source)
            return 0
        target = Path(args.output)
        fmt = args.format or (target.suffix.lstrip(".").lower() if target.suffix else "svg")
        written = save_graph(root, target, format=fmt, **options)
    except (GraphTooLargeError, ValueError) as error:
        raise ExpressionError(str(error)) from None
    except DotNotFoundError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{PROG}: error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    _print_table(variables, root, args.fmt, args.hide_grad, sys.stdout)
    print(f"wrote {written}", file=sys.stdout)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from tinygrad_scalar.explain import backward_steps, explain_grad, stepper, worked_solution
    from tinygrad_scalar.files import atomic_write
    from tinygrad_scalar.viz import DotNotFoundError

    variables = parse_assignments(args.at)
    root = evaluate(args.expression, variables)
    try:
        if args.format == "html":
            text = stepper(root).html()
        elif args.format in ("markdown", "latex"):
            text = str(worked_solution(root, args.format))
        else:
            steps = [str(step) for step in backward_steps(root)]
            inputs = [str(explain_grad(root, v)) for v in variables.values() if v in set(topological_order(root))]
            text = "\n".join([*steps, "", *inputs]) + "\n"
    except DotNotFoundError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        raise ExpressionError(str(error)) from None
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write(args.output, text.encode("utf-8"))
    except OSError as error:
        print(f"{PROG}: error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import time

    from tinygrad_scalar import optim
    from tinygrad_scalar.data import DATASETS
    from tinygrad_scalar.explain import stepper
    from tinygrad_scalar.nn import MLP
    from tinygrad_scalar.plots import plot_decision_boundary, plot_history
    from tinygrad_scalar.train import accuracy, fit
    from tinygrad_scalar.viz import DotNotFoundError, save_svg

    if args.samples < 4 or args.steps < 1 or any(h < 1 for h in args.hidden):
        raise ExpressionError("--samples must be at least 4, --steps and every --hidden size at least 1")
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
        + (", traced" if args.traced else "")
    )
    history = fit(
        model,
        points,
        labels,
        loss=loss,
        optimizer=optimizer,
        epochs=args.steps,
        l2=1e-4,
        schedule=schedule,
        progress=not args.quiet,
        traced=args.traced,
    )
    final = accuracy(model, points, labels, loss)
    print(f"final loss {history.loss[-1]:.4f}, training accuracy {final:.1%}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = {"decision boundary": out / "decision_boundary.png", "loss curve": out / "loss.png"}
    title = f"{args.dataset}: {final:.0%} correct"
    plot_decision_boundary(model, points, labels, path=written["decision boundary"], title=title)
    plot_history(history, path=written["loss curve"])
    written["trained model"] = out / "model.json"
    model.save(written["trained model"])
    try:
        one = model.layers[0].neurons[0](points[0])  # the first neuron on the first sample
        one.backward()
        written["one neuron on one sample"] = save_svg(one, out / "neuron.svg", model=model)
        written["backward stepper"] = out / "stepper.html"
        stepper(_lecture_neuron()).save(written["backward stepper"])
    except DotNotFoundError as error:
        print(f"{PROG}: warning: no pictures of graphs: {error}", file=sys.stderr)
    for what, path in written.items():
        print(f"  {what + ':':<27} {path}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


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


_COMMANDS = {"graph": _graph, "explain": _explain, "demo": _demo}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 could not finish, 2 bad input)."""
    args = _build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ExpressionError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 2


def entry_point() -> None:
    """The console script: exit with ``main``'s code."""
    sys.exit(main())
