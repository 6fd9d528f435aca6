"""The practice commands of tinygrad-scalar, run as a real subprocess: explain --ask, worksheet, check."""

import json
import re
from pathlib import Path

from tests.test_cli import run


def test_explain_ask_writes_a_stepper_that_asks(tmp_path: Path):
    """explain --format html --ask writes the stepper with its questions and the tolerance."""
    result = run(
        "explain", "(x + y) * y", "--at", "x=2", "y=3", "--format", "html", "--ask", "-o", "p.html", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" class="tgs-data">(.*?)</script>', page).group(1))
    asked = {q["name"]: q["expected"] for frame in data["frames"] if frame for q in frame}
    assert asked["∂out/∂y"] == 8.0 and asked["∂out/∂x"] == 3.0  # y + (x + y) and y: the output, unlabelled, is out


def test_explain_ask_without_html_is_refused_in_command_line_words(tmp_path: Path):
    """--ask with a text explanation: exit code 2, one line naming --format html, nothing written."""
    result = run("explain", "x*y", "--at", "x=2", "y=3", "--ask", "-o", "out.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--ask" in result.stderr and "--format html" in result.stderr
    assert not (tmp_path / "out.txt").exists()
