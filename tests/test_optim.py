"""Optimizers, schedules and clipping against torch.optim, step for step."""

import math

import pytest
import torch

from tests.ops import close
from tinygrad_scalar import Value
from tinygrad_scalar.training import optim

START = [0.5, -1.2, 2.0, 0.1]


def ours_loss(p: list[Value]) -> Value:
    """A small non-convex problem with interacting parameters."""
    return (p[0] * p[1] - 1) ** 2 + (p[2] - p[3]).tanh() ** 2 + (p[0] + p[2] * 0.5).sin() + 0.1 * p[3] ** 4


def torch_loss(p: torch.Tensor) -> torch.Tensor:
    return (p[0] * p[1] - 1) ** 2 + torch.tanh(p[2] - p[3]) ** 2 + torch.sin(p[0] + p[2] * 0.5) + 0.1 * p[3] ** 4


CASES = [
    ("sgd", lambda ps: optim.SGD(ps, lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
    (
        "sgd-momentum-decay",
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1),
    ),
    (
        "sgd-nesterov",
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    ),
    ("adam", lambda ps: optim.Adam(ps, lr=0.05), lambda ps: torch.optim.Adam(ps, lr=0.05)),
    (
        "adam-l2",
        lambda ps: optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
    ),
    (
        "adamw",
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
        lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    ),
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.01), lambda ps: torch.optim.RMSprop(ps, lr=0.01)),
    (
        "rmsprop-centered-momentum",
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    ),
]


@pytest.mark.parametrize(("name", "make_ours", "make_torch"), CASES, ids=[c[0] for c in CASES])
def test_optimizer_matches_torch_for_20_steps(name, make_ours, make_torch):
    """The same problem, the same hyper-parameters: the same parameters after each of 20 steps, to 1e-12."""
    ours = [Value(x) for x in START]
    opt = make_ours(ours)
    ref = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    ref_opt = make_torch([ref])
    for _ in range(20):
        loss = ours_loss(ours)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ref_opt.zero_grad()
        torch_loss(ref).backward()
        ref_opt.step()
        for mine, theirs in zip(ours, ref.tolist()):
            assert close(mine.data, theirs, rel=1e-12), (name, mine.data, theirs)


def test_linear_decay_is_micrograds_schedule():
    """LinearDecay(opt, 1.0, 0.1, 100): lr = 1.0 - 0.9 * k / 100 at step k, then stays at 0.1."""
    opt = optim.SGD([Value(0.0)], lr=5.0)
    schedule = optim.LinearDecay(opt, 1.0, 0.1, 100)
    rates = [opt.lr]
    for _ in range(120):
        schedule.step()
        rates.append(opt.lr)
    assert all(close(rates[k], 1.0 - 0.9 * k / 100) for k in range(101))
    assert rates[-1] == rates[100]


@pytest.mark.parametrize(
    ("make_ours", "make_torch"),
    [
        (lambda o: optim.StepDecay(o, step_size=7, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
        (
            lambda o: optim.CosineDecay(o, steps=30, eta_min=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 30, eta_min=0.01),
        ),
    ],
    ids=["step", "cosine"],
)
def test_schedules_match_torch(make_ours, make_torch):
    """StepDecay and CosineDecay give torch's learning rates, step by step."""
    opt = optim.SGD([Value(0.0)], lr=0.3)
    schedule = make_ours(opt)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    ref = make_torch(ref_opt)
    for _ in range(30):
        assert close(opt.lr, ref_opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        ref_opt.step()
        schedule.step()
        ref.step()


def test_clip_grad_norm_matches_torch():
    """clip_grad_norm scales all gradients together to the norm, as torch.nn.utils.clip_grad_norm_."""
    grads = [3.0, -4.0, 12.0]
    ours = [Value(0.0) for _ in grads]
    for v, g in zip(ours, grads):
        v.grad = g
    norm = optim.clip_grad_norm(ours, 1.0)
    ref = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
    for r, g in zip(ref, grads):
        r.grad = torch.tensor([g], dtype=torch.float64)
    ref_norm = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    assert close(norm, ref_norm.item()) and norm == 13.0
    assert all(close(v.grad, r.grad.item()) for v, r in zip(ours, ref))
    assert close(math.sqrt(sum(v.grad**2 for v in ours)), 1.0, rel=1e-6)
    small = [Value(0.0)]
    small[0].grad = 0.5
    optim.clip_grad_norm(small, 1.0)
    assert small[0].grad == 0.5  # under the norm: untouched


def test_clip_grad_value():
    """clip_grad_value clamps each gradient into [-c, c]."""
    ours = [Value(0.0) for _ in range(3)]
    for v, g in zip(ours, [-5.0, 0.3, 7.0]):
        v.grad = g
    optim.clip_grad_value(ours, 1.0)
    assert [v.grad for v in ours] == [-1.0, 0.3, 1.0]


def test_bad_optimizer_settings_are_clear_errors():
    """No parameters, a negative rate, or Nesterov without momentum are refused."""
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([Value(1.0)], lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([Value(1.0)], lr=0.1, nesterov=True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda o: optim.LinearDecay(o, 1.0, 0.1, 0),
            "LinearDecay's steps must be a whole number of steps >= 1, got 0",
        ),
        (
            lambda o: optim.StepDecay(o, step_size=0),
            "StepDecay's step_size must be a whole number of steps >= 1, got 0",
        ),
        (lambda o: optim.CosineDecay(o, steps=0), "CosineDecay's steps must be a whole number of steps >= 1, got 0"),
        (lambda o: optim.LinearDecay(o, 1.0, 0.1, -5), "got -5"),
        (lambda o: optim.CosineDecay(o, steps=True), "got True"),
        (lambda o: optim.StepDecay(o, step_size=2.5), "got 2.5"),
    ],
    ids=["linear", "step", "cosine", "negative", "bool", "float"],
)
def test_schedule_with_zero_steps_is_a_clear_error_at_construction(make, message):
    """A schedule over 0 (or a negative, bool or fractional number of) steps raises ValueError when made,
    not ZeroDivisionError at its first step, and leaves the optimizer's rate alone."""
    opt = optim.SGD([Value(0.0)], lr=0.3)
    with pytest.raises(ValueError, match=message):
        make(opt)
    assert opt.lr == 0.3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: optim.LinearDecay(o, float("nan"), 0.1, 10), "the start rate of LinearDecay"),
        (lambda o: optim.LinearDecay(o, 1.0, -0.1, 10), "the end rate of LinearDecay"),
        (lambda o: optim.StepDecay(o, 5, gamma=-0.5), "StepDecay's gamma"),
        (lambda o: optim.CosineDecay(o, 10, eta_min=float("inf")), "CosineDecay's eta_min"),
        (lambda o: optim.SGD([Value(0.0)], lr=float("inf")), "the learning rate"),
        (lambda o: optim.Adam([Value(0.0)], lr=float("nan")), "the learning rate"),
    ],
    ids=["nan-start", "negative-end", "negative-gamma", "inf-eta-min", "inf-lr", "nan-lr"],
)
def test_rates_that_are_not_finite_and_non_negative_are_refused(make, message):
    """A NaN, infinite or negative rate, in a schedule or an optimizer, is refused with the rate's name."""
    opt = optim.SGD([Value(0.0)], lr=0.3)
    with pytest.raises(ValueError, match=f"{message} must be a finite number >= 0"):
        make(opt)
