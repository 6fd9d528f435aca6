"""The nn module: micrograd's signatures and numbers, plus activations, initialisations and seeds."""

import math
import random
import statistics

import micrograd.engine
import micrograd.nn
import pytest
import torch

from tests.ops import close
from tinygrad_scalar import MLP, Layer, Module, Neuron, Value


def _moons(n: int, seed: int) -> tuple[list[list[float]], list[float]]:
    """A small two-moons-like data set (labels -1/+1), enough to train on."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1.0)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1.0)
    return X, y


def _demo_loss(model, X, y, value_type):
    """micrograd's demo loss: SVM max-margin plus L2 regularisation, written exactly as in its notebook."""
    inputs = [list(map(value_type, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)


def test_micrograd_demo_runs_unchanged_and_gives_micrograd_numbers():
    """micrograd's demo (seeded model, max-margin loss, SGD with decaying rate) run on both engines
    gives the same model, the same losses and the same parameters after training."""
    X, y = _moons(30, seed=3)
    random.seed(1337)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    for k in range(5):
        for model, value_type in ((theirs, micrograd.engine.Value), (ours, Value)):
            total_loss, _ = _demo_loss(model, X, y, value_type)
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad
        mine, ref = _demo_loss(ours, X, y, Value)[0], _demo_loss(theirs, X, y, micrograd.engine.Value)[0]
        assert close(mine.data, ref.data)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert close(p.data, q.data)


def test_backward_twice_fixes_micrograds_double_count():
    """micrograd gives 72 for y = x*x*x at 3 after two backward() calls; we give 27 + 27 = 54."""
    theirs = micrograd.engine.Value(3.0)
    y = theirs * theirs * theirs
    y.backward()
    y.backward()
    ours = Value(3.0)
    z = ours * ours * ours
    z.backward()
    z.backward()
    assert (theirs.grad, ours.grad) == (72.0, 54.0)


def test_mlp_gradients_match_pytorch():
    """A tanh MLP's output and every parameter's gradient equal the same network in PyTorch float64."""
    model = MLP(3, [4, 4, 1], activation="tanh", seed=7)
    x = [0.5, -1.25, 2.0]
    out = model(x)
    out.backward()
    h = torch.tensor(x, dtype=torch.float64)
    weights = []
    for i, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        weights.append((W, b))
        h = W @ h + b
        if i < len(model.layers) - 1:
            h = torch.tanh(h)
    h.sum().backward()
    assert close(out.data, h.item())
    for layer, (W, b) in zip(model.layers, weights):
        for r, n in enumerate(layer.neurons):
            for c, w in enumerate(n.w):
                assert close(w.grad, W.grad[r, c].item())
            assert close(n.b.grad, b.grad[r].item())


def test_mlp_learns_xor():
    """End to end: a small MLP trained with plain gradient descent fits XOR."""
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [-1.0, 1.0, 1.0, -1.0]
    model = MLP(2, [8, 1], activation="tanh", seed=1)
    for _ in range(200):
        loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    assert loss.data < 0.05
    assert [model(x).data > 0 for x in X] == [t > 0 for t in y]


def test_micrograd_signatures_and_defaults():
    """Neuron(nin, nonlin), Layer(nin, nout, **kwargs), MLP(nin, nouts): ReLU hidden, linear last."""
    assert repr(Neuron(3)) == "ReLUNeuron(3)"
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2, nonlin=False)) == "Layer of [LinearNeuron(2), LinearNeuron(2)]"
    model = MLP(2, [3, 1])
    assert repr(model) == "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]"
    assert isinstance(model([1.0, 2.0]), Value)
    assert len(MLP(2, [3, 2])([1.0, 2.0])) == 2
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


@pytest.mark.parametrize(("activation", "name"), [("tanh", "Tanh"), ("sigmoid", "Sigmoid"), ("linear", "Linear")])
def test_activation_choice(activation, name):
    """activation= picks the hidden non-linearity, shown in the repr and applied in the forward pass."""
    n = Neuron(2, activation=activation, seed=0)
    assert repr(n) == f"{name}Neuron(2)"
    pre = sum((w * x for w, x in zip(n.w, [0.3, -0.7])), n.b)
    expected = {"tanh": pre.tanh(), "sigmoid": pre.sigmoid(), "linear": pre}[activation]
    assert n([0.3, -0.7]).data == expected.data


def test_output_activation():
    """output_activation= sets the last layer's non-linearity (a sigmoid for probabilities)."""
    model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    assert repr(model.layers[-1]) == "Layer of [SigmoidNeuron(4)]"
    assert 0.0 < model([1.0, 1.0]).data < 1.0


def test_parameter_count():
    """MLP(2, [16, 16, 1]) has 2*16+16 + 16*16+16 + 16+1 = 337 parameters."""
    assert MLP(2, [16, 16, 1]).num_parameters() == 337
    assert Neuron(5).num_parameters() == 6
    assert Module().parameters() == []


def test_seed_makes_a_model_reproducible_without_touching_global_random():
    """The same seed gives the same weights, and the global random state is left alone."""
    random.seed(99)
    state = random.getstate()
    a = MLP(2, [5, 5, 1], seed=42)
    assert random.getstate() == state
    b = MLP(2, [5, 5, 1], rng=random.Random(42))
    c = MLP(2, [5, 5, 1], seed=43)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


def test_initialisations_have_the_documented_spread():
    """uniform in [-1, 1]; He normal with variance 2/fan_in; Xavier uniform in ±sqrt(6/(fan_in+fan_out))."""
    uniform = [w.data for n in Layer(50, 40, seed=0).neurons for w in n.w]
    assert max(map(abs, uniform)) <= 1.0 and statistics.pvariance(uniform) == pytest.approx(1 / 3, rel=0.1)
    he = [w.data for n in Layer(50, 40, init="he", seed=0).neurons for w in n.w]
    assert statistics.pvariance(he) == pytest.approx(2 / 50, rel=0.1)
    xavier = [w.data for n in Layer(50, 40, init="xavier", seed=0).neurons for w in n.w]
    bound = math.sqrt(6 / 90)
    assert max(map(abs, xavier)) <= bound and statistics.pvariance(xavier) == pytest.approx(bound**2 / 3, rel=0.1)


def test_bad_choices_are_refused_with_the_valid_ones_listed():
    """Unknown activation or init names and rng+seed together are clear errors."""
    with pytest.raises(ValueError, match="'relu', 'tanh', 'sigmoid', 'linear'"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="'uniform', 'he', 'xavier'"):
        MLP(2, [1], init="kaiming")
    with pytest.raises(ValueError, match="not both"):
        MLP(2, [1], rng=random.Random(0), seed=0)
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one"):
        MLP(2, [])


def test_one_wide_hidden_layer_feeds_the_next():
    """A hidden layer of width 1 returns one Value, which the next layer still accepts."""
    model = MLP(2, [1, 2], seed=0)
    assert len(model([0.5, 0.5])) == 2
