"""What a teacher waits for: a class's worksheets with their key, and grading the class.

Two commands, run as a teacher runs them (a fresh process each time, wall time from start to exit):

* ``tinygrad-scalar worksheet --seed 2026 --students 30 --difficulty neuron --out class``: 30 one-page
  sheets (PDF, SVG, CSV) and the key (JSON, PDF with 30 worked solutions); the target is 15 s;
* ``tinygrad-scalar check class/key.json <30 answer files> --report class.csv``: 30 students graded with
  error carried forward, the class summary and the gradebook; the target is 2 s.

The answer files mix what a class hands in: all right, one slip carried through, a sign error, blanks.
Each command runs ``--repetitions`` times; the report gives the median and the range, the CPU time the
processes used (user + system, children included: pdflatex and dot), and the load of the machine while it
ran (the machine may be shared). Run by ``make bench``; it replaces the section "8. A class's worksheets"
of ``benchmarks/RESULTS.md`` (or appends it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "## 8. A class's worksheets and grading"
STUDENTS = 30


def timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; its wall time and the CPU time it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def answers(folder: Path) -> list[str]:
    """A class's answer files: right, a slip carried through, a sign error, blanks, in turn."""
    key = json.loads((folder / "key.json").read_text())
    files = []
    for entry in key["sheets"]:
        given = dict(entry["gradients"])
        kind = entry["student"] % 4
        if kind == 1:  # the factor 2 of (e^2)' forgotten, the chain rule applied right from there
            given = {name: g / 2 for name, g in given.items()} | {"e": entry["values"]["e"]}
        elif kind == 2:
            given["x1"] = -given["x1"]
        elif kind == 3:
            given = {name: (g if i % 3 else "") for i, (name, g) in enumerate(given.items())}
        path = folder.parent / f"student-{entry['student']:02d}-answers.csv"
        path.write_text("name,gradient\r\n" + "".join(f"{n},{g}\r\n" for n, g in given.items()), encoding="utf-8-sig")
        files.append(str(path))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="the report to update")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "tinygrad_scalar"]
    making, grading, making_cpu, grading_cpu, loads = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repetitions):
            folder = Path(tmp) / f"run{i}" / "class"
            loads.append(os.getloadavg()[0])
            wall, cpu = timed([*cli, "worksheet", "--seed", "2026", "--students", str(STUDENTS),
                               "--difficulty", "neuron", "--out", str(folder)])  # fmt: skip
            making.append(wall)
            making_cpu.append(cpu)
            files = answers(folder)
            wall, cpu = timed(
                [*cli, "check", str(folder / "key.json"), *files, "--report", str(folder.parent / "c.csv")]
            )
            grading.append(wall)
            grading_cpu.append(cpu)
    rows = [
        ("30 neuron sheets and the key (`worksheet`)", making, making_cpu, 15.0),
        ("grading 30 students (`check ... --report`)", grading, grading_cpu, 2.0),
    ]
    lines = [
        TITLE,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"while measuring {min(loads):.1f} to {max(loads):.1f}. Command: `python benchmarks/classroom.py "
        f"--repetitions {args.repetitions}`. Wall time from start to exit of a fresh process, as a teacher "
        "waits; CPU time of the process and its children (pdflatex, dot).",
        "",
        "| what | wall time, median (range) | CPU time, median | target |",
        "|---|---|---|---|",
    ]
    for what, walls, cpus, target in rows:
        lines.append(
            f"| {what} | {statistics.median(walls):.2f} s ({min(walls):.2f} to {max(walls):.2f}) | "
            f"{statistics.median(cpus):.2f} s | at most {target:g} s |"
        )
    section = "\n".join(lines) + "\n"
    report = Path(args.output)
    text = report.read_text() if report.exists() else ""
    if TITLE in text:
        head, _, rest = text.partition(TITLE)
        tail = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section if text else section
    report.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
