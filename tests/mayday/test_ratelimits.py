"""Rate limits (mayday/ratelimits.py): REST writes per client address, in memory or shared by every
process on one Redis; WebSocket frames per connection. Limits as in docs/protocol.md §1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import time
import uuid
import weakref

import httpx
import limits.aio.storage.memory
import pytest
import websockets
from helpers import recv_json, soon, token_of, ws_hello

from mayday import ratelimits, ws
from mayday.app import Settings
from mayday.clock import ManualClock
from mayday.ratelimits import FrameLimit, RestLimit, window

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)


class FakeTime:
    """Stands for the ``time`` module in limits' in-memory storage: the test moves the clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime(1_000_000_020.0)  # a multiple of 5 and of 3 s: windows start here
    monkeypatch.setattr(limits.aio.storage.memory, "time", clock)
    return clock


def forwarded(address: str) -> dict[str, str]:
    """Another client address as the server sees it (uvicorn trusts X-Forwarded-For from loopback)."""
    return {"x-forwarded-for": address}


async def post_plan(http: httpx.AsyncClient, address: str) -> httpx.Response:
    """A write that costs nothing past the limit: POST /api/plan without the admin link (401)."""
    return await http.post("/api/plan", content=b"{}", headers=forwarded(address))


async def statuses(http: httpx.AsyncClient, address: str, n: int) -> list[int]:
    return [(await post_plan(http, address)).status_code for _ in range(n)]


async def window_start(seconds: int) -> None:
    """Sleep until just after an in-memory window starts (they are aligned on the epoch)."""
    await asyncio.sleep(seconds - time.time() % seconds + 0.02)


# ---------------------------------------------------------------------------------------------
# The strategy and its numbers
# ---------------------------------------------------------------------------------------------


def test_rate_and_burst_become_burst_per_burst_over_rate_seconds():
    for (per_s, burst), (amount, seconds) in {
        ratelimits.REST_RATE: (100, 5),
        ratelimits.FRAME_RATE: (30, 3),
        (0.5, 3): (3, 6),
        (1000, 1000): (1000, 1),
        (100_000, 100_000): (100_000, 1),
    }.items():
        item = window(per_s, burst, "t")
        assert (item.amount, item.get_expiry()) == (amount, seconds)
    for bad in ((0, 10), (-1, 10), (10, 0.5)):
        with pytest.raises(ValueError):
            window(*bad, "t")


async def test_rest_limit_is_a_burst_then_the_steady_rate(fake_time):
    limit = RestLimit()  # 100 per 5 s, as served
    assert [await limit.allow("a") for _ in range(101)] == [True] * 100 + [False]
    assert await limit.allow("b")  # another client has its own budget
    # The next window weighs the last one by the part of it still within 5 s: 20 more a second.
    fake_time.now += 6.25  # 1.25 s into the next window: a quarter of the burst has come back
    assert sum([await limit.allow("a") for _ in range(40)]) == 25
    fake_time.now += 1.25  # and 25 more 1.25 s later
    assert sum([await limit.allow("a") for _ in range(40)]) == 25
    # Two windows after it stops, a client has its whole burst again.
    fake_time.now += 10
    assert sum([await limit.allow("a") for _ in range(120)]) == 100
    await limit.close()


async def test_frame_limit_is_30_at_once_then_10_a_second(fake_time):
    frames = FrameLimit()
    assert [await frames.take() for _ in range(31)] == [True] * 30 + [False]
    fake_time.now += 4.5  # 1.5 s into the next window: 15 of the last window's 30 still count
    assert sum([await frames.take() for _ in range(30)]) == 15


async def test_memory_holds_at_most_two_counters_per_remembered_client():
    limit = RestLimit(0.05, 1, max_clients=3)  # 1 per 20 s; at most 6 counters
    assert await limit.allow("a") and not await limit.allow("a")
    for client in "bcdef":
        assert await limit.allow(client)
        assert len(limit.storage.expirations) <= 6
    assert await limit.allow("g")  # the 7th counter: all are dropped (bounded beats fair)
    assert len(limit.storage.expirations) == 0
    assert await limit.allow("a")  # "a" is forgotten with the rest
    await limit.close()


# ---------------------------------------------------------------------------------------------
# REST, in one process (memory)
# ---------------------------------------------------------------------------------------------


async def test_rest_writes_limited_per_client_then_recover(tmp_path, make_app):
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False, rest_rate=(3, 3))
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        for _ in range(3):  # a burst that straddles a window boundary is tried again
            await window_start(1)  # 3 per 1 s
            began = time.time() // 1
            first = await statuses(http, "10.1.0.1", 4)
            refused = await post_plan(http, "10.1.0.1")
            other = await statuses(http, "10.1.0.2", 3)
            if time.time() // 1 == began:
                break
        assert first == [401, 401, 401, 429]  # the route's own answer until the burst is spent
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert other == [401, 401, 401]  # another address is not touched
        # Two windows later the client has its whole burst again.
        await asyncio.sleep(began + 2 - time.time() + 0.02)
        assert await statuses(http, "10.1.0.1", 4) == [401, 401, 401, 429]


# ---------------------------------------------------------------------------------------------
# REST, shared on Redis
# ---------------------------------------------------------------------------------------------


@pytest.mark.redis
async def test_two_limiters_on_one_redis_share_each_clients_budget(redis_url):
    a, b = (RestLimit(0.05, 3, redis_url=redis_url) for _ in range(2))  # as create_app builds them
    client, other = f"c-{uuid.uuid4()}", f"o-{uuid.uuid4()}"
    try:
        assert [await a.allow(client), await b.allow(client), await a.allow(client)] == [True] * 3
        assert not await b.allow(client) and not await a.allow(client)
        assert await b.allow(other)
        # A short window comes back whole once two windows have passed (Redis keys expire).
        fast = RestLimit(3, 3, redis_url=redis_url)
        assert [await fast.allow(client) for _ in range(4)] == [True, True, True, False]
        await asyncio.sleep(2.05)
        assert await fast.allow(client)
        await fast.close()
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_a_concurrent_burst_on_redis_is_counted_not_let_through(redis_url):
    limit = RestLimit(0.05, 3, redis_url=redis_url)
    client = f"burst-{uuid.uuid4()}"
    try:  # far more writes at once than pooled connections: they wait for one, none fails open
        allowed = await asyncio.gather(*(limit.allow(client) for _ in range(100)))
        assert sum(allowed) == 3
    finally:
        await limit.close()


@pytest.mark.redis
async def test_two_apps_on_one_redis_answer_429_from_a_budget_spent_on_both(tmp_path, redis_url, make_app):
    def settings(name: str) -> Settings:
        return Settings(
            data_dir=str(tmp_path / name), redis_url=redis_url, secret="s", timers=False, rest_rate=(0.05, 3)
        )

    client = "10.2.0.1"
    one, two = await make_app(settings("a")), await make_app(settings("b"))
    async with httpx.AsyncClient(base_url=one.base) as h1, httpx.AsyncClient(base_url=two.base) as h2:
        seen = [(await post_plan(h, client)).status_code for h in (h1, h2, h1, h2, h1)]
        assert seen == [401, 401, 401, 429, 429]
        assert (await post_plan(h2, "10.3.0.1")).status_code == 401


@pytest.mark.redis
async def test_two_mayday_processes_share_the_default_limit(make_redis, make_mayday):
    store = make_redis(appendonly=False)
    one, two = (make_mayday(redis=store.url, extra=["--proxy-headers"]) for _ in range(2))
    async with httpx.AsyncClient(base_url=one.base) as h1, httpx.AsyncClient(base_url=two.base) as h2:
        for attempt in range(3):  # 100 writes well within the 5 s window; a slower run tries again
            client = f"10.4.0.{attempt}"
            began = time.monotonic()
            burst = await asyncio.gather(*(post_plan(h1 if i % 2 else h2, client) for i in range(100)))
            after = [(await post_plan(h, client)).status_code for h in (h1, h2)]
            if time.monotonic() - began < 4:
                break
        assert [r.status_code for r in burst] == [401] * 100
        assert after == [429, 429]
        assert (await post_plan(h1, "10.4.1.1")).status_code == 401


@pytest.mark.redis
async def test_an_unreachable_limit_store_lets_writes_through_and_says_so(make_redis, monkeypatch, caplog):
    monkeypatch.setattr(ratelimits, "RETRY_AFTER", 0.05)
    store = make_redis(appendonly=False)
    limit = RestLimit(0.05, 2, redis_url=store.url)
    try:
        assert [await limit.allow("x") for _ in range(3)] == [True, True, False]
        store.kill()
        with caplog.at_level(logging.INFO, logger="mayday.ratelimits"):
            began = time.monotonic()
            assert await limit.allow("x") and await limit.allow("x")  # open while it is down
            await asyncio.sleep(0.06)
            assert await limit.allow("x")
            assert time.monotonic() - began < 1.0  # no retries, no long timeouts
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()  # once per outage
            store.restart()  # an empty Redis (no AOF): the count starts again
            await asyncio.sleep(0.06)
            assert [await limit.allow("x") for _ in range(3)] == [True, True, False]
            assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        await limit.close()


@pytest.mark.redis
async def test_with_redis_down_a_write_gets_the_storage_error_not_the_limiters(tmp_path, make_redis, make_app):
    store = make_redis(appendonly=False)
    settings = Settings(data_dir=str(tmp_path), redis_url=store.url, secret="s", clock=ManualClock(T0), timers=False)
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        spec = soon(T0, [("akl", "Pacific/Auckland", 0, 100)])
        made = await http.post("/api/relays", json=spec, headers={"authorization": f"Bearer {server.admin}"})
        assert made.status_code == 201, made.text
        store.kill()
        r = await http.post(
            f"/api/relays/{made.json()['id']}/commands",
            json={"type": "dispatch", "text": "hi"},
            headers={"authorization": f"Bearer {token_of(made.json()['coordinator'])}"},
        )
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable", r.text


# ---------------------------------------------------------------------------------------------
# WebSocket frames, per connection
# ---------------------------------------------------------------------------------------------


@pytest.fixture
async def board(tmp_path, make_app):
    """A running app and the socket URL of a public relay board (anonymous readers welcome)."""
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False)
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        spec = soon(T0, [("akl", "Pacific/Auckland", 0, 100)])
        made = await http.post("/api/relays", json=spec, headers={"authorization": f"Bearer {server.admin}"})
        assert made.status_code == 201, made.text
        yield f"{server.ws_base}/ws/relay/{made.json()['id']}"


async def test_a_frame_flood_gets_rate_limited_errors_then_close_1008(board):
    conn, welcome = await ws_hello(board)
    assert welcome["type"] == "welcome"
    with contextlib.suppress(websockets.ConnectionClosed):  # it may close while we still send
        for i in range(200):
            await conn.send(json.dumps({"type": "ping", "id": i}))
    replies = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            frame = await recv_json(conn)
            if frame["type"] in ("pong", "error"):
                replies.append(frame)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "rate limit")
    pongs = [r for r in replies if r["type"] == "pong"]
    errors = [r for r in replies if r["type"] == "error"]
    # 30 at once (one more if the flood crossed a window boundary), then refusals: the 51st in a
    # row closes the connection.
    assert 30 <= len(pongs) <= 32
    assert {e["code"] for e in errors} == {"rate_limited"} and len(errors) >= 51
    assert all(r["type"] == "error" for r in replies[-51:])


async def test_a_connections_frame_limit_goes_with_it(board, monkeypatch):
    alive: weakref.WeakSet = weakref.WeakSet()

    class Tracked(FrameLimit):
        def __init__(self) -> None:
            super().__init__()
            alive.add(self)

    monkeypatch.setattr(ws, "FrameLimit", Tracked)
    conns = [(await ws_hello(board))[0] for _ in range(20)]
    for conn in conns:
        await conn.send(json.dumps({"type": "ping", "id": 1}))
        while (await recv_json(conn))["type"] != "pong":
            pass  # the board's events come first
    assert len(alive) == 20
    for conn in conns:
        await conn.close()
    for _ in range(200):  # the server ends each session once it reads the close
        gc.collect()
        if not alive:
            break
        await asyncio.sleep(0.01)
    assert not alive
