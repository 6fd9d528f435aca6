"""The engine and its tools under careless or hostile use: nothing crashes with the wrong error, nothing leaks."""

import copy
import gc
import math
import pickle
import weakref
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_scalar import Value, hessian, no_grad
from tinygrad_scalar.core.engine import UnknownOperationError
from tinygrad_scalar.debugging.anomaly import detect_anomaly
from tinygrad_scalar.debugging.gradcheck import gradcheck
from tinygrad_scalar.transforms.checkpoint import checkpoint
from tinygrad_scalar.transforms.trace import TraceMismatchError, trace


def _chain(n):
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 0.999 + 0.001
    return x, y


@pytest.mark.slow
def test_a_million_node_chain_pickles_and_deep_copies():
    """pickle and copy.deepcopy of a long chain need no recursion, and keep values and rules."""
    x, y = _chain(300_000)
    for copied in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert copied.data == y.data
        copied.backward()
        y.backward()
        assert copied.grad == 1.0
        leaf = copied
        while leaf._prev:
            leaf = leaf._prev[0]
        assert leaf.grad == x.grad
        x.grad = 0.0


def test_pickling_a_closure_node_says_why_it_cannot():
    """A node whose rule is a closure assigned to _backward is refused by name, not with a pickle error."""
    x = Value(1.0)
    out = Value(2.0, (x,), "double")
    out._backward = lambda: None
    with pytest.raises(UnknownOperationError, match="'double'"):
        pickle.dumps(out)


def test_a_value_can_be_weakly_referenced():
    """weakref.ref(Value) works, and the reference dies with the value."""
    v = Value(1.0)
    ref = weakref.ref(v)
    assert ref() is v
    del v
    gc.collect()
    assert ref() is None


def test_a_huge_integer_exponent_gives_inf_not_valueerror():
    """Value(2.0) ** 10**5000 follows IEEE-754 (inf) instead of raising while naming the operation."""
    assert (Value(2.0) ** 10**5000).data == math.inf


def test_a_label_that_is_not_a_string_is_refused_clearly():
    """Value(1.0, label=3) says a label is a string, instead of an unrelated TypeError later."""
    with pytest.raises(TypeError, match="a label is a string"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_hessian_and_gradcheck_of_a_function_returning_a_number_say_so():
    """A function that returns a plain number gets a clear TypeError, not AttributeError '_mark'."""
    with pytest.raises(TypeError, match="must return a Value"):
        hessian(lambda x: 3.0)(1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 3.0, [1.0])


def test_detect_anomaly_keeps_nothing_alive():
    """Values made under detect_anomaly() are freed when dropped, so a long run does not grow."""
    with detect_anomaly():
        refs = []
        for _ in range(20):
            x, y = _chain(200)
            refs.append(weakref.ref(y))
            del x, y
        gc.collect()
        assert all(r() is None for r in refs)


def test_one_detect_anomaly_entered_twice_restores_everything():
    """Reusing one detect_anomaly instance in a nested with raises nothing and leaves anomaly mode off."""
    d = detect_anomaly()
    with d, d:
        pass
    assert Value(0.0).log().data == -math.inf  # off again: no AnomalyError


def test_trace_writes_numpy_and_fraction_constants():
    """A frozen constant whose data is a numpy float64, a float32 or a Fraction traces as its float."""
    for number in (np.float64(2.5), np.float32(2.5), Fraction(5, 2)):
        c = Value(1.0)
        c.data = number  # type: ignore[assignment]  # what a user does with p.data = weights[i]
        compiled = trace(lambda x, c=c: x * c, 2.0)
        assert compiled(2.0) == 5.0


def test_trace_check_compares_constants_bit_for_bit():
    """check=True accepts a nan constant that stays nan, and catches 0.0 turning into -0.0."""
    c = Value(math.nan)
    compiled = trace(lambda x: x + c, 1.0, check=True)
    assert math.isnan(compiled(2.0))
    z = Value(0.0)
    compiled = trace(lambda x: 1.0 / (x * 0.0 + z), 1.0, check=True)
    z.data = -0.0
    with pytest.raises(TraceMismatchError):
        compiled(1.0)


def test_a_checkpoint_inside_no_grad_is_a_plain_leaf():
    """checkpoint under no_grad() makes a leaf with the segment's value, and records nothing."""
    with no_grad():
        y = checkpoint(lambda t: t * t, Value(3.0))
    assert (y.data, y._prev) == (9.0, ())


def test_differentiating_inside_no_grad_raises_instead_of_giving_zero():
    """grad, jvp, jacobian and gradcheck called inside no_grad() say why they cannot work, never return 0."""
    from tinygrad_scalar import grad, jacobian, jvp

    with no_grad():
        for call in (
            lambda: grad(lambda x: x * x)(3.0),
            lambda: jvp(lambda x: x * x, [3.0], [1.0]),
            lambda: jacobian(lambda x: x * x)(3.0),
            lambda: gradcheck(lambda x: x * x, [3.0]),
        ):
            with pytest.raises(RuntimeError, match="no_grad"):
                call()


def test_jacobian_of_a_function_returning_a_number_says_so():
    """Reverse-mode jacobian of a function returning a number (or a list with one) is a clear TypeError."""
    from tinygrad_scalar import jacobian

    for f in (lambda x: 3.0, lambda x: [x * 2.0, 3.0]):
        with pytest.raises(TypeError, match="must return a Value or a list of Values"):
            jacobian(f)(1.0)


def test_rules_with_parameters_zero_and_minus_zero_are_two_rules():
    """leaky_relu(0.0) and leaky_relu(-0.0) keep their own slope's sign, in the engine and in trace alike."""
    Value(1.0).leaky_relu(0.0)
    x = Value(-3.0)
    y = x.leaky_relu(-0.0)
    assert math.copysign(1.0, y.data) == math.copysign(1.0, -3.0 * -0.0)
    assert math.copysign(1.0, trace(lambda t: t.leaky_relu(-0.0), -3.0)(-3.0)) == math.copysign(1.0, y.data)
    assert y._params == (-0.0,) and math.copysign(1.0, y._params[0]) == -1.0


def test_a_failed_redefinition_keeps_the_old_operation():
    """defop with derivatives that cannot be compiled leaves the operation of that name as it was."""
    from tinygrad_scalar import defop
    from tinygrad_scalar.core import ops

    square = defop("user_square", forward=lambda x: x * x, derivatives=[lambda g, x, out: g * (2.0 * x)])
    with pytest.raises(TypeError):
        defop("user_square", forward=lambda x: x * x, derivatives=[lambda g, x, out: g * math.exp(x)])
    assert ops.OPS["user_square"] is square.op
    assert pickle.loads(pickle.dumps(square(Value(3.0)))).data == 9.0


def test_trace_runs_the_hooks_of_a_checkpoint_output():
    """A hook on a checkpoint's output acts in trace's program as in backward()."""
    a = Value(2.0)

    def f(a):
        y = checkpoint(lambda t: t * t * t, a)
        y.register_hook(lambda g: 0.0)
        return y * 5.0

    f(a).backward()
    assert a.grad == 0.0
    assert trace(f, 2.0).value_and_grad(2.0)[1] == [0.0]
