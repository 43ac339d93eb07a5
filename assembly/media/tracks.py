"""One outgoing track per subscriber: a bounded queue of packets that one shared encoder fills.

aiortc's RTCRtpSender packs ``av.Packet`` objects it receives from its track without encoding them
again (rtcrtpsender.py: ``isinstance(data, Frame)`` decides), so every subscriber of a channel gets
the same packet object. A track is never shared between senders: a sender stops its track when it
ends. The queue is bounded: a subscriber that cannot keep up loses its oldest packets and never
slows the channel or the other subscribers (aiortc's MediaRelay queues without bound).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

AUDIO_QUEUE = 10  # packets (200 ms of 20 ms audio): deeper only adds latency after a stall
VIDEO_QUEUE = 30  # frames


class PacketTrack(MediaStreamTrack):
    """What one sender reads. ``push`` never blocks; ``recv`` waits for the next packet.

    Video tracks pass nothing until a keyframe (a decoder cannot start on a delta frame), and on
    overflow they drop everything queued and wait for the next keyframe, which they ask for.
    """

    def __init__(self, kind: str, on_stop: Callable[[PacketTrack], None] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.queue: collections.deque[Any] = collections.deque(maxlen=AUDIO_QUEUE if kind == "audio" else VIDEO_QUEUE)
        self._ready = asyncio.Event()
        self.on_stop = on_stop
        self.request_keyframe: Callable[[], None] = lambda: None
        # Set when the sender sends straight from the tick (direct.py): packets skip the queue.
        self.sink: Callable[[Any], None] | None = None
        self.waiting_for_keyframe = kind == "video"
        self.sent = 0
        self.dropped = 0

    def push(self, packet: Any, wire: Any = None) -> None:
        if self.readyState != "live":
            return
        if self.sink is not None and wire is not None:
            self.sent += 1
            self.sink(wire)
            return
        if self.kind == "video":
            if getattr(packet, "is_keyframe", False):
                self.waiting_for_keyframe = False
            elif self.waiting_for_keyframe:
                self.dropped += 1
                return
            if len(self.queue) == self.queue.maxlen:
                self.dropped += len(self.queue) + 1
                self.queue.clear()
                self.waiting_for_keyframe = True
                self.request_keyframe()
                return
        elif len(self.queue) == self.queue.maxlen:
            self.dropped += 1  # the deque drops the oldest
        self.queue.append(packet)
        self._ready.set()

    def clear(self) -> None:
        """Forget what is queued (the subscriber moved to another channel)."""
        self.queue.clear()
        self.waiting_for_keyframe = self.kind == "video"

    async def recv(self) -> Any:
        while not self.queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self.readyState != "live":
            raise MediaStreamError
        self.sent += 1
        return self.queue.popleft()

    def stop(self) -> None:
        if self.readyState == "live" and self.on_stop is not None:
            self.on_stop(self)
        super().stop()
        self._ready.set()
