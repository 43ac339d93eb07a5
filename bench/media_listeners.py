"""The listeners ``media_bench.py`` starts: receive-only aiortc peers in one process, driven by
JSON lines on stdin, answering with JSON lines on stdout.

    python bench/media_listeners.py --ws ws://127.0.0.1:PORT/ws/assembly/ID --token VIEWER_TOKEN

Every listener is a ``tests/media_client.py`` ``MediaClient`` (the assembly WebSocket, ``hello``
with the viewer link token, ``media_join`` with a ``channel`` and ``video: false``, the answer,
``media_ready``), exactly as the watch page joins.

Most listeners are *light*: once their connection is up, RTP datagrams are taken off their ICE
socket in ``datagram_received`` and only counted -- arrival time and the 10 header bytes that hold
sequence number, timestamp and SSRC (SRTP leaves the RTP header in clear) -- without SRTP
authentication, jitter buffer or decoding. RTCP, STUN (consent checks) and DTLS still take aiortc's
normal path. The first ``--decoders`` listeners are *full* aiortc receivers: the same counting,
then every packet goes on through SRTP, the jitter buffer and the Opus decoder, and the decoded
floor and channel audio are checked by their dominant frequency (``media_client.dominant``).

Commands (one JSON object per line; each is answered by one line):

* ``{"cmd": "add", "n": 50, "channels": ["fr", "es"]}`` -- join ``n`` more listeners (round-robin
  over the channels, ``--concurrency`` joins at a time); answer ``{"added", "failed", "total", "s"}``.
* ``{"cmd": "start"}`` -- forget everything counted so far and start counting (the window).
* ``{"cmd": "stop"}`` -- stop counting; answer the window's figures (see ``summarize``).
* ``{"cmd": "quit"}`` -- close every connection (bounded) and exit.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import aioice.ice
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from media_client import Listener, MediaClient  # noqa: E402

FRAME_TS = 960  # RTP timestamp units of a 20 ms Opus frame at 48 kHz (a packet may carry several)
CLOCK = 48000
STREAMS = 2  # audio streams per listener: the floor and one language channel
GRACE = 1.0  # seconds of counting after the window, for packets sent in it but still in flight
CONNECT_TIMEOUT = 20.0  # seconds from media_ready to an established ICE + DTLS connection
HEADER = np.dtype([("seq", ">u2"), ("ts", ">u4"), ("ssrc", ">u4")])


def loopback_only() -> None:
    """aioice skips loopback when it gathers host candidates; the benchmark uses nothing else."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # type: ignore[assignment]


class Recorder:
    """Arrival times and RTP header bytes of one listener's packets, while ``on``."""

    __slots__ = ("heads", "on", "times")

    def __init__(self) -> None:
        self.on = False
        self.times = array.array("d")
        self.heads = bytearray()

    def reset(self) -> None:
        self.times = array.array("d")
        self.heads = bytearray()


def hook(protocol: Any, rec: Recorder, full: bool) -> None:
    """Count RTP at the ICE socket. Light listeners drop it there; full ones pass it on."""
    original = protocol.datagram_received
    now = time.monotonic

    def datagram_received(data: bytes, addr: Any) -> None:
        # RTP: version 2 (first byte 128-191) and not an RTCP packet type (second byte 192-208).
        if 127 < data[0] < 192 and not 191 < data[1] < 209 and len(data) >= 12:
            if rec.on:
                rec.times.append(now())
                rec.heads += data[2:12]
            if not full:
                return
        original(data, addr)

    protocol.datagram_received = datagram_received


class Peer:
    def __init__(self, index: int, client: MediaClient, channel: str, full: bool) -> None:
        self.index, self.client, self.channel, self.full = index, client, channel, full
        self.rec = Recorder()
        self.floor: Listener | None = None
        self.lang: Listener | None = None


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.peers: list[Peer] = []
        self.started_at = 0.0
        self.stopped_at = 0.0
        self.lag: list[float] = []
        self.lag_task: asyncio.Task[None] | None = None

    async def _lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            at = loop.time()
            await asyncio.sleep(0.01)
            self.lag.append(loop.time() - at - 0.01)

    async def join_one(self, index: int, channel: str) -> Peer:
        full = index < self.args.decoders
        client = MediaClient(self.args.ws, self.args.token)
        peer = Peer(index, client, channel, full)
        try:
            await client.open()
            ready = await client.join(channel=channel, video=False)
            if ready.get("type") != "media_ready":
                raise RuntimeError(f"join refused: {ready}")
            pc = client.pc
            assert pc is not None
            if not full:
                for transceiver in pc.getTransceivers():
                    transceiver.receiver._enabled = False  # until the hook takes over: nothing decoded
            deadline = time.monotonic() + CONNECT_TIMEOUT
            while pc.connectionState != "connected":
                if pc.connectionState in ("failed", "closed") or time.monotonic() > deadline:
                    raise RuntimeError(f"connection {pc.connectionState}")
                await asyncio.sleep(0.05)
            seen: set[int] = set()
            for transceiver in pc.getTransceivers():
                ice = transceiver.receiver.transport.transport
                if id(ice) in seen:
                    continue
                seen.add(id(ice))
                for pair in ice._connection._nominated.values():
                    hook(pair.protocol, peer.rec, full)
            if full:
                peer.floor, peer.lang = Listener(client.track(0)), Listener(client.track(1))
                peer.floor.start()
                peer.lang.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5)
            raise
        return peer

    async def add(self, n: int, channels: list[str]) -> dict[str, Any]:
        start = time.monotonic()
        sem = asyncio.Semaphore(self.args.concurrency)
        errors: list[str] = []
        first = len(self.peers)

        async def one(i: int) -> None:
            async with sem:
                for attempt in range(2):
                    try:
                        self.peers.append(await self.join_one(i, channels[i % len(channels)]))
                        return
                    except Exception as e:  # one retry; then it counts as a failed join
                        if attempt == 1:
                            errors.append(f"{type(e).__name__}: {e}"[:200])

        await asyncio.gather(*(one(first + k) for k in range(n)))
        self.peers.sort(key=lambda p: p.index)
        return {
            "added": len(self.peers) - first,
            "failed": len(errors),
            "errors": errors[:5],
            "total": len(self.peers),
            "s": time.monotonic() - start,
        }

    def start(self) -> dict[str, Any]:
        for peer in self.peers:
            peer.rec.reset()
            peer.rec.on = True
            for listener in (peer.floor, peer.lang):
                if listener is not None:
                    listener.reset()
        self.lag = []
        self.started_at = time.monotonic()
        return {"started": len(self.peers)}

    async def stop(self) -> dict[str, Any]:
        """End the window; keep counting for GRACE seconds, so that packets the hub sent before
        the end but that arrive after it (a stall in flight) are not taken for lost."""
        self.stopped_at = time.monotonic()
        await asyncio.sleep(GRACE)
        for peer in self.peers:
            peer.rec.on = False
        return summarize(self)

    async def close(self) -> None:
        async def close_one(peer: Peer) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.client.close(), 5)

        sem = asyncio.Semaphore(50)

        async def bounded(peer: Peer) -> None:
            async with sem:
                await close_one(peer)

        await asyncio.gather(*(bounded(p) for p in self.peers))


def jitter_ms(arrival: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """RFC 3550 6.4.1 interarrival jitter, every running value J_i, in ms (48 kHz RTP clock)."""
    if len(ts) < 2:
        return np.zeros(0)
    d = np.abs(np.diff(arrival) * CLOCK - np.diff(ts))
    out = np.empty(len(d))
    j = 0.0
    for i, x in enumerate(d.tolist()):
        j += (x - j) / 16
        out[i] = j
    return out * 1000 / CLOCK


def unwrap(values: np.ndarray, bits: int) -> np.ndarray:
    """Undo 16/32-bit wrap-around of sequence numbers or timestamps (values in arrival order)."""
    if len(values) == 0:
        return values.astype(np.int64)
    mod = 1 << bits
    d = (np.diff(values.astype(np.int64)) + mod // 2) % mod - mod // 2
    return np.concatenate([[0], np.cumsum(d)]) + int(values[0])


def packet_step(ts: np.ndarray) -> int:
    """The RTP timestamp step between consecutive packets of a stream: 960 per 20 ms of audio."""
    diffs = np.diff(np.unique(ts))
    if len(diffs) == 0:
        return FRAME_TS
    values, counts = np.unique(diffs, return_counts=True)
    return max(1, int(values[np.argmax(counts)]))


def pct(values: np.ndarray, p: float) -> float:
    return float(np.percentile(values, p)) if len(values) else 0.0


def summarize(h: Harness) -> dict[str, Any]:
    """The window's figures, over every audio stream (one per listener and SSRC).

    A stream's window is a stretch of its RTP timeline: from the first packet that arrived in the
    window to the timestamp the hub's clock reached at the window's end (the hub stamps chunk n
    with n x 960 in real time, skipped ticks included), counted from every packet that arrived
    until GRACE seconds after the window.

    * ``seq_lost``: sequence-number gaps in that stretch (packets a sender numbered that never
      arrived: lost on the way).
    * ``frames_missing``: packets missing from the stretch's RTP timeline (a packet carries 20 ms
      of audio, or more if the hub packs several frames: the step is read from the stream), whether
      lost on the way or never sent (a skipped tick, a dropped queue entry, a stream that
      stopped): the share of audio a listener misses. A listener's stream that sent nothing in the
      window counts as missing all of it.
    * jitter: RFC 3550 per stream, every running value pooled; ``gap_max_ms``: the longest
      interval between two consecutive arrivals in a stream.
    """
    window = h.stopped_at - h.started_at
    steps: list[int] = []
    packets = seq_expected = seq_got = frames_expected = frames_got = 0
    streams = missing_streams = 0
    per_stream_loss: list[float] = []
    jitters: list[np.ndarray] = []
    gap_max = 0.0
    for peer in h.peers:
        times = np.frombuffer(peer.rec.times, dtype=np.float64)
        heads = np.frombuffer(bytes(peer.rec.heads), dtype=HEADER)
        seen = 0
        for ssrc in np.unique(heads["ssrc"]) if len(times) else ():
            sel = heads["ssrc"] == ssrc
            t, seq, ts = times[sel], unwrap(heads["seq"][sel], 16), unwrap(heads["ts"][sel], 32)
            if int((t <= h.stopped_at).sum()) < 10:  # a stray stream (a few packets of one that ended)
                continue
            seen += 1
            step = packet_step(ts)
            steps.append(step)
            ts0 = int(ts[0])
            end = ts0 + int(float(h.stopped_at - t[0]) * CLOCK / step) * step
            keep = (ts >= ts0) & (ts <= end)
            t, seq, ts = t[keep], seq[keep], ts[keep]
            packets += int((t <= h.stopped_at).sum())
            s_exp, s_got = int(seq.max() - seq.min() + 1), len(np.unique(seq))
            f_exp, f_got = (end - ts0) // step + 1, len(np.unique(ts))
            seq_expected += s_exp
            seq_got += s_got
            frames_expected += f_exp
            frames_got += f_got
            per_stream_loss.append(1 - f_got / f_exp)
            jitters.append(jitter_ms(t, ts))
            gap_max = max(gap_max, float(np.diff(t).max()) * 1000)
        streams += seen
        for _ in range(max(0, STREAMS - seen)):  # nothing arrived on it in the whole window
            missing_streams += 1
            frames_expected += int(window * CLOCK / (steps[-1] if steps else FRAME_TS))
            per_stream_loss.append(1.0)
    pooled = np.concatenate(jitters) if jitters else np.zeros(0)
    losses = np.array(per_stream_loss)
    heard = []
    for peer in h.peers:
        if peer.floor is not None and peer.lang is not None:
            f, fr = peer.floor.heard()
            c, cr = peer.lang.heard()
            heard.append({"channel": peer.channel, "floor_hz": f, "floor_rms": fr, "channel_hz": c, "channel_rms": cr})
    lag = np.array(h.lag) * 1000
    return {
        "window_s": window,
        "listeners": len(h.peers),
        "streams": streams,
        "missing_streams": missing_streams,
        "packets": packets,
        "packets_per_s": packets / window if window > 0 else 0.0,
        "seq_lost_pct": 100 * (1 - seq_got / seq_expected) if seq_expected else 0.0,
        "frames_missing_pct": 100 * (1 - frames_got / frames_expected) if frames_expected else 0.0,
        "packet_ms": 1000 * float(np.median(steps)) / CLOCK if steps else 0.0,
        "streams_over_1pct": int((losses > 0.01).sum()),
        "worst_stream_pct": 100 * float(losses.max()) if len(losses) else 0.0,
        "jitter_mean_ms": float(pooled.mean()) if len(pooled) else 0.0,
        "jitter_p99_ms": pct(pooled, 99),
        "jitter_max_ms": float(pooled.max()) if len(pooled) else 0.0,
        "gap_max_ms": gap_max,
        "heard": heard,
        "harness_lag_p99_ms": pct(lag, 99),
        "harness_lag_max_ms": float(lag.max()) if len(lag) else 0.0,
    }


async def serve(args: argparse.Namespace) -> None:
    loopback_only()
    harness = Harness(args)
    harness.lag_task = asyncio.create_task(harness._lag())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    answer({"ready": True, "pid": os.getpid()})
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            msg = json.loads(line)
            cmd = msg.get("cmd")
            if cmd == "add":
                answer(await harness.add(int(msg["n"]), list(msg["channels"])))
            elif cmd == "start":
                answer(harness.start())
            elif cmd == "stop":
                answer(await harness.stop())
            elif cmd == "quit":
                break
            else:
                answer({"error": f"unknown command {cmd!r}"})
    finally:
        harness.lag_task.cancel()
        await asyncio.wait_for(harness.close(), 60)
        answer({"bye": True})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ws", required=True, help="ws://HOST:PORT/ws/assembly/ID")
    ap.add_argument("--token", required=True, help="the viewer link token")
    ap.add_argument("--decoders", type=int, default=2, help="full decoding listeners (the first ones)")
    ap.add_argument("--concurrency", type=int, default=8, help="joins in flight at once")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
