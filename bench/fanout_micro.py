"""Where a fan-out delivery's time goes, without the kernel and without the noise of other processes.

    python bench/fanout_micro.py [--clients 2000] [--events 30] [--src before=DIR ...]

One process, no sockets for the fan-out itself: N connections are real uvicorn
``websockets-sansio`` protocols, Mayday's subclass (``mayday.transport``, what ``mayday serve``
runs; uvicorn's own class for a tree that has none) in front of the real Starlette route
and ``mayday.ws.serve_stream`` / ``mayday.hub.Hub``, but their transports only count the bytes
they are given. Publishing one record to N subscribers then costs exactly the Python work mayday
does per delivery. The same script measures, as the baseline, ``websockets.broadcast`` to N
``websockets`` server connections on the same counting transports (the bare server's Python work),
and, separately, what the kernel charges the sender for one small write on a loopback TCP socket
(N real connections, one frame each) -- the part both servers pay alike.

``--src LABEL=DIR`` also measures mayday's hub/ws from another source tree (e.g. a copy before a
change), in a child process so that both versions are imported cleanly.

Prints CPU microseconds per delivery (process time; best and median over ``--events`` events), the
same for the layers under mayday's writer (Starlette's ``WebSocket.send`` with its exception-handler
send wrappers, uvicorn's ASGI ``send``, the websockets sans-I/O framing and write, and the direct
write that skips them, ``MaydayWebSocketProtocol.write_text``), each driven on its own, and the
modelled throughput ratio (bare python + kernel) / (mayday python + kernel). The kernel figure
is a lower bound of what a real fan-out pays (no receiving process to wake).
Not a test; bounded: ``--events`` publishes of one frame each.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class CountingTransport(asyncio.Transport):
    """A transport that takes every write at once and only counts it."""

    writes = 0

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: Any) -> None:
        CountingTransport.writes += 1

    def writelines(self, lines: Any) -> None:
        CountingTransport.writes += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


def frame(payload: bytes) -> bytes:
    """A masked client text frame (mask of zeros: the payload is unchanged)."""
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\x00\x00\x00\x00" + payload


def baton_frame_text() -> str:
    """The real baton_passed frame (made by the parent with this tree's code, passed to children)."""
    text = os.environ.get("FANOUT_MICRO_FRAME")
    if text:
        return text
    sys.path.insert(0, str(ROOT / "bench"))
    from fanout_bench import real_baton_frame

    return real_baton_frame()


async def settle(until: Any, limit: int = 100_000) -> None:
    for _ in range(limit):
        if until():
            return
        await asyncio.sleep(0)
    raise RuntimeError("did not settle")


async def measure_mayday(clients: int, events: int, layers: bool = False) -> dict[str, list[float]]:
    """CPU seconds per delivery for each of ``events`` publishes to ``clients`` real sessions; with
    ``layers``, also for the layers under mayday's writer, each driven on its own."""
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from uvicorn.config import Config
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from uvicorn.server import ServerState

    try:  # what mayday serve runs (mayday.app.server_config)
        from mayday.transport import MaydayWebSocketProtocol as Protocol
    except ImportError:  # a tree from before it
        Protocol = WebSocketsSansIOProtocol

    from mayday.hub import Hub
    from mayday.log import Record

    class NoLog:
        async def read(self, stream: str, after: int = 0) -> list[Any]:
            return []

        async def last_offset(self, stream: str) -> int:
            return 0

    hub = Hub()

    async def authenticate(token: str | None) -> None:
        return None

    async def handle(session: Any, raw: Any) -> int:
        raise RuntimeError("no commands here")

    sockets: list[Any] = []

    async def endpoint(websocket: Any) -> None:
        from mayday.ws import serve_stream

        sockets.append(websocket)

        await serve_stream(
            websocket, stream="s", log=NoLog(), hub=hub, authenticate=authenticate, handle=handle, now=lambda: "now"
        )

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    # As mayday.app.server_config, with no keepalive pings (nobody would answer them).
    config = Config(
        app,
        ws=Protocol,
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        ws_ping_interval=None,
        lifespan="off",
        log_level="warning",
    )
    config.load()
    state = ServerState()
    request = (
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    hello = frame(json.dumps({"type": "hello", "token": None, "after": 0}).encode())
    protocols = []
    for _ in range(clients):
        p = Protocol(config=config, server_state=state, app_state={})
        p.connection_made(CountingTransport())
        p.data_received(request)
        protocols.append(p)
    await settle(lambda: all(p.handshake_complete for p in protocols))
    for p in protocols:
        p.data_received(hello)
    await settle(lambda: hub.count("s") == clients)
    for _ in range(200):  # welcome frames out, writers parked
        await asyncio.sleep(0)

    text = baton_frame_text()
    data = json.loads(text)["data"]
    per_delivery = []
    gc.collect()
    for offset in range(1, events + 1):
        goal = CountingTransport.writes + clients
        t0 = time.process_time()
        hub.publish([Record("s", offset, "baton_passed", data)])
        await settle(lambda goal=goal: CountingTransport.writes >= goal)
        per_delivery.append((time.process_time() - t0) / clients)
    out = {"publish": per_delivery}
    if layers:
        message = {"type": "websocket.send", "text": text}

        def drive(coro: Any) -> None:
            try:
                coro.send(None)
            except StopIteration:
                return
            raise RuntimeError("a send had to wait")

        def starlette() -> None:
            for w in sockets:
                drive(w.send(message))

        def uvicorn_send() -> None:
            for p in protocols:
                drive(p.send(message))

        def sansio() -> None:
            for p in protocols:
                p.conn.send_text(text.encode())
                p.transport.write(b"".join(p.conn.data_to_send()))

        def direct() -> None:
            for p in protocols:
                if not p.write_text(text):
                    raise RuntimeError("a direct write was declined")

        layers = [("starlette", starlette), ("uvicorn", uvicorn_send), ("sansio", sansio)]
        if hasattr(Protocol, "write_text"):
            layers.append(("direct", direct))
        for name, fn in layers:
            values = []
            for _ in range(events):
                t0 = time.process_time()
                fn()
                values.append((time.process_time() - t0) / clients)
            out[name] = values
    for p in protocols:
        p.connection_lost(None)
    await settle(lambda: not state.tasks, 10_000)
    return out


async def measure_bare(clients: int, events: int) -> list[float]:
    """CPU seconds per delivery for ``websockets.broadcast`` to ``clients`` open server connections."""
    from websockets.asyncio.connection import Connection
    from websockets.asyncio.server import broadcast
    from websockets.datastructures import Headers
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    conns = []
    for _ in range(clients):
        proto = ServerProtocol(max_size=64 * 1024)
        headers = Headers(
            Host="127.0.0.1:8000",
            Upgrade="websocket",
            Connection="Upgrade",
            **{"Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13"},
        )
        proto.send_response(proto.accept(Request("/", headers)))
        proto.data_to_send()
        conn = Connection(proto, ping_interval=None)  # what a ServerConnection is, minus its handler task
        conn.connection_made(CountingTransport())
        conns.append(conn)
    text = baton_frame_text()
    per_delivery = []
    gc.collect()
    for _ in range(events):
        goal = CountingTransport.writes + clients
        t0 = time.process_time()
        broadcast(conns, text)
        assert CountingTransport.writes >= goal
        per_delivery.append((time.process_time() - t0) / clients)
    return per_delivery


def measure_kernel(clients: int, rounds: int) -> list[float]:
    """Sender CPU seconds per small write, one frame to each of ``clients`` loopback TCP sockets."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
    port = listener.getsockname()[1]
    senders, receivers = [], []
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        r, _ = listener.accept()
        senders.append(s)
        receivers.append(r)
    payload = b"\x81\x7e\x00\xfb" + b"x" * 251
    per_write = []
    for _ in range(rounds):
        t0 = time.process_time()
        for s in senders:
            s.send(payload)
        per_write.append((time.process_time() - t0) / clients)
        for r in receivers:
            r.recv(65536)
    for s in senders + receivers:
        s.close()
    listener.close()
    return per_write


def us(values: list[float]) -> tuple[float, float]:
    return min(values) * 1e6, statistics.median(values) * 1e6


def child(args: argparse.Namespace) -> None:
    """Measure one thing and print it as JSON (run in a fresh process per source tree)."""
    if args.src:
        sys.path.insert(0, args.src)
    else:
        sys.path.insert(0, str(ROOT))
    values: Any
    if args.what in ("mayday", "layers"):
        values = asyncio.run(measure_mayday(args.clients, args.events, args.what == "layers"))
    elif args.what == "bare":
        values = asyncio.run(measure_bare(args.clients, args.events))
    else:
        values = measure_kernel(args.clients, args.events)
    print(json.dumps(values))


def run_child(what: str, args: argparse.Namespace, src: str | None = None) -> Any:
    cmd = [sys.executable, __file__, "--child", what, "--clients", str(args.clients), "--events", str(args.events)]
    if src:
        cmd += ["--child-src", src]
    env = dict(os.environ, FANOUT_MICRO_FRAME=baton_frame_text())
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--events", type=int, default=30)
    ap.add_argument("--src", action="append", default=[], metavar="LABEL=DIR")
    ap.add_argument("--child", choices=["mayday", "layers", "bare", "kernel"], help=argparse.SUPPRESS)
    ap.add_argument("--child-src", dest="src_dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * args.clients + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * args.clients + 256), hard))
    if args.child:
        args.what, args.src = args.child, args.src_dir
        child(args)
        return 0

    print(f"{os.cpu_count()} cores; {args.clients} connections; {args.events} events each; CPU us per delivery")
    rows = [("bare websockets.broadcast (python)", run_child("bare", args))]
    mayday = run_child("layers", args)
    rows.append(("mayday hub+ws+starlette+uvicorn (python)", mayday["publish"]))
    for spec in args.src:
        label, _, src = spec.partition("=")
        rows.append((f"mayday [{label}] (python)", run_child("mayday", args, str(Path(src).resolve()))["publish"]))
    kernel = run_child("kernel", args)
    layers = [
        ("  Starlette WebSocket.send and down", mayday["starlette"]),
        ("  uvicorn's ASGI send and down", mayday["uvicorn"]),
        ("  websockets framing + write", mayday["sansio"]),
    ]
    if "direct" in mayday:
        layers.append(("  the direct write (transport.write_text)", mayday["direct"]))
    print(f"\n{'':<44}{'best':>8}{'median':>9}")
    for name, values in [*rows[:2], *layers, *rows[2:], ("kernel: one loopback TCP send (sender side)", kernel)]:
        best, med = us(values)
        print(f"{name:<44}{best:>8.2f}{med:>9.2f}")
    k = statistics.median(kernel)
    bare = statistics.median(rows[0][1])
    print("\nmodelled throughput vs bare = (bare python + kernel) / (python + kernel), medians:")
    for name, values in rows[1:]:
        py = statistics.median(values)
        print(f"  {name:<44}{(bare + k) / (py + k):.2f}x  (python alone: {bare / py:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
