"""The stepper and the training replay in each language, in headless Chromium at 1366x768: the page's words,
what its script writes (counter, feedback, score) and its pictures' numbers are in the class's language, and an
answer typed with a decimal comma is read."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.test_stepper_ask import diamond
from tinygrad_scalar import MLP, Value
from tinygrad_scalar.core.language import LANGUAGES
from tinygrad_scalar.teaching.stepper import stepper
from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.training.fit import fit
from tinygrad_scalar.training.optim import SGD
from tinygrad_scalar.views.replay import Recorder, replay_page

SHOTS = Path(__file__).resolve().parent.parent / "out" / "languages"
"""Where the screenshots go, to look at (out/ is not part of the repository)."""

WORDS = {
    "en": ("the forward pass", "forward pass: picture 1 of", "next", "backward pass: picture 5 of 8"),
    "de": ("der Vorwärtsdurchlauf", "Vorwärtsdurchlauf: Bild 1 von", "weiter", "Rückwärtsdurchlauf: Bild 5 von 8"),
    "fr": ("la passe avant", "passe avant : image 1 sur", "suivant", "passe arrière : image 5 sur 8"),
    "es": (
        "la propagación hacia adelante",
        "propagación hacia adelante: imagen 1 de",
        "siguiente",
        "propagación hacia atrás: imagen 5 de 8",
    ),
    "zh_Hans": ("前向传播", "前向传播：第 1 张图", "下一步", "反向传播：第 5 张图，共 8 张"),
}
"""A heading, the first counter, the next button, and the counter four pictures on, in each language."""

ENGLISH = re.compile(r"\b(the|pass|picture|of|step|upstream|where|rule|right|previous|next|reveal)\b")
"""English words a translated page must not show (the pictures' data and grad are the Value's attributes)."""


def _half() -> Value:
    """A graph with decimals everywhere: L = (x·0.5 + w)^2 at x = 1.5, w = 0.25: L = 1, ∂L/∂x = 1."""
    x, w = Value(1.5, label="x"), Value(0.25, label="w")
    L = (x * 0.5 + w) ** 2
    L.label = "L"
    return L


@pytest.mark.parametrize("code", list(WORDS))
def test_the_stepper_speaks_the_class_language(code, page: Page, tmp_path: Path):
    """The page's language attribute, headings, buttons, counter, legend and pictures are in ``lang``; stepping
    with the arrow keys keeps it so; a screenshot at 1366x768 is kept in out/languages/ to look at."""
    path = tmp_path / "stepper.html"
    stepper(_half(), lang=code).save(path)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.as_uri())
    heading, counter, next_button, later = WORDS[code]
    assert page.get_attribute("html", "lang") == code.replace("_", "-")
    assert page.text_content(".tgs-part") == heading
    assert page.text_content(".tgs-counter").startswith(counter)
    assert next_button in page.text_content(".tgs-next")
    decimal = LANGUAGES[code].decimal
    picture = page.text_content(".tgs-frame.tgs-current")
    assert f"1{decimal}5" in picture and ("1.5" not in picture if decimal == "," else True)
    page.focus(".tgs-stepper")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"stepper-{code}.png"))
    shown = page.inner_text(".tgs-stepper")
    if code != "en":
        assert not ENGLISH.search(shown), ENGLISH.search(shown)
    assert page.text_content(".tgs-counter") == later


@pytest.mark.parametrize("code", ["de", "fr", "es", "zh_Hans"])
def test_asking_reads_a_decimal_comma_and_answers_in_the_language(code, page: Page, tmp_path: Path):
    """In ask mode the learner's answer is read with a point or a comma, and the feedback, the hints and the
    score are in the page's language."""
    path = tmp_path / "ask.html"
    stepper(diamond(), ask=True, lang=code).save(path)
    page.goto(path.as_uri())
    page.focus(".tgs-stepper")
    for _ in range(40):
        if page.query_selector(".tgs-quiz.tgs-current") is not None:
            break
        page.keyboard.press("ArrowRight")
    row = page.locator(".tgs-quiz.tgs-current .tgs-question").first
    row.locator(".tgs-answer").fill("abc")
    row.locator(".tgs-answer").press("Enter")
    examples = "-1,5" if LANGUAGES[code].decimal == "," else "-1.5"
    assert examples in row.locator(".tgs-feedback").text_content()
    row.locator(".tgs-answer").fill("-0,5")  # no gradient of this graph: a wrong number, read as -0.5
    row.locator(".tgs-answer").press("Enter")
    feedback = row.locator(".tgs-feedback").text_content()
    assert not ENGLISH.search(feedback.replace("+=", "")), feedback
    row.locator(".tgs-reveal").click()
    score = page.text_content(".tgs-score")
    assert not ENGLISH.search(score), score


def test_the_training_replay_speaks_german(page: Page, tmp_path: Path):
    """The replay page of a training, in German: its words, its counter and its numbers."""
    X, y = make_moons(30, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=1)
    recorder = Recorder(model)
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=3, live=recorder, progress=False)
    path = tmp_path / "replay.html"
    path.write_text(replay_page(model, recorder, X, y, lang="de"), encoding="utf-8")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.as_uri())
    assert page.get_attribute("html", "lang") == "de"
    assert page.text_content("h1") == "Wiedergabe des Trainings"
    assert page.text_content(".tgs-counter") == "Schritt 1 von 3"
    assert re.fullmatch(r"Verlust \d+,\d{4}", page.text_content(".tgs-loss"))
    assert "Entscheidungsgrenze" in page.inner_text(".tgs-replay")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "replay-de.png"))


def test_an_animation_sets_a_chinese_caption_in_a_chinese_font(caplog):
    """A slide's caption with Chinese characters is typeset with a font that has them (Noto Sans CJK), not with
    matplotlib's placeholder boxes; a caption in another language keeps the slides' usual font."""
    from tinygrad_scalar.views.animation import _FONT, _chinese_fonts, _Typesetter

    typesetter = _Typesetter()
    with caplog.at_level("WARNING"):
        typesetter.line(
            r"第 2 步：$u_{2} = u_{1} + w$（和的求导法则），上游梯度 $\frac{\partial L}{\partial u_{2}} = 2$", 20
        )
    assert not [r for r in caplog.records if "does not have a glyph" in r.getMessage()]
    with _chinese_fonts("Schritt 2: $u_{2}$ (Summenregel)") as family:
        assert family == _FONT
