"""The hub alone: each batch encoded once as one frame, offered to every subscriber of its stream;
a subscriber whose queue is full is dropped (and told), the others are not delayed; sinks take
frames while idle."""

from __future__ import annotations

import json

from mayday.hub import Hub, encode_batch, frame_of
from mayday.log import Record
from mayday.ws import _unsent


def records(stream: str, first: int, n: int) -> list[Record]:
    return [Record(stream, first + i, "dispatch_posted", {"text": f"t{first + i}"}) for i in range(n)]


def test_one_event_is_an_event_frame_and_several_an_events_frame():
    one = json.loads(encode_batch(records("s", 1, 1))[1])
    assert one == {"type": "event", "offset": 1, "event": "dispatch_posted", "data": {"text": "t1"}}
    many = json.loads(encode_batch(records("s", 1, 3))[1])
    assert many["type"] == "events" and [e["offset"] for e in many["events"]] == [1, 2, 3]


async def test_publish_reaches_every_subscriber_of_the_stream_and_no_other():
    hub = Hub(queue_size=4)
    a, b, other = hub.subscribe("s"), hub.subscribe("s"), hub.subscribe("t")
    assert hub.publish(records("s", 1, 2)) == 0
    item_a, item_b = a.queue.get_nowait(), b.queue.get_nowait()
    assert item_a is item_b  # encoded once, the same frame for everyone
    assert other.queue.empty()
    assert hub.stats() == {"streams": 2, "subscribers": 3}


async def test_a_full_queue_drops_only_that_subscriber_and_tells_it():
    dropped = []
    hub = Hub(queue_size=2)
    slow = hub.subscribe("s", on_drop=lambda: dropped.append("slow"))
    fast = hub.subscribe("s")
    for offset in range(1, 4):
        hub.publish(records("s", offset, 1))
        fast.queue.get_nowait()  # the fast one keeps up
    assert dropped == ["slow"] and slow.dropped
    assert hub.count("s") == 1
    hub.publish(records("s", 4, 1))
    assert fast.queue.get_nowait()[0] == 4


async def test_an_idle_subscribers_sink_takes_the_frame_without_queueing():
    hub = Hub(queue_size=2)
    sub = hub.subscribe("s")
    taken = []
    sub.sink = taken.append
    for offset in range(1, 6):  # more than the queue holds: a sink never overflows it
        hub.publish(records("s", offset, 1))
    assert [item[0] for item in taken] == [1, 2, 3, 4, 5] and sub.queue.empty()


def test_a_batch_that_overlaps_what_a_client_has_is_trimmed_for_it():
    item = encode_batch(records("s", 3, 4))  # offsets 3..6
    assert _unsent(item, 6) is None
    assert _unsent(item, 2) == item[1]
    trimmed = json.loads(_unsent(item, 4))
    assert [e["offset"] for e in trimmed["events"]] == [5, 6]
    assert json.loads(_unsent(item, 5))["type"] == "event"
    assert frame_of(item[2][-1:]) == _unsent(item, 5)
