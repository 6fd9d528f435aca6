"""Data sets, the training loop, saving and loading models, plots, and the move to PyTorch."""

import gc
import json
import math
import os
import random
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from tests.ops import close
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.training import fit as train
from tinygrad_scalar.training import optim
from tinygrad_scalar.training.data import DATASETS, make_moons, make_spiral, signed, train_test_split
from tinygrad_scalar.training.fit import History, accuracy, fit, predict
from tinygrad_scalar.training.nn import MLP, ModelFileError, Module, to_torch
from tinygrad_scalar.transforms.checkpoint import checkpoint
from tinygrad_scalar.views.plots import plot_decision_boundary, plot_history

# ---- data -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_datasets_are_deterministic_for_a_seed(name: str):
    """The same seed gives the same points; another seed gives others; classes are balanced."""
    make = DATASETS[name]
    X, y = make(60, seed=3)
    assert (X, y) == make(60, seed=3)
    assert make(60, seed=4)[0] != X
    assert len(X) == len(y) == 60 and all(len(p) == 2 for p in X)
    counts = {c: y.count(c) for c in set(y)}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_moons_lie_on_their_arcs():
    """Without noise, class 0 lies on the unit circle around (0, 0), class 1 around (1, 0.5)."""
    X, y = make_moons(50, noise=0.0, seed=0)
    for (a, b), c in zip(X, y):
        centre = (0.0, 0.0) if c == 0 else (1.0, 0.5)
        assert close(((a - centre[0]) ** 2 + (b - centre[1]) ** 2) ** 0.5, 1.0, rel=1e-12)


def test_spiral_has_the_classes_asked_for():
    """make_spiral(classes=4) labels points 0..3."""
    assert sorted(set(make_spiral(40, classes=4)[1])) == [0, 1, 2, 3]


def test_train_test_split_and_signed_labels():
    """The split is a deterministic partition; signed() maps 0/1 to -1/+1 and refuses other labels."""
    X, y = make_moons(40, seed=1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=2)
    assert (len(X_train), len(X_test)) == (30, 10)
    assert sorted(map(tuple, X_train + X_test)) == sorted(map(tuple, X))
    assert train_test_split(X, y, seed=2) == (X_train, X_test, y_train, y_test)
    assert signed([0, 1, 1]) == [-1, 1, 1]
    with pytest.raises(ValueError, match="not all 0 or 1"):
        signed([0, 2])


# ---- the training loop ------------------------------------------------------------------------------


def test_fit_learns_moons_and_records_history():
    """fit trains micrograd's demo setup to high accuracy and returns one history entry per epoch."""
    X, y = make_moons(60, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    opt = optim.SGD(model.parameters(), lr=1.0)
    history = fit(
        model, X, y, loss="hinge", optimizer=opt, epochs=40, l2=1e-4,
        schedule=lambda o: optim.LinearDecay(o, 1.0, 0.1, 40), progress=False,
    )  # fmt: skip
    assert isinstance(history, History) and len(history) == 40
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] >= 0.95
    assert history.lr[0] == 1.0 and close(history.lr[-1], 1.0 - 0.9 * 39 / 40)
    assert accuracy(model, X, y) >= 0.95


def test_fit_with_minibatches_cross_entropy_and_clipping():
    """Mini-batches (shuffled per epoch), cross-entropy on three classes, Adam and clipping work together."""
    X, y = make_spiral(90, classes=3, noise=0.1, seed=0)
    model = MLP(2, [16, 3], activation="tanh", seed=0)
    history = fit(
        model, X, y, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=15, batch_size=30, clip_norm=5.0, progress=False,
    )  # fmt: skip
    assert len(history) == 15
    assert history.accuracy[-1] > history.accuracy[0]
    outputs = predict(model, X)
    assert all(len(o) == 3 and o[0]._prev == () for o in outputs)  # predicted without a graph


def test_fit_progress_bar_shows_loss_and_accuracy_and_can_be_silenced(capsys):
    """The progress bar reports loss and accuracy on standard error; progress=False prints nothing."""
    X, y = make_moons(20, seed=0)
    fit(MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "loss=" in err and "acc=" in err and "3/3" in err
    fit(MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_fit_refuses_bad_arguments():
    """Unknown losses and mismatched data are clear errors."""
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        fit(MLP(2, [1], seed=0), [[0.0, 0.0]], [1], loss="l1", progress=False)
    with pytest.raises(ValueError, match="same, non-zero number"):
        fit(MLP(2, [1], seed=0), [[0.0, 0.0]], [1, 0], progress=False)


# ---- saving and loading -----------------------------------------------------------------------------


def trained_model() -> MLP:
    model = MLP(2, [5, 3, 1], activation="tanh", output_activation="sigmoid", seed=9)
    for p in model.parameters():
        p.data += random.Random(id(p) % 1000).uniform(-0.1, 0.1)
    return model


def test_save_and_load_round_trip_exactly(tmp_path: Path):
    """MLP.load gives back the same architecture and bit-identical parameters, through plain JSON."""
    model = trained_model()
    model.layers[0].neurons[0].w[0].data = float("nan")
    model.layers[0].neurons[0].w[1].data = float("-inf")
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())  # plain JSON, no pickle
    assert document["format"] == "tinygrad_scalar.MLP" and document["architecture"]["activation"] == "tanh"
    loaded = MLP.load(path)
    assert loaded.architecture() == model.architecture()
    assert repr(loaded) == repr(model)
    for a, b in zip(loaded.parameters(), model.parameters()):
        assert a.data == b.data or (a.data != a.data and b.data != b.data)


def test_load_parameters_into_an_existing_model(tmp_path: Path):
    """load_parameters replaces the parameters of a model of the same shape."""
    model = trained_model()
    model.save(tmp_path / "m.json")
    other = MLP(2, [5, 3, 1], activation="tanh", output_activation="sigmoid", seed=1)
    other.load_parameters(tmp_path / "m.json")
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]


def test_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch):
    """If writing fails half way, the previous file is untouched and no temporary file is left."""
    path = tmp_path / "model.json"
    trained_model().save(path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [1], seed=0).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def _drop_first_neuron(parameters: list) -> list:
    return [parameters[0][1:], *parameters[1:]]


CORRUPTIONS = {
    "truncated": lambda text: text[: len(text) // 2],
    "not json": lambda text: "hello",
    "binary": lambda text: "\x00\xff",
    "foreign json": lambda text: json.dumps({"weights": [1, 2, 3]}),
    "newer version": lambda text: text.replace('"version": 1', '"version": 99'),
    "bad architecture": lambda text: text.replace('"activation": "tanh"', '"activation": "swish"'),
    "missing neuron": lambda text: json.dumps(
        {**json.loads(text), "parameters": _drop_first_neuron(json.loads(text)["parameters"])}
    ),
    "not a number": lambda text: text.replace(json.dumps(json.loads(text)["parameters"][0][0][0]), '"abc"', 1),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_files_give_a_clear_error_and_change_nothing(tmp_path: Path, kind: str):
    """A corrupt, truncated or foreign file raises ModelFileError naming the file and the problem,
    and the model it was to be loaded into keeps its parameters."""
    path = tmp_path / "model.json"
    trained_model().save(path)
    path.write_bytes(CORRUPTIONS[kind](path.read_text()).encode("latin-1", "replace"))
    target = MLP(2, [5, 3, 1], activation="tanh", output_activation="sigmoid", seed=1)
    before = [p.data for p in target.parameters()]
    with pytest.raises(ModelFileError) as info:
        target.load_parameters(path)
    assert str(path) in str(info.value)
    assert [p.data for p in target.parameters()] == before
    with pytest.raises(ModelFileError):
        MLP.load(path)


def test_loading_into_a_model_of_another_shape_is_refused(tmp_path: Path):
    """A file saved from MLP(2, [5, 3, 1]) does not load into MLP(2, [4, 1]); the message names both."""
    trained_model().save(tmp_path / "m.json")
    small = MLP(2, [4, 1], seed=0)
    before = [p.data for p in small.parameters()]
    with pytest.raises(ModelFileError, match=r"holds MLP\(2, \[5, 3, 1\].*this model is MLP\(2, \[4, 1\]"):
        small.load_parameters(tmp_path / "m.json")
    assert [p.data for p in small.parameters()] == before
    with pytest.raises(ModelFileError, match="cannot read"):
        MLP.load(tmp_path / "missing.json")


# ---- plots and PyTorch ------------------------------------------------------------------------------


def test_plots_write_png_files(tmp_path: Path):
    """The decision boundary and the training curves are written as real PNG files."""
    X, y = make_moons(30, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X, y, epochs=5, progress=False)
    plot_decision_boundary(model, X, y, path=tmp_path / "boundary.png", resolution=20)
    plot_history(history, path=tmp_path / "loss.png")
    for name in ("boundary.png", "loss.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    spiral_X, spiral_y = make_spiral(30, classes=3)
    figure = plot_decision_boundary(MLP(2, [4, 3], seed=0), spiral_X, spiral_y, resolution=10)
    assert figure.axes[0].get_title() == "decision boundary"


@pytest.mark.parametrize(
    ("activation", "output_activation"), [("relu", "linear"), ("tanh", "sigmoid"), ("sigmoid", "tanh")]
)
def test_to_torch_gives_the_same_outputs(activation: str, output_activation: str):
    """to_torch(model) is an equivalent float64 nn.Sequential: outputs agree to 1e-12."""
    model = MLP(3, [6, 4, 2], activation=activation, output_activation=output_activation, seed=2)
    net = to_torch(model)
    assert isinstance(net, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    rng = random.Random(0)
    for _ in range(10):
        x = [rng.uniform(-2, 2) for _ in range(3)]
        ours = [v.data for v in predict(model, [x])[0]]
        theirs = net(torch.tensor(x, dtype=torch.float64)).tolist()
        assert all(close(a, b) for a, b in zip(ours, theirs))


# ---- traced by default, the collector deferred ------------------------------------------------------


def trained(traced: bool, loss: str, batch_size: int | None, **options) -> tuple[list[str], History]:
    """Train a fresh model; returns its parameters (as exact hex strings) and the history."""
    if loss == "cross_entropy":
        X, y = make_spiral(45, classes=3, noise=0.1, seed=0)
        validation = make_spiral(15, classes=3, noise=0.1, seed=1)
        model = MLP(2, [8, 8, 3], activation="tanh", seed=2)
    else:
        X, y = make_moons(40, seed=1337)
        validation = make_moons(15, seed=7)
        model = MLP(2, [8, 8, 1], seed=1337)
    history = fit(model, X, y, loss=loss, epochs=4, batch_size=batch_size, progress=False, traced=traced,
                  validation=validation, **options)  # fmt: skip
    exact = {name: [x if x is None else x.hex() for x in getattr(history, name)] for name in vars(history)}
    return [p.data.hex() for p in model.parameters()], exact


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_traced_fit_gives_define_by_run_results_bit_for_bit(loss: str, batch_size: int | None):
    """fit() traced (the default) and fit(traced=False) give the same parameters and history, bit for bit,
    for every loss, full batches and minibatches, with L2, clipping, a schedule and a validation set (which
    the traced path measures with the program)."""

    def options():  # a fresh optimizer and schedule for each run
        return {"l2": 1e-3, "clip_norm": 0.5, "schedule": lambda o: optim.LinearDecay(o, 1.0, 0.1, 4)}

    assert trained(True, loss, batch_size, **options()) == trained(False, loss, batch_size, **options())


def test_traced_fit_with_adam_matches_define_by_run():
    """The optimizer reads the same gradients either way: Adam's parameters agree bit for bit too."""
    X, y = make_moons(30, seed=4)
    results = []
    for traced in (True, False):
        model = MLP(2, [6, 1], activation="tanh", seed=4)
        fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=0.05), epochs=3, batch_size=8,
            progress=False, traced=traced)  # fmt: skip
        results.append([p.data.hex() for p in model.parameters()])
    assert results[0] == results[1]


class Branchy(MLP):
    """An MLP whose graph depends on its input values: a sample with a negative first feature skips a layer."""

    def __call__(self, x):
        if float(x[0].data if hasattr(x[0], "data") else x[0]) < 0:
            return self.layers[-1](self.layers[0](x))
        return super().__call__(x)


def test_fit_falls_back_to_define_by_run_with_one_line_when_the_graph_depends_on_values(capsys):
    """A model whose structure depends on its inputs is trained define-by-run, after one line on
    standard error saying why, with the results of traced=False."""
    X, y = [[1.0, 0.5], [0.3, -0.2], [-0.7, 0.4], [-1.0, -1.0]], [1, 0, 1, 0]
    results = []
    for traced in (True, False):
        model = Branchy(2, [3, 3, 1], seed=5)
        fit(model, X, y, epochs=3, progress=False, traced=traced)
        results.append([p.data for p in model.parameters()])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fit: training define-by-run, not traced: ")
    assert "depend on the values" in err
    assert results[0] == results[1]


class Summing(Module):
    """w * (the sum of a sample's numbers) + b: a model that takes samples of any length."""

    def __init__(self) -> None:
        self.w, self.b = Value(0.5), Value(0.1)

    def __call__(self, x):
        return self.w * sum(x) + self.b

    def parameters(self):
        return [self.w, self.b]


def test_fit_checks_every_sample_before_it_traces(capsys):
    """A model that never looks at a number but builds another graph for one sample in the middle (a row
    of another length, among samples fit does not trace) is caught: fit trains define-by-run, with
    traced=False's results."""

    X = [[0.1 * k, 1.0 - 0.05 * k] for k in range(30)]
    X[13] = [-1.0, 2.0, 0.5]
    y = [(-1.0) ** k for k in range(30)]
    results = []
    for traced in (True, False):
        model = Summing()
        fit(model, X, y, loss="mse", epochs=5, progress=False, traced=traced)
        results.append([p.data for p in model.parameters()])
    assert "sample 13 holds 3 numbers and the first 2" in capsys.readouterr().err
    assert results[0] == results[1]


def test_traced_fit_measures_validation_samples_of_another_length_define_by_run(capsys):
    """The program is made for samples as long as the training samples: validation samples of another
    length are measured by the model itself, define-by-run, as fit(traced=False) measures them."""

    X, y = [[0.1 * k, 1.0 - 0.05 * k] for k in range(12)], [(-1.0) ** k for k in range(12)]
    Xv, yv = [[0.3, 0.2, -0.1], [0.5, -0.4, 0.25]], [1.0, -1.0]
    histories = []
    for traced in (True, False):
        history = fit(Summing(), X, y, loss="mse", epochs=4, progress=False, traced=traced, validation=(Xv, yv))
        histories.append([x.hex() for x in history.validation_loss])
    assert capsys.readouterr().err == ""  # the training itself was traced
    assert histories[0] == histories[1]


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse", "cross_entropy"])
def test_fit_takes_numpy_arrays_as_scikit_learn_gives_them(loss: str):
    """X and y as numpy arrays (scikit-learn's make_moons gives them), with a validation set: fit trains,
    traced and define-by-run alike, bit for bit, and every parameter stays a plain float."""
    import numpy as np

    X, labels = make_moons(24, seed=3)
    Xn, yn = np.array(X), np.array(labels, dtype=float if loss == "mse" else int)
    runs = []
    for traced in (True, False):
        model = MLP(2, [4, 3 if loss == "cross_entropy" else 1], seed=3)
        history = fit(model, Xn, yn, loss=loss, epochs=3, progress=False, traced=traced, validation=(Xn[:8], yn[:8]))
        assert {type(p.data) for p in model.parameters()} == {float}
        runs.append(([p.data.hex() for p in model.parameters()], [x.hex() for x in history.validation_loss]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(("X", "validation", "where"), [
    ([1.0, 2.0], None, "sample 0 is float 1.0"),
    ([[1.0], [2.0]], ([1.0], [1]), "of the validation set's X_val"),
])  # fmt: skip
def test_fit_refuses_samples_that_are_not_lists_of_numbers_in_one_sentence(X, validation, where):
    """A flat list of numbers (one number per sample, not wrapped) is refused by name, with the way to write it,
    rather than with Python's "'float' object is not iterable"."""
    with pytest.raises(TypeError, match=r"each sample .* is a list of numbers") as error:
        fit(MLP(1, [2, 1], seed=0), X, [1, 0], epochs=1, progress=False, validation=validation)
    assert where in str(error.value) and "[[x] for x in" in str(error.value)


def test_fit_on_samples_of_values_trains_define_by_run_and_gives_them_gradients(capsys):
    """Samples written as Values (micrograd's demo makes them) are trained define-by-run, after one line saying
    why: the samples' Values receive their gradients, as in a hand-written loop."""
    X, y = make_moons(6, seed=2)
    samples = [[Value(a), Value(b)] for a, b in X]
    by_hand = [[Value(a), Value(b)] for a, b in X]
    model, twin = MLP(2, [3, 1], seed=2), MLP(2, [3, 1], seed=2)
    fit(model, samples, y, epochs=1, progress=False)
    assert "the samples hold Values" in capsys.readouterr().err
    fit(twin, by_hand, y, epochs=1, progress=False, traced=False)
    assert [v.grad for x in samples for v in x] == [v.grad for x in by_hand for v in x]
    assert any(v.grad != 0 for x in samples for v in x)


def test_fit_with_gradient_hooks_on_parameters_says_why_it_does_not_trace(capsys):
    """Hooks on a parameter must see the whole batch's gradient: fit trains define-by-run and says so."""
    model = MLP(2, [2, 1], seed=0)
    model.parameters()[0].register_hook(lambda g: 0.0)
    fit(model, [[1.0, 2.0], [0.5, -1.0]], [1, 0], epochs=2, progress=False)
    assert "a parameter has gradient hooks" in capsys.readouterr().err


def test_fit_traced_false_never_traces(monkeypatch):
    """traced=False trains define-by-run without tracing anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("traced")

    monkeypatch.setattr(train, "trace_per_sample", refuse)
    X, y = make_moons(10, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=False, traced=False)
    with pytest.raises(AssertionError, match="traced"):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=False)


class ThresholdSpy(MLP):
    """An MLP that records the collector's first threshold whenever it runs."""

    seen: list[int]

    def __call__(self, x):
        self.seen.append(gc.get_threshold()[0])
        return super().__call__(x)


def test_fit_defers_the_collector_during_steps_and_restores_it_after_two_threads():
    """Two fit() runs in threads see the collector deferred during their steps; afterwards its
    thresholds are exactly what they were."""
    before = gc.get_threshold()
    gc.set_threshold(555, 7, 9)
    try:
        X, y = make_moons(30, seed=0)
        models = [ThresholdSpy(2, [4, 1], seed=i) for i in range(2)]
        for model in models:
            model.seen = []
        threads = [threading.Thread(target=fit, args=(m, X, y), kwargs={"epochs": 20, "progress": False,
                                                                        "traced": False}) for m in models]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert gc.get_threshold() == (555, 7, 9)
        assert all(m.seen and min(m.seen) >= train.DEFERRED_THRESHOLD for m in models)
    finally:
        gc.set_threshold(*before)


def test_collector_deferral_nests_and_survives_an_error():
    """Nested deferrals restore the thresholds only when the outermost ends, also when it ends by an error."""
    before = gc.get_threshold()

    def nested() -> None:
        with train.collector_deferred:
            with train.collector_deferred:
                assert gc.get_threshold()[0] >= train.DEFERRED_THRESHOLD
            assert gc.get_threshold()[0] >= train.DEFERRED_THRESHOLD
            raise KeyError("inside a step")

    with pytest.raises(KeyError, match="inside a step"):
        nested()
    assert gc.get_threshold() == before


# ---- fit never trains differently from define-by-run -------------------------------------------------


def both_ways(make, X, y, **options):
    """Train a fresh model of ``make`` traced and define-by-run (SGD, lr 0.1, unless options say); returns
    the parameters (exact hex strings) and the losses of each run."""
    runs = []
    for traced in (True, False):
        model = make()
        optimizer = options.pop("make_optimizer", lambda m: optim.SGD(m.parameters(), lr=0.1))(model)
        history = fit(model, X, y, optimizer=optimizer, progress=False, traced=traced, **options)
        runs.append(([p.data.hex() for p in model.parameters()], [x.hex() for x in history.loss]))
    return runs


class MaxModel(Module):
    """The issue's model: max(a, b) * x0 + c, whose graph depends on which parameter is larger."""

    def __init__(self) -> None:
        self.a, self.b, self.c = Value(1.0), Value(0.5), Value(0.0)

    def __call__(self, x):
        return max(self.a, self.b) * x[0] + self.c

    def parameters(self):
        return [self.a, self.b, self.c]


def test_a_model_that_compares_its_parameters_trains_as_define_by_run_and_as_torch(capsys):
    """max(a, b) changes sides during training: fit says why it does not trace and trains define-by-run, with
    the parameters of traced=False bit for bit and of PyTorch float64 to 1e-12."""
    X, y = [[1.0], [2.0], [-1.0], [0.5]], [0.3, 0.1, -0.2, 0.0]
    traced, define_by_run = both_ways(MaxModel, X, y, loss="mse", epochs=30)
    err = capsys.readouterr().err
    assert traced == define_by_run
    assert err.count("\n") == 1 and "compares Values (>) in __call__, test_training.py line" in err
    a, b, c = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 0.5, 0.0))
    for _ in range(30):
        loss = sum((torch.maximum(a, b) * x[0] + c - t) ** 2 for x, t in zip(X, y)) * (1.0 / len(X))
        a.grad = b.grad = c.grad = None
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c):
                p -= 0.1 * (0.0 if p.grad is None else p.grad)
    ours = [float.fromhex(h) for h in traced[0]]
    assert ours[0] < ours[1] + 0.1 and all(close(o, t.item()) for o, t in zip(ours, (a, b, c)))


class ReluByHand(Module):
    """A ReLU written as ``z if z.data > 0 else z * 0.0``: the branch reads a value made from the parameters."""

    def __init__(self) -> None:
        self.mlp = MLP(2, [3, 1], activation="linear", seed=3)

    def __call__(self, x):
        z = self.mlp(x)
        return z if z.data > 0 else z * 0.0

    def parameters(self):
        return self.mlp.parameters()


def test_a_relu_written_with_data_trains_as_define_by_run(capsys):
    """The branch on .data is seen while tracing: define-by-run, bit for bit, and one line saying where."""
    X, y = make_moons(12, seed=3)
    traced, define_by_run = both_ways(ReluByHand, X, y, loss="mse", epochs=20)
    assert traced == define_by_run
    assert "uses .data in __call__, test_training.py line" in capsys.readouterr().err


class Peeks(Module):
    """A model that looks at a number: its outputs are scaled by 2 where the first hidden value is positive
    (``z.data > 0``); ``width`` outputs (three logits for cross-entropy)."""

    def __init__(self, width: int = 1) -> None:
        self.mlp = MLP(2, [4, width], activation="tanh", seed=5)

    def __call__(self, x):
        out = self.mlp(x)
        first = out[0] if isinstance(out, list) else out
        scale = 2.0 if first.data > 0 else 1.0
        return [o * scale for o in out] if isinstance(out, list) else out * scale

    def parameters(self):
        return self.mlp.parameters()


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse", "cross_entropy"])
def test_a_model_that_looks_at_a_number_trains_as_define_by_run_with_every_loss(capsys, loss: str):
    """Whatever the loss, a model that branches on .data is not traced: one line says where it looked, and the
    parameters and losses are define-by-run's, bit for bit."""
    width = 3 if loss == "cross_entropy" else 1
    X, y = make_spiral(12, classes=3, noise=0.1, seed=1) if width == 3 else make_moons(12, seed=1)
    traced, define_by_run = both_ways(lambda: Peeks(width), X, y, loss=loss, epochs=5, batch_size=5)
    err = capsys.readouterr().err
    assert traced == define_by_run
    assert err.count("\n") == 1 and "uses .data in __call__, test_training.py line" in err, err


class Checkpointed(Module):
    """An MLP whose output layer runs in a checkpoint, reading its weights from outside; ``width`` outputs,
    each its own checkpoint."""

    def __init__(self, width: int = 1) -> None:
        self.width = width
        self.hidden = MLP(2, [5], activation="tanh", seed=6)
        self.out = MLP(5, [width], activation="linear", seed=7)

    def __call__(self, x):
        h = self.hidden(x)
        outputs = [checkpoint(lambda *hs, k=k: _as_list(self.out(list(hs)))[k].tanh(), *h) for k in range(self.width)]
        return outputs if self.width > 1 else outputs[0]

    def parameters(self):
        return self.hidden.parameters() + self.out.parameters()


def _as_list(output):
    return output if isinstance(output, list) else [output]


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [None, 5])
def test_a_model_with_checkpoints_traces_and_trains_as_define_by_run(capsys, loss: str, batch_size: int | None):
    """A checkpointed layer reading its weights from outside is traced (no notice), and each loss trains the
    parameters and losses of define-by-run, bit for bit: the program adds each segment's gradient into its
    boundary once, as the checkpoint's backward rule does."""
    width = 3 if loss == "cross_entropy" else 1
    X, y = make_spiral(12, classes=3, noise=0.1, seed=2) if width == 3 else make_moons(12, seed=2)
    traced, define_by_run = both_ways(lambda: Checkpointed(width), X, y, loss=loss, epochs=4, batch_size=batch_size)
    assert traced == define_by_run
    assert capsys.readouterr().err == ""


class Repeats(Module):
    """Three logits, the first returned twice: [h, h, k]."""

    def __init__(self) -> None:
        self.mlp = MLP(2, [4, 2], activation="tanh", seed=1)

    def __call__(self, x):
        h, k = self.mlp(x)
        return [h, h, k]

    def parameters(self):
        return self.mlp.parameters()


@pytest.mark.parametrize("batch_size", [None, 5])
def test_a_model_returning_one_value_twice_traces_and_trains_as_define_by_run(capsys, batch_size: int | None):
    """[h, h, k] into cross-entropy: traced (no notice), with the parameters and losses of define-by-run, bit
    for bit: h's gradient is the sum of what the loss sends to each place, added as on the whole graph."""
    X, y = make_spiral(15, classes=3, noise=0.1, seed=0)
    traced, define_by_run = both_ways(Repeats, X, y, loss="cross_entropy", epochs=6, batch_size=batch_size, l2=1e-3)
    assert traced == define_by_run
    assert capsys.readouterr().err == ""


class Scaled(Module):
    """An MLP whose output is multiplied by a Value that ``parameters()`` does not list."""

    def __init__(self, scale) -> None:
        self.mlp, self.scale = MLP(2, [3, 1], seed=2), scale

    def __call__(self, x):
        return self.mlp(x) * self.scale

    def parameters(self):
        return self.mlp.parameters()


def test_a_value_read_besides_the_parameters_is_read_at_every_step():
    """A Value the model reads but does not list, trained by the optimizer all the same, is an input of the
    program (not a frozen constant): traced and define-by-run agree bit for bit, its gradient too."""
    X, y = make_moons(10, seed=2)
    runs = []
    for traced in (True, False):
        scale = Value(1.5)
        model = Scaled(scale)
        optimizer = optim.SGD([*model.parameters(), scale], lr=0.1)
        fit(model, X, y, optimizer=optimizer, epochs=5, progress=False, traced=traced)
        runs.append(([p.data.hex() for p in model.parameters()], scale.data.hex(), scale.grad.hex()))
    assert runs[0] == runs[1] and runs[0][1] != (1.5).hex()


@pytest.mark.parametrize(
    ("forward", "loss", "reason"),
    [
        (lambda self, x: [self.mlp(x), self.mlp.parameters()[0]], "cross_entropy", "returns one of its parameters"),
        (lambda self, x: self.mlp(x) * (2.0 if isinstance(x[0], float) else 1.0), "mse", "numbers for a sample of"),
        (lambda self, x: self.mlp(x) * math.exp(x[0]), "mse", "raised TypeError on a sample given as Values"),
        (lambda self, x: hooked(self.mlp(x)), "mse", "registers gradient hooks"),
    ],
)
def test_what_a_trace_cannot_show_to_be_the_same_trains_define_by_run(capsys, forward, loss, reason):
    """A parameter as an output, a model that tells floats from Values, one that fails on Values, hooks made
    in the forward pass: each is trained define-by-run, bit for bit, after one line saying why."""

    class Model(Module):
        def __init__(self) -> None:
            self.mlp = MLP(2, [3, 1], activation="tanh", seed=4)

        __call__ = forward

        def parameters(self):
            return self.mlp.parameters()

    X, y = make_moons(8, seed=4)
    traced, define_by_run = both_ways(Model, X, y, loss=loss, epochs=3)
    err = capsys.readouterr().err
    assert traced == define_by_run
    assert err.startswith("fit: training define-by-run, not traced: ") and reason in err, err


def hooked(v):
    v.register_hook(lambda g: None)
    return v


# ---- the progress bar never costs a training ----------------------------------------------------------

TRAINING = """
import sys
from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.training.fit import fit
from tinygrad_scalar.training.nn import MLP
import tinygrad_scalar  # installs the live view
X, y = make_moons(20, seed=0)
model = MLP(2, [4, 1], seed=0)
fit(model, X, y, epochs=150, live=True, progress=True)
with open(sys.argv[1], "w") as out:
    out.write(" ".join(p.data.hex() for p in model.parameters()))
"""


def expected_parameters() -> str:
    X, y = make_moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    fit(model, X, y, epochs=150, progress=False)
    return " ".join(p.data.hex() for p in model.parameters())


@pytest.mark.parametrize(
    "stderr",
    ["closed", "full disk", "reader gone"],
)
def test_fit_trains_to_the_end_whatever_happens_to_standard_error(tmp_path: Path, stderr: str):
    """With stderr closed, on a full disk (/dev/full), or read by `head -c 10` that leaves early, fit(...,
    live=True, progress=True) trains to the end: the script exits 0 with the parameters of a silent run."""
    script, result = tmp_path / "train.py", tmp_path / "parameters.txt"
    script.write_text(TRAINING)
    python = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(result))}"
    command = {
        "closed": f"{python} 2>&-",
        "full disk": f"{python} 2>/dev/full",
        "reader gone": f"set -o pipefail; {python} 2>&1 | head -c 10 >/dev/null",
    }[stderr]
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert result.read_text() == expected_parameters()
