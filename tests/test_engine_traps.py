"""Regression tests for the classic traps of scalar autodiff engines, each named after its trap."""

import gc
import math
import sys
import threading

import pytest

from tinygrad_scalar import Value, is_grad_enabled, no_grad, topological_order

# ---- graph shapes -------------------------------------------------------------------------


def test_reused_node_accumulates():
    """b = a + a; c = b + b gives a.grad == 4: each use of a node adds its contribution."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2.0, 4.0)


def test_node_times_itself():
    """y = a * a: both parent slots are a, so a.grad = a + a = 2a."""
    a = Value(-1.5)
    y = a * a
    y.backward()
    assert y._prev == (a, a)
    assert a.grad == -3.0


def test_diamond_sums_both_paths():
    """x feeds u and v, which meet again in y = u * v: dy/dx = v du/dx + u dv/dx."""
    x = Value(2.0)
    u = x * 3.0  # du/dx = 3
    v = x.exp()  # dv/dx = e^x
    y = u * v
    y.backward()
    assert x.grad == pytest.approx(v.data * 3.0 + u.data * math.exp(2.0), rel=1e-15)


@pytest.mark.slow
def test_million_node_chain():
    """backward() through a chain of a million nodes works with the default recursion limit."""
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0  # d/dx stays exactly 1 along the whole chain
    y.backward()
    assert x.grad == 1.0
    order = topological_order(y)
    assert len(order) == 2_000_001  # the chain, its constants, and x
    assert order[0] is x and order[-1] is y
    del order, y  # freeing the chain must not overflow the C stack either


def test_topological_order_puts_parents_first_in_argument_order():
    """a * b is ordered [a, b, a*b]; every node comes after all its parents; each node once."""
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert topological_order(c) == [a, b, c]
    d = (c + a) * (b + c)
    order = topological_order(d)
    assert len(order) == len(set(order))
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node._prev)


def test_node_with_many_parents_keeps_them_all_in_order():
    """A node made micrograd's way with more than two children (the engine's own operations have one
    or two) keeps every parent, in argument order, and the walk reaches all of them."""
    a, b, c, d = (Value(float(i), label=name) for i, name in enumerate("abcd", 1))
    total = Value(10.0, (a, b, c, d), "sum4")
    assert total._prev == (a, b, c, d)
    assert topological_order(total) == [a, b, c, d, total]
    y = total * a
    assert topological_order(y) == [a, b, c, d, total, y]
    assert Value(1.0, {a})._prev == (a,)  # micrograd passes sets too


def test_graph_has_no_reference_cycles():
    """A finished graph is freed by reference counting alone: no node is kept alive by a cycle."""
    gc.collect()
    gc.disable()
    try:
        x = Value(2.0)
        y = (x * x + 1.0).tanh().exp()
        y.backward()
        before = gc.collect()
        del y
        assert gc.collect() == before == 0
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "op", [lambda a, b: a * b, lambda a, b: a + b, lambda a, b: (a / b).tanh()], ids=["mul", "add", "tanh"]
)
def test_a_node_is_one_object_for_the_collector(op):
    """A node refers to its parents directly, with no tuple between them: each node of a graph is
    one object for the cyclic garbage collector to track, which is what keeps it cheap (issue 6)."""
    a, b = Value(2.0), Value(3.0)
    out = op(a, b)
    tracked = [r for r in gc.get_referents(out) if gc.is_tracked(r)]
    shared = {id(out._prev[0]), id(out._prev[-1]), id(type(out)), id(out._row)}  # nothing of its own
    assert {id(r) for r in tracked} == shared


# ---- constants -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda x: x * 2 + 1, lambda x: 1 + 2 * x], ids=["right", "left"])
def test_constants_on_either_side(make):
    """A plain number on the left or on the right becomes a constant leaf; the gradient is the same."""
    x = Value(5.0)
    y = make(x)
    y.backward()
    assert (y.data, x.grad) == (11.0, 2.0)


def test_int_data_becomes_float():
    """Value(2).data is the float 2.0, as in PyTorch float64."""
    assert type(Value(2).data) is float


# ---- repeated backward, zero_grad, no_grad -----------------------------------------------------


def test_backward_twice_accumulates_leaves_only():
    """y = x*x*x at 3, backward twice: the leaf accumulates 27 + 27 = 54; inner nodes hold one pass."""
    x = Value(3.0)
    xx = x * x
    y = xx * x
    y.backward()
    y.backward()
    assert x.grad == 54.0
    assert xx.grad == 3.0  # dy/d(xx) = x, from the latest pass only
    assert y.grad == 1.0


def test_backward_of_two_roots_sharing_a_subgraph():
    """Two losses over shared nodes: leaves sum both, shared inner nodes hold the latest pass."""
    x = Value(2.0)
    h = x * x
    (h * 3.0).backward()
    (h * 5.0).backward()
    assert x.grad == 2 * 2.0 * 3.0 + 2 * 2.0 * 5.0
    assert h.grad == 5.0


def test_zero_grad_between_steps():
    """Setting leaves' grad to zero between passes gives each pass's own gradient."""
    from tinygrad_scalar import MLP

    model = MLP(2, [3, 1], seed=0)
    loss = model([1.0, -1.0]) ** 2
    loss.backward()
    first = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    loss.backward()
    assert [p.grad for p in model.parameters()] == first


def test_backward_on_a_leaf_accumulates_the_seed():
    """A leaf is its own root: backward() adds the seed gradient, like any leaf."""
    x = Value(1.0)
    x.backward()
    x.backward(2)
    assert x.grad == 3.0


def test_no_grad_records_nothing():
    """Inside no_grad, results have no parents and no closure; outside, the graph is recorded again."""
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * x).tanh() + 1
        assert (y._prev, y._op, y._row) == ((), "", None)
        y.backward()
    assert x.grad == 0.0  # nothing connects y to x
    assert is_grad_enabled()
    assert (x * x)._prev == (x, x)


def test_no_grad_nests_and_restores_after_an_exception():
    """Nested blocks restore the outer state, also when an exception leaves the block."""
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_no_grad_as_a_decorator():
    """@no_grad() on a function turns recording off only while it runs."""

    @no_grad()
    def evaluate(v: Value) -> Value:
        return v * v

    assert evaluate(Value(3.0))._prev == ()
    assert is_grad_enabled()


def test_no_grad_is_per_thread():
    """no_grad in one thread does not stop another thread from recording its graph."""
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def evaluator() -> None:
        with no_grad():
            inside.set()
            release.wait(10)

    def trainer() -> None:
        inside.wait(10)
        a = Value(1.0)
        seen["recorded"] = (a + a)._prev == (a, a)
        release.set()

    threads = [threading.Thread(target=evaluator), threading.Thread(target=trainer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"recorded": True}


def test_detach_is_a_new_leaf():
    """detach() keeps the data and stops the gradient."""
    x = Value(3.0)
    y = x * x
    d = y.detach()
    z = d * x
    z.backward()
    assert (d.data, d._prev) == (9.0, ())
    assert x.grad == 9.0  # only the direct use of x; nothing flows through the detached y


def test_backward_by_hand_node_by_node():
    """Calling _backward() in reverse topological order after setting the root's grad to 1 gives
    exactly backward()'s gradients, and one call performs exactly one node's chain-rule step."""
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5, abs=1e-12)  # 1 - tanh(n)**2 at tanh(n) = 1/sqrt(2)
    assert x1.grad == 0.0  # nothing else moved yet
    for node in reversed(topological_order(o)[:-1]):
        node._backward()
    by_hand = [v.grad for v in (x1, x2, w1, w2, b)]
    for v in (x1, x2, w1, w2, b):
        v.grad = 0.0
    o.backward()
    assert by_hand == [v.grad for v in (x1, x2, w1, w2, b)]
    assert by_hand == pytest.approx([-1.5, 0.5, 1.0, 0.0, 0.5], abs=1e-12)


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2", None, 1j, [1.0], True, (1, 2)], ids=repr)
@pytest.mark.parametrize(
    ("op", "apply"),
    [
        ("+", lambda v, o: v + o),
        ("+", lambda v, o: o + v),
        ("-", lambda v, o: v - o),
        ("-", lambda v, o: o - v),
        ("*", lambda v, o: v * o),
        ("*", lambda v, o: o * v),
        ("/", lambda v, o: v / o),
        ("/", lambda v, o: o / v),
        ("**", lambda v, o: v**o),
        ("**", lambda v, o: o**v),
    ],
)
def test_bad_operand_types_raise_type_error_naming_type_and_operation(bad, op, apply):
    """Anything but a Value, int or float is refused with a TypeError that names the type and the op."""
    with pytest.raises(TypeError) as info:
        apply(Value(1.0), bad)
    message = str(info.value)
    assert type(bad).__name__ in message
    assert repr(op) in message


@pytest.mark.parametrize("bad", ["1.0", None, True, Value(1.0), [2.0]], ids=repr)
def test_bad_data_is_refused(bad):
    """Value(data) takes a plain number only, and says so."""
    with pytest.raises(TypeError, match="Value\\(data\\)"):
        Value(bad)


def test_comparisons_compare_data_and_identity_stays():
    """<, <=, >, >= compare data and return bool; == and hash are identity so nodes live in sets."""
    a, b = Value(1.0), Value(1.0)
    assert (a < 2, a <= b, a >= b, a > 0.5, b > a) == (True, True, True, True, False)
    assert type(a < b) is bool
    assert a != b and a == a
    assert len({a, b}) == 2
    assert {a: "a"}[a] == "a"
    with pytest.raises(TypeError):
        _ = a < "2"


def test_math_functions_on_a_value_raise_instead_of_cutting_the_graph():
    """math.tanh(x), math.exp(x) and float(x) on a Value raise a TypeError naming x.tanh() and x.data, instead
    of returning a float that silently leaves x's gradient at 0."""
    import math

    x = Value(0.5)
    for call in (math.tanh, math.exp, math.log, float):
        with pytest.raises(TypeError, match=r"x\.tanh\(\).*x\.data"):
            call(x)


def test_repr():
    """repr shows data and grad, and the label when set."""
    v = Value(2.5)
    assert repr(v) == "Value(data=2.5, grad=0.0)"
    v.label = "x"
    assert repr(v) == "Value(data=2.5, grad=0.0, label='x')"


# ---- IEEE-754 edge cases named in the issue -------------------------------------------------


def test_exp_overflows_to_inf():
    assert Value(1000).exp().data == math.inf


def test_log_of_zero_is_minus_inf_and_of_negative_is_nan():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)


def test_one_over_zero_is_inf():
    assert (1 / Value(0.0)).data == math.inf
    assert (1 / Value(-0.0)).data == -math.inf
    assert math.isnan((Value(0.0) / 0).data)


def test_negative_base_fractional_power_is_nan():
    assert math.isnan((Value(-8.0) ** Value(1 / 3)).data)
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)


def test_tanh_and_sigmoid_saturate_without_overflow():
    assert Value(1000).tanh().data == 1.0
    assert Value(-1000).sigmoid().data == 0.0
    assert Value(1000).sigmoid().data == 1.0


def test_huge_powers_and_products_are_inf():
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf
    assert (Value(1e200) * 1e200).data == math.inf
    assert (Value(2.0) ** Value(5000.0)).data == math.inf
    assert (Value(1.0) * 10**400).data == math.inf  # an int beyond the float range rounds to inf


def test_sin_cos_sqrt_of_special_values_are_nan():
    assert math.isnan(Value(math.inf).sin().data)
    assert math.isnan(Value(-math.inf).cos().data)
    assert math.isnan(Value(-4.0).sqrt().data)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.exp(),
        lambda x: x.log(),
        lambda x: x.sqrt(),
        lambda x: x.sin(),
        lambda x: x.cos(),
        lambda x: x.tanh(),
        lambda x: x.sigmoid(),
        lambda x: x.relu(),
        lambda x: abs(x),
        lambda x: 1 / x,
        lambda x: x / 0.0,
        lambda x: x**-1,
        lambda x: x**0.5,
        lambda x: x**400,
        lambda x: x**x,
        lambda x: 10**x,
        lambda x: 0**x,
    ],
)
@pytest.mark.parametrize("x", [0.0, -0.0, -1.0, 1e-310, 1e300, -1e300, 800.0, math.inf, -math.inf, math.nan])
def test_no_python_exception_escapes_an_operation(make, x):
    """Every operation, forward and backward, at every special value, returns numbers, never raises."""
    v = Value(x)
    out = make(v)
    out.backward()
    assert isinstance(out.data, float) and isinstance(v.grad, float)


def test_kink_conventions_follow_pytorch():
    """relu'(0) = 0 and abs'(0) = 0, as torch.relu and torch.abs."""
    for make in (lambda x: x.relu(), lambda x: abs(x)):
        x = Value(0.0)
        make(x).backward()
        assert x.grad == 0.0


def test_relu_flat_side_blocks_an_infinite_upstream_gradient():
    """On relu's flat side the contribution is exactly 0 even when the upstream gradient is inf,
    as PyTorch selects zero there rather than multiplying by it (0 * inf would be nan)."""
    x = Value(-1.0)
    y = x.relu() ** -1  # 1/0: the gradient arriving at relu is -inf
    y.backward()
    assert x.grad == 0.0


def test_walks_in_several_threads_share_nodes_safely():
    """topological_order marks the nodes it visits; walks in other threads over graphs that share
    those nodes (the parameters of one model, say) must not disturb one another's marks."""
    from tinygrad_scalar import MLP

    model = MLP(3, [8, 8, 1], seed=0)
    roots = [model([float(i), 1.0, -1.0]) * model([1.0, float(i), 2.0]) for i in range(4)]
    expected = [topological_order(root) for root in roots]
    wrong: list[int] = []

    def walk(i: int) -> None:
        for _ in range(30):
            if topological_order(roots[i]) != expected[i]:
                wrong.append(i)

    threads = [threading.Thread(target=walk, args=(i,)) for i in range(4)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, in the middle of walks
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert wrong == []
