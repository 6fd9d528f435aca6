"""Float functions that follow IEEE-754 the way PyTorch float64 does, and never raise.

Python's ``math`` module raises where IEEE-754 (and PyTorch) return a special value:
``math.exp(1000)`` raises ``OverflowError`` where the answer is ``inf``, ``math.log(0.0)`` raises
``ValueError`` where it is ``-inf``, ``1.0 / 0.0`` raises ``ZeroDivisionError`` where it is ``inf``.
The engine computes every value and every local derivative through these functions, so an
operation never raises: it returns ``inf``, ``-inf`` or ``nan`` exactly as ``torch.float64`` does.
"""

from __future__ import annotations

import math

__all__ = [
    "INF",
    "NAN",
    "clamp",
    "cos",
    "div",
    "elu",
    "erf",
    "exp",
    "gelu",
    "gelu_tanh",
    "leaky_relu",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "pow",
    "power",
    "relu",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "softplus",
    "sqrt",
    "tanh",
]

INF = math.inf
NAN = math.nan

tanh = math.tanh  # never raises: tanh(±inf) = ±1, tanh(nan) = nan
erf = math.erf  # never raises: erf(±inf) = ±1, erf(nan) = nan


def _is_odd_integer(y: float) -> bool:
    return y % 2.0 == 1.0  # false for inf and nan, whose remainder is nan


def exp(x: float) -> float:
    """e**x; ``inf`` when the result is too large for a float."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural logarithm: ``log(0) = -inf``, ``log(x < 0) = nan``."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative numbers, -inf and nan


def sqrt(x: float) -> float:
    """Square root: ``sqrt(-0.0) = -0.0``, ``sqrt(x < 0) = nan``."""
    return math.sqrt(x) if x >= 0.0 else NAN


def sin(x: float) -> float:
    """Sine: ``sin(±inf) = nan``."""
    return math.sin(x) if math.isfinite(x) else NAN


def cos(x: float) -> float:
    """Cosine: ``cos(±inf) = nan``."""
    return math.cos(x) if math.isfinite(x) else NAN


def sigmoid(x: float) -> float:
    """1 / (1 + e**-x), PyTorch's formula; ``exp`` above keeps ``sigmoid(-1000) = 0.0`` from overflowing."""
    return 1.0 / (1.0 + exp(-x))


def div(x: float, y: float) -> float:
    """x / y, with ``x / ±0`` giving a signed infinity and ``0 / 0`` giving ``nan``."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def pow(x: float, y: float) -> float:  # noqa: A001 - the name of the math it computes, as math.pow
    """x**y as C's ``pow``: overflow gives ``±inf``, ``0**-1 = inf``, ``(-8)**(1/3) = nan``.

    Python's own ``**`` returns a complex number for a negative base and a fractional
    exponent; here, as in PyTorch, that is ``nan``.
    """
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if x < 0.0 and _is_odd_integer(y) else INF
    except ValueError:
        if x == 0.0:  # zero to a negative power: a pole, signed like the zero when y is odd
            return math.copysign(INF, x) if _is_odd_integer(y) else INF
        return NAN  # negative base, non-integer exponent


def power(x: float, k: float) -> float:
    """x**k for a constant exponent ``k``, with the special cases PyTorch's ``pow(tensor, scalar)`` uses.

    PyTorch computes ``x**2`` as ``x*x``, ``x**3`` as ``x*x*x``, ``x**-1`` as ``1/x``, ``x**-2`` as
    ``1/(x*x)``, ``x**0.5`` as ``sqrt(x)`` and ``x**-0.5`` as ``1/sqrt(x)``; other exponents go to
    ``pow``. The results differ from ``pow`` in the last bit, and at the special values:
    ``(-0.0)**0.5`` is ``-0.0`` and ``(-inf)**0.5`` is ``nan``, as for ``sqrt``.
    """
    if k == 2.0:
        return x * x
    if k == 3.0:
        return x * x * x
    if k == -1.0:
        return div(1.0, x)
    if k == -2.0:
        return div(1.0, x * x)
    if k == 0.5:
        return sqrt(x)
    if k == -0.5:
        return div(1.0, sqrt(x))
    return pow(x, k)


def log1p(x: float) -> float:
    """log(1 + x), accurate for small x: ``log1p(-1) = -inf``, ``log1p(x < -1) = nan``."""
    if x > -1.0:
        return math.log1p(x)
    if x == -1.0:
        return -INF
    return NAN  # below -1, -inf and nan


def relu(x: float) -> float:
    """max(0, x), keeping ``-0.0`` and ``nan`` as PyTorch does."""
    return 0.0 if x < 0.0 else x


def sign(x: float) -> float:
    """1, -1 or 0 (also for nan): the derivative of ``abs``, as PyTorch uses it."""
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def leaky_relu(x: float, slope: float) -> float:
    """x where x > 0, else ``slope * x`` (PyTorch's formula; nan stays nan)."""
    return x if x > 0.0 else x * slope


def elu(x: float, alpha: float) -> float:
    """x where x > 0 (or nan), else ``alpha * (e**x - 1)``, with ``expm1`` as PyTorch."""
    return alpha * math.expm1(x) if x <= 0.0 else x


SOFTPLUS_THRESHOLD = 20.0
"""Above this, softplus(x) is x itself (PyTorch's default threshold, with beta = 1)."""


def softplus(x: float) -> float:
    """log(1 + e**x), smooth ReLU; ``x`` itself above 20, as PyTorch's default."""
    return x if x > SOFTPLUS_THRESHOLD else log1p(exp(x))


def silu(x: float) -> float:
    """x * sigmoid(x), computed as PyTorch does: ``x / (1 + e**-x)``."""
    return div(x, 1.0 + exp(-x))


SQRT1_2 = math.sqrt(0.5)  # C's M_SQRT1_2
GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5  # sqrt(2/pi), as PyTorch writes it
GELU_KAPPA = 0.044715


def gelu(x: float) -> float:
    """x * Phi(x), the Gaussian error linear unit, in PyTorch's exact erf form."""
    return x * 0.5 * (1.0 + math.erf(x * SQRT1_2))


def gelu_tanh(x: float) -> float:
    """PyTorch's tanh approximation of gelu: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``."""
    return 0.5 * x * (1.0 + math.tanh(GELU_BETA * (x + GELU_KAPPA * (x * x * x))))


def maximum(a: float, b: float) -> float:
    """The larger of a and b; nan if either is nan, as ``torch.maximum``."""
    if a != a or b != b:
        return NAN
    return b if a < b else a


def minimum(a: float, b: float) -> float:
    """The smaller of a and b; nan if either is nan, as ``torch.minimum``."""
    if a != a or b != b:
        return NAN
    return b if b < a else a


def clamp(x: float, lo: float, hi: float) -> float:
    """x limited to [lo, hi] as ``torch.clamp``: ``min(max(x, lo), hi)``, nan stays nan."""
    return minimum(maximum(x, lo), hi)
