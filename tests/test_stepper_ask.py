"""Ask-before-reveal in the HTML stepper, driven in a real headless Chromium with the keyboard: right,
wrong and revealed answers, the hint each classic mistake gets, and the final score."""

import math
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests import test_practice
from tinygrad_scalar import Value
from tinygrad_scalar.teaching.formulas import d_text as _d
from tinygrad_scalar.teaching.practice import (
    ASSIGN,
    NO_LOCAL,
    NO_UPSTREAM,
    ONE_PATH,
    OTHER_INPUT,
    SIGN,
    WRONG_FUNCTION,
    tolerance_text,
)
from tinygrad_scalar.teaching.stepper import stepper


def diamond():
    """L = (x·3)·(x + 1) at x = 2 (the practice tests' graph): dL/dx = 15, by two paths (9 through a, 6 through b)."""
    return test_practice.diamond()[-1]


def open_page(page: Page, root: Value, tmp_path: Path) -> None:
    path = tmp_path / "ask.html"
    stepper(root, ask=True).save(path)
    page.goto(path.as_uri())
    page.focus(".tgs-stepper")


def go_to_question(page: Page, name: str) -> None:
    """Step with the right arrow, revealing any other question on the way, until ``name`` is asked."""
    for _ in range(40):
        quiz = page.query_selector(".tgs-quiz.tgs-current")
        if quiz is not None:
            for row in quiz.query_selector_all(".tgs-question"):
                if row.query_selector(".tgs-answer:not([disabled])") is None:
                    continue
                if row.text_content().startswith(f"{name} ="):
                    row.query_selector(".tgs-answer").focus()
                    return
                row.query_selector(".tgs-reveal").click()
        page.focus(".tgs-stepper")
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"{name} was never asked")


def answer(page: Page, name: str, number: float) -> str:
    """Type ``number`` for ``name`` and press Enter; the feedback shown."""
    row = page.locator(".tgs-quiz.tgs-current .tgs-question", has_text=f"{name} =")
    row.locator(".tgs-answer").fill("")
    row.locator(".tgs-answer").focus()
    page.keyboard.type(f"{number:.4f}")
    page.keyboard.press("Enter")
    return row.locator(".tgs-feedback").text_content()


def test_the_step_is_hidden_until_answered_and_the_page_cannot_skip_ahead(page: Page, tmp_path: Path):
    """At a step that asks, the equation and the new gradients stay hidden and next does not move on."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    step = page.get_attribute(".tgs-stepper", "data-step")
    assert "answer or reveal to go on" in page.text_content(".tgs-counter")
    picture = page.locator(".tgs-frame.tgs-current .tgs-q-picture")
    assert picture.is_visible() and "grad ?" in picture.text_content()
    assert not page.locator(".tgs-frame.tgs-current .tgs-a-picture").is_visible()
    assert page.locator(".tgs-equation:visible").count() == 0
    page.click(".tgs-next")
    assert page.get_attribute(".tgs-stepper", "data-step") == step


def test_a_right_answer_reveals_the_step_and_scores(page: Page, tmp_path: Path):
    """Typing the right gradients (within the tolerance) marks them right and shows the step's equation."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    assert answer(page, "∂L/∂a", 3.004).startswith("right")  # dL/da = b = 3, within 0.01
    assert answer(page, "∂L/∂b", 6.0).startswith("right")
    assert page.locator(".tgs-equation:visible").text_content().startswith("step 1: L = a·b")
    assert "grad 3" in page.locator(".tgs-frame.tgs-current .tgs-a-picture").text_content()
    assert page.text_content(".tgs-score").startswith("score so far: 2 of 3 right (2 at the first try)")


def test_the_tolerance_is_shown_on_the_page(page: Page, tmp_path: Path):
    """The page says how close an answer must be."""
    open_page(page, diamond(), tmp_path)
    assert tolerance_text() in page.text_content(".tgs-score")


def test_a_wrong_answer_can_be_tried_again(page: Page, tmp_path: Path):
    """A wrong answer keeps the question open; a second, right try counts as right but not at the first try."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    assert "Try again, or reveal the step" in answer(page, "∂L/∂a", 7.0)
    assert page.locator(".tgs-equation:visible").count() == 0
    assert answer(page, "∂L/∂a", 3.0).startswith("right")
    assert "1 of 3 right (0 at the first try)" in page.text_content(".tgs-score")


def test_text_that_is_no_number_is_refused_without_counting(page: Page, tmp_path: Path):
    """Typing words asks for a number and costs no try."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    page.keyboard.type("three")
    page.keyboard.press("Enter")
    assert "type a number" in page.text_content(".tgs-quiz.tgs-current .tgs-feedback")
    assert answer(page, "∂L/∂a", 3.0).startswith("right")
    assert "(1 at the first try)" in page.text_content(".tgs-score")


def test_reveal_by_keyboard_shows_the_answer_and_counts_as_revealed(page: Page, tmp_path: Path):
    """Tab from the answer box reaches check, then reveal; Enter on it shows the gradient and the step."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    feedback = page.locator(".tgs-quiz.tgs-current .tgs-question", has_text="∂L/∂a =").locator(".tgs-feedback")
    assert feedback.text_content() == "revealed: ∂L/∂a = 3"
    assert "0 of 3 right (0 at the first try), 1 revealed" in page.text_content(".tgs-score")


def test_the_final_score_counts_right_first_tries_and_reveals(page: Page, tmp_path: Path):
    """After the last question the score is final: right answers, first tries and reveals, and the page can
    step to the end."""
    open_page(page, diamond(), tmp_path)
    go_to_question(page, "∂L/∂a")
    answer(page, "∂L/∂a", 3.0)
    answer(page, "∂L/∂b", 1.0)  # wrong first ...
    answer(page, "∂L/∂b", 6.0)  # ... right second
    assert page.get_attribute(".tgs-score", "data-final") == "no"
    go_to_question(page, "∂L/∂x")
    page.locator(".tgs-quiz.tgs-current .tgs-reveal").click()
    assert page.get_attribute(".tgs-score", "data-final") == "yes"
    assert page.text_content(".tgs-score").startswith("final score: 2 of 3 right (1 at the first try), 1 revealed")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.get_attribute(".tgs-stepper", "data-step") == str(page.locator(".tgs-frame").count() - 1)


def _chain():
    w, x = Value(3.0, label="w"), Value(2.0, label="x")
    y = w * x
    y.label = "y"
    L = y * 5.0  # dL/dw = 5·x = 10
    L.label = "L"
    return L


def _negative():
    x = Value(2.0, label="x")
    L = x * -3.0  # dL/dx = -3
    L.label = "L"
    return L


def _reused():
    x = Value(3.0, label="x")
    u = x + 1.0
    u.label = "u"
    v, w = u * 2.0, u * 3.0  # u reaches L by two paths, so its last contribution to x is no single path's
    v.label, w.label = "v", "w"
    s = v + w
    s.label = "s"
    L = s * x  # dL/dx = s + x·(2 + 3) = 20 + 15 = 35
    L.label = "L"
    return L


def _tanh():
    x = Value(0.5, label="x")
    y = x.tanh()
    y.label = "y"
    L = y * 2.0
    L.label = "L"
    return L


def _product():
    a, b = Value(3.0, label="a"), Value(5.0, label="b")
    u = a * b
    u.label = "u"
    L = u * 2.0  # dL/da = 2·b = 10
    L.label = "L"
    return L


# each wrong answer is made from its mistake by hand
MISTAKES = [
    (ONE_PATH, diamond, "∂L/∂x", 3.0 * 3.0),  # through a only: dL/da · da/dx = b · 3
    (NO_UPSTREAM, _chain, "∂L/∂w", 2.0),  # d(w·x)/dw = x, the upstream 5 forgotten
    (NO_LOCAL, _chain, "∂L/∂w", 5.0),  # the upstream 5 passed on, the local x forgotten
    (SIGN, _negative, "∂L/∂x", 3.0),  # -3 with its sign lost
    (ASSIGN, _reused, "∂L/∂x", 3.0 * (2.0 + 3.0)),  # u's step overwrites x.grad = 20 with dL/du · 1 = x·(2 + 3)
    (WRONG_FUNCTION, _tanh, "∂L/∂x", 2.0 * math.tanh(0.5)),  # tanh taken for 1 - tanh²
    (OTHER_INPUT, _product, "∂L/∂a", 2.0 * 3.0),  # ∂(a·b)/∂b = a used for ∂(a·b)/∂a
]


@pytest.mark.parametrize(("kind", "graph", "name", "wrong"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_gets_the_hint_that_names_it(page: Page, tmp_path: Path, kind, graph, name, wrong):
    """A wrong answer made by one classic mistake gets, in the page, the hint that names that mistake."""
    open_page(page, graph(), tmp_path)
    go_to_question(page, name)
    feedback = answer(page, name, wrong)
    assert feedback.startswith(f"{kind}:"), feedback
    row = page.locator(".tgs-quiz.tgs-current .tgs-question", has_text=f"{name} =")
    assert row.locator(".tgs-feedback").get_attribute("data-kind") == kind


def test_the_default_stepper_asks_nothing():
    """Without ask=True the page has no questions (the existing behaviour)."""
    document = stepper(diamond()).html()
    assert "tgs-quiz" not in document.split("<script>")[0].split("</style>")[1]
    assert 'class="tgs-data"' not in document


@pytest.mark.parametrize("label", ["<!--<script>", "</script><!--", "]]></script>&lt;", "x\u2028y"])
def test_a_label_that_opens_a_comment_or_ends_a_script_cannot_break_the_page(page: Page, tmp_path: Path, label: str):
    """Labels travel in the page's data as text, whatever they hold: the page's own script runs, asks for their
    gradients and checks the answers, and no error reaches the browser."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    x, y = Value(2.0, label=label), Value(3.0, label="y")
    loss = x * y
    loss.label = "L"
    open_page(page, loss, tmp_path)
    name = _d("L", label)  # ∂L/∂(<!--<script>): a name that is not a single symbol goes in brackets
    go_to_question(page, name)
    assert answer(page, name, 3.0).startswith("right")
    assert errors == []
