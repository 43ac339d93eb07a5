"""A relay never stalls: failed ticks are retried until they succeed, a poisoned command harms only
itself, many relays due at one instant all hand off, and /api/health says when a deadline is late.

Real `mayday serve` processes and real redis-server processes, killed and restarted for real."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import time
from collections import Counter

import httpx
import pytest
from helpers import events_in, recv_json, soon, token_of, ws_hello

from mayday.log import open_log
from mayday.timers import DeadlineTimers
from relay.service import stream_of

UTC = dt.UTC


async def wait_for(predicate, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(every)
    raise AssertionError(f"not true within {timeout} s")


# --- the timer shell itself: a failing fire is tried again, with growing gaps ----------------------


async def test_a_failed_tick_is_retried_with_backoff_until_it_succeeds():
    calls: list[float] = []

    async def fire(key: str) -> None:
        calls.append(time.monotonic())
        if len(calls) <= 4:
            raise ConnectionError("storage is down")

    timers = DeadlineTimers(fire)
    timers.start()
    try:
        due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
        timers.arm("r1", due)

        async def failing() -> bool:
            return "r1" in timers.failing()

        await wait_for(failing, 2)
        # While failing, arming the same overdue deadline (what every fold does) keeps the backoff.
        timers.arm("r1", due)
        assert timers.armed("r1") == due

        async def done() -> bool:
            return len(calls) == 5 and not timers.failing()

        await wait_for(done, 10)
        gaps = [b - a for a, b in itertools.pairwise(calls)]
        assert gaps == sorted(gaps), gaps  # the backoff grows
        assert timers.armed("r1") is None  # succeeded: nothing left armed for that instant
        await asyncio.sleep(0.5)
        assert len(calls) == 5  # and it is not fired again
    finally:
        timers.shutdown()


async def test_a_new_deadline_replaces_a_failing_one():
    fired: list[str] = []

    async def fire(key: str) -> None:
        fired.append(key)
        raise RuntimeError("a bug in a handler")

    timers = DeadlineTimers(fire)
    timers.start()
    try:
        timers.arm("r1", dt.datetime.now(UTC) - dt.timedelta(seconds=1))

        async def failing() -> bool:
            return "r1" in timers.failing()

        await wait_for(failing, 2)
        later = dt.datetime.now(UTC) + dt.timedelta(hours=1)
        timers.arm("r1", later)  # the state moved on: the failing deadline was resolved elsewhere
        assert timers.failing() == {} and timers.armed("r1") == later
    finally:
        timers.shutdown()


# --- one site's poisoned dispatches do not stop its relay (real process, SQLite) -------------------


async def test_poisoned_dispatches_never_stop_the_relay(make_mayday, tmp_path):
    server = make_mayday(data=tmp_path / "data")
    now = dt.datetime.now(UTC)
    legs = [(f"s{i}", "UTC", 2 + 2 * i, 2) for i in range(5)]  # poison throughout five legs
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        r = await http.post(
            "/api/relays", content=json.dumps(soon(now, legs)), headers={"authorization": f"Bearer {server.admin}"}
        )
        assert r.status_code == 201, r.text
        made = r.json()
        rid, site = made["id"], token_of(made["sites"]["s0"])

        conn, welcome = await ws_hello(f"{server.ws_base}/ws/relay/{rid}", site)
        assert welcome["role"] == "site"
        poison_ws = '{"type":"command","id":7,"command":{"type":"dispatch","text":"bad \\ud800"}}'
        poison_rest = b'{"type":"dispatch","text":"bad \\udfff"}'
        errors, acks, passed = [], 0, set()
        t_end = time.monotonic() + 40
        n = 0
        while time.monotonic() < t_end and None not in passed:
            n += 1
            await conn.send(poison_ws)
            await conn.send(
                json.dumps({"type": "command", "id": n, "command": {"type": "dispatch", "text": f"ok {n}"}})
            )
            rr = await http.post(
                f"/api/relays/{rid}/commands", content=poison_rest, headers={"authorization": f"Bearer {site}"}
            )
            assert rr.status_code == 400 and rr.json()["error"]["code"] == "bad_json", rr.text
            try:
                while True:
                    frame = await recv_json(conn, 0.3)
                    if frame["type"] == "error":
                        errors.append(frame)
                    elif frame["type"] == "ack":
                        acks += 1
                    for e in events_in(frame):
                        if e["event"] == "baton_passed":
                            passed.add(e["data"]["to"])
            except TimeoutError:
                pass
        await conn.close()

    assert None in passed, f"the relay stopped: handed to {sorted(p for p in passed if p)}"
    assert errors and all(e["code"] == "bad_json" and e["id"] == 7 for e in errors), errors[:3]
    assert acks >= n - 1  # every honest dispatch was stored and answered
    log = await open_log(data_dir=str(tmp_path / "data"))
    try:
        records = await log.read(stream_of(rid))
    finally:
        await log.close()
    handoffs = Counter(r.data["handoff"] for r in records if r.type == "baton_passed")
    assert handoffs == Counter(range(6)), handoffs  # 5 legs: 6 handoffs, each exactly once
    assert all("bad" not in r.data.get("text", "") for r in records)


# --- many relays due at one instant, two processes on one Redis ----------------------------------


@pytest.mark.redis
async def test_105_relays_due_at_one_instant_all_hand_off(make_redis, make_mayday):
    redis_server = make_redis()
    first = make_mayday(redis=redis_server.url)
    make_mayday(redis=redis_server.url)
    # 105 creations from one address: a burst of 100, then the REST limit (shared by both processes
    # on Redis) asks to wait a few seconds (Retry-After) for the rest.
    start = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(seconds=20)
    definition = {
        "name": "one instant",
        "sites": [
            {
                "id": "a",
                "tz": "UTC",
                "legs": {"date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "duration": "2s"},
            }
        ],
    }
    ids = []
    async with httpx.AsyncClient(base_url=first.base, timeout=10) as http:
        for _ in range(105):
            r = await http.post(
                "/api/relays", content=json.dumps(definition), headers={"authorization": f"Bearer {first.admin}"}
            )
            if r.status_code == 429:
                await asyncio.sleep(float(r.headers["retry-after"]))
                r = await http.post(
                    "/api/relays", content=json.dumps(definition), headers={"authorization": f"Bearer {first.admin}"}
                )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    assert dt.datetime.now(UTC) < start, "creating the relays took too long for this test"
    log = await open_log(redis_url=redis_server.url)
    try:

        async def all_done() -> bool:
            for rid in ids:
                handoffs = [r.data["handoff"] for r in await log.read(stream_of(rid)) if r.type == "baton_passed"]
                if len(handoffs) < 2:
                    return False
            return True

        await wait_for(all_done, 40, every=0.5)
        for rid in ids:
            handoffs = [r.data["handoff"] for r in await log.read(stream_of(rid)) if r.type == "baton_passed"]
            assert handoffs == [0, 1], (rid, handoffs)  # exactly once each, across both processes
    finally:
        await log.close()


# --- Redis down past a deadline: health says so (503), the tick is retried and lands late ---------


@pytest.mark.redis
async def test_health_reports_storage_down_and_an_overdue_deadline_then_recovers(make_redis, make_mayday):
    redis_server = make_redis()
    server = make_mayday(redis=redis_server.url, extra=["--health-grace", "1"])
    now = dt.datetime.now(UTC)
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        r = await http.post(
            "/api/relays",
            content=json.dumps(soon(now, [("a", "UTC", 2, 60)])),
            headers={"authorization": f"Bearer {server.admin}"},
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        healthy = await http.get("/api/health")
        assert healthy.status_code == 200 and healthy.json()["storage"]["ok"], healthy.text

        redis_server.kill()
        await asyncio.sleep(5)  # the handoff (at ~3 s) is due and cannot be stored
        sick = await http.get("/api/health")
        assert sick.status_code == 503, sick.text
        body = sick.json()
        assert not body["ok"] and not body["storage"]["ok"]
        assert body["relays"]["overdue"][0]["id"] == rid
        assert any("overdue" in p for p in body["problems"]) and any("storage" in p for p in body["problems"])
        # A read that needs storage answers 503 with a code, not 500.
        down = await http.get(f"/api/relays/{rid}/events")
        assert down.status_code in (200, 503), down.text  # 200 only if served from memory
        if down.status_code == 503:
            assert down.json()["error"]["code"] == "unavailable"

        redis_server.restart()

        async def recovered() -> bool:
            return (await http.get("/api/health")).status_code == 200

        await wait_for(recovered, 15, every=0.2)
    log = await open_log(redis_url=redis_server.url)
    try:
        passed = [r for r in await log.read(stream_of(rid)) if r.type == "baton_passed"]
    finally:
        await log.close()
    assert [r.data["handoff"] for r in passed] == [0]
    assert passed[0].data["late"] is True and passed[0].data["late_s"] >= 2  # late, and says so
