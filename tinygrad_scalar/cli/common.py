"""What every command shares: the program's name, the parser that errs in one line, the two kinds of
failure (exit 2: the command is wrong; exit 1: a right command could not finish), and the expression
arguments with their checks."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.core.expression import evaluate, parse_assignments
from tinygrad_scalar.core.language import LANGUAGES, UnknownLanguageError, _, choose
from tinygrad_scalar.views.dot import DotNotFoundError, RenderError, RenderTimeoutError, format_number

__all__ = [
    "PROG",
    "BadInputError",
    "CannotFinishError",
    "HelpFormatter",
    "Parser",
    "add_expression_arguments",
    "add_language_argument",
    "asked_language",
    "cannot_write",
    "check_output",
    "check_unused",
    "prepare",
    "print_table",
    "render_failure",
    "write_text",
]

PROG = "tinygrad-scalar"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, its own words ("usage:") in the language in use; descriptions and examples kept as
    written, line by line."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line, in command-line words, and exit code 2; its help in the language in
    use (the parser is built inside ``language.using``: see :func:`asked_language`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))

    def error(self, message: str) -> None:  # type: ignore[override]  # never returns
        if "required: EXPRESSION" in message:
            command = self.prog.split(" ", 1)[-1]  # 'tinygrad-scalar explain': the examples use 'explain'
            message = (
                f'give the expression first, then its values: {command} "x**2" --at x=3 (an expression that starts '
                f"with '-' goes last, after '--': {command} --at x=2 -- \"-x*3\")"
            )
        self.exit(2, f"{self.prog}: error: {message}\n")


def asked_language(argv: Sequence[str]) -> str | None:
    """The language ``--lang`` asks for in ``argv``, read before argparse reads it, so that the help is written
    in it (argparse writes ``--help`` while it parses); ``None`` (the locale's language) without ``--lang``, or
    with one we do not write, which argparse then refuses in one line."""
    for i, word in enumerate(argv):
        if word == "--":
            break
        value = argv[i + 1] if word == "--lang" and i + 1 < len(argv) else word.partition("=")[2]
        if word == "--lang" or word.startswith("--lang="):
            try:
                return choose(value)
            except UnknownLanguageError:
                return None
    return None


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPRESSION", help=_('the expression, e.g. "tanh(x*w + b)"'))
    parser.add_argument(
        "--at",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=NUMBER",
        help=_("the value of each variable, e.g. --at x=2 w=-3 b=6.88 (e and pi are built in)"),
    )


def _language(text: str) -> str:
    try:
        return choose(text)
    except UnknownLanguageError:
        offered = ", ".join(LANGUAGES)
        raise argparse.ArgumentTypeError(
            f"no explanations in {text!r}; choose one of {offered} (like --lang de), or leave --lang out for the "
            "locale's language"
        ) from None


def add_language_argument(parser: argparse.ArgumentParser) -> None:
    """``--lang``: the language of what the command writes for learners (default: the locale's)."""
    parser.add_argument(
        "--lang",
        type=_language,
        metavar="LANG",
        help=_(
            "the language to write in: %(languages)s (default: the locale's, from LANGUAGE, LC_ALL, LC_MESSAGES or "
            "LANG; English when it is none of these), e.g. --lang de"
        )
        % {"languages": ", ".join(LANGUAGES)},
    )


def print_table(variables: dict[str, Value], root: Value, fmt: str | None, hide_grad: bool, out: TextIO) -> None:
    """The table of values and gradients, each number written as the pictures write it (``format_number``)."""
    rows = list(variables.items())
    if root not in variables.values():  # the expression may be just one of the variables
        rows.append((root.label or "out", root))
    width = max(len("name"), *(len(name) for name, _value in rows))
    print(f"{'name':<{width}}  {'value':>12}  {'gradient':>12}", file=out)
    for name, v in rows:
        grad = "?" if hide_grad else format_number(fmt, v.grad)
        print(f"{name:<{width}}  {format_number(fmt, v.data):>12}  {grad:>12}", file=out)


class BadInputError(Exception):
    """The command is wrong (an option, a file name, a size): exit code 2, like a bad expression."""


class CannotFinishError(Exception):
    """The input was fine, but something around it failed (dot, the disk): exit code 1."""


def cannot_write(output: str, error: OSError) -> CannotFinishError:
    """The error of an output file that could not be written, in one line."""
    return CannotFinishError(f"cannot write {output}: {error.strerror or error}")


def write_text(target: Path | None, text: str, output: str) -> None:
    """``text`` into the file ``target`` (atomically; ``output`` is how the command line named it), or to
    standard output when there is no file."""
    from tinygrad_scalar.core.files import atomic_write

    if target is None:
        sys.stdout.write(text)
        return
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as error:
        raise cannot_write(output, error) from None


def check_output(text: str, option: str, example: str = "graph.svg", made: Path | None = None) -> Path:
    """The file an output option names, refused at once when it cannot be a file (its folder may be
    ``made``, a folder the command creates first)."""
    if not text.strip():
        raise BadInputError(f"{option} needs a file name, like {option} {example}")
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.name in ("", ".", "..") or target.is_dir():
        raise BadInputError(
            f"{option} {text} is a folder; give a file name in it, like {option} {target / Path(example).name}"
        )
    folder = target.parent
    if not folder.is_dir() and not (made is not None and folder.resolve() == made.resolve()):
        what = "is not a folder" if folder.exists() else "does not exist"
        raise BadInputError(f"{option} {text}: the folder {str(folder)!r} {what}; create it first or write elsewhere")
    return target


def check_unused(expression: str, variables: dict[str, Value], root: Value) -> None:
    """Every --at name must be used: a typo like bb=6.88 for b would otherwise be ignored silently."""
    used = set(topological_order(root))
    unused = [name for name, v in variables.items() if v not in used]
    if not unused:
        return
    names = [name for name, v in variables.items() if v in used]
    close = difflib.get_close_matches(unused[0], names, n=1, cutoff=0.0) if names else []
    closest = f"; the closest variable in it is {close[0]}" if close else "; it has no variables"
    listed = " and ".join(repr(name) for name in unused[:3])
    raise BadInputError(f"--at gives {listed}, which the expression {expression.strip()!r} does not use{closest}")


def prepare(args: argparse.Namespace) -> tuple[dict[str, Value], Value]:
    """Parse --at and the expression, refuse unused names, evaluate: the inputs and the output."""
    variables = parse_assignments(args.at)
    root = evaluate(args.expression, variables)
    check_unused(args.expression, variables, root)
    return variables, root


def render_failure(error: Exception) -> str:
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
