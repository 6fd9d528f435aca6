"""Side-by-side benchmarks: tinygrad_scalar, micrograd 0.1.0, PyTorch 0-d float64 tensors, plain floats.

Run with ``make bench`` (or ``python benchmarks/bench.py``). Every workload runs each engine in
turn, several repetitions alternating between engines, and reports the median and the min-max of the
repetitions; ratios are against tinygrad_scalar. The results go to ``benchmarks/RESULTS.md``.

Fairness: each engine runs a block of consecutive steps (its own garbage from the previous step is
part of its cost, as in a real training loop); between blocks of different engines a collection runs
outside the timing, so no engine pays for another's garbage. "micrograd, collector off" turns the
cyclic garbage collector off around its own block only, to separate its engine from its garbage.

The collector: importing PyTorch leaves about 160,000 long-lived objects that every full collection
traverses, which would slow down every pure-Python engine here (by about half) only because PyTorch
is one of the contenders. By default the harness moves the objects that exist after the imports out
of the collector's way (``gc.freeze()``), as in a process without PyTorch; everything the engines
create is collected normally. ``--no-freeze`` measures without that.

The time the collector runs during each timed step is reported beside it (the collector's own
callbacks clock it): it is most of what separates a define-by-run engine's time from its own work,
and what makes long chains slower than linear.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import micrograd.engine
import micrograd.nn
import torch

import tinygrad_scalar
from tinygrad_scalar.data import make_moons, signed
from tinygrad_scalar.nn import MLP

HERE = Path(__file__).resolve().parent

# ---- the training step of micrograd's demo, four ways ----------------------------------------------

X, Y = make_moons(100, seed=1337)
LABELS = signed(Y)


def demo_step(model, value) -> tuple[float, float]:
    """micrograd's demo: max-margin loss + L2 (1e-4) on 100 samples, full backward, SGD. Returns the
    forward and backward times (the update is counted in neither; it is tiny)."""
    start = time.perf_counter()
    inputs = [list(map(value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * s).relu() for yi, s in zip(LABELS, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    middle = time.perf_counter()
    model.zero_grad()
    total.backward()
    end = time.perf_counter()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    return middle - start, end - middle


def mlp_forward(layers, x, relu):
    """The forward pass of micrograd's MLP, on whatever numbers the layers hold: b + w0*x0 + w1*x1 + ...,
    then relu except on the last layer."""
    for layer in layers:
        out = []
        for ws, b, nonlin in layer:
            act = b
            for w, xi in zip(ws, x):
                act = act + w * xi
            out.append(relu(act) if nonlin else act)
        x = out
    return x[0]


class TorchScalarMLP:
    """The same MLP with one 0-d float64 tensor per parameter: what users would write in PyTorch for
    scalar graphs."""

    def __init__(self, source: MLP) -> None:
        self.layers = [
            [([torch.tensor(w.data, dtype=torch.float64, requires_grad=True) for w in n.w],
              torch.tensor(n.b.data, dtype=torch.float64, requires_grad=True), n.nonlin) for n in layer.neurons]
            for layer in source.layers
        ]  # fmt: skip

    def parameters(self):
        return [p for layer in self.layers for ws, b, _ in layer for p in (*ws, b)]

    def __call__(self, x):
        return mlp_forward(self.layers, x, torch.relu)


def torch_step(model: TorchScalarMLP) -> tuple[float, float]:
    start = time.perf_counter()
    inputs = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [torch.relu(1 + -yi * s) for yi, s in zip(LABELS, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    middle = time.perf_counter()
    for p in model.parameters():
        p.grad = None
    total.backward()
    end = time.perf_counter()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    return middle - start, end - middle


class FloatMLP:
    """The same forward pass on plain floats: no graph, no gradients. The floor for pure Python."""

    def __init__(self, source: MLP) -> None:
        self.layers = [[([w.data for w in n.w], n.b.data, n.nonlin) for n in layer.neurons] for layer in source.layers]

    parameters = TorchScalarMLP.parameters

    def __call__(self, x):
        return mlp_forward(self.layers, x, lambda act: max(act, 0.0))


def float_step(model: FloatMLP) -> tuple[float, float]:
    start = time.perf_counter()
    scores = [model(row) for row in X]
    losses = [max(1 + -yi * s, 0.0) for yi, s in zip(LABELS, scores)]
    _ = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    return time.perf_counter() - start, 0.0


class TracedStep:
    """The demo's training step traced once (tinygrad_scalar.trace) and replayed on plain floats."""

    def __init__(self, model: MLP) -> None:
        from tinygrad_scalar.trace import trace

        self.params = model.parameters()

        def loss(ps):
            scores = [model(x) for x in X]
            losses = [(1 + -yi * s).relu() for yi, s in zip(LABELS, scores)]
            return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in ps)

        start = time.perf_counter()
        self.compiled = trace(loss, self.params)
        self.compiled.value_and_grad_flat([p.data for p in self.params])  # compiles it
        self.compile_time = time.perf_counter() - start


def traced_step(step: TracedStep) -> tuple[float, float]:
    start = time.perf_counter()
    _, grads = step.compiled.value_and_grad_flat([p.data for p in step.params])
    end = time.perf_counter()
    for p, g in zip(step.params, grads):
        p.data -= 0.1 * g
    return end - start, 0.0


def engines() -> dict[str, tuple[Callable[[], object], Callable[[object], tuple[float, float]], bool]]:
    """name -> (make a fresh model, run one step, collector off?)."""

    def ours():
        return MLP(2, [16, 16, 1], seed=1337)

    def theirs():
        random.seed(1337)
        return micrograd.nn.MLP(2, [16, 16, 1])

    return {
        "tinygrad_scalar": (ours, lambda m: demo_step(m, tinygrad_scalar.Value), False),
        "tinygrad_scalar, traced (forward + backward)": (lambda: TracedStep(ours()), traced_step, False),
        "micrograd": (theirs, lambda m: demo_step(m, micrograd.engine.Value), False),
        "micrograd, collector off": (theirs, lambda m: demo_step(m, micrograd.engine.Value), True),
        "PyTorch 0-d float64": (lambda: TorchScalarMLP(ours()), torch_step, False),
        "plain floats (forward only)": (lambda: FloatMLP(ours()), float_step, False),
    }


class CollectorClock:
    """The time spent in the cyclic garbage collector (its own callbacks tell when it starts and stops):
    ``clock.seconds`` grows by the length of every collection, wherever it happens."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start

    def measure(self, fn: Callable[[], object]) -> tuple[object, float]:
        """``fn()``'s result and the time the collector ran during it."""
        before = self.seconds
        result = fn()
        return result, self.seconds - before


COLLECTOR = CollectorClock()


def bench_training(repetitions: int, block: int) -> dict[str, list[tuple[float, float, float]]]:
    """name -> (forward, backward, of which in the collector) for every step."""
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in engines()}
    models = {name: make() for name, (make, _, _) in engines().items()}
    for _ in range(repetitions):
        for name, (_, step, collector_off) in engines().items():
            gc.collect()
            if collector_off:
                gc.disable()
            try:
                for _ in range(block):
                    (forward, backward), collecting = COLLECTOR.measure(lambda name=name, step=step: step(models[name]))
                    times[name].append((forward, backward, collecting))
            finally:
                gc.enable()
    return times


# ---- deep chain, wide fan-in --------------------------------------------------------------------------


def chain(value, n: int) -> float:
    """x = x * a + b, n times, then backward; returns the time of both. ``value`` makes a leaf of the
    engine being measured (``torch_value`` for PyTorch)."""
    start = time.perf_counter()
    a, b, x = value(0.999), value(0.001), value(1.0)
    for _ in range(n):
        x = x * a + b
    x.backward()
    return time.perf_counter() - start


def float_chain(n: int) -> float:
    start = time.perf_counter()
    a, b, x = 0.999, 0.001, 1.0
    for _ in range(n):
        x = x * a + b
    return time.perf_counter() - start


def fan_in(value, n: int) -> float:
    """The sum of n products a_i * b_i, added pairwise (a balanced tree, so that every engine can walk
    it), then backward."""
    start = time.perf_counter()
    terms = [value(0.001 * i) * value(1.0 - 0.0001 * i) for i in range(n)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)] + ([terms[-1]] if len(terms) % 2 else [])
    terms[0].backward()
    return time.perf_counter() - start


def torch_value(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def float_fan_in(n: int) -> float:
    start = time.perf_counter()
    terms = [(0.001 * i) * (1.0 - 0.0001 * i) for i in range(n)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)] + ([terms[-1]] if len(terms) % 2 else [])
    return time.perf_counter() - start


def attempt(fn: Callable[[], float]) -> float | str:
    try:
        return fn()
    except RecursionError:
        return "RecursionError"


def micrograd_deepest_chain() -> int:
    """The longest chain micrograd's recursive topological sort survives (with the default limit)."""
    lo, hi = 1, 4096
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if isinstance(attempt(lambda n=mid: chain(micrograd.engine.Value, n)), float):
            lo = mid
        else:
            hi = mid - 1
    return lo


# ---- memory ------------------------------------------------------------------------------------------------


def bytes_per_node(value, n: int = 20000) -> float:
    """Memory a graph holds per node after forward and backward (tracemalloc): the pairwise sum of n
    products, 4n - 1 nodes (2n leaves, n products, n - 1 sums), shallow enough for every engine."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    terms = [value(0.001 * i) * value(1.0 - 0.0001 * i) for i in range(n)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)] + ([terms[-1]] if len(terms) % 2 else [])
    root = terms[0]
    root.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del root, terms
    gc.collect()
    return (after - before) / (4 * n - 1)


def peak_of_training_step(make, step) -> float:
    model = make()
    gc.collect()
    tracemalloc.start()
    step(model)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    gc.collect()
    return peak


# ---- report --------------------------------------------------------------------------------------------------


def stats(xs: list[float]) -> tuple[float, float, float]:
    return statistics.median(xs), min(xs), max(xs)


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        ).stdout.strip()
    except OSError:
        commit = "?"
    return (
        f"{cpu}, {__import__('os').cpu_count()} cores; Python {platform.python_version()} ({sys.executable}); "
        f"torch {torch.__version__}; micrograd 0.1.0; tinygrad_scalar {tinygrad_scalar.__version__} at {commit or '?'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=5, help="alternating repetitions (default 5)")
    parser.add_argument("--block", type=int, default=3, help="consecutive steps per engine and repetition (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="where to write the report")
    parser.add_argument("--no-freeze", action="store_true", help="leave PyTorch's objects to the collector")
    args = parser.parse_args()
    if not args.no_freeze:
        gc.collect()
        gc.freeze()
    deep = 10_000 if args.quick else 1_000_000
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say("# Benchmark results")
    say()
    say(f"Machine: {machine()}.  ")
    say(f"Command: `{' '.join(['python', 'benchmarks/bench.py', *sys.argv[1:]])}` (run by `make bench`), "
        f"{time.strftime('%Y-%m-%d')}. Medians of {args.repetitions} alternating repetitions "
        f"x {args.block} consecutive steps, with min-max; ratios are the other engine's time over ours. "
        f"Long-lived objects from the imports {'left to' if args.no_freeze else 'moved out of the way of'} "
        "the garbage collector (see the docstring of benchmarks/bench.py).")  # fmt: skip

    say()
    say("## 1. micrograd's demo training step, and 5. backward over forward")
    say()
    say("MLP(2, [16, 16, 1]), 100 two-moons samples, max-margin loss + L2, full backward, SGD update.")
    say()
    say("| engine | step (median) | min - max | forward | backward | backward / forward | in the collector "
        "| vs tinygrad_scalar |")  # fmt: skip
    say("|---|---|---|---|---|---|---|---|")
    times = bench_training(args.repetitions, args.block)
    ours = statistics.median(f + b for f, b, _ in times["tinygrad_scalar"])
    summary = {}
    for name, runs in times.items():
        total = [f + b for f, b, _ in runs]
        med, lo, hi = stats(total)
        fwd, bwd = statistics.median(f for f, _, _ in runs), statistics.median(b for _, b, _ in runs)
        collecting = statistics.median(c for _, _, c in runs)
        ratio = f"{bwd / fwd:.2f}" if bwd else "-"
        summary[name] = med
        say(f"| {name} | {fmt_time(med)} | {fmt_time(lo)} - {fmt_time(hi)} | {fmt_time(fwd)} | {fmt_time(bwd)} | "
            f"{ratio} | {fmt_time(collecting)} | {med / ours:.1f}x |")  # fmt: skip
    ours_collecting = statistics.median(c for _, _, c in times["tinygrad_scalar"])
    say()
    traced = summary["tinygrad_scalar, traced (forward + backward)"]
    compile_time = TracedStep(MLP(2, [16, 16, 1], seed=1337)).compile_time
    say(
        f"The traced step replays a program traced and compiled once ({compile_time:.1f} s, not counted above): "
        f"{summary['micrograd'] / traced:.0f}x faster than micrograd as users run it, {ours / traced:.1f}x faster "
        f"than define-by-run tinygrad_scalar, {traced / summary['plain floats (forward only)']:.1f}x the time of "
        "the plain-float forward pass."
    )
    say()
    say("Targets: at least 12x faster than micrograd as users run it "
        f"(measured {summary['micrograd'] / ours:.1f}x), at least 2x faster than micrograd with the collector off "
        f"({summary['micrograd, collector off'] / ours:.1f}x), at least 8x faster than PyTorch 0-d tensors "
        f"({summary['PyTorch 0-d float64'] / ours:.1f}x), backward at most 1.5x forward; plain floats are the floor "
        f"(ours is {ours / summary['plain floats (forward only)']:.0f}x that).")  # fmt: skip
    say()
    say(f"\"In the collector\" is the median time the cyclic garbage collector ran during a step. The collector "
        "traverses every live node each time it collects the generation that node is in, so any engine "
        "that makes one object per node pays it as the graph grows, even with no reference cycles to find. "
        f"Without it our step would take {fmt_time(ours - ours_collecting)}: "
        f"{summary['micrograd, collector off'] / (ours - ours_collecting):.1f}x faster than micrograd with "
        "the collector off.")  # fmt: skip

    say()
    say("## 2. A deep chain: x = x * a + b, forward and backward")
    say()
    say("| engine | 10^4 steps (2*10^4 nodes) | " + f"{deep:,} steps | ratio of the two (linear: {deep // 10_000}) "
        "| in the collector (10^4, then the long chain) | ratio without the collector |")  # fmt: skip
    say("|---|---|---|---|---|---|")
    rows = {
        "tinygrad_scalar": (lambda n: chain(tinygrad_scalar.Value, n)),
        "micrograd": (lambda n: chain(micrograd.engine.Value, n)),
        "PyTorch 0-d float64": (lambda n: chain(torch_value, n)),
        "plain floats (forward only)": float_chain,
    }
    for name, run in rows.items():
        small_runs = [COLLECTOR.measure(lambda run=run: attempt(lambda: run(10_000))) for _ in range(3)]
        small = [t for t, _ in small_runs]
        if any(isinstance(t, str) for t in small):
            say(f"| {name} | fails: {small[0]} | fails | - | - | - |")
            continue
        big, big_collecting = COLLECTOR.measure(lambda run=run: attempt(lambda: run(deep)))
        small_med = statistics.median(small)  # type: ignore[type-var]
        small_collecting = statistics.median(c for _, c in small_runs)
        if isinstance(big, float):
            big_text, ratio = fmt_time(big), f"{big / small_med:.0f}"
            without = f"{(big - big_collecting) / (small_med - small_collecting):.0f}"
        else:
            big_text, ratio, without = str(big), "-", "-"
        say(f"| {name} | {fmt_time(small_med)} | {big_text} | {ratio} | {fmt_time(small_collecting)}, "
            f"{fmt_time(big_collecting)} | {without} |")  # fmt: skip
        gc.collect()
    say()
    say(f"micrograd's recursive topological sort fails from a chain of {micrograd_deepest_chain() + 1} steps "
        "(about 2000 nodes) with Python's default recursion limit.")  # fmt: skip

    say()
    say("## 3. A wide fan-in: the sum of 10^5 products, added pairwise, and backward")
    say()
    say("| engine | time (median) | min - max | vs tinygrad_scalar |")
    say("|---|---|---|---|")
    n = 10_000 if args.quick else 100_000
    fans = {
        "tinygrad_scalar": lambda: fan_in(tinygrad_scalar.Value, n),
        "micrograd": lambda: fan_in(micrograd.engine.Value, n),
        "PyTorch 0-d float64": lambda: fan_in(torch_value, n),
        "plain floats (forward only)": lambda: float_fan_in(n),
    }
    fan_times: dict[str, list[float]] = {k: [] for k in fans}
    for _ in range(3):
        for name, run in fans.items():
            gc.collect()
            fan_times[name].append(run())
    ours_fan = statistics.median(fan_times["tinygrad_scalar"])
    for name, ts in fan_times.items():
        med, lo, hi = stats(ts)
        say(f"| {name} | {fmt_time(med)} | {fmt_time(lo)} - {fmt_time(hi)} | {med / ours_fan:.1f}x |")

    say()
    say("## 4. Memory")
    say()
    ours_bytes = bytes_per_node(tinygrad_scalar.Value)
    their_bytes = bytes_per_node(micrograd.engine.Value)
    engines_ = engines()
    ours_peak = peak_of_training_step(engines_["tinygrad_scalar"][0], engines_["tinygrad_scalar"][1])
    their_peak = peak_of_training_step(engines_["micrograd"][0], engines_["micrograd"][1])
    say("| engine | bytes per graph node (after backward) | peak of the training step |")
    say("|---|---|---|")
    say(f"| tinygrad_scalar | {ours_bytes:.0f} | {ours_peak / 2**20:.1f} MiB |")
    say(f"| micrograd | {their_bytes:.0f} | {their_peak / 2**20:.1f} MiB |")
    say()
    say(f"Target: at most half of micrograd's memory per node (measured {ours_bytes / their_bytes:.2f}).")
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
