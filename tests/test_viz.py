"""Pictures of graphs: DOT source, real SVG from Graphviz's dot, escaping, determinism, limits, clusters."""

import html
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from tinygrad_scalar import MLP, Value
from tinygrad_scalar.core.engine import topological_order
from tinygrad_scalar.views.dot import (
    COLORS,
    KINDS,
    MAX_NODES,
    SUM_COLOR,
    GraphTooLargeError,
    RenderError,
    RenderTimeoutError,
    draw_dot,
    escape_record_text,
    number_format_problem,
    save_graph,
    save_svg,
)

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"


def lecture_neuron() -> Value:
    """The neuron of the micrograd lecture, labelled as there, after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def svg_nodes(svg: bytes | str) -> dict[str, list[str]]:
    """Each graph node of an SVG made by dot: its name (title) -> the texts it shows, whitespace folded."""
    root = ET.fromstring(svg)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title").text
            texts = [" ".join((t.text or "").replace("\xa0", " ").split()) for t in g.iter(f"{SVG}text")]
            nodes[title] = [t for t in texts if t]
    return nodes


def test_lecture_neuron_dot_source_matches_the_golden_file():
    """The DOT source of the lecture's neuron is exactly the reviewed golden file."""
    assert draw_dot(lecture_neuron()).source == (GOLDEN / "lecture_neuron.dot").read_text()


def test_lecture_neuron_svg_shows_values_and_gradients():
    """Rendered by the real dot, the SVG has one record per value with the lecture's numbers, and the ops."""
    nodes = svg_nodes(draw_dot(lecture_neuron()).pipe(format="svg"))
    records = {tuple(texts) for texts in nodes.values()}
    for expected in [
        ("x1", "data 2.0000", "grad -1.5000"),
        ("w1", "data -3.0000", "grad 1.0000"),
        ("x2", "data 0.0000", "grad 0.5000"),
        ("w2", "data 1.0000", "grad 0.0000"),
        ("b", "data 6.8814", "grad 0.5000"),
        ("n", "data 0.8814", "grad 0.5000"),
        ("o", "data 0.7071", "grad 1.0000"),
    ]:
        assert expected in records
    ops = sorted(texts[0] for name, texts in nodes.items() if name.endswith("op"))
    assert ops == ["*", "*", "+", "+", "tanh"]


def test_edges_go_from_inputs_to_operation_to_result():
    """x * y draws x -> op, y -> op, op -> result, and nothing else."""
    x, y = Value(1.0), Value(2.0)
    source = draw_dot(x * y).source
    edges = re.findall(r"^\t(\w+) -> (\w+)", source, flags=re.MULTILINE)
    assert sorted(edges) == sorted([("v0", "v2op"), ("v1", "v2op"), ("v2op", "v2")])


def test_rankdir_and_number_format():
    """rankdir='TB' and fmt='%.2f' reach the DOT source; a bad rankdir or format is a clear error."""
    source = draw_dot(Value(1.0, label="x") * 2, rankdir="TB", fmt="%.2f").source
    assert "rankdir=TB" in source
    assert "data 1.00 " in source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="RL")
    with pytest.raises(ValueError, match="printf-style"):
        draw_dot(Value(1.0), fmt="%d %d")


def test_hidden_gradients_show_a_question_mark():
    """show_grad=False writes 'grad ?' for every value, and no gradient number anywhere."""
    o = lecture_neuron()
    nodes = svg_nodes(draw_dot(o, show_grad=False, edge_grads=True).pipe(format="svg"))
    grads = [t for texts in nodes.values() for t in texts if t.startswith("grad")]
    assert grads and set(grads) == {"grad ?"}
    assert "-1.5000" not in draw_dot(o, show_grad=False, edge_grads=True).source


def fills(source: str) -> dict[str, str]:
    """Each labelled record's fill colour: label -> colour."""
    return dict(re.findall(r'label="\{ ([^ |]*) \|[^\]]*fillcolor="([^"]+)"', source))


def test_colours_tell_leaves_parameters_numbers_and_output_apart():
    """Without model=, a Value leaf is a leaf, a lifted number a number; parameters= and the root keep theirs."""
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = (w * x + 1).tanh()
    y.label = "y"
    source = draw_dot(y, parameters=[w]).source
    assert fills(source)["x"] == COLORS["leaf"]
    assert fills(source)["w"] == COLORS["parameter"]
    assert fills(source)["y"] == COLORS["output"]
    assert fills(source)["u1"] == COLORS["intermediate"]  # w*x, named as explanations name it
    assert f'fillcolor="{COLORS["number"]}"' in source  # the 1 of w*x + 1
    assert "fillcolor" not in draw_dot(y, colors=False).source


def test_lecture_mlp_without_model_colours_no_weight_as_an_input():
    """draw_dot(n(x)) of the lecture's MLP: weights are leaf Values, the float inputs numbers, nothing an input."""
    n = MLP(3, [4, 4, 1], seed=1)
    out = n([2.0, 3.0, -1.0])
    out.backward()
    source = draw_dot(out).source
    for p in n.parameters():
        node = re.search(r"\t(v\d+) \[label=\"\{ v\d+ \| data " + re.escape(f"{p.data:.4f}") + " ", source)
        assert node is not None
    records = record_fills(source)
    assert records.count(COLORS["leaf"]) == n.num_parameters()
    assert records.count(COLORS["number"]) == 3 * 4  # each of the 3 inputs, lifted once per first-layer neuron
    assert COLORS["input"] not in records and COLORS["parameter"] not in records


def test_model_colours_its_parameters_and_its_inputs():
    """With model=, the weights and biases are parameters and the leaves they multiply are inputs."""
    n = MLP(3, [4, 4, 1], seed=1)
    x = [Value(v, label=f"x{i}") for i, v in enumerate([2.0, 3.0, -1.0])]
    out = n(x)
    out.backward()
    records = record_fills(draw_dot(out, model=n, level="values").source)
    assert records.count(COLORS["parameter"]) == n.num_parameters()
    assert records.count(COLORS["input"]) == 3
    assert COLORS["leaf"] not in records and COLORS["number"] not in records


def record_fills(source: str) -> list[str]:
    """The fill colour of each value record, in order."""
    return [re.search(r'fillcolor="([^"]+)"', line).group(1) for line in source.splitlines() if "shape=record" in line]


def legend_rows(source: str) -> list[str]:
    """The texts of the legend's rows, in order (the legend is the picture's label, under it)."""
    legend = re.search(r"\tlabel=<(<table.*</table>)> labeljust=l labelloc=b", source)
    return (
        [html.unescape(row) for row in re.findall(r'<td align="left">([^<]+)</td>', legend.group(1))] if legend else []
    )


def test_legend_explains_every_colour_in_the_picture():
    """Every fill colour the picture uses has a legend row with its meaning, and no other row is there."""
    n = MLP(2, [2, 1], seed=0)
    out = n([Value(0.5, label="x0"), Value(-1.0, label="x1")]) * 2
    out.backward()
    source = draw_dot(out, model=n, level="values", sum_rule=True).source
    used = set(record_fills(source))
    meanings = {color: meaning for color, meaning in KINDS.values()}
    rows = legend_rows(source)
    assert sorted(rows[: len(used)]) == sorted(meanings[color] for color in used)
    assert "several contributions" in rows[len(used)]  # x0 and x1 feed both hidden neurons
    assert "the values one call of one neuron made" in rows[len(used) + 1]  # the dashed boxes
    assert len(rows) == len(used) + 2
    assert "labelloc" not in draw_dot(out, colors=False).source
    assert "labelloc" not in draw_dot(out, legend=False).source


def test_no_color_draws_the_sum_rule_outline_in_black():
    """With colors=False, the sum rule's outline is black, never red."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    f.backward()
    source = draw_dot(f, sum_rule=True, colors=False).source
    line = next(line for line in source.splitlines() if "{ y |" in line)
    assert "color=black" in line and "penwidth" in line
    assert SUM_COLOR not in source


def edge_labels(source: str) -> dict[tuple[str, str], str]:
    """(parent, operation) -> the label of the node that sits on that edge."""
    on_edge = dict(re.findall(r"^\t(\w+_in\d+) \[label=\"?([^\s\"]+)\"? ", source, re.MULTILINE))
    parents = {b: a for a, b in re.findall(r"^\t(\w+) -> (\w+_in\d+) \[arrowhead=none\]", source, re.MULTILINE)}
    ops = dict(re.findall(r"^\t(\w+_in\d+) -> (\w+)$", source, re.MULTILINE))
    return {(parents[k], ops[k]): label for k, label in on_edge.items()}


def test_edge_labels_carry_each_contribution():
    """edge_grads=True puts on every parent -> op edge its local derivative x upstream gradient."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    f.backward()
    labels = edge_labels(draw_dot(f, edge_grads=True).source)
    # order: x=v0, y=v1, x+y=v2, f=v3
    assert labels == {
        ("v0", "v2op"): "3.0000",  # d(x+y)/dx * df/d(x+y) = 1 * y
        ("v1", "v2op"): "3.0000",
        ("v2", "v3op"): "3.0000",  # df/d(x+y) = y
        ("v1", "v3op"): "5.0000",  # df/dy through the product = x + y
    }


def test_each_edge_grad_label_sits_on_its_own_edge():
    """Rendered by dot, each contribution is drawn on the path from its parent to its operation."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    f.backward()
    root = ET.fromstring(draw_dot(f, edge_grads=True).pipe(format="svg"))
    titles = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"}
    for parent, op in [("v0", "v2op"), ("v1", "v2op"), ("v2", "v3op"), ("v1", "v3op")]:
        label = next(t for t in titles if t.startswith(f"{parent}->{op}_in"))
        assert f"{label.split('->')[1]}->{op}" in titles  # parent -> label, then label -> operation


def test_sum_rule_outlines_values_with_several_contributions():
    """sum_rule=True outlines y in (x + y) * y, whose gradient 8 = 3 + 5 sums two contributions."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x + y) * y
    f.backward()
    source = draw_dot(f, sum_rule=True).source
    line = next(line for line in source.splitlines() if "{ y |" in line)
    assert "grad 8.0000 (sum of 2)" in line
    assert "penwidth" in line
    assert "penwidth" not in next(line for line in source.splitlines() if "{ x |" in line)


@pytest.mark.parametrize(
    "label",
    ['a|b{c}<d>"e\\f', "line one\nline two", "\\N \\G \\L", "back\\", "two  spaces", "<html>", "{ } | < >"],
)
def test_labels_render_as_written(label: str):
    """A label with record syntax characters, quotes, backslashes or a newline shows exactly as written."""
    x = Value(1.0, label=label)
    nodes = svg_nodes(draw_dot(x * 2).pipe(format="svg"))
    shown = nodes["v0"]
    lines = [" ".join(part.split()) for part in label.split("\n")]
    assert shown[: len(lines)] == lines
    assert shown[len(lines) :] == ["data 1.0000", "grad 0.0000"]


def test_escape_record_text():
    """The escaping itself: each special character gets a backslash, a newline becomes \\n."""
    assert escape_record_text('a|{b}<c>"d\\ e\nf') == 'a\\|\\{b\\}\\<c\\>\\"d\\\\\\ e\\nf'


def test_dot_source_is_deterministic_across_processes():
    """The same graph gives byte-identical DOT source in separate processes with different hash seeds."""
    code = (
        "from tinygrad_scalar import MLP; from tinygrad_scalar.views.dot import draw_dot\n"
        "m = MLP(2, [3, 1], seed=5); out = m([0.5, -1.0]); out.backward()\n"
        "print(draw_dot(out, model=m, edge_grads=True, sum_rule=True).source)"
    )
    sources = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(sources) == 1
    assert "id(" not in sources.pop()


def test_too_large_graph_is_refused_with_a_way_out():
    """Over max_nodes, draw_dot refuses and says how to raise the limit or draw a part."""
    x = Value(1.0)
    y = x
    for _ in range(300):
        y = y * 1.0
    with pytest.raises(GraphTooLargeError) as info:
        draw_dot(y)
    assert "601 value nodes" in str(info.value)
    assert "max_nodes=601" in str(info.value)
    assert "draw_dot(some_inner_value)" in str(info.value)
    assert draw_dot(y, max_nodes=601).source.count("shape=record") == 601


def test_mlp_on_one_sample_draws_one_box_per_neuron():
    """model= puts each neuron's parameters, products, running sum and activation in its own cluster."""
    model = MLP(2, [3, 2, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    source = draw_dot(out, model=model, level="values").source
    titles = re.findall(r'label="(layer \d+, neuron \d+)"', source)
    assert titles == [f"layer {i}, neuron {j}" for i, n in enumerate([3, 2, 1]) for j in range(n)]
    clusters = re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", source, flags=re.DOTALL)
    assert len(clusters) == 6
    for body, (i, j) in zip(clusters, [(i, j) for i, n in enumerate([3, 2, 1]) for j in range(n)]):
        neuron = model.layers[i].neurons[j]
        records = body.count("shape=record")
        nin = len(neuron.w)
        # parameters (nin + 1), products (nin), running sums (nin), activation (1, none for the linear output)
        assert records == 3 * nin + 1 + (1 if neuron.nonlin else 0)
        assert body.count(f'fillcolor="{COLORS["parameter"]}"') == nin + 1
        assert f"{{ w{i}.{j}.0 |" in body and f"{{ b{i}.{j} |" in body  # named after their place in the model


def test_mlp_on_several_samples_draws_one_box_per_call():
    """A neuron called on two samples gets two boxes; its shared parameters stay outside them."""
    model = MLP(2, [2, 1], seed=0)
    loss = model([1.0, 2.0]) + model([-1.0, 0.5])
    loss.backward()
    source = draw_dot(loss, model=model, level="values").source
    assert len(re.findall(r"subgraph cluster_", source)) == 2 * 3


def test_svg_displays_inline_in_jupyter():
    """The Graph's mime bundle carries SVG, which Jupyter shows inline, marked unconfined: JupyterLab then shows it
    at the size it says instead of shrinking it to the cell."""
    bundle, metadata = draw_dot(lecture_neuron())._repr_mimebundle_()
    assert "data 0.7071" in bundle["image/svg+xml"]
    assert metadata == {"image/svg+xml": {"unconfined": True}}


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_save_graph_writes_every_format(tmp_path: Path, fmt: str):
    """save_graph picks the format from the suffix and writes a real file of that kind."""
    path = save_graph(lecture_neuron(), tmp_path / f"neuron.{fmt}")
    data = path.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}[fmt]
    assert data.startswith(magic)


def test_save_svg_is_one_call_and_replaces_atomically(tmp_path: Path):
    """save_svg writes the picture; a failing save leaves the previous file as it was."""
    path = tmp_path / "neuron.svg"
    save_svg(lecture_neuron(), path)
    before = path.read_bytes()
    assert "data 0.7071" in before.decode()
    with pytest.raises(ValueError, match="printf-style"):
        save_svg(lecture_neuron(), path, fmt="%q")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.svg"]  # no temporary file left behind
    assert path.stat().st_mode & 0o044 == 0o044  # readable by others, like any file the user writes
    with pytest.raises(ValueError, match="cannot tell which format"):
        save_graph(lecture_neuron(), tmp_path / "neuron.gif")


def test_missing_dot_fails_at_once_naming_the_package_and_source_still_works(tmp_path: Path):
    """With no dot on PATH, rendering raises DotNotFoundError naming the packages; .source still works."""
    code = (
        "from tinygrad_scalar import Value\n"
        "from tinygrad_scalar.views.dot import DotNotFoundError, draw_dot\n"
        "g = draw_dot(Value(2.0, label='x') * 3)\n"
        "assert 'data 6.0000' in g.source\n"
        "for render in (lambda: g.pipe(format='svg'), lambda: g._repr_mimebundle_(), lambda: g.render('out')):\n"
        "    try:\n"
        "        render()\n"
        "    except DotNotFoundError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": str(tmp_path)},
        check=True,
    )
    messages = result.stdout.strip().splitlines()
    assert len(messages) == 3
    for message in messages:
        assert "apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "conda install graphviz" in message
    assert list(tmp_path.iterdir()) == []


def test_draw_dot_returns_a_graphviz_digraph():
    """The result is a graphviz.Digraph, usable with all of graphviz's API."""
    assert isinstance(draw_dot(Value(1.0)), graphviz.Digraph)


@pytest.mark.parametrize("fmt", ["%.2f<a>", "%.2f|", "%.2f\\N", "%.2f{", "<%.2f>", '%.2f"', "%.2f\\l"])
def test_formatted_numbers_are_escaped_in_the_dot_source(fmt: str):
    """Whatever text the format adds around a number shows as written: in records and on edges."""
    x = Value(1.0, label="x")
    y = x * 2
    y.backward()
    nodes = svg_nodes(draw_dot(y, fmt=fmt, edge_grads=True).pipe(format="svg"))
    assert nodes["v0"] == ["x", "data " + fmt % 1.0, "grad " + fmt % 2.0]
    assert nodes["v2op_in0"] == [fmt % 2.0]


@pytest.mark.parametrize(
    ("fmt", "says"),
    [
        ("%d", "whole numbers"),
        ("%i", "whole numbers"),
        ("%u", "whole numbers"),
        ("%s", "does not format a number"),
        ("%r", "does not format a number"),
        ("%.17000f", "precision 17000 is too large"),
        ("%900000000f", "width 900000000 is too large"),
        ("%f %f", "2 conversions"),
        ("plain", "no conversion"),
        ("%(x)f", "not supported"),
        ("%*f", "not supported"),
        ("%.2f" + "x" * 200, "characters long"),
    ],
)
def test_number_format_must_be_one_bounded_float_conversion(fmt: str, says: str):
    """draw_dot refuses, naming fmt=, any format but one float conversion of bounded width and precision."""
    assert says in number_format_problem(fmt)
    with pytest.raises(ValueError, match=r"fmt=") as info:
        draw_dot(Value(1.0), fmt=fmt)
    assert says in str(info.value)


@pytest.mark.parametrize("fmt", ["%.2f", "%+.3e", "%g%%", "x=%.1f", "%10.4F", "%-8.2G"])
def test_number_formats_that_are_accepted(fmt: str):
    """One float conversion with any flags, a bounded width and precision, and literal text is accepted."""
    assert number_format_problem(fmt) is None
    assert f"data {escape_record_text(fmt % 1.5)}" in draw_dot(Value(1.5), fmt=fmt).source


def test_dot_failure_is_a_render_error_with_what_dot_said():
    """A label past dot's 16,384-character limit makes the real dot fail: RenderError quotes dot."""
    graph = draw_dot(Value(1.0, label="x" * 20_000))
    with pytest.raises(RenderError) as info:
        graph.pipe(format="svg")
    assert "16384" in info.value.dot_said
    assert not info.value.broken_install
    assert "Graphviz's dot failed" in str(info.value)


def test_broken_graphviz_install_is_a_render_error_that_says_so(tmp_path: Path):
    """A dot that has no output formats (a broken install) gives RenderError(broken_install=True) naming 'dot -c'."""
    (tmp_path / "dot").write_text(
        "#!/bin/sh\necho 'Format: \"svg\" not recognized. No formats found.' >&2\nexit 1\n", encoding="utf-8"
    )
    (tmp_path / "dot").chmod(0o755)
    code = (
        "from tinygrad_scalar import Value\n"
        "from tinygrad_scalar.views.dot import RenderError, draw_dot\n"
        "try:\n"
        "    draw_dot(Value(1.0)).pipe(format='svg')\n"
        "except RenderError as error:\n"
        "    print(error.broken_install, error)\n"
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.startswith("True ") and "dot -c" in result.stdout and "not recognized" in result.stdout


def test_rendering_is_stopped_at_the_time_limit():
    """A graph dot needs minutes for (one x in 3 groups of 60 products) is stopped at timeout= with a clear error."""
    x = Value(1.0, label="x")
    total = Value(0.0)
    for _ in range(3):
        product = x
        for _ in range(59):
            product = product * x
        total = total + product
    graph = draw_dot(total, timeout=1.0)
    with pytest.raises(RenderTimeoutError) as info:
        graph.pipe(format="svg")
    assert info.value.values == len(topological_order(total))
    assert "did not finish" in str(info.value) and "1 s" in str(info.value)


def test_default_size_limit_is_the_measured_one():
    """By default draw_dot takes MAX_NODES (200) values and refuses one more."""
    x = Value(1.0)
    y = x
    while len(topological_order(y)) < MAX_NODES:
        y = y.tanh()
    assert MAX_NODES == 200 and draw_dot(y).source
    with pytest.raises(GraphTooLargeError, match="max_nodes=201"):
        draw_dot(y.tanh())


JUPYTERLAB = """
.jp-OutputArea-output { width: 900px; overflow: auto; }
.jp-RenderedSVG img { max-width: 100%; height: auto; }
.jp-RenderedSVG.jp-mod-unconfined img { max-width: none; }
"""
"""What JupyterLab does with SVG output, in its own rules: an output area as wide as a cell (900 px) that scrolls,
the picture an <img> of its own size, shrunk to the cell unless the output is marked unconfined."""


def shown_in_jupyterlab(graph) -> dict:
    """The picture as JupyterLab shows it, measured in Chromium: its width, the cell's, whether the cell scrolls,
    and the height of its smallest text in CSS pixels."""
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    from tests.chromium import ARGS, CHROMIUM

    bundle, metadata = graph._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    unconfined = " jp-mod-unconfined" if metadata["image/svg+xml"].get("unconfined") else ""
    page_html = (
        f"<html><head><style>{JUPYTERLAB}</style></head><body style='margin:0'><div class='jp-OutputArea-output'>"
        f"<div class='jp-RenderedSVG{unconfined}'><img src='data:image/svg+xml,{quote(svg)}'></div></div></body></html>"
    )
    view_width = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', svg).group(1))
    smallest = min(float(f) for f in re.findall(r'font-size="([\d.]+)"', svg))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.set_content(page_html)
        page.wait_for_function("document.querySelector('img').complete")
        width = page.eval_on_selector("img", "i => i.getBoundingClientRect().width")
        scrolls = page.eval_on_selector(".jp-OutputArea-output", "o => o.scrollWidth > o.clientWidth")
        browser.close()
    return {"width": width, "scrolls": scrolls, "text": smallest * width / view_width}


def test_a_wide_notebook_picture_scrolls_rather_than_shrinks_below_12_px():
    """The lecture neuron with a contribution on every edge, as JupyterLab shows it in a 900 px cell: its smallest
    text (the edges' numbers) is at least 12 px high, so the picture is wider than the cell, which scrolls."""
    shown = shown_in_jupyterlab(draw_dot(lecture_neuron(), edge_grads=True))
    assert shown["text"] >= 12 - 0.01, shown
    assert shown["scrolls"] and shown["width"] > 900, shown


def test_a_small_notebook_picture_fits_the_cell_at_its_own_size():
    """A small graph is shown at its own size, inside the cell, without a scroll bar."""
    x = Value(2.0, label="x")
    graph = draw_dot(x * 3)
    shown = shown_in_jupyterlab(graph)
    natural = float(re.search(r'<svg width="([\d.]+)pt"', graph.pipe(format="svg").decode()).group(1)) * 4 / 3
    assert not shown["scrolls"] and shown["width"] == pytest.approx(natural, abs=1), shown
    assert shown["text"] >= 14, shown


def test_the_mlp_of_notebook_03_reads_at_cell_width():
    """Notebook 03's MLP(2, [2, 1]) picture, as JupyterLab shows it, has text at least 12 px high (it had 4 px)."""
    small = MLP(2, [2, 1], activation="tanh", seed=1)
    y_small = small([0.5, -1.0])
    y_small.backward()
    shown = shown_in_jupyterlab(draw_dot(y_small, model=small))
    assert shown["text"] >= 12 - 0.01, shown


def test_readable_svg_shrinks_to_the_width_only_as_far_as_the_text_allows():
    """readable_svg keeps a small picture's size, fits a wider one to the width, and stops at 12 px text."""
    from tinygrad_scalar.views.dot import readable_svg

    def sized(width_pt: float, font: float) -> tuple[float, float]:
        svg = f'<svg width="{width_pt}pt" height="100pt" viewBox="0 0 {width_pt} 100"><text font-size="{font}">a</text>'
        new = re.search(r'<svg width="([\d.]+)px" height="([\d.]+)px"', readable_svg(svg, width=900, least=12))
        return float(new.group(1)), float(new.group(2))

    assert sized(300, 14) == (400, 133)  # natural size: 300 pt is 400 px
    assert sized(900, 14) == (900, 100)  # 1200 px fitted to 900: its 18.7 px text becomes 14 px
    width, _ = sized(3000, 14)  # 4000 px: halved would make 14 pt text 9.3 px, so only down to 12 px
    assert width == pytest.approx(4000 * 12 / (14 * 4 / 3), abs=1)


def test_an_mlp_is_drawn_at_the_level_of_neurons_with_each_input_once():
    """draw_dot(y, model=mlp) draws one box per neuron and one node per input, even when the inputs are plain
    numbers that each neuron lifts on its own: the input's gradient is the sum over the neurons it feeds, the one
    a Value input gets; each input's edge comes into the row of the weight it meets."""
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    y = model([0.5, -1.0])
    y.backward()
    source = draw_dot(y, model=model).source
    assert len(re.findall(r"<b>layer \d, neuron \d</b>", source)) == 4
    inputs = re.findall(r"<td>input (\d)</td></tr><tr><td>data ([^<]+)</td></tr><tr><td>grad ([^<]+)</td>", source)
    assert [(k, data) for k, data, _ in inputs] == [("0", "0.5000"), ("1", "-1.0000")]
    as_values = [Value(0.5), Value(-1.0)]
    model.zero_grad()
    model(as_values).backward()
    assert [float(g) for *_, g in inputs] == [pytest.approx(x.grad, abs=5e-5) for x in as_values]
    edges = re.findall(r"^\t(in\d+) -> (n\d+):w(\d)$", source, re.MULTILINE)
    assert sorted((a, k) for a, _, k in edges) == [("in0", "0")] * 3 + [("in1", "1")] * 3  # input k, weight k
    assert len(re.findall(r"^\tn\d+:out -> n3:w\d$", source, re.MULTILINE)) == 3  # the hidden layer feeds n3
    weight = model.layers[0].neurons[1].w[0]
    assert f'<td align="left">w0.1.0</td><td align="left">data {weight.data:.4f}</td>' in source
    rows = legend_rows(source)
    assert any("each input's weight" in row for row in rows) and any("an input" in row for row in rows)


def test_a_layer_is_drawn_at_the_level_of_neurons_and_values_on_request():
    """A Layer is drawn neuron by neuron too; level='values' draws every operation, with each call in a box."""
    from tinygrad_scalar.training.nn import Layer

    layer = Layer(2, 2, activation="relu", seed=3)
    outs = layer([Value(1.0, label="x0"), Value(2.0, label="x1")])
    total = outs[0] + outs[1]
    assert len(re.findall(r"<b>neuron \d</b>", draw_dot(total, model=layer).source)) == 2
    assert len(re.findall(r"subgraph cluster_", draw_dot(total, model=layer, level="values").source)) == 2
    with pytest.raises(ValueError, match="level='neurons' draws a model"):
        draw_dot(total, level="neurons")


def test_edges_into_a_value_of_unknown_gradient_carry_no_number():
    """A value whose gradient is still unknown (?) sends unknown contributions: its incoming edges show ?."""
    o = lecture_neuron()
    n = o._prev[0]
    labels = edge_labels(draw_dot(o, edge_grads=True, unknown=[n]).source)
    assert labels[("v6", "v8op")] == "?" and labels[("v7", "v8op")] == "?"  # the edges into n's + operation
    assert labels[("v8", "v9op")] == "0.5000"  # o's gradient is known, so its contribution to n is
