"""Where a computation on Values looks at their numbers: what makes a trace hold for every input.

A trace records the operations on ``Value`` objects; the Python code around them runs once, when the
function is traced. If that code never looked at a number, it took the path it took whatever the
numbers were, and the recorded program computes the function for every input. If it looked (an
``if z.data > 0``, a ``max(a, b)`` of two Values), another input may take another path, and the
program would silently compute the traced one.

``watching()`` watches a computation (with ``sys.settrace``, in the thread that runs it) and lists
every place where it may have looked, in the order met:

* a comparison of Values: ``<``, ``<=``, ``>``, ``>=``, and so ``max``, ``min`` and ``sorted`` of Values;
* ``.data`` or ``.grad`` read, written or deleted by code outside the engine's own modules (on any
  object: the watch sees the attribute's name on the line that runs, not the object it belongs to);
* a call that turns numbers into Python values or frozen leaves: ``detach()``, ``repr()`` (``print``,
  f-strings), pickling or copying a Value, ``no_grad()``, a backward pass (``backward()``,
  ``begin_backward``, ``chain_rule_step``), and the engine's functions that read gradients
  (``contributions``, ``fresh_gradients``).

The engine's operations read ``.data`` too, but what they compute is in the recorded program (their
rows of the table of derivatives), so their modules are not watched: ``core/engine.py``,
``core/graph.py``, ``core/ops.py``, ``core/rules.py``, ``core/ieee.py``, ``core/defop.py``,
``transforms/checkpoint.py`` (which runs the checkpointed function on copies of its arguments; the
program holds the segment, recomputed from the arguments, and the function itself is watched) and
``transforms/trace.py``.

What the watch cannot see, and so does not prove: an attribute read through ``getattr`` with a name
built at run time or through ``operator.attrgetter``, code in C extensions, other threads, and state
outside the Values (a counter, a random generator). While a debugger or a coverage tool traces the
thread, the watch cannot run: it then reports that instead of a place.
"""

from __future__ import annotations

import dis
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

from tinygrad_scalar.core import defop, engine, graph, ieee, ops, rules
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.transforms import checkpoint

__all__ = ["Read", "watching"]


@dataclass(frozen=True)
class Read:
    """One place where the watched computation may have looked at a number: ``what`` it did and ``where``."""

    what: str
    where: str

    def __str__(self) -> str:
        return f"{self.what} in {self.where}" if self.where else self.what


ATTRIBUTES = ("data", "grad")
"""The attributes that hold a Value's numbers."""

_ENGINE_FILES = {os.path.abspath(m.__file__ or "") for m in (engine, graph, ops, rules, ieee, defop, checkpoint)}
_TRACE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace.py")
_UNWATCHED = frozenset({*_ENGINE_FILES, _TRACE_FILE, os.path.abspath(__file__)})


def _calls() -> dict[CodeType, str]:
    """The engine's functions that look at numbers, by their code, with what calling them means."""
    comparisons = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}
    found: dict[CodeType, str] = {}
    named: list[tuple[Any, str]] = [(getattr(Value, m), f"compares Values ({s})") for m, s in comparisons.items()]
    named += [
        (Value.detach, "calls detach(), which copies a number into a new leaf"),
        (Value.__repr__, "turns a Value into text (repr, print, an f-string)"),
        (Value.__reduce__, "pickles or copies a Value"),
        (Value.backward, "runs backward()"),
        (engine.begin_backward, "runs backward() (begin_backward)"),
        (engine.chain_rule_step, "runs a chain-rule step"),
        (engine.no_grad.__enter__, "enters no_grad(), whose results are leaves holding numbers"),
        (engine.contributions, "reads gradients (contributions)"),
        (engine.fresh_gradients, "reads gradients (fresh_gradients)"),
    ]
    for function, what in named:
        found[function.__code__] = what
    return found


_CALLS = _calls()


def _attribute_lines(code: CodeType) -> dict[int, str]:
    """The lines of ``code`` that read, write or delete ``.data`` or ``.grad``: line -> the attribute."""
    lines: dict[int, str] = {}
    line = code.co_firstlineno
    for instruction in dis.get_instructions(code):
        starts = getattr(instruction, "line_number", None)  # Python 3.13 names it so
        if starts is None and isinstance(instruction.starts_line, int) and instruction.starts_line is not True:
            starts = instruction.starts_line
        if starts is not None:
            line = starts
        attribute = instruction.opname.endswith("_ATTR") or instruction.opname == "LOAD_METHOD"
        if attribute and instruction.argval in ATTRIBUTES:
            lines[line] = f".{instruction.argval}"
    return lines


_LINES: dict[CodeType, dict[int, str]] = {}
"""What ``_attribute_lines`` found in each function met so far (a function's code never changes)."""


def _place(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    code = frame.f_code
    return f"{code.co_name}, {os.path.basename(code.co_filename)} line {frame.f_lineno}"


class _Watch:
    """The trace function: one dictionary look-up per call of a Python function, and line events only in
    functions that touch ``.data`` or ``.grad``."""

    def __init__(self) -> None:
        self.reads: list[Read] = []

    def _record(self, what: str, frame: FrameType | None) -> None:
        self.reads.append(Read(what, _place(frame)))

    def call(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        code = frame.f_code
        what = _CALLS.get(code)
        if what is not None:
            self._record(what, frame.f_back)  # where it was called: the user's line
            return None
        lines = _LINES.get(code)
        if lines is None:
            if len(_LINES) > 100_000:  # code made at run time (lambdas of generated source) must not pile up
                _LINES.clear()
            unwatched = os.path.abspath(code.co_filename) in _UNWATCHED
            lines = _LINES[code] = {} if unwatched else _attribute_lines(code)
        if not lines:
            return None

        def line(frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
            if event == "line" and frame.f_lineno in lines:
                self._record(f"uses {lines[frame.f_lineno]}", frame)
            return line

        return line


@contextmanager
def watching() -> Iterator[list[Read]]:
    """``with watching() as reads:`` runs the block watched; afterwards ``reads`` lists every place where it
    may have looked at a number (empty: it never did, within what the module docstring says the watch sees)."""
    if sys.gettrace() is not None:
        yield [Read("cannot be watched while a debugger or a coverage tool traces Python", "")]
        return
    watch = _Watch()
    sys.settrace(watch.call)
    try:
        yield watch.reads
    finally:
        sys.settrace(None)
