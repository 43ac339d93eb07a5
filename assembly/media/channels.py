"""Outgoing channels: each is encoded once, and the same packets go to every subscriber.

The hub's own clock stamps every packet (audio: chunk number x 960 at 1/48000; video: elapsed
time at 1/90000); a source's timestamps are never copied out. A change of speaker, a booth
handover, or a listener moving between channels therefore never makes a subscriber's RTP
timeline jump back, and no sender is renegotiated or has its track replaced.

Every packet reaches the subscribers through ``deliver``, which places it on the channel's one
output timeline (``timeline.place``): a packet from this process's own encoder and one forwarded
from another process's (an edge forwarding its origin, docs/architecture.md "Deployment") are
handed out alike, and a change of origin never makes a subscriber's timeline jump back. A channel
that other processes want (``remote``) encodes even without local subscribers and hands each
packet to ``tap`` (the origin's publisher) as well.

``per_listener`` makes a channel hand raw frames to its subscribers instead, so that aiortc
encodes once per listener (its stock path). It exists only for the benchmark's comparison.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fractions
import logging
import time
from collections.abc import Callable, Mapping

import av
import numpy as np

from assembly.media.batch import Entry
from assembly.media.direct import Wire
from assembly.media.mixer import CHUNK, RATE, Mixer
from assembly.media.timeline import Timeline, place
from assembly.media.tracks import PacketTrack

log = logging.getLogger("mayday.media")

AUDIO_TIME_BASE = fractions.Fraction(1, RATE)
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_BITRATE = 48_000  # mono speech; Opus is transparent for voice well below this
VIDEO_BITRATE = 500_000
VIDEO_MAX_WIDTH = 640
KEYFRAME_GAP = 0.5  # seconds: keyframe requests (new subscribers, PLIs) closer than this are one
SLATE_EVERY = 1.0  # seconds between black frames while the floor has no camera

Tap = Callable[[Entry], None]


class AudioChannel:
    """One language channel (or the floor). Mixed every 20 ms tick; encoded once per packet.

    A packet carries ``packet_ticks`` chunks (60 ms by default). Per listener the hub's cost is per
    packet (RTP, SRTP, a datagram), not per byte, so longer packets carry a room three times the
    listeners for 40 ms more latency; Opus allows up to 120 ms and browsers take any of them."""

    def __init__(self, name: str, *, ramp: int = 5, per_listener: bool = False, packet_ticks: int = 3) -> None:
        self.name = name
        self.mixer = Mixer(ramp)
        self.subscribers: set[PacketTrack] = set()
        self.per_listener = per_listener
        self.packet_ticks = packet_ticks
        self.pending: list[np.ndarray] = []
        self.codec: av.AudioCodecContext | None = None
        self.encoded = 0
        self.source = 0  # the fencing token of this process while it is the origin (0: alone)
        self.remote = False  # other processes want this channel: encode it for them too
        self.tap: Tap | None = None
        self.timeline = Timeline()

    def subscribe(self, track: PacketTrack) -> None:
        self.subscribers.add(track)

    def unsubscribe(self, track: PacketTrack) -> None:
        self.subscribers.discard(track)

    def tick(self, chunks: Mapping[str, np.ndarray], n: int) -> None:
        """Mix chunk number ``n``; when a packet's worth is mixed and anyone listens, encode it
        once and hand the same packet to all."""
        pcm = self.mixer.mix(chunks)
        if not self.subscribers and not self.remote:
            self.pending.clear()
            return
        if self.per_listener:  # aiortc's stock path: every sender encodes 20 ms frames itself
            frame = _audio_frame(pcm, n * CHUNK)
            for track in self.subscribers:
                track.push(frame)
            return
        self.pending.append(pcm)
        if len(self.pending) < self.packet_ticks:
            return
        pts = (n + 1 - len(self.pending)) * CHUNK
        frame = _audio_frame(np.concatenate(self.pending), pts)
        self.pending.clear()
        for packet in self._encode(frame):
            payload = bytes(packet)
            if self.remote and self.tap is not None:
                self.tap(Entry(self.name, pts, payload))
            self.deliver(self.source, pts, payload, packet)

    def deliver(self, source: int, ts: int, payload: bytes, packet: av.Packet | None = None) -> None:
        """Hand one encoded packet to every subscriber, at its place on the channel's timeline
        (``ts`` is in Opus's 48 kHz RTP clock, on ``source``'s own timeline)."""
        if not self.subscribers:
            return
        self.timeline, out = place(self.timeline, source, ts, time.monotonic(), RATE, self.packet_ticks * CHUNK)
        if packet is None:
            packet = av.Packet(payload)
        packet.pts, packet.time_base = out, AUDIO_TIME_BASE
        wire = Wire(payload, out, ntp_now())
        for track in self.subscribers:
            track.push(packet, wire)

    def _encode(self, frame: av.AudioFrame) -> list[av.Packet]:
        if self.codec is None:
            codec = av.CodecContext.create("libopus", "w")
            codec.bit_rate = AUDIO_BITRATE
            codec.format = "s16"
            codec.layout = "mono"
            codec.sample_rate = RATE
            codec.time_base = AUDIO_TIME_BASE
            codec.options = {"application": "voip", "frame_duration": str(self.packet_ticks * 20)}
            self.codec = codec
        self.encoded += 1
        return list(self.codec.encode(frame))

    def close(self) -> None:
        self.subscribers.clear()
        self.codec = None


class VideoChannel:
    """The floor's picture: the current speaker's newest frame, encoded once (VP8) off the loop.

    One frame is in the encoder at a time; a frame that arrives meanwhile replaces the waiting one.
    Keyframes come when asked for (a new subscriber, a listener's PLI, a new speaker), at most one
    per KEYFRAME_GAP, since one encoder serves everyone and every receiver may ask."""

    def __init__(self, executor: concurrent.futures.Executor, *, per_listener: bool = False) -> None:
        self.executor = executor
        self.per_listener = per_listener
        self.subscribers: set[PacketTrack] = set()
        self.codec: av.VideoCodecContext | None = None
        self.size: tuple[int, int] | None = None
        self.busy = False
        self.want_keyframe = False
        self.last_keyframe = -1e9
        self.last_frame_at = -1e9
        self.start = time.monotonic()
        self.encoded = 0
        self.source = 0  # as AudioChannel's
        self.remote = False
        self.tap: Tap | None = None
        self.timeline = Timeline()
        # On an edge, keyframe requests go to the origin's encoder (the link coalesces them).
        self.upstream: Callable[[], None] | None = None

    def subscribe(self, track: PacketTrack) -> None:
        track.request_keyframe = self.request_keyframe
        self.subscribers.add(track)
        self.request_keyframe()

    def unsubscribe(self, track: PacketTrack) -> None:
        self.subscribers.discard(track)

    def request_keyframe(self) -> None:
        self.want_keyframe = True
        if self.upstream is not None:
            self.upstream()

    def expect_keyframe(self) -> None:
        """Packets were lost or the origin changed: every subscriber waits for the next keyframe
        (a decoder cannot continue on another encoder's, or a broken, chain of frames)."""
        for track in self.subscribers:
            track.clear()
        self.request_keyframe()

    def restart(self) -> None:
        """This process became the origin: its first frame is a keyframe from a fresh encoder."""
        self.codec = None
        self.want_keyframe = True
        self.last_keyframe = -1e9

    def offer(self, frame: av.VideoFrame | None) -> None:
        """Called on every tick with the floor's newest frame (None: nothing new)."""
        if not (self.subscribers or self.remote) or self.busy:
            return
        now = time.monotonic()
        if frame is None:
            if now - self.last_frame_at < SLATE_EVERY:
                return
            frame = _slate(self.size or (VIDEO_MAX_WIDTH, 360))
        self.last_frame_at = now
        key = self.want_keyframe and now - self.last_keyframe >= KEYFRAME_GAP
        if key:
            self.want_keyframe = False
            self.last_keyframe = now
        pts = int((now - self.start) * 90000)
        if self.per_listener:
            frame = _scaled(frame)
            frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
            for track in self.subscribers:
                track.push(frame)
            return
        self.busy = True
        future = asyncio.get_running_loop().run_in_executor(self.executor, self._encode, frame, key, pts)
        future.add_done_callback(lambda f: self._encoded(f, pts))

    def _encode(self, frame: av.VideoFrame, key: bool, pts: int) -> list[av.Packet]:
        """In the encoder thread: scale, (re)open the codec on a size change, encode."""
        frame = _scaled(frame)
        size = (frame.width, frame.height)
        if self.codec is None or size != self.size:
            self.codec, self.size = _vp8(size), size  # a new context starts with a keyframe
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        return list(self.codec.encode(frame))

    def _encoded(self, future: asyncio.Future[list[av.Packet]], pts: int) -> None:
        self.busy = False
        if future.cancelled():
            return
        if future.exception() is not None:  # the next frame gets a fresh try; say why this one failed
            log.warning("floor video frame not encoded: %r", future.exception())
            self.codec = None
            return
        for packet in future.result():
            self.encoded += 1
            payload = bytes(packet)
            if self.remote and self.tap is not None:
                self.tap(Entry("floor", pts, payload, video=True, keyframe=packet.is_keyframe))
            self.deliver(self.source, pts, payload, packet.is_keyframe, packet)

    def deliver(self, source: int, ts: int, payload: bytes, keyframe: bool, packet: av.Packet | None = None) -> None:
        """Hand one encoded frame to every subscriber, at its place on the channel's timeline
        (90 kHz, on ``source``'s own timeline)."""
        if not self.subscribers:
            return
        self.timeline, out = place(self.timeline, source, ts, time.monotonic(), 90000, 1)
        if packet is None:
            packet = av.Packet(payload)
            packet.is_keyframe = keyframe
        packet.pts, packet.time_base = out, VIDEO_TIME_BASE
        for track in self.subscribers:
            track.push(packet)

    def close(self) -> None:
        self.subscribers.clear()


NTP_OFFSET = 2208988800  # seconds from 1900 (NTP's epoch) to 1970


def ntp_now() -> int:
    """Now in NTP's 32.32 fixed point, as aiortc's clock.current_ntp_time (without datetime)."""
    return int((time.time() + NTP_OFFSET) * 4294967296)


def _audio_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = RATE, pts, AUDIO_TIME_BASE
    return frame


def _scaled(frame: av.VideoFrame) -> av.VideoFrame:
    width, height = frame.width, frame.height
    if width > VIDEO_MAX_WIDTH:
        width, height = VIDEO_MAX_WIDTH, round(height * VIDEO_MAX_WIDTH / width)
    width, height = width - width % 2, height - height % 2
    return frame.reformat(width=width, height=height, format="yuv420p")


_SLATES: dict[tuple[int, int], np.ndarray] = {}


def _slate(size: tuple[int, int]) -> av.VideoFrame:
    """A black frame: the floor has no picture (no speaker, or their camera is off)."""
    width, height = size
    planes = _SLATES.get(size)
    if planes is None:
        planes = _SLATES[size] = np.concatenate(
            [np.full(width * height, 16, np.uint8), np.full(width * height // 2, 128, np.uint8)]
        ).reshape(height * 3 // 2, width)
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def _vp8(size: tuple[int, int]) -> av.VideoCodecContext:
    """libvpx with aiortc's real-time settings (codecs/vpx.py), one thread, keyframes on request."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = size
    codec.bit_rate = VIDEO_BITRATE
    codec.pix_fmt = "yuv420p"
    codec.time_base = VIDEO_TIME_BASE
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        "bufsize": str(VIDEO_BITRATE),
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(VIDEO_BITRATE),
        "maxrate": str(VIDEO_BITRATE),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
    }
    codec.thread_count = 1
    return codec
