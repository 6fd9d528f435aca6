"""The main job: 'tinygrad-scalar demo' trains micrograd's demo to 100% and writes every result."""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinygrad_scalar.training.nn import MLP


def demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The timeout only keeps a hung run from stalling the suite; nothing is asserted about time.
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_scalar", "demo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_default_demo_reaches_100_percent_and_writes_everything(tmp_path: Path):
    """The default run: MLP(2, [16, 16, 1]) on 100 moons reaches 100% training accuracy, shows progress,
    and writes the plot, the loss curve, the model, a neuron's graph and a stepper into out/."""
    result = demo(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MLP(2, [16, 16, 1]) (337 parameters) on 100 moons points" in result.stdout
    assert "training accuracy 100.0%" in result.stdout
    assert "100/100" in result.stderr and "acc=" in result.stderr  # the progress bar
    assert re.search(r"done in \d+\.\d s", result.stdout)
    out = tmp_path / "out"
    assert (out / "decision_boundary.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "loss.png").read_bytes().startswith(b"\x89PNG")
    model = MLP.load(out / "model.json")
    assert model.num_parameters() == 337
    assert json.loads((out / "model.json").read_text())["architecture"]["nouts"] == [16, 16, 1]
    assert ET.parse(out / "neuron.svg").getroot().tag.endswith("svg")
    assert re.search(r"layer 0, neuron \d+", (out / "neuron.svg").read_text())
    assert (out / "stepper.html").read_text().count("<svg") >= 2
    for name in ("decision_boundary.png", "loss.png", "model.json", "neuron.svg", "stepper.html"):
        assert str(out / name) in result.stdout or f"out/{name}" in result.stdout


def test_demo_options(tmp_path: Path):
    """--dataset, --hidden, --steps, --optimizer, --seed, --out and --quiet are honoured."""
    result = demo(
        "--dataset", "spiral", "--hidden", "8", "--steps", "3", "--optimizer", "adam", "--seed", "5",
        "--out", "run", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "MLP(2, [8, 3])" in result.stdout and "cross_entropy" in result.stdout and "adam, 3 steps" in result.stdout
    assert result.stderr == ""  # --quiet: no progress bar
    assert MLP.load(tmp_path / "run" / "model.json").nouts == [8, 3]


def test_demo_rejects_bad_options(tmp_path: Path):
    """Impossible sizes are refused with exit code 2 and nothing is written."""
    result = demo("--steps", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "at least 1" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_define_by_run_demo_reaches_the_same_result(tmp_path: Path):
    """--define-by-run trains the same model (the same final loss, printed) as the default traced step."""
    plain = demo("--steps", "30", "--quiet", "--define-by-run", "--out", "a", cwd=tmp_path)
    traced = demo("--steps", "30", "--quiet", "--out", "b", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert ", define-by-run" in plain.stdout
    final = [line for line in plain.stdout.splitlines() if line.startswith("after training")]
    assert final and final == [line for line in traced.stdout.splitlines() if line.startswith("after training")]
    assert (tmp_path / "a" / "model.json").read_text() == (tmp_path / "b" / "model.json").read_text()
