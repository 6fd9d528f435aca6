"""The example page of the built site (example.html), in headless Chromium: served from 127.0.0.1, every other host
blocked and recorded (tests/site.py; ``make docs`` first, ``make site-test`` runs these).

A link made by ``tinygrad-scalar explain ... --link`` opens the example, worked out in the browser by Pyodide, and
shows the engine's gradients (computed here in Python) in each mode: the stepper's pictures and equations, the ask
mode's questions and answers, the worked solution's formulas, typeset. A hostile or malformed fragment shows a
message and runs nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import site
from tinygrad_scalar.core.engine import topological_order
from tinygrad_scalar.core.expression import evaluate, parse_assignments

NEURON = ("tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432")
"""The micrograd lecture's neuron, with the lecture's bias to the last digit."""

SEEDS = ("(w*x + b)**2", "--at", "x=2", "w=3", "b=1")

WAIT = (site.KERNEL_TIMEOUT + 120) * 1000  # ms: Python's first start on a slow shared machine, then the pictures
SHOWN = "#tgs-example iframe.tgs-example-frame, #tgs-example .tgs-example-error, .tgs-example-solution:not([hidden])"


def explain(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_scalar", "explain", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def engine(example: tuple[str, ...]) -> dict[str, float]:
    """Each value's gradient by the engine's own backward pass, here in Python, by the name the views give it."""
    from tinygrad_scalar.views.naming import graph_names

    variables = parse_assignments(list(example[2:]))
    root = evaluate(example[0], variables)
    root.backward()
    names = graph_names(root)
    return {names[v]: v.grad for v in topological_order(root)}


def _open(page: Any, address: str) -> Any:
    """Open ``address`` and wait until the page shows the example (or says why not); the example's frame, if any."""
    page.goto(address)
    page.wait_for_selector(SHOWN, timeout=WAIT)
    error = page.locator(".tgs-example-error")
    assert error.count() == 0, error.inner_text()
    frame = page.locator("iframe.tgs-example-frame")
    return frame.element_handle().content_frame() if frame.count() else None


_PAGE_TEXTS = """() => ({
  equations: [...document.querySelectorAll('.tgs-equation')].map(e => e.textContent),
  pictures: [...document.querySelectorAll('.tgs-frame')].map(
    f => [...f.querySelectorAll('g.node')].map(n => [...n.querySelectorAll('text')].map(t => t.textContent))),
})"""
"""What a student reads on a stepper page: every step's equations, and each picture's boxes (name, data, grad)."""


def _grads_shown(boxes: list[list[str]]) -> dict[str, str]:
    """The gradient each box of a picture shows, by the box's name (the operation's small boxes have none)."""
    shown = {}
    for texts in boxes:
        grads = [t.removeprefix("grad ") for t in texts if t.startswith("grad ")]
        if grads:
            shown[texts[0]] = grads[0]
    return shown


@pytest.mark.site
@pytest.mark.parametrize("example", [NEURON, SEEDS], ids=["neuron", "seeds"])
def test_a_link_made_by_explain_opens_the_stepper_with_the_engines_gradients(visit, context, example):
    """The address explain --link prints opens the stepper: its last picture shows every value's gradient as the
    engine computes it in Python, its equations are those of explain --format html, and its buttons step."""
    base, shown_page = visit
    frame = _open(shown_page, explain(*example, "--link", "--base-url", base).strip())
    shown = frame.evaluate(_PAGE_TEXTS)
    grads = engine(example)
    assert _grads_shown(shown["pictures"][-1]) == {name: f"{g:.4g}" for name, g in grads.items()}
    command_line = context[0].new_page()  # the command line's page, in the same browser
    command_line.set_content(explain(*example, "--format", "html"))
    assert shown == command_line.evaluate(_PAGE_TEXTS)
    command_line.close()
    assert frame.locator(".tgs-stepper").get_attribute("data-step") == "0"
    frame.locator(".tgs-next").click()
    assert frame.locator(".tgs-stepper").get_attribute("data-step") == "1"


@pytest.mark.site
def test_a_link_made_by_explain_ask_asks_for_the_engines_gradients_and_checks_answers(visit):
    """The address explain --ask --link prints asks for each gradient the engine computes, takes the right answer
    (with a decimal comma too) and names the mistake a wrong one shows."""
    base, page = visit
    frame = _open(page, explain(*NEURON, "--ask", "--link", "--base-url", base).strip())
    questions = [q for f in json.loads(frame.locator(".tgs-data").text_content())["frames"] if f for q in f]
    grads = engine(NEURON)
    expected = {q["name"].removeprefix("∂out/∂"): q["expected"] for q in questions}
    assert expected == pytest.approx({name: grads[name] for name in expected}, rel=1e-12)  # Pyodide's libm
    assert {"x1", "w1", "x2", "w2", "b"} <= set(expected)
    while not frame.locator(".tgs-quiz.tgs-current").count():  # step on to the first question
        frame.locator(".tgs-next").click()
    quiz = frame.locator(".tgs-quiz.tgs-current")
    first = questions[0]
    wrong = first["mistakes"][0]
    quiz.locator(".tgs-answer").first.fill(repr(wrong[1]))
    quiz.locator(".tgs-check").first.click()
    assert wrong[0] in quiz.locator(".tgs-feedback").first.inner_text()
    quiz.locator(".tgs-answer").first.fill(first["shown"].replace(".", ","))
    quiz.locator(".tgs-check").first.click()
    assert "tgs-right" in quiz.locator(".tgs-feedback").first.get_attribute("class")


@pytest.mark.site
@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_a_link_made_by_explain_opens_the_worked_solution_typeset(visit, fmt: str):
    """The address explain --format latex (or markdown) --link prints opens the worked solution: every formula of
    explain --format markdown, in order, typeset by MathJax without an error, each input's row ending in the
    engine's gradient."""
    base, page = visit
    _open(page, explain(*NEURON, "--format", fmt, "--link", "--base-url", base).strip())
    markdown = explain(*NEURON, "--format", "markdown")
    formulas = re.findall(r"\$([^$]+)\$", markdown)
    solution = page.locator(".tgs-example-solution")
    typeset = page.evaluate(
        "el => MathJax.startup.document.getMathItemsWithin(el).map(m => m.math)", solution.element_handle()
    )
    assert typeset == formulas
    assert solution.locator("mjx-container").count() == len(formulas)
    assert solution.locator("mjx-merror").count() == 0
    from tinygrad_scalar.views.naming import latex_name

    grads = engine(NEURON)
    for name in ("x1", "x2", "w1", "w2", "b"):
        head = rf"\frac{{\partial \mathrm{{out}}}}{{\partial {latex_name(name)}}} ="
        rows = [f for f in typeset if f.startswith(head)]
        answer = rows[-1]  # the answers come last
        assert float(answer.rsplit("=", 1)[1]) == pytest.approx(grads[name], abs=5e-4), answer
    assert "(the seed)" in solution.inner_text() and "Answers" in solution.inner_text()


@pytest.mark.site
def test_the_modes_of_an_example_switch_in_place(visit):
    """The page offers the example's other modes; choosing one shows it without leaving the page."""
    base, page = visit
    _open(page, explain(*SEEDS, "--link", "--base-url", base).strip())
    assert page.locator(".tgs-example-mode.tgs-current").inner_text() == "Step through"
    page.locator(".tgs-example-mode", has_text="Worked solution").click()
    page.wait_for_selector(".tgs-example-solution:not([hidden]) mjx-container", timeout=WAIT)
    assert page.url.endswith("&mode=solution&lang=en")
    assert page.locator(".tgs-example-mode.tgs-current").inner_text() == "Worked solution"
    page.locator(".tgs-example-mode", has_text="Answer first").click()
    page.wait_for_selector("iframe.tgs-example-frame", timeout=WAIT)
    frame = page.locator("iframe.tgs-example-frame").element_handle().content_frame()
    assert frame.locator(".tgs-quiz").count() > 0


@pytest.mark.site
def test_a_link_in_a_language_without_a_translation_opens_in_english_and_says_so(visit):
    """lang=ja (a language we do not write) opens the example, in English, under a note that says why."""
    base, page = visit
    address = explain(*SEEDS, "--format", "markdown", "--link", "--base-url", base).strip()
    _open(page, address.replace("lang=en", "lang=ja"))
    note = page.locator(".tgs-example-note")
    assert note.inner_text().startswith("This example is shown in English: the link asks for the language 'ja'")
    assert page.locator(".tgs-example-solution mjx-container").count() > 10


HOSTILE = {
    "a script as the expression": ("expr=" + quote("<script>alert(1)</script>", safe="") + "&at=x=1", "not a valid"),
    "the end of the page's script": ("expr=x" + quote("</script><script>alert(2)</script>") + "&at=x=1", "not a"),
    "a comment opener": ("expr=" + quote("<!--", safe="") + "&at=x=1", "not a valid expression"),
    "a tag with a handler": ("expr=" + quote("<img src=x onerror=window.tgsPwned=1>") + "&at=x=1", "has no '='"),
    "javascript: as the expression": ("expr=javascript:alert(3)&at=x=1", "not a valid expression"),
    "attribute access": ("expr=x.__class__&at=x=1", "attribute access is not allowed"),
    "a call outside the language": ("expr=__import__('os')&at=x=1", "only these functions can be called"),
    "a script as a name": ("expr=x*2&at=%3Csvg%20onload=window.tgsPwned=1%3E=1", "is not a name for a value"),
    "a comment as the language": ("expr=x*2&at=x=1&lang=%3C!--%3Cscript%3E", "is not a language code"),
    "the end of a script as the mode": ("expr=x*2&at=x=1&mode=%3C/script%3E", "the mode '</script>' is not one of"),
    "an unknown mode": ("expr=x*2&at=x=1&mode=quiz", "the mode 'quiz' is not one of stepper, ask, solution"),
    "NaN": ("expr=x*2&at=x=NaN", "'NaN', which is not a number"),
    "Infinity": ("expr=x*2&at=x=-Infinity", "'-Infinity', which is not a number"),
    "a number that overflows": ("expr=x*2&at=x=1e999", "too large for a float"),
    "bytes that are not UTF-8": ("expr=x%FF&at=x=1", "not UTF-8 text"),
    "a value as a key of its own": ("expr=x*2&x=2", "values go in at=, like at=x=2"),
}
"""Fragments that would run a script if the page ever put them into its HTML, and fragments no link has."""


@pytest.mark.site
def test_a_hostile_fragment_shows_its_message_and_runs_no_script(visit):
    """Each hostile or malformed fragment, typed into the address of an open page, shows the message saying what is
    wrong, as text: no frame, no picture, no new element but the message, no script run (no dialog, no global)."""
    base, page = visit
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}example.html")
    scripts = page.evaluate("() => document.scripts.length")
    for fragment, message in HOSTILE.values():
        page.evaluate("() => { location.hash = ''; }")
        page.evaluate("f => { location.hash = f; }", fragment)
        reason = page.locator(".tgs-example-error-reason")
        reason.wait_for(timeout=WAIT)
        assert message.lower() in reason.inner_text().lower(), (fragment, reason.inner_text())
        assert page.locator("#tgs-example iframe, #tgs-example img, #tgs-example svg, #tgs-example script").count() == 0
        assert page.evaluate("() => [window.tgsPwned, document.scripts.length]") == [None, scripts]
    assert dialogs == []
    page.evaluate("() => { location.hash = 'expr=%3C/script%3E%3C!--%3Cb%3Ex&at=x=1'; }")
    page.locator(".tgs-example-expression").wait_for(timeout=WAIT)
    assert page.locator(".tgs-example-expression").text_content() == "</script><!--<b>x"  # quoted, as text
    assert page.locator("#tgs-example b").count() == 0


@pytest.mark.site
def test_a_fragment_longer_than_a_link_is_refused_before_python_starts(visit):
    """A fragment beyond the limit is refused by the page itself, with the limit, without loading Python."""
    base, page = visit
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{base}example.html#expr=" + "x%2B" * 2000 + "x&at=x=1")
    reason = page.locator(".tgs-example-error-reason")
    reason.wait_for(timeout=30_000)
    assert "is 8013 characters after its '#'; a link carries at most 2000" in reason.inner_text()
    assert not [url for url in asked if "pyodide" in url]


@pytest.mark.site
def test_the_page_opened_from_a_file_says_it_needs_a_web_server(visit):
    """Opened as a file (no server), the page says how to serve it instead of failing silently."""
    _, page = visit
    address = (Path(site.SITE) / "example.html").as_uri() + "#" + explain(*SEEDS, "--link").split("#", 1)[1]
    page.goto(address.strip())
    reason = page.locator(".tgs-example-error-reason")
    reason.wait_for(timeout=30_000)
    assert "serve the site (python3 -m http.server -d site)" in reason.inner_text()


@pytest.mark.site
def test_the_page_without_an_example_says_how_to_make_one_and_its_links_open(visit):
    """Reached from the site's navigation, the page explains itself, and its example links open their examples."""
    base, page = visit
    page.goto(base)
    page.locator(".bd-header a", has_text="Worked example").first.click()
    page.wait_for_url(f"{base}example.html")
    assert page.locator("#tgs-example-about").is_visible()
    assert "--link" in page.locator("#tgs-example-about").inner_text()
    page.locator("#tgs-example-about a", has_text="Answer first").click()
    frame = page.locator("iframe.tgs-example-frame")
    frame.wait_for(timeout=WAIT)
    assert frame.element_handle().content_frame().locator(".tgs-data").count() == 1
    assert not page.locator("#tgs-example-about").is_visible()


def test_a_value_of_the_engine_is_named_as_the_pictures_name_it():
    """The names this module's engine() gives are the pictures' names (a check of the helper, not of the page)."""
    grads = engine(SEEDS)  # (w*x + b)**2 at 2, 3, 1: u1 = w*x = 6, u2 = u1 + b = 7, dout/du2 = 2*7
    assert grads == {"x": 42.0, "w": 28.0, "b": 14.0, "u1": 14.0, "u2": 14.0, "out": 1.0}


@pytest.mark.site
def test_a_link_in_german_opens_with_the_pages_own_words_in_german(visit, tmp_path):
    """A link made with --lang de opens the page with its buttons, its frame's title and its language in German
    (the words from the package's catalogs); a link too long to open says so in German before Python starts."""
    base, page = visit
    page.set_viewport_size({"width": 1366, "height": 768})
    _open(page, explain(*SEEDS, "--link", "--lang", "de", "--base-url", base).strip())
    modes = page.locator(".tgs-example-mode")
    assert [modes.nth(i).inner_text() for i in range(modes.count())] == [
        "Schritt für Schritt",
        "Erst antworten",
        "Musterlösung",
    ]
    assert page.locator(".tgs-example-mode.tgs-current").inner_text() == "Schritt für Schritt"
    assert page.locator("#tgs-example").get_attribute("lang") == "de"
    assert page.locator("iframe.tgs-example-frame").get_attribute("title") == "das Beispiel, Schritt für Schritt"
    assert page.locator(".tgs-example-modes").get_attribute("aria-label") == "wie dieses Beispiel gezeigt wird"
    page.screenshot(path=str(tmp_path / "example-de.png"))  # at 1366x768, to look at
    page.goto(f"{base}example.html#lang=de&expr=" + "x%2B" * 2000 + "x&at=x=1")
    page.locator(".tgs-example-error-reason").wait_for(timeout=30_000)
    assert page.locator(".tgs-example-error-title").inner_text() == "Dieser Link öffnet kein Beispiel."
    assert "Zeichen nach ihrem '#'; ein Link trägt höchstens 2000." in page.locator(".tgs-example-error").inner_text()
