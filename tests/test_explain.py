"""Explanations of the backward pass: steps, paths, worked solutions, gradcheck and the cost argument."""

import math
import random
import re

import pytest

from tests.ops import close
from tinygrad_scalar import MLP, Value, topological_order
from tinygrad_scalar.explain import (
    backward_steps,
    cost_of_gradients,
    explain_grad,
    gradcheck,
    node_names,
    worked_solution,
)


def seeds_example():
    """L = (w*x + b)**2 at x=2, w=3, b=1, with y = w*x + b labelled."""
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    y = w * x + b
    y.label = "y"
    L = y**2
    L.label = "L"
    return L, x, w, b


def random_graph(seed: int, n_inputs: int = 4, n_ops: int = 30):
    """A random graph with reuse and diamonds (operands drawn from every earlier node)."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-2, 2), label=f"x{i}") for i in range(n_inputs)]
    unary = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.relu(), lambda a: a.sin(), lambda a: a * a]
    binary = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a * 0.5 + b]
    for _ in range(n_ops):
        if rng.random() < 0.4:
            nodes.append(rng.choice(unary)(rng.choice(nodes)))
        else:
            nodes.append(rng.choice(binary)(rng.choice(nodes), rng.choice(nodes)))
    root = nodes[-1] + nodes[-2] * nodes[-3]
    return root, nodes[:n_inputs]


@pytest.mark.parametrize("seed", range(25))
def test_running_all_steps_gives_backward_gradients(seed: int):
    """Stepping through the whole pass leaves exactly (bit for bit) the gradients backward() gives."""
    root, _ = random_graph(seed)
    twin, _ = random_graph(seed)
    twin.backward()
    steps = list(backward_steps(root))
    stepped = [n.grad for n in topological_order(root)]
    assert stepped == [n.grad for n in topological_order(twin)]
    assert len(steps) == sum(1 for n in topological_order(root) if n._prev)


@pytest.mark.parametrize("seed", range(10))
def test_each_step_records_local_times_upstream_and_before_after(seed: int):
    """Each parent update is local derivative x upstream, and after = before + contribution."""
    root, _ = random_graph(seed)
    for step in backward_steps(root):
        assert step.upstream == step.node.grad
        for u in step.parents:
            assert close(u.contribution, u.local * step.upstream, rel=1e-15, abs_tol=0.0) or u.local == 0.0
            assert u.after == u.before + u.contribution
        last = {u.parent: u.after for u in step.parents}
        for parent, after in last.items():
            assert parent.grad == after


def test_steps_in_words_and_numbers_for_the_seeds_example():
    """The chain rule written out: dL/dw = dL/d(w*x) · d(w*x)/dw = 14 · 2 = 28, and the others."""
    L, x, w, b = seeds_example()
    text = "\n".join(str(step) for step in backward_steps(L))
    assert "dL/dy = dL/dL · dL/dy = 1 · 14 = 14" in text
    assert "dL/db = dL/dy · dy/db = 14 · 1 = 14" in text
    assert "dL/dw = dL/d(w*x) · d(w*x)/dw = 14 · 2 = 28" in text
    assert "dL/dx = dL/d(w*x) · d(w*x)/dx = 14 · 3 = 42" in text
    assert (w.grad, x.grad, b.grad) == (28.0, 42.0, 14.0)


def test_steps_show_the_sum_rule_when_a_parent_is_used_again():
    """f = (x + y) * y: the second contribution to y is written as an accumulation, 5 + 3 = 8."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    text = "\n".join(str(step) for step in backward_steps(f))
    assert "dL/dy += dL/d(x + y) · d(x + y)/dy = 3 · 1 = 3  (now 5 + 3 = 8)" in text
    assert y.grad == 8.0


def test_steps_in_markdown_and_latex():
    """Each step has Markdown and LaTeX forms, shown by Jupyter through the _repr_ methods."""
    L, *_ = seeds_example()
    steps = list(backward_steps(L))
    last = steps[-1]
    assert r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial \text{w*x}}" in last.latex()
    assert "28" in last.latex()
    assert last._repr_markdown_().startswith("**Step 3**")
    assert last._repr_latex_().startswith("$")


def test_a_backward_pass_runs_once():
    """Iterating the same pass twice would count contributions twice: it is refused."""
    L, *_ = seeds_example()
    steps = backward_steps(L)
    list(steps)
    with pytest.raises(RuntimeError, match="has run already"):
        list(steps)


@pytest.mark.parametrize("seed", range(25))
def test_sum_over_paths_equals_the_gradient(seed: int):
    """For every input of random graphs, the sum over paths of products of local derivatives is x.grad."""
    root, inputs = random_graph(seed, n_ops=14)
    root.backward()
    for x in inputs:
        if x not in set(topological_order(root)):
            continue
        explanation = explain_grad(root, x)
        assert close(explanation.total, x.grad, rel=1e-12, abs_tol=1e-14)
        for path in explanation.paths:
            assert path.nodes[0] is root and path.nodes[-1] is x
            assert len(path.locals) == len(path.nodes) - 1


def test_paths_of_the_seeds_examples():
    """L = (w*x + b)**2 has one path to w (14 · 1 · 2 = 28); (x + y) * y has two paths to y (3 + 5)."""
    L, _, w, _ = seeds_example()
    assert str(explain_grad(L, w)) == "dL/dw = dL/dy · dy/d(w*x) · d(w*x)/dw = 14 · 1 · 2 = 28"
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    explanation = explain_grad(f, y)
    assert [p.product for p in explanation.paths] == [3.0, 5.0]
    assert str(explanation).splitlines()[-1] == "  dL/dy = 3 + 5 = 8"
    assert explanation.grad == explanation.total == 8.0
    assert "$" in explanation.markdown() and "\\\\" in explanation.latex()


def test_explain_grad_does_not_change_gradients():
    """Explaining reads a backward pass computed on the side: every grad is left as it was."""
    L, _, w, _ = seeds_example()
    before = [n.grad for n in topological_order(L)]
    explain_grad(L, w)
    worked_solution(L)
    assert [n.grad for n in topological_order(L)] == before


def test_explain_grad_refuses_what_it_cannot_explain():
    """An input outside the graph, or one reached by too many paths, gives a clear error."""
    L, *_ = seeds_example()
    with pytest.raises(ValueError, match="not part of root's graph"):
        explain_grad(L, Value(1.0))
    x = Value(1.0, label="x")
    y = x
    for _ in range(10):
        y = y * y  # 2**10 paths from y to x
    with pytest.raises(ValueError, match="more than 200 paths"):
        explain_grad(y, x)


def test_worked_solution_has_one_line_per_value_with_the_right_numbers():
    """One line per (non-constant) value in reverse topological order, each ending in its gradient, with
    the rule used; the numbers are backward()'s."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y * 2
    markdown = worked_solution(f)
    lines = [line for line in markdown.splitlines() if re.match(r"\d+\. \$", line)]
    f.backward()
    expected = [n for n in reversed(topological_order(f)) if type(n) is Value]
    assert len(lines) == len(expected)
    for line, node in zip(lines, expected):
        assert float(re.search(r"= (-?[\d.e+-]+)\$", line).group(1)) == pytest.approx(node.grad, rel=1e-5)
    assert "product rule" in markdown and "sum" in markdown
    assert "used 2 times, so the contributions add up" in markdown
    latex = worked_solution(f, "latex")
    assert latex.startswith("\\begin{align*}") and latex._repr_latex_() == latex
    with pytest.raises(ValueError, match="'markdown' or 'latex'"):
        worked_solution(f, "html")


def test_rule_names_cover_every_operation():
    """The worked solution names the rule of every primitive."""
    x = Value(0.7, label="x")
    y = (x.exp() + x.log() + x.tanh() + x.sigmoid() + x.relu() + x.sin() + x.cos() + x.sqrt() + abs(x)) / x
    z = y**2 + x**x
    text = worked_solution(z)
    for rule in [
        "exponential",
        "logarithm",
        "tanh",
        "sigmoid",
        "ReLU",
        "sin",
        "cos",
        "sqrt",
        "abs",
        "quotient",
        "power",
    ]:
        assert rule in text


def test_node_names():
    """Labels win; unlabelled values are named by their expression; constants by their number; root L."""
    x = Value(2.0, label="x")
    h = (x * 3).tanh()
    names = node_names(h * 1)
    assert sorted(names.values()) == sorted(["x", "3", "x*3", "tanh(x*3)", "1", "L"])


def test_gradcheck_passes_for_correct_gradients_and_fails_for_a_detached_one():
    """gradcheck agrees on a real function; through detach() backprop misses a path, and it says so."""
    report = gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.5, -1.5])
    assert report
    assert [row.name for row in report.rows] == ["x", "y"]
    assert "all inputs pass" in str(report)
    broken = gradcheck(lambda x: x.detach() * x, [3.0])
    assert not broken
    assert broken.rows[0].analytic == 3.0
    assert broken.rows[0].numerical == pytest.approx(6.0, rel=1e-6)
    assert "FAIL" in str(broken) and "<table>" in broken._repr_html_() and "| input |" in broken.markdown()


def test_cost_of_gradients_counts_2n_forward_passes_against_one_forward_and_one_backward():
    """For n inputs, numerical differentiation runs 2n forward passes; backprop one forward, one backward."""
    n = 10

    def f(*xs: Value) -> Value:
        return sum((x * x).tanh() for x in xs) * xs[0]

    report = cost_of_gradients(f, [0.1 * i for i in range(n)])
    assert report.numerical_passes == 2 * n
    assert report.numerical_ops == 2 * n * report.forward_ops
    assert report.backward_steps == report.forward_ops
    assert report.backprop_ops == 2 * report.forward_ops
    assert f"{report.numerical_ops / report.backprop_ops:.1f}x" in str(report)


def test_mlp_explanations_agree_with_backward():
    """On a small MLP, every parameter's sum over paths equals its gradient."""
    model = MLP(2, [2, 1], activation="tanh", seed=3)
    out = model([0.5, -1.0])
    out.backward()
    for p in model.parameters():
        assert math.isclose(explain_grad(out, p).total, p.grad, rel_tol=1e-12, abs_tol=1e-15)
