"""Check (or, with --fix, make) the committed notebooks free of outputs: ``python -m tests.notebooks_clean``.

Notebooks are committed without outputs, so that a diff shows only what a person wrote and no stale
result can contradict the code; ``make test`` runs them and checks their numbers.
"""

import sys
from pathlib import Path

import nbformat


def dirty_cells(path: Path) -> list[int]:
    """The indexes of code cells that carry outputs or an execution count."""
    notebook = nbformat.read(path, as_version=4)
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def strip(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    fix = "--fix" in argv
    folders = [Path(a) for a in argv if a != "--fix"] or [Path("notebooks")]
    dirty = []
    for path in sorted(p for folder in folders for p in folder.glob("*.ipynb")):
        if dirty_cells(path):
            if fix:
                strip(path)
            else:
                dirty.append(path)
    for path in dirty:
        print(f"{path}: has outputs; run 'python -m tests.notebooks_clean --fix' before committing", file=sys.stderr)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
