"""Make every picture in ``docs/`` from the code beside it: ``.venv/bin/python docs/make_pictures.py``.

* ``lecture_neuron.svg`` (and its DOT source ``lecture_neuron.dot``): the Python block that follows the
  line ``<!-- picture: docs/lecture_neuron.svg -->`` in the README or a page of the guide (``docs/guide/``),
  run as written; the ``graph`` it makes is the picture. Every block marked that way makes the picture it
  names, and blocks marked for the same picture (the README's example is also the guide's) are the same code.
* ``decision_boundary.png``: ``tinygrad-scalar demo`` with its defaults, as ``make demo`` runs it.
* ``live_view.png``: the last picture of ``fit(..., live=True)`` on the demo's training, with a
  validation set (``live_view()`` below, as notebook 05 trains).
* ``ask_before_reveal.png``: ``tinygrad-scalar explain --format html --ask`` on the README's ``(x + y) * y``,
  answered by keyboard in headless Chromium (playwright): right answers, then a wrong one and its hint.
* ``slide.png``: the slide of the last backward step of the lecture neuron's animation,
  ``tinygrad-scalar explain "tanh(x1*w1 + x2*w2 + b)" ... -o pass.gif``, as Pillow decodes the GIF.

``tests/test_docs_pictures.py`` runs this code again and compares: the DOT source exactly (the SVG
itself depends on the version of Graphviz), the PNGs pixel by pixel.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from tinygrad_scalar.cli import main
from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.views.dot import Graph

DOCS = Path(__file__).resolve().parent
README = DOCS.parent / "README.md"
PAGES = (README, DOCS / "index.md", *sorted((DOCS / "guide").glob("*.md")))
"""Where marked blocks are: the README, the site's home and the guide's pages."""
_MARKED_BLOCK = re.compile(r"<!-- picture: docs/(?P<name>[\w.-]+)\.svg -->\n```python\n(?P<code>.*?)```", re.DOTALL)


def readme_pictures() -> dict[str, Graph]:
    """Each marked block of the README and the guide, run as written: the picture's name -> the ``graph`` the
    block made."""
    pictures: dict[str, Graph] = {}
    code_of: dict[str, str] = {}
    for page in PAGES:
        for block in _MARKED_BLOCK.finditer(page.read_text(encoding="utf-8")):
            name, code = block["name"], block["code"]
            if code_of.setdefault(name, code) != code:
                raise RuntimeError(f"two blocks marked for docs/{name}.svg differ; {page.name} has another one")
            namespace: dict[str, object] = {}
            exec(compile(code, page.name, "exec"), namespace)  # our own pages, as test_package runs them
            graph = namespace.get("graph")
            if not isinstance(graph, Graph):
                raise RuntimeError(f"the block of {page.name} for docs/{name}.svg makes no `graph` to draw")
            pictures[name] = graph
    if not pictures:
        raise RuntimeError("no block of the README or the guide is marked <!-- picture: docs/NAME.svg -->")
    return pictures


def decision_boundary(folder: Path) -> Path:
    """Run the default demo quietly into ``folder``; returns the decision boundary it drew."""
    code = main(["demo", "--quiet", "--out", str(folder)])
    if code != 0:
        raise RuntimeError(f"tinygrad-scalar demo failed with exit code {code}")
    return folder / "decision_boundary.png"


def live_view() -> bytes:
    """The live view's picture at the end of the demo's training (notebook 05's), with a validation set."""
    from tinygrad_scalar.training.data import make_moons
    from tinygrad_scalar.training.fit import fit, predicted_class
    from tinygrad_scalar.training.nn import MLP
    from tinygrad_scalar.training.optim import SGD, LinearDecay
    from tinygrad_scalar.views.live import LiveView

    points, labels = make_moons(100, noise=0.1, seed=1337)
    validation = make_moons(50, noise=0.1, seed=7)
    model = MLP(2, [16, 16, 1], seed=1337)
    view = LiveView(points, labels, predicted_class, show=lambda png: None, budget=0.0)  # only the final picture
    fit(
        model, points, labels, loss="hinge", optimizer=SGD(model.parameters(), lr=1.0), epochs=100, l2=1e-4,
        schedule=lambda opt: LinearDecay(opt, 1.0, 0.1, 100), validation=validation, live=view, progress=False,
    )  # fmt: skip
    return view.png()


def ask_before_reveal(folder: Path) -> Path:
    """The ask-before-reveal page of ``(x + y) * y`` at x = 2, y = 3 (its output, unlabelled, is ``out``) after
    right answers for ∂out/∂u1 and ∂out/∂x and the one-path slip 5 for ∂out/∂y, as headless Chromium shows it;
    returns the screenshot."""
    from playwright.sync_api import sync_playwright

    page_file, shot = folder / "practice.html", folder / "ask_before_reveal.png"
    code = main(["explain", "(x + y) * y", "--at", "x=2", "y=3", "--format", "html", "--ask", "-o", str(page_file)])
    if code != 0:
        raise RuntimeError(f"tinygrad-scalar explain failed with exit code {code}")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.goto(page_file.resolve().as_uri())
        page.focus(".tgs-stepper")
        while not page.locator(".tgs-quiz.tgs-current").count():
            page.keyboard.press("ArrowRight")
        page.keyboard.type("3")  # ∂out/∂u1 = y = 3: right
        page.keyboard.press("Enter")
        page.keyboard.press("ArrowRight")  # step 2 asks for ∂out/∂x and ∂out/∂y
        page.keyboard.type("3")  # ∂out/∂x = 3: right
        page.keyboard.press("Enter")
        page.keyboard.type("5")  # ∂out/∂y: only the path out ← y (the sum of both paths is 8)
        page.keyboard.press("Enter")
        page.screenshot(path=str(shot))
        browser.close()
    return shot


def slide(folder: Path) -> Path:
    """The last slide of the lecture neuron's GIF (the chain rule of x1·w1 and the legend), decoded by Pillow."""
    from PIL import Image

    gif, png = folder / "pass.gif", folder / "slide.png"
    neuron = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
    code = main(["explain", *neuron, "-o", str(gif)])
    if code != 0:
        raise RuntimeError(f"tinygrad-scalar explain failed with exit code {code}")
    with Image.open(gif) as frames:
        frames.seek(frames.n_frames - 1)
        frames.convert("RGB").save(png, optimize=True)
    return png


def make_all() -> list[Path]:
    """Write every picture of ``docs/``; returns the files written."""
    written = []
    for name, graph in readme_pictures().items():
        written.append(atomic_write(DOCS / f"{name}.dot", graph.source.encode("utf-8")))
        written.append(atomic_write(DOCS / f"{name}.svg", graph.pipe(format="svg")))
    with tempfile.TemporaryDirectory() as tmp:
        png = decision_boundary(Path(tmp))
        written.append(Path(shutil.copyfile(png, DOCS / "decision_boundary.png")))
        written.append(Path(shutil.copyfile(ask_before_reveal(Path(tmp)), DOCS / "ask_before_reveal.png")))
        written.append(Path(shutil.copyfile(slide(Path(tmp)), DOCS / "slide.png")))
    written.append(atomic_write(DOCS / "live_view.png", live_view()))
    return written


if __name__ == "__main__":
    for path in make_all():
        print(f"wrote {path.relative_to(DOCS.parent)}", file=sys.stdout)
