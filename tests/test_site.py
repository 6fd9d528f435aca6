"""The documentation site and its browser lab.

The first tests need nothing built: the lab's copy of a notebook, the tags that say which cells need a desktop, the
link from a notebook's page to the lab. The tests marked ``site`` need ``make docs`` first and run with
``make site-test``: the built site is served from 127.0.0.1 to headless Chromium, whose only way to any other host
is a gate that refuses and records every request (tests/site.py). Every page loads with its pictures and nothing
from outside; every notebook of the lab runs to the end in the browser, with its pictures, no error and no stderr.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

from tests import site
from tests.test_notebooks import PLOTTING

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lab = _load("lab", DOCS / "lab.py")
sys.path.insert(0, str(DOCS / "_ext"))
lab_links = _load("lab_links", DOCS / "_ext" / "lab_links.py")

NEEDS_A_DESKTOP = re.compile(
    r"\bnumpy\b|\bnp\.|matplotlib|\bplt\.|views\.plots\b|\bplot_(?:history|decision_boundary)\("
)
"""Code that the browser lab cannot run: numpy, matplotlib, and our plots, which draw with matplotlib."""

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def test_every_cell_that_needs_numpy_or_matplotlib_is_tagged_desktop():
    """A code cell that uses numpy or matplotlib carries the tag ``desktop`` (the lab shows the desktop's run of
    it), and the tag is on no cell that does not need it except those reading a desktop cell's results."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for i, cell in enumerate(notebook.cells):
            tagged = lab.DESKTOP in cell.metadata.get("tags", [])
            if cell.cell_type == "code" and NEEDS_A_DESKTOP.search(cell.source):
                assert tagged, f"{path.name}, cell {i} needs numpy or matplotlib but is not tagged {lab.DESKTOP!r}"


def test_desktop_tags_sit_only_on_code_cells():
    """The tag means a code cell to show as the desktop ran it: no Markdown cell carries it."""
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if lab.DESKTOP in cell.metadata.get("tags", []):
                assert cell.cell_type == "code", path.name


def _notebook(tmp_path: Path, outputs: list) -> tuple[Path, Path]:
    committed = nbformat.v4.new_notebook()
    committed.cells = [
        nbformat.v4.new_markdown_cell("# A plot"),
        nbformat.v4.new_code_cell("x = 2"),
        nbformat.v4.new_code_cell("import numpy as np\nprint(np.ones(2))", metadata={"tags": ["desktop"]}),
    ]
    executed = nbformat.from_dict(committed)
    executed.cells[2].outputs = outputs
    paths = tmp_path / "committed.ipynb", tmp_path / "executed.ipynb"
    nbformat.write(committed, paths[0])
    nbformat.write(executed, paths[1])
    return paths


def test_the_lab_shows_a_desktop_cell_as_the_desktop_ran_it(tmp_path: Path):
    """In the lab's copy, a desktop cell is a Markdown note with its code, what it printed and what it drew (as an
    attachment), saying why; every other cell stays as committed."""
    outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="[1. 1.]\n"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
    ]
    committed, executed = _notebook(tmp_path, outputs)
    copy = lab.lab_notebook(committed, executed)
    note = copy.cells[2]
    assert note.cell_type == "markdown" and note.id == nbformat.read(committed, as_version=4).cells[2].id
    assert "runs on a desktop" in note.source and "printed and drew" in note.source
    assert "```python\nimport numpy as np\nprint(np.ones(2))\n```" in note.source
    assert "```text\n[1. 1.]\n```" in note.source
    assert note.attachments == {"picture-1.png": {"image/png": PNG}}
    assert "![what the cell drew on a desktop](attachment:picture-1.png)" in note.source
    assert [c.source for c in copy.cells[:2]] == ["# A plot", "x = 2"]


def test_the_lab_refuses_a_desktop_cell_that_failed_on_the_desktop(tmp_path: Path):
    """A desktop cell whose run on the desktop ended in an error is not shown as if it had worked."""
    failed = nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])
    committed, executed = _notebook(tmp_path, [failed])
    with pytest.raises(ValueError, match="ValueError: bad"):
        lab.lab_notebook(committed, executed)


def test_the_lab_needs_the_desktop_run_of_every_desktop_cell(tmp_path: Path):
    """Without the site's executed copy, a desktop cell cannot be shown, and the build says which one."""
    committed, _ = _notebook(tmp_path, [])
    with pytest.raises(ValueError, match="cell 2 is tagged 'desktop' but the site did not run it"):
        lab.lab_notebook(committed, None)


def test_a_notebook_page_links_to_the_same_notebook_in_the_lab():
    """The link under a notebook page's title opens that notebook in the lab, relative to the page."""
    assert lab_links.lab_address("notebooks/05_training_an_mlp") == (
        "../lite/notebooks/index.html?path=05_training_an_mlp.ipynb"
    )


def test_the_lab_loads_pyodide_from_the_site_and_never_from_pypi():
    """jupyter-lite.json points the kernel at the site's own Pyodide, with the PyPI fallback off."""
    settings = lab.jupyter_lite_json()["jupyter-config-data"]["litePluginSettings"]
    kernel = settings["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel == {"pyodideUrl": "./static/pyodide/pyodide.mjs", "disablePyPIFallback": True}


# The built site in Chromium (make docs first; make site-test runs these).


@pytest.mark.site
def test_a_request_to_another_host_is_refused(served):
    """The blocking works: a page's request to another host fails in the browser and reaches only the gate."""
    base, gate, chromium = served
    page = chromium.new_page()
    page.goto(base)
    failed = page.evaluate(
        "() => fetch('http://example.com/tinygrad-scalar-probe').then(() => 'answered', e => 'failed: ' + e)"
    )
    page.close()
    assert failed.startswith("failed")
    assert any("example.com" in line for line in gate.asked), gate.asked
    gate.asked.clear()


def _pages() -> list[str]:
    return sorted(
        str(p.relative_to(site.SITE)) for p in site.SITE.rglob("*.html") if p.relative_to(site.SITE).parts[0] != "lite"
    )


@pytest.mark.site
def test_every_page_loads_its_pictures_with_nothing_from_outside(visit):
    """Every page of the site (the lab aside) loads every picture it shows, and asks no other host for anything."""
    base, page = visit
    pages = _pages()
    assert len(pages) >= 20
    for name in pages:
        page.goto(base + name, wait_until="load")
        broken = page.evaluate(
            "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], (name, broken)


@pytest.mark.site
def test_every_notebook_page_shows_its_pictures_and_a_way_into_the_lab(visit):
    """Each notebook's page shows the pictures its cells drew when the site was built, and links to the lab."""
    base, page = visit
    for path in NOTEBOOKS:
        page.goto(f"{base}notebooks/{path.stem}.html")
        link = page.locator("a.open-in-lab-button")
        assert link.get_attribute("href") == f"../lite/notebooks/index.html?path={path.name}", path.name
        drawing = sum(bool(PLOTTING.search(c.source)) for c in nbformat.read(path, as_version=4).cells)
        shown = page.locator(".cell_output img, .cell_output svg").count()
        assert shown >= drawing, (path.name, shown, drawing)


@pytest.mark.site
def test_a_notebook_page_shows_each_progress_bar_as_the_training_ended(visit):
    """fit's progress bar is a Jupyter widget: a notebook's page draws it from the state saved when the notebook
    ran (100%, with the last loss), by the widget renderer the site serves itself, and never shows the text the
    bar had when it appeared ("0/100")."""
    base, page = visit
    pages = [p.name for p in (site.SITE / "notebooks").glob("*.html") if "widget-view+json" in p.read_text("utf-8")]
    assert "05_training_an_mlp.html" in pages
    for name in pages:
        page.goto(f"{base}notebooks/{name}")
        page.locator(".widget-hprogress").first.wait_for()
        bars = [t for t in page.locator(".widget-hbox").all_inner_texts() if "step" in t]
        assert bars and all("100%" in t and "loss=" in t for t in bars), (name, bars)
        assert not re.search(r"(?<!\d)0/\d+ \[", page.locator("article").inner_text()), name


@pytest.mark.site
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_every_notebook_runs_to_the_end_in_the_lab(visit, name: str):
    """In the browser lab, the notebook runs every cell: no error, nothing on stderr, a picture from every cell
    that draws (graphs drawn by Viz.js), and each desktop cell shown with what the desktop drew."""
    base, page = visit
    run = site.run_notebook(page, base, name)
    assert run.errors() == []
    for i, cell in run.code_cells():
        assert cell.get("execution_count") is not None, f"cell {i} did not run"
        if PLOTTING.search("".join(cell["source"])):
            kinds = [k for o in cell.get("outputs", []) for k in o.get("data", {})]
            assert "image/svg+xml" in kinds or "image/png" in kinds or "text/html" in kinds, (i, kinds)
    committed = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    for cell, shown in zip(committed.cells, run.cells):
        if lab.DESKTOP in cell.metadata.get("tags", []):
            assert shown["cell_type"] == "markdown" and "runs on a desktop" in "".join(shown["source"])
            if PLOTTING.search(cell.source):
                assert shown.get("attachments"), f"{name}: a desktop cell lost its picture"


def test_in_the_browser_a_graph_is_refused_as_png_with_what_to_do_instead(monkeypatch: pytest.MonkeyPatch):
    """Where there is no dot and Python runs in the browser, rendering goes to Viz.js, which writes SVG but no PNG:
    asking for a PNG says so and what to do, before anything is loaded."""
    from tinygrad_scalar import Value, draw_dot
    from tinygrad_scalar.views import dot

    graph = draw_dot(Value(2.0, label="x") * 3)
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    monkeypatch.setattr(dot.sys, "platform", "emscripten")
    with pytest.raises(ValueError, match=r"Viz\.js, which writes svg.*but not png: save the picture as \.svg"):
        graph.pipe(format="png")


def test_on_a_desktop_without_dot_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    """Off the browser, a missing dot is still DotNotFoundError with the install advice: Viz.js is the browser's."""
    from tinygrad_scalar import Value, draw_dot
    from tinygrad_scalar.views import dot

    graph = draw_dot(Value(2.0, label="x") * 3)
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    with pytest.raises(dot.DotNotFoundError, match="apt-get install graphviz"):
        graph.pipe(format="svg")


def test_in_the_browser_lab_live_training_says_it_shows_the_progress_bar(monkeypatch, capsys):
    """fit(live=True) in the browser lab, which has no matplotlib, prints why it shows the progress bar instead of
    the live picture."""
    from tinygrad_scalar.views import live

    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    monkeypatch.setattr(live.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(live.sys, "platform", "emscripten")
    assert live.live_view([[0.0, 1.0]], [1.0], None) is None
    assert capsys.readouterr().out == live.BROWSER_NOTE + "\n"


def test_only_a_network_request_to_another_host_counts_as_leaving_the_site():
    """The site's own addresses and a page's data:, blob: and attachment: addresses stay; any other host leaves."""
    base = "http://127.0.0.1:8000/"
    assert not site.outside(base + "lite/static/pyodide/pyodide.mjs", base)
    assert not any(site.outside(u, base) for u in ("data:image/png;base64,AA", "blob:http://127.0.0.1:8000/x"))
    assert not site.outside("attachment:picture-1.png", base)
    assert site.outside("https://cdn.jsdelivr.net/pyodide/v0.29/full/pyodide.mjs", base)
    assert site.outside("http://127.0.0.1:9000/", base) and site.outside("wss://example.com/", base)
