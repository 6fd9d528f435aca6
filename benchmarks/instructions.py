"""Instruction counts of the hot paths, for runs under ``valgrind --tool=callgrind``; and the workloads
``bench.py`` times.

Wall-clock times on a shared 2-core machine move by a third between runs; the number of
instructions a piece of Python executes does not. Run a workload under callgrind twice, with the
measured part repeated N times and 0 times; the difference over N is one run, without set-up and
imports::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python benchmarks/instructions.py demo 3
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python benchmarks/instructions.py demo 0

``bench.py`` does this for every workload in ``WORKLOADS`` when valgrind is installed. Every workload
pays for freeing what it allocated: where the collector is off or deferred, a ``gc.collect()`` after
each step is part of the step.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import micrograd.engine
import micrograd.nn

from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.training import optim
from tinygrad_scalar.training.data import make_moons, signed
from tinygrad_scalar.training.fit import collector_deferred, fit
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.transforms.trace import trace, trace_per_sample

X, Y = make_moons(100, seed=1337)
LABELS = signed(Y)
SIZES = [16, 16, 1]


def demo_loss(model, value):
    """micrograd's demo: max-margin loss + L2 (1e-4) on 100 samples, on any engine's values."""
    scores = [model(list(map(value, row))) for row in X]
    losses = [(1 + -yi * s).relu() for yi, s in zip(LABELS, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def demo_step(model, value) -> None:
    """One training step of micrograd's demo: loss, zero_grad, backward, SGD."""
    total = demo_loss(model, value)
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad


def ours() -> MLP:
    return MLP(2, SIZES, seed=1337)


def theirs() -> micrograd.nn.MLP:
    import random

    random.seed(1337)
    return micrograd.nn.MLP(2, SIZES)


# ---- the floor: the same training step on plain floats, forward and backward written by hand -------------


def float_layers(model: MLP) -> list[list[tuple[list[float], float, bool]]]:
    """The parameters of an MLP as plain floats: per layer, per neuron, (weights, bias, relu?)."""
    return [[([w.data for w in n.w], n.b.data, n.nonlin) for n in layer.neurons] for layer in model.layers]


def float_step(layers: list[list[tuple[list[float], float, bool]]]) -> float:
    """The demo's training step on plain floats: forward, the hand-written backward pass, SGD. No graph,
    no objects per operation: the floor for pure Python. Returns the loss."""
    n = len(X)
    gw = [[[0.0] * len(ws) for ws, _, _ in layer] for layer in layers]
    gb = [[0.0] * len(layer) for layer in layers]
    data_loss = 0.0
    for row, label in zip(X, LABELS):
        inputs = [list(row)]
        for layer in layers:  # forward, keeping each layer's inputs
            x = inputs[-1]
            out = []
            for ws, b, nonlin in layer:
                act = b
                for w, xi in zip(ws, x):
                    act = act + w * xi
                out.append(max(act, 0.0) if nonlin else act)
            inputs.append(out)
        margin = 1 + -label * inputs[-1][0]
        data_loss += max(margin, 0.0)
        upstream = [-label / n if margin > 0 else 0.0]
        for li in range(len(layers) - 1, -1, -1):  # backward
            x, y = inputs[li], inputs[li + 1]
            down = [0.0] * len(x)
            for j, ((ws, _, nonlin), g) in enumerate(zip(layers[li], upstream)):
                if nonlin and y[j] <= 0.0:
                    continue
                row_grads = gw[li][j]
                for i, (w, xi) in enumerate(zip(ws, x)):
                    row_grads[i] += g * xi
                    down[i] += g * w
                gb[li][j] += g
            upstream = down
    reg = sum(w * w for layer in layers for ws, b, _ in layer for w in (*ws, b))
    for li, layer in enumerate(layers):  # SGD, with the L2 term's gradient
        layers[li] = [
            ([w - 0.1 * (g + 2e-4 * w) for w, g in zip(ws, gw[li][j])], b - 0.1 * (gb[li][j] + 2e-4 * b), nonlin)
            for j, (ws, b, nonlin) in enumerate(layer)
        ]
    return data_loss * (1.0 / n) + 1e-4 * reg


class Bare:
    """The cheapest object-creating operation: one object with one slot, made from two others."""

    __slots__ = ("data",)

    def __init__(self, data: float) -> None:
        self.data = data

    def __mul__(self, other: Bare) -> Bare:
        return Bare(self.data * other.data)


# ---- the workloads: set-up, then a function of n that runs the measured part n times ----------------------


def _steps(make_step: Callable[[], Callable[[], object]]) -> Callable[[int], None]:
    def run(n: int) -> None:
        step = make_step()
        for _ in range(n):
            step()

    return run


def _ours_step(deferred: bool) -> Callable[[], object]:
    model = ours()

    def step() -> None:
        if deferred:
            with collector_deferred:
                demo_step(model, Value)
            gc.collect()  # what the deferral leaves: paid here
        else:
            demo_step(model, Value)

    return step


def _micrograd_step(collector: bool) -> Callable[[], object]:
    model = theirs()

    def step() -> None:
        if collector:
            demo_step(model, micrograd.engine.Value)
            return
        gc.disable()
        try:
            demo_step(model, micrograd.engine.Value)
        finally:
            gc.enable()
        gc.collect()  # what the step left for the collector: paid here

    return step


def _float_step() -> Callable[[], object]:
    layers = float_layers(ours())
    return lambda: float_step(layers)


def fit_demo(n: int) -> None:
    """n steps of fit() on the demo (traced by default); n = 0 is its set-up alone (tracing, compiling)."""
    model = ours()
    fit(model, X, Y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=n, l2=1e-4, progress=False)


def fit_demo_define_by_run(n: int) -> None:
    model = ours()
    fit(
        model, X, Y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=n, l2=1e-4,
        progress=False, traced=False,
    )  # fmt: skip


def replay_step() -> Callable[[], object]:
    """The traced program alone: fit's per-sample program, forward and backward over the 100 samples
    (each sample's upstream gradient a fixed 1/100), SGD; no loss graph, no bookkeeping."""
    model = ours()
    params = model.parameters()
    program = trace_per_sample(lambda ps, x: model(x), params, list(X[0]), list(X[-1]))
    program.compile(len(params))
    seeds = [[1.0 / len(X)]] * len(X)

    def step() -> None:
        data = [p.data for p in params]
        _, saved = program.forward_batch(data, X)
        grads = program.backward_batch(data, saved[::-1], seeds, [0.0] * len(params))
        for p, g in zip(params, grads):
            p.data -= 0.1 * g

    return step


def full_batch_step() -> Callable[[], object]:
    """The demo's loss over the whole batch as a function of the parameters, traced once into one program
    (``trace``: 65,000 instructions, compiled in chunks), replayed forward and backward, then SGD."""
    model = ours()
    params = model.parameters()
    compiled = trace(lambda ps: demo_loss(model, float), params)
    compiled.value_and_grad_flat([p.data for p in params])  # compiles it

    def step() -> None:
        _, grads = compiled.value_and_grad_flat([p.data for p in params])
        for p, g in zip(params, grads):
            p.data -= 0.1 * g

    return step


def _operations(make: Callable[[float], object]) -> Callable[[int], None]:
    """n x 10^4 multiplications of two fresh operands' values, the collector off (the operation alone)."""

    def run(n: int) -> None:
        a, b = make(1.5), make(0.5)
        gc.disable()
        try:
            for _ in range(n * 10_000):
                a * b  # type: ignore[operator]
        finally:
            gc.enable()

    return run


def chain(n: int) -> None:
    """x = x * a + b, 10^4 times, forward and backward, n times."""
    for _ in range(n):
        a, b, x = Value(0.999), Value(0.001), Value(1.0)
        for _ in range(10_000):
            x = x * a + b
        x.backward()


WORKLOADS: dict[str, tuple[Callable[[int], None], str]] = {
    "ours": (_steps(lambda: _ours_step(deferred=False)), "demo step"),
    "ours-deferred": (_steps(lambda: _ours_step(deferred=True)), "demo step"),
    "fit": (fit_demo, "demo step"),
    "fit-define-by-run": (fit_demo_define_by_run, "demo step"),
    "micrograd": (_steps(lambda: _micrograd_step(collector=True)), "demo step"),
    "micrograd-collected": (_steps(lambda: _micrograd_step(collector=False)), "demo step"),
    "replay": (_steps(replay_step), "demo step"),
    "full-batch": (_steps(full_batch_step), "demo step"),
    "floats": (_steps(_float_step), "demo step"),
    "op-ours": (_operations(Value), "10^4 operations"),
    "op-micrograd": (_operations(micrograd.engine.Value), "10^4 operations"),
    "op-bare": (_operations(Bare), "10^4 operations"),
    "op-float": (_operations(float), "10^4 operations"),
    "chain": (chain, "chain of 10^4"),
}


if __name__ == "__main__":
    WORKLOADS[sys.argv[1]][0](int(sys.argv[2]))
