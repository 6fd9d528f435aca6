"""``tinygrad-scalar explain``: the backward pass of an expression step by step, as text, a worked solution,
the HTML stepper or an animation."""

from __future__ import annotations

import argparse
import math
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
    render_failure,
    write_text,
)
from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.core.language import N_, _, choose, translated
from tinygrad_scalar.teaching.link import PAGE
from tinygrad_scalar.views.animation import (
    ANIMATION_FORMATS,
    HOLD_LAST,
    MAX_DURATION,
    MAX_FRAMES,
    MAX_HOLD_LAST,
    MAX_SECONDS_PER_FRAME,
    MIN_SECONDS_PER_FRAME,
)
from tinygrad_scalar.views.dot import DotNotFoundError, RenderError

__all__ = ["HELP", "add_parser", "run"]

HELP = N_("explain the backward pass of an expression step by step, with the chain rule in numbers")
"""What the command does, in one line (the bare command lists it)."""

_EXPLAIN_EXAMPLES = f"""\
examples:
  the backward pass of the seeds' example, one step per line, in words and numbers:
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1
  the same in the class's language, German here, with decimal commas (also fr, es, zh_Hans; by default the
  locale's language):
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1.5 --lang de
  a Beamer deck for a lecture: the problem, the forward pass, one frame per backward step, the gradients:
    {PROG} explain "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.88 --format beamer -o deck.tex
  a worked solution to print as a handout (the problem, the forward pass, the backward pass, the answers),
  the output called f:
    {PROG} explain "(x + y)*z" --at x=-2 y=5 z=-4 --name f --format latex --standalone -o solution.tex
  a page that steps through the pass (buttons, slider, arrow keys; works offline):
    {PROG} explain "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.88 --format html -o stepper.html
  a pass as an animation for slides (also .mp4, or .svg, an animated SVG), each step as long as it takes to read:
    {PROG} explain "tanh(x1*w1 + b)" --at x1=2 w1=-3 b=6.88 -o pass.gif
  the same, 3 s a step, the last 5 s more:
    {PROG} explain "tanh(x1*w1 + b)" --at x1=2 w1=-3 b=6.88 -o pass.mp4 --seconds-per-frame 3 --hold-last 5
  the same page as practice: it asks for each gradient before showing the step, hints, a score:
    {PROG} explain "(x + y) * y" --at x=2 y=3 --format html --ask -o practice.html
  a link that opens the example on the documentation site, in the browser (here, the worked solution):
    {PROG} explain "(w*x + b)**2" --at x=2 w=3 b=1 --format latex --link --base-url https://example.org/docs/

the expression language is the one of '{PROG} graph'; an expression that starts with a minus sign goes last,
after --.
"""


def add_parser(commands: Any) -> None:
    """Add the command's parser to ``commands`` (argparse's subparsers)."""
    explain = commands.add_parser(
        "explain",
        help=translated(HELP),
        description=_(
            "Evaluate EXPRESSION at the values given with --at and explain its backward pass: the steps as text, a "
            "worked solution in Markdown or LaTeX, an HTML page that steps through it, or a Beamer deck."
        ),
        epilog=_EXPLAIN_EXAMPLES,
    )
    add_expression_arguments(explain)
    add_language_argument(explain)
    explain.add_argument(
        "--format",
        choices=("text", "markdown", "latex", "html", "beamer"),
        default="text",
        help=_(
            "text: the steps (default); markdown or latex: a worked solution; html: the stepper; beamer: a deck of "
            "slides that pdflatex compiles (e.g. --format html)"
        ),
    )
    explain.add_argument(
        "--name",
        metavar="NAME",
        help=_("what the output is called in the explanation (default: its generated name), e.g. --name f"),
    )
    explain.add_argument(
        "--standalone",
        action="store_true",
        help=_("with --format latex: a complete document that pdflatex compiles, not only the align* block"),
    )
    explain.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=_(
            "write to FILE instead of standard output (e.g. -o stepper.html); a FILE ending .gif, .mp4 or .svg gets "
            "the stepper's pictures as an animation, one 1920x1080 slide per step (.mp4 needs ffmpeg)"
        ),
    )
    explain.add_argument(
        "--seconds-per-frame",
        type=float,
        metavar="S",
        help=_(
            "with an animation, how long each step shows, the same for all (default: as long as its formulas take "
            "to read; %(least)s to %(most)s, e.g. --seconds-per-frame 3)"
        )
        % {"least": f"{MIN_SECONDS_PER_FRAME:g}", "most": f"{MAX_SECONDS_PER_FRAME:g}"},
    )
    explain.add_argument(
        "--hold-last",
        type=float,
        metavar="S",
        help=_(
            "with an animation, how much longer the last step shows (default %(hold)s, at most %(most)s, e.g. "
            "--hold-last 5)"
        )
        % {"hold": f"{HOLD_LAST:g}", "most": f"{MAX_HOLD_LAST:g}"},
    )
    explain.add_argument(
        "--ask",
        action="store_true",
        help=_(
            "with --format html: ask the learner for each gradient before the step is revealed, with hints that "
            "name the mistake a wrong number shows, and a score"
        ),
    )
    explain.add_argument(
        "--link",
        action="store_true",
        help=_(
            "print the address of the documentation site's page that opens this example in the browser: the "
            "stepper (--format text or html), the same asking first (--ask), or the worked solution (--format latex "
            "or markdown), in the language of --lang or the locale"
        ),
    )
    explain.add_argument(
        "--base-url",
        metavar="URL",
        help=_(
            "with --link: the address of the site's root (default: none, the address starts %(page)s#, to put "
            "after your site's address), e.g. --base-url https://example.org/tinygrad-scalar/"
        )
        % {"page": PAGE},
    )


def run(args: argparse.Namespace) -> int:
    from tinygrad_scalar.teaching.beamer import MAX_DECK_NODES, beamer
    from tinygrad_scalar.teaching.explanations import backward_steps, explain_grad, worked_solution
    from tinygrad_scalar.teaching.latex import LatexError
    from tinygrad_scalar.teaching.stepper import MAX_STEPPER_NODES, stepper

    target = check_output(args.output, "-o") if args.output is not None else None
    if args.standalone and args.format != "latex":
        raise BadInputError(
            _(
                "--standalone makes a LaTeX document of the worked solution: use it with --format latex "
                "(--format beamer always writes a complete document)"
            )
        )
    animated = _check_animation(args, target)
    check_practice_arguments(args)
    _check_link_arguments(args)
    variables, root = prepare(args)
    if args.name is not None:
        _name_output(args.name, variables, root)
    graph = topological_order(root)
    if not any(v in set(graph) for v in variables.values()):
        raise BadInputError(
            _(
                "%(expression)s is a constant: it has no variable, so there is no gradient to explain; use a "
                'variable, like: explain "3*x" --at x=2'
            )
            % {"expression": repr(args.expression.strip())}
        )
    if args.format == "beamer" and len(graph) > MAX_DECK_NODES:
        raise BadInputError(
            _(
                "this graph has %(count)d values; a Beamer deck has a frame for each operation and takes at most "
                "%(most)d values, beyond which it is too long to present: explain a smaller expression, or use "
                "--format latex"
            )
            % {"count": len(graph), "most": MAX_DECK_NODES}
        )
    if args.link and _link_mode(args) != "solution" and len(graph) > MAX_STEPPER_NODES:
        raise BadInputError(
            f"this graph has {len(graph)} values; the stepper draws one picture per step and takes at most "
            f"{MAX_STEPPER_NODES}: link a smaller expression, or its worked solution (--format latex --link)"
        )
    if (args.format == "html" or animated) and len(graph) > MAX_STEPPER_NODES:
        raise BadInputError(
            _(
                "this graph has %(count)d values; the stepper draws one picture per step and takes at most "
                "%(most)d: step through a smaller expression, or use --format text"
            )
            % {"count": len(graph), "most": MAX_STEPPER_NODES}
        )
    if args.link:
        print(_link(args, variables))
        return 0
    if animated:
        _check_animation_size(graph, args)
    try:
        if animated:
            assert target is not None
            _write_animation(stepper(root), target, args)
            print(_("wrote %(file)s") % {"file": args.output})
            return 0
        if args.format == "html":
            text = stepper(root, ask=args.ask).html()
        elif args.format == "beamer":
            try:
                text = beamer(root)
            except ValueError as error:  # a name that LaTeX cannot write
                raise BadInputError(f"--format beamer: {error}") from None
        elif args.format == "latex":
            try:
                text = worked_solution(root, "latex").latex(standalone=args.standalone)
            except LatexError as error:
                raise BadInputError(str(error)) from None
        elif args.format == "markdown":
            text = str(worked_solution(root, "markdown"))
        else:
            steps = [str(step) for step in backward_steps(root)]
            inputs = [str(explain_grad(root, v)) for v in variables.values() if v in set(graph)]
            text = "\n".join([*steps, "", *inputs]) + "\n"
    except (DotNotFoundError, RenderError) as error:
        raise CannotFinishError(render_failure(error)) from None
    write_text(target, text, args.output)
    if target is not None:
        print(_("wrote %(file)s") % {"file": args.output})
    return 0


MAX_NAME = 40
"""The longest --name."""


def _name_output(name: str, variables: dict[str, Value], root: Value) -> None:
    """Label the output ``name`` (--name), refusing a name that is empty, unprintable, too long or taken."""
    facts = {"name": name, "given": repr(name), "most": MAX_NAME, "variable": root.label}
    if not name.strip() or name != name.strip():
        raise BadInputError(_("--name needs a name without spaces around it, like --name f; got %(given)s") % facts)
    if not name.isprintable() or len(name) > MAX_NAME:
        raise BadInputError(_("--name must be printable text of at most %(most)d characters, like --name f") % facts)
    if root in variables.values():
        raise BadInputError(
            _("--name names the output, and this expression is the variable %(variable)s itself") % facts
        )
    if name in variables or name in ("e", "pi"):
        raise BadInputError(
            _("--name %(name)s is already a name in the expression; choose another, like --name f") % facts
        )
    root.label = name


def _check_animation(args: argparse.Namespace, target: Path | None) -> bool:
    """Whether explain writes an animation (-o FILE ending .gif, .mp4 or .svg, with --format text or html),
    and its timing options checked: refused where they would be ignored, are not a time, or go beyond
    the limits of an animation."""
    suffix = target.suffix.lstrip(".").lower() if target is not None else ""
    animated = suffix in ANIMATION_FORMATS and args.format in ("text", "html")
    if suffix in ANIMATION_FORMATS and not animated:
        raise BadInputError(
            f"--format {args.format} writes text, and -o {args.output} is an animation; "
            f"use -o with a .{'md' if args.format == 'markdown' else 'tex'} file, or drop --format"
        )
    for option, value, least, most in (
        ("--seconds-per-frame", args.seconds_per_frame, MIN_SECONDS_PER_FRAME, MAX_SECONDS_PER_FRAME),
        ("--hold-last", args.hold_last, 0.0, MAX_HOLD_LAST),
    ):
        if value is None:
            continue
        if not animated:
            raise BadInputError(f"{option} sets the timing of an animation: add -o pass.gif (or .mp4, .svg)")
        if not (math.isfinite(value) and least <= value <= most):
            raise BadInputError(
                f"{option} must be a number of seconds from {least:g} to {most:g}, like {option} 2; got {value}"
            )
    if animated and suffix == "mp4":
        import shutil

        from tinygrad_scalar.views.animation import FfmpegNotFoundError

        if shutil.which("ffmpeg") is None:
            raise CannotFinishError(str(FfmpegNotFoundError()))
    return animated


def _check_animation_size(graph: list[Value], args: argparse.Namespace) -> None:
    """Refuse at once an animation with more slides than ``MAX_FRAMES``, or longer than ``MAX_DURATION``."""
    slides = 2 * (1 + sum(1 for node in graph if node._prev))  # the forward part, then the backward part
    if slides > MAX_FRAMES:
        raise BadInputError(
            f"this graph of {len(graph)} values makes {slides} slides, and an animation has at most {MAX_FRAMES}: "
            f"animate a smaller expression, or step through this one with --format html"
        )
    if args.seconds_per_frame is not None:
        hold = HOLD_LAST if args.hold_last is None else args.hold_last
        total = slides * args.seconds_per_frame + hold
        if total > MAX_DURATION:
            raise BadInputError(
                f"{slides} slides of --seconds-per-frame {args.seconds_per_frame:g} and --hold-last {hold:g} make "
                f"{total:g} s, and an animation lasts at most {MAX_DURATION:g} s: give a smaller --seconds-per-frame"
            )


def _write_animation(page: Any, target: Path, args: argparse.Namespace) -> None:
    """The stepper's pictures as an animation in ``target``, in command-line words when that fails."""
    from tinygrad_scalar.views.animation import AnimationTooLargeError, FfmpegNotFoundError

    timing = {"seconds_per_frame": args.seconds_per_frame, "hold_last": args.hold_last}
    try:
        page.save(target, **{k: v for k, v in timing.items() if v is not None})
    except AnimationTooLargeError as error:
        raise BadInputError(str(error)) from None
    except (FfmpegNotFoundError, ImportError) as error:
        raise CannotFinishError(str(error)) from None
    except RuntimeError as error:  # ffmpeg failed
        raise CannotFinishError(str(error)) from None
    except OSError as error:
        raise cannot_write(args.output, error) from None


def check_practice_arguments(args: argparse.Namespace) -> None:
    if args.ask and args.format != "html" and not (args.link and args.format == "text"):
        raise BadInputError(_("--ask asks for the gradients in the HTML stepper: use it with --format html"))


def _check_link_arguments(args: argparse.Namespace) -> None:
    """--link prints an address: the options that write a file, or shape one, have nothing to do with it."""
    if args.base_url is not None and not args.link:
        raise BadInputError("--base-url is the site's address for --link: add --link")
    if not args.link:
        return
    if args.base_url is not None:
        from tinygrad_scalar.teaching.link import LinkError, page_address

        try:
            page_address(args.base_url)
        except LinkError as error:
            raise BadInputError(f"--base-url: {error}") from None
    if args.format == "beamer":
        raise BadInputError(
            "--link opens the stepper (--format text or html) or the worked solution (--format latex or markdown) "
            "in the browser; a Beamer deck is a file: drop --link, or choose one of those formats"
        )
    for option, given in (
        ("-o", args.output is not None),
        ("--standalone", args.standalone),
        ("--seconds-per-frame", args.seconds_per_frame is not None),
        ("--hold-last", args.hold_last is not None),
    ):
        if given:
            raise BadInputError(
                f"--link prints the example's address, and {option} shapes a file; drop {option} (to keep the "
                "address in a file: ... --link > link.txt)"
            )


def _link_mode(args: argparse.Namespace) -> str:
    """The example page's mode for --format and --ask: the worked solution for LaTeX and Markdown, else the
    stepper, asking first with --ask."""
    if args.format in ("latex", "markdown"):
        return "solution"
    return "ask" if args.ask else "stepper"


def _link(args: argparse.Namespace, variables: dict[str, Value]) -> str:
    """The address of the site's page that opens this example (the expression was checked as for the other
    formats); refused in command-line words when a link cannot carry it. The page's language is the one the
    command writes in: --lang, else the locale's (``language.choose``), so that the link opens the example as
    the command line would have explained it."""
    from tinygrad_scalar.teaching.link import address

    lang = choose(getattr(args, "lang", None))
    values = {name: v.data for name, v in variables.items()}
    try:
        return address(args.expression, values, mode=_link_mode(args), lang=lang, base_url=args.base_url or "")
    except ValueError as error:  # LinkError, or ExpressionError (explain has read the expression already)
        raise BadInputError(f"cannot make a link: {error}") from None
