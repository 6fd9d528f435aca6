"""Small 2-D data sets to train on, generated in pure Python: deterministic for a seed, nothing to download.

Each generator returns ``(X, y)``: ``X`` a list of ``[x0, x1]`` points, ``y`` a list of class
indices (``0``/``1`` for the binary sets, ``0 .. classes-1`` for the spiral). For the max-margin
(hinge) loss, which wants labels ``-1``/``+1``, use ``signed(y)``.

>>> X, y = make_moons(100, seed=0)
>>> len(X), sorted(set(y))
(100, [0, 1])
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from tinygrad_scalar.core import ieee

__all__ = ["DATASETS", "make_circles", "make_moons", "make_spiral", "make_xor", "signed", "train_test_split"]

_T = TypeVar("_T")
_L = TypeVar("_L")


def _check(n: int, noise: float) -> None:
    if n < 2:
        raise ValueError(f"need at least 2 samples, got {n}")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and cannot be negative, got {noise}")


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (the data of micrograd's demo): class 0 on the upper arc
    centred at (0, 0), class 1 on the lower arc centred at (1, 0.5); Gaussian ``noise`` on both
    coordinates. Samples alternate between the classes."""
    _check(n, noise)
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        label = i % 2
        t = math.pi * rng.random()
        if label == 0:
            x0, x1 = math.cos(t), math.sin(t)
        else:
            x0, x1 = 1 - math.cos(t), 0.5 - math.sin(t)
        X.append([x0 + rng.gauss(0, noise), x1 + rng.gauss(0, noise)])
        y.append(label)
    return X, y


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[list[list[float]], list[int]]:
    """Two concentric circles: class 0 on the outer one (radius 1), class 1 on the inner one
    (radius ``factor``)."""
    _check(n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor is the inner radius over the outer one, between 0 and 1; got {factor}")
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        label = i % 2
        t = 2 * math.pi * rng.random()
        r = 1.0 if label == 0 else factor
        X.append([r * math.cos(t) + rng.gauss(0, noise), r * math.sin(t) + rng.gauss(0, noise)])
        y.append(label)
    return X, y


def make_spiral(
    n: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[list[list[float]], list[int]]:
    """``classes`` interleaved spiral arms (the classic multi-class toy problem); ``n`` points in all."""
    _check(n, noise)
    if classes < 2:
        raise ValueError(f"a spiral needs at least 2 classes, got {classes}")
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        label = i % classes
        r = rng.random()  # distance from the centre, 0 to 1
        t = label * 2 * math.pi / classes + 4 * r + rng.gauss(0, noise)
        X.append([r * math.sin(t), r * math.cos(t)])
        y.append(label)
    return X, y


def make_xor(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Four clusters at (±1, ±1): class 1 where the signs differ (exclusive or), class 0 where they agree."""
    _check(n, noise)
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        a, b = (i // 2) % 2, i % 2
        X.append([(2 * a - 1) + rng.gauss(0, noise), (2 * b - 1) + rng.gauss(0, noise)])
        y.append(a ^ b)
    return X, y


DATASETS: dict[str, Callable[..., tuple[list[list[float]], list[int]]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "spiral": make_spiral,
    "xor": make_xor,
}
"""The generators by name (as the ``demo`` command's ``--dataset`` takes them)."""


def signed(y: Sequence[int]) -> list[int]:
    """0/1 labels as -1/+1 (``2 y - 1``), as the hinge loss wants them."""
    if any(t not in (0, 1) for t in y):
        raise ValueError("signed() turns 0/1 labels into -1/+1; these labels are not all 0 or 1")
    return [2 * t - 1 for t in y]


def train_test_split(
    X: Sequence[_T],
    y: Sequence[_L],
    test_fraction: float | None = None,
    seed: int = 0,
    *,
    test_size: float | int | None = None,
) -> tuple[list[_T], list[_T], list[_L], list[_L]]:
    """Shuffle (deterministically for ``seed``) and split into ``X_train, X_test, y_train, y_test``.

    ``test_fraction`` is the share of the samples held out for testing, between 0 and 1 (0.25 when not
    given; at least one sample). ``test_size`` is scikit-learn's name for it, taken as scikit-learn takes
    it: a float is the same share, an int a number of samples; give one or the other, not both.

    The four parts are lists (of the samples, and the labels, as ``X`` and ``y`` hold them), also when
    ``X`` and ``y`` are numpy arrays: ``fit`` takes them as they are; ``numpy.asarray`` makes arrays again.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if test_fraction is not None and test_size is not None:
        raise TypeError("give test_fraction or test_size (scikit-learn's name for it), not both")
    n = len(X)
    if hasattr(type(test_size), "__index__") and not isinstance(test_size, bool):  # an int, numpy's too: a count
        n_test = operator.index(test_size)  # type: ignore[arg-type]  # it has __index__
        if not 1 <= n_test < n:
            raise ValueError(f"test_size={test_size} samples: it must be between 1 and {n - 1} for {n} samples")
    else:
        name, share = ("test_size", test_size) if test_size is not None else ("test_fraction", test_fraction)
        fraction = 0.25 if share is None else ieee.real(share)
        if fraction is None or not 0 < fraction < 1:
            raise ValueError(f"{name} must be between 0 and 1 (the share of samples to test on), got {share!r}")
        n_test = max(1, round(n * fraction))
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
