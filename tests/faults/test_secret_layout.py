"""A copy of the store taken while a secret ballot is open must not show which choice came first.

A store that created a counter when the first vote for its choice arrived kept that order on disk:
SQLite lays a new cell's content in its page in insertion order (and rewrites a cell elsewhere when
its integer grows by a byte), and a small Redis hash is a listpack, kept in insertion order. So a
copy taken mid-ballot showed the first voter's choice, and for a ranking their order.

Real `mayday serve` processes; the files are copied as a seized disk would be (the SQLite database
with its WAL, folded together on the copy by a checkpoint) and read as a forensic examiner would:
the tallies B-tree page by page, cell by cell. Runs that differ only in which choice came first
must leave the counters at the same offsets with the same sizes, in sorted key order, and, when
the final counts are the same, the very same bytes. Redis: the hash's field order (which is the
listpack's) and ``DUMP``, the serialisation its RDB file holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
import struct
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from test_secret_ballot import DEFINITION, Assembly, nonce

from assembly import core
from assembly.definition import load_assembly
from assembly.service import AssemblyService
from mayday.clock import ManualClock
from mayday.hub import Hub
from mayday.links import Links
from mayday.log import open_log

DB = "mayday.sqlite3"
T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------
# the assembly: a secret motion, or a secret ranking of three adopted demands
# ---------------------------------------------------------------------------------------------


def open_motion(asm: Assembly) -> int:
    asm.open_secret_ballot()  # d1, ballot 1
    return 1


def open_ranking(asm: Assembly) -> int:
    for n in (1, 2, 3):
        text = f"Demand {n}"
        asm.command(asm.tokens[f"site-{n}"], {"type": "propose_demand", "language": "en", "text": text})
        asm.command(asm.chair, {"type": "open_ballot", "target": f"d{n}", "quorum": 0})
        asm.command(asm.tokens["site-1"], {"type": "vote", "ballot": n, "choice": "yes"})
        asm.command(asm.chair, {"type": "close_ballot", "ballot": n})
    asm.command(asm.chair, {"type": "open_ranking", "secret": True})
    return 4


OPEN = {"motion": open_motion, "ranking": open_ranking}
# Two delegates' choices: a run and its twin give the same totals, the first choice swapped.
CHOICES = {
    "motion": ("yes", "no"),
    "ranking": ([["d1"], ["d2"], ["d3"]], [["d3"], ["d2"], ["d1"]]),
}


def vote(asm: Assembly, ballot: int, pid: str, choice: object) -> None:
    asm.command(asm.tokens[pid], {"type": "vote", "ballot": ballot, "choice": choice, "nonce": nonce(pid)})


def run(asm: Assembly, kind: str, choices: list[object]) -> int:
    ballot = OPEN[kind](asm)
    for n, choice in enumerate(choices, 1):
        vote(asm, ballot, f"site-{n}", choice)
    return ballot


# ---------------------------------------------------------------------------------------------
# SQLite: the tallies B-tree as the bytes hold it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    page: int
    offset: int  # of the cell's content in its page
    size: int
    key: str
    stored: int  # the value as stored (biased, after the change)


@dataclass(frozen=True)
class Layout:
    cells: list[Cell]  # in the page's cell pointer order, i.e. key order
    headers: dict[int, bytes]  # page -> its B-tree page header (free blocks, cell count, content start)
    pages: dict[int, bytes]  # page -> its bytes, the stream's name masked

    def where(self) -> list[tuple[str, int, int, int]]:
        return [(c.key, c.page, c.offset, c.size) for c in self.cells]

    def by_content(self) -> list[str]:
        """Keys in the order their content lies in the page, from the page's end (where the
        first-inserted cell goes) towards its header."""
        return [c.key for c in sorted(self.cells, key=lambda c: (c.page, -c.offset))]


def _varint(b: bytes, i: int) -> tuple[int, int]:
    v = 0
    for k in range(9):
        c = b[i + k]
        if k == 8:
            return (v << 8) | c, i + 9
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + k + 1
    raise AssertionError("unreachable")


def _record(b: bytes, i: int) -> list[object]:
    """An SQLite record (header of serial types, then the values)."""
    size, j = _varint(b, i)
    types = []
    while j < i + size:
        t, j = _varint(b, j)
        types.append(t)
    out: list[object] = []
    p = i + size
    for t in types:
        if t in (0, 8, 9):
            out.append({0: None, 8: 0, 9: 1}[t])
        elif t <= 6:
            n = (0, 1, 2, 3, 4, 6, 8)[t]
            out.append(int.from_bytes(b[p : p + n], "big", signed=True))
            p += n
        else:
            n = (t - 12) // 2 if t % 2 == 0 else (t - 13) // 2
            raw = b[p : p + n]
            out.append(raw if t % 2 == 0 else raw.decode())
            p += n
    return out


def seize(data: Path, into: Path) -> Path:
    """Copy the database and its WAL as they are on disk, then fold the WAL into the copy with a
    checkpoint (no -shm: SQLite rebuilds the WAL index from the WAL)."""
    into.mkdir()
    for name in (DB, DB + "-wal"):
        if (data / name).exists():
            shutil.copyfile(data / name, into / name)
    conn = sqlite3.connect(into / DB)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        conn.close()
    return into / DB


def tallies_layout(db: Path, stream: str) -> Layout:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tallies'").fetchone()
    finally:
        conn.close()
    data = db.read_bytes()
    size = struct.unpack(">H", data[16:18])[0]
    size = 65536 if size == 1 else size
    cells: list[Cell] = []
    headers: dict[int, bytes] = {}
    pages: dict[int, bytes] = {}

    def walk(page: int) -> None:
        base = (page - 1) * size
        head = base + (100 if page == 1 else 0)
        kind = data[head]
        assert kind in (0x02, 0x0A), f"tallies page {page} is not an index b-tree page ({kind})"
        count = struct.unpack(">H", data[head + 3 : head + 5])[0]
        header = 12 if kind == 0x02 else 8
        headers[page] = data[head : head + header]
        pages[page] = data[base : base + size].replace(stream.encode(), b"#" * len(stream))
        for k in range(count):
            offset = struct.unpack(">H", data[head + header + 2 * k : head + header + 2 * k + 2])[0]
            i = base + offset
            if kind == 0x02:
                walk(struct.unpack(">I", data[i : i + 4])[0])
                i += 4
            payload, j = _varint(data, i)
            row = _record(data, j)
            if kind == 0x0A and row[0] == stream:
                cells.append(Cell(page, offset, j - (base + offset) + payload, str(row[1]), int(row[2])))
        if kind == 0x02:
            walk(struct.unpack(">I", data[head + 8 : head + 12])[0])

    walk(root)
    return Layout(cells, headers, pages)


def sqlite_run(make_mayday, tmp_path: Path, name: str, kind: str, choices: list[object]) -> Layout:
    data = tmp_path / name
    server = make_mayday(data=data)
    asm = Assembly(server.base, server.admin)
    run(asm, kind, choices)
    layout = tallies_layout(seize(data, tmp_path / f"{name}-copy"), f"assembly:{asm.id}")
    asm.http.close()
    server.stop()
    return layout


def test_sqlite_one_vote_leaves_every_counter_where_the_opening_put_it(make_mayday, tmp_path):
    """One delegate votes yes, or (another server) no: all three counters are there either way,
    in key order, at the same offsets and sizes; only the 8 bytes of a value differ."""
    runs = {first: sqlite_run(make_mayday, tmp_path, first, "motion", [first]) for first in ("yes", "no")}
    yes, no = runs["yes"], runs["no"]
    keys = ["b1:abstain", "b1:no", "b1:yes"]
    assert [c.key for c in yes.cells] == keys, yes.where()
    assert yes.where() == no.where()
    assert yes.by_content() == keys  # created in key order at the opening, not by the votes
    assert yes.headers == no.headers  # same free space, no fragments, same content start
    differing = [
        i for page in yes.pages for i, (a, b) in enumerate(zip(yes.pages[page], no.pages[page], strict=True)) if a != b
    ]
    # Only the values of b1:no and b1:yes differ, inside their cells' last 8 bytes.
    values = {c.key: range(c.offset + c.size - 8, c.offset + c.size) for c in yes.cells}
    assert differing and all(i in values["b1:no"] or i in values["b1:yes"] for i in differing), differing
    print(f"\nsqlite, one vote: counters at {yes.where()}; {len(differing)} bytes differ, all in values")


@pytest.mark.parametrize("kind", ["motion", "ranking"])
def test_sqlite_which_choice_came_first_leaves_the_same_bytes(make_mayday, tmp_path, kind):
    """Two delegates vote a and b, or (another server) b and a: the same totals, so the tallies
    pages must be the same bytes (the assembly's random id masked), whatever came first."""
    a, b = CHOICES[kind]
    first = sqlite_run(make_mayday, tmp_path, "ab", kind, [a, b])
    second = sqlite_run(make_mayday, tmp_path, "ba", kind, [b, a])
    assert first.where() == second.where()
    assert [c.key for c in first.cells] == sorted(c.key for c in first.cells)
    assert first.by_content() == sorted(c.key for c in first.cells), first.by_content()
    assert len({c.size - len(c.key) for c in first.cells}) == 1  # a value's size never varies
    assert [c.stored for c in first.cells] == [c.stored for c in second.cells]
    assert first.pages == second.pages, "the tallies pages differ with the order of the votes"
    print(f"\nsqlite, {kind}: {len(first.cells)} counters, {len(first.pages)} page(s), identical bytes")


# ---------------------------------------------------------------------------------------------
# Redis: the hash's listpack, and DUMP
# ---------------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["motion", "ranking"])
def test_redis_which_choice_came_first_leaves_the_same_hash(make_redis, make_mayday, kind):
    store = make_redis()
    server = make_mayday(redis=store.url)
    client = redis.Redis(host="127.0.0.1", port=store.port)
    a, b = CHOICES[kind]
    runs = {}
    try:
        for name, choices in (("one", [a]), ("ab", [a, b]), ("ba", [b, a])):
            asm = Assembly(server.base, server.admin)
            ballot = run(asm, kind, choices)
            tally, receipts = f"mayday:tally:assembly:{asm.id}", f"mayday:receipts:assembly:{asm.id}"
            fields = [k.decode() for k in client.hkeys(tally) if k.startswith(f"b{ballot}:".encode())]
            values = client.hvals(tally)
            encoding = client.object("encoding", tally)
            runs[name] = (fields, {len(v) for v in values}, encoding, client.dump(tally), client.type(receipts))
            asm.http.close()
        one, ab, ba = runs["one"], runs["ab"], runs["ba"]
        # Every counter there after one vote, in sorted order, each the same width.
        assert one[0] == sorted(one[0]) == ab[0] == ba[0]
        assert len(one[0]) == (3 if kind == "motion" else 6)
        assert one[1] == ab[1] == {20}
        assert one[2] == b"listpack"
        # The same totals reached in either order: the very same serialisation.
        assert ab[3] == ba[3], "DUMP of the tallies differs with the order of the votes"
        # Receipts: a sorted set, kept in member order (a set's hash table keeps members that
        # share a bucket in insertion order).
        assert one[4] == ab[4] == ba[4] == b"zset"
        print(f"\nredis, {kind}: fields {one[0]}, DUMP {len(ab[3])} bytes identical")
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# the opening path: counters named for the ballot the opening really opens
# ---------------------------------------------------------------------------------------------


async def test_openings_decided_together_each_create_their_own_ballots_counters(tmp_path):
    """Two secret openings committed in one group: the second opens the ballot after the first,
    and its counters are named for its own number (the core decides the opening and its counters
    together, against the state as the group leaves it). In process (the group is made to happen
    by holding the commit until both wait)."""
    log = await open_log(data_dir=str(tmp_path))
    service = AssemblyService(log, Hub(), Links("test-secret"), ManualClock(T0), timers=False)
    await service.start()
    try:
        aid = await service.create_assembly(load_assembly(json.dumps(DEFINITION)))
        for n in (1, 2):
            await service.execute(aid, core.ProposeDemand(f"site-{n}", "en", f"Demand {n}"))
        agg = await service.get(aid)
        async with agg._lock:  # no commit until both openings wait in the same group
            opens = [
                asyncio.create_task(service.execute(aid, core.OpenBallot(f"d{n}", secret=True, quorum=Decimal(0))))
                for n in (1, 2)
            ]
            for _ in range(1000):
                if len(agg._waiting) == 2:
                    break
                await asyncio.sleep(0.005)
            assert len(agg._waiting) == 2
        await asyncio.gather(*opens)
        stream = service.stream_of(aid)
        targets = {b.id: b.target for b in (await service.get(aid)).state.ballots.values()}
        assert sorted(targets) == [1, 2]
        for ballot in (1, 2):
            _, counters = await log.read_side(stream, f"b{ballot}:")
            assert counters == {f"b{ballot}:{c}": 0 for c in ("yes", "no", "abstain")}, (ballot, counters)
    finally:
        await service.stop()
        await log.close()
