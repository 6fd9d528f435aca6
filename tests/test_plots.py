"""Plots of training show as pictures in Jupyter, whatever the matplotlib backend."""

from IPython.core.formatters import DisplayFormatter

from tinygrad_scalar.data import make_xor
from tinygrad_scalar.nn import MLP
from tinygrad_scalar.plots import plot_decision_boundary, plot_history
from tinygrad_scalar.train import fit


def test_plots_show_as_png_pictures_in_jupyter():
    """IPython's display machinery formats both plots as PNG images, not only as ``<Figure size ...>`` text."""
    X, y = make_xor(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, epochs=3, progress=False)
    for figure in (plot_history(history), plot_decision_boundary(model, X, y, resolution=10)):
        data, _ = DisplayFormatter().format(figure)
        assert data["image/png"].startswith(b"\x89PNG"), sorted(data)
