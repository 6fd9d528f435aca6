"""What watching costs: the demo's training with and without the live view (``fit(..., live=...)``).

The live view redraws only while its drawing time stays within a tenth of the training time
(``tinygrad_scalar.views.live.BUDGET``). This measures the whole cost, as a student pays it: the wall time of
``fit`` with the view (drawing, encoding each picture as PNG, recording gradient norms) over the wall
time without it, on micrograd's demo (MLP(2, [16, 16, 1]), 100 two-moons points, 100 steps, a
validation set of 50 points in both runs). The picture goes to a function that keeps it, as
Jupyter's display would receive it; sending it to the browser happens in the kernel's own thread.

Run by ``make bench`` after ``bench.py``; it replaces the section "7. Watching training live" of
``benchmarks/RESULTS.md`` (or appends it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.training.fit import fit, predicted_class
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.training.optim import SGD, LinearDecay
from tinygrad_scalar.views.live import BUDGET, LiveView

HERE = Path(__file__).resolve().parent
TITLE = "## 7. Watching training live"


def train(watch: bool) -> tuple[float, LiveView | None]:
    """One demo training; its wall time, and the view when watched."""
    points, labels = make_moons(100, noise=0.1, seed=1337)
    validation = make_moons(50, noise=0.1, seed=7)
    model = MLP(2, [16, 16, 1], seed=1337)
    pictures: list[bytes] = []
    started = time.perf_counter()
    view = LiveView(points, labels, predicted_class, show=pictures.append) if watch else None
    fit(
        model, points, labels, loss="hinge", optimizer=SGD(model.parameters(), lr=1.0), epochs=100, l2=1e-4,
        schedule=lambda opt: LinearDecay(opt, 1.0, 0.1, 100), validation=validation, live=view or False,
        progress=False,
    )  # fmt: skip
    return time.perf_counter() - started, view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3, help="alternating runs of each (default 3)")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="the report to update")
    args = parser.parse_args()
    plain, watched, views = [], [], []
    for _ in range(args.repetitions):
        plain.append(train(False)[0])
        seconds, view = train(True)
        watched.append(seconds)
        views.append(view)
    base, live = statistics.median(plain), statistics.median(watched)
    pictures = [v.drawings for v in views if v]
    shares = [v.watching_seconds / (seconds - v.watching_seconds) for seconds, v in zip(watched, views) if v]
    section = [
        TITLE,
        "",
        "micrograd's demo training (100 steps, validation on 50 more points) with `fit(..., live=view)` against "
        f"the same without; medians of {args.repetitions} alternating runs (`python benchmarks/live.py`).",
        "",
        "| run | wall time (median) | min - max | pictures drawn | watching / training time, per run |",
        "|---|---|---|---|---|",
        f"| without the live view | {base:.2f} s | {min(plain):.2f} s - {max(plain):.2f} s | - | - |",
        f"| with the live view | {live:.2f} s | {min(watched):.2f} s - {max(watched):.2f} s | "
        f"{min(pictures)} - {max(pictures)} | {min(shares):.1%} - {max(shares):.1%} |",
        "",
        f"Overhead of watching, as the view measures it inside each run: median {statistics.median(shares):.1%} of "
        f"the training time (target: at most {BUDGET:.0%}). Between runs, the fastest watched run and the fastest "
        f"plain one differ by {min(watched) / min(plain) - 1:+.1%}; on this shared machine runs vary more than "
        "that, which is why the view measures its own time rather than trusting the difference.",
        "",
    ]
    path = Path(args.output)
    report = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if TITLE in report:
        before, after = report.split(TITLE, 1)
        rest = after.split("\n## ", 1)
        report = before + "\n".join(section) + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        report = report.rstrip("\n") + "\n\n" + "\n".join(section)
    path.write_text(report, encoding="utf-8")
    print("\n".join(section))


if __name__ == "__main__":
    main()
