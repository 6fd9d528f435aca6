"""A class's files: a worksheet run writes a whole class or nothing, never touches a file outside its folder,
never loses a file it did not write, and two runs into one folder leave one complete class."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import run
from tinygrad_scalar.core.files import SaveError, write_folder


def consistent(folder: Path) -> int:
    """Check that ``folder`` holds one complete class: every file named by its key.json with the same SHA-256,
    and every answer CSV naming the key's own sheet; returns the class's seed."""
    key = json.loads((folder / "key.json").read_text())
    present = {p.name for p in folder.iterdir()} - {"key.json"}
    assert present == set(key["files"]), present ^ set(key["files"])
    for name, digest in key["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    for entry in key["sheets"]:
        csv = folder / f"student-{entry['student']:02d}-answers.csv"
        assert csv.read_text().splitlines()[0] == f"name,gradient (sheet {entry['sheet']})"
    return key["seed"]


def worksheet(out: Path, seed: int, students: int = 2) -> list[str]:
    args = ["worksheet", "--seed", str(seed), "--students", str(students), "--difficulty", "product"]
    return [sys.executable, "-m", "tinygrad_scalar", *args, "--out", str(out)]


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """A folder holding a class of seed 10."""
    out = tmp_path / "class"
    result = subprocess.run(worksheet(out, 10), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("after", [0.3, 1.5, 3.0])
def test_an_interrupted_run_leaves_the_earlier_class_intact(earlier: Path, after: float):
    """Ctrl-C during a second run (seed 11) into the same folder, at any moment: the folder holds one complete
    class, file for file what its key names; no half-written or hidden folder is left beside it."""
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    process = subprocess.Popen(worksheet(earlier, 11, students=4), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    seed = consistent(earlier)
    if seed == 10:
        assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert [p.name for p in earlier.parent.iterdir()] == ["class"]


def test_two_overlapping_runs_leave_one_complete_class(tmp_path: Path):
    """Two runs into one folder at the same time (seeds 1 and 2) are serialised: both finish, and the folder
    holds the complete class of one of them, never the key of one and the sheets of the other."""
    out = tmp_path / "class"
    runs = [
        subprocess.Popen(worksheet(out, seed, 3), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (1, 2)
    ]
    said = [p.communicate(timeout=180)[1] for p in runs]
    assert [p.returncode for p in runs] == [0, 0], said
    assert consistent(out) in (1, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["class"]


@pytest.mark.parametrize("name", ["", ".", "..", "./"])
def test_out_must_name_a_new_folder(tmp_path: Path, name: str):
    """worksheet --out '' (or . or ..) is refused in one line, exit 2; the current folder's key.json is kept."""
    (tmp_path / "key.json").write_text("mine")
    result = run("worksheet", "--seed", "1", "--out", name, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--out" in result.stderr, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"] and (tmp_path / "key.json").read_text() == "mine"


@pytest.mark.parametrize("planted", ["key.json", "student-09.pdf"])
def test_a_symbolic_link_planted_in_the_folder_is_refused_and_nothing_outside_is_touched(earlier: Path, planted):
    """class/key.json (or any name) as a link to ../outside/victim: the run is refused in one line, the victim
    and the folder are left as they were."""
    outside = earlier.parent / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("precious")
    (earlier / planted).unlink(missing_ok=True)
    (earlier / planted).symlink_to(Path("..") / "outside" / "victim")
    before = sorted(p.name for p in earlier.iterdir())
    result = run("worksheet", "--seed", "11", "--difficulty", "product", "--out", str(earlier))
    assert result.returncode == 2 and "symbolic link" in result.stderr and result.stderr.count("\n") == 1
    assert victim.read_text() == "precious" and sorted(p.name for p in earlier.iterdir()) == before


def test_a_folder_that_is_a_symbolic_link_is_refused(tmp_path: Path):
    """--out naming a link to another folder is refused; the other folder is left as it was."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("keep")
    (tmp_path / "class").symlink_to(elsewhere)
    result = run("worksheet", "--seed", "1", "--difficulty", "product", "--out", str(tmp_path / "class"))
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert [p.name for p in elsewhere.iterdir()] == ["notes.txt"]


def test_an_earlier_class_is_replaced_but_returned_answers_are_never_lost(earlier: Path):
    """An unchanged earlier class is replaced whole by a new one; once a filled-in CSV (or any other file) is
    in the folder, the run is refused and the file kept."""
    result = run("worksheet", "--seed", "12", "--difficulty", "product", "--students", "2", "--out", str(earlier))
    assert result.returncode == 0, result.stderr
    assert consistent(earlier) == 12
    filled = earlier / "student-01-answers.csv"
    filled.write_text(filled.read_text().replace("a,", "a,3"))
    result = run("worksheet", "--seed", "13", "--difficulty", "product", "--out", str(earlier))
    assert result.returncode == 2 and "student-01-answers.csv" in result.stderr and "changed" in result.stderr
    assert "a,3" in filled.read_text()
    (earlier / "notes.txt").write_text("mine")
    result = run("worksheet", "--seed", "13", "--difficulty", "product", "--out", str(earlier))
    assert result.returncode == 2 and "notes.txt" in result.stderr


# ---- write_folder itself ---------------------------------------------------------------------------------------


def test_write_folder_is_all_or_nothing_when_interrupted_at_the_swap(tmp_path: Path):
    """A Ctrl-C at the last moment (while the old folder is checked) leaves the old folder as it was and no
    staged folder behind."""
    old = tmp_path / "out"
    write_folder(old, {"a.txt": b"old"})

    def interrupted(_: Path) -> str | None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_folder(old, {"a.txt": b"new", "b.txt": b"new"}, interrupted)
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and (old / "a.txt").read_bytes() == b"old"
    assert [p.name for p in old.iterdir()] == ["a.txt"]


def test_a_ctrl_c_while_the_folder_is_written_leaves_the_earlier_one(tmp_path: Path):
    """A real SIGINT while the files are being written is held until the run has undone itself: the earlier
    folder stays as it was, no staged folder is left, and the KeyboardInterrupt comes right after."""
    old = tmp_path / "out"
    write_folder(old, {"a.txt": b"old"})

    def replaceable(_: Path) -> str | None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, at the worst moment: between the writes and the swap
        return None

    with pytest.raises(KeyboardInterrupt):
        write_folder(old, {"a.txt": b"new", "b.txt": b"new"}, replaceable)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert {p.name: p.read_bytes() for p in old.iterdir()} == {"a.txt": b"old"}


def test_write_folder_replaces_only_what_it_may_and_keeps_the_mode(tmp_path: Path):
    """The old folder is replaced when the check allows it (its mode kept), refused with the check's reason
    otherwise; a name of no folder of its own is refused."""
    out = tmp_path / "out"
    write_folder(out, {"a.txt": b"1"})
    os.chmod(out, 0o750)
    write_folder(out, {"b.txt": b"2"}, lambda old: None)
    assert [p.name for p in out.iterdir()] == ["b.txt"] and (out.stat().st_mode & 0o777) == 0o750
    with pytest.raises(SaveError, match="not yours"):
        write_folder(out, {"c.txt": b"3"}, lambda old: "not yours")
    assert [p.name for p in out.iterdir()] == ["b.txt"]
    for name in ("", ".", ".."):
        with pytest.raises(SaveError, match="name of its own"):
            write_folder(name, {"x": b""})
    with pytest.raises(ValueError, match="plain file name"):
        write_folder(tmp_path / "other", {"../escape": b""})
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("out", ["notes.txt", "notes.txt/class"])
def test_a_file_where_the_folder_goes_is_refused_and_kept(tmp_path: Path, out: str):
    """--out naming a file, or a path through a file, is refused in one line (exit 2); the file is kept."""
    (tmp_path / "notes.txt").write_text("keep me")
    result = run("worksheet", "--seed", "1", "--difficulty", "product", "--out", out, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--out" in result.stderr, result.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep me" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("target", ["class/key.json", "answers.csv", "class/student-01.pdf"])
def test_the_report_never_replaces_what_check_reads_or_the_class_folder(earlier: Path, target: str):
    """check --report onto the key, an answers file or a file of the class's folder is refused in one line,
    exit 2, and that file is left as it was; a report beside them is written."""
    from tests.test_cli import one_line_error

    answers = earlier.parent / "answers.csv"
    answers.write_bytes((earlier / "student-01-answers.csv").read_bytes())
    victim = earlier.parent / target
    before = victim.read_bytes()
    args = ["check", str(earlier / "key.json"), str(answers), "--report", str(victim)]
    line = one_line_error(run(*args))
    assert "--report" in line and victim.read_bytes() == before
    assert run(*args[:-1], str(earlier.parent / "class.csv")).returncode == 0
