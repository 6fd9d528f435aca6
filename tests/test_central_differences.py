"""Layer 2: every operation's gradient agrees with a central difference, over many inputs (hypothesis)."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.ops import BINARY, UNARY, Binary, Unary
from tinygrad_scalar import Value

STEP = 1e-6


def _central_difference(f, x: float) -> float:
    h = STEP * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def _agrees(analytic: float, numeric: float) -> bool:
    return math.isclose(analytic, numeric, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_unary_gradient_matches_central_difference(op: Unary):
    """d op(x)/dx from backward() equals (op(x+h) - op(x-h)) / 2h where op is smooth."""

    @given(st.floats(op.lo, op.hi))
    def check(x: float) -> None:
        assume(all(abs(x - k) > 1e-3 for k in op.kinks))
        v = Value(x)
        op.ours(v).backward()
        numeric = _central_difference(lambda t: op.ours(Value(t)).data, x)
        assert _agrees(v.grad, numeric), (x, v.grad, numeric)

    check()


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_binary_gradients_match_central_differences(op: Binary):
    """Both partial derivatives of a binary operation equal central differences in each argument."""

    @given(st.floats(op.lo[0], op.hi[0]), st.floats(op.lo[1], op.hi[1]))
    def check(a: float, b: float) -> None:
        assume(op.smooth(a, b))
        va, vb = Value(a), Value(b)
        op.ours(va, vb).backward()
        da = _central_difference(lambda t: op.ours(Value(t), Value(b)).data, a)
        db = _central_difference(lambda t: op.ours(Value(a), Value(t)).data, b)
        assert _agrees(va.grad, da), (a, b, va.grad, da)
        assert _agrees(vb.grad, db), (a, b, vb.grad, db)

    check()


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.5, 3))
def test_composite_expression_matches_central_differences(x: float, w: float, b: float):
    """A neuron-like composite with reuse: every input's gradient equals its central difference."""

    def f(x_: float, w_: float, b_: float) -> Value:
        X, W, B = Value(x_), Value(w_), Value(b_)
        h = (X * W + B).tanh()
        return h * h + (B.log() - X / B).sigmoid() * W

    xs = [x, w, b]
    values = [Value(t) for t in xs]
    X, W, B = values
    h = (X * W + B).tanh()
    (h * h + (B.log() - X / B).sigmoid() * W).backward()
    for i, v in enumerate(values):

        def along_i(t: float, i: int = i) -> float:
            args = list(xs)
            args[i] = t
            return f(*args).data

        assert _agrees(v.grad, _central_difference(along_i, xs[i]))
