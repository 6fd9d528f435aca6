"""Seeded worksheets: the same seed gives byte-identical files (hashed), the graphs follow the generator's rules
with PyTorch float64 as the oracle of the key, every slip changes the number, and a sheet prints on one page at
a readable size, checked in the PDF with poppler's pdffonts and pdftotext -bbox."""

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch

from tests.test_cli import run
from tests.test_latex import compile_latex
from tests.test_viz import svg_nodes
from tinygrad_scalar.core.engine import Constant, contributions, fresh_gradients, topological_order
from tinygrad_scalar.teaching.grading import grade
from tinygrad_scalar.teaching.practice import is_close
from tinygrad_scalar.teaching.worksheet import DIFFICULTIES, LIMIT, MIN_POINTS, key_latex, make_sheet

SHEETS_SHA256 = "ea754d909b9621c313ff521ce9d8ea3d8bceca6698515893636767e628c5b585"
"""The sheets of key.json of --seed 2026 --students 3 --difficulty diamond (json.dumps, keys sorted): pinned,
so a change of Python or machine that changed the sheets would fail here. (The key's file hashes depend on
the versions of Graphviz and TeX Live, so they are not pinned.)"""


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def words(pdf: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """Every word of a page with its box (xMin, yMin, xMax, yMax), from poppler's pdftotext -bbox."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, xhtml)]


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def font_types(pdf: Path) -> list[str]:
    """The type of every font of the PDF, from poppler's pdffonts (Type 1, TrueType, Type 3, ...)."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return [line[37:54].strip() for line in out.splitlines()[2:]]


@pytest.fixture(scope="module")
def neuron_class(tmp_path_factory):
    out = tmp_path_factory.mktemp("neuron") / "class"
    result = run("worksheet", "--seed", "2026", "--students", "3", "--difficulty", "neuron", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def letter_class(tmp_path_factory):
    out = tmp_path_factory.mktemp("letter") / "class"
    args = ("--seed", "7", "--students", "2", "--difficulty", "diamond", "--paper", "letter", "--out", str(out))
    result = run("worksheet", *args)
    assert result.returncode == 0, result.stderr
    return out


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path):
    """Two runs with different hash seeds write the same bytes, PDFs included; the key's hash is pinned."""
    found = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        out = tmp_path / f"run{hash_seed}"
        args = ("worksheet", "--seed", "2026", "--students", "3", "--difficulty", "diamond", "--out", str(out))
        result = run(*args, env=env)
        assert result.returncode == 0, result.stderr
        found.append(hashes(out))
    assert found[0] == found[1]
    assert sorted(found[0]) == sorted(
        [f"student-0{i}{s}" for i in (1, 2, 3) for s in (".pdf", ".svg", "-answers.csv")] + ["key.json", "key.pdf"]
    )
    sheets = json.loads((tmp_path / "run1" / "key.json").read_text())["sheets"]
    assert hashlib.sha256(json.dumps(sheets, sort_keys=True).encode()).hexdigest() == SHEETS_SHA256


def test_another_seed_gives_other_graphs_for_each_student():
    """Different students and different seeds get different numbers."""
    keys = {json.dumps(make_sheet(seed, "neuron", s).key()["values"]) for seed in (1, 2) for s in (1, 2, 3)}
    assert len(keys) == 6


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_sheet_has_pleasant_numbers_and_the_key_agrees_with_pytorch(difficulty):
    """Given numbers are small integers, no ReLU sits at its kink or is dead, nothing exceeds the limit, and
    each gradient of the key is PyTorch float64's."""
    for student in range(1, 6):
        sheet = make_sheet(11, difficulty, student)
        key = sheet.key()
        for v in sheet.values:
            assert v.data == int(v.data) and abs(v.data) <= LIMIT
            if v._op == "ReLU":
                assert v._prev[0].data > 0
        leaves = {
            v.label: torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in sheet.values if not v._prev
        }
        torch_values = dict(leaves)
        for v in sheet.values:
            if v._prev:
                ins = [
                    torch.tensor(p.data, dtype=torch.float64) if isinstance(p, Constant) else torch_values[p.label]
                    for p in v._prev
                ]
                op = {"*": torch.mul, "+": torch.add, "ReLU": lambda x: torch.relu(x), "**2": lambda x: x**2}[v._op]
                torch_values[v.label] = op(*ins)
                torch_values[v.label].retain_grad()
        torch_values["L"].backward()
        for name, grad in key["gradients"].items():
            assert grad == torch_values[name].grad.item(), (difficulty, student, name)
            assert grad != 0.0 and abs(grad) <= LIMIT


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_no_given_value_and_no_gradient_is_0_1_or_minus_1(difficulty):
    """At every difficulty, for 30 students of two seeds, every number on the sheet and in the key is neither
    0 nor ±1, so that no forgotten factor is invisible."""
    for seed in (2026, 7):
        for student in range(1, 31):
            key = make_sheet(seed, difficulty, student).key()
            numbers = [*key["values"].values(), *key["gradients"].values()]
            assert not any(x in (0.0, 1.0, -1.0) for x in numbers), (seed, student, key)


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_slip_changes_the_number(difficulty):
    """A forgotten local derivative, a forgotten upstream gradient and a sign error each give a wrong number at
    every value (computed here from the graph, apart from the generator): where the local derivative is a
    product's, forgetting it shows; where the upstream gradient is not the seed's 1, forgetting it shows."""
    for student in range(1, 31):
        sheet = make_sheet(2026, difficulty, student)
        root, grads = sheet.root, fresh_gradients(sheet.root)
        order = topological_order(root)
        for v in sheet.asked():
            uses = [(c, slot) for c in order for slot, p in enumerate(c._prev) if p is v]
            upstream = sum(grads[c] for c, _ in uses)
            local = sum(contributions(c, 1.0)[slot] for c, slot in uses)
            assert not is_close(-grads[v], grads[v])
            if any(c._op == "*" for c, _ in uses):
                assert not is_close(upstream, grads[v]), (student, v.label)
            if any(c is not root for c, _ in uses):
                assert not is_close(local, grads[v]), (student, v.label)


def test_passing_the_upstream_gradient_on_unchanged_no_longer_scores(tmp_path: Path):
    """The issue's student 2 of seed 2026 (neuron) answered the upstream gradient ∂L/∂e everywhere and scored
    10 of 11; now every weight and input it multiplies is wrong."""
    sheet = make_sheet(2026, "neuron", 2)
    key = {"seed": 2026, "difficulty": "neuron", "sheets": [sheet.key()]}
    upstream = sheet.key()["gradients"]["e"]
    result = grade(key, 2, {name: upstream for name in sheet.key()["gradients"]})
    marks = {m.name: m.status for m in result.marks}
    assert all(marks[name] == "wrong" for name in ("w1", "x1", "w2", "x2")), marks
    assert result.score <= 7


def test_the_difficulties_go_from_a_single_product_to_a_diamond_with_reuse():
    """product asks two gradients; diamond shares x between two units and uses h1 twice."""
    assert [v.label for v in make_sheet(1, "product", 1).asked()] == ["a", "b"]
    diamond = make_sheet(1, "diamond", 1)
    uses = {v.label: sum(p is v for n in diamond.values for p in n._prev) for v in diamond.values}
    assert uses["x"] == 2 and uses["h1"] == 2


def test_the_key_compiles_without_overfull_boxes(tmp_path: Path):
    """The key (every sheet's worked solution) compiles with pdflatex, no overfull box, on A4 and Letter."""
    sheets = [make_sheet(5, "diamond", s) for s in (1, 2)]
    for paper in ("a4", "letter"):
        log = compile_latex(key_latex(sheets, paper), tmp_path, paper)
        assert "Overfull" not in log


# ---- the printed sheet ----------------------------------------------------------------------------------------


def _printed_sizes(sheet_pdf: Path, dot: str, work: Path) -> tuple[float, float]:
    """The smallest printed size, in points, of the sheet's typeset words and of its picture's words.

    pdftotext gives each word's box, whose height is the font's size times a ratio of the font's own:
    calibrated for the text on the sheet's 11 pt 'Name:', and for the picture on the picture drawn apart at
    its natural size (Graphviz's 14 pt) from the same DOT source. The picture is the left column below the
    title."""
    found = words(sheet_pdf)
    middle = float(pdf_info(sheet_pdf)["Page size"].split()[0]) / 2
    ratio = next(y1 - y0 for _, y0, _, y1, w in found if w == "Name:") / 11.0
    title = next(y1 for _, _, _, y1, w in found if w == "Backpropagation")
    (work / "graph.dot").write_text(dot, encoding="utf-8")
    subprocess.run(["dot", "-Tpdf", "graph.dot", "-o", "graph.pdf"], cwd=work, check=True, timeout=60)
    natural = next(y1 - y0 for _, y0, _, y1, w in words(work / "graph.pdf") if w == "data") / 14.0
    in_picture = [w for w in found if w[2] < middle and w[1] > title]
    assert any(w[4] == "data" for w in in_picture)
    picture = min((y1 - y0) / natural for _, y0, _, y1, _ in in_picture)
    text = min((y1 - y0) / ratio for w in found if w not in in_picture for _, y0, _, y1, _ in [w])
    return text, picture


@pytest.mark.parametrize("which", ["neuron_class", "letter_class"])
def test_a_sheet_prints_on_one_page_with_vector_fonts_and_no_word_under_8_points(which, request, tmp_path: Path):
    """student-01.pdf is one A4 (or Letter) page, its fonts are vector fonts (pdffonts: no Type 3), and every
    word, the picture's included, prints at 8 pt or more (pdftotext -bbox)."""
    folder = request.getfixturevalue(which)
    pdf = folder / "student-01.pdf"
    info = pdf_info(pdf)
    assert info["Pages"] == "1"
    assert ("A4" if which == "neuron_class" else "letter") in info["Page size"]
    types = font_types(pdf)
    assert types and "Type 3" not in types, types
    key = json.loads((folder / "key.json").read_text())
    text, picture = _printed_sizes(pdf, make_sheet(key["seed"], key["difficulty"], 1).dot(), tmp_path)
    assert text >= MIN_POINTS - 0.05 and picture >= MIN_POINTS, (text, picture)


def test_the_table_the_legend_and_the_hand_in_line_sit_beside_the_picture(neuron_class: Path):
    """On the one page: the picture on the left half; the table of every asked value, the legend and the line
    naming the CSV to hand in on the right half."""
    found = words(neuron_class / "student-01.pdf")
    middle = float(pdf_info(neuron_class / "student-01.pdf")["Page size"].split()[0]) / 2
    picture = [w for w in found if w[4] in ("data", "grad")]
    assert picture and all(x1 < middle for _, _, x1, _, _ in picture)
    right = " ".join(w for x0, _, _, _, w in found if x0 > middle)
    assert "student-01-answers.csv" in right and "hand" in right
    assert "target" in right and "given" in right and "output" in right  # the legend


def test_every_colour_of_the_picture_has_a_legend_entry_and_the_target_is_named():
    """Each fill colour of the DOT source is explained by the sheet's legend; the neuron's target box is
    labelled -y, and the legend names the target y."""
    for difficulty in DIFFICULTIES:
        sheet = make_sheet(3, difficulty, 1)
        colours = set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', sheet.dot()))
        legend = dict(sheet.legend())
        assert colours <= set(legend), (difficulty, colours - set(legend))
    neuron = make_sheet(3, "neuron", 1)
    assert re.search(r'label="\{ -y \| data -?\d', neuron.dot())
    assert any("target" in words for words in dict(neuron.legend()).values())


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_the_picture_asks_for_exactly_the_gradients_the_table_asks_for(difficulty):
    """Every box whose gradient the table and the CSV ask for shows "grad ?", and no other: the output shows
    its gradient, 1, and the neuron's target -y, whose gradient is not asked, a dash the legend explains."""
    sheet = make_sheet(5, difficulty, 2)
    boxes = {
        fields[0]: fields[2] for fields in svg_nodes(sheet.picture().pipe(format="svg")).values() if len(fields) == 3
    }
    asked = {v.label for v in sheet.asked()}
    assert {name for name, grad in boxes.items() if grad == "grad ?"} == asked
    assert boxes[sheet.root.label] == "grad 1"
    assert {name for name, grad in boxes.items() if grad not in ("grad ?", "grad 1")} <= {"-y"}
    if sheet.target() is not None:
        assert boxes["-y"] == "grad \u2013" and "is not asked" in dict(sheet.legend())["#e5e7eb"]


def test_the_answer_csv_names_its_sheet(neuron_class: Path):
    """The CSV to fill in starts with a header naming its sheet (checked by the grader), then one row per value."""
    key = json.loads((neuron_class / "key.json").read_text())
    lines = (neuron_class / "student-02-answers.csv").read_text().splitlines()
    assert lines[0] == f"name,gradient (sheet {key['sheets'][1]['sheet']})"
    assert sorted(line.rstrip(",") for line in lines[1:]) == sorted(key["sheets"][1]["gradients"])
