"""The notebooks: committed without outputs, and executed in a real kernel (nbmake's runner), where every
cell runs with its asserts holding, every plot shows as a picture, and training shows its progress bar
as a widget instead of writing text to stderr.

Each notebook is executed once, by the ``run`` fixture, and the tests below read its outputs.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbmake.nb_result import NotebookResult
from nbmake.nb_run import NotebookRun

from tests import notebooks_clean
from tests.notebooks_clean import leftovers

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

PLOTTING = re.compile(r"^[^#\n]*\b(?:plot_\w+|draw_dot|plt\.\w+)\(", flags=re.MULTILINE)
"""A code cell that calls one of these makes a picture: our plots, graphs, or pyplot."""
TRAINING = re.compile(r"^[^#\n]*\bfit\(", flags=re.MULTILINE)
"""A code cell that trains with ``fit``."""
IMAGES = ("image/png", "image/svg+xml")
WIDGET = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 600  # seconds; a generous bound for a slow shared machine, not a speed test


def shows_progress(source: str) -> bool:
    """Whether a code cell trains with ``fit`` and its progress bar on (the default)."""
    return bool(TRAINING.search(source)) and "progress=False" not in source


def test_the_teaching_sequence_is_there():
    """Notebooks 1 to 5 take a newcomer from a derivative to a trained MLP."""
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_", "05_"):
        assert any(name.startswith(prefix) for name in names), names


def test_notebooks_are_committed_without_outputs():
    """No stale outputs: every code cell is clean."""
    for path in NOTEBOOKS:
        assert leftovers(nbformat.read(path, as_version=4)) == [], path


def test_every_notebook_explains_before_it_shows_and_checks_its_numbers():
    """Each notebook opens with Markdown, keeps code cells short, and asserts its key numbers."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.cells[0].cell_type == "markdown", path
        code = [c.source for c in notebook.cells if c.cell_type == "code"]
        assert sum("assert" in c for c in code) >= 3, path
        assert max(len(c.splitlines()) for c in code) <= 30, path


@dataclass
class Run:
    """A committed notebook and what executing it gave: the notebook with its outputs, and the error if any."""

    path: Path
    result: NotebookResult

    @property
    def nb(self) -> NotebookNode:
        return self.result.nb


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def run(request: pytest.FixtureRequest) -> Run:
    """One notebook executed top to bottom in a fresh kernel, in its own folder, as nbmake runs it."""
    return Run(request.param, NotebookRun(request.param, CELL_TIMEOUT).execute())


def executed_cells(run: Run) -> list[tuple[int, NotebookNode]]:
    """The code cells of a notebook that ran to the end, with their indexes; a failed run fails the test."""
    error = run.result.error
    if error is not None:
        pytest.fail(f"the notebook stopped at cell {error.failing_cell_index}: {error.summary}")
    return [(i, cell) for i, cell in enumerate(run.nb.cells) if cell.cell_type == "code"]


def test_every_notebook_runs_to_the_end_with_its_asserts_holding(run: Run):
    """Executing a notebook raises nowhere: every cell runs and every assert about its numbers holds."""
    assert run.result.error is None, run.result.error.trace


def test_every_plot_shows_as_one_image(run: Run):
    """Each cell that draws (plot_history, plot_decision_boundary, draw_dot, plt.*) shows an image,
    never the text ``<Figure size ...>`` in its place, and never the same image twice."""
    for i, cell in executed_cells(run):
        shown = [o.get("data", {}) for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
        for data in shown:
            if data.get("text/plain", "").startswith("<Figure size"):
                assert any(kind in data for kind in IMAGES), f"cell {i} shows a figure as text: {data['text/plain']}"
        texts = "".join(o.text for o in cell.outputs if o.output_type == "stream")
        assert "<Figure size" not in texts, f"cell {i} prints a figure as text"
        if PLOTTING.search(cell.source):
            images = [data[kind] for data in shown for kind in IMAGES if kind in data]
            assert images, f"cell {i} draws but shows no image:\n{cell.source}"
            assert len(images) == len(set(images)), f"cell {i} shows the same image twice"


def test_no_cell_writes_to_stderr(run: Run):
    """No cell writes to stderr: no progress bar as red text, no "IProgress not found", no warning."""
    for i, cell in executed_cells(run):
        errors = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert errors == [], f"cell {i} wrote to stderr: {''.join(errors)[:300]}"


def test_training_shows_its_progress_bar_as_a_widget(run: Run):
    """A cell that trains with fit and its progress bar on shows the bar as a Jupyter widget."""
    for i, cell in executed_cells(run):
        if shows_progress(cell.source):
            kinds = [kind for o in cell.outputs for kind in o.get("data", {})]
            assert WIDGET in kinds, f"cell {i} trains without a progress widget: {kinds}"


def test_the_checks_find_the_cells_they_are_for():
    """The patterns find the notebooks' own plotting and training cells, and skip calls in comments."""
    cells = {
        p.name[:2]: [c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"] for p in NOTEBOOKS
    }
    assert sum(bool(PLOTTING.search(c)) for c in cells["02"]) >= 3  # draw_dot
    assert sum(bool(PLOTTING.search(c)) for c in cells["05"]) >= 2  # plot_history, plot_decision_boundary
    assert sum(shows_progress(c) for c in cells["05"]) >= 1
    assert not PLOTTING.search("x = 1  # draw_dot(o) would draw it") and PLOTTING.search("plt.plot(xs, ys)")
    assert not shows_progress("fit(model, X, y, progress=False)")


def test_cleaning_an_executed_notebook_leaves_only_what_a_person_wrote(run: Run, tmp_path: Path):
    """notebooks_clean finds what running made (outputs, counts, timings, widget state), and --fix strips
    it all, leaving every cell as committed."""
    executed = tmp_path / run.path.name
    nbformat.write(run.nb, executed)
    found = leftovers(run.nb)
    trains = any(shows_progress(cell.source) for _, cell in executed_cells(run))
    assert found and ("widget state" in found) == trains, found
    assert notebooks_clean.main([str(tmp_path)]) == 1
    assert notebooks_clean.main(["--fix", str(tmp_path)]) == 0
    assert notebooks_clean.main([str(tmp_path)]) == 0
    cleaned, committed = nbformat.read(executed, as_version=4), nbformat.read(run.path, as_version=4)
    assert [(c.id, c.cell_type, c.source, c.metadata) for c in cleaned.cells] == [
        (c.id, c.cell_type, c.source, c.metadata) for c in committed.cells
    ]
