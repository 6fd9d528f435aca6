"""The inputs real users bring: micrograd's -1/+1 labels, numpy's numbers and arrays, scikit-learn's names,
one sample where a loss takes lists, a save into a folder that does not exist. Each is taken, or refused in
the words of the interface it came through."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.files import SaveError
from tinygrad_scalar.teaching.exercises import check_exercise, check_number, check_prediction
from tinygrad_scalar.training import losses, optim
from tinygrad_scalar.training.data import make_moons, make_spiral, signed, train_test_split
from tinygrad_scalar.training.fit import accuracy, class_labels, evaluate, fit
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.transforms.trace import trace
from tinygrad_scalar.views.dot import save_graph

# ---- labels: one rule for fit, accuracy, the validation set, the live view and the replay ----------


def _trained_moons() -> tuple[MLP, list[list[float]], list[int]]:
    X, y = make_moons(100, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    fit(model, X, y, loss="hinge", epochs=30, progress=False)
    return model, X, y


def test_accuracy_counts_minus_one_as_class_zero():
    """accuracy with micrograd's -1/+1 labels is the accuracy with 0/1 labels, not every -1 counted wrong."""
    model, X, y = _trained_moons()
    assert accuracy(model, X, signed(y)) == accuracy(model, X, y) == 0.91
    assert accuracy(model, X, np.array(signed(y))) == 0.91


@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_fit_trains_the_same_model_on_signed_labels(loss: str):
    """fit on -1/+1 labels trains the same model as on 0/1 labels, bit for bit, validation set included."""
    X, y = make_moons(40, seed=3)
    X_val, y_val = make_moons(20, seed=4)
    runs = []
    for labels, held_out in ((y, y_val), (signed(y), signed(y_val)), (np.array(signed(y)), np.array(y_val))):
        model = MLP(2, [4, 1], seed=0)
        history = fit(model, X, labels, loss=loss, epochs=3, progress=False, validation=(X_val, held_out))
        runs.append(([p.data.hex() for p in model.parameters()], history))
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize(
    ("label", "shown"),
    [(0.6, "0.6"), (2, "2"), (math.nan, "nan"), (True, "True"), (np.True_, "True"), ("1", "'1'"), (-2, "-2")],
)
def test_fit_refuses_a_label_that_is_not_a_class_naming_the_sample(label: object, shown: str):
    """A binary label that is neither 0/1 nor -1/+1 is refused before training, naming the sample, the value
    and both conventions; the model is left as it was."""
    X, y = make_moons(10, seed=0)
    labels: list[object] = list(y)
    labels[3] = label
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"^fit: y\[3\] is .*" + shown) as info:
        fit(model, X, labels, loss="hinge", epochs=1, progress=False)
    assert "0/1, or -1/+1 (where -1 is class 0)" in str(info.value)
    assert [p.data for p in model.parameters()] == before


def test_fit_refuses_a_mix_of_zero_and_minus_one():
    """Labels 0 and -1 in one set are two conventions mixed: refused, naming a sample of each."""
    X, y = make_moons(10, seed=0)
    mixed = signed(y)
    mixed[4] = 0
    with pytest.raises(ValueError, match=r"y mixes two conventions: y\[0\] is -1 and y\[4\] is 0"):
        fit(MLP(2, [3, 1], seed=0), X, mixed, loss="bce", epochs=1, progress=False)


def test_validation_labels_follow_the_same_rule():
    """A bad label of the validation set is refused before training, as y_val[i]."""
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match=r"^fit: y_val\[1\] is 0.5"):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, progress=False, validation=(X[:2], [0, 0.5]))


def test_cross_entropy_classes_are_whole_numbers():
    """cross_entropy's classes: ints, numpy's ints and floats equal to an int are taken; 0.6 and -1 are not."""
    assert class_labels([0, np.int64(2), 1.0, np.float32(1)], two_classes=False) == [0, 2, 1, 1]
    for bad in (0.6, -1, True, math.inf):
        with pytest.raises(ValueError, match=r"y\[1\] is .*not a class; classes are whole numbers 0, 1, 2"):
            class_labels([0, bad], two_classes=False)
    X, y = make_spiral(30, classes=3, seed=0)
    a, b = MLP(2, [4, 3], seed=0), MLP(2, [4, 3], seed=0)
    fit(a, X, y, loss="cross_entropy", epochs=2, progress=False)
    fit(b, X, np.array(y, dtype=float), loss="cross_entropy", epochs=2, progress=False)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert accuracy(a, X, y) == accuracy(a, X, np.array(y)) == accuracy(a, X, y, "cross_entropy")


def test_mse_takes_any_real_targets_and_refuses_others():
    """fit(loss='mse') takes real targets of any type, numpy's included, and refuses a string naming it."""
    X = [[0.0, 1.0], [1.0, 0.0]]
    a, b = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=0)
    fit(a, X, [0.25, -3], loss="mse", epochs=2, progress=False)
    fit(b, X, np.array([0.25, -3.0], dtype=np.float32), loss="mse", epochs=2, progress=False)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    with pytest.raises(TypeError, match=r"fit: y\[1\] \(mse takes real targets\): got str"):
        fit(a, X, [0.25, "x"], loss="mse", epochs=1, progress=False)


def test_replay_page_reads_signed_labels_as_classes():
    """The replay page of a training on -1/+1 labels draws the points in classes 0 and 1, as for 0/1 labels."""
    from tinygrad_scalar.views.replay import Recorder, replay_page

    X, y = make_moons(12, seed=0)
    pages = []
    for labels in (y, signed(y)):
        model = MLP(2, [3, 1], seed=0)
        recorder = Recorder(model)
        fit(model, X, labels, epochs=2, progress=False, live=recorder)
        pages.append(replay_page(model, recorder, X, labels, lang="en"))
    assert pages[0] == pages[1]


def test_decision_boundary_plot_reads_signed_labels_as_classes(tmp_path: Path):
    """plot_decision_boundary draws -1/+1 labels as 0/1: the same picture, byte for byte."""
    from tinygrad_scalar.views.plots import plot_decision_boundary

    model, X, y = _trained_moons()
    plot_decision_boundary(model, X, y, path=tmp_path / "a.png", resolution=10)
    plot_decision_boundary(model, X, signed(y), path=tmp_path / "b.png", resolution=10)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_hinge_error_names_the_sample_and_signed():
    """losses.hinge given 0/1 labels says which sample and how to convert, naming signed(y)."""
    with pytest.raises(ValueError, match=r"hinge: label 1 is 0; .*signed\(y\)"):
        losses.hinge([Value(1.0), Value(2.0)], [1, 0])


# ---- numpy's numbers are numbers -------------------------------------------------------------------


def test_losses_take_numpy_numbers_as_pytorch_does():
    """Each loss given numpy's numbers (np.int64 classes, np.float32 targets) computes what PyTorch float64
    computes from the same numbers."""
    rows = [[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]]
    logits = [[Value(v) for v in row] for row in rows]
    ce = losses.cross_entropy(logits, np.array([2, 0]))
    expected = torch.nn.functional.cross_entropy(torch.tensor(rows, dtype=torch.float64), torch.tensor([2, 0]))
    assert ce.data == pytest.approx(expected.item(), rel=1e-15)
    targets = np.array([0.1, -2.0], dtype=np.float32)
    out = [Value(0.5), Value(1.0)]
    mse = losses.mse(out, targets)
    t = torch.tensor(targets.astype(np.float64))
    assert mse.data == torch.nn.functional.mse_loss(torch.tensor([0.5, 1.0], dtype=torch.float64), t).item()
    hinge = losses.hinge(out, np.array([1, -1]))
    assert hinge.data == losses.hinge(out, [1, -1]).data


@pytest.mark.parametrize(
    "answer", [np.int64(3), np.float32(3.0), np.float64(3.0), np.array(3.0), np.int8(3), Fraction(3)]
)
def test_check_exercise_takes_numpy_numbers(answer: object):
    """check_exercise and check_number take any real number, numpy's scalars and a 0-d array included."""
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    assert check_exercise(y, x, answer * 2).correct  # type: ignore[operator]
    assert check_number(answer, 3.0, "the answer").correct


def test_check_number_still_refuses_a_bool_and_a_string():
    """A bool or a string is not a number the student meant: refused, as the engine refuses them."""
    for answer in (True, np.True_, "3"):
        with pytest.raises(TypeError, match="should be a number"):
            check_number(answer, 1.0, "x")


def test_optimizers_and_trace_take_numpy_numbers():
    """A learning rate np.float32(0.1), a number of steps np.int64(10) and a traced input np.float32 are numbers."""
    p = Value(1.0)
    opt = optim.SGD([p], lr=np.float32(0.5))
    optim.LinearDecay(opt, np.float32(0.5), 0.05, np.int64(10))
    traced = trace(lambda a, b: a * b, 2.0, 3.0)
    assert traced(np.float32(2.0), np.array(4.0)) == traced(2.0, 4.0)


def test_numpy_scalar_array_works_on_both_sides_of_a_value():
    """v + np.array(1.0) gives a Value, as np.array(1.0) + v does; so do np.float32 and np.int64."""
    v = Value(2.0)
    for one in (np.array(1.5), np.float32(1.5), np.array(1.5, dtype=np.float32)):
        left, right = one + v, v + one
        assert isinstance(left, Value) and isinstance(right, Value)
        assert left.data == right.data == 3.5
        assert (v * one).data == (one * v).data == 3.0
    assert Value(np.array(2.0)).data == 2.0 and type(Value(np.array(2)).data) is float


def test_numpy_array_of_several_numbers_is_refused_clearly():
    """v + np.array([1.0, 2.0]) says that a number is one value, rather than numpy's repr; a bool array too."""
    v = Value(2.0)
    with pytest.raises(TypeError, match=r"got an array of shape \(2,\); a number is one value"):
        v + np.array([1.0, 2.0])
    with pytest.raises(TypeError, match="bool"):
        v * np.array(True)


# ---- check_prediction: arrays, lists and tuples alike ------------------------------------------------


@pytest.mark.parametrize("kind", [list, tuple, np.array])
def test_check_prediction_takes_a_vector_as_array_list_or_tuple(kind):
    """A right prediction is right whether written as a list, a tuple or a numpy array, and is shown in its
    order; a wrong one is wrong, in its order too."""
    actual = [1.03719, -0.11182]
    right = check_prediction(kind([1.0371900001, -0.11182]), actual, "δ⁽²⁾", lang="en")
    assert right.correct and str(right).startswith("right: you predicted [1.03719, -0.11182]")
    swapped = check_prediction(kind([-0.11182, 1.03719]), actual, "δ⁽²⁾", lang="en")
    assert not swapped.correct and "you predicted [-0.11182, 1.03719], but it is [1.03719, -0.11182]" in str(swapped)
    assert check_prediction(actual, kind(actual), "δ⁽²⁾", lang="en").correct


def test_check_prediction_takes_numpy_numbers():
    """A number predicted as np.float32, or as a 0-d array, is compared and shown as a number."""
    assert check_prediction(np.float32(2.5), 2.5, "s", lang="en").text == "right: you predicted 2.5, and it is 2.5"
    assert check_prediction(np.array(2.5), np.float64(2.5), "s", lang="en").correct


# ---- the losses' errors for common misuse ------------------------------------------------------------


def test_mse_of_one_output_says_to_pass_lists():
    """mse(out, 1.0) says that mse takes lists and how to write one sample, not 'object has no len()'."""
    with pytest.raises(
        TypeError, match=r"mse takes a list of outputs and a list of targets .* mse\(\[out\], \[1.0\]\)"
    ):
        losses.mse(Value(0.5), 1.0)  # type: ignore[arg-type]


def test_cross_entropy_of_one_sample_says_to_pass_lists():
    """cross_entropy(logits, 2) and cross_entropy(logits, [2]) say to write cross_entropy([logits], [2])."""
    logits = [Value(0.1), Value(0.2), Value(0.3)]
    for classes in (2, [2]):
        with pytest.raises(TypeError, match=r"cross_entropy\(\[logits\], \[2\]\)"):
            losses.cross_entropy(logits, classes)  # type: ignore[arg-type]


def test_l2_of_a_model_is_l2_of_its_parameters():
    """l2(model) is l2(model.parameters()), bit for bit; anything else is refused saying what to pass."""
    model = MLP(2, [3, 1], seed=0)
    assert losses.l2(model, 1e-4).data == losses.l2(model.parameters(), 1e-4).data
    with pytest.raises(TypeError, match=r"l2 takes a model or a list of its parameters"):
        losses.l2(Value(1.0))  # type: ignore[arg-type]


# ---- saving into a folder that does not exist ---------------------------------------------------------


def test_save_into_a_missing_folder_raises_save_error_naming_the_path(tmp_path: Path):
    """save_graph into a folder that does not exist raises SaveError naming the path given, not a temporary
    file, and writes nothing."""
    out = Value(2.0) * 3.0
    target = tmp_path / "nope" / "g.svg"
    with pytest.raises(SaveError) as info:
        save_graph(out, target)
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)
    assert "does not exist; create it first" in str(info.value)
    assert not (tmp_path / "nope").exists()


def test_system_error_of_a_save_names_the_path_not_the_temporary_file():
    """A save the system refuses (/proc holds no new files, even for root) raises the system's OSError, naming
    the path given rather than the temporary file beside it."""
    with pytest.raises(FileNotFoundError, match=r"/proc/g\.svg") as info:
        save_graph(Value(1.0) * 2.0, "/proc/g.svg")
    assert not isinstance(info.value, SaveError)
    assert info.value.filename == "/proc/g.svg" and ".tmp" not in str(info.value)


# ---- the demo's numbers, train_test_split ---------------------------------------------------------


def test_evaluate_gives_the_trained_models_loss_and_accuracy():
    """evaluate measures loss and accuracy on the same parameters: the next step's history entries."""
    X, y = make_moons(30, seed=0)
    model = MLP(2, [4, 1], seed=0)
    fit(model, X, y, epochs=2, l2=1e-4, progress=False)
    loss, acc = evaluate(model, X, y, "hinge", l2=1e-4)
    following = fit(model, X, y, epochs=1, l2=1e-4, progress=False, optimizer=optim.SGD(model.parameters(), lr=0.0))
    assert (loss, acc) == (following.loss[-1], following.accuracy[-1])


@pytest.mark.slow
def test_demo_prints_loss_and_accuracy_of_the_trained_model(tmp_path: Path):
    """The demo's summary line gives the loss and the accuracy of the same, trained, parameters."""
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_scalar", "demo", "--steps", "1", "--quiet", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    model = MLP.load(tmp_path / "model.json")
    X, y = make_moons(100, seed=1337)
    loss, acc = evaluate(model, X, y, "hinge", l2=1e-4)
    assert f"after training: loss {loss:.4f} (with L2), training accuracy {acc:.1%}" in result.stdout


def test_train_test_split_takes_scikit_learns_test_size():
    """test_size (scikit-learn's name) is test_fraction as a float and a number of samples as an int; both
    at once are refused; arrays in, lists out."""
    X, y = np.array(make_moons(20, seed=0)[0]), np.array(make_moons(20, seed=0)[1])
    a = train_test_split(X, y, test_fraction=0.25)
    b = train_test_split(X, y, test_size=0.25)
    assert all(isinstance(part, list) for part in a)
    assert [np.asarray(p).tolist() for p in a] == [np.asarray(p).tolist() for p in b]
    assert len(train_test_split(X, y, test_size=3)[1]) == 3
    with pytest.raises(TypeError, match="not both"):
        train_test_split(X, y, test_fraction=0.2, test_size=0.2)
    with pytest.raises(ValueError, match="test_size=20 samples: it must be between 1 and 19"):
        train_test_split(X, y, test_size=20)
