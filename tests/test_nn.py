"""The nn module: micrograd's signatures and numbers, our options, argument checks and model files."""

import json
import math
import os
import random
import statistics
import struct
from pathlib import Path

import micrograd.engine
import micrograd.nn
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ops import close
from tinygrad_scalar import MLP, Layer, Module, Neuron, Value
from tinygrad_scalar.training.nn import ACTIVATIONS, INITS, ModelFileError


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


@pytest.mark.slow
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
        Neuron(2, activation="swish")
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


# ---- every argument checked: a model that builds is a model that saves and loads back --------------


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((2, [1]), {"activation": "Tanh"}, "unknown activation 'Tanh'"),  # one layer: the hidden one is unused
        ((2, [1]), {"activation": None}, "unknown activation None"),
        ((2, [1]), {"output_activation": "softmax"}, "unknown output_activation 'softmax'"),
        ((2, [0]), {}, r"nouts\[0\], the size of layer 0, must be a whole number >= 1, got 0"),
        ((2, [3, True]), {}, r"nouts\[1\], the size of layer 1, must be a whole number >= 1, got True"),
        ((True, [1]), {}, "nin, the number of inputs, must be a whole number >= 1, got True"),
        ((2.0, [1]), {}, "nin, the number of inputs, must be a whole number >= 1, got 2.0"),
        ((0, [1]), {}, "nin, the number of inputs, must be a whole number >= 1, got 0"),
        ((2, 16), {}, r"nouts lists the size of each layer, e\.g\. MLP\(2, \[16, 16, 1\]\)"),
        ((2, "16"), {}, "nouts lists the size of each layer"),
        ((2, [1]), {"init": None}, "unknown init None"),
        ((2, [1]), {"seed": 1.5}, "seed must be a whole number"),
        ((2, [1]), {"rng": 3}, r"rng must be a random\.Random"),
    ],
)
def test_mlp_constructor_refuses_bad_arguments(args, kwargs, message):
    """Every MLP argument is checked when the model is built, even the hidden activation of a one-layer model."""
    with pytest.raises(ValueError, match=message):
        MLP(*args, **kwargs)


def test_layer_and_neuron_refuse_bad_sizes():
    """Layer and Neuron check their sizes too: no bool, no zero, no float."""
    with pytest.raises(ValueError, match="nout, the number of neurons, must be a whole number >= 1, got 0"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="nin, the number of inputs, must be a whole number >= 1, got True"):
        Neuron(True)


def _same_model(a: MLP, b: MLP) -> bool:
    """Same architecture, same repr and bit-identical parameters (so NaN equals NaN)."""
    bits = [struct.pack("<d", p.data) for p in a.parameters()]
    return (
        a.architecture() == b.architecture()
        and repr(a) == repr(b)
        and bits == [struct.pack("<d", p.data) for p in b.parameters()]
    )


_anything = st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=3), st.integers(-(2**70), 0))
_sizes = st.one_of(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
VALID_ARGUMENTS = {
    "nin": st.integers(1, 4),
    "nouts": _sizes,
    "activation": st.sampled_from(ACTIVATIONS),
    "output_activation": st.sampled_from(ACTIVATIONS),
    "init": st.sampled_from(INITS),
    "seed": st.one_of(st.none(), st.integers(-(2**70), 2**70)),
}
ODD_ARGUMENTS = {
    "nin": _anything,
    "nouts": st.one_of(st.lists(st.one_of(st.integers(-1, 2), _anything), max_size=3), st.integers(0, 3), _anything),
    "activation": st.one_of(st.sampled_from(["Tanh", "", "gelu", "ReLU"]), _anything),
    "output_activation": st.one_of(st.sampled_from(["Tanh", "softmax"]), _anything),
    "init": _anything,
    "seed": _anything,
}


@settings(max_examples=100)
@given(data=st.data())
def test_every_model_the_constructor_accepts_saves_and_loads_back(tmp_path_factory, data):
    """Whatever the arguments (all valid, or one of them odd), MLP either refuses them with a ValueError
    or builds a model that save() writes and MLP.load() reads back identically."""
    odd = data.draw(st.sampled_from([None, *VALID_ARGUMENTS]), label="odd argument")
    arguments = {
        name: data.draw(ODD_ARGUMENTS[name] if name == odd else valid, label=name)
        for name, valid in VALID_ARGUMENTS.items()
    }
    try:
        model = MLP(arguments.pop("nin"), arguments.pop("nouts"), **arguments)
    except ValueError:
        assert odd is not None  # valid arguments always build a model
        return
    path = tmp_path_factory.mktemp("models") / "model.json"
    model.save(path)
    assert _same_model(MLP.load(path), model)


def test_model_with_numpy_sizes_saves_and_loads_back(tmp_path: Path):
    """NumPy integers (say, X.shape[1]) are accepted as sizes and saved as plain JSON numbers."""
    model = MLP(np.int64(2), [np.int64(3), 1], seed=np.int64(0))
    model.save(tmp_path / "m.json")
    assert _same_model(MLP.load(tmp_path / "m.json"), model)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda m: setattr(m, "activation", "Tanh"), "the 'architecture' field is missing or malformed"),
        (lambda m: setattr(m, "nouts", [2, 1]), "layer 0 should have 2 neurons"),
        (lambda m: setattr(m.layers[0].neurons[0].w[0], "data", "abc"), r"parameter 0 is 'abc', not a float"),
        (lambda m: setattr(m.layers[0].neurons[0].b, "data", 10**400), "an integer too large for a float"),
    ],
)
def test_save_that_fails_validation_leaves_the_old_file_byte_identical(tmp_path: Path, spoil, message):
    """A model that would save a file MLP.load refuses raises ValueError before the old file is touched."""
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_bytes()
    model = MLP(2, [3, 1], seed=1)
    spoil(model)
    with pytest.raises(ValueError, match=message):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


# ---- model files that must raise ModelFileError --------------------------------------------------------


def _first_parameter(text: str, replacement: str) -> str:
    """The model file text with its first parameter's number replaced by ``replacement``."""
    first = json.dumps(json.loads(text)["parameters"][0][0][0])
    assert first in text
    return text.replace(first, replacement, 1)


MODEL_FILE_ATTACKS = {
    "400-digit parameter": (lambda t: _first_parameter(t, "9" * 400), "integer of 400 digits"),
    "400-digit decimal parameter": (lambda t: _first_parameter(t, "9" * 400 + ".5"), "too large for a float"),
    "309-digit parameter above the largest float": (
        lambda t: _first_parameter(t, "9" * 309),
        "parameter 0 is an integer too large for a float",
    ),
    "5000-digit parameter": (lambda t: _first_parameter(t, "1" * 5000), "integer of 5000 digits"),
    "5000-digit nin": (lambda t: t.replace('"nin": 2', '"nin": ' + "1" * 5000), "integer of 5000 digits"),
    "300-digit nin": (lambda t: t.replace('"nin": 2', '"nin": ' + "1" * 300), "should have 1111"),
    "100,000 nested brackets": (lambda t: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "100,000 nested objects": (lambda t: '{"a": ' * 100_000, "nested too deeply"),
    "NaN literal": (lambda t: _first_parameter(t, "NaN"), "it holds NaN, which is not JSON"),
    "Infinity literal": (lambda t: _first_parameter(t, "-Infinity"), "it holds -Infinity, which is not JSON"),
    "bool parameter": (lambda t: _first_parameter(t, "true"), "parameter 0 is not a number: True"),
    "bool nin": (lambda t: t.replace('"nin": 2', '"nin": true'), "'architecture' field is missing or malformed"),
    "float nin": (lambda t: t.replace('"nin": 2', '"nin": 2.0'), "'architecture' field is missing or malformed"),
    "bool version": (lambda t: t.replace('"version": 1', '"version": true'), "file version True"),
    "duplicate key": (lambda t: t.replace('"version": 1', '"version": 1, "version": 1'), "'version' appears twice"),
    "extra parameter": (lambda t: _first_parameter(t, "0.5, 0.5"), "neuron 0 should have 3 parameters"),
    "extra layer": (
        lambda t: json.dumps({**json.loads(t), "parameters": [*json.loads(t)["parameters"], [[0.0]]]}),
        "expected parameters for 2 layers",
    ),
    "huge architecture in the message": (
        lambda t: t.replace('"activation": "relu"', '"activation": "' + "x" * 100_000 + '"'),
        "'architecture' field is missing or malformed",
    ),
}


@pytest.mark.parametrize("kind", list(MODEL_FILE_ATTACKS))
def test_hostile_model_file_raises_model_file_error_and_changes_nothing(tmp_path: Path, kind: str):
    """Huge numbers, deep nesting, NaN literals, bools, duplicate keys and wrong lengths each raise
    ModelFileError naming the file and the problem, in one short message, and the model keeps its parameters."""
    spoil, message = MODEL_FILE_ATTACKS[kind]
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    path.write_text(spoil(path.read_text()))
    target = MLP(2, [3, 1], seed=1)
    before = [p.data for p in target.parameters()]
    with pytest.raises(ModelFileError, match=message) as info:
        target.load_parameters(path)
    assert str(info.value).startswith(str(path)) and len(str(info.value)) < 400
    assert [p.data for p in target.parameters()] == before
    with pytest.raises(ModelFileError, match=message):
        MLP.load(path)


def test_loading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path):
    """MLP.load of a FIFO nobody writes to raises ModelFileError at once instead of hanging."""
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ModelFileError, match=r"pipe: not a regular file, so not a model saved by MLP\.save"):
        MLP.load(tmp_path / "pipe")


def test_loading_a_folder_says_it_is_a_folder(tmp_path: Path):
    """MLP.load of a folder raises ModelFileError saying it cannot read a directory."""
    with pytest.raises(ModelFileError, match="cannot read it: Is a directory"):
        MLP.load(tmp_path)


# ---- the lecture's network ------------------------------------------------------------------------------


def test_lecture_network_is_tanh_throughout_and_the_default_is_unchanged():
    """MLP.lecture(3, [4, 4, 1]) is MLP(..., activation='tanh', output_activation='tanh', bias_init='uniform');
    MLP(3, [4, 4, 1]) keeps micrograd's ReLU hidden layers, linear output and zero biases."""
    lecture = MLP.lecture(3, [4, 4, 1], seed=5)
    longhand = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", bias_init="uniform", seed=5)
    assert _same_model(lecture, longhand)
    assert {repr(n) for layer in lecture.layers for n in layer.neurons} == {"TanhNeuron(3)", "TanhNeuron(4)"}
    default = MLP(3, [4, 4, 1], seed=5)
    assert (default.activation, default.output_activation) == ("relu", "linear")
    assert all(n.b.data == 0.0 for layer in default.layers for n in layer.neurons)


def test_a_uniform_bias_is_drawn_after_the_neurons_weights():
    """bias_init='uniform' draws each neuron's bias from U(-1, 1) right after its weights, as the lecture's
    Neuron does; the weights are those of the zero-bias neuron drawn from the same generator."""
    rng = random.Random(3)
    expected = [rng.uniform(-1, 1) for _ in range(4)]
    neuron = Neuron(3, bias_init="uniform", seed=3)
    assert [p.data for p in neuron.parameters()] == expected
    assert [w.data for w in Neuron(3, seed=3).w] == expected[:3]
    layer = Layer(2, 2, bias_init="uniform", seed=4)
    rng = random.Random(4)
    assert [p.data for p in layer.parameters()] == [rng.uniform(-1, 1) for _ in range(6)]


def test_an_unknown_bias_init_is_refused_with_the_choices():
    """bias_init must be 'zero' or 'uniform'; anything else is a ValueError that lists both."""
    with pytest.raises(ValueError, match="unknown bias_init 'normal'; choose one of 'zero', 'uniform'"):
        MLP(2, [3, 1], bias_init="normal")
    with pytest.raises(ValueError, match="unknown bias_init"):
        Neuron(2, bias_init=0)


def test_lecture_network_learns_the_lectures_four_examples():
    """The lecture's loop (summed squared error, steps of -0.1 times the gradient) takes MLP.lecture
    below a loss of 0.01 for every seed tried, with every prediction of the right sign."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for seed in range(5):
        net = MLP.lecture(3, [4, 4, 1], seed=seed)
        for _ in range(100):
            ypred = [net(x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            net.zero_grad()
            loss.backward()
            for p in net.parameters():
                p.data += -0.1 * p.grad
        assert loss.data < 0.01, seed
        assert [y.data > 0 for y in ypred] == [t > 0 for t in ys]


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "softplus", "silu", "gelu"])
def test_new_activations_by_name_match_pytorch_and_round_trip(activation, tmp_path):
    """nn takes the table's new activations by name; the model equals its to_torch twin and saves and loads back."""
    import torch

    from tinygrad_scalar.training.nn import to_torch

    model = MLP(2, [3, 1], activation=activation, output_activation=activation, seed=0)
    out = model([0.5, -1.0])
    twin = to_torch(model)(torch.tensor([0.5, -1.0], dtype=torch.float64))
    assert math.isclose(out.data, twin.item(), rel_tol=1e-12)
    model.save(tmp_path / "model.json")
    assert MLP.load(tmp_path / "model.json")([0.5, -1.0]).data == out.data
