"""Seeded worksheets: the same seed gives byte-identical files (hashed), the graphs follow the generator's
rules with PyTorch float64 as the oracle of the key, the sheets compile, and check grades with hints."""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import torch

from tests.test_cli import run
from tests.test_latex import compile_latex
from tinygrad_scalar.teaching.practice import SIGN
from tinygrad_scalar.teaching.worksheet import DIFFICULTIES, LIMIT, key_latex, make_sheet

KEY_SHA256 = "ba930e97c08719d816f424888a15753158b4238e10d2d2ea4649b9f579e8cdf6"
"""key.json of --seed 2026 --students 3 --difficulty diamond: pinned, so a change of Python or machine that
changed the sheets would fail here."""


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


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
    assert found[0]["key.json"] == KEY_SHA256


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
                    torch_values.get(p.label) if p.label else torch.tensor(p.data, dtype=torch.float64) for p in v._prev
                ]
                op = {"*": torch.mul, "+": torch.add, "ReLU": lambda x: torch.relu(x), "**2": lambda x: x**2}[v._op]
                torch_values[v.label] = op(*ins)
                torch_values[v.label].retain_grad()
        torch_values["L"].backward()
        for name, grad in key["gradients"].items():
            assert grad == torch_values[name].grad.item(), (difficulty, student, name)
            assert grad != 0.0 and abs(grad) <= LIMIT


def test_the_difficulties_go_from_a_single_product_to_a_diamond_with_reuse():
    """product asks two gradients; diamond shares x between two units and uses h1 twice."""
    assert [v.label for v in make_sheet(1, "product", 1).asked()] == ["a", "b"]
    diamond = make_sheet(1, "diamond", 1)
    uses = {v.label: sum(p is v for n in diamond.values for p in n._prev) for v in diamond.values}
    assert uses["x"] == 2 and uses["h1"] == 2


def test_the_sheets_and_the_key_compile_without_overfull_boxes(tmp_path: Path):
    """A student's sheet (with its picture) and the key compile with pdflatex, no overfull box."""
    sheets = [make_sheet(5, "diamond", s) for s in (1, 2)]
    log = compile_latex(key_latex(sheets), tmp_path, "a4paper")
    assert "Overfull" not in log
    (tmp_path / "graph.dot").write_text(sheets[0].dot(), encoding="utf-8")
    subprocess.run(["dot", "-Tpdf", "graph.dot", "-o", "graph.pdf"], cwd=tmp_path, check=True, timeout=60)
    log = compile_latex(sheets[0].latex("graph.pdf"), tmp_path, "a4paper")
    assert "Overfull" not in log


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    out = tmp_path_factory.mktemp("class")
    result = run("worksheet", "--seed", "9", "--students", "2", "--difficulty", "reuse", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_check_grades_right_answers(classroom: Path):
    """The key's own gradients, typed into the CSV, are all right."""
    key = json.loads((classroom / "key.json").read_text())
    grads = key["sheets"][1]["gradients"]
    answers = classroom / "student-02-answers.csv"
    answers.write_text("name,gradient\n" + "".join(f"{n},{g}\n" for n, g in grads.items()))
    result = run("check", str(classroom / "key.json"), str(answers))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"student 2: {len(grads)} of {len(grads)} right"


def test_check_names_the_mistake_of_a_wrong_answer(classroom: Path, tmp_path: Path):
    """A gradient with its sign flipped, given as JSON for student 1, is graded wrong with the sign-error hint."""
    key = json.loads((classroom / "key.json").read_text())
    grads = key["sheets"][0]["gradients"]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"a": -grads["a"], "b": grads["b"]}))
    result = run("check", str(classroom / "key.json"), str(answers), "--student", "1")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("a:"))
    assert "wrong" in line and SIGN in line
    assert "p: not answered" in result.stdout and "1 of 5 right" in result.stdout


def test_check_refuses_bad_answers_in_command_line_words(classroom: Path, tmp_path: Path):
    """A name not on the sheet, a word for a number, or no way to tell the student: exit 2, one line."""
    cases = {
        "zz.csv": ("zz,3\n", "does not have"),
        "word.csv": ("a,three\n", "not a number"),
        "answers.csv": ("a,1\n", "--student N"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        extra = ["--student", "1"] if name != "answers.csv" else []
        result = run("check", str(classroom / "key.json"), str(tmp_path / name), *extra)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and said in result.stderr, result.stderr


def test_worksheet_refuses_a_file_as_its_folder(tmp_path: Path):
    """--out naming a file is refused before any work, and the file is left as it was."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = run("worksheet", "--seed", "1", "--out", str(target))
    assert result.returncode == 2 and "--out" in result.stderr and target.read_text() == "keep me"
