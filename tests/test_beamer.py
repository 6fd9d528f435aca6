"""Beamer decks of a backward pass: compiled by pdflatex, a frame per step with its numbers, a graph that stays."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.pdflatex import compile_tex, font_types, page_count, pdf_text, words
from tests.test_cli import one_line_error, run
from tests.test_tikz import square
from tests.test_viz import lecture_neuron
from tinygrad_scalar import Value
from tinygrad_scalar.teaching.beamer import MAX_DECK_NODES, _expression, beamer
from tinygrad_scalar.teaching.explanations import backward_steps
from tinygrad_scalar.views.naming import graph_names, num


def frames(log_folder: Path, name: str) -> list[tuple[int, int]]:
    """The first and last page of each frame, from the navigation file beamer writes."""
    nav = (log_folder / f"{name}.nav").read_text(encoding="latin-1")
    return [(int(a), int(b)) for a, b in re.findall(r"\\beamer@framepages \{(\d+)\}\{(\d+)\}", nav)]


def compiled(root: Value, folder: Path) -> tuple[str, list[tuple[int, int]]]:
    """The deck of ``root`` compiled: the log, and each frame's pages."""
    log = compile_tex(beamer(root), folder, "deck")
    return log, frames(folder, "deck")


@pytest.fixture(scope="module")
def neuron_deck(tmp_path_factory) -> tuple[Value, Path, str, list[tuple[int, int]]]:
    folder = tmp_path_factory.mktemp("neuron")
    root = lecture_neuron()
    log, pages = compiled(root, folder)
    return root, folder / "deck.pdf", log, pages


def test_lecture_neuron_deck_has_one_frame_per_step(neuron_deck):
    """The lecture neuron's deck: the problem, the forward pass, one frame per backward step, the gradients; one
    overlay more per operation (forward) and per input given a gradient (backward); no overfull box; vector fonts."""
    root, pdf, log, pages = neuron_deck
    steps = backward_steps(root).steps
    assert len(pages) == 2 + len(steps) + 1 == 8
    overlays = [b - a + 1 for a, b in pages]
    operations = sum(1 for node in backward_steps(root).order if node._prev)
    assert overlays == [1, 1 + operations, *(1 + len(step.shown()) for step in steps), 1]
    assert page_count(pdf) == sum(overlays)
    assert "Overfull" not in log and "Underfull \\vbox" not in log
    assert font_types(pdf) == {"Type 1"}


def test_each_step_frame_shows_its_numbers(neuron_deck):
    """The last overlay of each step frame shows the step's upstream gradient and, for each input, the local
    derivative and the gradient it reaches, as the worked solution writes them; its title names the step."""
    root, pdf, _, pages = neuron_deck
    steps = backward_steps(root).steps
    for step, (_, last) in zip(steps, pages[2:-1]):
        text = pdf_text(pdf, last)
        assert f"Backward step {step.index} of {len(steps)}" in text
        assert f"= {num(step.upstream)}" in text
        for update in step.shown():
            assert (
                f"{num(step.upstream)} · {num(update.local) if update.local >= 0 else f'({num(update.local)})'}" in text
            )
            assert f"= {num(update.after)}" in text


def test_step_two_reveals_its_inputs_one_overlay_at_a_time(neuron_deck):
    """On the first overlay of the step n = x1*w1 + x2*w2 + b, b's gradient is still ?; on the last it is 0.5."""
    _, pdf, _, pages = neuron_deck
    first, last = pages[3]
    assert "b data 6.88137 grad ?" in pdf_text(pdf, first)
    assert "b data 6.88137 grad 0.5" in pdf_text(pdf, last)


def test_the_graphs_text_reads_from_the_back_of_the_room(neuron_deck):
    """On every picture frame, the graph's words (data, grad) are at least 20 px high on a 1920 px wide projection."""
    _, pdf, _, pages = neuron_deck
    for first, _ in pages[1:]:
        width, found = words(pdf, first)
        heights = [height * 1920 / width for word, height in found if word in ("data", "grad")]
        assert len(heights) == 2 * 10 and min(heights) >= 20, (first, min(heights))


def test_the_problem_frame_states_the_function_and_the_given_values(neuron_deck):
    """The first frame gives the function, every given value exactly as given, and asks for each gradient."""
    _, pdf, _, _ = neuron_deck
    text = pdf_text(pdf, 1)
    assert "o = tanh (x1 · w1 + x2 · w2 + b)" in text
    assert "x1 = 2, w1 = -3, x2 = 0, w2 = 1, b = 6.881373587019543" in text
    assert "Find:" in text


def test_the_summary_frame_lists_every_gradient(neuron_deck):
    """The last frame shows each input's gradient, from a fresh backward pass."""
    _, pdf, _, pages = neuron_deck
    text = pdf_text(pdf, pages[-1][0])
    assert "The gradients" in text
    answers = text.split("that value:")[1].replace(" ", "")
    assert re.findall(r"=(-?[\d.]+)", answers) == ["-1.5", "1", "0.5", "0", "0.5"]


def test_the_graph_never_moves():
    """Every frame draws the graph at the same positions, in the same box, at the same width: only styles and
    numbers change."""
    deck = beamer(lecture_neuron())
    pictures = re.findall(r"\\resizebox\{[\d.]+cm\}\{!\}\{%\n\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", deck, re.S)
    assert len(pictures) == 2 + 5
    layouts = {
        tuple(re.findall(r"\) at \(([-\d.]+,[-\d.]+)\)|\\useasboundingbox \(([^)]*)\)|\\resizebox\{([\d.]+)cm", p))
        for p in pictures
    }
    assert len(layouts) == 1


def test_a_deck_changes_no_gradient():
    """Making a deck explains a fresh pass and leaves every grad as it was, stale ones included."""
    out = square()
    order = backward_steps(out).order
    for i, node in enumerate(order):
        node.grad = 100.0 + i
    beamer(out)
    assert [node.grad for node in order] == [100.0 + i for i in range(len(order))]


def test_the_square_deck_from_the_command_line(tmp_path):
    """explain --format beamer -o deck.tex writes a deck pdflatex compiles: 2 + 3 steps + 1 frames."""
    result = run("explain", "(w*x + b)**2", "--at", "x=2", "w=3", "b=1", "--format", "beamer", "-o", "deck.tex",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    log = compile_tex((tmp_path / "deck.tex").read_text(), tmp_path, "deck")
    assert len(frames(tmp_path, "deck")) == 2 + 3 + 1
    assert "Overfull" not in log
    text = pdf_text(tmp_path / "deck.pdf")
    assert "out = (w · x + b)2" in text and "= 28" in text and "= 42" in text  # an unlabelled output is out
    fonts = subprocess.run(["pdffonts", str(tmp_path / "deck.pdf")], capture_output=True, text=True).stdout
    assert "CMSS" in fonts and "CMR" not in fonts  # out is set in the deck's sans serif, as x and u1 are


def test_a_graph_too_large_for_a_slide_is_refused():
    """Past MAX_DECK_NODES values the deck is refused, saying what to do; on the command line in one line, exit 2."""
    x = Value(0.5, label="x")
    out = x
    for _ in range(MAX_DECK_NODES):
        out = out * x
    with pytest.raises(ValueError, match="worked_solution"):
        beamer(out)
    line = one_line_error(run("explain", "*".join(["x"] * (MAX_DECK_NODES + 1)), "--at", "x=1", "--format", "beamer"))
    assert "at most 40" in line and "--format latex" in line


def test_a_name_latex_cannot_write_is_refused_in_command_line_words():
    """A variable LaTeX cannot write (Chinese) stops explain --format beamer in one line, naming the character."""
    line = one_line_error(run("explain", "变*2", "--at", "变=1", "--format", "beamer"))
    assert "--format beamer" in line and "U+53D8" in line


@pytest.mark.parametrize(
    ("make", "written"),
    [
        (lambda x, y, w: (w * x + y) ** 2, r"\left(w \cdot x + y\right)^{2}"),
        (lambda x, y, w: (x + y) * y, r"\left(x + y\right) \cdot y"),
        (lambda x, y, w: 1 / (1 + (-(w * x + y)).exp()), r"\frac{1}{1 + e^{-\left(w \cdot x + y\right)}}"),
        (lambda x, y, w: x - (y - w), r"x - \left(y - w\right)"),
        (lambda x, y, w: x * 2 - 1, r"x \cdot 2 - 1"),
        (lambda x, y, w: (x * y).relu() - 1, r"\operatorname{relu}(x \cdot y) - 1"),
        (lambda x, y, w: x * (y * w) + (x + y) / w, r"x \cdot y \cdot w + \frac{x + y}{w}"),
    ],
)
def test_the_problem_is_written_with_brackets_only_where_needed(make, written):
    """The function on the first frame brackets an operand only where precedence needs it."""
    out = make(Value(2.0, label="x"), Value(1.5, label="y"), Value(3.0, label="w"))
    assert _expression(out, graph_names(out)) == (written, [])


def test_a_value_used_twice_is_named_and_defined():
    """A shared value keeps its name in the function, and a "where" defines it once."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    u = x * y
    out = u * u + u
    assert _expression(out, graph_names(out)) == (r"u_{1} \cdot u_{1} + u_{1}", [r"u_{1} = x \cdot y"])


def sigmoid_neuron() -> Value:
    """CS231n's sigmoid neuron, 1/(1 + exp(-(w0*x0 + w1*x1 + w2))): a graph too long to read whole on a slide."""
    w0, x0, w1, x1, w2 = (
        Value(v, label=n) for n, v in zip(["w0", "x0", "w1", "x1", "w2"], [2.0, -1.0, -3.0, -2.0, -3.0])
    )
    out = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    out.label = "f"
    return out


@pytest.mark.slow
def test_a_long_graph_is_shown_through_a_window_that_follows_the_pass(tmp_path):
    """On a graph too long for its text to be read whole, each step frame shows the part that holds the step's
    value and its inputs, at 20 px or more; the forward pass takes as many frames as its windows need."""
    root = sigmoid_neuron()
    deck = beamer(root)
    frames_source = deck.split(r"\begin{frame}")[1:]
    steps = backward_steps(root).steps
    for step, source in zip(steps, frames_source[-1 - len(steps) : -1]):
        x0, y0, x1, y1 = map(
            float, re.search(r"\\clip \(([-\d.]+),([-\d.]+)\) rectangle \(([-\d.]+),([-\d.]+)\)", source).groups()
        )
        marked = re.findall(
            r"\\node\[[^\]]*tgs (?:current|on=<\d+->\{tgs touched\})[^\]]*\] \([^)]*\) at \(([-\d.]+),([-\d.]+)\)",
            source,
        )
        assert len(marked) == 1 + len({id(u.parent) for u in step.shown()})
        assert all(x0 < float(x) < x1 and y0 < float(y) < y1 for x, y in marked), (step.index, marked)
    log, pages = compiled(root, tmp_path)
    assert "Overfull" not in log
    assert len(pages) == 1 + 2 + len(steps) + 1
    for first, _ in pages[1:-1]:
        width, found = words(tmp_path / "deck.pdf", first)
        heights = [height * 1920 / width for word, height in found if word in ("data", "grad")]
        assert heights and min(heights) >= 20, (first, min(heights))


def test_standalone_is_refused_with_beamer_in_one_line():
    """--standalone belongs to --format latex; with --format beamer (a whole document already) it is refused."""
    line = one_line_error(run("explain", "x*y", "--at", "x=2", "y=3", "--format", "beamer", "--standalone"))
    assert "--format latex" in line and "--format beamer always writes a complete document" in line
