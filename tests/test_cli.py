"""The tinygrad-scalar command, run as a real subprocess: results, formats, and hostile input."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_viz import svg_nodes

LECTURE = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The timeout only keeps a hung run from stalling the suite; nothing is asserted about time.
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_scalar", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def table(text: str) -> dict[str, tuple[float, float]]:
    rows = [line.split() for line in text.splitlines()[1:] if len(line.split()) == 3]
    return {name: (float(value), float(grad)) for name, value, grad in rows}


def test_lecture_neuron_from_the_command_line(tmp_path: Path):
    """The lecture's neuron: o = 0.7071, the lecture's gradients in the table and in the SVG."""
    result = run("graph", *LECTURE, "-o", "neuron.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows["out"] == (0.7071, 1.0)
    assert rows == {
        "x1": (2.0, -1.5),
        "x2": (0.0, 0.5),
        "w1": (-3.0, 1.0),
        "w2": (1.0, 0.0),
        "b": (6.8814, 0.5),
        "out": (0.7071, 1.0),
    }
    assert "neuron.svg" in result.stdout.splitlines()[-1]
    records = {tuple(t) for t in svg_nodes((tmp_path / "neuron.svg").read_bytes()).values()}
    assert ("out", "data 0.7071", "grad 1.0000") in records
    assert ("x1", "data 2.0000", "grad -1.5000") in records


def test_without_output_the_dot_source_goes_to_stdout():
    """No -o: standard output is exactly the DOT source (the table goes to standard error)."""
    result = run("graph", "(x + y) * y", "--at", "x=2", "y=3")
    assert result.returncode == 0
    assert result.stdout.startswith("digraph {") and result.stdout.rstrip().endswith("}")
    assert table(result.stderr)["y"] == (3.0, 8.0)


@pytest.mark.parametrize(("args", "magic"), [(("--format", "png"), b"\x89PNG"), (("--format", "pdf"), b"%PDF")])
def test_formats(tmp_path: Path, args: tuple[str, str], magic: bytes):
    """--format png and pdf write those formats, whatever the file is called."""
    result = run("graph", "x*x", "--at", "x=3", "-o", "picture", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "picture").read_bytes().startswith(magic)


def test_format_from_suffix_and_dot(tmp_path: Path):
    """The suffix picks the format (.dot writes the source); an unknown suffix is an error, exit 2."""
    assert run("graph", "x*x", "--at", "x=3", "-o", "g.dot", cwd=tmp_path).returncode == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph {")
    bad = run("graph", "x*x", "--at", "x=3", "-o", "g.gif", cwd=tmp_path)
    assert bad.returncode == 2
    assert "cannot tell which format" in bad.stderr
    assert not (tmp_path / "g.gif").exists()


def test_options_reach_the_picture(tmp_path: Path):
    """--hide-grad, --rankdir TB, --fmt, --edge-grads and --sum-rule all change the DOT source."""
    result = run(
        "graph", "(x + y) * y", "--at", "x=2", "y=3", "--rankdir", "TB", "--fmt", "%.1f", "--edge-grads", "--sum-rule"
    )
    assert "rankdir=TB" in result.stdout
    assert "grad 8.0 (sum of 2)" in result.stdout
    assert re.search(r"v3op_in1 \[label=5\.0 ", result.stdout)  # the contribution 5.0 on its own edge
    hidden = run("graph", "x*y", "--at", "x=2", "y=3", "--hide-grad")
    assert "grad ?" in hidden.stdout and "grad 3" not in hidden.stdout


def test_python_m_and_console_script_are_the_same_command():
    """The installed tinygrad-scalar script runs the same command as python -m tinygrad_scalar."""
    script = Path(sys.executable).parent / "tinygrad-scalar"
    args = ["graph", "x*x", "--at", "x=3"]
    via_script = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)
    assert via_script.returncode == 0
    assert via_script.stdout == run(*args).stdout


@pytest.mark.parametrize("command", ["graph", "explain", "demo"])
def test_help_documents_every_option_with_an_example(command: str):
    """COMMAND --help lists every option, and its examples use every one of them."""
    text = run(command, "--help").stdout
    options = sorted(set(re.findall(r"^  (-[-\w]+)", text, flags=re.MULTILINE)) - {"-h"})
    assert options, text
    examples = text.split("examples:", 1)[1]
    for option in options:
        short_or_long = {option, {"--output": "-o"}.get(option, option)}
        assert any(o in examples for o in short_or_long) or option == "--help", (command, option)
    assert run("--help").returncode == 0


HOSTILE = [
    "__import__('os').system('touch PWNED')",
    "open('PWNED', 'w')",
    "x.__class__.__bases__[0].__subclasses__()",
    "x.data",
    "().__class__",
    "[x for x in (1, 2)]",
    "(lambda: 1)()",
    "'abc' * 2",
    "exp(x=1)",
    "exp(x, x)",
    "eval('1')",
    "9**9**9",
    "2**9**9",
    "y + 1",
    "x[0]",
    "x if x else x",
    "x < 1",
    "x and x",
    "{1: 2}",
    "(y := 1)",
    "~x",
    "not x",
    "x // 2",
    "x @ x",
    "f'{x}'",
    "1j * x",
    "True * x",
    "x; import os",
    "",
    "x + " * 600 + "x",
    "(" * 300 + "x" + ")" * 300,
    "exp(" * 150 + "x" + ")" * 150,
]


@pytest.mark.parametrize("command", ["graph", "explain"])
@pytest.mark.parametrize("expression", HOSTILE, ids=lambda e: repr(e[:30]))
def test_hostile_expressions_are_rejected_with_no_side_effect(tmp_path: Path, expression: str, command: str):
    """Anything outside the language exits with 2 and one line of explanation; no code runs, no file
    is written, no traceback is shown."""
    result = run(command, "--at", "x=2", "-o", "out.svg", "--", expression, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-scalar")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("x.__class__", "column 1, 'x.__class__': attribute access is not allowed"),
        ("x + exp(y=2)", "column 9, 'y=2': keyword arguments are not allowed"),
        ("y + 1", "unknown name 'y'; give it a value with --at y=..."),
        ("exp", "unknown name 'exp'; exp is a function: call it, e.g. exp(x)"),
        ("open(x)", "only these functions can be called"),
        ("9**9**9", "constant power overflows"),
        ("x + " * 600 + "x", "the limit is 2000"),
        ("-" * 1500 + "x", "nested"),
        ("-" * 150 + "x", "nested more than 100 levels"),
    ],
)
def test_error_messages_point_at_the_offending_part(expression: str, says: str):
    """The one-line message names what was refused and where."""
    assert says in run("graph", "--at", "x=2", "--", expression).stderr


@pytest.mark.parametrize(
    ("at", "says"),
    [
        (["x"], "NAME=NUMBER"),
        (["x=two"], "'two' is not a number"),
        (["x=1", "x=2"], "given twice"),
        (["exp=1"], "is a function name"),
        (["1x=2"], "not a valid variable name"),
    ],
)
def test_bad_assignments_are_rejected(at: list[str], says: str):
    """--at values that are not NAME=NUMBER pairs are refused with exit code 2."""
    result = run("graph", "x", "--at", *at)
    assert result.returncode == 2
    assert says in result.stderr


def test_expression_starting_with_minus():
    """A leading minus works after '--'; without it, the error says how to write it."""
    result = run("graph", "--at", "x=2", "--", "-x*3")
    assert table(result.stderr)["x"] == (2.0, -3.0)
    confused = run("graph", "-x*3", "--at", "x=2")
    assert confused.returncode == 2
    assert "after '--'" in confused.stderr


def test_special_values_and_reuse_from_the_command_line():
    """inf and nan may be given; a variable used twice sums its contributions."""
    result = run("graph", "x*x + log(y)", "--at", "x=3", "y=0")
    rows = table(result.stderr)
    assert rows["x"] == (3.0, 6.0)
    assert rows["out"][0] == float("-inf")


def test_missing_dot_exits_1_naming_the_package(tmp_path: Path):
    """With no dot on PATH, -o out.svg fails at once with the install hint; the DOT source still prints."""
    env = {**os.environ, "PATH": str(tmp_path)}
    result = run("graph", "x*x", "--at", "x=3", "-o", "out.svg", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "apt-get install graphviz" in result.stderr
    assert not (tmp_path / "out.svg").exists()
    assert run("graph", "x*x", "--at", "x=3", env=env).stdout.startswith("digraph")


def test_output_into_a_missing_folder_is_refused_at_once(tmp_path: Path):
    """Writing into a folder that does not exist is refused before any work, with exit 2 and one line."""
    result = run("graph", "x*x", "--at", "x=3", "-o", str(tmp_path / "missing" / "g.svg"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and len(result.stderr.splitlines()) == 1


def test_unwritable_output_is_a_clear_error():
    """A file that cannot be written (a folder of /proc, where not even root creates files) fails with exit 1
    and one line, no traceback."""
    result = run("graph", "x*x", "--at", "x=3", "-o", "/proc/tinygrad-scalar-test.svg")
    assert result.returncode == 1
    assert "cannot write" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_svg_output_is_well_formed_xml(tmp_path: Path):
    """The SVG written is a well-formed XML document."""
    run("graph", *LECTURE, "-o", "n.svg", cwd=tmp_path)
    assert ET.parse(tmp_path / "n.svg").getroot().tag.endswith("svg")


def test_null_byte_is_refused_by_the_parser():
    """A NUL character (which no command line can carry) is refused by the parser itself."""
    from tinygrad_scalar.core.expression import ExpressionError, evaluate

    with pytest.raises(ExpressionError, match="null"):
        evaluate("x\x00", {})


def test_explain_prints_the_steps_and_every_inputs_chain_rule():
    """explain prints each step in words and numbers, then each input's paths."""
    result = run("explain", "(w*x + b)**2", "--at", "x=2", "w=3", "b=1")
    assert result.returncode == 0, result.stderr
    assert "∂out/∂w = ∂out/∂u1 · ∂(w·x)/∂w = 14 · x = 14 · 2 = 28" in result.stdout  # the output: out
    assert "∂out/∂b = ∂out/∂u2 · ∂(u1 + b)/∂b = 14 · 1 = 14" in result.stdout
    assert "∂out/∂x = ∂(u2^2)/∂u2 · ∂(u1 + b)/∂u1 · ∂(w·x)/∂x = (2·u2) · 1 · w = 14 · 1 · 3 = 42" in result.stdout
    assert "where u1 = w·x" in result.stdout and "where u2 = u1 + b" in result.stdout


@pytest.mark.parametrize(("fmt", "marker"), [("markdown", "1. $"), ("latex", "\\begin{align*}")])
def test_explain_writes_a_worked_solution(tmp_path: Path, fmt: str, marker: str):
    """--format markdown|latex writes the worked solution, to standard output or to -o FILE."""
    printed = run("explain", "(x + y)*y", "--at", "x=2", "y=3", "--format", fmt)
    assert marker in printed.stdout and "= 8" in printed.stdout
    written = run("explain", "(x + y)*y", "--at", "x=2", "y=3", "--format", fmt, "-o", "solution.txt", cwd=tmp_path)
    assert written.returncode == 0
    assert (tmp_path / "solution.txt").read_text() == printed.stdout


def test_explain_writes_the_html_stepper(tmp_path: Path):
    """--format html -o FILE writes the standalone stepper: the forward part, then the backward part (one SVG
    per operation, plus the start of each part)."""
    result = run("explain", *LECTURE, "--format", "html", "-o", "stepper.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "stepper.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 12
    assert "∂out/∂u4 = ∂out/∂out · ∂tanh(u4)/∂u4 = 1 · (1 - tanh(u4)^2) = 1 · 0.5 = 0.5" in page


def test_an_expression_that_is_just_a_variable():
    """'x' alone: one row in the table, and explain says the output is x itself."""
    graph = run("graph", "x", "--at", "x=2")
    assert [line.split()[0] for line in graph.stderr.splitlines()[1:]] == ["x"]
    explained = run("explain", "x", "--at", "x=2")
    assert explained.returncode == 0
    assert "∂x/∂x = 1: x is the output itself" in explained.stdout


@pytest.mark.parametrize("command", ["graph", "explain"])
def test_every_help_example_runs(tmp_path: Path, command: str):
    """The examples printed by --help work as written (those piping into other programs excepted)."""
    import shlex

    examples = run(command, "--help").stdout.split("examples:", 1)[1]
    lines = [line.strip() for line in examples.splitlines() if line.strip().startswith(f"tinygrad-scalar {command}")]
    assert lines
    for line in lines:
        if "|" in line:
            line = line.split("|")[0]
        result = run(*shlex.split(line)[1:], cwd=tmp_path)
        assert result.returncode == 0, (line, result.stderr)


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The single line of an error: exit code as given, nothing on stdout, no traceback."""
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-scalar"), result.stderr
    return lines[0]


def fake_dot(folder: Path, script: str) -> dict[str, str]:
    """An environment whose PATH finds a `dot` that runs ``script`` (a broken Graphviz install, say)."""
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script)
    dot.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


BROKEN_DOT = (
    "echo 'Format: \"svg\" not recognized. No formats found.' >&2\n"
    "echo 'Perhaps \"dot -c\" needs to be run (with installer privileges) to register the plugins?' >&2\n"
    "exit 1\n"
)


@pytest.mark.parametrize("fmt", ["%d", "%i", "%u"])
@pytest.mark.parametrize("value", ["inf", "nan", "1e300"])
def test_whole_number_formats_are_refused_in_one_line(fmt: str, value: str):
    """--fmt %d (%i, %u) cannot show inf, nan or a huge number: refused up front, in --fmt's words."""
    line = one_line_error(run("graph", "x", "--at", f"x={value}", "--fmt", fmt))
    assert f"--fmt {fmt}" in line and "%.0f" in line


@pytest.mark.parametrize("fmt", ["%900000000f", "%.17000f", "%.2f %.2f", "%s", "no conversion"])
def test_unusable_formats_are_refused_at_once(tmp_path: Path, fmt: str):
    """A huge width or precision, two conversions, a text conversion: one line, exit 2, nothing written."""
    line = one_line_error(run("graph", "x", "--at", "x=1", "--fmt", fmt, "-o", "g.svg", cwd=tmp_path))
    assert "--fmt" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["%.2f<a>", "%.2f|", "%.2f\\N", "%.2f{", "<%.2f>", '%.2f"'])
def test_formatted_numbers_show_as_written_in_the_picture(tmp_path: Path, fmt: str):
    """Record syntax, HTML brackets, quotes and escapes that --fmt adds to numbers are escaped in the DOT source."""
    result = run("graph", "x*y", "--at", "x=1", "y=2", "--fmt", fmt, "--edge-grads", "-o", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    nodes = svg_nodes((tmp_path / "g.svg").read_bytes())
    assert nodes["v0"] == ["x", "data " + fmt % 1.0, "grad " + fmt % 2.0]
    assert nodes["v2op_in0"] == [fmt % 2.0]  # the contribution on the edge from x


def test_broken_dot_is_one_line_that_says_how_to_fix_it(tmp_path: Path):
    """When dot is installed but broken, graph -o and explain --format html say so in one line, exit 1."""
    env = fake_dot(tmp_path / "bin", BROKEN_DOT)
    for args in (["graph", "x*x", "--at", "x=3", "-o", "g.svg"], ["explain", "x*x", "--at", "x=3", "--format", "html"]):
        line = one_line_error(run(*args, cwd=tmp_path, env=env), code=1)
        assert "not recognized" in line and "dot -c" in line and "reinstall" in line
    assert not (tmp_path / "g.svg").exists()


def test_failing_dot_is_one_line_with_what_dot_said(tmp_path: Path):
    """Any other failure of dot is reported with dot's own words and the way to see its input (--format dot)."""
    env = fake_dot(tmp_path / "bin", "echo 'Error: bad label format { 1.00{ | b }' >&2\nexit 1\n")
    line = one_line_error(run("graph", "x*x", "--at", "x=3", "-o", "g.png", cwd=tmp_path, env=env), code=1)
    assert "bad label format" in line and "--format dot" in line


@pytest.mark.parametrize("output", ["", ".", "..", "sub", "sub/", "./"])
@pytest.mark.parametrize("command", ["graph", "explain"])
def test_output_that_is_not_a_file_name_is_refused(tmp_path: Path, command: str, output: str):
    """-o '' and -o naming a folder are refused in one line, before any work, and nothing is written."""
    (tmp_path / "sub").mkdir()
    line = one_line_error(run(command, "x*x", "--at", "x=3", "-o", output, cwd=tmp_path))
    assert "-o" in line and ("folder" in line or "file name" in line)
    assert [p.name for p in tmp_path.iterdir()] == ["sub"] and list((tmp_path / "sub").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["graph", "e**x", "--at", "e=1", "x=2"], "built-in constant"),
        (["graph", "2x", "--at", "x=3"], "did you mean 2*x?"),
        (["graph", "2(x + 1)", "--at", "x=3"], "did you mean 2*(...)?"),
        (["graph", "x \u2212 1", "--at", "x=3"], "MINUS SIGN"),
        (["graph", "x \u2212 1", "--at", "x=3"], "type '-' instead"),
        (["graph", "x \u00d7 2", "--at", "x=3"], "type '*' instead"),
        (["graph", "ln(x)", "--at", "x=3"], "use log(x) (log is the natural logarithm)"),
        (["graph", "x**2", "x=3"], "values go after --at: --at x=3"),
        (["explain", "w*x", "w=2", "x=3"], "values go after --at: --at w=2 x=3"),
        (["graph", "tanh(x*w + b)", "--at", "x=1", "w=2", "b=1", "bb=6.88"], "'bb'"),
        (["graph", "tanh(x*w + b)", "--at", "x=1", "w=2", "b=1", "bb=6.88"], "closest variable in it is b"),
        (["explain", "3"], "a constant: it has no variable, so there is no gradient to explain"),
        (["graph", "x", "--at", "lambda=1"], "'lambda' is a reserved word"),
        (["graph", "x", "--at", "True=1"], "'True' is a reserved word"),
        (["graph", "x*y", "--at", "x=1", "\uff58=5", "y=3"], "given twice in --at"),
        (["graph", "x", "--at", "x=1", "--max-nodes", "0"], "--max-nodes must be at least 1"),
    ],
)
def test_student_mistakes_get_one_line_that_names_the_fix(args: list[str], says: str):
    """Each mistake of issue 14's table is one line, exit 2, naming the fix in command-line words."""
    line = one_line_error(run(*args))
    assert says in line


def test_bare_command_lists_every_command_with_one_line_each():
    """tinygrad-scalar alone lists graph, explain, demo, worksheet and check, each with what it does, and exits 2."""
    result = run()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = {line.split()[0]: line for line in result.stderr.splitlines() if line.startswith("  ")}
    assert set(lines) == {"graph", "explain", "demo", "worksheet", "check"}
    assert "draw the computation graph" in lines["graph"] and "train an MLP" in lines["demo"]


def test_repeated_at_options_are_all_kept():
    """--at x=3 --at y=2 gives both values, as --at x=3 y=2 does."""
    result = run("graph", "x*y", "--at", "x=3", "--at", "y=2")
    assert result.returncode == 0, result.stderr
    assert table(result.stderr)["x"] == (3.0, 2.0) and table(result.stderr)["y"] == (2.0, 3.0)


def test_e_and_pi_are_built_in_constants():
    """e**x needs no --at e: its gradient is e**x; sin(pi*x) at 0.5 has gradient pi*cos(pi/2), about 0 (in floats
    1.9236e-16, which the table writes as it is, not as 0.0000)."""
    rows = table(run("graph", "e**x", "--at", "x=1").stderr)
    assert rows["x"] == (1.0, 2.7183) and rows["out"] == (2.7183, 1.0)
    rows = table(run("graph", "sin(pi*x)", "--at", "x=0.5").stderr)
    assert rows["out"] == (1.0, 1.0) and 0.0 < abs(rows["x"][1]) < 1e-15


def test_fullwidth_names_are_folded_on_both_sides():
    """A fullwidth x in --at is the x of the expression (Python folds it too): it gets the gradient."""
    result = run("graph", "\uff58*y", "--at", "\uff58=5", "y=3")
    assert result.returncode == 0, result.stderr
    assert table(result.stderr)["x"] == (5.0, 3.0)


def test_look_alike_letters_are_named_in_the_message():
    """A Cyrillic x in --at next to a Latin x in the expression: the message spells out both letters."""
    line = one_line_error(run("graph", "x", "--at", "\u0445=1"))
    assert "unknown name 'x'" in line and "CYRILLIC SMALL LETTER HA" in line


@pytest.mark.parametrize(
    ("expression", "where"),
    [
        ("\u00e9\u00e9 + y.z", "column 6, 'y.z'"),  # two 2-byte letters before: 6 characters, not 8 bytes
        (" x.z", "column 2, 'x.z'"),  # a leading space counts too
        ("(\u00e9\u00e9 +\n y.z)", "line 2, column 2, 'y.z'"),
        ("(\u00e9\u00e9 +\n $ y)", "line 2, column 2"),  # Python's own syntax errors as well
    ],
)
def test_error_columns_count_characters_and_lines(expression: str, where: str):
    """Error positions count characters, not UTF-8 bytes, and name the line on input of several lines."""
    line = one_line_error(run("graph", "--at", "\u00e9\u00e9=1", "--", expression))
    assert where in line


def test_explain_of_a_constant_writes_nothing(tmp_path: Path):
    """explain "3" -o FILE is refused (no gradient to explain) and writes no file."""
    one_line_error(run("explain", "3", "-o", "out.md", cwd=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "x", "--at", "x=1", "--fmt", "%q"],
        ["graph", "x*x", "--at", "x=1", "--max-nodes", "1"],
        ["graph", "x", "--at", "x=1", "-o", "g.gif"],
        ["graph", "x", "--at", "x=1", "--format", "png"],
        ["explain", "x", "--at", "x=1", "-o", ""],
        ["demo", "--lr", "nan"],
    ],
)
def test_messages_use_command_line_words_not_python_names(args: list[str], tmp_path: Path):
    """No Python parameter or function name (fmt=, max_nodes=, format=, draw_dot) reaches the command line."""
    line = one_line_error(run(*args, cwd=tmp_path))
    for python_word in ("fmt=", "max_nodes=", "format=", "draw_dot", "save_graph", "ValueError"):
        assert python_word not in line


def test_no_color_draws_no_red_sum_rule_outline():
    """--sum-rule --no-color outlines the summed value in black: no red, no fill, no legend."""
    result = run("graph", "(x + y) * y", "--at", "x=2", "y=3", "--sum-rule", "--no-color")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "{ y |" in line)
    assert "color=black" in line and "penwidth" in line
    assert "#dc2626" not in result.stdout and "fillcolor" not in result.stdout and "legend" not in result.stdout


def test_an_unexpected_failure_is_one_line_without_traceback(tmp_path: Path):
    """Even a failure nobody planned for (here: the stepper's module is broken) is one line, exit 1."""
    package = tmp_path / "shadow" / "tinygrad_scalar"
    package.parent.mkdir()
    import shutil

    shutil.copytree(Path(__file__).resolve().parent.parent / "tinygrad_scalar", package)
    broken = package / "teaching" / "stepper.py"
    broken.write_text(broken.read_text() + "\nraise RuntimeError('broken')\n")
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    line = one_line_error(run("explain", "x*x", "--at", "x=3", cwd=tmp_path, env=env), code=1)
    assert "internal error" in line and "RuntimeError: broken" in line


def test_stepper_lays_a_hard_graph_out_once(tmp_path: Path):
    """explain --format html of x*x*...*x (100 factors, hard for dot: x feeds every product) lays the graph out
    once for all its 200 pictures (it was once refused, at one layout per picture), and writes the page."""
    expression = "*".join(["x"] * 100)
    result = run("explain", expression, "--at", "x=1", "--format", "html", "-o", "s.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s.html").read_text().count('class="tgs-frame"') == 200


@pytest.mark.parametrize("output", [[], ["-o", "/dev/stdout"]])
def test_a_reader_that_leaves_early_gets_no_traceback(output):
    """explain ... | head: when the reader has stopped reading, the command stops with at most one line and no
    traceback (printing: quietly, with 141 as a Unix tool stopped by SIGPIPE; -o /dev/stdout: it says so)."""
    command = [sys.executable, "-m", "tinygrad_scalar", "explain", "tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2",
               "x2=0", "w1=-3", "w2=1", "b=6.88", *output]  # fmt: skip
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        result = subprocess.run(command, stdout=write_end, capture_output=False, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip
    finally:
        os.close(write_end)
    errors = result.stderr.decode()
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
    assert (result.returncode, errors) == (141, "") if not output else result.returncode == 1
    assert len(errors.splitlines()) <= 1


def test_numbers_far_from_one_are_written_in_scientific_notation(tmp_path: Path):
    """graph's default writes 2.0000 as micrograd does, but a vanishing gradient (sigmoid at -40) as 4.2484e-18,
    never 0.0000, and 1e300 in 11 characters, in the table and in the picture alike; a --fmt given is kept."""
    result = run("graph", "sigmoid(x)", "--at", "x=-40", "-o", "s.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["x"] == ["-40.0000", "4.2484e-18"]
    assert svg_nodes((tmp_path / "s.svg").read_bytes())["v0"] == ["x", "data -40.0000", "grad 4.2484e-18"]
    result = run("graph", "x*y", "--at", "x=1e-300", "y=1e300", "-o", "g.svg", cwd=tmp_path)
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:4]}
    assert rows == {"x": ["1.0000e-300", "1.0000e+300"], "y": ["1.0000e+300", "1.0000e-300"], "out": ["1.0000"] * 2}
    fields = svg_nodes((tmp_path / "g.svg").read_bytes())["v0"]
    assert fields == ["x", "data 1.0000e-300", "grad 1.0000e+300"]
    result = run("graph", "sigmoid(x)", "--at", "x=-40", "--fmt", "%.4f", cwd=tmp_path)
    assert result.stderr.splitlines()[1].split()[1:] == ["-40.0000", "0.0000"]  # as asked


def test_the_demo_writes_a_huge_final_loss_in_scientific_notation(tmp_path: Path):
    """demo --lr 1e6 for three steps: the loss after training is written like 4.3051e+28, not in 29 digits."""
    result = run("demo", "--quiet", "--steps", "3", "--samples", "20", "--hidden", "4", "--lr", "1e6", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    loss = re.search(r"after training: loss (\S+) ", result.stdout).group(1)
    assert re.fullmatch(r"\d\.\d{4}e\+\d\d", loss), loss


@pytest.mark.parametrize("option", ["--bogus", "-x"])
def test_an_option_before_any_command_names_the_commands(option: str):
    """An option where the command should be is refused in one line that names the commands, never 'None'."""
    result = run(option)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "None" not in result.stderr
    assert result.stderr.startswith(f"tinygrad-scalar: error: unrecognized option '{option}'; start with a command")
    assert "graph, explain, demo, worksheet, check" in result.stderr


def test_version_prints_the_installed_version():
    """--version prints the program's name and the version the package was installed at."""
    from importlib import metadata

    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"tinygrad-scalar {metadata.version('tinygrad-scalar')}\n")


@pytest.mark.parametrize("command", ["graph", "explain"])
def test_a_misplaced_expression_is_explained_with_the_commands_own_examples(command: str):
    """explain "-x" (an expression that starts with '-') gets examples of explain, not of graph."""
    for args in ([command, "-x", "--at", "x=4"], [command, "x", "--at", "x=4", "--bogus"]):
        result = run(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f'{command} --at x=2 -- "-x*3"' in result.stderr
        other = "graph" if command == "explain" else "explain"
        assert f"{other} --at" not in result.stderr
