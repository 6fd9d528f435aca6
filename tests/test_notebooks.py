"""The notebooks: committed without outputs, and executed in a real kernel (nbmake's runner), where every
cell runs with its asserts holding, every plot shows as a picture, training shows its progress bar
as a widget instead of writing text to stderr, and every exercise asks for an answer, gives none away,
and judges a right and a wrong one.

Each notebook is executed once, by the ``run`` fixture, and the tests below read its outputs. For the
exercises, the fixture runs each exercise cell twice more, right after itself: once with its blank filled
by the right answer and once by a wrong one, both worked out by hand in ``EXERCISES`` below.
"""

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbmake.nb_result import NotebookResult
from nbmake.nb_run import NotebookRun

from tests import notebooks_clean
from tests.notebooks_clean import leftovers

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

PLOTTING = re.compile(r"^[^#\n]*\b(?:plot_\w+|draw_dot|plt\.\w+)\(", flags=re.MULTILINE)
"""A code cell that calls one of these makes a picture: our plots, graphs, or pyplot."""
TRAINING = re.compile(r"^[^#\n]*\bfit\(", flags=re.MULTILINE)
"""A code cell that trains with ``fit``."""
BLANK = re.compile(r"^(?P<name>\w+) = \.\.\.(?=[ \t]*(?:#|$))", flags=re.MULTILINE)
"""The blank of an exercise: a line ``answer = ...`` (with a comment or not) that the student fills."""

EXERCISES: dict[str, dict[str, tuple[str, str, str]]] = {
    # notebook: {blank: (the right answer, a wrong one, what the wrong one is told)}, worked out by hand
    "01": {"answer": ("42.0", "3.0", "upstream gradient forgotten")},  # 2·(xy + 1)·y = 2·7·3; 3 is ∂(xy)/∂x alone
    "02": {"answer": ("15.0", "9.0", "one path instead of the sum")},  # (x + 1)·3 + 3x·1 = 9 + 6; 9 is one path
    "03": {
        "answer_1": ("0.79", "0.46", "derivative of the wrong function"),  # 1 - tanh(0.5)^2 = 0.7864; tanh(0.5)
        "answer_2": ("1.57", "0.79", "local derivative forgotten"),  # 0.7864·x = 1.5729; 0.7864 without x
    },
    "04": {
        "answer_1": ("14.0", "10.0", "too small"),  # 5, then 5 + 1 + 2·s·2 (the inner node's 2 passed on again)
        "prediction_2": ('"a flat ReLU side"', '"a multiplication by zero"', "it is a flat ReLU side"),  # w·x + b < 0
    },
    "06": {"answer": ("-4.0", "4.0", "sign error")},  # ∂L/∂s·1·b = d·b = (-2)·2
    "07": {"answer": ("2.0", "1.0", "one path instead of the sum")},  # f'' = 2cos x - x sin x; 1 is one cos x
    "08": {
        "answer_1": ("1.43", "0.95", "local derivative forgotten"),  # sigmoid(3)·x = 0.9526·1.5; sigmoid(3) without x
        "square_derivative": ("lambda g, x, out: g * 2.0 * x", "lambda g, x, out: g * x", "measured there is 6"),
        "prediction_3": ('"forward"', '"reverse"', "it is forward"),  # one input: one forward pass, three backward
    },
    "09": {
        "answer_1": ("10.0", "6.0", "one path instead of the sum"),  # v + u·1 = 6 + 4; 6 is the direct path
        "prediction_2": ('"contributions that cancel"', '"a multiplication by zero"', "contributions that cancel"),
        "prediction_3": ('["s"]', '["s", "y"]', "it is s"),  # s gets s + s + 1 from two uses; = keeps one
    },
    "10": {
        "answer_1": ("0.25", "0.5", "derivative of the wrong function"),  # a(1 - a) = 0.5·0.5; 0.5 is a itself
        "prediction_2": ("2", "1", "but it is 2"),  # column j is δ times x_j, and x_2 = 0
        "prediction_3": ("[1.0372, -0.1118]", "[1.6127, -0.1133]", "not quite"),  # 1.6127·0.6432, -0.1133·0.9866
    },
}
"""Every exercise of every notebook: a notebook may hold no blank that is missing here, nor this table one
that the notebook lacks."""

ANSWERED = "tinygrad_scalar_test_answered"
"""The metadata key of an exercise cell the fixture added, filled with the right or the wrong answer."""

IMAGES = ("image/png", "image/svg+xml")
WIDGET = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 600  # seconds; a generous bound for a slow shared machine, not a speed test


def shows_progress(source: str) -> bool:
    """Whether a code cell trains with ``fit`` and its progress bar on (the default)."""
    return bool(TRAINING.search(source)) and "progress=False" not in source


def test_the_teaching_sequence_is_there():
    """Notebooks 1 to 5 take a newcomer from a derivative to a trained MLP."""
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_", "05_"):
        assert any(name.startswith(prefix) for name in names), names


def test_notebooks_are_committed_without_outputs():
    """No stale outputs: every code cell is clean."""
    for path in NOTEBOOKS:
        assert leftovers(nbformat.read(path, as_version=4)) == [], path


def test_every_notebook_explains_before_it_shows_and_checks_its_numbers():
    """Each notebook opens with Markdown, keeps code cells short, and asserts its key numbers."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.cells[0].cell_type == "markdown", path
        code = [c.source for c in notebook.cells if c.cell_type == "code"]
        assert sum("assert" in c for c in code) >= 3, path
        assert max(len(c.splitlines()) for c in code) <= 30, path


def blanks(source: str) -> list[str]:
    """The names of the blanks in a code cell's source."""
    return [m["name"] for m in BLANK.finditer(source)]


def with_answers(notebook: NotebookNode, answers: dict[str, tuple[str, str, str]]) -> NotebookNode:
    """A copy of ``notebook`` in which each exercise cell is followed by itself twice: its blank filled with
    the right answer, then with the wrong one (each marked in its metadata)."""
    augmented = copy.deepcopy(notebook)
    cells = []
    for cell in augmented.cells:
        cells.append(cell)
        for name in blanks(cell.source) if cell.cell_type == "code" else []:
            for which, answer in (("right", answers[name][0]), ("wrong", answers[name][1])):
                filled = nbformat.v4.new_code_cell(BLANK.sub(f"{name} = {answer}", cell.source))
                filled.metadata[ANSWERED] = {"blank": name, "answer": which}
                cells.append(filled)
    augmented.cells = cells
    return augmented


@dataclass
class Run:
    """A committed notebook and what executing it gave: the notebook with its outputs (the cells the fixture
    added for the exercises taken out again), those added cells, and the error if any."""

    path: Path
    result: NotebookResult

    @property
    def nb(self) -> NotebookNode:
        stored = copy.copy(self.result.nb)
        stored.cells = [c for c in self.result.nb.cells if ANSWERED not in c.metadata]
        return stored

    @property
    def answered(self) -> list[NotebookNode]:
        return [c for c in self.result.nb.cells if ANSWERED in c.metadata]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One notebook executed top to bottom in a fresh kernel, as nbmake runs it, with each exercise cell
    followed by its right and its wrong answer; it runs in a folder of its own, so that nothing it writes
    lands in notebooks/."""
    path: Path = request.param
    augmented = tmp_path_factory.mktemp(path.stem) / path.name
    nbformat.write(with_answers(nbformat.read(path, as_version=4), EXERCISES.get(path.name[:2], {})), augmented)
    return Run(path, NotebookRun(augmented, CELL_TIMEOUT).execute())


def executed_cells(run: Run) -> list[tuple[int, NotebookNode]]:
    """The code cells of a notebook that ran to the end, with their indexes; a failed run fails the test."""
    error = run.result.error
    if error is not None:
        pytest.fail(f"the notebook stopped at cell {error.failing_cell_index}: {error.summary}")
    return [(i, cell) for i, cell in enumerate(run.nb.cells) if cell.cell_type == "code"]


def verdict(cell: NotebookNode) -> str:
    """What an exercise cell's check says: the text of its result (the cell's last expression)."""
    return "".join(o.data.get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result")


def test_every_notebook_runs_to_the_end_with_its_asserts_holding(run: Run):
    """Executing a notebook raises nowhere: every cell runs and every assert about its numbers holds."""
    assert run.result.error is None, run.result.error.trace


def test_every_plot_shows_as_one_image(run: Run):
    """Each cell that draws (plot_history, plot_decision_boundary, draw_dot, plt.*) shows an image,
    never the text ``<Figure size ...>`` in its place, and never the same image twice."""
    for i, cell in executed_cells(run):
        shown = [o.get("data", {}) for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
        for data in shown:
            if data.get("text/plain", "").startswith("<Figure size"):
                assert any(kind in data for kind in IMAGES), f"cell {i} shows a figure as text: {data['text/plain']}"
        texts = "".join(o.text for o in cell.outputs if o.output_type == "stream")
        assert "<Figure size" not in texts, f"cell {i} prints a figure as text"
        if PLOTTING.search(cell.source):
            images = [data[kind] for data in shown for kind in IMAGES if kind in data]
            assert images, f"cell {i} draws but shows no image:\n{cell.source}"
            assert len(images) == len(set(images)), f"cell {i} shows the same image twice"


def test_no_cell_writes_to_stderr(run: Run):
    """No cell writes to stderr: no progress bar as red text, no "IProgress not found", no warning."""
    for i, cell in executed_cells(run):
        errors = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert errors == [], f"cell {i} wrote to stderr: {''.join(errors)[:300]}"


def test_training_shows_its_progress_bar_as_a_widget(run: Run):
    """A cell that trains with fit and its progress bar on shows the bar as a Jupyter widget."""
    for i, cell in executed_cells(run):
        if shows_progress(cell.source):
            kinds = [kind for o in cell.outputs for kind in o.get("data", {})]
            assert WIDGET in kinds, f"cell {i} trains without a progress widget: {kinds}"


def test_the_checks_find_the_cells_they_are_for():
    """The patterns find the notebooks' own plotting and training cells, and skip calls in comments."""
    cells = {
        p.name[:2]: [c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"] for p in NOTEBOOKS
    }
    assert sum(bool(PLOTTING.search(c)) for c in cells["02"]) >= 3  # draw_dot
    assert sum(bool(PLOTTING.search(c)) for c in cells["05"]) >= 2  # plot_history, plot_decision_boundary
    assert sum(shows_progress(c) for c in cells["05"]) >= 1
    assert not PLOTTING.search("x = 1  # draw_dot(o) would draw it") and PLOTTING.search("plt.plot(xs, ys)")
    assert not shows_progress("fit(model, X, y, progress=False)")


def test_every_exercise_blank_has_its_answers_worked_out_here():
    """Each notebook's blanks are exactly those of EXERCISES, one per cell, so that every exercise is
    answered right and wrong in the kernel below."""
    for path in NOTEBOOKS:
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        found = [name for source in cells for name in blanks(source)]
        assert sorted(found) == sorted(EXERCISES.get(path.name[:2], {})), path.name
        assert all(len(blanks(source)) <= 1 for source in cells), path.name


def test_no_exercise_cell_holds_its_own_answer():
    """An exercise cell and the cell after it (its reveal) never write the right answer, nor assert it: the
    checker computes it. (A prediction names its choices, so only the numbers an ``answer`` blank asks for
    are looked for.)"""
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            for name in blanks(cell.source) if cell.cell_type == "code" else []:
                right = EXERCISES[path.name[:2]][name][0]
                for source in (c.source for c in cells[i : i + 2]):
                    assert "check_answer" not in source and "assert" not in source, (path.name, name)
                    if name.startswith("answer") and re.fullmatch(r"-?[0-9.]+", right):
                        number = re.escape(right.rstrip("0").rstrip("."))
                        assert not re.search(rf"(?<![\w.]){number}(?:\.0*)?(?![\w.])", source), (path.name, right)


def test_every_exercise_asks_until_answered_then_judges_the_answer(run: Run):
    """Left blank, an exercise says "your turn" and fails nothing; filled in the kernel with the right
    answer it says "right", with a wrong one it says what is wrong, never "right"."""
    executed_cells(run)
    answers = EXERCISES.get(run.path.name[:2], {})
    asking = [verdict(cell) for _, cell in executed_cells(run) if blanks(cell.source)]
    assert len(asking) == len(answers)
    assert all(text.startswith("your turn: ") for text in asking), asking
    judged = {(c.metadata[ANSWERED]["blank"], c.metadata[ANSWERED]["answer"]): verdict(c) for c in run.answered}
    assert len(judged) == 2 * len(answers)
    for name, (_, _, told) in answers.items():
        assert judged[name, "right"].startswith("right: "), judged[name, "right"]
        wrong = judged[name, "wrong"]
        assert not wrong.startswith("right") and told in wrong, wrong


def test_every_reveal_is_folded(run: Run):
    """A reveal shows its worked step in a closed <details> and, as plain text, only its title."""
    reveals = [cell for _, cell in executed_cells(run) if cell.source.startswith("reveal(")]
    assert len(reveals) >= (1 if run.path.name[:2] in EXERCISES else 0)
    for cell in reveals:
        (data,) = [o.data for o in cell.outputs if o.output_type == "execute_result"]
        folded = data["text/html"]
        assert folded.startswith('<details class="tgs-worked-step"><summary') and " open" not in folded
        assert data["text/plain"].endswith("(folded: open it in Jupyter, or print it)")


def test_cleaning_an_executed_notebook_leaves_only_what_a_person_wrote(run: Run, tmp_path: Path):
    """notebooks_clean finds what running made (outputs, counts, timings, widget state), and --fix strips
    it all, leaving every cell as committed."""
    executed = tmp_path / run.path.name
    nbformat.write(run.nb, executed)
    found = leftovers(run.nb)
    trains = any(shows_progress(cell.source) for _, cell in executed_cells(run))
    assert found and ("widget state" in found) == trains, found
    assert notebooks_clean.main([str(tmp_path)]) == 1
    assert notebooks_clean.main(["--fix", str(tmp_path)]) == 0
    assert notebooks_clean.main([str(tmp_path)]) == 0
    cleaned, committed = nbformat.read(executed, as_version=4), nbformat.read(run.path, as_version=4)
    assert [(c.id, c.cell_type, c.source, c.metadata) for c in cleaned.cells] == [
        (c.id, c.cell_type, c.source, c.metadata) for c in committed.cells
    ]
