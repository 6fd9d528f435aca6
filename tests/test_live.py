"""Training you can watch: fit(live=True) in a real Jupyter kernel, the live view's records and its drawing
budget, the fallback to the progress bar in a script, and fit's validation set."""

import base64
import io
from pathlib import Path

import nbformat
import pytest
import torch
from nbmake.nb_run import NotebookRun
from PIL import Image

from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.training.fit import accuracy, fit, predicted_class
from tinygrad_scalar.training.losses import hinge
from tinygrad_scalar.training.nn import MLP, to_torch
from tinygrad_scalar.training.watch import gradient_norms
from tinygrad_scalar.views.live import LiveView, in_jupyter


def moons(n=40, seed=3):
    return make_moons(n, noise=0.1, seed=seed)


def test_live_view_in_jupyter_updates_one_picture_in_place(tmp_path: Path):
    """In a real kernel, fit(live=True) leaves one picture in the cell beside the progress bar (a view that
    draws every epoch still leaves one: it is updated in place), and training gives the same numbers."""
    code = (
        "from tinygrad_scalar.training.data import make_moons\n"
        "from tinygrad_scalar.training.nn import MLP\n"
        "from tinygrad_scalar.training.fit import fit\n"
        "X, y = make_moons(40, noise=0.1, seed=3)\n"
        "def run(live):\n"
        "    model = MLP(2, [4, 1], seed=0)\n"
        "    return fit(model, X, y, epochs=30, live=live, validation=make_moons(20, noise=0.1, seed=4))\n"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(code),
        nbformat.v4.new_code_cell("watched = run(True)"),
        nbformat.v4.new_code_cell("plain = run(False)\nassert watched == plain"),
        nbformat.v4.new_code_cell(
            "from tinygrad_scalar.views.live import LiveView\n"
            "from tinygrad_scalar.training.fit import predicted_class\n"
            "view = LiveView(X, y, predicted_class, budget=1e9)  # no limit: a picture every epoch\n"
            "run(view)\n"
            "assert view.drawings == 30"
        ),
    ]
    path = tmp_path / "live.ipynb"
    nbformat.write(notebook, path)
    result = NotebookRun(path, 600).execute()
    assert result.error is None, result.error and result.error.trace
    outputs = result.nb.cells[1].outputs
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 1, [o.get("output_type") for o in outputs]
    image = Image.open(io.BytesIO(base64.b64decode(pictures[0]["data"]["image/png"])))
    assert image.size[0] >= 800
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    every_epoch = result.nb.cells[3].outputs
    assert len([o for o in every_epoch if "image/png" in o.get("data", {})]) == 1  # 30 pictures, one place


def test_live_in_a_script_falls_back_to_the_progress_bar(capsys):
    """Outside Jupyter, fit(live=True) shows the usual progress bar and trains exactly as without it."""
    assert not in_jupyter()
    X, y = moons()
    watched = fit(MLP(2, [4, 1], seed=0), X, y, epochs=5, live=True)
    assert "training" in capsys.readouterr().err
    assert watched == fit(MLP(2, [4, 1], seed=0), X, y, epochs=5, progress=False)


def test_live_view_records_every_epoch_and_ends_on_the_final_state():
    """The view hears of every epoch with fit's own numbers (validation included) and its last picture is a PNG
    drawn after the last epoch."""
    X, y = moons()
    Xv, yv = moons(20, seed=4)
    shown = []
    view = LiveView(X, y, predicted_class, show=shown.append)
    history = fit(MLP(2, [4, 1], seed=0), X, y, epochs=12, validation=(Xv, yv), live=view, progress=False)
    assert [p.epoch for p in view.history] == list(range(1, 13))
    assert [p.loss for p in view.history] == history.loss
    assert [p.validation_accuracy for p in view.history] == history.validation_accuracy
    assert len(view.norms) == 12
    assert shown and view.drawings == len(shown)
    with Image.open(io.BytesIO(shown[-1])) as image:
        assert image.format == "PNG"
    assert shown[-1] == view.png()  # the last picture shows the end of training


@pytest.mark.parametrize(("budget", "pictures"), [(0.0, 1), (1e9, 8)])
def test_live_view_draws_only_what_its_budget_allows(budget, pictures):
    """With no drawing budget the view draws only the final picture; with an unlimited one, every epoch."""
    X, y = moons()
    shown = []
    view = LiveView(X, y, predicted_class, show=shown.append, budget=budget)
    fit(MLP(2, [4, 1], seed=0), X, y, epochs=8, live=view, progress=False)
    assert len(shown) == pictures == view.drawings


def test_gradient_norms_are_each_layers_norm_as_pytorch_computes_it():
    """gradient_norms gives, per layer, the norm of the gradients of its weights and biases, as PyTorch float64."""
    X, y = moons(10)
    model = MLP(2, [5, 3, 1], seed=2)
    scores = [model(x) for x in X]
    hinge(scores, [2 * t - 1 for t in y]).backward()
    net = to_torch(model)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor([2.0 * t - 1 for t in y], dtype=torch.float64)
    torch.relu(1 - targets * net(inputs).squeeze(1)).mean().backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    expected = [torch.cat([m.weight.grad.flatten(), m.bias.grad]).norm().item() for m in linears]
    assert gradient_norms(model) == pytest.approx(expected, rel=1e-12)


def test_fit_measures_the_validation_set_after_every_epoch():
    """fit(validation=...) records, per epoch, the accuracy the model has on the validation samples after it."""
    X, y = moons()
    Xv, yv = moons(20, seed=4)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, epochs=6, validation=(Xv, yv), progress=False)
    assert len(history.validation_loss) == len(history.validation_accuracy) == 6
    assert history.validation_accuracy[-1] == accuracy(model, Xv, yv)


def test_fit_refuses_a_bad_validation_set_or_watcher():
    """A validation set of unequal lengths, or a live= that is no watcher, is refused by name before training."""
    X, y = moons()
    with pytest.raises(ValueError, match=r"validation must be \(X_val, y_val\)"):
        fit(MLP(2, [4, 1], seed=0), X, y, epochs=1, validation=(X, y[:-1]), progress=False)
    with pytest.raises(TypeError, match="live must be True, False or a watcher"):
        fit(MLP(2, [4, 1], seed=0), X, y, epochs=1, live="yes", progress=False)
