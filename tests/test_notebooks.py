"""The notebooks: committed without outputs, each one asserting its key numbers (pytest --nbmake runs them)."""

from pathlib import Path

import nbformat

from tests.notebooks_clean import dirty_cells

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_the_teaching_sequence_is_there():
    """Notebooks 1 to 5 take a newcomer from a derivative to a trained MLP."""
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_", "05_"):
        assert any(name.startswith(prefix) for name in names), names


def test_notebooks_are_committed_without_outputs():
    """No stale outputs: every code cell is clean."""
    for path in NOTEBOOKS:
        assert dirty_cells(path) == [], path


def test_every_notebook_explains_before_it_shows_and_checks_its_numbers():
    """Each notebook opens with Markdown, keeps code cells short, and asserts its key numbers."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.cells[0].cell_type == "markdown", path
        code = [c.source for c in notebook.cells if c.cell_type == "code"]
        assert sum("assert" in c for c in code) >= 3, path
        assert max(len(c.splitlines()) for c in code) <= 30, path
