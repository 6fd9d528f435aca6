"""'tinygrad-scalar demo' under bad arguments and failing Graphviz: refused before work, keeps what it made."""

import math
import re
from pathlib import Path

import pytest

from tests.test_cli import BROKEN_DOT, fake_dot, one_line_error, run
from tests.test_viz import svg_nodes
from tinygrad_scalar.training.nn import MLP


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--lr", "nan"], "--lr must be a positive number"),
        (["--lr", "-1"], "--lr must be a positive number"),
        (["--lr", "0"], "--lr must be a positive number"),
        (["--lr", "inf"], "--lr must be a positive number"),
        (["--samples", "1000000000"], "use fewer samples or smaller hidden layers"),
        (["--hidden", "100000000"], "use fewer samples or smaller hidden layers"),
        (["--out", "a-file"], "--out a-file is a file"),
        (["--out", "a-file/inside"], "is a file, so the folder cannot be made"),
        (["--out", ""], "--out needs a folder name"),
        (["--samples", "3"], "--samples must be at least 4"),
        (["--hidden", "16", "0"], "every --hidden size must be at least 1"),
    ],
)
def test_bad_demo_arguments_are_refused_before_any_work(tmp_path: Path, args: list[str], says: str):
    """Each bad argument is one line, exit 2, before training starts (nothing printed, nothing written)."""
    (tmp_path / "a-file").write_text("keep me")
    line = one_line_error(run("demo", "--quiet", *args, cwd=tmp_path))
    assert says in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_diverging_training_says_so_and_writes_nothing(tmp_path: Path):
    """A rate so large that the loss becomes nan is an error (exit 1) suggesting a smaller --lr; no files."""
    result = run("demo", "--quiet", "--steps", "10", "--lr", "1e6", "--out", "run", cwd=tmp_path)
    line = one_line_error(result, code=1)
    assert "training diverged" in line and "smaller --lr" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_demo_keeps_model_and_plots_when_dot_fails(tmp_path: Path):
    """With a broken Graphviz, the demo still writes and lists the plots and the model, then says what failed."""
    env = fake_dot(tmp_path / "bin", BROKEN_DOT)
    result = run("demo", "--quiet", "--steps", "3", "--out", "run", cwd=tmp_path, env=env)
    line = one_line_error(result, code=1)
    assert "no pictures of graphs" in line and "dot -c" in line
    out = tmp_path / "run"
    assert MLP.load(out / "model.json").nouts == [16, 16, 1]
    for name in ("decision_boundary.png", "loss.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
        assert str(out / name) in result.stdout or f"run/{name}" in result.stdout
    assert not (out / "neuron.svg").exists()


@pytest.mark.slow
def test_demo_neuron_is_alive_with_fresh_gradients_and_labelled_inputs(tmp_path: Path):
    """neuron.svg shows a neuron with a gradient on its weights, for that one sample only: w_j's gradient is
    x_j, the bias's is 1 (ReLU passing), and the inputs are labelled x0 and x1."""
    result = run("demo", "--quiet", "--steps", "5", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    match = re.search(r"layer 0, neuron (\d+) on sample (\d+):", result.stdout)
    assert match
    records = {texts[0]: texts[1:] for texts in svg_nodes((tmp_path / "run" / "neuron.svg").read_bytes()).values()}

    def number(field: str) -> float:
        return float(field.split()[1])

    x0, x1 = number(records["x0"][0]), number(records["x1"][0])
    j = match.group(1)  # the weights are named after their place in the model: layer 0, neuron j
    assert number(records[f"w0.{j}.0"][1]) == pytest.approx(x0, abs=1e-4)  # d out / d w0 = x0, nothing left over
    assert number(records[f"w0.{j}.1"][1]) == pytest.approx(x1, abs=1e-4)
    assert number(records[f"b0.{j}"][1]) == 1.0
    assert not math.isclose(x0, 0.0) or not math.isclose(x1, 0.0)
    assert "an input: data fed to the model" in (tmp_path / "run" / "neuron.svg").read_text()  # in the legend
