"""mayday/ws.py's session shell, behind one WebSocket route of a small app served like Mayday (its
transport, its frame limit) with an in-memory log and a fake link check: every way a hello is
refused and the close that follows, what welcome says, history in batches, the resume rule for a
client ahead of the log, and each kind of frame answered with its id. Relay and assembly sockets,
slow clients and revocation are tested through the real app (tests/relay, tests/faults)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from helpers import events_in, recv_json
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from mayday import ws as ws_module
from mayday.errors import ApiError, forbidden, not_found, unauthorized
from mayday.hub import Hub
from mayday.links import Grant
from mayday.log import Record
from mayday.ws import MAX_FRAME, Session, serve_stream

STREAM = "test:s1"
NOW = "2027-05-01T12:00:00Z"
LIMITS = {"text": 500}


class Log:
    """The part of an EventLog serve_stream reads: ``read`` after an offset, ``last_offset``."""

    def __init__(self, n: int = 0) -> None:
        self.records: list[Record] = []
        self.add(n)

    def add(self, n: int = 1) -> list[Record]:
        start = len(self.records) + 1
        new = [Record(STREAM, start + i, "noted", {"n": start + i}) for i in range(n)]
        self.records += new
        return new

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        return [r for r in self.records if r.offset > after]

    async def last_offset(self, stream: str) -> int:
        return len(self.records)


class Stream:
    """The app: one stream, its log and hub; links "chair" (a role), "ama" (a person); "forged",
    "forbidden" and "gone" refused as a link check refuses them."""

    def __init__(self, history: int = 0) -> None:
        self.log, self.hub = Log(history), Hub()
        self.sessions: list[Session] = []

    async def authenticate(self, token: str | None) -> Grant | None:
        refusals: dict[str, Callable[[], ApiError]] = {
            "forged": lambda: unauthorized(),
            "forbidden": lambda: forbidden("not for this stream"),
            "gone": lambda: not_found("no such stream"),
        }
        if token in refusals:
            raise refusals[token]()
        if token == "chair":
            return Grant("test", "chair")
        if token == "ama":
            return Grant("test", "delegate", "ama")
        return None

    async def handle(self, session: Session, command: Any) -> int:
        self.sessions.append(session)
        kind = command.get("type") if isinstance(command, dict) else None
        if kind == "note":
            self.hub.publish(self.log.add())
            return len(self.log.records)
        if kind == "refuse":
            raise ApiError("dispatch_too_long", "a dispatch is at most 500 characters", 409)
        if kind == "down":
            raise ConnectionRefusedError("the store is down")
        raise RuntimeError(f"a bug in the handler: {command!r}")

    def app(self) -> Starlette:
        async def endpoint(websocket: WebSocket) -> None:
            await serve_stream(
                websocket,
                stream=STREAM,
                log=self.log,  # type: ignore[arg-type]
                hub=self.hub,
                authenticate=self.authenticate,
                handle=self.handle,
                now=lambda: NOW,
                limits=LIMITS,
            )

        return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


@pytest.fixture
async def serve(serve_asgi):
    """``url, stream = await serve(history=N)``: the app with N events already in its log."""

    async def start(history: int = 0) -> tuple[str, Stream]:
        stream = Stream(history)
        server = await serve_asgi(stream.app())
        return f"{server.ws_base}/ws", stream

    return start


async def hello(url: str, **fields: Any) -> tuple[Any, dict]:
    conn = await websockets.connect(url)
    await conn.send(json.dumps({"type": "hello", **fields}))
    return conn, await recv_json(conn)


async def closed_with(conn: Any) -> tuple[int, str]:
    """Read until the server closes; the close code and reason it sent."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await recv_json(conn)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


# --- hello -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code", "close"),
    [
        ("not json", "bad_json", 1008),
        ('{"type": "hello", "after": NaN}', "bad_json", 1008),
        ("[]", "bad_hello", 1008),
        ('{"type": "ping"}', "bad_hello", 1008),
        ('{"type": "hello", "after": -1}', "bad_hello", 1008),
        ('{"type": "hello", "after": "٣"}', "bad_hello", 1008),  # text offsets: ASCII digits only
        ('{"type": "hello", "after": 1.5}', "bad_hello", 1008),
        ('{"type": "hello", "after": true}', "bad_hello", 1008),
        ('{"type": "hello", "token": 5}', "bad_hello", 1008),
        ('{"type": "hello", "pad": "' + "x" * MAX_FRAME + '"}', "too_large", 1008),
        ('{"type": "hello", "token": "forged"}', "unauthorized", 4001),
        ('{"type": "hello", "token": "forbidden"}', "forbidden", 4001),
        ('{"type": "hello", "token": "gone"}', "not_found", 4004),
    ],
)
async def test_a_refused_hello_gets_one_error_then_its_close(serve, frame, code, close):
    url, stream = await serve(history=2)
    async with websockets.connect(url) as conn:
        await conn.send(frame)
        error = await recv_json(conn)
        assert (error["type"], error["id"], error["code"]) == ("error", None, code), error
        assert await closed_with(conn) == (close, code)
    assert stream.hub.count() == 0  # never subscribed


async def test_a_hello_that_is_binary_or_late_closes_with_1008(serve, monkeypatch):
    url, _ = await serve()
    async with websockets.connect(url) as conn:
        await conn.send(b'{"type": "hello"}')
        assert await closed_with(conn) == (1008, "expected a hello frame")
    monkeypatch.setattr(ws_module, "HELLO_TIMEOUT", 0.2)
    async with websockets.connect(url) as conn:  # says nothing
        assert await closed_with(conn) == (1008, "expected a hello frame")


# --- welcome, history and the resume rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "role", "subject"), [(None, "public", None), ("chair", "chair", None), ("ama", "delegate", "ama")]
)
async def test_welcome_names_the_stream_the_role_the_end_and_the_limits(serve, token, role, subject):
    url, _ = await serve(history=3)
    conn, welcome = await hello(url, token=token, after=1)
    assert welcome == {
        "type": "welcome",
        "stream": STREAM,
        "role": role,
        "subject": subject,
        "offset": 3,
        "now": NOW,
        "limits": LIMITS,
    }
    assert [e["offset"] for e in events_in(await recv_json(conn))] == [2, 3]
    await conn.close()


async def test_history_comes_in_batches_in_offset_order(serve, monkeypatch):
    monkeypatch.setattr(ws_module, "HISTORY_BATCH", 2)
    url, _ = await serve(history=5)
    conn, welcome = await hello(url)  # no "after": from the start
    assert welcome["offset"] == 5
    frames = [await recv_json(conn) for _ in range(3)]
    assert [f["type"] for f in frames] == ["events", "events", "event"]  # 2 + 2 + 1
    assert [e["offset"] for f in frames for e in events_in(f)] == [1, 2, 3, 4, 5]
    assert events_in(frames[2]) == [{"type": "event", "offset": 5, "event": "noted", "data": {"n": 5}}]
    await conn.close()


@pytest.mark.parametrize("after", [3, 4, 50, 2**63 - 1])
async def test_a_client_at_or_ahead_of_the_end_is_told_the_end_and_gets_what_follows(serve, after):
    """A client ahead of the log (it was wiped, or the offset is made up) learns the real end from
    welcome and receives the next events; it never waits for offsets that will not come."""
    url, stream = await serve(history=3)
    conn, welcome = await hello(url, after=after)
    assert welcome["offset"] == 3
    stream.hub.publish(stream.log.add())
    (event,) = events_in(await recv_json(conn))
    assert (event["offset"], event["data"]) == (4, {"n": 4})
    await conn.close()


async def test_a_client_behind_gets_the_rest_then_live_events_without_a_repeat(serve):
    url, stream = await serve(history=3)
    conn, welcome = await hello(url, after=1)
    assert welcome["offset"] == 3
    got = [e["offset"] for e in events_in(await recv_json(conn))]
    assert got == [2, 3]
    # Live frames may overlap what the history read sent (appended while it was read): only what
    # the client has not had goes out, and a frame it has all of sends nothing.
    stream.log.add(2)
    stream.hub.publish(stream.log.records[2:5])  # offsets 3, 4, 5
    stream.hub.publish(stream.log.records[0:3])  # 1, 2, 3
    stream.hub.publish(stream.log.add())  # 6
    while len(got) < 5:
        got += [e["offset"] for e in events_in(await recv_json(conn))]
    assert got == [2, 3, 4, 5, 6]
    await conn.close()
    for _ in range(100):
        if stream.hub.count() == 0:
            break
        await asyncio.sleep(0.01)
    assert stream.hub.count() == 0  # the session unsubscribed when the client left


# --- frames after hello ---------------------------------------------------------------------------


async def test_each_frame_is_answered_with_its_id(serve):
    url, stream = await serve(history=1)
    conn, _ = await hello(url, token="ama", after=1)
    sends: list[tuple[str | bytes, dict[str, Any]]] = [
        ('{"type": "ping", "id": 7}', {"type": "pong", "id": 7, "now": NOW}),
        ('{"type": "ping"}', {"type": "pong", "id": None, "now": NOW}),
        ('{"type": "shout", "id": "a"}', {"type": "error", "id": "a", "code": "bad_frame"}),
        ("[1, 2]", {"type": "error", "id": None, "code": "bad_frame"}),
        ('"just text"', {"type": "error", "id": None, "code": "bad_frame"}),
        (b"\x00binary", {"type": "error", "id": None, "code": "bad_frame"}),
        # JSON that cannot be parsed whole: the id is read from the text, so the client can match it
        ('{"id": 8, "type": "command", "command": {oops}', {"type": "error", "id": 8, "code": "bad_json"}),
        ('{"id": "c9", "type": "command", "command": {"n": NaN}}', {"type": "error", "id": "c9", "code": "bad_json"}),
        ('{"oops', {"type": "error", "id": None, "code": "bad_json"}),
        (
            '{"id": "big", "type": "command", "pad": "' + "x" * MAX_FRAME + '"}',
            {"type": "error", "id": "big", "code": "too_large"},
        ),
        # ...from its first 4 KiB only: an oversized frame is not searched to its end
        ('{"pad": "' + "x" * MAX_FRAME + '", "id": 10}', {"type": "error", "id": None, "code": "too_large"}),
        (
            json.dumps({"type": "ping", "id": 11, "pad": "€" * 3000}, ensure_ascii=False),  # 9,000 bytes
            {"type": "error", "id": 11, "code": "too_large"},
        ),
    ]
    for frame, want in sends:
        await conn.send(frame)
        reply = await recv_json(conn)
        assert {k: reply[k] for k in want} == want, (frame[:50], reply)
        assert reply["type"] != "error" or reply["message"], reply
    assert stream.sessions == []  # none of them reached the command handler
    await conn.close()


async def test_commands_are_acked_or_refused_and_a_failure_keeps_the_session(serve):
    url, stream = await serve(history=1)
    conn, _ = await hello(url, token="ama", after=1)

    async def command(cid: Any, body: Any) -> dict:
        await conn.send(json.dumps({"type": "command", "id": cid, "command": body}))
        while True:  # an acked note also comes back as an event
            frame = await recv_json(conn)
            if frame["type"] in ("ack", "error"):
                return frame

    assert await command(1, {"type": "note"}) == {"type": "ack", "id": 1, "offset": 2}
    refused = await command(2, {"type": "refuse"})
    assert (refused["id"], refused["code"], refused["message"]) == (
        2,
        "dispatch_too_long",
        "a dispatch is at most 500 characters",
    )
    down = await command("c3", {"type": "down"})
    assert (down["id"], down["code"]) == ("c3", "unavailable")
    assert down["message"] == "storage is unavailable, try again shortly (ConnectionRefusedError)"
    bug = await command(4, {"type": "crash"})
    assert (bug["id"], bug["code"]) == (4, "internal")
    assert await command(None, "not an object") == {
        "type": "error",
        "id": None,
        "code": "internal",
        "message": bug["message"],
    }  # the handler got it as sent: parsing the command is the domain's job
    # the session goes on after all of them: commands, live events, pings
    assert await command(5, {"type": "note"}) == {"type": "ack", "id": 5, "offset": 3}
    await conn.send('{"type": "ping", "id": 6}')
    while (frame := await recv_json(conn))["type"] != "pong":
        pass
    assert frame["id"] == 6
    assert {(s.grant.subject, s.stream) for s in stream.sessions} == {("ama", STREAM)}
    await conn.close()
