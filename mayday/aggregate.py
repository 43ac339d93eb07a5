"""The one path every change takes: fold -> decide -> compare-and-append -> (conflict: reload, retry).

An ``Aggregate`` keeps one stream's state current in this process. ``decide`` and ``evolve`` are
the pure functions of a domain (relay, assembly); this class is the only place that meets the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from mayday.log import Conflict, EventLog, NewEvent, Record

S = TypeVar("S")
MAX_ATTEMPTS = 20


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

    async def catch_up(self) -> None:
        for record in await self.log.read(self.stream, self.offset):
            self.apply(record)

    async def execute(self, decide: Callable[[S], Sequence[NewEvent]], **append: Any) -> tuple[int, list[Record]]:
        """Decide against the current state and append; on a conflict reload and decide again.

        ``decide`` raises to refuse (nothing is appended) or returns the events to append, maybe
        none. ``append`` goes to the log's append with the events (a secret ballot's counter
        writes). Returns the log offset after the call and the records this call appended."""
        async with self._lock:
            for _ in range(MAX_ATTEMPTS):
                events = list(decide(self.state))
                if not events:
                    return self.offset, []
                expected = self.offset
                try:
                    new_offset = await self.log.append(self.stream, expected, events, **append)
                except Conflict:
                    await self.catch_up()  # another process got there first
                    continue
                records = [Record(self.stream, expected + i + 1, e.type, e.data) for i, e in enumerate(events)]
                for r in records:
                    self.apply(r)
                return new_offset, records
            raise RuntimeError(f"{self.stream}: gave up after {MAX_ATTEMPTS} conflicting appends")

    async def execute_at_snapshot(
        self,
        snapshot: Callable[[], Awaitable[tuple[int, Any]]],
        decide: Callable[[S, Any], Sequence[NewEvent]],
        **append: Any,
    ) -> tuple[int, list[Record]]:
        """Like ``execute``, for a decision that also needs data read beside the log (a secret
        ballot's counters): ``snapshot()`` returns (log offset, data) read at one instant, and the
        decision is made only when the state is at that same offset, so both describe one moment."""
        async with self._lock:
            for _ in range(MAX_ATTEMPTS):
                offset, data = await snapshot()
                await self.catch_up()
                if self.offset != offset:
                    continue  # the log moved between the two reads
                events = list(decide(self.state, data))
                if not events:
                    return self.offset, []
                try:
                    new_offset = await self.log.append(self.stream, offset, events, **append)
                except Conflict:
                    continue
                records = [Record(self.stream, offset + i + 1, e.type, e.data) for i, e in enumerate(events)]
                for r in records:
                    self.apply(r)
                return new_offset, records
            raise RuntimeError(f"{self.stream}: gave up after {MAX_ATTEMPTS} conflicting appends")
