"""Test configuration: hypothesis profiles with no deadlines (speed is measured by benchmarks, not tests), and
headless Chromium for every test of a page."""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests import site
from tests.chromium import ARGS, CHROMIUM

settings.register_profile("dev", deadline=None, max_examples=200)
# CI: the same examples on every run, so a red build is reproducible.
settings.register_profile(
    "ci", deadline=None, max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; nothing may leave it: any request other than a local file fails the test."""
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    yield page
    assert all(url.startswith("file://") for url in requests), requests
    context.close()


# ---- the built site (make docs), served from 127.0.0.1 to Chromium, every other host blocked (tests/site.py) ----


@pytest.fixture(scope="module")
def served():
    """The built site on 127.0.0.1, and Chromium whose every other request ends at the gate."""
    gate = site.Gate()
    with site.serve() as base, gate.running(), site.browser(gate) as chromium:
        yield base, gate, chromium


@pytest.fixture(scope="module")
def context(served):
    """One browser context for the module, as one student's browser: what it has loaded once stays cached."""
    chromium = served[2]
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    seen: list[str] = []
    context.on("request", lambda request: seen.append(request.url))
    yield context, seen
    context.close()


@pytest.fixture
def visit(served, context):
    """A new page of the shared context (closed after the test); the test fails if anything asked for another host
    while it ran."""
    base, gate, _ = served
    browser_context, seen = context
    before_seen, before_asked = len(seen), len(gate.asked)
    page = browser_context.new_page()
    yield base, page
    page.close()
    assert [url for url in seen[before_seen:] if site.outside(url, base)] == []
    assert gate.asked[before_asked:] == []


# ---- layers of tests: markers for a quick loop (make unit); CI runs them all (make test) ----------------------

_NEEDS = {
    "browser": ("tests.chromium", "chromium"),
    "latex": ("pdflatex", "xelatex", "write_worksheets(", '"worksheet", "--seed"'),
    "notebook": ("nbclient", "nbmake", ".ipynb"),
}
"""What a test module's source mentions when its tests need headless Chromium, a TeX installation or a Jupyter
kernel: those tests get the marker of that name (``browser``, ``latex``, ``notebook``)."""

_sources: dict[str, str] = {}


def pytest_collection_modifyitems(config, items):
    """Mark each test by what it needs, so that ``make unit`` can leave the slow kinds out."""
    for item in items:
        path = str(item.path)
        if path not in _sources:
            _sources[path] = item.path.read_text(encoding="utf-8") if item.path.suffix == ".py" else ""
        source = _sources[path]
        for marker, needles in _NEEDS.items():
            if any(needle in source for needle in needles):
                item.add_marker(marker)
        if {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("browser")
