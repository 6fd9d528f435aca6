"""Exercises that ask: a blank asks without failing, a right answer is right, a wrong one is told what is
wrong without being told the answer, a prediction is compared, and a worked step stays folded."""

import pytest

from tinygrad_scalar import Value
from tinygrad_scalar.teaching.exercises import (
    check_derivative,
    check_exercise,
    check_number,
    check_prediction,
    is_blank,
    reveal,
)
from tinygrad_scalar.teaching.explanations import explain_grad


def _reuse() -> tuple[Value, Value]:
    """L = u·(u + x) with u = x·x at x = 2: ∂L/∂u = (u + x) + u = 6 + 4 = 10, worked by hand."""
    x = Value(2.0, label="x")
    u = x * x
    u.label = "u"
    v = u + x
    v.label = "v"
    L = u * v
    L.label = "L"
    return L, u


@pytest.mark.parametrize("blank", [..., None])
def test_a_blank_asks_for_the_answer_and_fails_nothing(blank):
    """Left as ... (or None), a gradient exercise says whose gradient to work out, and is neither right nor wrong."""
    L, u = _reuse()
    feedback = check_exercise(L, u, blank)
    assert is_blank(blank) and feedback.status == "blank" and not feedback.correct
    assert str(feedback) == "your turn: work out ∂L/∂u by hand, write it in place of the ... and run the cell again"
    assert repr(feedback) == str(feedback)


def test_a_right_gradient_is_right_and_a_slip_is_named():
    """10 is ∂L/∂u (to two decimals too); 6, the direct path alone, is named as one path of two."""
    L, u = _reuse()
    assert check_exercise(L, u, 10).correct and check_exercise(L, u, 10.004).correct
    slip = check_exercise(L, u, 6.0)
    assert slip.status == "wrong" and slip.text.startswith("one path instead of the sum of all paths")
    assert u.grad == 0.0  # the graph's gradients are not touched


def test_an_answer_that_is_not_a_number_is_refused_in_words():
    """A string or a bool where a number goes raises a TypeError saying what to write."""
    L, u = _reuse()
    with pytest.raises(TypeError, match=r"should be a number, like 2.5 or -1; got '10'"):
        check_exercise(L, u, "10")
    with pytest.raises(TypeError, match="should be a number"):
        check_number(True, 1.0, "the count")


def test_a_wrong_number_is_told_which_way_without_the_answer():
    """check_number says too large or too small, and never prints the expected number."""
    assert check_number(14.0, 14.0, "s.grad").text == "right: s.grad = 14"
    low, high = check_number(10.0, 14.0, "s.grad"), check_number(20.0, 14.0, "s.grad")
    assert "too small" in low.text and "too large" in high.text
    assert "14" not in low.text + high.text


def test_a_derivative_written_as_code_is_checked_against_the_measured_slope():
    """The contribution g·2x of square is right at 3; g·x is wrong and told the measured slope 6."""
    assert check_derivative(lambda x: x * x, ..., at=3.0, name="square").status == "blank"
    assert check_derivative(lambda x: x * x, lambda g, x, out: g * 2.0 * x, at=3.0, name="square").correct
    wrong = check_derivative(lambda x: x * x, lambda g, x, out: g * x, at=3.0, name="square")
    assert wrong.status == "wrong" and "gives 3 at x = 3" in wrong.text and "measured there is 6" in wrong.text
    with pytest.raises(TypeError, match="as a function of"):
        check_derivative(lambda x: x * x, 6.0, at=3.0)


def test_a_prediction_shows_the_outcome_only_once_written():
    """Blank, a prediction hides the outcome; written, it is compared: names as sets, numbers with tolerance."""
    blank = check_prediction(..., ["s"], "the wrong values")
    assert blank.status == "blank" and "s" not in blank.text.replace("values", "")
    assert check_prediction(["s"], ["s"], "the wrong values").correct
    assert check_prediction("a flat ReLU side", ("a flat ReLU side",), "the cause").correct
    assert check_prediction(["y", "s"], ("s", "y"), "the wrong values").correct
    wrong = check_prediction(["s", "y"], ["s"], "the wrong values")
    assert wrong.status == "wrong" and "you predicted s, y, but it is s" in wrong.text
    assert check_prediction(2.004, 2.0, "f''(0)").correct and not check_prediction(3, 2.0, "f''(0)").correct
    assert check_prediction("forward", "forward", "the cheaper mode").correct


def test_a_reveal_is_folded_in_jupyter_and_named_in_plain_text():
    """reveal shows a closed <details> with the escaped worked step; its repr names it without showing it."""
    L, u = _reuse()
    folded = reveal(explain_grad(L, u))
    assert str(folded) == str(explain_grad(L, u)) and "∂L/∂u = 6 + 4 = 10" in str(folded)
    assert "10" not in repr(folded) and repr(folded).startswith("Reveal the worked step")
    html = folded._repr_html_()
    assert html.startswith('<details class="tgs-worked-step"><summary') and "<details open" not in html
    assert "6 + 4 = 10" in html
    assert "&lt;b&gt;" in reveal("<b>", "x < y")._repr_html_() and "x &lt; y" in reveal("<b>", "x < y")._repr_html_()


def test_a_predicted_vector_is_compared_entry_by_entry():
    """A list of numbers is a vector: right when every entry is close, in order; wrong otherwise."""
    assert check_prediction([0.15, -0.3], (0.15, -0.3), "∂L/∂b").correct
    assert not check_prediction([-0.3, 0.15], (0.15, -0.3), "∂L/∂b").correct  # order matters for a vector
    short = check_prediction([0.15], (0.15, -0.3), "∂L/∂b")
    assert short.status == "wrong" and "you predicted [0.15], but it is [0.15, -0.3]" in short.text
