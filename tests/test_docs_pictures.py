"""Every picture in docs/ is made by the code beside it (docs/make_pictures.py), and is current."""

import importlib.util
from pathlib import Path

import pytest

from tests.test_viz import svg_nodes

DOCS = Path(__file__).resolve().parent.parent / "docs"


def make_pictures():
    spec = importlib.util.spec_from_file_location("make_pictures", DOCS / "make_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_docs_picture_is_made_by_make_pictures():
    """Each picture file in docs/ is one that make_pictures.py writes: none is drawn by hand."""
    made = {f"{name}.svg" for name in make_pictures().readme_pictures()} | {
        "decision_boundary.png",
        "live_view.png",
        "ask_before_reveal.png",
        "slide.png",
    }
    pictures = {p.name for p in DOCS.iterdir() if p.suffix in (".svg", ".png", ".pdf", ".jpg", ".gif")}
    assert pictures == made


@pytest.mark.parametrize("name", sorted(make_pictures().readme_pictures()))
def test_docs_picture_is_what_the_readme_code_draws(name: str):
    """The README block marked for docs/NAME.svg draws exactly the committed DOT source, and the committed SVG
    shows the same records, operations and legend as that source rendered by today's dot."""
    graph = make_pictures().readme_pictures()[name]
    committed_dot = (DOCS / f"{name}.dot").read_text(encoding="utf-8")
    assert graph.source == committed_dot
    assert svg_nodes((DOCS / f"{name}.svg").read_bytes()) == svg_nodes(graph.pipe(format="svg"))


def test_readme_neuron_picture_has_unlabelled_inner_nodes_as_its_code():
    """The README's neuron code labels only n and o among the inner values, and so does its picture."""
    nodes = svg_nodes((DOCS / "lecture_neuron.svg").read_bytes())
    labels = {texts[0] for texts in nodes.values() if len(texts) == 3 and texts[1].startswith("data")}
    assert {"n", "o", "x1", "w1", "x2", "w2", "b"} <= labels
    assert "x1*w1" not in labels and "x1*w1 + x2*w2" not in labels


def test_decision_boundary_is_what_the_demo_draws(tmp_path: Path):
    """docs/decision_boundary.png is the default demo's plot: made again, it is the same picture, pixel by pixel."""
    import matplotlib.image

    fresh = matplotlib.image.imread(make_pictures().decision_boundary(tmp_path))
    committed = matplotlib.image.imread(DOCS / "decision_boundary.png")
    assert fresh.shape == committed.shape
    differing = (abs(fresh - committed).max(axis=-1) > 0.1).mean()
    assert differing < 0.001  # a font that renders a little differently may move a few pixels, no more


def test_live_view_picture_is_what_the_live_view_draws():
    """docs/live_view.png is the live view's last picture of the demo's training: made again, the same picture."""
    import io

    import matplotlib.image

    fresh = matplotlib.image.imread(io.BytesIO(make_pictures().live_view()))
    committed = matplotlib.image.imread(DOCS / "live_view.png")
    assert fresh.shape == committed.shape
    assert (abs(fresh - committed).max(axis=-1) > 0.1).mean() < 0.001  # a font may move a few pixels, no more


def test_ask_before_reveal_is_what_the_command_and_chromium_show(tmp_path: Path):
    """docs/ask_before_reveal.png is the --ask page answered by keyboard in Chromium: made again, the same
    picture, pixel by pixel."""
    import matplotlib.image

    fresh = matplotlib.image.imread(make_pictures().ask_before_reveal(tmp_path))
    committed = matplotlib.image.imread(DOCS / "ask_before_reveal.png")
    assert fresh.shape == committed.shape
    differing = (abs(fresh - committed).max(axis=-1) > 0.1).mean()
    assert differing < 0.001  # a font that renders a little differently may move a few pixels, no more


def test_slide_is_what_the_animation_shows(tmp_path: Path):
    """docs/slide.png is the last slide of the lecture neuron's GIF: made again, the same picture, pixel by pixel."""
    import matplotlib.image

    fresh = matplotlib.image.imread(make_pictures().slide(tmp_path))
    committed = matplotlib.image.imread(DOCS / "slide.png")
    assert fresh.shape == committed.shape == (1080, 1920, 3)
    assert (abs(fresh - committed).max(axis=-1) > 0.1).mean() < 0.001  # a font may move a few pixels, no more
