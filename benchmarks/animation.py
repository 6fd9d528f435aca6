"""What an animation for slides costs: the lecture neuron as a GIF, an MP4 and an animated SVG, from the command line.

Each run is ``tinygrad-scalar explain "tanh(x1*w1 + x2*w2 + b)" --at ... -o pass.<format>`` in a fresh
process, as a teacher types it: Python starting, the imports, the stepper's one layout by ``dot``, the
captions typeset by mathtext, the slides drawn and encoded. The time is the wall time of the whole
command (the median and the range over the repetitions); the processor time and the peak memory are
the command's and its children's (``dot``, ``ffmpeg``). The refusal of a 148-value expression, which
once took 199 s and 2.4 GB as a GIF, is timed the same way. The machine's load average is reported
with the numbers: the machine is shared, and a busy one stretches the wall times.

Run by ``make bench`` after ``bench.py``; it replaces the section "8. Animations for slides" of
``benchmarks/RESULTS.md`` (or appends it).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "## 9. Animations for slides"
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
LARGE = [" + ".join(f"tanh(x*{k % 9 + 1})" for k in range(37)), "--at", "x=0.5"]  # 148 values
GOALS = {"gif": 5.0, "mp4": 10.0}
"""The most seconds the lecture neuron's GIF and MP4 may take on this machine (issue 23)."""


def run(arguments: list[str], folder: Path) -> tuple[float, float, float, int]:
    """One command in a fresh process: wall seconds, processor seconds (its own and its children's) and peak
    memory in MB (of the command's process), and the exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_scalar", "explain", *arguments],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def measure(repetitions: int) -> list[tuple[str, list[tuple[float, float, float, int]]]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for fmt in ("gif", "mp4", "svg"):
            rows.append((f"lecture neuron, -o pass.{fmt}", [run([*NEURON, "-o", f"pass.{fmt}"], folder)
                                                             for _ in range(repetitions)]))  # fmt: skip
        rows.append(("148 values, -o pass.gif (refused)", [run([*LARGE, "-o", "pass.gif"], folder)
                                                           for _ in range(repetitions)]))  # fmt: skip
    return rows


def report(rows: list[tuple[str, list[tuple[float, float, float, int]]]], load: tuple[float, float]) -> str:
    lines = [
        TITLE,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load[0]:.1f} before and {load[1]:.1f} after the runs.",
        f"Command: `{Path(sys.executable).name} benchmarks/animation.py` (each row: a fresh "
        "`tinygrad-scalar explain ...` process).",
        "",
        "| command | wall time, median (range) | processor time | peak memory | exit code | goal |",
        "|---|---|---|---|---|---|",
    ]
    for name, runs in rows:
        walls = [r[0] for r in runs]
        cpus = [r[1] for r in runs]
        fmt = name.rsplit(".", 1)[-1].split()[0]
        goal = "refused at once" if "refused" in name else f"at most {GOALS[fmt]:g} s" if fmt in GOALS else ""
        lines.append(
            f"| {name} | {statistics.median(walls):.2f} s ({min(walls):.2f} to {max(walls):.2f}) | "
            f"{statistics.median(cpus):.2f} s | {max(r[2] for r in runs):.0f} MB | {runs[0][3]} | {goal} |"
        )
    lines += [
        "",
        "The processor time counts the command and its children (`dot`, `ffmpeg`); on an idle machine the wall",
        "time is about the processor time, on a shared one it is stretched by the other jobs.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="the report to update")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = measure(args.repetitions)
    section = report(rows, (load_before, os.getloadavg()[0]))
    print(section)
    path = Path(args.output)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if TITLE in text:
        start = text.index(TITLE)
        following = text.find("\n## ", start + len(TITLE))
        text = text[:start] + section + (text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
