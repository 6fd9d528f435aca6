"""Headless Chromium for the tests of pages: where it is, and how it is started here."""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, in a sandbox without network: no sandbox, and no background connections to refuse.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
