"""Notebook 09 in a real kernel: its ask-before-reveal stepper is an HTML output that works in Chromium
without the kernel, and its exercises ask, with their worked steps folded until opened."""

from pathlib import Path

import pytest
from nbmake.nb_run import NotebookRun
from playwright.sync_api import Page

from tests.test_notebooks import CELL_TIMEOUT

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "09_practice_and_classic_mistakes.ipynb"


@pytest.fixture(scope="module")
def executed():
    result = NotebookRun(NOTEBOOK, CELL_TIMEOUT).execute()
    assert result.error is None, result.error.trace
    return result.nb


def test_the_notebook_stepper_asks_in_the_output_cell_without_a_kernel(executed, page: Page, tmp_path: Path):
    """The stepper's HTML output, saved from the executed notebook, asks, checks and scores in Chromium."""
    htmls = [
        o["data"]["text/html"]
        for cell in executed.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "text/html" in o.get("data", {}) and "tgs-data" in o["data"]["text/html"]
    ]
    assert len(htmls) == 1
    path = tmp_path / "output.html"
    path.write_text(f"<!DOCTYPE html><html><body>{htmls[0]}</body></html>", encoding="utf-8")
    page.goto(path.as_uri())
    page.focus(".tgs-stepper")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert page.locator(".tgs-quiz.tgs-current").is_visible()
    page.keyboard.type("18")  # dL/da = b = 18: the focus is in the first answer box
    page.keyboard.press("Enter")
    assert page.locator(".tgs-quiz.tgs-current .tgs-feedback").first.text_content() == "right: ∂L/∂a = 18"
    assert page.text_content(".tgs-score").startswith("score so far: 1 of 4 right")


def test_the_exercises_ask_and_keep_their_worked_steps_folded(executed, page: Page, tmp_path: Path):
    """Each exercise cell, left unanswered, asks for an answer; each reveal output is a closed <details>
    that shows its worked step in Chromium only when opened."""
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in executed.cells if cell.cell_type == "code"]
    plain = [o["data"]["text/plain"] for c in executed.cells for o in c.get("outputs", []) if "data" in o]
    assert sum(t.startswith("your turn: ") for t in plain) == 3 and not any("right:" in t for t in texts + plain)
    (first, *_) = [
        o["data"]["text/html"]
        for cell in executed.cells
        for o in cell.get("outputs", [])
        if "tgs-worked-step" in o.get("data", {}).get("text/html", "")
    ]
    path = tmp_path / "reveal.html"
    path.write_text(f"<!DOCTYPE html><html><body>{first}</body></html>", encoding="utf-8")
    page.goto(path.as_uri())
    worked = page.locator(".tgs-worked-step pre")
    assert not worked.is_visible()
    page.click(".tgs-worked-step summary")
    assert worked.is_visible() and "∂L/∂u = 6 + 4 = 10" in worked.text_content()
