"""The log's secret store (counters and receipts that commit with events), on every backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mayday.aggregate import _merge
from mayday.log import Conflict, NewEvent, SideWrite, TokenMissing, open_log
from mayday.log.redis import TALLY_WIDTH
from mayday.log.sqlite import TALLY_BIAS, SqliteLog


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def log(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "redis":
        opened = await open_log(redis_url=request.getfixturevalue("redis_log_url"))
    else:
        opened = await open_log(data_dir=str(tmp_path))
    yield opened
    await opened.close()


VOTED = [NewEvent("ballot_voted", {"ballot": 1, "voter": "x"})]


async def test_counters_and_receipts_commit_with_the_events(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SideWrite({"b1:yes": 2000}, add_tokens=("b1:r1",)))
    await log.append(s, 1, VOTED, SideWrite({"b1:no": 1000, "b2:yes": 1000}, add_tokens=("b1:r2",)))
    assert await log.read_side(s, "b1:") == (2, {"b1:yes": 2000, "b1:no": 1000})
    assert await log.read_side(s, "b2:") == (2, {"b2:yes": 1000})
    assert await log.read_side("assembly:other", "b1:") == (0, {})
    # Replace a vote: the old receipt must be held; counters move by the weight.
    await log.append(
        s,
        2,
        VOTED,
        SideWrite({"b1:yes": -2000, "b1:no": 2000}, add_tokens=("b1:r3",), remove_tokens=("b1:r1",)),
    )
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 0, "b1:no": 3000}


async def test_a_missing_receipt_refuses_the_whole_append(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SideWrite({"b1:yes": 1}, add_tokens=("b1:r1",)))
    with pytest.raises(TokenMissing):
        await log.append(s, 1, VOTED, SideWrite({"b1:yes": -1, "b1:no": 1}, remove_tokens=("b1:forged",)))
    assert await log.last_offset(s) == 1
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 1}
    # A receipt is spent once.
    await log.append(s, 1, VOTED, SideWrite({"b1:yes": -1, "b1:no": 1}, ("b1:r2",), ("b1:r1",)))
    with pytest.raises(TokenMissing):
        await log.append(s, 2, VOTED, SideWrite({}, (), ("b1:r1",)))


async def test_a_conflict_writes_no_secret(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED)
    with pytest.raises(Conflict):
        await log.append(s, 0, VOTED, SideWrite({"b1:yes": 5}, add_tokens=("b1:r",)))
    assert (await log.read_side(s, "b1:"))[1] == {}
    with pytest.raises(TokenMissing):  # the receipt was not added either
        await log.append(s, 1, VOTED, SideWrite({}, (), ("b1:r",)))


async def test_clear_prefix_drops_a_closed_ballots_counters_and_receipts(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SideWrite({"b1:yes": 1, "b10:yes": 7}, add_tokens=("b1:r", "b10:r")))
    closed = [NewEvent("ballot_closed", {"ballot": 1, "yes": 1})]
    await log.append(s, 1, closed, SideWrite(clear_prefix="b1:"))
    assert (await log.read_side(s, "b1"))[1] == {"b10:yes": 7}
    with pytest.raises(TokenMissing):
        await log.append(s, 2, VOTED, SideWrite(remove_tokens=("b1:r",)))
    await log.append(s, 2, VOTED, SideWrite(remove_tokens=("b10:r",)))


OPENED = [NewEvent("ballot_opened", {"ballot": 1})]
MOTION = ("b1:yes", "b1:no", "b1:abstain")


async def test_init_creates_counters_at_zero_and_leaves_existing_ones_alone(log):
    s = "assembly:a"
    await log.append(s, 0, OPENED, SideWrite(init=MOTION))
    assert await log.read_side(s, "b1:") == (1, dict.fromkeys(MOTION, 0))
    await log.append(s, 1, VOTED, SideWrite({"b1:no": 1500}, add_tokens=("b1:r1",)))
    # An init naming counters that exist (and one that does not) moves none of them.
    await log.append(s, 2, OPENED, SideWrite(init=(*MOTION, "b1:new")))
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 0, "b1:no": 1500, "b1:abstain": 0, "b1:new": 0}
    # Created, incremented and cleared in one write: init comes first, the clear last.
    await log.append(s, 3, OPENED, SideWrite({"b2:x": 5}, init=("b2:x", "b2:y")))
    assert (await log.read_side(s, "b2:"))[1] == {"b2:x": 5, "b2:y": 0}
    await log.append(s, 4, OPENED, SideWrite(clear_prefix="b1:"))
    assert (await log.read_side(s, "b1:"))[1] == {}


async def test_a_conflict_creates_no_counter(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED)
    with pytest.raises(Conflict):
        await log.append(s, 0, OPENED, SideWrite(init=MOTION))
    assert (await log.read_side(s, "b1:"))[1] == {}


async def test_counters_hold_any_value_a_ballot_can_reach(log):
    s = "assembly:a"
    big = 10**12  # a billion votes of weight 1 in thousandths; far beyond any assembly
    await log.append(s, 0, OPENED, SideWrite(init=MOTION))
    await log.append(s, 1, VOTED, SideWrite({"b1:yes": big, "b1:no": 1, "b1:abstain": -7}))
    await log.append(s, 2, VOTED, SideWrite({"b1:yes": big, "b1:no": -1, "b1:abstain": 7}))
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 2 * big, "b1:no": 0, "b1:abstain": 0}


async def stored_counters(log, stream: str) -> dict[str, object]:
    """The counters as the backend keeps them (no decoding)."""
    if isinstance(log, SqliteLog):
        conn = sqlite3.connect(log.path)
        try:
            return dict(conn.execute("SELECT key, value FROM tallies WHERE stream = ?", (stream,)))
        finally:
            conn.close()
    return await log._redis.hgetall(f"mayday:tally:{stream}")


async def test_every_stored_counter_has_the_same_size_whatever_its_value(log):
    """An update never resizes a counter, so it never moves: SQLite keeps TALLY_BIAS + value, an
    integer of 8 bytes; Redis a zero-padded decimal of TALLY_WIDTH characters."""
    s = "assembly:a"
    await log.append(s, 0, OPENED, SideWrite(init=MOTION))
    await log.append(s, 1, VOTED, SideWrite({"b1:yes": 1, "b1:no": 1000, "b1:abstain": 123_456_789}))
    raw = await stored_counters(log, s)
    assert set(raw) == set(MOTION)
    if isinstance(log, SqliteLog):
        assert {k: v - TALLY_BIAS for k, v in raw.items()} == {"b1:yes": 1, "b1:no": 1000, "b1:abstain": 123_456_789}
        assert all(2**47 <= v < 2**63 for v in raw.values())  # SQLite's 8-byte integer (serial type 6)
    else:
        assert raw == {
            "b1:yes": "1".zfill(TALLY_WIDTH),
            "b1:no": "1000".zfill(TALLY_WIDTH),
            "b1:abstain": "123456789".zfill(TALLY_WIDTH),
        }


async def test_counters_and_receipts_written_before_the_fixed_layout_still_count(log):
    """A ballot open across the upgrade: its counters were plain integers (and, in Redis, its
    receipts a plain set); they are read as they are and converted at their next write."""
    s = "assembly:a"
    if isinstance(log, SqliteLog):
        conn = sqlite3.connect(log.path)
        with conn:
            conn.executemany(
                "INSERT INTO tallies (stream, key, value) VALUES (?, ?, ?)", [(s, "b1:yes", 2000), (s, "b1:no", 0)]
            )
            conn.execute("INSERT INTO receipts (stream, receipt) VALUES (?, ?)", (s, "b1:r1"))
        conn.close()
    else:
        await log._redis.hset(f"mayday:tally:{s}", mapping={"b1:yes": 2000, "b1:no": 0})
        await log._redis.sadd(f"mayday:receipts:{s}", "b1:r1")
    await log.append(s, 0, VOTED)
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 2000, "b1:no": 0}
    with pytest.raises(TokenMissing):
        await log.append(s, 1, VOTED, SideWrite({"b1:yes": -1000}, remove_tokens=("b1:forged",)))
    await log.append(s, 1, VOTED, SideWrite({"b1:yes": -1000, "b1:no": 1000}, ("b1:r2",), ("b1:r1",)))
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 1000, "b1:no": 1000}
    raw = await stored_counters(log, s)
    expected = {"b1:yes": 1000, "b1:no": 1000}
    if isinstance(log, SqliteLog):
        assert raw == {k: TALLY_BIAS + v for k, v in expected.items()}
    else:
        assert raw == {k: str(v).zfill(TALLY_WIDTH) for k, v in expected.items()}
    with pytest.raises(TokenMissing):  # the old receipt was spent, the new one is held
        await log.append(s, 2, VOTED, SideWrite(remove_tokens=("b1:r1",)))
    await log.append(s, 2, VOTED, SideWrite(remove_tokens=("b1:r2",)))


async def test_a_group_commit_keeps_every_openings_counters(log):
    """``_merge`` of two openings and votes of another ballot: the counters to create survive,
    while increments that sum to nothing are left out."""
    s = "assembly:a"
    await log.append(s, 0, OPENED, SideWrite({"b1:yes": 1000}, ("b1:r1",), init=MOTION))
    merged = _merge(
        [
            SideWrite({"b1:yes": -1000, "b1:no": 1000}, ("b1:r2",), ("b1:r1",)),  # a change yes -> no
            SideWrite(init=("b2:yes", "b2:no", "b2:abstain")),
            SideWrite({"b1:yes": 1000}, ("b1:r3",)),  # another voter's yes
            SideWrite(init=("b3:d2>d1", "b3:d1>d2")),
        ]
    )
    assert merged == SideWrite(
        {"b1:no": 1000},
        ("b1:r2", "b1:r3"),
        ("b1:r1",),
        init=("b2:abstain", "b2:no", "b2:yes", "b3:d1>d2", "b3:d2>d1"),
    )
    await log.append(s, 1, VOTED, merged)
    assert (await log.read_side(s, "b1:"))[1] == {"b1:yes": 1000, "b1:no": 1000, "b1:abstain": 0}
    assert (await log.read_side(s, "b2:"))[1] == {"b2:yes": 0, "b2:no": 0, "b2:abstain": 0}
    assert (await log.read_side(s, "b3:"))[1] == {"b3:d1>d2": 0, "b3:d2>d1": 0}


@pytest.mark.redis
async def test_redis_a_large_hash_keeps_its_field_order_whatever_the_votes_moved(redis_log_url):
    """Past ``hash-max-listpack-entries`` the counters are a hash table, which a rehash left under
    way would move on with every counter read or write: its field order (as HKEYS, DUMP and an RDB
    file give it) would count the writes, e.g. how many pairs the first voter of a ranking ordered.
    The script finishes any rehash in the write that creates or deletes counters."""
    names = [f"d{i:02d}" for i in range(33)]
    big = tuple(f"b1:{x}>{y}" for x in names for y in names if x != y)  # 1056 counters: a rehash to 2048
    small = tuple(f"b2:{x}>{y}" for x in "abcde" for y in "abcde" if x != y)  # 20 counters
    log = await open_log(redis_url=redis_log_url)
    try:
        after_open, after_clear = [], []
        for s, many in (("assembly:one", 1), ("assembly:many", 500)):
            await log.append(s, 0, OPENED, SideWrite(init=big))
            await log.append(s, 1, VOTED, SideWrite(dict.fromkeys(big[:many], 1000)))
            after_open.append(await log._redis.hkeys(f"mayday:tally:{s}"))
            # Closing the big ballot beside a small one shrinks the table: the same must hold after.
            await log.append(s, 2, OPENED, SideWrite(init=small))
            await log.append(s, 3, OPENED, SideWrite(clear_prefix="b1:"))
            await log.append(s, 4, VOTED, SideWrite(dict.fromkeys(small[: min(many, 10)], 1000)))
            after_clear.append(await log._redis.hkeys(f"mayday:tally:{s}"))
            assert await log._redis.object("encoding", f"mayday:tally:{s}") == "hashtable"
        assert len(after_open[0]) == len(big) and after_open[0] == after_open[1]
        assert sorted(after_clear[0]) == sorted(small) and after_clear[0] == after_clear[1]
    finally:
        await log.close()
