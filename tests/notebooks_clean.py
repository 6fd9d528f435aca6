"""Check (or, with --fix, make) the committed notebooks free of outputs: ``python -m tests.notebooks_clean``.

Notebooks are committed without outputs, so that a diff shows only what a person wrote and no stale
result can contradict the code; ``make test`` runs them and checks their numbers. An output is anything
that only running a notebook makes: a code cell's outputs and execution count, the timings a runner
records in a cell's metadata, and the state of widgets (the progress bars of training) that Jupyter
may save in the notebook's metadata.
"""

import sys
from pathlib import Path

import nbformat
from nbformat import NotebookNode


def leftovers(notebook: NotebookNode) -> list[str]:
    """What running left in ``notebook``: one entry per code cell with outputs, and the widget state."""
    found = [
        f"cell {i}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None or "execution" in cell.metadata)
    ]
    if "widgets" in notebook.metadata:
        found.append("widget state")
    return found


def strip(notebook: NotebookNode) -> None:
    """Remove everything ``leftovers`` finds, leaving sources and Markdown as they are."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)


def main(argv: list[str]) -> int:
    fix = "--fix" in argv
    folders = [Path(a) for a in argv if a != "--fix"] or [Path("notebooks")]
    dirty = []
    for path in sorted(p for folder in folders for p in folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        found = leftovers(notebook)
        if found and fix:
            strip(notebook)
            nbformat.write(notebook, path)
        elif found:
            dirty.append(f"{path}: has outputs ({', '.join(found)})")
    for line in dirty:
        print(f"{line}; run 'python -m tests.notebooks_clean --fix' before committing", file=sys.stderr)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
