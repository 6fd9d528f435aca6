"""The package's public surface: exported names, typing marker, import cost, and the examples of the README and
the documentation's pages."""

import re
import subprocess
import sys
from pathlib import Path

import tinygrad_scalar

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*/*.md"))]
"""The README and the site's pages written by hand (the guide, the lab, the API reference)."""


def test_exported_names_are_exactly_the_documented_ones():
    """__all__ equals the names in the API reference's Public API table, and each one exists."""
    reference = (ROOT / "docs" / "api" / "index.md").read_text(encoding="utf-8")
    section = reference.split("## Public API", 1)[1].split("\n## ", 1)[0]
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


def test_examples_of_the_readme_and_the_guide_run():
    """Every Python block of the README and of the site's pages runs as written, with its asserts."""
    count = 0
    for page in PAGES:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL):
            exec(compile(block, page.name, "exec"), {})
            count += 1
    assert count >= 15


def test_pictures_of_the_readme_and_the_guide_exist():
    """Every picture the README or a page shows is in the repository, where the page's link says."""
    for page in PAGES:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), (page.name, target)


def test_readme_is_a_landing_page_that_links_into_the_guide():
    """The README stays a landing page (at most 300 lines), and every page it links to exists."""
    assert len(README.splitlines()) <= 300
    links = re.findall(r"\]\(((?:docs|notebooks)/[^)]*)\)", README)
    assert len(links) >= 10
    for link in links:
        assert (ROOT / link).exists(), link


def test_the_pages_count_the_notebooks_there_are():
    """Where the README or a guide page counts our notebooks in words, the count is the number in notebooks/ (the
    micrograd page counts the lecture's: "the lecture's two notebooks")."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    count = len(list((ROOT / "notebooks").glob("*.ipynb")))
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for said in re.findall(r"(?<!lecture's )\b(" + "|".join(words) + r") notebooks\b", text):
            assert said == words[count], (page.name, said, count)


def test_quick_start_is_exactly_make_demo_and_make_test():
    """The quick start has exactly the two commands that do all set-up: make demo and make test."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for block in commands for line in block.splitlines() if line.strip()]
    assert lines == ["make demo", "make test"]


def test_the_wheel_carries_the_pages_assets_and_the_catalogs(tmp_path: Path):
    """pip's wheel of the package holds every file the package reads at run time: the pages' CSS and JS and the
    compiled catalogs (an installed stepper, or the lab's, has no source tree to read them from)."""
    import shutil
    import zipfile

    root = Path(tinygrad_scalar.__file__).parent
    source = tmp_path / "source"  # a clean copy: an egg-info left by an editable install would add files
    shutil.copytree(root, source / root.name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(root.parent / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path)]
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("tinygrad_scalar-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [*root.glob("*/assets/*"), *root.glob("locale/*/LC_MESSAGES/*.mo"), root / "py.typed"]
    assert len(needed) >= 10
    assert {str(p.relative_to(root.parent)) for p in needed} <= names
