"""Fan-out: each process sends each new event, serialised once, to its own subscribers.

Every subscriber has a bounded queue. Publishing never waits on a client: a subscriber whose queue
is full is dropped and told to resume from its last offset (close code 4008), so one slow or dead
phone cannot delay the thousands of others.

A subscriber that is keeping up (nothing queued, no send in flight) may attach a *sink*; publishing
then hands it the frame at once instead of queueing it and waking a writer task per client, which
was most of the cost of fanning out to thousands of idle boards (bench/README.md). A sink never
waits: it sends what the transport takes now, and when it cannot finish it detaches itself and
leaves the rest to its writer, behind which later frames queue as before. The queue itself is made
only then, so an idle board's subscriber is a few slots and its sink.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

from mayday.log import Record

DEFAULT_QUEUE = 256
CLOSE_TOO_SLOW = 4008


# A queued item: (last offset in it, frame text, the (offset, event JSON) parts it was built from).
# The parts let a writer trim a batch that overlaps what it already sent (only ever the first one
# after a history read).
Item = tuple[int, str, tuple[tuple[int, str], ...]]


def _event_json(record: Record) -> str:
    return json.dumps(
        {"offset": record.offset, "event": record.type, "data": record.data}, separators=(",", ":"), ensure_ascii=False
    )


def frame_of(parts: Sequence[tuple[int, str]]) -> str:
    """One event: ``{"type":"event",...}``. Several: ``{"type":"events","events":[...]}``, so a
    burst (a thousand votes in a second) costs each client a few frames, not a thousand."""
    if len(parts) == 1:
        return '{"type":"event",' + parts[0][1][1:]
    return '{"type":"events","events":[' + ",".join(text for _, text in parts) + "]}"


def encode_batch(records: Sequence[Record]) -> Item:
    parts = tuple((r.offset, _event_json(r)) for r in records)
    return parts[-1][0], frame_of(parts), parts


def encode_event(record: Record) -> str:
    return encode_batch([record])[1]


class Subscriber:
    """One client's end of a stream: a bounded queue of (offset, frame text), or a sink while idle."""

    # Slots, and the queue made only when something has to wait in it: an idle board (the sink
    # takes every frame) never needs one, and an asyncio.Queue is four deques and an Event, about
    # 2.9 KiB, per connection (bench/README.md, "10,000 boards per process").
    __slots__ = ("_queue", "dropped", "maxsize", "on_drop", "sink", "stream")

    def __init__(self, stream: str, maxsize: int, on_drop: Callable[[], None] | None = None) -> None:
        self.stream = stream
        self.maxsize = maxsize
        self._queue: asyncio.Queue[Item] | None = None
        self.dropped = False
        self.on_drop = on_drop
        # Set by the writer only while its queue is empty; called instead of queueing. It must not
        # block, and it detaches itself (sink = None) before it queues anything for the writer, so
        # while a sink is set nothing is queued and frames cannot overtake one another.
        self.sink: Callable[[Item], None] | None = None

    @property
    def queue(self) -> asyncio.Queue[Item]:
        """The bounded queue (made on first use)."""
        if self._queue is None:
            self._queue = asyncio.Queue(self.maxsize)
        return self._queue

    def pending(self) -> bool:
        """Whether anything waits in the queue (without making one)."""
        return self._queue is not None and not self._queue.empty()

    def release_queue(self) -> None:
        """Let an empty queue go (the writer caught up; the sink takes the next frames)."""
        if self._queue is not None and self._queue.empty():
            self._queue = None

    def offer(self, item: Item) -> bool:
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

    def publish(self, records: Sequence[Record]) -> int:
        """Send consecutive records of one stream, encoded once as one frame, to every subscriber
        of that stream; returns how many subscribers were dropped for being too slow."""
        if not records:
            return 0
        subs = self._subs.get(records[0].stream)
        if not subs:
            return 0
        item = encode_batch(records)
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
