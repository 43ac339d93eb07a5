"""Two real `mayday serve` processes on one Redis: each sees the other's events live, and every
handoff, escalation and backup is emitted exactly once between them although both arm timers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import pytest
from app_server import events_in, recv_json, ws_hello
from helpers import free_port
from relay_defs import soon

from mayday.log import open_log
from relay.service import stream_of

pytestmark = pytest.mark.redis


def start_server(redis_url: str, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAYDAY_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mayday.cli",
            "serve",
            "--port",
            str(port),
            "--redis",
            redis_url,
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def wait_ready(proc: subprocess.Popen[str], port: int) -> str:
    """Wait for /api/health and return the admin token the process printed."""
    lines: list[str] = []
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        m = re.search(r"#admin=(\S+)", "".join(lines))
        try:
            if m and httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return m.group(1)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server on {port} did not start:\n{''.join(lines)}")


async def health(port: int) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"http://127.0.0.1:{port}/api/health")).json()


async def test_two_serve_processes_share_one_redis_log(redis_log_url):
    ports = [free_port(), free_port()]
    procs = [start_server(redis_log_url, port) for port in ports]
    try:
        tokens = [wait_ready(p, port) for p, port in zip(procs, ports, strict=True)]
        # The second process found the signing key the first one stored: one admin link for both.
        assert tokens[0] == tokens[1]
        now = dt.datetime.now(dt.UTC)
        # a: 3-7 s, b: 5-11 s (backup a), grace 1 s. Handoffs at 3, 5, 11; a missed at 4;
        # b missed at 6, a takes b's leg at 7.
        definition = soon(now, [("a", "UTC", 3, 4), ("b", "Asia/Kathmandu", 5, 6)], grace="1s", backups={"b": "a"})
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"http://127.0.0.1:{ports[0]}/api/relays",
                content=json.dumps(definition),
                headers={"authorization": f"Bearer {tokens[0]}"},
            )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        # Both processes learn of the relay from the log and arm their own timer.
        for _ in range(100):
            if [(await health(p))["timers"] for p in ports] == [1, 1]:
                break
            await asyncio.sleep(0.05)
        assert [(await health(p))["timers"] for p in ports] == [1, 1]

        # Watch from both processes; the relay was created through the first.
        conns = [(await ws_hello(f"ws://127.0.0.1:{p}/ws/relay/{rid}"))[0] for p in ports]

        async def collect(conn) -> list[dict]:
            events = []
            while True:
                for event in events_in(await recv_json(conn, 20)):
                    events.append(event)
                    if event["event"] == "baton_passed" and event["data"]["to"] is None:
                        return events

        seen = await asyncio.wait_for(asyncio.gather(*(collect(c) for c in conns)), 30)
        for c in conns:
            await c.close()
        assert seen[0] == seen[1]  # same events, same offsets, through either process
        assert [e["offset"] for e in seen[0]] == list(range(1, len(seen[0]) + 1))

        log = await open_log(redis_url=redis_log_url)
        records = await log.read(stream_of(rid))
        await log.close()
        counts = Counter((r.type, r.data.get("handoff", r.data.get("leg"))) for r in records)
        assert counts == Counter(
            {
                ("relay_created", None): 1,
                ("baton_passed", 0): 1,
                ("baton_passed", 1): 1,
                ("baton_passed", 2): 1,
                ("checkin_missed", 0): 1,
                ("checkin_missed", 1): 1,
                ("backup_took_leg", 1): 1,
            }
        ), counts
        assert all(r.data["late_s"] < 2 for r in records if "late_s" in r.data)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
