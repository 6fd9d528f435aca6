"""The benchmark harness runs end to end (a smoke test on small sizes; it times nothing)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
