"""compose.yaml without a container engine (none runs on this machine): its Redis command and its
two Mayday services' commands, environment and healthchecks, run as the plain processes they
describe, each moved to a free loopback port. Checked: Redis starts with the file's own options
(append-only, fsync always, no eviction, loopback only), both services pass their healthchecks
and share one log, and one assembly's livestream has its origin in one service and an edge in
the other (each service's /api/health says which). Not checked here: the image build and host
networking."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from helpers import create_assembly, free_port, token_of
from media_client import MediaClient

pytestmark = [pytest.mark.timeout(120), pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
CONSOLE = Path(sys.executable).parent / "mayday"  # the console script `pip install .` makes, as in the image


def _moved(args: list[str], ports: dict[str, str]) -> list[str]:
    """The same arguments with each of the file's ports replaced by a free one."""
    return [re.sub(r"\b(6379|8001|8002)\b", lambda m: ports[m.group(1)], a) for a in args]


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, redis.RedisError):
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not come up within {timeout} s")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[list[str], list[list[str]]]]:
    """The file's three services as processes: (each Mayday service's base URL, what each printed)."""
    ports = {p: str(free_port()) for p in ("6379", "8001", "8002")}
    procs: list[subprocess.Popen] = []
    printed: list[list[str]] = []
    try:
        command = _moved(COMPOSE["services"]["redis"]["command"], ports)
        assert command[0] == "redis-server"
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        procs.append(subprocess.Popen([binary, *command[1:], "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
        store = redis.Redis(port=int(ports["6379"]), socket_timeout=2)
        _wait(store.ping, 15, "redis-server")
        options = ("appendonly", "appendfsync", "maxmemory-policy", "bind")
        assert {k: store.config_get(k)[k] for k in options} == {
            "appendonly": "yes",
            "appendfsync": "always",
            "maxmemory-policy": "noeviction",
            "bind": "127.0.0.1",
        }
        store.close()
        bases = []
        for name, port in (("mayday-1", "8001"), ("mayday-2", "8002")):
            service = COMPOSE["services"][name]
            assert service["depends_on"] == ["redis"] and service["network_mode"] == "host"
            env = {k: v for k, v in os.environ.items() if not k.startswith("MAYDAY_")}
            env |= {k: _moved([v], ports)[0] for k, v in service["environment"].items()}
            command = _moved(service["command"], ports)
            assert command[:2] == ["mayday", "serve"]
            proc = subprocess.Popen(
                [str(CONSOLE), *command[1:]],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            procs.append(proc)
            lines: list[str] = []
            printed.append(lines)
            threading.Thread(
                target=lambda p=proc, out=lines: out.extend(iter(p.stdout.readline, "")), daemon=True
            ).start()
            check = _moved(service["healthcheck"]["test"], ports)
            assert check[:2] == ["CMD", "python"]
            health = [sys.executable, *check[2:]]
            _wait(lambda health=health: subprocess.run(health, capture_output=True).returncode == 0, 30, name)
            bases.append(f"127.0.0.1:{ports[port]}")
        yield bases, printed
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def test_the_compose_services_share_a_log_and_split_an_assembly_into_origin_and_edge(services) -> None:
    (one, two), printed = services
    admin = re.search(r"#admin=(\S+)", "".join(printed[0]))
    assert admin, "".join(printed[0])[-2000:]
    definition = {
        "title": "Compose check",
        "languages": ["en"],
        "viewers": "public",
        "chairs": [{"id": "ama", "name": "Ama"}],
        "delegates": [{"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa"}],
    }
    async with httpx.AsyncClient(timeout=10) as http:
        # Created on one service; the other reads it from the shared log.
        made = await create_assembly(http, [f"http://{one}", f"http://{two}"], admin.group(1), definition)
        viewers = []
        try:
            for base in (one, two):
                viewer = MediaClient(f"ws://{base}/ws/assembly/{made['id']}", token_of(made["viewer"]))
                await viewer.open()
                viewers.append(viewer)
                assert (await viewer.join(channel="en", video=False))["type"] == "media_ready"
            roles: list[dict[str, int]] = []
            for _ in range(100):
                roles = [(await http.get(f"http://{base}/api/health")).json()["media_roles"] for base in (one, two)]
                if sorted((r["origin"], r["edge"]) for r in roles) == [(0, 1), (1, 0)]:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"no origin/edge split: {roles}")
        finally:
            for viewer in viewers:
                await asyncio.wait_for(viewer.close(), 10)
