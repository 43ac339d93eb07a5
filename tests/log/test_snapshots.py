"""State snapshots (mayday/snapshots.py) and the log's snapshot store, on both backends.

A snapshot may make a start faster, never different: for every kind of stream the state restored
from a snapshot taken at any cut point, plus the events after it, is the full replay's; a snapshot
the store cannot vouch for (another schema, a damaged blob, a log truncated or reset under it) is
ignored and the stream replayed in full; a restarted server folds only the tail; and nothing a
secret ballot keeps out of the log reaches a snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from helpers import soon, token_of

from assembly import core, secret
from assembly.commands import Previous, Vote
from assembly.definition import parse_assembly
from assembly.service import ASSEMBLY, AssemblyService
from assembly.state import evolve as assembly_evolve
from circles import commands as cc
from circles.decide import decide as network_decide
from circles.definition import parse_network
from circles.reads import integrity_view
from circles.service import NETWORK, NetworkService
from circles.state import NetworkState
from circles.state import evolve as network_evolve
from mayday import snapshots
from mayday.app import Settings
from mayday.clock import ManualClock
from mayday.events import unpack
from mayday.hub import Hub
from mayday.links import Links
from mayday.log.base import EventLog, NewEvent, encode_data, open_log
from mayday.snapshots import SnapshotError, Snapshots, decode, encode, prepare
from mayday.streams import StreamService
from relay.commands import CheckIn, CreateRelay, PostDispatch, RotateSiteLink, SetReadiness, Tick
from relay.decide import decide as relay_decide
from relay.service import RELAY, RelayService
from relay.spec import parse_spec
from relay.state import RelayState
from relay.state import evolve as relay_evolve

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
LINKS = Links("test-secret")
GOLDEN_ASSEMBLY = Path(__file__).resolve().parents[1] / "assembly" / "golden_events.json"

RELAY_SPEC = soon(
    T0,
    [("akl", "Pacific/Auckland", 0, 100), ("ktm", "Asia/Kathmandu", 60, 100), ("lpb", "America/La_Paz", 120, 100)],
    grace="20s",
    backups={"ktm": "akl"},
)
ASSEMBLY_DEF = {
    "title": "Snapshot assembly",
    "languages": ["en", "es"],
    "quorum": 0,
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "region": "africa", "weight": 2},
        {"id": "rosa", "name": "Rosa", "region": "americas"},
        {"id": "joao", "name": "João", "region": "americas"},
        {"id": "maria", "name": "Maria", "region": "asia"},
        {"id": "kwame", "name": "Kwame", "region": "africa"},
    ],
}
NETWORK_DEF = {
    "name": "Dockers and drivers",
    "circles": [
        {"id": "lagos", "name": "Lagos dockers", "tz": "Africa/Lagos"},
        {"id": "rotterdam", "name": "Rotterdam drivers", "tz": "Europe/Amsterdam"},
        {"id": "manila", "name": "Manila nurses", "tz": "Asia/Manila"},
    ],
    "pairs": [{"circles": ["lagos", "rotterdam"], "adversary": "Maersk", "link": "boxes", "settle_days": 30}],
}
# Distinctive, so that finding them in a blob cannot be a coincidence.
NONCES = {p: f"NONCE{p.upper()}".ljust(24, "q") for p in ("rosa", "ngozi", "joao", "maria", "rosa2")}


# --------------------------------------------------------------------------------------------
# Event sources: each kind's pure core driven by commands, events as the log hands them back
# --------------------------------------------------------------------------------------------

Stored = list[tuple[str, dict[str, Any]]]


class Core:
    """decide/evolve as the shell runs them, keeping each event as stored (JSON round trip)."""

    def __init__(self, initial: Any, decide: Callable[..., Any], evolve: Callable[..., Any]) -> None:
        self.state, self.decide, self.evolve, self.now = initial, decide, evolve, T0
        self.events: Stored = []

    def __call__(self, command: Any) -> None:
        for e in unpack(self.decide(self.state, command, self.now)).events:
            data = json.loads(encode_data(e.data))
            self.state = self.evolve(self.state, e.type, data)
            self.events.append((e.type, data))


def relay_events() -> Stored:
    c = Core(RelayState(), relay_decide, relay_evolve)
    c(CreateRelay("r1", parse_spec(RELAY_SPEC)))
    c.now += dt.timedelta(seconds=5)
    c(Tick())
    c(CheckIn("akl", by="coordinator"))
    for i in range(210):  # past the 200 dispatches a relay keeps
        c(PostDispatch(f"dispatch {i}", "akl" if i % 3 else None, "coordinator"))
    c(RotateSiteLink("ktm"))
    c(SetReadiness("n1", 1, "Strike", False, False, {"pledges": False}, None))
    c.now += dt.timedelta(minutes=10)  # ktm silent: escalation, backup, the handoffs after
    c(Tick())
    return c.events


def assembly_events() -> Stored:
    return [(t, d) for t, d in json.loads(GOLDEN_ASSEMBLY.read_text())]


def network_commands() -> list[Any]:
    money = Decimal
    return [
        cc.RecordIncome(circle="lagos", amount=money("1000.00"), commodity="USD", narration="May Day collection"),
        cc.Deliver(circle="lagos", twin="rotterdam", amount=money("50.00"), commodity="USD"),
        cc.SetPledge(circle="lagos", twin="rotterdam", shares={"money": money("0.25")}),
        cc.RecordIncome(circle="lagos", amount=money("10.00"), commodity="EUR"),
        cc.RecordIncome(circle="rotterdam", amount=money("300.00"), commodity="EUR"),
        cc.Exchange(
            circle="rotterdam",
            sold=money("100.00"),
            sold_commodity="EUR",
            bought=money("110.00"),
            bought_commodity="USD",
            rate=money("1.1"),
        ),
        cc.PostDispatch(circle="lagos", twin="rotterdam", text="picket at gate 3"),
        cc.SetVisibility(circle="manila", public=True),
        cc.RecordIncome(circle="manila", amount=money("5.00"), commodity="USD"),
        cc.Reverse(circle="lagos", txn="t1"),
        cc.RecordIncome(circle="lagos", amount=money("20.00"), commodity="USD"),
        cc.Deliver(circle="rotterdam", twin="lagos", amount=money("30.00"), commodity="EUR"),
        cc.RotateLinks(target="lagos"),
        cc.RecordIncome(circle="lagos", amount=money("7.00"), commodity="USD"),
    ]


def network_events() -> Stored:
    c = Core(NetworkState(), network_decide, network_evolve)
    c(cc.CreateNetwork("n1", parse_network(NETWORK_DEF)))
    for command in network_commands():
        c(command)
    for command in network_commands():
        if not isinstance(command, cc.Reverse):  # a transaction is reversed once
            c(command)
    return c.events


KINDS = {
    "relay": (RELAY, relay_events),
    "assembly": (ASSEMBLY, assembly_events),
    "network": (NETWORK, network_events),
}


def canonical(state: Any) -> Any:
    """What equality means for a state: a Ledger compares by identity, so a network's is compared
    by its entries, hash chain and postings, and its integrity report (every balance checked)."""
    if isinstance(state, NetworkState):
        ledger = state.ledger
        report = integrity_view(state, T0)
        return replace(state, ledger=None), ledger.entries, ledger.hashes, ledger.postings, report
    return state


def fold(state: Any, evolve: Callable[..., Any], events: Stored) -> Any:
    for t, d in events:
        state = evolve(state, t, d)
    return state


# --------------------------------------------------------------------------------------------
# The fold: snapshot + tail == full replay, at every cut point, for every kind
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_snapshot_plus_tail_is_the_full_replay_at_every_cut_point(kind: str) -> None:
    domain, source = KINDS[kind]
    events = source()
    assert len(events) > 20
    prefix = [domain.initial()]
    for t, d in events:
        prefix.append(domain.evolve(prefix[-1], t, d))
    full = canonical(prefix[-1])
    codec = Snapshots(kind, domain.initial, domain.evolve, 1)
    for cut, state in enumerate(prefix):
        restored = codec.decode(encode(state, prepare(state)))
        assert type(restored) is type(state)
        assert canonical(restored) == canonical(state), cut
        assert canonical(fold(restored, domain.evolve, events[cut:])) == full, cut


def test_a_ledger_whose_book_moved_on_is_snapshotted_as_its_own_value() -> None:
    """Deciding tries a transaction on a state and drops it, leaving the shared book elsewhere:
    ``prepare`` (on the loop's thread) reads the state's own ledger, not where the book is."""
    events = network_events()
    state = fold(NetworkState(), network_evolve, events[:-3])
    tried = fold(state, network_evolve, events[-3:])  # the book now stands at ``tried``
    codec = Snapshots("network", NetworkState, network_evolve, 1)
    prepared = prepare(state)
    assert tried.ledger.head != state.ledger.head  # moved the book forward again
    restored = codec.decode(encode(state, prepared))
    assert canonical(restored) == canonical(state)
    assert canonical(fold(restored, network_evolve, events[-3:])) == canonical(tried)


def test_a_ledger_that_was_not_prepared_is_refused() -> None:
    state = fold(NetworkState(), network_evolve, network_events())
    with pytest.raises(SnapshotError, match="Ledger"):
        encode(state, {})
    with pytest.raises(SnapshotError, match="Ledger"):
        encode({"nested": state}, prepare({"nested": state}))  # only a state's own fields are prepared


class _Call:
    """A pickle that would call os.system: what a blob must never be able to do."""

    def __reduce__(self) -> Any:
        return os.system, ("echo pwned",)


def _blob(payload: bytes) -> bytes:
    return snapshots.MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload


def test_a_damaged_or_foreign_blob_is_refused() -> None:
    state = fold(RelayState(), relay_evolve, relay_events())
    codec = Snapshots("relay", RelayState, relay_evolve, 1)
    good = encode(state, {})
    assert codec.decode(good) == state
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    cases = [
        ("checksum mismatch", bytes(flipped)),
        ("bad header", b"XXXX" + good[4:]),
        ("bad header", good[:10]),
        ("may not name posix.system", _blob(pickle.dumps(_Call(), protocol=5))),
        ("may not name mayday.links.Links", _blob(pickle.dumps(LINKS, protocol=5))),  # not a fold's class
        ("cannot unpickle", _blob(good[20 : len(good) // 2])),  # truncated, its checksum right
        ("not a RelayState", encode(("a", "tuple"), {})),
    ]
    for expected, blob in cases:
        with pytest.raises(SnapshotError, match=expected):
            codec.decode(blob)
    assert decode(_blob(pickle.dumps(RelayState(), protocol=5)), frozenset({"relay.state"}), RelayState) == RelayState()


def test_the_schema_covers_every_module_the_fold_imports_and_changes_with_any() -> None:
    modules = snapshots.fold_modules("relay.state")
    assert {"relay.state", "relay.events", "relay.plan", "relay.spec", "mayday.events"} <= set(modules)
    assert "relay.routes" not in modules and "relay.service" not in modules
    assert {"circles.ledger", "circles.transactions", "mayday.frozen"} <= set(snapshots.fold_modules("circles.state"))
    schemas = {kind: snapshots.schema_of(kind, d.evolve, d.initial)[0] for kind, (d, _) in KINDS.items()}
    assert len(set(schemas.values())) == 3 and all(
        s.startswith(f"{k}/v{snapshots.SNAPSHOT_VERSION}/") for k, s in schemas.items()
    )
    real = snapshots._source

    def edited(name: str) -> tuple[bytes, bool]:
        source, package = real(name)
        return (source + b"\n# changed\n" if name == "relay.plan" else source), package

    snapshots._source = edited  # type: ignore[assignment]
    try:
        assert snapshots.schema_of("relay", RELAY.evolve, RELAY.initial)[0] != schemas["relay"]
        assert snapshots.schema_of("assembly", ASSEMBLY.evolve, ASSEMBLY.initial)[0] == schemas["assembly"]
    finally:
        snapshots._source = real  # type: ignore[assignment]


@pytest.mark.parametrize(("raw", "every"), [(None, 10_000), ("", 10_000), ("0", 0), ("2_500", 2500)])
def test_snapshot_every_from_the_environment(raw: str | None, every: int) -> None:
    assert snapshots.every_from_env(raw) == every


@pytest.mark.parametrize("raw", ["ten", "-1", "1.5"])
def test_a_bad_snapshot_every_is_a_clear_error(raw: str) -> None:
    with pytest.raises(SystemExit, match="MAYDAY_SNAPSHOT_EVERY"):
        snapshots.every_from_env(raw)


# --------------------------------------------------------------------------------------------
# The store, on both backends
# --------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def where(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """open_log() arguments naming one empty store of this backend."""
    if backend == "redis":
        return {"redis_url": request.getfixturevalue("redis_log_url")}
    return {"data_dir": str(tmp_path / "data")}


Opener = Callable[[], Awaitable[EventLog]]


@pytest.fixture
async def opener(where: dict[str, str]) -> AsyncIterator[Opener]:
    opened: list[EventLog] = []

    async def open_one() -> EventLog:
        log = await open_log(**where)
        opened.append(log)
        return log

    yield open_one
    for log in opened:
        await log.close()


async def fill(log: EventLog, stream: str, n: int, tag: str = "a") -> None:
    at = await log.last_offset(stream)
    await log.append(stream, at, [NewEvent("tick", {"i": at + i + 1, "tag": tag}) for i in range(n)])


async def truncate(where: dict[str, str], stream: str, after: int) -> None:
    """Remove the stream's events after ``after`` behind the log's back (a restore from an older
    backup, a hand edit; ``after=0``: the stream is gone, as after a Redis reset)."""
    if "redis_url" in where:
        client = aioredis.Redis.from_url(where["redis_url"])
        try:
            if after == 0:
                await client.delete(f"mayday:log:{stream}")
                return
            last = int((await client.xrevrange(f"mayday:log:{stream}", count=1))[0][0].split(b"-")[0])
            await client.xdel(f"mayday:log:{stream}", *(f"{o}-0" for o in range(after + 1, last + 1)))
        finally:
            await client.aclose()
        return
    conn = sqlite3.connect(Path(where["data_dir"]) / "mayday.sqlite3")
    try:
        conn.execute("DELETE FROM events WHERE stream = ? AND offset > ?", (stream, after))
        conn.commit()
    finally:
        conn.close()


async def test_a_snapshot_comes_back_with_its_offset_and_every_byte(opener: Opener) -> None:
    log = await opener()
    blob = bytes(range(256)) * 300 + b"\x00\xff"  # not text: the Redis pool decodes replies
    assert await log.load_snapshot("s", "v1") is None
    await fill(log, "s", 5)
    assert await log.save_snapshot("s", 3, "v1", blob) is True
    assert await log.load_snapshot("s", "v1") == (3, blob)
    again = await opener()  # another connection, another process for Redis
    assert await again.load_snapshot("s", "v1") == (3, blob)
    assert await log.load_snapshot("other-stream", "v1") is None


async def test_another_schema_is_never_loaded_and_replaces_the_one_kept(opener: Opener) -> None:
    log = await opener()
    await fill(log, "s", 5)
    assert await log.save_snapshot("s", 4, "v1", b"one")
    assert await log.load_snapshot("s", "v2") is None
    assert await log.save_snapshot("s", 2, "v2", b"two")  # a new version's, older offset or not
    assert await log.load_snapshot("s", "v1") is None
    assert await log.load_snapshot("s", "v2") == (2, b"two")


async def test_the_newest_offset_wins_whoever_writes_it(opener: Opener) -> None:
    log, peer = await opener(), await opener()
    await fill(log, "s", 6)
    assert await log.save_snapshot("s", 4, "v1", b"at 4")
    assert await peer.save_snapshot("s", 2, "v1", b"at 2") is False
    assert await peer.save_snapshot("s", 4, "v1", b"at 4 again") is False
    assert await log.load_snapshot("s", "v1") == (4, b"at 4")
    assert await peer.save_snapshot("s", 6, "v1", b"at 6")
    assert await log.load_snapshot("s", "v1") == (6, b"at 6")


async def test_a_snapshot_at_an_offset_the_log_does_not_hold_is_refused(opener: Opener) -> None:
    log = await opener()
    assert await log.save_snapshot("s", 1, "v1", b"x") is False  # no stream at all
    await fill(log, "s", 3)
    assert await log.save_snapshot("s", 4, "v1", b"x") is False
    assert await log.save_snapshot("s", 0, "v1", b"x") is False
    assert await log.load_snapshot("s", "v1") is None


async def test_a_snapshot_beyond_a_truncated_or_reset_log_is_ignored(opener: Opener, where: dict[str, str]) -> None:
    log = await opener()
    await fill(log, "s", 5)
    assert await log.save_snapshot("s", 5, "v1", b"at 5")
    await truncate(where, "s", 3)
    assert await log.last_offset("s") == 3
    assert await log.load_snapshot("s", "v1") is None  # beyond the log
    await truncate(where, "s", 0)
    await fill(log, "s", 5, tag="b")  # reset and written again: offsets 1-5 hold other events now
    assert await log.last_offset("s") == 5
    assert await log.load_snapshot("s", "v1") is None  # not the event it was taken at
    assert await log.save_snapshot("s", 5, "v1", b"new 5")  # same offset, but the kept one is stale
    assert await log.load_snapshot("s", "v1") == (5, b"new 5")


# --------------------------------------------------------------------------------------------
# The shell: services write snapshots as they go and start from them
# --------------------------------------------------------------------------------------------

SERVICES: dict[str, type[StreamService[Any]]] = {
    "relay": RelayService,
    "assembly": AssemblyService,
    "network": NetworkService,
}


def service(kind: str, log: EventLog, every: int) -> StreamService[Any]:
    return SERVICES[kind](log, Hub(), LINKS, ManualClock(T0), timers=False, snapshot_every=every)


async def drive(kind: str, svc: Any) -> str:
    """Create one stream of ``kind`` and send it a few dozen commands; returns its id."""
    if kind == "relay":
        sid = await svc.create_relay(parse_spec(RELAY_SPEC))
        await svc.execute(sid, CheckIn("akl", by="coordinator"))
        for i in range(40):
            await svc.execute(sid, PostDispatch(f"dispatch {i}", None, "coordinator"))
        await svc.execute(sid, RotateSiteLink("lpb"))
    elif kind == "assembly":
        sid = await svc.create_assembly(parse_assembly(ASSEMBLY_DEF))
        for round_ in range(3):
            for p in ("rosa", "ngozi", "joao", "maria"):
                await svc.execute(sid, core.SetPresence(p, True))
            await svc.execute(sid, core.ProposeDemand(person="rosa", language="en", text=f"Demand {round_}"))
            await svc.execute(sid, core.OpenBallot(f"d{round_ + 1}", quorum=Decimal(0)))
            for p, choice in (("rosa", "yes"), ("ngozi", "no"), ("joao", "yes"), ("maria", "abstain")):
                await svc.execute(sid, Vote(round_ + 1, choice, voter=p))
            await svc.execute(sid, core.CloseBallot(round_ + 1))
            await svc.execute(sid, core.SetPresence("maria", False))
    else:
        sid = await svc.create_network(parse_network(NETWORK_DEF))
        for _ in range(3):
            for command in network_commands():
                if isinstance(command, cc.Reverse):
                    continue  # a transaction is reversed once
                await svc.execute(sid, command)
    return sid


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_restart_starts_from_the_snapshot_and_folds_only_the_tail(opener: Opener, kind: str) -> None:
    every = 7
    log = await opener()
    writer = service(kind, log, every)
    await writer.start()
    sid = await drive(kind, writer)
    await writer.snapshots_written()
    live = writer.current(sid)
    last = await log.last_offset(writer.stream_of(sid))
    assert last > 3 * every and writer.snapshots.stats["saved"] >= 3 and writer.snapshots.stats["failed"] == 0
    await writer.stop()

    restarted = service(kind, await opener(), every)  # another connection: a new process
    await restarted.start()
    start, tail = restarted.loaded_from[sid]
    assert start > last - every and start + tail == last and tail < every
    assert restarted.snapshots.stats["restored"] == 1 and restarted.snapshots.stats["ignored"] == 0

    replayed = service(kind, await opener(), 0)  # snapshots off: the full replay
    await replayed.start()
    assert replayed.loaded_from[sid] == (0, last)
    assert canonical(restarted.current(sid)) == canonical(replayed.current(sid)) == canonical(live)
    await restarted.stop()
    await replayed.stop()


@pytest.mark.parametrize("case", ["schema", "damaged", "beyond the log"])
async def test_a_snapshot_that_cannot_be_used_means_a_full_replay(
    opener: Opener, where: dict[str, str], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    log = await opener()
    writer = service("relay", log, 0)
    await writer.start()
    sid = await drive("relay", writer)
    stream = writer.stream_of(sid)
    state, last = writer.current(sid), await log.last_offset(stream)
    await writer.stop()
    checker = service("relay", log, 10)
    schema = checker.snapshots.schema()[0]
    blob = encode(state, {})
    if case == "schema":
        assert await log.save_snapshot(stream, last, "relay/v0/an-older-version", blob)
    elif case == "damaged":
        assert await log.save_snapshot(stream, last, schema, blob[:-10] + b"0123456789")
    else:
        assert await log.save_snapshot(stream, last, schema, blob)
        await truncate(where, stream, last - 3)
        last -= 3

    caplog.set_level(logging.INFO)
    await checker.start()
    assert checker.loaded_from[sid] == (0, last)
    assert checker.snapshots.stats["restored"] == 0
    if case == "damaged":
        assert checker.snapshots.stats["ignored"] == 1
        assert f"snapshot at {last} ignored (checksum mismatch" in caplog.text
    elif case == "schema":
        assert "another schema (relay/v0/an-older-version): ignored" in caplog.text
    else:
        assert "does not match the log (truncated or reset" in caplog.text
    replayed = fold(RelayState(), relay_evolve, [(r.type, r.data) for r in await log.read(stream)])
    assert checker.current(sid) == replayed
    # Having folded the whole stream, it writes a snapshot the next start can use.
    await checker.snapshots_written()
    assert (await log.load_snapshot(stream, schema) or (0,))[0] == last
    await checker.stop()


async def test_a_snapshot_never_holds_what_a_secret_ballot_keeps_out_of_the_log(opener: Opener) -> None:
    log = await opener()
    svc = service("assembly", log, 1)  # a snapshot after every append
    await svc.start()
    aid = await svc.create_assembly(parse_assembly(ASSEMBLY_DEF))
    stream, schema = svc.stream_of(aid), svc.snapshots.schema()[0]
    await svc.execute(aid, core.ProposeDemand(person="rosa", language="en", text="Wages"))
    await svc.execute(aid, core.OpenBallot("d1", secret=True, quorum=Decimal(0), accept_weight_risk=True))
    votes = [("rosa", "yes", "rosa", None), ("ngozi", "no", "ngozi", None), ("joao", "yes", "joao", None)]
    votes.append(("rosa", "abstain", "rosa2", Previous("yes", NONCES["rosa"])))
    secrets_of_votes: list[bytes] = []
    kept: list[tuple[int, bytes]] = []
    for voter, choice, nonce, previous in votes:
        await svc.execute(aid, Vote(1, choice, NONCES[nonce], previous, voter=voter))
        weight = core.milli(svc.current(aid).people[voter].weight)
        secrets_of_votes += [NONCES[nonce].encode(), secret.receipt(1, NONCES[nonce], choice, weight).encode()]
        await svc.snapshots_written()
        found = await log.load_snapshot(stream, schema)
        assert found is not None and found[0] == await log.last_offset(stream)
        kept.append(found)
    _, counters = await log.read_side(stream, "b1:")
    assert counters == {"b1:yes": 1000, "b1:no": 2000, "b1:abstain": 1000}  # the store holds the choices
    stored = [(r.type, r.data) for r in await log.read(stream)]
    for at, blob in kept:
        for needle in (*secrets_of_votes, *(k.encode() for k in counters), b"b1:"):
            assert needle not in blob, needle
        state = svc.snapshots.decode(blob)
        ballot = state.ballots[1]
        assert ballot.secret and ballot.votes == {} and ballot.status == "open"
        # Nothing beyond the fold of the log's events, which name voters, never choices.
        assert state == fold(core.AssemblyState(), assembly_evolve, stored[:at])
    assert svc.current(aid).ballots[1].voters == {"rosa", "ngozi", "joao"}
    await svc.stop()


# --------------------------------------------------------------------------------------------
# A real server: stopped, started again on the same data, answers from the snapshot
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)], indirect=True)
async def test_a_restarted_server_answers_from_the_snapshot(make_app: Any, where: dict[str, str]) -> None:
    def settings(every: int) -> Settings:
        return Settings(
            secret="s", clock=ManualClock(T0), timers=False, rest_rate=(1000, 1000), snapshot_every=every, **where
        )

    server = await make_app(settings(10))
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post("/api/relays", json=RELAY_SPEC, headers={"authorization": f"Bearer {server.admin}"})
        assert r.status_code == 201, r.text
        made = r.json()
        rid, coordinator = made["id"], {"authorization": f"Bearer {token_of(made['coordinator'])}"}
        for i in range(25):
            body = {"type": "dispatch", "text": f"update {i}"}
            r = await http.post(f"/api/relays/{rid}/commands", json=body, headers=coordinator)
            assert r.status_code == 200, r.text
        await server.app.state.relays.snapshots_written()
        before = (await http.get(f"/api/relays/{rid}")).json()
    last = await server.app.state.log.last_offset(f"relay:{rid}")
    assert last == 26 and server.app.state.relays.snapshots.stats["saved"] == 2
    await server.stop()

    server = await make_app(settings(10))
    assert server.app.state.relays.loaded_from[rid] == (20, 6)  # the snapshot at 20, then 6 events
    async with httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get(f"/api/relays/{rid}")).json() == before
    await server.stop()

    server = await make_app(settings(0))  # snapshots off: the full replay answers the same
    assert server.app.state.relays.loaded_from[rid] == (0, 26)
    async with httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get(f"/api/relays/{rid}")).json() == before
