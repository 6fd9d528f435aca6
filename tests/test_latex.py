"""The worked solutions compile with a real pdflatex, with no error and no overfull box, on A4 and Letter."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.test_viz import lecture_neuron
from tinygrad_scalar import Value
from tinygrad_scalar.cli import main
from tinygrad_scalar.teaching.explanations import worked_solution


def seeds_example() -> Value:
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    y = w * x + b
    y.label = "y"
    L = y**2
    L.label = "L"
    return L


def sum_rule_example() -> Value:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    return (x + y) * y


def unlabelled_neuron() -> Value:
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    return (x1 * w1 + x2 * w2 + Value(6.8813735870195432)).tanh()


def subtraction_and_division() -> Value:
    a, k = Value(1.0, label="a"), Value(0.5, label="k")
    return (a - k.cos()) / k + a.exp() * a


def many_uses() -> Value:
    x = Value(1.5, label="x")
    return x * x + x.tanh() * x + x.sigmoid() - x**3


EXAMPLES = {
    "seeds": seeds_example,
    "sum_rule": sum_rule_example,
    "lecture_neuron": lecture_neuron,
    "unlabelled_neuron": unlabelled_neuron,
    "subtraction_and_division": subtraction_and_division,
    "many_uses": many_uses,
}


def compile_latex(document: str, folder: Path, paper: str) -> str:
    """Run pdflatex on ``document`` with ``paper`` ('a4paper' or 'letterpaper'); returns the log."""
    source = document.replace("\\documentclass{article}", f"\\documentclass[{paper}]{{article}}")
    tex = folder / f"solution-{paper}.tex"
    tex.write_text(source, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = (folder / tex.with_suffix(".log").name).read_text(encoding="latin-1")
    assert result.returncode == 0, log[-3000:]
    assert (folder / tex.with_suffix(".pdf").name).stat().st_size > 1000
    return log


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("paper", ["a4paper", "letterpaper"])
def test_worked_solution_compiles_without_overfull_boxes(name: str, paper: str, tmp_path: Path):
    """The standalone LaTeX of each example compiles with pdflatex: no error, no overfull box."""
    document = worked_solution(EXAMPLES[name](), "latex").latex(standalone=True)
    log = compile_latex(document, tmp_path, paper)
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
    assert "*" not in re.sub(r"align\*|gather\*|tag\*", "", document)  # no literal asterisk in the maths


def test_the_command_lines_standalone_latex_compiles(tmp_path: Path):
    """explain --format latex --standalone writes a document pdflatex compiles as it is."""
    out = tmp_path / "solution.tex"
    code = main(["explain", "tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88",
                 "--format", "latex", "--standalone", "-o", str(out)])  # fmt: skip
    assert code == 0
    log = compile_latex(out.read_text(encoding="utf-8"), tmp_path, "a4paper")
    assert "Overfull" not in log
