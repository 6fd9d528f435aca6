"""Where notebook 05's training goes: ``fit``'s set-up, its 100 steps, and the validation it measures.

``.venv/bin/python benchmarks/fit_parts.py [ROOT]`` times, in CPU time (the median of five runs), the three
parts of notebook 05's ``fit`` call (MLP(2, [16, 16, 1]) on 100 two-moons samples, 100 epochs, a validation
set of 50): the traced path's set-up alone, ``fit`` without a validation set, and ``fit`` with it. ``ROOT``
is a checkout of the package to time (this one by default), so that two commits can be set side by side:
``git archive REV | tar -x -C /tmp/before`` and run it once with each. In the browser lab every one of
these costs several times as much (benchmarks/LAB.md). Nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygrad_scalar.training import fit as training  # noqa: E402 - the checkout chosen above
from tinygrad_scalar.training.data import make_moons  # noqa: E402
from tinygrad_scalar.training.nn import MLP  # noqa: E402
from tinygrad_scalar.training.optim import SGD, LinearDecay  # noqa: E402

X, y = make_moons(100, noise=0.1, seed=1337)
VALIDATION = make_moons(50, noise=0.1, seed=7)


def cpu(task: object) -> float:
    started = time.process_time()
    task()  # type: ignore[operator]  # a callable
    return time.process_time() - started


def set_up() -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    training._ReplayedSteps(model, model.parameters(), X)


def train(**options: object) -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    optimizer = SGD(model.parameters(), lr=1.0)
    training.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=100, l2=1e-4, progress=False,
                 schedule=lambda o: LinearDecay(o, 1.0, 0.1, 100), **options)  # fmt: skip


def main() -> None:
    cases = {
        "the traced path's set-up": set_up,
        "fit, 100 epochs": train,
        "fit, 100 epochs, validation set of 50": lambda: train(validation=VALIDATION),
    }
    print(f"{ROOT}, CPU time, median of 5 runs (min - max)\n")
    print("| what | median | min - max |\n|---|---|---|")
    for name, task in cases.items():
        times = [cpu(task) for _ in range(5)]
        print(f"| {name} | {statistics.median(times):.3f} s | {min(times):.3f} - {max(times):.3f} s |")


if __name__ == "__main__":
    main()
