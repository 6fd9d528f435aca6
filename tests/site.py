"""The built site in headless Chromium, with every host but the site's blocked: what tests/test_site.py and
benchmarks/lab.py drive.

* ``serve(folder)`` serves the site on 127.0.0.1, on a free port, from a thread.
* ``Gate`` is a proxy on 127.0.0.1 that forwards nothing: Chromium is started with it as its proxy, so every
  request to another host, from a page, a worker or a service worker, reaches the gate, which records it and
  answers 403. Only 127.0.0.1 itself bypasses it. ``gate.asked`` lists what was asked for.
* ``run_notebook(page, base, name)`` opens a notebook in the lab, waits for the kernel, runs every cell and
  returns what the notebook's model holds afterwards, with the times it took.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chromium import ARGS, CHROMIUM

SITE = Path(__file__).resolve().parent.parent / "site"
CLOSED = "http://127.0.0.1:9/"  # the discard port: nothing listens there


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the standard library's own attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        pass


@contextlib.contextmanager
def serve(folder: Path = SITE) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1; yields the base address, ``http://127.0.0.1:PORT/``."""
    if not (folder / "index.html").is_file() or not (folder / "lite" / "index.html").is_file():
        raise FileNotFoundError(f"no built site in {folder}: run 'make docs' first")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _GateHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(8192).decode("latin-1").strip()
        if line:
            self.server.asked.append(line)  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@dataclass
class Gate:
    """A proxy on 127.0.0.1 that lets nothing through and remembers every request line it was sent."""

    asked: list[str] = field(default_factory=list)
    port: int = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[Gate]:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _GateHandler)
        server.daemon_threads = True
        server.asked = self.asked  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def chromium_args(self) -> list[str]:
        """Chromium's flags: every request goes to the gate, except to 127.0.0.1 (the site). Chromium's own
        services, which call Google on their own whatever the page (account sign-in, component updates, autofill
        hints), are pointed at a closed port of 127.0.0.1 or switched off, so the gate records only what the pages
        ask for."""
        own = [
            f"--gaia-url={CLOSED}",
            f"--component-updater=url-source={CLOSED}",
            "--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,OptimizationHints,MediaRouter",
        ]
        return [*ARGS, *own, f"--proxy-server=http://127.0.0.1:{self.port}", "--proxy-bypass-list=127.0.0.1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def browser(gate: Gate) -> Iterator[Any]:
    """Debian's headless Chromium, whose only way out is the gate."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=gate.chromium_args(), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def outside(url: str, base: str) -> bool:
    """Whether a request goes over the network to another host than the site's (a page's ``data:``, ``blob:`` or
    JupyterLab's ``attachment:`` addresses go nowhere)."""
    return url.split(":", 1)[0].lower() in ("http", "https", "ws", "wss", "ftp") and not url.startswith(base)


KERNEL_TIMEOUT = 180.0  # seconds: generous bounds for a slow shared machine, not speed tests (benchmarks/lab.py)
RUN_TIMEOUT = 300.0

_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) cells.push(model.cells.get(i).toJSON());
  return {status: kernel ? kernel.status : 'none', cells: cells};
}"""


_READY = """async (timeout) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const reply = kernel.requestExecute({code: '', silent: true, store_history: false}).done;
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error('the kernel did not start')), timeout));
  await Promise.race([reply, late]);
}"""


@dataclass
class NotebookRun:
    """A notebook run in the lab: its cells as the lab's model holds them afterwards, and the times it took."""

    name: str
    cells: list[dict[str, Any]]
    kernel_seconds: float
    run_seconds: float

    def code_cells(self) -> list[tuple[int, dict[str, Any]]]:
        return [(i, c) for i, c in enumerate(self.cells) if c["cell_type"] == "code"]

    def errors(self) -> list[str]:
        """Every error and every write to stderr, with its cell."""
        found = []
        for i, cell in self.code_cells():
            for output in cell.get("outputs", []):
                if output["output_type"] == "error":
                    found.append(f"cell {i}: {output['ename']}: {output['evalue']}")
                elif output["output_type"] == "stream" and output["name"] == "stderr":
                    found.append(f"cell {i} wrote to stderr: {_text(output['text'])[:300]}")
        return found


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _wait(page: Any, until: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE)
        if state is not None and until(state):
            return state
        page.wait_for_timeout(250)
    raise TimeoutError(f"{what}: not within {timeout:g} s")


def run_notebook(page: Any, base: str, name: str) -> NotebookRun:
    """Open ``name`` in the lab (``lite/notebooks/index.html?path=NAME``), wait for its kernel, run all cells."""
    started = time.monotonic()
    page.goto(f"{base}lite/notebooks/index.html?path={name}")
    _wait(page, lambda s: s["status"] != "none", KERNEL_TIMEOUT, f"{name}: the lab started no kernel")
    page.evaluate(_READY, KERNEL_TIMEOUT * 1000)  # an empty request, answered once Python has started
    ready = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished(state: dict[str, Any]) -> bool:
        code = [c for c in state["cells"] if c["cell_type"] == "code"]
        failed = any(o["output_type"] == "error" for c in code for o in c.get("outputs", []))
        ran = all(c.get("execution_count") is not None for c in code)
        return state["status"] == "idle" and (failed or ran)

    state = _wait(page, finished, RUN_TIMEOUT, f"{name}: the notebook did not finish")
    done = time.monotonic()
    return NotebookRun(name, state["cells"], ready - started, done - ready)


def lab_notebooks() -> list[str]:
    """The notebooks in the built lab's files, by name."""
    return sorted(p.name for p in (SITE / "lite" / "files").glob("*.ipynb"))


def dumps(run: NotebookRun) -> str:
    return json.dumps({"name": run.name, "kernel": run.kernel_seconds, "run": run.run_seconds})
