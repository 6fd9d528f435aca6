"""Tracing: the compiled program computes exactly what the engine computes, and says when it cannot."""

import itertools
import math
import random

import pytest
import torch

from tests.ops import BINARY, SPECIALS, UNARY, Binary, Unary, same
from tinygrad_scalar import Value
from tinygrad_scalar.core.graph import gradient_pass
from tinygrad_scalar.training.data import make_moons
from tinygrad_scalar.transforms import trace as trace_module
from tinygrad_scalar.transforms.checkpoint import checkpoint
from tinygrad_scalar.transforms.trace import TraceError, TraceMismatchError, trace, trace_per_sample


def identical(a: float, b: float) -> bool:
    """The same float, bit for bit, the sign of a zero included (a nan equal to any nan: CPython itself
    gives ``-nan * nan`` either sign, depending on whether the line was specialised after eight runs)."""
    return same(a, b) and (math.isnan(a) or math.copysign(1.0, a) == math.copysign(1.0, b))


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_every_unary_operation_replays_bit_for_bit(op: Unary):
    """For every operation, at ordinary and special values, the replay gives the engine's value and
    gradient exactly."""
    compiled = trace(lambda x: op.ours(x), 0.5)
    rng = random.Random(0)
    for x in [*SPECIALS, *(rng.uniform(-20, 20) for _ in range(50))]:
        v = Value(x)
        out = op.ours(v)
        out.backward()
        value, (grad,) = compiled.value_and_grad(x)
        assert identical(value, out.data) and identical(grad, v.grad), (op.name, x, value, out.data, grad, v.grad)
        assert identical(compiled(x), out.data)


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_every_binary_operation_replays_bit_for_bit(op: Binary):
    """Binary operations too, on every pair of special values."""
    compiled = trace(lambda a, b: op.ours(a, b), 0.5, 1.5)
    for a, b in itertools.product(SPECIALS, SPECIALS):
        va, vb = Value(a), Value(b)
        out = op.ours(va, vb)
        out.backward()
        value, (ga, gb) = compiled.value_and_grad(a, b)
        assert identical(value, out.data) and identical(ga, va.grad) and identical(gb, vb.grad), (op.name, a, b)


def random_program(xs, seed):
    """A random graph over the inputs xs, with reuse and diamonds; its structure does not depend on xs."""
    rng = random.Random(seed)
    nodes = list(xs)
    for _ in range(40):
        kind = rng.randrange(6)
        a, b = rng.choice(nodes), rng.choice(nodes)
        options = [a + b, a * b, (a * a + 1).log(), a.tanh() - b, (a * 0.3).exp() / (b * b + 1), a.relu() ** 2]
        nodes.append(options[kind])
    return nodes[-1] + nodes[-2] * nodes[-5]


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_replay_bit_for_bit(seed: int):
    """On random graphs, the replay's values and gradients equal the engine's for new inputs."""
    compiled = trace(lambda *xs: random_program(xs, seed), *[0.1 * i for i in range(5)])
    rng = random.Random(seed)
    for _ in range(5):
        xs = [rng.uniform(-2, 2) for _ in range(5)]
        values = [Value(x) for x in xs]
        out = random_program(values, seed)
        out.backward()
        value, grads = compiled.value_and_grad(*xs)
        assert identical(value, out.data)
        assert all(identical(g, v.grad) for g, v in zip(grads, values))


def test_nested_list_inputs_and_gradients_nested_alike():
    """Inputs may be nested lists; gradients come back with the same nesting."""

    def f(w, rows):
        return sum((w[0] * r[0] + w[1] * r[1]).tanh() for r in rows)

    compiled = trace(f, [0.5, -0.5], [[1.0, 2.0], [3.0, 4.0]])
    value, (gw, grows) = compiled.value_and_grad([0.2, 0.3], [[1.0, -1.0], [0.5, 2.0]])
    w = [Value(0.2), Value(0.3)]
    rows = [[Value(1.0), Value(-1.0)], [Value(0.5), Value(2.0)]]
    out = f(w, rows)
    out.backward()
    assert value == out.data
    assert gw == [v.grad for v in w]
    assert grows == [[v.grad for v in r] for r in rows]


def test_program_reads_like_a_jaxpr_and_source_is_python():
    """program lists inputs, constants, one instruction per line, outputs; source is the generated code."""
    compiled = trace(lambda x, y: (x * y + 2.0).relu() ** 3, 1.0, 2.0)
    assert compiled.program.splitlines() == [
        "inputs: v0 (x), v1 (y)",
        "v3 = const 2.0",
        "v2 = mul v0 v1",
        "v4 = add v2 v3",
        "v5 = relu v4",
        "v6 = power[3] v5",
        "outputs: v6",
    ]
    assert "def forward(shared, samples):" in compiled.source
    assert "def backward(shared, saved, seeds, acc):" in compiled.source
    assert "v2 = (v0 * v1)" in compiled.source


def test_trace_as_a_decorator_traces_on_the_first_call():
    """@trace compiles on the first call and replays afterwards."""

    @trace
    def f(x):
        return x.exp() * x

    assert f(1.0) == math.exp(1.0)
    value, (grad,) = f.value_and_grad(2.0)
    assert value == math.exp(2.0) * 2.0 and grad == math.exp(2.0) * 2.0 + math.exp(2.0)
    assert f.traced is not None and len(f.traced.instructions) == 2


def branchy(x):
    return x * 2 if x.data > 0 else x * x  # the structure depends on the value


def test_check_detects_a_graph_that_depends_on_the_values():
    """check=True traces again on each call: a different branch raises TraceMismatchError with advice."""
    checked = trace(branchy, 1.0, check=True)
    assert checked(3.0) == 6.0
    with pytest.raises(TraceMismatchError, match=r"different graph.*'if' on \.data"):
        checked(-3.0)
    unchecked = trace(branchy, 1.0)
    assert unchecked(-3.0) == -6.0  # silently the traced branch: what check=True is for
    decorated = trace(check=True)(branchy)
    decorated(1.0)
    with pytest.raises(TraceMismatchError):
        decorated(-1.0)


def test_constants_are_frozen_at_trace_time():
    """A Value read from outside, not passed in, is a constant of the program."""
    w = Value(3.0)
    compiled = trace(lambda x: w * x, 2.0)
    w.data = 100.0
    assert compiled(2.0) == 6.0
    assert "const 3.0" in compiled.program


def test_several_outputs():
    """A function returning several Values replays them all; the gradient is of the first."""
    compiled = trace(lambda x: [x * x, x + 1], 3.0)
    assert compiled(3.0) == [9.0, 4.0]
    assert compiled.value_and_grad(3.0) == ([9.0, 4.0], [6.0])


def test_bad_inputs_and_outputs_are_clear_errors():
    """Strings, non-Value results and calls of another shape are refused, saying what was expected."""
    with pytest.raises(TraceError, match="inputs are numbers"):
        trace(lambda x: x, "2")
    with pytest.raises(TraceError, match="must return a Value"):
        trace(lambda x: 3.0, 1.0)
    compiled = trace(lambda v: v[0] * v[1], [1.0, 2.0])
    with pytest.raises(TraceError, match="list of 2 items"):
        compiled([1.0, 2.0, 3.0])
    with pytest.raises(TraceError, match="takes 1 arguments"):
        compiled([1.0, 2.0], 3.0)
    with pytest.raises(TraceError, match="only leaves"):
        trace(lambda v: v, Value(1.0) * 2)


def mlp_loss(params, X, y):
    """A 2-4-1 tanh network written as a function of a flat parameter list, a batch and its labels:
    loss(params, X, y), with every number an input of the trace."""
    w1, b1, w2, b2 = params[0:8], params[8:12], params[12:16], params[16]
    total = 0
    for x, t in zip(X, y):
        hidden = [(w1[2 * j] * x[0] + w1[2 * j + 1] * x[1] + b1[j]).tanh() for j in range(4)]
        score = sum((w * h for w, h in zip(w2, hidden)), b2)
        total = total + (1 + -t * score).relu()
    return total * (1.0 / len(X))


def test_loss_of_params_and_a_batch_replays_for_other_batches():
    """loss(params, X, y) traced on one batch replays, bit for bit, on another batch of the same size."""
    rng = random.Random(1)
    params = [rng.uniform(-1, 1) for _ in range(17)]
    X1, y1 = make_moons(8, seed=1)
    X2, y2 = make_moons(8, seed=2)
    signed1, signed2 = [2 * t - 1 for t in y1], [2 * t - 1 for t in y2]
    compiled = trace(mlp_loss, params, X1, signed1)
    value, (g_params, g_X, g_y) = compiled.value_and_grad(params, X2, signed2)
    ps = [Value(p) for p in params]
    xs = [[Value(a), Value(b)] for a, b in X2]
    ts = [Value(float(t)) for t in signed2]
    out = mlp_loss(ps, xs, ts)
    out.backward()
    assert value == out.data
    assert g_params == [p.grad for p in ps]
    assert g_X == [[a.grad, b.grad] for a, b in xs]
    assert g_y == [t.grad for t in ts]


def test_a_large_program_runs_in_chunks_bit_for_bit(monkeypatch):
    """Beyond STRAIGHT_LINE_LIMIT instructions the program runs as chunks, each its own function, with the
    engine's values, gradients and hooks, bit for bit, whatever the size of a chunk."""
    monkeypatch.setattr(trace_module, "STRAIGHT_LINE_LIMIT", 5)
    seen = []

    def f(*xs):
        out = random_program(xs, 7)
        out.register_hook(lambda g: seen.append(g))
        return out

    for chunk in (1, 3, 7, 1000):
        monkeypatch.setattr(trace_module, "CHUNK", chunk)
        compiled = trace(f, *[0.1 * i for i in range(5)])
        rng = random.Random(7)
        for _ in range(5):
            xs = [rng.uniform(-2, 2) for _ in range(5)]
            values = [Value(x) for x in xs]
            out = f(*values)
            out.backward()
            value, grads = compiled.value_and_grad(*xs)
            assert identical(value, out.data) and identical(compiled(*xs), out.data)
            assert all(identical(g, v.grad) for g, v in zip(grads, values)), chunk
        assert len(compiled.instructions) > 5 and "chunks" in compiled.source
    assert len(seen) == 2 * 4 * 5


def test_a_per_sample_program_in_chunks_replays_a_batch_as_the_straight_line_one(monkeypatch):
    """forward_batch and backward_batch of a chunked per-sample program give the straight-line program's
    outputs and gradients, bit for bit, with several outputs seeded or not."""

    def per_sample(ps, x):
        h = (ps[0] * x[0] + ps[1] * x[1]).tanh()
        return [h * ps[2], h, (h * x[1]).exp()]

    rng = random.Random(5)
    samples = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(4)]
    data = [0.3, -0.7, 1.1]
    seeds = [[rng.uniform(-1, 1) for _ in range(3)] for _ in samples]
    results = []
    for limit in (5_000, 3):
        monkeypatch.setattr(trace_module, "STRAIGHT_LINE_LIMIT", limit)
        monkeypatch.setattr(trace_module, "CHUNK", 2)
        program = trace_per_sample(per_sample, [Value(p) for p in data], samples[0], samples[1])
        outputs, saved = program.forward_batch(data, samples)
        every = program.backward_batch(data, saved[::-1], seeds, [0.0, 0.0, 0.0])
        some = program.backward_batch(data, saved, [[s[2], s[0]] for s in seeds], [0.5, 0.0, 0.0], seeded=[2, 0])
        results.append(([[x.hex() for x in out] for out in outputs], [g.hex() for g in every + some]))
    assert results[0] == results[1]


def test_a_chain_of_a_hundred_thousand_nodes_traces_and_replays_like_the_engine():
    """A 10^5-node chain, too long for one generated function, gives the engine's value and gradients."""

    def f(x, a, b):
        for _ in range(50_000):
            x = x * a + b
        return x

    compiled = trace(f, 1.0, 0.999, 0.001)
    leaves = [Value(1.5), Value(0.9995), Value(0.002)]
    out = f(*leaves)
    out.backward()
    value, grads = compiled.value_and_grad(1.5, 0.9995, 0.002)
    assert value == out.data and grads == [v.grad for v in leaves]


def per_sample_loss(params, x):
    """A tanh neuron and a squared error, with the weights shared by every sample."""
    w, b = params[:2], params[2]
    return ((w[0] * x[0] + w[1] * x[1] + b).tanh() - x[2]) ** 2


def test_per_sample_program_replayed_over_samples_adds_gradients_as_backward_does():
    """forward_batch then backward_batch, last sample first, give the gradients of the batch's sum
    that backward() gives on the whole graph, bit for bit."""
    rng = random.Random(3)
    samples = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    params = [Value(0.3), Value(-0.7), Value(0.1)]
    program = trace_per_sample(per_sample_loss, params, samples[0], samples[1])
    assert len(program.instructions) == len(trace(per_sample_loss, params, samples[0]).instructions)
    total = sum((per_sample_loss(params, x) for x in samples[1:]), per_sample_loss(params, samples[0]))
    total.backward()
    data = [p.data for p in params]
    outputs, saved = program.forward_batch(data, samples)
    assert sum((out[0] for out in outputs[1:]), outputs[0][0]) == total.data
    grads = program.backward_batch(data, saved[::-1], [[1.0]] * len(samples), [0.0, 0.0, 0.0])
    assert grads == [p.grad for p in params]


def test_per_sample_trace_refuses_a_computation_that_looks_at_its_values():
    """A computation that reads .data (or compares Values) may take another path for other values: refused,
    naming the place, even when both samples take the same branch."""
    with pytest.raises(TraceError, match=r"uses \.data in branchy, test_trace\.py line \d+: its graph may depend"):
        trace_per_sample(lambda ps, x: branchy(x[0]) * ps[0], [1.0], [1.0], [2.0])
    with pytest.raises(TraceError, match=r"compares Values \(>\) in <lambda>"):
        trace_per_sample(lambda ps, x: max(ps[0], ps[1]) * x[0], [1.0, 0.5], [1.0], [2.0])


def test_per_sample_trace_refuses_samples_that_build_different_programs():
    """Samples of another shape build another program: TraceMismatchError."""
    with pytest.raises(TraceMismatchError, match="different graph for another sample"):
        trace_per_sample(lambda ps, x: ps[0] * sum(x), [1.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0, 3.0])


def test_per_sample_trace_lists_the_values_every_sample_reads_from_outside():
    """A Value read by every sample but not passed in is listed in ``outside``: the program froze it."""
    scale = Value(3.0)

    def per_sample(ps, x):
        made = Value(2.0)  # a new leaf on every call: a constant of the program, not read from outside
        return ps[0] * x[0] * scale * made

    program = trace_per_sample(per_sample, [1.0], [1.0], [2.0])
    assert program.outside == [scale]


def test_per_sample_trace_refuses_an_intermediate_value_shared_by_the_samples():
    """A value computed once, outside the function, is not per sample: refused."""
    w = Value(0.5)
    scale = w.exp()  # computed once, used by every sample
    with pytest.raises(TraceMismatchError, match="share an intermediate value"):
        trace_per_sample(lambda ps, x: ps[0] * scale * x[0], [w], [1.0], [2.0])


def test_a_gradient_of_negative_zero_from_a_hook_flows_on_as_in_the_engine():
    """A hook that returns -0.0 feeds an addition; the value before it sees 0.0 + -0.0 = 0.0, as in
    backward(), not the -0.0 itself (the program only skips the 0.0 + where no -0.0 can arrive)."""
    seen: list[float] = []

    def f(x, y):
        h = x * y
        h.register_hook(lambda g: seen.append(g))
        s = h + 1.0
        s.register_hook(lambda g: -0.0)
        return (s + 0.5) * 3.0

    x, y = Value(2.0), Value(-1.5)
    f(x, y).backward()
    value, grads = trace(f, 2.0, -1.5).value_and_grad(2.0, -1.5)
    assert value == f(Value(2.0), Value(-1.5)).data
    assert len(seen) == 2 and identical(seen[0], seen[1]) and math.copysign(1.0, seen[0]) == 1.0
    assert grads == [x.grad, y.grad]


# ---- the backward pass's seeds and reach, as backward() runs them -------------------------------------------


def torch_grads(f, args, seeds=None):
    """The gradients PyTorch float64 gives: of f's first output (or of its outputs with ``seeds``), with
    respect to each argument (0 for an argument the output does not depend on)."""
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
    outputs = f(*xs)
    if seeds is None:
        outputs, seeds = outputs[:1], [1.0]
    torch.autograd.backward(outputs, [torch.tensor(s, dtype=torch.float64) for s in seeds])
    return [0.0 if x.grad is None else x.grad.item() for x in xs]


def test_only_the_first_output_is_seeded_so_an_infinite_local_derivative_leaks_no_nan():
    """value_and_grad differentiates the first output; the others are not seeded at all (0 * inf would be
    nan): gradients [1, 0], as backward(), grad() and torch give."""
    from tinygrad_scalar.transforms.functional import grad

    f = lambda x, y: [x + 1.0, x * y]  # noqa: E731 - the issue's example
    value, grads = trace(f, 1.0, 2.0).value_and_grad(1.0, math.inf)
    x, y = Value(1.0), Value(math.inf)
    f(x, y)[0].backward()
    assert value == [2.0, math.inf]
    assert grads == [x.grad, y.grad] == list(grad(lambda x, y: f(x, y)[0], argnums=(0, 1))(1.0, math.inf))
    assert grads == torch_grads(f, [1.0, math.inf]) == [1.0, 0.0]


def test_an_output_returned_twice_receives_the_sum_of_its_seeds():
    """[p, p]: value_and_grad seeds p once (gradients [-0.5, 1.5], as backward() and torch); with both
    places seeded, p receives 0.0 + s1 + s2, as torch accumulates them."""
    f = lambda x, y: (lambda p: [p, p])(x * y)  # noqa: E731 - the issue's example
    compiled = trace(f, 1.5, -0.5)
    x, y = Value(1.5), Value(-0.5)
    (x * y).backward()
    assert compiled.value_and_grad(1.5, -0.5)[1] == [x.grad, y.grad] == torch_grads(f, [1.5, -0.5]) == [-0.5, 1.5]
    _, saved = compiled.forward_batch([1.5, -0.5], [()])
    both = compiled.backward_batch([1.5, -0.5], saved, [[0.25, 2.0]], [0.0, 0.0])
    assert both == torch_grads(f, [1.5, -0.5], seeds=[0.25, 2.0]) == [-0.5 * 2.25, 1.5 * 2.25]


def test_a_hook_on_an_input_that_never_reaches_the_seeded_output_does_not_run():
    """A hook on x, which only the second output depends on, is not run: gradients [0, 2], as backward()
    and torch (whose hook does not run either) give."""
    calls = []
    x, y = Value(1.0), Value(2.0)
    x.register_hook(lambda g: calls.append(g) or 5.0)
    f = lambda x, y: [y * 2.0, x * 3.0]  # noqa: E731
    _, grads = trace(f, x, y).value_and_grad(1.0, 2.0)
    f(x, y)[0].backward()
    assert grads == [x.grad, y.grad] == torch_grads(f, [1.0, 2.0]) == [0.0, 2.0]
    assert calls == []


def test_hooks_run_on_every_value_that_takes_part_and_on_no_other():
    """A hook on a value made of constants runs (it takes part), one on a value only the unseeded output
    depends on does not, as in backward()."""

    def f(x, seen):
        c = Value(2.0) * Value(3.0)
        c.register_hook(lambda g: seen.append(("c", g)))
        h = x * 4.0
        h.register_hook(lambda g: seen.append(("h", g)))
        return [x * c, h]

    theirs: list[tuple[str, float]] = []
    x = Value(1.5)
    f(x, theirs)[0].backward()
    ours: list[tuple[str, float]] = []
    assert trace(lambda x: f(x, ours), 1.5).value_and_grad(1.5)[1] == [x.grad]
    assert ours == theirs == [("c", 1.5)]


def test_a_hook_on_a_value_read_from_outside_is_refused():
    """The program holds a Value read from outside as a constant, with no gradient: its hook cannot run."""
    w = Value(2.0, label="w")
    w.register_hook(lambda g: None)
    with pytest.raises(TraceError, match=r"hook is registered on a Value read from outside .label 'w'.*as an input"):
        trace(lambda x: x * w, 1.0)


# ---- composition: several outputs, repeats, hooks and checkpoints together ------------------------------


def composed(x, y, z, seen):
    """Four outputs over x, y, z: ``p`` listed twice, an output made by a checkpoint whose function reads a
    value from outside and registers a hook inside, hooks on an intermediate value and on the checkpoint;
    each hook records what it saw (and two of them change it)."""
    b = x * y
    b.register_hook(lambda g: seen.append(("b", g)) or g * 0.5)

    def segment(a, c):
        inner = (a * c).tanh() * a + (c * b).exp()
        inner.register_hook(lambda g: seen.append(("inner", g)))
        return inner * 1.5

    s = checkpoint(segment, b, z)
    s.register_hook(lambda g: seen.append(("s", g)) or -g)
    p = s * 1.7 + b * 3.1 + (b * z).sin()
    q = (z * x + 4.0).log()
    return [p, s, q, p]


SEED_PATTERNS = [
    [1.0, None, None, None],  # value_and_grad's: the first output only
    [0.5, None, None, -2.0],  # p listed twice: the sum of its seeds
    [None, 1.0, None, None],  # the checkpoint's output alone
    [None, None, 1.0, None],  # an output the hooks' values do not reach
    [0.25, -1.5, 3.0, 1.0],  # everything
]


@pytest.mark.parametrize("limit", [5_000, 4])
def test_several_outputs_repeats_hooks_and_a_checkpoint_replay_the_rules_of_a_pass(monkeypatch, limit: int):
    """Any choice of seeded outputs, with an output listed twice, hooks (two of them changing the gradient) and
    a checkpoint reading a value from outside: the program's gradients and the hooks' calls are those of
    gradient_pass, the rules' own pass (bit for bit), straight-line and in chunks, and PyTorch float64's."""
    monkeypatch.setattr(trace_module, "STRAIGHT_LINE_LIMIT", limit)
    monkeypatch.setattr(trace_module, "CHUNK", 3)
    ours: list[tuple[str, float]] = []
    compiled = trace(lambda x, y, z: composed(x, y, z, ours), 0.3, 0.7, -0.4)
    rng = random.Random(limit)
    for _ in range(20):
        xs = [rng.uniform(-1, 1) for _ in range(3)]
        _, saved = compiled.forward_batch(xs, [()])
        for seeds in SEED_PATTERNS:
            values = [Value(x) for x in xs]
            theirs: list[tuple[str, float]] = []
            expected = gradient_pass(composed(*values, theirs), seeds).grads
            ours.clear()
            places = [k for k, seed in enumerate(seeds) if seed is not None]
            grads = compiled.backward_batch(xs, saved, [[seeds[k] for k in places]], [0.0] * 3, seeded=places)
            assert [g.hex() for g in grads] == [expected.get(v, 0.0).hex() for v in values], seeds
            assert ours == theirs, seeds
            assert all(close(g, t) for g, t in zip(grads, torch_composed(xs, seeds)))


def torch_composed(xs, seeds):
    """The gradients of ``composed`` in PyTorch float64, with the same hooks (a checkpoint changes no number)."""
    x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in xs)
    b = x * y
    b.register_hook(lambda g: g * 0.5)
    s = ((b * z).tanh() * b + (z * b).exp()) * 1.5
    s.register_hook(lambda g: -g)
    p = s * 1.7 + b * 3.1 + (b * z).sin()
    q = (z * x + 4.0).log()
    outputs = [p, s, q, p]
    seeded = [(o, torch.tensor(seed, dtype=torch.float64)) for o, seed in zip(outputs, seeds) if seed is not None]
    torch.autograd.backward([o for o, _ in seeded], [t for _, t in seeded])
    return [0.0 if v.grad is None else v.grad.item() for v in (x, y, z)]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("limit", [5_000, 3])
def test_a_checkpoint_segment_adds_its_gradient_once_as_backward_does(monkeypatch, limit: int):
    """A segment's boundary values (an argument given twice, a value read from outside, both also used outside
    the segment) receive the segment's gradient as one sum, at the checkpoint's place: value_and_grad equals
    backward() bit for bit (adding the segment's parts one by one rounds differently about half the time)."""
    monkeypatch.setattr(trace_module, "STRAIGHT_LINE_LIMIT", limit)
    monkeypatch.setattr(trace_module, "CHUNK", 2)

    def f(x, y):
        b = x * y
        s = checkpoint(lambda a, c, d: (a * c).tanh() * d + c.exp() * a + b * y, b, y, y)
        return s * 1.7 + b * 3.1 + (b * y).sin()

    compiled = trace(f, 0.3, 0.7)
    assert compiled.program.count("= checkpoint v") == 5  # b, y, y as arguments, b and y read from outside
    rng = random.Random(0)
    for _ in range(300):
        xs = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        values = [Value(v) for v in xs]
        out = f(*values)
        out.backward()
        value, grads = compiled.value_and_grad(*xs)
        assert value.hex() == out.data.hex() and [g.hex() for g in grads] == [v.grad.hex() for v in values], xs
