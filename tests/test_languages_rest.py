"""The rest of the class's language: the Beamer deck, the TikZ legend, the parser's messages, the commands' help
and --link's language, in German, French, Spanish and Chinese, through the real pdflatex and the real command."""

import os
from pathlib import Path

import pytest

from tests.pdflatex import compile_tex, pdf_text
from tests.test_cli import run
from tinygrad_scalar import Value
from tinygrad_scalar.core.expression import ExpressionError, evaluate
from tinygrad_scalar.core.language import using
from tinygrad_scalar.teaching.beamer import beamer
from tinygrad_scalar.views.dot import draw_dot
from tinygrad_scalar.views.tikz import tikz

DECK_WORDS = {
    "en": ("Backpropagation through", "Given:", "The forward pass", "Backward step 1 of 3", "The gradients", "7.5"),
    "de": ("Backpropagation durch", "Gegeben:", "Der Vorwärtsdurchlauf", "Rückwärtsschritt 1 von 3", "7,5"),
    "fr": ("Rétropropagation à travers", "Données", "La passe avant", "Étape arrière 1 sur 3", "Les gradients", "7,5"),
    "es": ("Retropropagación a través de", "Datos:", "Paso hacia atrás 1 de 3", "Los gradientes", "7,5"),
    "zh_Hans": ("的反向传播", "已知", "前向传播", "反向传播第1步", "梯度", "7.5"),
}  # fmt: skip
"""What each language's deck says on its frames (titles, a label) and one number of it, w·x + b = 7.5."""

LEGEND_WORDS = {
    "en": ("legend", "the output", "2.0000"),
    "de": ("Legende", "die Ausgabe", "2,0000"),
    "fr": ("légende", "la sortie", "2,0000"),
    "es": ("leyenda", "la salida", "2,0000"),
    "zh_Hans": ("图例", "输出", "2.0000"),
}
"""What each language's TikZ legend says, and how it writes x = 2."""

EXAMPLE = ("(w*x + b)**2", "--at", "x=2", "w=3", "b=1.5")


def _square():
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.5, label="b")
    L = (w * x + b) ** 2
    L.label = "L"
    return L


def _no_locale(**more: str) -> dict[str, str]:
    return {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", **more}


@pytest.mark.latex
@pytest.mark.parametrize("code", list(DECK_WORDS))
def test_the_beamer_deck_compiles_and_reads_in_each_language(code, tmp_path: Path):
    """``beamer(..., lang=code)`` compiles with pdflatex (babel, or CJK for Chinese) and its frames read in the
    language, with its decimal symbol; no English sentence is left on them."""
    compile_tex(beamer(_square(), lang=code), tmp_path, runs=1)
    text = pdf_text(tmp_path / "document.pdf").replace(" ", "").replace("\n", "")
    for word in DECK_WORDS[code]:
        assert word.replace(" ", "") in text, (code, word)
    if code != "en":
        for english in ("Given:", "Thegradients", "Backwardstep", "upstreamgradient", "onetoamatter"):
            assert english not in text, (code, english)


def test_the_deck_follows_the_language_in_use_and_its_numbers():
    """Without ``lang=``, the deck is in the language in use; the given values keep every digit with a decimal
    comma (``1{,}5``), and the graph's numbers too."""
    with using("de"):
        deck = beamer(_square())
    assert r"b = 1{,}5" in deck and "Gegeben" in deck and r"\usepackage[ngerman]{babel}" in deck
    assert "1,5" in deck  # the graph's text: a comma in text mode


@pytest.mark.latex
@pytest.mark.parametrize("code", list(LEGEND_WORDS))
def test_the_tikz_legend_compiles_in_each_language(code, tmp_path: Path):
    """``tikz(draw_dot(..., lang=code), standalone=True)`` compiles, and its legend reads in the language."""
    compile_tex(tikz(draw_dot(_square(), lang=code), standalone=True), tmp_path)
    text = pdf_text(tmp_path / "document.pdf")
    for word in LEGEND_WORDS[code]:
        assert word in text, (code, word, text)


def test_a_graph_keeps_the_language_it_was_drawn_in():
    """A graph drawn in French is written as TikZ in French, whatever the language in use when it is written."""
    graph = draw_dot(_square(), lang="fr")
    with using("es"):
        picture = tikz(graph)
    assert "l\\'{e}gende" in picture.replace("\\mbox{\\'{e}}", "\\'{e}") and "leyenda" not in picture


def test_the_parser_speaks_the_language_in_python():
    """An expression refused in Python says why in the language in use; what to type stays as typed."""
    with using("fr"), pytest.raises(ExpressionError, match=r"^colonne 5, 'y' : ") as refused:
        evaluate("x + y", {"x": Value(1.0)})
    assert "--at y=..." in str(refused.value)


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("de", "Spalte 1, '2x': meinten Sie 2*x? Die Multiplikation braucht ihr *"),
        ("fr", "colonne 1, '2x' : vouliez-vous dire 2*x ? La multiplication a besoin de son *"),
        ("es", "columna 1, '2x': ¿quería decir 2*x? La multiplicación necesita su *"),
        ("zh_Hans", "第 1 列，'2x'：你是指 2*x 吗？乘法需要写出 *"),
    ],
)
def test_a_refused_expression_is_one_line_in_the_language(code, said):
    """On the command line a refused expression is one line in the class's language, exit 2, no traceback."""
    result = run("explain", "2x + w", "--at", "x=1", "w=2", "--lang", code)
    assert result.returncode == 2
    assert result.stderr == f"tinygrad-scalar explain: error: {said}\n"
    assert result.stdout == ""


def test_a_refused_assignment_is_in_the_locales_language():
    """--at's messages follow the locale too, the option's name as typed."""
    result = run("graph", "x", "--at", "x=zwei", env=_no_locale(LANG="de_DE.UTF-8"))
    assert result.returncode == 2
    assert result.stderr == "tinygrad-scalar graph: error: 'zwei' ist keine Zahl (in --at x=zwei)\n"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("de", ("Aufruf: tinygrad-scalar explain", "Optionen:", "diese Hilfe zeigen und beenden", "Musterlösung")),
        ("fr", ("usage : tinygrad-scalar explain", "afficher cette aide et quitter", "solution rédigée")),
        ("es", ("uso: tinygrad-scalar explain", "opciones:", "mostrar esta ayuda y salir", "solución desarrollada")),
        ("zh_Hans", ("用法：tinygrad-scalar explain", "显示此帮助并退出", "解题过程")),
    ],
)
def test_help_is_written_in_the_language_lang_asks_for(code, words):
    """``explain --help --lang CODE`` (--lang read before argparse writes the help) is in that language; the
    options and the examples' commands are as typed."""
    result = run("explain", "--help", "--lang", code, env=_no_locale())
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout, (code, word)
    assert "--seconds-per-frame" in result.stdout and "show this help message" not in result.stdout


def test_help_follows_the_locale_and_an_unknown_lang_is_refused_in_one_line():
    """``check --help`` with a Spanish locale is in Spanish; ``--lang ja --help`` is refused in one line."""
    spanish = run("check", "--help", env=_no_locale(LANG="es_ES.UTF-8"))
    assert "el key.json que escribió el comando worksheet" in spanish.stdout
    refused = run("worksheet", "--lang", "ja", "--help", env=_no_locale())
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and "Traceback" not in refused.stderr


def test_a_link_carries_the_language_the_locale_chooses():
    """``explain --link`` without --lang writes the locale's language into the link (what the command line would
    have written in), and --lang's when given."""
    german = run("explain", *EXAMPLE, "--link", env=_no_locale(LANG="de_DE.UTF-8"))
    assert german.stdout.strip().endswith("&mode=stepper&lang=de"), german.stderr
    chinese = run("explain", *EXAMPLE, "--link", env=_no_locale(LANGUAGE="zh_CN:en", LANG="de_DE.UTF-8"))
    assert chinese.stdout.strip().endswith("&lang=zh_Hans"), chinese.stderr
    spanish = run("explain", *EXAMPLE, "--link", "--lang", "es", env=_no_locale(LANG="de_DE.UTF-8"))
    assert spanish.stdout.strip().endswith("&lang=es")
    english = run("explain", *EXAMPLE, "--link", env=_no_locale())
    assert english.stdout.strip().endswith("&lang=en")
