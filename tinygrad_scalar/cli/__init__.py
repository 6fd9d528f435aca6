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

import os
import re
import sys
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType

from tinygrad_scalar.cli import check, demo, explain, graph, worksheet
from tinygrad_scalar.cli.common import PROG, BadInputError, CannotFinishError, Parser, asked_language
from tinygrad_scalar.core.expression import ExpressionError
from tinygrad_scalar.core.language import _, translated, using

__all__ = ["main"]

COMMANDS: dict[str, ModuleType] = {
    "graph": graph,
    "explain": explain,
    "demo": demo,
    "worksheet": worksheet,
    "check": check,
}
"""Each command's module: its one-line ``HELP``, ``add_parser(commands)`` and ``run(args)``."""


def _build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=_("A scalar autodiff engine for learning and teaching backpropagation."),
        epilog=_("run '%(prog)s COMMAND --help' for the options and examples of a command") % {"prog": PROG},
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {metadata.version('tinygrad-scalar')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


_ASSIGNMENT = re.compile(r"^[^\W\d]\w*=\S*$")


def _usage() -> str:
    """What a bare ``tinygrad-scalar`` prints: each command on one line."""
    lines = [
        _("usage: %(prog)s COMMAND [options]   (%(prog)s COMMAND --help shows the options and examples)")
        % {"prog": PROG},
        "",
        _("commands:"),
    ]
    for name, module in COMMANDS.items():
        lines.append(f"  {name:<9} {translated(module.HELP)}")
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
            f"starts with '-' goes last, after '--': {command} --at x=2 -- \"-x*3\")"
        )
    return f'unexpected argument {first!r}; put the whole expression in quotes, like "x * y"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 could not finish, 2 bad input).

    Every error is one line on standard error, never a traceback; a bare ``tinygrad-scalar`` lists
    the commands (exit code 2).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    with using(
        asked_language(argv)
    ):  # the help is written while argparse parses: in --lang's language, or the locale's
        if not argv:
            sys.stderr.write(_usage())
            return 2
        args, extras = _build_parser().parse_known_args(argv)
    command = args.command
    if command is None:  # an option before any command: tinygrad-scalar --bogus
        names = ", ".join(COMMANDS)
        print(
            f"{PROG}: error: unrecognized option {extras[0]!r}; start with a command ({names}), then its options: "
            f"'{PROG} COMMAND --help' lists them",
            file=sys.stderr,
        )
        return 2
    try:
        if extras:
            raise BadInputError(_extras(command, getattr(args, "expression", None), extras))
        with using(getattr(args, "lang", None)):  # --lang, or the locale's language
            code: int = COMMANDS[command].run(args)
        return code
    except (ExpressionError, BadInputError) as error:
        print(f"{PROG} {command}: error: {error}", file=sys.stderr)
        return 2
    except CannotFinishError as error:
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
