"""The shell around one kind of stream (relays, assemblies): load and replay, tail, fan out, time.

For each stream of its kind a process keeps an Aggregate current by tailing the log (its own
appends and other processes' alike), publishes every record once to the hub, and re-arms the
stream's single timer at the next deadline its state derives. Processes learn of new streams from
an index stream ("relays", "assemblies") that every creation appends to.

Snapshots (mayday/snapshots.py): a stream is loaded from its newest usable snapshot and the events
after it; after an append that crosses a multiple of ``snapshot_every`` events, and after a load
that had to fold that many, the state is written again in a background task (serialised in a
worker thread: the state is immutable).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from mayday.aggregate import Aggregate
from mayday.clock import Clock
from mayday.errors import STORAGE_ERRORS, DomainError, not_found, refused
from mayday.events import Decided
from mayday.hub import Hub
from mayday.links import Links
from mayday.log import EventLog, NewEvent, Record
from mayday.snapshots import DEFAULT_EVERY, SnapshotError, Snapshots, encode, prepare
from mayday.timers import DeadlineTimers, backoff

log = logging.getLogger("mayday.streams")

STREAM_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_BATCH = 500  # records in one frame at most
MAX_PACING = 0.25  # seconds: the longest a record waits for the previous fan-out's pace
ARM_DELAY = 0.02  # seconds; a deadline re-armed this late still fires (misfire_grace_time=None)


class Created(Protocol):
    @property
    def created(self) -> bool: ...


S = TypeVar("S", bound=Created)


@dataclass(frozen=True)
class Domain(Generic[S]):
    """A domain's pure core, as the shell needs it: the whole of what differs between a relay's
    and an assembly's stream service (each names its Domain; nothing else to override)."""

    kind: str  # "relay" -> streams "relay:<id>", index "relays"
    initial: Callable[[], S]
    evolve: Callable[[S, str, dict[str, Any]], S]
    decide: Callable[[S, Any, dt.datetime], Sequence[Any] | Decided]  # events, or events and a side write
    next_deadline: Callable[[S], dt.datetime | None] = lambda state: None
    tick: Any = None  # the command the timer sends (None: the domain has no deadlines)
    # What of a stored event leaves the server on the event stream (WebSocket and REST alike),
    # as (type, data) -> data; None: all of it. The log and the fold keep the whole event.
    outward: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


class StreamService(Generic[S]):
    domain: Domain[S]  # set by each kind of stream

    def __init__(
        self,
        log: EventLog,
        hub: Hub,
        links: Links,
        clock: Clock,
        *,
        timers: bool = True,
        snapshot_every: int = DEFAULT_EVERY,
    ) -> None:
        self.log, self.hub, self.links, self.clock = log, hub, links, clock
        self.kind, self.tick_command = self.domain.kind, self.domain.tick
        self.scheduler = DeadlineTimers(self.tick) if timers else None
        self._opening: dict[str, asyncio.Task[Aggregate[S]]] = {}
        self._loaded: dict[str, Aggregate[S]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._to_arm: set[str] = set()
        self._lagging: dict[str, str] = {}  # streams whose follower is waiting to try again: why
        self.snapshots = Snapshots(self.kind, self.domain.initial, self.domain.evolve, snapshot_every)
        self._snapshotting: dict[str, asyncio.Task[None]] = {}  # streams with a snapshot being written
        self._snapshot_again: set[str] = set()  # ... and due again meanwhile: written once more after it
        # Per stream loaded: (the snapshot's offset it started from, 0 if none; events folded after it).
        self.loaded_from: dict[str, tuple[int, int]] = {}

    # the domain's pure core --------------------------------------------------------------------

    def initial(self) -> S:
        return self.domain.initial()

    def evolve(self, state: S, type_: str, data: dict[str, Any]) -> S:
        return self.domain.evolve(state, type_, data)

    def decide(self, state: S, command: Any, now: dt.datetime) -> Sequence[Any] | Decided:
        return self.domain.decide(state, command, now)

    def next_deadline(self, state: S) -> dt.datetime | None:
        return self.domain.next_deadline(state)

    def outward(self, records: list[Record]) -> list[Record]:
        """The records as they leave the server (Domain.outward)."""
        out = self.domain.outward
        if out is None:
            return records
        return [Record(r.stream, r.offset, r.type, out(r.type, r.data)) for r in records]

    # names -----------------------------------------------------------------------------------

    @property
    def index_stream(self) -> str:
        return self.kind + "s"

    def stream_of(self, stream_id: str) -> str:
        return f"{self.kind}:{stream_id}"

    # life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Replay every stream, apply what was missed while down (late, and saying so), arm timers."""
        if self.scheduler:
            self.scheduler.start()
        await asyncio.to_thread(self.snapshots.usable)  # reads the fold's sources, once
        index = await self.log.read(self.index_stream)
        for record in index:
            await self._open(record.data["id"])
        self._spawn(self._tail_index(index[-1].offset if index else 0))

    async def stop(self) -> None:
        if self.scheduler:
            self.scheduler.shutdown()
        tasks = list(self._tasks) + list(self._opening.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A task this service owns: kept until done, cancelled at stop."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _tail_index(self, after: int) -> None:
        async def follow(after: int) -> int:
            async for record in self.log.subscribe(self.index_stream, after):
                await self._open(record.data["id"])
                after = record.offset
            return after

        await self._resilient(self.index_stream, after, follow)

    async def _resilient(self, what: str, after: int, follow: Callable[[int], Any]) -> None:
        """Run ``follow(after)`` (which returns the last offset it handled) until the log is closed,
        starting it again from where it got to whenever the storage fails under it: a process that
        loses Redis picks up every stream where it left off, nothing lost and nothing doubled."""
        attempt = 0
        while True:
            try:
                after = await follow(after)
                return  # the log was closed
            except asyncio.CancelledError:
                raise
            except Exception:
                attempt += 1
                delay = backoff(attempt)
                (log.exception if attempt == 1 else log.warning)(
                    "following %s failed after offset %d (try %d); again in %.2f s", what, after, attempt, delay
                )
                self._lagging[what] = f"following failed {attempt} time(s) after offset {after}"
                try:
                    await asyncio.sleep(delay)
                finally:
                    self._lagging.pop(what, None)

    def _open(self, stream_id: str) -> asyncio.Task[Aggregate[S]]:
        task = self._opening.get(stream_id)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            # Never opened, or its load failed (storage down): a later caller tries again.
            task = self._opening[stream_id] = asyncio.create_task(self._load(stream_id))
        return task

    async def _load(self, stream_id: str) -> Aggregate[S]:
        agg: Aggregate[S] = Aggregate(self.log, self.stream_of(stream_id), self.initial(), self.evolve)
        await self._restore(stream_id, agg)
        self._loaded[stream_id] = agg
        self._spawn(self._tail(stream_id, agg, agg.offset))
        if agg.state.created and self.tick_command is not None:
            # What was missed while down is applied now, late, and says so. If that fails, the
            # timer (armed from the state, which still has the deadline due) retries it.
            try:
                await self._execute(agg, stream_id, self.tick_command)
            except Exception:
                log.exception("late tick for %s on load failed; the timer retries it", stream_id)
                self._arm(stream_id)
        return agg

    async def _restore(self, stream_id: str, agg: Aggregate[S]) -> None:
        """Fold the stream into ``agg``: from its snapshot when a usable one is kept, then the
        events after it. A snapshot that cannot be used is logged and the stream replayed in full."""
        snapshots, started, restored = self.snapshots, time.perf_counter(), 0
        if snapshots.usable():
            found = await self.log.load_snapshot(agg.stream, snapshots.schema()[0])
            if found is not None:
                offset, blob = found
                try:
                    state = await asyncio.to_thread(snapshots.decode, blob)
                except SnapshotError as e:
                    snapshots.stats["ignored"] += 1
                    log.warning("%s: snapshot at %d ignored (%s); replaying in full", agg.stream, offset, e)
                else:
                    agg.restore(offset, state)
                    restored = offset
                    snapshots.stats["restored"] += 1
        folded = await agg.catch_up()
        self.loaded_from[stream_id] = (restored, folded)
        if restored:
            snapshots.stats["tail_events"] += folded
            log.info(
                "%s: from the snapshot at %d and %d events after it in %.3f s",
                agg.stream,
                restored,
                folded,
                time.perf_counter() - started,
            )
        if snapshots.usable() and folded >= snapshots.every:
            self._snapshot_soon(stream_id, agg)  # the next start folds less

    def _snapshot_soon(self, stream_id: str, agg: Aggregate[S]) -> None:
        """Write the stream's snapshot in the background, one at a time per stream; one due while
        another is being written is written after it, from the state as it is then."""
        if stream_id in self._snapshotting:
            self._snapshot_again.add(stream_id)
            return
        task = self._snapshotting[stream_id] = self._spawn(self._snapshots_of(stream_id, agg))
        task.add_done_callback(lambda _: self._snapshotting.pop(stream_id, None))

    async def _snapshots_of(self, stream_id: str, agg: Aggregate[S]) -> None:
        again = True
        while again:
            self._snapshot_again.discard(stream_id)
            # The stream's own aggregate once it is loaded (``create`` decides on a first one).
            await self._snapshot(self._loaded.get(stream_id, agg))
            again = stream_id in self._snapshot_again

    async def snapshots_written(self) -> None:
        """Wait until the snapshots being written now are written (or have failed, as logged)."""
        while self._snapshotting:
            await asyncio.gather(*self._snapshotting.values(), return_exceptions=True)

    async def _snapshot(self, agg: Aggregate[S]) -> None:
        # State and offset are read together, with no await between: they always describe one
        # moment (both change together, only after the events are in the log).
        state, offset = agg.state, agg.offset
        snapshots = self.snapshots
        try:
            prepared = prepare(state)  # on this thread: what must not be read from another
            started = time.perf_counter()
            blob = await asyncio.to_thread(encode, state, prepared)
            encoded = time.perf_counter()
            stored = await self.log.save_snapshot(agg.stream, offset, snapshots.schema()[0], blob)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the log goes on without it: the next crossing tries again
            snapshots.stats["failed"] += 1
            trace = not isinstance(e, (SnapshotError, *STORAGE_ERRORS))
            log.warning("%s: snapshot at %d not written: %s", agg.stream, offset, e, exc_info=trace)
            return
        if stored:
            snapshots.stats["saved"] += 1
        log.info(
            "%s: snapshot at %d %s (%d bytes, serialised in %.3f s, stored in %.3f s)",
            agg.stream,
            offset,
            "written" if stored else "not needed (a newer one is kept)",
            len(blob),
            encoded - started,
            time.perf_counter() - encoded,
        )

    async def _tail(self, stream_id: str, agg: Aggregate[S], after: int) -> None:
        """Every record of the stream, local or from another process, once: fold, fan out, re-arm.

        Records that arrive together go out together, as one frame per client. Publishing is
        paced by its own cost: after a fan-out that took t seconds, the next waits until t has
        passed again, so at most about half the loop goes to fanning out and the rest to taking
        commands; under load (a thousand votes in a second) batches grow instead of queues."""
        loop = asyncio.get_running_loop()
        pending: list[Record] = []
        scheduled = False
        next_at = 0.0

        def flush() -> None:
            nonlocal scheduled, next_at
            scheduled = False
            batch = self.outward(pending[:])  # a copy: pending is emptied for the next batch
            pending.clear()
            started = loop.time()
            self.hub.publish(batch)
            ended = loop.time()
            next_at = ended + min(ended - started, MAX_PACING)

        async def follow(after: int) -> int:
            nonlocal scheduled
            # From the last record *published*, not from agg.offset: this process's own appends
            # are folded before the tail sees them, and clients must still get them.
            async for record in self.log.subscribe(self.stream_of(stream_id), after):
                agg.apply(record)
                self._arm(stream_id)
                pending.append(record)
                after = record.offset
                if len(pending) >= MAX_BATCH:
                    flush()
                elif not scheduled:
                    scheduled = True
                    loop.call_at(max(next_at, loop.time()), flush)
            return after

        await self._resilient(self.stream_of(stream_id), after, follow)

    def _arm(self, stream_id: str) -> None:
        """Re-arm the stream's timer soon. Coalesced: a burst of records (a replay, a late tick
        after an outage) computes the next deadline once, not once per record."""
        if self.scheduler is None or stream_id in self._to_arm:
            return
        self._to_arm.add(stream_id)
        asyncio.get_running_loop().call_later(ARM_DELAY, self._arm_now, stream_id)

    def _arm_now(self, stream_id: str) -> None:
        self._to_arm.discard(stream_id)
        agg = self._loaded.get(stream_id)
        if self.scheduler and agg is not None:
            self.scheduler.arm(stream_id, self.next_deadline(agg.state))

    # reading and changing ----------------------------------------------------------------------

    def current(self, stream_id: str) -> S | None:
        """The state as this process holds it now, without waiting (None if not loaded)."""
        agg = self._loaded.get(stream_id)
        return agg.state if agg else None

    def ids(self) -> list[str]:
        return sorted(self._opening)

    def health(self, now: dt.datetime) -> dict[str, Any]:
        """What an operator's monitor needs: streams loaded and followed, timers armed, ticks
        failing, and each stream's deadline that is already past (oldest first)."""
        overdue = []
        for stream_id, agg in self._loaded.items():
            deadline = self.next_deadline(agg.state) if agg.state.created else None
            if deadline is not None and deadline < now:
                overdue.append((deadline, stream_id))
        overdue.sort()
        failing = self.scheduler.failing() if self.scheduler else {}
        return {
            "loaded": len(self._loaded),
            "followed": sum(1 for t in self._tasks if not t.done()),
            "lagging": dict(self._lagging),
            "timers": self.scheduler.armed_count() if self.scheduler else None,
            "failing_ticks": {k: {"attempts": f.attempts, "error": f.error} for k, f in failing.items()},
            "overdue": [
                {
                    "id": stream_id,
                    "deadline": deadline.isoformat(),
                    "late_s": round((now - deadline).total_seconds(), 3),
                }
                for deadline, stream_id in overdue[:10]
            ],
        }

    async def get(self, stream_id: str) -> Aggregate[S]:
        missing = not_found(f"no such {self.kind}")
        if not STREAM_ID.match(stream_id):
            raise missing
        if stream_id not in self._opening and await self.log.last_offset(self.stream_of(stream_id)) == 0:
            raise missing
        agg = await self._open(stream_id)
        if not agg.state.created:
            raise missing
        return agg

    async def create(self, make_command: Callable[[str], Any]) -> str:
        """Create a stream from ``make_command(new_id)`` and register it in the index."""
        stream_id = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
        agg: Aggregate[S] = Aggregate(self.log, self.stream_of(stream_id), self.initial(), self.evolve)
        await self._execute(agg, stream_id, make_command(stream_id))
        index: Aggregate[None] = Aggregate(self.log, self.index_stream, None, lambda s, t, d: None)
        await index.catch_up()
        await index.execute(lambda _: [NewEvent(f"{self.kind}_registered", {"id": stream_id})])
        await self._open(stream_id)
        return stream_id

    async def execute(self, stream_id: str, command: Any) -> int:
        """The one path every command takes (a client's, the timer's, the shell's own): decided
        by the domain against the current state, appended with group commit. Returns the offset."""
        return await self._execute(await self.get(stream_id), stream_id, command)

    async def _execute(self, agg: Aggregate[S], stream_id: str, command: Any) -> int:
        now = self.clock.now()
        # A command that implements ReadsSide names the counters it is decided on. Looked up as an
        # attribute: isinstance against a runtime-checkable Protocol costs ~11 us, on every vote.
        side_prefix = getattr(command, "side_prefix", None)
        prefix = side_prefix() if side_prefix is not None else None
        try:
            if prefix is None:
                offset, records = await agg.execute(lambda state: self.decide(state, command, now))
            else:
                offset, records = await agg.execute(
                    lambda state, counters: self.decide(state, command.with_side(counters), now), reads=prefix
                )
        except DomainError as e:
            raise refused(e) from None
        self._arm(stream_id)
        if records and self.snapshots.due(offset - len(records), offset) and self.snapshots.usable():
            self._snapshot_soon(stream_id, agg)
        if records:
            await self.executed(stream_id, records)
        return offset

    async def executed(self, stream_id: str, records: list[Record]) -> None:
        """Called with what a command this process executed appended, before the caller hears of
        it: a kind of stream may finish work outside the log here (none by default)."""

    async def tick(self, stream_id: str) -> None:
        """What the timer sends; also safe to call at any time (nothing due: nothing happens)."""
        await self.execute(stream_id, self.tick_command)
