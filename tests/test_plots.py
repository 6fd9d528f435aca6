"""Plots of training show as pictures in Jupyter, whatever the matplotlib backend."""

import subprocess
import sys

import nbformat
from IPython.core.formatters import DisplayFormatter
from nbclient import NotebookClient

from tinygrad_scalar.training.data import make_xor
from tinygrad_scalar.training.fit import fit
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.views.plots import plot_decision_boundary, plot_history

CELL_TIMEOUT = 600  # seconds; a generous bound for a slow shared machine, not a speed test


def test_plots_show_as_png_pictures_in_jupyter():
    """IPython's display machinery formats both plots as PNG images, not only as ``<Figure size ...>`` text."""
    X, y = make_xor(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, epochs=3, progress=False)
    for figure in (plot_history(history), plot_decision_boundary(model, X, y, resolution=10)):
        data, _ = DisplayFormatter().format(figure)
        assert data["image/png"].startswith(b"\x89PNG"), sorted(data)


def test_a_plot_shows_once_when_pyplot_is_in_use():
    """In a kernel where pyplot's inline backend is active, a plot still shows as exactly one image."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);"),
        nbformat.v4.new_code_cell(
            "from tinygrad_scalar.views.plots import plot_history\n"
            "from tinygrad_scalar.training.fit import History\n"
            "plot_history(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0], lr=[0.1, 0.1]))"
        ),
    ]
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3").execute()
    for cell in notebook.cells:
        images = [o for o in cell.outputs if any(kind in o.get("data", {}) for kind in ("image/png", "image/svg+xml"))]
        assert len(images) == 1, [o.get("data", {}).keys() for o in cell.outputs]


def test_plots_without_matplotlib_say_how_to_install_it():
    """Importing the plots module without matplotlib raises an ImportError that names the install command."""
    code = "import sys; sys.modules['matplotlib'] = None; import tinygrad_scalar.views.plots"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "ImportError: plots need matplotlib: pip install 'tinygrad-scalar[plots]'" in result.stderr
