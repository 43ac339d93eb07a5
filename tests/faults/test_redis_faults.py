"""The Redis backend under faults and load, against real redis-server processes (tests/faults/conftest.py).

1. RedisLog: thousands of subscriptions share one blocking connection and all get live events; a
   newcomer does not wait for the current block; a consumer that stops reading holds back only its
   own subscription; hundreds of concurrent reads wait for a small pool instead of failing.
2. kill -9 of Redis (AOF, fsync always) and a restart 1.6 s later while appends go on: every
   subscription yields every record exactly once, in order.
3. Two `mayday serve` processes on one Redis, WebSocket clients on both, Redis killed for ~2 s
   mid-relay: every client gets every event once in offset order; every handoff happened once.
4. 300 concurrent WebSocket hellos and 300 concurrent REST reads against one process: none fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from helpers import events_in, recv_json, soon
from redis.exceptions import RedisError

from mayday.log.base import Conflict, NewEvent, Record, SideWrite
from mayday.log.redis import BLOCK_MS, BUFFER, RedisLog
from relay.service import stream_of

pytestmark = pytest.mark.redis

TIMEOUT = 15.0


def ev(i: int, **extra: Any) -> NewEvent:
    return NewEvent("tick", {"i": i, **extra})


async def blocked_clients(url: str) -> int:
    admin = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return sum("b" in c["flags"] for c in await admin.client_list())
    finally:
        await admin.aclose()


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[RedisLog]:
    log = await RedisLog.connect(url)
    try:
        yield log
    finally:
        await asyncio.wait_for(log.close(), TIMEOUT)


class Follower:
    """Consumes one subscription in a task, noting each record and when it came."""

    def __init__(self, log: RedisLog, stream: str, after: int = 0) -> None:
        self.stream, self.after = stream, after
        self.records: list[Record] = []
        self.times: list[float] = []
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(self._run(log.subscribe(stream, after)))

    async def _run(self, sub: AsyncIterator[Record]) -> None:
        async for record in sub:
            self.records.append(record)
            self.times.append(time.monotonic())
            self.arrived.set()

    async def until(self, n: int, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while len(self.records) < n:
            if self.task.done():
                self.task.result()  # a subscription that raised fails here with its error
                pytest.fail(f"{self.stream}: subscription ended after {len(self.records)} records")
            self.arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"{self.stream}: {len(self.records)} records after {timeout} s, wanted {n}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


# --------------------------------------------------------------------------------------------
# 1. One follower for thousands of streams; a bounded pool
# --------------------------------------------------------------------------------------------


async def test_2000_streams_share_one_blocked_connection_and_all_get_live_events(make_redis) -> None:
    server = make_redis(appendonly=False)
    n = 2000
    names = [f"s{i}" for i in range(n)]
    async with opened(server.url) as log, opened(server.url) as peer:
        followers = [Follower(log, name) for name in names]
        try:
            for _ in range(200):
                if log.followed() == n:
                    break
                await asyncio.sleep(0.01)
            assert log.followed() == n
            await asyncio.sleep(0.3)
            assert await blocked_clients(server.url) == 1

            for round_ in (1, 2):
                started = time.monotonic()
                await asyncio.gather(*(peer.append(name, round_ - 1, [ev(round_)]) for name in names))
                appended = time.monotonic()
                for f in followers:
                    await f.until(round_)
                last = max(f.times[-1] for f in followers)
                print(
                    f"round {round_}: {n} appends in {appended - started:.2f} s, "
                    f"every stream delivered {last - started:.2f} s after the first append"
                )
            for f in followers:
                assert [(r.offset, r.data["i"]) for r in f.records] == [(1, 1), (2, 2)], f.stream
        finally:
            await asyncio.gather(*(f.stop() for f in followers))
        assert log.followed() == 0


async def test_a_new_subscription_does_not_wait_for_the_current_block(make_redis) -> None:
    server = make_redis(appendonly=False)
    async with opened(server.url) as log, opened(server.url) as peer:
        old = Follower(log, "old")
        try:
            await asyncio.sleep(0.2)
            # The follower has just delivered and blocked again: a newcomer not named in that
            # XREAD would wait the whole BLOCK_MS unless the follower is woken.
            await peer.append("old", 0, [ev(1)])
            await old.until(1)
            new = Follower(log, "new")
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await peer.append("new", 0, [ev(1)])
            await new.until(1)
            waited = new.times[0] - started
            print(f"newcomer's first live event after {waited * 1000:.1f} ms (block is {BLOCK_MS} ms)")
            assert waited < BLOCK_MS / 1000 / 4
            await new.stop()
        finally:
            await old.stop()


async def test_a_consumer_that_stops_reading_holds_back_only_its_own_subscription(make_redis) -> None:
    server = make_redis(appendonly=False)
    async with opened(server.url) as log, opened(server.url) as peer:
        slow = log.subscribe("slow")
        first = asyncio.ensure_future(anext(slow))
        fast = Follower(log, "fast")
        try:
            total = 2 * BUFFER + 500
            offset = 0
            while offset < total:
                offset = await peer.append("slow", offset, [ev(i) for i in range(offset, offset + 500)])
            assert (await asyncio.wait_for(first, TIMEOUT)).offset == 1
            await asyncio.sleep(0.3)  # the follower has filled slow's buffer and left it out of its reads
            (sub,) = log._followed["slow"].subs  # white box: the buffer is bounded
            assert sub.stalled and len(sub.buffer) <= BUFFER

            for i in range(1, 6):
                started = time.monotonic()
                await peer.append("fast", i - 1, [ev(i)])
                await fast.until(i)
                assert fast.times[-1] - started < 0.5

            got = [1] + [(await asyncio.wait_for(anext(slow), TIMEOUT)).offset for _ in range(total - 1)]
            assert got == list(range(1, total + 1))
        finally:
            await slow.aclose()
            await fast.stop()


async def test_300_concurrent_reads_wait_for_a_small_pool(make_redis) -> None:
    server = make_redis(appendonly=False)
    async with opened(server.url) as peer:
        await peer.append("s", 0, [ev(i) for i in range(50)])
    log = await RedisLog.connect(server.url + "?max_connections=4")
    try:
        started = time.monotonic()
        results = await asyncio.gather(
            *(log.read("s") for _ in range(150)),
            *(log.last_offset("s") for _ in range(150)),
            return_exceptions=True,
        )
        print(f"300 concurrent reads on 4 connections in {time.monotonic() - started:.2f} s")
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors[:3]
        assert all(len(r) == 50 for r in results[:150])
        assert set(results[150:]) == {50}
    finally:
        await log.close()


# --------------------------------------------------------------------------------------------
# 2. kill -9 and restart while appends go on
# --------------------------------------------------------------------------------------------


async def test_kill_9_and_restart_loses_and_doubles_no_record(make_redis) -> None:
    server = make_redis(appendonly=True)  # appendfsync always: an acknowledged append survives
    streams = [f"r{i}" for i in range(20)]
    async with opened(server.url) as log, opened(server.url) as writer:
        # Two subscriptions per stream, one from the start and one from wherever it is when opened.
        followers = [Follower(log, s) for s in streams]
        stop = asyncio.Event()
        failures: Counter[str] = Counter()

        async def write(stream: str) -> None:
            """A writer that keeps going through the outage, as a caller of append would: on an
            unknown outcome, it reads where the log is and decides again."""
            expected, i = 0, 0
            while not stop.is_set():
                try:
                    expected = await writer.append(stream, expected, [ev(i)])
                    i += 1
                    await asyncio.sleep(0.01)
                except Conflict as e:
                    expected = e.actual
                except (RedisError, OSError) as e:
                    failures[type(e).__name__] += 1
                    await asyncio.sleep(0.05)
                    with contextlib.suppress(RedisError, OSError):
                        expected = await writer.last_offset(stream)

        writers = [asyncio.create_task(write(s)) for s in streams]
        await asyncio.sleep(0.5)
        late = [Follower(log, s, await log.last_offset(s)) for s in streams]
        await asyncio.sleep(0.5)
        killed = time.monotonic()
        await asyncio.to_thread(server.kill)
        await asyncio.sleep(1.6)
        await asyncio.to_thread(server.restart)
        restarted = time.monotonic()
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*writers), TIMEOUT)
        try:
            finals = {s: await log.read(s) for s in streams}
            for f in followers + late:
                final = finals[f.stream]
                await f.until(len(final) - f.after)
                assert [r.offset for r in f.records] == list(range(f.after + 1, len(final) + 1)), f.stream
                assert f.records == final[f.after :], f.stream
            await asyncio.sleep(0.3)
            for f in followers + late:
                assert len(f.records) == len(finals[f.stream]) - f.after, f"{f.stream}: a record came twice"
            after = [t for f in followers for t in f.times if t > restarted]
            before = [t for f in followers for t in f.times if t < killed]
            print(
                f"{sum(len(f.records) for f in followers)} records over {len(streams)} streams; "
                f"last before the kill {killed - max(before):.2f} s before it; first after the restart "
                f"{min(after) - restarted:.2f} s after Redis answered; writer errors {dict(failures)}"
            )
            assert min(after) - restarted < 5.0
        finally:
            await asyncio.gather(*(f.stop() for f in followers + late))


# --------------------------------------------------------------------------------------------
# 3. Two serve processes, WebSocket clients, Redis killed mid-relay
# --------------------------------------------------------------------------------------------


async def create_relay(base: str, admin: str, definition: dict[str, Any]) -> str:
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{base}/api/relays", content=json.dumps(definition), headers={"authorization": f"Bearer {admin}"}
        )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_two_processes_ride_through_a_redis_restart_mid_relay(make_redis, make_mayday) -> None:
    server = make_redis(appendonly=True)
    procs = [make_mayday(redis=server.url), make_mayday(redis=server.url)]
    now = dt.datetime.now(dt.UTC)
    # Five 2 s legs: handoffs 3, 5, 7, 9, 11 s and the end at 13 s after the relay's base instant.
    legs = [(site, "UTC", 3 + 2 * k, 2) for k, site in enumerate("abcde")]
    rid = await create_relay(procs[0].base, procs[0].admin, soon(now, legs))
    base = now.replace(microsecond=0) + dt.timedelta(seconds=1)

    clients = [
        await websockets.connect(f"{p.ws_base}/ws/relay/{rid}", open_timeout=TIMEOUT) for p in procs for _ in range(3)
    ]
    for c in clients:
        await c.send(json.dumps({"type": "hello", "token": None, "after": 0}))
        assert (await recv_json(c, TIMEOUT))["type"] == "welcome"

    arrived: dict[int, dt.datetime] = {}  # handoff -> when the first client got it

    async def collect(conn: Any) -> list[dict]:
        events: list[dict] = []
        while True:
            for event in events_in(await recv_json(conn, 30)):
                events.append(event)
                if event["event"] == "baton_passed":
                    arrived.setdefault(event["data"]["handoff"], dt.datetime.now(dt.UTC))
                    if event["data"]["to"] is None:
                        return events

    collecting = asyncio.gather(*(collect(c) for c in clients))

    # Down from ~5.9 s to ~7.9 s after the base instant: the 7 s handoff is due while Redis is away.
    await asyncio.sleep(max(0.0, (base + dt.timedelta(seconds=5.9) - dt.datetime.now(dt.UTC)).total_seconds()))
    await asyncio.to_thread(server.kill)
    killed = dt.datetime.now(dt.UTC)
    await asyncio.sleep(2.0)
    await asyncio.to_thread(server.restart)
    restarted = dt.datetime.now(dt.UTC)
    due = base + dt.timedelta(seconds=7)
    assert killed < due < restarted, f"the outage {killed}..{restarted} missed the handoff due at {due}"

    try:
        seen = await asyncio.wait_for(collecting, 40)
    finally:
        for c in clients:
            await c.close()
    async with opened(server.url) as log:
        records = await log.read(stream_of(rid))
    expected = [{"offset": r.offset, "event": r.type, "data": r.data} for r in records]
    for events in seen:
        assert [e["offset"] for e in events] == list(range(1, len(events) + 1))
        assert [{k: e[k] for k in ("offset", "event", "data")} for e in events] == expected
    handoffs = Counter(r.data["handoff"] for r in records if r.type == "baton_passed")
    assert handoffs == Counter(range(6)), handoffs
    assert Counter(r.type for r in records) == Counter({"relay_created": 1, "baton_passed": 6}), records
    late = {h: round((at - (base + dt.timedelta(seconds=3 + 2 * h))).total_seconds(), 2) for h, at in arrived.items()}
    print(
        f"Redis down {(restarted - killed).total_seconds():.2f} s; seconds from each handoff's due time to "
        f"the first client receiving it: {late}"
    )
    assert late[2] < 10


# --------------------------------------------------------------------------------------------
# 4. Hundreds of concurrent hellos and REST reads against one process
# --------------------------------------------------------------------------------------------


async def test_300_concurrent_hellos_and_300_concurrent_rest_reads(make_redis, make_mayday) -> None:
    server = make_redis(appendonly=False)
    proc = make_mayday(redis=server.url)
    now = dt.datetime.now(dt.UTC)
    rid = await create_relay(proc.base, proc.admin, soon(now, [("a", "UTC", 600, 60), ("b", "UTC", 660, 60)]))

    async def hello() -> int:
        async with websockets.connect(f"{proc.ws_base}/ws/relay/{rid}", open_timeout=TIMEOUT) as conn:
            await conn.send(json.dumps({"type": "hello", "token": None, "after": 0}))
            welcome = await recv_json(conn, TIMEOUT)
            assert welcome["type"] == "welcome", welcome
            events = []
            while len(events) < welcome["offset"]:
                events += events_in(await recv_json(conn, TIMEOUT))
            assert [e["offset"] for e in events] == list(range(1, welcome["offset"] + 1))
            return welcome["offset"]

    started = time.monotonic()
    offsets = await asyncio.gather(*(hello() for _ in range(300)), return_exceptions=True)
    hellos_s = time.monotonic() - started
    failed = [o for o in offsets if isinstance(o, BaseException)]
    assert not failed, f"{len(failed)} of 300 hellos failed: {failed[:3]}"
    assert set(offsets) == {1}

    paths = [f"/api/relays/{rid}/events", f"/api/relays/{rid}", f"/api/relays/{rid}/events?after=0"]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=proc.base, limits=limits, timeout=TIMEOUT) as http:
        started = time.monotonic()
        responses = await asyncio.gather(*(http.get(paths[i % len(paths)]) for i in range(300)), return_exceptions=True)
    rest_s = time.monotonic() - started
    failed = [r for r in responses if isinstance(r, BaseException) or r.status_code != 200]
    assert not failed, f"{len(failed)} of 300 GETs failed: {failed[:3]}"
    print(f"300 concurrent hellos in {hellos_s:.2f} s, 300 concurrent GETs in {rest_s:.2f} s")


# --------------------------------------------------------------------------------------------
# compact_journal: Redis's own persistence forgets a closed secret ballot's counter writes
# --------------------------------------------------------------------------------------------


async def vote_and_close(log: RedisLog) -> None:
    """Per-vote counter writes, then the close that clears them (as a secret ballot does)."""
    offset = 0
    for n, choice in enumerate(["yes", "no", "yes", "abstain"]):
        write = SideWrite(increments={f"b1:{choice}": 1}, add_tokens=(f"b1:r:{n}",))
        offset = await log.append("assembly:x", offset, [NewEvent("ballot_voted", {"n": n})], side=write)
    await log.append("assembly:x", offset, [NewEvent("ballot_closed")], side=SideWrite(clear_prefix="b1:"))


def files_holding(directory: Any, needle: bytes) -> list[str]:
    return [p.name for p in directory.rglob("*") if p.is_file() and p.name != "redis.log" and needle in p.read_bytes()]


async def test_compact_journal_rewrites_the_aof_and_saves_the_rdb(make_redis) -> None:
    server = make_redis(appendonly=True, save="3600 1")
    async with opened(server.url) as log:
        await vote_and_close(log)
        assert files_holding(server.dir, b"b1:yes")  # the AOF has every HINCRBY so far
        done = await asyncio.wait_for(log.compact_journal(), 20)
        print(done)
        assert "AOF rewrite done" in done and "RDB save done" in done, done
        assert files_holding(server.dir, b"b1:") == []
        assert (server.dir / "dump.rdb").exists()
        assert [r.type for r in await log.read("assembly:x")][-1] == "ballot_closed"  # the log itself is kept


async def test_compact_journal_with_no_persistence_has_nothing_to_do(make_redis) -> None:
    server = make_redis(appendonly=False)
    async with opened(server.url) as log:
        await vote_and_close(log)
        assert "nothing on disk" in await log.compact_journal()


async def test_compact_journal_says_what_it_could_not_do_when_config_is_refused(make_redis, caplog) -> None:
    server = make_redis(appendonly=True, args=["--rename-command", "CONFIG", ""])  # as managed Redis may
    async with opened(server.url) as log:
        await vote_and_close(log)
        with caplog.at_level("WARNING", logger="mayday.log.redis"):
            done = await log.compact_journal()
        assert "CONFIG GET refused" in done and "nothing compacted" in done, done
        assert any("CONFIG GET refused" in r.getMessage() for r in caplog.records)
        assert files_holding(server.dir, b"b1:yes")  # honestly not compacted


async def test_ping_measures_a_round_trip_and_raises_when_redis_is_gone(make_redis) -> None:
    server = make_redis(appendonly=False)
    async with opened(server.url) as log:
        assert 0 < await log.ping() < 1
        await asyncio.to_thread(server.kill)
        started = time.monotonic()
        with pytest.raises((RedisError, OSError, TimeoutError)):
            await log.ping()
        assert time.monotonic() - started < 2
        await asyncio.to_thread(server.restart)
        assert 0 < await log.ping() < 1
