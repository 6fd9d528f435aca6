"""The benchmark harness runs end to end (a smoke test on small sizes; it times nothing)."""

import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import torch

from tinygrad_scalar.core import ieee

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def run_section(script: str, report: Path, timeout: float) -> None:
    """Run a benchmark that writes one section of the report, once (--repetitions 1), into ``report``."""
    command = [sys.executable, str(ROOT / "benchmarks" / script), "--repetitions", "1", "--output", str(report)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr


def test_benchmark_harness_runs_and_writes_a_report(tmp_path: Path):
    """bench.py --quick writes a report with every workload and every engine, and fails on nothing."""
    report = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--repetitions", "1", "--block", "1",
         "--output", str(report)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = report.read_text()
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6."):
        assert heading in text
    engines = (
        "tinygrad_scalar",
        "tinygrad_scalar, collector deferred (as fit does)",
        "tinygrad_scalar, traced (fit's default)",
        "tinygrad_scalar, the traced program alone",
        "tinygrad_scalar, the whole batch's loss traced into one program (trace)",
        "micrograd",
        "micrograd, collector off, its collection counted",
        "PyTorch 0-d float64",
        "plain floats, forward and backward by hand",
    )
    for engine in engines:
        assert f"| {engine} |" in text
    assert "Machine:" in text and "Command:" in text
    assert "| the whole batch's loss traced into one program: trace, compile, first forward and backward |" in text
    assert "| plain floats | " in text and "| the cheapest object-creating operation (one slot) |" in text


def test_instruction_workloads_run_and_the_float_floor_computes_the_demo_loss():
    """Every callgrind workload runs once; the hand-written plain-float step computes the engine's loss."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import instructions
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    model = instructions.ours()
    layers = instructions.float_layers(model)
    loss = instructions.float_step(layers)
    assert loss == instructions.demo_loss(model, instructions.Value).data
    for run, _ in instructions.WORKLOADS.values():
        run(0)


def test_animation_benchmark_runs_and_writes_its_section(tmp_path: Path):
    """benchmarks/animation.py times the lecture neuron's GIF, MP4 and SVG and the refusal of 148 values (it times
    them, asserts nothing about the times) and writes its section of the report."""
    report = tmp_path / "RESULTS.md"
    report.write_text("# Benchmark results\n\n## 7. Watching training live\n\nkept\n", encoding="utf-8")
    run_section("animation.py", report, timeout=600)
    text = report.read_text()
    assert "## 7. Watching training live\n\nkept" in text and "## 9. Animations for slides" in text
    for row in ("-o pass.gif | ", "-o pass.mp4 | ", "-o pass.svg | ", "(refused) | "):
        assert row in text
    assert "| 2 | refused at once |" in text  # the 148-value expression: exit code 2


def test_accuracy_table_covers_every_function_and_finds_the_lectures_tanh():
    """accuracy.py measures every function against mpmath, and counts the C library's tanh at the lecture's n
    as not correctly rounded while PyTorch's is."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import accuracy
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    rows = accuracy.measure(50)
    assert [row[0] for row in rows] == list(accuracy.FUNCTIONS)
    assert all(0.0 <= row[2] <= 1.0 and 0.0 <= row[4] <= 1.0 for row in rows)
    text = accuracy.table(rows, 50)
    assert text.count("\n") == len(rows) + 1 and "| `tanh` |" in text
    n = 0.8813735870195432
    with mpmath.workprec(160):
        exact = mpmath.tanh(mpmath.mpf(n))
        assert accuracy.ulps(ieee.tanh(n), exact) == 1.0
        assert accuracy.ulps(torch.tanh(torch.tensor(n, dtype=torch.float64)).item(), exact) == 0.0


def test_classroom_benchmark_runs_and_writes_its_section(tmp_path: Path):
    """classroom.py writes its section (both commands, their targets) into the report, after what was there."""
    report = tmp_path / "RESULTS.md"
    report.write_text("# Results\n\n## 7. Watching training live\n\nkept\n")
    run_section("classroom.py", report, timeout=900)
    text = report.read_text()
    assert "kept" in text and "## 8. A class's worksheets and grading" in text
    assert "| 30 neuron sheets and the key (`worksheet`) |" in text and "at most 2 s" in text
