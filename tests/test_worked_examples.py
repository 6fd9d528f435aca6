"""Layer 1: hand-computed cases with exact numbers, including the worked examples of the seeds."""

import math
import random

import pytest
import torch

from tinygrad_scalar import Value, maximum, minimum


def test_linear_then_square_gives_28_42_14():
    """y = w*x + b, L = y**2 at x=2, w=3, b=1: dL/dy = 2y = 14, dL/dw = 14*x = 28, dL/dx = 14*w = 42."""
    x, w, b = Value(2.0), Value(3.0), Value(1.0)
    y = w * x + b
    L = y**2
    L.backward()
    assert (y.data, L.data) == (7.0, 49.0)
    assert (w.grad, x.grad, b.grad) == (28.0, 42.0, 14.0)
    assert y.grad == 14.0


def test_sum_rule_for_a_variable_used_twice():
    """f = (x + y) * y at x=2, y=3: df/dx = y = 3, df/dy = y + (x + y) = 8."""
    x, y = Value(2.0), Value(3.0)
    f = (x + y) * y
    f.backward()
    assert f.data == 15.0
    assert (x.grad, y.grad) == (3.0, 8.0)


def test_chain_rule_through_sin_of_square():
    """d/dx sin(x**2) = cos(x**2) * 2x; at x = pi/4 that is cos(pi**2/16) * pi/2."""
    x = Value(math.pi / 4)
    y = (x**2).sin()
    y.backward()
    assert y.data == math.sin((math.pi / 4) ** 2)
    assert x.grad == pytest.approx(math.cos(math.pi**2 / 16) * math.pi / 2, rel=1e-15)


def test_relu_gradients_are_0_1_1():
    """relu at [-2, 1, 3]: the flat side passes no gradient, the linear side passes all of it."""
    xs = [Value(-2.0), Value(1.0), Value(3.0)]
    total = sum(x.relu() for x in xs)
    total.backward()
    assert [x.grad for x in xs] == [0.0, 1.0, 1.0]
    assert total.data == 4.0


def test_sigmoid_slope_is_a_quarter_where_it_is_one_half():
    """sigmoid(0) = 0.5 and sigmoid'(z) = s(1 - s) = 0.25 there."""
    z = Value(0.0)
    s = z.sigmoid()
    s.backward()
    assert (s.data, z.grad) == (0.5, 0.25)


@pytest.mark.parametrize(
    ("name", "x", "value", "grad"),
    [
        ("exp", 0.0, 1.0, 1.0),  # d e^x/dx = e^x
        ("log", 2.0, math.log(2.0), 0.5),  # d log x/dx = 1/x
        ("tanh", 0.0, 0.0, 1.0),  # 1 - tanh(0)^2
        ("sin", 0.0, 0.0, 1.0),  # cos 0
        ("cos", 0.0, 1.0, -0.0),  # -sin 0
        ("sqrt", 4.0, 2.0, 0.25),  # 1 / (2 * 2)
        ("abs", -3.0, 3.0, -1.0),  # sign(-3)
        ("relu", 0.0, 0.0, 0.0),  # relu'(0) = 0, as PyTorch
        ("abs", 0.0, 0.0, 0.0),  # abs'(0) = 0, as PyTorch
    ],
)
def test_unary_primitive_by_hand(name, x, value, grad):
    """Each unary primitive's value and local derivative at a point where both are known exactly."""
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert (out.data, v.grad) == (value, grad)


def test_power_with_constant_exponent():
    """x**3 at 2: 8, and d/dx = 3 x**2 = 12."""
    x = Value(2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)


def test_power_with_value_exponent_gets_both_gradients():
    """a**b at (2, 3): 8; d/da = b a**(b-1) = 12, d/db = a**b log a = 8 log 2."""
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (8.0, 12.0, 8.0 * math.log(2.0))


def test_subtraction_and_division():
    """a - b and a / b at (6, 3): d(a-b) = (1, -1); d(a/b) = (1/b, -a/b**2) = (1/3, -2/3)."""
    a, b = Value(6.0), Value(3.0)
    (a - b).backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    a, b = Value(6.0), Value(3.0)
    q = a / b
    q.backward()
    assert (q.data, a.grad, b.grad) == (2.0, 1 / 3, -2 / 3)


def test_reflected_forms_put_the_constant_first():
    """2 + x, 2 - x, 2 * x, 2 ** x: right values and gradients, the constant as first parent (2 / x: below)."""
    x = Value(4.0)
    cases = [
        (lambda: 2 + x, 6.0, 1.0),
        (lambda: 2 - x, -2.0, -1.0),
        (lambda: 2 * x, 8.0, 2.0),
        (lambda: 2**x, 16.0, 16.0 * math.log(2.0)),
    ]
    for make, value, grad in cases:
        x.grad = 0.0
        out = make()
        out.backward()
        assert (out.data, x.grad) == (value, grad)
        assert out._prev[0].data == 2.0  # the constant is the first argument, as written


def test_a_number_over_a_value_is_its_reciprocal_times_the_number_as_pytorch_computes_it():
    """2 / x is 1/x, then times 2, as PyTorch computes 2 / t (two roundings, the gradient through 1/x): at
    x = 4 the value 0.5 and the gradient -2/16; 1 / x is the reciprocal alone; Value(2) / x is one division."""
    x = Value(4.0)
    out = 2 / x
    out.backward()
    assert (out.data, x.grad) == (0.5, -2 / 16)
    inverse, two = out._prev
    assert (out._op, inverse._op, inverse._prev, two.data) == ("*", "1/", (x,), 2.0)
    assert (1 / x)._op == "1/" and (Value(2.0) / x)._op == "/"


def test_a_number_over_a_value_gives_pytorchs_floats_bit_for_bit():
    """c / x: value and gradient equal PyTorch's c / t to the last bit, at 2,000 random points (where a single
    division would round differently from PyTorch for about one point in seven)."""
    rng = random.Random(7)
    for _ in range(2000):
        c, a, g = rng.uniform(-10, 10), rng.uniform(-50, 50), rng.uniform(-3, 3)
        x = Value(a)
        (c / x).backward(g)
        t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        (c / t).backward(torch.tensor(g, dtype=torch.float64))
        assert ((c / x).data, x.grad) == ((c / t).item(), t.grad.item()), (c, a, g)


def test_negation():
    """-x = x * -1: value -x, gradient -1."""
    x = Value(5.0)
    y = -x
    y.backward()
    assert (y.data, x.grad) == (-5.0, -1.0)


def test_micrograd_readme_expression():
    """The expression in micrograd's README: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773."""
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


# ---- the operations an MLP course uses next, by hand -------------------------------------------------------


def _value_and_grad(make, x):
    v = Value(x)
    out = make(v)
    out.backward()
    return out.data, v.grad


@pytest.mark.parametrize(
    ("name", "make", "x", "value", "slope"),
    [
        ("leaky_relu, negative side", lambda v: v.leaky_relu(0.1), -2.0, -0.2, 0.1),
        ("leaky_relu at 0 takes the slope", lambda v: v.leaky_relu(0.1), 0.0, 0.0, 0.1),
        ("elu at 0: alpha e^0", lambda v: v.elu(0.5), 0.0, 0.0, 0.5),
        ("elu, positive side", lambda v: v.elu(0.5), 3.0, 3.0, 1.0),
        ("softplus(0) = log 2, slope sigmoid(0)", lambda v: v.softplus(), 0.0, math.log(2.0), 0.5),
        ("silu(0) = 0, slope 1/2", lambda v: v.silu(), 0.0, 0.0, 0.5),
        ("gelu(0) = 0, slope Phi(0) = 1/2", lambda v: v.gelu(), 0.0, 0.0, 0.5),
        ("gelu tanh form at 0", lambda v: v.gelu("tanh"), 0.0, 0.0, 0.5),
        ("clamp above the top: flat", lambda v: v.clamp(-1.0, 2.0), 3.0, 2.0, 0.0),
        ("clamp inside: identity", lambda v: v.clamp(-1.0, 2.0), 0.5, 0.5, 1.0),
        ("log1p at 0: slope 1", lambda v: v.log1p(), 0.0, 0.0, 1.0),
        ("erf at 0: slope 2/sqrt(pi)", lambda v: v.erf(), 0.0, 0.0, 2.0 / math.sqrt(math.pi)),
    ],
)
def test_new_operations_by_hand(name, make, x, value, slope):
    """Each new operation's value and slope at a point worked out by hand."""
    assert _value_and_grad(make, x) == pytest.approx((value, slope), rel=1e-15, abs=1e-300), name


def test_maximum_and_minimum_share_the_gradient_at_a_tie():
    """max(2, 2) and min(2, 2) give each input half the gradient (PyTorch's convention); elsewhere one takes all."""
    a, b = Value(2.0), Value(2.0)
    maximum(a, b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)
    a, b = Value(1.0), Value(3.0)
    minimum(a, b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
