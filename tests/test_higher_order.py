"""Higher-order derivatives against PyTorch's double backward, and the functional API."""

import random

import pytest
import torch

from tests.ops import BINARY, UNARY, Binary, Unary, close, leaf
from tinygrad_scalar import Value
from tinygrad_scalar.transforms.functional import grad, gradients, hessian, value_and_grad


def torch_derivatives(f, x: float, order: int) -> list[float]:
    """The first `order` derivatives of f at x, by PyTorch's create_graph."""
    t = leaf(x)
    current = f(t)
    out = []
    for _ in range(order):
        if not current.requires_grad:
            out.append(0.0)
            current = torch.zeros((), dtype=torch.float64)
            continue
        (current,) = torch.autograd.grad(current, t, create_graph=True)
        out.append(current.item())
    return out


def tolerance(*xs: float) -> float:
    """Absolute floor for derivatives computed from rounded intermediate values (see tests.ops)."""
    return 1e-14 * max(1.0, *(abs(x) for x in xs))


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_second_derivative_of_every_operation_matches_pytorch(op: Unary):
    """grad(grad(op)) equals PyTorch's double backward, to 1e-12 relative, across the op's domain."""
    rng = random.Random(op.name)
    second = grad(grad(op.ours))
    for _ in range(30):
        x = rng.uniform(op.lo, op.hi)
        if any(abs(x - k) < 1e-3 for k in op.kinks):
            continue
        expected = torch_derivatives(op.torch, x, 2)[1]
        assert close(second(x), expected, abs_tol=tolerance(expected)), (op.name, x, second(x), expected)


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_hessian_of_every_binary_operation_matches_pytorch(op: Binary):
    """The 2x2 Hessian of each binary operation equals torch.autograd.functional.hessian."""
    rng = random.Random(op.name)
    for _ in range(20):
        a, b = rng.uniform(op.lo[0], op.hi[0]), rng.uniform(op.lo[1], op.hi[1])
        ours = hessian(op.ours)(a, b)
        ref = torch.autograd.functional.hessian(
            lambda ab: op.torch(ab[0], ab[1]), torch.tensor([a, b], dtype=torch.float64)
        ).tolist()
        for i in range(2):
            for j in range(2):
                assert close(ours[i][j], ref[i][j], abs_tol=tolerance(ref[i][j])), (op.name, a, b, i, j)


@pytest.mark.parametrize(
    ("name", "ours", "theirs"), [("tanh", Value.tanh, torch.tanh), ("sigmoid", Value.sigmoid, torch.sigmoid)]
)
def test_third_derivatives_of_tanh_and_sigmoid_match_pytorch(name, ours, theirs):
    """grad(grad(grad(tanh))) and the same for sigmoid equal PyTorch's, to 1e-12 relative."""
    third = grad(grad(grad(ours)))
    for x in [-3.0, -1.2, -0.3, 0.0, 0.4, 1.7, 2.9]:
        expected = torch_derivatives(theirs, x, 3)[2]
        assert close(third(x), expected, abs_tol=tolerance(expected)), (name, x)


def composite(x, y):
    """A composite with reuse and a diamond: x feeds four operations."""
    return (x * y + x.tanh()) * x + (x / y).exp() - (x * x).sigmoid() * y


def test_hessian_of_a_composite_with_reuse_matches_pytorch():
    """The Hessian of a graph where x is used several times equals PyTorch's."""
    for x, y in [(0.3, 1.2), (-0.7, 2.0), (1.1, -0.9)]:
        ours = hessian(composite)(x, y)

        def f(v):
            return (v[0] * v[1] + torch.tanh(v[0])) * v[0] + torch.exp(v[0] / v[1]) - torch.sigmoid(v[0] * v[0]) * v[1]

        ref = torch.autograd.functional.hessian(f, torch.tensor([x, y], dtype=torch.float64)).tolist()
        assert all(close(ours[i][j], ref[i][j], abs_tol=tolerance(ref[i][j])) for i in range(2) for j in range(2))


def test_backward_with_create_graph_makes_gradients_values():
    """backward(create_graph=True): grad is a Value that can itself be differentiated."""
    x = Value(0.7)
    y = x**3 + x.sin()
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    assert close(first.data, 3 * 0.7**2 + torch.cos(torch.tensor(0.7, dtype=torch.float64)).item())
    x.grad = 0.0
    first.backward()
    expected = torch_derivatives(lambda t: t**3 + torch.sin(t), 0.7, 2)[1]
    assert close(x.grad, expected)


def test_default_backward_keeps_float_gradients():
    """Without create_graph, gradients stay plain floats."""
    x = Value(2.0)
    (x * x).backward()
    assert type(x.grad) is float


def test_value_and_grad_with_several_argnums():
    """value_and_grad returns the value and a tuple of gradients for a tuple of argnums."""
    value, (gx, gz) = value_and_grad(lambda x, y, z: x * y * z, argnums=(0, 2))(2.0, 3.0, 4.0)
    assert (value, gx, gz) == (24.0, 12.0, 6.0)
    assert grad(lambda x, y: x * y, argnums=1)(2.0, 5.0) == 2.0


def test_newtons_method_with_grad_of_grad():
    """Newton's method on f(x) = x**4 - 3x**2 + x uses grad(f) and grad(grad(f)) and finds a minimum."""

    def f(x):
        return x**4 - 3 * x**2 + x

    df, d2f = grad(f), grad(grad(f))
    x = 1.5
    for _ in range(20):
        x = x - df(x) / d2f(x)
    assert abs(df(x)) < 1e-12 and d2f(x) > 0


def test_gradients_leave_grad_fields_alone():
    """gradients() is functional: no grad field of the graph changes."""
    x, y = Value(1.0), Value(2.0)
    out = x * y
    (gx, gy) = gradients(out, [x, y])
    assert (gx.data, gy.data) == (2.0, 1.0)
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)


def test_bad_arguments():
    """argnums out of range and a function that returns no Value are clear errors."""
    with pytest.raises(ValueError, match="out of range"):
        grad(lambda x: x, argnums=3)(1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        grad(lambda x: 3.0)(1.0)
