"""How accurate the float functions are: ours (the C library's, through ``tinygrad_scalar.core.ieee``) and PyTorch
float64's, each against the correctly rounded value computed by mpmath at 160 bits.

For each function, random points in a range where it is used; for each point, the error of ours and of PyTorch
in units in the last place (ulps) of the correctly rounded result. Prints a Markdown table: the share of points
that are not correctly rounded, and the largest error, for both. The README's paragraph on numerics quotes it::

    .venv/bin/python benchmarks/accuracy.py            # 20,000 points per function, about a minute
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable

import mpmath
import torch

from tinygrad_scalar.core import ieee

Draw = Callable[[random.Random], float]

FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[..., torch.Tensor], Callable[..., object], Draw, str]] = {
    "tanh": (ieee.tanh, torch.tanh, mpmath.tanh, lambda r: r.uniform(-5, 5), "[-5, 5]"),
    "exp": (ieee.exp, torch.exp, mpmath.exp, lambda r: r.uniform(-20, 20), "[-20, 20]"),
    "log": (ieee.log, torch.log, mpmath.log, lambda r: math.exp(r.uniform(-20, 20)), "e^[-20, 20]"),
    "log1p": (
        ieee.log1p,
        torch.log1p,
        lambda x: mpmath.log(1 + x),
        lambda r: math.exp(r.uniform(-20, 3)),
        "e^[-20, 3]",
    ),
    "sqrt": (ieee.sqrt, torch.sqrt, mpmath.sqrt, lambda r: math.exp(r.uniform(-20, 20)), "e^[-20, 20]"),
    "sin": (ieee.sin, torch.sin, mpmath.sin, lambda r: r.uniform(-10, 10), "[-10, 10]"),
    "cos": (ieee.cos, torch.cos, mpmath.cos, lambda r: r.uniform(-10, 10), "[-10, 10]"),
    "erf": (ieee.erf, torch.erf, mpmath.erf, lambda r: r.uniform(-4, 4), "[-4, 4]"),
    "sigmoid": (
        ieee.sigmoid,
        torch.sigmoid,
        lambda x: 1 / (1 + mpmath.exp(-x)),
        lambda r: r.uniform(-20, 20),
        "[-20, 20]",
    ),
}


def ulps(got: float, exact: object) -> float:
    """The distance of ``got`` from the correctly rounded ``exact``, in ulps of the latter (0 when it is it)."""
    correct = float(exact)  # type: ignore[arg-type]  # an mpmath number rounds to the nearest float
    return abs(got - correct) / math.ulp(correct) if correct else abs(got)


def measure(points: int, seed: int = 0) -> list[tuple[str, str, float, float, float, float]]:
    """Per function: its name, the range, then for ours and for PyTorch the share of points not correctly rounded
    and the largest error in ulps."""
    rows = []
    with mpmath.workprec(160):
        for name, (ours, theirs, exact, draw, where) in FUNCTIONS.items():
            rng = random.Random(seed)
            xs = [draw(rng) for _ in range(points)]
            reference = [exact(mpmath.mpf(x)) for x in xs]
            mine = [ulps(ours(x), e) for x, e in zip(xs, reference)]
            torch_values = theirs(torch.tensor(xs, dtype=torch.float64)).tolist()
            torchs = [ulps(t, e) for t, e in zip(torch_values, reference)]
            rows.append(
                (
                    name,
                    where,
                    sum(e > 0 for e in mine) / points,
                    max(mine),
                    sum(e > 0 for e in torchs) / points,
                    max(torchs),
                )
            )
    return rows


def table(rows: list[tuple[str, str, float, float, float, float]], points: int) -> str:
    """The rows as Markdown."""
    lines = [
        f"| function ({points:,} random points) | range | ours: not correctly rounded | ours: largest error "
        "| PyTorch: not correctly rounded | PyTorch: largest error |",
        "|---|---|---|---|---|---|",
    ]
    for name, where, mine, mine_max, torchs, torch_max in rows:
        lines.append(f"| `{name}` | {where} | {mine:.2%} | {mine_max:.0f} ulp | {torchs:.2%} | {torch_max:.0f} ulp |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="random points per function (default 20,000)")
    args = parser.parse_args()
    print(table(measure(args.points), args.points))


if __name__ == "__main__":
    main()
