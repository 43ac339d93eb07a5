"""Livestream over HTTP benchmark: how far behind live a segment can be fetched, and what each
HTTP viewer costs the server when no cache stands in front of it.

    python bench/http_stream.py                      # viewers 0,50,200,400; 20 s windows
    python bench/http_stream.py --viewers 0,100 --window 10

A real ``mayday serve`` process (pinned to CPU 1 unless ``--no-pin``) with a public assembly; this
harness (CPU 0) runs the publishers as aiortc peers (a delegate on the floor at 440 Hz, an
interpreter live in the French booth at 880 Hz: tests/media_client.py) and N HTTP viewers in one
asyncio loop, each doing what static/watch-http.js does: read the index with ``?after=``, fetch
every new audio part of its channel (floor or French, half each) and every new video segment.

Per N, over a ``--window`` s window: the server's CPU (``/proc/PID/stat``, all threads), requests
and bytes served, and per fetched segment the **availability lag**: when the viewer had the whole
segment minus when its first instant was live (``wall_ms``). A player adds its buffer to that
(watch-http.js keeps 0.8-1.6 s ahead), so a viewer plays about lag + 1 s behind live; the WebRTC
floor is about 0.1-0.3 s behind. The baseline is N = 0 in the same run: the server with its
publishers and its muxers (one viewer reads the index once a second to keep them attached).

Not a test: nothing here is collected by pytest. Every wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import aioice.ice  # noqa: E402
import httpx  # noqa: E402
from helpers import free_port, token_of  # noqa: E402
from media_client import MediaClient, ToneTrack  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
DEFINITION = {
    "title": "HTTP stream bench",
    "languages": ["en", "fr"],
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [{"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"}],
    "interpreters": [{"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]}],
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start_server(data: Path, port: int, pin: bool) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAYDAY_REDIS_URL",)}
    env |= {"MAYDAY_SECRET": "bench-secret", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "mayday.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--data", str(data), "--log-level", "warning"]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "#admin=" in line:
            admin = line.strip().rsplit("#admin=", 1)[1]
            return proc, admin
    proc.kill()
    raise RuntimeError("the server did not start")


class Conn:
    """A minimal HTTP/1.1 keep-alive client (GET, Content-Length bodies): httpx costs the harness
    about a millisecond of CPU a request, which would measure the harness, not the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> bytes:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        return body


class Viewer:
    def __init__(self, port: int, base: str, stats: dict[str, Any]) -> None:
        self.conn, self.base, self.stats = Conn(port), base, stats
        self.next = {"audio": 0, "video": 0}

    async def run(self, stop: asyncio.Event) -> None:
        index = json.loads(await self.conn.get(f"{self.base}/index.json"))
        for kind in ("audio", "video"):
            segs = index[kind]["segments"]
            self.next[kind] = (segs[-1]["n"] + 1) if segs else 1
        while not stop.is_set():
            index = json.loads(await self.conn.get(f"{self.base}/index.json?after={self.next['audio'] - 1}"))
            self.stats["requests"] += 1
            for kind in ("audio", "video"):
                for seg in index[kind]["segments"]:
                    if seg["n"] < self.next[kind]:
                        continue
                    body = await self.conn.get(f"{self.base}/{seg['url']}")
                    got = time.time() * 1000
                    self.stats["requests"] += 1
                    self.stats["bytes"] += len(body)
                    if self.stats["measuring"]:
                        self.stats["lag"][kind].append(got - seg["wall_ms"])
                    self.next[kind] = seg["n"] + 1


async def publish(ws: str, made: dict[str, Any]) -> list[MediaClient]:
    chair = MediaClient(ws, token_of(made["chairs"]["ama"]))
    ngozi = MediaClient(ws, token_of(made["delegates"]["ngozi"]))
    claire = MediaClient(ws, token_of(made["interpreters"]["claire"]))
    for c in (chair, ngozi, claire):
        await c.open()
    await ngozi.join(ToneTrack(440.0))
    await claire.join(ToneTrack(880.0))
    await chair.command({"type": "raise_hand", "person": "ngozi"})
    await chair.command({"type": "grant_floor"})
    await claire.command({"type": "take_booth"})
    return [chair, ngozi, claire]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--viewers", default="0,50,200,400")
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--no-pin", action="store_true")
    args = ap.parse_args()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    if not args.no_pin:
        os.sched_setaffinity(0, {0})
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc, admin = start_server(Path(tmp) / "data", port, not args.no_pin)
        base_url = f"http://127.0.0.1:{port}"
        clients: list[MediaClient] = []
        try:
            limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
            async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
                made = (
                    await http.post(
                        "/api/assemblies", content=json.dumps(DEFINITION), headers={"authorization": f"Bearer {admin}"}
                    )
                ).json()
                clients = await publish(f"ws://127.0.0.1:{port}/ws/assembly/{made['id']}", made)
                rows = []
                viewers: list[asyncio.Task[None]] = []
                stop = asyncio.Event()
                stats: dict[str, Any] = {
                    "requests": 0,
                    "bytes": 0,
                    "lag": {"audio": [], "video": []},
                    "measuring": False,
                }
                keep = asyncio.create_task(keep_attached(http, made["id"], stop))
                for n in [int(x) for x in args.viewers.split(",")]:
                    while len(viewers) < n:
                        channel = "floor" if len(viewers) % 2 == 0 else "fr"
                        v = Viewer(port, f"/api/assemblies/{made['id']}/stream/{channel}", stats)
                        viewers.append(asyncio.create_task(v.run(stop)))
                    await asyncio.sleep(args.warmup)
                    stats.update(requests=0, bytes=0, lag={"audio": [], "video": []}, measuring=True)
                    cpu0, t0, load0 = cpu_seconds(proc.pid), time.monotonic(), os.getloadavg()[0]
                    await asyncio.sleep(args.window)
                    cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
                    stats["measuring"] = False
                    dt = t1 - t0
                    row = {
                        "viewers": n,
                        "server_cpu": (cpu1 - cpu0) / dt,
                        "requests_s": stats["requests"] / dt,
                        "mbit_s": stats["bytes"] * 8 / dt / 1e6,
                        "audio_lag_p50": pct(stats["lag"]["audio"], 0.5),
                        "audio_lag_p99": pct(stats["lag"]["audio"], 0.99),
                        "video_lag_p50": pct(stats["lag"]["video"], 0.5),
                        "video_lag_p99": pct(stats["lag"]["video"], 0.99),
                        "load": load0,
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                stop.set()
                for t in [*viewers, keep]:
                    t.cancel()
                base = rows[0]["server_cpu"]
                print("\nviewers | server CPU (cores) | extra per viewer (ms CPU/s) | req/s | Mbit/s", end="")
                print(" | audio lag p50/p99 ms | video lag p50/p99 ms | load")
                for r in rows:
                    per = (r["server_cpu"] - base) / r["viewers"] * 1000 if r["viewers"] else 0.0
                    cells = [
                        f"{r['viewers']}",
                        f"{r['server_cpu']:.3f}",
                        f"{per:.2f}",
                        f"{r['requests_s']:.0f}",
                        f"{r['mbit_s']:.1f}",
                        f"{r['audio_lag_p50']:.0f} / {r['audio_lag_p99']:.0f}",
                        f"{r['video_lag_p50']:.0f} / {r['video_lag_p99']:.0f}",
                        f"{r['load']:.2f}",
                    ]
                    print(" | ".join(cells))
        finally:
            for c in clients:
                await c.close()
            proc.terminate()
            proc.wait(10)


async def keep_attached(http: httpx.AsyncClient, assembly: str, stop: asyncio.Event) -> None:
    """With no viewer the muxers would be let go after 30 s: keep both channels attached."""
    while not stop.is_set():
        for channel in ("floor", "fr"):
            await http.get(f"/api/assemblies/{assembly}/stream/{channel}/index.json")
        await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main())
