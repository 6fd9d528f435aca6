"""Training: ``fit`` runs the loop micrograd's demo writes by hand, with a progress bar.

>>> from tinygrad_scalar.data import make_xor
>>> from tinygrad_scalar.nn import MLP
>>> X, y = make_xor(40, seed=0)
>>> model = MLP(2, [8, 1], activation="tanh", seed=0)
>>> history = fit(model, X, y, loss="hinge", epochs=60, progress=False)
>>> history.accuracy[-1]
1.0
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinygrad_scalar import losses
from tinygrad_scalar.engine import Value, no_grad
from tinygrad_scalar.live import Progress, Watcher, live_view
from tinygrad_scalar.nn import Module
from tinygrad_scalar.optim import SGD, Optimizer, Schedule, clip_grad_norm
from tinygrad_scalar.trace import trace

__all__ = ["LOSSES", "History", "accuracy", "fit", "predict", "predicted_class"]

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


def _flat_outputs(
    objective: Callable[[Sequence[Output], Sequence[float]], Value],
    forward: Callable[[list[float]], Output],
    X: Sequence[Sequence[float]],
    y: Sequence[float],
) -> list[Value]:
    """The traced step's outputs: the objective first, then every model output, flattened."""
    outputs = _outputs(forward, X)
    return [objective(outputs, y), *(o for out in outputs for o in (out if isinstance(out, list) else [out]))]


def _regroup(values: Sequence[float], samples: int) -> list[Output]:
    """The traced model outputs, as the model gave them: one score, or a list of logits, per sample."""
    width = len(values) // samples
    if width == 1:
        return [Value(v) for v in values]
    return [[Value(v) for v in values[i * width : (i + 1) * width]] for i in range(samples)]


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
    traced: bool = False,
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

    ``traced=True`` traces the full-batch step once (``tinygrad_scalar.trace``) and replays the
    compiled program every step: the same numbers (bit for bit with the hinge, bce and mse losses;
    to rounding with cross_entropy, whose log-sum-exp shift is frozen at the traced logits), several
    times faster, after a one-time cost of a few seconds to trace and compile a large model. It needs
    ``batch_size=None`` (the data are part of the traced program).

    ``validation=(X_val, y_val)`` measures the loss (data loss plus L2, like the training loss) and
    the accuracy on held-out samples after every epoch, without building a graph.

    ``live=True`` in Jupyter draws the training as it goes, in one picture updated in place (see
    ``tinygrad_scalar.live``); in a plain script it changes nothing (the progress bar shows). ``live``
    may also be any ``live.Watcher``, told about every epoch.
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
    if traced and batch_size:
        raise ValueError("traced=True compiles the full-batch step: use batch_size=None")
    optimizer = optimizer or SGD(model.parameters(), lr=0.1)
    scheduler = schedule(optimizer) if schedule else None
    size = batch_size or len(X)
    order = list(range(len(X)))
    shuffle = random.Random(seed).shuffle
    history = History()

    from tqdm.auto import tqdm

    steps_per_epoch = -(-len(X) // size)
    classifying = loss != "mse"
    params = model.parameters()

    def objective(outputs: Sequence[Output], ys: Sequence[float]) -> Value:
        total = _data_loss(loss, outputs, ys)
        return total + losses.l2(params, l2) if l2 else total

    watcher = live_view(live, X, y, predicted_class if classifying else None)
    if traced:
        # The parameters are the inputs of the trace; the model reads them itself, as the same leaves.
        compiled = trace(lambda ps: _flat_outputs(objective, forward, X, y), params)
    with tqdm(total=epochs * steps_per_epoch, disable=not progress, desc="training", unit="step", leave=True) as bar:
        for _ in range(epochs):
            if batch_size:
                shuffle(order)
            total_loss, correct = 0.0, 0
            lr = optimizer.lr
            for start in range(0, len(X), size):
                batch = order[start : start + size]
                xs, ys = [X[i] for i in batch], [y[i] for i in batch]
                if traced:
                    values, grads = compiled.value_and_grad_flat([p.data for p in params])
                    for p, g in zip(params, grads):
                        p.grad = g
                    step_loss, outputs = values[0], _regroup(values[1:], len(X))
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
