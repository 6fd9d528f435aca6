"""Explanations of the backward pass: steps, paths, worked solutions, gradcheck and the cost argument."""

import math
import random
import re

import pytest

from tests.ops import close
from tinygrad_scalar import MLP, Value, topological_order
from tinygrad_scalar.core import ops
from tinygrad_scalar.core.engine import fresh_gradients
from tinygrad_scalar.debugging.gradcheck import cost_of_gradients, gradcheck
from tinygrad_scalar.teaching.explanations import backward_steps, explain_grad, node_names, num, worked_solution


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


def _final_gradients(root):
    """Each value's gradient at the end of the explained pass: the root's seed, then the last update of each."""
    final = {root: 1.0}
    for step in backward_steps(root):
        for u in step.parents:
            final[u.parent] = u.after
    return final


@pytest.mark.parametrize("seed", range(25))
def test_running_all_steps_gives_backward_gradients(seed: int):
    """The explained pass ends with exactly (bit for bit) the gradients backward() gives."""
    root, _ = random_graph(seed)
    twin, _ = random_graph(seed)
    twin.backward()
    final = _final_gradients(root)
    ours = [final.get(n, 0.0) for n in topological_order(root)]
    assert ours == [n.grad for n in topological_order(twin)]
    assert len(backward_steps(root)) == sum(1 for n in topological_order(root) if n._prev)


@pytest.mark.parametrize("seed", range(10))
def test_each_step_records_local_times_upstream_and_before_after(seed: int):
    """Each parent update is local derivative x upstream, after = before + contribution, and the upstream
    gradient of each step is that value's gradient in a fresh pass."""
    root, _ = random_graph(seed)
    fresh = fresh_gradients(root)
    for step in backward_steps(root):
        assert step.upstream == fresh[step.node]
        for u in step.parents:
            assert close(u.contribution, u.local * step.upstream, rel=1e-15, abs_tol=0.0) or u.local == 0.0
            assert u.after == u.before + u.contribution


def test_views_explain_a_fresh_pass_and_change_no_gradient():
    """After backward() (twice, even), the steps, paths and worked solution show one fresh pass, and every
    grad is left as it was: stepping after backward() no longer shows doubled gradients."""
    L, _, w, _ = seeds_example()
    L.backward()
    L.backward()
    before = [n.grad for n in topological_order(L)]
    steps = list(backward_steps(L))
    assert steps[-1].parents[0].after == 28.0  # not 56
    assert explain_grad(L, w).total == 28.0
    assert "= 28" in worked_solution(L, "text")
    assert [n.grad for n in topological_order(L)] == before


def test_steps_in_words_and_numbers_for_the_seeds_example():
    """The chain rule written out with the operation's derivative, formula first, then numbers."""
    L, *_ = seeds_example()
    text = "\n".join(str(step) for step in backward_steps(L))
    assert "∂L/∂y = ∂L/∂L · ∂(y^2)/∂y = 1 · (2·y) = 1 · 14 = 14" in text
    assert "∂L/∂b = ∂L/∂y · ∂(u1 + b)/∂b = 14 · 1 = 14" in text
    assert "∂L/∂w = ∂L/∂u1 · ∂(w·x)/∂w = 14 · x = 14 · 2 = 28" in text
    assert "∂L/∂x = ∂L/∂u1 · ∂(w·x)/∂x = 14 · w = 14 · 3 = 42" in text
    assert "where u1 = w·x" in text


def test_a_local_derivative_is_never_written_with_the_values_own_name():
    """x*x at 3 writes ∂(x·x)/∂x, never d(out)/dx as its own local derivative; relu at 0 too (the unlabelled
    output is out)."""
    x = Value(3.0, label="x")
    text = str(backward_steps(x * x))
    assert "∂out/∂x = ∂out/∂out · ∂(x·x)/∂x = 1 · (x + x) = 1 · (3 + 3) = 6" in text
    assert "∂out/∂out ·" in text and "∂out/∂x = ∂out/∂x" not in text
    z = Value(0.0, label="x")
    relu = str(backward_steps(z.relu()))
    assert "∂out/∂x = ∂out/∂out · ∂relu(x)/∂x = 1 · [x > 0] = 1 · 0 = 0" in relu


def test_steps_show_the_sum_rule_when_a_parent_is_used_again():
    """f = (x + y) * y: the second contribution to y is written as an accumulation, 5 + 3 = 8."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    text = "\n".join(str(step) for step in backward_steps(f))
    assert "∂out/∂y += ∂out/∂u1 · ∂(x + y)/∂y = 3 · 1 = 3  (now 5 + 3 = 8)" in text
    assert "where u1 = x + y" in text


def test_steps_in_markdown_and_latex():
    """Each step has Markdown and LaTeX forms, shown by Jupyter through the _repr_ methods; no literal *."""
    L, *_ = seeds_example()
    steps = list(backward_steps(L))
    last = steps[-1]
    assert r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial u_{1}}" in last.latex()
    assert r"\frac{\partial \left(w \cdot x\right)}{\partial w}" in last.latex()
    assert "28" in last.latex() and "*" not in last.latex()
    assert last._repr_markdown_().startswith("**Step 3**")
    assert last._repr_latex_().startswith("$")
    whole = backward_steps(L)
    assert str(whole).startswith("∂L/∂L = 1") and "**Step 1**" in whole.markdown() and "28" in whole.latex()


def test_one_name_never_stands_for_two_values():
    """out*x with an input labelled out: the unlabelled output gets another name; a label v6 or u1 is not reused."""
    taken, x = Value(2.0, label="out"), Value(3.0, label="x")
    text = str(backward_steps(taken * x))
    assert "∂out'/∂out = ∂out'/∂out' · ∂(out·x)/∂out = 1 · x = 1 · 3 = 3" in text
    assert "∂out/∂out = 1" not in text
    u1 = Value(1.0, label="u1")
    names = node_names((u1 * 2.0 + x) * x)
    assert len(set(names.values())) == len(names)
    assert sum(name == "u1" for name in names.values()) == 1


def test_subtraction_and_negative_factors_read_as_such():
    """a - cos(k) is a negation, not a product rule with -1; negative numbers are bracketed."""
    a, k = Value(1.0, label="a"), Value(0.5, label="k")
    text = str(backward_steps(a - k.cos()))
    assert "(negation)" in text and "product rule" not in text
    assert "∂(-u1)/∂u1 = 1 · (-1) = -1" in text
    assert "· (-" in text


def test_explaining_a_pass_twice_gives_the_same_steps():
    """A BackwardPass is recorded once and can be iterated and printed again with the same result."""
    L, *_ = seeds_example()
    steps = backward_steps(L)
    assert [str(s) for s in steps] == [str(s) for s in steps]


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
    """L = (w*x + b)**2 has one path to w (14 · 1 · 2 = 28); (x + y) * y has two paths to y (3 + 5), each
    written as a product of local derivatives, told apart from the total."""
    L, _, w, _ = seeds_example()
    assert str(explain_grad(L, w)).splitlines() == [
        "∂L/∂w = ∂(y^2)/∂y · ∂(u1 + b)/∂u1 · ∂(w·x)/∂w = (2·y) · 1 · x = 14 · 1 · 2 = 28",
        "  where u1 = w·x",
    ]
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    explanation = explain_grad(f, y)
    assert [p.product for p in explanation.paths] == [3.0, 5.0]
    lines = str(explanation).splitlines()
    assert lines[1] == "  path 1: ∂(u1·y)/∂u1 · ∂(x + y)/∂y = y · 1 = 3 · 1 = 3"
    assert lines[2] == "  path 2: ∂(u1·y)/∂y = u1 = 5"
    assert lines[3] == "  ∂out/∂y = 3 + 5 = 8"
    assert not any(line.strip().startswith("path") and "∂out/∂y =" in line for line in lines)
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
        y = y * 0.5 + y * 0.25  # 2**10 paths from y to x
    with pytest.raises(ValueError, match="more than 200 paths"):
        explain_grad(y, x)


def test_worked_solution_has_one_line_per_value_with_the_right_numbers():
    """One backward row per (non-constant) value in reverse topological order, each ending in its gradient, with
    the rule used; the numbers are backward()'s; the three formats are one solution."""
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
    assert latex.startswith("\\noindent\\textbf{Problem.}") and latex._repr_latex_() == latex
    assert markdown.latex() == latex and latex.markdown() == markdown and "∂out/∂y" in markdown.text()
    with pytest.raises(ValueError, match="'text', 'markdown' or 'latex'"):
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
    """Labels win; unlabelled results get u1, u2, ... in topological order; constants their number; the
    unlabelled root out."""
    x = Value(2.0, label="x")
    h = (x * 3).tanh()
    names = node_names(h * 1)
    assert sorted(names.values()) == sorted(["x", "3", "u1", "u2", "1", "out"])


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


def _derivative_lines(text: str) -> list[str]:
    """The '∂(...)/∂name = formula' pieces of an explanation's lines."""
    return re.findall(r"∂\([^)]*\)/∂\w+ = [^=]+", text)


def test_a_value_in_two_inputs_has_one_derivative_the_sum_of_theirs():
    """x·x and x^x: the step, the paths and the worked solution write ∂(x·x)/∂x once, as the sum of the inputs'
    local derivatives (x + x, the product rule), never the same symbol for two different derivatives."""
    x = Value(3.0, label="x")
    f = x * x
    f.label = "f"
    steps = str(backward_steps(f))
    assert "∂f/∂x = ∂f/∂f · ∂(x·x)/∂x = 1 · (x + x) = 1 · (3 + 3) = 6" in steps
    assert "x fills 2 inputs of x·x: ∂(x·x)/∂x is the sum of their local derivatives" in steps
    assert str(explain_grad(f, x)) == "∂f/∂x = ∂(x·x)/∂x = x + x = 3 + 3 = 6"
    assert r"1 \cdot \left(x + x\right) = 1 \cdot \left(3 + 3\right) = 6" in worked_solution(f, "latex")
    text = worked_solution(f, "text")
    assert "∂f/∂x = ∂f/∂f · ∂(x·x)/∂x = 1 · (x + x) = 1 · (3 + 3) = 6" in text
    y = Value(2.0, label="y")
    g = y**y
    g.label = "g"
    for written in (str(backward_steps(g)), str(explain_grad(g, y)), worked_solution(g, "text")):
        symbols = [line.split(" = ")[0] for line in _derivative_lines(written)]
        assert len(symbols) == len(set(symbols)), written  # one symbol, one derivative
        assert "y·y^(y - 1) + y^y·ln(y)" in written and "4 + 2.77259" in written


def test_a_value_in_two_inputs_shows_the_engines_additions_exactly():
    """Where the upstream gradient is not 1, the step shows each input's contribution, and adding them as written
    (from what the value had before, left to right) gives the engine's gradient bit for bit."""
    x, y = Value(0.3, label="x"), Value(0.1, label="y")
    f = x * x * y + x.tanh()
    f.backward()
    seen = 0
    for step in backward_steps(f):
        for u in step.shown():
            if u.terms:
                seen += 1
                total = u.before
                for _local, contribution in u.terms:
                    total += contribution
                assert total == u.after == x.grad
                assert [c for _l, c in u.terms] == [step.upstream * local for local, _c in u.terms]
                text = step.text()
                assert " + ".join(num(c) for _l, c in u.terms) in text  # the contributions, as added
    assert seen == 1


def test_the_exponent_of_a_power_follows_the_exponential_rule():
    """x**y: the base's row names the power rule, the exponent's the exponential rule, in the table and in every
    explanation; x**x's step names both."""
    assert (ops.OPS["pow"].rule_of(0), ops.OPS["pow"].rule_of(1)) == ("power rule", "exponential rule")
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x**y
    f.label = "f"
    solution = worked_solution(f, "text")
    assert re.search(r"∂f/∂y = .*\(exponential rule\)", solution)
    assert re.search(r"∂f/∂x = .*\(power rule\)", solution)
    assert "(power rule and exponential rule)" in str(backward_steps(f))
    assert "(power rule and exponential rule)" in str(backward_steps(x**x))
    assert "(exponential rule)" in str(backward_steps(2.0**x))
