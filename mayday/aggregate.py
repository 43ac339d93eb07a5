"""The one path every change takes: fold -> decide -> compare-and-append -> (conflict: reload, retry).

An ``Aggregate`` keeps one stream's state current in this process. ``decide`` and ``evolve`` are
the pure functions of a domain (relay, assembly); this class is the only place that meets the log.
A decision may also write to the stream's side store (``Decided``) and may need counters read from
it (``execute(..., reads=prefix)``): those go through the same path, grouped with the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mayday.errors import bad_request
from mayday.events import Decided, SideWrite, unpack
from mayday.log import Conflict, EventLog, Record, TokenMissing
from mayday.log.base import storable

S = TypeVar("S")
MAX_ATTEMPTS = 20
MAX_GROUP = 500  # commands decided and appended together at most


@dataclass
class _Waiting:
    decide: Callable[..., Sequence[Any] | Decided]  # (state) or, with reads, (state, counters)
    reads: str | None  # a side-store prefix the decision needs, read at the state's offset
    future: asyncio.Future[tuple[int, list[Record]]]


def _merge(writes: list[SideWrite]) -> SideWrite | None:
    """One side write for a group of commands: counters summed, tokens together, the counters
    to create (a ballot's opening) all kept, whatever their increments sum to."""
    if not writes:
        return None
    if len(writes) == 1:
        return writes[0]
    increments: dict[str, int] = {}
    for w in writes:
        for key, by in w.increments.items():
            increments[key] = increments.get(key, 0) + by
    return SideWrite(
        increments={k: v for k, v in increments.items() if v},  # a zero moves nothing: init creates
        add_tokens=tuple(r for w in writes for r in w.add_tokens),
        remove_tokens=tuple(r for w in writes for r in w.remove_tokens),
        init=tuple(sorted({k for w in writes for k in w.init})),
    )


class _Alone(Exception):
    """A decision in a group clears part of the side store: it is committed on its own."""


class Aggregate(Generic[S]):
    def __init__(
        self,
        log: EventLog,
        stream: str,
        initial: S,
        evolve: Callable[[S, str, dict[str, Any]], S],
    ) -> None:
        self.log, self.stream, self.state, self.offset = log, stream, initial, 0
        self._evolve = evolve
        self._lock = asyncio.Lock()  # one decider at a time per stream in this process
        self._waiting: list[_Waiting] = []
        self._committer: asyncio.Task[None] | None = None

    def apply(self, record: Record) -> bool:
        """Fold one record if it is the next one; ignore one already folded. Returns True if new.

        Both the live tail and a conflict reload feed records here, so it must be idempotent."""
        if record.offset <= self.offset:
            return False
        if record.offset != self.offset + 1:
            raise RuntimeError(f"{self.stream}: gap in the log at {self.offset + 1} (got {record.offset})")
        self.state = self._evolve(self.state, record.type, record.data)
        self.offset = record.offset
        return True

    def restore(self, offset: int, state: S) -> None:
        """Start from a snapshot: ``state`` as folded from events 1..``offset`` (mayday/snapshots.py).
        Only before anything was folded; ``catch_up`` then reads the events after it."""
        if self.offset != 0:
            raise RuntimeError(f"{self.stream}: a snapshot is restored before anything is folded")
        self.state, self.offset = state, offset

    async def catch_up(self) -> int:
        """Fold every event after the current offset; returns how many were new."""
        folded = 0
        for record in await self.log.read(self.stream, self.offset):
            folded += self.apply(record)
        return folded

    async def execute(
        self, decide: Callable[..., Sequence[Any] | Decided], *, reads: str | None = None
    ) -> tuple[int, list[Record]]:
        """Decide against the current state and append; on a conflict reload and decide again.

        ``decide(state)`` raises to refuse (nothing is appended) or returns the events to append,
        maybe none, or a ``Decided`` that also writes to the side store in the same transaction.
        With ``reads``, it is ``decide(state, counters)``: the side store's counters under that
        prefix, read when the log is at the state's offset, plus what the commands decided before
        it in the same group will write, so both describe one moment. Returns the log offset after
        the call and the records this call appended.

        Group commit: commands that arrive while an append is under way wait together and are then
        decided one after another against the state as it will be, and appended in one write. A
        thousand votes in a second cost tens of appends, not a thousand, and each vote still sees
        the ones before it."""
        future: asyncio.Future[tuple[int, list[Record]]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(decide, reads, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting())
        return await future

    async def _commit_waiting(self) -> None:
        async with self._lock:
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                try:
                    await self._commit(group)
                except BaseException as e:  # a failed write fails its callers, not the committer
                    for w in group:
                        if not w.future.done():
                            w.future.set_exception(e)
                    if isinstance(e, asyncio.CancelledError):
                        raise

    async def _read_side(self, group: list[_Waiting], expected: int) -> dict[str, dict[str, int]] | None:
        """The counters the group's decisions read, if the log is still at ``expected`` for each
        read; None if it moved (another process appended): reload and decide again."""
        out: dict[str, dict[str, int]] = {}
        for prefix in sorted({w.reads for w in group if w.reads is not None}):
            at, counters = await self.log.read_side(self.stream, prefix)
            if at != expected:
                return None
            out[prefix] = counters
        return out

    def _decide_one(
        self, w: _Waiting, state: S, side: dict[str, dict[str, int]], before: list[SideWrite], alone: bool
    ) -> Decided:
        if w.reads is None:
            decided = unpack(w.decide(state))
        else:
            counters = dict(side[w.reads])
            for write in before:  # what the commands before it in this group will have written
                for key, by in write.increments.items():
                    if key.startswith(w.reads):
                        counters[key] = counters.get(key, 0) + by
            decided = unpack(w.decide(state, counters))
        if decided.side is not None and decided.side.clear_prefix is not None and not alone:
            raise _Alone
        try:
            # Checked here, not left to the append: one command the log cannot store must fail
            # alone, never the group it was committed with.
            for e in decided.events:
                storable(e.data)
        except (ValueError, TypeError, RecursionError) as e:
            raise bad_request("bad_command", f"the command holds data that cannot be stored: {e}") from None
        return decided

    async def _commit(self, group: list[_Waiting]) -> None:
        for _ in range(MAX_ATTEMPTS):
            state, expected = self.state, self.offset
            side = await self._read_side(group, expected)
            if side is None:
                await self.catch_up()
                continue
            outcomes: list[Decided | BaseException] = []
            events: list[Any] = []
            writes: list[SideWrite] = []
            for w in group:
                try:
                    decided = self._decide_one(w, state, side, writes, alone=len(group) == 1)
                except _Alone:
                    # Clearing a side store is never merged with other writes: one by one.
                    for item in group:
                        await self._commit([item])
                    return
                except Exception as e:  # refused: this caller gets the error, the others go on
                    outcomes.append(e)
                    continue
                for e in decided.events:
                    state = self._evolve(state, e.type, e.data)
                outcomes.append(decided)
                events += decided.events
                if decided.side is not None:
                    writes.append(decided.side)
            if events:
                merged = _merge(writes)
                try:
                    await self.log.append(self.stream, expected, events, **({"side": merged} if merged else {}))
                except Conflict:
                    await self.catch_up()  # another process got there first
                    continue
                except TokenMissing:
                    if len(group) > 1:
                        for item in group:  # find whose token it was: commit them one by one
                            await self._commit([item])
                        return
                    outcome = outcomes[0]
                    if isinstance(outcome, Decided) and outcome.token_missing is not None:
                        raise outcome.token_missing from None
                    raise
            offset, appended = expected, []
            for w, outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    w.future.set_exception(outcome)
                    continue
                records = [Record(self.stream, offset + k + 1, e.type, e.data) for k, e in enumerate(outcome.events)]
                offset += len(outcome.events)
                appended += records
                w.future.set_result((offset, records))
            if self.offset == expected:
                # The group's state is already folded (the decisions were made against it): keep
                # it rather than folding the same events a second time.
                self.state, self.offset = state, offset
            else:  # the tail got here first (and maybe further): fold what it has not
                for r in appended:
                    self.apply(r)
            return
        raise RuntimeError(f"{self.stream}: gave up after {MAX_ATTEMPTS} conflicting appends")
