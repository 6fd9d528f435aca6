"""What the pages serve themselves: MathJax 3 from docs/node_modules (npm, docs/package.json) into ``_static/mathjax``.

MathJax 3 finds its fonts and the TeX extensions it loads on demand beside its own script, so the folder is
copied as npm installed it, less the speech rules (``sre``) and the other combined builds, which the pages never
load. Sphinx's own default would load MathJax from a CDN.
"""

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

MATHJAX = Path(__file__).resolve().parent.parent / "node_modules" / "mathjax" / "es5"
UNUSED = ("sre", "tex-chtml-full*.js", "tex-mml-*.js", "tex-svg*.js", "mml-*.js", "node-main.js", "latest.js")


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX / "tex-chtml.js").is_file():
        raise ExtensionError(f"MathJax is missing from {MATHJAX}: run 'make docs' (it runs npm ci in docs/)")
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(MATHJAX, target, ignore=shutil.ignore_patterns(*UNUSED))


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
