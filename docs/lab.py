"""The browser lab: JupyterLite with the Pyodide kernel, built into ``site/lite/`` so that nothing leaves the site.

``docs/build.py`` calls :func:`build` after Sphinx. What it does, and why:

* **Pyodide from the site.** The kernel loads Pyodide from a CDN unless ``pyodideUrl`` says otherwise; the npm
  package ``pyodide`` (docs/package.json) is copied to ``lite/static/pyodide/`` and ``jupyter-lite.json`` points
  there, with the PyPI fallback off. The lab is built clean each time: an incremental build dropped the setting.
* **The packages of the lock from the site.** The npm package is only the core: the kernel also loads
  ``micropip``, ``ipython``, ``jedi`` and their pure-Python dependencies, named by ``pyodide-lock.json``. pip
  downloads those wheels from PyPI (for Pyodide's Python) and they sit beside the lock, whose entries get their
  sha256. The lock also gains ``comm`` (the kernel needs it; Pyodide does not ship it), our own wheel with
  ``graphviz``, ``tqdm`` (a version that knows JupyterLite) and ``ipywidgets`` (fit's progress bar), and
  ``viz-js``: Viz.js's ES module in a wheel, which ``draw_dot`` imports where there is no ``dot``. With all of
  that in the lock, ``import tinygrad_scalar`` loads it all: no ``%pip`` line. The site's example page
  (``example.html``, docs/_static/example.js) loads its Python from the same place, with markdown-it for the
  worked solution.
* **Notebooks that assume a desktop.** numpy and matplotlib have no Pyodide wheels on PyPI or npm. A code cell
  tagged ``desktop`` (every cell that uses them: tests/test_site.py checks) becomes, in the lab's copy, a
  Markdown cell with the cell's code and what it printed and drew when the site was built (myst-nb's executed
  copy), saying so. Every other cell runs in the browser.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import nbformat

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
NOTEBOOKS = ROOT / "notebooks"
NODE_MODULES = DOCS / "node_modules"
PYODIDE_PYTHON = "3.14"
"""The Python of Pyodide 314: the wheels pip downloads must install there."""

KERNEL_NEEDS = ("micropip", "ipython", "jedi")
"""What the Pyodide kernel loads from the lock as it starts (with their dependencies)."""

ADDED = ("comm", "graphviz", "tqdm", "ipywidgets", "markdown-it-py", "mdurl", "mdit-py-plugins")
"""Pure-Python packages the lock gains (or replaces), at the versions installed beside this build: ``comm``
for the kernel; ``graphviz`` and ``tqdm`` for our package; ``ipywidgets`` for fit's progress bar; markdown-it
with its dollar-math plugin (what MyST reads the site's pages with) for the example page (``example.html``),
which shows a worked solution's Markdown."""

DESKTOP = "desktop"
"""The tag of a code cell that needs numpy or matplotlib, which the browser lab cannot load."""

DESKTOP_NOTE = (
    "**This cell runs on a desktop.** It uses numpy or matplotlib, which the browser lab cannot load (Pyodide's "
    "wheels of them are not published on PyPI or npm). Here is its code, and what it {what} when this site was "
    "built; on a desktop (`make demo`, then `jupyter lab notebooks/`) it runs as written."
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheel_entry(name: str, wheel: Path, imports: list[str], depends: list[str]) -> dict[str, Any]:
    version = wheel.name.split("-")[1]
    return {
        "name": name,
        "version": version,
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": _sha256(wheel),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
    }


def _closure(packages: dict[str, Any], roots: tuple[str, ...]) -> list[str]:
    """The lock's keys of ``roots`` and everything they depend on."""
    key = {_norm(k): k for k in packages}
    found: list[str] = []
    todo = list(roots)
    while todo:
        name = key[_norm(todo.pop())]
        if name not in found:
            found.append(name)
            todo.extend(packages[name]["depends"])
    return sorted(found)


def _pip_download(specs: list[str], dest: Path) -> None:
    """Download pure-Python wheels for Pyodide's Python (a wheel only, never a build)."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", PYODIDE_PYTHON, "--platform", "any", "--dest", str(dest), *specs]
    subprocess.run(command, check=True)


def _find_wheel(folder: Path, name: str, version: str) -> Path:
    for wheel in folder.glob("*.whl"):
        parts = wheel.name.split("-")
        if _norm(parts[0]) == _norm(name) and parts[1] == version:
            return wheel
    raise FileNotFoundError(f"no wheel of {name} {version} in {folder}")


def viz_js_wheel(folder: Path) -> Path:
    """Viz.js's ES module (``@viz-js/viz``, with Graphviz compiled to WebAssembly inside) as a wheel for the lock:
    the package ``viz_js``, which holds ``viz.js``."""
    package = json.loads((NODE_MODULES / "@viz-js" / "viz" / "package.json").read_text(encoding="utf-8"))
    version = package["version"]
    module = (NODE_MODULES / "@viz-js" / "viz" / "dist" / "viz.js").read_bytes()
    init = (
        f'"""Viz.js {version} (npm @viz-js/viz, MIT; Graphviz inside, EPL-1.0) for the browser lab: the ES module '
        f'viz.js beside this file, which tinygrad_scalar.views.dot imports where there is no dot."""\n'
        f'__version__ = "{version}"\n'
    ).encode()
    dist = f"viz_js-{version}.dist-info"
    files = {
        "viz_js/__init__.py": init,
        "viz_js/viz.js": module,
        f"{dist}/METADATA": (
            f"Metadata-Version: 2.1\nName: viz-js\nVersion: {version}\n"
            "Summary: Viz.js (Graphviz in WebAssembly) for tinygrad_scalar's browser lab\nLicense: MIT AND EPL-1.0\n"
        ).encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: docs/lab.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={_b64_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{dist}/RECORD"] = ("\n".join([*record, f"{dist}/RECORD,,"]) + "\n").encode()
    wheel = folder / f"viz_js-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def _b64_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def pyodide(static: Path, wheels: Path) -> None:
    """Pyodide, its lock and every wheel the lab loads, in ``static`` (``lite/static/pyodide/``)."""
    source = NODE_MODULES / "pyodide"
    static.mkdir(parents=True)
    for path in source.iterdir():
        if path.suffix in (".mjs", ".js", ".wasm", ".zip") and not path.name.endswith(".map"):
            shutil.copy2(path, static / path.name)
    lock = json.loads((source / "pyodide-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    needed = _closure(packages, KERNEL_NEEDS)
    versions = {name: importlib.metadata.version(name) for name in ADDED}
    specs = [f"{packages[n]['name']}=={packages[n]['version']}" for n in needed]
    specs += [f"{name}=={version}" for name, version in versions.items()]
    _pip_download(specs, wheels)
    for name in needed:
        entry = packages[name]
        wheel = _find_wheel(wheels, entry["name"], entry["version"])
        entry.update(file_name=wheel.name, sha256=_sha256(wheel), unvendored_tests=False)
    traitlets = ["traitlets"]
    added = {
        "comm": _wheel_entry("comm", _find_wheel(wheels, "comm", versions["comm"]), ["comm"], traitlets),
        "graphviz": _wheel_entry("graphviz", _find_wheel(wheels, "graphviz", versions["graphviz"]), ["graphviz"], []),
        "tqdm": _wheel_entry("tqdm", _find_wheel(wheels, "tqdm", versions["tqdm"]), ["tqdm"], []),
        "ipywidgets": _wheel_entry(
            "ipywidgets",
            _find_wheel(wheels, "ipywidgets", versions["ipywidgets"]),
            ["ipywidgets"],
            ["comm", "ipython", "traitlets"],
        ),
        "viz-js": _wheel_entry("viz-js", viz_js_wheel(wheels), ["viz_js"], []),
        "mdurl": _wheel_entry("mdurl", _find_wheel(wheels, "mdurl", versions["mdurl"]), ["mdurl"], []),
        "markdown-it-py": _wheel_entry(
            "markdown-it-py",
            _find_wheel(wheels, "markdown-it-py", versions["markdown-it-py"]),
            ["markdown_it"],
            ["mdurl"],
        ),
        "mdit-py-plugins": _wheel_entry(
            "mdit-py-plugins",
            _find_wheel(wheels, "mdit-py-plugins", versions["mdit-py-plugins"]),
            ["mdit_py_plugins"],
            ["markdown-it-py"],
        ),
        "tinygrad-scalar": _wheel_entry(
            "tinygrad-scalar",
            _our_wheel(wheels),
            ["tinygrad_scalar"],
            ["graphviz", "tqdm", "ipywidgets", "viz-js"],
        ),
    }
    packages.update(added)
    for name in [*needed, *added]:
        shutil.copy2(wheels / packages[name]["file_name"], static / packages[name]["file_name"])
    (static / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True), encoding="utf-8")


def _our_wheel(folder: Path) -> Path:
    for old in folder.glob("tinygrad_scalar-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]  # built as pip builds it: isolated
    subprocess.run([*command, "--wheel-dir", str(folder), str(ROOT)], check=True)
    (wheel,) = folder.glob("tinygrad_scalar-*.whl")
    return wheel


def lab_notebook(committed: Path, executed: Path | None) -> nbformat.NotebookNode:
    """The lab's copy of a notebook: as committed, with each ``desktop`` cell shown as the desktop ran it."""
    notebook = nbformat.read(committed, as_version=4)
    ran = nbformat.read(executed, as_version=4) if executed is not None else None
    outputs = {cell.id: cell.get("outputs", []) for cell in ran.cells} if ran is not None else {}
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and DESKTOP in cell.metadata.get("tags", []):
            if cell.id not in outputs:
                raise ValueError(f"{committed.name}: cell {i} is tagged {DESKTOP!r} but the site did not run it")
            notebook.cells[i] = _as_desktop_note(cell, outputs[cell.id])
    return notebook


def _as_desktop_note(cell: nbformat.NotebookNode, outputs: list[Any]) -> nbformat.NotebookNode:
    """A Markdown cell with a desktop cell's code, its printed text and its pictures (as attachments)."""
    texts: list[str] = []
    pictures: dict[str, dict[str, str]] = {}
    for output in outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            data = output.get("data", {})
            for kind, suffix in (("image/png", "png"), ("image/svg+xml", "svg")):
                if kind in data:
                    content = data[kind]
                    if kind == "image/svg+xml":
                        content = base64.b64encode(content.encode("utf-8")).decode()
                    pictures[f"picture-{len(pictures) + 1}.{suffix}"] = {kind: content}
                    break
            else:
                if "text/plain" in data:
                    texts.append(data["text/plain"] + "\n")
        elif output.output_type == "error":
            raise ValueError(f"a desktop cell failed when the site was built: {output.ename}: {output.evalue}")
    what = " and ".join(w for w, has in (("printed", texts), ("drew", pictures)) if has) or "did"
    parts = [DESKTOP_NOTE.format(what=what), f"```python\n{cell.source}\n```"]
    if texts:
        parts.append("```text\n" + "".join(texts).rstrip("\n") + "\n```")
    parts += [f"![what the cell drew on a desktop](attachment:{name})" for name in pictures]
    note = nbformat.v4.new_markdown_cell("\n\n".join(parts), attachments=pictures)
    note.id = cell.id
    note.metadata = {"tags": [DESKTOP]}
    return note


def jupyter_lite_json() -> dict[str, Any]:
    """The lab's settings: Pyodide from the site, no PyPI, and the lab's name."""
    kernel = {"pyodideUrl": "./static/pyodide/pyodide.mjs", "disablePyPIFallback": True}
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "tinygrad_scalar lab",
            "exposeAppInBrowser": True,  # window.jupyterapp: the site's tests run every notebook through it
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel},
        },
    }


def build(out: Path, executed: Path, cache: Path) -> None:
    """Build the lab into ``out`` (emptied first). ``executed`` holds myst-nb's executed notebooks (for the
    desktop cells); ``cache`` keeps downloaded wheels between builds."""
    if out.exists():
        shutil.rmtree(out)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        lite_dir = Path(tmp)
        files = lite_dir / "files"
        files.mkdir()
        for committed in sorted(NOTEBOOKS.glob("*.ipynb")):
            ran = executed / committed.name
            nbformat.write(lab_notebook(committed, ran if ran.exists() else None), files / committed.name)
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(jupyter_lite_json(), indent=2), encoding="utf-8")
        command = [str(Path(sys.executable).parent / "jupyter"), "lite", "build", "--no-sourcemaps"]
        command += ["--apps", "lab", "--apps", "notebooks", "--contents", str(files)]
        command += ["--lite-dir", str(lite_dir), "--output-dir", str(out)]
        subprocess.run(command, check=True, cwd=lite_dir)
    pyodide(out / "static" / "pyodide", cache)
    for app in ("lab", "notebooks"):
        _add_style(out / app / "index.html")


LAB_CSS = """<style id="tinygrad-scalar">
/* JupyterLab shows an SVG output as an <img> and limits only <svg> elements to the cell's width: a wide graph
   was cut off at the right. Scaled down to the cell's width instead, as on the site's pages. */
.jp-RenderedSVG img { max-width: 100%; height: auto; }
</style>"""


def _add_style(page: Path) -> None:
    """Add ``LAB_CSS`` to one of the lab's pages (JupyterLab has no setting for a stylesheet of one's own)."""
    html = page.read_text(encoding="utf-8")
    if "</head>" not in html:
        raise ValueError(f"{page} has no </head> to add the lab's style to")
    page.write_text(html.replace("</head>", LAB_CSS + "</head>", 1), encoding="utf-8")
