"""Real aiortc peers for the livestream tests and the benchmark: a tone generator that speaks, and
a client that joins an assembly's media over its WebSocket exactly as a page does."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

RATE = 48000


class ToneTrack(MediaStreamTrack):
    """A sine at ``freq`` Hz, 20 ms frames on absolute deadlines, as a microphone would send."""

    kind = "audio"

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq, self._pts, self._start = freq, 0, None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        t = (np.arange(960) + self._pts) / RATE
        samples = (0.3 * 32767 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self._pts, fractions.Fraction(1, RATE)
        self._pts += 960
        return frame


def dominant(samples: np.ndarray) -> tuple[float, float]:
    """(frequency of the strongest peak in Hz, RMS) of mono 48 kHz samples."""
    if len(samples) < 4800:
        return 0.0, 0.0
    x = samples[-48000:].astype(np.float64)
    rms = float(np.sqrt(np.mean(x**2)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(freqs[int(np.argmax(spectrum[1:])) + 1]), rms


@dataclass
class Listener:
    """Collects a received audio track as mono samples (decoding, for frequency checks)."""

    track: MediaStreamTrack
    samples: list[np.ndarray] = field(default_factory=list)
    pts: list[int] = field(default_factory=list)
    task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                return
            self.pts.append(frame.pts)
            if isinstance(frame, av.AudioFrame):
                data = frame.to_ndarray().reshape(-1, len(frame.layout.channels))
                self.samples.append(data[:, 0].copy())

    def reset(self) -> None:
        self.samples.clear()

    def rms_per_frame(self) -> list[float]:
        return [float(np.sqrt(np.mean(s.astype(np.float64) ** 2))) for s in self.samples]

    def heard(self) -> tuple[float, float]:
        return dominant(np.concatenate(self.samples)) if self.samples else (0.0, 0.0)

    async def wait_for(self, freq: float | None, timeout: float = 8.0, window: float = 0.6) -> tuple[float, float]:
        """Wait until the last ``window`` seconds are mostly ``freq`` (None: silence)."""
        deadline = time.monotonic() + timeout
        last = (0.0, 0.0)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            n = int(window * RATE)
            if sum(len(s) for s in self.samples) < n:
                continue
            recent = np.concatenate(self.samples)[-n:]
            last = dominant(recent) if len(recent) >= 4800 else (0.0, 0.0)
            rms = float(np.sqrt(np.mean(recent.astype(np.float64) ** 2)))
            if freq is None and rms < 100:
                return 0.0, rms
            if freq is not None and rms > 500 and abs(last[0] - freq) < 15:
                return last
        raise AssertionError(f"wanted {freq} Hz, last heard {last}")


class MediaClient:
    """One participant: the assembly WebSocket plus one RTCPeerConnection to the hub."""

    def __init__(self, ws_url: str, token: str | None) -> None:
        self.ws_url, self.token = ws_url, token
        self.conn: Any = None
        self.pc: RTCPeerConnection | None = None
        self.frames: asyncio.Queue[dict] = asyncio.Queue()
        self.reader: asyncio.Task | None = None
        self.offer: dict | None = None
        self.next_id = 0
        self.unmatched: list[dict] = []  # frames that came while waiting for a reply

    async def open(self) -> dict:
        self.conn = await websockets.connect(self.ws_url, max_size=2**20)
        await self.conn.send(json.dumps({"type": "hello", "token": self.token, "after": 0}))
        welcome = json.loads(await asyncio.wait_for(self.conn.recv(), 5))
        self.reader = asyncio.create_task(self._read())
        return welcome

    async def _read(self) -> None:
        async for raw in self.conn:
            msg = json.loads(raw)
            if msg["type"] not in ("event", "events"):
                await self.frames.put(msg)

    async def request(self, frame: dict, want: str | tuple[str, ...], timeout: float = 10) -> dict:
        """Send a frame and return the reply of type ``want`` (or the error) for it."""
        self.next_id += 1
        frame = {"id": self.next_id, **frame}
        await self.conn.send(json.dumps(frame))
        wants = (want,) if isinstance(want, str) else want
        while True:
            msg = await asyncio.wait_for(self.frames.get(), timeout)
            if msg.get("id") == self.next_id and (msg["type"] in wants or msg["type"] == "error"):
                return msg
            self.unmatched.append(msg)

    async def next_frame(self, kind: str, timeout: float = 5) -> dict:
        """The next frame of this type, whether it already came or not."""
        for i, msg in enumerate(self.unmatched):
            if msg["type"] == kind:
                return self.unmatched.pop(i)
        while True:
            msg = await asyncio.wait_for(self.frames.get(), timeout)
            if msg["type"] == kind:
                return msg
            self.unmatched.append(msg)

    async def command(self, command: dict) -> dict:
        return await self.request({"type": "command", "command": command}, "ack")

    async def join(self, speak: MediaStreamTrack | None = None, channel: str | None = None, video: bool = True) -> dict:
        """media_join → answer (sending ``speak`` on the transceiver this role may send on)."""
        offer = await self.request({"type": "media_join", "channel": channel, "video": video}, "media_offer")
        if offer["type"] == "error":
            return offer
        self.offer = offer
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        if speak is not None:
            for slot, transceiver in zip(offer["layout"], self.pc.getTransceivers(), strict=True):
                if slot["kind"] == speak.kind and slot["send"]:
                    transceiver.sender.replaceTrack(speak)
                    transceiver.direction = "sendrecv"
                    break
            else:  # the role may not send: try anyway, as a hostile client would
                self.pc.getTransceivers()[0].sender.replaceTrack(speak)
                self.pc.getTransceivers()[0].direction = "sendrecv"
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return await self.request({"type": "media_answer", "sdp": self.pc.localDescription.sdp}, "media_ready")

    def track(self, index: int) -> MediaStreamTrack:
        assert self.pc is not None
        return self.pc.getTransceivers()[index].receiver.track

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
        if self.conn is not None:
            await self.conn.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
