"""Grading a teacher would sign: error carried forward counted apart, a tolerance relative to the gradient, hints
that name the real cause, a class graded in one run; and the grader's input (a student's file) treated as
hostile: escaped, bounded, Excel's CSV read, special files and edited keys refused in one line."""

import json
import math
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_cli import run
from tinygrad_scalar import Value
from tinygrad_scalar.teaching.grading import STATUSES, echo, grade, read_answers
from tinygrad_scalar.teaching.practice import SIGN, WRONG_FUNCTION, check_answer, tolerance_text
from tinygrad_scalar.teaching.worksheet import make_sheet


@pytest.fixture(scope="module")
def neuron(tmp_path_factory):
    """A class of three neuron sheets written by the command, and its key."""
    out = tmp_path_factory.mktemp("grading") / "class"
    result = run("worksheet", "--seed", "2026", "--students", "3", "--difficulty", "neuron", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, json.loads((out / "key.json").read_text())


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints: exit 2, no traceback, no control character."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\x9b]", result.stderr), repr(result.stderr)
    return result.stderr


def carried_answers(entry: dict) -> dict[str, float]:
    """The issue's slip: ∂L/∂e written as e (the factor 2 of ∂(e²)/∂e forgotten), then the chain rule applied
    correctly from there: every other answer is half the key's."""
    answers = {name: g / 2 for name, g in entry["gradients"].items()}
    answers["e"] = entry["values"]["e"]
    return answers


# ---- marking ------------------------------------------------------------------------------------------------


def test_one_early_slip_is_marked_once_and_the_work_after_it_is_carried(neuron):
    """∂L/∂e with the factor 2 forgotten, then the chain rule applied correctly from there: e is wrong (the
    slip named), the ten answers after it are carried, each explained as following from the slip at e, and
    none is told "not a mistake I recognise"."""
    _, key = neuron
    entry = key["sheets"][0]
    result = grade(key, 1, carried_answers(entry))
    marks = {m.name: m for m in result.marks}
    assert marks["e"].status == "wrong" and WRONG_FUNCTION in marks["e"].hint and "factor 2" in marks["e"].hint
    carried = [m for m in result.marks if m.name != "e"]
    assert [m.status for m in carried] == ["carried"] * 10
    assert all("the slip at e" in m.hint and "recognise" not in m.hint for m in carried)
    assert (result.count("right"), result.count("carried"), result.count("wrong"), result.score) == (0, 10, 1, 10)


def test_a_blank_answer_does_not_break_the_work_carried_after_it(neuron):
    """With ∂L/∂h left blank after the slip at e, the answers below h are still carried from the student's own
    ∂L/∂e."""
    _, key = neuron
    answers = carried_answers(key["sheets"][0])
    answers["h"] = None
    marks = {m.name: m.status for m in grade(key, 1, answers).marks}
    assert marks["h"] == "blank" and marks["n"] == "carried" and marks["w1"] == "carried"


def test_the_tolerance_is_relative_so_zero_is_never_right_for_a_vanishing_gradient():
    """∂tanh(x)/∂x at x = 3 is 0.00987: 0 and 0.005 are wrong, three significant figures are right."""
    x = Value(3.0, label="x")
    y = x.tanh()
    y.label = "y"
    right = 1.0 - math.tanh(3.0) ** 2
    assert f"{right:.3g}" == "0.00987"
    assert not check_answer(y, x, 0.0).correct and not check_answer(y, x, 0.005).correct
    assert check_answer(y, x, 0.00987).correct and check_answer(y, x, 0.0099).correct
    assert "1 %" in tolerance_text()


def test_a_sign_error_names_where_the_minus_sign_comes_from():
    """CS231n's (x + y)·z at x=-2, y=5, z=-4: answering ∂f/∂y = 4 is a sign error whose minus comes from the
    upstream gradient ∂f/∂q = -4, not from the local derivative, which is +1."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    hint = check_answer(f, y, 4.0).hint
    assert hint.startswith(SIGN) and "upstream gradient ∂f/∂q = -4" in hint
    assert "minus signs of the local derivatives" not in hint
    assert "local derivative ∂(q·z)/∂q = -4" in check_answer(f, q, 4.0).hint  # here the minus is z's


def test_grade_refuses_names_and_sheets_it_does_not_have(neuron):
    """A name the sheet does not have, and answers whose header names another sheet, are refused."""
    _, key = neuron
    with pytest.raises(ValueError, match="does not have"):
        grade(key, 1, {"zz": 1.0})
    other = read_answers(f"name,gradient (sheet {key['sheets'][1]['sheet']})\nw1,2\n", "csv")
    with pytest.raises(ValueError, match=r"their own class's key\.json"):
        grade(key, 1, other)


# ---- the command line -----------------------------------------------------------------------------------------


def test_check_grades_right_answers(neuron, tmp_path: Path):
    """The key's own gradients, typed into the CSV, are all right."""
    folder, key = neuron
    grads = key["sheets"][1]["gradients"]
    answers = tmp_path / "student-02-answers.csv"
    answers.write_text("name,gradient\n" + "".join(f"{n},{g}\n" for n, g in grads.items()))
    result = run("check", str(folder / "key.json"), str(answers))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"student 2: {len(grads)} right, 0 carried, 0 wrong, 0 blank")


def test_check_json_prints_the_shape_of_the_issue(neuron, tmp_path: Path):
    """check --json prints {"student": N, "answers": {name: {"status": ..., "hint": ...}}, ...}."""
    folder, key = neuron
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(carried_answers(key["sheets"][0]) | {"w1": None}))
    result = run("check", str(folder / "key.json"), str(answers), "--student", "1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["student"] == 1 and set(data["answers"]) == set(key["sheets"][0]["gradients"])
    assert all(set(a) == {"status", "hint"} and a["status"] in STATUSES for a in data["answers"].values())
    assert data["answers"]["w1"]["status"] == "blank" and data["answers"]["e"]["status"] == "wrong"
    assert (data["right"], data["carried"], data["wrong"], data["blank"], data["score"]) == (0, 9, 1, 1, 9)


def test_check_grades_a_class_in_one_run_with_a_report_and_a_summary(neuron, tmp_path: Path):
    """check KEY A B C grades three students in one run; --report writes one row per student for a gradebook;
    the terminal ends with the class summary: the most common slips and the hardest question."""
    folder, key = neuron
    files = []
    for i, entry in enumerate(key["sheets"], 1):
        answers = dict(entry["gradients"])
        if i == 2:
            answers = carried_answers(entry)
        if i == 3:
            answers["x1"] = -answers["x1"]
        path = tmp_path / f"student-0{i}-answers.csv"
        path.write_text("name,gradient\n" + "".join(f"{n},{g}\n" for n, g in answers.items()))
        files.append(str(path))
    report = tmp_path / "class.csv"
    result = run("check", str(folder / "key.json"), *files, "--report", str(report))
    assert result.returncode == 0, result.stderr
    rows = report.read_text().splitlines()
    assert rows[0] == "student,sheet,file,right,carried,wrong,blank,score,out_of"
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3"]
    assert rows[2].split(",")[3:] == ["0", "10", "1", "0", "10", "11"]
    summary = result.stdout.split("\n\n")[-1]
    assert "class of 3" in summary and "most common slips:" in summary
    assert "derivative of the wrong function (1 answer, 1 student)" in summary and SIGN in summary
    assert "hardest question: ∂L/∂x1" in summary or "hardest question: ∂L/∂e" in summary


def test_check_refuses_bad_answers_in_command_line_words(neuron, tmp_path: Path):
    """A name not on the sheet, a word for a number, no way to tell the student: exit 2, one line."""
    folder, _ = neuron
    cases = {
        "zz.csv": ("zz,3\n", "does not have"),
        "word.csv": ("w1,three\n", "not a number"),
        "answers.csv": ("w1,1\n", "--student N"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        extra = ["--student", "1"] if name != "answers.csv" else []
        result = run("check", str(folder / "key.json"), str(tmp_path / name), *extra)
        assert said in one_line_error(result)


def test_answers_to_a_sheet_of_another_seed_are_refused(neuron, tmp_path: Path):
    """A CSV written for seed 11 (its header names its sheet), graded with the key of seed 2026, is refused
    instead of misgraded."""
    folder, _ = neuron
    other = make_sheet(11, "neuron", 1)
    answers = tmp_path / "student-01-answers.csv"
    answers.write_text(other.answers_csv().replace(",\n", ",1\n"))
    said = one_line_error(run("check", str(folder / "key.json"), str(answers)))
    assert "seed '11'" in said and "seed 2026" in said


# ---- the grader's input --------------------------------------------------------------------------------------------

HOSTILE = [
    "a\x1b]0;pwned\x07",
    "a\x00b",
    "a\nstudent 1: 2 of 2 right",
    "a\rstudent 1: 11 right",
    "a\u202eevil",
    "\x9b31m",
]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("kind", ["json", "csv", "csv-number"])
def test_control_characters_from_a_students_file_never_reach_the_terminal(neuron, tmp_path: Path, name, kind):
    """An unknown name (JSON or CSV) or a bad number echoed in an error is escaped: no escape sequence, no
    forged line, no carriage return, no bidirectional override reaches the teacher's terminal."""
    folder, _ = neuron
    path = tmp_path / f"student-01-answers.{kind[:4] if kind != 'csv-number' else 'csv'}"
    if kind == "json":
        path.write_text(json.dumps({name: 1}))
    elif kind == "csv":
        path.write_text(f'"{name}",1\n', newline="")
    else:
        path.write_text(f'w1,"{name}"\n', newline="")
    said = one_line_error(run("check", str(folder / "key.json"), str(path)))
    assert echo(name)[1:-1] in said  # shown, escaped


def test_a_hostile_file_name_is_escaped_too(neuron, tmp_path: Path):
    """An answer file whose name holds a newline is named escaped in the error."""
    folder, _ = neuron
    path = tmp_path / "a\nstudent 1: 11 right.txt"
    path.write_text("w1,1\n")
    assert "\\n" in one_line_error(run("check", str(folder / "key.json"), str(path), "--student", "1"))


def test_excel_csv_utf8_with_a_byte_order_mark_and_crlf_is_read(neuron, tmp_path: Path):
    """Excel's "CSV UTF-8": a byte-order mark, CRLF, quoted cells; and the semicolon-separated CSV of a
    decimal-comma locale, with 1,5 for 1.5: all graded right."""
    folder, key = neuron
    grads = key["sheets"][0]["gradients"]
    excel = tmp_path / "student-01-answers.csv"
    excel.write_bytes(("\ufeffname,gradient\r\n" + "".join(f'"{n}","{g}"\r\n' for n, g in grads.items())).encode())
    result = run("check", str(folder / "key.json"), str(excel))
    assert result.returncode == 0 and f"{len(grads)} right" in result.stdout, result.stdout + result.stderr
    german = tmp_path / "student-01-de.csv"
    german.write_bytes(
        ("\ufeffname;gradient\r\n" + "".join(f"{n};{g:.1f}\r\n".replace(".", ",") for n, g in grads.items())).encode()
    )
    result = run("check", str(folder / "key.json"), str(german), "--student", "1")
    assert result.returncode == 0 and f"{len(grads)} right" in result.stdout, result.stdout + result.stderr


def test_a_30_mb_answer_file_is_refused_without_being_echoed(neuron, tmp_path: Path):
    """A 30 MB file is refused in one short line (its size named), not echoed back."""
    folder, _ = neuron
    big = tmp_path / "student-01-answers.csv"
    big.write_bytes(b"w1," + b"9" * (30 * 2**20) + b"\n")
    said = one_line_error(run("check", str(folder / "key.json"), str(big)))
    assert len(said) < 300 and "larger than" in said


@pytest.mark.parametrize("where", ["answers", "key"])
def test_deeply_nested_json_is_a_clear_error_not_a_recursion_error(neuron, tmp_path: Path, where):
    """'[' times 100,000 in the key, times 50,000 in the answers (100,000 is refused by its size): one line,
    no RecursionError."""
    folder, _ = neuron
    nested = tmp_path / ("student-01-answers.json" if where == "answers" else "key.json")
    nested.write_text("[" * (100_000 if where == "key" else 50_000))
    key = str(nested if where == "key" else folder / "key.json")
    answers = str(nested if where == "answers" else tmp_path / "student-01-answers.csv")
    (tmp_path / "student-01-answers.csv").write_text("w1,1\n")
    said = one_line_error(run("check", key, answers))
    assert "nested too deeply" in said and "RecursionError" not in said


TAMPERED = {
    "seed NaN": lambda k: k | {"seed": float("nan")},
    "seed Infinity": lambda k: k | {"seed": float("inf")},
    "seed abc": lambda k: k | {"seed": "abc"},
    "seed list": lambda k: k | {"seed": [1]},
    "seed null": lambda k: k | {"seed": None},
    "seed float": lambda k: k | {"seed": 2026.5},
    "seed huge": lambda k: k | {"seed": 10**30},
    "difficulty": lambda k: k | {"difficulty": "hard"},
    "sheets 5": lambda k: k | {"sheets": 5},
    "sheets x": lambda k: k | {"sheets": "x"},
    "sheets [[1]]": lambda k: k | {"sheets": [[1]]},
    "sheets [null]": lambda k: k | {"sheets": [None]},
    "sheets []": lambda k: k | {"sheets": []},
    "student twice": lambda k: k | {"sheets": [k["sheets"][0], k["sheets"][0]]},
    "draw": lambda k: k | {"sheets": [k["sheets"][0] | {"draw": -1}]},
    "value": lambda k: k | {"sheets": [k["sheets"][0] | {"values": k["sheets"][0]["values"] | {"w1": 3.0}}]},
    "gradient": lambda k: k | {"sheets": [k["sheets"][0] | {"gradients": {"w1": 1.0}}]},
    "files": lambda k: k | {"files": [1]},
    "a list": lambda k: [k],
    "null": lambda k: None,
}


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_key_is_refused_with_a_clear_error(neuron, tmp_path: Path, case):
    """Every way of editing key.json ends in one line about the key, exit 2, never an internal error."""
    _, key = neuron
    tampered = tmp_path / "key.json"
    tampered.write_text(json.dumps(TAMPERED[case](key)))
    answers = tmp_path / "student-01-answers.csv"
    answers.write_text("w1,1\n")
    said = one_line_error(run("check", str(tampered), str(answers)))
    assert "key" in said, said


@pytest.mark.parametrize("where", ["answers", "key"])
def test_a_fifo_with_no_writer_is_refused_at_once(neuron, tmp_path: Path, where):
    """A FIFO that nobody writes, given as the answers or the key, is refused at once instead of hanging."""
    folder, _ = neuron
    fifo = tmp_path / ("student-01-answers.csv" if where == "answers" else "key.json")
    os.mkfifo(fifo)
    (tmp_path / "real.csv").write_text("w1,1\n")
    key = str(fifo if where == "key" else folder / "key.json")
    answers = str(fifo if where == "answers" else tmp_path / "real.csv")
    start = time.monotonic()
    said = one_line_error(run("check", key, answers, "--student", "1"))
    assert "FIFO" in said and time.monotonic() - start < 30


def test_a_device_is_refused_at_once(neuron):
    """/dev/zero as the answers is refused as a device, not read until memory runs out."""
    folder, _ = neuron
    said = one_line_error(run("check", str(folder / "key.json"), "/dev/zero", "--student", "1"))
    assert "device" in said


def test_echo_escapes_and_bounds_what_it_repeats():
    """echo shows control and format characters as escapes and cuts long text, naming its length."""
    assert echo("a\x1b]0;x\x07") == "'a\\x1b]0;x\\x07'"
    assert echo("a\u202eb") == "'a\\u202eb'"
    long = echo("x" * 10_000)
    assert len(long) < 100 and "10000 characters" in long


def test_one_bad_file_of_a_class_is_named_and_the_others_are_graded(neuron, tmp_path: Path):
    """In a class run, a file that cannot be graded is named on standard error (one line, escaped), the others
    are graded, and the exit code is 2."""
    folder, key = neuron
    good = tmp_path / "student-01-answers.csv"
    good.write_text("".join(f"{n},{g}\n" for n, g in key["sheets"][0]["gradients"].items()))
    bad = tmp_path / "student-02-answers.csv"
    bad.write_text("w1,\x1bthree\n")
    result = run("check", str(folder / "key.json"), str(good), str(bad))
    assert result.returncode == 2 and "student 1: 11 right" in result.stdout
    assert "student-02-answers.csv" in result.stderr and "\x1b" not in result.stderr
    assert all(line.startswith("tinygrad-scalar check: error:") for line in result.stderr.splitlines())
