"""How ``trace`` should run a large program: the alternatives, measured side by side.

Two programs: a chain of 10^5 nodes (``x = x * a + b``, 50,000 times) and micrograd's demo loss over the
whole batch of 100 samples as one function of the parameters (65,077 instructions). For each way of
running a large program, in a fresh process: the time to trace, compile and replay once forward and
backward (by the clock, and the process's CPU time, which other jobs on a shared machine disturb
less), the growth of the process's peak memory, and the fastest of ten replays in CPU time::

    python benchmarks/large_programs.py                   # every way this checkout can run them
    python benchmarks/large_programs.py chunks unaligned  # some of them
    PYTHONPATH=/tmp/old python benchmarks/large_programs.py default  # what another checkout does

The ways: ``chunks`` (the default: chunks lined up with the block the program repeats), ``unaligned``
(chunks of ``trace.CHUNK`` instructions wherever they fall), ``straight`` (one Python function however
large; slow and memory-hungry to compile), ``default`` (whatever the checkout found first does: put an
older checkout first in ``PYTHONPATH`` to measure what it did, e.g. ``git archive 30fa963 | tar -x -C
/tmp/old`` for the interpreter). The measuring processes run in this folder, so that the checkout's own
folder does not come first on their path.

Then the demo's training step define-by-run, ours and micrograd's, the fastest of five by CPU time (the
collector on, as users run them), and the whole-batch program's replay against them: the ratios issue 21
asks for (at least 5x ours and 60x micrograd).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEASURE = """
import re, sys, time
sys.path.insert(0, {here!r})
from instructions import demo_loss, ours
from tinygrad_scalar.transforms import trace as T
way, program = {way!r}, {program!r}
if way == "straight":
    T.STRAIGHT_LINE_LIMIT = 10**9
elif way == "unaligned":
    T._chunk_size = lambda signature: T.CHUNK
def peak():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) * 1024
if program == "chain":
    def f(x, a, b):
        for _ in range(50_000):
            x = x * a + b
        return x
    args, inputs = (1.0, 0.999, 0.001), [1.0, 0.999, 0.001]
else:
    model = ours()
    params = model.parameters()
    f, args, inputs = (lambda ps: demo_loss(model, float)), (params,), [p.data for p in params]
before = peak()
start, cpu = time.perf_counter(), time.process_time()
compiled = T.trace(f, *args)
compiled.value_and_grad_flat(inputs)
set_up, set_up_cpu = time.perf_counter() - start, time.process_time() - cpu
grown = peak() - before
steps = []
for _ in range(10):
    start = time.process_time()
    _, grads = compiled.value_and_grad_flat(inputs)
    inputs = [x - 1e-6 * g for x, g in zip(inputs, grads)]
    steps.append(time.process_time() - start)
print(set_up, set_up_cpu, grown, min(steps))
"""


def measure(way: str, program: str) -> tuple[float, float, float, float]:
    """Seconds to trace, compile and replay once, by the clock and of the process's CPU time; bytes of
    peak memory grown; the fastest replay in seconds of CPU time."""
    script = MEASURE.format(here=str(HERE), way=way, program=program)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=HERE)
    set_up, set_up_cpu, grown, step = done.stdout.split()
    return float(set_up), float(set_up_cpu), float(grown), float(step)


STEP = """
import sys, time
sys.path.insert(0, {here!r})
import instructions
if {engine!r} == "micrograd":
    import micrograd.engine
    model, value, runs = instructions.theirs(), micrograd.engine.Value, 3
else:
    model, value, runs = instructions.ours(), instructions.Value, 5
times = []
for _ in range(runs):
    start = time.process_time()
    instructions.demo_step(model, value)
    times.append(time.process_time() - start)
print(min(times))
"""


def define_by_run_step(engine: str) -> float:
    """The demo's training step define-by-run (``ours`` or ``micrograd``): the fastest, in CPU seconds."""
    script = STEP.format(here=str(HERE), engine=engine)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=HERE)
    return float(done.stdout)


def main() -> None:
    ways = sys.argv[1:] or ["chunks", "unaligned", "straight"]
    print("| program | way | trace, compile, first replay: clock (CPU) | peak memory grown | fastest replay (CPU) |")
    print("|---|---|---|---|---|")
    replays = {}
    for program in ("chain", "batch"):
        for way in ways:
            set_up, set_up_cpu, grown, step = measure(way, program)
            name = "10^5-node chain" if program == "chain" else "the whole batch's loss"
            print(f"| {name} | {way} | {set_up:.2f} s ({set_up_cpu:.2f} s) | {grown / 2**20:.0f} MiB | "
                  f"{step * 1e3:.1f} ms |", flush=True)  # fmt: skip
            if program == "batch":
                replays[way] = step
    steps = {engine: define_by_run_step(engine) for engine in ("ours", "micrograd")}
    print()
    print("| the demo's step, CPU time | " + " | ".join(f"over the whole-batch replay ({way})" for way in ways) + " |")
    print("|---|" + "---|" * len(ways))
    for engine, step in steps.items():
        ratios = " | ".join(f"{step / replays[way]:.1f}x" for way in ways)
        print(f"| {engine} define-by-run: {step * 1e3:.1f} ms | {ratios} |", flush=True)


if __name__ == "__main__":
    main()
