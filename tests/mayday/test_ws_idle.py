"""What an idle session holds, structurally (bench/README.md, "10,000 boards per process"): no
asyncio task of its own beyond the one uvicorn runs per connection, no queue, no asyncio queue or
event in uvicorn's protocol, no handshake headers; and a client that fell behind gets a queue and
a drain task only for as long as it is behind, then is back to nothing. Served like Mayday
(``server_config``: its WebSocket protocol), with an in-memory log; the slow client is a real TCP
client that really stops reading. And the direct write that delivers to idle boards: the bytes
websockets would have written, and only while nothing stands in its way."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from helpers import events_in, recv_json, ws_hello
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.frames import Opcode
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from mayday import ws as ws_module
from mayday.hub import Hub, Subscriber
from mayday.log import Record
from mayday.transport import DIRECT, text_frame
from mayday.ws import serve_stream

STREAM = "test:idle"


class Log:
    """The part of an EventLog serve_stream reads."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, text: str = "") -> list[Record]:
        record = Record(STREAM, len(self.records) + 1, "noted", {"text": text})
        self.records.append(record)
        return [record]

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        return [r for r in self.records if r.offset > after]

    async def last_offset(self, stream: str) -> int:
        return len(self.records)


class RecordingHub(Hub):
    """The hub, remembering the subscribers it made (to look at them)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[Subscriber] = []

    def subscribe(self, stream: str, on_drop: Any = None) -> Subscriber:
        sub = super().subscribe(stream, on_drop)
        self.made.append(sub)
        return sub


class Board:
    """One public stream: anyone may read, nobody may send commands."""

    def __init__(self) -> None:
        self.log, self.hub = Log(), RecordingHub()

    async def authenticate(self, token: str | None) -> None:
        return None

    async def handle(self, session: Any, command: Any) -> int:
        raise RuntimeError("no commands here")

    def publish(self, text: str = "") -> None:
        self.hub.publish(self.log.add(text))

    def app(self) -> Starlette:
        async def endpoint(websocket: WebSocket) -> None:
            await serve_stream(
                websocket,
                stream=STREAM,
                log=self.log,  # type: ignore[arg-type]
                hub=self.hub,
                authenticate=self.authenticate,
                handle=self.handle,
                now=lambda: "2027-05-01T12:00:00Z",
            )

        return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


def session_tasks() -> list[asyncio.Task[Any]]:
    """Tasks running a coroutine of mayday/ws.py (a drain task, an outbox sender)."""
    return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "cr_code", None) is not None and
            t.get_coro().cr_code.co_filename == ws_module.__file__]  # fmt: skip


def connection_tasks() -> list[asyncio.Task[Any]]:
    """uvicorn's one task per WebSocket connection (it runs the app, here serve_stream)."""
    return [t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith("Protocol.run_asgi")]


async def until(check: Any, what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_an_idle_board_owns_no_task_no_queue_and_no_handshake_headers(serve_asgi):
    board = Board()
    server = await serve_asgi(board.app())
    before = len(connection_tasks())
    conns = [(await ws_hello(f"{server.ws_base}/ws"))[0] for _ in range(12)]
    await until(lambda: board.hub.count(STREAM) == 12, "12 subscribers")
    board.publish("live")  # reaches every board through its sink
    for conn in conns:
        assert [e["offset"] for e in events_in(await recv_json(conn))] == [1]

    assert len(connection_tasks()) - before == 12  # uvicorn's, one per connection: that is all
    assert session_tasks() == []
    for sub in board.hub.made:
        assert sub.sink is not None and not sub.pending()
        assert sub._queue is None  # none made: nothing ever had to wait
    protocols = list(server.server.server_state.connections)
    assert len(protocols) == 12
    for protocol in protocols:
        assert not isinstance(protocol.queue, asyncio.Queue) and not isinstance(protocol.writable, asyncio.Event)
        assert len(protocol.request.headers) == 0 and protocol.response is None
    for conn in conns:
        await conn.close()
    await until(lambda: board.hub.count(STREAM) == 0, "every session ended")


class StalledClient:
    """A WebSocket client on a plain socket with a small receive buffer, which reads only when told."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.proto = ClientProtocol(parse_uri(url))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.setblocking(False)
        self.loop = asyncio.get_running_loop()
        self.frames: list[dict[str, Any]] = []

    async def open(self) -> None:
        uri = parse_uri(self.url)
        await self.loop.sock_connect(self.sock, (uri.host, uri.port))
        self.proto.send_request(self.proto.connect())
        await self._flush()
        while not any(isinstance(e, Response) for e in self.proto.events_received()):
            self.proto.receive_data(await self.loop.sock_recv(self.sock, 65536))
        self.proto.send_text(json.dumps({"type": "hello", "token": None, "after": 0}).encode())
        await self._flush()

    async def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                await self.loop.sock_sendall(self.sock, data)

    async def read_events(self, count: int) -> list[int]:
        """Read until ``count`` events have come; their offsets."""
        offsets: list[int] = []
        while len(offsets) < count:
            data = await asyncio.wait_for(self.loop.sock_recv(self.sock, 65536), 10)
            assert data, "the server closed the connection"
            self.proto.receive_data(data)
            for event in self.proto.events_received():
                if event.opcode == Opcode.TEXT:
                    offsets += [e["offset"] for e in events_in(json.loads(event.data))]
            await self._flush()  # pongs
        return offsets

    def close(self) -> None:
        self.sock.close()


async def test_a_client_that_falls_behind_has_a_queue_and_a_task_only_until_it_catches_up(serve_asgi):
    board = Board()
    server = await serve_asgi(board.app())
    client = StalledClient(f"{server.ws_base}/ws")
    try:
        await client.open()
        await until(lambda: board.hub.count(STREAM) == 1, "subscribed")
        (sub,) = board.hub.made
        (protocol,) = server.server.server_state.connections
        # Small buffers on the server's side too, so that a few frames fill them.
        protocol.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        protocol.transport.set_write_buffer_limits(high=4096)

        published = 0
        while sub.sink is not None:  # the client reads nothing: the sends soon have to wait
            board.publish("x" * 2000)
            published += 1
            assert published < 200, "the server's sends never had to wait"
        for _ in range(5):  # these wait in the queue, behind the send in flight
            board.publish("x" * 2000)
            published += 1
        assert sub.pending() and len(session_tasks()) == 1  # the drain task

        offsets = await client.read_events(published)
        assert offsets == list(range(1, published + 1))  # in order, each once
        await until(lambda: sub.sink is not None, "the sink is back")
        assert sub._queue is None and session_tasks() == []  # back to what an idle board holds
        board.publish("after")
        assert await client.read_events(1) == [published + 1]
    finally:
        client.close()
    await until(lambda: board.hub.count(STREAM) == 0, "the session ended")


# payload lengths around the frame header's three forms (7-bit, 16-bit, 64-bit), and UTF-8
TEXTS = ["x" * n for n in (0, 1, 125, 126, 65535, 65536, 70000)] + ["é" * 63, "ü🚩" * 20000]


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: f"{len(t.encode())}B")
def test_a_direct_frame_is_what_websockets_would_write(text):
    server = ServerProtocol()
    headers = Headers(Host="h", Upgrade="websocket", Connection="Upgrade")
    headers["Sec-WebSocket-Key"], headers["Sec-WebSocket-Version"] = "dGhlIHNhbXBsZSBub25jZQ==", "13"
    server.send_response(server.accept(Request("/", headers)))
    server.data_to_send()
    server.send_text(text.encode())
    assert text_frame(text) == b"".join(server.data_to_send())
    assert text_frame(text) is text_frame(text)  # one event offered to every board: framed once


async def test_the_direct_write_is_offered_and_declines_while_paused_or_closing(serve_asgi):
    board = Board()
    server = await serve_asgi(board.app())
    conn, _ = await ws_hello(f"{server.ws_base}/ws")
    await until(lambda: board.hub.count(STREAM) == 1, "subscribed")
    (protocol,) = server.server.server_state.connections
    write = protocol.scope["extensions"][DIRECT]["write_text"]
    assert write('{"type":"pong"}') and json.loads(await conn.recv()) == {"type": "pong"}
    protocol.writable.clear()  # as the transport's pause_writing does
    assert not write("{}")
    protocol.writable.set()
    await conn.close()
    await until(lambda: board.hub.count(STREAM) == 0, "the session ended")
    assert not write("{}")
