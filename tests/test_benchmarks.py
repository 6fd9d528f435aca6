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
    for heading in ("## 1.", "## 2.", "## 3.", "## 4."):
        assert heading in text
    engines = (
        "tinygrad_scalar",
        "micrograd",
        "micrograd, collector off",
        "PyTorch 0-d float64",
        "plain floats (forward only)",
    )
    for engine in engines:
        assert f"| {engine} |" in text
    assert "Machine:" in text and "Command:" in text
