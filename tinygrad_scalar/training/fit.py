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
from typing import Any

from tinygrad_scalar.core.engine import UnknownOperationError, Value, begin_backward, chain_rule_step, no_grad
from tinygrad_scalar.training import losses
from tinygrad_scalar.training.nn import Module
from tinygrad_scalar.training.optim import SGD, Optimizer, Schedule, clip_grad_norm
from tinygrad_scalar.training.watch import Progress, Watcher, watcher_for
from tinygrad_scalar.transforms.trace import Traced, TraceError, trace, trace_per_sample

__all__ = ["LOSSES", "History", "accuracy", "collector_deferred", "fit", "predict", "predicted_class"]

LOSSES = ("hinge", "bce", "cross_entropy", "mse")
"""The losses ``fit`` knows by name. Labels are class indices (0/1, or 0..k-1 for cross_entropy);
``fit`` turns them into what each loss wants (-1/+1 for hinge). ``mse`` takes the targets as given."""

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


def _correct(outputs: Sequence[Output], y: Sequence[float]) -> int:
    return sum(predicted_class(out) == int(t) for out, t in zip(outputs, y))


def _data_loss(loss: str, outputs: Sequence[Output], y: Sequence[float]) -> Value:
    if loss == "hinge":
        return losses.hinge(outputs, [2 * int(t) - 1 for t in y])
    if loss == "bce":
        return losses.binary_cross_entropy_with_logits(outputs, y)
    if loss == "cross_entropy":
        return losses.cross_entropy(outputs, [int(t) for t in y])
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
    replayed by a program traced in that order.
    """

    def __init__(self, model: Callable[[list[Any]], Output], params: list[Value], X: Sequence[Sequence[float]]):
        self.model, self.params = model, params
        self.first = list(X[0])
        listed = []

        def per_sample(ps: list[Value], x: list[Value]) -> list[Value]:
            output = model(x)
            listed.append(isinstance(output, list))
            return _flat(output)

        # Every sample is traced once, to check that each builds the same program (a branch on .data
        # taken another way for some sample would make the replay compute something else).
        program = trace_per_sample(per_sample, params, self.first, list(X[-1]), *(list(x) for x in X[1:-1]))
        if program.checkpointed:
            raise TraceError("the model uses checkpoint(), whose backward pass adds a segment's gradients at once")
        program.compile(len(params))
        self.width = len(program.outputs)
        self.listed = listed[0]  # the model returns a list of outputs, not one Value
        self.programs = {tuple(range(self.width)): program}

    def _program(self, order: tuple[int, ...]) -> Traced:
        """The program whose outputs, and so whose graph, are in ``order``."""
        if order not in self.programs:
            model = self.model

            def reordered(ps: list[Value], x: list[Value]) -> list[Value]:
                outputs = _flat(model(x))
                return [outputs[k] for k in order]

            self.programs[order] = trace(reordered, self.params, self.first)
        return self.programs[order]

    def step(self, objective: Callable[[Sequence[Output], Sequence[float]], Value], xs: Sequence[Sequence[float]],
             ys: Sequence[float]) -> tuple[float, list[Output]]:  # fmt: skip
        """Forward and backward for one batch; the gradients are added into the parameters' ``grad``.
        Returns the loss and the model's outputs (as leaves holding their values)."""
        identity = tuple(range(self.width))
        program = self.programs[identity]
        data = [p.data for p in self.params]
        values, saved = program.forward_batch(data, xs)
        leaves = [[Value(v) for v in outputs] for outputs in values]
        outputs_ = [out if self.listed else out[0] for out in leaves]
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
        grads = [p.grad for p in self.params]
        # The samples, last first, in runs replayed by the same program.
        for order, run in itertools.groupby(reversed(orders.items()), key=lambda item: item[1]):
            samples = [s for s, _ in run]
            seeds = [[leaves[s][k].grad for k in order] for s in samples]
            if order == identity:
                grads = program.backward_batch(data, [saved[s] for s in samples], seeds, grads)
            else:  # the forward pass again, by the program in this order (cross-entropy's other classes)
                other = self._program(order)
                grads = other.backward_batch(data, other.forward_batch(data, [xs[s] for s in samples])[1], seeds, grads)
        for p, g in zip(self.params, grads):
            p.grad = g
        return total.data, outputs_


def _flat(output: Output) -> list[Value]:
    return output if isinstance(output, list) else [output]


def _replayed_steps(
    model: Callable[[list[Any]], Output], params: list[Value], X: Sequence[Sequence[float]]
) -> _ReplayedSteps | None:
    """The traced path, or None with one line on standard error saying why define-by-run is used."""
    reason = None
    if any(p._hooks for p in params):
        reason = "a parameter has gradient hooks, which must see the gradient of the whole batch"
    else:
        try:
            return _ReplayedSteps(model, params, X)
        except (TraceError, UnknownOperationError) as error:
            reason = str(error)
    print(f"fit: training define-by-run, not traced: {reason}", file=sys.stderr)
    return None


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
    model: Callable[[list[float]], Output], X: Sequence[Sequence[float]], y: Sequence[int], loss: str = "hinge"
) -> float:
    """The fraction of samples classified right: the sign of the score for binary losses (class 1
    when positive), the largest logit for ``cross_entropy``."""
    if loss == "mse":
        raise ValueError("accuracy needs a classification loss, not 'mse'")
    return _correct(predict(model, X), y) / len(X)


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

    Each step runs with the cyclic garbage collector deferred (``collector_deferred``): a step makes
    no reference cycles, and the collector would otherwise traverse every node of the graph many times.

    ``traced=True`` (the default) traces the model's computation for one sample once
    (``tinygrad_scalar.transforms.trace.trace_per_sample``) and replays it on plain floats, sample after sample,
    for batches and minibatches alike: the same numbers as define-by-run, bit for bit (parameters,
    losses, accuracies), about fifteen times faster on micrograd's demo. It first checks that this is
    safe (the model builds the same graph for every sample, and no parameter has gradient
    hooks); when it is not, ``fit`` trains define-by-run and prints one line saying why on standard
    error. ``traced=False`` always trains define-by-run.

    ``validation=(X_val, y_val)`` measures the loss (data loss plus L2, like the training loss) and
    the accuracy on held-out samples after every epoch, without building a graph.

    ``live=True`` in Jupyter draws the training as it goes, in one picture updated in place (see
    ``tinygrad_scalar.views.live``); in a plain script it changes nothing (the progress bar shows). ``live``
    may also be any ``Watcher`` (:mod:`tinygrad_scalar.training.watch`), told about every epoch.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}")
    if len(X) != len(y) or not X:
        raise ValueError(f"X and y must hold the same, non-zero number of samples (got {len(X)} and {len(y)})")
    if not callable(model):
        raise TypeError("model must be callable on one sample, like an MLP")
    forward: Callable[[list[float]], Output] = model
    if validation is not None and (
        len(validation) != 2 or len(validation[0]) != len(validation[1]) or not validation[0]
    ):
        raise ValueError("validation must be (X_val, y_val), with the same, non-zero number of samples in each")
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

    watcher = watcher_for(live, X, y, predicted_class if classifying else None)
    replayed = _replayed_steps(forward, params, X) if traced else None
    with tqdm(total=epochs * steps_per_epoch, disable=not progress, desc="training", unit="step", leave=True) as bar:
        for _ in range(epochs):
            if batch_size:
                shuffle(order)
            total_loss, correct = 0.0, 0
            lr = optimizer.lr
            for start in range(0, len(X), size):
                batch = order[start : start + size]
                xs, ys = [X[i] for i in batch], [y[i] for i in batch]
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
                    val_outputs = _outputs(forward, validation[0])
                    history.validation_loss.append(objective(val_outputs, validation[1]).data)
                    val_correct = _correct(val_outputs, validation[1]) if classifying else None
                history.validation_accuracy.append(None if val_correct is None else val_correct / len(validation[0]))
            if watcher is not None:
                val = (history.validation_loss[-1], history.validation_accuracy[-1]) if validation else (None, None)
                watcher.update(model, Progress(len(history), epochs, history.loss[-1], history.accuracy[-1], *val))
    if watcher is not None:
        watcher.close(model)
    return history
