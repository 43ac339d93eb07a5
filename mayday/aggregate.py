"""The one path every change takes: fold -> decide -> compare-and-append -> (conflict: reload, retry).

An ``Aggregate`` keeps one stream's state current in this process. ``decide`` and ``evolve`` are
the pure functions of a domain (relay, assembly); this class is the only place that meets the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from mayday.errors import bad_request
from mayday.log import Conflict, EventLog, NewEvent, ReceiptMissing, Record, SecretWrite
from mayday.log.base import storable

S = TypeVar("S")
MAX_ATTEMPTS = 20
MAX_GROUP = 500  # commands decided and appended together at most
_Waiting = tuple[Callable[[Any], Sequence[NewEvent]], "SecretWrite | None", "asyncio.Future[tuple[int, list[Record]]]"]


def _merge(writes: list[SecretWrite]) -> SecretWrite | None:
    """One secret write for a group of commands: counters summed, receipts together, the
    counters to create (a ballot's opening) all kept, whatever their increments sum to."""
    if not writes:
        return None
    if len(writes) == 1:
        return writes[0]
    increments: dict[str, int] = {}
    for w in writes:
        for key, by in w.increments.items():
            increments[key] = increments.get(key, 0) + by
    return SecretWrite(
        increments={k: v for k, v in increments.items() if v},  # a zero moves nothing: init creates
        add_receipts=tuple(r for w in writes for r in w.add_receipts),
        remove_receipts=tuple(r for w in writes for r in w.remove_receipts),
        init=tuple(sorted({k for w in writes for k in w.init})),
    )


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

    async def catch_up(self) -> None:
        for record in await self.log.read(self.stream, self.offset):
            self.apply(record)

    async def execute(self, decide: Callable[[S], Sequence[NewEvent]], **append: Any) -> tuple[int, list[Record]]:
        """Decide against the current state and append; on a conflict reload and decide again.

        ``decide`` raises to refuse (nothing is appended) or returns the events to append, maybe
        none. ``append`` goes to the log's append with the events (a secret ballot's counter
        writes). Returns the log offset after the call and the records this call appended.

        Group commit: commands that arrive while an append is under way wait together and are then
        decided one after another against the state as it will be, and appended in one write. A
        thousand votes in a second cost tens of appends, not a thousand, and each vote still sees
        the ones before it."""
        future: asyncio.Future[tuple[int, list[Record]]] = asyncio.get_running_loop().create_future()
        self._waiting.append((decide, append.get("secret"), future))
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
                    for *_, future in group:
                        if not future.done():
                            future.set_exception(e)
                    if isinstance(e, asyncio.CancelledError):
                        raise

    async def _commit(self, group: list[_Waiting]) -> None:
        if len(group) > 1 and any(secret is not None and secret.clear_prefix for _, secret, _ in group):
            for item in group:  # clearing a secret store is never merged with other writes
                await self._commit([item])
            return
        for _ in range(MAX_ATTEMPTS):
            state, expected = self.state, self.offset
            outcomes: list[list[NewEvent] | BaseException] = []
            events: list[NewEvent] = []
            for decide, _, _ in group:
                try:
                    mine = list(decide(state))
                except Exception as e:  # refused: this caller gets the error, the others go on
                    outcomes.append(e)
                    continue
                try:
                    # Checked here, not left to the append: one command the log cannot store
                    # must fail alone, never the group it was committed with.
                    for e in mine:
                        storable(e.data)
                except (ValueError, TypeError, RecursionError) as e:
                    outcomes.append(bad_request("bad_command", f"the command holds data that cannot be stored: {e}"))
                    continue
                for e in mine:
                    state = self._evolve(state, e.type, e.data)
                outcomes.append(mine)
                events += mine
            if events:
                secret = _merge([s for (_, s, _), o in zip(group, outcomes, strict=True) if s and isinstance(o, list)])
                try:
                    await self.log.append(self.stream, expected, events, **({"secret": secret} if secret else {}))
                except Conflict:
                    await self.catch_up()  # another process got there first
                    continue
                except ReceiptMissing:
                    if len(group) == 1:
                        raise
                    for item in group:  # find whose receipt it was: commit them one by one
                        await self._commit([item])
                    return
            offset = expected
            for (_, _, future), outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                    continue
                records = [Record(self.stream, offset + k + 1, e.type, e.data) for k, e in enumerate(outcome)]
                offset += len(outcome)
                for r in records:
                    self.apply(r)
                future.set_result((self.offset, records))
            return
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
