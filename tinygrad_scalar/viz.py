"""Pictures of computation graphs, drawn with graphviz.

``draw_dot(root)`` gives the picture the micrograd lecture made popular: one record per value
(``label | data … | grad …``), a small node per operation, and edges from the inputs to the
operation to its result. It returns a ``graphviz.Digraph``, which Jupyter shows inline as SVG;
``save_graph(root, 'graph.svg')`` (or ``.png``, ``.pdf``, ``.dot``) writes it in one call.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x')
>>> print(draw_dot(x * 3).source.splitlines()[0])
digraph {

Options add what a class needs: colours that tell inputs, parameters, constants and the output
apart; gradients hidden as ``?`` for exercises; every edge labelled with the contribution it
carried back (local derivative x upstream gradient); values that sum several contributions
outlined (the sum rule made visible); each neuron of a model in its own box.

Building the DOT source needs only the small ``graphviz`` Python package; rendering it (SVG, PNG,
PDF, Jupyter) needs Graphviz's ``dot`` program, and says how to install it when it is missing.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_scalar.engine import Constant, Value, contributions, topological_order
from tinygrad_scalar.files import atomic_write
from tinygrad_scalar.nn import MLP, Layer, Module, Neuron

__all__ = [
    "COLORS",
    "FORMATS",
    "DotNotFoundError",
    "Graph",
    "GraphTooLargeError",
    "draw_dot",
    "save_graph",
    "save_svg",
]

COLORS = {
    "input": "#dbeafe",  # a leaf the user made: blue
    "parameter": "#fde68a",  # a parameter of the model: amber
    "constant": "#e5e7eb",  # a number written in the expression: grey
    "output": "#bbf7d0",  # the root: green
    "intermediate": "#ffffff",
}
"""Fill colour of each kind of value node."""

SUM_COLOR = "#dc2626"
"""Outline of a value whose gradient sums several contributions (with ``sum_rule=True``)."""

FORMATS = ("svg", "png", "pdf", "dot")
"""What ``save_graph`` writes: Graphviz's formats, or the DOT source itself."""

_INSTALL_HINT = (
    "Graphviz's 'dot' program is not installed (or not on PATH), and rendering a graph needs it. "
    "Install it with 'apt-get install graphviz' (Debian, Ubuntu), 'brew install graphviz' (macOS) "
    "or 'conda install graphviz'; 'make test' installs it for you. "
    "Building the DOT source (draw_dot(...).source) works without it."
)

_ACTIVATION_OPS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "linear": None}


class DotNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, and it is not on ``PATH``."""


class GraphTooLargeError(ValueError):
    """The graph has more value nodes than ``max_nodes``: such a picture is unreadable."""


def _require_dot() -> None:
    if shutil.which("dot") is None:
        raise DotNotFoundError(_INSTALL_HINT)


class Graph(graphviz.Digraph):  # type: ignore[misc]  # graphviz is untyped
    """A ``graphviz.Digraph`` that checks for the ``dot`` program before rendering, and says how to
    install it when it is missing, instead of failing deep inside a subprocess call."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        _require_dot()
        return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        _require_dot()
        return super().render(*args, **kwargs)

    def _repr_mimebundle_(self, *args: Any, **kwargs: Any) -> Any:
        _require_dot()
        return super()._repr_mimebundle_(*args, **kwargs)


def escape_record_text(text: str) -> str:
    """``text`` as a field of a Graphviz record label, shown exactly as written.

    In record labels ``{ } | < >`` structure the record and spaces separate tokens, so they are
    escaped with a backslash; so are ``"`` and the backslash itself (``\\N`` would otherwise print
    the node's name). A newline becomes a line break.
    """
    out = []
    for ch in text:
        if ch in '\\{}|<>" ':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _format_number(fmt: str, x: float) -> str:
    return fmt % x


def _neurons_of(model: Module) -> list[tuple[str, Neuron]]:
    if isinstance(model, Neuron):
        return [("neuron", model)]
    if isinstance(model, Layer):
        return [(f"neuron {j}", n) for j, n in enumerate(model.neurons)]
    if isinstance(model, MLP):
        return [
            (f"layer {i}, neuron {j}", n) for i, layer in enumerate(model.layers) for j, n in enumerate(layer.neurons)
        ]
    raise TypeError(f"model= takes a Neuron, Layer or MLP, got {type(model).__name__}")


def _neuron_clusters(order: Sequence[Value], model: Module) -> tuple[dict[Value, int], list[str]]:
    """Which nodes each call of a neuron made: its products w_j * x_j, the running sum that starts at
    its bias, and its activation. Returns node -> cluster number, and each cluster's title.

    A neuron called on several samples gets one cluster per call; its parameters join the cluster
    when there is exactly one.
    """
    neurons = _neurons_of(model)
    weight_at: dict[Value, tuple[int, int]] = {}
    for k, (_, neuron) in enumerate(neurons):
        for j, w in enumerate(neuron.w):
            weight_at[w] = (k, j)
    product: dict[Value, tuple[int, int]] = {}  # w_j * x_j -> (neuron, j)
    running_sum: dict[Value, tuple[int, int]] = {}  # b + w_0 x_0 + ... + w_j x_j -> (neuron, j)
    cluster: dict[Value, int] = {}
    owner: list[int] = []  # cluster -> neuron
    calls: Counter[int] = Counter()
    last_call: dict[int, int] = {}  # neuron -> the cluster of its latest call
    finished: dict[Value, int] = {}  # the complete sum of a call -> neuron
    for node in order:
        if node._op == "*":
            for p in node._prev:
                if p in weight_at:
                    product[node] = weight_at[p]
                    break
        elif node._op == "+" and node._prev[1] in product:
            a, b = node._prev
            k, j = product[b]
            neuron = neurons[k][1]
            if j == 0 and a is neuron.b:
                cluster[node] = last_call[k] = len(owner)
                owner.append(k)
                calls[k] += 1
            elif running_sum.get(a) == (k, j - 1):
                cluster[node] = cluster[a]
            else:
                continue
            cluster[b] = cluster[node]
            running_sum[node] = (k, j)
            if j == len(neuron.w) - 1:
                finished[node] = k
        elif len(node._prev) == 1 and node._prev[0] in finished:
            k = finished[node._prev[0]]
            if node._op == _ACTIVATION_OPS[neurons[k][1].activation]:
                cluster[node] = cluster[node._prev[0]]
    for k, (_, neuron) in enumerate(neurons):
        if calls[k] == 1:
            for p in neuron.parameters():
                cluster[p] = last_call[k]
    # Number the clusters in the model's order (layer by layer), not in the order the walk met them.
    renumber = {c: i for i, c in enumerate(sorted(range(len(owner)), key=lambda c: (owner[c], c)))}
    titles = [neurons[owner[c]][0] for c in sorted(renumber, key=renumber.__getitem__)]
    return {node: renumber[c] for node, c in cluster.items()}, titles


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    fmt: str = "%.4f",
    show_grad: bool = True,
    edge_grads: bool = False,
    sum_rule: bool = False,
    parameters: Iterable[Value] = (),
    model: Module | None = None,
    colors: bool = True,
    max_nodes: int = 500,
    highlight: Mapping[Value, str] | None = None,
    unknown: Iterable[Value] = (),
) -> Graph:
    """Draw the computation graph that ``root`` depends on.

    Args:
        root: the value to draw from, usually the output or the loss.
        rankdir: ``'LR'`` (left to right, the default) or ``'TB'`` (top to bottom).
        fmt: printf-style format of the numbers, ``'%.4f'`` by default.
        show_grad: ``False`` shows every gradient as ``?``, for exercises.
        edge_grads: label each edge from a parent to an operation with the contribution it carried
            back in the last backward pass (local derivative x upstream gradient).
        sum_rule: outline the values whose gradient is the sum of several contributions (used more
            than once), with the number of contributions.
        parameters: values to colour as parameters; ``model.parameters()`` when ``model`` is given.
        model: an ``nn`` model (``Neuron``, ``Layer`` or ``MLP``): its parameters are coloured and
            each call of each neuron is drawn in its own box.
        colors: ``False`` for the plain black-and-white look.
        max_nodes: refuse graphs with more value nodes than this (a picture that size is unreadable).
        highlight: values to outline, each with its colour (the backward stepper marks the current node).
        unknown: values whose gradient is not known yet, shown as ``?``.

    Returns:
        A ``Graph`` (a ``graphviz.Digraph``): ``.source`` is the DOT text; in Jupyter it shows as SVG.

    The DOT source is deterministic: nodes are numbered in topological order, so the same graph
    gives the same text on every run and every machine.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    try:
        _format_number(fmt, 1.0)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"fmt must be a printf-style format for one number, like '%.4f' or '%.2e', got {fmt!r}"
        ) from error
    order = topological_order(root)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order)} value nodes, more than max_nodes={max_nodes}; a picture that size is "
            f"unreadable. Draw a part of it (draw_dot(some_inner_value)), or pass max_nodes={len(order)} "
            f"to draw it anyway."
        )
    names: dict[Value, str] = {}  # what an unlabelled parameter is called in the picture: w0, w1, ..., b
    if model is not None:
        parameters = model.parameters()
        for _, neuron in _neurons_of(model):
            names.update({w: f"w{j}" for j, w in enumerate(neuron.w)})
            names[neuron.b] = "b"
    params = set(parameters)
    cluster, titles = _neuron_clusters(order, model) if model is not None else ({}, [])
    name = {node: f"v{i}" for i, node in enumerate(order)}
    uses = Counter(p for node in order for p in node._prev)
    hidden = set(unknown)
    outline = highlight or {}

    font = {"fontname": "Helvetica"}
    graph = Graph(graph_attr={"rankdir": rankdir, **font}, node_attr=font, edge_attr={**font, "fontsize": "11"})
    boxes = [
        graphviz.Digraph(
            name=f"cluster_{c}", graph_attr={"label": title, "style": "rounded,dashed", "color": "#6b7280"}
        )
        for c, title in enumerate(titles)
    ]

    for node in order:
        where = boxes[cluster[node]] if node in cluster else graph
        grad = _format_number(fmt, node.grad) if show_grad and node not in hidden else "?"
        if sum_rule and uses[node] > 1:
            grad += f" (sum of {uses[node]})"
        fields = [
            escape_record_text(node.label or names.get(node, "")),
            f"data {_format_number(fmt, node.data)}",
            f"grad {grad}",
        ]
        attrs = {"shape": "record", "label": graphviz.nohtml("{ " + " | ".join(fields) + " }")}
        if colors:
            attrs.update(style="filled", fillcolor=COLORS[_kind(node, root, params)])
        if sum_rule and uses[node] > 1:
            attrs.update(color=SUM_COLOR, penwidth="2.5")
        if node in outline:
            attrs.update(color=outline[node], penwidth="4")
        where.node(name[node], **attrs)
        if node._prev:
            op = name[node] + "op"
            op_label = graphviz.nohtml(node._op.replace("\\", "\\\\") or "?")
            where.node(op, label=op_label, shape="circle" if len(node._op) <= 2 else "ellipse")
            graph.edge(op, name[node])
            carried = contributions(node) if edge_grads else ()
            for i, parent in enumerate(node._prev):
                label = {"label": _format_number(fmt, carried[i])} if edge_grads and show_grad else {}
                graph.edge(name[parent], op, **label)
    for box in boxes:
        graph.subgraph(box)
    return graph


def _kind(node: Value, root: Value, params: set[Value]) -> str:
    if node is root:
        return "output"
    if node in params:
        return "parameter"
    if isinstance(node, Constant):
        return "constant"
    return "intermediate" if node._prev else "input"


def save_graph(root: Value, path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Path:  # noqa: A002
    """Draw ``root``'s graph and write it to ``path`` in one call; returns the path written.

    ``format`` is one of ``FORMATS`` (``'svg'``, ``'png'``, ``'pdf'``, ``'dot'``); by default it is
    taken from the file's suffix. ``options`` go to ``draw_dot``. The file is replaced atomically.
    """
    target = Path(path)
    chosen = format or target.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        raise ValueError(
            f"cannot tell which format to write for {str(target)!r}: give format= one of {', '.join(FORMATS)} "
            f"or use one of those suffixes"
        )
    graph = draw_dot(root, **options)
    data = graph.source.encode("utf-8") if chosen == "dot" else graph.pipe(format=chosen)
    return atomic_write(target, data)


def save_svg(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """``save_graph(root, path, format='svg', **options)``: the picture as an SVG file."""
    return save_graph(root, path, format="svg", **options)
