"""The server ``media_bench.py`` starts: the real app, one process, media on loopback.

    python bench/media_server.py --port P --data DIR [--per-listener-encode]

``mayday.app.create_app`` under uvicorn with ``mayday.app.server_config`` (the settings ``mayday
serve`` uses), with ``Settings(media=MediaSettings(per_listener_encode=...),
media_addresses=["127.0.0.1"])`` so that the hub gathers its ICE candidates on loopback.
``--per-listener-encode`` is the switch kept only for the benchmark: every subscriber's aiortc
sender encodes for itself (aiortc's stock path) instead of forwarding the channel's one encoding.

Prints one JSON line ``{"ready": true, "pid": ..., "admin": ...}`` on stdout once listening, then
answers every line ``stats`` on stdin with one JSON line read from the media hub's own objects
(nothing is changed): ticks and skipped ticks of the room, packets handed to and dropped by the
subscribers' bounded queues, encodings per channel, and the event loop's lateness since the last
``stats`` (a 10 ms sleeper measures it). Runs until SIGTERM/SIGINT. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOST = "127.0.0.1"
LAG_EVERY = 0.01  # seconds between the loop-lag sleeper's wake-ups


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class LoopLag:
    """How late a 10 ms sleep wakes up: the loop's scheduling delay, which is what delays a tick."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            at = loop.time()
            await asyncio.sleep(LAG_EVERY)
            self.samples.append(loop.time() - at - LAG_EVERY)
            if len(self.samples) > 100_000:
                del self.samples[:50_000]

    def take(self) -> dict[str, float]:
        samples, self.samples = sorted(self.samples), []
        if not samples:
            return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
        return {
            "n": len(samples),
            "p50_ms": 1000 * samples[len(samples) // 2],
            "p99_ms": 1000 * samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max_ms": 1000 * samples[-1],
        }


def media_stats(app: Any, lag: LoopLag) -> dict[str, Any]:
    rooms = list(app.state.media.rooms.values())
    out: dict[str, Any] = {"rooms": len(rooms), "peers": 0, "ticks": 0, "skipped": 0, "sent": 0, "dropped": 0}
    encoded: dict[str, int] = {}
    for room in rooms:
        out["peers"] += len(room.peers)
        out["ticks"] += room.ticks
        out["skipped"] += room.skipped
        for peer in room.peers.values():
            for track in peer.tracks:
                out["sent"] += track.sent
                out["dropped"] += track.dropped
        for name, channel in room.audio.items():
            encoded[name] = encoded.get(name, 0) + channel.encoded
            out.setdefault("subscribers", {})[name] = len(channel.subscribers)
    out["encoded"] = encoded
    out["lag"] = lag.take()
    out["threads"] = len(os.listdir("/proc/self/task"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data", required=True, help="data directory of the SQLite log")
    ap.add_argument("--secret", default="media-bench-secret")
    ap.add_argument("--per-listener-encode", action="store_true", help="aiortc encodes once per listener")
    ap.add_argument("--audio-packet-ms", type=int, help="MediaSettings.audio_packet_ms, if this hub has it")
    args = ap.parse_args()
    raise_nofile()

    import uvicorn

    from assembly.media.settings import MediaSettings
    from mayday.app import Settings, create_app, server_config

    media: dict[str, Any] = {"per_listener_encode": args.per_listener_encode, "max_peers": 5000}
    if args.audio_packet_ms:
        if "audio_packet_ms" not in {f.name for f in dataclasses.fields(MediaSettings)}:
            raise SystemExit("this hub has no MediaSettings.audio_packet_ms")
        media["audio_packet_ms"] = args.audio_packet_ms
    settings = Settings(
        data_dir=args.data,
        secret=args.secret,
        rest_rate=(1000.0, 1000.0),
        media=MediaSettings(**media),
        media_addresses=[HOST],
    )
    app = create_app(settings)
    config = server_config(app, HOST, args.port, log_level="warning")
    lag = LoopLag()

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line:  # the harness went away
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            return
        if line.strip() == "stats":
            print(json.dumps(media_stats(app, lag)), flush=True)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                lag.start()
                asyncio.get_running_loop().add_reader(sys.stdin.fileno(), on_stdin)
                print(json.dumps({"ready": True, "pid": os.getpid(), "admin": app.state.admin_token}), flush=True)

    Server(config).run()


if __name__ == "__main__":
    main()
