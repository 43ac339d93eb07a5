"""Shared fixtures. Add new sections below; keep each backend's fixtures in its own section."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis
from helpers import free_port

if TYPE_CHECKING:
    from mayday.app import Settings

# --------------------------------------------------------------------------------------------
# Redis: a private redis-server for the test session
# --------------------------------------------------------------------------------------------
# Each run starts its own server on a free loopback port, so tests never touch a developer's or
# CI's real Redis. A missing binary FAILS (CI installs redis-server; a skip would hide that the
# Redis backend went untested).

REDIS_START_TIMEOUT = 10.0


def _start_redis(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start redis-server and wait for PING; retry on a new port if ours was taken meanwhile."""
    last_error = ""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--logfile", str(workdir / f"redis-{port}.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping():
                        return proc, port
                except redis.ConnectionError as exc:
                    last_error = str(exc)
                    time.sleep(0.05)
        finally:
            client.close()
        _stop(proc)
        log = workdir / f"redis-{port}.log"
        if log.exists():
            last_error = log.read_text(errors="replace")[-2000:]
    pytest.fail(f"redis-server did not answer PING: {last_error}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a redis-server started for this session (db 0), stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH; install it (Debian: apt-get install redis-server)")
    proc, port = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)


@pytest.fixture
def redis_log_url(redis_url: str) -> str:
    """``redis_url`` with the database emptied first, so each test starts from no streams."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_url


# --------------------------------------------------------------------------------------------
# Processes a test can kill: private redis-server and `mayday serve` (fault tests, the demo)
# --------------------------------------------------------------------------------------------
# Fixtures for fault tests: private redis-server and `mayday serve` processes that a test can kill -9,
# restart on the same port and data, and stop. Everything a test starts is stopped at teardown.
#
# ``make_redis()`` gives a ``RedisServer``; ``make_mayday(redis=URL)`` or ``make_mayday(data=DIR)`` a
# ``MaydayProcess``. Both are real processes on free loopback ports; nothing here mocks Redis.

ROOT = Path(__file__).resolve().parents[1]
REDIS_READY_TIMEOUT = 15.0  # includes replaying the AOF after a restart
MAYDAY_READY_TIMEOUT = 30.0


class KillableProcess:
    """A child process a test may kill -9, restart on the same port and data, and stop cleanly."""

    proc: subprocess.Popen | None = None

    def start(self) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what survives is what was already on disk."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        """Start again on the same port and data (killing it first if it still runs)."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), then SIGKILL if it takes more than 10 s."""
        if self.running:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class RedisServer(KillableProcess):
    """One redis-server on 127.0.0.1 with its data (AOF/RDB) in ``dir``; same port across restarts."""

    def __init__(
        self, binary: str, dir: Path, *, appendonly: bool = True, save: str = "", args: Sequence[str] = ()
    ) -> None:
        self.binary, self.dir = binary, dir
        self.appendonly, self.save, self.extra = appendonly, save, list(args)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def logfile(self) -> Path:
        return self.dir / "redis.log"

    def start(self) -> None:
        """Start on a free port the first time (retrying if the port is taken), then on the same port."""
        tries = 1 if self.port else 5
        for _ in range(tries):
            self.port = self.port or free_port()
            self._spawn()
            if self._wait_ready():
                return
            self._reap()
            if tries > 1:
                self.port = 0
        pytest.fail(f"redis-server on {self.port} did not answer PING:\n{self._log_tail()}")

    def _spawn(self) -> None:
        args = [
            self.binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.dir),
            "--logfile", str(self.logfile),
            "--save", self.save,
            "--appendonly", "yes" if self.appendonly else "no",
        ]  # fmt: skip
        if self.appendonly:
            args += ["--appendfsync", "always"]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_ready(self) -> bool:
        """PING answered and the data set loaded (a restart replays the AOF first)."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=2)
        deadline = time.monotonic() + REDIS_READY_TIMEOUT
        try:
            while self.proc is not None and self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping() and client.info("persistence").get("loading") == 0:
                        return True
                except (redis.ConnectionError, redis.TimeoutError):
                    pass  # not listening yet, or LOADING (a ConnectionError subclass)
                time.sleep(0.02)
        finally:
            client.close()
        return False

    def _log_tail(self) -> str:
        return self.logfile.read_text(errors="replace")[-3000:] if self.logfile.exists() else "(no log)"

    def _reap(self) -> None:
        self.kill()


@pytest.fixture
def make_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RedisServer]]:
    """``make_redis(appendonly=True, save="", args=())``: a started private redis-server. Persistence
    defaults to AOF with fsync on every write and no RDB snapshots; pass ``save="3600 1"`` for RDB,
    and more redis-server options in ``args`` (e.g. ``["--rename-command", "CONFIG", ""]``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH; install it (Debian: apt-get install redis-server)")
    servers: list[RedisServer] = []

    def make(*, appendonly: bool = True, save: str = "", args: Sequence[str] = ()) -> RedisServer:
        server = RedisServer(
            binary, tmp_path_factory.mktemp("redis-fault"), appendonly=appendonly, save=save, args=args
        )
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.kill()


class MaydayProcess(KillableProcess):
    """One `python -m mayday.cli serve` process; same port and backend across restarts."""

    def __init__(self, args: list[str], port: int) -> None:
        self.args, self.port = args, port
        self.proc: subprocess.Popen[str] | None = None
        self.admin = ""
        self.lines: list[str] = []  # everything it printed, across restarts

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAYDAY_")}
        cmd = [sys.executable, "-m", "mayday.cli", "serve", "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        first = len(self.lines)
        stdout = self.proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True).start()
        deadline = time.monotonic() + MAYDAY_READY_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"#admin=(\S+)", "".join(self.lines[first:]))
            try:
                if m and httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    self.admin = m.group(1)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"mayday serve on {self.port} did not start:\n{self.output()}")

    def output(self) -> str:
        return "".join(self.lines)[-5000:]


@pytest.fixture
def make_mayday(tmp_path: Path) -> Iterator[Callable[..., MaydayProcess]]:
    """``make_mayday(redis=URL)`` or ``make_mayday(data=DIR)`` (default: a fresh SQLite dir): a
    started `mayday serve` process, waited for until /api/health answers and the admin link is printed."""
    procs: list[MaydayProcess] = []

    def make(
        *, redis: str | None = None, data: str | Path | None = None, extra: list[str] | None = None
    ) -> MaydayProcess:
        if redis is not None:
            args = ["--redis", redis]
        else:
            args = ["--data", str(data or tmp_path / f"data-{len(procs)}")]
        args += ["--log-level", "warning", *(extra or [])]
        proc = MaydayProcess(args, free_port())
        procs.append(proc)
        proc.start()
        return proc

    yield make
    for proc in procs:
        proc.stop()


# --------------------------------------------------------------------------------------------
# The app in the test's own event loop, on a real loopback socket
# --------------------------------------------------------------------------------------------
# ``make_app(Settings(...))`` serves ``create_app`` with uvicorn in the test's loop, so a test talks
# to it over real HTTP and WebSocket connections and still reaches ``server.app.state`` (its log,
# services, hub, clock). ``serve_asgi(app)`` does the same for a small app a test builds itself
# (one route around a helper under test). Use ``make_mayday`` when a test must kill a process.


@dataclass(eq=False)
class RunningApp:
    """One app served on ``base`` / ``ws_base``; ``stop()`` shuts it down (its lifespan included)."""

    app: Any  # starlette.applications.Starlette
    base: str
    ws_base: str
    server: Any  # uvicorn.Server
    task: asyncio.Task[None]

    @property
    def admin(self) -> str:
        return self.app.state.admin_token

    async def stop(self) -> None:
        """Shut down and wait for it (at most 10 s); calling it again does no harm."""
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def serve_asgi() -> AsyncIterator[Callable[..., Awaitable[RunningApp]]]:
    """``server = await serve_asgi(app, lifespan="off")``: an ASGI app served by uvicorn as
    ``mayday serve`` serves Mayday (``server_config``: its WebSocket protocol and frame limit) on a
    free loopback port. ``await server.stop()`` stops it early; teardown stops any still running."""
    import uvicorn

    from mayday.app import server_config

    running: list[RunningApp] = []

    async def serve(app: Any, lifespan: str = "off") -> RunningApp:
        port = free_port()
        config = server_config(app, "127.0.0.1", port, log_level="warning", lifespan=lifespan)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        started = RunningApp(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", server, task)
        running.append(started)
        return started

    yield serve
    for started in reversed(running):
        await started.stop()


@pytest.fixture
def make_app(serve_asgi: Callable[..., Awaitable[RunningApp]]) -> Callable[[Settings], Awaitable[RunningApp]]:
    """``server = await make_app(Settings(...))``: the app, started (lifespan on) and listening on a
    free loopback port. ``await server.stop()`` stops it inside the test (to check what stopping
    leaves behind, or to start another on the same data); teardown stops any still running."""
    from mayday.app import create_app

    async def make(settings: Settings) -> RunningApp:
        return await serve_asgi(create_app(settings), lifespan="on")

    return make
