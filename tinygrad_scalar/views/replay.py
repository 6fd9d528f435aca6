"""A training replay: one self-contained HTML page with a slider over the steps of a training.

    recorder = Recorder(model)
    fit(model, X, y, live=recorder)
    page = replay_page(model, recorder, X, y)

At each step the page shows what that training step saw: the decision boundary of the parameters
the step used (2-D data), each first-layer neuron's line ``w0*x0 + w1*x1 + b = 0`` on the same plot,
the loss and accuracy the step measured (marked on their curves), and the forward graph of one
first-layer neuron on one sample, with its values at that step and the gradients of the network's
output on that sample (its score, or the logit of the sample's class). Everything is inline (no
server, no network); the pictures of the graph need Graphviz's ``dot``.
``tinygrad-scalar demo --html out/training.html`` writes one for the demo's training.

A training that diverged is replayed too: its losses and parameters that are no longer finite
numbers travel safely in the page's data (:func:`tinygrad_scalar.views.page.script_json`), the steps
say that the training diverged, and the slider, the counter and the boundary keep working. The page
reads the model and writes nothing of it: each step's parameters are set on a copy of the model, and
each step's gradients are computed on the side (``fresh_gradients``).
"""

from __future__ import annotations

import copy
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tinygrad_scalar.core.engine import Value, fresh_gradients
from tinygrad_scalar.core.language import _, number_text, using
from tinygrad_scalar.training.fit import class_labels, predicted_class
from tinygrad_scalar.training.nn import MLP, Module, Neuron
from tinygrad_scalar.training.watch import Progress, decision_grid
from tinygrad_scalar.views.dot import draw_dot
from tinygrad_scalar.views.page import asset, html_lang, script_json

__all__ = ["MAX_REPLAY_STEPS", "RESOLUTION", "Recorder", "replay_page"]

MAX_REPLAY_STEPS = 60
"""The most steps a replay page shows (each has its own decision boundary and picture): longer
trainings are sampled evenly, first and last step kept."""

RESOLUTION = 20
"""Grid points per axis of each step's decision boundary."""

_CLASS_COLORS = ("#3b4cc0", "#b40426", "#2ca02c", "#9467bd", "#ff7f0e")
_AREA_COLORS = ("#c9d3f5", "#f4c7c0", "#c7e9c0", "#dccbea", "#fdd9b5")


class Recorder:
    """A ``Watcher`` (:mod:`tinygrad_scalar.training.watch`) that keeps the parameters each training step used.

    ``parameters[k]`` are the parameters before step ``k + 1`` (``parameters[0]`` the untrained
    ones, recorded when the recorder is made), and ``progress[k]`` what step ``k + 1`` measured with
    them: with full-batch training, the loss and accuracy of exactly those parameters.
    """

    def __init__(self, model: Module) -> None:
        self.parameters: list[list[float]] = [[p.data for p in model.parameters()]]
        self.progress: list[Progress] = []

    def update(self, model: Module, progress: Progress) -> None:
        self.progress.append(progress)
        self.parameters.append([p.data for p in model.parameters()])

    def close(self, model: Module) -> None:
        """Nothing to finish: the record is complete after the last update."""


def _chosen_steps(count: int) -> list[int]:
    """The indices of the steps the page shows: all of them, or ``MAX_REPLAY_STEPS`` spread evenly."""
    if count <= MAX_REPLAY_STEPS:
        return list(range(count))
    return sorted({round(i * (count - 1) / (MAX_REPLAY_STEPS - 1)) for i in range(MAX_REPLAY_STEPS)})


def _set(model: Module, values: Sequence[float]) -> None:
    for p, v in zip(model.parameters(), values):
        p.data = v


def _first_layer_then_rest(model: MLP, x: list[Value]) -> tuple[list[Value], Any]:
    """The first layer's outputs and the model's output, on ``x``: the forward pass of ``MLP.__call__``,
    keeping the first layer's values so that one neuron can be drawn."""
    first = [n(x) for n in model.layers[0].neurons]
    out: Any = first[0] if len(first) == 1 else first
    for layer in model.layers[1:]:
        out = layer([out] if isinstance(out, Value) else out)
    return first, out


def _chosen_neuron(model: MLP, X: Sequence[Sequence[float]]) -> tuple[int, int]:
    """The first (neuron of the first layer, sample) pair where the neuron is active (its output is not 0),
    with the trained parameters: the one whose graph the page draws."""
    for j, neuron in enumerate(model.layers[0].neurons):
        for i, x in enumerate(X):
            if neuron([Value(v) for v in x]).data != 0.0:
                return j, i
    return 0, 0


def _graph_svg(root: Value, neuron: Neuron, grads: Mapping[Value, float]) -> str:
    """The neuron's graph with the gradients of this step's pass (its weights named w0, w1, b)."""
    picture = draw_dot(root, model=neuron, grads=grads, fmt="%.3f", compact=True)
    svg: str = picture.pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    return re.sub(r'\sid="[^"]*"', "", svg)  # dot's ids repeat across steps


def _curve(values: Sequence[float | None], label: str, fmt: Callable[[float], str]) -> str:
    """A small SVG line chart of ``values`` against the step, with a marker line the page moves."""
    width, height, pad = 420, 150, 34
    finite = [v for v in values if v is not None and v == v and abs(v) != float("inf")]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    n = max(len(values) - 1, 1)

    def at(k: int, v: float) -> str:
        return f"{pad + (width - pad - 8) * k / n:.1f},{8 + (height - pad - 8) * (hi - v) / (hi - lo):.1f}"

    points = " ".join(at(k, v) for k, v in enumerate(values) if v is not None and v in finite)
    return (
        f'<svg class="tgs-curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'data-left="{pad}" data-right="{width - 8}" data-steps="{n}">'
        f'<rect x="{pad}" y="8" width="{width - pad - 8}" height="{height - pad - 8}" fill="#fafafa" stroke="#ccc"/>'
        f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        f'<line class="tgs-marker" x1="{pad}" x2="{pad}" y1="8" y2="{height - pad}" stroke="#ea580c" stroke-width="2"/>'
        f'<text x="{pad}" y="{height - 12}" font-size="12">{html.escape(label)}</text>'
        f'<text x="2" y="18" font-size="11">{html.escape(fmt(hi))}</text>'
        f'<text x="2" y="{height - pad}" font-size="11">{html.escape(fmt(lo))}</text></svg>'
    )


def replay_page(
    model: MLP,
    recorder: Recorder,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    title: str | None = None,
    lang: str | None = None,
) -> str:
    """The replay of a recorded training of ``model`` on the 2-D points ``X`` with classes ``y``, as
    a standalone HTML page (see the module docstring). Trainings longer than ``MAX_REPLAY_STEPS``
    are shown at that many steps, spread evenly. The model is only read: its parameters, their labels
    and gradients stay as they were, even while the page is made. The page is written in ``lang``
    (by default the locale's: :mod:`tinygrad_scalar.core.language`); ``title`` is "Training replay" in it.
    """
    with using(lang):
        return _replay_page(model, recorder, X, y, _("Training replay") if title is None else title)


def _percent(fraction: float) -> str:
    """A fraction as a percentage with one decimal, as the class writes it (``93.5%``, ``93,5 %``)."""
    return _("%(number)s%%") % {"number": number_text(f"{fraction * 100:.1f}")}


def _replay_page(model: MLP, recorder: Recorder, X: Sequence[Sequence[float]], y: Sequence[int], title: str) -> str:
    if not isinstance(model, MLP):
        raise TypeError(f"the replay page draws an MLP's neurons, not a {type(model).__name__}")
    if not recorder.progress:
        raise ValueError("the recorder saw no training step: pass it to fit(..., live=recorder) first")
    if any(len(x) != 2 for x in X):
        raise ValueError("the replay page draws the data on a 2-D plot: every sample needs exactly 2 features")
    if len(X) != len(y):
        raise ValueError(f"the replay page needs one label per sample: {len(X)} samples but {len(y)} labels")
    labels = class_labels(y, model.nouts[-1] == 1, where="replay_page")  # as fit took them: -1 is class 0
    neuron_index, sample = _chosen_neuron(model, X)
    replayed = copy.deepcopy(model)  # each step's parameters go into a copy: the model itself is only read
    neuron = replayed.layers[0].neurons[neuron_index]
    steps, frames = [], []
    for k in _chosen_steps(len(recorder.progress)):
        _set(replayed, recorder.parameters[k])
        grid_x, grid_y, classes = decision_grid(replayed, X, predicted_class, RESOLUTION)
        lines = [[n.w[0].data, n.w[1].data, n.b.data] for n in replayed.layers[0].neurons]
        inputs = [Value(v, label=f"x{i}") for i, v in enumerate(X[sample])]
        first, out = _first_layer_then_rest(replayed, inputs)
        drawn = first[neuron_index]
        drawn.label = "h"  # the neuron's output, a value inside the network: not its output, not a loss
        grads = fresh_gradients(out[labels[sample]] if isinstance(out, list) else out)
        frames.append(_graph_svg(drawn, neuron, grads))
        progress = recorder.progress[k]
        diverged = not (math.isfinite(progress.loss) and all(map(math.isfinite, recorder.parameters[k])))
        loss = {"loss": number_text(f"{progress.loss:.4f}")}
        steps.append(
            {
                "step": k + 1,
                "loss": (_("loss %(loss)s: the training diverged") if diverged else _("loss %(loss)s")) % loss,
                "diverged": diverged,
                "accuracy": ""
                if progress.accuracy is None
                else _("accuracy %(percent)s") % {"percent": _percent(progress.accuracy)},
                "classes": classes,
                "lines": lines,
            }
        )
    data = {
        "box": [grid_x[0], grid_x[-1], grid_y[0], grid_y[-1]],
        "points": [[x[0], x[1], c] for x, c in zip(X, labels)],
        "steps": steps,
        "classColors": _CLASS_COLORS,
        "areaColors": _AREA_COLORS,
    }
    losses = [recorder.progress[k].loss for k in _chosen_steps(len(recorder.progress))]
    accuracies = [recorder.progress[k].accuracy for k in _chosen_steps(len(recorder.progress))]
    facts = {
        "neuron": neuron_index,
        "sample": sample,
        "x0": number_text(f"{X[sample][0]:.3f}"),
        "x1": number_text(f"{X[sample][1]:.3f}"),
        "class": labels[sample],
    }
    if len(steps) and not model.nouts[-1] > 1:
        caption = _(
            "neuron %(neuron)d of the first layer on sample %(sample)d (x0 = %(x0)s, x1 = %(x1)s, class %(class)d): "
            "its output h, its values, and the gradients of the network's output (its score)"
        )
    else:
        caption = _(
            "neuron %(neuron)d of the first layer on sample %(sample)d (x0 = %(x0)s, x1 = %(x1)s, class %(class)d): "
            "its output h, its values, and the gradients of the network's output (the logit of class %(class)d)"
        )
    caption %= facts
    words = {
        "counter": _("step %(step)d of %(total)d"),
        "slider": _("training step"),
        "boundary": _("decision boundary, the data, and each first-layer neuron's line w0·x0 + w1·x1 + b = 0"),
        "loss": _("loss"),
        "accuracy": _("accuracy"),
    }
    graphs = "".join(f'<div class="tgs-graph">{svg}</div>' for svg in frames)
    last = len(steps) - 1
    script = f"{asset('tinygrad_scalar.views', 'data.js')}\n{asset('tinygrad_scalar.views', 'replay.js')}\n"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang()}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{asset('tinygrad_scalar.views', 'replay.css')}</style></head>"
        f'<body><h1>{html.escape(title)}</h1><div class="tgs-replay" data-step="0">'
        '<div class="tgs-controls">'
        f'<input type="range" class="tgs-slider" min="0" max="{last}" value="0" '
        f'aria-label="{html.escape(words["slider"])}">'
        '<span class="tgs-counter"></span> <span class="tgs-loss"></span> <span class="tgs-accuracy"></span></div>'
        '<div class="tgs-row"><div><canvas class="tgs-plane" width="480" height="480"></canvas>'
        f"<p>{html.escape(words['boundary'])}</p></div>"
        f"<div>{_curve(losses, words['loss'], lambda v: number_text(f'{v:.3g}'))}"
        f"{_curve(accuracies, words['accuracy'], lambda v: _whole_percent(v))}</div></div>"
        f'<p class="tgs-caption">{html.escape(caption)}</p>{graphs}'
        f'<script type="application/json" class="tgs-replay-data" id="tgs-replay-data">{script_json(data)}</script>'
        f'<script type="application/json" class="tgs-words">{script_json(words)}</script>'
        f'</div><script>{script}tgsReplay(document.querySelector(".tgs-replay"));</script></body></html>\n'
    )


def _whole_percent(fraction: float) -> str:
    """A fraction as a whole percentage, as the class writes it (``90%``, ``90 %``)."""
    return _("%(number)s%%") % {"number": f"{fraction * 100:.0f}"}
