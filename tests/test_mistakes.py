"""The classic broken backward passes, replayed: each broken pass is also written out by hand (or run in
the real micrograd) and must give the same wrong numbers; "why is this gradient zero?" names each cause."""

import math

import micrograd.engine as mg
import pytest

from tinygrad_scalar import Value
from tinygrad_scalar.teaching.mistakes import (
    ASSIGN,
    CANCEL,
    FLAT_RELU,
    NO_LOCAL,
    NO_ORDER,
    NO_PATH,
    SATURATED,
    TIMES_ZERO,
    TWICE,
    WRONG_COLOR,
    forgotten_zero_grad,
    replay,
    why_zero,
)


def reused(value=Value):
    """L = (u + 1)·(u·2) with u = x·x at x = 3: u is used twice, x twice by u."""
    x = value(3.0)
    u = x * x
    L = (u + 1.0) * (u * 2.0)
    return x, u, L


def test_replay_without_topological_order_pushes_too_early():
    """Depth-first recursion lets u pass its gradient on before u·2 has given its share: x gets 6·18."""
    x, _u, L = reused()
    r = replay(L, NO_ORDER)
    # by hand: L's step gives u+1 the gradient u·2 = 18; the recursion goes into u+1 first, gives u 18,
    # and goes on into u at once: x gets 2x · 18 = 108; u·2's contribution 2·10 reaches u only later
    assert r.broken[x] == 2 * 3.0 * 18.0 and r.correct[x] == 2 * 3.0 * 38.0
    assert r.wrong() == [x]


def test_replay_of_assignment_keeps_the_last_contribution():
    """With = instead of +=, u keeps only u+1's contribution, and x only one of its two uses in x·x."""
    x, u, L = reused()
    r = replay(L, ASSIGN)
    assert r.broken[u] == 18.0  # the last contribution: from u + 1, whose gradient is u·2 = 18
    assert r.broken[x] == 3.0 * 18.0  # x·x gives x·upstream twice, the second overwrites the first
    assert set(r.wrong()) == {u, x}


def test_replay_of_backward_twice_matches_micrograd():
    """Calling backward() twice in the real micrograd gives exactly the replay's doubled-up gradients."""
    x, u, L = reused()
    r = replay(L, TWICE)
    mx, mu, mL = reused(mg.Value)
    mL.backward()
    mL.backward()
    assert (r.broken[x], r.broken[u]) == (mx.grad, mu.grad) == (912.0, 114.0)


def test_replay_of_missing_local_derivative_passes_upstream_unchanged():
    """Forgetting local derivatives passes 1 down every edge: x gets the number of paths, 4."""
    x, u, L = reused()
    r = replay(L, NO_LOCAL)
    assert r.broken[u] == 2.0 and r.broken[x] == 4.0


def test_replay_leaves_gradients_unchanged_and_draws_wrong_values_in_red():
    """A replay changes no grad, and its picture outlines exactly the wrong values in red."""
    x, u, L = reused()
    r = replay(L, ASSIGN)
    source = r.draw().source
    assert x.grad == 0.0 and u.grad == 0.0
    outlined = [line for line in source.splitlines() if "shape=record" in line and WRONG_COLOR in line]
    assert len(outlined) == len(r.wrong()) == 2
    assert "a gradient this broken pass (= instead of +=) gets wrong" in source  # the legend says what red means
    assert "grad 18" in source  # the broken gradient of u is what the picture shows


def test_unknown_mistake_is_refused():
    """Asking for a broken pass that does not exist names the ones that do."""
    _x, _u, L = reused()
    with pytest.raises(ValueError, match="the broken passes are"):
        replay(L, "forgot the chain rule")


def test_forgetting_zero_grad_keeps_the_loss_from_settling():
    """Without zero_grad the loss keeps oscillating; with it, it falls below 0.001."""
    r = forgotten_zero_grad()
    assert r.with_zero_grad[-1] < 1e-3
    assert max(r.without_zero_grad[-10:]) > 1.0
    assert r.with_zero_grad[0] == r.without_zero_grad[0]  # the same start


def test_why_zero_names_a_dead_relu():
    """A ReLU whose input is negative is named as the flat ReLU side."""
    z = Value(-2.0, label="z")
    L = z.relu() * 3.0
    why = why_zero(L, z)
    assert why.causes == (FLAT_RELU,) and "flat side" in why.text()


def test_why_zero_names_a_saturated_tanh_and_sigmoid():
    """tanh(30) and sigmoid(-40) pass back (practically) nothing: named as saturation."""
    t = Value(30.0, label="t")
    s = Value(-40.0, label="s")
    L = t.tanh() + s.sigmoid()
    assert why_zero(L, t).causes == (SATURATED,)
    assert why_zero(L, s).causes == (SATURATED,)


def test_why_zero_names_a_multiplication_by_zero():
    """x times a weight 0 gets no gradient: named as a multiplication by zero."""
    x, w = Value(2.0, label="x"), Value(0.0, label="w")
    assert why_zero(x * w, x).causes == (TIMES_ZERO,)


def test_why_zero_follows_a_zero_upstream_gradient():
    """When the value's consumer has gradient 0 itself, the answer follows it up to the dead ReLU."""
    x = Value(2.0, label="x")
    h = (x * -1.0).relu()
    L = h * 5.0
    why = why_zero(L, x)
    assert why.causes == (FLAT_RELU,) and "its own gradient" in why.text()


def test_why_zero_names_no_path_and_cancelling_contributions():
    """A value the output does not use has no path; a - a cancels."""
    a = Value(2.0, label="a")
    L = a * 3.0 - a * 3.0
    assert why_zero(L, Value(1.0, label="q")).causes == (NO_PATH,)
    assert why_zero(L, a).causes == (CANCEL,)


def test_why_zero_says_when_a_gradient_is_not_zero():
    """A nonzero gradient is reported as such, with no cause."""
    x = Value(2.0, label="x")
    why = why_zero(x * 3.0, x)
    assert why.causes == () and why.text() == "∂out/∂x = 3 is not zero" and not math.isnan(why.grad)
