"""The training replay page, driven in headless Chromium: at the first, a middle and the last step it shows
that step's decision boundary, loss, accuracy and neuron graph; and `demo --html` writes it."""

import math
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tinygrad_scalar.cli import main
from tinygrad_scalar.core.engine import no_grad
from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.training.fit import fit, predicted_class
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.training.optim import SGD
from tinygrad_scalar.views.replay import RESOLUTION, Recorder, replay_page

EPOCHS = 24


@pytest.fixture(scope="module")
def training():
    """A small model trained on moons with a recorder, and the replay page of it."""
    X, y = make_moons(40, noise=0.1, seed=5)
    model = MLP(2, [6, 1], seed=1)
    recorder = Recorder(model)
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=EPOCHS, live=recorder, progress=False)
    trained = [p.data for p in model.parameters()]
    page = replay_page(model, recorder, X, y, title="replay under test")
    assert [p.data for p in model.parameters()] == trained  # the page leaves the model as it was
    return X, y, model, recorder, page


def go_to_step(page: Page, k: int) -> None:
    page.eval_on_selector(
        ".tgs-replay .tgs-slider", "(s, k) => { s.value = k; s.dispatchEvent(new Event('input')); }", k
    )


def canvas_pixels(page: Page, points: list[tuple[int, int]]) -> list[list[int]]:
    return page.eval_on_selector(
        ".tgs-plane",
        "(c, pts) => pts.map(([x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data))",
        points,
    )


def nearest(pixel, colors, distance=False):
    """The index of the colour nearest to an RGBA pixel, or (distance=True) how far it is from it."""
    far = [sum((a - b) ** 2 for a, b in zip(pixel, c)) ** 0.5 for c in colors]
    return min(far) if distance else far.index(min(far))


def expected_classes(model, recorder, k, box):
    """The class the model predicts at each inner grid point with the parameters of step k, asked directly."""
    saved = [p.data for p in model.parameters()]
    for p, v in zip(model.parameters(), recorder.parameters[k]):
        p.data = v
    try:
        with no_grad():
            return {
                (i, j): predicted_class(
                    model(
                        [
                            box[0] + (box[1] - box[0]) * i / (RESOLUTION - 1),
                            box[2] + (box[3] - box[2]) * j / (RESOLUTION - 1),
                        ]
                    )
                )
                for i in range(1, RESOLUTION - 1)
                for j in range(1, RESOLUTION - 1)
            }
    finally:
        for p, v in zip(model.parameters(), saved):
            p.data = v


def test_replay_shows_the_first_a_middle_and_the_last_step(training, page: Page, tmp_path: Path):
    """At the first, a middle and the last step the page shows that step's number, loss, accuracy, neuron graph
    (with that step's weight) and decision boundary (pixel by pixel at the grid points, against the model)."""
    X, _, model, recorder, html = training
    path = tmp_path / "training.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    data = page.evaluate("tgsReadData(document.getElementById('tgs-replay-data'))")
    box, area_colors = data["box"], data["areaColors"]
    width = page.eval_on_selector(".tgs-plane", "c => c.width")
    height = page.eval_on_selector(".tgs-plane", "c => c.height")
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in area_colors]
    boundaries = []
    for k in (0, EPOCHS // 2, EPOCHS - 1):
        go_to_step(page, k)
        progress = recorder.progress[k]
        assert page.get_attribute(".tgs-replay", "data-step") == str(k)
        assert page.inner_text(".tgs-counter") == f"step {k + 1} of {EPOCHS}"
        assert page.inner_text(".tgs-loss") == f"loss {progress.loss:.4f}"
        assert page.inner_text(".tgs-accuracy") == f"accuracy {progress.accuracy:.1%}"
        visible = page.eval_on_selector_all(".tgs-graph", "gs => gs.map(g => getComputedStyle(g).display !== 'none')")
        assert visible == [i == k for i in range(EPOCHS)]
        graph = page.inner_text(".tgs-graph.tgs-current")
        neuron_weights = recorder.parameters[k][: len(X[0]) + 1]
        assert any(f"{w:.3f}" in graph for w in neuron_weights)
        expected = expected_classes(model, recorder, k, box)
        at = {
            ij: (round(ij[0] * width / (RESOLUTION - 1)), round(height - ij[1] * height / (RESOLUTION - 1)))
            for ij in expected
        }
        pixels = dict(zip(at, canvas_pixels(page, list(at.values()))))
        clean = {ij: nearest(px, rgb) for ij, px in pixels.items() if nearest(px, rgb, distance=True) < 30}
        assert len(clean) > len(expected) / 2  # most grid points are not under a data point or a neuron's line
        assert all(clean[ij] == expected[ij] for ij in clean), [ij for ij in clean if clean[ij] != expected[ij]]
        boundaries.append(expected)
    assert boundaries[0] != boundaries[-1]  # training moved the boundary, so the check above can tell steps apart


def test_demo_html_writes_the_replay_page(tmp_path: Path, capsys):
    """demo --html writes the replay page beside the other results, with one slider position per step."""
    out = tmp_path / "results"
    argv = ["demo", "--quiet", "--samples", "20", "--hidden", "4", "--steps", "3", "--out", str(out)]
    assert main([*argv, "--html", str(out / "training.html")]) == 0, capsys.readouterr().err
    html = (out / "training.html").read_text(encoding="utf-8")
    assert 'max="2"' in html and html.count('class="tgs-graph"') == 3


def test_a_diverged_training_is_replayed_with_its_diverged_steps(page: Page, tmp_path: Path):
    """MLP(2, [4, 1]) trained by SGD at lr=1e3 puts inf and nan in its losses and parameters: the page still
    works in Chromium (no error), its slider, counter and boundary move to a diverged step, which says so."""
    X, y = make_moons(40, noise=0.1, seed=5)
    model = MLP(2, [4, 1], seed=1)
    recorder = Recorder(model)
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=1e3), epochs=12, live=recorder, progress=False)
    diverged = [k for k, p in enumerate(recorder.progress) if not math.isfinite(p.loss)]
    assert diverged, [p.loss for p in recorder.progress]  # the run under test does diverge
    path = tmp_path / "diverged.html"
    path.write_text(replay_page(model, recorder, X, y), encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    before = page.eval_on_selector(".tgs-plane", "c => c.toDataURL()")
    for k in (diverged[0], len(recorder.progress) - 1):
        go_to_step(page, k)
        assert page.get_attribute(".tgs-replay", "data-step") == str(k)
        assert page.inner_text(".tgs-counter") == f"step {k + 1} of {len(recorder.progress)}"
        assert "the training diverged" in page.inner_text(".tgs-loss")
        assert page.eval_on_selector(".tgs-plane", "c => c.toDataURL()") != before  # the boundary was redrawn
        assert page.eval_on_selector_all(".tgs-graph", "gs => gs.filter(g => g.offsetParent).length") == 1
    go_to_step(page, 0)
    assert "diverged" not in page.inner_text(".tgs-loss")
    assert errors == []


def test_the_replay_writes_no_gradient_and_puts_every_parameter_back(training):
    """Making the page reads the model: its parameters' values, labels and gradients are as they were."""
    X, y, model, recorder, _ = training
    for k, p in enumerate(model.parameters()):
        p.grad = 10.0 + k
    state = [(p.data, p.grad, p.label) for p in model.parameters()]
    replay_page(model, recorder, X, y)
    assert [(p.data, p.grad, p.label) for p in model.parameters()] == state


def test_the_replay_names_the_neuron_as_every_view_does(training):
    """The replay's neuron is named as the one naming names it: its output h (not L, and not out: it is inside the
    network), its weights w0, w1 and b by their place, its products and sums u1 to u4."""
    *_, html = training
    first = html[html.index('<div class="tgs-graph">') :]
    first = first[: first.index("</svg>")]
    names = set(re.findall(r">(h|w0|w1|b|x0|x1|u\d|out|L)</text>", first))
    assert names == {"h", "w0", "w1", "b", "x0", "x1", "u1", "u2", "u3", "u4"}, names


@pytest.mark.parametrize(
    ("name", "said"),
    [("training.png", "give a file name ending .html"), ("nowhere/training.html", "does not exist")],
)
def test_demo_html_refuses_a_name_it_cannot_write(name, said, tmp_path: Path, capsys):
    """demo --html with a name that is not a page, or in a missing folder, exits 2 before training, in one line."""
    argv = ["demo", "--quiet", "--steps", "1", "--out", str(tmp_path / "out"), "--html", str(tmp_path / name)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
