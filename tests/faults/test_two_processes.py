"""Two real `mayday serve` processes on one Redis: each sees the other's events live, and every
handoff, escalation and backup is emitted exactly once between them although both arm timers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import Counter

import httpx
import pytest
from helpers import events_in, recv_json, soon, ws_hello

from mayday.log import open_log
from relay.service import stream_of

pytestmark = pytest.mark.redis


async def health(port: int) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"http://127.0.0.1:{port}/api/health")).json()


async def test_two_serve_processes_share_one_redis_log(make_mayday, redis_log_url):
    procs = [make_mayday(redis=redis_log_url), make_mayday(redis=redis_log_url)]
    ports = [p.port for p in procs]
    tokens = [p.admin for p in procs]
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
