"""Float functions that follow IEEE-754 the way PyTorch float64 does, and never raise.

Python's ``math`` module raises where IEEE-754 (and PyTorch) return a special value:
``math.exp(1000)`` raises ``OverflowError`` where the answer is ``inf``, ``math.log(0.0)`` raises
``ValueError`` where it is ``-inf``, ``1.0 / 0.0`` raises ``ZeroDivisionError`` where it is ``inf``.
The engine computes every value and every local derivative through these functions, so an
operation never raises: it returns ``inf``, ``-inf`` or ``nan`` exactly as ``torch.float64`` does.
"""

from __future__ import annotations

import math
import numbers

__all__ = [
    "INF",
    "NAN",
    "as_float",
    "clamp",
    "cos",
    "div",
    "elu",
    "erf",
    "exp",
    "fma",
    "gelu",
    "gelu_tanh",
    "gelu_tanh_slope",
    "leaky_relu",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "pow",
    "power",
    "real",
    "relu",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "softplus",
    "sqrt",
    "tanh",
    "whole",
]

INF = math.inf
NAN = math.nan


def as_float(x: object, where: str) -> float:
    """The float a plain number stands for (an int beyond the float range rounds to an infinity, as
    IEEE-754 does), or a TypeError that says, for ``where``, what was wrong and what to do.

    A number is any real number (``numbers.Real``): Python's ints and floats, ``Fraction``, numpy's
    ``np.float32`` or ``np.int64``, and an array of one number (``np.array(1.0)``, 0-d), which numpy gives
    where a scalar is meant. A bool is refused, as the engine refuses it: ``True`` is rarely meant as 1.0.
    """
    if type(x) is float:
        return x
    number = real(x)
    if number is not None:
        return number
    if isinstance(x, bool) or _numpy_kind(x) == "b":
        raise TypeError(
            f"{where}: got the bool {x!r}; a bool is not accepted as a number here. "
            f"If you mean 1.0 or 0.0, convert it explicitly with float(...)."
        )
    text = repr(x)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if _numpy_kind(x) is not None and getattr(x, "shape", ()) != ():
        raise TypeError(
            f"{where}: got an array of shape {x.shape}; a number is one value: take one entry, "  # type: ignore[attr-defined]
            f"like a[0], or make one Value per entry."
        )
    raise TypeError(
        f"{where}: got {type(x).__name__} {shown}; expected a Value or a plain int or float. "
        f"Convert it first, e.g. Value(float(...)), or use a Value."
    )


def real(x: object) -> float | None:
    """The float a real number stands for, or None when ``x`` is not one (a bool is not one here).

    Real numbers are ``numbers.Real`` (ints, floats, ``Fraction``, numpy's scalars) and numpy's arrays of
    one number (0-d). An int beyond the float range rounds to an infinity, as IEEE-754 does.
    """
    if type(x) is float:  # speed: the common cases first, without the ABC's check
        return x
    if isinstance(x, bool):
        return None
    if not isinstance(x, numbers.Real):
        if _numpy_kind(x) not in ("f", "i", "u") or getattr(x, "shape", None) != ():
            return None
        x = x.item()  # type: ignore[attr-defined]  # a 0-d array: its one number, as a Python int or float
        assert isinstance(x, (int, float))  # numpy's item() of a float or an int array
    try:
        return float(x)
    except OverflowError:
        return INF if x > 0 else -INF  # type: ignore[operator]  # a Real orders; typeshed doesn't say


def whole(x: object) -> int | None:
    """The int a whole number stands for (``2``, ``np.int64(2)``, ``2.0``, ``np.array(2)``), or None for
    anything else: ``0.6``, ``nan``, ``inf``, a bool, a string. This is how a class index is read."""
    if isinstance(x, bool):
        return None
    if isinstance(x, numbers.Integral):
        return int(x)
    number = real(x)
    return int(number) if number is not None and number.is_integer() else None


def _numpy_kind(x: object) -> str | None:
    """The kind of a numpy scalar's or array's numbers ('f' float, 'i' int, 'u' unsigned, 'b' bool, ...),
    or None for anything numpy did not make. Read without importing numpy."""
    dtype = getattr(x, "dtype", None)
    kind = getattr(dtype, "kind", None)
    return kind if isinstance(kind, str) and type(x).__module__ == "numpy" else None


tanh = math.tanh  # never raises: tanh(±inf) = ±1, tanh(nan) = nan
erf = math.erf  # never raises: erf(±inf) = ±1, erf(nan) = nan


def fma(a: float, b: float, c: float) -> float:
    """``a*b + c`` rounded once (IEEE-754's fused multiply-add), never raising.

    PyTorch's compiled kernels fuse ``a*b + c`` where they can: ``tanh``'s derivative there is
    ``fma(-y, y, 1)``, the correctly rounded ``1 - y**2``, and so it is here. In the usual range, the
    product and the sum are split into exact pairs of floats (Dekker's product, Knuth's sum) and
    the small parts added with rounding to odd, which makes the last rounding the only one (Boldo
    and Melquiond, 2008); near overflow or underflow, the exact sum is computed with integers.
    """
    if _FMA_LOW < abs(a) < _FMA_HIGH and _FMA_LOW < abs(b) < _FMA_HIGH and abs(c) < _FMA_HIGH_C:
        high = a * b
        t = _SPLIT * a
        a_high = t - (t - a)
        a_low = a - a_high
        t = _SPLIT * b
        b_high = t - (t - b)
        b_low = b - b_high
        low = ((a_high * b_high - high) + a_high * b_low + a_low * b_high) + a_low * b_low  # a*b = high + low
        total = c + high
        t = total - c
        rest = (c - (total - t)) + (high - t)  # c + high = total + rest
        small = rest + low
        t = small - rest
        error = (rest - (small - t)) + (low - t)  # rest + low = small + error
        if error != 0.0 and not (math.frexp(small)[0] * _TWO_53) % 2.0:  # round small to odd
            small = math.nextafter(small, INF if error > 0.0 else -INF)
        return total + small
    return _exact_fma(a, b, c)


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two halves of 26 bits
_TWO_53 = 9007199254740992.0
_FMA_LOW, _FMA_HIGH, _FMA_HIGH_C = 2.0**-450, 2.0**450, 2.0**1000  # where no step can overflow or underflow


def _exact_fma(a: float, b: float, c: float) -> float:
    """``fma`` anywhere, with Python's integers (a float is an integer over a power of two)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return a * b + c  # inf or nan in the product: the rounding of a finite part cannot matter
    if not math.isfinite(c):
        return c + 0.0  # a finite product plus inf or nan (an overflowing a*b must not make inf - inf)
    na, da = a.as_integer_ratio()
    nb, db = b.as_integer_ratio()
    nc, dc = c.as_integer_ratio()
    numerator = na * nb * dc + nc * da * db
    if numerator == 0:  # an exact zero: its sign is the float sum's (-0.0 only for -0.0 + -0.0)
        return a * b + c
    try:
        return numerator / (da * db * dc)  # int / int is correctly rounded, subnormals included
    except OverflowError:
        return INF if numerator > 0 else -INF


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


def reciprocal(x: float) -> float:
    """1 / x, as ``div(1.0, x)``: ``1 / ±0`` is a signed infinity."""
    return div(1.0, x)


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
    return 0.5 * x * (1.0 + math.tanh(GELU_BETA * fma(GELU_KAPPA, x * x * x, x)))  # PyTorch's kernel fuses x + k x^3


def gelu_tanh_slope(x: float) -> float:
    """The derivative of ``gelu_tanh`` at ``x``, as PyTorch's kernel computes it (with its fused
    multiply-adds): ``(1 + t)/2 + x (1 - t**2) u'/2``, ``t = tanh(u)``, ``u = beta (x + kappa x**3)``."""
    x_sq = x * x
    t = math.tanh(GELU_BETA * fma(GELU_KAPPA, x_sq * x, x))
    return 0.5 * (1.0 + t) + 0.5 * x * fma(-t, t, 1.0) * (GELU_BETA * fma(3.0 * GELU_KAPPA, x_sq, 1.0))


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
