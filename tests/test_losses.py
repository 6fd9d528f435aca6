"""Losses against PyTorch float64: values and gradients, including large logits."""

import random

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

from tests.ops import close
from tinygrad_scalar import Value
from tinygrad_scalar.training import losses


def t(xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def check(ours_loss, ours_inputs, ref_loss, ref_inputs):
    ours_loss.backward()
    ref_loss.backward()
    assert close(ours_loss.data, ref_loss.item())
    flat = [v for row in ours_inputs for v in (row if isinstance(row, list) else [row])]
    ref_grads = ref_inputs.grad.flatten().tolist()
    assert len(flat) == len(ref_grads)
    for v, g in zip(flat, ref_grads):
        assert close(v.grad, g, abs_tol=1e-15), (v.grad, g)


@pytest.mark.parametrize("seed", range(5))
def test_mse_matches_pytorch(seed: int):
    """mse = mean((p - t)**2), as F.mse_loss."""
    rng = random.Random(seed)
    p = [rng.uniform(-3, 3) for _ in range(7)]
    y = [rng.uniform(-3, 3) for _ in range(7)]
    ours = [Value(x) for x in p]
    ref = t(p)
    check(losses.mse(ours, y), ours, F.mse_loss(ref, torch.tensor(y, dtype=torch.float64)), ref)


@pytest.mark.parametrize("seed", range(5))
def test_hinge_matches_pytorch(seed: int):
    """The max-margin loss mean(relu(1 - y s)), written with torch ops."""
    rng = random.Random(seed)
    s = [rng.uniform(-3, 3) for _ in range(9)]
    y = [rng.choice([-1, 1]) for _ in range(9)]
    ours = [Value(x) for x in s]
    ref = t(s)
    target = torch.tensor(y, dtype=torch.float64)
    check(losses.hinge(ours, y), ours, torch.relu(1 - target * ref).mean(), ref)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_bce_with_logits_matches_pytorch_and_is_stable(scale: float):
    """Binary cross-entropy from logits equals F.binary_cross_entropy_with_logits, even for logits of ±1000."""
    rng = random.Random(int(scale))
    z = [rng.uniform(-1, 1) * scale for _ in range(8)] + [0.0]
    y = [rng.choice([0.0, 1.0, 0.25]) for _ in range(9)]
    ours = [Value(x) for x in z]
    ref = t(z)
    loss = losses.binary_cross_entropy_with_logits(ours, y)
    check(loss, ours, F.binary_cross_entropy_with_logits(ref, torch.tensor(y, dtype=torch.float64)), ref)
    assert loss.data == loss.data and loss.data != float("inf")


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_cross_entropy_matches_pytorch_and_is_stable(scale: float):
    """Multi-class cross-entropy (log-sum-exp stable) equals F.cross_entropy, even for logits of ±1000."""
    rng = random.Random(int(scale))
    logits = [[rng.uniform(-1, 1) * scale for _ in range(4)] for _ in range(5)]
    classes = [rng.randrange(4) for _ in range(5)]
    ours = [[Value(x) for x in row] for row in logits]
    ref = t(logits)
    check(losses.cross_entropy(ours, classes), ours, F.cross_entropy(ref, torch.tensor(classes)), ref)


def test_softmax_and_log_softmax_match_pytorch():
    """softmax sums to 1 and equals torch.softmax; log_softmax likewise."""
    z = [1.0, -2.0, 800.0, 799.0]
    probabilities = losses.softmax([Value(x) for x in z])
    ref = torch.softmax(torch.tensor(z, dtype=torch.float64), 0).tolist()
    assert all(close(p.data, r) for p, r in zip(probabilities, ref))
    assert close(sum(p.data for p in probabilities), 1.0)
    logs = losses.log_softmax([Value(x) for x in z])
    ref_logs = torch.log_softmax(torch.tensor(z, dtype=torch.float64), 0).tolist()
    assert all(close(a.data, b) for a, b in zip(logs, ref_logs))


def test_l2_matches_pytorch():
    """l2 = alpha * sum(p**2), the regularisation of micrograd's demo."""
    p = [0.5, -1.5, 2.0]
    ours = [Value(x) for x in p]
    ref = t(p)
    check(losses.l2(ours, 1e-4), ours, 1e-4 * (ref * ref).sum(), ref)


def test_bad_targets_are_clear_errors():
    """Mismatched lengths, 0/1 labels given to the hinge loss, classes out of range: clear errors."""
    with pytest.raises(ValueError, match="3 outputs but 2 targets"):
        losses.mse([Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(ValueError, match="takes labels -1/\\+1"):
        losses.hinge([Value(1.0)], [0])
    with pytest.raises(ValueError, match="not an index into its 2 logits"):
        losses.cross_entropy([[Value(1.0), Value(2.0)]], [2])
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        losses.binary_cross_entropy_with_logits([Value(1.0)], [2.0])
    with pytest.raises(ValueError, match="no samples"):
        losses.mse([], [])
