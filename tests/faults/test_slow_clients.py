"""Slow and dead clients get a close frame with 4008, as documented: one that stops reading while
events flow (its queue overflows), and one that stops answering pings (a dead phone). Both are real
TCP clients that really stop reading; the frames are parsed with websockets' own sans-I/O client."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from typing import Any

import httpx
import uvicorn
from helpers import events_in, free_port, recv_json, soon, token_of, ws_hello
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

import mayday.ws
from mayday.app import Settings, create_app, server_config
from mayday.clock import ManualClock
from mayday.hub import CLOSE_TOO_SLOW
from relay.commands import PostDispatch
from relay.service import stream_of

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)


class RawClient:
    """A WebSocket client on a plain socket whose reading the test controls (a small receive
    buffer, so that not reading stalls the server's sends quickly)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.proto = ClientProtocol(parse_uri(url))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.setblocking(False)
        self.loop = asyncio.get_running_loop()

    async def open(self, hello: dict[str, Any]) -> None:
        uri = parse_uri(self.url)
        await self.loop.sock_connect(self.sock, (uri.host, uri.port))
        self.proto.send_request(self.proto.connect())
        await self._flush()
        while not any(isinstance(e, Response) for e in self.proto.events_received()):
            self.proto.receive_data(await self.loop.sock_recv(self.sock, 65536))
        self.proto.send_text(json.dumps(hello).encode())
        await self._flush()

    async def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                await self.loop.sock_sendall(self.sock, data)

    async def read_until_closed(self, timeout: float) -> tuple[int | None, int]:
        """Read everything the server sent, to its close frame; (close code, text frames seen)."""
        texts = 0

        async def run() -> int | None:
            nonlocal texts
            while True:
                data = await self.loop.sock_recv(self.sock, 65536)
                if not data:
                    self.proto.receive_eof()
                else:
                    self.proto.receive_data(data)
                for event in self.proto.events_received():
                    if event.opcode == Opcode.TEXT:
                        texts += 1
                    elif event.opcode == Opcode.CLOSE:
                        return self.proto.close_rcvd.code if self.proto.close_rcvd else None
                if not data:
                    return None

        return await asyncio.wait_for(run(), timeout), texts

    def close(self) -> None:
        self.sock.close()


async def serve(tmp_path, **options: Any):
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False, queue_size=4)
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, log_level="warning", lifespan="on", **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.01)
    return app, server, task, port


async def make_relay(app, port: int) -> dict:
    definition = soon(T0, [("akl", "Pacific/Auckland", 60, 3600)])
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        r = await http.post(
            "/api/relays", content=json.dumps(definition), headers={"authorization": f"Bearer {app.state.admin_token}"}
        )
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_client_that_stops_reading_gets_a_4008_close_frame(tmp_path, monkeypatch):
    # The server waits this long for a stalled peer to drain before it gives up on a graceful close;
    # the close frame must be there however long the client stays stalled beyond it.
    monkeypatch.setattr(mayday.ws, "CLOSE_WAIT", 0.3)
    app, server, task, port = await serve(tmp_path)
    try:
        made = await make_relay(app, port)
        rid = made["id"]
        url = f"ws://127.0.0.1:{port}/ws/relay/{rid}"
        stalled = RawClient(url)
        await stalled.open({"type": "hello", "token": token_of(made["coordinator"]), "after": 0})
        healthy, _ = await ws_hello(url)
        hub = app.state.hub
        for _ in range(200):
            if hub.count(stream_of(rid)) == 2:
                break
            await asyncio.sleep(0.01)
        assert hub.count(stream_of(rid)) == 2

        got: list[int] = []

        async def follow() -> None:
            while True:
                got.extend(e["offset"] for e in events_in(await recv_json(healthy, 20)))

        follower = asyncio.create_task(follow())
        sent = 0
        while hub.count(stream_of(rid)) == 2 and sent < 5000:
            await app.state.relays.execute(rid, PostDispatch(site="akl", text="x" * 480, by="coordinator"))
            sent += 1
            await asyncio.sleep(0)
        assert hub.count(stream_of(rid)) == 1, "the stalled client was never dropped"
        end = await app.state.log.last_offset(stream_of(rid))
        for _ in range(500):
            if got and got[-1] == end:
                break
            await asyncio.sleep(0.01)
        follower.cancel()
        assert got == list(range(2, end + 1)) or got == list(range(1, end + 1))  # the healthy one missed nothing

        # The stalled client reads again, long after: everything that was buffered, then the close frame.
        await asyncio.sleep(1.0)
        code, texts = await stalled.read_until_closed(20)
        assert code == CLOSE_TOO_SLOW, code
        assert texts > 0
        stalled.close()
        await healthy.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def test_a_client_that_stops_answering_pings_gets_a_4008_close_frame(tmp_path):
    app, server, task, port = await serve(tmp_path, ws_ping_interval=0.3, ws_ping_timeout=0.3)
    try:
        made = await make_relay(app, port)
        dead = RawClient(f"ws://127.0.0.1:{port}/ws/relay/{made['id']}")
        await dead.open({"type": "hello", "after": 0})
        await asyncio.sleep(1.5)  # pings go unanswered: the client reads nothing and sends nothing
        code, _ = await dead.read_until_closed(10)
        assert code == CLOSE_TOO_SLOW, code
        dead.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
