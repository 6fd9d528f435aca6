"""The package's layout shows its architecture: groups by audience, each importing only the groups below it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_scalar"

GROUPS = {
    "core": ["language", "ieee", "files", "ops", "rules", "graph", "engine", "defop", "expression"],
    "transforms": ["functional", "checkpoint", "reads", "trace"],
    "training": ["nn", "losses", "optim", "data", "watch", "fit"],
    "views": ["neurons", "naming", "page", "animation", "dot", "tikz", "frames", "live", "plots", "replay"],
    "teaching": [
        "latex",
        "formulas",
        "solutions",
        "explanations",
        "practice",
        "exercises",
        "mistakes",
        "worksheet",
        "grading",
        "stepper",
        "four_equations",
        "beamer",
        "link",
    ],
    "debugging": ["anomaly", "gradcheck"],
    "cli": ["common", "graph", "explain", "demo", "worksheet", "check", "__init__"],
}
"""Each group and its modules, lowest first: a module may import the modules before it in its own group and
any module of a group before its own."""

TOP = {"__init__", "__main__", "engine", "nn"}
"""The modules at the top: the package, ``python -m``, and micrograd's two import paths."""


def _rank(group, module):
    groups = list(GROUPS)
    return (groups.index(group), GROUPS[group].index(module))


def _runtime_nodes(tree):
    """Every node of the tree but those under ``if TYPE_CHECKING:``, which names types and imports nothing."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imported(path):
    """The package's modules a file imports when it runs, as (group, module) pairs; ('', name) for the top."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tinygrad_scalar":
            parts = node.module.split(".")[1:]
            if len(parts) >= 2:
                found.add((parts[0], parts[1]))
            elif len(parts) == 1 and parts[0] in GROUPS:
                found |= {(parts[0], alias.name) for alias in node.names}
            else:
                found.add(("", parts[0] if parts else "__init__"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "tinygrad_scalar":
                    found.add((parts[1], parts[2]) if len(parts) >= 3 else ("", parts[1] if len(parts) > 1 else ""))
    return found


def test_the_top_holds_at_most_eight_modules():
    """Besides the groups, the package's top holds only its __init__, __main__ and micrograd's paths."""
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP and len(top) <= 8
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(GROUPS)


def test_every_module_is_in_its_group_list():
    """The lists above name every module of every group, so the order below covers them all."""
    for group, modules in GROUPS.items():
        present = {p.stem for p in (PACKAGE / group).glob("*.py")} - ({"__init__"} if group != "cli" else set())
        assert present == set(modules), (group, present ^ set(modules))


def test_modules_import_only_modules_below_them():
    """Every module imports only modules below it (function-level imports included): core imports only core,
    training no view, nothing imports the command line, and no circle anywhere."""
    for group, modules in GROUPS.items():
        for module in modules:
            for imported in _imported(PACKAGE / group / f"{module}.py"):
                assert imported[0] in GROUPS, f"{group}.{module} imports the top of the package: {imported}"
                assert _rank(*imported) < _rank(group, module), f"{group}.{module} imports {'.'.join(imported)}"


def test_group_packages_import_nothing():
    """A group's __init__ is its table of contents: importing a group loads none of its modules."""
    for group in GROUPS:
        if group != "cli":
            assert _imported(PACKAGE / group / "__init__.py") == set(), group


def test_core_training_and_views_keep_their_promises():
    """The three promises the layout makes, spelled out: core imports only core; training never imports views;
    nothing outside the command line imports it but ``python -m``."""
    for path in PACKAGE.rglob("*.py"):
        group = path.parent.name if path.parent != PACKAGE else ""
        groups = {g for g, _ in _imported(path)}
        if group == "core":
            assert groups <= {"core"}, path
        if group == "training":
            assert "views" not in groups, path
        if group != "cli" and path.name != "__main__.py":
            assert "cli" not in groups, path


def test_micrograd_paths_give_the_same_objects():
    """``tinygrad_scalar.engine`` and ``tinygrad_scalar.nn`` are micrograd's paths to the same classes."""
    import tinygrad_scalar.core.engine
    import tinygrad_scalar.engine
    import tinygrad_scalar.nn
    import tinygrad_scalar.training.nn

    assert tinygrad_scalar.engine.Value is tinygrad_scalar.core.engine.Value
    for name in ("Module", "Neuron", "Layer", "MLP"):
        assert getattr(tinygrad_scalar.nn, name) is getattr(tinygrad_scalar.training.nn, name)
