"""On every notebook's page, a link that opens the same notebook in the browser lab (``lite/``), where it runs.

The lab opens a notebook from its address: ``lite/notebooks/index.html?path=NAME.ipynb``. The link sits under the
page's title, in words a student understands: it runs here, in the browser, with nothing to install.
"""

from docutils import nodes
from sphinx.application import Sphinx

LINK = (
    '<p class="open-in-lab"><a class="open-in-lab-button" href="{href}">&#9654; Open in the browser</a> '
    "<span>Run this notebook yourself, here in your browser: nothing to install, nothing leaves the page. "
    "Python starts in the page the first time in twenty seconds to a minute.</span></p>"
)


def lab_address(docname: str) -> str:
    """The lab's address of a notebook page (``notebooks/NAME``), relative to that page."""
    depth = docname.count("/")
    name = docname.rsplit("/", 1)[-1]
    return "../" * depth + f"lite/notebooks/index.html?path={name}.ipynb"


def add_lab_link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not docname.startswith("notebooks/") or app.builder.format != "html":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    link = nodes.raw("", LINK.format(href=lab_address(docname)), format="html")
    section.insert(1, link)  # after the title


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("doctree-resolved", add_lab_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
