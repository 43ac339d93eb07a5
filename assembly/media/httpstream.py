"""A language channel with the floor's picture as a stream any HTTP cache can carry (issue 13 §2).

The packets the channels already encoded (Opus audio, VP8 video: channels.py) are muxed into WebM
with PyAV -- never decoded, never encoded again -- one track per stream: each channel's audio,
and the floor's video once for every channel of the room. Each is cut into an init segment (the
WebM header and track) and short media segments, one Matroska cluster each: a cluster closes
every ``PART_SECONDS`` for audio, at every keyframe for video (which this subscriber asks the
encoder for every ``KEY_SECONDS``). A player starts at the newest video segment and the audio
segment that covers its start, then appends every segment after them as the blocking index says
they exist: it plays a keyframe interval and a little behind the WebRTC floor. A browser plays
them with Media Source Extensions (static/watch-http.js: one SourceBuffer for
``audio/webm; codecs="opus"``, one for ``video/webm; codecs="vp8"``); no player library is
needed, and a player that wants sound alone can fetch the audio alone.

Every segment has a number and never changes once made, so its URL can be cached for ever by any
HTTP cache or CDN; only the small live index (``index``) changes, and a client waiting for the
next segment is answered as soon as it exists (a blocking request, as LL-HLS's blocking playlist
reload).

``StreamMuxer`` is one track's muxer and segment ring (no event loop, no clock of its own: wall
times come in as arguments); ``HttpStreams`` is the shell that attaches muxers to a room's
channels, wakes waiting requests, and lets go of what nobody has asked for in a while.
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

from assembly.interpretation import FLOOR

log = logging.getLogger("mayday.media")

KEY_SECONDS = 2.0  # a keyframe is asked for this often: where a player may start
PART_SECONDS = 0.5  # a segment (cluster) closes this often, and at every keyframe
KEEP_SEGMENTS = 60  # about 30 s of each channel kept for late or slow viewers (and caches)
IDLE_SECONDS = 30.0  # a channel nobody asked for in this long is no longer muxed
AUDIO_MIME, VIDEO_MIME = 'audio/webm; codecs="opus"', 'video/webm; codecs="vp8"'
MS = fractions.Fraction(1, 1000)  # Matroska's default timestamp scale
CLUSTER_ID = b"\x1f\x43\xb6\x75"
TIMESTAMP_ID = 0xE7
SIMPLE_BLOCK_ID, BLOCK_GROUP_ID, BLOCK_ID, REFERENCE_BLOCK_ID = 0xA3, 0xA0, 0xA1, 0xFB


@dataclass(frozen=True)
class Segment:
    n: int  # 1, 2, ... within its generation
    data: bytes
    media_ms: int  # its first timestamp, on the stream's timeline (what the player's currentTime says x 1000)
    wall_ms: int  # when that instant was live (Unix ms): for the latency a viewer sees
    duration_ms: int  # up to the next segment's start (the last one: so far)
    key: bool = False  # its first video frame is a keyframe: a player may start here


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


def cluster_info(cluster: bytes, track: int = 1) -> tuple[int, bool] | None:
    """(the cluster's timestamp in ms, whether its first block of ``track`` is a keyframe), or
    None when it is not a cluster with a timestamp first."""
    if not cluster.startswith(CLUSTER_ID) or len(cluster) < 6:
        return None
    pos = 4 + _vint_length(cluster[4])  # the cluster's size (live mode: "unknown", 8 bytes)
    if pos + 2 > len(cluster) or cluster[pos] != TIMESTAMP_ID:
        return None
    timestamp, pos = _body(cluster, pos + 1)
    key = False
    while pos < len(cluster):  # its children: SimpleBlocks (and BlockGroups), one byte ids
        kind = cluster[pos]
        body, end = _body(cluster, pos + 1)
        if kind == BLOCK_GROUP_ID:  # a Block, and a ReferenceBlock (0xFB) unless it is a keyframe
            block_track, referenced, at = None, False, 0
            while at < len(body):
                child = body[at]
                inner, at = _body(body, at + 1)
                if child == BLOCK_ID and inner:
                    block_track = _read_vint(inner, 0)[0]
                referenced = referenced or child == REFERENCE_BLOCK_ID
            if block_track == track:
                key = not referenced
                break
        elif kind == SIMPLE_BLOCK_ID and body:
            block_track, at = _read_vint(body, 0)
            if block_track == track:
                key = len(body) > at + 2 and bool(body[at + 2] & 0x80)  # after the 2-byte timecode
                break
        pos = end
    return int.from_bytes(timestamp, "big"), key


def _body(data: bytes, pos: int) -> tuple[bytes, int]:
    """The body of the element whose size starts at ``pos``, and where the next element starts."""
    size, start = _read_vint(data, pos)
    return data[start : start + size], start + size


def _read_vint(data: bytes, pos: int) -> tuple[int, int]:
    """An EBML variable-size integer at ``pos`` (its marker bit removed), and where it ends."""
    n = _vint_length(data[pos])
    value = data[pos] & (0xFF >> n)
    for b in data[pos + 1 : pos + n]:
        value = (value << 8) | b
    return value, pos + n


def _vint_length(first: int) -> int:
    for i in range(8):
        if first & (0x80 >> i):
            return i + 1
    raise ValueError("not an EBML variable-size integer")


class Timeline:
    """The zero all of one room's muxers share, so that a channel's audio and the floor's video
    line up: the channels' clocks (seconds) and the wall clock (Unix ms) at that instant."""

    def __init__(self) -> None:
        self.base: float | None = None
        self.wall_zero = 0

    def ms(self, seconds: float, wall_ms: int) -> int:
        if self.base is None:
            self.base, self.wall_zero = seconds, wall_ms
        return round((seconds - self.base) * 1000)


class StreamMuxer:
    """One track's WebM muxer (a channel's audio, or the floor's video) and the ring of its last
    segments.

    One track per container: Chromium refuses a WebM whose blocks go back in time across tracks,
    and FFmpeg's muxer orders audio and video by their timestamps before it adds the Opus codec
    delay to the audio's, so a shared container would be refused a few times a second. A player
    appends each to its own SourceBuffer on one MediaSource.

    The packets handed over are the channels' own (never changed: each is copied into a packet
    of this container); timestamps are ms on the room's ``Timeline``.
    """

    def __init__(self, kind: str, timeline: Timeline | None = None, *, keep: int = KEEP_SEGMENTS) -> None:
        self.kind = kind
        self.timeline = timeline or Timeline()
        self.generation = secrets.token_hex(4)
        self.keep = keep
        self.init: bytes | None = None
        self.segments: collections.deque[Segment] = collections.deque(maxlen=keep)
        self.made = 0
        self._header: list[bytes] = []
        self._last = -1
        self._wall_now = 0
        self._closed = False
        # live: write each cluster whole when it closes (no seeking back). Audio: a cluster every
        # PART_SECONDS. Video: a cluster at each keyframe and only there (dash), so that every
        # video segment can start a stream (FFmpeg's plain live mode cuts at a keyframe only past
        # 4 KiB, which a slate's tiny frames never reach). The size limit is far beyond a part.
        options = {"live": "1", "cluster_size_limit": "16000000"}
        options |= {"cluster_time_limit": str(int(PART_SECONDS * 1000))} if kind == "audio" else {"dash": "1"}
        import av  # here, not at the top: the app imports this module, and PyAV costs a restart time

        self._packet, self._ffmpeg_error = av.Packet, av.error.FFmpegError
        self._out = av.open(_Sink(self._written), "w", format="webm", options=options)
        if kind == "audio":
            self._stream = self._out.add_stream("libopus", rate=48000)
            self._stream.layout = "mono"
        else:
            # Each picture lasts a second unless the next comes sooner: with no camera the floor
            # is a slate a second, and a shorter default would leave holes a browser stops at.
            self._stream = self._out.add_stream("libvpx", rate=1)
            self._stream.width, self._stream.height = 640, 360
        self._stream.time_base = MS

    @property
    def mime(self) -> str:
        return AUDIO_MIME if self.kind == "audio" else VIDEO_MIME

    def push(self, packet: Any, wall_ms: int) -> None:
        """Mux one of the channel's packets (a video stream starts on a keyframe)."""
        if self._closed or packet.pts is None or packet.time_base is None:
            return
        if self.kind == "video" and self._last < 0 and not packet.is_keyframe:
            return
        ms = max(self.timeline.ms(float(packet.pts * packet.time_base), wall_ms), self._last + 1, 0)
        self._last = ms
        self._wall_now = wall_ms
        copy = self._packet(bytes(packet))
        copy.pts = copy.dts = ms
        copy.time_base = MS
        copy.stream = self._stream
        if packet.is_keyframe:
            copy.is_keyframe = True
        try:
            self._out.mux(copy)
        except self._ffmpeg_error as e:  # one bad packet must not end the channel's stream
            log.warning("http stream: a %s packet was not muxed: %r", self.kind, e)

    def _written(self, data: bytes) -> None:
        if not data.startswith(CLUSTER_ID):
            if self.init is None:
                self._header.append(data)
            return
        if self.init is None:
            self.init = b"".join(self._header)
        info = cluster_info(data, 1)
        if info is None:
            log.warning("http stream: a cluster without a timestamp was dropped")
            return
        media_ms, key = info
        key = key or self.kind == "audio"  # every audio part can start a stream
        wall = self.timeline.wall_zero + media_ms
        if self.segments:
            last = self.segments[-1]
            self.segments[-1] = Segment(
                last.n, last.data, last.media_ms, last.wall_ms, media_ms - last.media_ms, last.key
            )
        self.made += 1
        self.segments.append(Segment(self.made, data, media_ms, wall, max(self._wall_now - wall, 0), key))

    # what readers ask ------------------------------------------------------------------------

    def segment(self, n: int) -> Segment | None:
        for s in self.segments:
            if s.n == n:
                return s
        return None

    def index(self) -> dict[str, Any]:
        """This track's part of the live index: its init segment's and every kept segment's name,
        with the times a player needs to start near the live edge and say how far behind it is."""
        return {
            "generation": self.generation,
            "mime": self.mime,
            "init": f"{self.generation}-init.webm" if self.init is not None else None,
            "segments": [
                {
                    "n": s.n,
                    "url": f"{self.generation}-{s.n}.webm",
                    "media_ms": s.media_ms,
                    "wall_ms": s.wall_ms,
                    "duration_ms": s.duration_ms,
                    "key": s.key,
                }
                for s in self.segments
            ],
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
    """A subscriber of a room's channel (duck-typed as the PacketTrack the channels feed)."""

    def __init__(self, muxer: StreamMuxer, wake: Callable[[], None]) -> None:
        self.muxer, self.wake = muxer, wake
        self.request_keyframe: Callable[[], None] = lambda: None  # set by VideoChannel.subscribe

    def push(self, packet: Any, wire: Any = None) -> None:
        made = self.muxer.made
        self.muxer.push(packet, int(time.time() * 1000))
        if self.muxer.made != made:
            self.wake()


class _Track:
    """One muxer attached to one channel of a room, and when a reader last asked for it."""

    def __init__(self, room: Any, channel: Any, kind: str, timeline: Timeline, changed: asyncio.Event) -> None:
        self.room, self.channel = room, channel
        self.muxer = StreamMuxer(kind, timeline)
        self.feed = _Feed(self.muxer, changed.set)
        self.last_asked = time.monotonic()
        channel.subscribe(self.feed)

    def detach(self) -> None:
        self.channel.unsubscribe(self.feed)
        self.muxer.close()


class _Room:
    """A room's HTTP streams: the floor's video (one muxer for every channel) and the audio of
    each channel someone watches, on one timeline; a keyframe asked for every KEY_SECONDS."""

    def __init__(self, room: Any) -> None:
        self.room = room
        self.timeline = Timeline()
        self.changed = asyncio.Event()
        self.audio: dict[str, _Track] = {}
        self.video = _Track(room, room.video, "video", self.timeline, self.changed)
        self.keyframes = asyncio.create_task(self._keyframes(), name=f"mayday-http-keyframes-{room.assembly_id}")

    async def _keyframes(self) -> None:
        while True:
            self.video.feed.request_keyframe()
            await asyncio.sleep(KEY_SECONDS)

    def audio_of(self, name: str) -> _Track:
        track = self.audio.get(name)
        if track is None:
            track = self.audio[name] = _Track(self.room, self.room.audio[name], "audio", self.timeline, self.changed)
        track.last_asked = self.video.last_asked = time.monotonic()
        return track

    def close(self) -> None:
        self.keyframes.cancel()
        for track in [*self.audio.values(), self.video]:
            track.detach()
        self.audio.clear()
        self.changed.set()


class HttpStreams:
    """The HTTP streams of this process, per media room somebody watches over HTTP.

    ``room_of(assembly_id)`` gives the assembly's media room (opening it if needed: the MediaHub's
    ``room``); ``release(room)`` closes a room that only HTTP viewers kept open."""

    def __init__(self, room_of: Callable[[str], Any], release: Callable[[Any], Any]) -> None:
        self.room_of, self.release = room_of, release
        self.rooms: dict[str, _Room] = {}
        self._sweeper: asyncio.Task[Any] | None = None

    def get(self, assembly_id: str, channel: str) -> tuple[_Room, _Track]:
        """The room's streams and the channel's audio, attached now if nobody watched them (or
        the media room was closed and opened again since)."""
        room = self.room_of(assembly_id)
        if channel not in room.audio:
            raise KeyError(channel)
        streams = self.rooms.get(assembly_id)
        if streams is not None and streams.room is not room:
            streams.close()
            streams = None
        if streams is None:
            streams = self.rooms[assembly_id] = _Room(room)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="mayday-http-streams")
        return streams, streams.audio_of(channel)

    def index(self, streams: _Room, audio: _Track, now_ms: int) -> dict[str, Any]:
        """The live index of one channel: its audio and the floor's video."""
        return {
            "audio": audio.muxer.index(),
            "video": streams.video.muxer.index(),
            "target_ms": int(PART_SECONDS * 1000),
            "key_ms": int(KEY_SECONDS * 1000),
            "now_ms": now_ms,
        }

    @staticmethod
    def find(streams: _Room, audio: _Track, generation: str) -> StreamMuxer | None:
        for muxer in (audio.muxer, streams.video.muxer):
            if muxer.generation == generation:
                return muxer
        return None

    async def wait_after(self, streams: _Room, audio: _Track, n: int) -> None:
        """Until the channel's audio has a part past ``n`` (the caller bounds the wait)."""
        while audio.muxer.made <= n and self.rooms.get(streams.room.assembly_id) is streams:
            streams.changed.clear()
            await streams.changed.wait()

    async def _sweep(self) -> None:
        while self.rooms:
            await asyncio.sleep(IDLE_SECONDS / 3)
            now = time.monotonic()
            for assembly_id, streams in list(self.rooms.items()):
                for name, track in list(streams.audio.items()):
                    if now - track.last_asked > IDLE_SECONDS:
                        track.detach()
                        del streams.audio[name]
                if not streams.audio:
                    streams.close()
                    del self.rooms[assembly_id]
                    await self.release(streams.room)

    async def close(self) -> None:
        for streams in self.rooms.values():
            streams.close()
        self.rooms.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()


__all__ = ["AUDIO_MIME", "FLOOR", "VIDEO_MIME", "HttpStreams", "Segment", "StreamMuxer", "Timeline", "cluster_info"]
