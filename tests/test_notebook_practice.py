"""Notebook 09 in a real kernel: its ask-before-reveal stepper is an HTML output that works in Chromium
without the kernel, and its exercises answer in place."""

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


def test_the_exercises_ask_for_an_answer_and_show_a_named_slip(executed):
    """Each exercise cell, left unanswered, says what to do, and shows the hint a typical slip gets."""
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in executed.cells if cell.cell_type == "code"]
    asking = [t for t in texts if "your turn: compute" in t]
    assert len(asking) == 2
    assert "= instead of +=" in asking[0] and "local derivative forgotten" in asking[1]
