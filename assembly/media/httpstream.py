"""A language channel with the floor's picture as a stream any HTTP cache can carry (issue 13 §2).

The packets the channels already encoded (Opus audio, VP8 video: channels.py) are muxed into WebM
with PyAV -- never decoded, never encoded again -- and cut into segments of about
``SEGMENT_SECONDS``: an init segment (the WebM header and tracks) and media segments (one
Matroska cluster each, starting on a video keyframe, which this subscriber asks the encoder for
once a segment). A browser plays them with Media Source Extensions (static/watch-http.js), which
Chromium and Firefox take as ``video/webm; codecs="vp8, opus"``; HLS and DASH players could be
given the same segments, but this format needs no player library.

Every segment has a number and never changes once made, so its URL can be cached for ever by any
HTTP cache or CDN; only the small live index (``index``) changes, and a client waiting for the
next segment is answered as soon as it exists (a blocking request, as LL-HLS's blocking playlist
reload), so a viewer is about one segment and a fetch behind the WebRTC floor.

``StreamMuxer`` is the muxer and the segment ring (no event loop, no clock of its own: wall times
come in as arguments); ``HttpStreams`` is the shell that attaches muxers to a room's channels,
wakes waiting requests, and lets go of a channel nobody has asked for in a while.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import io
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av

from assembly.interpretation import FLOOR

log = logging.getLogger("mayday.media")

SEGMENT_SECONDS = 2.0  # a keyframe is asked for this often: a segment per keyframe
KEEP_SEGMENTS = 15  # 30 s of each channel kept for late or slow viewers (and caches)
IDLE_SECONDS = 30.0  # a channel nobody asked for in this long is no longer muxed
MIME = 'video/webm; codecs="vp8, opus"'
MS = fractions.Fraction(1, 1000)  # Matroska's default timestamp scale
CLUSTER_ID = b"\x1f\x43\xb6\x75"
TIMESTAMP_ID = 0xE7


@dataclass(frozen=True)
class Segment:
    n: int  # 1, 2, ... within its generation
    data: bytes
    media_ms: int  # its first timestamp, on the stream's timeline (what the player's currentTime says x 1000)
    wall_ms: int  # when that instant was live (Unix ms): for the latency a viewer sees
    duration_ms: int  # up to the next segment's start (the last one: so far)


class _Sink(io.RawIOBase):
    """What the muxer writes: the WebM header once, then one write per finished cluster (the
    muxer's live mode writes a cluster whole when it closes it)."""

    def __init__(self, on_write: Callable[[bytes], None]) -> None:
        self.on_write = on_write

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.on_write(data)
        return len(data)


def cluster_timestamp(cluster: bytes) -> int | None:
    """The Timestamp (0xE7) of a Matroska cluster, in ms (its first child, as the muxer writes it)."""
    if not cluster.startswith(CLUSTER_ID) or len(cluster) < 6:
        return None
    pos = 4 + _vint_length(cluster[4])  # the cluster's size (live mode: "unknown", 8 bytes)
    if pos + 2 > len(cluster) or cluster[pos] != TIMESTAMP_ID:
        return None
    size_len = _vint_length(cluster[pos + 1])
    size = cluster[pos + 1] & (0xFF >> size_len)
    for b in cluster[pos + 2 : pos + 1 + size_len]:
        size = (size << 8) | b
    start = pos + 1 + size_len
    return int.from_bytes(cluster[start : start + size], "big")


def _vint_length(first: int) -> int:
    for i in range(8):
        if first & (0x80 >> i):
            return i + 1
    raise ValueError("not an EBML variable-size integer")


class StreamMuxer:
    """One channel's WebM muxer and the ring of its last segments.

    ``audio``/``video`` take the channels' shared packets (never changed: each is copied into a
    packet of this container); timestamps become ms since this muxer's first packet, so a viewer's
    timeline starts near zero whenever the muxer (re)starts, with a new ``generation`` in every URL.
    """

    def __init__(self, *, keep: int = KEEP_SEGMENTS) -> None:
        self.generation = secrets.token_hex(4)
        self.keep = keep
        self.init: bytes | None = None
        self.segments: collections.deque[Segment] = collections.deque(maxlen=keep)
        self.made = 0
        self._header: list[bytes] = []
        self._base: float | None = None  # the stream's zero, in seconds of the channels' clocks
        self._wall_zero: int | None = None  # Unix ms at the stream's zero
        self._last = {"audio": -1, "video": -1}
        self._wall_now = 0
        self._closed = False
        self._out = av.open(
            _Sink(self._written),
            "w",
            format="webm",
            # live: write each cluster whole when it closes (no seeking back). The muxer starts a
            # cluster at each video keyframe; the time and size limits are set far beyond a
            # segment (live mode's default size limit is 32 KiB) so that only a keyframe cuts one.
            options={
                "live": "1",
                "cluster_time_limit": str(int(SEGMENT_SECONDS * 5000)),
                "cluster_size_limit": "16000000",
            },
        )
        self._a = self._out.add_stream("libopus", rate=48000)
        self._a.layout = "mono"
        self._v = self._out.add_stream("libvpx", rate=30)
        self._v.width, self._v.height = 640, 360
        self._a.time_base = self._v.time_base = MS

    # what the channels hand over -------------------------------------------------------------

    def audio(self, packet: Any, wall_ms: int) -> None:
        self._mux(self._a, "audio", packet, wall_ms)

    def video(self, packet: Any, wall_ms: int) -> None:
        self._mux(self._v, "video", packet, wall_ms)

    def _mux(self, stream: Any, kind: str, packet: Any, wall_ms: int) -> None:
        if self._closed or packet.pts is None or packet.time_base is None:
            return
        if kind == "video" and self._base is None and not packet.is_keyframe:
            return  # a stream starts on a keyframe
        seconds = float(packet.pts * packet.time_base)
        if self._base is None:
            self._base, self._wall_zero = seconds, wall_ms
        ms = max(round((seconds - self._base) * 1000), self._last[kind] + 1, 0)
        self._last[kind] = ms
        self._wall_now = wall_ms
        copy = av.Packet(bytes(packet))
        copy.pts = copy.dts = ms
        copy.time_base = MS
        copy.stream = stream
        if kind == "video" and packet.is_keyframe:
            copy.is_keyframe = True
        try:
            self._out.mux(copy)
        except av.error.FFmpegError as e:  # one bad packet must not end the channel's stream
            log.warning("http stream: a %s packet was not muxed: %r", kind, e)

    def _written(self, data: bytes) -> None:
        if not data.startswith(CLUSTER_ID):
            if self.init is None:
                self._header.append(data)
            return
        if self.init is None:
            self.init = b"".join(self._header)
        media_ms = cluster_timestamp(data)
        if media_ms is None:
            log.warning("http stream: a cluster without a timestamp was dropped")
            return
        wall = (self._wall_zero or 0) + media_ms
        if self.segments:
            last = self.segments[-1]
            self.segments[-1] = Segment(last.n, last.data, last.media_ms, last.wall_ms, media_ms - last.media_ms)
        self.made += 1
        self.segments.append(Segment(self.made, data, media_ms, wall, max(self._wall_now - wall, 0)))

    # what readers ask ------------------------------------------------------------------------

    def segment(self, n: int) -> Segment | None:
        for s in self.segments:
            if s.n == n:
                return s
        return None

    def index(self, now_ms: int) -> dict[str, Any]:
        """The live index: the init segment's and every kept segment's name, with the times a
        player needs to start near the live edge and show how far behind it is."""
        return {
            "generation": self.generation,
            "mime": MIME,
            "init": f"{self.generation}-init.webm" if self.init is not None else None,
            "segments": [
                {
                    "n": s.n,
                    "url": f"{self.generation}-{s.n}.webm",
                    "media_ms": s.media_ms,
                    "wall_ms": s.wall_ms,
                    "duration_ms": s.duration_ms,
                }
                for s in self.segments
            ],
            "target_ms": int(SEGMENT_SECONDS * 1000),
            "now_ms": now_ms,
        }

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._out.close()
        except Exception:  # a muxer that never got a packet cannot write a trailer: nothing to keep
            log.debug("http stream muxer closed without a trailer", exc_info=True)


class _Feed:
    """A subscriber of one room's channels (duck-typed as the PacketTrack the channels feed):
    audio from the language channel, video from the floor, both into one muxer."""

    def __init__(self, kind: str, muxer: StreamMuxer, wake: Callable[[], None]) -> None:
        self.kind, self.muxer, self.wake = kind, muxer, wake
        self.request_keyframe: Callable[[], None] = lambda: None  # set by VideoChannel.subscribe

    def push(self, packet: Any, wire: Any = None) -> None:
        made = self.muxer.made
        wall = int(time.time() * 1000)
        (self.muxer.audio if self.kind == "audio" else self.muxer.video)(packet, wall)
        if self.muxer.made != made:
            self.wake()


@dataclass
class _Live:
    room: Any
    channel: str
    muxer: StreamMuxer
    audio: _Feed
    video: _Feed
    changed: asyncio.Event
    last_asked: float
    keyframes: asyncio.Task[Any] | None = None


class HttpStreams:
    """The HTTP streams of this process: one muxer per (assembly, channel) somebody is watching.

    ``room_of(assembly_id)`` gives the assembly's media room (opening it if needed: the MediaHub's
    ``room``); ``release(room)`` closes a room that only HTTP viewers kept open."""

    def __init__(self, room_of: Callable[[str], Any], release: Callable[[Any], Any]) -> None:
        self.room_of, self.release = room_of, release
        self.live: dict[tuple[str, str], _Live] = {}
        self._sweeper: asyncio.Task[Any] | None = None

    def channel_names(self, assembly_id: str) -> list[str]:
        return list(self.room_of(assembly_id).audio)

    def get(self, assembly_id: str, channel: str) -> _Live:
        """The channel's muxer, attached now if nobody watched it (or its room was closed since)."""
        room = self.room_of(assembly_id)
        key = (assembly_id, channel)
        live = self.live.get(key)
        if live is not None and live.room is room:
            live.last_asked = time.monotonic()
            return live
        if live is not None:
            self._detach(key, live)
        if channel not in room.audio:
            raise KeyError(channel)
        muxer = StreamMuxer()
        changed = asyncio.Event()

        def wake() -> None:
            changed.set()

        live = _Live(room, channel, muxer, _Feed("audio", muxer, wake), _Feed("video", muxer, wake), changed,
                     time.monotonic())  # fmt: skip
        room.audio[channel].subscribe(live.audio)
        room.video.subscribe(live.video)
        live.keyframes = asyncio.create_task(self._keyframes(live), name=f"mayday-http-keyframes-{assembly_id}")
        self.live[key] = live
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="mayday-http-streams")
        return live

    async def wait_after(self, live: _Live, n: int) -> None:
        """Until the muxer has a segment past ``n`` (the caller bounds the wait)."""
        while live.muxer.made <= n and live.muxer is self._current(live):
            live.changed.clear()
            await live.changed.wait()

    def _current(self, live: _Live) -> StreamMuxer | None:
        return live.muxer if self.live.get((live.room.assembly_id, live.channel)) is live else None

    async def _keyframes(self, live: _Live) -> None:
        """A keyframe each segment: the muxer cuts a segment at the first keyframe past its limit."""
        while True:
            live.video.request_keyframe()
            await asyncio.sleep(SEGMENT_SECONDS)

    async def _sweep(self) -> None:
        while self.live:
            await asyncio.sleep(IDLE_SECONDS / 3)
            now = time.monotonic()
            for key, live in list(self.live.items()):
                if now - live.last_asked > IDLE_SECONDS:
                    self._detach(key, live)
                    if not any(other.room is live.room for other in self.live.values()):
                        await self.release(live.room)

    def _detach(self, key: tuple[str, str], live: _Live) -> None:
        self.live.pop(key, None)
        if live.keyframes is not None:
            live.keyframes.cancel()
        channel = live.room.audio.get(live.channel)
        if channel is not None:
            channel.unsubscribe(live.audio)
        live.room.video.unsubscribe(live.video)
        live.muxer.close()
        live.changed.set()

    async def close(self) -> None:
        for key, live in list(self.live.items()):
            self._detach(key, live)
        if self._sweeper is not None:
            self._sweeper.cancel()


__all__ = ["FLOOR", "MIME", "HttpStreams", "Segment", "StreamMuxer", "cluster_timestamp"]
