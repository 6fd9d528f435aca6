"""Gradient hooks, gradient checkpointing and anomaly detection."""

import inspect
import math

import pytest

from tinygrad_scalar import MLP, Value, topological_order
from tinygrad_scalar.debugging.anomaly import AnomalyError, detect_anomaly
from tinygrad_scalar.teaching.explanations import backward_steps
from tinygrad_scalar.transforms.checkpoint import checkpoint

# ---- hooks ----------------------------------------------------------------------------------------------


def test_hook_clips_a_gradient_in_flight():
    """A hook that clips h's gradient changes what flows on to h's parents."""
    w = Value(0.5)
    h = (w * 3.0).tanh()
    seen = []
    h.register_hook(lambda g: seen.append(g) or max(-0.1, min(0.1, g)))
    (h * 100).backward()
    assert seen == [100.0]
    assert h.grad == 0.1
    assert math.isclose(w.grad, 0.1 * 3 * (1 - math.tanh(1.5) ** 2), rel_tol=1e-15)


def test_hook_returning_none_only_observes_and_hooks_can_be_removed():
    """None keeps the gradient; several hooks run in order; the returned function removes one."""
    x = Value(2.0)
    y = x * x
    calls = []
    remove = y.register_hook(lambda g: calls.append(("first", g)))
    y.register_hook(lambda g: g * 10)
    (y * 1.0).backward()
    assert calls == [("first", 1.0)] and x.grad == 40.0
    remove()
    x.grad = 0.0
    (y * 1.0).backward()
    assert calls == [("first", 1.0)] and x.grad == 40.0


def test_hook_on_a_leaf_sees_its_finished_gradient():
    """A leaf's hook runs once, with the sum of all its contributions."""
    x = Value(3.0)
    seen = []
    x.register_hook(seen.append)
    (x * x + x).backward()
    assert seen == [7.0] and x.grad == 7.0


def test_stepping_runs_hooks_as_backward_does():
    """backward_steps explains the gradients backward() gives when hooks change them."""
    results = []
    for stepped in (False, True):
        w = Value(0.5)
        h = (w * 3.0).tanh()
        h.register_hook(lambda g: g / 2)
        out = h * 4
        if stepped:
            final = {u.parent: u.after for step in backward_steps(out) for u in step.parents}
            results.append(final[w])
            assert w.grad == 0.0  # explaining changes no gradient
        else:
            out.backward()
            results.append(w.grad)
    assert results[0] == results[1]


def test_register_hook_refuses_a_non_function():
    with pytest.raises(TypeError, match="function of the gradient"):
        Value(1.0).register_hook(3)


# ---- checkpointing -------------------------------------------------------------------------------------------


def block(x, y):
    """A segment of 40 operations."""
    h = x
    for _ in range(10):
        h = (h * y + 0.1).tanh()
    return h


def test_checkpoint_gives_the_unchecked_gradients_with_fewer_nodes():
    """Same value and gradients, bit for bit; the forward graph keeps only inputs and output."""
    x1, y1 = Value(0.3), Value(0.9)
    plain = block(x1, y1) * 2.0
    x2, y2 = Value(0.3), Value(0.9)
    checked = checkpoint(block, x2, y2) * 2.0
    assert checked.data == plain.data
    assert len(topological_order(checked)) < len(topological_order(plain)) / 5
    plain.backward()
    checked.backward()
    assert (x2.grad, y2.grad) == (x1.grad, y1.grad)


def test_checkpoint_of_a_model_layer_gives_parameter_gradients():
    """A checkpointed segment that reads parameters (leaves) still gives them their gradients."""
    model = MLP(2, [4, 1], seed=0)
    x = [Value(0.5), Value(-1.0)]
    plain = model(x)
    plain.backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    checked = checkpoint(lambda a, b: model([a, b]), *x)
    checked.backward()
    assert [p.grad for p in model.parameters()] == expected
    order = topological_order(checked)
    assert set(order[:-1]) == {*x, *model.parameters()}  # the segment's inner values are not kept
    assert all(not node._prev for node in order[:-1])


def test_checkpoint_refuses_non_values():
    with pytest.raises(TypeError, match="takes Values"):
        checkpoint(block, 1.0, 2.0)


# ---- anomaly detection --------------------------------------------------------------------------------------


def test_first_inf_names_the_operation_label_inputs_and_line():
    """log(0) inside detect_anomaly raises, naming log, the label, the input and this file and line."""
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x * 2.0
        line = inspect.currentframe().f_lineno + 2
        with pytest.raises(AnomalyError) as info:
            y.log()
    message = str(info.value)
    assert message.startswith("log produced -inf from finite inputs (? = 0.0)")
    assert f"{__file__}:{line}" in message


def test_only_the_first_operation_is_reported():
    """inf that spreads (inf - inf = nan) is not reported again: the first operation is what's wrong."""
    with detect_anomaly():
        big = Value(800.0, label="a")
        with pytest.raises(AnomalyError, match=r"exp produced inf from finite inputs \(a = 800\.0\)"):
            big.exp()
    inf = Value(math.inf)
    with detect_anomaly():
        assert math.isnan((inf - inf).data)  # inputs already infinite: no new anomaly


def test_nan_gradient_in_backward_names_the_step():
    """A backward step that turns finite gradients into nan is reported with its operation and line."""
    x = Value(0.0, label="x")
    with detect_anomaly():
        r = x.sqrt()
        r.label = "root"
        line = inspect.currentframe().f_lineno - 2
        y = r * 0.0
        with pytest.raises(AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "backward step of sqrt (label 'root') gave a nan gradient to x" in message
    assert f"{__file__}:{line}" in message


def test_off_by_default_and_free_when_off():
    """Outside the context nothing is checked and the engine's hook point is empty again."""
    from tinygrad_scalar.core import engine

    plain_init = Value.__init__
    with detect_anomaly(), detect_anomaly():
        assert engine._observer is not None
        assert Value.__init__ is plain_init  # nothing of the engine is replaced
    assert engine._observer is None
    assert Value(0.0).log().data == -math.inf  # no error
