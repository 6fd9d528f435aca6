"""Instruction counts of the engine's hot paths, for runs under ``valgrind --tool=callgrind``.

Wall-clock times on a shared 2-core machine move by a third between runs; the number of
instructions a piece of Python executes does not. Run a workload under callgrind twice, with the
measured part repeated N times and 0 times; the difference over N is one run, without set-up and
imports::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python benchmarks/instructions.py demo 3
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python benchmarks/instructions.py demo 0

Workloads: ``demo`` (micrograd's demo training step, the step of ``make bench``), ``chain``
(x = x * a + b, 10^4 times, forward and backward), ``traced`` (the demo step, traced, replayed).
"""

from __future__ import annotations

import sys

from tinygrad_scalar.data import make_moons, signed
from tinygrad_scalar.engine import Value
from tinygrad_scalar.nn import MLP
from tinygrad_scalar.trace import trace

X, Y = make_moons(100, seed=1337)
LABELS = signed(Y)


def demo_loss(model: MLP) -> Value:
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * s).relu() for yi, s in zip(LABELS, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def demo() -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    measured(lambda: _demo_step(model))


def _demo_step(model: MLP) -> None:
    total = demo_loss(model)
    model.zero_grad()
    total.backward()


def chain() -> None:
    def run() -> None:
        a, b, x = Value(0.999), Value(0.001), Value(1.0)
        for _ in range(10_000):
            x = x * a + b
        x.backward()

    measured(run)


def traced() -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def loss(ps: list[Value]) -> Value:
        return demo_loss(model)

    compiled = trace(loss, params)
    xs = [p.data for p in params]
    compiled.value_and_grad_flat(xs)  # compiles it
    measured(lambda: compiled.value_and_grad_flat(xs))


def measured(run: object) -> None:
    """The measured part: the workload, as many times as the second argument says."""
    for _ in range(int(sys.argv[2])):
        run()  # type: ignore[operator]


if __name__ == "__main__":
    {"demo": demo, "chain": chain, "traced": traced}[sys.argv[1]]()
