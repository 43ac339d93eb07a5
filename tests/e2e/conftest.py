"""Browser fixtures: a real ``mayday serve`` on a free loopback port, and Debian's chromium driven by
Playwright. Nothing is downloaded: a missing /usr/bin/chromium FAILS (like a missing redis-server).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 20.0
ADMIN_LINK = re.compile(r"admin link \([^)]*\): (\S+)/#admin=(\S+)")

# Records every security-policy violation (also reported on the console, but this cannot miss one).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""

_saved_artifacts: list[Path] = []


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@dataclass
class MaydayServer:
    base: str
    admin_token: str
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    data: Path | None = None
    port: int = 0
    secret: str = ""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10)

    def create(self, route: str, definition: dict[str, Any]) -> dict[str, Any]:
        """POST a definition with the admin token (``/api/relays``, ``/api/assemblies``): its links."""
        with self.api() as client:
            r = client.post(
                route,
                content=json.dumps(definition),
                headers={"authorization": f"Bearer {self.admin_token}", "content-type": "application/json"},
            )
        assert r.status_code == 201, r.text
        return r.json()

    def stop(self) -> None:
        _stop(self.proc)

    def restart(self) -> None:
        """Stop the process and start a new one on the same data directory, port and secret: every
        link stays valid and open pages find the server where it was."""
        assert self.data is not None
        self.stop()
        again = _start_server(self.data, port=self.port, secret=self.secret)
        self.proc, self.output, self.admin_token = again.proc, again.output, again.admin_token


def _serve_command(port: int, data: Path) -> list[str]:
    args = [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(data),
        "--log-level",
        "warning",
    ]
    if importlib.util.find_spec("mayday.cli") is not None:
        return [sys.executable, "-m", "mayday.cli", *args]
    script = shutil.which("mayday")
    if script is None:
        pytest.fail("neither `python -m mayday.cli` nor a `mayday` script is available")
    return [script, *args]


def _pump(proc: subprocess.Popen[str], lines: list[str], found: threading.Event) -> None:
    """Keep reading the server's output (a full pipe would block it) and spot the admin link."""
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if ADMIN_LINK.search(line):
            found.set()
    found.set()  # EOF: the process ended; the waiter looks at poll()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_server(data: Path, port: int | None = None, secret: str | None = None) -> MaydayServer:
    """A server on ``port`` (else a free one) signing links with ``secret`` (else a new one)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAYDAY_REDIS_URL", "MAYDAY_DATA")}
    secret = secret or secrets.token_urlsafe(32)
    env["MAYDAY_SECRET"] = secret
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    last = ""
    for _ in range(3):  # the free port may be taken before the server binds it
        use_port = port or free_port()
        proc = subprocess.Popen(
            _serve_command(use_port, data),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        lines: list[str] = []
        found = threading.Event()
        threading.Thread(target=_pump, args=(proc, lines, found), daemon=True).start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        found.wait(SERVER_START_TIMEOUT)
        match = next((m for line in list(lines) if (m := ADMIN_LINK.search(line))), None)
        while match and proc.poll() is None and time.monotonic() < deadline:
            # `mayday serve` prints its admin link before it binds the port; if the port was taken
            # meanwhile, another server answers there. Only ours accepts our admin token.
            try:
                healthy = httpx.get(f"{match[1]}/api/health", timeout=1).status_code == 200
                ours = healthy and (
                    httpx.get(
                        f"{match[1]}/api/relays", headers={"authorization": f"Bearer {match[2]}"}, timeout=1
                    ).status_code
                    == 200
                )
                if ours and proc.poll() is None:
                    return MaydayServer(
                        base=match[1],
                        admin_token=match[2],
                        proc=proc,
                        output=lines,
                        data=data,
                        port=use_port,
                        secret=secret,
                    )
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        _stop(proc)
        last = "\n".join(lines[-40:])
        if port:
            time.sleep(0.5)  # our own port: maybe the previous process has not let it go yet
    pytest.fail(f"mayday serve did not come up:\n{last}")


@pytest.fixture(scope="session")
def mayday_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MaydayServer]:
    server = _start_server(tmp_path_factory.mktemp("mayday-data"))
    try:
        yield server
    finally:
        _stop(server.proc)


QUICK_DROP_GRACE = 8.0  # seconds


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[MaydayServer]:
    """A server of this test's own, which the test may restart (``own_server.restart()``)."""
    server = _start_server(tmp_path / "mayday-data")
    try:
        yield server
    finally:
        _stop(server.proc)


@pytest.fixture
def quick_drop_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MaydayServer]:
    """A server of this test's own whose drop grace is ``QUICK_DROP_GRACE`` s, not 30
    (``MAYDAY_DROP_GRACE``): what a drop does is the same, the suite waits less for it."""
    monkeypatch.setenv("MAYDAY_DROP_GRACE", str(QUICK_DROP_GRACE))
    server = _start_server(tmp_path / "mayday-data")
    try:
        yield server
    finally:
        _stop(server.proc)


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is
    # open, and pytest-asyncio cannot start its own in tests that run after (tests/log, ...).
    # A module adds flags with CHROMIUM_EXTRA_ARGS (the livestream's fake microphone and camera).
    args = CHROMIUM_ARGS + list(getattr(request.module, "CHROMIUM_EXTRA_ARGS", []))
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (never download a browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield b
        finally:
            b.close()


@dataclass
class PageLog:
    """What the pages said that a user should never see: console errors, uncaught exceptions,
    CSP violations, and link tokens leaving in a URL or Referer."""

    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    referers: list[str] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        out: list[str] = []
        for page in self.pages:
            if not page.is_closed():
                out += page.evaluate("window.__cspViolations || []")
        return out


OpenPage = Callable[..., Any]


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def open_page(browser: Any, page_log: PageLog) -> Iterator[OpenPage]:
    """open_page(url, width=1280, height=900) -> a Playwright page in its own context."""
    contexts: list[Any] = []

    def _open(url: str, width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(CSP_PROBE)
        page.on(
            "console",
            lambda m: (
                page_log.errors.append(f"console {m.type}: {m.text} ({page.url})")
                if m.type in ("error", "assert")
                else None
            ),
        )
        page.on("pageerror", lambda e: page_log.errors.append(f"pageerror: {e} ({page.url})"))
        page.on("request", lambda r: _note_request(page_log, r))
        page.on("websocket", lambda ws: page_log.urls.append(ws.url))
        page_log.pages.append(page)
        page.goto(url)
        return page

    yield _open
    for context in contexts:
        context.close()


def _note_request(log: PageLog, request: Any) -> None:
    log.urls.append(request.url)
    referer = request.headers.get("referer")
    if referer:
        log.referers.append(referer)


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """screenshot(page, "name.png"): a full-page PNG in tests/e2e/artifacts/, listed at the end."""

    def _save(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        _saved_artifacts.append(path)
        print(f"screenshot: {path}")
        return path

    return _save


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _saved_artifacts:
        terminalreporter.write_sep("-", "e2e screenshots")
        for path in _saved_artifacts:
            terminalreporter.write_line(str(path))


# --------------------------------------------------------------------------------------------
# The assembly journeys' meeting (tests/e2e/test_assembly_*.py; its helpers: assembly_meeting.py)
# --------------------------------------------------------------------------------------------


def _meeting(server: MaydayServer, open_page: OpenPage) -> Any:
    from assembly_meeting import DEFINITION, DESKTOP, PHONE, Meeting, live
    from playwright.sync_api import expect

    asm = server.create("/api/assemblies", DEFINITION)
    meeting = Meeting(
        server,
        asm,
        chair=open_page(asm["chairs"]["ama"], *DESKTOP),
        rosa=open_page(asm["delegates"]["rosa"], *PHONE),
        ngozi=open_page(asm["delegates"]["ngozi"], *PHONE),
        interp=open_page(asm["interpreters"]["lucia"], *DESKTOP),
        viewer=open_page(asm["watch"], *PHONE),
    )
    for page in meeting.pages:
        live(page)
        expect(page.get_by_test_id("title")).to_have_text("E2E workers' assembly")
    return meeting


@pytest.fixture
def meeting(mayday_server: MaydayServer, open_page: OpenPage) -> Any:
    """A new assembly of ``assembly_meeting.DEFINITION`` on the session's server, with its five
    pages open and live: the chair on a desktop, the delegates Rosa (Spanish) and Ngozi (English)
    on phones, the interpreter on a desktop, the public page on a phone."""
    return _meeting(mayday_server, open_page)


@pytest.fixture
def restartable_meeting(own_server: MaydayServer, open_page: OpenPage) -> Any:
    """``meeting`` on this test's own server, which it may restart (``meeting.server.restart()``)."""
    return _meeting(own_server, open_page)
