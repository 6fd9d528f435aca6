"""What the pages serve themselves, from docs/node_modules (npm, docs/package.json): MathJax 3 into
``_static/mathjax``, and Jupyter's widget renderer into ``_static/widgets``.

MathJax 3 finds its fonts and the TeX extensions it loads on demand beside its own script, so the folder is
copied as npm installed it, less the speech rules (``sre``) and the other combined builds, which the pages never
load. Sphinx's own default would load MathJax from a CDN.

The widget renderer (``@jupyter-widgets/html-manager``'s ``embed.js``, the standard widgets in one file, with the
icon fonts it finds beside itself) draws a notebook's widgets from the state saved when the notebook ran: fit's
progress bar shows how the training ended, as it did in Jupyter. Without it, a page shows the bar's text as it
was when the bar appeared: "0/100". myst-nb's default would load it, and require.js, from a CDN.
"""

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

MATHJAX = Path(__file__).resolve().parent.parent / "node_modules" / "mathjax" / "es5"
WIDGETS = MATHJAX.parent.parent / "@jupyter-widgets" / "html-manager" / "dist"
UNUSED = ("sre", "tex-chtml-full*.js", "tex-mml-*.js", "tex-svg*.js", "mml-*.js", "node-main.js", "latest.js")


def _copy(app: Sphinx, source: Path, needed: str, folder: str, ignore: tuple[str, ...], what: str) -> None:
    """Copy ``source`` (where npm put it) into the built site's ``_static/folder``, after an html build."""
    if not (source / needed).is_file():
        raise ExtensionError(f"{what} is missing from {source}: run 'make docs' (it runs npm ci in docs/)")
    target = Path(app.outdir) / "_static" / folder
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*ignore))


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    _copy(app, MATHJAX, "tex-chtml.js", "mathjax", UNUSED, "MathJax")
    _copy(app, WIDGETS, "embed.js", "widgets", ("*.map", "*amd.js"), "Jupyter's widget renderer")


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("build-finished", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
