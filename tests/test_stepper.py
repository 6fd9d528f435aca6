"""The HTML stepper, driven in a real headless Chromium: buttons, slider and arrow keys move the
highlight from node to node and show each step's equation."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.test_viz import lecture_neuron
from tinygrad_scalar import Value, topological_order
from tinygrad_scalar.teaching.explanations import backward_steps, node_names
from tinygrad_scalar.teaching.stepper import CURRENT_COLOR, PARENT_COLOR, stepper


def visible_equation(page: Page, container: str = ".tgs-stepper") -> list[str]:
    return page.eval_on_selector_all(
        f"{container} .tgs-equation",
        "eqs => eqs.filter(e => getComputedStyle(e).display !== 'none').map(e => e.textContent)",
    )


def expected_walk(root: Value) -> tuple[list[str | None], list[str]]:
    """The dot names of the nodes the stepper should outline, frame by frame (forward part, then backward
    part), and each frame's first words."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    names = node_names(root)
    operations = [n for n in order if n._prev]
    twin_steps = list(backward_steps(root))
    walk: list[str | None] = [None] + [f"v{index[n]}" for n in operations]
    walk += [f"v{index[root]}"] + [f"v{index[s.node]}" for s in twin_steps]
    heads = ["the forward pass starts"] + [f"{names[n]} = " for n in operations]
    heads += [f"∂{names[root]}/∂{names[root]} = 1"] + [f"step {s.index}: {s.name} = " for s in twin_steps]
    return walk, heads


def outlined(page: Page, container: str = ".tgs-stepper") -> list[str]:
    return page.eval_on_selector(
        f"{container} .tgs-frame.tgs-current",
        """(frame, color) => Array.from(frame.querySelectorAll('g.node'))
            .filter(g => Array.from(g.querySelectorAll('polygon, ellipse, path'))
                .some(s => s.getAttribute('stroke') === color))
            .map(g => g.querySelector('title').textContent)""",
        CURRENT_COLOR,
    )


def test_next_button_walks_the_forward_then_the_backward_pass(page: Page, tmp_path: Path):
    """Pressing next first computes the values one by one, then walks the highlight through the backward
    steps, one equation per picture, and stops at the end."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    walk, heads = expected_walk(lecture_neuron())
    page.goto(path.as_uri())
    assert page.get_attribute(".tgs-stepper", "data-step") == "0"
    for k in range(len(walk)):
        assert outlined(page) == ([] if walk[k] is None else [walk[k]])
        shown = visible_equation(page)
        assert len(shown) == 1 and shown[0].startswith(heads[k]), (shown, heads[k])
        part = "forward" if k <= len(walk) // 2 - 1 else "backward"
        assert page.text_content(".tgs-counter") == f"{part} pass: picture {k + 1} of {len(walk)}"
        page.click(".tgs-next")
    assert page.get_attribute(".tgs-stepper", "data-step") == str(len(walk) - 1)  # next stops at the end


def test_the_forward_part_shows_values_appear_one_by_one(page: Page, tmp_path: Path):
    """Before the backward pass, the values of operations appear node by node: unknown ones show ?."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    page.goto(path.as_uri())
    first = page.text_content(".tgs-frame.tgs-current")
    assert first.count("data ?") == 5  # u1, u2, u3, n and o are not computed yet
    page.click(".tgs-next")
    assert page.text_content(".tgs-frame.tgs-current").count("data ?") == 4
    assert visible_equation(page)[0] == "x1*w1 = x1·w1 = 2·(-3) = -6"  # the lecture labels it x1*w1


def test_the_step_shows_its_chain_rule_formula_then_numbers(page: Page, tmp_path: Path):
    """The tanh step of the lecture's neuron writes 1 - tanh(n)^2 before 0.5; the pictures show one fresh
    pass, so an earlier backward() does not add up in them."""
    neuron = lecture_neuron()
    neuron.backward()
    path = tmp_path / "stepper.html"
    stepper(neuron).save(str(path))
    page.goto(path.as_uri())
    forward = len([n for n in topological_order(neuron) if n._prev]) + 1
    page.fill(".tgs-slider", str(forward + 1))
    page.dispatch_event(".tgs-slider", "input")
    text = visible_equation(page)[0]
    assert "∂o/∂n = ∂o/∂o · ∂tanh(n)/∂n = 1 · (1 - tanh(n)^2) = 1 · 0.5 = 0.5" in text
    assert "grad 0.5" in page.text_content(".tgs-frame.tgs-current")
    page.fill(".tgs-slider", str(2 * forward - 1))
    page.dispatch_event(".tgs-slider", "input")
    assert "grad -1.5" in page.text_content(".tgs-frame.tgs-current")  # x1, after one pass, not two


def legend_colors(page: Page) -> set[str]:
    """The colours the page's legend explains: its swatches' fills and outlines."""
    return set(page.eval_on_selector_all(
        ".tgs-legend .tgs-swatch",
        """ss => ss.map(s => s.style.background ? getComputedStyle(s).backgroundColor
                                                : getComputedStyle(s).borderTopColor)""",
    ))  # fmt: skip


def picture_colors(page: Page) -> set[str]:
    """The fills and the outlines (other than black) the current picture uses, as the browser computes them."""
    return set(page.eval_on_selector(
        ".tgs-frame.tgs-current",
        """f => Array.from(f.querySelectorAll('g.node polygon')).flatMap(p => {
               const s = getComputedStyle(p); const out = [];
               if (s.fill !== 'none' && s.fill !== 'rgb(255, 255, 255)') out.push(s.fill);
               if (s.stroke !== 'rgb(0, 0, 0)' && s.stroke !== 'none') out.push(s.stroke);
               return out; })""",
    ))  # fmt: skip


def test_every_name_the_text_uses_is_on_a_box(page: Page, tmp_path: Path):
    """Each name an equation uses (labels and generated u1, u2, ...) is written in a box of its picture,
    and the page's legend explains every fill and outline the picture shows."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    stepper(root).save(str(path))
    names = set(node_names(root).values())
    page.goto(path.as_uri())
    assert page.is_visible(".tgs-legend") and "the value this step is about" in page.text_content(".tgs-legend")
    for _ in range(len(expected_walk(root)[0])):
        equation = visible_equation(page)[0]
        boxes = set(page.eval_on_selector(
            ".tgs-frame.tgs-current", "f => Array.from(f.querySelectorAll('g.node text')).map(t => t.textContent)"
        ))  # fmt: skip
        assert picture_colors(page) <= legend_colors(page), picture_colors(page) - legend_colors(page)
        used = {w for w in re.findall(r"[A-Za-z]\w*", equation) if w in names}
        assert used <= boxes, used - boxes
        page.keyboard.press("ArrowRight")


def test_graph_text_is_at_least_12_px_on_a_1024_px_page(browser, tmp_path: Path):
    """Measured in the browser, every text of the picture is at least 12 px high at 1024 px wide."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(path.as_uri())
    heights = page.eval_on_selector(
        ".tgs-frame.tgs-current",
        "f => Array.from(f.querySelectorAll('g.node text')).map(t => t.getBoundingClientRect().height)",
    )
    assert heights and min(heights) >= 12, min(heights)
    page.close()


def test_screenshots_at_the_first_a_middle_and_the_last_step_show_the_boxes_and_the_text(browser, tmp_path: Path):
    """At three points of the pass the named boxes and the step's text are on screen (screenshots kept)."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    stepper(root).save(str(path))
    page = browser.new_page(viewport={"width": 1024, "height": 1400})
    page.goto(path.as_uri())
    last = len(expected_walk(root)[0]) - 1
    for k in (0, last // 2, last):
        page.fill(".tgs-slider", str(k))
        page.dispatch_event(".tgs-slider", "input")
        shot = tmp_path / f"step{k}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert page.is_visible(".tgs-equation.tgs-current")
        for name in ("x1", "w1", "n", "o"):
            box = page.locator(".tgs-frame.tgs-current g.node text", has_text=re.compile(f"^{name}$")).first
            assert box.is_visible() and box.bounding_box()["x"] + box.bounding_box()["width"] <= 1024
    page.close()


def test_at_1366x768_the_values_of_every_step_are_on_screen(browser, tmp_path: Path):
    """On a laptop's 1366x768 window, at every step of the lecture's neuron, the value the step is about and the
    values it touches are inside the window without scrolling by hand, with text at least 12 px high, and the
    picture uses the width (screenshots of every step are kept)."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    stepper(root).save(str(path))
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(path.as_uri())
    steps = len(expected_walk(root)[0])
    for k in range(steps):
        page.screenshot(path=str(tmp_path / f"laptop-{k:02d}.png"))
        boxes = page.eval_on_selector(
            ".tgs-frame.tgs-current",
            """(f, colors) => Array.from(f.querySelectorAll('g.node'))
                .filter(g => Array.from(g.querySelectorAll('polygon'))
                    .some(p => colors.includes(p.getAttribute('stroke'))))
                .map(g => { const r = g.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
            [CURRENT_COLOR, PARENT_COLOR],
        )
        assert boxes or k == 0, k  # the first picture outlines nothing: the pass has not started
        for left, top, right, bottom in boxes:
            assert left >= 0 and right <= 1366 and top >= 0 and bottom <= 768, (k, left, top, right, bottom)
        heights = page.eval_on_selector(
            ".tgs-frame.tgs-current",
            "f => Array.from(f.querySelectorAll('g.node text')).map(t => t.getBoundingClientRect().height)",
        )
        assert min(heights) >= 12, (k, min(heights))
        width = page.eval_on_selector(".tgs-frame.tgs-current svg", "s => s.getBoundingClientRect().width")
        assert width > 0.8 * 1366, width  # the graph runs left to right across the window
        page.keyboard.press("ArrowRight")
    page.close()


def test_the_picture_keeps_its_size_and_every_value_its_place(page: Page, tmp_path: Path):
    """The graph is laid out once: from the first step to the last the picture has the same size and each
    value's box the same place, whatever numbers it shows."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    stepper(root).save(str(path))
    page.goto(path.as_uri())
    places = []
    for _ in range(len(expected_walk(root)[0])):
        places.append(page.eval_on_selector(
            ".tgs-frame.tgs-current svg",
            """s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height,
                     ...Array.from(s.querySelectorAll('g.node')).map(g => {
                         const r = g.querySelector('polygon, ellipse').getBBox();
                         return [r.x, r.y, r.width, r.height].join(); })]""",
        ))  # fmt: skip
        page.keyboard.press("ArrowRight")
    assert all(p == places[0] for p in places), [i for i, p in enumerate(places) if p != places[0]]


@pytest.mark.parametrize("ask", [False, True])
def test_the_buttons_and_the_slider_keep_their_place_from_step_to_step(browser, tmp_path: Path, ask: bool):
    """Clicking next from the first step to the last never moves the buttons or the slider: the counter beside them
    is as wide as its longest text (the backward part's is longer, and asking adds words)."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    page_of = stepper(root, ask=ask)
    page_of.save(str(path))
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(path.as_uri())
    places = set()
    for _ in range(len(page_of.frames)):
        places.add(tuple(
            tuple(round(v) for v in page.eval_on_selector(
                f".tgs-{part}", "e => { const r = e.getBoundingClientRect(); return [r.left, r.width]; }"
            ))
            for part in ("prev", "slider", "next")
        ))  # fmt: skip
        if ask and page.locator(".tgs-quiz.tgs-current .tgs-reveal").count():
            for button in page.locator(".tgs-quiz.tgs-current .tgs-reveal").all():
                button.click()
        page.click(".tgs-next")
    page.close()
    assert len(places) == 1, places


def test_stepper_writes_no_gradient():
    """The stepper computes each step's gradients on the side: the graph's grad fields keep what they held."""
    root = lecture_neuron()
    order = topological_order(root)
    for k, node in enumerate(order):
        node.grad = 100.0 + k
    stepper(root, ask=True)
    assert [node.grad for node in order] == [100.0 + k for k in range(len(order))]


def test_without_javascript_the_first_picture_and_every_step_show(browser, tmp_path: Path):
    """With JavaScript off (a notebook viewer), the first picture and every step as text are there, and no
    dead buttons are shown."""
    path = tmp_path / "stepper.html"
    root = lecture_neuron()
    stepper(root).save(str(path))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    frames = page.eval_on_selector_all(".tgs-frame", "fs => fs.map(f => getComputedStyle(f).display)")
    assert frames[0] != "none" and all(d == "none" for d in frames[1:])
    assert len(visible_equation(page)) == len(expected_walk(root)[0])
    assert not page.is_visible(".tgs-controls")
    context.close()


def test_arrow_keys_previous_button_and_slider(page: Page, tmp_path: Path):
    """Right and left arrows step; previous goes back; the slider jumps to any step."""
    path = tmp_path / "stepper.html"
    stepper(lecture_neuron()).save(str(path))
    walk, _ = expected_walk(lecture_neuron())
    page.goto(path.as_uri())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert outlined(page) == [walk[2]]
    page.keyboard.press("ArrowLeft")
    assert outlined(page) == [walk[1]]
    page.click(".tgs-prev")
    page.click(".tgs-prev")  # stops at the first picture
    assert outlined(page) == []
    page.fill(".tgs-slider", str(len(walk) - 1))
    page.dispatch_event(".tgs-slider", "input")
    assert outlined(page) == [walk[-1]]


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
    operations = sum(1 for n in topological_order(lecture_neuron()) if n._prev)
    assert document.count("<svg") == 2 * (operations + 1)  # the forward part, then the backward part
    assert ' id="node' not in document  # dot's ids would repeat across frames


def test_stepper_refuses_huge_graphs():
    """One picture per step is for small graphs: a big one is refused with advice."""
    x = Value(1.0)
    y = x
    for _ in range(100):
        y = y * 1.0
    with pytest.raises(ValueError, match="stepper"):
        stepper(y)
