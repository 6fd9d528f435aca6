"""A worked solution is a complete handout: the problem, the forward pass, every substitution with its numbers,
the answers; the exponential rule is its own; any name compiles; user text in LaTeX is text. Each PDF is
compiled with a real pdflatex and read back with poppler."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import LECTURE, run
from tests.test_latex import compile_latex
from tinygrad_scalar import Value, defop
from tinygrad_scalar.core.engine import topological_order
from tinygrad_scalar.core.expression import evaluate, parse_assignments
from tinygrad_scalar.teaching.latex import LatexError
from tinygrad_scalar.teaching.solutions import worked_solution


def lecture_neuron() -> Value:
    """The lecture's neuron, its output labelled o."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o


def cs231n() -> Value:
    """CS231n's f = (x + y)·z at x = -2, y = 5, z = -4."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.label = "f"
    return f


def sigmoid_neuron() -> Value:
    """CS231n's sigmoid neuron 1/(1 + exp(-(w0·x0 + w1·x1 + w2))) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3."""
    w0, x0, w1, x1, w2 = (
        Value(v, label=n) for n, v in [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]
    )
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.label = "f"
    return f


def pdf_text(document: str, folder: Path, paper: str = "a4paper") -> tuple[str, int]:
    """Compile ``document``; return the PDF's text (poppler's pdftotext) and its number of pages."""
    compile_latex(document, folder, paper)
    pdf = folder / f"solution-{paper}.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return text, int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_the_solution_states_the_problem_and_the_given_values():
    """It starts with the function, in the picture's names, and the given values."""
    text = worked_solution(lecture_neuron(), "text")
    first = text.splitlines()[0]
    assert first.startswith("Problem: o = tanh(x1·w1 + x2·w2 + b).")
    assert "at x1 = 2, w1 = -3, x2 = 0, w2 = 1 and b = 6.88137" in first


def test_the_forward_pass_shows_every_value_in_forward_order():
    """For the lecture's neuron 0.8814 and 0.7071 appear, each value defined from the ones before it, in
    forward order (u1, u2, u3, u4, then o)."""
    text = worked_solution(lecture_neuron(), "text")
    forward = text.split("Forward pass")[1].split("Backward pass")[0]
    assert "u4 = u3 + b = -6 + 6.88137 = 0.881374" in forward
    assert "o = tanh(u4) = tanh(0.881374) = 0.707107" in forward
    defined = re.findall(r"^  (u\d|o) = ", forward, flags=re.M)
    assert defined == ["u1", "u2", "u3", "u4", "o"]


def test_every_substitution_shows_the_numbers_it_uses():
    """1·(1 - tanh² u4) is followed by the same with u4's number, 0.881374, before it becomes 0.5."""
    text = worked_solution(lecture_neuron(), "text")
    row = next(line for line in text.splitlines() if "∂o/∂u4 =" in line)
    assert "1 · (1 - tanh(u4)^2) = 1 · (1 - tanh(0.881374)^2) = 1 · 0.5 = 0.5" in row
    latex = worked_solution(lecture_neuron(), "latex")
    assert r"1 - \tanh^{2} 0.881374" in latex


def test_the_answers_are_collected_at_the_end():
    """The last part lists the gradient of every input."""
    text = worked_solution(cs231n(), "text")
    assert text.rstrip().splitlines()[-1] == "Answers: ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3"


def test_the_output_keeps_its_own_name_in_python_and_on_the_command_line():
    """CS231n's f is f everywhere (never L); explain --name f names it on the command line."""
    text = worked_solution(cs231n(), "text")
    assert "∂f/∂x" in text and "∂L" not in text and "L =" not in text
    result = run("explain", "(x + y)*z", "--at", "x=-2", "y=5", "z=-4", "--name", "f", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert r"\frac{\partial f}{\partial x} = -4" in result.stdout and r"\partial L" not in result.stdout
    taken = run("explain", "(x + y)*z", "--at", "x=-2", "y=5", "z=-4", "--name", "x")
    assert taken.returncode == 2 and "--name" in taken.stderr and taken.stderr.count("\n") == 1


def test_the_sigmoid_neuron_fits_on_two_a4_pages(tmp_path: Path):
    """CS231n's sigmoid neuron, the whole handout, compiles on at most two A4 pages with no overfull box."""
    document = worked_solution(sigmoid_neuron(), "latex").latex(standalone=True)
    text, pages = pdf_text(document, tmp_path)
    assert pages <= 2
    assert "0.731059" in text and "0.196612" in text


@pytest.mark.parametrize(("expression", "formula"), [("e**x", "e^x"), ("2**x", "2^x·ln(2)")])
def test_a_constant_base_is_the_exponential_rule_and_euler_is_e(expression: str, formula: str):
    """e**x and 2**x are differentiated by the exponential rule (a^x ln a), never the power rule, and e is
    written e, never 2.71828."""
    variables = parse_assignments(["x=3"])
    text = worked_solution(evaluate(expression, variables), "text")
    assert "exponential rule" in text and "power rule" not in text and "2.71828" not in text
    assert f"· {formula} =" in text or f"· ({formula}) =" in text, text


SAME_GLYPH = str.maketrans({"\u2206": "Δ", "\u03bc": "µ", "\u2126": "Ω"})  # poppler reads back their twins


@pytest.mark.parametrize("name", ["θ", "β", "\u03c3", "café", "Δt", "µ", "ß", "Ωmega", "x_1"])
def test_latex_accepts_any_name_a_student_can_type(name: str, tmp_path: Path):
    """explain NAME*x --format latex --standalone compiles with pdflatex for Greek letters, accents and
    subscripts, and the name reads back from the PDF."""
    result = run("explain", f"{name}*x + x", "--at", f"{name}=2", "x=3", "--format", "latex", "--standalone")
    assert result.returncode == 0, result.stderr
    text, _ = pdf_text(result.stdout, tmp_path)
    assert name in text.translate(SAME_GLYPH), text


@pytest.mark.parametrize("label", ["x₁", "w²", "θ₀", "naïve", "Ærø", "λ'"])
def test_latex_accepts_any_label_given_in_python(label: str, tmp_path: Path):
    """Labels the expression language does not allow (Unicode subscripts and superscripts) compile too."""
    x = Value(2.0, label=label)
    text, _ = pdf_text(worked_solution(x * x, "latex").latex(standalone=True), tmp_path)
    readable = label.replace("₁", "1").replace("²", "2").replace("₀", "0").replace("'", "\u2032")
    assert readable in text.replace("\n", "").translate(SAME_GLYPH), text


def test_a_name_no_font_has_is_refused_in_one_line():
    """A Chinese name cannot be set by pdflatex's fonts: --standalone says so in one line, exit 2."""
    result = run("explain", "变量*2", "--at", "变量=3", "--format", "latex", "--standalone")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "pdflatex cannot typeset" in result.stderr
    with pytest.raises(LatexError):
        worked_solution(evaluate("变量*2", parse_assignments(["变量=3"])), "latex").latex(standalone=True)


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "html"])
def test_a_name_pdflatex_cannot_set_is_explained_where_no_pdflatex_is_needed(fmt: str):
    """A Chinese name is explained in text, Markdown (MathJax sets it), LaTeX to paste into a XeLaTeX document and
    the stepper: exit 0 and the name in the output, never an internal error."""
    result = run("explain", "变量*2", "--at", "变量=3", "--format", fmt)
    assert result.returncode == 0 and "变量" in result.stdout, result.stderr


def test_a_rule_given_by_a_user_is_text_and_reads_no_file(tmp_path: Path):
    """defop(..., rule=r"$\\input{secret.txt}$"): the compiled solution shows those characters and pdflatex
    never reads secret.txt."""
    (tmp_path / "secret.txt").write_text("TOPSECRETWORD")
    sneaky = defop(
        "user_sneaky", forward=lambda x: 2.0 * x, derivatives=[lambda g, x, out: g * 2.0], rule=r"$\input{secret.txt}$"
    )
    x = Value(1.5, label="x")
    document = worked_solution(sneaky(x) * x, "latex").latex(standalone=True)
    text, _ = pdf_text(document, tmp_path)
    assert "TOPSECRETWORD" not in text and r"$\input{secret.txt}$" in text


def test_a_dollar_in_a_rule_or_a_label_compiles(tmp_path: Path):
    """A rule and a label that say "costs $5" compile, and print the dollar sign."""
    pricey = defop("user_pricey", forward=lambda x: 3.0 * x, derivatives=[lambda g, x, out: g * 3.0], rule="costs $5")
    x = Value(2.0, label="costs $5")
    y = pricey(x) * x
    document = worked_solution(y, "latex").latex(standalone=True)
    text, _ = pdf_text(document, tmp_path)
    assert text.count("costs $5") >= 3  # the rule, as text, and the label as a name in the maths, space kept
    assert r"costs \$5" in str(worked_solution(y, "markdown"))


def test_the_command_line_writes_the_lecture_handout(tmp_path: Path):
    """explain --format latex --standalone on the lecture's neuron names the output, compiles, and its PDF
    holds the forward pass's 0.881374 and 0.707107."""
    result = run("explain", *LECTURE, "--name", "o", "--format", "latex", "--standalone", "-o", "o.tex", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text, pages = pdf_text((tmp_path / "o.tex").read_text(), tmp_path)
    assert "0.881374" in text and "0.707107" in text and pages == 1


def test_definitions_come_in_forward_order_for_every_example():
    """In each example's solution the forward rows follow the topological order of the graph."""
    for make in (lecture_neuron, cs231n, sigmoid_neuron):
        root = make()
        solution = worked_solution(root).solution
        names = [row.target for row in solution.forward]
        order = [n for n in topological_order(root) if n._prev]
        assert len(names) == len(order) and names[-1] == solution.root_name
