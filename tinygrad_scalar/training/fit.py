"""Training: ``fit`` runs the loop micrograd's demo writes by hand, with a progress bar.

>>> from tinygrad_scalar.training.data import make_xor
>>> from tinygrad_scalar.training.nn import MLP
>>> X, y = make_xor(40, seed=0)
>>> model = MLP(2, [8, 1], activation="tanh", seed=0)
>>> history = fit(model, X, y, loss="hinge", epochs=60, progress=False)
>>> history.accuracy[-1]
1.0
"""

from __future__ import annotations

import gc
import itertools
import random
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.engine import UnknownOperationError, Value, begin_backward, chain_rule_step, no_grad
from tinygrad_scalar.training import losses
from tinygrad_scalar.training.nn import Module
from tinygrad_scalar.training.optim import SGD, Optimizer, Schedule, clip_grad_norm
from tinygrad_scalar.training.watch import Progress, Watcher, watcher_for
from tinygrad_scalar.transforms.trace import Traced, TraceError, trace, trace_per_sample

__all__ = [
    "LOSSES",
    "History",
    "accuracy",
    "class_labels",
    "collector_deferred",
    "evaluate",
    "fit",
    "predict",
    "predicted_class",
]

LOSSES = ("hinge", "bce", "cross_entropy", "mse")
"""The losses ``fit`` knows by name. The binary losses (hinge, bce) take class labels 0/1 or -1/+1,
cross_entropy class indices 0..k-1 (see ``class_labels``); ``fit`` turns them into what each loss wants
(-1/+1 for hinge, 0/1 for bce). ``mse`` takes any real targets."""

BINARY = ("hinge", "bce")
"""The losses of two classes, whose labels are 0/1 or -1/+1."""

Output = Any
"""What a model returns for one sample: a ``Value`` (one score), or a list of them (one per class)."""


@dataclass
class History:
    """What ``fit`` saw, one entry per epoch: the mean training loss (data loss plus L2), the
    training accuracy (``None`` for ``mse``) measured on the forward passes, and the learning rate;
    with ``fit(validation=...)``, also the loss and accuracy on the validation set after each epoch."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    validation_accuracy: list[float | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)


def _outputs(model: Callable[[list[float]], Output], X: Sequence[Sequence[float]]) -> list[Output]:
    return [model(list(x)) for x in X]


def predicted_class(output: Output) -> int:
    """The class an output stands for: the largest of several logits, or 1 for a positive score."""
    if isinstance(output, list):
        return max(range(len(output)), key=lambda k: output[k].data)
    return int(output.data > 0)


def class_labels(y: Sequence[object], two_classes: bool, *, where: str = "fit", name: str = "y") -> list[int]:
    """The class of every label in ``y``, as an index: the one rule for labels, which ``fit`` (the training
    and the validation set), ``accuracy``, the live view and the replay page follow.

    * Two classes (the binary losses, hinge and bce; a model with one output): ``0``/``1``, or ``-1``/``+1``
      as micrograd's demo writes them (``y*2 - 1``) and the hinge loss takes them; ``-1`` is class 0. A set
      uses one convention: ``0`` and ``-1`` together are refused.
    * More classes (cross_entropy): class indices ``0, 1, ..., k-1``.

    A label is a whole number: an int, one of numpy's ints, or a float equal to one (``1.0``). Anything else
    (``0.6``, ``2`` for two classes, ``nan``, a bool, a string) is refused with a ValueError naming the
    sample (``name[i]``) and the value, before any training; ``where`` says who asks.

    >>> class_labels([0, 1, 1], two_classes=True), class_labels([-1, 1, 1.0], two_classes=True)
    ([0, 1, 1], [0, 1, 1])
    """
    classes: list[int] = []
    first: dict[int, int] = {}  # a label -> the first sample that has it
    for i, t in enumerate(y):
        c = ieee.whole(t)  # None for a bool, numpy's too
        if two_classes and c not in (-1, 0, 1):
            raise ValueError(
                f"{where}: {name}[{i}] is {t!r}, not a class label; two classes are labelled 0/1, or -1/+1 "
                "(where -1 is class 0)"
            )
        if c is None or c < -1 or (c == -1 and not two_classes):
            raise ValueError(
                f"{where}: {name}[{i}] is {t!r}, not a class; classes are whole numbers 0, 1, 2, ... "
                "(one per output of the model)"
            )
        first.setdefault(c, i)
        classes.append(c)
    if 0 in first and -1 in first:
        raise ValueError(
            f"{where}: {name} mixes two conventions: "
            + " and ".join(f"{name}[{first[c]}] is {c}" for c in sorted((0, -1), key=first.__getitem__))
            + "; "
            + "label two classes 0/1, or -1/+1 (where -1 is class 0), not both"
        )
    return [max(c, 0) for c in classes]


def _targets(y: Sequence[object], loss: str, *, where: str = "fit", name: str = "y") -> list[int] | list[float]:
    """What ``fit`` trains towards: the classes of ``y`` (``class_labels``) for a classification loss, the
    targets as floats for ``mse``; refused before any training, naming the sample."""
    if loss != "mse":
        return class_labels(y, loss in BINARY, where=where, name=name)
    return [ieee.as_float(t, f"{where}: {name}[{i}] (mse takes real targets)") for i, t in enumerate(y)]


def _correct(outputs: Sequence[Output], classes: Sequence[float]) -> int:
    return sum(predicted_class(out) == c for out, c in zip(outputs, classes))


def _data_loss(loss: str, outputs: Sequence[Output], y: Sequence[float]) -> Value:
    """The data loss on a batch; ``y`` holds the batch's classes (``class_labels``), or targets for mse."""
    if loss == "hinge":
        return losses.hinge(outputs, [2.0 * c - 1.0 for c in y])  # class 0 is -1, class 1 is +1
    if loss == "bce":
        return losses.binary_cross_entropy_with_logits(outputs, y)
    if loss == "cross_entropy":
        return losses.cross_entropy(outputs, y)  # type: ignore[arg-type]  # the classes, ints
    return losses.mse(outputs, y)


# ---- the traced step: the model's program per sample, the loss on a small graph ----------------------


class _ReplayedSteps:
    """``fit``'s traced path, giving the numbers define-by-run gives, bit for bit.

    The model's computation for one sample is traced once (``trace_per_sample``), with the parameters
    and the sample's numbers as inputs, so the program does not grow with the batch and serves
    minibatches. Each step replays the program's forward pass per sample, builds the loss on a small
    graph whose leaves are the model's outputs (the loss may depend on values, as cross-entropy's
    shift does), runs that graph's backward pass, then replays each sample's backward pass seeded with
    its outputs' gradients, adding into the parameters' gradients.

    The order of the additions is the engine's: ``backward()`` on the whole batch's graph walks it in
    reverse topological order, so each parameter first receives the L2 term's contributions (the L2
    term comes after the data loss), then the samples', last sample first, each sample's in the order
    of its own graph. A sample's graph is ordered from the output the loss reaches first; that order is
    read from the small graph's walk, and a sample whose loss reaches its outputs in another order is
    replayed by a program traced in that order. An output the model returns several times is one leaf
    of the small graph, used several times, as it is one node of the whole graph.

    ``__init__`` raises ``TraceError`` (or the model's own error) when the traced path cannot be shown
    to train as define-by-run does; ``fit`` then trains define-by-run and says why (see ``fit``).
    """

    def __init__(self, model: Callable[[list[Any]], Output], params: list[Value], X: Sequence[Sequence[float]]):
        self.model = model
        self.first = list(X[0])
        self.shared = params
        program = self._trace(params, X)
        if program.outside:  # Values the model reads besides its parameters: inputs too, read at every step
            self.shared = [*params, *program.outside]
            program = self._trace(self.shared, X)
        if program.hooked:
            raise TraceError("the model registers gradient hooks, which must see the gradients of the whole batch")
        if any(o < len(self.shared) for o in program.outputs):
            raise TraceError("the model returns one of its parameters itself, whose gradient the loss adds into")
        program.compile(len(self.shared))
        self.width = len(program.outputs)
        self.programs = {tuple(range(self.width)): program}
        self._check_outputs(program, X)

    def _trace(self, shared: list[Value], X: Sequence[Sequence[float]]) -> Traced:
        """The model's program for one sample, over the ``shared`` Values and a sample's numbers. Its
        outputs are the model's outputs without repeats; ``self.places`` says where each output is."""
        model, found = self.model, []

        def per_sample(ps: list[Value], x: list[Value]) -> list[Value]:
            try:
                output = model(x)
            except Exception as error:  # on Values, where define-by-run gives floats: math.exp(x[0])
                raise _ModelError(error) from error
            outputs = _flat(output)
            distinct = list(dict.fromkeys(outputs))  # Values compare by identity
            found.append((isinstance(output, list), [distinct.index(o) for o in outputs]))
            return distinct

        # Every sample must be as long as the first; a few more are traced, to see that each builds the same
        # program, and _check_outputs then compares the program with the model on every sample.
        for s, x in enumerate(X):
            if len(x) != len(self.first):
                raise TraceError(
                    f"sample {s} holds {len(x)} numbers and the first {len(self.first)}: the model builds a "
                    "different graph for another sample"
                )
        others = [list(X[s]) for s in _spread(len(X) - 1, TRACED_SAMPLES - 2)]
        program = trace_per_sample(per_sample, shared, self.first, list(X[-1]), *others)
        self.listed, self.places = found[0]  # the model returns a list of outputs; each output's distinct one
        return program

    def _check_outputs(self, program: Traced, X: Sequence[Sequence[float]]) -> None:
        """The program and the model given each sample as plain numbers, as define-by-run gives them,
        compute the same outputs, bit for bit: the model does not tell Values from floats."""
        values, _ = program.forward_batch([p.data for p in self.shared], X)
        for computed, x in zip(values, X):
            expected = _flat(self.model(list(x)))
            if [computed[k].hex() for k in self.places] != [v.data.hex() for v in expected]:
                raise TraceError(
                    "the model computes other numbers for a sample of floats than for the same sample as Values"
                )

    def outputs(self, xs: Sequence[Sequence[float]]) -> list[Output] | None:
        """The model's outputs for the samples ``xs``, replayed by the program (leaves holding their values,
        as define-by-run under ``no_grad`` gives them, bit for bit), or None when a sample is not as long as
        the training samples, for which the program was made."""
        if any(len(x) != len(self.first) for x in xs):
            return None
        values, _ = self.programs[tuple(range(self.width))].forward_batch([p.data for p in self.shared], xs)
        places = self.places
        return [[Value(out[k]) for k in places] if self.listed else Value(out[places[0]]) for out in values]

    def _program(self, order: tuple[int, ...]) -> Traced:
        """The program whose outputs, and so whose graph, are in ``order``."""
        if order not in self.programs:
            model = self.model

            def reordered(ps: list[Value], x: list[Value]) -> list[Value]:
                distinct = list(dict.fromkeys(_flat(model(x))))
                return [distinct[k] for k in order]

            self.programs[order] = trace(reordered, self.shared, self.first)
        return self.programs[order]

    def step(self, objective: Callable[[Sequence[Output], Sequence[float]], Value], xs: Sequence[Sequence[float]],
             ys: Sequence[float]) -> tuple[float, list[Output]]:  # fmt: skip
        """Forward and backward for one batch; the gradients are added into the parameters' ``grad``.
        Returns the loss and the model's outputs (as leaves holding their values)."""
        identity = tuple(range(self.width))
        program = self.programs[identity]
        data = [p.data for p in self.shared]
        values, saved = program.forward_batch(data, xs)
        leaves = [[Value(v) for v in outputs] for outputs in values]
        places = self.places
        outputs_ = [[out[k] for k in places] if self.listed else out[places[0]] for out in leaves]
        total = objective(outputs_, ys)
        walk = begin_backward(total)  # total.backward(), keeping its walk of the graph
        for node in reversed(walk):
            chain_rule_step(node)
        where = {leaf: (s, k) for s, out in enumerate(leaves) for k, leaf in enumerate(out)}
        orders: dict[int, tuple[int, ...]] = {}  # sample -> its outputs in the order the loss reaches them
        for node in walk:
            found = where.get(node)
            if found is not None:
                orders[found[0]] = (*orders.get(found[0], ()), found[1])
        grads = [p.grad for p in self.shared]
        # The samples, last first, in runs replayed by the same program.
        for order, run in itertools.groupby(reversed(orders.items()), key=lambda item: item[1]):
            samples = [s for s, _ in run]
            seeds = [[leaves[s][k].grad for k in order] for s in samples]
            if order == identity:
                grads = program.backward_batch(data, [saved[s] for s in samples], seeds, grads)
            else:  # the forward pass again, by the program in this order (cross-entropy's other classes)
                other = self._program(order)
                grads = other.backward_batch(data, other.forward_batch(data, [xs[s] for s in samples])[1], seeds, grads)
        for p, g in zip(self.shared, grads):
            p.grad = g
        return total.data, outputs_


class _ModelError(Exception):
    """The model raised an error on a sample given as Values (``error``); define-by-run may still work."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"the model raised {type(error).__name__} on a sample given as Values: {error}")


TRACED_SAMPLES = 6
"""How many samples ``fit`` traces before it trains traced (the first, the last, and some between, spread
evenly), to see that each builds the same program; every sample is then checked against the program."""


def _spread(stop: int, count: int) -> list[int]:
    """Up to ``count`` indices spread evenly over 1 .. stop - 1, none repeated."""
    return sorted({1 + (stop - 1) * k // (count + 1) for k in range(1, count + 1)}) if stop > 1 else []


def _flat(output: Output) -> list[Value]:
    return output if isinstance(output, list) else [output]


def _check_samples(X: Sequence[Sequence[Any]], name: str) -> None:
    """Each sample is a sequence of numbers: ``[[0.5, 1.0], ...]``, not ``[0.5, 1.0, ...]``."""
    for s, x in enumerate(X):
        if not losses.is_list(x):
            raise TypeError(
                f"fit: each sample of {name} is a list of numbers, but sample {s} is {type(x).__name__} {x!r:.40}; "
                f"for one number per sample write [[x] for x in {'X' if name == 'X' else 'X_val'}]"
            )


def _numbers(X: Sequence[Sequence[Any]]) -> list[list[float]] | None:
    """The samples as lists of plain floats, as the program reads them (numpy's numbers, ints), or None when a
    sample holds a Value, which define-by-run gives a gradient."""
    if any(isinstance(v, Value) for x in X for v in x):
        return None
    return [[ieee.as_float(v, "fit: a sample") for v in x] for x in X]


def _replayed_steps(
    model: Callable[[list[Any]], Output], params: list[Value], X: Sequence[Sequence[float]] | None, notices: _Quiet
) -> _ReplayedSteps | None:
    """The traced path over the samples ``X`` (plain floats; None when they hold Values), or None with one line
    on ``notices`` saying why define-by-run is used."""
    reason = None
    if any(p._hooks for p in params):
        reason = "a parameter has gradient hooks, which must see the gradient of the whole batch"
    elif X is None:
        reason = "the samples hold Values, which define-by-run gives gradients (the program reads numbers)"
    else:
        try:
            return _ReplayedSteps(model, params, X)
        except (TraceError, UnknownOperationError, _ModelError) as error:
            reason = str(error)
    print(f"fit: training define-by-run, not traced: {reason}", file=notices)
    return None


class _Quiet:
    """The stream of the progress bar and of fit's notices: standard error, which never costs a training.

    When it cannot be written (closed, a full disk, a reader that has gone: AttributeError, OSError,
    ValueError), it falls silent for the rest of the training, and the training goes on.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.failed = stream is None

    def write(self, text: str) -> int:
        if not self.failed:
            try:
                self.stream.write(text)  # type: ignore[union-attr]  # not None unless failed
            except Exception:  # whatever went wrong, only the display is lost
                self.failed = True
        return len(text)

    def flush(self) -> None:
        if not self.failed:
            try:
                self.stream.flush()  # type: ignore[union-attr]  # not None unless failed
            except Exception:  # as in write
                self.failed = True

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno: what tqdm asks of its stream
        return getattr(self.stream, name)


# ---- the collector, out of the training loop ---------------------------------------------------------

DEFERRED_THRESHOLD = 1_000_000_000
"""The collector's first threshold during a training step (CPython's default is 700): in effect, no
collection runs during a step, however large its graph (garbage that only the collector can free, such
as a lecture-style closure's cycle, waits at most until the step ends)."""


class _CollectorDeferral:
    """Raise the cyclic garbage collector's first threshold while any training step runs.

    A step makes no reference cycles (each graph is freed as soon as it is dropped), but with the
    default threshold the collector runs every 700 new objects and traverses every live node each time.
    The first step to enter saves the thresholds; the last to leave restores them exactly, so steps in
    several threads, or nested, leave the settings as they found them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: tuple[int, ...] = ()

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(max(DEFERRED_THRESHOLD, self._saved[0]), *self._saved[1:])
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                gc.set_threshold(*self._saved)


collector_deferred = _CollectorDeferral()
"""``with collector_deferred:`` defers the collector for the block; ``fit`` wraps each step in it."""


def predict(model: Callable[[list[float]], Output], X: Sequence[Sequence[float]]) -> list[Output]:
    """The model's outputs for every sample, without building a graph."""
    with no_grad():
        return _outputs(model, X)


def accuracy(
    model: Callable[[list[float]], Output], X: Sequence[Sequence[float]], y: Sequence[int], loss: str | None = None
) -> float:
    """The fraction of samples classified right: the sign of the score for a model with one output (class 1
    when positive), the largest logit for a model with several (``cross_entropy``).

    ``y`` holds the labels as ``fit`` takes them (``class_labels``): with one output, 0/1 or -1/+1 (-1 is
    class 0, as 0 is); with several, class indices. ``loss`` (optional) names the loss the model was
    trained with; by default the model's outputs tell."""
    if loss == "mse":
        raise ValueError("accuracy needs a classification loss, not 'mse'")
    if loss is not None and loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must hold the same, non-zero number of samples (got {len(X)} and {len(y)})")
    outputs = predict(model, X)
    two_classes = loss in BINARY if loss is not None else not isinstance(outputs[0], list)
    return _correct(outputs, class_labels(y, two_classes, where="accuracy")) / len(X)


def _check_arguments(
    model: object, X: Sequence[Sequence[float]], y: Sequence[float], loss: str
) -> Callable[[list[float]], Output]:
    """What ``fit`` and ``evaluate`` check first: a loss they know, as many labels as samples, a callable model
    (returned as the function of one sample it is)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must hold the same, non-zero number of samples (got {len(X)} and {len(y)})")
    if not callable(model):
        raise TypeError("model must be callable on one sample, like an MLP")
    return model


def evaluate(
    model: Module, X: Sequence[Sequence[float]], y: Sequence[float], loss: str = "hinge", l2: float = 0.0
) -> tuple[float, float | None]:
    """The loss and the accuracy of ``model`` as it is now, on ``(X, y)``, measured as ``fit`` measures
    them (the data loss plus ``l2 * sum(p**2)``; the accuracy ``None`` for mse), without building a graph.

    ``fit``'s ``History`` records each step's loss and accuracy on that step's forward pass, before the
    step's update; ``evaluate`` after training gives the numbers of the trained model, which belong together.
    """
    forward = _check_arguments(model, X, y, loss)
    targets = _targets(y, loss, where="evaluate")
    with no_grad():
        outputs = _outputs(forward, X)
        total = _data_loss(loss, outputs, targets)
        if l2:
            total = total + losses.l2(model.parameters(), l2)
    return total.data, (_correct(outputs, targets) / len(X) if loss != "mse" else None)


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    *,
    loss: str = "hinge",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    schedule: Callable[[Optimizer], Schedule] | None = None,
    clip_norm: float | None = None,
    progress: bool = True,
    seed: int = 0,
    traced: bool = True,
    validation: tuple[Sequence[Sequence[float]], Sequence[float]] | None = None,
    live: bool | Watcher = False,
) -> History:
    """Train ``model`` on ``(X, y)`` and return the ``History``.

    Each step: forward pass on a batch, data loss plus ``l2 * sum(p**2)``, ``zero_grad``,
    ``backward``, optional gradient clipping to ``clip_norm``, ``optimizer.step()``, then the
    schedule. ``batch_size=None`` trains on the whole set each step (as micrograd's demo does);
    otherwise the data is shuffled every epoch (deterministically for ``seed``). The optimizer is
    ``SGD(model.parameters(), lr=0.1)`` unless given; ``schedule`` builds a schedule for it, e.g.
    ``lambda opt: LinearDecay(opt, 1.0, 0.1, 100)``. A progress bar (tqdm, which also works in
    Jupyter) shows the loss and accuracy; ``progress=False`` silences it.

    ``X`` is a sequence of samples, each a sequence of numbers, and ``y`` one label per sample: lists, or
    numpy arrays as scikit-learn gives them. The labels, checked before any training (``class_labels``):

    * ``"hinge"`` and ``"bce"`` (two classes, a model with one output): class labels 0/1, or -1/+1 as
      micrograd's demo writes them (-1 is class 0); either convention, not a mix. ``fit`` gives each loss
      what it wants: -1/+1 to the hinge loss, 0/1 to binary cross-entropy. So ``fit(model, X, y)`` and
      ``fit(model, X, signed(y))`` train the same model.
    * ``"cross_entropy"``: class indices 0..k-1, one logit per class.
    * ``"mse"``: any real targets.

    A label that fits none of these (0.6 for a class, 2 for two classes, nan, a bool) is refused with a
    ValueError naming the sample and the value. Samples that hold Values (micrograd's demo writes them so) are
    trained define-by-run, which gives those Values their gradients, as a hand-written loop does.

    Each step runs with the cyclic garbage collector deferred (``collector_deferred``): a step makes
    no reference cycles, and the collector would otherwise traverse every node of the graph many times.

    ``traced=True`` (the default) traces the model's computation for one sample once
    (``tinygrad_scalar.transforms.trace.trace_per_sample``) and replays it on plain floats, sample after
    sample, for batches and minibatches alike: about fifteen times faster on micrograd's demo, and
    the same numbers as define-by-run, bit for bit (parameters, gradients, losses, accuracies). It
    traces only what it has shown to be safe, and otherwise trains define-by-run, saying why in one
    line on standard error (where the progress bar is). What is shown, and how:

    * *The model never looks at a number.* Its forward pass on the first sample is watched while it
      is traced (:mod:`tinygrad_scalar.transforms.reads`): a comparison of Values (``max(a, b)``,
      ``z > 0``), a use of ``.data`` or ``.grad``, ``detach()``, ``no_grad()``, ``repr()`` of a Value,
      anywhere outside the engine's own operations, means its path may depend on the values, and it
      is not traced. A forward pass that never looked takes the same path, and builds the same graph,
      for any parameters and any sample: the program holds for the whole training.
    * *Every sample builds the same program*: every sample holds as many numbers as the first, a few
      (``TRACED_SAMPLES``, spread over the set) are traced and build the same program, and the model
      computes the same outputs for each sample given as plain numbers (as define-by-run gives it) as
      the program, bit for bit, at the starting parameters.
    * *Nothing is frozen.* Values the model reads besides ``model.parameters()`` become inputs of the
      program too, read at every step and given their gradients, as in define-by-run; the model may
      not share an intermediate value between samples, return a parameter itself as an output, or
      register gradient hooks (nor may a parameter have one).
    * *The gradients add up in the engine's order*: see ``_ReplayedSteps``. An output the model
      returns several times (``[h, h, k]``) gets the sum of what the loss sends to each use, as it
      does on the whole graph; a ``checkpoint`` segment gives each value it reads its gradient as one
      sum, as its backward rule does (see :mod:`tinygrad_scalar.transforms.trace`).

    What this does not cover, and the watch cannot see: state outside the Values (a counter, a
    random generator: different samples show it, but not different epochs), reads through
    ``getattr`` with a computed name or through C code, and other threads. The forward pass's side
    effects (printing, appending to a list) happen while tracing, not at every step. Use
    ``traced=False`` for such a model: it always trains define-by-run.

    ``validation=(X_val, y_val)`` measures the loss (data loss plus L2, like the training loss) and
    the accuracy on held-out samples after every epoch, without building a graph (traced, the program
    computes the model's outputs for them: the same numbers, bit for bit).

    ``live=True`` in Jupyter draws the training as it goes, in one picture updated in place (see
    ``tinygrad_scalar.views.live``); in a plain script it changes nothing (the progress bar shows). ``live``
    may also be any ``Watcher`` (:mod:`tinygrad_scalar.training.watch`), told about every epoch.
    """
    forward = _check_arguments(model, X, y, loss)
    _check_samples(X, "X")
    if validation is not None and len(validation) == 2:
        _check_samples(validation[0], "the validation set's X_val")
    if validation is not None and (
        len(validation) != 2 or len(validation[0]) != len(validation[1]) or len(validation[0]) == 0
    ):
        raise ValueError("validation must be (X_val, y_val), with the same, non-zero number of samples in each")
    targets = _targets(y, loss)  # the labels checked before any training: the classes, or mse's targets
    val_targets = _targets(validation[1], loss, name="y_val") if validation is not None else []
    optimizer = optimizer or SGD(model.parameters(), lr=0.1)
    scheduler = schedule(optimizer) if schedule else None
    size = batch_size or len(X)
    order = list(range(len(X)))
    shuffle = random.Random(seed).shuffle
    history = History()

    from tqdm.auto import tqdm

    if sys.platform == "emscripten":  # the browser lab (Pyodide) starts no thread: tqdm's monitor would warn on stderr
        tqdm.monitor_interval = 0
    steps_per_epoch = -(-len(X) // size)
    classifying = loss != "mse"
    params = model.parameters()

    def objective(outputs: Sequence[Output], ys: Sequence[float]) -> Value:
        total = _data_loss(loss, outputs, ys)
        return total + losses.l2(params, l2) if l2 else total

    watcher = watcher_for(live, X, targets, predicted_class if classifying else None)
    stream = _Quiet(sys.stderr)
    numbers = _numbers(X) if traced else None
    replayed = _replayed_steps(forward, params, numbers, stream) if traced else None
    samples = numbers if replayed is not None and numbers is not None else X  # the program reads plain floats
    held_out = _numbers(validation[0]) if replayed is not None and validation is not None else None
    # In Jupyter tqdm draws a widget, and given sys.stderr itself, writes any text to the cell's stdout
    # rather than as a red block; in a terminal it writes text, to the quiet stream.
    widget = any(kind.__module__ == "tqdm.notebook" for kind in tqdm.__mro__)
    with tqdm(
        total=epochs * steps_per_epoch,
        disable=not progress,
        desc="training",
        unit="step",
        leave=True,
        file=sys.stderr if widget else stream,
    ) as bar:
        for _ in range(epochs):
            if batch_size:
                shuffle(order)
            total_loss, correct = 0.0, 0
            lr = optimizer.lr
            for start in range(0, len(X), size):
                batch = order[start : start + size]
                xs, ys = [samples[i] for i in batch], [targets[i] for i in batch]
                with collector_deferred:
                    if replayed is not None:
                        optimizer.zero_grad()
                        step_loss, outputs = replayed.step(objective, xs, ys)
                    else:
                        outputs = _outputs(forward, xs)
                        total = objective(outputs, ys)
                        optimizer.zero_grad()
                        total.backward()
                        step_loss = total.data
                        del total  # free this step's graph before the next one is built
                    if clip_norm is not None:
                        clip_grad_norm(params, clip_norm)
                    optimizer.step()
                    if scheduler:
                        scheduler.step()
                total_loss += step_loss * len(batch)
                if classifying:
                    correct += _correct(outputs, ys)
                del outputs
                bar.update(1)
            history.loss.append(total_loss / len(X))
            history.accuracy.append(correct / len(X) if classifying else None)
            history.lr.append(lr)
            postfix = {"loss": f"{history.loss[-1]:.4f}"}
            if history.accuracy[-1] is not None:
                postfix["acc"] = f"{history.accuracy[-1]:.0%}"
            bar.set_postfix(postfix)
            if validation is not None:
                with no_grad():
                    val_outputs = replayed.outputs(held_out) if replayed is not None and held_out else None
                    if val_outputs is None:
                        val_outputs = _outputs(forward, validation[0])
                    history.validation_loss.append(objective(val_outputs, val_targets).data)
                    val_correct = _correct(val_outputs, val_targets) if classifying else None
                history.validation_accuracy.append(None if val_correct is None else val_correct / len(validation[0]))
            if watcher is not None:
                val = (history.validation_loss[-1], history.validation_accuracy[-1]) if validation else (None, None)
                watcher.update(model, Progress(len(history), epochs, history.loss[-1], history.accuracy[-1], *val))
    if watcher is not None:
        watcher.close(model)
    return history
