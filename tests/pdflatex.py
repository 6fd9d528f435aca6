"""Compiling LaTeX with the real pdflatex, and reading the PDF back with poppler's tools."""

import re
import subprocess
import unicodedata
from pathlib import Path


def compile_tex(source: str, folder: Path, name: str = "document", runs: int = 1) -> str:
    """Write ``source`` to ``folder/name.tex``, compile it with pdflatex (failing on the first error), and
    return the log."""
    tex = folder / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    for _ in range(runs):
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        log = (folder / f"{name}.log").read_text(encoding="latin-1")
        assert done.returncode == 0, log[-3000:]
    return log


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The text of the PDF (or of one page, counted from 1), minus signs as ASCII hyphens, accents composed
    (NFC), spaces folded."""
    pages = ["-f", str(page), "-l", str(page)] if page is not None else []
    text = subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFC", text).replace("\u2212", "-").split())


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def font_types(pdf: Path) -> set[str]:
    """The types of the fonts the PDF embeds (``Type 1``, ``Type 3``, ...), from pdffonts."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    column = list(re.finditer(r"-+", lines[1]))[1]  # under the header, dashes mark each column: the second is the type
    return {line[column.start() : column.end()].strip() for line in lines[2:] if line.strip()}


def words(pdf: Path, page: int) -> tuple[float, list[tuple[str, float]]]:
    """The page's width and each word on it with its height, in points (pdftotext -bbox)."""
    html = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    found = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    return width, [(word, float(bottom) - float(top)) for top, bottom, word in found]
