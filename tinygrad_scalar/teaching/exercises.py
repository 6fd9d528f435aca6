"""Exercises that ask: a notebook cell leaves a blank for the student, checks what they write in place,
and keeps the worked step folded until they open it.

The cell of an exercise never holds its answer. The student replaces the blank ``...`` by a number,
the checker computes the right one from the graph, and the worked step waits behind a *reveal*::

    answer = ...                      # your number: ∂f/∂x
    check_exercise(f, x, answer)      # "your turn" until answered; then "right", or a hint naming the slip

    reveal(explain_grad(f, x))        # the worked step, folded: open it once you have tried

Left blank, a check says what to do and fails nothing, so a notebook runs from top to bottom as stored.

* ``check_exercise(root, value, answer)``: a gradient of a graph, judged by
  :func:`tinygrad_scalar.teaching.practice.check_answer` (a wrong number gets the hint that names its
  mistake);
* ``check_number(answer, expected, asked)``: any other number the notebook computes;
* ``check_derivative(forward, contribution, at)``: a derivative written as code, the contribution
  ``(g, x, out) -> g * ...`` that ``defop`` takes, against the slope of ``forward`` measured by a
  central difference;
* ``check_prediction(prediction, actual, asked)``: *predict, then check*: the outcome is shown only once
  a prediction is written, beside it, with whether they agree;
* ``reveal(worked, title)``: anything whose ``str`` is a worked step, folded in Jupyter (an HTML
  ``<details>``) and named, not shown, in plain text.

Each takes ``lang=``, the language of its feedback (``'de'``, ``'fr'``, ``'es'``, ``'zh_Hans'``; by default the
locale's, see :mod:`tinygrad_scalar.core.language`).

>>> from tinygrad_scalar import Value
>>> x = Value(3.0, label='x')
>>> y = x * x; y.label = 'y'
>>> check_exercise(y, x, ...)
your turn: work out ∂y/∂x by hand, write it in place of the ... and run the cell again
>>> check_exercise(y, x, 6.0)
right: ∂y/∂x = 6
>>> check_prediction(["x"], ["x"], "the values used twice")
right: you predicted x, and it is x
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.language import _, listing, using
from tinygrad_scalar.teaching.practice import check_answer, is_close
from tinygrad_scalar.views.naming import graph_names, num

__all__ = [
    "BLANK",
    "Feedback",
    "Reveal",
    "check_derivative",
    "check_exercise",
    "check_number",
    "check_prediction",
    "is_blank",
    "reveal",
]

BLANK = ...
"""The blank a student fills: ``answer = ...`` (``None`` counts as blank too)."""

Status = Literal["blank", "right", "wrong"]


def is_blank(answer: object) -> bool:
    """Whether ``answer`` is still the blank ``...`` (or ``None``): nothing written yet."""
    return answer is BLANK or answer is None


def _your_turn(asked: str) -> str:
    return _("your turn: work out %(asked)s by hand, write it in place of the ... and run the cell again") % {
        "asked": asked
    }


@dataclass(frozen=True)
class Feedback:
    """What a check says: ``status`` is ``'blank'``, ``'right'`` or ``'wrong'``; ``text`` says it in words.

    It shows as its text in a notebook cell and in ``print``."""

    status: Status
    text: str

    @property
    def correct(self) -> bool:
        """True when the answer is right."""
        return self.status == "right"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _number(answer: object, asked: str) -> float:
    """The number a student wrote; a decimal comma (``0,5``, which Python reads as the pair ``(0, 5)``) is told
    apart from other slips."""
    number = ieee.real(answer)  # any real number: an int, a float, numpy's np.float32 or np.int64 (not a bool)
    if number is not None:
        return number
    facts = {"asked": asked, "answer": repr(answer)}
    if isinstance(answer, tuple) and len(answer) == 2 and all(type(i) is int and i >= 0 for i in answer):
        facts |= {"point": f"{answer[0]}.{answer[1]}", "comma": f"{answer[0]},{answer[1]}"}
        raise TypeError(
            _(
                "the answer for %(asked)s should be a number, written in Python with a decimal point: %(point)s, "
                "not %(comma)s (which Python reads as the pair %(answer)s)"
            )
            % facts
        )
    raise TypeError(_("the answer for %(asked)s should be a number, like 2.5 or -1; got %(answer)s") % facts)


def check_exercise(root: Value, value: Value, answer: object, lang: str | None = None) -> Feedback:
    """Whether ``answer`` is the gradient of ``root`` with respect to ``value`` (within the tolerance of
    :func:`~tinygrad_scalar.teaching.practice.is_close`), and if not, the hint naming the likely mistake.
    The graph is not changed; a blank answer asks for one."""
    with using(lang):
        return _check_exercise(root, value, answer)


def _check_exercise(root: Value, value: Value, answer: object) -> Feedback:
    names = graph_names(root)
    asked = f"∂{names[root]}/∂{names[value]}"
    if is_blank(answer):
        return Feedback("blank", _your_turn(asked))
    verdict = check_answer(root, value, _number(answer, asked))
    return Feedback("right" if verdict.correct else "wrong", verdict.hint)


def check_number(answer: object, expected: float, asked: str, lang: str | None = None) -> Feedback:
    """Whether ``answer`` is ``expected`` (within the tolerance of ``is_close``); ``asked`` names the number
    in the feedback ("s.grad after two calls"). A wrong answer is told it is wrong, not what is right."""
    with using(lang):
        if is_blank(answer):
            return Feedback("blank", _your_turn(asked))
        number = _number(answer, asked)
        facts = {"asked": asked, "expected": num(expected), "answer": num(number)}
        if is_close(number, expected):
            return Feedback("right", _("right: %(asked)s = %(expected)s") % facts)
        if number > expected:
            return Feedback(
                "wrong",
                _("not yet: %(answer)s is too large for %(asked)s; check each step, then run the cell again") % facts,
            )
        return Feedback(
            "wrong",
            _("not yet: %(answer)s is too small for %(asked)s; check each step, then run the cell again") % facts,
        )


CENTRAL_STEP = 1e-6
"""The step of the central difference ``(f(x + h) - f(x - h)) / 2h`` that ``check_derivative`` measures with."""


def check_derivative(
    forward: Callable[[float], float], contribution: object, at: float, name: str = "f", lang: str | None = None
) -> Feedback:
    """Whether ``contribution``, written as ``defop`` takes it (``lambda g, x, out: g * ...``), gives the
    derivative of ``forward`` at ``at``: its value for an upstream gradient of 1 against the central
    difference of ``forward`` there (within 1e-6 relative, or 1e-6 when the slope is near 0)."""
    with using(lang):
        return _check_derivative(forward, contribution, at, name)


def _check_derivative(forward: Callable[[float], float], contribution: object, at: float, name: str) -> Feedback:
    if is_blank(contribution):
        return Feedback(
            "blank",
            _(
                "your turn: write the contribution of %(name)s (lambda g, x, out: ...) by hand, write it in place of "
                "the ... and run the cell again"
            )
            % {"name": name},
        )
    if not callable(contribution):
        raise TypeError(
            _("write the derivative as a function of (g, x, out), like lambda g, x, out: g * x; got %(answer)s")
            % {"answer": repr(contribution)}
        )
    out = forward(at)
    yours = float(contribution(1.0, at, out))
    slope = (forward(at + CENTRAL_STEP) - forward(at - CENTRAL_STEP)) / (2 * CENTRAL_STEP)
    facts = {"name": name, "at": num(at), "yours": num(yours), "slope": num(slope)}
    if math.isclose(yours, slope, rel_tol=1e-6, abs_tol=1e-6):
        return Feedback(
            "right",
            _("right: the derivative of %(name)s at x = %(at)s is %(yours)s, as the slope of %(name)s measured there")
            % facts,
        )
    return Feedback(
        "wrong",
        _(
            "not yet: your contribution gives %(yours)s at x = %(at)s (with g = 1), but the slope of %(name)s measured "
            "there is %(slope)s; differentiate %(name)s, then multiply by the upstream gradient g"
        )
        % facts,
    )


def _is_number(x: object) -> bool:
    return ieee.real(x) is not None


def _numbers(x: object) -> tuple[float, ...] | None:
    """A vector of numbers as floats, in its order (compared entry by entry), else None: a list, a tuple or a
    numpy array of one dimension, which all mean the same vector."""
    vector = isinstance(x, (list, tuple)) or (type(x).__module__ == "numpy" and getattr(x, "ndim", None) == 1)
    if not vector:
        return None
    entries = [ieee.real(i) for i in x]  # type: ignore[attr-defined]  # a list, a tuple or an array: iterable
    return tuple(entries) if entries and None not in entries else None  # type: ignore[arg-type]  # no None


def _as_set(x: object) -> frozenset[object] | None:
    if isinstance(x, str):
        return frozenset([x])
    if isinstance(x, Iterable):
        return frozenset(x)
    return None


def _shown(x: object) -> str:
    if isinstance(x, str):
        return x
    if _is_number(x) and not isinstance(x, int):
        return num(ieee.real(x))  # type: ignore[arg-type]  # a number (np.array(2.5) too, which is iterable)
    if _numbers(x) is not None:
        return "[" + listing([num(i) for i in _numbers(x) or ()]) + "]"
    if isinstance(x, Iterable):
        items = [str(i) for i in x]
        return ", ".join(sorted(items)) if items else _("nothing")  # names: a set, shown in one order
    return repr(x)


def check_prediction(prediction: object, actual: object, asked: str, lang: str | None = None) -> Feedback:
    """*Predict, then check*: while ``prediction`` is blank, ask for it and show nothing of ``actual``; once
    written, show ``actual`` beside it and whether they agree. Numbers agree within the tolerance of
    ``is_close``, and lists of numbers (vectors) entry by entry; a name and a collection of names agree as
    sets (order does not matter); anything else by ``==``."""
    with using(lang):
        return _check_prediction(prediction, actual, asked)


def _check_prediction(prediction: object, actual: object, asked: str) -> Feedback:
    if is_blank(prediction):
        return Feedback(
            "blank",
            _("your turn: predict %(asked)s, write it in place of the ... and run the cell again") % {"asked": asked},
        )
    if _is_number(actual):
        agree = is_close(_number(prediction, asked), ieee.real(actual))  # type: ignore[arg-type]  # a number
    elif _numbers(actual) is not None:
        mine, theirs = _numbers(prediction), _numbers(actual)
        agree = mine is not None and theirs is not None and len(mine) == len(theirs)
        agree = agree and all(is_close(a, b) for a, b in zip(mine or (), theirs or ()))
    elif _as_set(actual) is not None:
        agree = _as_set(prediction) == _as_set(actual)
    else:
        agree = prediction == actual
    facts = {"prediction": _shown(prediction), "actual": _shown(actual)}
    if agree:
        return Feedback("right", _("right: you predicted %(prediction)s, and it is %(actual)s") % facts)
    return Feedback(
        "wrong",
        _(
            "not quite: you predicted %(prediction)s, but it is %(actual)s; find the step where your reasoning went "
            "another way"
        )
        % facts,
    )


@dataclass(frozen=True)
class Reveal:
    """A worked step kept folded: Jupyter shows a closed ``<details>`` (click to open); plain text shows only
    its title, so that running a notebook in a terminal gives nothing away. ``str`` is the step itself."""

    title: str
    worked: str
    lang: str = "en"

    def __str__(self) -> str:
        return self.worked

    def __repr__(self) -> str:
        with using(self.lang):
            return _("%(title)s (folded: open it in Jupyter, or print it)") % {"title": self.title}

    def _repr_html_(self) -> str:
        return (
            '<details class="tgs-worked-step"><summary style="cursor: pointer">'
            f"{html.escape(self.title)}</summary>"
            f'<pre style="white-space: pre-wrap">{html.escape(self.worked)}</pre></details>'
        )


def reveal(worked: object, title: str | None = None, lang: str | None = None) -> Reveal:
    """``worked`` (an explanation, a replay, any object whose ``str`` is the worked step) folded behind
    ``title`` (by default "Reveal the worked step", in ``lang``) until the student opens it."""
    with using(lang) as code:
        return Reveal(_("Reveal the worked step") if title is None else title, str(worked), code)
