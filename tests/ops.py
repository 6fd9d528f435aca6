"""The table of operations the tests check three ways: by hand, by central differences, against PyTorch.

Each row pairs our operation with PyTorch's on float64 tensors, plus the interval where the
function is smooth (for central differences) and the kinks inside it to keep away from.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

from tinygrad_scalar import Value, maximum, minimum

Tensor = Any  # torch.Tensor; kept loose so the table reads simply


@dataclass(frozen=True)
class Unary:
    name: str
    ours: Callable[[Value], Value]
    torch: Callable[[Tensor], Tensor]
    lo: float
    hi: float
    kinks: tuple[float, ...] = ()

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Binary:
    name: str
    ours: Callable[[Value, Value], Value]
    torch: Callable[[Tensor, Tensor], Tensor]
    lo: tuple[float, float]
    hi: tuple[float, float]
    smooth: Callable[[float, float], bool] = lambda a, b: True  # False near a kink (a tie of max and min)

    def __str__(self) -> str:
        return self.name


UNARY = [
    # primitives
    Unary("exp", lambda x: x.exp(), torch.exp, -20, 20),
    Unary("log", lambda x: x.log(), torch.log, 0.01, 100),
    Unary("tanh", lambda x: x.tanh(), torch.tanh, -5, 5),
    Unary("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, -10, 10),
    Unary("relu", lambda x: x.relu(), torch.relu, -5, 5, kinks=(0.0,)),
    Unary("sin", lambda x: x.sin(), torch.sin, -10, 10),
    Unary("cos", lambda x: x.cos(), torch.cos, -10, 10),
    Unary("sqrt", lambda x: x.sqrt(), torch.sqrt, 0.01, 100),
    Unary("abs", lambda x: abs(x), torch.abs, -5, 5, kinks=(0.0,)),
    Unary("pow2", lambda x: x**2, lambda t: t**2, -10, 10),
    Unary("pow3", lambda x: x**3, lambda t: t**3, -10, 10),
    Unary("pow_half", lambda x: x**0.5, lambda t: t**0.5, 0.01, 100),
    Unary("pow_minus1", lambda x: x**-1, lambda t: t**-1, 0.1, 10),
    Unary("pow_zero", lambda x: x**0, lambda t: t**0, -10, 10),
    # the operations an MLP course uses next
    Unary("log1p", lambda x: x.log1p(), torch.log1p, -0.99, 100),
    Unary("erf", lambda x: x.erf(), torch.erf, -5, 5),
    Unary("leaky_relu", lambda x: x.leaky_relu(), lambda t: F.leaky_relu(t, 0.01), -5, 5, kinks=(0.0,)),
    Unary("leaky_relu_0.2", lambda x: x.leaky_relu(0.2), lambda t: F.leaky_relu(t, 0.2), -5, 5, kinks=(0.0,)),
    Unary("elu", lambda x: x.elu(), F.elu, -5, 5, kinks=(0.0,)),
    Unary("elu_0.5", lambda x: x.elu(0.5), lambda t: F.elu(t, 0.5), -5, 5, kinks=(0.0,)),
    Unary("softplus", lambda x: x.softplus(), F.softplus, -30, 30, kinks=(20.0,)),
    Unary("silu", lambda x: x.silu(), F.silu, -10, 10),
    Unary("gelu", lambda x: x.gelu(), F.gelu, -6, 6),
    Unary("gelu_tanh", lambda x: x.gelu("tanh"), lambda t: F.gelu(t, approximate="tanh"), -6, 6),
    Unary("clamp", lambda x: x.clamp(-1.0, 2.0), lambda t: torch.clamp(t, -1.0, 2.0), -5, 5, kinks=(-1.0, 2.0)),
    Unary("clamp_lo", lambda x: x.clamp(lo=0.5), lambda t: torch.clamp(t, min=0.5), -5, 5, kinks=(0.5,)),
    # derived, and every reflected form
    Unary("neg", lambda x: -x, lambda t: -t, -10, 10),
    Unary("add_const", lambda x: x + 2.5, lambda t: t + 2.5, -10, 10),
    Unary("radd", lambda x: 2.5 + x, lambda t: 2.5 + t, -10, 10),
    Unary("sub_const", lambda x: x - 2.5, lambda t: t - 2.5, -10, 10),
    Unary("rsub", lambda x: 2.5 - x, lambda t: 2.5 - t, -10, 10),
    Unary("mul_const", lambda x: x * 2.5, lambda t: t * 2.5, -10, 10),
    Unary("rmul", lambda x: 2.5 * x, lambda t: 2.5 * t, -10, 10),
    Unary("div_const", lambda x: x / 2.5, lambda t: t / 2.5, -10, 10),
    Unary("rdiv", lambda x: 2.5 / x, lambda t: 2.5 / t, 0.1, 10),
    Unary("rpow", lambda x: 2.5**x, lambda t: 2.5**t, -10, 10),
]

BINARY = [
    Binary("add", lambda a, b: a + b, lambda a, b: a + b, (-10, -10), (10, 10)),
    Binary("mul", lambda a, b: a * b, lambda a, b: a * b, (-10, -10), (10, 10)),
    Binary("sub", lambda a, b: a - b, lambda a, b: a - b, (-10, -10), (10, 10)),
    Binary("div", lambda a, b: a / b, lambda a, b: a / b, (-10, 0.1), (10, 10)),
    Binary("pow", lambda a, b: a**b, lambda a, b: a**b, (0.1, -3), (5, 3)),
    Binary("maximum", maximum, torch.maximum, (-10, -10), (10, 10), smooth=lambda a, b: abs(a - b) > 1e-3),
    Binary("minimum", minimum, torch.minimum, (-10, -10), (10, 10), smooth=lambda a, b: abs(a - b) > 1e-3),
]

SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-310, 710.0, -710.0, 1e300, -1e300, math.inf, -math.inf, math.nan]
"""Values where IEEE-754 special cases live: signed zeros, subnormals, overflow, infinities, nan."""


def leaf(x: float) -> Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_unary(op: Unary, x: float, upstream: float = 1.0) -> tuple[float, float]:
    """PyTorch's value of op(x) and its gradient, with ``upstream`` fed in at the output."""
    t = leaf(x)
    y = op.torch(t)
    y.backward(torch.tensor(upstream, dtype=torch.float64))
    return y.item(), t.grad.item()


def ours_unary(op: Unary, x: float, upstream: float = 1.0) -> tuple[float, float]:
    v = Value(x)
    y = op.ours(v)
    y.backward(upstream)
    return y.data, v.grad


def torch_binary(op: Binary, a: float, b: float, upstream: float = 1.0) -> tuple[float, float, float]:
    ta, tb = leaf(a), leaf(b)
    y = op.torch(ta, tb)
    y.backward(torch.tensor(upstream, dtype=torch.float64))
    return y.item(), ta.grad.item(), tb.grad.item()


def ours_binary(op: Binary, a: float, b: float, upstream: float = 1.0) -> tuple[float, float, float]:
    va, vb = Value(a), Value(b)
    y = op.ours(va, vb)
    y.backward(upstream)
    return y.data, va.grad, vb.grad


def same(x: float, y: float) -> bool:
    """Equal as IEEE-754 results: both nan, or equal (so inf == inf, and 0.0 == -0.0)."""
    return (math.isnan(x) and math.isnan(y)) or x == y


def close(x: float, y: float, rel: float = 1e-12, abs_tol: float = 1e-300) -> bool:
    """Within ``rel`` relative error (or ``abs_tol`` absolute), or the same special value."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return same(x, y)
    return abs(x - y) <= rel * max(abs(x), abs(y)) or abs(x - y) <= abs_tol


def rounding_floor(upstream: float) -> float:
    """The absolute error any float64 engine makes in a gradient computed from a rounded output.

    A saturated tanh or sigmoid has its derivative computed from its output: (1-t)(1+t) with
    t = 0.99999994 keeps only the last few bits of t, so one ulp of difference in t (PyTorch's
    vectorised tanh and the C library's differ by one ulp at times) moves the derivative by about
    2 * 2**-53, relatively 1e-9 of a tiny number. Comparisons allow that much, times the upstream
    gradient, and 1e-12 relative everywhere else.
    """
    return 8 * sys.float_info.epsilon * max(1.0, abs(upstream))
