"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer holds a list of parameters and changes their ``data`` from their ``grad``::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

Each follows ``torch.optim``'s update formulas operation for operation, in the same order of
floating-point operations as its single-tensor CPU implementation, so the same problem gives the same
parameters (tested to 1e-12 after 20 steps).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.engine import Value

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineDecay",
    "LinearDecay",
    "Optimizer",
    "RMSprop",
    "Schedule",
    "StepDecay",
    "clip_grad_norm",
    "clip_grad_value",
]


def _check_rate(what: str, value: object) -> None:
    """A learning rate (or a factor of one): a finite number >= 0, so that no step is NaN or infinite."""
    number = ieee.real(value)  # any real number, numpy's np.float32 too; not a bool
    if number is None or not 0.0 <= number < math.inf:
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")


def _check_steps(what: str, value: object) -> None:
    """A number of steps that a schedule divides by: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:  # np.int64 too
        raise ValueError(f"{what} must be a whole number of steps >= 1, got {value!r}")


class Optimizer:
    """Base class: the parameters, the learning rate ``lr``, ``zero_grad()`` and ``step()``."""

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        _check_rate("the learning rate", lr)
        self.lr = lr
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaves accumulate gradients across backward passes)."""
        for p in self.parameters:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient."""
        self.steps += 1
        for i, p in enumerate(self.parameters):
            p.data = self._update(i, p.data, p.grad)

    def _update(self, i: int, p: float, g: float) -> float:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (classic or Nesterov) and weight decay.

    ``g = grad + weight_decay * p``; with momentum, ``buf = momentum * buf + (1 - dampening) * g``
    (``buf = g`` on the first step) and the step uses ``buf`` (Nesterov: ``g + momentum * buf``);
    then ``p -= lr * step``.
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(parameters, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening, self.weight_decay, self.nesterov = momentum, dampening, weight_decay, nesterov
        self.buffers: list[float | None] = [None] * len(self.parameters)

    def _update(self, i: int, p: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = self.buffers[i]
            buf = g if buf is None else buf * self.momentum + (1 - self.dampening) * g
            self.buffers[i] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return p + -self.lr * g


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), computed as PyTorch's ``lerp`` does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Adam(Optimizer):
    """Adam: running averages of the gradient (``m``) and of its square (``v``), bias-corrected.

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g**2``, then
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2); see ``AdamW`` for decoupled decay.
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.m = [0.0] * len(self.parameters)
        self.v = [0.0] * len(self.parameters)

    def _decay(self, p: float, g: float) -> tuple[float, float]:
        """Weight decay: Adam adds it to the gradient."""
        return p, g + self.weight_decay * p if self.weight_decay else g

    def _update(self, i: int, p: float, g: float) -> float:
        beta1, beta2 = self.betas
        p, g = self._decay(p, g)
        self.m[i] = m = _lerp(self.m[i], g, 1 - beta1)
        self.v[i] = v = self.v[i] * beta2 + (1 - beta2) * g * g
        step_size = ieee.div(self.lr, 1 - beta1**self.steps)
        denom = ieee.div(ieee.sqrt(v), ieee.sqrt(1 - beta2**self.steps)) + self.eps
        return p + -step_size * ieee.div(m, denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step."""

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(parameters, lr, betas, eps, weight_decay)

    def _decay(self, p: float, g: float) -> tuple[float, float]:
        return p * (1 - self.lr * self.weight_decay), g


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    ``sq = alpha sq + (1 - alpha) g**2``; ``avg = sqrt(sq) + eps`` (centered: ``sqrt(sq - mean(g)**2)``);
    ``p -= lr * g / avg``, or with momentum ``buf = momentum buf + g / avg`` and ``p -= lr * buf``.
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(parameters, lr)
        self.alpha, self.eps, self.weight_decay, self.momentum, self.centered = (
            alpha,
            eps,
            weight_decay,
            momentum,
            centered,
        )
        n = len(self.parameters)
        self.square_avg, self.grad_avg, self.buffers = [0.0] * n, [0.0] * n, [0.0] * n

    def _update(self, i: int, p: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * p
        self.square_avg[i] = sq = self.square_avg[i] * self.alpha + (1 - self.alpha) * g * g
        if self.centered:
            self.grad_avg[i] = mean = _lerp(self.grad_avg[i], g, 1 - self.alpha)
            avg = ieee.sqrt(sq + -1 * mean * mean) + self.eps
        else:
            avg = ieee.sqrt(sq) + self.eps
        if self.momentum > 0:
            self.buffers[i] = buf = self.buffers[i] * self.momentum + ieee.div(g, avg)
            return p + -self.lr * buf
        return p + -self.lr * ieee.div(g, avg)


# ---- learning-rate schedules ----------------------------------------------------------------------


class Schedule:
    """Sets ``optimizer.lr`` for each step from the step number: call ``step()`` after ``optimizer.step()``.

    The schedules below check their arguments when they are made: a number of steps is a whole
    number >= 1 (0 steps would divide by zero: there is no schedule over no steps), and every rate
    is a finite number >= 0, as the optimizer's own ``lr``.
    """

    def __init__(self, optimizer: Optimizer, rate: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.rate = rate
        self.count = 0
        optimizer.lr = rate(0)

    def step(self) -> None:
        self.count += 1
        self.optimizer.lr = self.rate(self.count)


class LinearDecay(Schedule):
    """From ``start`` down to ``end`` over ``steps`` steps, then ``end``. micrograd's demo uses
    ``LinearDecay(opt, 1.0, 0.1, 100)``: ``lr = 1.0 - 0.9 * k / 100``."""

    def __init__(self, optimizer: Optimizer, start: float, end: float, steps: int) -> None:
        _check_rate("the start rate of LinearDecay", start)
        _check_rate("the end rate of LinearDecay", end)
        _check_steps("LinearDecay's steps", steps)
        super().__init__(optimizer, lambda k: start - (start - end) * min(k, steps) / steps)


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` steps (PyTorch's ``StepLR``)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _check_steps("StepDecay's step_size", step_size)
        _check_rate("StepDecay's gamma", gamma)
        base = optimizer.lr
        super().__init__(optimizer, lambda k: base * gamma ** (k // step_size))


class CosineDecay(Schedule):
    """From the optimizer's rate down to ``eta_min`` along half a cosine over ``steps`` steps
    (PyTorch's ``CosineAnnealingLR``, closed form)."""

    def __init__(self, optimizer: Optimizer, steps: int, eta_min: float = 0.0) -> None:
        _check_steps("CosineDecay's steps", steps)
        _check_rate("CosineDecay's eta_min", eta_min)
        base = optimizer.lr
        super().__init__(
            optimizer, lambda k: eta_min + (base - eta_min) * (1 + math.cos(math.pi * min(k, steps) / steps)) / 2
        )


# ---- gradient clipping ----------------------------------------------------------------------------


def clip_grad_norm(parameters: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients together so that their Euclidean norm is at most ``max_norm``; returns the
    norm before clipping. The direction of the gradient is kept (PyTorch's ``clip_grad_norm_``)."""
    params = list(parameters)
    total = math.sqrt(math.fsum(p.grad * p.grad for p in params))
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for p in params:
            p.grad *= coefficient
    return total


def clip_grad_value(parameters: Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient into ``[-clip_value, clip_value]`` (PyTorch's ``clip_grad_value_``)."""
    for p in parameters:
        p.grad = min(max(p.grad, -clip_value), clip_value)
