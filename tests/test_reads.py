"""The watch behind safe tracing: every way a computation can look at the numbers of its Values is seen."""

import copy
import sys

import pytest

from tinygrad_scalar import Value
from tinygrad_scalar.core.engine import no_grad
from tinygrad_scalar.training.nn import MLP
from tinygrad_scalar.transforms.reads import watching


def reads_of(f, *args):
    """What the watch lists while ``f(*args)`` runs."""
    with watching() as reads:
        f(*args)
    return [str(read) for read in reads]


def relu_by_hand(z):
    return z if z.data > 0 else z * 0.0  # the branch reads .data


def test_a_computation_that_never_looks_is_not_reported():
    """An MLP's forward pass, sums and the engine's own operations look at no number."""
    model = MLP(2, [4, 4, 1], seed=0)
    assert reads_of(lambda: sum(model([Value(0.5), Value(-1.0)]).tanh() for _ in range(2))) == []


@pytest.mark.parametrize(
    ("f", "what"),
    [
        (lambda a, b: max(a, b), "compares Values (>)"),
        (lambda a, b: min(a, b), "compares Values (<)"),
        (lambda a, b: sorted([a, b]), "compares Values (<)"),
        (lambda a, b: a * 2 if a >= b else b, "compares Values (>=)"),
        (lambda a, b: 0.0 < a, "compares Values (>)"),  # noqa: SIM300 - float.__lt__ gives way to Value.__gt__
        (lambda a, b: a if a.data > 0 else b, "uses .data"),
        (lambda a, b: a * a.grad, "uses .grad"),
        (lambda a, b: a * a.detach(), "calls detach()"),
        (lambda a, b: f"{a}", "turns a Value into text"),
        (lambda a, b: copy.deepcopy(a * b), "pickles or copies a Value in deepcopy, copy.py line "),
        (lambda a, b: (a * b).backward(), "runs backward()"),
    ],
)
def test_each_way_of_looking_at_a_number_is_reported_where_it_happens(f, what):
    """Comparisons, .data and .grad, detach, repr, copies and backward are each reported, with the line
    that called them (copy.deepcopy's own, for a copy)."""
    found = reads_of(f, Value(1.5), Value(0.5))
    assert found and found[0].startswith(what), found
    assert "copy.py" in what or " in <lambda>, test_reads.py line " in found[0]


def test_a_read_of_data_in_a_helper_is_reported_with_its_function():
    """A read in a function the computation calls is reported at that function's line."""
    found = reads_of(lambda z: relu_by_hand(z * 2.0), Value(1.0))
    assert found == [f"uses .data in relu_by_hand, test_reads.py line {relu_by_hand.__code__.co_firstlineno + 1}"]


def test_no_grad_inside_the_computation_is_reported():
    """no_grad() inside the computation makes leaves that hold numbers: reported."""

    def f(x):
        with no_grad():
            scale = x * 2.0
        return x * scale

    assert reads_of(f, Value(1.0))[0].startswith("enters no_grad()")


def test_a_branch_not_taken_is_not_reported():
    """Only lines that run count: a .data on a line never reached is no read."""

    def f(x, debug=False):
        if debug:
            print(x.data)
        return x * 2.0

    assert reads_of(f, Value(1.0)) == []


def test_the_watch_stops_when_its_block_ends():
    """After the block, Python runs untraced again, also when the block raised."""
    with pytest.raises(KeyError), watching():
        raise KeyError("inside")
    assert sys.gettrace() is None


def test_under_another_tracer_the_watch_says_it_cannot_watch():
    """A debugger's or a coverage tool's tracer is left alone; the watch reports that it could not run."""
    tracer = lambda frame, event, arg: None  # noqa: E731 - a stand-in for a debugger
    sys.settrace(tracer)
    try:
        with watching() as reads:
            pass
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)
    assert [str(r) for r in reads] == ["cannot be watched while a debugger or a coverage tool traces Python"]
