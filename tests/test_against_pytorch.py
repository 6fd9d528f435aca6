"""Layer 3: values and gradients agree with PyTorch float64, per operation and on random composite graphs."""

import itertools
import math
import random

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tests.ops import (
    BINARY,
    SPECIALS,
    UNARY,
    Binary,
    Unary,
    close,
    leaf,
    ours_binary,
    ours_unary,
    rounding_floor,
    same,
    torch_binary,
    torch_unary,
)
from tinygrad_scalar import Value

UPSTREAMS = [1.0, -2.0, math.inf, math.nan]


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_unary_matches_pytorch(op: Unary):
    """Value and gradient of each unary operation equal PyTorch's to 1e-12 relative on its whole domain
    (or within the rounding floor of a derivative computed from a saturated output)."""

    @given(st.floats(-1e3, 1e3), st.floats(-10, 10))
    def check(x: float, upstream: float) -> None:
        ours, ref = ours_unary(op, x, upstream), torch_unary(op, x, upstream)
        floor = rounding_floor(upstream)
        assert all(close(a, b, abs_tol=floor) for a, b in zip(ours, ref)), (x, upstream, ours, ref)

    check()


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_binary_matches_pytorch(op: Binary):
    """Value and both gradients of each binary operation equal PyTorch's to 1e-12 relative."""

    @given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(-10, 10))
    def check(a: float, b: float, upstream: float) -> None:
        ours, ref = ours_binary(op, a, b, upstream), torch_binary(op, a, b, upstream)
        floor = rounding_floor(upstream)
        assert all(close(x, y, abs_tol=floor) for x, y in zip(ours, ref)), (a, b, upstream, ours, ref)

    check()


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_unary_special_values_match_pytorch(op: Unary):
    """At signed zeros, subnormals, overflow, ±inf and nan, with finite and non-finite upstream
    gradients, every unary operation gives PyTorch's value and gradient (inf, -inf, nan included)."""
    for x, upstream in itertools.product(SPECIALS, UPSTREAMS):
        ours, ref = ours_unary(op, x, upstream), torch_unary(op, x, upstream)
        assert all(close(a, b) for a, b in zip(ours, ref)), (op.name, x, upstream, ours, ref)


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_binary_special_values_match_pytorch(op: Binary):
    """Every pair of special values, for every binary operation, gives PyTorch's value and gradients."""
    for a, b, upstream in itertools.product(SPECIALS, SPECIALS, UPSTREAMS):
        ours, ref = ours_binary(op, a, b, upstream), torch_binary(op, a, b, upstream)
        assert all(close(x, y) for x, y in zip(ours, ref)), (op.name, a, b, upstream, ours, ref)


C_LIBRARY = {"exp", "tanh", "sin", "cos", "sqrt", "pow_half", "log1p", "erf"}
"""The operations whose value is a C-library function (or sqrt, correctly rounded), where PyTorch's kernel may give
the float 1 ulp away (docs/guide/engine.md, Numerics). Every other operation is PyTorch's formula, step for step."""


@pytest.mark.parametrize("op", [op for op in UNARY if op.name not in C_LIBRARY], ids=str)
def test_unary_matches_pytorch_bit_for_bit(op: Unary):
    """Every unary operation outside the C library, reflected forms included (2 / x, 2 - x), gives PyTorch's
    value and gradient to the last bit at 400 random points of its domain, with a random upstream gradient."""
    rng = random.Random(op.name)
    for _ in range(400):
        x, upstream = rng.uniform(op.lo, op.hi), rng.uniform(-3.0, 3.0)
        ours, ref = ours_unary(op, x, upstream), torch_unary(op, x, upstream)
        assert all(same(a, b) for a, b in zip(ours, ref)), (op.name, x, upstream, ours, ref)


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_binary_matches_pytorch_bit_for_bit(op: Binary):
    """Every binary operation gives PyTorch's value and both gradients to the last bit at 400 random points."""
    rng = random.Random(op.name)
    for _ in range(400):
        a, b = rng.uniform(op.lo[0], op.hi[0]), rng.uniform(op.lo[1], op.hi[1])
        upstream = rng.uniform(-3.0, 3.0)
        ours, ref = ours_binary(op, a, b, upstream), torch_binary(op, a, b, upstream)
        assert all(same(x, y) for x, y in zip(ours, ref)), (op.name, a, b, upstream, ours, ref)


# ---- random composite graphs, with reuse and diamonds ----------------------------------------

_GRAPH_UNARY = [op for op in UNARY if op.name in {"exp", "tanh", "sigmoid", "relu", "sin", "cos", "neg", "pow2"}]
_GRAPH_BINARY = [op for op in BINARY if op.name in {"add", "mul", "sub", "div"}]


def _random_graph(seed: int, n_inputs: int = 4, n_ops: int = 40):
    """Build the same random graph in both engines. Operands are drawn from every earlier node,
    so nodes are reused and paths meet again (diamonds). Steps whose value leaves [-1e6, 1e6]
    are dropped, so the comparison is about well-defined numbers, not overflow."""
    rng = random.Random(seed)
    xs = [rng.uniform(-2, 2) for _ in range(n_inputs)]
    ours = [Value(x) for x in xs]
    ref = [leaf(x) for x in xs]
    for _ in range(n_ops):
        if rng.random() < 0.5:
            op = rng.choice(_GRAPH_UNARY)
            i = rng.randrange(len(ours))
            candidate, twin = op.ours(ours[i]), op.torch(ref[i])
        else:
            op = rng.choice(_GRAPH_BINARY)
            i, j = rng.randrange(len(ours)), rng.randrange(len(ours))
            if op.name == "div" and abs(ours[j].data) < 0.1:
                continue
            candidate, twin = op.ours(ours[i], ours[j]), op.torch(ref[i], ref[j])
        if math.isfinite(candidate.data) and abs(candidate.data) < 1e6:
            ours.append(candidate)
            ref.append(twin)
    # The root uses the last few nodes, so most of the graph is reached by more than one path.
    root, ref_root = ours[-1], ref[-1]
    for k in range(2, min(6, len(ours)) + 1):
        root, ref_root = root + ours[-k] * 0.5, ref_root + ref[-k] * 0.5
    return ours[:n_inputs], root, ref[:n_inputs], ref_root


@pytest.mark.parametrize("seed", range(60))
def test_random_composite_graph_matches_pytorch(seed: int):
    """On random graphs with reuse and diamonds, the root and every input's gradient equal PyTorch's
    to 1e-12 relative."""
    inputs, root, ref_inputs, ref_root = _random_graph(seed)
    root.backward()
    ref_root.backward()
    assert close(root.data, ref_root.item())
    for v, t in zip(inputs, ref_inputs):
        expected = 0.0 if t.grad is None else t.grad.item()  # an input no path reaches
        assert close(v.grad, expected), (seed, v.grad, expected)


def test_backward_with_upstream_gradient_matches_pytorch():
    """backward(gradient=g) scales every gradient by g, as tensor.backward(g)."""
    x = Value(0.7)
    y = (x * x).tanh() * x.exp()
    y.backward(-3.5)
    t = leaf(0.7)
    (torch.tanh(t * t) * torch.exp(t)).backward(torch.tensor(-3.5, dtype=torch.float64))
    assert close(x.grad, t.grad.item())
