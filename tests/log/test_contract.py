"""The EventLog contract (mayday/log/base.py), run against every backend.

Every test that takes ``log`` runs once per backend. Tests that need several processes sharing a
log are Redis-only: the SQLite backend documents that it serves one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from mayday.log.base import Conflict, EventLog, NewEvent, Record, open_log
from mayday.log.redis import RedisLog

# Long enough for a loaded CI box, short enough that a broken subscription fails the test.
TIMEOUT = 10.0
# How long we wait to be sure a subscription yields nothing more (no duplicates).
QUIET = 0.3
ROOT = Path(__file__).resolve().parents[2]

Opener = Callable[[], Awaitable[EventLog]]


def ev(i: int, **extra: Any) -> NewEvent:
    return NewEvent("tick", {"i": i, **extra})


def offsets(records: list[Record]) -> list[int]:
    return [r.offset for r in records]


async def take(sub: AsyncIterator[Record], n: int) -> list[Record]:
    """The next ``n`` records of a subscription, or fail after TIMEOUT seconds."""
    out: list[Record] = []

    async def run() -> None:
        async for record in sub:
            out.append(record)
            if len(out) == n:
                return

    try:
        await asyncio.wait_for(run(), TIMEOUT)
    except TimeoutError:
        pytest.fail(f"subscription stalled after {offsets(out)}; wanted {n} records")
    return out


async def assert_quiet(sub: AsyncIterator[Record]) -> None:
    """Nothing more arrives (a duplicate or phantom event would)."""
    with pytest.raises(TimeoutError):
        extra = await asyncio.wait_for(anext(sub), QUIET)
        pytest.fail(f"unexpected extra record {extra}")


async def append_with_retry(log: EventLog, stream: str, events: list[NewEvent]) -> int:
    """What a real writer does on Conflict: reload the offset and try again."""
    expected = await log.last_offset(stream)
    while True:
        try:
            return await log.append(stream, expected, events)
        except Conflict as exc:
            expected = exc.actual


# --------------------------------------------------------------------------------------------
# Fixtures: one store per test, opened through the same factory the server uses
# --------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """open_log() arguments naming one empty store of this backend."""
    if backend == "redis":
        return {"redis_url": request.getfixturevalue("redis_log_url")}
    return {"data_dir": str(tmp_path / "data")}


@pytest.fixture
async def open_instance(store: dict[str, str]) -> AsyncIterator[Opener]:
    """Opens more handles on the same store (separate connections); closes them all after."""
    opened: list[EventLog] = []

    async def opener() -> EventLog:
        log = await open_log(**store)
        opened.append(log)
        return log

    yield opener
    for log in opened:
        await log.close()


@pytest.fixture
async def log(open_instance: Opener) -> EventLog:
    return await open_instance()


@pytest.fixture
async def peer(backend: str, log: EventLog, open_instance: Opener) -> EventLog:
    """A writer whose appends ``log``'s subscribers must see: another connection where the
    backend promises cross-process delivery (Redis), else the same instance (SQLite)."""
    return await open_instance() if backend == "redis" else log


# --------------------------------------------------------------------------------------------
# Offsets and compare-and-append
# --------------------------------------------------------------------------------------------


async def test_empty_stream(log: EventLog) -> None:
    assert await log.last_offset("s") == 0
    assert await log.read("s") == []
    assert await log.streams() == []


async def test_offsets_start_at_one_and_are_gap_free(log: EventLog) -> None:
    assert await log.append("s", 0, [ev(1)]) == 1
    assert await log.append("s", 1, [ev(2), ev(3), ev(4)]) == 4
    assert await log.append("s", 4, [ev(5)]) == 5
    records = await log.read("s")
    assert offsets(records) == [1, 2, 3, 4, 5]
    assert [r.data["i"] for r in records] == [1, 2, 3, 4, 5]
    assert all(r.stream == "s" and r.type == "tick" for r in records)
    assert await log.last_offset("s") == 5


async def test_streams_have_independent_offsets(log: EventLog) -> None:
    assert await log.append("a", 0, [ev(1), ev(2)]) == 2
    assert await log.append("b", 0, [ev(1)]) == 1
    assert offsets(await log.read("a")) == [1, 2]
    assert offsets(await log.read("b")) == [1]
    with pytest.raises(Conflict):
        await log.append("b", 2, [ev(3)])  # a's offset means nothing in b


@pytest.mark.parametrize("expected", [0, 1, 2, 4, 100, -1])
async def test_stale_or_future_expected_offset_conflicts_and_appends_nothing(log: EventLog, expected: int) -> None:
    await log.append("s", 0, [ev(1), ev(2), ev(3)])
    before = await log.read("s")
    with pytest.raises(Conflict) as info:
        await log.append("s", expected, [ev(9), ev(10)])
    assert (info.value.stream, info.value.expected, info.value.actual) == ("s", expected, 3)
    assert await log.read("s") == before
    assert await log.last_offset("s") == 3


async def test_conflict_on_empty_stream_creates_nothing(log: EventLog) -> None:
    with pytest.raises(Conflict) as info:
        await log.append("s", 2, [ev(1)])
    assert info.value.actual == 0
    assert await log.read("s") == []
    assert await log.streams() == []


async def test_empty_append_is_refused(log: EventLog) -> None:
    with pytest.raises(ValueError):
        await log.append("s", 0, [])
    assert await log.streams() == []
    assert await log.last_offset("s") == 0


async def test_batch_append_is_all_or_nothing(log: EventLog) -> None:
    await log.append("s", 0, [ev(1), ev(2)])
    batch = [ev(i, batch="b") for i in range(5)]
    with pytest.raises(Conflict):
        await log.append("s", 1, batch)
    assert offsets(await log.read("s")) == [1, 2]

    assert await log.append("s", 2, batch) == 7
    added = await log.read("s", 2)
    assert offsets(added) == [3, 4, 5, 6, 7]
    assert [r.data for r in added] == [e.data for e in batch]


async def test_read_after_returns_only_later_events(log: EventLog) -> None:
    await log.append("s", 0, [ev(i) for i in range(1, 11)])
    for after in [0, 1, 5, 9, 10, 15]:
        assert offsets(await log.read("s", after)) == list(range(after + 1, 11))


async def test_concurrent_appenders_at_same_offset_exactly_one_wins(log: EventLog, open_instance: Opener) -> None:
    # Separate instances (separate connections; for Redis, stand-ins for separate processes).
    writers = [await open_instance() for _ in range(10)]
    expected = 0
    for round_ in range(3):
        # Different batch sizes, so a mixed-up winner or a partial batch would show.
        results = await asyncio.gather(
            *(
                w.append("s", expected, [ev(j, writer=n, round=round_) for j in range(n + 1)])
                for n, w in enumerate(writers)
            ),
            return_exceptions=True,
        )
        won = [(n, r) for n, r in enumerate(results) if isinstance(r, int)]
        lost = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1, results
        assert len(lost) == len(writers) - 1, results
        winner, new_offset = won[0]
        assert new_offset == expected + winner + 1
        assert all(c.expected == expected and c.actual == new_offset for c in lost)
        added = await log.read("s", expected)
        assert offsets(added) == list(range(expected + 1, new_offset + 1))
        assert {r.data["writer"] for r in added} == {winner}
        expected = new_offset


async def test_contending_writers_that_retry_lose_nothing(log: EventLog, open_instance: Opener) -> None:
    writers = [await open_instance() for _ in range(5)]

    async def write(n: int, w: EventLog) -> None:
        for i in range(20):
            await append_with_retry(w, "s", [ev(i, writer=n)])

    await asyncio.gather(*(write(n, w) for n, w in enumerate(writers)))
    records = await log.read("s")
    assert offsets(records) == list(range(1, 101))
    for n in range(5):
        assert [r.data["i"] for r in records if r.data["writer"] == n] == list(range(20))


# --------------------------------------------------------------------------------------------
# Subscriptions
# --------------------------------------------------------------------------------------------


async def test_subscribe_yields_history_then_live_in_order(log: EventLog, peer: EventLog) -> None:
    await log.append("s", 0, [ev(i) for i in range(1, 6)])
    async with contextlib.aclosing(log.subscribe("s")) as sub:
        history = await take(sub, 5)
        assert offsets(history) == [1, 2, 3, 4, 5]

        # Appended after the subscriber caught up: single events and batches, many of them.
        offset = 5
        for i in range(6, 106, 5):
            offset = await peer.append("s", offset, [ev(i)])
            offset = await peer.append("s", offset, [ev(j) for j in range(i + 1, i + 5)])
        live = await take(sub, 100)
        assert offsets(live) == list(range(6, 106))
        assert [r.data["i"] for r in live] == list(range(6, 106))
        await assert_quiet(sub)


async def test_subscribe_while_appends_race_history(log: EventLog, peer: EventLog) -> None:
    # Appends start before the subscriber has read its history: nothing may fall in the gap
    # between "history" and "live".
    await log.append("s", 0, [ev(0)])

    async def write(n: int) -> None:
        for i in range(25):
            await append_with_retry(peer, "s", [ev(i, writer=n)])
            await asyncio.sleep(0)

    async with contextlib.aclosing(log.subscribe("s")) as sub:
        writing = asyncio.gather(*(write(n) for n in range(4)))
        got = await take(sub, 101)
        await asyncio.wait_for(writing, TIMEOUT)
        assert offsets(got) == list(range(1, 102))
        assert got == await log.read("s")
        await assert_quiet(sub)


async def test_subscribe_from_offset(log: EventLog, peer: EventLog) -> None:
    await log.append("s", 0, [ev(i) for i in range(1, 11)])
    async with contextlib.aclosing(log.subscribe("s", after=7)) as sub:
        assert offsets(await take(sub, 3)) == [8, 9, 10]
        await peer.append("s", 10, [ev(11)])
        assert offsets(await take(sub, 1)) == [11]
        await assert_quiet(sub)


async def test_subscribe_at_end_sees_only_new_events(log: EventLog, peer: EventLog) -> None:
    await log.append("s", 0, [ev(1), ev(2)])
    async with contextlib.aclosing(log.subscribe("s", after=2)) as sub:
        pending = asyncio.ensure_future(take(sub, 1))
        await asyncio.sleep(QUIET)  # let it block on "nothing new yet"
        assert not pending.done()
        await peer.append("s", 2, [ev(3)])
        assert offsets(await pending) == [3]


async def test_subscribe_to_stream_that_does_not_exist_yet(log: EventLog, peer: EventLog) -> None:
    async with contextlib.aclosing(log.subscribe("later")) as sub:
        pending = asyncio.ensure_future(take(sub, 2))
        await asyncio.sleep(QUIET)
        await peer.append("later", 0, [ev(1), ev(2)])
        assert offsets(await pending) == [1, 2]


async def test_subscriptions_are_per_stream(log: EventLog, peer: EventLog) -> None:
    async with contextlib.aclosing(log.subscribe("a")) as sub:
        await peer.append("b", 0, [ev(1)])
        await peer.append("a", 0, [ev(2)])
        [record] = await take(sub, 1)
        assert (record.stream, record.offset, record.data["i"]) == ("a", 1, 2)
        await assert_quiet(sub)


async def test_many_subscribers_each_see_everything(log: EventLog, peer: EventLog) -> None:
    subs = [log.subscribe("s") for _ in range(5)]
    try:
        readers = [asyncio.ensure_future(take(sub, 30)) for sub in subs]
        for i in range(30):
            await peer.append("s", i, [ev(i)])
        for got in await asyncio.gather(*readers):
            assert offsets(got) == list(range(1, 31))
    finally:
        for sub in subs:
            await sub.aclose()


async def test_close_ends_live_subscriptions(log: EventLog) -> None:
    await log.append("s", 0, [ev(1)])
    seen: list[Record] = []

    async def follow() -> None:
        async for record in log.subscribe("s"):
            seen.append(record)

    followers = [asyncio.create_task(follow()) for _ in range(3)]
    await asyncio.sleep(QUIET)  # all caught up and waiting for live events
    await asyncio.wait_for(log.close(), TIMEOUT)
    await asyncio.wait_for(asyncio.gather(*followers), TIMEOUT)
    assert offsets(seen) == [1, 1, 1]


async def test_subscribe_after_close_ends_at_once(log: EventLog) -> None:
    await log.append("s", 0, [ev(1)])
    await log.close()
    got = await asyncio.wait_for(_drain(log.subscribe("s")), TIMEOUT)
    assert len(got) <= 1  # nothing live; whether history is replayed is not promised


async def _drain(sub: AsyncIterator[Record]) -> list[Record]:
    return [record async for record in sub]


async def test_cancelled_subscriber_leaves_log_usable(log: EventLog, peer: EventLog) -> None:
    async def follow() -> None:
        async for _ in log.subscribe("s"):
            pass

    tasks = [asyncio.create_task(follow()) for _ in range(5)]
    await asyncio.sleep(QUIET)
    for task in tasks:
        task.cancel()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), TIMEOUT)
    assert await peer.append("s", 0, [ev(1)]) == 1
    async with contextlib.aclosing(log.subscribe("s")) as sub:
        assert offsets(await take(sub, 1)) == [1]


# --------------------------------------------------------------------------------------------
# Stream listing, secrets, data
# --------------------------------------------------------------------------------------------


async def test_streams_by_prefix_sorted(log: EventLog) -> None:
    for name in ["strike:b", "assembly:x", "strike:a", "strike:c", "strike*[odd]?"]:
        await log.append(name, 0, [ev(1)])
    with pytest.raises(Conflict):
        await log.append("strike:never", 5, [ev(1)])
    assert await log.streams("strike:") == ["strike:a", "strike:b", "strike:c"]
    assert await log.streams("strike*") == ["strike*[odd]?"]
    assert await log.streams() == [
        "assembly:x",
        "strike*[odd]?",
        "strike:a",
        "strike:b",
        "strike:c",
    ]
    assert await log.streams("nope") == []


async def test_secret_first_writer_wins(log: EventLog, open_instance: Opener) -> None:
    assert await log.get_or_set_secret("signing", "first") == "first"
    assert await log.get_or_set_secret("signing", "second") == "first"
    assert await log.get_or_set_secret("other", "x") == "x"
    again = await open_instance()
    assert await again.get_or_set_secret("signing", "third") == "first"


async def test_concurrent_secret_candidates_agree(log: EventLog, open_instance: Opener) -> None:
    instances = [await open_instance() for _ in range(8)]
    values = await asyncio.gather(*(inst.get_or_set_secret("k", f"candidate-{n}") for n, inst in enumerate(instances)))
    assert len(set(values)) == 1
    assert values[0].startswith("candidate-")
    assert await log.get_or_set_secret("k", "late") == values[0]


DATA: list[dict[str, Any]] = [
    {},
    {"text": "Grève générale! 罢工 إضراب ストライキ забастовка 🚩✊🏽", "rtl": "\u200fשביתה"},
    {"combining": "e\u0301", "zero": "a\u0000b", "quotes": "\"'\\", "lines": "a\nb\r\n\tc"},
    {"nested": {"list": [1, 2.5, -3, True, False, None, {"deep": ["x", {"y": []}]}]}},
    {"big": 2**53, "neg": -(2**31), "float": 1e-9, "keys with spaces": {"ü": "ß"}},
]


async def test_data_round_trips(log: EventLog, peer: EventLog) -> None:
    events = [NewEvent(f"type-{n}-ñ", data) for n, data in enumerate(DATA)]
    events.append(NewEvent("no-data"))
    await peer.append("ünï:cødé 🚩", 0, events)
    stored = await log.read("ünï:cødé 🚩")
    assert [(r.type, r.data) for r in stored] == [(e.type, e.data) for e in events]
    async with contextlib.aclosing(log.subscribe("ünï:cødé 🚩")) as sub:
        assert await take(sub, len(events)) == stored
    assert await log.streams("ünï") == ["ünï:cødé 🚩"]


# --------------------------------------------------------------------------------------------
# Redis only: several processes sharing one log
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def redis_logs(redis_log_url: str) -> AsyncIterator[list[RedisLog]]:
    logs = [await RedisLog.connect(redis_log_url) for _ in range(2)]
    yield logs
    for log in logs:
        await log.close()


@pytest.mark.redis
async def test_redis_subscriber_sees_appends_from_another_instance(
    redis_logs: list[RedisLog],
) -> None:
    reader, writer = redis_logs
    async with contextlib.aclosing(reader.subscribe("s")) as sub:
        pending = asyncio.ensure_future(take(sub, 3))
        await asyncio.sleep(QUIET)
        await writer.append("s", 0, [ev(1), ev(2)])
        await writer.append("s", 2, [ev(3)])
        assert offsets(await pending) == [1, 2, 3]


@pytest.mark.redis
async def test_redis_subscriber_sees_appends_from_another_process(
    redis_logs: list[RedisLog], redis_log_url: str
) -> None:
    reader, _ = redis_logs
    script = (
        "import asyncio, sys\n"
        "from mayday.log.base import NewEvent\n"
        "from mayday.log.redis import RedisLog\n"
        "async def main():\n"
        "    log = await RedisLog.connect(sys.argv[1])\n"
        "    for i in range(20):\n"
        "        await log.append('s', i, [NewEvent('tick', {'i': i, 'pid': 'child'})])\n"
        "    await log.close()\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    async with contextlib.aclosing(reader.subscribe("s")) as sub:
        pending = asyncio.ensure_future(take(sub, 20))
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, redis_log_url, env=env, stderr=subprocess.PIPE
        )
        _, err = await asyncio.wait_for(child.communicate(), TIMEOUT)
        assert child.returncode == 0, err.decode()
        got = await pending
        assert offsets(got) == list(range(1, 21))
        assert all(r.data["pid"] == "child" for r in got)


async def _blocked_clients(url: str) -> int:
    """Connections currently parked in a blocking command (our live XREADs)."""
    admin = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return sum("b" in client["flags"] for client in await admin.client_list())
    finally:
        await admin.aclose()


async def _until_blocked_clients(url: str, n: int) -> None:
    """Poll CLIENT LIST until exactly ``n`` connections are blocked, or fail after TIMEOUT."""
    blocked = -1
    for _ in range(int(TIMEOUT / 0.05)):
        blocked = await _blocked_clients(url)
        if blocked == n:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{blocked} blocked redis clients, wanted {n}")


@pytest.mark.redis
async def test_redis_subscriptions_share_one_blocked_connection(redis_log_url: str) -> None:
    # However many streams and subscriptions, one connection per log blocks in XREAD (the
    # follower), and none once they have all ended. A pool of 6 would run dry if subscriptions
    # still held their own connections.
    log = await RedisLog.connect(redis_log_url + "?max_connections=6")
    try:
        for _ in range(2):
            last = await log.last_offset("s")
            subs = [log.subscribe(name, last if name == "s" else 0) for name in ("s", "s", "s", "t", "u", "v")]
            pending = [asyncio.ensure_future(anext(sub)) for sub in subs]
            tasks = [asyncio.create_task(_drain(log.subscribe("s", last))) for _ in range(3)]
            await _until_blocked_clients(redis_log_url, 1)
            assert log.followed() == 4
            assert await asyncio.wait_for(log.append("s", last, [ev(1)]), TIMEOUT) == last + 1
            assert [r.offset for r in await asyncio.gather(*pending[:3])] == [last + 1] * 3
            for p in pending[3:]:
                p.cancel()
            await asyncio.gather(*pending[3:], return_exceptions=True)

            # Ended both ways: aclose() on a suspended generator, cancel() on a blocked one.
            for sub in subs:
                await sub.aclose()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            assert log.followed() == 0
            await _until_blocked_clients(redis_log_url, 0)

        # close() ends a live subscriber and drops the follower's connection.
        follower = asyncio.create_task(_drain(log.subscribe("s")))
        await _until_blocked_clients(redis_log_url, 1)
    finally:
        await asyncio.wait_for(log.close(), TIMEOUT)
    assert offsets(await asyncio.wait_for(follower, TIMEOUT)) == [1, 2]
    await _until_blocked_clients(redis_log_url, 0)
