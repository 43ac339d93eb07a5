"""Shared fixtures. Add new sections below; keep each backend's fixtures in its own section."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from helpers import free_port

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
