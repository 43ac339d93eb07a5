"""What the hub takes from publishers: audio re-chunked to 20 ms mono, and the latest video frame.

aiortc decodes each received track in its own thread into an unbounded queue, so every track the
hub accepts is read continuously by one task (see room.py); these buffers are what it reads into.
Both are bounded: audio keeps a few chunks (latency stays low and a drifting sender clock cannot
grow it), video keeps only the newest frame.
"""

from __future__ import annotations

import collections

import av
import numpy as np

from assembly.media.mixer import CHUNK, RATE

AUDIO_KEEP = 10  # chunks buffered at most (200 ms)
AUDIO_LAG = 3  # chunks: beyond this the oldest are dropped when mixing, to bound latency
AUDIO_PRIME = 2  # chunks buffered before a source plays again after running dry (absorbs jitter)


class AudioSource:
    def __init__(self) -> None:
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE, frame_size=CHUNK)
        self.chunks: collections.deque[np.ndarray] = collections.deque(maxlen=AUDIO_KEEP)
        self.frames = 0
        self.playing = False
        self.underruns = 0

    def feed(self, frame: av.AudioFrame) -> None:
        self.frames += 1
        for out in self.resampler.resample(frame):
            self.chunks.append(out.to_ndarray().reshape(-1))

    def put(self, chunk: np.ndarray) -> None:
        """A 20 ms chunk decoded elsewhere (a voice an edge forwards to the origin)."""
        self.frames += 1
        self.chunks.append(chunk)

    def drain(self) -> list[np.ndarray]:
        """Everything buffered, at once (an edge forwards a voice as it comes; the origin's own
        ``take`` paces it)."""
        chunks = list(self.chunks)
        self.chunks.clear()
        return chunks

    def take(self) -> np.ndarray | None:
        """The next chunk, or None. After running dry a source waits for AUDIO_PRIME chunks, so
        a network hiccup costs one short gap rather than a gap every other chunk."""
        if not self.playing:
            if len(self.chunks) < AUDIO_PRIME:
                return None
            self.playing = True
        while len(self.chunks) > AUDIO_LAG:
            self.chunks.popleft()
        if not self.chunks:
            self.playing = False
            self.underruns += 1
            return None
        return self.chunks.popleft()

    def reset(self) -> None:
        self.chunks.clear()
        self.playing = False


class RemoteCamera:
    """A camera whose connection reached an edge: the edge encodes it (VP8) and forwards it up,
    the origin decodes it here into a VideoSource. Nothing is decoded before a keyframe (``feed``
    says so, and the origin asks the edge for one)."""

    def __init__(self) -> None:
        self.source = VideoSource()
        self.codec: av.CodecContext | None = None

    def feed(self, payload: bytes, keyframe: bool) -> bool:
        """Decode one frame; False if a keyframe is needed first (or this one did not decode)."""
        if keyframe:
            self.codec = av.CodecContext.create("vp8", "r")
        if self.codec is None:
            return False
        try:
            frames = self.codec.decode(av.Packet(payload))
        except av.error.FFmpegError:
            self.codec = None
            return False
        for frame in frames:
            self.source.feed(frame)
        return True


class VideoSource:
    def __init__(self) -> None:
        self.latest: av.VideoFrame | None = None
        self.frames = 0

    def feed(self, frame: av.VideoFrame) -> None:
        self.frames += 1
        self.latest = frame

    def take(self) -> av.VideoFrame | None:
        frame, self.latest = self.latest, None
        return frame

    def reset(self) -> None:
        self.latest = None
