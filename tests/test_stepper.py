"""The HTML stepper, driven in a real headless Chromium: buttons, slider and arrow keys move the
highlight from node to node and show each step's equation."""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.test_viz import lecture_neuron
from tinygrad_scalar import Value, topological_order
from tinygrad_scalar.explain import CURRENT_COLOR, backward_steps, node_names, stepper

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, in a sandbox without network: no sandbox, and no background connections to refuse.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    # Nothing may leave the page: any request other than the file itself fails the test.
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    yield page
    assert all(url.startswith("file://") for url in requests), requests
    context.close()


def highlighted(page: Page, container: str = ".tgs-stepper") -> str:
    """The graph node (its dot name, v<i>) outlined as current in the visible frame."""
    titles = page.eval_on_selector(
        f"{container} .tgs-frame.tgs-current",
        """(frame, color) => Array.from(frame.querySelectorAll('g.node'))
            .filter(g => Array.from(g.querySelectorAll('polygon, ellipse, path'))
                .some(s => s.getAttribute('stroke') === color))
            .map(g => g.querySelector('title').textContent)""",
        CURRENT_COLOR,
    )
    assert len(titles) == 1, titles
    return titles[0]


def visible_equation(page: Page, container: str = ".tgs-stepper") -> str:
    return page.eval_on_selector_all(
        f"{container} .tgs-equation", "eqs => eqs.filter(e => e.style.display !== 'none').map(e => e.textContent)"
    )


def expected_walk(root: Value) -> tuple[list[str], list[str]]:
    """The dot names of the nodes the stepper should outline, frame by frame, and each frame's first line."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    names = node_names(root)
    twin_steps = list(backward_steps(root))
    walk = [f"v{index[root]}"] + [f"v{index[s.node]}" for s in twin_steps]
    heads = [f"d{names[root]}/d{names[root]} = 1"] + [f"step {s.index}: {s.name}" for s in twin_steps]
    return walk, heads


def test_next_button_moves_the_highlight_and_shows_each_equation(page: Page, tmp_path: Path):
    """Pressing next walks the highlight through the nodes in backward order, one equation per step."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    walk, heads = expected_walk(lecture_neuron())
    page.goto(path.as_uri())
    assert page.get_attribute(".tgs-stepper", "data-step") == "0"
    for k in range(len(walk)):
        assert highlighted(page) == walk[k]
        shown = visible_equation(page)
        assert len(shown) == 1 and shown[0].startswith(heads[k])
        assert page.text_content(".tgs-counter") == f"step {k} of {len(walk) - 1}"
        page.click(".tgs-next")
    assert page.get_attribute(".tgs-stepper", "data-step") == str(len(walk) - 1)  # next stops at the end


def test_the_step_shows_its_chain_rule_in_numbers(page: Page, tmp_path: Path):
    """Step 1 of the lecture's neuron shows do/dn = 1 · 0.5 = 0.5, and the gradients so far; the pass
    is a fresh one, so the gradients of an earlier backward() don't add up in the pictures."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    page.goto(path.as_uri())
    assert "grad ?" in page.text_content(".tgs-frame.tgs-current")
    page.click(".tgs-next")
    assert visible_equation(page)[0].endswith("do/dn = do/do · do/dn = 1 · 0.5 = 0.5")
    assert "grad 0.5000" in page.text_content(".tgs-frame.tgs-current")
    page.fill(".tgs-slider", "5")
    page.dispatch_event(".tgs-slider", "input")
    assert "grad -1.5000" in page.text_content(".tgs-frame.tgs-current")  # x1, after one pass, not two


def test_arrow_keys_previous_button_and_slider(page: Page, tmp_path: Path):
    """Right and left arrows step; previous goes back; the slider jumps to any step."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    walk, _ = expected_walk(lecture_neuron())
    page.goto(path.as_uri())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert highlighted(page) == walk[2]
    page.keyboard.press("ArrowLeft")
    assert highlighted(page) == walk[1]
    page.click(".tgs-prev")
    page.click(".tgs-prev")  # stops at the seed
    assert highlighted(page) == walk[0]
    page.fill(".tgs-slider", str(len(walk) - 1))
    page.dispatch_event(".tgs-slider", "input")
    assert highlighted(page) == walk[-1]


def test_two_steppers_on_one_page_step_independently(page: Page, tmp_path: Path):
    """Jupyter may show several steppers in one page: each has its own id, controls and state."""
    a, b = stepper(lecture_neuron()), stepper(lecture_neuron())
    document = f"<!DOCTYPE html><html><body>{a._repr_html_()}{b._repr_html_()}</body></html>"
    ids = re.findall(r'class="tgs-stepper" id="([^"]+)"', document)
    assert len(set(ids)) == 2
    path = tmp_path / "two.html"
    path.write_text(document)
    page.goto(path.as_uri())
    page.click(f"#{ids[0]} .tgs-next")
    assert page.get_attribute(f"#{ids[0]}", "data-step") == "1"
    assert page.get_attribute(f"#{ids[1]}", "data-step") == "0"


def test_stepper_is_self_contained():
    """No script, style sheet, font or image is loaded from anywhere: everything is inline."""
    document = stepper(lecture_neuron()).html()
    assert not re.search(r"<script[^>]+src=|<link|@import|url\(|<img", document)
    assert document.count("<svg") == len(list(backward_steps(lecture_neuron()))) + 1
    assert ' id="node' not in document  # dot's ids would repeat across frames


def test_stepper_refuses_huge_graphs():
    """One picture per step is for small graphs: a big one is refused with advice."""
    x = Value(1.0)
    y = x
    for _ in range(100):
        y = y * 1.0
    with pytest.raises(ValueError, match="stepper"):
        stepper(y)
