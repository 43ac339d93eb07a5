"""The log contract every backend keeps (tests/log/test_contract.py runs it against each one).

Offsets are gap-free and start at 1 in every stream; 0 means "before the first event".
``append`` is a compare-and-append: it succeeds only when the stream's last offset is the one the
writer read its state at, so two writers deciding on the same state cannot both win.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mayday.events import SideWrite


class Conflict(Exception):
    """The stream moved past the writer's expected offset; reload and decide again."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream!r}: expected offset {expected}, log is at {actual}")
        self.stream, self.expected, self.actual = stream, expected, actual


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a decider produced, not yet in the log."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Record:
    """An event as stored: its stream, its offset in that stream, its type and data."""

    stream: str
    offset: int
    type: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The shape clients see everywhere: as in an ``events`` frame and the REST events route."""
        return {"offset": self.offset, "event": self.type, "data": self.data}


def encode_data(data: dict[str, Any]) -> str:
    """Event data as stored: compact JSON text. NaN and Infinity are refused (ValueError): they
    are not JSON, and no client could read them back."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False)


def event_check(type_: str, data: str) -> str:
    """A digest of a stored event (its type and data as stored), noted with a snapshot taken at
    it: the Redis backend computes the same in Lua (``redis.sha1hex``)."""
    return hashlib.sha1(f"{type_}\n{data}".encode()).hexdigest()


def storable(data: dict[str, Any]) -> None:
    """Raise ValueError (or TypeError) if ``data`` cannot be stored by every backend: not JSON,
    or text that is not valid Unicode (a lone surrogate such as "\\ud800" has no UTF-8 form)."""
    encode_data(data).encode("utf-8")


class TokenMissing(Exception):
    """A side write removes a token the store does not hold; nothing was appended or written."""


class EventLog(Protocol):
    async def append(
        self, stream: str, expected_offset: int, events: Sequence[NewEvent], side: SideWrite | None = None
    ) -> int:
        """Append all events atomically after ``expected_offset``, with ``side`` written to the
        stream's side store in the same transaction; return the new last offset.

        Raises Conflict when the stream's last offset is not ``expected_offset``, and
        TokenMissing when ``side`` removes a token that is not held; either way nothing changes.
        """
        ...

    async def read_side(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        """The stream's last offset and its side store's counters under ``prefix``, read at one
        instant (a decision that needs both is made only when they describe the same moment)."""
        ...

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        """Every event with offset > ``after``, in order."""
        ...

    def subscribe(self, stream: str, after: int = 0) -> AsyncIterator[Record]:
        """History after ``after``, then live events as they are appended (by any process)."""
        ...

    async def last_offset(self, stream: str) -> int: ...

    async def streams(self, prefix: str = "") -> list[str]:
        """Names of the non-empty streams that start with ``prefix``."""
        ...

    async def get_or_set_secret(self, name: str, candidate: str) -> str:
        """Store ``candidate`` under ``name`` unless a value is there; return the stored value.

        Processes sharing one log share their signing key this way.
        """
        ...

    async def ping(self) -> float:
        """Seconds one trivial round trip to the store took, for the health route. Bounded by a
        short timeout of the backend's own; raises when the store cannot be reached or fails."""
        ...

    async def save_snapshot(self, stream: str, offset: int, schema: str, blob: bytes) -> bool:
        """Keep ``blob`` as the stream's snapshot: its state folded from events 1..``offset``,
        under ``schema`` (mayday/snapshots.py). One snapshot per stream, replaced atomically; a
        save is refused (False) when the log holds no event at ``offset``, or when the snapshot
        kept has the same schema, an offset at least as high, and still matches the log. Several
        processes may save the same stream: the newest offset wins. The store notes a digest of
        the event at ``offset`` with it, so a log reset and written again is noticed at load."""
        ...

    async def load_snapshot(self, stream: str, schema: str) -> tuple[int, bytes] | None:
        """The stream's snapshot as (offset, blob), read at one instant with the log; None when
        there is none, when it was saved under another schema, or when the log no longer holds
        the event it was taken at (an offset beyond the log's last, or a different event there:
        the log was truncated or reset). None means: replay the stream in full."""
        ...

    async def compact_journal(self) -> str:
        """Make the store's own persistence forget the individual writes it journalled, keeping
        only the current data; called after a secret ballot closes, so that no journal on disk
        still holds the vote-by-vote counter writes. Waits (bounded) for the work to finish.

        Returns a short description of what was done, or of what could not be done and why (for
        the log and the operator); raises when the store itself fails."""
        ...

    async def close(self) -> None: ...


async def open_log(*, data_dir: str | None = None, redis_url: str | None = None) -> EventLog:
    """The Redis Streams backend when a URL is given, else SQLite in ``data_dir``."""
    if redis_url:
        from mayday.log.redis import RedisLog

        return await RedisLog.connect(redis_url)
    from mayday.log.sqlite import SqliteLog

    return await SqliteLog.open(data_dir or ".")
