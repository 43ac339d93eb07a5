"""Fan-out: each process sends each new event, serialised once, to its own subscribers.

Every subscriber has a bounded queue. Publishing never waits on a client: a subscriber whose queue
is full is dropped and told to resume from its last offset (close code 4008), so one slow or dead
phone cannot delay the thousands of others.

A subscriber that is keeping up (nothing queued, no send in flight) may attach a *sink*; publishing
then hands it the frame at once instead of queueing it and waking a writer task per client, which
was most of the cost of fanning out to thousands of idle boards (bench/README.md). A sink never
waits: it sends what the transport takes now, and when it cannot finish it detaches itself and
leaves the rest to its writer, behind which later frames queue as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from mayday.log import Record

DEFAULT_QUEUE = 256
CLOSE_TOO_SLOW = 4008


def encode_event(record: Record) -> str:
    return json.dumps(
        {"type": "event", "offset": record.offset, "event": record.type, "data": record.data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


class Subscriber:
    """One client's end of a stream: a bounded queue of (offset, frame text), or a sink while idle."""

    __slots__ = ("dropped", "on_drop", "queue", "sink", "stream")

    def __init__(self, stream: str, maxsize: int, on_drop: Callable[[], None] | None = None) -> None:
        self.stream = stream
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize)
        self.dropped = False
        self.on_drop = on_drop
        # Set by the writer only while its queue is empty; called instead of queueing. It must not
        # block, and it detaches itself (sink = None) before it queues anything for the writer, so
        # while a sink is set nothing is queued and frames cannot overtake one another.
        self.sink: Callable[[tuple[int, str]], None] | None = None

    def offer(self, item: tuple[int, str]) -> bool:
        sink = self.sink
        if sink is not None:
            sink(item)
            return True
        try:
            self.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            self.dropped = True
            if self.on_drop is not None:
                self.on_drop()
            return False


class Hub:
    def __init__(self, queue_size: int = DEFAULT_QUEUE) -> None:
        self.queue_size = queue_size
        self._subs: dict[str, set[Subscriber]] = {}

    def subscribe(self, stream: str, on_drop: Callable[[], None] | None = None) -> Subscriber:
        sub = Subscriber(stream, self.queue_size, on_drop)
        self._subs.setdefault(stream, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subs.get(sub.stream)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.stream]

    def publish(self, record: Record) -> int:
        """Queue ``record`` for every subscriber of its stream; returns how many were dropped."""
        subs = self._subs.get(record.stream)
        if not subs:
            return 0
        item = (record.offset, encode_event(record))
        slow = [s for s in tuple(subs) if not s.offer(item)]
        for s in slow:
            self.unsubscribe(s)
        return len(slow)

    def count(self, stream: str | None = None) -> int:
        if stream is not None:
            return len(self._subs.get(stream, ()))
        return sum(len(s) for s in self._subs.values())

    def stats(self) -> dict[str, Any]:
        return {"streams": len(self._subs), "subscribers": self.count()}
