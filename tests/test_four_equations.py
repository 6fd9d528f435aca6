"""The four equations of backpropagation read off the engine's graph: every layer's δ and activations equal
PyTorch float64's, each equation agrees with the engine, a wrong number is caught, and the text and the
LaTeX say it with the numbers."""

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from tests.ops import close
from tests.test_latex import compile_latex
from tinygrad_scalar.teaching.four_equations import four_equations
from tinygrad_scalar.training.losses import cross_entropy
from tinygrad_scalar.training.nn import MLP, Layer

TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda z: z,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "softplus": torch.nn.functional.softplus,
    "silu": torch.nn.functional.silu,
    "gelu": torch.nn.functional.gelu,
}


def torch_terms(model: MLP, x: list[float], loss):
    """Per layer, from PyTorch float64 autograd: z, a, δ = ∂L/∂z, ∂L/∂W and ∂L/∂b."""
    a = torch.tensor(x, dtype=torch.float64)
    found = []
    for i, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        z = W @ a + b
        z.retain_grad()
        name = model.activation if i < len(model.layers) - 1 else model.output_activation
        a = TORCH_ACTIVATIONS[name](z)
        a.retain_grad()
        found.append((W, b, z, a))
    loss(a).backward()
    return [(z.detach(), a.detach(), z.grad, a.grad, W.grad, b.grad) for W, b, z, a in found]


def squared_error(target: float):
    return lambda out: 0.5 * (out[0] - target) ** 2


@pytest.mark.parametrize(
    ("activation", "output_activation", "seed"),
    [("tanh", "linear", 0), ("relu", "linear", 1), ("sigmoid", "tanh", 2), ("leaky_relu", "sigmoid", 3)]
    + [(name, "linear", 4) for name in ("softplus", "silu", "gelu")],
)
def test_every_layers_delta_and_activations_match_pytorch(activation, output_activation, seed):
    """For a squared error, each layer's z, a, δ, ∂L/∂a, ∂L/∂W and ∂L/∂b equal PyTorch float64's to 1e-12."""
    model = MLP(3, [4, 3, 1], activation=activation, output_activation=output_activation, seed=seed)
    x = [0.5, -1.25, 2.0]
    eq = four_equations(model, x, squared_error(0.3))
    reference = torch_terms(model, x, lambda a: 0.5 * (a[0] - 0.3) ** 2)
    assert len(eq.layers) == 3
    for layer, (z, a, delta, grad_a, grad_W, grad_b) in zip(eq.layers, reference):
        for ours, theirs in [(layer.z, z), (layer.a, a), (layer.delta, delta), (layer.grad_a, grad_a)]:
            assert all(close(p, q) for p, q in zip(ours, theirs.tolist()))
        assert all(close(p, q) for row, ref in zip(layer.grad_W, grad_W.tolist()) for p, q in zip(row, ref))
        assert all(close(p, q) for p, q in zip(layer.grad_b, grad_b.tolist()))
    assert eq.agree


def test_softmax_with_cross_entropy_gives_the_output_error_a_minus_y():
    """With a linear output layer and cross-entropy, equation 1 gives δᴺ = softmax(z) - y, as PyTorch's."""
    model = MLP(2, [5, 3], activation="tanh", seed=7)
    x, label = [0.3, -0.8], 2
    eq = four_equations(model, x, lambda out: cross_entropy([out], [label]))
    last = eq.layers[-1]
    exps = [math.exp(z) for z in last.z]
    expected = [e / sum(exps) - (k == label) for k, e in enumerate(exps)]
    assert all(close(d, e) for d, e in zip(last.delta, expected))
    assert eq.output_error() == last.delta  # σ' = 1: the equation gives the engine's number exactly
    reference = torch_terms(model, x, lambda a: torch.nn.functional.cross_entropy(a[None], torch.tensor([label])))
    assert all(close(d, t) for d, t in zip(last.delta, reference[-1][2].tolist()))
    assert eq.agree


def test_reading_the_equations_changes_no_gradient():
    """four_equations runs its own backward pass as a map: the model's grads keep what they held."""
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    four_equations(model, [1.0, 2.0], squared_error(0.0))
    assert [p.grad for p in model.parameters()] == [float(i) for i in range(model.num_parameters())]


def test_a_wrong_number_makes_its_equation_disagree():
    """Changing one engine number (δ¹ of the first neuron) breaks equations 2, 3 and 4 at layer 1, and the
    text says which."""
    eq = four_equations(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, 2.0], squared_error(0.0))
    first = eq.layers[0]
    broken = dataclasses.replace(eq, layers=(dataclasses.replace(first, delta=(0.5, *first.delta[1:])), eq.layers[1]))
    assert not broken.agree
    assert {(c.equation, c.layer) for c in broken.checks() if not c.agrees} == {(2, 1), (3, 1), (4, 1)}
    assert "equation 2 at layer 1, equation 3 at layer 1, equation 4 at layer 1 disagree" in broken.text()


def test_the_text_writes_each_equation_with_its_numbers_from_the_output_back():
    """The text has one block per layer from N down to 1: equation 1 at the output, 2 below it, 3 and 4
    everywhere, with the table's formula for σ′ and the engine's verdict."""
    eq = four_equations(MLP(2, [3, 2, 1], activation="tanh", seed=5), [0.5, -1.0], squared_error(1.0))
    lines = eq.text().splitlines()
    heads = [line for line in lines if line.startswith("layer ")]
    assert heads == [
        "layer 3 (the output layer, linear): σ′(z⁽³⁾) = 1",
        "layer 2 (a hidden layer, tanh): σ′(z⁽²⁾) = 1 - tanh(z⁽²⁾)^2",
        "layer 1 (a hidden layer, tanh): σ′(z⁽¹⁾) = 1 - tanh(z⁽¹⁾)^2",
    ]
    assert [line[:6] for line in lines if line.startswith("  (")] == ["  (1) ", "  (3) ", "  (4) "] + [
        "  (2) ",
        "  (3) ",
        "  (4) ",
    ] * 2
    assert lines[-1].startswith("Checked against the engine: each equation at each layer (9 checks)")
    assert f"(4) ∂L/∂b⁽¹⁾ = δ⁽¹⁾ = [{'; '.join(f'{d:.6g}' for d in eq.layers[0].delta)}]" in eq.text()


def test_the_latex_compiles_with_pdflatex(tmp_path: Path):
    """The LaTeX of a three-layer model compiles with a real pdflatex, with no overfull box, on A4."""
    eq = four_equations(MLP(3, [4, 3, 2], activation="tanh", seed=1), [0.5, -1.0, 2.0], squared_error(0.5))
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + "\n".join(f"\\[\n{block}\n\\]" for block in eq.latex().split("\n\n"))
        + "\n\\end{document}\n"
    )
    log = compile_latex(document, tmp_path, "a4paper")
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
    assert eq.markdown().count("$$") == 2 * 3


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda m: four_equations([m], [1.0, 2.0], squared_error(0.0)), TypeError, "reads an MLP"),
        (lambda m: four_equations(m, [1.0], squared_error(0.0)), ValueError, "takes 2 inputs, got a sample of 1"),
        (lambda m: four_equations(m, [1.0, 2.0], lambda out: 0.0), TypeError, "loss must return a Value"),
    ],
)
def test_misuse_is_refused_in_words(call, error, words):
    """Not an MLP, a sample of the wrong length, a loss that is not a Value: each raises, saying what is wrong."""
    with pytest.raises(error, match=words):
        call(MLP(2, [3, 1], seed=0))


class _DoublingLayer(Layer):
    """A layer that doubles its neurons' outputs: no longer activation(z)."""

    def __call__(self, x):
        return [n(x) * 2.0 for n in self.neurons]


def test_a_neuron_output_that_is_not_its_activation_is_refused():
    """A model whose layer does not return activation(z) is refused, naming the layer and what made its output."""
    model = MLP(2, [1], activation="tanh", output_activation="tanh", seed=0)
    model.layers[0] = _DoublingLayer(2, 1, activation="tanh", seed=0)
    with pytest.raises(ValueError, match="layer 1: a neuron's output should be tanh\\(z\\), but it was made by 'mul'"):
        four_equations(model, [1.0, 2.0], squared_error(0.0))
