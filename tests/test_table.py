"""One table of derivatives: every consumer covers every operation, and refuses by name what it cannot use."""

import math
import pathlib
import threading

import pytest
import torch
from torch.func import jacrev
from torch.func import jvp as torch_jvp

from tinygrad_scalar import MLP, Value, defop, draw_dot, grad, hessian, jacobian, jvp, no_grad
from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import UnknownOperationError, apply, contributions, topological_order
from tinygrad_scalar.core.rules import rule_source
from tinygrad_scalar.debugging.anomaly import detect_anomaly
from tinygrad_scalar.teaching.explanations import backward_steps, explain_grad, worked_solution
from tinygrad_scalar.training.fit import fit
from tinygrad_scalar.transforms.checkpoint import checkpoint
from tinygrad_scalar.transforms.functional import gradients, value_and_grad
from tinygrad_scalar.transforms.trace import trace

ROOT = pathlib.Path(__file__).resolve().parent.parent

# A point inside each operation's smooth domain (inputs, parameters), for the coverage test below.
SAMPLES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "add": ((1.5, -0.25), ()),
    "mul": ((1.5, -0.25), ()),
    "fma": ((1.5, -0.25, 0.5), ()),
    "div": ((1.5, -0.25), ()),
    "reciprocal": ((1.5,), ()),
    "pow": ((1.5, 0.75), ()),
    "power": ((1.5,), (3.0,)),
    "exp": ((0.5,), ()),
    "log": ((1.5,), ()),
    "tanh": ((0.5,), ()),
    "sigmoid": ((0.5,), ()),
    "relu": ((0.5,), ()),
    "sin": ((0.5,), ()),
    "cos": ((0.5,), ()),
    "sqrt": ((1.5,), ()),
    "abs": ((-1.5,), ()),
    "log1p": ((0.5,), ()),
    "erf": ((0.5,), ()),
    "leaky_relu": ((-1.5,), (0.1,)),
    "elu": ((-1.5,), (1.0,)),
    "softplus": ((0.5,), ()),
    "silu": ((0.5,), ()),
    "gelu": ((0.5,), ()),
    "gelu_tanh": ((0.5,), ()),
    "gelu_tanh_slope": ((0.5,), ()),
    "maximum": ((1.5, -0.25), ()),
    "minimum": ((1.5, -0.25), ()),
    "clamp": ((0.5,), (-1.0, 1.0)),
}


def _built_in(name):
    """f(*inputs) applying the operation ``name`` to its sample's inputs, then squaring (so that the
    result depends on the operation's output in a non-linear way)."""
    if name == "checkpoint":
        w = Value(0.7, label="w")
        return (lambda x: checkpoint(lambda t: (t * w).tanh() * t, x) ** 2), (0.5,)
    inputs, params = SAMPLES[name]
    op = ops.OPS[name]
    return (lambda *xs: apply(op, xs, params) ** 2), inputs


BUILT_IN = [name for name in ops.OPS if not ops.OPS[name].user_defined]


def test_every_operation_of_the_table_has_a_sample():
    """The coverage test below covers every row of the table: none is left out."""
    assert set(BUILT_IN) == {*SAMPLES, "checkpoint"}


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_consumer_covers_every_operation(name):
    """backward(), create_graph, grad, hessian, trace, forward mode, explanations, drawings and anomaly
    detection all work on every operation, and agree with each other."""
    f, inputs = _built_in(name)
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    out = f(*xs)
    out.backward()
    floats = [x.grad for x in xs]
    assert all(math.isfinite(g) for g in floats) and any(g != 0.0 for g in floats)
    # the same rule, evaluated on Values: identical numbers
    graph_grads = value_and_grad(f, argnums=tuple(range(len(inputs))))(*inputs)[1]
    assert list(graph_grads) == floats
    assert len(hessian(f)(*inputs)) == len(inputs)
    # trace: the same floats, bit for bit
    _, traced = trace(f, *inputs).value_and_grad(*inputs)
    assert traced == floats
    # forward mode: the same derivatives, multiplied in another order
    for i in range(len(inputs)):
        _, rate = jvp(f, inputs, [1.0 if j == i else 0.0 for j in range(len(inputs))])
        assert math.isclose(rate, floats[i], rel_tol=1e-13), (rate, floats[i])
    # explanations and drawings name the operation's rule and label, with no unknown formula
    root = f(*[Value(x, label=f"x{i}") for i, x in enumerate(inputs)])
    steps = list(backward_steps(root))
    op = ops.OPS[name]
    rules = [op.rule_of(i) for i in range(max(op.arity, 1))]  # each input's rule (checkpoint's inputs vary)
    rule = "; ".join(dict.fromkeys(rules))
    assert any(step.rule == rule for step in steps)
    assert "?" not in "\n".join(str(step) for step in steps)
    solution = worked_solution(root)
    assert all(r in solution for r in rules)
    labels = {node._op for node in topological_order(root)}
    assert any(label in draw_dot(root).source for label in labels - {""})
    # anomaly detection watches it: finite inputs, no anomaly
    with detect_anomaly():
        f(*[Value(x) for x in inputs]).backward()


# Points where every formula of a row is evaluated: inside its smooth domain, away from kinks.
FORMULA_POINTS = {
    "pow": [(1.5, 0.75), (0.3, -2.0)],
    "log": [(1.5,), (0.2,)],
    "sqrt": [(1.5,), (0.2,)],
    "log1p": [(0.5,), (-0.4,)],
    "div": [(1.5, -0.25), (-3.0, 7.0)],
}


@pytest.mark.parametrize("name", [n for n in BUILT_IN if n != "checkpoint"])
def test_the_formula_a_student_reads_is_the_derivative_that_runs(name):
    """Each row's text formula, read by the package's own expression parser, gives the local derivative the
    compiled rule computes, at several points: what explanations print is checked against what runs."""
    from tinygrad_scalar.core.expression import evaluate_formula

    op = ops.OPS[name]
    inputs, params = SAMPLES[name]
    points = FORMULA_POINTS.get(name, [inputs, tuple(-0.6 * x + 0.3 for x in inputs)])
    for point in points:
        node = apply(op, [Value(x) for x in point], params)
        for i, local in enumerate(contributions(node, 1.0)):
            text = op.formula(i, op.inputs, "out", params)
            values = dict(zip(op.inputs, point)) | {"out": node.data}
            assert math.isclose(evaluate_formula(text, values), local, rel_tol=1e-12, abs_tol=1e-300), (text, point)


def test_backward_rules_are_the_tables_formulas_compiled():
    """The engine's rule for * is the table's derivatives written out, not a second copy."""
    source = rule_source(ops.MUL)
    assert "p0.grad += (g * p1.data)" in source and "p1.grad += (g * p0.data)" in source
    relu = rule_source(ops.RELU)
    assert "if not (node.data <= 0.0): p0.grad += g" in relu  # selected away: an inf upstream gives 0


# ---- the drifted behaviours, fixed through the mechanism ----------------------------------------------------


def test_grad_through_checkpoint_is_not_zero():
    """grad, value_and_grad, hessian and create_graph differentiate through a checkpoint (it was 0.0)."""
    assert grad(lambda x: checkpoint(lambda t: t * t, x))(3.0) == 6.0
    assert value_and_grad(lambda x: checkpoint(lambda t: t * t, x))(3.0) == (9.0, 6.0)
    assert hessian(lambda x: checkpoint(lambda t: t * t * t, x))(2.0) == [[12.0]]
    x = Value(3.0)
    checkpoint(lambda t: t * t * t, x).backward(create_graph=True)
    dx = x.grad
    x.grad = 0.0
    dx.backward()
    assert (dx.data, x.grad) == (27.0, 18.0)


def test_checkpoint_with_a_parameter_matches_pytorch_to_second_order():
    """A checkpoint segment that reads a parameter gives PyTorch's first and second derivatives."""
    w = Value(0.7)
    ours = hessian(lambda x, v: checkpoint(lambda t, u: (t * w).tanh() * u, x, v) ** 2)(0.5, 1.5)
    tw = torch.tensor(0.7, dtype=torch.float64)

    def theirs(x, v):
        return ((x * tw).tanh() * v) ** 2

    reference = torch.autograd.functional.hessian(theirs, (torch.tensor(0.5).double(), torch.tensor(1.5).double()))
    assert all(math.isclose(ours[i][j], reference[i][j].item(), rel_tol=1e-12) for i in range(2) for j in range(2))


def test_hooks_run_in_every_backward_path():
    """A hook that zeroes a gradient in flight stops it in backward(), create_graph, grad and trace alike;
    forward mode, which has no backward gradient to give it, refuses the graph by name."""
    w = Value(2.0, label="w")

    def f(x, w=w):
        h = x * w
        h.label = "h"
        h.register_hook(lambda g: 0.0)  # nothing flows back through h
        return h * x

    x = Value(3.0)
    f(x).backward()
    assert (x.grad, w.grad) == (6.0, 0.0)  # only the direct use of x: d(h x)/dx = h
    x, w.grad = Value(3.0), 0.0
    f(x).backward(create_graph=True)
    assert (x.grad.data, w.grad.data) == (6.0, 0.0)
    w.grad = 0.0
    x = Value(3.0)
    assert [g.data for g in gradients(f(x), [x, w])] == [6.0, 0.0]
    assert grad(f)(3.0) == 6.0
    assert trace(f, 3.0, w).value_and_grad(3.0, w)[1] == [6.0, 0.0]
    with pytest.raises(ValueError, match="hooks on h"):
        jvp(f, [3.0], [1.0])


def test_a_model_frozen_by_hooks_stays_still_traced_or_not():
    """fit() and fit(traced=True) both leave every parameter of a model frozen by hooks unchanged."""
    for traced in (False, True):
        model = MLP(2, [4, 1], seed=0)
        for p in model.parameters():
            p.register_hook(lambda g: 0.0)
        before = [p.data for p in model.parameters()]
        fit(model, [[1.0, 2.0], [0.5, -1.0]], [1, -1], loss="mse", epochs=3, progress=False, traced=traced)
        assert [p.data for p in model.parameters()] == before, traced


def _grads(root):
    return [node.grad for node in topological_order(root)]


def test_views_change_no_gradient():
    """Drawing or explaining a graph with a checkpoint segment that reads a parameter changes no grad."""
    w = Value(1.5, label="w")
    x = Value(2.0, label="x")
    y = checkpoint(lambda t: (t * w).tanh() * t, x)
    y.label = "y"
    L = y * y
    L.label = "L"
    L.backward()
    before = _grads(L)
    draw_dot(L, edge_grads=True)
    explain_grad(L, w)
    worked_solution(L)
    worked_solution(L, format="latex")
    contributions(y, 1.0)
    assert _grads(L) == before


# ---- operations of your own ------------------------------------------------------------------------------------


def _lecture_tanh(x):
    """The micrograd lecture's way of adding an operation: a closure assigned to _backward."""
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def test_lecture_way_of_adding_an_operation_works_for_backward_and_stepping():
    """out._backward = closure is accepted; backward() and calling _backward() by hand run it."""
    x = Value(0.5)
    out = _lecture_tanh(x)
    out.backward()
    assert x.grad == 1 - math.tanh(0.5) ** 2
    x.grad = 0.0
    out.grad = 1.0
    out._backward()
    assert x.grad == 1 - math.tanh(0.5) ** 2


@pytest.mark.parametrize(
    ("consumer", "call"),
    [
        ("create_graph", lambda o: o.backward(create_graph=True)),
        ("forward mode", lambda o: jvp(lambda x: _lecture_tanh(x), [0.5], [1.0])),
        ("trace", lambda o: trace(lambda x: _lecture_tanh(x), 0.5)),
        ("explanations", lambda o: list(backward_steps(o))),
        ("explaining or drawing gradients", lambda o: contributions(o, 1.0)),
    ],
)
def test_an_opaque_closure_is_refused_by_name(consumer, call):
    """A consumer that needs an operation's formulas refuses a _backward closure, naming the operation and
    pointing to defop, instead of giving a gradient of 0."""
    out = _lecture_tanh(Value(0.5))
    with pytest.raises(UnknownOperationError, match=r"'tanh'.*defop"):
        call(out)


def test_a_node_with_parents_and_no_rule_is_not_skipped():
    """backward() raises on a node made with parents but no backward rule, rather than passing nothing on."""
    x = Value(2.0)
    out = Value(4.0, (x,), "square")
    with pytest.raises(UnknownOperationError, match="'square'"):
        out.backward()


SOFTPLUS_FORMULAS = {"text": ["sigmoid($x)"], "latex": [r"\sigma($x)"]}


def _softplus():
    return defop(
        "user_softplus",
        forward=lambda x: math.log1p(math.exp(x)) if x < 30 else x,
        derivatives=[lambda g, x, out: g * x.sigmoid()],
        **SOFTPLUS_FORMULAS,
    )


def test_defop_works_across_every_consumer():
    """An operation defined once with defop works with backward, grad, hessian, trace, jvp, explanations,
    drawings and anomaly detection, and matches PyTorch's softplus to second order."""
    softplus = _softplus()
    f = lambda x, w: softplus(x * w) * x  # noqa: E731
    x, w = Value(0.8, label="x"), Value(-1.3, label="w")
    out = f(x, w)
    out.backward()
    tx, tw = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.8, -1.3))
    reference = torch.nn.functional.softplus(tx * tw) * tx
    reference.backward()
    assert math.isclose(x.grad, tx.grad.item(), rel_tol=1e-12) and math.isclose(w.grad, tw.grad.item(), rel_tol=1e-12)
    h = hessian(f)(0.8, -1.3)
    th = torch.autograd.functional.hessian(
        lambda a, b: torch.nn.functional.softplus(a * b) * a, (tx.detach(), tw.detach())
    )
    assert all(math.isclose(h[i][j], th[i][j].item(), rel_tol=1e-12) for i in range(2) for j in range(2))
    assert trace(f, 0.8, -1.3).value_and_grad(0.8, -1.3)[1] == [x.grad, w.grad]
    assert math.isclose(jvp(f, [0.8, -1.3], [1.0, 0.0])[1], x.grad, rel_tol=1e-13)
    explained = worked_solution(out)
    assert "chain rule through user_softplus" in explained and r"\sigma(" in explained
    assert "user_softplus" in draw_dot(out).source
    blowup = defop("user_blowup", forward=lambda x: math.inf, derivatives=[lambda g, x, out: g * 0.0])
    with detect_anomaly(), pytest.raises(ArithmeticError, match="user_blowup produced inf from finite inputs"):
        blowup(Value(1.0))


def test_defop_refuses_a_derivative_it_cannot_differentiate_again():
    """A derivative written with math.exp (floats only) is refused when the operation is defined."""
    with pytest.raises(TypeError, match="math module"):
        defop("bad_exp", forward=math.exp, derivatives=[lambda g, x, out: g * math.exp(x)])


def test_defop_can_be_run_twice_but_not_over_a_built_in():
    """Running a notebook cell with defop again replaces the operation; a built-in name is refused."""
    _softplus()
    _softplus()
    with pytest.raises(ValueError, match="already"):
        defop("tanh", forward=math.tanh, derivatives=[lambda g, x, out: g * (1.0 - out * out)])


# ---- forward mode ------------------------------------------------------------------------------------------------


def _f(x, y, z):
    return [(x * y).tanh() + z.exp() * x, (x / z).sin() * y.sigmoid()]


def _torch_f(x, y, z):
    return torch.stack([(x * y).tanh() + z.exp() * x, (x / z).sin() * y.sigmoid()])


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # inside torch.func
def test_jvp_matches_torch_func_jvp():
    """jvp gives PyTorch's values and directional derivatives to 1e-12 relative."""
    primals, tangents = (0.3, -1.2, 0.8), (1.0, 0.5, -2.0)
    values, rates = jvp(_f, primals, tangents)
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    ref_values, ref_rates = torch_jvp(_torch_f, tuple(map(t, primals)), tuple(map(t, tangents)))
    assert all(math.isclose(a, b.item(), rel_tol=1e-12) for a, b in zip(values, ref_values))
    assert all(math.isclose(a, b.item(), rel_tol=1e-12) for a, b in zip(rates, ref_rates))


def test_jacobian_forward_equals_reverse_and_jacrev():
    """Forward and reverse mode give the same Jacobian, and PyTorch's jacrev's, to 1e-12 relative."""
    point = (0.3, -1.2, 0.8)
    forward = jacobian(_f, mode="forward")(*point)
    reverse = jacobian(_f, mode="reverse")(*point)
    ref = jacrev(_torch_f, argnums=(0, 1, 2))(*(torch.tensor(v, dtype=torch.float64) for v in point))
    for i in range(2):
        for j in range(3):
            assert math.isclose(forward[i][j], reverse[i][j], rel_tol=1e-13)
            assert math.isclose(reverse[i][j], ref[j][i].item(), rel_tol=1e-12)


def test_forward_and_reverse_agree_exactly_where_arithmetic_is_exact():
    """On small integers, where no product rounds, forward mode equals reverse mode bit for bit."""

    def poly(x, y):
        return x * x * y + 3.0 * y - x

    assert jacobian(poly, mode="forward")(3.0, 2.0) == jacobian(poly, mode="reverse")(3.0, 2.0) == [11.0, 12.0]


def test_jacobian_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="'forward' or 'reverse'"):
        jacobian(_f, mode="sideways")


# ---- no_grad, shared ------------------------------------------------------------------------------------------------


def test_a_shared_no_grad_works_across_threads_leaving_in_any_order():
    """One no_grad instance entered by two threads that leave in the opposite order raises nothing, and each
    thread gets its setting back."""
    shared = no_grad()
    entered, release_first = threading.Barrier(2), threading.Event()
    errors = []

    def worker(first):
        try:
            with shared:
                entered.wait()
                if first:
                    release_first.wait()
                else:
                    release_first.set()
            assert (Value(1.0) * 2.0)._prev  # grad back on in this thread
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(first,)) for first in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_checkpoint_that_reads_a_value_computed_outside_gives_the_unchecked_gradients():
    """fn may read an intermediate value made before it (h = w*2): the gradients are those of the run without
    checkpoint, in either order of the sum, and every path (backward, grad, trace, jvp) agrees."""

    def f(x, w, checked):
        h = w * 2.0

        def segment(a):
            return (a * h).tanh()

        y = checkpoint(segment, x) if checked else segment(x)
        return h * 1.0 + y

    for checked in (False, True):
        x, w = Value(3.0), Value(0.25)
        f(x, w, checked).backward()
        if not checked:
            expected = (x.grad, w.grad)
        else:
            assert (x.grad, w.grad) == expected
    assert grad(lambda x, w: f(x, w, True), argnums=(0, 1))(3.0, 0.25) == expected
    assert trace(lambda x, w: f(x, w, True), 3.0, 0.25).value_and_grad(3.0, 0.25)[1] == list(expected)
    assert math.isclose(jvp(lambda x, w: f(x, w, True), [3.0, 0.25], [0.0, 1.0])[1], expected[1], rel_tol=1e-13)
