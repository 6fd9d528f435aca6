"""One graph semantics every consumer trusts (issue 21): the node holds its recipe, views read a gradient map
and never write the graph, seeds and hooks follow the rules of core/graph.py in every pass, checkpoint
segments stop at their boundary, and the numerics of forward mode and second derivatives are PyTorch's or
better (an 80-digit mpmath reference where PyTorch's own rounding differs)."""

import html
import math
import pickle

import mpmath
import pytest
import torch
import torch.autograd.forward_ad as fwad
import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

from tinygrad_scalar import Value, grad, hessian, jacobian, jvp
from tinygrad_scalar.core import ieee, ops
from tinygrad_scalar.core.engine import UnknownOperationError, fresh_gradients, op_of, topological_order
from tinygrad_scalar.core.graph import gradient_pass, seed_map
from tinygrad_scalar.teaching.explanations import backward_steps, worked_solution
from tinygrad_scalar.transforms.checkpoint import checkpoint
from tinygrad_scalar.views.dot import draw_dot

mpmath.mp.dps = 80


def t64(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# ---- the recipe ---------------------------------------------------------------------------------------------


def test_a_node_holds_its_row_and_parameters():
    """What made a node is read from the node: its row of the table and its parameters, not a compiled rule."""
    x, y = Value(2.0), Value(3.0)
    assert (x * y)._row is ops.MUL and op_of(x * y, "a test") == (ops.MUL, ())
    cube = x**3
    assert op_of(cube, "a test") == (ops.POWER, (3.0,))
    assert x._row is None


def test_a_lecture_closure_is_refused_by_name_everywhere_but_backward():
    """A closure assigned to _backward runs in backward(); a pass that needs formulas names it and refuses."""
    x = Value(0.5, label="x")
    out = Value(math.tanh(0.5), (x,), "tanh", label="o")

    def _backward():
        x.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    out.backward()
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2)
    with pytest.raises(UnknownOperationError, match=r"'tanh' \(label 'o'\).*closure"):
        fresh_gradients(out)


def test_recipes_survive_pickling():
    """A pickled graph keeps each node's row and parameters, so its backward pass is the same."""
    x = Value(1.5, label="x")
    y = (x**3).leaky_relu(0.2) * x
    copy = pickle.loads(pickle.dumps(y))
    copy.backward()
    y.backward()
    leaf = copy._prev[1]
    assert op_of(copy._prev[0], "a test") == (ops.LEAKY_RELU, (0.2,))
    assert leaf.grad == x.grad


# ---- the gradient map: views read it, nothing writes the graph ------------------------------------------------


def _neuron():
    x1, x2, w1, w2 = Value(2.0, label="x1"), Value(0.0, label="x2"), Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b]


def test_the_gradient_map_is_backwards_numbers_bit_for_bit():
    """gradient_pass gives, node by node, the floats backward() writes, and leaves every grad field alone."""
    o, leaves = _neuron()
    for leaf in leaves:
        leaf.grad = 123.0  # junk a view must neither read nor change
    grads = gradient_pass(o).grads
    assert [leaf.grad for leaf in leaves] == [123.0] * 5
    for leaf in leaves:
        leaf.grad = 0.0
    o.backward()
    assert all(grads[leaf] == leaf.grad for leaf in leaves)


def test_the_gradient_map_is_given_step_by_step():
    """Each step says what flowed to each parent; the gradients before step k are what the steps so far made."""
    o, _ = _neuron()
    gp = gradient_pass(o)
    assert [step.node.label for step in gp.steps][:2] == ["o", "n"]
    assert gp.before(0) == {o: 1.0}
    assert gp.before(len(gp.steps)) == gp.grads
    assert gp.steps[0].after[0] == pytest.approx(0.5)  # dL/dn = 1 - tanh(n)^2


def test_a_view_may_run_inside_another_backward_pass():
    """Explaining and drawing the graph from inside a hook, in the middle of backward(), changes nothing."""
    o, leaves = _neuron()
    o.backward()
    expected = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    seen = []

    def look(g):
        if not seen:  # the views run this hook too (rule 4): look once
            seen.append(0)
            seen[0] = len(list(backward_steps(o)))
            worked_solution(o)
            draw_dot(o)

    o._prev[0].register_hook(look)  # on n: runs when n's gradient is complete
    o.backward()
    assert seen == [len(list(backward_steps(o)))]
    assert [leaf.grad for leaf in leaves] == expected


def _views():
    """Every view of a graph, each a function of (root, a value of it, the model): pictures, TikZ, the stepper (and
    its questions), the animation's captions, broken passes replayed and drawn, explanations, exercises, decks."""
    from tinygrad_scalar.teaching.beamer import beamer
    from tinygrad_scalar.teaching.explanations import explain_grad
    from tinygrad_scalar.teaching.four_equations import four_equations
    from tinygrad_scalar.teaching.mistakes import BROKEN, replay, why_zero
    from tinygrad_scalar.teaching.practice import check_answer
    from tinygrad_scalar.teaching.stepper import stepper
    from tinygrad_scalar.views.tikz import tikz

    views = {
        "draw_dot": lambda root, v, model: draw_dot(root).pipe(format="svg"),
        "draw_dot edges and sums": lambda root, v, model: draw_dot(root, edge_grads=True, sum_rule=True).source,
        "draw_dot of neurons": lambda root, v, model: draw_dot(root, model=model).pipe(format="svg"),
        "tikz": lambda root, v, model: tikz(draw_dot(root, model=model, level="values")),
        "stepper": lambda root, v, model: stepper(root, ask=True).html(),
        "captions": lambda root, v, model: stepper(root).captions,
        "backward_steps": lambda root, v, model: str(backward_steps(root)),
        "explain_grad": lambda root, v, model: str(explain_grad(root, v)),
        "worked_solution": lambda root, v, model: worked_solution(root, "latex").latex(standalone=True),
        "check_answer": lambda root, v, model: check_answer(root, v, 1.0).hint,
        "why_zero": lambda root, v, model: str(why_zero(root, v)),
        "beamer": lambda root, v, model: beamer(root),
        "four_equations": lambda root, v, model: four_equations(model, [2.0, -1.0], lambda outs: outs[0] * 1.0),
    }
    for mistake in BROKEN:
        views[f"replay {mistake}"] = lambda root, v, model, m=mistake: (
            replay(root, m).draw().source + replay(root, m).draw_correct().source
        )
    return views


@pytest.mark.parametrize("view", sorted(_views()))
def test_no_view_writes_the_graph(view):
    """Each view reads the graph and writes nothing of it: every grad, every number and every label is as it was.
    A picture shows the grad fields, as backward() left them (the junk here); every other view shows a fresh
    pass's gradients, never the junk."""
    from tinygrad_scalar import MLP

    model = MLP(2, [2, 1], seed=3)
    out = model([2.0, -1.0])
    root = (out * out + out).tanh()
    order = list(topological_order(root))
    for i, node in enumerate(order):
        node.grad = 1000.0 + i
    before = [(node.grad, node.data, node.label) for node in order]
    shown = _views()[view](root, model.parameters()[0], model)
    assert [(node.grad, node.data, node.label) for node in order] == before
    assert ("1000" in str(shown)) == (view in ("draw_dot", "draw_dot edges and sums", "draw_dot of neurons", "tikz"))


# ---- seeds and hooks, the same in every pass -----------------------------------------------------------------


def test_an_output_listed_twice_gets_the_sum_of_its_seeds():
    """Rule 2: [p, p] seeded (1, 1) is p seeded 2, as torch.autograd.backward does."""
    x, y = Value(1.5), Value(-0.5)
    p = x * y
    assert seed_map([p, p], [1.0, 1.0]) == {p: 2.0}
    grads = gradient_pass([p, p], [1.0, 1.0]).grads
    tx, ty = t64(1.5), t64(-0.5)
    tp = tx * ty
    torch.autograd.backward([tp, tp], [torch.tensor(1.0, dtype=torch.float64)] * 2)
    assert (grads[x], grads[y]) == (tx.grad.item(), ty.grad.item())


def test_an_output_without_a_seed_takes_no_part():
    """Rule 2: an unseeded output is not seeded with 0, so its infinite local derivative leaks no nan."""
    x, y = Value(1.0), Value(math.inf)
    first, second = x + 1.0, x * y
    grads = gradient_pass([first, second], [1.0, None]).grads
    assert grads[x] == 1.0 and y not in grads


def test_a_hook_on_a_value_no_seeded_output_depends_on_does_not_run():
    """Rule 4: hooks run only where the pass goes."""
    x, y = Value(1.0), Value(2.0)
    calls = []
    y.register_hook(lambda g: calls.append(g))
    gradient_pass([x * 3.0, y * 5.0], [1.0, None])
    assert calls == []


# ---- checkpoint segments stop at their boundary ------------------------------------------------------------------


def _unchecked_and_checked(f_plain, f_checked, x0):
    return (
        (grad(f_plain)(x0), hessian(f_plain)(x0)[0][0]),
        (grad(f_checked)(x0), hessian(f_checked)(x0)[0][0]),
    )


def test_checkpoint_whose_arguments_depend_on_each_other_counts_each_path_once():
    """grad(checkpoint(p*q, x, 3x)) at 2 is 12 and the hessian 6 (they were 18 and 9), as backward() and torch."""
    plain, checked = _unchecked_and_checked(
        lambda x: x * (x * 3.0), lambda x: checkpoint(lambda p, q: p * q, x, x * 3.0), 2.0
    )
    assert checked == plain == (12.0, 6.0)
    x = Value(2.0)
    checkpoint(lambda p, q: p * q, x, x * 3.0).backward()
    tx = t64(2.0)
    (g,) = torch.autograd.grad(tx * (tx * 3.0), tx, create_graph=True)
    (h,) = torch.autograd.grad(g, tx)
    assert (x.grad, checked[0], checked[1]) == (g.item(), g.item(), h.item())


def test_checkpoint_reading_a_value_made_from_its_argument_counts_each_path_once():
    """a = 3x; checkpoint(p*a, x): the segment stops at a, whose own path to x is the outer pass's."""

    def checked(x):
        a = x * 3.0
        return checkpoint(lambda p: p * a, x)

    plain, ours = _unchecked_and_checked(lambda x: x * (x * 3.0), checked, 2.0)
    assert ours == plain == (12.0, 6.0)


def test_checkpoint_with_its_argument_also_read_from_outside_counts_both_uses_once():
    """checkpoint(lambda p: p * x, x): x is an argument and a value from outside; d(x^2)/dx = 2x."""
    assert grad(lambda x: checkpoint(lambda p: p * x, x))(2.0) == 4.0
    x = Value(2.0)
    checkpoint(lambda p: p * x, x).backward()
    assert x.grad == 4.0


def test_a_hook_inside_the_checkpointed_function_runs_in_every_pass():
    """A hook registered inside fn runs in backward() (it was ignored), grad and hessian, as without checkpoint."""

    def segment(t):
        h = t * t
        h.register_hook(lambda g: g * 10.0)
        return h * 3.0

    plain = (grad(segment)(1.5), hessian(segment)(1.5)[0][0])
    checked = (grad(lambda x: checkpoint(segment, x))(1.5), hessian(lambda x: checkpoint(segment, x))(1.5)[0][0])
    x = Value(1.5)
    checkpoint(segment, x).backward()
    assert x.grad == plain[0] == checked[0] == 90.0
    assert checked[1] == plain[1]


def test_a_hook_on_the_checkpoints_argument_runs_once():
    """grad and hessian applied a hook on the checkpoint's argument twice; it runs once, as without checkpoint."""
    calls = []

    def f(x, checked):
        u = x * 2.0
        u.register_hook(lambda g: calls.append(1) or g * 3.0)
        return checkpoint(lambda p: p * p, u) if checked else u * u

    assert grad(lambda x: f(x, True))(1.0) == grad(lambda x: f(x, False))(1.0) == 24.0
    calls.clear()
    grad(lambda x: f(x, True))(1.0)
    assert calls == [1]
    assert hessian(lambda x: f(x, True))(1.0) == hessian(lambda x: f(x, False))(1.0)


def test_a_hook_on_the_checkpoint_node_gives_the_unchecked_hessian():
    """A hook on the checkpoint's output acts on the node, once: the hessian is the unchecked one."""

    def f(x, checked):
        y = checkpoint(lambda p: p.tanh() * p, x) if checked else x.tanh() * x
        y.register_hook(lambda g: g * 2.0)
        return y * y

    assert hessian(lambda x: f(x, True))(0.7) == hessian(lambda x: f(x, False))(0.7)
    assert grad(lambda x: f(x, True))(0.7) == grad(lambda x: f(x, False))(0.7)


# ---- numerics: forward mode and second derivatives ------------------------------------------------------------------


def _torch_jvp(f, primals, tangents):
    """PyTorch's forward mode (dual numbers): f's directional derivative."""
    with fwad.dual_level():
        duals = [fwad.make_dual(torch.tensor(p, dtype=torch.float64), torch.tensor(t, dtype=torch.float64))
                 for p, t in zip(primals, tangents)]  # fmt: skip
        return fwad.unpack_dual(f(*duals)).tangent.item()


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch's forward AD
def test_forward_mode_of_division_is_pytorchs():
    """(ta - tb·(a/b))/b: [1e200, -inf] where the per-input formulas gave nan, as torch's jacfwd."""
    ours = jacobian(lambda a, b: a / b, mode="forward")(1.0, 1e-200)
    theirs = [_torch_jvp(torch.div, (1.0, 1e-200), (1.0, 0.0)), _torch_jvp(torch.div, (1.0, 1e-200), (0.0, 1.0))]
    assert ours == theirs == [1e200, -math.inf]


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch's forward AD
def test_forward_mode_of_a_constant_over_x_with_a_zero_tangent_is_pytorchs():
    """jvp(Value(2.5)/x) at 1e-200 with tangent 0 is 0 (torch.div's formula), not 0·inf = nan; jvp(2.5/x), a
    number over a Value, is what PyTorch's 2.5/t gives: reciprocal(t) * 2.5, whose tangent there is nan."""
    value, rate = jvp(lambda x: Value(2.5) / x, (1e-200,), (0.0,))
    assert value == 2.5e200 and rate == 0.0
    assert rate == _torch_jvp(lambda y: torch.div(torch.tensor(2.5, dtype=torch.float64), y), (1e-200,), (0.0,))
    value, rate = jvp(lambda x: 2.5 / x, (1e-200,), (0.0,))
    expected = _torch_jvp(lambda y: 2.5 / y, (1e-200,), (0.0,))
    assert value == (2.5 / torch.tensor(1e-200, dtype=torch.float64)).item() and math.isnan(rate)
    assert math.isnan(expected)


def _exact_second(f, x):
    return float(mpmath.diff(f, mpmath.mpf(x), 2))


def _torch_second(f, x):
    t = t64(x)
    (g,) = torch.autograd.grad(f(t), t, create_graph=True)
    (h,) = torch.autograd.grad(g, t)
    return h.item()


def _relative(a, b):
    return abs(a - b) / abs(b) if b else abs(a)


POINTS = [s * v for s in (1, -1) for v in (1e-20, 1e-8, 1e-3, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 6.0)]


@pytest.mark.parametrize("x", POINTS)
def test_second_derivative_of_tanh_is_exact_wherever_torchs_is(x):
    """tanh'' = -2 tanh (1 - tanh^2) within 1e-12 of an 80-digit reference wherever torch's is (it lost
    5e-10 at 1e-8 and was 0 at 1e-20 through 1 - tanh^2 = (1 - t)(1 + t))."""
    exact = _exact_second(mpmath.tanh, x)
    if _relative(_torch_second(torch.tanh, x), exact) <= 1e-12:
        assert _relative(grad(grad(lambda v: v.tanh()))(x), exact) <= 1e-12


def _gelu_tanh_exact(t):
    return 0.5 * t * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (t + mpmath.mpf("0.044715") * t**3)))


@pytest.mark.parametrize("x", [*POINTS, 8.0, -8.0])
def test_second_derivative_of_gelu_tanh_is_exact_wherever_torchs_is(x):
    """gelu('tanh')'' within 1e-12 of the reference wherever torch's is, and never worse than torch's."""
    exact = _exact_second(_gelu_tanh_exact, x)
    theirs = _torch_second(lambda t: F.gelu(t, approximate="tanh"), x)
    ours = grad(grad(lambda v: v.gelu("tanh")))(x)
    assert _relative(ours, exact) <= max(1e-12, _relative(theirs, exact))


@pytest.mark.parametrize("x", [11.0, 12.0, 15.0, -13.0])
def test_second_derivative_of_gelu_tanh_is_not_lost_far_out(x):
    """Beyond |x| = 11, 1 - tanh(u)^2 rounds to 0 and the second derivative was 0.0; written with sech^2 u it
    keeps its digits (exact to 1e-10 here, where torch's is 1% off)."""
    with mpmath.workdps(200):
        exact = _exact_second(_gelu_tanh_exact, x)
    ours = grad(grad(lambda v: v.gelu("tanh")))(x)
    assert ours != 0.0 and _relative(ours, exact) <= 1e-10


def test_first_derivatives_of_tanh_silu_and_gelu_tanh_are_torchs_bit_for_bit():
    """PyTorch's kernels fuse a*b + c; so does the table (fma), and the first derivatives agree bit for bit
    wherever the forward values agree."""
    import random

    rng = random.Random(7)
    cases = [
        (Value.tanh, torch.tanh),
        (Value.silu, F.silu),
        (lambda v: v.gelu("tanh"), lambda t: F.gelu(t, approximate="tanh")),
    ]
    for ours_f, theirs_f in cases:
        compared = 0
        for _ in range(300):
            x, up = rng.uniform(-6, 6), rng.uniform(-3, 3)
            v = Value(x)
            y = ours_f(v)
            y.backward(up)
            t = t64(x)
            ty = theirs_f(t)
            ty.backward(torch.tensor(up, dtype=torch.float64))
            if ty.item() == y.data:
                compared += 1
                assert t.grad.item() == v.grad, (x, up)
        assert compared > 250


def test_fma_rounds_once():
    """ieee.fma is a*b + c exactly rounded, against exact rational arithmetic, near overflow and underflow too."""
    import random
    from fractions import Fraction

    rng = random.Random(3)
    for _ in range(20000):
        a = rng.uniform(-1, 1) * 2.0 ** rng.randint(-540, 540)
        b = rng.uniform(-1, 1) * 2.0 ** rng.randint(-540, 540)
        c = rng.choice(
            [-a * b * (1 + rng.uniform(-1e-15, 1e-15)), rng.uniform(-1, 1) * 2.0 ** rng.randint(-1074, 1023)]
        )
        if not math.isfinite(c):  # -a*b overflowed: nothing exact to compare with
            continue
        exact = Fraction(a) * Fraction(b) + Fraction(c)
        try:
            expected = float(exact) if exact else a * b + c
        except OverflowError:
            expected = math.inf if exact > 0 else -math.inf
        assert ieee.fma(a, b, c) == expected
    assert math.isnan(ieee.fma(math.inf, 0.0, 1.0)) and ieee.fma(1e308, 10.0, -math.inf) == -math.inf


# ---- micrograd's looks: constants folded, attributes taken ----------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    ["x*2 - 1", "(x - 1)*(y + 2)", "(x*y).relu() - 1", "2 - x", "-x + y", "x - y"],
)
def test_the_lecture_cells_draw_micrographs_boxes(expression):
    """Subtracting a plain number folds into one constant, as in micrograd: the same number of values."""
    import micrograd.engine

    from tinygrad_scalar import topological_order

    def count(root):
        seen, stack = set(), [root]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                stack.extend(node._prev)
        return len(seen)

    ours = eval(expression, {"x": Value(2.0), "y": Value(3.0)})
    theirs = eval(expression, {"x": micrograd.engine.Value(2.0), "y": micrograd.engine.Value(3.0)})
    assert len(topological_order(ours)) == count(theirs)
    ours.backward()
    theirs.backward()
    assert ours.data == theirs.data


def test_a_value_takes_new_attributes_as_micrographs_does():
    """EurekaLabsAI's micrograd keeps AdamW's moments on the parameters (p.m, p.v) and a colour for drawing."""
    p = Value(0.5)
    p.m, p.v, p._vis_color = 0.0, 0.0, "lightblue"
    (p * p).backward()
    p.m = 0.9 * p.m + 0.1 * p.grad
    assert (p.m, p.v, p._vis_color) == (pytest.approx(0.1), 0.0, "lightblue")


# ---- misuse of the functional API and of defop, in the words of the interface ------------------------------------


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: jvp(lambda x: x * x, 1.0, 1.0), "jvp takes the primals as a tuple"),
        (lambda: jvp(lambda x: x, (1.0,), None), "jvp takes the tangents as a tuple"),
        (lambda: jvp(lambda x: x * x, (Value(1.0),), (1.0,)), "pass its number, 1.0"),
        (lambda: jacobian(lambda x: x, mode="forward")(Value(2.0)), "jacobian takes plain numbers"),
        (lambda: grad(lambda x: x * x, argnums="0"), "argnums is the index of an argument"),
        (lambda: grad(lambda x, y: x * y, argnums=(0, 0.5)), "argnums=(0, 1); got (0, 0.5)"),
    ],
)
def test_misuse_of_the_functional_api_says_what_to_write(call, words):
    """jvp(f, 1.0, 1.0) said "object of type 'float' has no len()"; now the message shows the right call."""
    with pytest.raises(TypeError) as info:
        call()
    assert words in str(info.value)
    assert "has no len" not in str(info.value) and "not supported between" not in str(info.value)


def test_defop_with_an_input_not_called_x_explains_and_steps():
    """defop("sq", forward=lambda v: v*v) broke every explanation with KeyError: 'x'; its default formula
    names its own input."""
    from tinygrad_scalar import defop
    from tinygrad_scalar.teaching.stepper import stepper

    square = defop("user_sq_v", forward=lambda v: v * v, derivatives=[lambda g, v, out: g * 2.0 * v])
    v = Value(3.0, label="v")
    y = square(v)
    y.label = "y"
    assert "user_sq_v'(v)" in str(worked_solution(y))
    assert "user_sq_v'(v)" in html.unescape(stepper(y).html())


@pytest.mark.parametrize(
    ("formulas", "words"),
    [
        ({"text": ["2·$y"]}, "uses $y, which is not an input"),
        ({"text": ["2·$"]}, "has a $ that names nothing"),
        ({"latex": [r"$\input{secret.txt}$"]}, "uses \\input, which is not a maths command"),
        ({"latex": [r"\immediate\write18{ls}"]}, "uses \\immediate"),
        ({"latex": [r"2\InputIfFileExists{secret.txt}{}{}"]}, "uses \\InputIfFileExists"),
        ({"latex": [r"2 ^^5cinput{secret.txt}"]}, "^^"),
        ({"latex": [r"\csname input\endcsname{secret.txt}"]}, "uses \\csname"),
    ],
)
def test_defop_refuses_a_formula_that_would_fail_or_read_files_when_shown(formulas, words):
    """A formula is checked when the operation is defined, not when a student first opens an explanation."""
    from tinygrad_scalar import defop

    with pytest.raises(ValueError, match="user_bad") as info:
        defop("user_bad", forward=lambda x: 2 * x, derivatives=[lambda g, x, out: g * 2.0], **formulas)
    assert words in str(info.value)
    assert "user_bad" not in ops.OPS
