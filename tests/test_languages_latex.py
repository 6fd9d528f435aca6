"""LaTeX in each language: a worked solution and a class's worksheets compile with the real pdflatex in German,
French, Spanish and Chinese, and read back in that language, with its decimal symbol."""

import json
from pathlib import Path

import pytest

from tests.pdflatex import compile_tex, page_count, pdf_text
from tests.test_cli import run
from tinygrad_scalar import Value
from tinygrad_scalar.teaching.grading import grade, read_answers, read_key
from tinygrad_scalar.teaching.solutions import worked_solution
from tinygrad_scalar.teaching.worksheet import write_worksheets

WORDS = {
    "de": ("Aufgabe.", "Vorwärtsdurchlauf", "Rückwärtsdurchlauf", "Produktregel", "2,625"),
    "fr": ("Problème.", "Passe avant", "Passe arrière", "règle du produit", "2,625"),
    "es": ("Problema.", "Propagación hacia adelante", "Propagación hacia atrás", "regla del producto", "2,625"),
    "zh_Hans": ("题目", "前向传播", "反向传播", "乘积法则", "2.625"),
}
"""What each language's worked solution says (headings, a rule) and one of its numbers, ∂L/∂w = 2.625."""


def _example():
    x, w, b = Value(0.5, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    u = w * x + b
    L = u**2 + u * 0.25
    L.label = "L"
    return L


@pytest.mark.parametrize("code", list(WORDS))
def test_a_worked_solution_compiles_in_each_language(code, tmp_path: Path):
    """``worked_solution(..., lang=code).latex(standalone=True)`` compiles with pdflatex (babel for German,
    French and Spanish, CJK for Chinese) and its PDF reads in that language, with its decimal symbol."""
    source = worked_solution(_example(), "latex", lang=code).latex(standalone=True)
    compile_tex(source, tmp_path)
    text = pdf_text(tmp_path / "document.pdf").replace(" ", "")
    for word in WORDS[code]:
        assert word.replace(" ", "") in text, (code, word)
    assert "Backward" not in text and "Problem:" not in text


@pytest.mark.parametrize("code", list(WORDS))
def test_a_class_is_written_in_each_language(code, tmp_path: Path):
    """``write_worksheets(..., lang=code)``: each sheet still prints on one page, in the language, and the key
    is in it too; the files' names, the CSV's header and key.json are those of every language."""
    written = write_worksheets(tmp_path / "class", 7, 2, "neuron", lang=code)
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in write_worksheets(tmp_path / "english", 7, 2, "neuron", lang="en"))
    heading = {
        "de": "Arbeitsblatt",
        "fr": "exercices : rétropropagation",
        "es": "Hoja de ejercicios",
        "zh_Hans": "反向传播练习卷",
    }
    for student in ("01", "02"):
        sheet = tmp_path / "class" / f"student-{student}.pdf"
        assert page_count(sheet) == 1
        assert heading[code].replace(" ", "") in pdf_text(sheet).replace(" ", "")
    key = pdf_text(tmp_path / "class" / "key.pdf").replace(" ", "")
    title = {"de": "Lösungsschlüssel", "fr": "Corrigé", "es": "Clavederespuestas", "zh_Hans": "参考答案"}
    assert title[code] in key
    english = json.loads((tmp_path / "english" / "key.json").read_text())
    translated = json.loads((tmp_path / "class" / "key.json").read_text())
    assert english["sheets"] == translated["sheets"]


def test_check_grades_in_the_class_language_and_reads_decimal_commas(tmp_path: Path):
    """``check --lang de`` marks a class's answers in German, and an answer typed with a decimal comma (in a
    comma-separated CSV's quoted cell, or a JSON string) is read as the number it is."""
    write_worksheets(tmp_path / "class", 7, 1, "chain", lang="de")
    key = read_key((tmp_path / "class" / "key.json").read_bytes())
    gradients = json.loads((tmp_path / "class" / "key.json").read_text())["sheets"][0]["gradients"]
    first, *rest = gradients
    rows = [f'{first},"{gradients[first]:.1f}"'.replace(".", ","), *(f"{n},{-gradients[n]}" for n in rest)]
    answers = tmp_path / "student-01-answers.csv"
    answers.write_text("name,gradient\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run("check", str(tmp_path / "class" / "key.json"), str(answers), "--lang", "de")
    assert result.returncode == 0, result.stderr
    assert f"{first}: {gradients[first]:g} richtig".replace(".", ",") in result.stdout
    assert "Vorzeichenfehler" in result.stdout and "Nr. 1: 1 richtig" in result.stdout
    as_json = read_answers(json.dumps({first: str(gradients[first]).replace(".", ",")}), "json")
    assert grade(key, 1, as_json, lang="fr").marks[0].status == "right"
