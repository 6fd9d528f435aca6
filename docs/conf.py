"""Sphinx configuration of the documentation site (``make docs``; docs/build.py runs Sphinx with warnings as errors).

Sphinx with myst-nb and the PyData theme, as NumPy, SciPy and pandas build theirs: pages in MyST Markdown, every
notebook executed into its page with its pictures, an API reference generated from the docstrings. Nothing on a
page comes from another host: MathJax and Jupyter's widget renderer are served from the site (npm,
docs/package.json), where Sphinx and myst-nb would load them from CDNs.
"""

import json
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import tinygrad_scalar  # noqa: E402 - after the path of our extensions
from tinygrad_scalar.teaching import link  # noqa: E402

project = "tinygrad_scalar"
author = "the tinygrad_scalar authors"
copyright = "the tinygrad_scalar authors, MIT licence"  # noqa: A001 - Sphinx's name
release = version = tinygrad_scalar.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_design",
    "lab_links",
    "site_assets",
]

exclude_patterns = [
    "_build",
    "node_modules",
    "**.ipynb_checkpoints",
    "notebooks/README.md",
    "lab.py",
]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["site.css"]

# The guide and the notebooks
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist", "attrs_inline", "substitution"]
# What the pages quote from the code, so that they cannot drift from it: the limits of a link (example.html).
myst_substitutions = {"link_max_fragment": link.MAX_FRAGMENT}
myst_heading_anchors = 3
nb_execution_mode = "cache"  # each notebook runs again when it changes; a fresh clone runs them all
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {"widgets/embed.js": {}}  # the progress bars drawn from the site itself (site_assets), no CDN

# The formulas, with MathJax 3 from the site (site_assets copies it from docs/node_modules)
mathjax_path = "mathjax/tex-chtml.js"

# The API reference
autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False


def skip_foreign_members(app, what, name, obj, skip, options):
    """Document only what this package defines: matplotlib's own methods on our Figure subclass, say, are not."""
    module = getattr(obj, "__module__", None)
    if callable(obj) and isinstance(module, str) and not module.startswith("tinygrad_scalar"):
        return True
    return skip


def write_example_words(app, exception):
    """The example page's own words in every language, from the package's catalogs, for its script to read before
    Python runs (example.js): ``_static/example-words.js`` in the built site."""
    if exception is not None or app.builder.format != "html":
        return
    from tinygrad_scalar.teaching.link import every_page_words

    words = json.dumps(every_page_words(), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    target = Path(app.outdir) / "_static" / "example-words.js"
    target.write_text(f"window.tgsExampleWords = {words};\n", encoding="utf-8")


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("build-finished", write_example_words)


html_theme = "pydata_sphinx_theme"
html_title = "tinygrad_scalar"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": [],
    # The page's contents on the right, except on a notebook's page: there the graphs and plots get the width.
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "guide/*": ["page-toc"],
        "api/**": ["page-toc"],
        "notebooks/*": [],
        "example": [],
    },
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
# No left column where it would be empty (pages without sub-pages) or where the width matters (a notebook's graphs).
html_sidebars = {"notebooks/*": [], "notebooks": [], "lab": [], "example": [], "guide/getting-started": []}
