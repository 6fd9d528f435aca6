"""The package's public surface: exported names, typing marker, import cost, and the README's examples."""

import re
import subprocess
import sys
from pathlib import Path

import tinygrad_scalar

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_exported_names_are_exactly_the_documented_ones():
    """__all__ equals the names in the README's Public API table, and each one exists."""
    section = README.split("## Public API", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
    assert documented == set(tinygrad_scalar.__all__)
    assert all(hasattr(tinygrad_scalar, name) for name in tinygrad_scalar.__all__)


def test_package_is_typed():
    """py.typed ships inside the package, so type checkers use its annotations."""
    assert (Path(tinygrad_scalar.__file__).parent / "py.typed").is_file()


def test_import_needs_only_the_standard_library():
    """import tinygrad_scalar loads no third-party module (the engine is plain Python)."""
    code = (
        "import sys; before = set(sys.modules); import tinygrad_scalar; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    third_party = [m for m in loaded if m.split(".")[0] not in sys.stdlib_module_names | {"tinygrad_scalar"}]
    assert third_party == []


def test_readme_examples_run():
    """Every Python block of the README runs as written, with its asserts."""
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert len(blocks) >= 4
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_readme_pictures_exist():
    """Every picture the README shows is in the repository."""
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / target).is_file(), target


def test_quick_start_is_exactly_make_demo_and_make_test():
    """The quick start has exactly the two commands that do all set-up: make demo and make test."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for block in commands for line in block.splitlines() if line.strip()]
    assert lines == ["make demo", "make test"]
