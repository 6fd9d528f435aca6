"""Loss functions: how wrong a model is, as one ``Value`` to call ``backward()`` on.

Each takes the model's outputs (``Value`` objects, or lists of them for several classes) and the
targets (plain numbers), and returns the mean over the samples, labelled ``L`` (so pictures and
explanations call it ``L``; ``l2`` is a penalty added to a loss and keeps no label). Each is checked
against PyTorch float64, values and gradients.

>>> from tinygrad_scalar import Value
>>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data   # ((1-0)**2 + (3-1)**2) / 2
2.5
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.engine import Number, Value

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "is_list",
    "l2",
    "log_softmax",
    "mse",
    "softmax",
]


_TAKES = {
    "mse": "a list of outputs and a list of targets of the same length, like mse([out], [1.0])",
    "hinge": "a list of scores and a list of labels -1/+1 of the same length, like hinge([score], [1])",
    "binary_cross_entropy_with_logits": "a list of logits and a list of labels in [0, 1] of the same length, "
    "like binary_cross_entropy_with_logits([logit], [1])",
    "cross_entropy": "a list of samples' logits (each a list, one logit per class) and a list of classes of the "
    "same length, like cross_entropy([logits], [2])",
}
"""What each loss takes, as its errors say it: every loss is a mean over samples, so it takes lists."""


class HasParameters(Protocol):
    """A model: anything whose ``parameters()`` lists its Values (``Module``, ``MLP``)."""

    def parameters(self) -> list[Value]: ...


def is_list(given: object) -> bool:
    """Whether ``given`` holds several things by position, as the losses' and ``fit``'s arguments must (a list,
    a tuple, a numpy array; not a string, a number or a Value)."""
    return not isinstance(given, (str, bytes)) and hasattr(given, "__len__") and hasattr(given, "__getitem__")


def _check_lengths(outputs: Sequence[object], targets: Sequence[object], what: str) -> None:
    for given, role in ((outputs, "outputs"), (targets, "targets")):
        if not is_list(given):
            raise TypeError(
                f"{what} takes {_TAKES[what]}; its {role} are one {type(given).__name__}, not a list: "
                "put one sample in a list"
            )
    if what == "cross_entropy" and any(isinstance(row, Value) for row in outputs):
        raise TypeError(f"cross_entropy takes {_TAKES[what]}; got a list of Values: put one sample's logits in a list")
    if len(outputs) != len(targets):
        raise ValueError(f"{what}: {len(outputs)} outputs but {len(targets)} targets; give one target per output")
    if not outputs:
        raise ValueError(f"{what}: no samples; a mean over nothing is undefined")


def _mean(terms: list[Value]) -> Value:
    """The mean of a loss's terms, labelled ``L``: every view calls a loss ``L`` (and an output that is not
    a loss by its label, or ``out``; see :mod:`tinygrad_scalar.views.naming`)."""
    loss = sum(terms[1:], terms[0]) * (1.0 / len(terms))
    loss.label = "L"
    return loss


def mse(predictions: Sequence[Value], targets: Sequence[Number]) -> Value:
    """Mean squared error: mean of ``(prediction - target)**2``."""
    _check_lengths(predictions, targets, "mse")
    return _mean([(p - t) ** 2 for p, t in zip(predictions, targets)])


def hinge(scores: Sequence[Value], labels: Sequence[Number]) -> Value:
    """The SVM max-margin loss micrograd's demo uses: mean of ``relu(1 - label * score)``.

    ``labels`` are ``-1`` and ``+1``: a score on the right side by a margin of at least 1 costs
    nothing. (Convert 0/1 labels with ``[2 * t - 1 for t in y]``.)
    """
    _check_lengths(scores, labels, "hinge")
    signs = [ieee.real(t) for t in labels]
    for i, (t, sign) in enumerate(zip(labels, signs)):
        if isinstance(t, bool) or sign not in (-1.0, 1.0):
            raise ValueError(
                f"hinge: label {i} is {t!r}; the hinge loss takes labels -1/+1: convert 0/1 labels with "
                "signed(y) (or [2*t - 1 for t in y]); fit(loss='hinge') takes either"
            )
    return _mean([(1 + -t * s).relu() for s, t in zip(scores, signs)])  # type: ignore[operator]  # ±1.0


def binary_cross_entropy_with_logits(logits: Sequence[Value], labels: Sequence[Number]) -> Value:
    """Binary cross-entropy of ``sigmoid(logit)`` against labels in [0, 1], computed from the logit.

    ``-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))]`` equals ``max(z, 0) - t z + log(1 + e**-|z|)``,
    which never takes the exponential of a large number: a logit of 1000 costs what it should, not
    ``inf`` or ``nan``. The gradient with respect to ``z`` is ``sigmoid(z) - t``.
    """
    _check_lengths(logits, labels, "binary_cross_entropy_with_logits")
    terms = []
    for i, (z, t) in enumerate(zip(logits, labels)):
        p = ieee.real(t)
        if p is None or not 0 <= p <= 1:
            raise ValueError(
                f"binary_cross_entropy_with_logits: label {i} is {t!r}; labels are probabilities in [0, 1]"
            )
        relu_z = z.relu()  # max(z, 0)
        minus_abs = z - 2 * relu_z  # -|z|
        terms.append(relu_z - z * p + (1 + minus_abs.exp()).log())
    return _mean(terms)


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """``z_i - log(sum_j e**z_j)``, with the largest logit subtracted first (the log-sum-exp trick),
    so no exponential overflows. The shift is a constant, so gradients are unchanged."""
    if not logits:
        raise ValueError("log_softmax: no logits")
    shift = max(z.data for z in logits)
    shifted = [z - shift for z in logits]
    total = sum((s.exp() for s in shifted[1:]), shifted[0].exp())
    log_total = total.log()
    return [s - log_total for s in shifted]


def softmax(logits: Sequence[Value]) -> list[Value]:
    """Probabilities ``e**z_i / sum_j e**z_j``, computed stably (see ``log_softmax``)."""
    return [lp.exp() for lp in log_softmax(logits)]


def cross_entropy(logits: Sequence[Sequence[Value]], classes: Sequence[int]) -> Value:
    """Multi-class cross-entropy: mean over samples of ``-log softmax(logits)[class]``.

    ``logits`` holds one list of logits per sample; ``classes`` the index of each sample's class: a whole
    number (an int, numpy's ints, or a float equal to one, like 2.0) from 0 to the number of logits less one.
    """
    _check_lengths(logits, classes, "cross_entropy")
    terms = []
    for i, (row, given) in enumerate(zip(logits, classes)):
        c = ieee.whole(given)
        if c is None or not 0 <= c < len(row):
            raise ValueError(
                f"cross_entropy: the class of sample {i} is {given!r}, not an index into its {len(row)} logits; "
                f"classes are whole numbers 0 .. {len(row) - 1}"
            )
        terms.append(-log_softmax(row)[c])
    return _mean(terms)


def l2(parameters: Iterable[Value] | HasParameters, alpha: float = 1e-4) -> Value:
    """L2 regularisation: ``alpha * sum(p**2)`` (micrograd's demo uses ``alpha = 1e-4``).

    ``parameters`` are the Values to penalise, or a model (anything with ``parameters()``, like an ``MLP``),
    which stands for all of its parameters: ``l2(model)`` is ``l2(model.parameters())``.
    """
    method = getattr(parameters, "parameters", None)
    given = method() if callable(method) else parameters
    if isinstance(given, Value) or not isinstance(given, Iterable) or not all(isinstance(p, Value) for p in given):
        raise TypeError(
            f"l2 takes a model or a list of its parameters (Values), like l2(model, 1e-4); got {type(given).__name__}"
        )
    params: list[Value] = list(given)
    if not params:
        raise ValueError("l2: no parameters")
    return alpha * sum((p * p for p in params[1:]), params[0] * params[0])
