"""TikZ pictures of graphs: dot's layout, the SVG's texts and colours, styles a teacher restyles, compiled by pdflatex,
and labels that can never run LaTeX."""

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from tests.pdflatex import compile_tex, font_types, pdf_text
from tests.test_cli import one_line_error, run
from tests.test_viz import SVG, lecture_neuron
from tinygrad_scalar import MLP, Value
from tinygrad_scalar.views.dot import KINDS, draw_dot
from tinygrad_scalar.views.naming import LatexError, latex_name, latex_text
from tinygrad_scalar.views.tikz import CM_PER_POINT, LIBRARIES, tikz

NODE = re.compile(
    r"\\node\[(?P<styles>[^\]]*)\] \((?P<id>[^)]*)\) at \((?P<x>[-\d.]+),(?P<y>[-\d.]+)\) \{(?P<text>.*)\};$"
)


def square() -> Value:
    """The seeds' example, (w*x + b)**2 at x=2, w=3, b=1, after backward()."""
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    out = (w * x + b) ** 2
    out.label = "L"
    out.backward()
    return out


def document(body: str) -> str:
    """A LaTeX document with what the pictures need, around ``body``; a picture is scaled to the text width."""
    return (
        "\\documentclass{article}\n\\usepackage[margin=1cm]{geometry}\n\\usepackage{tikz}\n"
        f"\\usetikzlibrary{{{LIBRARIES}}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )


def fit(picture: str) -> str:
    """The picture scaled to the text width, as a teacher puts it in a document."""
    return "\\noindent\\resizebox{\\linewidth}{!}{%\n" + picture + "}\n"


def tikz_nodes(source: str) -> dict[str, dict[str, str]]:
    """Each ``\\node`` of a TikZ picture with a name: its styles, position and text."""
    found = {}
    for line in source.splitlines():
        match = NODE.match(line.strip().split(" \\node[tgs legend]")[0])
        if match:
            found[match["id"]] = match.groupdict()
    return found


def dot_positions(graph_source: str) -> list[tuple[float, float]]:
    """Where Graphviz's own dot, run on the DOT source, puts each node but the legend, in cm."""
    layout = json.loads(subprocess.run(["dot", "-Tjson0"], input=graph_source, capture_output=True, text=True).stdout)
    return sorted(
        (round(float(x) * CM_PER_POINT, 2), round(float(y) * CM_PER_POINT, 2))
        for o in layout["objects"]
        if "pos" in o and o["name"] != "legend"
        for x, y in [o["pos"].split(",")]
    )


@pytest.mark.parametrize("example", [square, lecture_neuron])
def test_node_coordinates_are_dots_layout(example):
    """Every node of the TikZ picture sits where dot, run on draw_dot's DOT source, lays it out (cm, to 0.1 mm)."""
    graph = draw_dot(example(), edge_grads=True)
    nodes = tikz_nodes(tikz(graph))
    placed = sorted((float(n["x"]), float(n["y"])) for n in nodes.values() if not n["id"].startswith("legend"))
    assert placed == dot_positions(graph.source)


def test_nodes_are_named_after_the_values():
    """A value named by a plain word is the TikZ node of that name, its operation '<name> op': editable by hand."""
    nodes = tikz_nodes(tikz(draw_dot(square())))
    assert {"x", "w", "b", "L", "L op", "u1", "u1 op", "u2", "u2 op"} <= set(nodes)
    assert nodes["L op"]["text"] == "**2"


def test_same_names_numbers_and_colours_as_the_svg():
    """Each record shows the SVG's name (in maths), data and gradient, filled with the SVG's colour as a named style."""
    graph = draw_dot(lecture_neuron())
    source = tikz(graph)
    colours = dict(re.findall(r"\\providecolor\{(\w+)\}\{HTML\}\{(\w+)\}", source))
    tikz_records = {}
    for node in tikz_nodes(source).values():
        if "tgs value" in node["styles"]:
            name, data, grad = node["text"].replace(r"\ensuremath{-}", "-").split(r" \nodepart")
            kind = next(k for k in KINDS if f"tgs {k}" in node["styles"])
            tikz_records[name] = (data.removeprefix("{two} "), grad.removeprefix("{three} "), colours[f"tgs{kind}"])
    svg_records = {}
    for g in ET.fromstring(graph.pipe(format="svg")).iter(f"{SVG}g"):
        if g.get("class") == "node" and g.find(f"{SVG}polygon") is not None:
            texts = [" ".join((t.text or "").replace("\xa0", " ").split()) for t in g.iter(f"{SVG}text")]
            if len(texts) == 3:
                fill = g.find(f"{SVG}polygon").get("fill").lstrip("#").upper()
                svg_records[f"${latex_name(texts[0])}$"] = (texts[1], texts[2], fill)
    assert tikz_records == svg_records
    assert len(svg_records) == 10


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"edge_grads": True, "sum_rule": True},
        {"rankdir": "TB", "colors": False},
        {"highlight": "orange-and-blue"},
        {"show_grad": False, "fmt": "%.2e"},
    ],
)
def test_the_picture_compiles_with_pdflatex(options, tmp_path):
    """The picture compiles in a plain article with each of draw_dot's looks, with vector fonts only."""
    root = square()
    if options.get("highlight"):
        options = {
            "highlight": {root: "#ea580c", root._prev[0]: "blue"},
            "outlines": {"#ea580c": "the value this step is about", "blue": "a value it gives a gradient to"},
        }
    compile_tex(document(fit(tikz(draw_dot(root, **options)))), tmp_path)
    assert font_types(tmp_path / "document.pdf") == {"Type 1"}
    text = pdf_text(tmp_path / "document.pdf")
    legend = draw_dot(root, **options).legend_entries if options.get("colors", True) else []
    for entry in legend:  # the SVG's legend, every fill and outline with its meaning
        assert " ".join(entry.meaning.split()) in " ".join(text.split()), entry.meaning
    grad_of_w = (
        "grad ?" if options.get("show_grad") is False else "grad 2.80e+01" if "fmt" in options else "grad 28.0000"
    )
    assert f"w data {'3.00e+00' if 'fmt' in options else '3.0000'} {grad_of_w}" in text


def test_a_model_is_drawn_with_its_neurons_boxes(tmp_path):
    """With model= at the level of values, each neuron's box and title is drawn where dot put the cluster, and it
    compiles; a picture at the level of neurons (an MLP's default) is refused, saying how to draw it."""
    import random

    random.seed(0)
    model = MLP(2, [2, 1])
    out = model([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.backward()
    with pytest.raises(ValueError, match=r"level='values'"):
        tikz(draw_dot(out, model=model))
    source = tikz(draw_dot(out, model=model, level="values"))
    assert source.count(r"\draw[tgs cluster]") == 3
    for title in ("layer 0, neuron 0", "layer 0, neuron 1", "layer 1, neuron 0"):
        assert f"{{{title}}}" in source
    compile_tex(document(fit(source)), tmp_path)
    assert "layer 1, neuron 0" in pdf_text(tmp_path / "document.pdf")


def test_the_square_compiles_from_the_command_line(tmp_path):
    """graph --format tikz --standalone writes a document pdflatex compiles, with the graph's numbers in it."""
    result = run(
        "graph", "(w*x + b)**2", "--at", "x=2", "w=3", "b=1", "--format", "tikz", "--standalone", "-o", "graph.tex",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    log = compile_tex((tmp_path / "graph.tex").read_text(), tmp_path, "graph")
    assert "Overfull" not in log
    text = pdf_text(tmp_path / "graph.pdf")
    for shown in ("data 49.0000", "grad 28.0000", "grad 42.0000", "grad 14.0000", "data 7.0000", "**2"):
        assert shown in text
    assert font_types(tmp_path / "graph.pdf") == {"Type 1"}


def test_the_command_line_picks_tikz(tmp_path):
    """-o FILE.tex writes TikZ, --format tikz alone prints it, and --standalone is refused with another format."""
    assert run("graph", "x*y", "--at", "x=2", "y=3", "-o", "g.tex", cwd=tmp_path).returncode == 0
    assert r"\begin{tikzpicture}" in (tmp_path / "g.tex").read_text()
    printed = run("graph", "x*y", "--at", "x=2", "y=3", "--format", "tikz")
    assert printed.returncode == 0 and printed.stdout.count(r"\begin{tikzpicture}") == 1
    assert r"\documentclass" not in printed.stdout
    line = one_line_error(run("graph", "x*y", "--at", "x=2", "y=3", "--standalone", "-o", "g.svg", cwd=tmp_path))
    assert "--standalone" in line and "--format tikz" in line


def rendered_pixels(pdf: Path, folder: Path) -> list[tuple[int, int, int]]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(pdf), str(folder / "page")], check=True)
    with Image.open(folder / "page.png") as image:
        data = image.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def test_a_teachers_style_wins(tmp_path):
    """A \\tikzset{tgs leaf/.style=...} in the document, before the picture, recolours every leaf: no pixel keeps
    the picture's own lilac, and the teacher's red shows."""
    (tmp_path / "graph.tex").write_text(tikz(draw_dot(square())))
    compile_tex(document(r"\tikzset{tgs leaf/.style={fill=red}}" + "\n" + fit(r"\input{graph.tex}")), tmp_path)
    pixels = rendered_pixels(tmp_path / "document.pdf", tmp_path)
    lilac = (0xE9, 0xD5, 0xFF)
    assert sum(p == (255, 0, 0) for p in pixels) > 100
    assert not any(all(abs(a - b) <= 8 for a, b in zip(p, lilac)) for p in pixels)
    compile_tex(document(fit(r"\input{graph.tex}")), tmp_path)  # without the teacher's style, the lilac is there
    assert any(
        all(abs(a - b) <= 8 for a, b in zip(p, lilac)) for p in rendered_pixels(tmp_path / "document.pdf", tmp_path)
    )


HOSTILE = [r"\input{secret.txt}", "50% off $5", "a_b#c&d", "x^2~y", "{}", "θ1", "café", "naïve Ω", "a--b", '"q"|<>']


def test_labels_are_printed_never_run(tmp_path):
    """Labels with LaTeX's special characters, Greek letters and accents print as written: \\input{secret.txt} reads
    no file, and the document compiles."""
    (tmp_path / "secret.txt").write_text("TOPSECRET\n")
    values = [Value(float(i + 1), label=label) for i, label in enumerate(HOSTILE)]
    out = values[0]
    for v in values[1:]:
        out = out + v
    out.label = r"\input{secret.txt}\end{document}"
    out.backward()
    log = compile_tex(document(fit(tikz(draw_dot(out)))), tmp_path)
    assert "secret.txt" not in log.replace(r"input\{secret.txt\}", "")
    text = pdf_text(tmp_path / "document.pdf")
    assert "TOPSECRET" not in text
    for shown in ("input{secret.txt}", "50% off $5", "b#c&d", "a--b", "{}", "café", "Ω"):
        assert shown in text, shown


def test_every_character_latex_text_knows_compiles(tmp_path):
    """Every character latex_text writes (ASCII, LaTeX's specials, Greek, accented letters, symbols) compiles in text
    and in maths, with no character missing from the fonts."""
    from tinygrad_scalar.views import naming

    accented = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿčěřšžőűāēīōūÀÉÎÕÜÇŠŽ"
    tables = (naming._SYMBOLS, naming._TEXT_SYMBOLS, naming._LETTERS, naming._SUBSCRIPTS, naming._SUPERSCRIPTS)
    greek = "".join(chr(c) for c in range(0x391, 0x3CA) if naming.greek_command(chr(c)) is not None)
    characters = "".join(chr(c) for c in range(32, 127)) + "".join("".join(t) for t in tables) + greek + accented
    body = "\\tracinglostchars=3\n" + latex_text(characters) + "\n\n" + f"${latex_name(characters)}$"
    compile_tex(document(body), tmp_path)


def test_characters_latex_cannot_write_are_refused():
    """A character with no LaTeX command in the basic fonts (Chinese, an emoji) is kept by latex_text (MathJax sets
    it), and a TikZ picture, meant for pdflatex, refuses it, naming it; on the command line in one line, exit 2."""
    assert latex_text("变量") == r"\mbox{变量}"  # kept for MathJax, KaTeX and XeLaTeX
    picture = draw_dot(Value(1.0, label="变量") * 2.0)
    with pytest.raises(LatexError, match=r"U\+53D8"):
        tikz(picture)
    line = one_line_error(run("graph", "变*2", "--at", "变=1", "--format", "tikz"))
    assert "--format tikz" in line and "U+53D8" in line
