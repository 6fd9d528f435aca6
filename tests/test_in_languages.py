"""What learners read, in each language we write: explanations, hints and replays in words of that language,
with the class's decimal symbol, from the command line, a lang= argument or the locale."""

import os
import re

import pytest

from tests.test_cli import run
from tinygrad_scalar import Value
from tinygrad_scalar.core.language import LANGUAGES, using
from tinygrad_scalar.teaching.exercises import check_number, reveal
from tinygrad_scalar.teaching.explanations import backward_steps, explain_grad
from tinygrad_scalar.teaching.mistakes import ASSIGN, replay, why_zero

TRANSLATED = [code for code in LANGUAGES if code != "en"]
EXAMPLE = ["(w*x + b)**2", "--at", "x=0.5", "w=3", "b=1", "--name", "L"]
"""The seeds' example at x = 0.5: y = 2.5, L = 6.25, ∂L/∂y = 5, ∂L/∂w = 2.5, ∂L/∂x = 15, ∂L/∂b = 5."""

ENGLISH = re.compile(r"\b(step|upstream|where|rule|path|paths|sum|the|is|of|passes|every)\b")
"""English words an explanation uses: none may be left in a translation."""

WORDS = {
    "de": ("Schritt", "Upstream-Gradient", "Produktregel", "Summenregel", "Potenzregel", "wobei"),
    "fr": ("étape", "gradient amont", "règle du produit", "règle de la somme", "règle de la puissance", "où"),
    "es": ("paso", "gradiente aguas arriba", "regla del producto", "regla de la suma", "regla de la potencia", "donde"),
    "zh_Hans": ("第 1 步", "上游梯度", "乘积法则", "和的求导法则", "幂函数求导法则", "其中"),
}
"""Words each language's explanation must use (a test that the words are those of the language, not English)."""


def _example():
    x, w, b = Value(0.5, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    L = (w * x + b) ** 2
    L.label = "L"
    return L, x, w, b


@pytest.mark.parametrize("code", TRANSLATED)
def test_explain_writes_the_pass_in_the_class_language_with_its_decimal_symbol(code):
    """``explain ... --lang de`` (fr, es, zh_Hans) writes every step in that language, its rules by their
    textbook names, its numbers with the language's decimal symbol, and no English word."""
    result = run("explain", *EXAMPLE, "--lang", code)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for word in WORDS[code]:
        assert word in text, (code, word)
    assert not ENGLISH.search(text), ENGLISH.search(text)
    decimal = LANGUAGES[code].decimal
    assert f"5 · 0{decimal}5 = 2{decimal}5" in text  # ∂L/∂w = ∂L/∂u1 · x
    english = run("explain", *EXAMPLE, "--lang", "en").stdout
    numbers = re.findall(r"\d+(?:[.,]\d+)?", text)
    assert [n.replace(decimal, ".") for n in numbers] == re.findall(r"\d+(?:\.\d+)?", english), "the same digits"


def test_english_stays_as_it_was():
    """Without --lang and with an English (or C) locale, the explanation is the English one."""
    result = run("explain", *EXAMPLE, env={**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert "step 1: L = u2^2  (power rule), upstream ∂L/∂L = 1" in result.stdout
    assert "∂L/∂w = ∂L/∂u1 · ∂(w·x)/∂w = 5 · x = 5 · 0.5 = 2.5" in result.stdout


def test_the_locale_chooses_the_language_of_the_command():
    """With LANG=fr_FR.UTF-8 and no --lang, explain writes French; --lang wins over the locale."""
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_FR.UTF-8"}
    french = run("explain", *EXAMPLE, env=env)
    assert "étape 1 : L = u2^2  (règle de la puissance)" in french.stdout, french.stderr
    spanish = run("explain", *EXAMPLE, "--lang", "es", env=env)
    assert "paso 1: L = u2^2  (regla de la potencia)" in spanish.stdout, spanish.stderr


def test_an_unknown_language_is_one_line_in_command_line_words():
    """``--lang ja`` is refused before any work: one line naming the languages there are, exit code 2."""
    result = run("explain", *EXAMPLE, "--lang", "ja")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--lang" in lines[0] and "de, fr, es, zh_Hans" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("code", TRANSLATED)
def test_markdown_and_latex_use_the_decimal_symbol_latex_can_set(code):
    """In Markdown and LaTeX a decimal comma is ``{,}`` (no space after it in maths), a point stays a point."""
    L, *_ = _example()
    steps = backward_steps(L, lang=code)
    latex = steps.latex()
    expected = "2{,}5" if LANGUAGES[code].decimal == "," else "2.5"
    assert expected in latex and expected in steps.markdown()
    assert not re.search(r"\d,\d", latex)


def test_an_explanation_keeps_its_language_wherever_it_is_printed():
    """An explanation made with lang='de' prints in German inside ``using('fr')`` too; one made without a
    lang= is written in the language in use when it was made."""
    L, x, *_ = _example()
    german = backward_steps(L, lang="de")
    with using("fr"):
        assert str(german).startswith("∂L/∂L = 1: der Startwert")
        french = explain_grad(L, x)
    assert str(french).startswith("∂L/∂x = ") and "où u2 = u1 + b" in str(french)


def test_a_constant_a_power_and_a_function_of_two_numbers_follow_the_decimal_symbol():
    """A constant's name, a power's exponent and a formula's arguments take the decimal comma, and arguments
    are then separated by semicolons: ``x^0,5``, ``0,5·x``, ``max(u1; 0,5)``."""
    from tinygrad_scalar import maximum

    x = Value(2.0, label="x")
    L = maximum(x**0.5 * 0.5, 0.5)
    german = str(backward_steps(L, lang="de"))
    assert "u1 = x^0,5" in german and "0,5·(x^(-0,5))" in german.replace("0,5·x^(-0,5)", "0,5·(x^(-0,5))")
    assert "max(u2; 0,5)" in german
    english = str(backward_steps(L, lang="en"))
    assert "u1 = x^0.5" in english and "max(u2, 0.5)" in english


@pytest.mark.parametrize("code", TRANSLATED)
def test_replays_and_why_zero_speak_the_language(code):
    """A replay of a broken pass and the answer to "why is this gradient zero?" are written in ``lang``."""
    x = Value(3.0, label="x")
    u = x * x
    u.label = "u"
    L = (u + 1.0) * (u * 0.5)
    text = str(replay(L, ASSIGN, lang=code))
    assert not ENGLISH.search(re.split("[:：]", text, maxsplit=1)[1].replace("parent.grad", "")), text
    z = Value(-2.0, label="z")
    h = z.relu()
    why = str(why_zero(h * 3.0, z, lang=code))
    assert "ReLU" in why and not ENGLISH.search(why.replace("relu(z)", "")), why


def test_exercise_feedback_speaks_the_language_and_its_numbers():
    """A notebook check's feedback and a folded worked step are in ``lang``, with its decimal symbol."""
    assert check_number(2.5, 3.5, "x.grad", lang="de").text.startswith("noch nicht: 2,5 ist zu klein")
    assert check_number(3.5, 3.5, "x.grad", lang="zh_Hans").text == "正确：x.grad = 3.5"
    assert repr(reveal("...", lang="es")).startswith("Mostrar la solución paso a paso")


def test_a_decimal_comma_typed_in_python_is_told_apart():
    """``answer = 0,5`` is the pair (0, 5) in Python: the error says to write 0.5, in the class's language."""
    with pytest.raises(TypeError, match=r"0\.5, nicht 0,5 \(das liest Python als das Paar \(0, 5\)\)"):
        check_number((0, 5), 0.5, "x.grad", lang="de")
