"""Side-by-side benchmarks: tinygrad_scalar, micrograd 0.1.0, PyTorch 0-d float64 tensors, plain floats.

Run with ``make bench`` (or ``python benchmarks/bench.py``). Every workload runs each engine in
turn, several repetitions alternating between engines, and reports the median and the min-max of the
repetitions; ratios are against tinygrad_scalar. The results go to ``benchmarks/RESULTS.md``.

Fairness: each engine runs a block of consecutive steps (its own garbage from the previous step is
part of its cost, as in a real training loop); between blocks of different engines a collection runs
outside the timing, so no engine pays for another's garbage. Every engine pays for freeing what it
allocated: an engine run with its collector off, or deferred, has the ``gc.collect()`` after each of
its steps counted in the step (without it, micrograd "with its collector off" would leave most of its
garbage to an untimed collection).

Instruction counts: wall-clock times on a shared machine move by a third between runs; the number of
instructions does not. When valgrind is installed (``make bench`` installs it), every workload of
``benchmarks/instructions.py`` also runs under callgrind, and its instructions per step are reported
beside its time.

The collector: importing PyTorch leaves about 160,000 long-lived objects that every full collection
traverses, which would slow down every pure-Python engine here (by about half) only because PyTorch
is one of the contenders. By default the harness moves the objects that exist after the imports out
of the collector's way (``gc.freeze()``), as in a process without PyTorch; everything the engines
create is collected normally. ``--no-freeze`` measures without that.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import re
import shutil
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
from tinygrad_scalar.training import optim
from tinygrad_scalar.training.fit import _data_loss, _ReplayedSteps, collector_deferred
from tinygrad_scalar.training.nn import MLP

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import instructions  # noqa: E402 - the workloads, shared with the callgrind harness next to this file
from instructions import LABELS, X, Y, demo_step, float_layers, float_step  # noqa: E402

# ---- the training step of micrograd's demo, every way ----------------------------------------------


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


def torch_step(model: TorchScalarMLP) -> None:
    inputs = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [torch.relu(1 + -yi * s) for yi, s in zip(LABELS, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    for p in model.parameters():
        p.grad = None
    total.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad


class ReplayedStep:
    """fit()'s traced step on the demo: the model's per-sample program replayed over the batch, the loss
    on a small graph, SGD (``tinygrad_scalar.training.fit``'s own step object, set up as ``fit`` does)."""

    def __init__(self, model: MLP) -> None:
        self.params = model.parameters()
        self.optimizer = optim.SGD(self.params, lr=0.1)
        start = time.perf_counter()
        self.replayed = _ReplayedSteps(model, self.params, X)
        self.objective = self.objective_
        self.replayed.step(self.objective, X, Y)  # the first step compiles the program
        self.set_up = time.perf_counter() - start

    def objective_(self, outputs, ys):
        return _data_loss("hinge", outputs, ys) + tinygrad_scalar.training.losses.l2(self.params, 1e-4)

    def __call__(self) -> None:
        with collector_deferred:
            self.optimizer.zero_grad()
            self.replayed.step(self.objective, X, Y)
            self.optimizer.step()


FULL_BATCH = "tinygrad_scalar, the whole batch's loss traced into one program (trace)"


def engines() -> dict[str, tuple[Callable[[], Callable[[], object]], bool, str]]:
    """name -> (make a step, its collector off?, its workload in instructions.py)."""

    def ours(deferred: bool) -> Callable[[], object]:
        model = instructions.ours()
        if not deferred:
            return lambda: demo_step(model, tinygrad_scalar.Value)

        def step() -> None:
            with collector_deferred:
                demo_step(model, tinygrad_scalar.Value)

        return step

    def theirs() -> Callable[[], object]:
        model = instructions.theirs()
        return lambda: demo_step(model, micrograd.engine.Value)

    def floats() -> Callable[[], object]:
        layers = float_layers(instructions.ours())
        return lambda: float_step(layers)

    def torch_() -> Callable[[], object]:
        model = TorchScalarMLP(instructions.ours())
        return lambda: torch_step(model)

    return {
        "tinygrad_scalar": (lambda: ours(False), False, "ours"),
        "tinygrad_scalar, collector deferred (as fit does)": (lambda: ours(True), True, "ours-deferred"),
        "tinygrad_scalar, traced (fit's default)": (lambda: ReplayedStep(instructions.ours()), True, "fit"),
        "tinygrad_scalar, the traced program alone": (instructions.replay_step, False, "replay"),
        FULL_BATCH: (instructions.full_batch_step, False, "full-batch"),
        "micrograd": (theirs, False, "micrograd"),
        "micrograd, collector off, its collection counted": (theirs, True, "micrograd-collected"),
        "PyTorch 0-d float64": (torch_, False, ""),
        "plain floats, forward and backward by hand": (floats, False, "floats"),
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


def timed_step(step: Callable[[], object], collector_off: bool) -> tuple[float, float]:
    """One step's time, and the collector's part of it. With the collector off (or deferred) for the
    step, the collection after it is part of it: every engine pays for freeing what it allocated."""

    def run() -> float:
        start = time.perf_counter()
        step()
        if collector_off:
            gc.collect()
        return time.perf_counter() - start

    seconds, collecting = COLLECTOR.measure(run)
    return seconds, collecting  # type: ignore[return-value]


def bench_training(repetitions: int, block: int) -> dict[str, list[tuple[float, float]]]:
    """name -> (step, of which in the collector) for every step."""
    table = engines()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
    steps = {name: make() for name, (make, _, _) in table.items()}
    for _ in range(repetitions):
        for name, (_, collector_off, _) in table.items():
            gc.collect()
            micrograd_off = name.startswith("micrograd,")
            for _ in range(block):
                if micrograd_off:
                    gc.disable()
                try:
                    times[name].append(timed_step(steps[name], collector_off))
                finally:
                    gc.enable()
    return times


# ---- instruction counts (callgrind) ---------------------------------------------------------------------


def count_instructions(workload: str, n: int) -> float | None:
    """Instructions per repetition of an instructions.py workload under callgrind: the count with n
    repetitions minus the count with none, over n. None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    counts = []
    for k in (n, 0):
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             str(HERE / "instructions.py"), workload, str(k)],
            capture_output=True, text=True, cwd=HERE.parent,
        )  # fmt: skip
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"callgrind failed on {workload} {k}: {done.stderr[-2000:]}")
        counts.append(int(found.group(1)))
    return (counts[0] - counts[1]) / n


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


def deferred_chain(n: int) -> float:
    """``chain`` on our engine with the collector deferred, as in fit(), and the collection after it counted."""
    start = time.perf_counter()
    with collector_deferred:
        chain(tinygrad_scalar.Value, n)
    gc.collect()
    return time.perf_counter() - start


TRACE_CHAIN = """
import re, time
from tinygrad_scalar.transforms.trace import trace
def peak():  # the process's peak resident memory in bytes (VmHWM: not inherited from the parent, as ru_maxrss is)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) * 1024
def f(x, a, b):
    for _ in range({n}):
        x = x * a + b
    return x
before = peak()
start = time.perf_counter()
compiled = trace(f, 1.0, 0.999, 0.001)
compiled.value_and_grad(1.0, 0.999, 0.001)
seconds = time.perf_counter() - start
print(seconds, peak() - before)
"""


TRACE_FULL_BATCH = """
import re, sys, time
sys.path.insert(0, {here!r})
from instructions import demo_loss, ours
from tinygrad_scalar.transforms.trace import trace
def peak():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) * 1024
model = ours()
params = model.parameters()
before = peak()
start = time.perf_counter()
compiled = trace(lambda ps: demo_loss(model, float), params)
compiled.value_and_grad_flat([p.data for p in params])
seconds = time.perf_counter() - start
print(seconds, peak() - before)
"""


def trace_chain(n: int) -> tuple[float, float]:
    """Tracing a chain of n steps (2n nodes) and its first replay, forward and backward, in a fresh
    process: the seconds, and the growth of the process's peak memory in bytes."""
    done = subprocess.run([sys.executable, "-c", TRACE_CHAIN.format(n=n)], capture_output=True, text=True, check=True)
    seconds, grown = done.stdout.split()
    return float(seconds), float(grown)


def trace_full_batch() -> tuple[float, float]:
    """Tracing the demo's loss over the whole batch into one program, compiling it and its first replay, in
    a fresh process: the seconds, and the growth of the process's peak memory in bytes."""
    script = TRACE_FULL_BATCH.format(here=str(HERE))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seconds, grown = done.stdout.split()
    return float(seconds), float(grown)


def fit_demo_seconds(epochs: int = 100) -> float:
    """The demo's training with fit(), set-up (tracing, compiling) included."""
    gc.collect()
    start = time.perf_counter()
    instructions.fit_demo(epochs)
    return time.perf_counter() - start


def per_operation(make: Callable[[float], object], n: int = 100_000) -> float:
    """Seconds per multiplication of two operands of ``make``, the collector off: the operation alone."""
    a, b = make(1.5), make(0.5)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            a * b  # type: ignore[operator]
        return (time.perf_counter() - start) / n
    finally:
        gc.enable()


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


def peak_of_training_step(make: Callable[[], Callable[[], object]]) -> float:
    step = make()
    gc.collect()
    tracemalloc.start()
    step()
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


def ratio(x: float) -> str:
    """A ratio, rounded down: the README quotes these, and never rounds in our favour or against it."""
    return f"{math.floor(x * 100) / 100:.2f}x"


def fmt_instructions(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n:,.0f}"


CALLGRIND_REPETITIONS = {"micrograd": 1, "micrograd-collected": 1, "ours": 2, "ours-deferred": 2, "full-batch": 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=5, help="alternating repetitions (default 5)")
    parser.add_argument("--block", type=int, default=3, help="consecutive steps per engine and repetition (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes and no callgrind, for a smoke test")
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

    def count(workload: str, n: int = 3) -> float | None:
        if args.quick or not workload:
            return None
        return count_instructions(workload, CALLGRIND_REPETITIONS.get(workload, n))

    say("# Benchmark results")
    say()
    say(f"Machine: {machine()}.  ")
    say(f"Command: `{' '.join(['python', 'benchmarks/bench.py', *sys.argv[1:]])}` (run by `make bench`), "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Medians of {args.repetitions} alternating repetitions "
        f"x {args.block} consecutive steps, with min-max; ratios are the other engine's figure over ours, "
        "rounded down. Long-lived objects from the imports "
        f"{'left to' if args.no_freeze else 'moved out of the way of'} the garbage collector (see the docstring "
        "of benchmarks/bench.py). Instructions: callgrind, "
        f"{'not run' if args.quick or not shutil.which('valgrind') else 'set-up and imports subtracted'}.")  # fmt: skip

    say()
    say("## 1. micrograd's demo training step")
    say()
    say("MLP(2, [16, 16, 1]), 100 two-moons samples, max-margin loss + L2, full backward, SGD update. An "
        "engine run with its collector off or deferred pays, in each step, for the collection after it.")  # fmt: skip
    say()
    say(
        "| engine | step (median) | min - max | in the collector | instructions | time vs ours | instructions vs ours |"
    )
    say("|---|---|---|---|---|---|---|")
    times = bench_training(args.repetitions, args.block)
    medians = {name: statistics.median(t for t, _ in runs) for name, runs in times.items()}
    counts = {name: count(workload) for name, (_, _, workload) in engines().items()}
    ours, ours_count = medians["tinygrad_scalar"], counts["tinygrad_scalar"]
    for name, runs in times.items():
        med, lo, hi = stats([t for t, _ in runs])
        collecting = statistics.median(c for _, c in runs)
        n = counts[name]
        by_count = ratio(n / ours_count) if n is not None and ours_count else "-"
        say(f"| {name} | {fmt_time(med)} | {fmt_time(lo)} - {fmt_time(hi)} | {fmt_time(collecting)} | "
            f"{fmt_instructions(n)} | {ratio(med / ours)} | {by_count} |")  # fmt: skip
    deferred = "tinygrad_scalar, collector deferred (as fit does)"
    traced = "tinygrad_scalar, traced (fit's default)"
    replay = "tinygrad_scalar, the traced program alone"
    micro, micro_off = "micrograd", "micrograd, collector off, its collection counted"
    floor = "plain floats, forward and backward by hand"
    say()
    say("Ratios, rounded down:")
    say()
    say("| ratio | by time | by instructions | target |")
    say("|---|---|---|---|")
    comparisons = [
        (micro, "tinygrad_scalar", "micrograd as users run it, over ours", ""),
        (micro_off, "tinygrad_scalar", "micrograd, collector off and its collection counted, over ours", ""),
        (micro_off, deferred, "the same, over ours with the collector deferred", ""),
        ("tinygrad_scalar", deferred, "ours, over ours with the collector deferred: the deferral's gain", ""),
        ("tinygrad_scalar", traced, "ours define-by-run, over fit's traced step", ""),
        (micro, traced, "micrograd as users run it, over fit's traced step", ""),
        (traced, floor, "fit's traced step, over the plain-float step", ""),
        (replay, floor, "the traced program alone (the replay), over the plain-float step", "at most 2x"),
        ("tinygrad_scalar", FULL_BATCH, "ours define-by-run, over the whole-batch program", "at least 5x"),
        (micro, FULL_BATCH, "micrograd as users run it, over the whole-batch program", "at least 60x"),
    ]
    for a, b, what, target in comparisons:
        by_count = ratio(counts[a] / counts[b]) if counts[a] is not None and counts[b] else "-"  # type: ignore[operator]
        say(f"| {what} | {ratio(medians[a] / medians[b])} | {by_count} | {target or '-'} |")
    say()
    say("## 2. Tracing: what it costs before the first step")
    say()
    set_ups = [ReplayedStep(instructions.ours()).set_up for _ in range(3)]
    chain_n = 5_000 if args.quick else 50_000
    chains = [trace_chain(chain_n) for _ in range(3)]
    fits = [fit_demo_seconds(10 if args.quick else 100) for _ in range(3)]
    batches = [trace_full_batch() for _ in range(3)]
    say("| what | median | min - max | target |")
    say("|---|---|---|---|")
    say(f"| the demo: trace the per-sample program twice (the check), compile, first step | "
        f"{fmt_time(stats(set_ups)[0])} | {fmt_time(min(set_ups))} - {fmt_time(max(set_ups))} "
        "| at most 0.3 s |")  # fmt: skip
    seconds, grown = [c[0] for c in chains], [c[1] for c in chains]
    say(f"| a {2 * chain_n:,}-node chain: trace, compile, first forward and backward: time | "
        f"{fmt_time(stats(seconds)[0])} | {fmt_time(min(seconds))} - {fmt_time(max(seconds))} "
        "| at most 2 s |")  # fmt: skip
    say(f"| the same: growth of the process's peak memory | {statistics.median(grown) / 2**20:.0f} MiB | "
        f"{min(grown) / 2**20:.0f} - {max(grown) / 2**20:.0f} MiB | at most 200 MB |")  # fmt: skip
    seconds, grown = [b[0] for b in batches], [b[1] for b in batches]
    say(f"| the whole batch's loss traced into one program: trace, compile, first forward and backward | "
        f"{fmt_time(stats(seconds)[0])} | {fmt_time(min(seconds))} - {fmt_time(max(seconds))} | - |")  # fmt: skip
    say(f"| the same: growth of the process's peak memory | {statistics.median(grown) / 2**20:.0f} MiB | "
        f"{min(grown) / 2**20:.0f} - {max(grown) / 2**20:.0f} MiB | - |")  # fmt: skip
    steps = 10 if args.quick else 100
    say(f"| the demo's {steps} steps with `fit()`, set-up included | {fmt_time(stats(fits)[0])} | "
        f"{fmt_time(min(fits))} - {fmt_time(max(fits))} | at most 1.5 s |")  # fmt: skip
    say(f"| micrograd's {steps} steps, as users run it ({steps} x its median step above) | "
        f"{fmt_time(steps * medians[micro])} | - | - |")  # fmt: skip

    say()
    say("## 3. A deep chain: x = x * a + b, forward and backward")
    say()
    say("| engine | 10^4 steps (2*10^4 nodes) | " + f"{deep:,} steps | ratio of the two (linear: {deep // 10_000}) "
        "| in the collector (10^4, then the long chain) | ratio without the collector's time |")  # fmt: skip
    say("|---|---|---|---|---|---|")
    rows = {
        "tinygrad_scalar": (lambda n: chain(tinygrad_scalar.Value, n)),
        "tinygrad_scalar, collector deferred (its collection counted)": deferred_chain,
        "micrograd": (lambda n: chain(micrograd.engine.Value, n)),
        "PyTorch 0-d float64": (lambda n: chain(torch_value, n)),
        "plain floats (forward only)": float_chain,
    }
    for name, run in rows.items():
        gc.collect()
        small_runs = [COLLECTOR.measure(lambda run=run: attempt(lambda: run(10_000))) for _ in range(3)]
        small = [t for t, _ in small_runs]
        if any(isinstance(t, str) for t in small):
            say(f"| {name} | fails: {small[0]} | fails | - | - | - |")
            continue
        big, big_collecting = COLLECTOR.measure(lambda run=run: attempt(lambda: run(deep)))
        small_med = statistics.median(small)  # type: ignore[type-var]
        small_collecting = statistics.median(c for _, c in small_runs)
        if isinstance(big, float):
            big_text, ratio_text = fmt_time(big), f"{big / small_med:.0f}"
            without = f"{(big - big_collecting) / (small_med - small_collecting):.0f}"
        else:
            big_text, ratio_text, without = str(big), "-", "-"
        say(f"| {name} | {fmt_time(small_med)} | {big_text} | {ratio_text} | {fmt_time(small_collecting)}, "
            f"{fmt_time(big_collecting)} | {without} |")  # fmt: skip
        gc.collect()
    say()
    say(f"micrograd's recursive topological sort fails from a chain of {micrograd_deepest_chain() + 1} steps "
        "(about 2000 nodes) with Python's default recursion limit.")  # fmt: skip

    say()
    say("## 4. A wide fan-in: the sum of 10^5 products, added pairwise, and backward")
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
        say(f"| {name} | {fmt_time(med)} | {fmt_time(lo)} - {fmt_time(hi)} | {ratio(med / ours_fan)} |")

    say()
    say("## 5. Memory")
    say()
    ours_bytes = bytes_per_node(tinygrad_scalar.Value)
    their_bytes = bytes_per_node(micrograd.engine.Value)
    table = engines()
    ours_peak = peak_of_training_step(table["tinygrad_scalar"][0])
    traced_peak = peak_of_training_step(table[traced][0])
    their_peak = peak_of_training_step(table[micro][0])
    say("| engine | bytes per graph node (after backward) | peak of the training step |")
    say("|---|---|---|")
    say(f"| tinygrad_scalar | {ours_bytes:.0f} | {ours_peak / 2**20:.1f} MiB |")
    say(f"| tinygrad_scalar, traced | - | {traced_peak / 2**20:.1f} MiB |")
    say(f"| micrograd | {their_bytes:.0f} | {their_peak / 2**20:.1f} MiB |")
    say()
    say(f"Target: at most half of micrograd's memory per node (measured {ours_bytes / their_bytes:.2f}).")

    say()
    say("## 6. The floor: one multiplication, the collector off")
    say()
    say("| operation | time | instructions | vs the bare object |")
    say("|---|---|---|---|")
    operations = {
        "tinygrad_scalar: Value * Value": (tinygrad_scalar.Value, "op-ours"),
        "micrograd: Value * Value": (micrograd.engine.Value, "op-micrograd"),
        "the cheapest object-creating operation (one slot)": (instructions.Bare, "op-bare"),
        "plain floats": (float, "op-float"),
    }
    op_times = {
        name: statistics.median(per_operation(make) for _ in range(5)) for name, (make, _) in operations.items()
    }
    op_counts = {name: count(workload, 1) for name, (_, workload) in operations.items()}
    bare = "the cheapest object-creating operation (one slot)"
    for name in operations:
        c = op_counts[name]
        per_op = None if c is None else c / 10_000
        versus = ratio(op_times[name] / op_times[bare])
        if per_op is not None and op_counts[bare]:
            versus += f" by time, {ratio(c / op_counts[bare])} by instructions"  # type: ignore[operator]
        say(f"| {name} | {op_times[name] * 1e9:.0f} ns | {fmt_instructions(per_op)} | {versus} |")
    Path(args.output).write_text("\n".join(lines) + "\n" + _kept_records(Path(args.output)))
    print(f"\nwrote {args.output}")


def _kept_records(path: Path) -> str:
    """The report's "## Record" sections (comparisons made once, before and after a change): kept as they are."""
    old = path.read_text() if path.exists() else ""
    start = old.find("\n## Record")
    if start < 0:
        return ""
    end = old.find("\n## 7.", start + 1)  # live.py's section, which it writes again itself
    return old[start : end if end > 0 else len(old)].rstrip() + "\n"


if __name__ == "__main__":
    main()
