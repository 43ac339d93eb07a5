"""The two servers ``fanout_bench.py`` starts, each in its own process (so each gets its own core).

    python bench/fanout_servers.py mayday --port P --data DIR [--ws websockets-sansio] [--deflate]
    python bench/fanout_servers.py bare   --port P [--deflate]
    ... [--trace-memory DIR]   # tracemalloc from the start; SIGUSR1 writes a snapshot into DIR
    ... [--gc-log FILE]        # the garbage collector's pauses, written to FILE when it stops

``mayday``: the real app (``mayday.app.create_app``) under uvicorn with ``mayday.app.server_config``,
the settings ``mayday serve`` uses; ``--ws``/``--deflate`` only exist to compare the alternatives.
Nothing extra is exposed; the harness drives it through the public API.

``bare``: the baseline, the websockets library alone (``websockets.asyncio.server.serve`` and
``websockets.broadcast``). A board client says ``hello`` and gets a ``welcome``, like mayday's; a
connection whose hello carries ``"token": "control"`` is the trigger: every text frame it sends is
broadcast, as is, to every connection.

Both print one JSON line ``{"ready": true, "pid": ..., ...}`` on stdout once listening, and run
until SIGTERM/SIGINT. Loopback only.

``--trace-memory DIR`` (for ``fanout_bench.py --memory-profile``): tracemalloc runs from before the
server's modules are imported, keeping ``--trace-frames`` frames per allocation; each SIGUSR1
writes, from the event loop, ``DIR/snap-K.tracemalloc`` (the snapshot) and then ``DIR/snap-K.json``
(asyncio tasks alive, objects tracked by the garbage collector per type, VmRSS), K = 0, 1, ...

``--gc-log FILE``: every collection of the cyclic garbage collector is timed (``gc.callbacks``);
on SIGUSR2 (the harness sends it before it stops the server, which may be killed if closing
10,000 connections takes too long) and at exit, FILE gets, per generation, how many ran, their
total and longest pause and the monotonic time each one of more than 20 ms started (the harness
lines them up with events).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOST = "127.0.0.1"


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def memory_probe(directory: str) -> None:
    """On SIGUSR1, write a tracemalloc snapshot and counts of what is alive (see the docstring)."""
    import gc
    import tracemalloc
    from collections import Counter

    count = [0]

    def dump() -> None:
        k, count[0] = count[0], count[0] + 1
        gc.collect()
        snap = tracemalloc.take_snapshot()
        snap.dump(os.path.join(directory, f"snap-{k}.tracemalloc"))
        types = Counter(type(o).__qualname__ for o in gc.get_objects())
        rss = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmRSS:"))
        info = {"tasks": len(asyncio.all_tasks()), "types": dict(types), "rss_kib": rss}
        tmp = os.path.join(directory, f"snap-{k}.json.part")
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, os.path.join(directory, f"snap-{k}.json"))  # written last: the harness waits for it

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)


GC_WRITE: list[Any] = []  # the gc log's writer, once installed: called on SIGUSR2 too


def gc_log(path: str) -> None:
    """Time every garbage collection; write the summary to ``path`` at exit and on SIGUSR2."""
    import atexit
    import gc
    import time

    started = [0.0]
    stats = {g: {"count": 0, "total_ms": 0.0, "max_ms": 0.0, "long": []} for g in range(3)}

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.monotonic()
            return
        ms = (time.monotonic() - started[0]) * 1000
        row = stats[info["generation"]]
        row["count"] += 1
        row["total_ms"] += ms
        row["max_ms"] = max(row["max_ms"], ms)
        if ms > 20:
            row["long"].append([started[0], ms])

    def write() -> None:
        with open(path, "w") as f:
            json.dump(stats, f)

    gc.callbacks.append(timed)
    atexit.register(write)
    GC_WRITE.append(write)


def on_sigusr2() -> None:
    """Where the server's loop runs: SIGUSR2 writes the gc log now."""
    for write in GC_WRITE:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, write)


def announce(**fields: Any) -> None:
    print(json.dumps({"ready": True, "pid": os.getpid(), **fields}), flush=True)


def run_mayday(args: argparse.Namespace) -> None:
    import uvicorn

    from mayday.app import Settings, create_app, server_config

    app = create_app(Settings.from_env(data_dir=args.data))
    # Exactly what `mayday serve` runs (mayday.app.server_config), but quieter: its default log
    # level prints one access line per connection.
    config = server_config(app, HOST, args.port, log_level="warning")
    if args.ws:  # only to compare the alternatives
        config.ws, config.ws_per_message_deflate = args.ws, args.deflate

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                if args.trace_memory:
                    memory_probe(args.trace_memory)
                on_sigusr2()
                announce(admin=app.state.admin_token)

    Server(config).run()


async def bare_main(args: argparse.Namespace) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve
    from websockets.exceptions import ConnectionClosed

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):  # the harness just drops its sockets at the end
            await session(ws)

    async def session(ws: ServerConnection) -> None:
        hello = json.loads(await ws.recv())
        control = hello.get("token") == "control"
        await ws.send(json.dumps({"type": "welcome", "stream": "bare", "offset": 0}, separators=(",", ":")))
        clients.add(ws)
        try:
            if control:
                async for message in ws:
                    broadcast(clients, message)
            else:
                async for _ in ws:  # board clients only listen; drain whatever they send
                    pass
        finally:
            clients.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        HOST,
        args.port,
        compression="deflate" if args.deflate else None,
        max_size=64 * 1024,
        backlog=2048,
    ):
        if args.trace_memory:
            memory_probe(args.trace_memory)
        on_sigusr2()
        announce()
        await stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["mayday", "bare"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data", help="mayday: data directory of the SQLite log")
    ap.add_argument("--ws", help="mayday: another uvicorn ws implementation than server_config's")
    ap.add_argument("--src", help="mayday: import mayday/ and relay/ from this source tree")
    ap.add_argument("--deflate", action="store_true", help="accept permessage-deflate (with --ws for mayday)")
    ap.add_argument("--trace-memory", metavar="DIR", help="tracemalloc; SIGUSR1 writes a snapshot into DIR")
    ap.add_argument("--trace-frames", type=int, default=25, help="frames kept per traced allocation")
    ap.add_argument("--gc-log", metavar="FILE", help="time the garbage collector's pauses; written to FILE at exit")
    args = ap.parse_args()
    if args.gc_log:
        gc_log(args.gc_log)
    if args.trace_memory:  # before the servers' modules are imported, so that all they allocate is seen
        import tracemalloc

        tracemalloc.start(args.trace_frames)
    if args.src:  # run mayday from another source tree (a copy before a change, to compare)
        sys.path.insert(0, args.src)
    raise_nofile()
    if args.kind == "mayday":
        run_mayday(args)
    else:
        asyncio.run(bare_main(args))


if __name__ == "__main__":
    main()
