"""``tinygrad-scalar demo``: train an MLP on two moons as micrograd's demo does, and write pictures, the model
and a stepper."""

from __future__ import annotations

import argparse
import itertools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tinygrad_scalar.cli.common import PROG, BadInputError, CannotFinishError, check_output, render_failure
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.language import N_, translated
from tinygrad_scalar.views.dot import DotNotFoundError, RenderError, format_number

__all__ = ["HELP", "add_parser", "run"]

HELP = N_("train an MLP on two moons as micrograd's demo does, and write pictures, the model and a stepper")
"""What the command does, in one line (the bare command lists it)."""

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


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    demo = commands.add_parser(
        "demo",
        help=translated(HELP),
        description="Train an MLP on a small 2-D data set, as micrograd's demo does, showing progress; then write "
        "the decision boundary, the loss curve, the trained model, the graph of one neuron on one sample, and a "
        "backward-pass stepper into the output folder.",
        epilog=_DEMO_EXAMPLES,
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


MAX_DEMO_WORK = 2_000_000
"""The most samples x parameters the demo trains (100 x 337 by default): beyond it one step takes
minutes. Measured on a 2-core machine: the default demo's steps take about 0.3 s, so this limit,
60 times the default, is a step of about 20 s."""

_DEMO_FILES = ("decision_boundary.png", "loss.png", "model.json", "neuron.svg", "stepper.html")


def _check_demo(args: argparse.Namespace) -> None:
    """Refuse every bad demo argument before any work, in command-line words."""
    import importlib.util

    if args.samples < 4:
        raise BadInputError(f"--samples must be at least 4, got {args.samples}")
    if args.steps < 1:
        raise BadInputError(f"--steps must be at least 1, got {args.steps}")
    if any(h < 1 for h in args.hidden):
        raise BadInputError(f"every --hidden size must be at least 1, got {' '.join(map(str, args.hidden))}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise BadInputError(f"--lr must be a positive number, like --lr 0.05; got {args.lr}")
    sizes = [2, *args.hidden, 3 if args.dataset == "spiral" else 1]
    parameters = sum((nin + 1) * nout for nin, nout in itertools.pairwise(sizes))
    if args.samples * parameters > MAX_DEMO_WORK:
        raise BadInputError(
            f"--samples {args.samples} with --hidden {' '.join(map(str, args.hidden))} ({parameters} parameters) is "
            f"{args.samples * parameters:,} multiply-adds per step, more than this scalar engine does in a minute "
            f"(at most {MAX_DEMO_WORK:,}); use fewer samples or smaller hidden layers"
        )
    out = Path(args.out)
    if not args.out.strip():
        raise BadInputError("--out needs a folder name, like --out results")
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {args.out} is a file; give a folder (it is created when missing)")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise BadInputError(f"--out {args.out}: {str(existing)!r} is a file, so the folder cannot be made")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInputError(f"--out {args.out}: cannot write into {str(existing)!r} (permission denied)")
    for name in _DEMO_FILES:
        if (out / name).is_dir():
            raise BadInputError(f"--out {args.out}: {str(out / name)!r} is a folder, where the demo writes a file")
    if args.html is not None:
        target = check_output(args.html, "--html", example="out/training.html", made=Path(args.out))
        if target.suffix.lower() not in (".html", ".htm"):
            raise BadInputError(f"--html {args.html}: the replay is a web page; give a file name ending .html")
    if importlib.util.find_spec("matplotlib") is None:
        raise CannotFinishError(
            "the demo draws its plots with matplotlib, which is not installed: pip install 'tinygrad-scalar[plots]'"
        )


def run(args: argparse.Namespace) -> int:
    import time

    from tinygrad_scalar.teaching.stepper import stepper
    from tinygrad_scalar.training import optim
    from tinygrad_scalar.training.data import DATASETS
    from tinygrad_scalar.training.fit import evaluate, fit
    from tinygrad_scalar.training.nn import MLP
    from tinygrad_scalar.views.dot import save_svg
    from tinygrad_scalar.views.plots import plot_decision_boundary, plot_history

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
        from tinygrad_scalar.views.replay import Recorder

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
        raise CannotFinishError(
            f"training diverged: the loss is {history.loss[-1]} after {args.steps} steps, so nothing was written; "
            f"try a smaller --lr (it was {lr:g})"
        )
    # The trained model's loss and accuracy, both measured after the last update (history.loss[-1] is the
    # last step's loss, before its update): the numbers of the model written to model.json and drawn.
    final_loss, final = evaluate(model, points, labels, loss, l2=1e-4)
    print(f"after training: loss {format_number(None, final_loss)} (with L2), training accuracy {final:.1%}")

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
            save_svg(one, out / "neuron.svg", model=model, level="values")  # w0.N.0, w0.N.1, b0.N: their places
            written[f"layer 0, neuron {neuron} on sample {sample}"] = out / "neuron.svg"
            stepper(_lecture_neuron()).save(out / "stepper.html")
            written["backward stepper"] = out / "stepper.html"
            if recorder is not None:
                _write_replay(model, recorder, points, labels, Path(args.html), args.dataset)
                written["training replay"] = Path(args.html)
        except (DotNotFoundError, RenderError) as error:
            failed = f"no pictures of graphs: {render_failure(error)}"
    except OSError as error:
        failed = f"cannot write into {args.out}: {error.strerror or error}"
    for what, path in written.items():
        print(f"  {what + ':':<33} {path}")
    if failed:
        raise CannotFinishError(failed)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _write_replay(
    model: Any, recorder: Any, points: Sequence[Sequence[float]], labels: Sequence[int], path: Path, name: str
) -> None:
    """The page that replays the demo's training."""
    from tinygrad_scalar.core.files import atomic_write
    from tinygrad_scalar.views.replay import replay_page

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
    raise CannotFinishError("every neuron of the first layer is dead (gradient 0) on every sample: try another --seed")


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
