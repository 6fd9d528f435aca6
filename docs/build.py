"""Build the documentation site: ``python docs/build.py site`` (what ``make docs`` runs).

1. Sphinx builds the guide, the API reference and the notebooks (myst-nb executes each one, keeping a cache in
   ``build/docs/``) with warnings as errors, into ``build/docs/html``.
2. The pages are copied to the site's folder, emptied first.
3. The browser lab is built clean into ``lite/`` inside it (docs/lab.py), with the desktop cells of each
   notebook taken from myst-nb's executed copy.
"""

import shutil
import sys
from pathlib import Path

from sphinx.cmd.build import build_main

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BUILD = ROOT / "build" / "docs"

sys.path.insert(0, str(DOCS))

import lab  # noqa: E402 - docs/lab.py, beside this file


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/build.py SITE_FOLDER", file=sys.stderr)
        return 2
    site = Path(argv[0]).resolve()
    html = BUILD / "html"
    shutil.rmtree(html, ignore_errors=True)
    code = build_main(["-W", "--keep-going", "-q", "-b", "html", "-d", str(BUILD / "doctrees"), str(DOCS), str(html)])
    if code != 0:
        return code
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(html, site)
    lab.build(site / "lite", executed=BUILD / "jupyter_execute" / "notebooks", cache=BUILD / "wheels")
    print(f"built the site into {site}; serve it with: python3 -m http.server -d {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
