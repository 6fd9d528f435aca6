"""Mistake recognition: each wrong answer is built by making the mistake by hand, on a small graph, and
the hint must name that mistake; right answers (within the tolerance) are right."""

import math

import pytest

from tinygrad_scalar import Value
from tinygrad_scalar.teaching.practice import (
    ASSIGN,
    NO_LOCAL,
    NO_UPSTREAM,
    ONE_PATH,
    OTHER_INPUT,
    SIGN,
    WRONG_FUNCTION,
    check_answer,
    likely_mistakes,
)


def diamond():
    """x feeds a and b, which meet again: L = (x·3) · (x + 1), at x = 2."""
    x = Value(2.0, label="x")
    a = x * 3.0
    a.label = "a"
    b = x + 1.0
    b.label = "b"
    L = a * b
    L.label = "L"
    return x, a, b, L


def test_right_answer_within_the_tolerance_is_right():
    """An answer rounded to two decimals counts as the engine's gradient."""
    x = Value(0.5, label="x")
    y = x.tanh()
    right = 1.0 - math.tanh(0.5) ** 2  # 0.7864...
    assert check_answer(y, x, round(right, 2)).correct
    assert not check_answer(y, x, round(right, 2) + 0.02).correct


def test_one_path_answer_is_named_one_path():
    """Following one path of a diamond instead of summing both is recognised as the one-path mistake."""
    x, _a, b, L = diamond()
    # dL/dx = b·3 + a·1 = 9 + 6 = 15; through a alone: dL/da · da/dx = b · 3 = 9
    one_path = b.data * 3.0
    verdict = check_answer(L, x, one_path)
    assert not verdict.correct
    assert ONE_PATH in verdict.hint and "L ← a ← x" in verdict.hint


def test_forgotten_upstream_is_named():
    """Giving only the local derivative, without the upstream gradient, is recognised."""
    w = Value(3.0, label="w")
    x = Value(2.0, label="x")
    y = w * x
    L = y * 5.0  # dL/dy = 5, dL/dw = 5 · x = 10
    local_only = x.data  # d(w·x)/dw, the upstream 5 forgotten
    verdict = check_answer(L, w, local_only)
    assert NO_UPSTREAM in verdict.hint


def test_forgotten_local_derivative_is_named():
    """Passing the upstream gradient on unchanged is recognised."""
    w = Value(3.0, label="w")
    x = Value(2.0, label="x")
    L = (w * x) * 5.0
    upstream_only = 5.0 * 1.0  # dL/d(w·x) = 5, the local derivative x forgotten
    assert NO_LOCAL in check_answer(L, w, upstream_only).hint


def test_sign_error_is_named():
    """The right number with the wrong sign is recognised as a sign error."""
    x = Value(2.0, label="x")
    L = 1.0 - x * 3.0  # dL/dx = -3
    assert SIGN in check_answer(L, x, 3.0).hint


def test_assignment_instead_of_accumulation_is_named():
    """A backward pass that overwrites (=) instead of adding (+=) gives a number recognised as that mistake."""
    x, a, b, L = diamond()
    # the broken pass by hand: L's step sets a.grad = b, b.grad = a; then b's step sets x.grad = 1 · b.grad,
    # then a's step *overwrites* it: x.grad = 3 · a.grad
    grads = {L: 1.0}
    grads[a] = grads[L] * b.data
    grads[b] = grads[L] * a.data
    grads_x = grads[b] * 1.0
    grads_x = grads[a] * 3.0  # = instead of +=: the earlier contribution is lost
    verdict = check_answer(L, x, grads_x)
    assert not verdict.correct
    assert ASSIGN in verdict.hint


def test_tanh_taken_for_its_derivative_is_named():
    """Using tanh(x) where 1 - tanh(x)^2 belongs is recognised as the derivative of the wrong function."""
    x = Value(0.5, label="x")
    y = x.tanh()
    L = y * 2.0
    wrong = 2.0 * math.tanh(0.5)  # upstream 2 times tanh itself
    verdict = check_answer(L, x, wrong)
    assert WRONG_FUNCTION in verdict.hint and "tanh(x) itself" in verdict.hint


def test_power_rule_without_its_factor_is_named():
    """x^(k-1) taken for k·x^(k-1) is recognised as the derivative of the wrong function."""
    x = Value(3.0, label="x")
    L = x**2
    assert WRONG_FUNCTION in check_answer(L, x, 3.0).hint  # x^1 instead of 2·x^1


def test_other_input_derivative_is_named():
    """∂(a·b)/∂b used for ∂(a·b)/∂a is recognised."""
    a = Value(3.0, label="a")
    b = Value(5.0, label="b")
    L = (a * b) * 2.0
    wrong = 2.0 * a.data  # the derivative with respect to b is a
    assert OTHER_INPUT in check_answer(L, a, wrong).hint


def test_unrecognised_answer_says_what_to_check():
    """A number no mistake explains gets the general advice, not a wrong diagnosis."""
    x, _a, _b, L = diamond()
    verdict = check_answer(L, x, 1234.5)
    assert not verdict.correct and verdict.mistakes == ()
    assert "not a mistake I recognise" in verdict.hint


def test_checking_leaves_gradients_unchanged():
    """Checking an answer runs a fresh pass without touching any grad of the graph."""
    x, _a, _b, L = diamond()
    x.grad = 42.0
    check_answer(L, x, 0.0)
    assert x.grad == 42.0 and L.grad == 0.0


def test_value_outside_the_graph_is_refused():
    """Asking about a value the output does not depend on raises, naming the problem."""
    _x, _a, _b, L = diamond()
    with pytest.raises(ValueError, match="not part of the output's graph"):
        likely_mistakes(L, Value(1.0))
