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


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX / "tex-chtml.js").is_file():
        raise ExtensionError(f"MathJax is missing from {MATHJAX}: run 'make docs' (it runs npm ci in docs/)")
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(MATHJAX, target, ignore=shutil.ignore_patterns(*UNUSED))


def copy_widgets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if not (WIDGETS / "embed.js").is_file():
        raise ExtensionError(f"Jupyter's widget renderer is missing from {WIDGETS}: run 'make docs' (it runs npm ci)")
    target = Path(app.outdir) / "_static" / "widgets"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(WIDGETS, target, ignore=shutil.ignore_patterns("*.map", "*amd.js"))


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", copy_widgets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
