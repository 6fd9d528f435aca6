"""One naming of a graph, shared by every view: the root is its label or `out`, a loss is `L`, results of
operations are u1, u2, ... in forward order whatever the leaves are called, and every view uses the names."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_viz import svg_nodes
from tinygrad_scalar import MLP, Value
from tinygrad_scalar.teaching.explanations import backward_steps
from tinygrad_scalar.teaching.stepper import stepper
from tinygrad_scalar.training import losses
from tinygrad_scalar.training.nn import Neuron
from tinygrad_scalar.views.dot import draw_dot
from tinygrad_scalar.views.naming import graph_names, latex_name, latex_text, parameter_names, plain_text


def test_an_unlabelled_output_is_out_and_a_labelled_one_keeps_its_label():
    """The root goes by its label, or `out` without one: an output that is not a loss is never called L."""
    x = Value(2.0, label="x")
    y = (x * 3).relu()
    assert graph_names(y)[y] == "out"
    y.label = "h"
    assert graph_names(y)[y] == "h"


@pytest.mark.parametrize(
    "loss",
    [
        lambda p: losses.mse(p, [0.0, 1.0]),
        lambda p: losses.hinge(p, [-1, 1]),
        lambda p: losses.binary_cross_entropy_with_logits(p, [0.0, 1.0]),
        lambda p: losses.cross_entropy([[p[0], p[1]], [p[1], p[0]]], [0, 1]),
    ],
    ids=["mse", "hinge", "binary_cross_entropy_with_logits", "cross_entropy"],
)
def test_every_loss_is_labelled_l(loss):
    """Every loss function labels its result L, so every view calls a loss L."""
    predictions = [Value(0.3, label="p0"), Value(-0.2, label="p1")]
    result = loss(predictions)
    assert result.label == "L" and graph_names(result)[result] == "L"


def test_a_penalty_is_not_labelled_as_a_loss():
    """l2 is a penalty added to a loss, not a loss: it keeps no label, and a loss plus it is `out`."""
    w = Value(0.5, label="w")
    penalty = losses.l2([w])
    assert penalty.label == ""
    total = losses.mse([w * 2], [1.0]) + penalty
    names = graph_names(total)
    assert names[total] == "out" and "L" in names.values()


def neuron_call(labelled: bool) -> Value:
    """relu(w0*x0 + w1*x1 + b) as a Neuron computes it, its leaves labelled or not."""
    neuron = Neuron(2, seed=3)
    if labelled:
        for i, w in enumerate(neuron.w):
            w.label = f"w{i}"
        neuron.b.label = "b"
    return neuron([Value(1.5, label="x0"), Value(-0.5, label="x1")])


def intermediate_names(root: Value) -> list[str]:
    from tinygrad_scalar import topological_order

    names = graph_names(root)
    return [names[n] for n in topological_order(root) if n._prev and n is not root]


def test_results_of_operations_are_numbered_the_same_whether_leaves_are_labelled_or_not():
    """out/neuron.svg numbered a neuron's sums u3, u4, u6, u7 while the replay, which labels the weights, named
    them u1-u4: leaves are not counted among the u's, so both are u1, u2, u3, u4."""
    assert intermediate_names(neuron_call(labelled=False)) == intermediate_names(neuron_call(labelled=True))
    assert intermediate_names(neuron_call(labelled=False)) == ["u1", "u2", "u3", "u4"]


def test_unlabelled_leaves_are_v1_v2_and_a_model_names_its_parameters_by_place():
    """Unlabelled leaves are v1, v2, ... in forward order; with model=, weights and biases are named after their
    place (w0, b in a Neuron; w1.0.2, b1.0 in an MLP), and written with indices in LaTeX."""
    a, b = Value(1.0), Value(2.0)
    names = graph_names(a * b)
    assert (names[a], names[b]) == ("v1", "v2")
    model = MLP(3, [2, 1], seed=0)
    out = model([1.0, 2.0, 3.0])
    names = graph_names(out, model=model)
    assert names[model.layers[1].neurons[0].w[1]] == "w1.0.1" and names[model.layers[0].neurons[1].b] == "b0.1"
    assert set(parameter_names(model.layers[0].neurons[0]).values()) == {"w0", "w1", "w2", "b"}
    assert latex_name("w1.0.2") == "w^{(1)}_{0,2}" and latex_name("b1.0") == "b^{(1)}_{0}"
    assert latex_name("w2.1") == "w_{2,1}" and latex_name("b2") == "b_{2}"


def test_no_name_stands_for_two_values():
    """A label `out` or `u1` on a value pushes the generated names aside: every name is used once."""
    x = Value(1.0, label="out")
    u1 = Value(2.0, label="u1")
    root = (x * u1 + x).tanh()
    names = graph_names(root)
    assert len(set(names.values())) == len(names)
    assert names[root] == "out'"


def test_every_view_of_one_graph_uses_the_same_names():
    """The picture, its TikZ, the stepper's pictures, the slides' captions, a Beamer deck and the explanation in text
    name every value of the same graph alike (out for the unlabelled output, u1.. and v1.. as the naming gives)."""
    from tinygrad_scalar.teaching.beamer import beamer
    from tinygrad_scalar.views.tikz import tikz

    root = neuron_call(labelled=False)
    neuron_names = graph_names(root)
    picture = {texts[0] for texts in svg_nodes(draw_dot(root).pipe(format="svg")).values() if len(texts) == 3}
    page = stepper(root)
    boxes = {texts[0] for frame in page.frames for texts in svg_nodes(frame).values() if len(texts) == 3}
    text = str(backward_steps(root))
    generated = {n for n in neuron_names.values() if re.fullmatch(r"[uv]\d+|out", n)}
    assert generated <= picture and generated <= boxes
    assert {w for w in re.findall(r"\b[uv]\d+\b|\bout\b", text)} <= generated
    in_latex = {latex_name(n) for n in generated}
    latex = r"(?:[uv]_\{\d+\}|\\mathrm\{out\})"
    assert set(re.findall(rf"\$({latex})\$ \\nodepart", tikz(draw_dot(root)))) == in_latex
    assert set(re.findall(latex, beamer(root))) == in_latex
    assert set(re.findall(latex, "".join(page.captions))) == in_latex


_WRITABLE = "".join(chr(c) for c in range(32, 127)) + "àéîõüçčřőāÀÉŠıßæø×−·°µ²∂∇∞θΩωϵ\t\n"  # noqa: RUF001 - the signs times and minus


@given(st.text(alphabet=_WRITABLE, max_size=30))
def test_plain_text_gives_back_what_latex_text_wrote(text):
    """plain_text undoes latex_text, in text and in maths (a tab or line break comes back as a space), so a writer
    that is not LaTeX (the slides' mathtext) prints a label exactly as typed."""
    expected = text.replace("\t", " ").replace("\n", " ")
    assert plain_text(latex_text(text, maths=True)) == expected
    assert plain_text(latex_text(text)) == expected
